/*
 * store_indicators.c - the store side of the indicator engine
 * (store_indicators.h): loading the unit history and the terms, and running
 * an assembled aggregate statement. The statements differ per request (base,
 * dimensions, filters), so they are prepared per call rather than cached;
 * preparing costs tens of microseconds against milliseconds of aggregation.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/date.h"
#include "store_indicators.h"
#include "store_int.h"

static const char SQL_UNITS[] = "SELECT id, code FROM unit ORDER BY id";
static const char SQL_VERSIONS[] = "SELECT unit_id, ifnull(parent_id, 0), kind, valid_from,"
                                   " ifnull(valid_to, '9999-12-31')"
                                   " FROM unit_version ORDER BY unit_id, valid_from";
static const char SQL_EVENTS[] = "SELECT e.id, e.kind, e.effective_date, eu.role, eu.unit_id"
                                 " FROM unit_event e JOIN unit_event_unit eu ON eu.event_id = e.id"
                                 " ORDER BY e.effective_date, e.id, eu.role, eu.unit_id";
static const char SQL_TERMS[] =
    "SELECT id, code, kind, start_year, end_year FROM term ORDER BY start_year, code";

#define WORLD_MAX 1000000 /* rows of any one table of the history: a guard */

static int32_t day_of(sqlite3_stmt *s, int col)
{
    const char *t = (const char *)sqlite3_column_text(s, col);
    int32_t d = 0;

    if (t == NULL || nl_date_parse(t, strlen(t), &d) != 0)
        return NL_SCOPE_ALWAYS;
    return d;
}

/* Steps `s` into a growing arena array; `row` copies one row. */
static enum nl_status grow(void **arr, size_t *n, size_t *cap, size_t elem, struct nl_arena *a)
{
    if (*n < *cap)
        return NL_OK;
    if (*cap >= WORLD_MAX)
        return NL_RESOURCE_EXHAUSTED;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p = nl_arena_alloc(a, ncap * elem);
    if (p == NULL)
        return NL_RESOURCE_EXHAUSTED;
    if (*n > 0)
        memcpy(p, *arr, *n * elem);
    *arr = p;
    *cap = ncap;
    return NL_OK;
}

static enum nl_status load_units(struct nl_store *st, struct nl_scope_tree *t, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_UNITS, &res);
    void *ids = NULL, *codes = NULL;
    size_t n = 0, cap = 0, ccap = 0, cn = 0;
    int row = 1;

    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        if ((res = grow(&ids, &n, &cap, sizeof(int64_t), a)) != NL_OK ||
            (res = grow(&codes, &cn, &ccap, sizeof(char *), a)) != NL_OK)
            break;
        ((int64_t *)ids)[n++] = sqlite3_column_int64(s, 0);
        char *c = nl_store_col_text(s, 1, a);
        if (c == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        ((char **)codes)[cn++] = c;
    }
    nl_store_stmt_done(s);
    t->ids = ids;
    t->code = (const char *const *)codes;
    t->nunits = n;
    return res;
}

static enum nl_status load_versions(struct nl_store *st, struct nl_scope_tree *t,
                                    struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_VERSIONS, &res);
    void *arr = NULL;
    size_t n = 0, cap = 0;
    int row = 1;

    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        if ((res = grow(&arr, &n, &cap, sizeof(struct nl_scope_version), a)) != NL_OK)
            break;
        ((struct nl_scope_version *)arr)[n++] =
            (struct nl_scope_version){sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                      sqlite3_column_int(s, 2), day_of(s, 3), day_of(s, 4)};
    }
    nl_store_stmt_done(s);
    t->v = arr;
    t->nv = n;
    return res;
}

/* Events arrive grouped by event id, sources (role 1) before targets (role 2). */
static enum nl_status load_events(struct nl_store *st, struct nl_scope_tree *t, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_EVENTS, &res);
    void *evs = NULL, *units = NULL;
    size_t n = 0, cap = 0, nu = 0, ucap = 0;
    int64_t cur = -1;
    int row = 1;
    struct {
        size_t first, nsrc, ntgt;
    } *span = NULL;
    size_t nspan = 0, spancap = 0;

    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        int64_t id = sqlite3_column_int64(s, 0);
        if (id != cur) {
            if ((res = grow(&evs, &n, &cap, sizeof(struct nl_scope_event), a)) != NL_OK ||
                (res = grow((void **)&span, &nspan, &spancap, sizeof(*span), a)) != NL_OK)
                break;
            ((struct nl_scope_event *)evs)[n++] =
                (struct nl_scope_event){sqlite3_column_int(s, 1), day_of(s, 2), NULL, 0, NULL, 0};
            span[nspan].first = nu;
            span[nspan].nsrc = span[nspan].ntgt = 0;
            nspan++;
            cur = id;
        }
        if ((res = grow(&units, &nu, &ucap, sizeof(int64_t), a)) != NL_OK)
            break;
        ((int64_t *)units)[nu++] = sqlite3_column_int64(s, 4);
        if (sqlite3_column_int(s, 3) == 1)
            span[nspan - 1].nsrc++;
        else
            span[nspan - 1].ntgt++;
    }
    nl_store_stmt_done(s);
    /* Pointers into `units` only now: it moved while growing. */
    for (size_t i = 0; res == NL_OK && i < n; i++) {
        struct nl_scope_event *e = &((struct nl_scope_event *)evs)[i];
        const int64_t *u = (const int64_t *)units + span[i].first;
        e->sources = u;
        e->nsources = span[i].nsrc;
        e->targets = u + span[i].nsrc;
        e->ntargets = span[i].ntgt;
    }
    t->ev = evs;
    t->nev = res == NL_OK ? n : 0;
    return res;
}

static enum nl_status load_terms(struct nl_store *st, struct nl_ind_world *w, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TERMS, &res);
    void *arr = NULL;
    size_t n = 0, cap = 0;
    int row = 1;

    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        if ((res = grow(&arr, &n, &cap, sizeof(struct nl_ind_term), a)) != NL_OK)
            break;
        struct nl_ind_term *t = &((struct nl_ind_term *)arr)[n++];
        t->id = sqlite3_column_int64(s, 0);
        t->code = nl_store_col_text(s, 1, a);
        t->kind = sqlite3_column_int(s, 2);
        t->start_year = sqlite3_column_int(s, 3);
        t->end_year = sqlite3_column_int(s, 4);
        if (t->code == NULL)
            res = NL_RESOURCE_EXHAUSTED;
    }
    nl_store_stmt_done(s);
    w->terms = arr;
    w->nterms = n;
    return res;
}

enum nl_status nl_store_ind_world(struct nl_store *st, struct nl_ind_world *w, struct nl_arena *a)
{
    enum nl_status res;

    memset(w, 0, sizeof(*w));
    res = load_units(st, &w->tree, a);
    if (res == NL_OK)
        res = load_versions(st, &w->tree, a);
    if (res == NL_OK)
        res = load_events(st, &w->tree, a);
    if (res == NL_OK)
        res = load_terms(st, w, a);
    return res;
}

enum nl_status nl_store_ind_run(struct nl_store *st, const char *sql, const struct nl_ind_param *p,
                                size_t np, size_t max, struct nl_ind_row **rows, size_t *n,
                                struct nl_arena *a)
{
    sqlite3_stmt *s = NULL;
    enum nl_status res = NL_OK;
    void *arr = NULL;
    size_t cap = 0;
    int rc, row = 1;

    *rows = NULL;
    *n = 0;
    rc = sqlite3_prepare_v3(st->db, sql, -1, 0, &s, NULL);
    if (rc != SQLITE_OK) {
        res = nl_store_fail(st, rc, "prepare indicator statement");
        return res == NL_OK ? NL_INTERNAL : res;
    }
    for (size_t i = 0; i < np && res == NL_OK; i++) {
        rc = p[i].text != NULL ? nl_store_bind_text(s, (int)i + 1, p[i].text)
                               : sqlite3_bind_int64(s, (int)i + 1, p[i].i);
        if (rc != SQLITE_OK)
            res = nl_store_bind_fail(st, "bind indicator statement");
    }
    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        if (*n >= max) {
            res = NL_RESOURCE_EXHAUSTED;
            break;
        }
        if ((res = grow(&arr, n, &cap, sizeof(struct nl_ind_row), a)) != NL_OK)
            break;
        struct nl_ind_row *r = &((struct nl_ind_row *)arr)[*n];
        r->g = sqlite3_column_int64(s, 0);
        r->k[0] = nl_store_col_text(s, 1, a);
        r->k[1] = nl_store_col_text(s, 2, a);
        r->num = sqlite3_column_int64(s, 3);
        r->den = sqlite3_column_int64(s, 4);
        if (r->k[0] == NULL || r->k[1] == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        (*n)++;
    }
    sqlite3_finalize(s);
    *rows = arr;
    return res;
}

/* ---------- distinct trainees over a per-connection cache ---------- */

struct trainee_entry {
    int64_t class_id; /* 0 = empty slot */
    int64_t rev;
    uint32_t *ids; /* counted cadre ids; those with unexcused absences first */
    uint32_t n, nunexcused;
};

struct nl_trainee_cache {
    struct trainee_entry *slot; /* open addressing, power-of-two size */
    size_t cap, used;
    size_t ids; /* total cached ids */
};

static const char SQL_CLASS_TRAINEES[] = "SELECT cadre_id, absent_unexcused > 0 FROM enrolment"
                                         " WHERE class_id = ?1 AND status <> 4";

static void cache_clear(struct nl_trainee_cache *c)
{
    for (size_t i = 0; i < c->cap; i++)
        free(c->slot[i].ids);
    free(c->slot);
    memset(c, 0, sizeof(*c));
}

void nl_store_ind_cache_free(struct nl_store *st)
{
    if (st->trainees != NULL) {
        cache_clear(st->trainees);
        free(st->trainees);
        st->trainees = NULL;
    }
}

static size_t slot_of(const struct nl_trainee_cache *c, int64_t id)
{
    size_t h = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15u >> 17) & (c->cap - 1);

    while (c->slot[h].class_id != 0 && c->slot[h].class_id != id)
        h = (h + 1) & (c->cap - 1);
    return h;
}

static int cache_grow(struct nl_trainee_cache *c)
{
    struct nl_trainee_cache bigger = {0};

    bigger.cap = c->cap ? c->cap * 2 : 4096;
    bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
    if (bigger.slot == NULL)
        return -1;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slot[i].class_id != 0)
            bigger.slot[slot_of(&bigger, c->slot[i].class_id)] = c->slot[i];
    bigger.used = c->used;
    bigger.ids = c->ids;
    free(c->slot);
    *c = bigger;
    return 0;
}

/* Reads the counted trainees of one class into *e (ids malloc'd). */
static enum nl_status load_class(struct nl_store *st, int64_t class_id, struct trainee_entry *e)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_CLASS_TRAINEES, &res);
    uint32_t *ids = NULL, *unex = NULL;
    size_t n = 0, nu = 0, cap = 0, ucap = 0;
    int row = 1;

    if (s != NULL && sqlite3_bind_int64(s, 1, class_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class trainees");
    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        int64_t id = sqlite3_column_int64(s, 0);
        int u = sqlite3_column_int(s, 1);
        uint32_t **arr = u ? &unex : &ids;
        size_t *len = u ? &nu : &n, *acap = u ? &ucap : &cap;
        if (id <= 0 || id > UINT32_MAX) {
            res = NL_INTERNAL;
            break;
        }
        if (*len == *acap) {
            size_t nc = *acap ? *acap * 2 : 64;
            uint32_t *p = realloc(*arr, nc * sizeof(*p));
            if (p == NULL) {
                res = NL_RESOURCE_EXHAUSTED;
                break;
            }
            *arr = p;
            *acap = nc;
        }
        (*arr)[(*len)++] = (uint32_t)id;
    }
    nl_store_stmt_done(s);
    if (res == NL_OK) {
        /* One array: the unexcused first, then the others. */
        uint32_t *all = malloc((n + nu + 1) * sizeof(*all));
        if (all == NULL) {
            res = NL_RESOURCE_EXHAUSTED;
        } else {
            if (nu)
                memcpy(all, unex, nu * sizeof(*all));
            if (n)
                memcpy(all + nu, ids, n * sizeof(*all));
            e->ids = all;
            e->n = (uint32_t)(n + nu);
            e->nunexcused = (uint32_t)nu;
        }
    }
    free(ids);
    free(unex);
    return res;
}

/* The entry of a class at `rev`, loaded or reloaded as needed. */
static enum nl_status cache_get(struct nl_store *st, int64_t class_id, int64_t rev,
                                const struct trainee_entry **out)
{
    struct nl_trainee_cache *c = st->trainees;
    struct trainee_entry fresh = {class_id, rev, NULL, 0, 0};
    enum nl_status res;

    if (c == NULL && (c = st->trainees = calloc(1, sizeof(*c))) == NULL)
        return NL_RESOURCE_EXHAUSTED;
    if (c->cap != 0) {
        struct trainee_entry *e = &c->slot[slot_of(c, class_id)];
        if (e->class_id == class_id && e->rev == rev) {
            *out = e;
            return NL_OK;
        }
    }
    if ((res = load_class(st, class_id, &fresh)) != NL_OK)
        return res;
    if (c->ids + fresh.n > NL_TRAINEE_CACHE_MAX)
        cache_clear(c); /* start over rather than grow without bound */
    if ((c->used + 1) * 2 > c->cap && cache_grow(c) != 0) {
        free(fresh.ids);
        return NL_RESOURCE_EXHAUSTED;
    }
    struct trainee_entry *e = &c->slot[slot_of(c, class_id)];
    if (e->class_id == class_id) {
        c->ids -= e->n;
        free(e->ids);
    } else {
        c->used++;
    }
    *e = fresh;
    c->ids += fresh.n;
    *out = e;
    return NL_OK;
}

/* A group's bitmap of cadre ids. */
struct dgroup {
    int64_t g;
    const char *k;
    uint64_t *bits;
    size_t words;
    int64_t count;
};

static int dgroup_set(struct dgroup *d, uint32_t id)
{
    size_t w = id >> 6;

    if (w >= d->words) {
        size_t words = d->words ? d->words : 1024;
        while (words <= w)
            words *= 2;
        uint64_t *b = realloc(d->bits, words * sizeof(*b));
        if (b == NULL)
            return -1;
        memset(b + d->words, 0, (words - d->words) * sizeof(*b));
        d->bits = b;
        d->words = words;
    }
    uint64_t bit = (uint64_t)1 << (id & 63);
    if ((d->bits[w] & bit) == 0) {
        d->bits[w] |= bit;
        d->count++;
    }
    return 0;
}

enum nl_status nl_store_ind_distinct(struct nl_store *st, const struct nl_ind_row *classes,
                                     size_t n, int unexcused, struct nl_ind_row **out, size_t *nout,
                                     struct nl_arena *a)
{
    struct dgroup *grp = NULL;
    size_t ng = 0, gcap = 0;
    enum nl_status res = NL_OK;

    *out = NULL;
    *nout = 0;
    for (size_t i = 0; i < n && res == NL_OK; i++) {
        const struct nl_ind_row *r = &classes[i];
        const struct trainee_entry *e = NULL;
        size_t k = 0;
        while (k < ng && !(grp[k].g == r->g && strcmp(grp[k].k, r->k[0]) == 0))
            k++;
        if (k == ng) {
            if (ng == gcap) {
                size_t nc = gcap ? gcap * 2 : 16;
                struct dgroup *p = realloc(grp, nc * sizeof(*p));
                if (p == NULL) {
                    res = NL_RESOURCE_EXHAUSTED;
                    break;
                }
                grp = p;
                gcap = nc;
            }
            grp[ng++] = (struct dgroup){r->g, r->k[0], NULL, 0, 0};
        }
        if ((res = cache_get(st, r->num, r->den, &e)) != NL_OK)
            break;
        uint32_t m = unexcused ? e->nunexcused : e->n;
        for (uint32_t j = 0; j < m; j++)
            if (dgroup_set(&grp[k], e->ids[j]) != 0) {
                res = NL_RESOURCE_EXHAUSTED;
                break;
            }
    }
    if (res == NL_OK && ng > 0) {
        struct nl_ind_row *o = nl_arena_alloc(a, ng * sizeof(*o));
        if (o == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        for (size_t k = 0; o != NULL && k < ng; k++)
            o[k] = (struct nl_ind_row){grp[k].g, {grp[k].k, ""}, grp[k].count, 0};
        *out = o;
        *nout = o != NULL ? ng : 0;
    }
    for (size_t k = 0; k < ng; k++)
        free(grp[k].bits);
    free(grp);
    return res;
}
