/*
 * test_indicators.c - the indicator engine (server/ind_engine.h) against a
 * real SQLite store, with expectations computed by hand from DOMAIN.md 4
 * "Exact semantics": every catalogue indicator at least once with a
 * non-trivial value, merges and splits, a cadre whose profile changed
 * between two terms, one person in two classes, a cadre planned for two
 * titles, zero denominators, cancelled classes and withdrawn enrolments,
 * rounding half away from zero, targets and `met` on the exact value,
 * --by unit (rows that add up across a merge), --own, report completeness over a term, the change
 * of a comparison, the general aggregate query, and a few handler calls (CompareIndicator,
 * ShowIndicator, GetReport) the way the server runs them.
 *
 * Every test starts from a fresh store holding the unit tree below (raw SQL
 * through the test-only store hooks) and inserts its own small records; the
 * arithmetic of each expected value is written next to its assertion. The
 * engine runs on the read-only connection inside a read transaction.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/store_fixture.h"
#include "ind_engine.h"
#include "nhanluc/v1/indicators.pb-c.h"
#include "store.h"

static struct sf_db *g; /* the current fixture */

/*
 * The tree (unit kinds: 1 CITY, 2 URBAN_DISTRICT, 3 RURAL_DISTRICT, 6 WARD,
 * 7 COMMUNE, 8 TOWNSHIP):
 *   1 hn   CITY
 *   2 d1   district under hn            3 d2   district under hn
 *   4 w1   WARD under d1                6 c1   COMMUNE under d2
 *   5 w2   WARD under d1                7 t1   TOWNSHIP under d2
 *  11 ps   WARD under d1 until 2018-12-31, SPLIT 2019-01-01 into
 *  12 ps1, 13 ps2 (WARDs under d1 from 2019-01-01)
 *   8 xa, 9 xb  COMMUNEs under d2 until 2019-06-30, MERGE 2019-07-01 into
 *  10 xab  COMMUNE under d2 from 2019-07-01
 * Terms: 2015-2020 (id 1) and 2020-2025 (id 2), party congress; 2016-2021
 * (id 3), people's council. Windows: 2015-01-01..2019-12-31 and
 * 2020-01-01..2024-12-31.
 */
static const char SEED[] =
    "INSERT INTO unit(id, code) VALUES (1, 'hn'), (2, 'd1'), (3, 'd2'), (4, 'w1'), (5, 'w2'),"
    " (6, 'c1'), (7, 't1'), (8, 'xa'), (9, 'xb'), (10, 'xab'), (11, 'ps'), (12, 'ps1'),"
    " (13, 'ps2');"
    "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to) VALUES"
    " (1, 'Hà Nội', 1, NULL, '0001-01-01', NULL),"
    " (2, 'Quận Một', 2, 1, '0001-01-01', NULL),"
    " (3, 'Huyện Hai', 3, 1, '0001-01-01', NULL),"
    " (4, 'Phường W1', 6, 2, '0001-01-01', NULL),"
    " (5, 'Phường W2', 6, 2, '0001-01-01', NULL),"
    " (6, 'Xã C1', 7, 3, '0001-01-01', NULL),"
    " (7, 'Thị trấn T1', 8, 3, '0001-01-01', NULL),"
    " (8, 'Xã A', 7, 3, '0001-01-01', '2019-06-30'),"
    " (9, 'Xã B', 7, 3, '0001-01-01', '2019-06-30'),"
    " (10, 'Xã AB', 7, 3, '2019-07-01', NULL),"
    " (11, 'Phường S', 6, 2, '0001-01-01', '2018-12-31'),"
    " (12, 'Phường S1', 6, 2, '2019-01-01', NULL),"
    " (13, 'Phường S2', 6, 2, '2019-01-01', NULL);"
    "INSERT INTO unit_event(id, kind, effective_date, event_key) VALUES"
    " (1, 1, '2019-07-01', 'merge'), (2, 2, '2019-01-01', 'split');"
    "INSERT INTO unit_event_unit(event_id, role, unit_id) VALUES"
    " (1, 1, 8), (1, 1, 9), (1, 2, 10), (2, 1, 11), (2, 2, 12), (2, 2, 13);"
    "INSERT INTO term(id, code, kind, start_year, end_year) VALUES"
    " (1, '2015-2020', 1, 2015, 2020), (2, '2020-2025', 1, 2020, 2025),"
    " (3, '2016-2021', 2, 2016, 2021);";

static int setup(void **state)
{
    return sf_setup_sql(state, "indicators", &g, SEED);
}

#define sql(text) sf_sql(g->rw, (text))

/* ---------- running the engine ---------- */

struct run {
    struct nl_arena a;
    struct nl_ind_env e;
    char msg[256];
};

/* What is asked: NULL strings and 0 mean "not given". */
struct q {
    const char *unit, *term, *from, *to, *as_of;
    int year, own;
};

static void run_open(struct run *r)
{
    memset(r, 0, sizeof(*r));
    nl_arena_init(&r->a, 0);
    assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
    assert_int_equal(nl_ind_env_open(&r->e, g->ro, &r->a, r->msg, sizeof(r->msg)), NL_OK);
}

static void run_close(struct run *r)
{
    assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    nl_arena_release(&r->a);
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static enum nl_status try_resolve(struct run *r, struct q q, struct nl_ind_sel *sel)
{
    struct nl_ind_ask ask = {or_empty(q.unit), q.own,          or_empty(q.term), q.year,
                             or_empty(q.from), or_empty(q.to), or_empty(q.as_of)};
    r->msg[0] = '\0';
    return nl_ind_resolve(&r->e, &ask, sel);
}

static void resolve(struct run *r, struct q q, struct nl_ind_sel *sel)
{
    enum nl_status st = try_resolve(r, q, sel);
    if (st != NL_OK)
        fail_msg("resolve: %d %s", st, r->msg);
}

/* The rows of `code` for q, grouped by `by` (0 = one row). */
static const struct nl_ind_value *rows_of(struct run *r, const char *code, struct q q, unsigned by,
                                          size_t *n)
{
    const struct nl_ind_def *def = nl_ind_find(code);
    struct nl_ind_sel sel;
    struct nl_ind_value *rows = NULL;

    assert_non_null(def);
    resolve(r, q, &sel);
    enum nl_status st = nl_ind_compute(&r->e, def, &sel, by, &rows, n, NULL);
    if (st != NL_OK)
        fail_msg("%s: compute %d %s", code, st, r->msg);
    return rows;
}

/* The one row of `code` for q. */
static const struct nl_ind_value *one(struct run *r, const char *code, struct q q)
{
    size_t n = 0;
    const struct nl_ind_value *v = rows_of(r, code, q, 0, &n);

    assert_int_equal(n, 1);
    assert_string_equal(v->def->code, code);
    return v;
}

/* A ratio: numerator, denominator and the rounded text, or value NULL when it must be null. */
static void expect_ratio(const char *what, const struct nl_ind_value *v, int64_t num, int64_t den,
                         const char *value)
{
    if (v->num != num || !v->has_den || v->den != den || v->has_value != (value != NULL) ||
        (value != NULL && (v->value == NULL || strcmp(v->value, value) != 0)) ||
        (value == NULL && v->value != NULL))
        fail_msg("%s: got %" PRId64 "/%" PRId64 " (has_den %d) = %s (has_value %d), want %" PRId64
                 "/%" PRId64 " = %s",
                 what, v->num, v->den, v->has_den, v->value ? v->value : "NULL", v->has_value, num,
                 den, value ? value : "NULL");
}

/* A count: numerator = value, no denominator. */
static void expect_count(const char *what, const struct nl_ind_value *v, int64_t n)
{
    char text[32];

    (void)snprintf(text, sizeof(text), "%" PRId64, n);
    if (v->num != n || v->has_den || !v->has_value || v->value == NULL ||
        strcmp(v->value, text) != 0)
        fail_msg("%s: got %" PRId64 " (has_den %d) = %s, want %" PRId64, what, v->num, v->has_den,
                 v->value ? v->value : "NULL", n);
}

static void expect_target(const struct nl_ind_value *v, const char *op, const char *value,
                          const char *unit, const char *term, int met)
{
    assert_true(v->has_target);
    assert_string_equal(v->target.op, op);
    assert_string_equal(v->target.value, value);
    assert_string_equal(v->target.unit, unit);
    assert_string_equal(v->target.term, term);
    assert_int_equal(v->met, met);
}

static void expect_no_target(const struct nl_ind_value *v)
{
    assert_false(v->has_target);
    assert_int_equal(v->met, NL_MET_NULL);
}

/* The change b - a of `code` between two selections. */
static const char *change(struct run *r, const char *code, struct q qa, struct q qb)
{
    const struct nl_ind_value *a = one(r, code, qa);
    const struct nl_ind_value *b = one(r, code, qb);
    return nl_ind_change(&r->e, a, b);
}

/* ---------- resolving a selection ---------- */

static void test_resolve(void **state)
{
    struct run r;
    struct nl_ind_sel s;
    (void)state;

    run_open(&r);
    /* A term: its window 1 Jan A .. 31 Dec B-1; D = the window's last day; the city. */
    resolve(&r, (struct q){.term = "2015-2020"}, &s);
    assert_string_equal(s.unit, "hn");
    assert_string_equal(s.period, "2015-2020");
    assert_string_equal(s.as_of, "2019-12-31");
    assert_int_equal(s.year_from, 2015);
    assert_int_equal(s.year_to, 2019);
    assert_string_equal(s.term->code, "2015-2020");
    assert_true(s.term_given);

    /* A year: D = 31 Dec; the term is the congress term whose window holds D. */
    resolve(&r, (struct q){.unit = "d1", .year = 2020}, &s);
    assert_string_equal(s.unit, "d1");
    assert_string_equal(s.period, "2020");
    assert_string_equal(s.as_of, "2020-12-31");
    assert_string_equal(s.term->code, "2020-2025");
    assert_false(s.term_given);
    resolve(&r, (struct q){.year = 2019}, &s);
    assert_string_equal(s.term->code, "2015-2020"); /* 2019 is in 2015-01-01..2019-12-31 */

    /* from..to: D = to; the years whose 31 Dec lies inside (none for a half year). */
    resolve(&r, (struct q){.from = "2019-01-01", .to = "2019-06-30"}, &s);
    assert_string_equal(s.period, "2019-01-01..2019-06-30");
    assert_string_equal(s.as_of, "2019-06-30");
    assert_true(s.year_from > s.year_to);

    /* as_of overrides D; without a period the flow period is the term of D. */
    resolve(&r, (struct q){.as_of = "2022-03-04"}, &s);
    assert_string_equal(s.as_of, "2022-03-04");
    assert_string_equal(s.period, "2020-2025");
    assert_string_equal(s.term->code, "2020-2025");

    /* Refusals, with the field in the message. */
    assert_int_equal(try_resolve(&r, (struct q){.term = "2015-2020", .year = 2019}, &s),
                     NL_INVALID_ARGUMENT);
    assert_int_equal(try_resolve(&r, (struct q){.from = "2019-01-01"}, &s), NL_INVALID_ARGUMENT);
    assert_non_null(strstr(r.msg, "selection.to"));
    assert_int_equal(try_resolve(&r, (struct q){.from = "2019-02-01", .to = "2019-01-01"}, &s),
                     NL_INVALID_ARGUMENT);
    assert_int_equal(try_resolve(&r, (struct q){.term = "1990-1995"}, &s), NL_NOT_FOUND);
    assert_non_null(strstr(r.msg, "selection.term"));
    assert_int_equal(try_resolve(&r, (struct q){.unit = "nowhere", .year = 2019}, &s),
                     NL_NOT_FOUND);
    assert_non_null(strstr(r.msg, "selection.unit"));
    run_close(&r);
}

/* ---------- flows: classes and enrolments ---------- */

/*
 * Cadres C1..C6 (sex: C1 F, C2 M, C3 F, C4 M, C5 M, C6 F). Classes (organiser,
 * end date, kind, sessions, planned trainees, status):
 *   K1 w1  2019-05-10 UPGRADE  10 planned 4 ENDED
 *   K2 w1  2019-11-20 BRIEFING  8 planned 4 ENDED
 *   K3 d1  2019-03-01 DEGREE   10 planned 2 ENDED
 *   K4 w1  2019-06-01 UPGRADE  10 planned 5 CANCELLED (keeps an enrolment: never counts)
 *   K5 xa  2019-04-01 UPGRADE  10 planned 2 ENDED  (before the merge into xab)
 *   K6 xab 2019-09-01 BRIEFING 10 planned 2 ENDED
 *   K7 ps  2018-10-01 UPGRADE  10 planned 1 ENDED  (before the split)
 *   K8 ps1 2019-10-01 DEGREE   16 planned 1 ENDED
 *   K9 w1  2020-02-01 UPGRADE  10 planned 1 ENDED
 * Enrolments (status, result, attended / excused / unexcused):
 *   K1: C1 COMPLETED EXCELLENT 9/1/0; C2 COMPLETED GOOD 7/1/2; C3 FAILED FAIL 5/0/5;
 *       C4 WITHDREW 1/0/9 (never counts)
 *   K2: C1 COMPLETED VERY_GOOD 8/0/0 (C1 is in two classes); C5 ENROLLED 6/1/1
 *   K3: C6 COMPLETED AVERAGE 10/0/0
 *   K4: C2 COMPLETED EXCELLENT 10/0/0 (cancelled class)
 *   K5: C4 COMPLETED EXCELLENT 10/0/0
 *   K6: C5 COMPLETED GOOD 9/0/1
 *   K7: C6 COMPLETED VERY_GOOD 10/0/0
 *   K8: C3 FAILED FAIL 1/7/8
 *   K9: C2 COMPLETED EXCELLENT 10/0/0
 */
static const char FLOWS[] =
    "INSERT INTO cadre(id, cadre_code, sex, birth_year) VALUES (1, 'C1', 2, 1980),"
    " (2, 'C2', 1, 1980), (3, 'C3', 2, 1980), (4, 'C4', 1, 1980), (5, 'C5', 1, 1980),"
    " (6, 'C6', 2, 1980);"
    "INSERT INTO class(id, organiser_unit_id, class_ref, title, kind, area, target_group_id,"
    " mode, start_date, end_date, sessions, planned_trainees, status) VALUES"
    " (1, 4, 'K1', 'K1', 2, 1, 1, 1, '2019-05-01', '2019-05-10', 10, 4, 3),"
    " (2, 4, 'K2', 'K2', 3, 6, 7, 1, '2019-11-01', '2019-11-20', 8, 4, 3),"
    " (3, 2, 'K3', 'K3', 1, 4, 7, 1, '2019-01-01', '2019-03-01', 10, 2, 3),"
    " (4, 4, 'K4', 'K4', 2, 1, 1, 1, '2019-05-20', '2019-06-01', 10, 5, 4),"
    " (5, 8, 'K5', 'K5', 2, 1, 1, 1, '2019-03-01', '2019-04-01', 10, 2, 3),"
    " (6, 10, 'K6', 'K6', 3, 1, 1, 1, '2019-08-01', '2019-09-01', 10, 2, 3),"
    " (7, 11, 'K7', 'K7', 2, 1, 1, 1, '2018-09-01', '2018-10-01', 10, 1, 3),"
    " (8, 12, 'K8', 'K8', 1, 1, 1, 1, '2019-09-01', '2019-10-01', 16, 1, 3),"
    " (9, 4, 'K9', 'K9', 2, 1, 1, 1, '2020-01-10', '2020-02-01', 10, 1, 3);"
    "INSERT INTO enrolment(class_id, cadre_id, status, result, attended, absent_excused,"
    " absent_unexcused) VALUES"
    " (1, 1, 2, 1, 9, 1, 0), (1, 2, 2, 3, 7, 1, 2), (1, 3, 3, 5, 5, 0, 5),"
    " (1, 4, 4, NULL, 1, 0, 9),"
    " (2, 1, 2, 2, 8, 0, 0), (2, 5, 1, NULL, 6, 1, 1),"
    " (3, 6, 2, 4, 10, 0, 0),"
    " (4, 2, 2, 1, 10, 0, 0),"
    " (5, 4, 2, 1, 10, 0, 0),"
    " (6, 5, 2, 3, 9, 0, 1),"
    " (7, 6, 2, 2, 10, 0, 0),"
    " (8, 3, 3, 5, 1, 7, 8),"
    " (9, 2, 2, 1, 10, 0, 0);";

static void test_flow_indicators(void **state)
{
    struct run r;
    struct q w1 = {.unit = "w1", .year = 2019};
    (void)state;

    sql(FLOWS);
    run_open(&r);
    /* w1, 2019: K1 and K2 count; K4 is CANCELLED, K9 ends in 2020. */
    expect_count("classes w1 2019", one(&r, "classes", w1), 2);
    /* K1: C1, C2, C3 (C4 WITHDREW) + K2: C1, C5 = 5 enrolments ... */
    expect_count("enrolments w1 2019", one(&r, "enrolments", w1), 5);
    /* ... of 4 people: C1 is in both classes. */
    expect_count("trainees w1 2019", one(&r, "trainees", w1), 4);
    /* attended 9+7+5+8+6 = 35 of (10)+(10)+(10)+(8)+(8) = 46: 76.087 -> 76.1 */
    expect_ratio("attendance w1 2019", one(&r, "attendance_rate", w1), 35, 46, "76.1");
    /* unexcused > 0: C2 (2), C3 (5), C5 (1); C4's 9 is a WITHDREW enrolment. */
    expect_count("unexcused w1 2019", one(&r, "unexcused_absentees", w1), 3);
    /* COMPLETED: K1 C1, K1 C2, K2 C1 = 3; FAILED: K1 C3 = 1 (ENROLLED C5 is neither): 3/4 */
    expect_ratio("completion w1 2019", one(&r, "completion_rate", w1), 3, 4, "75.0");
    /* EXCELLENT/VERY_GOOD among COMPLETED: K1 C1, K2 C1 = 2 of 3: 66.67 -> 66.7 */
    expect_ratio("very good w1 2019", one(&r, "very_good_rate", w1), 2, 3, "66.7");
    /* 5 enrolments / planned 4 + 4 (the cancelled K4's 5 not counted): 62.5 */
    expect_ratio("plan w1 2019", one(&r, "plan_fulfilment", w1), 5, 8, "62.5");

    /* d1, 2019: d1's subtree on each class's end date: K1, K2, K3 (d1), K8 (ps1). */
    struct q d1 = {.unit = "d1", .year = 2019};
    expect_count("classes d1 2019", one(&r, "classes", d1), 4);
    expect_count("enrolments d1 2019", one(&r, "enrolments", d1), 7); /* 3 + 2 + 1 + 1 */
    /* C1, C2, C3, C5 (K1, K2), C6 (K3), C3 again (K8): 5 people. */
    expect_count("trainees d1 2019", one(&r, "trainees", d1), 5);
    /* (35 + 10 + 1) / (46 + 10 + 16) = 46/72 = 63.889 -> 63.9 */
    expect_ratio("attendance d1 2019", one(&r, "attendance_rate", d1), 46, 72, "63.9");
    /* COMPLETED 3 + C6 = 4; FAILED C3 twice (K1, K8) = 2: 4/6 = 66.67 */
    expect_ratio("completion d1 2019", one(&r, "completion_rate", d1), 4, 6, "66.7");
    /* 7 / (4 + 4 + 2 + 1) = 7/11 = 63.636 -> 63.6 */
    expect_ratio("plan d1 2019", one(&r, "plan_fulfilment", d1), 7, 11, "63.6");
    /* C3 is unexcused in K1 and K8 but one person: still C2, C3, C5. */
    expect_count("unexcused d1 2019", one(&r, "unexcused_absentees", d1), 3);

    /* Half away from zero: ps1 2019: K8 attended 1 of 1+7+8 = 16: 6.25 -> 6.3 (not 6.2). */
    struct q ps1 = {.unit = "ps1", .year = 2019};
    expect_ratio("attendance ps1 2019", one(&r, "attendance_rate", ps1), 1, 16, "6.3");
    /* A zero numerator is 0.0, not null: C3 FAILED only. */
    expect_ratio("completion ps1 2019", one(&r, "completion_rate", ps1), 0, 1, "0.0");

    /* The city, 2019: K1, K2, K3, K5, K6, K8 = 6 classes; 3+2+1+1+1+1 = 9 enrolments. */
    struct q hn = {.year = 2019};
    expect_count("classes hn 2019", one(&r, "classes", hn), 6);
    expect_count("enrolments hn 2019", one(&r, "enrolments", hn), 9);
    /* C1..C6 all took part: 6 people. */
    expect_count("trainees hn 2019", one(&r, "trainees", hn), 6);
    /* COMPLETED: C1, C2 (K1), C1 (K2), C6 (K3), C4 (K5), C5 (K6) = 6; EXC/VG: K1 C1, K2 C1,
     * K5 C4 = 3: 50.0 */
    expect_ratio("very good hn 2019", one(&r, "very_good_rate", hn), 3, 6, "50.0");

    /* Zero denominators: w2 has no class: counts are 0, ratios null. */
    struct q w2 = {.unit = "w2", .year = 2019};
    expect_count("classes w2 2019", one(&r, "classes", w2), 0);
    expect_ratio("completion w2 2019", one(&r, "completion_rate", w2), 0, 0, NULL);
    expect_ratio("attendance w2 2019", one(&r, "attendance_rate", w2), 0, 0, NULL);
    expect_ratio("plan w2 2019", one(&r, "plan_fulfilment", w2), 0, 0, NULL);
    expect_no_target(one(&r, "completion_rate", w2));

    /* A term: d1's 2015-2020 adds K7 (ps was under d1 on 2018-10-01): 5 classes. */
    expect_count("classes d1 term",
                 one(&r, "classes", (struct q){.unit = "d1", .term = "2015-2020"}), 5);
    /* from..to is inclusive on both ends: 2019-03-01..2019-05-10 holds K3 (d1), K1 (w1). */
    expect_count(
        "classes d1 from-to",
        one(&r, "classes", (struct q){.unit = "d1", .from = "2019-03-01", .to = "2019-05-10"}), 2);
    run_close(&r);
}

/* MERGE xa + xb -> xab (2019-07-01) and SPLIT ps -> ps1 + ps2 (2019-01-01) for flows. */
static void test_flow_lineage(void **state)
{
    struct run r;
    (void)state;

    sql(FLOWS);
    run_open(&r);
    /* xab, 2019: its own K6 + K5 of its source xa, dated before the merge. */
    struct q xab = {.unit = "xab", .year = 2019};
    expect_count("classes xab 2019", one(&r, "classes", xab), 2);
    expect_count("enrolments xab 2019", one(&r, "enrolments", xab), 2);
    expect_count("trainees xab 2019", one(&r, "trainees", xab), 2); /* C4, C5 */
    /* COMPLETED C4 EXCELLENT (K5), C5 GOOD (K6): 1/2 */
    expect_ratio("very good xab 2019", one(&r, "very_good_rate", xab), 1, 2, "50.0");
    /* The history stays with the source too: xa, 2019: K5. */
    expect_count("classes xa 2019", one(&r, "classes", (struct q){.unit = "xa", .year = 2019}), 1);
    /* The district sees both once: K5 (xa under d2) + K6 = 2. */
    expect_count("classes d2 2019", one(&r, "classes", (struct q){.unit = "d2", .year = 2019}), 2);

    /* --explain: the counts, and the lineage unit marked with its window. */
    struct nl_ind_sel sel;
    struct nl_ind_value *rows = NULL;
    struct nl_ind_explain ex;
    size_t n = 0;
    resolve(&r, xab, &sel);
    assert_int_equal(nl_ind_compute(&r.e, nl_ind_find("classes"), &sel, 0, &rows, &n, &ex), NL_OK);
    assert_int_equal(ex.ncounts, 1);
    assert_string_equal(ex.counts[0], "numerator: 2");
    int lineage = 0;
    for (size_t i = 0; i < ex.nunits; i++)
        lineage += strcmp(ex.units[i], "xa 2019-01-01..2019-06-30 (lineage of xab)") == 0;
    assert_int_equal(lineage, 1);
    /* SPLIT: ps1 gets nothing of ps: 2015-2020 holds K8 only; ps keeps K7. */
    expect_count("classes ps1 term",
                 one(&r, "classes", (struct q){.unit = "ps1", .term = "2015-2020"}), 1);
    expect_count("classes ps term",
                 one(&r, "classes", (struct q){.unit = "ps", .term = "2015-2020"}), 1);
    expect_count("classes ps2 term",
                 one(&r, "classes", (struct q){.unit = "ps2", .term = "2015-2020"}), 0);
    run_close(&r);
}

/* The report's list behind unexcused_absentees: the same people, by code, with their absences. */
static void test_absentees(void **state)
{
    struct run r;
    struct nl_ind_sel sel;
    struct nl_ind_absentee *a = NULL;
    size_t n = 0;
    int truncated = -1;
    (void)state;

    sql(FLOWS);
    sql("UPDATE cadre SET full_name = 'Name ' || cadre_code WHERE id = 3");
    run_open(&r);
    /* d1, 2019: C2 (K1: 2), C3 (K1: 5 + K8: 8, two classes), C5 (K2: 1); C4's 9 WITHDREW. */
    resolve(&r, (struct q){.unit = "d1", .year = 2019}, &sel);
    assert_int_equal(nl_ind_absentees(&r.e, &sel, 10, &a, &n, &truncated), NL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(truncated, 0);
    const char *codes[] = {"C2", "C3", "C5"};
    const int64_t classes[] = {1, 2, 1}, sessions[] = {2, 13, 1};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a[i].cadre_code, codes[i]);
        assert_int_equal(a[i].classes, classes[i]);
        assert_int_equal(a[i].sessions, sessions[i]);
    }
    assert_string_equal(a[0].full_name, "");
    assert_string_equal(a[1].full_name, "Name C3");
    /* As many as the count says. */
    expect_count("unexcused d1 2019",
                 one(&r, "unexcused_absentees", (struct q){.unit = "d1", .year = 2019}),
                 (int64_t)n);
    /* Cut at max: truncated. */
    assert_int_equal(nl_ind_absentees(&r.e, &sel, 2, &a, &n, &truncated), NL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(truncated, 1);
    assert_string_equal(a[1].cadre_code, "C3");
    /* xab 2019: K6 (C5: 1) and, through the merge, K5 (no absences). */
    resolve(&r, (struct q){.unit = "xab", .year = 2019}, &sel);
    assert_int_equal(nl_ind_absentees(&r.e, &sel, 10, &a, &n, &truncated), NL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(a[0].cadre_code, "C5");
    run_close(&r);
}

/* --by unit: children by code, each with its subtree; the unit itself when it has records. */
static void test_flow_by_unit(void **state)
{
    struct run r;
    size_t n = 0;
    (void)state;

    sql(FLOWS);
    run_open(&r);
    /* d1, 2019: children on 2019-12-31 by code ps1, ps2, w1, w2; d1 has K3 of its own. */
    const struct nl_ind_value *v =
        rows_of(&r, "classes", (struct q){.unit = "d1", .year = 2019}, NL_DIM_UNIT, &n);
    assert_int_equal(n, 5);
    const char *units[] = {"ps1", "ps2", "w1", "w2", "d1"};
    const int64_t classes[] = {1, 0, 2, 0, 1}; /* K8; -; K1, K2; -; K3 */
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v[i].unit, units[i]);
        assert_int_equal(v[i].dim[0], NL_DIM_UNIT);
        assert_string_equal(v[i].group[0], units[i]);
        expect_count(units[i], &v[i], classes[i]);
    }
    /* The city, 2019: d1 (4), d2 (2: K5 through the merge, K6); no row for hn (no own class). */
    v = rows_of(&r, "classes", (struct q){.year = 2019}, NL_DIM_UNIT, &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].unit, "d1");
    expect_count("d1", &v[0], 4);
    assert_string_equal(v[1].unit, "d2");
    expect_count("d2", &v[1], 2);
    /*
     * d2, 2019: a flow's rows are the children in the tree of each class's
     * end date: c1, t1, xa, xab, xb (by code). K5 (xa, April) is in xa's row,
     * K6 in xab's; the rows add up to d2's 2 classes.
     */
    v = rows_of(&r, "classes", (struct q){.unit = "d2", .year = 2019}, NL_DIM_UNIT, &n);
    assert_int_equal(n, 5);
    const char *d2_units[] = {"c1", "t1", "xa", "xab", "xb"};
    const int64_t d2_classes[] = {0, 0, 1, 1, 0};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v[i].unit, d2_units[i]);
        expect_count(d2_units[i], &v[i], d2_classes[i]);
    }
    /* xab alone: no children; its own row holds K6 and, through the merge, K5. */
    v = rows_of(&r, "classes", (struct q){.unit = "xab", .year = 2019}, NL_DIM_UNIT, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].unit, "xab");
    expect_count("xab own and lineage", &v[0], 2);
    /* A ratio by unit: completion d1 2019 -> ps1 0/1, ps2 null, w1 3/4, w2 null, d1 1/1. */
    v = rows_of(&r, "completion_rate", (struct q){.unit = "d1", .year = 2019}, NL_DIM_UNIT, &n);
    assert_int_equal(n, 5);
    expect_ratio("ps1", &v[0], 0, 1, "0.0");
    expect_ratio("ps2", &v[1], 0, 0, NULL);
    expect_ratio("w1", &v[2], 3, 4, "75.0");
    expect_ratio("w2", &v[3], 0, 0, NULL);
    expect_ratio("d1", &v[4], 1, 1, "100.0");
    /* By sex: enrolments of w1 in 2019: F = C1 (K1), C3 (K1), C1 (K2) = 3; M = C2, C5 = 2. */
    v = rows_of(&r, "enrolments", (struct q){.unit = "w1", .year = 2019}, NL_DIM_SEX, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i].dim[0], NL_DIM_SEX);
        expect_count(v[i].group[0], &v[i], strcmp(v[i].group[0], "FEMALE") == 0 ? 3 : 2);
    }
    /* A dimension the indicator does not take. */
    struct nl_ind_sel sel;
    struct nl_ind_value *rows;
    resolve(&r, (struct q){.year = 2019}, &sel);
    assert_int_equal(
        nl_ind_compute(&r.e, nl_ind_find("classes"), &sel, NL_DIM_SEX, &rows, &n, NULL),
        NL_INVALID_ARGUMENT);
    run_close(&r);
}

/* Grouping by a class dimension, with a denominator over classes (plan_fulfilment). */
static void test_flow_by_dimension(void **state)
{
    struct run r;
    size_t n = 0;
    const struct nl_ind_value *v;
    (void)state;

    sql(FLOWS);
    /* K10: t1, 2019-12-01, BRIEFING, area IT, 3 planned, no enrolment. */
    sql("INSERT INTO class(id, organiser_unit_id, class_ref, title, kind, area, target_group_id,"
        " mode, start_date, end_date, sessions, planned_trainees, status) VALUES"
        " (10, 7, 'K10', 'K10', 3, 7, 7, 1, '2019-11-01', '2019-12-01', 5, 3, 3);");
    run_open(&r);
    /* The city 2019: 9 enrolments / planned 4+4+2+2+2+1 (K1 K2 K3 K5 K6 K8) + 3 (K10) = 18 */
    expect_ratio("plan hn 2019", one(&r, "plan_fulfilment", (struct q){.year = 2019}), 9, 18,
                 "50.0");
    /* By area: POLITICAL_THEORY K1 (3 of 4), K5 (1 of 2), K6 (1 of 2), K8 (1 of 1) = 6/9;
     * FOREIGN_LANGUAGE K2 2/4; PROFESSIONAL K3 1/2; IT K10 0/3 (a group only the
     * denominator has). */
    v = rows_of(&r, "plan_fulfilment", (struct q){.year = 2019}, NL_DIM_AREA, &n);
    assert_int_equal(n, 4);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = v[i].group[0];
        assert_int_equal(v[i].dim[0], NL_DIM_AREA);
        if (strcmp(a, "POLITICAL_THEORY") == 0)
            seen |= 1, expect_ratio(a, &v[i], 6, 9, "66.7");
        else if (strcmp(a, "FOREIGN_LANGUAGE") == 0)
            seen |= 2, expect_ratio(a, &v[i], 2, 4, "50.0");
        else if (strcmp(a, "PROFESSIONAL") == 0)
            seen |= 4, expect_ratio(a, &v[i], 1, 2, "50.0");
        else if (strcmp(a, "IT") == 0)
            seen |= 8, expect_ratio(a, &v[i], 0, 3, "0.0");
        else
            fail_msg("unexpected area %s", a);
    }
    assert_int_equal(seen, 15);
    /* By year over the term: 2018 K7; 2019 K1 K2 K3 K5 K6 K8 K10 = 7. */
    v = rows_of(&r, "classes", (struct q){.term = "2015-2020"}, NL_DIM_YEAR, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        expect_count(v[i].group[0], &v[i], strcmp(v[i].group[0], "2018") == 0 ? 1 : 7);
    run_close(&r);
}

/* The change of a comparison: exact, rounded like the values, signed. */
static void test_flow_change(void **state)
{
    struct run r;
    struct q y19 = {.unit = "w1", .year = 2019}, y20 = {.unit = "w1", .year = 2020};
    (void)state;

    sql(FLOWS);
    run_open(&r);
    /* attendance w1: 2019 35/46, 2020 10/10 (K9): 100 - 76.087 = 23.913 -> +23.9 */
    assert_string_equal(change(&r, "attendance_rate", y19, y20), "+23.9");
    assert_string_equal(change(&r, "attendance_rate", y20, y19), "-23.9");
    /* classes w1: 2 -> 1 */
    assert_string_equal(change(&r, "classes", y19, y20), "-1");
    /* No change is "+0" (w2 has no class in either year). */
    assert_string_equal(change(&r, "classes", (struct q){.unit = "w2", .year = 2019},
                               (struct q){.unit = "w2", .year = 2020}),
                        "+0");
    /* A null side: no change. */
    assert_null(change(&r, "completion_rate", (struct q){.unit = "w2", .year = 2019}, y19));
    run_close(&r);
}

/* The general aggregate query. */
static void test_query(void **state)
{
    struct run r;
    struct nl_ind_sel sel;
    struct nl_ind_qrow *rows = NULL;
    size_t n = 0;
    (void)state;

    sql(FLOWS);
    run_open(&r);
    /* enrolments --filter kind=UPGRADE --filter year=2019 --by unit --by sex, term 2015-2020:
     * UPGRADE classes ending in 2019 and counted: K1 (w1 -> d1: C1 F, C2 M, C3 F; C4 WITHDREW)
     * and K5 (xa -> d2: C4 M). K7 (UPGRADE, 2018) is outside year 2019; K4 is CANCELLED. */
    resolve(&r, (struct q){.term = "2015-2020"}, &sel);
    const struct nl_ind_filter f[] = {{"kind", "UPGRADE"}, {"year", "2019"}};
    const char *const by[] = {"unit", "sex"};
    assert_int_equal(nl_ind_aggregate(&r.e, "enrolments", &sel, f, 2, by, 2, &rows, &n), NL_OK);
    assert_int_equal(n, 3);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        const char *u = rows[i].group[0], *sex = rows[i].group[1];
        if (strcmp(u, "d1") == 0 && strcmp(sex, "FEMALE") == 0)
            seen |= 1, assert_int_equal(rows[i].value, 2);
        else if (strcmp(u, "d1") == 0 && strcmp(sex, "MALE") == 0)
            seen |= 2, assert_int_equal(rows[i].value, 1);
        else if (strcmp(u, "d2") == 0 && strcmp(sex, "MALE") == 0)
            seen |= 4, assert_int_equal(rows[i].value, 1);
        else
            fail_msg("unexpected row %s %s", u, sex);
    }
    assert_int_equal(seen, 7);

    /* trainees vs enrolments over 2019: 6 people, 9 enrolments (as the indicators). */
    resolve(&r, (struct q){.year = 2019}, &sel);
    assert_int_equal(nl_ind_aggregate(&r.e, "trainees", &sel, NULL, 0, NULL, 0, &rows, &n), NL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].value, 6);
    assert_int_equal(nl_ind_aggregate(&r.e, "enrolments", &sel, NULL, 0, NULL, 0, &rows, &n),
                     NL_OK);
    assert_int_equal(rows[0].value, 9);
    /* One field twice = either value: BRIEFING (K2: 2, K6: 1) or DEGREE (K3: 1, K8: 1) = 5. */
    const struct nl_ind_filter two[] = {{"kind", "BRIEFING"}, {"kind", "DEGREE"}};
    assert_int_equal(nl_ind_aggregate(&r.e, "enrolments", &sel, two, 2, NULL, 0, &rows, &n), NL_OK);
    assert_int_equal(rows[0].value, 5);
    /* planned_trainees 2019: 4 + 4 + 2 + 2 + 2 + 1 (K1 K2 K3 K5 K6 K8) = 15. */
    assert_int_equal(nl_ind_aggregate(&r.e, "planned_trainees", &sel, NULL, 0, NULL, 0, &rows, &n),
                     NL_OK);
    assert_int_equal(rows[0].value, 15);
    /* Refusals. */
    assert_int_equal(nl_ind_aggregate(&r.e, "bogus", &sel, NULL, 0, NULL, 0, &rows, &n),
                     NL_INVALID_ARGUMENT);
    const struct nl_ind_filter bad[] = {{"kind", "NOT_A_KIND"}};
    assert_int_equal(nl_ind_aggregate(&r.e, "classes", &sel, bad, 1, NULL, 0, &rows, &n),
                     NL_INVALID_ARGUMENT);
    const char *const bysex[] = {"sex"};
    assert_int_equal(nl_ind_aggregate(&r.e, "classes", &sel, NULL, 0, bysex, 1, &rows, &n),
                     NL_INVALID_ARGUMENT);
    run_close(&r);
}

/* ShowIndicator through the handler: a zero denominator is has_value false. */
static void test_rpc_show_null(void **state)
{
    Nhanluc__V1__ShowIndicatorRequest req = NHANLUC__V1__SHOW_INDICATOR_REQUEST__INIT;
    Nhanluc__V1__Selection sel = NHANLUC__V1__SELECTION__INIT;
    struct sf_result res;
    (void)state;

    sql(FLOWS);
    req.code = sf_unconst("completion_rate");
    sel.unit = sf_unconst("w2");
    sel.year = 2019;
    req.selection = &sel;
    sf_call(g, "/nhanluc.v1.Indicators/ShowIndicator", &req.base, &res);
    assert_int_equal(res.status, NL_OK);
    const Nhanluc__V1__ShowIndicatorResponse *resp =
        (const Nhanluc__V1__ShowIndicatorResponse *)res.resp;
    assert_int_equal(resp->n_values, 1);
    assert_string_equal(resp->values[0]->unit, "w2");
    assert_string_equal(resp->values[0]->period, "2019");
    assert_true(resp->values[0]->has_denominator);
    assert_int_equal(resp->values[0]->denominator, 0);
    assert_false(resp->values[0]->has_value);
    assert_string_equal(resp->values[0]->value, "");
    sf_call_done(&res);

    /* w1: 3 of 4 -> "75.0", percent. */
    sel.unit = sf_unconst("w1");
    sf_call(g, "/nhanluc.v1.Indicators/ShowIndicator", &req.base, &res);
    assert_int_equal(res.status, NL_OK);
    resp = (const Nhanluc__V1__ShowIndicatorResponse *)res.resp;
    assert_int_equal(resp->values[0]->numerator, 3);
    assert_int_equal(resp->values[0]->denominator, 4);
    assert_string_equal(resp->values[0]->value, "75.0");
    assert_int_equal(resp->values[0]->value_kind, NHANLUC__V1__VALUE_KIND__VALUE_KIND_PERCENT);
    sf_call_done(&res);
}

/* ---------- stocks: cadres at a date ---------- */

/*
 * Cadre profiles (unit, key, mgmt 1 CITY_STANDING / 2 DISTRICT / 3 OTHER,
 * education 1 BELOW_UNIVERSITY 2 UNIVERSITY 3 MASTER 4 DOCTOR, theory
 * 1 NONE 2 ELEMENTARY 3 INTERMEDIATE 4 ADVANCED 5 BACHELOR):
 *   P1 d1 CITY_STANDING UNIVERSITY ADVANCED until 2019-12-31, then MASTER ADVANCED
 *      (the profile that changed between the terms)
 *   P2 d1 CITY_STANDING MASTER BACHELOR
 *   P3 d2 CITY_STANDING UNIVERSITY INTERMEDIATE
 *   P4 hn CITY_STANDING DOCTOR ADVANCED
 *   P5 w1 DISTRICT_STANDING UNIVERSITY ADVANCED (not in the CITY_STANDING population)
 *   P6 d2 CITY_STANDING MASTER NONE, from 2021-01-01
 * Key cadres (mgmt OTHER):
 *   Q1 w1 (WARD) UNIVERSITY INTERMEDIATE     Q2 w2 (WARD) BELOW ELEMENTARY
 *   Q3 c1 (COMMUNE) UNIVERSITY ADVANCED      Q4 t1 (TOWNSHIP) BELOW INTERMEDIATE
 *   Q5 xa until 2019-06-30, then xab (COMMUNE) UNIVERSITY INTERMEDIATE
 *   Q6 xb until 2019-06-30, then xab (COMMUNE) BELOW NONE
 *   Q7 c1 not key, BELOW NONE (not in any key population)
 *   Q8 d1 (a district) key MASTER ADVANCED (not a commune-level unit)
 *   Q9 ps until 2018-12-31, then ps1 (WARD) UNIVERSITY INTERMEDIATE
 */
static const char CADRES[] =
    "INSERT INTO cadre(id, cadre_code, sex, birth_year) VALUES (1, 'P1', 1, 1970),"
    " (2, 'P2', 2, 1970), (3, 'P3', 1, 1970), (4, 'P4', 1, 1970), (5, 'P5', 2, 1970),"
    " (6, 'P6', 2, 1970), (11, 'Q1', 1, 1975), (12, 'Q2', 2, 1975), (13, 'Q3', 1, 1975),"
    " (14, 'Q4', 1, 1975), (15, 'Q5', 2, 1975), (16, 'Q6', 1, 1975), (17, 'Q7', 1, 1975),"
    " (18, 'Q8', 1, 1975), (19, 'Q9', 2, 1975);"
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt) VALUES"
    " (1, '2015-01-01', '2019-12-31', 2, 0, 2, 1, 2, 4, 1),"
    " (1, '2020-01-01', NULL, 2, 0, 2, 1, 3, 4, 1),"
    " (2, '2015-01-01', NULL, 2, 0, 2, 1, 3, 5, 1),"
    " (3, '2015-01-01', NULL, 3, 0, 2, 1, 2, 3, 1),"
    " (4, '2015-01-01', NULL, 1, 0, 1, 1, 4, 4, 1),"
    " (5, '2015-01-01', NULL, 4, 0, 3, 2, 2, 4, 1),"
    " (6, '2021-01-01', NULL, 3, 0, 2, 1, 3, 1, 1),"
    " (11, '2015-01-01', NULL, 4, 1, 3, 3, 2, 3, 1),"
    " (12, '2015-01-01', NULL, 5, 1, 3, 3, 1, 2, 1),"
    " (13, '2015-01-01', NULL, 6, 1, 3, 3, 2, 4, 1),"
    " (14, '2015-01-01', NULL, 7, 1, 3, 3, 1, 3, 1),"
    " (15, '2015-01-01', '2019-06-30', 8, 1, 3, 3, 2, 3, 1),"
    " (15, '2019-07-01', NULL, 10, 1, 3, 3, 2, 3, 1),"
    " (16, '2015-01-01', '2019-06-30', 9, 1, 3, 3, 1, 1, 1),"
    " (16, '2019-07-01', NULL, 10, 1, 3, 3, 1, 1, 1),"
    " (17, '2015-01-01', NULL, 6, 0, 3, 3, 1, 1, 1),"
    " (18, '2015-01-01', NULL, 2, 1, 2, 3, 3, 4, 1),"
    " (19, '2015-01-01', '2018-12-31', 11, 1, 3, 3, 2, 3, 1),"
    " (19, '2019-01-01', NULL, 12, 1, 3, 3, 2, 3, 1);"
    /* Unit targets: d2's own (wins for d2 only) and d1's, at the boundary. */
    "INSERT INTO target(indicator, unit_id, term_code, op, value) VALUES"
    " ('key_commune_university_share', 3, '2015-2020', '>', '60'),"
    " ('postgraduate_share', 2, '2015-2020', '>', '50');";

static void test_cadre_stocks(void **state)
{
    struct run r;
    struct q t1 = {.term = "2015-2020"}, t2 = {.term = "2020-2025"};
    const struct nl_ind_value *v;
    (void)state;

    sql(CADRES);
    run_open(&r);
    /* 2015-2020, D = 2019-12-31, CITY_STANDING: P1 (UNI), P2 (MAS), P3 (UNI), P4 (DOC):
     * MASTER or above 2 of 4 = 50.0; seeded target >= 35 (no unit): met. */
    v = one(&r, "postgraduate_share", t1);
    expect_ratio("postgraduate hn 2015-2020", v, 2, 4, "50.0");
    expect_target(v, ">=", "35", "", "2015-2020", NL_MET_YES);
    /* ADVANCED or BACHELOR: P1, P2, P4 = 3 of 4 = 75.0; target = 100: not met. */
    v = one(&r, "advanced_theory_share", t1);
    expect_ratio("advanced theory hn 2015-2020", v, 3, 4, "75.0");
    expect_target(v, "=", "100", "", "2015-2020", NL_MET_NO);

    /* 2020-2025, D = 2024-12-31: P1 is MASTER now, P6 has joined: P1, P2, P4, P6 of 5. */
    v = one(&r, "postgraduate_share", t2);
    expect_ratio("postgraduate hn 2020-2025", v, 4, 5, "80.0");
    expect_no_target(v); /* no target for 2020-2025 */
    /* ADVANCED+: P1, P2, P4 of 5 (P6 has none) = 60.0 */
    expect_ratio("advanced theory hn 2020-2025", one(&r, "advanced_theory_share", t2), 3, 5,
                 "60.0");
    /* The profile change shows in the comparison: 80.0 - 50.0 */
    assert_string_equal(change(&r, "postgraduate_share", t1, t2), "+30.0");
    /* 60 - 75 */
    assert_string_equal(change(&r, "advanced_theory_share", t1, t2), "-15.0");
    /* d1: P1 (UNI in 2019, MASTER in 2024), P2: 1/2 then 2/2. */
    v = one(&r, "postgraduate_share", (struct q){.unit = "d1", .term = "2015-2020"});
    expect_ratio("postgraduate d1 2015-2020", v, 1, 2, "50.0");
    /* d1's own target > 50 wins over the city-wide >= 35: 50.0 is not > 50. */
    expect_target(v, ">", "50", "d1", "2015-2020", NL_MET_NO);
    expect_ratio("postgraduate d1 2020-2025",
                 one(&r, "postgraduate_share", (struct q){.unit = "d1", .term = "2020-2025"}), 2, 2,
                 "100.0");
    /* d1's target does not pass to w1 (w1 has no CITY_STANDING cadre: null, met null). */
    v = one(&r, "postgraduate_share", (struct q){.unit = "w1", .term = "2015-2020"});
    expect_ratio("postgraduate w1", v, 0, 0, NULL);
    assert_int_equal(v->met, NL_MET_NULL);
    if (v->has_target)
        assert_string_equal(v->target.unit, "");

    /* Key cadres on 2019-12-31 by the kind of their unit on that day. */
    /* WARD/COMMUNE/TOWNSHIP: Q1 INT, Q2 ELEM, Q3 ADV, Q4 INT, Q5 INT (xab), Q6 NONE (xab),
     * Q9 INT (ps1); Q8 is a district's. INTERMEDIATE+: Q1 Q3 Q4 Q5 Q9 = 5 of 7 = 71.43 */
    v = one(&r, "key_commune_theory_share", t1);
    expect_ratio("key commune theory hn", v, 5, 7, "71.4");
    expect_target(v, "=", "100", "", "2015-2020", NL_MET_NO);
    /* WARD/TOWNSHIP: Q1 UNI, Q2 BELOW, Q4 BELOW, Q9 UNI: 2 of 4 */
    v = one(&r, "key_ward_university_share", t1);
    expect_ratio("key ward university hn", v, 2, 4, "50.0");
    expect_target(v, "=", "100", "", "2015-2020", NL_MET_NO);
    /* COMMUNE: Q3 UNI, Q5 UNI, Q6 BELOW (Q7 not key): 2 of 3 = 66.67; > 80: not met. */
    v = one(&r, "key_commune_university_share", t1);
    expect_ratio("key commune university hn", v, 2, 3, "66.7");
    expect_target(v, ">", "80", "", "2015-2020", NL_MET_NO);
    /* d2's own target > 60 wins for d2: the same 2 of 3 = 66.67 is met there. */
    v = one(&r, "key_commune_university_share", (struct q){.unit = "d2", .term = "2015-2020"});
    expect_ratio("key commune university d2", v, 2, 3, "66.7");
    expect_target(v, ">", "60", "d2", "2015-2020", NL_MET_YES);
    /* ... and never passes to xab under it: Q5 UNI, Q6 BELOW = 1/2 against the city's > 80. */
    v = one(&r, "key_commune_university_share", (struct q){.unit = "xab", .term = "2015-2020"});
    expect_ratio("key commune university xab", v, 1, 2, "50.0");
    expect_target(v, ">", "80", "", "2015-2020", NL_MET_NO);
    /* The query: key cadres on 2019-12-31 by unit: d1 Q1 (w1) Q2 (w2) Q8 (d1) Q9 (ps1) = 4;
     * d2 Q3 Q4 Q5 Q6 = 4 (Q7 is not key). */
    struct nl_ind_sel sel;
    struct nl_ind_qrow *rows = NULL;
    size_t n = 0;
    resolve(&r, t1, &sel);
    const struct nl_ind_filter key[] = {{"key_cadre", "true"}};
    const char *const byunit[] = {"unit"};
    assert_int_equal(nl_ind_aggregate(&r.e, "cadres", &sel, key, 1, byunit, 1, &rows, &n), NL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].group[0], "d1");
    assert_int_equal(rows[0].value, 4);
    assert_string_equal(rows[1].group[0], "d2");
    assert_int_equal(rows[1].value, 4);
    /* CITY_STANDING by education: UNIVERSITY P1 P3, MASTER P2, DOCTOR P4. */
    const struct nl_ind_filter city[] = {{"mgmt_category", "CITY_STANDING"}};
    const char *const byedu[] = {"education"};
    assert_int_equal(nl_ind_aggregate(&r.e, "cadres", &sel, city, 1, byedu, 1, &rows, &n), NL_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows[i].value, strcmp(rows[i].group[0], "UNIVERSITY") == 0 ? 2 : 1);
    /* c1: Q3 alone, 1/1 = 100 > 80: met under the unit-less target. */
    v = one(&r, "key_commune_university_share", (struct q){.unit = "c1", .term = "2015-2020"});
    expect_ratio("key commune university c1", v, 1, 1, "100.0");
    expect_target(v, ">", "80", "", "2015-2020", NL_MET_YES);
    run_close(&r);
}

/* Stocks of units that did not exist on D: MERGE predecessors count, SPLIT ones do not. */
static void test_stock_lineage(void **state)
{
    struct run r;
    const struct nl_ind_value *v;
    (void)state;

    sql(CADRES);
    run_open(&r);
    /* xab on 2019-03-01 (before the merge): its predecessors xa (Q5 UNI INT) and xb (Q6 BELOW
     * NONE). University 1/2; intermediate theory 1/2. The term of D is 2015-2020: > 80. */
    struct q xab = {.unit = "xab", .as_of = "2019-03-01"};
    v = one(&r, "key_commune_university_share", xab);
    expect_ratio("key commune university xab before the merge", v, 1, 2, "50.0");
    expect_target(v, ">", "80", "", "2015-2020", NL_MET_NO);
    expect_ratio("key commune theory xab before the merge",
                 one(&r, "key_commune_theory_share", xab), 1, 2, "50.0");
    /* d2 on that day: c1 (Q3 UNI), xa (Q5 UNI), xb (Q6 BELOW): 2/3 */
    expect_ratio(
        "key commune university d2 2019-03-01",
        one(&r, "key_commune_university_share", (struct q){.unit = "d2", .as_of = "2019-03-01"}), 2,
        3, "66.7");
    /* ps1 on 2018-06-01 (before the split): a SPLIT target has no predecessors: 0/0, null,
     * and met null although the seeded = 100 target applies. */
    v = one(&r, "key_ward_university_share", (struct q){.unit = "ps1", .as_of = "2018-06-01"});
    expect_ratio("key ward university ps1 before the split", v, 0, 0, NULL);
    assert_int_equal(v->met, NL_MET_NULL);
    /* ps1 after the split: Q9 UNI, 1/1 = 100 against = 100: met. */
    v = one(&r, "key_ward_university_share", (struct q){.unit = "ps1", .as_of = "2019-06-01"});
    expect_ratio("key ward university ps1 after the split", v, 1, 1, "100.0");
    expect_target(v, "=", "100", "", "2015-2020", NL_MET_YES);
    /* d1 on 2018-06-01 holds ps: Q1 (w1 UNI), Q2 (w2 BELOW), Q9 (ps UNI): 2/3 */
    expect_ratio(
        "key ward university d1 2018-06-01",
        one(&r, "key_ward_university_share", (struct q){.unit = "d1", .as_of = "2018-06-01"}), 2, 3,
        "66.7");
    /* --by unit for a stock: children of d2 on 2019-12-31 by code c1, t1, xab; d2 has no key
     * cadre of its own (a district is not commune-level): no d2 row. University: c1 Q3 1/1;
     * t1 Q4 is a TOWNSHIP's: 0/0; xab Q5, Q6: 1/2. */
    size_t n = 0;
    v = rows_of(&r, "key_commune_university_share", (struct q){.unit = "d2", .term = "2015-2020"},
                NL_DIM_UNIT, &n);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].unit, "c1");
    expect_ratio("by unit c1", &v[0], 1, 1, "100.0");
    assert_string_equal(v[1].unit, "t1");
    expect_ratio("by unit t1", &v[1], 0, 0, NULL);
    assert_string_equal(v[2].unit, "xab");
    expect_ratio("by unit xab", &v[2], 1, 2, "50.0");
    run_close(&r);
}

/* `met` compares the exact value: 2499/2500 = 99.96 % shows as 100.0 and is not "= 100". */
static void test_met_exact(void **state)
{
    struct run r;
    const struct nl_ind_value *v;
    (void)state;

    /* 2500 CITY_STANDING cadres in d1: all ADVANCED but one (INTERMEDIATE); MASTER for the
     * first 875, UNIVERSITY for the rest. */
    sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
        " INSERT INTO cadre(id, cadre_code, sex, birth_year) SELECT 1000 + i, 'G' || i, 1, 1970"
        " FROM n;"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
        " INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
        " mgmt_category, education, political_theory, state_mgmt)"
        " SELECT 1000 + i, '2015-01-01', NULL, 2, 0, 2, 1, CASE WHEN i <= 875 THEN 3 ELSE 2 END,"
        " CASE WHEN i <= 2499 THEN 4 ELSE 3 END, 1 FROM n;");
    run_open(&r);
    /* 2499 / 2500 = 99.96 -> "100.0", but the exact value is below 100: not met. */
    v = one(&r, "advanced_theory_share", (struct q){.term = "2015-2020"});
    expect_ratio("advanced theory 99.96", v, 2499, 2500, "100.0");
    expect_target(v, "=", "100", "", "2015-2020", NL_MET_NO);
    /* 875 / 2500 = 35 exactly: >= 35 is met. */
    v = one(&r, "postgraduate_share", (struct q){.term = "2015-2020"});
    expect_ratio("postgraduate 35", v, 875, 2500, "35.0");
    expect_target(v, ">=", "35", "", "2015-2020", NL_MET_YES);
    run_close(&r);
}

/* ---------- term-scoped populations: committees ---------- */

/*
 * Term 2015-2020 COMMITTEE members active on 2019-12-31: M1..M19 (cadres
 * 101..119); M1..M15 in d2's own committee, M16..M19 in c1's. UNIVERSITY for
 * M1..M9, BELOW_UNIVERSITY for M10..M19 (M10 becomes UNIVERSITY on
 * 2021-03-01: the profile that changed between the terms). FEMALE when i is
 * a multiple of 3. Not counted for 2015-2020: M20 (ended 2019-12-31 = D: end
 * must be after D), M21 (started 2020-01-05, after D), M22 (STANDING_COMMITTEE
 * only), M23 (a 2020-2025 membership started in 2019).
 * Term 2020-2025 COMMITTEE members of d2 active on 2024-12-31: M10, M23,
 * N1 (FEMALE UNIVERSITY), N2 (MALE UNIVERSITY); M23 is BELOW_UNIVERSITY.
 */
static const char COMMITTEES[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 23)"
    " INSERT INTO cadre(id, cadre_code, sex, birth_year)"
    " SELECT 100 + i, 'M' || i, CASE WHEN i % 3 = 0 THEN 2 ELSE 1 END, 1975 FROM n;"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 23)"
    " INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt)"
    " SELECT 100 + i, '2015-01-01', CASE WHEN i = 10 THEN '2021-02-28' END,"
    " CASE WHEN i BETWEEN 16 AND 19 THEN 6 ELSE 3 END, 0, 2, 3,"
    " CASE WHEN i <= 9 THEN 2 ELSE 1 END, 3, 1 FROM n;"
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt) VALUES"
    " (110, '2021-03-01', NULL, 3, 0, 2, 3, 2, 3, 1);"
    "INSERT INTO cadre(id, cadre_code, sex, birth_year) VALUES (201, 'N1', 2, 1980),"
    " (202, 'N2', 1, 1980);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 19)"
    " INSERT INTO committee_membership(cadre_id, unit_id, term_id, body, role, start_date,"
    " end_date) SELECT 100 + i, CASE WHEN i <= 15 THEN 3 ELSE 6 END, 1, 1, 4, '2015-10-01', NULL"
    " FROM n;"
    "INSERT INTO committee_membership(cadre_id, unit_id, term_id, body, role, start_date,"
    " end_date) VALUES"
    " (120, 3, 1, 1, 4, '2015-10-01', '2019-12-31'),"
    " (121, 3, 1, 1, 4, '2020-01-05', NULL),"
    " (122, 3, 1, 2, 3, '2015-10-01', NULL),"
    " (123, 3, 2, 1, 4, '2019-06-01', NULL),"
    " (110, 3, 2, 1, 4, '2020-10-01', NULL),"
    " (201, 3, 2, 1, 4, '2020-10-01', NULL),"
    " (202, 3, 2, 1, 4, '2020-10-01', NULL);"
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt) VALUES"
    " (201, '2015-01-01', NULL, 3, 0, 2, 3, 2, 3, 1),"
    " (202, '2015-01-01', NULL, 3, 0, 2, 3, 2, 3, 1);";

static void test_committees(void **state)
{
    struct run r;
    struct q d2a = {.unit = "d2", .term = "2015-2020"}, d2b = {.unit = "d2", .term = "2020-2025"};
    (void)state;

    sql(COMMITTEES);
    run_open(&r);
    /* d2 and the units under it, 2015-2020: M1..M19. UNIVERSITY+: M1..M9 = 9 of 19 = 47.37 */
    expect_ratio("committee university d2 2015-2020", one(&r, "committee_university_share", d2a), 9,
                 19, "47.4");
    /* FEMALE: M3 M6 M9 M12 M15 M18 = 6 of 19 = 31.58 */
    expect_ratio("committee women d2 2015-2020", one(&r, "committee_women_share", d2a), 6, 19,
                 "31.6");
    /* 2020-2025: M10 (UNIVERSITY since 2021), N1, N2 UNIVERSITY; M23 BELOW: 3 of 4 */
    expect_ratio("committee university d2 2020-2025", one(&r, "committee_university_share", d2b), 3,
                 4, "75.0");
    /* FEMALE: N1 only (M10, M23: i not a multiple of 3): 1 of 4 */
    expect_ratio("committee women d2 2020-2025", one(&r, "committee_women_share", d2b), 1, 4,
                 "25.0");
    /* The change: 75 - 47.368 = 27.63 -> +27.6 points */
    assert_string_equal(change(&r, "committee_university_share", d2a, d2b), "+27.6");

    /* --own: d2's own committee, M1..M15: university 9/15, women M3..M15 step 3 = 5/15. */
    struct q own = {.unit = "d2", .term = "2015-2020", .own = 1};
    expect_ratio("committee university d2 own", one(&r, "committee_university_share", own), 9, 15,
                 "60.0");
    expect_ratio("committee women d2 own", one(&r, "committee_women_share", own), 5, 15, "33.3");
    /* c1: M16..M19, all BELOW: 0/4; FEMALE M18: 1/4. */
    struct q c1 = {.unit = "c1", .term = "2015-2020"};
    expect_ratio("committee university c1", one(&r, "committee_university_share", c1), 0, 4, "0.0");
    expect_ratio("committee women c1", one(&r, "committee_women_share", c1), 1, 4, "25.0");
    /* The city's subtree holds them all; the city's own committee has none: null. */
    expect_ratio("committee university hn",
                 one(&r, "committee_university_share", (struct q){.term = "2015-2020"}), 9, 19,
                 "47.4");
    expect_ratio("committee university hn own",
                 one(&r, "committee_university_share", (struct q){.term = "2015-2020", .own = 1}),
                 0, 0, NULL);

    /* --by unit, d2, 2015-2020: children on 2019-12-31 by code c1, t1, xab, then d2's own. */
    size_t n = 0;
    const struct nl_ind_value *v = rows_of(&r, "committee_university_share", d2a, NL_DIM_UNIT, &n);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].unit, "c1");
    expect_ratio("by unit c1", &v[0], 0, 4, "0.0");
    assert_string_equal(v[1].unit, "t1");
    expect_ratio("by unit t1", &v[1], 0, 0, NULL);
    assert_string_equal(v[2].unit, "xab");
    expect_ratio("by unit xab", &v[2], 0, 0, NULL);
    assert_string_equal(v[3].unit, "d2");
    expect_ratio("by unit d2 own", &v[3], 9, 15, "60.0");

    /* The query: committee_members by body for d2 2015-2020 on D: COMMITTEE 19, STANDING 1. */
    struct nl_ind_sel sel;
    struct nl_ind_qrow *rows = NULL;
    const char *const by[] = {"sex"};
    resolve(&r, d2a, &sel);
    /* by sex: FEMALE 6 + M22 (i = 22: MALE) -> FEMALE 6, MALE 13 + 1 = 14 */
    assert_int_equal(nl_ind_aggregate(&r.e, "committee_members", &sel, NULL, 0, by, 1, &rows, &n),
                     NL_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rows[i].value, strcmp(rows[i].group[0], "FEMALE") == 0 ? 6 : 14);
    run_close(&r);

    /* CompareIndicator through the handler: both values and the change. */
    Nhanluc__V1__CompareIndicatorRequest req = NHANLUC__V1__COMPARE_INDICATOR_REQUEST__INIT;
    Nhanluc__V1__Selection s = NHANLUC__V1__SELECTION__INIT;
    struct sf_result res;
    req.code = sf_unconst("committee_university_share");
    s.unit = sf_unconst("d2");
    req.selection = &s;
    req.term_a = sf_unconst("2015-2020");
    req.term_b = sf_unconst("2020-2025");
    sf_call(g, "/nhanluc.v1.Indicators/CompareIndicator", &req.base, &res);
    assert_int_equal(res.status, NL_OK);
    const Nhanluc__V1__CompareIndicatorResponse *cr =
        (const Nhanluc__V1__CompareIndicatorResponse *)res.resp;
    assert_string_equal(cr->a->value, "47.4");
    assert_string_equal(cr->b->value, "75.0");
    assert_true(cr->has_change);
    assert_string_equal(cr->change, "+27.6");
    sf_call_done(&res);
}

/* ---------- term-scoped populations: the planning pool ---------- */

/*
 * body_or_title: 1 COMMITTEE, 2 STANDING_COMMITTEE, 3 SECRETARY, 4 DEPUTY_SECRETARY,
 * 5 CHAIR_PEOPLES_COUNCIL, 6 CHAIR_PEOPLES_COMMITTEE, 7 VICE_CHAIR, 8 DEPT_HEAD,
 * 9 DEPT_DEPUTY, 10 DIRECTOR.
 * hn, 2015-2020, active on 2019-12-31: COMMITTEE pool A1..A8 (cadres 301..308).
 *   A1 FEMALE MASTER ADVANCED; A2 MASTER ADVANCED; A3 DOCTOR BACHELOR;
 *   A4 UNIVERSITY ADVANCED (MASTER from 2022-01-01); A5..A7 UNIVERSITY ADVANCED;
 *   A8 UNIVERSITY INTERMEDIATE. Others MALE.
 *   Not in the pool on D: A9 (removed 2019-06-30), A10 (added 2020-02-01); A11 has only a
 *   SECRETARY entry (a title does not put anyone in a body's pool).
 *   A1 is also planned for SECRETARY and DEPUTY_SECRETARY (two titles: still one member).
 *   Seats: COMMITTEE 5, SECRETARY 2.
 *   Titles: SECRETARY A1 A2 A3 A11 (4 candidates: one violation); DEPUTY_SECRETARY A1 A2 A5
 *   (+ A6 removed 2019-01-01: 3 active, none); A5 also CHAIR_PEOPLES_COUNCIL and
 *   CHAIR_PEOPLES_COMMITTEE (3 titles: none); A7 VICE_CHAIR, DEPT_HEAD, DEPT_DEPUTY,
 *   DIRECTOR (4 titles: one violation).
 * d1, 2015-2020: COMMITTEE pool D1 (FEMALE MASTER ADVANCED), D2 (MALE UNIVERSITY
 *   INTERMEDIATE); seats COMMITTEE 1; SECRETARY D1 D2 D3 D4 (one violation).
 * hn, 2020-2025, active on 2024-12-31: COMMITTEE pool A4 and B1..B8 (cadres 321..328):
 *   B1..B4 FEMALE, B1..B5 MASTER, B6..B8 UNIVERSITY; B1..B7 ADVANCED, B8 INTERMEDIATE.
 *   Seats COMMITTEE 8.
 */
static const char POOL[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 11)"
    " INSERT INTO cadre(id, cadre_code, sex, birth_year)"
    " SELECT 300 + i, 'A' || i, CASE WHEN i = 1 THEN 2 ELSE 1 END, 1975 FROM n;"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 11)"
    " INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt)"
    " SELECT 300 + i, '2015-01-01', CASE WHEN i = 4 THEN '2021-12-31' END, 1, 0, 1, 1,"
    " CASE WHEN i <= 2 THEN 3 WHEN i = 3 THEN 4 ELSE 2 END,"
    " CASE WHEN i = 3 THEN 5 WHEN i <= 7 THEN 4 ELSE 3 END, 1 FROM n;"
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt) VALUES"
    " (304, '2022-01-01', NULL, 1, 0, 1, 1, 3, 4, 1);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)"
    " INSERT INTO planning_entry(cadre_id, unit_id, term_id, body_or_title, added_on, removed_on)"
    " SELECT 300 + i, 1, 1, 1, '2016-01-01', NULL FROM n;"
    "INSERT INTO planning_entry(cadre_id, unit_id, term_id, body_or_title, added_on, removed_on)"
    " VALUES (309, 1, 1, 1, '2016-01-01', '2019-06-30'), (310, 1, 1, 1, '2020-02-01', NULL),"
    " (301, 1, 1, 3, '2016-01-01', NULL), (302, 1, 1, 3, '2016-01-01', NULL),"
    " (303, 1, 1, 3, '2016-01-01', NULL), (311, 1, 1, 3, '2016-01-01', NULL),"
    " (301, 1, 1, 4, '2016-01-01', NULL), (302, 1, 1, 4, '2016-01-01', NULL),"
    " (305, 1, 1, 4, '2016-01-01', NULL), (306, 1, 1, 4, '2016-01-01', '2019-01-01'),"
    " (305, 1, 1, 5, '2016-01-01', NULL), (305, 1, 1, 6, '2016-01-01', NULL),"
    " (307, 1, 1, 7, '2016-01-01', NULL), (307, 1, 1, 8, '2016-01-01', NULL),"
    " (307, 1, 1, 9, '2016-01-01', NULL), (307, 1, 1, 10, '2016-01-01', NULL);"
    "INSERT INTO seat_quota(unit_id, term_id, body_or_title, seats) VALUES"
    " (1, 1, 1, 5), (1, 1, 3, 2), (2, 1, 1, 1), (1, 2, 1, 8);"
    /* d1's pool */
    "INSERT INTO cadre(id, cadre_code, sex, birth_year) VALUES (331, 'D1', 2, 1980),"
    " (332, 'D2', 1, 1980), (333, 'D3', 1, 1980), (334, 'D4', 1, 1980);"
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt) VALUES"
    " (331, '2015-01-01', NULL, 2, 0, 2, 2, 3, 4, 1),"
    " (332, '2015-01-01', NULL, 2, 0, 2, 2, 2, 3, 1),"
    " (333, '2015-01-01', NULL, 2, 0, 2, 2, 2, 3, 1),"
    " (334, '2015-01-01', NULL, 2, 0, 2, 2, 2, 3, 1);"
    "INSERT INTO planning_entry(cadre_id, unit_id, term_id, body_or_title, added_on, removed_on)"
    " VALUES (331, 2, 1, 1, '2016-01-01', NULL), (332, 2, 1, 1, '2016-01-01', NULL),"
    " (331, 2, 1, 3, '2016-01-01', NULL), (332, 2, 1, 3, '2016-01-01', NULL),"
    " (333, 2, 1, 3, '2016-01-01', NULL), (334, 2, 1, 3, '2016-01-01', NULL);"
    /* 2020-2025 */
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)"
    " INSERT INTO cadre(id, cadre_code, sex, birth_year)"
    " SELECT 320 + i, 'B' || i, CASE WHEN i <= 4 THEN 2 ELSE 1 END, 1980 FROM n;"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)"
    " INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt)"
    " SELECT 320 + i, '2015-01-01', NULL, 1, 0, 1, 1, CASE WHEN i <= 5 THEN 3 ELSE 2 END,"
    " CASE WHEN i <= 7 THEN 4 ELSE 3 END, 1 FROM n;"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8)"
    " INSERT INTO planning_entry(cadre_id, unit_id, term_id, body_or_title, added_on, removed_on)"
    " SELECT 320 + i, 1, 2, 1, '2021-01-01', NULL FROM n;"
    "INSERT INTO planning_entry(cadre_id, unit_id, term_id, body_or_title, added_on, removed_on)"
    " VALUES (304, 1, 2, 1, '2021-01-01', NULL);"
    "INSERT INTO target(indicator, unit_id, term_code, op, value) VALUES"
    " ('planning_coefficient', 1, '2015-2020', '>=', '1.6'),"
    " ('planning_coefficient', NULL, '2020-2025', '>=', '1.13');";

static void test_pool(void **state)
{
    struct run r;
    struct q own1 = {.term = "2015-2020", .own = 1}, own2 = {.term = "2020-2025", .own = 1};
    const struct nl_ind_value *v;
    (void)state;

    sql(POOL);
    run_open(&r);
    /* The city's own pool, 2015-2020: A1..A8 (A1 once, despite its two title entries) over
     * 5 COMMITTEE seats (the SECRETARY seats are not the committee's): 8/5 = 1.60 */
    v = one(&r, "planning_coefficient", own1);
    expect_ratio("coefficient hn own 2015-2020", v, 8, 5, "1.60");
    /* The city's own target >= 1.6: 8/5 is exactly 1.6, met. */
    expect_target(v, ">=", "1.6", "hn", "2015-2020", NL_MET_YES);
    /* MASTER+: A1, A2, A3 = 3/8 = 37.5 (A4 is UNIVERSITY on 2019-12-31) */
    expect_ratio("masters hn own 2015-2020", one(&r, "planning_masters_share", own1), 3, 8, "37.5");
    /* ADVANCED+: A1..A7 = 7/8 = 87.5 */
    expect_ratio("theory hn own 2015-2020", one(&r, "planning_theory_share", own1), 7, 8, "87.5");
    /* FEMALE: A1 = 1/8 = 12.5 */
    expect_ratio("women hn own 2015-2020", one(&r, "planning_women_share", own1), 1, 8, "12.5");

    /* 2020-2025: A4 + B1..B8 = 9 over 8 seats: 1.125 -> 1.13 (half away from zero) */
    v = one(&r, "planning_coefficient", own2);
    expect_ratio("coefficient hn own 2020-2025", v, 9, 8, "1.13");
    /* Against >= 1.13 (no unit): the exact 1.125 is below, though it shows as 1.13. */
    expect_target(v, ">=", "1.13", "", "2020-2025", NL_MET_NO);
    /* MASTER+: A4 (MASTER since 2022) + B1..B5 = 6/9 = 66.67 */
    expect_ratio("masters hn own 2020-2025", one(&r, "planning_masters_share", own2), 6, 9, "66.7");
    /* ADVANCED+: A4 + B1..B7 = 8/9 = 88.89 */
    expect_ratio("theory hn own 2020-2025", one(&r, "planning_theory_share", own2), 8, 9, "88.9");
    /* FEMALE: B1..B4 = 4/9 = 44.44 */
    expect_ratio("women hn own 2020-2025", one(&r, "planning_women_share", own2), 4, 9, "44.4");
    /* The change of the coefficient: 1.125 - 1.6 = -0.475 -> -0.48 (from the exact values;
     * the rounded ones would give 1.13 - 1.60 = -0.47). */
    assert_string_equal(change(&r, "planning_coefficient", own1, own2), "-0.48");
    /* masters: 66.667 - 37.5 = 29.167 -> +29.2 */
    assert_string_equal(change(&r, "planning_masters_share", own1, own2), "+29.2");

    /* Without --own: the city's subtree adds d1's pool (D1, D2) and seats (1): 10/6 = 1.667 */
    struct q sub1 = {.term = "2015-2020"};
    expect_ratio("coefficient hn 2015-2020", one(&r, "planning_coefficient", sub1), 10, 6, "1.67");
    /* MASTER+: A1, A2, A3, D1 = 4/10 */
    expect_ratio("masters hn 2015-2020", one(&r, "planning_masters_share", sub1), 4, 10, "40.0");
    /* d1 alone: 2 over 1 seat = 2.00; the city's target does not pass down to it. */
    v = one(&r, "planning_coefficient", (struct q){.unit = "d1", .term = "2015-2020"});
    expect_ratio("coefficient d1 2015-2020", v, 2, 1, "2.00");
    expect_no_target(v);
    /* d2 has no pool and no seats: null. */
    expect_ratio("coefficient d2 2015-2020",
                 one(&r, "planning_coefficient", (struct q){.unit = "d2", .term = "2015-2020"}), 0,
                 0, NULL);

    /* planning_overload, one unit and term at a time: hn's own = SECRETARY (4 candidates) + A7
     * (4 titles) = 2; d1's = SECRETARY (4 candidates) = 1; the subtree 3. */
    expect_count("overload hn own", one(&r, "planning_overload", own1), 2);
    expect_count("overload d1",
                 one(&r, "planning_overload", (struct q){.unit = "d1", .term = "2015-2020"}), 1);
    expect_count("overload hn", one(&r, "planning_overload", sub1), 3);
    expect_count("overload hn own 2020-2025", one(&r, "planning_overload", own2), 0);
    /* By unit: d1 1, d2 0, hn's own 2. */
    size_t n = 0;
    v = rows_of(&r, "planning_overload", sub1, NL_DIM_UNIT, &n);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].unit, "d1");
    expect_count("overload by unit d1", &v[0], 1);
    assert_string_equal(v[1].unit, "d2");
    expect_count("overload by unit d2", &v[1], 0);
    assert_string_equal(v[2].unit, "hn");
    expect_count("overload by unit hn", &v[2], 2);

    /* The query: pool members of hn's own pool on D with any entry: A1..A8 and A11 = 9;
     * with body=COMMITTEE: 8; seats with body=COMMITTEE: 5. */
    struct nl_ind_sel sel;
    struct nl_ind_qrow *rows = NULL;
    resolve(&r, own1, &sel);
    assert_int_equal(nl_ind_aggregate(&r.e, "pool_members", &sel, NULL, 0, NULL, 0, &rows, &n),
                     NL_OK);
    assert_int_equal(rows[0].value, 9);
    const struct nl_ind_filter body[] = {{"body", "COMMITTEE"}};
    assert_int_equal(nl_ind_aggregate(&r.e, "pool_members", &sel, body, 1, NULL, 0, &rows, &n),
                     NL_OK);
    assert_int_equal(rows[0].value, 8);
    assert_int_equal(nl_ind_aggregate(&r.e, "seats", &sel, body, 1, NULL, 0, &rows, &n), NL_OK);
    assert_int_equal(rows[0].value, 5);
    run_close(&r);
}

/* ---------- reviews ---------- */

/*
 * R1 in w1 until 2019-05-31, then in c1; R2, R3 in w1; R4 in d1; R5 in w2.
 * Reviews (rating 1 EXCELLENT 2 GOOD 3 COMPLETED 4 NOT_COMPLETED; action
 * 1 KEEP 2 REASSIGN 3 ROTATE 4 DISMISS 5 REMOVE_FROM_PLANNING 6 FURTHER_TRAINING):
 *   2018: R1 GOOD FURTHER_TRAINING (R1 in w1 on 2018-12-31)
 *   2019: R1 EXCELLENT KEEP (in c1 on 2019-12-31); R2 GOOD REASSIGN; R3 COMPLETED ROTATE;
 *         R4 NOT_COMPLETED DISMISS; R5 COMPLETED REMOVE_FROM_PLANNING
 *   2020: R2 EXCELLENT KEEP
 */
static const char REVIEWS[] =
    "INSERT INTO cadre(id, cadre_code, sex, birth_year) VALUES (401, 'R1', 1, 1980),"
    " (402, 'R2', 2, 1980), (403, 'R3', 1, 1980), (404, 'R4', 1, 1980), (405, 'R5', 2, 1980);"
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt) VALUES"
    " (401, '2015-01-01', '2019-05-31', 4, 0, 3, 3, 2, 3, 1),"
    " (401, '2019-06-01', NULL, 6, 0, 3, 3, 2, 3, 1),"
    " (402, '2015-01-01', NULL, 4, 0, 3, 3, 2, 3, 1),"
    " (403, '2015-01-01', NULL, 4, 0, 3, 3, 2, 3, 1),"
    " (404, '2015-01-01', NULL, 2, 0, 2, 3, 2, 3, 1),"
    " (405, '2015-01-01', NULL, 5, 0, 3, 3, 2, 3, 1);"
    "INSERT INTO review(cadre_id, year, annual_rating, meets_requirements, action) VALUES"
    " (401, 2018, 2, 1, 6), (401, 2019, 1, 1, 1), (402, 2019, 2, 1, 2), (403, 2019, 3, 0, 3),"
    " (404, 2019, 4, 0, 4), (405, 2019, 3, 0, 5), (402, 2020, 1, 1, 1);";

static void test_reviews(void **state)
{
    struct run r;
    (void)state;

    sql(REVIEWS);
    run_open(&r);
    /* d1 2019: R2, R3, R4, R5 (R1 is in c1 on 31 Dec). EXCELLENT/GOOD: R2 = 1/4 */
    struct q d1 = {.unit = "d1", .year = 2019};
    expect_ratio("good d1 2019", one(&r, "post_training_good_share", d1), 1, 4, "25.0");
    /* REASSIGN/ROTATE/DISMISS: R2, R3, R4 = 3/4 (REMOVE_FROM_PLANNING is not) */
    expect_ratio("reassign d1 2019", one(&r, "reassignment_rate", d1), 3, 4, "75.0");
    /* d2 2019: R1 EXCELLENT KEEP: 1/1 and 0/1 */
    struct q d2 = {.unit = "d2", .year = 2019};
    expect_ratio("good d2 2019", one(&r, "post_training_good_share", d2), 1, 1, "100.0");
    expect_ratio("reassign d2 2019", one(&r, "reassignment_rate", d2), 0, 1, "0.0");
    /* w1 2019: R2 GOOD REASSIGN, R3 COMPLETED ROTATE: 1/2 and 2/2 */
    struct q w1 = {.unit = "w1", .year = 2019};
    expect_ratio("good w1 2019", one(&r, "post_training_good_share", w1), 1, 2, "50.0");
    expect_ratio("reassign w1 2019", one(&r, "reassignment_rate", w1), 2, 2, "100.0");
    /* d1 over 2015-2020 (years 2015..2019): adds R1's 2018 review (w1 then): 2/5 and 3/5 */
    struct q d1t = {.unit = "d1", .term = "2015-2020"};
    expect_ratio("good d1 term", one(&r, "post_training_good_share", d1t), 2, 5, "40.0");
    expect_ratio("reassign d1 term", one(&r, "reassignment_rate", d1t), 3, 5, "60.0");
    /* The city 2019: all five: GOOD+ R1, R2 = 2/5; reassigned R2, R3, R4 = 3/5 */
    expect_ratio("good hn 2019", one(&r, "post_training_good_share", (struct q){.year = 2019}), 2,
                 5, "40.0");
    expect_ratio("reassign hn 2019", one(&r, "reassignment_rate", (struct q){.year = 2019}), 3, 5,
                 "60.0");
    /* The query: reviews by year over the term: 2018 one, 2019 five (2020 is outside). */
    struct nl_ind_sel sel;
    struct nl_ind_qrow *rows = NULL;
    size_t n = 0;
    const char *const byyear[] = {"year"};
    resolve(&r, (struct q){.term = "2015-2020"}, &sel);
    assert_int_equal(nl_ind_aggregate(&r.e, "reviews", &sel, NULL, 0, byyear, 1, &rows, &n), NL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].group[0], "2018");
    assert_int_equal(rows[0].value, 1);
    assert_string_equal(rows[1].group[0], "2019");
    assert_int_equal(rows[1].value, 5);
    /* No review in 2017: null. */
    expect_ratio("good d1 2017",
                 one(&r, "post_training_good_share", (struct q){.unit = "d1", .year = 2017}), 0, 0,
                 NULL);
    run_close(&r);
}

/* ---------- annual reports ---------- */

/*
 * Report status 1 DRAFT 2 SUBMITTED 3 RETURNED 4 APPROVED; on time = submitted
 * by 31 Jan of the next year (the date part of a timestamp).
 *   2019: d2 SUBMITTED 2020-01-31 (on time: the last day); c1 APPROVED
 *         2020-01-15T09:30:00.000Z (on time); t1 SUBMITTED 2020-02-01 (late);
 *         xab RETURNED 2020-01-10 (not submitted); hn SUBMITTED (a CITY: not expected)
 *   2018: xa DRAFT; xb SUBMITTED 2019-01-20 (on time); d2 APPROVED
 *         2019-01-31T23:59:59.000Z (on time); c1 SUBMITTED 2019-02-01T00:00:00.000Z (late)
 */
static const char REPORTS[] =
    "INSERT INTO report(unit_id, year, status, submitted_at) VALUES"
    " (3, 2019, 2, '2020-01-31'), (6, 2019, 4, '2020-01-15T09:30:00.000Z'),"
    " (7, 2019, 2, '2020-02-01'), (10, 2019, 3, '2020-01-10'), (1, 2019, 2, '2020-01-02'),"
    " (8, 2018, 1, NULL), (9, 2018, 2, '2019-01-20'), (3, 2018, 4, '2019-01-31T23:59:59.000Z'),"
    " (6, 2018, 2, '2019-02-01T00:00:00.000Z');";

static void test_reports(void **state)
{
    struct run r;
    struct nl_ind_sel sel;
    struct nl_ind_missing *m = NULL;
    size_t n = 0;
    (void)state;

    sql(REPORTS);
    run_open(&r);
    /* d2 2019: expected d2, c1, t1, xab (xa, xb closed on 2019-06-30); on time d2, c1: 2/4 */
    struct q d2 = {.unit = "d2", .year = 2019};
    expect_ratio("completeness d2 2019", one(&r, "report_completeness", d2), 2, 4, "50.0");
    /* Over the term: 2015..2018 expect d2, c1, t1, xa, xb = 5 a year = 20, 2019 4: 24;
     * on time 2018 xb, d2 + 2019 d2, c1 = 4: 4/24 = 16.67 */
    struct q d2t = {.unit = "d2", .term = "2015-2020"};
    expect_ratio("completeness d2 term", one(&r, "report_completeness", d2t), 4, 24, "16.7");
    /* The city 2019: expected every non-CITY unit valid on 2019-12-31: d1 d2 w1 w2 c1 t1 xab
     * ps1 ps2 = 9 (hn's own report does not count); on time d2, c1: 2/9 = 22.2 */
    expect_ratio("completeness hn 2019", one(&r, "report_completeness", (struct q){.year = 2019}),
                 2, 9, "22.2");
    /* By unit: d1 (d1 w1 w2 ps1 ps2: 0/5), d2 (2/4); hn itself expects nothing: no row. */
    const struct nl_ind_value *v =
        rows_of(&r, "report_completeness", (struct q){.year = 2019}, NL_DIM_UNIT, &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].unit, "d1");
    expect_ratio("by unit d1", &v[0], 0, 5, "0.0");
    assert_string_equal(v[1].unit, "d2");
    expect_ratio("by unit d2", &v[1], 2, 4, "50.0");

    /* Missing reports: d2 2019 -> xab (RETURNED); t1 submitted late, so it did report. */
    resolve(&r, d2, &sel);
    assert_int_equal(nl_ind_missing_reports(&r.e, &sel, &m, &n), NL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].unit, "xab");
    assert_int_equal(m[0].year, 2019);
    /* Over the term: 2015, 2016, 2017 five each; 2018 t1 (none), xa (DRAFT); 2019 xab: 18,
     * by year then code. */
    resolve(&r, d2t, &sel);
    assert_int_equal(nl_ind_missing_reports(&r.e, &sel, &m, &n), NL_OK);
    assert_int_equal(n, 18);
    const char *first[] = {"c1", "d2", "t1", "xa", "xb"};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(m[i].unit, first[i]);
        assert_int_equal(m[i].year, 2015);
    }
    assert_string_equal(m[15].unit, "t1");
    assert_int_equal(m[15].year, 2018);
    assert_string_equal(m[16].unit, "xa");
    assert_int_equal(m[16].year, 2018);
    assert_string_equal(m[17].unit, "xab");
    assert_int_equal(m[17].year, 2019);
    run_close(&r);

    /* GetReport through the handler: the same missing list for d2 2019. */
    Nhanluc__V1__GetReportRequest req = NHANLUC__V1__GET_REPORT_REQUEST__INIT;
    Nhanluc__V1__Selection s = NHANLUC__V1__SELECTION__INIT;
    struct sf_result res;
    s.unit = sf_unconst("d2");
    s.year = 2019;
    req.selection = &s;
    sf_call(g, "/nhanluc.v1.Indicators/GetReport", &req.base, &res);
    assert_int_equal(res.status, NL_OK);
    const Nhanluc__V1__GetReportResponse *gr = (const Nhanluc__V1__GetReportResponse *)res.resp;
    assert_int_equal(gr->n_missing_reports, 1);
    assert_string_equal(gr->missing_reports[0]->unit, "xab");
    assert_int_equal(gr->missing_reports[0]->year, 2019);
    /* Every catalogue indicator, in catalogue order; report_completeness is 2/4 there too. */
    size_t ncat = 0;
    const struct nl_ind_def *cat = nl_ind_catalog(&ncat);
    assert_int_equal(ncat, 23);
    assert_int_equal(gr->n_values, ncat);
    for (size_t i = 0; i < ncat; i++)
        assert_string_equal(gr->values[i]->code, cat[i].code);
    const Nhanluc__V1__IndicatorValue *last = gr->values[ncat - 1];
    assert_string_equal(last->code, "report_completeness");
    assert_int_equal(last->numerator, 2);
    assert_int_equal(last->denominator, 4);
    assert_string_equal(last->value, "50.0");
    sf_call_done(&res);
}

/*
 * The sums a class keeps of its counted enrolments and the unit a review
 * is counted under (schema 6 and 7) are maintained by triggers: after
 * inserts, updates (to WITHDREW and back, new counts, a result, a move to
 * another class), deletes and profile changes, every stored value equals the
 * value recomputed from the rows themselves.
 */
static const char SUMS_STALE[] =
    "SELECT count(*) FROM class c WHERE"
    " c.n_enrol <> (SELECT count(*) FROM enrolment e WHERE e.class_id = c.id AND e.status <> 4)"
    " OR c.n_attended <> (SELECT ifnull(sum(attended), 0) FROM enrolment e"
    "   WHERE e.class_id = c.id AND e.status <> 4)"
    " OR c.n_sessions <> (SELECT ifnull(sum(attended + absent_excused + absent_unexcused), 0)"
    "   FROM enrolment e WHERE e.class_id = c.id AND e.status <> 4)"
    " OR c.n_completed <> (SELECT count(*) FROM enrolment e WHERE e.class_id = c.id"
    "   AND e.status = 2)"
    " OR c.n_failed <> (SELECT count(*) FROM enrolment e WHERE e.class_id = c.id AND e.status = 3)"
    " OR c.n_very_good <> (SELECT count(*) FROM enrolment e WHERE e.class_id = c.id"
    "   AND e.status = 2 AND e.result IN (1, 2))";
static const char REVIEW_UNIT_STALE[] =
    "SELECT count(*) FROM review r WHERE r.unit_id IS NOT (SELECT p.unit_id FROM cadre_profile p"
    " WHERE p.cadre_id = r.cadre_id AND p.valid_from <= printf('%04d-12-31', r.year)"
    " AND (p.valid_to IS NULL OR p.valid_to >= printf('%04d-12-31', r.year)))";

static void test_maintained_sums(void **state)
{
    struct run r;
    struct q w1 = {.unit = "w1", .year = 2019};
    (void)state;

    sql(FLOWS);
    sql(REVIEWS);
    assert_int_equal(sf_sql_long(g->rw, SUMS_STALE), 0);
    assert_int_equal(sf_sql_long(g->rw, REVIEW_UNIT_STALE), 0);
    /* Fills the read connection's trainee cache: K1 C1 C2 C3, K2 C1 C5 (as test_flow_indicators).
     */
    run_open(&r);
    expect_count("trainees w1 2019 before", one(&r, "trainees", w1), 4);
    expect_count("unexcused w1 2019 before", one(&r, "unexcused_absentees", w1), 3);
    run_close(&r);
    /* K1: C2 withdraws, C3's FAILED becomes COMPLETED VERY_GOOD, C4 comes back ENROLLED. */
    sql("UPDATE enrolment SET status = 4 WHERE class_id = 1 AND cadre_id = 2;"
        "UPDATE enrolment SET status = 2, result = 2, attended = 10, absent_unexcused = 0"
        " WHERE class_id = 1 AND cadre_id = 3;"
        "UPDATE enrolment SET status = 1, result = NULL WHERE class_id = 1 AND cadre_id = 4;"
        /* K2: C5 is deleted; C1 moves from K2 to K3. */
        "DELETE FROM enrolment WHERE class_id = 2 AND cadre_id = 5;"
        "UPDATE enrolment SET class_id = 3 WHERE class_id = 2 AND cadre_id = 1;");
    assert_int_equal(sf_sql_long(g->rw, SUMS_STALE), 0);
    /* R2 moves to w2 from 2019-06-01 (a new profile version closes the old one). */
    sql("UPDATE cadre_profile SET valid_to = '2019-05-31' WHERE cadre_id = 402;"
        "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
        " mgmt_category, education, political_theory, state_mgmt) VALUES"
        " (402, '2019-06-01', NULL, 6, 0, 3, 3, 2, 3, 1);"
        "DELETE FROM cadre_profile WHERE cadre_id = 405;");
    assert_int_equal(sf_sql_long(g->rw, REVIEW_UNIT_STALE), 0);
    assert_int_equal(sf_sql_long(g->rw, "SELECT count(*) FROM review WHERE cadre_id = 405"
                                        " AND unit_id IS NULL"),
                     1);
    run_open(&r);
    /* The cached trainees of K1 and K2 are stale now (their rev moved): K1 = C1, C3, C4. */
    expect_count("trainees w1 2019 after changes", one(&r, "trainees", w1), 3);
    /* Unexcused: C3's absences are gone; C4 (back, 9 unexcused) counts. */
    expect_count("unexcused w1 2019 after changes", one(&r, "unexcused_absentees", w1), 1);
    /* w1 2019 now: K1 = C1, C3, C4 (C2 withdrew); K2 = nothing left: 3 enrolments. */
    expect_count("enrolments w1 2019 after changes", one(&r, "enrolments", w1), 3);
    /* COMPLETED: C1 (EXCELLENT), C3 (VERY_GOOD) of K1: very good 2/2. */
    expect_ratio("very good w1 2019 after changes", one(&r, "very_good_rate", w1), 2, 2, "100.0");
    run_close(&r);
}

/* ---------- grouped by a trainee's attribute ---------- */

/*
 * Profiles of C1..C6 for FLOWS (education, political theory, key cadre;
 * level COMMUNE, mgmt OTHER, unit w1):
 *   C1 2015-01-01..2019-06-30 UNIVERSITY INTERMEDIATE no;
 *      2019-07-01..          MASTER     ADVANCED     yes (changed between K1 and K2)
 *   C2 2015-01-01..          MASTER     ADVANCED     yes
 *   C3 2015-01-01..          BELOW_UNIVERSITY NONE   no
 *   C4 2015-01-01..          UNIVERSITY ELEMENTARY   no
 *   C5 no profile: UNKNOWN
 *   C6 2015-01-01..          DOCTOR     BACHELOR     no
 */
static const char PROFILES[] =
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
    " mgmt_category, education, political_theory, state_mgmt) VALUES"
    " (1, '2015-01-01', '2019-06-30', 4, 0, 3, 3, 2, 3, 1),"
    " (1, '2019-07-01', NULL, 4, 1, 3, 3, 3, 4, 1),"
    " (2, '2015-01-01', NULL, 4, 1, 3, 3, 3, 4, 1),"
    " (3, '2015-01-01', NULL, 4, 0, 3, 3, 1, 1, 1),"
    " (4, '2015-01-01', NULL, 4, 0, 3, 3, 2, 2, 1),"
    " (6, '2015-01-01', NULL, 4, 0, 3, 3, 4, 5, 1);";

/* The rows of a grouped count, in order: groups[i] with count[i]. */
static void expect_counts(const char *what, const struct nl_ind_value *v, size_t n,
                          const char *const *groups, const int64_t *count, size_t want)
{
    if (n != want)
        fail_msg("%s: %zu rows, want %zu", what, n, want);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].group[0], groups[i]) != 0)
            fail_msg("%s: row %zu is %s, want %s", what, i, v[i].group[0], groups[i]);
        expect_count(groups[i], &v[i], count[i]);
    }
}

/* Flow indicators by sex, education, theory, key cadre: the profile valid on the end date. */
static void test_flow_by_person(void **state)
{
    struct run r;
    struct q w1 = {.unit = "w1", .year = 2019};
    size_t n = 0;
    const struct nl_ind_value *v;
    (void)state;

    sql(FLOWS);
    sql(PROFILES);
    run_open(&r);
    /*
     * w1 2019 counts K1 (2019-05-10): C1 UNIVERSITY (first version), C2 MASTER,
     * C3 BELOW_UNIVERSITY (C4 WITHDREW), and K2 (2019-11-20): C1 MASTER (the
     * second version), C5 no profile. UNKNOWN comes first, then by value.
     */
    const char *const edu[] = {"UNKNOWN", "BELOW_UNIVERSITY", "UNIVERSITY", "MASTER"};
    v = rows_of(&r, "enrolments", w1, NL_DIM_EDUCATION, &n);
    expect_counts("enrolments by education", v, n, edu, (const int64_t[]){1, 1, 1, 2}, 4);
    assert_int_equal(v[0].dim[0], NL_DIM_EDUCATION);
    /* Distinct per group: C1 is in UNIVERSITY (K1) and in MASTER (K2, with C2). */
    v = rows_of(&r, "trainees", w1, NL_DIM_EDUCATION, &n);
    expect_counts("trainees by education", v, n, edu, (const int64_t[]){1, 1, 1, 2}, 4);
    /* Unexcused > 0: C5 (1) UNKNOWN, C3 (5) BELOW, C2 (2) MASTER; UNIVERSITY has C1 only: 0. */
    v = rows_of(&r, "unexcused_absentees", w1, NL_DIM_EDUCATION, &n);
    expect_counts("unexcused by education", v, n, edu, (const int64_t[]){1, 1, 0, 1}, 4);
    /* Attendance: C5 6/8; C3 5/10; C1 (K1) 9/10; C2 7/10 + C1 (K2) 8/8 = 15/18 = 83.33. */
    v = rows_of(&r, "attendance_rate", w1, NL_DIM_EDUCATION, &n);
    assert_int_equal(n, 4);
    expect_ratio("attendance UNKNOWN", &v[0], 6, 8, "75.0");
    expect_ratio("attendance BELOW", &v[1], 5, 10, "50.0");
    expect_ratio("attendance UNIVERSITY", &v[2], 9, 10, "90.0");
    expect_ratio("attendance MASTER", &v[3], 15, 18, "83.3");
    /* Completion: C5 ENROLLED 0/0 null; C3 FAILED 0/1; C1 1/1; C2 and C1 2/2. */
    v = rows_of(&r, "completion_rate", w1, NL_DIM_EDUCATION, &n);
    assert_int_equal(n, 4);
    expect_ratio("completion UNKNOWN", &v[0], 0, 0, NULL);
    expect_ratio("completion BELOW", &v[1], 0, 1, "0.0");
    expect_ratio("completion UNIVERSITY", &v[2], 1, 1, "100.0");
    expect_ratio("completion MASTER", &v[3], 2, 2, "100.0");
    /* Very good among COMPLETED: C1 EXCELLENT 1/1; C2 GOOD, C1 VERY_GOOD 1/2. */
    v = rows_of(&r, "very_good_rate", w1, NL_DIM_EDUCATION, &n);
    assert_int_equal(n, 4);
    expect_ratio("very good UNKNOWN", &v[0], 0, 0, NULL);
    expect_ratio("very good BELOW", &v[1], 0, 0, NULL);
    expect_ratio("very good UNIVERSITY", &v[2], 1, 1, "100.0");
    expect_ratio("very good MASTER", &v[3], 1, 2, "50.0");
    /* Theory: C1 (K1) INTERMEDIATE, C1 (K2) and C2 ADVANCED, C3 NONE, C5 none. */
    v = rows_of(&r, "completion_rate", w1, NL_DIM_POLITICAL_THEORY, &n);
    assert_int_equal(n, 4);
    assert_string_equal(v[0].group[0], "UNKNOWN");
    assert_string_equal(v[1].group[0], "NONE");
    expect_ratio("completion NONE", &v[1], 0, 1, "0.0");
    assert_string_equal(v[2].group[0], "INTERMEDIATE");
    expect_ratio("completion INTERMEDIATE", &v[2], 1, 1, "100.0");
    assert_string_equal(v[3].group[0], "ADVANCED");
    expect_ratio("completion ADVANCED", &v[3], 2, 2, "100.0");
    /* Key cadre: C1 (K1) and C3 no, C2 and C1 (K2) yes, C5 none. */
    v = rows_of(&r, "enrolments", w1, NL_DIM_KEY_CADRE, &n);
    expect_counts("enrolments by key cadre", v, n,
                  (const char *const[]){"UNKNOWN", "false", "true"}, (const int64_t[]){1, 2, 2}, 3);
    /* Sex (the cadre's): F = C1, C3, C1; M = C2, C5. Trainees: F {C1, C3}, M {C2, C5}. */
    v = rows_of(&r, "enrolments", w1, NL_DIM_SEX, &n);
    expect_counts("enrolments by sex", v, n, (const char *const[]){"MALE", "FEMALE"},
                  (const int64_t[]){2, 3}, 2);
    v = rows_of(&r, "trainees", w1, NL_DIM_SEX, &n);
    expect_counts("trainees by sex", v, n, (const char *const[]){"MALE", "FEMALE"},
                  (const int64_t[]){2, 2}, 2);
    /* A unit without classes has no group at all. */
    rows_of(&r, "enrolments", (struct q){.unit = "w2", .year = 2019}, NL_DIM_SEX, &n);
    assert_int_equal(n, 0);
    run_close(&r);
}

/* One read connection across writes: its cached attributes follow every kind of change. */
static void test_person_cache(void **state)
{
    struct run r;
    struct q w1 = {.unit = "w1", .year = 2019};
    size_t n = 0;
    const struct nl_ind_value *v;
    (void)state;

    sql(FLOWS);
    sql(PROFILES);
    run_open(&r); /* fills the connection's cache: as test_flow_by_person */
    v = rows_of(&r, "enrolments", w1, NL_DIM_EDUCATION, &n);
    expect_counts("before", v, n,
                  (const char *const[]){"UNKNOWN", "BELOW_UNIVERSITY", "UNIVERSITY", "MASTER"},
                  (const int64_t[]){1, 1, 1, 2}, 4);
    run_close(&r);

    /* A profile edited in place: C3 is a DOCTOR now (K1's C3 moves group). */
    sql("UPDATE cadre_profile SET education = 4 WHERE cadre_id = 3;");
    run_open(&r);
    v = rows_of(&r, "enrolments", w1, NL_DIM_EDUCATION, &n);
    expect_counts("C3 edited", v, n,
                  (const char *const[]){"UNKNOWN", "UNIVERSITY", "MASTER", "DOCTOR"},
                  (const int64_t[]){1, 1, 2, 1}, 4);
    run_close(&r);

    /* A version inserted: C1 is BELOW_UNIVERSITY from 2019-05-01 to 2019-06-30 (K1's date). */
    sql("UPDATE cadre_profile SET valid_to = '2019-04-30' WHERE cadre_id = 1"
        " AND valid_from = '2015-01-01';"
        "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, key_cadre, level,"
        " mgmt_category, education, political_theory, state_mgmt) VALUES"
        " (1, '2019-05-01', '2019-06-30', 4, 0, 3, 3, 1, 3, 1);");
    run_open(&r);
    v = rows_of(&r, "enrolments", w1, NL_DIM_EDUCATION, &n);
    expect_counts("C1 new version", v, n,
                  (const char *const[]){"UNKNOWN", "BELOW_UNIVERSITY", "MASTER", "DOCTOR"},
                  (const int64_t[]){1, 1, 2, 1}, 4);
    run_close(&r);

    /* The cadre's sex: C3 recorded as MALE. F = C1 (K1, K2); M = C2, C3, C5. */
    sql("UPDATE cadre SET sex = 1 WHERE id = 3;");
    run_open(&r);
    v = rows_of(&r, "enrolments", w1, NL_DIM_SEX, &n);
    expect_counts("C3 male", v, n, (const char *const[]){"MALE", "FEMALE"}, (const int64_t[]){3, 2},
                  2);
    run_close(&r);

    /* The class moves: K1 ends 2019-04-20, where C1's first version (UNIVERSITY) applies. */
    sql("UPDATE class SET start_date = '2019-04-01', end_date = '2019-04-20' WHERE id = 1;");
    run_open(&r);
    v = rows_of(&r, "enrolments", w1, NL_DIM_EDUCATION, &n);
    expect_counts("K1 earlier", v, n,
                  (const char *const[]){"UNKNOWN", "UNIVERSITY", "MASTER", "DOCTOR"},
                  (const int64_t[]){1, 1, 2, 1}, 4);
    run_close(&r);

    /* A new enrolment (the class's rev moves): C6, a DOCTOR, joins K2. */
    sql("INSERT INTO enrolment(class_id, cadre_id, status, result, attended, absent_excused,"
        " absent_unexcused) VALUES (2, 6, 2, 1, 8, 0, 0);");
    run_open(&r);
    v = rows_of(&r, "enrolments", w1, NL_DIM_EDUCATION, &n);
    expect_counts("C6 enrolled", v, n,
                  (const char *const[]){"UNKNOWN", "UNIVERSITY", "MASTER", "DOCTOR"},
                  (const int64_t[]){1, 1, 2, 2}, 4);
    run_close(&r);

    /* A new cadre without a profile, enrolled: read when first met. */
    sql("INSERT INTO cadre(id, cadre_code, sex, birth_year) VALUES (7, 'C7', 2, 1990);"
        "INSERT INTO enrolment(class_id, cadre_id, status, attended) VALUES (2, 7, 1, 0);");
    run_open(&r);
    v = rows_of(&r, "enrolments", w1, NL_DIM_SEX, &n);
    expect_counts("C7 enrolled", v, n, (const char *const[]){"MALE", "FEMALE"},
                  (const int64_t[]){3, 4}, 2);
    run_close(&r);

    /*
     * The log no longer reaches back to what the connection read (only the
     * newest row kept, as after 100,000 changes): everything is read again.
     * C3's education goes back to BELOW_UNIVERSITY.
     */
    sql("UPDATE cadre_profile SET education = 1 WHERE cadre_id = 3;"
        "INSERT INTO profile_change(cadre_id) VALUES (2);"
        "DELETE FROM profile_change WHERE seq < (SELECT max(seq) FROM profile_change);");
    run_open(&r);
    v = rows_of(&r, "enrolments", w1, NL_DIM_EDUCATION, &n);
    expect_counts(
        "log cut", v, n,
        (const char *const[]){"UNKNOWN", "BELOW_UNIVERSITY", "UNIVERSITY", "MASTER", "DOCTOR"},
        (const int64_t[]){2, 1, 1, 2, 1}, 5);
    run_close(&r);
}

/* One query of rows_q: the rows (NULL after a refusal: *st and r->msg say why). */
static struct nl_ind_qrow *query(struct run *r, const char *measure, struct q q,
                                 const struct nl_ind_filter *f, size_t nf, const char *const *by,
                                 size_t nby, size_t *n, enum nl_status *st)
{
    struct nl_ind_sel sel;
    struct nl_ind_qrow *rows = NULL;

    resolve(r, q, &sel);
    r->msg[0] = '\0';
    *st = nl_ind_aggregate(&r->e, measure, &sel, f, nf, by, nby, &rows, n);
    return *st == NL_OK ? rows : NULL;
}

/* The one value of an ungrouped query that must succeed. */
static int64_t query_total(struct run *r, const char *measure, struct q q,
                           const struct nl_ind_filter *f, size_t nf)
{
    size_t n = 0;
    enum nl_status st;
    struct nl_ind_qrow *rows = query(r, measure, q, f, nf, NULL, 0, &n, &st);

    if (st != NL_OK)
        fail_msg("%s: %d %s", measure, st, r->msg);
    assert_int_equal(n, 1);
    return rows[0].value;
}

/* A query that must be refused INVALID_ARGUMENT with `text` in the message. */
static void query_refused(struct run *r, const char *measure, struct q q,
                          const struct nl_ind_filter *f, size_t nf, const char *text)
{
    size_t n = 0;
    enum nl_status st;

    query(r, measure, q, f, nf, NULL, 0, &n, &st);
    if (st != NL_INVALID_ARGUMENT || strstr(r->msg, text) == NULL)
        fail_msg("%s: got %d '%s', want INVALID_ARGUMENT with '%s'", measure, st, r->msg, text);
}

/*
 * The query's filters: codes in any case, target groups by code or label,
 * class_status and enrolment_status counting what they name, attributes and
 * class dimensions together, unknown values refused by name.
 */
static void test_query_filters(void **state)
{
    struct run r;
    struct q y19 = {.year = 2019};
    size_t n = 0;
    enum nl_status st;
    struct nl_ind_qrow *rows;
    (void)state;

    sql(FLOWS);
    sql(PROFILES);
    run_open(&r);
    /* 2019's counted enrolments: K1 C1 C2 C3, K2 C1 C5, K3 C6, K5 C4, K6 C5, K8 C3.
     * Women: C1, C3, C1, C6, C3 = 5, whatever the case of the code. */
    assert_int_equal(
        query_total(&r, "enrolments", y19, (struct nl_ind_filter[]){{"sex", "female"}}, 1), 5);
    assert_int_equal(
        query_total(&r, "enrolments", y19, (struct nl_ind_filter[]){{"sex", "Female"}}, 1), 5);
    /* UPGRADE (K1 3, K5 1) in lower case. */
    assert_int_equal(
        query_total(&r, "enrolments", y19, (struct nl_ind_filter[]){{"kind", "upgrade"}}, 1), 4);
    /* Attributes as filters: MASTER on the end date = C2 (K1), C1 (K2). */
    assert_int_equal(
        query_total(&r, "enrolments", y19, (struct nl_ind_filter[]){{"education", "MASTER"}}, 1),
        2);
    assert_int_equal(
        query_total(&r, "trainees", y19, (struct nl_ind_filter[]){{"education", "MASTER"}}, 1), 2);
    /* Two attributes and a class field: women, not key cadres, UPGRADE: C1 (K1), C3 (K1). */
    assert_int_equal(query_total(&r, "enrolments", y19,
                                 (struct nl_ind_filter[]){{"sex", "FEMALE"},
                                                          {"key_cadre", "false"},
                                                          {"kind", "UPGRADE"}},
                                 3),
                     2);

    /* WITHDREW is counted when asked for: K1's C4; with COMPLETED too: + 6 completed (K1 C1
     * C2, K2 C1, K3 C6, K5 C4, K6 C5) = 7. */
    const struct nl_ind_filter withdrew[] = {{"enrolment_status", "WITHDREW"}};
    assert_int_equal(query_total(&r, "enrolments", y19, withdrew, 1), 1);
    assert_int_equal(query_total(&r, "trainees", y19, withdrew, 1), 1);
    assert_int_equal(query_total(&r, "enrolments", y19,
                                 (struct nl_ind_filter[]){{"enrolment_status", "withdrew"},
                                                          {"enrolment_status", "COMPLETED"}},
                                 2),
                     7);
    /* ENROLLED: K2's C5 only. */
    assert_int_equal(query_total(&r, "enrolments", y19,
                                 (struct nl_ind_filter[]){{"enrolment_status", "ENROLLED"}}, 1),
                     1);
    /* CANCELLED classes are counted when asked for: K4 (2019-06-01) and its one enrolment. */
    const struct nl_ind_filter cancelled[] = {{"class_status", "CANCELLED"}};
    assert_int_equal(query_total(&r, "classes", y19, cancelled, 1), 1);
    assert_int_equal(query_total(&r, "enrolments", y19, cancelled, 1), 1);
    assert_int_equal(query_total(&r, "trainees", y19, cancelled, 1), 1);
    assert_int_equal(query_total(&r, "planned_trainees", y19, cancelled, 1), 5);
    /* ENDED or CANCELLED: the 6 counted classes of 2019 (all ENDED) and K4. */
    assert_int_equal(query_total(&r, "classes", y19,
                                 (struct nl_ind_filter[]){{"class_status", "ended"},
                                                          {"class_status", "cancelled"}},
                                 2),
                     7);
    /* A class_status filter without CANCELLED counts as the indicators do. */
    assert_int_equal(
        query_total(&r, "classes", y19, (struct nl_ind_filter[]){{"class_status", "ENDED"}}, 1), 6);
    /* A cancelled class's withdrawals: none (K4's one enrolment COMPLETED). */
    assert_int_equal(query_total(&r, "enrolments", y19,
                                 (struct nl_ind_filter[]){{"class_status", "CANCELLED"},
                                                          {"enrolment_status", "WITHDREW"}},
                                 2),
                     0);

    /* Target groups: K2 and K3 are CIVIL_SERVANT ('cán bộ, công chức'), by code or label. */
    const char *const tg[] = {"CIVIL_SERVANT",
                              "civil_servant",
                              "cán bộ, công chức",
                              "CÁN BỘ, CÔNG CHỨC",
                              "can bo, cong chuc",
                              "ca\xcc\x81n bo\xcc\xa3\xcc\x82, co\xcc\x82ng"
                              " chu\xcc\x9b\xcc\x81\x63"};
    for (size_t i = 0; i < sizeof(tg) / sizeof(tg[0]); i++) {
        const struct nl_ind_filter f[] = {{"target_group", tg[i]}};
        if (query_total(&r, "classes", y19, f, 1) != 2)
            fail_msg("target group '%s': want 2 classes", tg[i]);
    }

    /* Refusals name the filter and quote the value. */
    query_refused(&r, "classes", y19, (struct nl_ind_filter[]){{"target_group", "KEY_CADREX"}}, 1,
                  "filters[0].value: KEY_CADREX is not a target group");
    /* Two labels that differ only in accents: typed with them, one; without, neither. */
    run_close(&r);
    sql("INSERT INTO target_group(code, label_vi) VALUES ('GROUP_A1', 'nhóm a'),"
        " ('GROUP_A2', 'nhom a');");
    run_open(&r);
    assert_int_equal(
        query_total(&r, "classes", y19, (struct nl_ind_filter[]){{"target_group", "Nhóm A"}}, 1),
        0);
    query_refused(&r, "classes", y19, (struct nl_ind_filter[]){{"target_group", "nhom a"}}, 1,
                  "filters[0].value: nhom a is not a target group");
    /* Accents, when typed, must be the label's: "cán bộ, công chúc" is not CIVIL_SERVANT. */
    query_refused(&r, "classes", y19,
                  (struct nl_ind_filter[]){{"target_group", "cán bộ, công chúc"}}, 1,
                  "is not a target group");
    query_refused(&r, "enrolments", y19,
                  (struct nl_ind_filter[]){{"kind", "UPGRADE"}, {"sex", "NOPE"}}, 2,
                  "filters[1].value: NOPE is not a value of sex (MALE, FEMALE)");
    query_refused(&r, "classes", y19, (struct nl_ind_filter[]){{"year", "19x"}}, 1,
                  "filters[0].value: 19x is not a year");
    query_refused(&r, "cadres", (struct q){.as_of = "2019-12-31"},
                  (struct nl_ind_filter[]){{"class_status", "ENDED"}}, 1,
                  "filters[0].field: class_status is not a filter of cadres");
    query_refused(&r, "classes", y19, (struct nl_ind_filter[]){{"enrolment_status", "WITHDREW"}}, 1,
                  "filters[0].field: enrolment_status is not a filter of classes");
    query_refused(&r, "classes", y19, (struct nl_ind_filter[]){{"unit", "w1"}}, 1,
                  "selection.unit");
    /* A committee's body is COMMITTEE or STANDING_COMMITTEE, not a title. */
    query_refused(&r, "committee_members", (struct q){.term = "2015-2020"},
                  (struct nl_ind_filter[]){{"body", "SECRETARY"}}, 1,
                  "filters[0].value: SECRETARY is not a value of body (COMMITTEE, "
                  "STANDING_COMMITTEE)");
    assert_int_equal(query_total(&r, "committee_members", (struct q){.term = "2015-2020"},
                                 (struct nl_ind_filter[]){{"body", "standing_committee"}}, 1),
                     0);

    /* Two attributes grouped: (sex, education) of 2019's 9 enrolments, MALE first. */
    rows = query(&r, "enrolments", y19, NULL, 0, (const char *const[]){"sex", "education"}, 2, &n,
                 &st);
    assert_int_equal(st, NL_OK);
    const char *const want_se[][2] = {{"MALE", "UNKNOWN"},      {"MALE", "UNIVERSITY"},
                                      {"MALE", "MASTER"},       {"FEMALE", "BELOW_UNIVERSITY"},
                                      {"FEMALE", "UNIVERSITY"}, {"FEMALE", "MASTER"},
                                      {"FEMALE", "DOCTOR"}};
    const int64_t want_sev[] = {2, 1, 1, 2, 1, 1, 1};
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].group[0], want_se[i][0]);
        assert_string_equal(rows[i].group[1], want_se[i][1]);
        assert_int_equal(rows[i].value, want_sev[i]);
    }
    /* A class dimension and an attribute: (kind, sex), trainees; kinds DEGREE 1, UPGRADE 2,
     * BRIEFING 3: DEGREE F {C6, C3}; UPGRADE M {C2, C4}, F {C1, C3}; BRIEFING M {C5}, F {C1}. */
    rows = query(&r, "trainees", y19, NULL, 0, (const char *const[]){"kind", "sex"}, 2, &n, &st);
    assert_int_equal(st, NL_OK);
    const char *const want_ks[][2] = {{"DEGREE", "FEMALE"},
                                      {"UPGRADE", "MALE"},
                                      {"UPGRADE", "FEMALE"},
                                      {"BRIEFING", "MALE"},
                                      {"BRIEFING", "FEMALE"}};
    const int64_t want_ksv[] = {2, 2, 2, 1, 1};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].group[0], want_ks[i][0]);
        assert_string_equal(rows[i].group[1], want_ks[i][1]);
        assert_int_equal(rows[i].value, want_ksv[i]);
    }
    /* Two class dimensions, distinct trainees: (kind, area). */
    rows = query(&r, "trainees", y19, NULL, 0, (const char *const[]){"kind", "area"}, 2, &n, &st);
    assert_int_equal(st, NL_OK);
    const char *const want_ka[][2] = {{"DEGREE", "POLITICAL_THEORY"},
                                      {"DEGREE", "PROFESSIONAL"},
                                      {"UPGRADE", "POLITICAL_THEORY"},
                                      {"BRIEFING", "POLITICAL_THEORY"},
                                      {"BRIEFING", "FOREIGN_LANGUAGE"}};
    const int64_t want_kav[] = {1, 1, 4, 1, 2};
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].group[0], want_ka[i][0]);
        assert_string_equal(rows[i].group[1], want_ka[i][1]);
        assert_int_equal(rows[i].value, want_kav[i]);
    }
    /* By unit and an attribute: d1 (K1, K2, K3, K8) and d2 (K5, K6) by sex, 2019. */
    rows = query(&r, "trainees", y19, NULL, 0, (const char *const[]){"unit", "sex"}, 2, &n, &st);
    assert_int_equal(st, NL_OK);
    /* d1: M {C2, C5}, F {C1, C3, C6}; d2: M {C4, C5}. */
    const char *const want_us[][2] = {{"d1", "MALE"}, {"d1", "FEMALE"}, {"d2", "MALE"}};
    const int64_t want_usv[] = {2, 3, 2};
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(rows[i].group[0], want_us[i][0]);
        assert_string_equal(rows[i].group[1], want_us[i][1]);
        assert_int_equal(rows[i].value, want_usv[i]);
    }
    run_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_flow_indicators, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_flow_lineage, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_flow_by_unit, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_absentees, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_flow_by_dimension, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_flow_change, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_query, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_rpc_show_null, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_cadre_stocks, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_stock_lineage, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_met_exact, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_committees, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_pool, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_reviews, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_reports, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_maintained_sums, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_flow_by_person, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_person_cache, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_query_filters, setup, sf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
