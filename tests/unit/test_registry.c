/*
 * test_registry.c - the nhanluc.v1.Registry handlers, called the way the
 * server calls them: a packed request goes into nl_job_new, nl_job_run
 * unpacks it and runs the method row's handler on a store, and the packed
 * response is read back after its 5-byte prefix.
 *
 * Writes run on the read-write connection inside BEGIN IMMEDIATE + a
 * savepoint (the writer's batch shape); reads run on a separate read-only
 * connection inside a read transaction (the read pool's shape). The store is
 * a file in a temporary directory, removed in teardown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../common/buf.h"
#include "../common/wire.h"
#include "job.h"
#include "method.h"
#include "nhanluc/v1/registry.pb-c.h"
#include "store.h"

struct fx {
    char dir[64];
    char path[128];
    struct nl_store *rw;
    struct nl_store *ro;
};

static struct fx *g; /* the current fixture, for the call helpers */

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    char err[512];

    if (fx == NULL)
        return -1;
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/nl-test-registry-XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    (void)snprintf(fx->path, sizeof(fx->path), "%s/nl.db", fx->dir);
    if (nl_store_open(fx->path, NL_STORE_READWRITE, &fx->rw, err, sizeof(err)) != NL_OK ||
        nl_store_open(fx->path, NL_STORE_READONLY, &fx->ro, err, sizeof(err)) != NL_OK) {
        (void)fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    g = fx;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    static const char *const files[] = {"nl.db", "nl.db-wal", "nl.db-shm"};
    char p[192];
    int rc;

    nl_store_close(fx->ro);
    nl_store_close(fx->rw);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        (void)snprintf(p, sizeof(p), "%s/%s", fx->dir, files[i]);
        unlink(p);
    }
    rc = rmdir(fx->dir);
    free(fx);
    g = NULL;
    return rc;
}

/* protoc-c string fields are char *; packing only reads them. */
static char *unconst(const char *s)
{
    char *p;

    memcpy(&p, &s, sizeof(p));
    return p;
}

/* Result of one call: status, message and the unpacked response (free with call_done). */
struct result {
    enum nl_status status;
    char msg[256];
    const struct nl_method *m;
    ProtobufCMessage *resp;
};

/*
 * Packs `req`, runs it through nl_job_run on the right connection with the
 * transaction shape of the server, and unpacks an OK response.
 */
static void call(const char *path, const ProtobufCMessage *req, struct result *r)
{
    const struct nl_method *m = nl_method_find(path, strlen(path));
    size_t len;
    uint8_t *in;
    struct nl_job *job;

    memset(r, 0, sizeof(*r));
    assert_non_null(m);
    assert_ptr_equal(m->input, req->descriptor);
    r->m = m;
    len = protobuf_c_message_get_packed_size(req);
    in = malloc(len > 0 ? len : 1);
    assert_non_null(in);
    assert_int_equal(protobuf_c_message_pack(req, in), len);
    job = nl_job_new(m, in, len, 0);
    assert_non_null(job);

    if (m->flags & NL_M_WRITE) {
        assert_int_equal(nl_store_begin_write(g->rw), NL_OK);
        assert_int_equal(nl_store_savepoint(g->rw), NL_OK);
        nl_job_run(job, g->rw);
        if (job->status == NL_OK)
            assert_int_equal(nl_store_savepoint_release(g->rw), NL_OK);
        else
            assert_int_equal(nl_store_savepoint_rollback(g->rw), NL_OK);
        assert_int_equal(nl_store_commit(g->rw), NL_OK);
    } else {
        assert_true(m->flags & NL_M_READ);
        assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
        nl_job_run(job, g->ro);
        assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    }

    r->status = job->status;
    (void)snprintf(r->msg, sizeof(r->msg), "%s", job->msg);
    if (job->status == NL_OK) {
        assert_true(job->out.len >= NL_WIRE_PREFIX_LEN);
        assert_int_equal(job->out.data[0], 0);
        uint32_t n = (uint32_t)job->out.data[1] << 24 | (uint32_t)job->out.data[2] << 16 |
                     (uint32_t)job->out.data[3] << 8 | job->out.data[4];
        assert_int_equal(n, job->out.len - NL_WIRE_PREFIX_LEN);
        r->resp = protobuf_c_message_unpack(m->output, NULL, n, job->out.data + NL_WIRE_PREFIX_LEN);
        assert_non_null(r->resp);
    } else {
        assert_string_not_equal(r->msg, "");
    }
    nl_job_free(job);
}

static void call_done(struct result *r)
{
    if (r->resp != NULL)
        protobuf_c_message_free_unpacked(r->resp, NULL);
    r->resp = NULL;
}

/* Asserts a failed call: the status and a message that starts with `prefix`. */
static void expect_error(const struct result *r, enum nl_status st, const char *prefix)
{
    if (r->status != st || strncmp(r->msg, prefix, strlen(prefix)) != 0)
        fail_msg("got %d '%s', want %d '%s...'", r->status, r->msg, st, prefix);
}

/* CreateUnit with the given fields; unit = 0 sends no Unit at all. */
static void create_unit(const char *code, const char *name, int kind, const char *parent,
                        struct result *r)
{
    Nhanluc__V1__CreateUnitRequest req;
    Nhanluc__V1__Unit u;

    nhanluc__v1__create_unit_request__init(&req);
    nhanluc__v1__unit__init(&u);
    u.code = unconst(code);
    u.name = unconst(name);
    u.kind = (Nhanluc__V1__UnitKind)kind;
    u.parent = unconst(parent);
    req.unit = &u;
    call("/nhanluc.v1.Registry/CreateUnit", &req.base, r);
}

static void create_unit_ok(const char *code, const char *name, int kind, const char *parent)
{
    struct result r;

    create_unit(code, name, kind, parent, &r);
    if (r.status != NL_OK)
        fail_msg("create %s: %d %s", code, r.status, r.msg);
    assert_true(((Nhanluc__V1__CreateUnitResponse *)r.resp)->created);
    call_done(&r);
}

static void get_unit(const char *code, struct result *r)
{
    Nhanluc__V1__GetUnitRequest req;

    nhanluc__v1__get_unit_request__init(&req);
    req.code = unconst(code);
    call("/nhanluc.v1.Registry/GetUnit", &req.base, r);
}

static void list_units(const char *parent, int page_size, const char *token, struct result *r)
{
    Nhanluc__V1__ListUnitsRequest req;

    nhanluc__v1__list_units_request__init(&req);
    req.parent = unconst(parent);
    req.page_size = page_size;
    req.page_token = unconst(token);
    call("/nhanluc.v1.Registry/ListUnits", &req.base, r);
}

static void create_term(const char *code, int kind, int start, int end, struct result *r)
{
    Nhanluc__V1__CreateTermRequest req;
    Nhanluc__V1__Term t;

    nhanluc__v1__create_term_request__init(&req);
    nhanluc__v1__term__init(&t);
    t.code = unconst(code);
    t.kind = (Nhanluc__V1__TermKind)kind;
    t.start_year = start;
    t.end_year = end;
    req.term = &t;
    call("/nhanluc.v1.Registry/CreateTerm", &req.base, r);
}

static void list_terms(int kind, struct result *r)
{
    Nhanluc__V1__ListTermsRequest req;

    nhanluc__v1__list_terms_request__init(&req);
    req.kind = (Nhanluc__V1__TermKind)kind;
    call("/nhanluc.v1.Registry/ListTerms", &req.base, r);
}

static size_t count_units(void)
{
    struct result r;
    size_t n;

    list_units("", 1000, "", &r);
    assert_int_equal(r.status, NL_OK);
    n = ((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units;
    call_done(&r);
    return n;
}

/* A page token as a client could forge it: base64 of arbitrary bytes. */
static char *forge_token(const char *raw)
{
    struct nl_buf b;
    size_t len;
    char *s;

    nl_buf_init(&b, 1024);
    assert_int_equal(nl_wire_b64_encode(&b, (const uint8_t *)raw, strlen(raw)), 0);
    assert_int_equal(nl_buf_append(&b, "", 1), 0);
    s = (char *)nl_buf_take(&b, &len);
    assert_non_null(s);
    return s;
}

/* --- tests --- */

static void test_method_table(void **state)
{
    (void)state;
    assert_int_equal(nl_method_table_check(), 0);
    assert_int_equal(nl_svc_registry_method_count, 9);
    for (size_t i = 0; i < nl_svc_registry_method_count; i++) {
        const struct nl_method *m = &nl_svc_registry_methods[i];
        int write = strstr(m->path, "/Create") != NULL || strstr(m->path, "/Record") != NULL ||
                    strstr(m->path, "/Set") != NULL;
        assert_int_equal(m->flags, write ? NL_M_WRITE : NL_M_READ);
        assert_ptr_equal(nl_method_find(m->path, strlen(m->path)), m);
    }
}

static void test_create_unit_validation(void **state)
{
    static const char secret[] = "Secret-Value";
    char long_code[66], long_name[202];
    struct result r;
    (void)state;

    memset(long_code, 'a', 65);
    long_code[65] = '\0';
    memset(long_name, 'n', 201);
    long_name[201] = '\0';
    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");

    /* Every case is INVALID_ARGUMENT with a message starting with `msg`. */
    const struct {
        const char *code, *name, *parent, *msg;
        int kind;
    } cases[] = {
        {"", "Tây Hồ", "ha-noi", "unit.code: must be 1-64 characters", 2},
        {secret, "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {"tay ho", "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {"tây-hồ", "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {long_code, "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {"tay-ho", "", "ha-noi", "unit.name: required", 2},
        {"tay-ho", "T\xff\xfe", "ha-noi", "unit.name: is not valid UTF-8", 2},
        {"tay-ho", "T\xc3", "ha-noi", "unit.name: is not valid UTF-8", 2},
        {"tay-ho", "Tây\tHồ", "ha-noi", "unit.name: contains a control", 2},
        {"tay-ho", long_name, "ha-noi", "unit.name: must be at most 200", 2},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.kind: unknown kind", 0},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.kind: unknown kind", 9},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.kind: unknown kind", -1},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.parent: a CITY has no parent", 1},
        {"tay-ho", "Tây Hồ", "", "unit.parent: required for every kind but CITY", 2},
        {"tay-ho", "Tây Hồ", "", "unit.parent: required for every kind", 6},
        {"tay-ho", "Tây Hồ", secret, "unit.parent: must be 1-64", 2},
        {"tay-ho", "Tây Hồ", "tay-ho", "unit.parent: a unit cannot be", 2},
        {"tay-ho", "Tây Hồ", "secret-parent", "unit.parent: no such unit", 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        create_unit(cases[i].code, cases[i].name, cases[i].kind, cases[i].parent, &r);
        expect_error(&r, NL_INVALID_ARGUMENT, cases[i].msg);
        /* Messages name the field, never its value. */
        assert_null(strstr(r.msg, secret));
        assert_null(strstr(r.msg, "secret-parent"));
        assert_null(strstr(r.msg, "Tây"));
    }

    /* No Unit sub-message at all. */
    Nhanluc__V1__CreateUnitRequest empty;
    nhanluc__v1__create_unit_request__init(&empty);
    call("/nhanluc.v1.Registry/CreateUnit", &empty.base, &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "unit: required");

    /* Nothing but the city was stored, and a valid request still works afterwards. */
    assert_int_equal(count_units(), 1);
    create_unit_ok("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi");
    create_unit_ok(long_code + 1, long_name + 1, NHANLUC__V1__UNIT_KIND__WARD, "tay-ho");
    assert_int_equal(count_units(), 3);
}

static void test_nfc(void **state)
{
    /* "Hà Nội" and "Thanh Trì" typed with combining marks (NFD) and precomposed (NFC). */
    static const char city_nfd[] = "Ha\xcc\x80 No\xcc\xa3\xcc\x82i";
    static const char city_nfc[] = "H\xc3\xa0 N\xe1\xbb\x99i";
    static const char tri_nfd[] = "Thanh Tri\xcc\x80";
    static const char tri_nfc[] = "Thanh Tr\xc3\xac";
    struct result r;
    (void)state;

    assert_string_not_equal(city_nfd, city_nfc);
    create_unit("ha-noi", city_nfd, NHANLUC__V1__UNIT_KIND__CITY, "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CreateUnitResponse *cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_true(cr->created);
    assert_string_equal(cr->unit->name, city_nfc);
    call_done(&r);

    get_unit("ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    assert_string_equal(((Nhanluc__V1__GetUnitResponse *)r.resp)->unit->name, city_nfc);
    call_done(&r);

    /* The composed form of the same name is the same unit: a replay, not a conflict. */
    create_unit("ha-noi", city_nfc, NHANLUC__V1__UNIT_KIND__CITY, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_false(((Nhanluc__V1__CreateUnitResponse *)r.resp)->created);
    call_done(&r);

    create_unit_ok("thanh-tri", tri_nfd, NHANLUC__V1__UNIT_KIND__RURAL_DISTRICT, "ha-noi");
    list_units("ha-noi", 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ListUnitsResponse *lr = (Nhanluc__V1__ListUnitsResponse *)r.resp;
    assert_int_equal(lr->n_units, 1);
    assert_string_equal(lr->units[0]->name, tri_nfc);
    call_done(&r);
}

static void test_replay_and_conflict(void **state)
{
    struct result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_unit("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CreateUnitResponse *cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_true(cr->created);
    assert_string_equal(cr->unit->code, "tay-ho");
    assert_string_equal(cr->unit->parent, "ha-noi");
    assert_int_equal(cr->unit->kind, NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    call_done(&r);

    create_unit("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_false(cr->created);
    assert_string_equal(cr->unit->name, "Tây Hồ");
    call_done(&r);

    create_unit("tay-ho", "Quận Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi", &r);
    expect_error(&r, NL_ALREADY_EXISTS, "unit.code:");
    assert_null(strstr(r.msg, "Tây"));
    create_unit("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__TOWN, "ha-noi", &r);
    expect_error(&r, NL_ALREADY_EXISTS, "unit.code:");

    /* The conflicting requests changed nothing. */
    get_unit("tay-ho", &r);
    assert_int_equal(r.status, NL_OK);
    assert_string_equal(((Nhanluc__V1__GetUnitResponse *)r.resp)->unit->name, "Tây Hồ");
    assert_int_equal(((Nhanluc__V1__GetUnitResponse *)r.resp)->unit->kind,
                     NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    call_done(&r);
    assert_int_equal(count_units(), 2);
}

static void test_get_unit(void **state)
{
    struct result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    get_unit("ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__Unit *u = ((Nhanluc__V1__GetUnitResponse *)r.resp)->unit;
    assert_non_null(u);
    assert_string_equal(u->code, "ha-noi");
    assert_string_equal(u->name, "Hà Nội");
    assert_int_equal(u->kind, NHANLUC__V1__UNIT_KIND__CITY);
    assert_string_equal(u->parent, "");
    call_done(&r);

    get_unit("ha-tay", &r);
    expect_error(&r, NL_NOT_FOUND, "unit not found");
    get_unit("", &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "code: must be 1-64");
    get_unit("Ha-Noi", &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "code: must be 1-64");
}

static void test_list_paging(void **state)
{
    static const char *const wards[] = {"ward-a", "ward-b", "ward-c", "ward-d", "ward-e", "ward-f"};
    char *token = NULL;
    char seen[8][16];
    size_t nseen = 0;
    int pages = 0;
    struct result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_unit_ok("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi");
    for (size_t i = 0; i < 6; i++)
        create_unit_ok(wards[i], "Phường", NHANLUC__V1__UNIT_KIND__WARD, "tay-ho");

    /* The children of tay-ho: 6 wards in pages of 2 are 3 pages, the last without a token. */
    for (; pages < 10; pages++) {
        list_units("tay-ho", 2, token != NULL ? token : "", &r);
        assert_int_equal(r.status, NL_OK);
        Nhanluc__V1__ListUnitsResponse *lr = (Nhanluc__V1__ListUnitsResponse *)r.resp;
        assert_int_equal(lr->n_units, 2);
        for (size_t i = 0; i < lr->n_units; i++) {
            assert_string_equal(lr->units[i]->parent, "tay-ho");
            (void)snprintf(seen[nseen++], sizeof(seen[0]), "%s", lr->units[i]->code);
        }
        free(token);
        token = lr->next_page_token[0] != '\0' ? strdup(lr->next_page_token) : NULL;
        /* The token is opaque: it does not show the code it continues after. */
        if (token != NULL)
            assert_null(strstr(token, "ward"));
        call_done(&r);
        if (token == NULL)
            break;
    }
    assert_int_equal(pages + 1, 3);
    assert_int_equal(nseen, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(seen[i], wards[i]);

    /* Every unit, three per page: 8 units -> 3, 3, 2. */
    static const size_t want[] = {3, 3, 2};
    token = NULL;
    for (size_t p = 0; p < 3; p++) {
        list_units("", 3, token != NULL ? token : "", &r);
        assert_int_equal(r.status, NL_OK);
        Nhanluc__V1__ListUnitsResponse *lr = (Nhanluc__V1__ListUnitsResponse *)r.resp;
        assert_int_equal(lr->n_units, want[p]);
        free(token);
        token = NULL;
        if (p < 2) {
            assert_string_not_equal(lr->next_page_token, "");
            token = strdup(lr->next_page_token);
        } else {
            assert_string_equal(lr->next_page_token, "");
            assert_string_equal(lr->units[1]->code, "ward-f");
        }
        call_done(&r);
    }

    /* page_size 0 means 100. */
    list_units("", 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units, 8);
    assert_string_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->next_page_token, "");
    call_done(&r);
}

static void test_list_errors(void **state)
{
    struct result r;
    char *tok;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    list_units("", -1, "", &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "page_size: must be 0-1000");
    list_units("", 1001, "", &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "page_size: must be 0-1000");
    list_units("", 1000, "", &r);
    assert_int_equal(r.status, NL_OK);
    call_done(&r);

    list_units("", 10, "!!!not base64", &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    static const char *const forged[] = {"x:ha-noi", "u:", "u:Ha-Noi", "ha-noi", "u:ha noi"};
    for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        tok = forge_token(forged[i]);
        list_units("", 10, tok, &r);
        expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
        free(tok);
    }
    /* A well-formed token continues after its code, even one that does not exist. */
    tok = forge_token("u:a");
    list_units("", 10, tok, &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units, 1);
    call_done(&r);
    free(tok);

    list_units("Bad Parent", 10, "", &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "parent: must be 1-64");
    list_units("ha-tay", 10, "", &r);
    expect_error(&r, NL_NOT_FOUND, "parent unit not found");
    list_units("ha-noi", 10, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units, 0);
    call_done(&r);
}

static void test_terms(void **state)
{
    struct result r;
    (void)state;

    /* Years taken from the code when not given. */
    create_term("2020-2025", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 0, 0, &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CreateTermResponse *cr = (Nhanluc__V1__CreateTermResponse *)r.resp;
    assert_true(cr->created);
    assert_string_equal(cr->term->code, "2020-2025");
    assert_int_equal(cr->term->start_year, 2020);
    assert_int_equal(cr->term->end_year, 2025);
    call_done(&r);

    /* Replay with the years spelt out: same term. */
    create_term("2020-2025", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 2020, 2025, &r);
    assert_int_equal(r.status, NL_OK);
    assert_false(((Nhanluc__V1__CreateTermResponse *)r.resp)->created);
    call_done(&r);
    create_term("2020-2025", NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL, 0, 0, &r);
    expect_error(&r, NL_ALREADY_EXISTS, "term.code:");

    create_term("2021-2026", NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL, 2021, 0, &r);
    assert_int_equal(r.status, NL_OK);
    call_done(&r);
    create_term("2015-2020", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 0, 2020, &r);
    assert_int_equal(r.status, NL_OK);
    call_done(&r);

    static const struct {
        const char *code;
        int kind, start, end;
        const char *msg;
    } cases[] = {
        {"2020-25", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"2020_2025", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"20a0-2025", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"2020-20250", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"1900-1905", 1, 0, 0, "term.code: years must be"},
        {"2100-2105", 1, 0, 0, "term.code: years must be"},
        {"2025-2020", 1, 0, 0, "term.code: years must be"},
        {"2025-2025", 1, 0, 0, "term.code: years must be"},
        {"2025-2030", 0, 0, 0, "term.kind: unknown kind"},
        {"2025-2030", 3, 0, 0, "term.kind: unknown kind"},
        {"2025-2030", 1, 2024, 0, "term.start_year: must match term.code"},
        {"2025-2030", 1, -2025, 0, "term.start_year: must match term.code"},
        {"2025-2030", 1, 2025, 2031, "term.end_year: must match term.code"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        create_term(cases[i].code, cases[i].kind, cases[i].start, cases[i].end, &r);
        expect_error(&r, NL_INVALID_ARGUMENT, cases[i].msg);
    }
    Nhanluc__V1__CreateTermRequest empty;
    nhanluc__v1__create_term_request__init(&empty);
    call("/nhanluc.v1.Registry/CreateTerm", &empty.base, &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "term: required");

    /* The edges of the range are accepted. */
    create_term("1945-1950", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 0, 0, &r);
    assert_int_equal(r.status, NL_OK);
    call_done(&r);

    list_terms(0, &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ListTermsResponse *lr = (Nhanluc__V1__ListTermsResponse *)r.resp;
    static const char *const order[] = {"1945-1950", "2015-2020", "2020-2025", "2021-2026"};
    assert_int_equal(lr->n_terms, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(lr->terms[i]->code, order[i]);
    assert_int_equal(lr->terms[3]->kind, NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL);
    assert_int_equal(lr->terms[3]->start_year, 2021);
    assert_int_equal(lr->terms[3]->end_year, 2026);
    call_done(&r);

    list_terms(NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL, &r);
    assert_int_equal(r.status, NL_OK);
    lr = (Nhanluc__V1__ListTermsResponse *)r.resp;
    assert_int_equal(lr->n_terms, 1);
    assert_string_equal(lr->terms[0]->code, "2021-2026");
    call_done(&r);

    list_terms(7, &r);
    expect_error(&r, NL_INVALID_ARGUMENT, "kind: unknown kind");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_table),
        cmocka_unit_test_setup_teardown(test_create_unit_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nfc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_and_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_unit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terms, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
