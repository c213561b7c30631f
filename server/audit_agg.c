/*
 * audit_agg.c - per-window aggregation of audited denials (audit_agg.h).
 *
 * Keys live in an array; an open-addressing index of twice the table's
 * size (a power of two, FNV-1a of the key text) finds them, so a refused
 * call costs one hash and a probe or two even during a flood. A flush
 * compacts the array and rebuilds the index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "audit_agg.h"
#include "auth.h"

#define EMPTY UINT32_MAX

struct agg_entry {
    char addr[NL_LOCKOUT_ADDR_LEN];
    char token_id[16];
    char role[16];
    int64_t unit_id;
    char cert_fp[65];
    char method[128];
    char outcome[32];
    uint32_t hash;
    uint64_t window_end; /* monotonic ms */
    uint64_t counted;    /* calls not audited one by one */
};

struct nl_audit_agg {
    struct agg_entry *v;
    unsigned n, max;
    uint32_t *idx; /* positions in v, EMPTY for a free slot */
    unsigned idx_size;
    uint64_t window_ms;
    uint64_t pending;
    int overflow;                /* overflow_e is in use (the table was full) */
    struct agg_entry overflow_e; /* the key every new key counts into once full */
};

int nl_audit_agg_applies(enum nl_status st)
{
    return st == NL_UNAUTHENTICATED || st == NL_PERMISSION_DENIED || st == NL_RESOURCE_EXHAUSTED;
}

struct nl_audit_agg *nl_audit_agg_new(unsigned max_keys, uint64_t window_ms)
{
    struct nl_audit_agg *g = calloc(1, sizeof(*g));
    unsigned size = 2;

    if (g == NULL || max_keys == 0 || window_ms == 0 || max_keys > (1u << 24)) {
        free(g);
        return NULL;
    }
    while (size < 2 * max_keys)
        size *= 2;
    g->v = calloc(max_keys, sizeof(*g->v));
    g->idx = malloc(size * sizeof(*g->idx));
    if (g->v == NULL || g->idx == NULL) {
        nl_audit_agg_free(g);
        return NULL;
    }
    memset(g->idx, 0xff, size * sizeof(*g->idx));
    g->idx_size = size;
    g->max = max_keys;
    g->window_ms = window_ms;
    return g;
}

void nl_audit_agg_free(struct nl_audit_agg *g)
{
    if (g == NULL)
        return;
    free(g->v);
    free(g->idx);
    free(g);
}

/* The key of an entry: its address (no port), token id, method and outcome. */
static void key_of(const struct nl_audit_item *it, struct agg_entry *k)
{
    memset(k, 0, sizeof(*k));
    nl_lockout_addr(it->peer, k->addr, sizeof(k->addr));
    memcpy(k->token_id, it->token_id, sizeof(k->token_id));
    memcpy(k->method, it->method, sizeof(k->method));
    memcpy(k->outcome, it->outcome, sizeof(k->outcome));
    k->token_id[sizeof(k->token_id) - 1] = k->method[sizeof(k->method) - 1] = '\0';
    k->outcome[sizeof(k->outcome) - 1] = '\0';
    memcpy(k->role, it->role, sizeof(k->role));
    k->role[sizeof(k->role) - 1] = '\0';
    k->unit_id = it->unit_id;
    memcpy(k->cert_fp, it->cert_fp, sizeof(k->cert_fp));
    k->cert_fp[sizeof(k->cert_fp) - 1] = '\0';

    uint32_t h = 2166136261u;
    const char *parts[] = {k->addr, k->token_id, k->method, k->outcome};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        for (const unsigned char *p = (const unsigned char *)parts[i]; *p != '\0'; p++)
            h = (h ^ *p) * 16777619u;
        h = (h ^ 0xffu) * 16777619u; /* separator: "ab"+"c" differs from "a"+"bc" */
    }
    k->hash = h;
}

static int same_key(const struct agg_entry *a, const struct agg_entry *b)
{
    return a->hash == b->hash && strcmp(a->addr, b->addr) == 0 &&
           strcmp(a->token_id, b->token_id) == 0 && strcmp(a->method, b->method) == 0 &&
           strcmp(a->outcome, b->outcome) == 0;
}

/* The index slot of key k: its entry's slot, or the free slot where it would go. */
static uint32_t *slot_of(struct nl_audit_agg *g, const struct agg_entry *k)
{
    unsigned mask = g->idx_size - 1;

    for (unsigned i = k->hash & mask;; i = (i + 1) & mask) {
        uint32_t *s = &g->idx[i];
        if (*s == EMPTY || same_key(&g->v[*s], k))
            return s; /* the index is never more than half full: a free slot exists */
    }
}

int nl_audit_agg_admit(struct nl_audit_agg *g, struct nl_audit_item *it, uint64_t now_ms)
{
    struct agg_entry k;
    uint32_t *s;

    key_of(it, &k);
    s = slot_of(g, &k);
    if (*s != EMPTY) {
        g->v[*s].counted++;
        g->pending++;
        return 0;
    }
    if (g->n < g->max) {
        k.window_end = now_ms + g->window_ms;
        g->v[g->n] = k;
        *s = g->n++;
        return 1;
    }
    /* Full: every new key counts into one overflow key, audited once as "*". */
    if (g->overflow) {
        g->overflow_e.counted++;
        g->pending++;
        return 0;
    }
    memset(&g->overflow_e, 0, sizeof(g->overflow_e));
    (void)snprintf(g->overflow_e.addr, sizeof(g->overflow_e.addr), "*");
    (void)snprintf(g->overflow_e.method, sizeof(g->overflow_e.method), "*");
    memcpy(g->overflow_e.outcome, k.outcome, sizeof(k.outcome));
    g->overflow_e.window_end = now_ms + g->window_ms;
    g->overflow = 1;
    (void)snprintf(it->peer, sizeof(it->peer), "*");
    (void)snprintf(it->method, sizeof(it->method), "*");
    it->token_id[0] = it->role[0] = it->cert_fp[0] = '\0';
    it->unit_id = 0;
    (void)snprintf(it->keys, sizeof(it->keys), "overflow: more refusing sources than %u", g->max);
    return 1;
}

/* Emits the summary of e if it counted calls. */
static void summarise(struct nl_audit_agg *g, const struct agg_entry *e, nl_audit_agg_emit_fn emit,
                      void *ud)
{
    struct nl_audit_item *it;

    if (e->counted == 0)
        return;
    g->pending -= e->counted;
    it = calloc(1, sizeof(*it));
    if (it == NULL) {
        nl_log_error("audit: out of memory: the summary of %llu refused %s calls is lost",
                     (unsigned long long)e->counted, e->method);
        return;
    }
    nl_audit_item_fill(it, e->method, NULL, NULL, NL_OK);
    memcpy(it->token_id, e->token_id, sizeof(e->token_id));
    memcpy(it->role, e->role, sizeof(e->role));
    it->unit_id = e->unit_id;
    memcpy(it->cert_fp, e->cert_fp, sizeof(e->cert_fp));
    (void)snprintf(it->peer, sizeof(it->peer), "%s", e->addr);
    (void)snprintf(it->outcome, sizeof(it->outcome), "%s", e->outcome);
    (void)snprintf(it->keys, sizeof(it->keys), "repeated=%llu window=%llus",
                   (unsigned long long)e->counted, (unsigned long long)(g->window_ms / 1000));
    emit(ud, it);
}

void nl_audit_agg_flush(struct nl_audit_agg *g, uint64_t now_ms, int all, nl_audit_agg_emit_fn emit,
                        void *ud)
{
    unsigned kept = 0;

    for (unsigned i = 0; i < g->n; i++) {
        if (all || g->v[i].window_end <= now_ms)
            summarise(g, &g->v[i], emit, ud);
        else
            g->v[kept++] = g->v[i];
    }
    if (g->overflow && (all || g->overflow_e.window_end <= now_ms)) {
        summarise(g, &g->overflow_e, emit, ud);
        g->overflow = 0;
    }
    if (kept == g->n)
        return;
    g->n = kept;
    memset(g->idx, 0xff, g->idx_size * sizeof(*g->idx));
    for (unsigned i = 0; i < g->n; i++)
        *slot_of(g, &g->v[i]) = i;
}

uint64_t nl_audit_agg_pending(const struct nl_audit_agg *g)
{
    return g != NULL ? g->pending : 0;
}
