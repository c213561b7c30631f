/*
 * test_ratelimit.c - the token buckets and their table (server/ratelimit.h):
 * refill over time, the burst cap, the exact wait a refusal reports,
 * eviction of the least recently used key from a full table, rate 0 as no
 * limit, what learning, charging and refunding a token id do, and the
 * once-per-interval refusal count for the log. The clock is the `now`
 * argument, so nothing here sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/ratelimit.h"

/* How many of `tries` takes at `now` pass. */
static unsigned takes(struct nl_rate_bucket *b, uint32_t rate, uint32_t burst, uint64_t now,
                      unsigned tries)
{
    unsigned ok = 0;

    for (unsigned i = 0; i < tries; i++)
        ok += (unsigned)nl_rate_bucket_take(b, rate, burst, now, NULL);
    return ok;
}

static void test_refill_over_time(void **state)
{
    struct nl_rate_bucket b;
    uint64_t wait = 12345;

    (void)state;
    nl_rate_bucket_init(&b, 5, 1000);
    assert_int_equal(takes(&b, 10, 5, 1000, 5), 5); /* a new bucket is full */
    assert_int_equal(nl_rate_bucket_take(&b, 10, 5, 1000, &wait), 0);
    assert_int_equal(wait, 100); /* 10/s: one token per 100 ms */
    assert_int_equal(nl_rate_bucket_take(&b, 10, 5, 1050, &wait), 0);
    assert_int_equal(wait, 50); /* half a token earned, and the refusal cost nothing */
    assert_int_equal(nl_rate_bucket_take(&b, 10, 5, 1100, &wait), 1);
    assert_int_equal(wait, 0);
    assert_int_equal(nl_rate_bucket_take(&b, 10, 5, 1100, NULL), 0);
    /* 250 ms: 2.5 tokens; two calls pass, the third waits for the missing half. */
    assert_int_equal(takes(&b, 10, 5, 1350, 2), 2);
    assert_int_equal(nl_rate_bucket_take(&b, 10, 5, 1350, &wait), 0);
    assert_int_equal(wait, 50);
    /* A clock that goes back earns nothing and breaks nothing. */
    assert_int_equal(nl_rate_bucket_take(&b, 10, 5, 900, NULL), 0);
    assert_int_equal(nl_rate_bucket_take(&b, 10, 5, 1400, NULL), 1);
}

static void test_burst_cap(void **state)
{
    struct nl_rate_bucket b;

    (void)state;
    nl_rate_bucket_init(&b, 20, 0);
    assert_int_equal(takes(&b, 10, 20, 0, 100), 20);
    /* An hour idle refills to the burst, not to 36000 tokens. */
    assert_int_equal(takes(&b, 10, 20, 3600u * 1000u, 100), 20);
    /* A huge gap must not overflow the refill arithmetic. */
    assert_int_equal(takes(&b, NL_RATE_MAX, 20, UINT64_MAX / 2, 100), 20);
    assert_int_equal(takes(&b, NL_RATE_MAX, 20, UINT64_MAX - 1, 100), 20);
    /* Rate and burst above NL_RATE_MAX count as NL_RATE_MAX. */
    nl_rate_bucket_init(&b, UINT32_MAX, 0);
    assert_int_equal(b.milli, (uint64_t)NL_RATE_MAX * 1000u);
    /* burst 0 counts as 1: one call, then the rate. */
    nl_rate_bucket_init(&b, 0, 0);
    assert_int_equal(takes(&b, 1, 0, 0, 5), 1);
    assert_int_equal(takes(&b, 1, 0, 5000, 5), 1);
    /* A refund never lifts the level over the burst. */
    nl_rate_bucket_init(&b, 3, 0);
    nl_rate_bucket_give(&b, 1, 3, 0);
    assert_int_equal(takes(&b, 1, 3, 0, 10), 3);
    nl_rate_bucket_give(&b, 1, 3, 0);
    assert_int_equal(takes(&b, 1, 3, 0, 10), 1);
}

/* After draining at t0, the reported wait is the first millisecond at which a call passes. */
static void check_wait_exact(uint32_t rate, uint32_t burst, uint64_t partial_ms)
{
    struct nl_rate_bucket b, copy;
    uint64_t t0 = 5000, wait = 0, w2 = 0;

    nl_rate_bucket_init(&b, burst, t0);
    assert_int_equal(takes(&b, rate, burst, t0, burst), burst);
    /* Some time passes, less than a token's worth: a partial token is there. */
    t0 += partial_ms;
    assert_int_equal(nl_rate_bucket_take(&b, rate, burst, t0, &wait), 0);
    assert_true(wait >= 1);
    assert_true(wait <= (1000u + rate - 1) / rate);
    copy = b;
    assert_int_equal(nl_rate_bucket_take(&copy, rate, burst, t0 + wait - 1, &w2), 0);
    assert_int_equal(w2, 1);
    copy = b;
    assert_int_equal(nl_rate_bucket_take(&copy, rate, burst, t0 + wait, &w2), 1);
}

static void test_wait_exact(void **state)
{
    struct nl_rate_bucket b;
    uint64_t wait = 0;

    (void)state;
    check_wait_exact(1, 1, 0);
    check_wait_exact(3, 2, 0);
    check_wait_exact(3, 2, 100);
    check_wait_exact(7, 10, 3);
    check_wait_exact(20, 100, 0);
    check_wait_exact(999, 5, 0);
    /* Values worked out by hand: 3/s needs 334 ms for a token (333.3 rounds up). */
    nl_rate_bucket_init(&b, 1, 0);
    assert_int_equal(nl_rate_bucket_take(&b, 3, 1, 0, NULL), 1);
    assert_int_equal(nl_rate_bucket_take(&b, 3, 1, 0, &wait), 0);
    assert_int_equal(wait, 334);
    assert_int_equal(nl_rate_bucket_take(&b, 3, 1, 200, &wait), 0);
    assert_int_equal(wait, 134); /* 600 milli-tokens there, 400 more at 3 per ms */
    /* Faster than one token per millisecond: the wait is still at least 1 ms. */
    nl_rate_bucket_init(&b, 1, 0);
    assert_int_equal(nl_rate_bucket_take(&b, 5000, 1, 0, NULL), 1);
    assert_int_equal(nl_rate_bucket_take(&b, 5000, 1, 0, &wait), 0);
    assert_int_equal(wait, 1);
    assert_int_equal(nl_rate_bucket_take(&b, 5000, 1, 1, NULL), 1);
}

static struct nl_rate_table table; /* 1024 slots: too big for the stack of a test */

static void key_of(char *out, size_t len, unsigned i)
{
    (void)snprintf(out, len, "10.%u.%u.%u", (i >> 16) & 255u, (i >> 8) & 255u, i & 255u);
}

static void test_eviction_when_full(void **state)
{
    char k[NL_RATE_KEY_LEN];
    uint64_t wait;

    (void)state;
    nl_rate_table_init(&table, 42);
    /* Key 0 drains its bucket (burst 2), then every other slot is filled. */
    assert_int_equal(nl_rate_admit(&table, "10.0.0.0", 1, 2, 0, NULL), 1);
    assert_int_equal(nl_rate_admit(&table, "10.0.0.0", 1, 2, 0, NULL), 1);
    assert_int_equal(nl_rate_admit(&table, "10.0.0.0", 1, 2, 0, &wait), 0);
    /* The clock stays within the first second: at 1/s nothing refills meanwhile. */
    for (unsigned i = 1; i < NL_RATE_SLOTS; i++) {
        key_of(k, sizeof(k), i);
        assert_int_equal(nl_rate_admit(&table, k, 1, 2, 0, NULL), 1);
    }
    assert_int_equal(table.n, NL_RATE_SLOTS);
    /* Key 0 is used again: now key 1 is the least recently used. */
    assert_int_equal(nl_rate_admit(&table, "10.0.0.0", 1, 2, 10, &wait), 0);
    assert_int_equal(wait, 990);
    assert_int_equal(nl_rate_admit(&table, "192.0.2.1", 1, 2, 11, NULL), 1);
    assert_int_equal(table.n, NL_RATE_SLOTS);
    assert_null(nl_rate_find(&table, "10.0.0.1"));
    assert_non_null(nl_rate_find(&table, "10.0.0.2"));
    assert_non_null(nl_rate_find(&table, "192.0.2.1"));
    /* Key 0 kept its state: still refused (a fresh slot would have passed). */
    assert_non_null(nl_rate_find(&table, "10.0.0.0"));
    assert_int_equal(nl_rate_admit(&table, "10.0.0.0", 1, 2, 12, &wait), 0);
    assert_int_equal(wait, 988);
    /* The evicted key comes back with a full bucket (it had spent one of its two tokens). */
    assert_int_equal(nl_rate_admit(&table, "10.0.0.1", 1, 2, 13, NULL), 1);
    assert_int_equal(nl_rate_admit(&table, "10.0.0.1", 1, 2, 13, NULL), 1);
    assert_null(nl_rate_find(&table, "10.0.0.2")); /* the next oldest made room */
}

static void test_many_keys_stay_consistent(void **state)
{
    char k[NL_RATE_KEY_LEN];
    const unsigned total = 5 * NL_RATE_SLOTS + 17;

    (void)state;
    nl_rate_table_init(&table, 7);
    /* Far more keys than slots: the chains must follow every eviction. */
    for (unsigned i = 0; i < total; i++) {
        key_of(k, sizeof(k), i);
        assert_int_equal(nl_rate_admit(&table, k, 5, 1, 1000 + i, NULL), 1);
    }
    assert_int_equal(table.n, NL_RATE_SLOTS);
    for (unsigned i = 0; i < total; i++) {
        key_of(k, sizeof(k), i);
        struct nl_rate_slot *s = nl_rate_find(&table, k);
        if (i < total - NL_RATE_SLOTS) {
            assert_null(s);
        } else {
            assert_non_null(s);
            assert_string_equal(s->key, k);
        }
    }
    /* Each surviving key's one token is spent: all refused at once. */
    for (unsigned i = total - NL_RATE_SLOTS; i < total; i++) {
        key_of(k, sizeof(k), i);
        assert_int_equal(nl_rate_admit(&table, k, 5, 1, 1000 + i, NULL), 0);
    }
    /* A key longer than a slot holds is truncated, the same way every time. */
    char longkey[100];
    memset(longkey, 'a', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    assert_int_equal(nl_rate_admit(&table, longkey, 1, 1, 0, NULL), 1);
    assert_int_equal(nl_rate_admit(&table, longkey, 1, 1, 0, NULL), 0);
    assert_non_null(nl_rate_find(&table, longkey));
}

static void test_disabled_passes(void **state)
{
    uint64_t wait = 99;
    uint32_t rate = 99;

    (void)state;
    nl_rate_table_init(&table, 1);
    for (unsigned i = 0; i < 10000; i++)
        assert_int_equal(nl_rate_admit(&table, "10.1.1.1", 0, 1, 0, &wait), 1);
    assert_int_equal(wait, 0);
    assert_int_equal(table.n, 0); /* rate 0 does not even take a slot */
    struct nl_rate_bucket b;
    nl_rate_bucket_init(&b, 1, 0);
    assert_int_equal(takes(&b, 0, 1, 0, 1000), 1000);
    /* A token id learnt as unlimited (admin) is never charged and takes no slot. */
    nl_rate_learn(&table, "aaaaaaaaaaaa", 0, 0, 0);
    assert_int_equal(table.n, 0);
    for (unsigned i = 0; i < 1000; i++)
        assert_int_equal(nl_rate_take(&table, "aaaaaaaaaaaa", 0, &wait, &rate), NL_RATE_UNTRACKED);
    assert_int_equal(rate, 0);
    /* A limited id whose limit is switched off passes from then on. */
    nl_rate_learn(&table, "bbbbbbbbbbbb", 1, 1, 0);
    assert_int_equal(nl_rate_take(&table, "bbbbbbbbbbbb", 0, NULL, NULL), NL_RATE_PASSED);
    assert_int_equal(nl_rate_take(&table, "bbbbbbbbbbbb", 0, NULL, NULL), NL_RATE_REFUSED);
    nl_rate_learn(&table, "bbbbbbbbbbbb", 0, 0, 0);
    assert_int_equal(nl_rate_take(&table, "bbbbbbbbbbbb", 0, NULL, NULL), NL_RATE_UNTRACKED);
}

static void test_learn_take_refund(void **state)
{
    const char *id = "0123456789ab";
    uint64_t wait;
    uint32_t rate;

    (void)state;
    nl_rate_table_init(&table, 3);
    /* Not learnt yet: passes uncharged, and no slot appears. */
    assert_int_equal(nl_rate_take(&table, id, 0, &wait, &rate), NL_RATE_UNTRACKED);
    assert_int_equal(table.n, 0);
    nl_rate_learn(&table, id, 2, 3, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(nl_rate_take(&table, id, 0, &wait, &rate), NL_RATE_PASSED);
    assert_int_equal(rate, 2);
    assert_int_equal(nl_rate_take(&table, id, 0, &wait, &rate), NL_RATE_REFUSED);
    assert_int_equal(wait, 500);
    assert_int_equal(rate, 2);
    /* Learning again (every completed call does) must not refill the bucket. */
    nl_rate_learn(&table, id, 2, 3, 10);
    assert_int_equal(nl_rate_take(&table, id, 10, &wait, NULL), NL_RATE_REFUSED);
    assert_int_equal(wait, 490); /* 10 ms at 2/s earned 20 milli-tokens */
    /* A charged call whose credential was refused gets its token back. */
    nl_rate_refund(&table, id, 10);
    assert_int_equal(nl_rate_take(&table, id, 10, NULL, NULL), NL_RATE_PASSED);
    assert_int_equal(nl_rate_take(&table, id, 10, NULL, NULL), NL_RATE_REFUSED);
    nl_rate_refund(&table, "ffffffffffff", 10); /* unknown id: nothing happens */
    assert_int_equal(table.n, 1);
    /* A larger burst learnt later does not fill the bucket: 2 s at 2/s under burst 3 is 3. */
    nl_rate_learn(&table, id, 2, 100, 2010);
    unsigned ok = 0;
    for (int i = 0; i < 10; i++)
        ok += nl_rate_take(&table, id, 2010, NULL, NULL) == NL_RATE_PASSED;
    assert_int_equal(ok, 3);
    /* A smaller one cuts the level: 3 s at 2/s earned 6 tokens, burst 1 keeps 1. */
    nl_rate_learn(&table, id, 2, 1, 5010);
    ok = 0;
    for (int i = 0; i < 10; i++)
        ok += nl_rate_take(&table, id, 5010, NULL, NULL) == NL_RATE_PASSED;
    assert_int_equal(ok, 1);
    /* Another id is unaffected by this one's empty bucket. */
    nl_rate_learn(&table, "ba9876543210", 2, 3, 2010);
    assert_int_equal(nl_rate_take(&table, "ba9876543210", 2010, NULL, NULL), NL_RATE_PASSED);
}

struct reports {
    char key[8][NL_RATE_KEY_LEN];
    uint64_t count[8];
    unsigned n;
};

static void report(void *ud, const char *key, uint64_t count)
{
    struct reports *r = ud;

    assert_true(r->n < 8);
    (void)snprintf(r->key[r->n], NL_RATE_KEY_LEN, "%s", key);
    r->count[r->n++] = count;
}

static void test_refusal_log_counts(void **state)
{
    struct reports r;
    const uint64_t minute = 60000;

    (void)state;
    memset(&r, 0, sizeof(r));
    nl_rate_table_init(&table, 9);
    assert_int_equal(nl_rate_admit(&table, "10.9.9.9", 1, 1, 0, NULL), 1);
    assert_int_equal(nl_rate_admit(&table, "10.9.9.9", 1, 1, 0, NULL), 0);
    /* The first refusal of an address is reported at once... */
    assert_int_equal(nl_rate_note_refusal(&table, "10.9.9.9", 0, minute), 1);
    /* ...the next ones within the minute are only counted... */
    for (uint64_t t = 1; t <= 5; t++)
        assert_int_equal(nl_rate_note_refusal(&table, "10.9.9.9", t * 1000, minute), 0);
    nl_rate_flush_refusals(&table, 30000, minute, 0, report, &r);
    assert_int_equal(r.n, 0);
    /* ...and reported with the next refusal a minute after the last line. */
    assert_int_equal(nl_rate_note_refusal(&table, "10.9.9.9", minute, minute), 6);
    /* Counted refusals with no new one are reported by the flush once the minute passed. */
    assert_int_equal(nl_rate_note_refusal(&table, "10.9.9.9", minute + 10, minute), 0);
    assert_int_equal(nl_rate_note_refusal(&table, "10.9.9.9", minute + 20, minute), 0);
    nl_rate_flush_refusals(&table, 2 * minute - 1, minute, 0, report, &r);
    assert_int_equal(r.n, 0);
    nl_rate_flush_refusals(&table, 2 * minute, minute, 0, report, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.key[0], "10.9.9.9");
    assert_int_equal(r.count[0], 2);
    nl_rate_flush_refusals(&table, 10 * minute, minute, 0, report, &r);
    assert_int_equal(r.n, 1); /* nothing left to say */
    /* At shutdown everything pending is said, due or not. */
    assert_int_equal(nl_rate_note_refusal(&table, "10.9.9.9", 10 * minute, minute), 1);
    assert_int_equal(nl_rate_note_refusal(&table, "10.9.9.9", 10 * minute + 1, minute), 0);
    nl_rate_flush_refusals(&table, 10 * minute + 2, minute, 1, report, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.count[1], 1);
    /* A key without a slot (evicted meanwhile) is reported alone. */
    assert_int_equal(nl_rate_note_refusal(&table, "10.8.8.8", 0, minute), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refill_over_time),
        cmocka_unit_test(test_burst_cap),
        cmocka_unit_test(test_wait_exact),
        cmocka_unit_test(test_eviction_when_full),
        cmocka_unit_test(test_many_keys_stay_consistent),
        cmocka_unit_test(test_disabled_passes),
        cmocka_unit_test(test_learn_take_refund),
        cmocka_unit_test(test_refusal_log_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
