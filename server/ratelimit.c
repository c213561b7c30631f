/*
 * ratelimit.c - token buckets in integer milli-tokens, and the fixed table
 * of them keyed by address or token id (ratelimit.h).
 *
 * The table is an array of NL_RATE_SLOTS slots filled from the front, with
 * two kinds of links, all 1-based indexes (0 = none): hash chains from
 * head[] through slot.hnext, and a doubly linked recency list (newest ..
 * oldest) that every lookup with a verdict moves a slot to the front of. A
 * new key in a full table reuses the oldest slot, unlinked from its chain
 * first. Nothing is ever allocated, so a flood of keys costs a bounded
 * amount of memory and at most one chain walk per event.
 */
#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

#define MILLI 1000u /* milli-tokens per token */

static uint32_t clamp_rate(uint32_t v)
{
    return v > NL_RATE_MAX ? NL_RATE_MAX : v;
}

static uint64_t bucket_cap(uint32_t burst)
{
    burst = clamp_rate(burst);
    return (uint64_t)(burst == 0 ? 1 : burst) * MILLI;
}

/* Adds what `rate` earned since b->last_ms, at most up to the cap. rate > 0. */
static void bucket_refill(struct nl_rate_bucket *b, uint32_t rate, uint32_t burst, uint64_t now)
{
    uint64_t cap = bucket_cap(burst);
    uint64_t elapsed;

    rate = clamp_rate(rate);
    if (now <= b->last_ms) {
        if (b->milli > cap)
            b->milli = cap;
        return;
    }
    elapsed = now - b->last_ms;
    b->last_ms = now;
    if (b->milli >= cap) {
        b->milli = cap;
        return;
    }
    /*
     * Compared with the time to fill before multiplying, so the product
     * cannot overflow: elapsed < ceil((cap - milli) / rate) makes
     * elapsed * rate < cap - milli.
     */
    if (elapsed >= (cap - b->milli + rate - 1) / rate)
        b->milli = cap;
    else
        b->milli += elapsed * rate;
}

void nl_rate_bucket_init(struct nl_rate_bucket *b, uint32_t burst, uint64_t now)
{
    b->milli = bucket_cap(burst);
    b->last_ms = now;
}

int nl_rate_bucket_take(struct nl_rate_bucket *b, uint32_t rate, uint32_t burst, uint64_t now,
                        uint64_t *wait_ms)
{
    if (wait_ms != NULL)
        *wait_ms = 0;
    if (rate == 0)
        return 1;
    rate = clamp_rate(rate);
    bucket_refill(b, rate, burst, now);
    if (b->milli >= MILLI) {
        b->milli -= MILLI;
        return 1;
    }
    if (wait_ms != NULL)
        *wait_ms = (MILLI - b->milli + rate - 1) / rate;
    return 0;
}

void nl_rate_bucket_give(struct nl_rate_bucket *b, uint32_t rate, uint32_t burst, uint64_t now)
{
    uint64_t cap = bucket_cap(burst);

    if (rate != 0)
        bucket_refill(b, rate, burst, now);
    b->milli = b->milli + MILLI > cap ? cap : b->milli + MILLI;
}

/* --- the table --------------------------------------------------------------------------- */

static uint32_t key_hash(const struct nl_rate_table *t, const char *key)
{
    uint64_t h = 14695981039346656037ull ^ t->seed;

    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    h ^= h >> 29; /* the low bits pick the chain: fold the high ones in */
    return (uint32_t)(h ^ (h >> 32));
}

static struct nl_rate_slot *at(struct nl_rate_table *t, uint16_t i)
{
    return i == 0 ? NULL : &t->slot[i - 1];
}

static uint16_t index_of(const struct nl_rate_table *t, const struct nl_rate_slot *s)
{
    return (uint16_t)(s - t->slot + 1);
}

static void recency_unlink(struct nl_rate_table *t, struct nl_rate_slot *s)
{
    if (s->newer != 0)
        at(t, s->newer)->older = s->older;
    else
        t->newest = s->older;
    if (s->older != 0)
        at(t, s->older)->newer = s->newer;
    else
        t->oldest = s->newer;
    s->older = s->newer = 0;
}

static void recency_push(struct nl_rate_table *t, struct nl_rate_slot *s)
{
    uint16_t i = index_of(t, s);

    s->newer = 0;
    s->older = t->newest;
    if (t->newest != 0)
        at(t, t->newest)->newer = i;
    t->newest = i;
    if (t->oldest == 0)
        t->oldest = i;
}

/* Moves s to the newest end of the recency list. */
static void touch(struct nl_rate_table *t, struct nl_rate_slot *s)
{
    if (t->newest == index_of(t, s))
        return;
    recency_unlink(t, s);
    recency_push(t, s);
}

static void chain_unlink(struct nl_rate_table *t, struct nl_rate_slot *s)
{
    uint16_t i = index_of(t, s);
    uint16_t *pp = &t->head[s->hash & (NL_RATE_HASH - 1)];

    while (*pp != 0 && *pp != i)
        pp = &at(t, *pp)->hnext;
    if (*pp == i)
        *pp = s->hnext;
    s->hnext = 0;
}

void nl_rate_table_init(struct nl_rate_table *t, uint64_t seed)
{
    memset(t, 0, sizeof(*t));
    t->seed = seed;
}

/* The key as stored: truncated to NL_RATE_KEY_LEN - 1 bytes. */
static void key_copy(char out[NL_RATE_KEY_LEN], const char *key)
{
    (void)snprintf(out, NL_RATE_KEY_LEN, "%s", key);
}

static struct nl_rate_slot *find(struct nl_rate_table *t, const char *key, uint32_t h)
{
    for (struct nl_rate_slot *s = at(t, t->head[h & (NL_RATE_HASH - 1)]); s != NULL;
         s = at(t, s->hnext)) {
        if (s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
    return NULL;
}

struct nl_rate_slot *nl_rate_find(struct nl_rate_table *t, const char *key)
{
    char k[NL_RATE_KEY_LEN];

    key_copy(k, key);
    return find(t, k, key_hash(t, k));
}

/* A slot for new key k (hash h): a free one, else the least recently used one. */
static struct nl_rate_slot *slot_new(struct nl_rate_table *t, const char *k, uint32_t h)
{
    struct nl_rate_slot *s;

    if (t->n < NL_RATE_SLOTS) {
        s = &t->slot[t->n++];
    } else {
        s = at(t, t->oldest);
        chain_unlink(t, s);
        recency_unlink(t, s);
    }
    memset(s, 0, sizeof(*s));
    memcpy(s->key, k, NL_RATE_KEY_LEN);
    s->hash = h;
    s->hnext = t->head[h & (NL_RATE_HASH - 1)];
    t->head[h & (NL_RATE_HASH - 1)] = index_of(t, s);
    recency_push(t, s);
    return s;
}

/* The slot of key, created with a full bucket of rate/burst when absent. */
static struct nl_rate_slot *slot_get(struct nl_rate_table *t, const char *key, uint32_t rate,
                                     uint32_t burst, uint64_t now)
{
    char k[NL_RATE_KEY_LEN];
    uint32_t h;
    struct nl_rate_slot *s;

    key_copy(k, key);
    h = key_hash(t, k);
    s = find(t, k, h);
    if (s != NULL) {
        touch(t, s);
        return s;
    }
    s = slot_new(t, k, h);
    s->rate = clamp_rate(rate);
    s->burst = clamp_rate(burst);
    nl_rate_bucket_init(&s->bucket, s->burst, now);
    return s;
}

int nl_rate_admit(struct nl_rate_table *t, const char *key, uint32_t rate, uint32_t burst,
                  uint64_t now, uint64_t *wait_ms)
{
    struct nl_rate_slot *s;

    if (wait_ms != NULL)
        *wait_ms = 0;
    if (rate == 0)
        return 1;
    s = slot_get(t, key, rate, burst, now);
    /* The table's limit may have changed since the slot was made (not at run time today). */
    s->rate = clamp_rate(rate);
    s->burst = clamp_rate(burst);
    return nl_rate_bucket_take(&s->bucket, s->rate, s->burst, now, wait_ms);
}

void nl_rate_learn(struct nl_rate_table *t, const char *key, uint32_t rate, uint32_t burst,
                   uint64_t now)
{
    struct nl_rate_slot *s;

    if (rate == 0) {
        s = nl_rate_find(t, key);
        if (s != NULL)
            s->rate = 0;
        return;
    }
    s = slot_get(t, key, rate, burst, now);
    if (s->rate != 0)
        bucket_refill(&s->bucket, s->rate, s->burst, now); /* earned at the old rate */
    else
        nl_rate_bucket_init(&s->bucket, burst, now); /* it was unlimited: start full */
    s->rate = clamp_rate(rate);
    s->burst = clamp_rate(burst);
    if (s->bucket.milli > bucket_cap(s->burst))
        s->bucket.milli = bucket_cap(s->burst);
}

enum nl_rate_verdict nl_rate_take(struct nl_rate_table *t, const char *key, uint64_t now,
                                  uint64_t *wait_ms, uint32_t *rate)
{
    struct nl_rate_slot *s = nl_rate_find(t, key);

    if (wait_ms != NULL)
        *wait_ms = 0;
    if (rate != NULL)
        *rate = 0;
    if (s == NULL || s->rate == 0)
        return NL_RATE_UNTRACKED;
    touch(t, s);
    if (rate != NULL)
        *rate = s->rate;
    return nl_rate_bucket_take(&s->bucket, s->rate, s->burst, now, wait_ms) ? NL_RATE_PASSED
                                                                            : NL_RATE_REFUSED;
}

void nl_rate_refund(struct nl_rate_table *t, const char *key, uint64_t now)
{
    struct nl_rate_slot *s = nl_rate_find(t, key);

    if (s != NULL && s->rate != 0)
        nl_rate_bucket_give(&s->bucket, s->rate, s->burst, now);
}

/* 1 when a line for s is due at now: none yet, or the last one interval_ms ago or more. */
static int line_due(const struct nl_rate_slot *s, uint64_t now, uint64_t interval_ms)
{
    return !s->logged || now < s->logged_ms || now - s->logged_ms >= interval_ms;
}

uint64_t nl_rate_note_refusal(struct nl_rate_table *t, const char *key, uint64_t now,
                              uint64_t interval_ms)
{
    struct nl_rate_slot *s = nl_rate_find(t, key);
    uint64_t n;

    if (s == NULL)
        return 1;
    s->refused++;
    if (!line_due(s, now, interval_ms))
        return 0;
    n = s->refused;
    s->refused = 0;
    s->logged = 1;
    s->logged_ms = now;
    return n;
}

void nl_rate_flush_refusals(struct nl_rate_table *t, uint64_t now, uint64_t interval_ms, int all,
                            void (*report)(void *ud, const char *key, uint64_t count), void *ud)
{
    for (size_t i = 0; i < t->n; i++) {
        struct nl_rate_slot *s = &t->slot[i];
        if (s->refused == 0 || (!all && !line_due(s, now, interval_ms)))
            continue;
        report(ud, s->key, s->refused);
        s->refused = 0;
        s->logged = 1;
        s->logged_ms = now;
    }
}
