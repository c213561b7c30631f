/*
 * test_audit_agg.c - the aggregation of refused calls for the audit trail
 * (server/audit_agg.h): which entries are written at once, what the
 * summaries say and when they come, and that a flood from many sources
 * stays bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/audit_agg.h"

#define MAX_OUT 64

struct sink {
    struct nl_audit_item *v[MAX_OUT];
    size_t n;
};

static void emit(void *ud, struct nl_audit_item *it)
{
    struct sink *s = ud;

    assert_true(s->n < MAX_OUT);
    s->v[s->n++] = it;
}

static void sink_clear(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

/* The entry of a refused call from peer with token id, method and outcome. */
static void item(struct nl_audit_item *it, const char *peer, const char *token, const char *method,
                 enum nl_status st)
{
    struct nl_identity who;

    memset(&who, 0, sizeof(who));
    snprintf(who.peer, sizeof(who.peer), "%s", peer);
    snprintf(who.token_id, sizeof(who.token_id), "%s", token);
    nl_audit_item_fill(it, method, &who, "", st);
}

static int admit(struct nl_audit_agg *g, const char *peer, const char *token, const char *method,
                 enum nl_status st, uint64_t now)
{
    struct nl_audit_item it;

    item(&it, peer, token, method, st);
    return nl_audit_agg_admit(g, &it, now);
}

static void test_applies(void **state)
{
    (void)state;
    assert_true(nl_audit_agg_applies(NL_UNAUTHENTICATED));
    assert_true(nl_audit_agg_applies(NL_PERMISSION_DENIED));
    assert_true(nl_audit_agg_applies(NL_RESOURCE_EXHAUSTED));
    assert_false(nl_audit_agg_applies(NL_OK));
    assert_false(nl_audit_agg_applies(NL_NOT_FOUND));
    assert_false(nl_audit_agg_applies(NL_INVALID_ARGUMENT));
    assert_null(nl_audit_agg_new(0, 1000));
    assert_null(nl_audit_agg_new(8, 0));
}

/*
 * One key: the first call of a window is written, the next ones counted;
 * the summary comes when the window has ended, not before, and says how
 * many; the next call opens a new window and is written again.
 */
static void test_window_of_one_key(void **state)
{
    struct nl_audit_agg *g = nl_audit_agg_new(8, 60000);
    struct sink s = {{0}, 0};
    const char *m = "/nhanluc.v1.Registry/ListUnits";

    (void)state;
    assert_non_null(g);
    assert_int_equal(admit(g, "10.0.0.1:5000", "", m, NL_UNAUTHENTICATED, 1000), 1);
    for (int i = 0; i < 41; i++) /* other source ports: the same source */
        assert_int_equal(admit(g, "10.0.0.1:6000", "", m, NL_UNAUTHENTICATED, 2000 + i), 0);
    assert_int_equal(nl_audit_agg_pending(g), 41);
    nl_audit_agg_flush(g, 60999, 0, emit, &s); /* the window ends at 61000 */
    assert_int_equal(s.n, 0);
    nl_audit_agg_flush(g, 61000, 0, emit, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0]->keys, "repeated=41 window=60s");
    assert_string_equal(s.v[0]->peer, "10.0.0.1");
    assert_string_equal(s.v[0]->method, m);
    assert_string_equal(s.v[0]->outcome, "UNAUTHENTICATED");
    assert_int_equal(nl_audit_agg_pending(g), 0);
    sink_clear(&s);
    /* A new window: written again. A window without repeats ends with no summary. */
    assert_int_equal(admit(g, "10.0.0.1:7000", "", m, NL_UNAUTHENTICATED, 62000), 1);
    nl_audit_agg_flush(g, 200000, 0, emit, &s);
    assert_int_equal(s.n, 0);
    assert_int_equal(admit(g, "10.0.0.1:7000", "", m, NL_UNAUTHENTICATED, 200001), 1);
    nl_audit_agg_free(g);
}

/* The key is source, token id, method and outcome: any of them differing is another key. */
static void test_key_parts(void **state)
{
    struct nl_audit_agg *g = nl_audit_agg_new(16, 60000);
    struct sink s = {{0}, 0};

    (void)state;
    assert_int_equal(admit(g, "10.0.0.1:1", "aaaaaaaaaaaa", "/a", NL_UNAUTHENTICATED, 0), 1);
    assert_int_equal(admit(g, "10.0.0.2:1", "aaaaaaaaaaaa", "/a", NL_UNAUTHENTICATED, 0), 1);
    assert_int_equal(admit(g, "10.0.0.1:1", "bbbbbbbbbbbb", "/a", NL_UNAUTHENTICATED, 0), 1);
    assert_int_equal(admit(g, "10.0.0.1:1", "aaaaaaaaaaaa", "/b", NL_UNAUTHENTICATED, 0), 1);
    assert_int_equal(admit(g, "10.0.0.1:1", "aaaaaaaaaaaa", "/a", NL_PERMISSION_DENIED, 0), 1);
    /* "ab" + "c" is not "a" + "bc". */
    assert_int_equal(admit(g, "10.0.0.1:1", "ab", "c", NL_UNAUTHENTICATED, 0), 1);
    assert_int_equal(admit(g, "10.0.0.1:1", "a", "bc", NL_UNAUTHENTICATED, 0), 1);
    /* IPv6 sources lose only their port. */
    assert_int_equal(admit(g, "[::1]:1", "", "/a", NL_UNAUTHENTICATED, 0), 1);
    assert_int_equal(admit(g, "[::1]:2", "", "/a", NL_UNAUTHENTICATED, 0), 0);
    assert_int_equal(admit(g, "10.0.0.2:9", "aaaaaaaaaaaa", "/a", NL_UNAUTHENTICATED, 0), 0);
    nl_audit_agg_flush(g, 0, 1, emit, &s); /* all: at shutdown */
    assert_int_equal(s.n, 2);
    assert_int_equal(nl_audit_agg_pending(g), 0);
    sink_clear(&s);
    nl_audit_agg_free(g);
}

/*
 * A flood from more sources than the table holds: the first max_keys are
 * written, one overflow entry stands for every other, and each summary
 * counts what it stood for; nothing grows with the flood.
 */
static void test_overflow_is_bounded(void **state)
{
    struct nl_audit_agg *g = nl_audit_agg_new(4, 1000);
    struct sink s = {{0}, 0};
    char peer[64];
    int written = 0;

    (void)state;
    for (int i = 0; i < 1000; i++) {
        struct nl_audit_item it;
        snprintf(peer, sizeof(peer), "10.0.%d.%d:1", i / 256, i % 256);
        item(&it, peer, "", "/x", NL_UNAUTHENTICATED);
        if (nl_audit_agg_admit(g, &it, 10)) {
            written++;
            if (written == 5) {
                assert_string_equal(it.peer, "*");
                assert_string_equal(it.method, "*");
                assert_non_null(strstr(it.keys, "overflow"));
            }
        }
    }
    assert_int_equal(written, 5); /* 4 keys + the overflow entry */
    assert_int_equal(nl_audit_agg_pending(g), 995);
    nl_audit_agg_flush(g, 1010, 0, emit, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.v[0]->peer, "*");
    assert_string_equal(s.v[0]->keys, "repeated=995 window=1s");
    sink_clear(&s);
    /* After the window the table has room again. */
    assert_int_equal(admit(g, "10.9.9.9:1", "", "/x", NL_UNAUTHENTICATED, 1011), 1);
    nl_audit_agg_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_applies),
        cmocka_unit_test(test_window_of_one_key),
        cmocka_unit_test(test_key_parts),
        cmocka_unit_test(test_overflow_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
