/*
 * ratelimit.h - token buckets and a fixed-size table of them (RELIABILITY.md
 * 5.4): new connections per source address before authentication, calls per
 * identity (token id) after it.
 *
 * Pure logic on the loop thread: no locks, no I/O, no allocation, no
 * floating point. Every function takes the time as `now`, monotonic
 * milliseconds from the caller, so tests drive the clock.
 *
 * A bucket holds up to `burst` tokens and gains `rate` tokens per second; a
 * call (or a connection) takes one. Levels are kept in milli-tokens, so
 * `rate` tokens/s is exactly `rate` milli-tokens per millisecond and refills
 * are exact integers. Rate 0 means unlimited.
 *
 * The per-identity limit and its overshoot (how dispatch.c uses the table):
 * a token's role, hence its rate, is known only once the token was verified
 * on a pool or writer thread. The loop learns (token id -> role's rate and
 * burst) from each completed job whose authentication succeeded
 * (nl_rate_learn) and charges the calls that arrive afterwards
 * (nl_rate_take) before any job is queued. A token id without a slot passes
 * uncharged: the calls of a credential that are in flight before its first
 * completion (at most max-streams per connection, times its connections)
 * are not limited, once per slot lifetime, i.e. after a restart or after the
 * slot was evicted. A call charged whose credential is then refused gets its
 * token back (nl_rate_refund), so presenting someone's public token id with
 * a wrong secret cannot drain their bucket for longer than those calls are
 * in flight (and the lockout stops that address after 10 failures).
 */
#ifndef NL_RATELIMIT_H
#define NL_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define NL_RATE_SLOTS   1024     /* keys tracked at once; the least recently used is evicted */
#define NL_RATE_HASH    2048     /* hash chains (a power of two) */
#define NL_RATE_KEY_LEN 48       /* an address (INET6_ADDRSTRLEN) or a token id, with its NUL */
#define NL_RATE_MAX     1000000u /* largest rate (tokens/s) and burst accepted; larger is clamped */

/*
 * One token bucket: `milli` thousandths of a token at monotonic time
 * `last_ms`. The rate and burst are the caller's (they are per table or per
 * slot), passed to every call.
 */
struct nl_rate_bucket {
    uint64_t milli;
    uint64_t last_ms;
};

/* Fills *b to `burst` tokens at `now` (a new key starts with a full bucket). */
void nl_rate_bucket_init(struct nl_rate_bucket *b, uint32_t burst, uint64_t now);

/*
 * Refills *b for the time since its last use (at most `burst` tokens), then
 * takes one token. Returns 1 when a token was taken; 0 when the bucket held
 * less than one, with *wait_ms (may be NULL) = the exact number of
 * milliseconds until it holds one again (1 .. ceil(1000 / rate)); the bucket
 * is not charged for a refusal. rate 0: always 1 (unlimited), *wait_ms 0.
 * burst 0 counts as 1; rate and burst above NL_RATE_MAX count as
 * NL_RATE_MAX. A `now` earlier than the last use counts as no time passed.
 */
int nl_rate_bucket_take(struct nl_rate_bucket *b, uint32_t rate, uint32_t burst, uint64_t now,
                        uint64_t *wait_ms);

/* Gives one token back to *b at `now` (after a refill), never above `burst`. */
void nl_rate_bucket_give(struct nl_rate_bucket *b, uint32_t rate, uint32_t burst, uint64_t now);

/* One key's bucket in a table. Indexes are 1-based; 0 = none. */
struct nl_rate_slot {
    char key[NL_RATE_KEY_LEN]; /* "" = free */
    uint32_t hash;
    uint16_t hnext;        /* next slot in the same hash chain */
    uint16_t older, newer; /* recency list */
    uint32_t rate, burst;  /* this key's limit (tokens/s, tokens) */
    struct nl_rate_bucket bucket;
    uint64_t refused;   /* refusals not yet logged (nl_rate_note_refusal) */
    uint64_t logged_ms; /* when the last log line of this key was due */
    unsigned logged : 1;
};

/*
 * Buckets per key. Fixed size: at most NL_RATE_SLOTS keys; a new key in a
 * full table takes the slot of the least recently used key (found in O(1)
 * from a recency list). A slot whose bucket refilled is worth no more than
 * no slot at all, so eviction loses state only when more than
 * NL_RATE_SLOTS keys were active within one refill time (burst / rate).
 * Lookups hash the key (FNV-1a from a per-table seed) into NL_RATE_HASH
 * chains: O(1) in the usual case, never worse than a scan of the used
 * slots. A zeroed struct is an empty table with seed 0 (it is embedded in
 * the calloc'd server); nl_rate_table_init sets another seed.
 */
struct nl_rate_table {
    struct nl_rate_slot slot[NL_RATE_SLOTS];
    uint16_t head[NL_RATE_HASH]; /* first slot of each chain */
    uint16_t newest, oldest;     /* ends of the recency list */
    size_t n;                    /* slots in use: slot[0..n-1] */
    uint64_t seed;
};

/* Empties *t and sets the seed of its hash (any value; a random one resists crafted keys). */
void nl_rate_table_init(struct nl_rate_table *t, uint64_t seed);

/* The slot of `key` (NUL-terminated), or NULL. Borrowed; valid until the next insertion. */
struct nl_rate_slot *nl_rate_find(struct nl_rate_table *t, const char *key);

/*
 * Admission of one event (a new connection) from `key` under the table-wide
 * limit `rate`/`burst`: the key's slot is created with a full bucket when
 * absent (evicting if the table is full), then charged one token. Returns 1
 * when admitted, 0 when refused with *wait_ms (may be NULL) as
 * nl_rate_bucket_take. rate 0: always 1, and the table is not touched. A key
 * longer than NL_RATE_KEY_LEN - 1 is truncated.
 */
int nl_rate_admit(struct nl_rate_table *t, const char *key, uint32_t rate, uint32_t burst,
                  uint64_t now, uint64_t *wait_ms);

/*
 * Learns that `key` (a verified token id) is limited to `rate`/`burst`:
 * creates its slot with a full bucket when absent (evicting if the table is
 * full), or updates the limit of the existing slot, keeping its level (cut
 * to the new burst). rate 0 (unlimited, e.g. an admin token): nothing is
 * created, and an existing slot is emptied of its limit (rate 0: passes).
 */
void nl_rate_learn(struct nl_rate_table *t, const char *key, uint32_t rate, uint32_t burst,
                   uint64_t now);

/* What nl_rate_take decided. */
enum nl_rate_verdict {
    NL_RATE_UNTRACKED = 0, /* no slot for the key (or an unlimited one): passed, not charged */
    NL_RATE_PASSED = 1,    /* one token taken */
    NL_RATE_REFUSED = 2,   /* the bucket is empty: refuse, retry in *wait_ms */
};

/*
 * Charges one call of `key` against the limit learnt for it. Never creates
 * a slot. On NL_RATE_REFUSED *wait_ms is the exact wait until a token is
 * there again (else 0); *rate (may be NULL) is the key's rate (0 when
 * untracked).
 */
enum nl_rate_verdict nl_rate_take(struct nl_rate_table *t, const char *key, uint64_t now,
                                  uint64_t *wait_ms, uint32_t *rate);

/* Gives back the token of a call of `key` charged by nl_rate_take. No slot: nothing. */
void nl_rate_refund(struct nl_rate_table *t, const char *key, uint64_t now);

/*
 * Counts one refusal of `key` (whose slot nl_rate_admit just used) for the
 * log. Returns the number of refusals to report now (this one included)
 * when no line was due for the key in the last `interval_ms`, resetting the
 * count; else 0 (counted, reported later by this function or
 * nl_rate_flush_refusals). So a key gets at most one line per interval,
 * and never one per refusal. No slot: 1 (report it alone).
 */
uint64_t nl_rate_note_refusal(struct nl_rate_table *t, const char *key, uint64_t now,
                              uint64_t interval_ms);

/*
 * Calls report(ud, key, count) for every key with refusals not yet reported
 * whose last line is at least `interval_ms` old (every such key when all !=
 * 0), and resets their counts. For a periodic timer and for shutdown.
 */
void nl_rate_flush_refusals(struct nl_rate_table *t, uint64_t now, uint64_t interval_ms, int all,
                            void (*report)(void *ud, const char *key, uint64_t count), void *ud);

#endif
