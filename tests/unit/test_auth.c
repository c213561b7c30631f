/*
 * test_auth.c - authentication and role rules (issue 5): the role rule of
 * every method row against an expectation written from the rules (not from
 * the flags), default deny, the per-address lockout with an injected clock,
 * the Bearer header parse, and nl_job_run's verification of stored tokens
 * (wrong secret, revoked, expired, certificate of another unit) with the
 * identity it hands to handlers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/auth.h"
#include "../../server/job.h"
#include "../../server/method.h"
#include "../../server/store.h"
#include "../../server/store_tokens.h"
#include "../../server/token.h"
#include "../support/store_fixture.h"
#include "nhanluc/v1/registry.pb-c.h"

/* --- the rule of every row --- */

struct table {
    const struct nl_method *rows;
    const size_t *count;
};

static const struct table tables[] = {
    {nl_svc_health_methods, &nl_svc_health_method_count},
    {nl_svc_registry_methods, &nl_svc_registry_method_count},
    {nl_svc_records_methods, &nl_svc_records_method_count},
    {nl_svc_indicators_methods, &nl_svc_indicators_method_count},
    {nl_svc_admin_methods, &nl_svc_admin_method_count},
};

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A write by the method's name: what the rules below talk about. */
static int is_write(const char *path)
{
    static const char *const verbs[] = {"Create", "Upsert",  "Set",    "Delete", "Record", "Submit",
                                        "Cancel", "Approve", "Return", "Import", "Revoke"};
    const char *name = strrchr(path, '/') + 1;

    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (starts(name, verbs[i]))
            return 1;
    return 0;
}

/*
 * The rules, from the path alone: Health/Check public; Admin admin only;
 * admin everything; central every read, ApproveReport/ReturnReport, and the
 * target writes only when granted; district every read and the Records
 * writes other than approving or returning reports.
 */
static int expect_allowed(const char *path, int role, int grant)
{
    int write = is_write(path);
    int targets = strcmp(path, "/nhanluc.v1.Indicators/SetTarget") == 0 ||
                  strcmp(path, "/nhanluc.v1.Indicators/DeleteTarget") == 0;
    int review = strcmp(path, "/nhanluc.v1.Records/ApproveReport") == 0 ||
                 strcmp(path, "/nhanluc.v1.Records/ReturnReport") == 0;

    if (strcmp(path, "/grpc.health.v1.Health/Check") == 0)
        return 1;
    if (role == NL_ROLE_ADMIN)
        return 1;
    if (role == NL_ROLE_NONE || starts(path, "/nhanluc.v1.Admin/"))
        return 0;
    if (!write)
        return 1;
    if (role == NL_ROLE_CENTRAL)
        return review || (targets && grant);
    return starts(path, "/nhanluc.v1.Records/") && !review;
}

static void test_every_row_has_the_expected_rule(void **state)
{
    static const int roles[] = {NL_ROLE_NONE, NL_ROLE_ADMIN, NL_ROLE_CENTRAL, NL_ROLE_DISTRICT};
    size_t rows = 0, public_rows = 0;

    (void)state;
    assert_int_equal(nl_method_table_check(), 0);
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (size_t i = 0; i < *tables[t].count; i++) {
            const struct nl_method *m = &tables[t].rows[i];
            rows++;
            assert_int_not_equal(m->flags & NL_M_RULE, 0);
            public_rows += (m->flags & NL_M_PUBLIC) != 0;
            for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
                for (int grant = 0; grant <= 1; grant++) {
                    struct nl_identity who = {.role = roles[r], .may_write_targets = grant};
                    int got = nl_method_allows(m, &who);
                    if (got != expect_allowed(m->path, roles[r], grant))
                        fail_msg("%s: role %d grant %d: allowed %d", m->path, roles[r], grant, got);
                }
            }
        }
    }
    assert_true(rows > 40);
    assert_int_equal(public_rows, 1);
}

static void test_a_row_without_a_rule_is_denied(void **state)
{
    const struct nl_method *real = nl_method_find("/nhanluc.v1.Registry/GetUnit", 28);
    struct nl_method m;

    (void)state;
    assert_non_null(real);
    m = *real;
    m.flags = NL_M_READ;
    for (int role = 0; role <= 4; role++) {
        struct nl_identity who = {.role = role, .may_write_targets = 1};
        assert_int_equal(nl_method_allows(&m, &who), 0);
    }
    m.flags = NL_M_READ | NL_M_TARGETS; /* a grant alone lets central in, nobody else */
    struct nl_identity admin = {.role = NL_ROLE_ADMIN};
    assert_int_equal(nl_method_allows(&m, &admin), 0);
}

/* --- lockout --- */

static void test_lockout_after_ten_failures(void **state)
{
    struct nl_lockout *l = calloc(1, sizeof(*l));
    const uint64_t t0 = 1000000;

    (void)state;
    assert_non_null(l);
    for (int i = 1; i < NL_LOCKOUT_FAILURES; i++) {
        assert_int_equal(nl_lockout_fail(l, "10.0.0.1", t0 + (uint64_t)i * 1000), 0);
        assert_int_equal(nl_lockout_remaining(l, "10.0.0.1", t0 + (uint64_t)i * 1000), 0);
    }
    assert_int_equal(nl_lockout_fail(l, "10.0.0.1", t0 + 20000), 1);
    assert_int_equal(nl_lockout_remaining(l, "10.0.0.1", t0 + 20000), NL_LOCKOUT_MS);
    assert_int_equal(nl_lockout_remaining(l, "10.0.0.2", t0 + 20000), 0);
    /* Failures while locked do not extend it. */
    assert_int_equal(nl_lockout_fail(l, "10.0.0.1", t0 + 30000), 0);
    assert_int_equal(nl_lockout_remaining(l, "10.0.0.1", t0 + 20000 + NL_LOCKOUT_MS - 1), 1);
    assert_int_equal(nl_lockout_remaining(l, "10.0.0.1", t0 + 20000 + NL_LOCKOUT_MS), 0);
    /* After the lockout the count starts again. */
    uint64_t t1 = t0 + 20000 + NL_LOCKOUT_MS;
    for (int i = 1; i < NL_LOCKOUT_FAILURES; i++)
        assert_int_equal(nl_lockout_fail(l, "10.0.0.1", t1 + (uint64_t)i), 0);
    assert_int_equal(nl_lockout_remaining(l, "10.0.0.1", t1 + 100), 0);
    assert_int_equal(nl_lockout_fail(l, "10.0.0.1", t1 + 100), 1);
    free(l);
}

static void test_lockout_window_is_five_minutes(void **state)
{
    struct nl_lockout *l = calloc(1, sizeof(*l));
    const uint64_t t0 = 5000;

    (void)state;
    assert_non_null(l);
    for (int i = 0; i < NL_LOCKOUT_FAILURES - 1; i++)
        assert_int_equal(nl_lockout_fail(l, "::1", t0 + (uint64_t)i), 0);
    /* The window closed: these start a new one and do not reach ten. */
    for (int i = 0; i < NL_LOCKOUT_FAILURES - 1; i++)
        assert_int_equal(nl_lockout_fail(l, "::1", t0 + NL_LOCKOUT_WINDOW_MS + (uint64_t)i), 0);
    assert_int_equal(nl_lockout_remaining(l, "::1", t0 + NL_LOCKOUT_WINDOW_MS + 100), 0);
    assert_int_equal(nl_lockout_fail(l, "::1", t0 + NL_LOCKOUT_WINDOW_MS + 200), 1);
    free(l);
}

static void test_lockout_memory_is_bounded(void **state)
{
    struct nl_lockout *l = calloc(1, sizeof(*l));
    char addr[NL_LOCKOUT_ADDR_LEN];
    uint64_t now = 1;

    (void)state;
    assert_non_null(l);
    for (int i = 0; i < NL_LOCKOUT_FAILURES; i++)
        (void)nl_lockout_fail(l, "192.0.2.7", now++);
    assert_true(nl_lockout_remaining(l, "192.0.2.7", now) > 0);
    /* A flood of other addresses fills the table and evicts, never grows it. */
    for (int i = 0; i < 3 * NL_LOCKOUT_SLOTS; i++) {
        (void)snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        (void)nl_lockout_fail(l, addr, now++);
        assert_true(l->n <= NL_LOCKOUT_SLOTS);
    }
    assert_int_equal(l->n, NL_LOCKOUT_SLOTS);
    /* The locked address was kept: unlocked slots go first. */
    assert_true(nl_lockout_remaining(l, "192.0.2.7", now) > 0);
    free(l);
}

static void test_lockout_addr(void **state)
{
    char a[NL_LOCKOUT_ADDR_LEN];

    (void)state;
    nl_lockout_addr("127.0.0.1:50123", a, sizeof(a));
    assert_string_equal(a, "127.0.0.1");
    nl_lockout_addr("::1:443", a, sizeof(a));
    assert_string_equal(a, "::1");
    nl_lockout_addr("memory", a, sizeof(a));
    assert_string_equal(a, "memory");
}

/* --- the header --- */

static void test_bearer_parse(void **state)
{
    struct nl_token t, made;
    char text[NL_TOKEN_TEXT_LEN + 1], hdr[128];

    (void)state;
    assert_int_equal(nl_token_generate(&made), 0);
    assert_int_equal(nl_token_format(&made, text, sizeof(text)), 0);

    (void)snprintf(hdr, sizeof(hdr), "Bearer %s", text);
    assert_int_equal(nl_auth_bearer_parse(hdr, strlen(hdr), &t), NL_AUTH_HDR_OK);
    assert_string_equal(t.id, made.id);
    assert_memory_equal(t.secret, made.secret, sizeof(t.secret));
    (void)snprintf(hdr, sizeof(hdr), "bearer   %s", text);
    assert_int_equal(nl_auth_bearer_parse(hdr, strlen(hdr), &t), NL_AUTH_HDR_OK);

    static const char *const bad[] = {"",          "Bearer",      "Bearer ",
                                      "Basic abc", "Bearerx nl_", "Bearer nl_0123456789ab_short"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(nl_auth_bearer_parse(bad[i], strlen(bad[i]), &t), NL_AUTH_HDR_BAD);
    (void)snprintf(hdr, sizeof(hdr), "Bearer %s ", text); /* trailing byte */
    assert_int_equal(nl_auth_bearer_parse(hdr, strlen(hdr), &t), NL_AUTH_HDR_BAD);
    (void)snprintf(hdr, sizeof(hdr), "Bearer%s", text); /* no space */
    assert_int_equal(nl_auth_bearer_parse(hdr, strlen(hdr), &t), NL_AUTH_HDR_BAD);
    nl_token_wipe(&made);
    nl_token_wipe_text(text, sizeof(text));
}

#ifdef NL_TEST_HOOKS
/* --- nl_job_run with authentication --- */

static struct sf_db *g;

static const char SEED[] = "INSERT INTO unit(id, code) VALUES (1, 'hn'), (2, 'd1'), (3, 'd2');"
                           "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from)"
                           " VALUES (1, 'Ha Noi', 1, NULL, '0001-01-01'),"
                           " (2, 'Quan Mot', 2, 1, '0001-01-01'),"
                           " (3, 'Quan Hai', 2, 1, '0001-01-01');";

static int setup(void **state)
{
    return sf_setup_sql(state, "auth", &g, SEED);
}

/* Creates a credential; its text in text[NL_TOKEN_TEXT_LEN + 1]. */
static void make_token(int role, const char *unit, char *text)
{
    struct nl_token_req req = {role, unit, "test", 0, 0};
    struct nl_arena a;
    char msg[256];

    nl_arena_init(&a, 1u << 20);
    sf_write_begin(g->rw);
    enum nl_status st =
        nl_store_token_create(g->rw, &req, text, NL_TOKEN_TEXT_LEN + 1, NULL, msg, sizeof(msg), &a);
    sf_write_end(g->rw, st);
    assert_int_equal(st, NL_OK);
    nl_arena_release(&a);
}

/* What one authenticated call came to. */
struct outcome {
    enum nl_status status;
    char msg[256];
    int auth_failed;
    struct nl_identity who;
};

/* Runs `path` with an empty request and token `text`, as dispatch hands it over. */
static struct outcome call_as(const char *path, const char *text, const char *cert_unit)
{
    const struct nl_method *m = nl_method_find(path, strlen(path));
    struct outcome o;
    struct nl_job *job;
    char hdr[128];

    assert_non_null(m);
    job = nl_job_new(m, NULL, 0, 0);
    assert_non_null(job);
    job->auth = 1;
    (void)snprintf(hdr, sizeof(hdr), "Bearer %s", text);
    assert_int_equal(nl_auth_bearer_parse(hdr, strlen(hdr), &job->token), NL_AUTH_HDR_OK);
    (void)snprintf(job->cert_unit, sizeof(job->cert_unit), "%s", cert_unit);
    if (m->flags & NL_M_WRITE) {
        sf_write_begin(g->rw);
        nl_job_run(job, g->rw);
        sf_write_end(g->rw, job->status);
    } else {
        assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
        nl_job_run(job, g->ro);
        assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    }
    o.status = job->status;
    (void)snprintf(o.msg, sizeof(o.msg), "%s", job->msg);
    o.auth_failed = job->auth_failed;
    o.who = job->who;
    /* The secret does not outlive the check. */
    static const unsigned char zero[NL_TOKEN_SECRET_BYTES];
    assert_memory_equal(job->token.secret, zero, sizeof(zero));
    nl_job_free(job);
    return o;
}

static void test_roles_through_job_run(void **state)
{
    char admin[NL_TOKEN_TEXT_LEN + 1], central[NL_TOKEN_TEXT_LEN + 1];
    char district[NL_TOKEN_TEXT_LEN + 1];
    struct outcome o;

    (void)state;
    make_token(NL_ROLE_ADMIN, NULL, admin);
    make_token(NL_ROLE_CENTRAL, NULL, central);
    make_token(NL_ROLE_DISTRICT, "d1", district);

    o = call_as("/nhanluc.v1.Registry/ListUnits", admin, "");
    assert_int_equal(o.status, NL_OK);
    assert_int_equal(o.who.role, NL_ROLE_ADMIN);
    assert_int_equal(strlen(o.who.token_id), NL_TOKEN_ID_LEN);
    assert_memory_equal(o.who.token_id, admin + 3, NL_TOKEN_ID_LEN);

    o = call_as("/nhanluc.v1.Registry/ListUnits", district, "");
    assert_int_equal(o.status, NL_OK);
    assert_int_equal(o.who.role, NL_ROLE_DISTRICT);
    assert_int_equal(o.who.unit_id, 2);

    o = call_as("/nhanluc.v1.Admin/ListTokens", admin, "");
    assert_int_equal(o.status, NL_OK);
    o = call_as("/nhanluc.v1.Admin/ListTokens", district, "");
    assert_int_equal(o.status, NL_PERMISSION_DENIED);
    assert_int_equal(o.auth_failed, 0);
    assert_string_equal(o.msg, "the district role may not call this method");
    o = call_as("/nhanluc.v1.Registry/CreateUnit", central, "");
    assert_int_equal(o.status, NL_PERMISSION_DENIED);
    o = call_as("/nhanluc.v1.Indicators/SetTarget", central, "");
    assert_int_equal(o.status, NL_PERMISSION_DENIED);
    /* Allowed, then refused by the handler for the empty request: not an auth code. */
    o = call_as("/nhanluc.v1.Records/UpsertCadre", district, "");
    assert_int_not_equal(o.status, NL_PERMISSION_DENIED);
    assert_int_not_equal(o.status, NL_UNAUTHENTICATED);
}

static void test_refused_tokens(void **state)
{
    char admin[NL_TOKEN_TEXT_LEN + 1], district[NL_TOKEN_TEXT_LEN + 1];
    char wrong[NL_TOKEN_TEXT_LEN + 1], sqltext[128], id[NL_TOKEN_ID_LEN + 1];
    struct outcome o;
    int revoked = 0;

    (void)state;
    make_token(NL_ROLE_ADMIN, NULL, admin);
    make_token(NL_ROLE_DISTRICT, "d1", district);

    /* Wrong secret: the last character changed within the alphabet, low bits kept zero. */
    memcpy(wrong, admin, sizeof(wrong));
    wrong[NL_TOKEN_TEXT_LEN - 2] = wrong[NL_TOKEN_TEXT_LEN - 2] == 'A' ? 'B' : 'A';
    o = call_as("/nhanluc.v1.Registry/ListUnits", wrong, "");
    assert_int_equal(o.status, NL_UNAUTHENTICATED);
    assert_int_equal(o.auth_failed, 1);
    assert_null(strstr(o.msg, "nl_"));

    /* Unknown id. */
    memcpy(wrong, admin, sizeof(wrong));
    wrong[3] = wrong[3] == '0' ? '1' : '0';
    o = call_as("/nhanluc.v1.Registry/ListUnits", wrong, "");
    assert_int_equal(o.status, NL_UNAUTHENTICATED);

    /* Certificate of another unit, then of the token's own unit. */
    o = call_as("/nhanluc.v1.Registry/ListUnits", district, "d2");
    assert_int_equal(o.status, NL_UNAUTHENTICATED);
    assert_int_equal(o.auth_failed, 1);
    assert_string_equal(o.msg, "certificate and token name different units");
    o = call_as("/nhanluc.v1.Registry/ListUnits", district, "d1");
    assert_int_equal(o.status, NL_OK);
    o = call_as("/nhanluc.v1.Registry/ListUnits", admin, "d2"); /* only district tokens bind */
    assert_int_equal(o.status, NL_OK);

    /* Expired. */
    memcpy(id, district + 3, NL_TOKEN_ID_LEN);
    id[NL_TOKEN_ID_LEN] = '\0';
    (void)snprintf(sqltext, sizeof(sqltext),
                   "UPDATE auth_token SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = '%s'",
                   id);
    sf_sql(g->rw, sqltext);
    /* The read connection has the credential cached from the calls above: still valid. */
    o = call_as("/nhanluc.v1.Registry/ListUnits", district, "");
    assert_int_equal(o.status, NL_OK);
    /* A change outside nl_store_token_revoke is seen once the caches are told (or after
     * NL_TOKEN_CACHE_TTL_MS). */
    nl_store_tokens_changed();
    o = call_as("/nhanluc.v1.Registry/ListUnits", district, "");
    assert_int_equal(o.status, NL_UNAUTHENTICATED);

    /* Revoked: the admin token is cached on the read connection; the revocation
     * makes the next call re-read it. */
    memcpy(id, admin + 3, NL_TOKEN_ID_LEN);
    sf_write_begin(g->rw);
    assert_int_equal(nl_store_token_revoke(g->rw, id, &revoked), NL_OK);
    sf_write_end(g->rw, NL_OK);
    assert_int_equal(revoked, 1);
    o = call_as("/nhanluc.v1.Registry/ListUnits", admin, "");
    assert_int_equal(o.status, NL_UNAUTHENTICATED);
    assert_int_equal(o.auth_failed, 1);
}

static void test_auth_off_runs_with_no_role(void **state)
{
    const struct nl_method *m = nl_method_find("/nhanluc.v1.Registry/ListUnits", 30);
    struct nl_job *job;

    (void)state;
    assert_non_null(m);
    job = nl_job_new(m, NULL, 0, 0);
    assert_non_null(job);
    assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
    nl_job_run(job, g->ro);
    assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    assert_int_equal(job->status, NL_OK);
    assert_int_equal(job->who.role, NL_ROLE_NONE);
    nl_job_free(job);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_has_the_expected_rule),
        cmocka_unit_test(test_a_row_without_a_rule_is_denied),
        cmocka_unit_test(test_lockout_after_ten_failures),
        cmocka_unit_test(test_lockout_window_is_five_minutes),
        cmocka_unit_test(test_lockout_memory_is_bounded),
        cmocka_unit_test(test_lockout_addr),
        cmocka_unit_test(test_bearer_parse),
#ifdef NL_TEST_HOOKS
        cmocka_unit_test_setup_teardown(test_roles_through_job_run, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_refused_tokens, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_auth_off_runs_with_no_role, setup, sf_teardown),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
