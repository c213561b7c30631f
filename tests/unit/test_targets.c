/*
 * test_targets.c - the indicator targets: the store of store_targets.h (set,
 * replay, update, delete, list, and the lookup the indicator engine makes,
 * with its precedence: the unit's own target wins over the one naming no
 * unit, and a unit's target never passes to the units under it), and the
 * SetTarget / ListTargets / DeleteTarget handlers called the way the server
 * calls them (nl_job_run on a store, the packed response read back): value
 * normalisation, replays, and every refusal with its field path and nothing
 * written.
 *
 * Units and terms are inserted with raw SQL through the test-only store
 * hooks. The five targets that migration 5 seeds (DOMAIN.md 4, term
 * 2015-2020, no unit) are part of every fresh store and are checked too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/store_targets.h"
#include "../support/store_fixture.h"
#include "method.h"
#include "nhanluc/v1/indicators.pb-c.h"
#include "store.h"

#define SENTINEL "2000-01-01T00:00:00.000Z"
#define SEEDED   5

static struct sf_db *g; /* the current fixture */

/*
 * The tree: city hn; district d1 under it; ward w1 under d1; district d2.
 * Terms 2015-2020 and 2020-2025.
 */
static const char SEED[] =
    "INSERT INTO unit(id, code) VALUES (1, 'hn'), (2, 'd1'), (3, 'w1'), (4, 'd2');"
    "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to) VALUES"
    " (1, 'Hà Nội', 1, NULL, '0001-01-01', NULL),"
    " (2, 'Quận Một', 2, 1, '0001-01-01', NULL),"
    " (3, 'Phường Một', 6, 2, '0001-01-01', NULL),"
    " (4, 'Quận Hai', 2, 1, '0001-01-01', NULL);"
    "INSERT INTO term(code, kind, start_year, end_year) VALUES"
    " ('2015-2020', 1, 2015, 2020), ('2020-2025', 1, 2020, 2025);";

static int setup(void **state)
{
    return sf_setup_sql(state, "targets", &g, SEED);
}

#define sql(text)      sf_sql(g->rw, (text))
#define sql_text(text) sf_sql_text(g->rw, (text))
#define sql_long(text) sf_sql_long(g->rw, (text))

static long target_count(void)
{
    return sql_long("SELECT count(*) FROM target");
}

/* --- the store --- */

/* One store set in its own write job; *created / *changed as the store says. */
static enum nl_status set(const char *ind, const char *op, const char *value, const char *unit,
                          const char *term, int *created, int *changed, char *msg, size_t msglen)
{
    struct nl_target_rec t = {ind, op, value, unit, term};
    enum nl_status res;

    sf_write_begin(g->rw);
    res = nl_store_target_set(g->rw, &t, created, changed, msg, msglen);
    sf_write_end(g->rw, res);
    return res;
}

/* A set that must succeed with the given created / changed. */
static void set_ok(const char *ind, const char *op, const char *value, const char *unit,
                   const char *term, int want_created, int want_changed)
{
    int created = -1, changed = -1;
    char msg[256];

    assert_int_equal(set(ind, op, value, unit, term, &created, &changed, msg, sizeof(msg)), NL_OK);
    assert_int_equal(created, want_created);
    assert_int_equal(changed, want_changed);
}

static int del(const char *ind, const char *unit, const char *term)
{
    int deleted = -1;
    enum nl_status res;

    sf_write_begin(g->rw);
    res = nl_store_target_delete(g->rw, ind, unit, term, &deleted);
    sf_write_end(g->rw, res);
    assert_int_equal(res, NL_OK);
    return deleted;
}

/* The lookup on the read-only connection in a read transaction; 0 when none applies. */
static int find(const char *ind, const char *unit, const char *term, struct nl_target_rec *out,
                struct nl_arena *a)
{
    int found = -1;

    assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
    assert_int_equal(nl_store_target_find(g->ro, ind, unit, term, out, &found, a), NL_OK);
    assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    assert_true(found == 0 || found == 1);
    return found;
}

static size_t list(const char *ind, const char *term, struct nl_target_rec **rows,
                   struct nl_arena *a)
{
    size_t n = 0;

    assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
    assert_int_equal(nl_store_target_list(g->ro, ind, term, rows, &n, a), NL_OK);
    assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    return n;
}

/* nl_store_target_list_scoped for term 2020-2025: the unit codes listed, comma-separated. */
static const char *scoped_units(int64_t scope, char *out, size_t outlen)
{
    struct nl_target_rec *rows = NULL;
    struct nl_arena a;
    size_t n = 0, len = 0;

    nl_arena_init(&a, 1u << 16);
    assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
    assert_int_equal(nl_store_target_list_scoped(g->ro, "", "2020-2025", scope, &rows, &n, &a),
                     NL_OK);
    assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(out + len, outlen - len, "%s%s", i ? "," : "",
                         rows[i].unit[0] ? rows[i].unit : "-");
        assert_true(w > 0 && (size_t)w < outlen - len);
        len += (size_t)w;
    }
    nl_arena_release(&a);
    return out;
}

static void assert_target(const struct nl_target_rec *t, const char *ind, const char *op,
                          const char *value, const char *unit, const char *term)
{
    assert_string_equal(t->indicator, ind);
    assert_string_equal(t->op, op);
    assert_string_equal(t->value, value);
    assert_string_equal(t->unit, unit);
    assert_string_equal(t->term, term);
}

/* The article's five targets are in a fresh store, in list order. */
static void test_seeded_targets(void **state)
{
    (void)state;
    struct nl_arena a;
    struct nl_target_rec *rows = NULL;

    nl_arena_init(&a, 0);
    assert_int_equal(list("", "", &rows, &a), SEEDED);
    assert_target(&rows[0], "advanced_theory_share", "=", "100", "", "2015-2020");
    assert_target(&rows[1], "key_commune_theory_share", "=", "100", "", "2015-2020");
    assert_target(&rows[2], "key_commune_university_share", ">", "80", "", "2015-2020");
    assert_target(&rows[3], "key_ward_university_share", "=", "100", "", "2015-2020");
    assert_target(&rows[4], "postgraduate_share", ">=", "35", "", "2015-2020");
    nl_arena_release(&a);
}

static void test_set_replay_update(void **state)
{
    (void)state;
    struct nl_arena a;
    struct nl_target_rec t;

    nl_arena_init(&a, 0);
    /* New key. */
    set_ok("postgraduate_share", ">=", "40", "d1", "2015-2020", 1, 1);
    assert_int_equal(target_count(), SEEDED + 1);
    sql("UPDATE target SET updated_at = '" SENTINEL "'");

    /* The same again: nothing written, not even updated_at. */
    set_ok("postgraduate_share", ">=", "40", "d1", "2015-2020", 0, 0);
    assert_int_equal(target_count(), SEEDED + 1);
    assert_int_equal(sql_long("SELECT count(*) FROM target WHERE updated_at <> '" SENTINEL "'"), 0);
    /* A seeded target replayed is unchanged too. */
    set_ok("postgraduate_share", ">=", "35", "", "2015-2020", 0, 0);

    /* Another op, then another value: an update of the same row. */
    set_ok("postgraduate_share", ">", "40", "d1", "2015-2020", 0, 1);
    set_ok("postgraduate_share", ">", "45.5", "d1", "2015-2020", 0, 1);
    assert_int_equal(target_count(), SEEDED + 1);
    assert_string_equal(sql_text("SELECT op || ' ' || value FROM target WHERE unit_id = 2"),
                        "> 45.5");
    assert_int_equal(sql_long("SELECT count(*) FROM target WHERE updated_at <> '" SENTINEL "'"), 1);
    assert_true(find("postgraduate_share", "d1", "2015-2020", &t, &a));
    assert_target(&t, "postgraduate_share", ">", "45.5", "d1", "2015-2020");

    /* The same indicator and unit for another term is another key. */
    set_ok("postgraduate_share", ">=", "50", "d1", "2020-2025", 1, 1);
    /* A unit-less target for a term without one: another key, not the seeded row. */
    set_ok("postgraduate_share", ">=", "45", "", "2020-2025", 1, 1);
    assert_int_equal(target_count(), SEEDED + 3);
    assert_string_equal(sql_text("SELECT value FROM target WHERE indicator = 'postgraduate_share'"
                                 " AND term_code = '2015-2020' AND unit_id IS NULL"),
                        "35");
    nl_arena_release(&a);
}

static void test_set_refused(void **state)
{
    (void)state;
    int created = -1, changed = -1;
    char msg[256];

    assert_int_equal(set("postgraduate_share", ">=", "40", "nowhere", "2015-2020", &created,
                         &changed, msg, sizeof(msg)),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "target.unit: no such unit");
    assert_int_equal(set("postgraduate_share", ">=", "40", "d1", "2030-2035", &created, &changed,
                         msg, sizeof(msg)),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "target.term: no such term");
    /* The seeded key with an unknown term would be refused too: terms must exist. */
    assert_int_equal(target_count(), SEEDED);
    assert_int_equal(created, 0);
    assert_int_equal(changed, 0);
}

/* DOMAIN.md 4: the unit's own target wins; a target never passes to units under its unit. */
static void test_find_precedence(void **state)
{
    (void)state;
    struct nl_arena a;
    struct nl_target_rec t;

    nl_arena_init(&a, 0);
    set_ok("postgraduate_share", ">", "40", "d1", "2015-2020", 1, 1);

    /* d1 names its own target: it wins over the city-wide seeded one. */
    assert_true(find("postgraduate_share", "d1", "2015-2020", &t, &a));
    assert_target(&t, "postgraduate_share", ">", "40", "d1", "2015-2020");
    /* w1 is under d1: d1's target does not pass down; the unit-less one applies. */
    assert_true(find("postgraduate_share", "w1", "2015-2020", &t, &a));
    assert_target(&t, "postgraduate_share", ">=", "35", "", "2015-2020");
    /* Nor up, nor sideways. */
    assert_true(find("postgraduate_share", "hn", "2015-2020", &t, &a));
    assert_string_equal(t.unit, "");
    assert_true(find("postgraduate_share", "d2", "2015-2020", &t, &a));
    assert_string_equal(t.unit, "");
    /* No unit asked: the unit-less target. */
    assert_true(find("postgraduate_share", "", "2015-2020", &t, &a));
    assert_target(&t, "postgraduate_share", ">=", "35", "", "2015-2020");
    /* Another term, another indicator: none applies. */
    assert_false(find("postgraduate_share", "d1", "2020-2025", &t, &a));
    assert_false(find("committee_women_share", "d1", "2015-2020", &t, &a));

    /* Without the unit-less target, w1 has none, while d1 keeps its own. */
    assert_int_equal(del("postgraduate_share", "", "2015-2020"), 1);
    assert_false(find("postgraduate_share", "w1", "2015-2020", &t, &a));
    assert_false(find("postgraduate_share", "", "2015-2020", &t, &a));
    assert_true(find("postgraduate_share", "d1", "2015-2020", &t, &a));
    assert_string_equal(t.value, "40");

    /* A target naming only a unit, for a term without a unit-less one. */
    set_ok("classes", ">=", "100", "w1", "2020-2025", 1, 1);
    assert_true(find("classes", "w1", "2020-2025", &t, &a));
    assert_target(&t, "classes", ">=", "100", "w1", "2020-2025");
    assert_false(find("classes", "d1", "2020-2025", &t, &a));
    nl_arena_release(&a);
}

static void test_delete(void **state)
{
    (void)state;
    set_ok("postgraduate_share", ">", "40", "d1", "2015-2020", 1, 1);

    /* The unit-less key and the unit's key are different rows. */
    assert_int_equal(del("postgraduate_share", "d1", "2015-2020"), 1);
    assert_int_equal(target_count(), SEEDED);
    assert_int_equal(sql_long("SELECT count(*) FROM target WHERE indicator = "
                              "'postgraduate_share' AND unit_id IS NULL"),
                     1);
    /* Absent: deleted 0, not an error, nothing else touched. */
    assert_int_equal(del("postgraduate_share", "d1", "2015-2020"), 0);
    assert_int_equal(del("postgraduate_share", "nowhere", "2015-2020"), 0);
    assert_int_equal(del("postgraduate_share", "", "2020-2025"), 0);
    assert_int_equal(target_count(), SEEDED);
    assert_int_equal(del("postgraduate_share", "", "2015-2020"), 1);
    assert_int_equal(target_count(), SEEDED - 1);
    /* Set again after a delete: created. */
    set_ok("postgraduate_share", ">=", "35", "", "2015-2020", 1, 1);
}

static void test_list_filters_and_order(void **state)
{
    (void)state;
    struct nl_arena a;
    struct nl_target_rec *rows = NULL;

    nl_arena_init(&a, 0);
    set_ok("postgraduate_share", ">", "40", "w1", "2015-2020", 1, 1);
    set_ok("postgraduate_share", ">", "41", "d1", "2015-2020", 1, 1);
    set_ok("postgraduate_share", ">=", "50", "", "2020-2025", 1, 1);
    set_ok("classes", ">=", "10", "d2", "2020-2025", 1, 1);

    /* One indicator: by term, then unit with "" first. */
    assert_int_equal(list("postgraduate_share", "", &rows, &a), 4);
    assert_target(&rows[0], "postgraduate_share", ">=", "35", "", "2015-2020");
    assert_target(&rows[1], "postgraduate_share", ">", "41", "d1", "2015-2020");
    assert_target(&rows[2], "postgraduate_share", ">", "40", "w1", "2015-2020");
    assert_target(&rows[3], "postgraduate_share", ">=", "50", "", "2020-2025");
    /* One term. */
    assert_int_equal(list("", "2020-2025", &rows, &a), 2);
    assert_target(&rows[0], "classes", ">=", "10", "d2", "2020-2025");
    assert_target(&rows[1], "postgraduate_share", ">=", "50", "", "2020-2025");
    /* Both. */
    assert_int_equal(list("postgraduate_share", "2020-2025", &rows, &a), 1);
    /* Nothing matches. */
    assert_int_equal(list("classes", "2015-2020", &rows, &a), 0);
    assert_int_equal(list("", "", &rows, &a), SEEDED + 4);
    nl_arena_release(&a);
}

/* --- the handlers --- */

struct set_req {
    Nhanluc__V1__SetTargetRequest req;
    Nhanluc__V1__Target t;
};

static struct set_req *set_new(const char *ind, const char *op, const char *value, const char *unit,
                               const char *term)
{
    static struct set_req u;

    nhanluc__v1__set_target_request__init(&u.req);
    nhanluc__v1__target__init(&u.t);
    u.t.indicator = sf_unconst(ind);
    u.t.op = sf_unconst(op);
    u.t.value = sf_unconst(value);
    u.t.unit = sf_unconst(unit);
    u.t.term = sf_unconst(term);
    u.req.target = &u.t;
    return &u;
}

/* SetTarget that must succeed: the stored value and created / changed. */
static void rpc_set_ok(struct set_req *u, const char *want_value, int created, int changed)
{
    struct sf_result r;

    sf_call(g, "/nhanluc.v1.Indicators/SetTarget", &u->req.base, &r);
    assert_int_equal(r.status, NL_OK);
    const Nhanluc__V1__SetTargetResponse *resp = (const Nhanluc__V1__SetTargetResponse *)r.resp;
    assert_non_null(resp->target);
    assert_string_equal(resp->target->indicator, u->t.indicator);
    assert_string_equal(resp->target->op, u->t.op);
    assert_string_equal(resp->target->value, want_value);
    assert_string_equal(resp->target->unit, u->t.unit);
    assert_string_equal(resp->target->term, u->t.term);
    assert_int_equal(resp->created, created);
    assert_int_equal(resp->changed, changed);
    sf_call_done(&r);
}

/* SetTarget that must be refused with INVALID_ARGUMENT starting `prefix`, writing nothing. */
static void rpc_set_refused(struct set_req *u, const char *prefix)
{
    struct sf_result r;
    long before = target_count();

    sf_call(g, "/nhanluc.v1.Indicators/SetTarget", &u->req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, prefix);
    sf_call_done(&r);
    assert_int_equal(target_count(), before);
}

static void test_rpc_set_normalises(void **state)
{
    (void)state;
    /* The seeded 35 written as 35.0 and 035: a replay. */
    rpc_set_ok(set_new("postgraduate_share", ">=", "35.0", "", "2015-2020"), "35", 0, 0);
    rpc_set_ok(set_new("postgraduate_share", ">=", "035", "", "2015-2020"), "35", 0, 0);
    /* Leading and trailing zeros go; the decimals stay. */
    rpc_set_ok(set_new("postgraduate_share", ">=", "080.500", "d1", "2015-2020"), "80.5", 1, 1);
    assert_string_equal(sql_text("SELECT value FROM target WHERE unit_id = 2"), "80.5");
    rpc_set_ok(set_new("postgraduate_share", ">=", "80.5", "d1", "2015-2020"), "80.5", 0, 0);
    rpc_set_ok(set_new("postgraduate_share", "<", "80.5", "d1", "2015-2020"), "80.5", 0, 1);
    rpc_set_ok(set_new("postgraduate_share", "<", "0.000001", "w1", "2015-2020"), "0.000001", 1, 1);
    rpc_set_ok(set_new("postgraduate_share", "<=", "0.0", "d2", "2015-2020"), "0", 1, 1);
    rpc_set_ok(set_new("postgraduate_share", "=", "100.000", "hn", "2015-2020"), "100", 1, 1);
    /* Not a percent: above 100 is fine; a coefficient with 2 decimals. */
    rpc_set_ok(set_new("classes", ">=", "187", "", "2015-2020"), "187", 1, 1);
    rpc_set_ok(set_new("planning_coefficient", ">=", "1.50", "", "2020-2025"), "1.5", 1, 1);
    rpc_set_ok(set_new("enrolments", ">", "999999999.999999", "", "2020-2025"), "999999999.999999",
               1, 1);
}

static void test_rpc_set_refusals(void **state)
{
    (void)state;
    Nhanluc__V1__SetTargetRequest empty;
    struct sf_result r;

    nhanluc__v1__set_target_request__init(&empty);
    sf_call(g, "/nhanluc.v1.Indicators/SetTarget", &empty.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "target: required");
    sf_call_done(&r);
    rpc_set_refused(set_new("", ">=", "35", "", "2015-2020"), "target.indicator: required");
    rpc_set_refused(set_new("Postgraduate_share", ">=", "35", "", "2015-2020"),
                    "target.indicator: not an indicator");
    rpc_set_refused(set_new("postgraduate_share", "", "35", "", "2015-2020"),
                    "target.op: required");
    static const char *const bad_ops[] = {"=>", "==", "!=", "≥", " >=", ">= "};
    for (size_t i = 0; i < sizeof(bad_ops) / sizeof(bad_ops[0]); i++)
        rpc_set_refused(set_new("postgraduate_share", bad_ops[i], "35", "", "2015-2020"),
                        "target.op: must be one of");
    rpc_set_refused(set_new("postgraduate_share", ">=", "", "", "2015-2020"),
                    "target.value: required");
    static const char *const bad_values[] = {
        ".5",        "5.",   "-1",   "+1",         "1e2", "35,5", " 35", "35 ",
        "1.1234567", "0x10", "1..2", "1000000000", "12a", "NaN",  "inf",
    };
    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
        rpc_set_refused(set_new("postgraduate_share", ">=", bad_values[i], "", "2015-2020"),
                        "target.value: must be a non-negative decimal");
    /* A percent indicator: at most 100. */
    rpc_set_refused(set_new("postgraduate_share", ">=", "100.5", "", "2015-2020"),
                    "target.value: a percent indicator's target is at most 100");
    rpc_set_refused(set_new("postgraduate_share", ">=", "101", "", "2015-2020"),
                    "target.value: a percent");
    rpc_set_refused(set_new("postgraduate_share", ">=", "1000", "", "2015-2020"),
                    "target.value: a percent");
    /* The key. */
    rpc_set_refused(set_new("postgraduate_share", ">=", "35", "D1", "2015-2020"),
                    "target.unit: must be");
    rpc_set_refused(set_new("postgraduate_share", ">=", "35", "nowhere", "2015-2020"),
                    "target.unit: no such unit");
    rpc_set_refused(set_new("postgraduate_share", ">=", "35", "", ""), "target.term: required");
    rpc_set_refused(set_new("postgraduate_share", ">=", "35", "", "2015"), "target.term: must be");
    rpc_set_refused(set_new("postgraduate_share", ">=", "35", "", "2030-2035"),
                    "target.term: no such term");
    /* After every refusal, the same target with good fields goes in. */
    rpc_set_ok(set_new("postgraduate_share", ">=", "36", "d1", "2015-2020"), "36", 1, 1);
}

static void test_rpc_list_and_delete(void **state)
{
    (void)state;
    struct sf_result r;
    Nhanluc__V1__ListTargetsRequest lreq;
    Nhanluc__V1__DeleteTargetRequest dreq;

    rpc_set_ok(set_new("postgraduate_share", ">=", "40", "d1", "2015-2020"), "40", 1, 1);

    nhanluc__v1__list_targets_request__init(&lreq);
    lreq.indicator = sf_unconst("postgraduate_share");
    sf_call(g, "/nhanluc.v1.Indicators/ListTargets", &lreq.base, &r);
    assert_int_equal(r.status, NL_OK);
    {
        const Nhanluc__V1__ListTargetsResponse *resp =
            (const Nhanluc__V1__ListTargetsResponse *)r.resp;
        assert_int_equal(resp->n_targets, 2);
        assert_string_equal(resp->targets[0]->unit, "");
        assert_string_equal(resp->targets[0]->value, "35");
        assert_string_equal(resp->targets[1]->unit, "d1");
        assert_string_equal(resp->targets[1]->value, "40");
    }
    sf_call_done(&r);
    lreq.indicator = sf_unconst("");
    lreq.term = sf_unconst("2020-2025");
    sf_call(g, "/nhanluc.v1.Indicators/ListTargets", &lreq.base, &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((const Nhanluc__V1__ListTargetsResponse *)r.resp)->n_targets, 0);
    sf_call_done(&r);
    lreq.indicator = sf_unconst("nope");
    lreq.term = sf_unconst("");
    sf_call(g, "/nhanluc.v1.Indicators/ListTargets", &lreq.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "indicator: ");
    sf_call_done(&r);
    lreq.indicator = sf_unconst("");
    lreq.term = sf_unconst("20152020");
    sf_call(g, "/nhanluc.v1.Indicators/ListTargets", &lreq.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term: ");
    sf_call_done(&r);

    nhanluc__v1__delete_target_request__init(&dreq);
    dreq.indicator = sf_unconst("postgraduate_share");
    dreq.unit = sf_unconst("d1");
    dreq.term = sf_unconst("2015-2020");
    for (int i = 0; i < 2; i++) {
        sf_call(g, "/nhanluc.v1.Indicators/DeleteTarget", &dreq.base, &r);
        assert_int_equal(r.status, NL_OK);
        /* The first call deletes; the second finds nothing, which is not an error. */
        assert_int_equal(((const Nhanluc__V1__DeleteTargetResponse *)r.resp)->deleted, i == 0);
        sf_call_done(&r);
    }
    assert_int_equal(target_count(), SEEDED);
    dreq.term = sf_unconst("");
    sf_call(g, "/nhanluc.v1.Indicators/DeleteTarget", &dreq.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term: required");
    sf_call_done(&r);
    dreq.term = sf_unconst("2015-2020");
    dreq.indicator = sf_unconst("unknown");
    sf_call(g, "/nhanluc.v1.Indicators/DeleteTarget", &dreq.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "indicator: ");
    sf_call_done(&r);
    assert_int_equal(target_count(), SEEDED);
}

/*
 * A district sees the targets naming no unit, its units and its ancestors,
 * never a sibling's; the tree is the one standing today (a unit moved under
 * d1 since 2020 counts there, a move planned for 9999 does not yet).
 */
static void test_list_scoped(void **state)
{
    struct nl_target_rec *rows;
    struct nl_arena a;
    char units[256];

    (void)state;
    sql("INSERT INTO unit(id, code) VALUES (5, 'w2'), (6, 'w3');"
        "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to) VALUES"
        " (5, 'Phường Hai', 6, 4, '0001-01-01', '2019-12-31'),"
        " (5, 'Phường Hai', 6, 2, '2020-01-01', NULL),"
        " (6, 'Phường Ba', 6, 4, '0001-01-01', NULL),"
        " (6, 'Phường Ba', 6, 2, '9999-01-01', NULL);");
    set_ok("postgraduate_share", ">=", "40", "", "2020-2025", 1, 1);
    set_ok("postgraduate_share", ">=", "41", "hn", "2020-2025", 1, 1);
    set_ok("postgraduate_share", ">=", "42", "d1", "2020-2025", 1, 1);
    set_ok("postgraduate_share", ">=", "43", "w1", "2020-2025", 1, 1);
    set_ok("postgraduate_share", ">=", "44", "d2", "2020-2025", 1, 1);
    set_ok("postgraduate_share", ">=", "45", "w2", "2020-2025", 1, 1);
    set_ok("postgraduate_share", ">=", "46", "w3", "2020-2025", 1, 1);

    assert_string_equal(scoped_units(0, units, sizeof(units)), "-,d1,d2,hn,w1,w2,w3");
    assert_string_equal(scoped_units(1, units, sizeof(units)), "-,d1,d2,hn,w1,w2,w3");
    assert_string_equal(scoped_units(2, units, sizeof(units)), "-,d1,hn,w1,w2");
    assert_string_equal(scoped_units(4, units, sizeof(units)), "-,d2,hn,w3");
    assert_string_equal(scoped_units(3, units, sizeof(units)), "-,d1,hn,w1");
    assert_string_equal(scoped_units(5, units, sizeof(units)), "-,d1,hn,w2");
    /* The unscoped list is unchanged. */
    nl_arena_init(&a, 1u << 16);
    assert_int_equal(list("", "2020-2025", &rows, &a), 7);
    assert_int_equal(list("", "", &rows, &a), SEEDED + 7);
    nl_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seeded_targets, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_set_replay_update, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_set_refused, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_find_precedence, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_order, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_scoped, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_rpc_set_normalises, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_rpc_set_refusals, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_rpc_list_and_delete, setup, sf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
