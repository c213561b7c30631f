/*
 * test_h2mem.c - the server's HTTP/2 glue driven by a real nghttp2 client
 * session through memory (tests/support/h2peer.c): the exact frames of each
 * response shape, the header cap, resets, drain, and teardown of a
 * connection with streams still open (ASan/valgrind see any leak).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/log.h"
#include "../../common/wire.h"
#include "../../server/server.h"
#include "../../server/store.h"
#include "../support/h2peer.h"
#include "grpc/health/v1/health.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"

struct fixture {
    uv_loop_t loop;
    struct nl_store *store;
    struct nl_server *srv;
    struct nl_conn *conn;
    struct h2peer peer;
};

static int setup_with(void **state, const char *auth)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct nl_config cfg;
    char err[256];

    assert_non_null(f);
    if (getenv("NL_TEST_DEBUG") != NULL)
        nl_log_set_level(NL_LOG_DEBUG);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(nl_store_open(":memory:", NL_STORE_READWRITE, &f->store, err, sizeof(err)),
                     NL_OK);
    nl_config_defaults(&cfg);
    snprintf(cfg.auth, sizeof(cfg.auth), "%s", auth);
    assert_int_equal(nl_server_new(&f->loop, &cfg, f->store, &f->srv, err, sizeof(err)), 0);
    f->conn = nl_conn_new_mem(f->srv);
    assert_non_null(f->conn);
    assert_int_equal(h2peer_init(&f->peer, f->conn, &f->loop), 0);
    h2peer_pump(&f->peer);
    *state = f;
    return 0;
}

/* The HTTP/2 glue is under test here, not credentials (tests/integration/test_auth.py)... */
static int setup(void **state)
{
    return setup_with(state, "off");
}

/* ... except where the connection decides whether a bearer token may be used at all. */
static int setup_auth(void **state)
{
    return setup_with(state, "required");
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    h2peer_release(&f->peer);
    if (f->conn != NULL)
        nl_conn_mem_free(f->conn);
    nl_server_shutdown(f->srv);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    nl_server_free(f->srv);
    nl_store_close(f->store);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    return 0;
}

static struct h2peer_stream *health_check(struct fixture *f, const char *service)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    static uint8_t *body;
    size_t len;

    req.service = (char *)(uintptr_t)service;
    free(body);
    body = h2peer_frame_message(&req, &len);
    struct h2peer_stream *st = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                              "application/grpc", NULL, body, len, 1);
    assert_non_null(st);
    h2peer_pump(&f->peer);
    return st;
}

/* OK: HEADERS (no END_STREAM), DATA with one framed message, trailers with END_STREAM. */
static void test_ok_shape(void **state)
{
    struct fixture *f = *state;
    struct h2peer_stream *st = health_check(f, "");

    assert_string_equal(st->status, "200");
    assert_string_equal(st->content_type, "application/grpc");
    assert_int_equal(st->headers_frames, 2);
    assert_true(st->data_frames >= 1);
    assert_true(st->end_stream);
    assert_int_equal(st->grpc_status, 0);
    assert_true(st->grpc_status_in_trailers);
    assert_int_equal(st->body_len, NL_WIRE_PREFIX_LEN + 2); /* field 1 varint SERVING */
    Grpc__Health__V1__HealthCheckResponse *r = grpc__health__v1__health_check_response__unpack(
        NULL, st->body_len - NL_WIRE_PREFIX_LEN, st->body + NL_WIRE_PREFIX_LEN);
    assert_non_null(r);
    assert_int_equal(r->status, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    grpc__health__v1__health_check_response__free_unpacked(r, NULL);
    assert_int_equal(nl_server_calls(f->srv, NL_OK), 1);
}

/* Errors: exactly one HEADERS frame with END_STREAM, content-type, grpc-status, no DATA. */
static void test_trailers_only_shape(void **state)
{
    struct fixture *f = *state;
    static const uint8_t empty[5] = {0};
    struct h2peer_stream *st = h2peer_request(&f->peer, "POST", "/nhanluc.v1.Registry/Nope",
                                              "application/grpc", NULL, empty, 5, 1);

    h2peer_pump(&f->peer);
    assert_int_equal(st->headers_frames, 1);
    assert_int_equal(st->data_frames, 0);
    assert_true(st->end_stream);
    assert_string_equal(st->status, "200");
    assert_string_equal(st->content_type, "application/grpc");
    assert_int_equal(st->grpc_status, NL_UNIMPLEMENTED);
    assert_false(st->grpc_status_in_trailers);
    assert_string_equal(st->grpc_message, "unknown method");

    st = health_check(f, "no.such.Service");
    assert_int_equal(st->headers_frames, 1);
    assert_int_equal(st->grpc_status, NL_NOT_FOUND);
}

static void test_http_rejects(void **state)
{
    struct fixture *f = *state;
    static const uint8_t empty[5] = {0};
    struct h2peer_stream *a = h2peer_request(&f->peer, "GET", "/grpc.health.v1.Health/Check",
                                             "application/grpc", NULL, NULL, 0, 1);
    struct h2peer_stream *b = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                             "application/json", NULL, empty, 5, 1);
    struct h2peer_stream *c = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                             "application/grpc+proto", NULL, empty, 5, 1);

    h2peer_pump(&f->peer);
    assert_string_equal(a->status, "405");
    assert_int_equal(a->grpc_status, -1);
    assert_string_equal(b->status, "415");
    assert_int_equal(b->grpc_status, -1);
    assert_int_equal(c->grpc_status, 0); /* prefix match accepts +proto */
}

static void test_timeout_header(void **state)
{
    struct fixture *f = *state;
    static const uint8_t empty[5] = {0};
    const char *bad[] = {"grpc-timeout", "123456789S", NULL};
    const char *zero[] = {"grpc-timeout", "0m", NULL};
    const char *fine[] = {"grpc-timeout", "99999999H", NULL};
    struct h2peer_stream *a = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                             "application/grpc", bad, empty, 5, 1);
    struct h2peer_stream *b = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                             "application/grpc", zero, empty, 5, 1);
    struct h2peer_stream *c = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                             "application/grpc", fine, empty, 5, 1);

    h2peer_pump(&f->peer);
    assert_int_equal(a->grpc_status, NL_INTERNAL);
    assert_int_equal(b->grpc_status, NL_DEADLINE_EXCEEDED);
    assert_int_equal(c->grpc_status, NL_OK);
}

/* A header block over 8 KiB resets that stream only; the connection serves the next call. */
static void test_header_cap(void **state)
{
    struct fixture *f = *state;
    static const uint8_t empty[5] = {0};
    static char big[9000];
    memset(big, 'a', sizeof(big) - 1);
    const char *extra[] = {"x-big", big, NULL};
    struct h2peer_stream *st = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                              "application/grpc", extra, empty, 5, 1);

    h2peer_pump(&f->peer);
    assert_true(st->closed);
    assert_true(st->rst_received);
    assert_int_equal(st->grpc_status, -1);
    assert_int_equal(health_check(f, "")->grpc_status, 0);

    /* 65 small fields: over the 64-field cap. */
    static char names[70][8];
    const char *many[2 * 70 + 1];
    size_t n = 0;
    for (int i = 0; i < 65; i++) {
        snprintf(names[i], sizeof(names[i]), "x-%d", i);
        many[n++] = names[i];
        many[n++] = "v";
    }
    many[n] = NULL;
    st = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check", "application/grpc", many,
                        empty, 5, 1);
    h2peer_pump(&f->peer);
    assert_true(st->rst_received);
    assert_int_equal(health_check(f, "")->grpc_status, 0);
}

/* Body rules: two messages, a partial one, the compressed flag, over the cap. */
static void test_body_rules(void **state)
{
    struct fixture *f = *state;
    static const uint8_t two[10] = {0};
    static const uint8_t partial[7] = {0, 0, 0, 0, 5, 1, 2};
    static const uint8_t compressed[5] = {1, 0, 0, 0, 0};
    static const uint8_t huge[15] = {0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const uint8_t over[5] = {0, 0, 0x40, 0, 1}; /* 4 MiB + 1 */
    const char *p = "/grpc.health.v1.Health/Check", *ct = "application/grpc";

    struct h2peer_stream *a = h2peer_request(&f->peer, "POST", p, ct, NULL, two, 10, 1);
    struct h2peer_stream *b = h2peer_request(&f->peer, "POST", p, ct, NULL, partial, 7, 1);
    struct h2peer_stream *c = h2peer_request(&f->peer, "POST", p, ct, NULL, compressed, 5, 1);
    struct h2peer_stream *d = h2peer_request(&f->peer, "POST", p, ct, NULL, NULL, 0, 1);
    struct h2peer_stream *e = h2peer_request(&f->peer, "POST", p, ct, NULL, huge, 15, 0);
    struct h2peer_stream *g = h2peer_request(&f->peer, "POST", p, ct, NULL, over, 5, 1);
    h2peer_pump(&f->peer);
    assert_int_equal(a->grpc_status, NL_UNIMPLEMENTED);
    assert_int_equal(b->grpc_status, NL_INTERNAL);
    assert_int_equal(c->grpc_status, NL_UNIMPLEMENTED);
    assert_int_equal(d->grpc_status, NL_UNIMPLEMENTED); /* no message at all */
    /* Over the cap: answered before the client finished, then RST(NO_ERROR). */
    assert_int_equal(e->grpc_status, NL_RESOURCE_EXHAUSTED);
    assert_int_equal(e->headers_frames, 1);
    assert_true(e->rst_received);
    assert_int_equal(e->rst_error, NGHTTP2_NO_ERROR);
    assert_int_equal(g->grpc_status, NL_RESOURCE_EXHAUSTED);
}

/* A client reset before the reply frees the call and counts CANCELLED. */
static void test_client_reset(void **state)
{
    struct fixture *f = *state;
    static const uint8_t half[3] = {0, 0, 0};
    struct h2peer_stream *st = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                              "application/grpc", NULL, half, 3, 0);

    h2peer_pump(&f->peer);
    assert_int_equal(
        nghttp2_submit_rst_stream(f->peer.session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL), 0);
    h2peer_pump(&f->peer);
    assert_int_equal(nl_server_calls(f->srv, NL_CANCELLED), 1);
    assert_int_equal(health_check(f, "")->grpc_status, 0);
}

/* A store-backed write and read through the same glue (inline store). */
static void test_store_calls(void **state)
{
    struct fixture *f = *state;
    Nhanluc__V1__Unit u = NHANLUC__V1__UNIT__INIT;
    Nhanluc__V1__CreateUnitRequest cr = NHANLUC__V1__CREATE_UNIT_REQUEST__INIT;
    Nhanluc__V1__GetUnitRequest gr = NHANLUC__V1__GET_UNIT_REQUEST__INIT;
    size_t l1, l2;

    u.code = (char *)(uintptr_t) "ha-noi";
    u.name = (char *)(uintptr_t) "Th\xc3\xa0nh ph\xe1\xbb\x91 H\xc3\xa0 N\xe1\xbb\x99i";
    u.kind = NHANLUC__V1__UNIT_KIND__CITY;
    cr.unit = &u;
    gr.code = (char *)(uintptr_t) "ha-noi";
    uint8_t *b1 = h2peer_frame_message(&cr, &l1);
    uint8_t *b2 = h2peer_frame_message(&gr, &l2);
    struct h2peer_stream *a = h2peer_request(&f->peer, "POST", "/nhanluc.v1.Registry/CreateUnit",
                                             "application/grpc", NULL, b1, l1, 1);
    h2peer_pump(&f->peer);
    struct h2peer_stream *b = h2peer_request(&f->peer, "POST", "/nhanluc.v1.Registry/GetUnit",
                                             "application/grpc", NULL, b2, l2, 1);
    h2peer_pump(&f->peer);
    assert_int_equal(a->grpc_status, 0);
    assert_int_equal(b->grpc_status, 0);
    Nhanluc__V1__GetUnitResponse *r = nhanluc__v1__get_unit_response__unpack(
        NULL, b->body_len - NL_WIRE_PREFIX_LEN, b->body + NL_WIRE_PREFIX_LEN);
    assert_non_null(r);
    assert_non_null(r->unit);
    assert_string_equal(r->unit->name, u.name);
    nhanluc__v1__get_unit_response__free_unpacked(r, NULL);
    free(b1);
    free(b2);
}

/* Drain: GOAWAY reaches the client; a call already sent is answered, NOT_SERVING. */
static void test_drain(void **state)
{
    struct fixture *f = *state;
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    size_t len;
    uint8_t *body = h2peer_frame_message(&req, &len);
    struct h2peer_stream *st = h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check",
                                              "application/grpc", NULL, body, len, 0);

    h2peer_pump(&f->peer); /* headers and message arrive; END_STREAM not yet */
    nl_server_shutdown(f->srv);
    st->req_end_stream = 1;
    nghttp2_session_resume_data(f->peer.session, st->id);
    h2peer_pump(&f->peer);
    assert_true(f->peer.goaway_received >= 1);
    assert_int_equal(st->grpc_status, 0);
    Grpc__Health__V1__HealthCheckResponse *r = grpc__health__v1__health_check_response__unpack(
        NULL, st->body_len - NL_WIRE_PREFIX_LEN, st->body + NL_WIRE_PREFIX_LEN);
    assert_non_null(r);
    assert_int_equal(r->status,
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
    grpc__health__v1__health_check_response__free_unpacked(r, NULL);
    free(body);
}

/* Tearing down a connection with open streams frees every call (checked by ASan/valgrind). */
static void test_teardown_with_open_streams(void **state)
{
    struct fixture *f = *state;
    static const uint8_t part[4] = {0, 0, 0, 0};

    for (int i = 0; i < 20; i++)
        h2peer_request(&f->peer, "POST", "/grpc.health.v1.Health/Check", "application/grpc", NULL,
                       part, i % 2 ? 4 : 0, 0);
    h2peer_pump(&f->peer);
    nl_conn_mem_free(f->conn);
    f->conn = NULL;
    assert_int_equal(nl_server_calls(f->srv, NL_CANCELLED), 20);
}

/* Garbage instead of the preface is fatal for the connection, and only for it. */
static void test_bad_preface(void **state)
{
    struct fixture *f = *state;
    struct nl_conn *c = nl_conn_new_mem(f->srv);
    static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    assert_non_null(c);
    assert_int_equal(nl_conn_feed(c, junk, sizeof(junk) - 1), -1);
    uint8_t *out = NULL;
    nl_conn_mem_take_output(c, &out); /* whatever nghttp2 queued (a GOAWAY) goes out first */
    free(out);
    assert_true(nl_conn_mem_closed(c));
    assert_int_equal(nl_conn_feed(c, junk, 4), -1); /* no more input is ever fed */
    nl_conn_mem_free(c);
    assert_int_equal(health_check(f, "")->grpc_status, 0);
}

/* A GetUnit call with a well-formed (unknown) bearer token, from the connection's current peer. */
static struct h2peer_stream *get_unit_with_token(struct fixture *f)
{
    static const char *const extra[] = {
        "authorization", "Bearer nl_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        NULL};
    Nhanluc__V1__GetUnitRequest req = NHANLUC__V1__GET_UNIT_REQUEST__INIT;
    static uint8_t *body;
    size_t len;

    req.code = (char *)(uintptr_t) "ha-noi";
    free(body);
    body = h2peer_frame_message(&req, &len);
    struct h2peer_stream *st = h2peer_request(&f->peer, "POST", "/nhanluc.v1.Registry/GetUnit",
                                              "application/grpc", extra, body, len, 1);
    assert_non_null(st);
    h2peer_pump(&f->peer);
    return st;
}

/*
 * RELIABILITY.md 5.1: bearer tokens only over TLS, or on h2c from loopback.
 * A cleartext connection from any other address (an --insecure-listen
 * server) is refused before the token is looked at; loopback addresses, IPv6
 * and IPv4-mapped ones included, get to the credential check.
 */
static void test_cleartext_token_only_from_loopback(void **state)
{
    struct fixture *f = *state;
    static const char *const afar[] = {"203.0.113.7", "10.0.0.1", "::ffff:10.0.0.1", "2001:db8::1",
                                       "128.0.0.1"};
    static const char *const near[] = {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"};
    struct h2peer_stream *st;

    for (size_t i = 0; i < sizeof(afar) / sizeof(afar[0]); i++) {
        assert_int_equal(nl_conn_mem_set_peer(f->conn, afar[i], 40000), 0);
        st = get_unit_with_token(f);
        assert_int_equal(st->grpc_status, NL_UNAUTHENTICATED);
        assert_non_null(strstr(st->grpc_message, "over TLS only"));
    }
    for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
        assert_int_equal(nl_conn_mem_set_peer(f->conn, near[i], 40000), 0);
        st = get_unit_with_token(f);
        assert_int_equal(st->grpc_status, NL_UNAUTHENTICATED); /* the token is unknown */
        assert_null(strstr(st->grpc_message, "TLS"));
    }
    assert_int_equal(nl_conn_mem_set_peer(f->conn, "not an address", 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ok_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailers_only_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_teardown_with_open_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_preface, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cleartext_token_only_from_loopback, setup_auth,
                                        teardown),
    };
    return cmocka_run_group_tests_name("h2mem", tests, NULL, NULL);
}
