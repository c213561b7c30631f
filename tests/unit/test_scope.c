/*
 * test_scope.c - the pure scope computation of server/scope.h (DOMAIN.md 4
 * "Scope" and 5 "Lineage"): which units' records count for a unit, on which
 * days.
 *
 * The unit history is built by hand as the arrays of a struct nl_scope_tree
 * (no store). Every expected scope below is written out interval by
 * interval from the rules: a subtree follows the tree valid on each day (a
 * ward that moved between districts counts for each district on its own
 * days); a MERGE or RENAME target inherits its sources' flows dated before
 * the event, transitively; a SPLIT attributes nothing to its targets; a
 * DISSOLVE moves children up without lineage; a stock asked for a unit that
 * did not exist on the date is its MERGE/RENAME predecessors of that date.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/date.h"
#include "scope.h"

enum { CITY = 1, URBAN = 2, WARD = 6 };
enum { MERGE = 1, SPLIT = 2, RENAME = 3, DISSOLVE = 4 };

/*
 * The history (ids in ascending order; codes chosen so that code order and
 * id order differ):
 *   1 hn       CITY, always
 *   2 quan-b   district under hn, always
 *   3 quan-a   district under hn, always
 *   4 p-move   ward under quan-b until 2019-12-31, under quan-a from 2020-01-01
 *   5 p-a      ward under quan-b until 2021-06-30  } MERGE 2021-07-01 -> p-ab
 *   6 p-b      ward under quan-b until 2021-06-30  }
 *   7 p-ab     ward under quan-b 2021-07-01 .. 2023-12-31; RENAME 2024-01-01 -> p-z
 *   8 p-z      ward under quan-b from 2024-01-01
 *   9 p-split  ward under quan-a until 2022-12-31; SPLIT 2023-01-01 -> p-s1, p-s2
 *  10 p-s1     ward under quan-a from 2023-01-01
 *  11 p-s2     ward under quan-a from 2023-01-01
 *  12 quan-x   district under hn until 2021-12-31; DISSOLVE 2022-01-01
 *  13 p-x      ward under quan-x until 2021-12-31, under hn from 2022-01-01
 */
enum { HN = 1, QB, QA, PMOVE, PA, PB, PAB, PZ, PSPLIT, PS1, PS2, QX, PX };

static const int64_t IDS[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
static const char *const CODES[] = {"hn",  "quan-b",  "quan-a", "p-move", "p-a",    "p-b", "p-ab",
                                    "p-z", "p-split", "p-s1",   "p-s2",   "quan-x", "p-x"};

static struct nl_scope_version V[15];
static const int64_t MERGE_SRC[] = {PA, PB}, MERGE_TGT[] = {PAB};
static const int64_t DISS_SRC[] = {QX};
static const int64_t SPLIT_SRC[] = {PSPLIT}, SPLIT_TGT[] = {PS1, PS2};
static const int64_t REN_SRC[] = {PAB}, REN_TGT[] = {PZ};
static struct nl_scope_event EV[4];
static struct nl_scope_tree T;

static int32_t day(int y, int m, int d)
{
    return nl_date_from_ymd(y, m, d);
}

#define ALWAYS  NL_SCOPE_ALWAYS
#define FOREVER NL_SCOPE_FOREVER

static int build_tree(void **state)
{
    size_t n = 0;
    (void)state;

    /* Sorted by (unit_id, from), as the store loads them. */
    V[n++] = (struct nl_scope_version){HN, 0, CITY, ALWAYS, FOREVER};
    V[n++] = (struct nl_scope_version){QB, HN, URBAN, ALWAYS, FOREVER};
    V[n++] = (struct nl_scope_version){QA, HN, URBAN, ALWAYS, FOREVER};
    V[n++] = (struct nl_scope_version){PMOVE, QB, WARD, ALWAYS, day(2019, 12, 31)};
    V[n++] = (struct nl_scope_version){PMOVE, QA, WARD, day(2020, 1, 1), FOREVER};
    V[n++] = (struct nl_scope_version){PA, QB, WARD, ALWAYS, day(2021, 6, 30)};
    V[n++] = (struct nl_scope_version){PB, QB, WARD, ALWAYS, day(2021, 6, 30)};
    V[n++] = (struct nl_scope_version){PAB, QB, WARD, day(2021, 7, 1), day(2023, 12, 31)};
    V[n++] = (struct nl_scope_version){PZ, QB, WARD, day(2024, 1, 1), FOREVER};
    V[n++] = (struct nl_scope_version){PSPLIT, QA, WARD, ALWAYS, day(2022, 12, 31)};
    V[n++] = (struct nl_scope_version){PS1, QA, WARD, day(2023, 1, 1), FOREVER};
    V[n++] = (struct nl_scope_version){PS2, QA, WARD, day(2023, 1, 1), FOREVER};
    V[n++] = (struct nl_scope_version){QX, HN, URBAN, ALWAYS, day(2021, 12, 31)};
    V[n++] = (struct nl_scope_version){PX, QX, WARD, ALWAYS, day(2021, 12, 31)};
    V[n++] = (struct nl_scope_version){PX, HN, WARD, day(2022, 1, 1), FOREVER};
    assert_int_equal(n, sizeof(V) / sizeof(V[0]));

    EV[0] = (struct nl_scope_event){MERGE, day(2021, 7, 1), MERGE_SRC, 2, MERGE_TGT, 1};
    EV[1] = (struct nl_scope_event){DISSOLVE, day(2022, 1, 1), DISS_SRC, 1, NULL, 0};
    EV[2] = (struct nl_scope_event){SPLIT, day(2023, 1, 1), SPLIT_SRC, 1, SPLIT_TGT, 2};
    EV[3] = (struct nl_scope_event){RENAME, day(2024, 1, 1), REN_SRC, 1, REN_TGT, 1};

    T = (struct nl_scope_tree){V, n, EV, 4, CODES, IDS, sizeof(IDS) / sizeof(IDS[0])};
    return 0;
}

/* One expected interval. */
struct iv {
    int64_t unit;
    int32_t from, to;
    int group;
};

/* Normalises s and asserts it is exactly `want` (in (group, unit, from) order). */
static void expect_scope(struct nl_scope *s, const struct iv *want, size_t n)
{
    char got[11], exp[11];

    nl_scope_normalise(s);
    assert_false(s->overflow);
    for (size_t i = 0; i < s->n && i < n; i++) {
        if (s->iv[i].unit_id != want[i].unit || s->iv[i].from != want[i].from ||
            s->iv[i].to != want[i].to || s->iv[i].group != want[i].group) {
            nl_date_format(s->iv[i].from, got);
            nl_date_format(want[i].from, exp);
            fail_msg("interval %zu: got unit %lld from %s group %d, want unit %lld from %s "
                     "group %d",
                     i, (long long)s->iv[i].unit_id, got, s->iv[i].group, (long long)want[i].unit,
                     exp, want[i].group);
        }
    }
    assert_int_equal(s->n, n);
}

/* The `via` of unit u's interval in group 0 of a normalised scope (-1 when absent). */
static int64_t via_of(const struct nl_scope *s, int64_t u)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->iv[i].unit_id == u && s->iv[i].group == 0)
            return s->iv[i].via;
    return -1;
}

static void test_codes_and_validity(void **state)
{
    int kind = -1;
    (void)state;

    assert_string_equal(nl_scope_code(&T, PMOVE), "p-move");
    assert_string_equal(nl_scope_code(&T, PX), "p-x");
    assert_null(nl_scope_code(&T, 99));
    /* p-ab exists from the merge's day to the day before the rename. */
    assert_int_equal(nl_scope_valid_on(&T, PAB, day(2021, 6, 30), &kind), 0);
    assert_int_equal(nl_scope_valid_on(&T, PAB, day(2021, 7, 1), &kind), 1);
    assert_int_equal(kind, WARD);
    assert_int_equal(nl_scope_valid_on(&T, PAB, day(2023, 12, 31), NULL), 1);
    assert_int_equal(nl_scope_valid_on(&T, PAB, day(2024, 1, 1), NULL), 0);
    assert_int_equal(nl_scope_city(&T, day(2022, 5, 5)), HN);
}

/* A ward that moved from quan-b to quan-a on 2020-01-01 counts for each on its own days. */
static void test_subtree_follows_a_move(void **state)
{
    struct nl_scope s = {0};
    int32_t f = day(2019, 1, 1), t = day(2020, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_flow(&T, QB, f, t, 0, &s), 0);
    const struct iv want_b[] = {
        {QB, f, t, 0},
        {PMOVE, f, day(2019, 12, 31), 0}, /* under quan-b until the move */
        {PA, f, t, 0},
        {PB, f, t, 0},
    };
    expect_scope(&s, want_b, 4);
    nl_scope_free(&s);

    assert_int_equal(nl_scope_flow(&T, QA, f, t, 0, &s), 0);
    const struct iv want_a[] = {
        {QA, f, t, 0},
        {PMOVE, day(2020, 1, 1), t, 0}, /* under quan-a from the move */
        {PSPLIT, f, t, 0},
    };
    expect_scope(&s, want_a, 3);
    nl_scope_free(&s);

    /* A stock counts in the tree of its one date: p-move is quan-a's on 2020-06-01 only. */
    assert_int_equal(nl_scope_stock(&T, QB, day(2020, 6, 1), 0, 0, &s), 0);
    const struct iv want_sb[] = {
        {QB, day(2020, 6, 1), day(2020, 6, 1), 0},
        {PA, day(2020, 6, 1), day(2020, 6, 1), 0},
        {PB, day(2020, 6, 1), day(2020, 6, 1), 0},
    };
    expect_scope(&s, want_sb, 3);
    nl_scope_free(&s);

    /* An empty window appends nothing. */
    assert_int_equal(nl_scope_flow(&T, QB, t, f, 0, &s), 0);
    assert_int_equal(s.n, 0);
    nl_scope_free(&s);
}

/* MERGE p-a + p-b -> p-ab on 2021-07-01: the sources' flows before the event count for p-ab. */
static void test_merge_lineage_clipped_before_the_event(void **state)
{
    struct nl_scope s = {0};
    int32_t f = day(2020, 1, 1), t = day(2022, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_flow(&T, PAB, f, t, 0, &s), 0);
    const struct iv want[] = {
        {PA, f, day(2021, 6, 30), 0}, /* clipped to the day before the merge */
        {PB, f, day(2021, 6, 30), 0},
        {PAB, day(2021, 7, 1), t, 0}, /* p-ab itself from its first day */
    };
    expect_scope(&s, want, 3);
    /* Lineage is marked with the unit that brought it; own intervals with 0. */
    assert_int_equal(via_of(&s, PA), PAB);
    assert_int_equal(via_of(&s, PB), PAB);
    assert_int_equal(via_of(&s, PAB), 0);
    nl_scope_free(&s);

    /* A window wholly after the merge: no lineage at all. */
    assert_int_equal(nl_scope_flow(&T, PAB, day(2021, 8, 1), day(2021, 12, 31), 0, &s), 0);
    const struct iv after[] = {{PAB, day(2021, 8, 1), day(2021, 12, 31), 0}};
    expect_scope(&s, after, 1);
    nl_scope_free(&s);

    /* The history also stays with the source: p-a's own flow is unchanged by the merge. */
    assert_int_equal(nl_scope_flow(&T, PA, f, t, 0, &s), 0);
    const struct iv src[] = {{PA, f, day(2021, 6, 30), 0}};
    expect_scope(&s, src, 1);
    nl_scope_free(&s);
}

/* RENAME p-ab -> p-z on 2024-01-01 after the merge: lineage is transitive. */
static void test_rename_and_transitive_lineage(void **state)
{
    struct nl_scope s = {0};
    int32_t f = day(2020, 1, 1), t = day(2024, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_flow(&T, PZ, f, t, 0, &s), 0);
    const struct iv want[] = {
        {PA, f, day(2021, 6, 30), 0},                 /* merge source, via p-ab */
        {PB, f, day(2021, 6, 30), 0},                 /* merge source, via p-ab */
        {PAB, day(2021, 7, 1), day(2023, 12, 31), 0}, /* rename source */
        {PZ, day(2024, 1, 1), t, 0},
    };
    expect_scope(&s, want, 4);
    assert_int_equal(via_of(&s, PA), PZ);
    assert_int_equal(via_of(&s, PAB), PZ);
    nl_scope_free(&s);

    /* RENAME alone: a window starting after the merge reaches p-ab only. */
    assert_int_equal(nl_scope_flow(&T, PZ, day(2023, 1, 1), t, 0, &s), 0);
    const struct iv ren[] = {
        {PAB, day(2023, 1, 1), day(2023, 12, 31), 0},
        {PZ, day(2024, 1, 1), t, 0},
    };
    expect_scope(&s, ren, 2);
    nl_scope_free(&s);
}

/* SPLIT p-split -> p-s1, p-s2: the targets get nothing; the parent keeps the history. */
static void test_split_attributes_nothing(void **state)
{
    struct nl_scope s = {0};
    int32_t f = day(2020, 1, 1), t = day(2024, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_flow(&T, PS1, f, t, 0, &s), 0);
    const struct iv s1[] = {{PS1, day(2023, 1, 1), t, 0}};
    expect_scope(&s, s1, 1);
    nl_scope_free(&s);

    assert_int_equal(nl_scope_flow(&T, PSPLIT, f, t, 0, &s), 0);
    const struct iv src[] = {{PSPLIT, f, day(2022, 12, 31), 0}};
    expect_scope(&s, src, 1);
    nl_scope_free(&s);

    assert_int_equal(nl_scope_flow(&T, QA, day(2022, 1, 1), day(2023, 12, 31), 0, &s), 0);
    const struct iv parent[] = {
        {QA, day(2022, 1, 1), day(2023, 12, 31), 0},
        {PMOVE, day(2022, 1, 1), day(2023, 12, 31), 0},
        {PSPLIT, day(2022, 1, 1), day(2022, 12, 31), 0},
        {PS1, day(2023, 1, 1), day(2023, 12, 31), 0},
        {PS2, day(2023, 1, 1), day(2023, 12, 31), 0},
    };
    expect_scope(&s, parent, 5);
    nl_scope_free(&s);

    /* A split target asked for a stock before it existed: no predecessors, an empty scope. */
    assert_int_equal(nl_scope_stock(&T, PS1, day(2022, 6, 1), 0, 0, &s), 0);
    assert_int_equal(s.n, 0);
    nl_scope_free(&s);
}

/* DISSOLVE quan-x on 2022-01-01: p-x moves up to hn; no lineage to anyone. */
static void test_dissolve(void **state)
{
    struct nl_scope s = {0};
    int32_t f = day(2021, 1, 1), t = day(2022, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_flow(&T, QX, f, t, 0, &s), 0);
    const struct iv qx[] = {
        {QX, f, day(2021, 12, 31), 0},
        {PX, f, day(2021, 12, 31), 0},
    };
    expect_scope(&s, qx, 2);
    nl_scope_free(&s);

    /* The city sees p-x without a gap (under quan-x, then directly), once. */
    assert_int_equal(nl_scope_flow(&T, HN, f, t, 0, &s), 0);
    const struct iv city[] = {
        {HN, f, t, 0},
        {QB, f, t, 0},
        {QA, f, t, 0},
        {PMOVE, f, t, 0},
        {PA, f, day(2021, 6, 30), 0},
        {PB, f, day(2021, 6, 30), 0},
        {PAB, day(2021, 7, 1), t, 0},
        {PSPLIT, f, t, 0},
        {QX, f, day(2021, 12, 31), 0},
        {PX, f, t, 0},
    };
    expect_scope(&s, city, 10);
    nl_scope_free(&s);

    /* The dissolved unit asked for a stock after it closed: nothing (no predecessor rule). */
    assert_int_equal(nl_scope_stock(&T, QX, day(2022, 6, 1), 0, 0, &s), 0);
    assert_int_equal(s.n, 0);
    nl_scope_free(&s);
}

/* A stock of a unit that did not exist on D: its MERGE/RENAME predecessors valid then. */
static void test_stock_before_the_unit_existed(void **state)
{
    struct nl_scope s = {0};
    int32_t d1 = day(2020, 6, 1), d2 = day(2022, 6, 1), d3 = day(2024, 6, 1);
    (void)state;

    /* 2020: neither p-z nor p-ab existed; through the rename and the merge: p-a and p-b. */
    assert_int_equal(nl_scope_stock(&T, PZ, d1, 0, 0, &s), 0);
    const struct iv w1[] = {{PA, d1, d1, 0}, {PB, d1, d1, 0}};
    expect_scope(&s, w1, 2);
    assert_int_equal(via_of(&s, PA), PZ);
    nl_scope_free(&s);

    /* 2022: p-ab, the rename's source. */
    assert_int_equal(nl_scope_stock(&T, PZ, d2, 0, 0, &s), 0);
    const struct iv w2[] = {{PAB, d2, d2, 0}};
    expect_scope(&s, w2, 1);
    nl_scope_free(&s);

    /* 2024: p-z itself, marked as its own. */
    assert_int_equal(nl_scope_stock(&T, PZ, d3, 0, 0, &s), 0);
    const struct iv w3[] = {{PZ, d3, d3, 0}};
    expect_scope(&s, w3, 1);
    assert_int_equal(via_of(&s, PZ), 0);
    nl_scope_free(&s);
}

/* --own: the unit itself, none under it. */
static void test_own(void **state)
{
    struct nl_scope s = {0};
    int32_t d = day(2020, 6, 1);
    (void)state;

    assert_int_equal(nl_scope_stock(&T, QB, d, 1, 0, &s), 0);
    const struct iv own[] = {{QB, d, d, 0}};
    expect_scope(&s, own, 1);
    nl_scope_free(&s);

    assert_int_equal(nl_scope_stock(&T, HN, d, 1, 0, &s), 0);
    const struct iv city[] = {{HN, d, d, 0}};
    expect_scope(&s, city, 1);
    nl_scope_free(&s);
}

/* Groups stay apart: one unit in two groups is two intervals. */
static void test_groups(void **state)
{
    struct nl_scope s = {0};
    int32_t f = day(2019, 1, 1), t = day(2019, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_flow(&T, PA, f, t, 1, &s), 0);
    assert_int_equal(nl_scope_flow(&T, QB, f, t, 0, &s), 0);
    const struct iv want[] = {
        {QB, f, t, 0}, {PMOVE, f, t, 0}, {PA, f, t, 0}, {PB, f, t, 0}, {PA, f, t, 1},
    };
    /* Sorted by (group, unit, from): quan-b (2), p-move (4), p-a (5), p-b (6), then group 1. */
    expect_scope(&s, want, 5);
    nl_scope_free(&s);
}

/* Children on a day, by code (not by id). */
static void test_children_by_code(void **state)
{
    int64_t *kids = NULL;
    size_t n = 0;
    (void)state;

    /* 2021-06-01: quan-b (2), quan-a (3), quan-x (12) -> quan-a, quan-b, quan-x. */
    assert_int_equal(nl_scope_children(&T, HN, day(2021, 6, 1), day(2021, 6, 1), &kids, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(kids[0], QA);
    assert_int_equal(kids[1], QB);
    assert_int_equal(kids[2], QX);
    free(kids);

    /* 2022-06-01: quan-x dissolved, p-x moved up: p-x < quan-a < quan-b. */
    assert_int_equal(nl_scope_children(&T, HN, day(2022, 6, 1), day(2022, 6, 1), &kids, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(kids[0], PX);
    assert_int_equal(kids[1], QA);
    assert_int_equal(kids[2], QB);
    free(kids);

    /* quan-b in 2019: p-a (5), p-b (6), p-move (4) by code. */
    assert_int_equal(nl_scope_children(&T, QB, day(2019, 6, 1), day(2019, 6, 1), &kids, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(kids[0], PA);
    assert_int_equal(kids[1], PB);
    assert_int_equal(kids[2], PMOVE);
    free(kids);

    /* Over a period: every unit that was a child on some day, once (p-x had two versions). */
    assert_int_equal(nl_scope_children(&T, HN, day(2021, 1, 1), day(2022, 12, 31), &kids, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(kids[0], PX);
    assert_int_equal(kids[1], QA);
    assert_int_equal(kids[2], QB);
    assert_int_equal(kids[3], QX);
    free(kids);

    /* A unit without children. */
    assert_int_equal(nl_scope_children(&T, PS1, day(2024, 6, 1), day(2024, 6, 1), &kids, &n), 0);
    assert_int_equal(n, 0);
    free(kids);
}

/*
 * "--by unit" rows of a flow across a dissolution: each record goes to the
 * child that held its unit on its own day (p-x: quan-x's row in 2021, its
 * own row from 2022), the city's own records to the last row; the rows hold
 * exactly the city's flow scope, each (unit, day) once.
 */
static void test_rows_flow_follow_each_day(void **state)
{
    struct nl_scope s = {0}, whole = {0};
    int32_t f = day(2021, 1, 1), t = day(2022, 12, 31);
    int64_t *kids = NULL;
    size_t nk = 0;
    (void)state;

    assert_int_equal(nl_scope_children(&T, HN, f, t, &kids, &nk), 0);
    assert_int_equal(nk, 4); /* p-x 0, quan-a 1, quan-b 2, quan-x 3; hn itself 4 */
    assert_int_equal(nl_scope_rows(&T, HN, f, t, 0, kids, nk, &s), 0);
    const struct iv want[] = {
        {PX, day(2022, 1, 1), t, 0},
        {QA, f, t, 1},
        {PMOVE, f, t, 1},
        {PSPLIT, f, t, 1},
        {QB, f, t, 2},
        {PA, f, day(2021, 6, 30), 2},
        {PB, f, day(2021, 6, 30), 2},
        {PAB, day(2021, 7, 1), t, 2},
        {QX, f, day(2021, 12, 31), 3},
        {PX, f, day(2021, 12, 31), 3},
        {HN, f, t, 4},
    };
    expect_scope(&s, want, sizeof(want) / sizeof(want[0]));

    /* The same days as the city's whole scope: rows add up to the total. */
    assert_int_equal(nl_scope_flow(&T, HN, f, t, 0, &whole), 0);
    nl_scope_normalise(&whole);
    long days_rows = 0, days_whole = 0;
    for (size_t i = 0; i < s.n; i++)
        days_rows += s.iv[i].to - s.iv[i].from + 1;
    for (size_t i = 0; i < whole.n; i++)
        days_whole += whole.iv[i].to - whole.iv[i].from + 1;
    assert_int_equal(days_rows, days_whole);
    free(kids);
    nl_scope_free(&s);
    nl_scope_free(&whole);
}

/* Lineage goes to the unit's own row: p-z has no children, its predecessors' flows are its own. */
static void test_rows_lineage_is_own(void **state)
{
    struct nl_scope s = {0};
    int32_t f = day(2020, 1, 1), t = day(2024, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_rows(&T, PZ, f, t, 0, NULL, 0, &s), 0);
    const struct iv want[] = {
        {PA, f, day(2021, 6, 30), 0},
        {PB, f, day(2021, 6, 30), 0},
        {PAB, day(2021, 7, 1), day(2023, 12, 31), 0},
        {PZ, day(2024, 1, 1), t, 0},
    };
    expect_scope(&s, want, 4);
    nl_scope_free(&s);
}

/*
 * A ward merged into its own district: before the merge its records are in
 * its own row (it was a child then) and not a second time in the district's
 * row through lineage.
 */
static void test_rows_lineage_not_twice(void **state)
{
    enum { Q = 1, W = 2 };
    static const int64_t ids[] = {Q, W}, src[] = {W}, tgt[] = {Q};
    static const char *const codes[] = {"q", "w"};
    struct nl_scope_version v[] = {
        {Q, 0, URBAN, ALWAYS, FOREVER},
        {W, Q, WARD, ALWAYS, day(2020, 12, 31)},
    };
    struct nl_scope_event ev[] = {{MERGE, day(2021, 1, 1), src, 1, tgt, 1}};
    struct nl_scope_tree tr = {v, 2, ev, 1, codes, ids, 2};
    struct nl_scope s = {0};
    int64_t kids[] = {W};
    int32_t f = day(2020, 1, 1), t = day(2021, 12, 31);
    (void)state;

    assert_int_equal(nl_scope_rows(&tr, Q, f, t, 0, kids, 1, &s), 0);
    const struct iv want[] = {{W, f, day(2020, 12, 31), 0}, {Q, f, t, 1}};
    expect_scope(&s, want, 2);
    nl_scope_free(&s);
}

/* Stock rows: the children on D; a unit that did not exist on D puts its predecessors in its own
 * row. */
static void test_rows_stock(void **state)
{
    struct nl_scope s = {0};
    int32_t d = day(2022, 6, 1), d0 = day(2020, 6, 1);
    int64_t *kids = NULL;
    size_t nk = 0;
    (void)state;

    assert_int_equal(nl_scope_children(&T, HN, d, d, &kids, &nk), 0);
    assert_int_equal(nk, 3); /* p-x 0, quan-a 1, quan-b 2; hn 3 */
    assert_int_equal(nl_scope_rows(&T, HN, d, d, 1, kids, nk, &s), 0);
    const struct iv want[] = {
        {PX, d, d, 0}, {QA, d, d, 1},  {PMOVE, d, d, 1}, {PSPLIT, d, d, 1},
        {QB, d, d, 2}, {PAB, d, d, 2}, {HN, d, d, 3},
    };
    expect_scope(&s, want, sizeof(want) / sizeof(want[0]));
    free(kids);
    nl_scope_free(&s);

    assert_int_equal(nl_scope_rows(&T, PZ, d0, d0, 1, NULL, 0, &s), 0);
    const struct iv pred[] = {{PA, d0, d0, 0}, {PB, d0, d0, 0}};
    expect_scope(&s, pred, 2);
    nl_scope_free(&s);
}

/* Normalising sorts by (group, unit, from) and merges overlapping or adjacent intervals. */
static void test_normalise(void **state)
{
    struct nl_scope s = {0};
    (void)state;

    s.cap = 8;
    s.iv = calloc(s.cap, sizeof(*s.iv));
    assert_non_null(s.iv);
    s.iv[s.n++] = (struct nl_scope_iv){5, 10, 20, 1, 0};
    s.iv[s.n++] = (struct nl_scope_iv){5, 1, 5, 0, 77};  /* first of unit 5, group 0 */
    s.iv[s.n++] = (struct nl_scope_iv){5, 6, 9, 0, 0};   /* adjacent: merged */
    s.iv[s.n++] = (struct nl_scope_iv){5, 3, 4, 0, 0};   /* contained: merged */
    s.iv[s.n++] = (struct nl_scope_iv){7, 1, 3, 0, 0};   /* another unit */
    s.iv[s.n++] = (struct nl_scope_iv){5, 12, 15, 0, 0}; /* a gap (10, 11): apart */
    s.iv[s.n++] = (struct nl_scope_iv){5, 14, 30, 0, 0}; /* overlaps 12..15: extends it */
    const struct iv want[] = {
        {5, 1, 9, 0},
        {5, 12, 30, 0},
        {7, 1, 3, 0},
        {5, 10, 20, 1},
    };
    expect_scope(&s, want, 4);
    assert_int_equal(s.iv[0].via, 77); /* the first interval's via is kept */
    nl_scope_free(&s);
    assert_null(s.iv);
    assert_int_equal(s.n, 0);

    /* An empty scope stays empty. */
    nl_scope_normalise(&s);
    assert_int_equal(s.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_and_validity),
        cmocka_unit_test(test_subtree_follows_a_move),
        cmocka_unit_test(test_merge_lineage_clipped_before_the_event),
        cmocka_unit_test(test_rename_and_transitive_lineage),
        cmocka_unit_test(test_split_attributes_nothing),
        cmocka_unit_test(test_dissolve),
        cmocka_unit_test(test_stock_before_the_unit_existed),
        cmocka_unit_test(test_own),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_children_by_code),
        cmocka_unit_test(test_rows_flow_follow_each_day),
        cmocka_unit_test(test_rows_lineage_is_own),
        cmocka_unit_test(test_rows_lineage_not_twice),
        cmocka_unit_test(test_rows_stock),
        cmocka_unit_test(test_normalise),
    };
    return cmocka_run_group_tests(tests, build_tree, NULL);
}
