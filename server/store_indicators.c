/*
 * store_indicators.c - the store side of the indicator engine
 * (store_indicators.h): loading the unit history and the terms, and running
 * an assembled aggregate statement. The statements differ per request (base,
 * dimensions, filters), so they are prepared per call rather than cached;
 * preparing costs tens of microseconds against milliseconds of aggregation.
 *
 * It also keeps, per read connection, what lets enrolment-based flows skip
 * reading enrolments: per class, its enrolments (cadre ids; with details,
 * status, attendance, result and the trainee's attributes on the class's
 * end date), valid while the class's rev is unchanged; and "the people",
 * every cadre's sex and profile versions, from which the attributes come,
 * kept in step with the profile_change log of schema 11. Distinct counts
 * are bitmaps of cadre ids.
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
    int ncol = sqlite3_column_count(s);
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
        r->x = ncol > 5 ? sqlite3_column_int64(s, 5) : 0;
        if (r->k[0] == NULL || r->k[1] == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        (*n)++;
    }
    sqlite3_finalize(s);
    *rows = arr;
    return res;
}

/* ---------- the per-connection cache of class enrolments ---------- */

/* Per enrolment, what the enrolment-based measures need (an entry's `aux`). */
struct enr_aux {
    uint32_t attended, sessions;
    uint16_t attrs; /* the trainee's attributes on the class's end date: attr_get() */
    uint8_t status; /* EnrolmentStatus */
    uint8_t flags;  /* AUX_* */
};
#define AUX_UNEXCUSED 1u /* absent_unexcused > 0 */
#define AUX_VERY_GOOD 2u /* result EXCELLENT or VERY_GOOD */

/*
 * Where each attribute (enum nl_person_attr) sits in enr_aux.attrs: a field
 * of `bits` holding 0 for no profile, else the stored value - lo + 1.
 */
static const struct {
    unsigned shift, bits;
    int lo, hi;
} ATTR[NL_PA_COUNT] = {
    {0, 2, 1, 2},  /* sex: MALE 1, FEMALE 2 */
    {2, 3, 1, 4},  /* education 1..4 */
    {5, 3, 1, 5},  /* political theory 1..5 */
    {8, 2, 0, 1},  /* key cadre 0, 1 */
    {10, 3, 1, 3}, /* level 1..3 */
    {13, 3, 1, 3}, /* management category 1..3 */
};

static unsigned attr_get(uint16_t attrs, int a)
{
    return (attrs >> ATTR[a].shift) & ((1u << ATTR[a].bits) - 1u);
}

/* The field of the value in column `col` for attribute a: 0 for NULL (or out of range). */
static uint16_t attr_field(sqlite3_stmt *s, int col, int a)
{
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return 0;
    int64_t v = sqlite3_column_int64(s, col);
    if (v < ATTR[a].lo || v > ATTR[a].hi)
        return 0;
    return (uint16_t)((v - ATTR[a].lo + 1) << ATTR[a].shift);
}

/*
 * The people: each cadre's sex and profile versions, read by two sequential
 * scans when first needed (a join per enrolment would read a cadre and a
 * profile page per trainee) and kept in step with the profile_change log.
 * Dates are integers YYYYMMDD; an open version ends 99991231.
 */
struct pver {
    int32_t from, to;
    uint16_t attrs; /* the profile's fields of enr_aux.attrs (sex excluded) */
};

struct person {
    uint32_t id;
    uint32_t first, n; /* its versions: v[first .. first + n), by `from` */
    uint16_t sex;      /* the sex field of enr_aux.attrs */
};

struct people {
    struct person *p;
    size_t np, pcap;
    struct pver *v;
    size_t nv, vcap, vdead; /* vdead: versions replaced by a later read of their cadre */
    uint32_t *hash;         /* index + 1 into p by id (open addressing); 0 = empty */
    size_t hcap;
};

#define PEOPLE_PATCH_MAX 4096 /* more cadres changed than this: read everyone again */

struct trainee_entry {
    int64_t class_id;    /* 0 = empty slot */
    int64_t rev;         /* the class's rev when read */
    int64_t end;         /* with aux: the end date (YYYYMMDD) the attributes are for */
    uint32_t *ids;       /* counted cadre ids, those with unexcused absences first; with aux,
                            then the WITHDREW ones */
    struct enr_aux *aux; /* NULL, or one per id */
    uint32_t n, nunexcused, nall;
};

struct nl_trainee_cache {
    struct trainee_entry *slot; /* open addressing, power-of-two size */
    size_t cap, used;
    size_t bytes;     /* of the entries' arrays */
    int64_t prof_seq; /* profile_change read up to (people and aux reflect it); -1 = not yet */
    struct people people;
};

static const char SQL_CLASS_TRAINEES[] = "SELECT cadre_id, absent_unexcused > 0 FROM enrolment"
                                         " WHERE class_id = ?1 AND status <> 4";
static const char SQL_CLASS_ENROLMENTS[] =
    "SELECT cadre_id, status, absent_unexcused > 0, attended,"
    " attended + absent_excused + absent_unexcused, ifnull(result, 0) IN (1, 2)"
    " FROM enrolment WHERE class_id = ?1";
static const char SQL_LOG_BOUNDS[] = "SELECT ifnull((SELECT max(seq) FROM profile_change), 0),"
                                     " ifnull((SELECT min(seq) FROM profile_change), 0)";
static const char SQL_LOG_SINCE[] = "SELECT cadre_id FROM profile_change WHERE seq > ?1";
static const char SQL_ALL_CADRES[] = "SELECT id, sex FROM cadre";
static const char SQL_ALL_PROFILES[] =
    "SELECT cadre_id, valid_from, valid_to, education, political_theory, key_cadre, level,"
    " mgmt_category FROM cadre_profile";
static const char SQL_ONE_CADRE[] = "SELECT id, sex FROM cadre WHERE id = ?1";
static const char SQL_ONE_PROFILES[] =
    "SELECT cadre_id, valid_from, valid_to, education, political_theory, key_cadre, level,"
    " mgmt_category FROM cadre_profile WHERE cadre_id = ?1 ORDER BY valid_from";

/* A growing array of `elem`-byte items (malloc'd). 0 or -1 out of memory. */
static int vec_push(void **arr, size_t *n, size_t *cap, size_t elem, const void *item)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void *p = realloc(*arr, nc * elem);
        if (p == NULL)
            return -1;
        *arr = p;
        *cap = nc;
    }
    memcpy((char *)*arr + *n * elem, item, elem);
    (*n)++;
    return 0;
}

/* "YYYY-MM-DD..." in column col as YYYYMMDD; NULL is `if_null`; -1 when malformed. */
static int32_t day_int(sqlite3_stmt *s, int col, int32_t if_null)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int32_t v = 0;

    if (t == NULL)
        return if_null;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (t[i] != '-')
                return -1;
            continue;
        }
        if (t[i] < '0' || t[i] > '9')
            return -1;
        v = v * 10 + (t[i] - '0');
    }
    return v;
}

#define OPEN_END 99991231

static void people_free(struct people *pp)
{
    free(pp->p);
    free(pp->v);
    free(pp->hash);
    memset(pp, 0, sizeof(*pp));
}

static size_t hash_slot(const struct people *pp, uint32_t id)
{
    size_t h = (size_t)((uint32_t)(id * 2654435761u)) & (pp->hcap - 1);

    while (pp->hash[h] != 0 && pp->p[pp->hash[h] - 1].id != id)
        h = (h + 1) & (pp->hcap - 1);
    return h;
}

/* The index of cadre id in pp->p, or -1. */
static int64_t people_find(const struct people *pp, uint32_t id)
{
    if (pp->hcap == 0)
        return -1;
    uint32_t i = pp->hash[hash_slot(pp, id)];
    return i == 0 ? -1 : (int64_t)i - 1;
}

/* Adds cadre id (no versions yet); its index, or -1 out of memory. */
static int64_t people_add(struct people *pp, uint32_t id, uint16_t sex)
{
    if ((pp->np + 1) * 2 > pp->hcap) {
        size_t cap = pp->hcap ? pp->hcap * 2 : 4096;
        uint32_t *h = calloc(cap, sizeof(*h));
        if (h == NULL)
            return -1;
        free(pp->hash);
        pp->hash = h;
        pp->hcap = cap;
        for (size_t i = 0; i < pp->np; i++)
            pp->hash[hash_slot(pp, pp->p[i].id)] = (uint32_t)(i + 1);
    }
    struct person fresh = {id, 0, 0, sex};
    if (pp->np >= UINT32_MAX - 1 ||
        vec_push((void **)&pp->p, &pp->np, &pp->pcap, sizeof(fresh), &fresh) != 0)
        return -1;
    pp->hash[hash_slot(pp, id)] = (uint32_t)pp->np;
    return (int64_t)pp->np - 1;
}

/* A profile row (cadre, from, to, education, theory, key, level, mgmt) as a version. */
static int profile_row(sqlite3_stmt *s, struct pver *v)
{
    static const int cols[] = {NL_PA_EDUCATION, NL_PA_POLITICAL_THEORY, NL_PA_KEY_CADRE,
                               NL_PA_LEVEL, NL_PA_MGMT_CATEGORY};

    v->from = day_int(s, 1, -1);
    v->to = day_int(s, 2, OPEN_END);
    v->attrs = 0;
    for (int i = 0; i < 5; i++)
        v->attrs |= attr_field(s, 3 + i, cols[i]);
    return v->from < 0 || v->to < 0 ? -1 : 0;
}

struct tmpver {
    uint32_t cadre;
    struct pver v;
};

static int tmpver_cmp(const void *pa, const void *pb)
{
    const struct tmpver *a = pa, *b = pb;

    if (a->cadre != b->cadre)
        return a->cadre < b->cadre ? -1 : 1;
    return (a->v.from > b->v.from) - (a->v.from < b->v.from);
}

/* Reads every cadre and profile version into *pp (replacing what it held). */
static enum nl_status people_load(struct nl_store *st, struct people *pp)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s;
    struct tmpver *tv = NULL;
    size_t ntv = 0, tvcap = 0;
    int row = 1;

    people_free(pp);
    s = nl_store_stmt(st, SQL_ALL_CADRES, &res);
    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        int64_t id = sqlite3_column_int64(s, 0);
        if (id <= 0 || id > UINT32_MAX)
            res = NL_INTERNAL;
        else if (people_add(pp, (uint32_t)id, attr_field(s, 1, NL_PA_SEX)) < 0)
            res = NL_RESOURCE_EXHAUSTED;
    }
    nl_store_stmt_done(s);
    s = res == NL_OK ? nl_store_stmt(st, SQL_ALL_PROFILES, &res) : NULL;
    row = 1;
    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        int64_t id = sqlite3_column_int64(s, 0);
        struct tmpver t;
        if (id <= 0 || id > UINT32_MAX || profile_row(s, &t.v) != 0) {
            res = NL_INTERNAL;
            break;
        }
        t.cadre = (uint32_t)id;
        if (vec_push((void **)&tv, &ntv, &tvcap, sizeof(t), &t) != 0)
            res = NL_RESOURCE_EXHAUSTED;
    }
    nl_store_stmt_done(s);
    if (res == NL_OK && ntv > 0) {
        qsort(tv, ntv, sizeof(*tv), tmpver_cmp);
        pp->v = malloc(ntv * sizeof(*pp->v));
        if (pp->v == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        for (size_t i = 0; res == NL_OK && i < ntv; i++) {
            pp->v[i] = tv[i].v;
            int64_t k = people_find(pp, tv[i].cadre);
            if (k < 0)
                continue; /* a profile of no cadre: the foreign key forbids it */
            if (pp->p[k].n == 0)
                pp->p[k].first = (uint32_t)i;
            pp->p[k].n++;
        }
        pp->nv = pp->vcap = res == NL_OK ? ntv : 0;
    }
    free(tv);
    if (res != NL_OK)
        people_free(pp);
    return res;
}

/* Reads cadre id again (its sex and versions), adding it when new. */
static enum nl_status people_patch(struct nl_store *st, struct people *pp, uint32_t id)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_ONE_CADRE, &res);
    int row = 0;
    int64_t k = -1;
    uint16_t sex = 0;

    if (s != NULL && sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind cadre");
    if (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row)
        sex = attr_field(s, 1, NL_PA_SEX);
    nl_store_stmt_done(s);
    if (res != NL_OK || !row)
        return res; /* no such cadre (never enrolled, as the foreign key says) */
    if ((k = people_find(pp, id)) < 0 && (k = people_add(pp, id, sex)) < 0)
        return NL_RESOURCE_EXHAUSTED;
    pp->p[k].sex = sex;
    pp->vdead += pp->p[k].n;
    pp->p[k].n = 0;
    pp->p[k].first = (uint32_t)pp->nv;
    s = nl_store_stmt(st, SQL_ONE_PROFILES, &res);
    if (s != NULL && sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind cadre profiles");
    row = 1;
    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        struct pver v;
        if (profile_row(s, &v) != 0)
            res = NL_INTERNAL;
        else if (pp->nv >= UINT32_MAX ||
                 vec_push((void **)&pp->v, &pp->nv, &pp->vcap, sizeof(v), &v) != 0)
            res = NL_RESOURCE_EXHAUSTED;
        else
            pp->p[k].n++;
    }
    nl_store_stmt_done(s);
    return res;
}

/* The attributes of cadre id on day `end` (YYYYMMDD): sex, and the version valid then. */
static enum nl_status person_attrs(struct nl_store *st, struct people *pp, uint32_t id, int64_t end,
                                   uint16_t *attrs)
{
    int64_t k = people_find(pp, id);
    enum nl_status res;

    if (k < 0) { /* a cadre added since the people were read */
        if ((res = people_patch(st, pp, id)) != NL_OK)
            return res;
        if ((k = people_find(pp, id)) < 0)
            return NL_INTERNAL; /* an enrolment of no cadre: the foreign key forbids it */
    }
    const struct person *p = &pp->p[k];
    *attrs = p->sex;
    for (uint32_t i = 0; i < p->n; i++) {
        const struct pver *v = &pp->v[p->first + i];
        if (v->from <= end && v->to >= end) {
            *attrs |= v->attrs;
            break;
        }
    }
    return NL_OK;
}

/* Sets the attributes of every enrolment of e for its end date. */
static enum nl_status entry_attrs(struct nl_store *st, struct trainee_entry *e)
{
    enum nl_status res = NL_OK;

    for (uint32_t j = 0; res == NL_OK && j < e->nall; j++)
        res = person_attrs(st, &st->trainees->people, e->ids[j], e->end, &e->aux[j].attrs);
    return res;
}

static size_t entry_bytes(const struct trainee_entry *e)
{
    return (size_t)e->nall * (sizeof(uint32_t) + (e->aux != NULL ? sizeof(struct enr_aux) : 0));
}

/* Frees every entry; the people and the log position stay. */
static void cache_clear(struct nl_trainee_cache *c)
{
    for (size_t i = 0; i < c->cap; i++) {
        free(c->slot[i].ids);
        free(c->slot[i].aux);
    }
    free(c->slot);
    c->slot = NULL;
    c->cap = c->used = c->bytes = 0;
}

void nl_store_ind_cache_free(struct nl_store *st)
{
    if (st->trainees != NULL) {
        cache_clear(st->trainees);
        people_free(&st->trainees->people);
        free(st->trainees);
        st->trainees = NULL;
    }
}

/* The connection's cache, created when first needed; NULL out of memory. */
static struct nl_trainee_cache *cache_of(struct nl_store *st)
{
    if (st->trainees == NULL && (st->trainees = calloc(1, sizeof(*st->trainees))) != NULL)
        st->trainees->prof_seq = -1;
    return st->trainees;
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
    size_t cap = c->cap ? c->cap * 2 : 4096;
    struct trainee_entry *slot = calloc(cap, sizeof(*slot)), *old = c->slot;
    size_t oldcap = c->cap;

    if (slot == NULL)
        return -1;
    c->slot = slot;
    c->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].class_id != 0)
            c->slot[slot_of(c, old[i].class_id)] = old[i];
    free(old);
    return 0;
}

/*
 * Reads the enrolments of one class into *e (arrays malloc'd): the counted
 * ones with unexcused absences, then the other counted ones, and with
 * `with_aux` each one's details (attributes for e->end) and then the
 * WITHDREW ones.
 */
static enum nl_status load_class(struct nl_store *st, int64_t class_id, int with_aux,
                                 struct trainee_entry *e)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, with_aux ? SQL_CLASS_ENROLMENTS : SQL_CLASS_TRAINEES, &res);
    uint32_t *ids = NULL;
    struct enr_aux *aux = NULL;
    uint8_t *cat = NULL;
    size_t n = 0, nx = 0, nc = 0, cap = 0, xcap = 0, ccap = 0, per[3] = {0, 0, 0};
    int row = 1;

    if (s != NULL && sqlite3_bind_int64(s, 1, class_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class enrolments");
    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        int64_t id = sqlite3_column_int64(s, 0);
        struct enr_aux x = {0, 0, 0, 0, 0};
        uint8_t k;
        if (id <= 0 || id > UINT32_MAX) {
            res = NL_INTERNAL;
            break;
        }
        uint32_t id32 = (uint32_t)id;
        if (with_aux) {
            int64_t att = sqlite3_column_int64(s, 3), ses = sqlite3_column_int64(s, 4);
            int status = sqlite3_column_int(s, 1);
            if (att < 0 || att > UINT32_MAX || ses < 0 || ses > UINT32_MAX || status < 0 ||
                status > 31) {
                res = NL_INTERNAL;
                break;
            }
            x.attended = (uint32_t)att;
            x.sessions = (uint32_t)ses;
            x.status = (uint8_t)status;
            x.flags = (uint8_t)((sqlite3_column_int(s, 2) ? AUX_UNEXCUSED : 0) |
                                (sqlite3_column_int(s, 5) ? AUX_VERY_GOOD : 0));
            k = status == 4 ? 2 : (x.flags & AUX_UNEXCUSED) ? 0 : 1;
        } else {
            k = sqlite3_column_int(s, 1) ? 0 : 1;
        }
        if (vec_push((void **)&ids, &n, &cap, sizeof(*ids), &id32) != 0 ||
            vec_push((void **)&cat, &nc, &ccap, 1, &k) != 0 ||
            (with_aux && vec_push((void **)&aux, &nx, &xcap, sizeof(*aux), &x) != 0)) {
            res = NL_RESOURCE_EXHAUSTED;
            break;
        }
        per[k]++;
    }
    nl_store_stmt_done(s);
    if (res == NL_OK && n > UINT32_MAX)
        res = NL_RESOURCE_EXHAUSTED;
    if (res == NL_OK) {
        /* One array in the order unexcused, other counted, withdrawn; aux alongside. */
        uint32_t *all = malloc((n + 1) * sizeof(*all));
        struct enr_aux *xall = with_aux ? malloc((n + 1) * sizeof(*xall)) : NULL;
        if (all == NULL || (with_aux && xall == NULL)) {
            free(all);
            free(xall);
            res = NL_RESOURCE_EXHAUSTED;
        } else {
            size_t at[3] = {0, per[0], per[0] + per[1]};
            for (size_t i = 0; i < n; i++) {
                size_t j = at[cat[i]]++;
                all[j] = ids[i];
                if (with_aux)
                    xall[j] = aux[i];
            }
            e->ids = all;
            e->aux = xall;
            e->n = (uint32_t)(per[0] + per[1]);
            e->nunexcused = (uint32_t)per[0];
            e->nall = (uint32_t)n;
            if (with_aux && (res = entry_attrs(st, e)) != NL_OK) {
                free(e->ids);
                free(e->aux);
                e->ids = NULL;
                e->aux = NULL;
            }
        }
    }
    free(ids);
    free(aux);
    free(cat);
    return res;
}

/*
 * The entry of a class at `rev` (with `with_aux`: holding the details, the
 * attributes for end date `end`), loaded or reloaded as needed.
 */
static enum nl_status cache_get(struct nl_store *st, int64_t class_id, int64_t rev, int64_t end,
                                int with_aux, const struct trainee_entry **out)
{
    struct nl_trainee_cache *c = cache_of(st);
    struct trainee_entry fresh = {class_id, rev, end, NULL, NULL, 0, 0, 0};
    enum nl_status res;

    if (c == NULL)
        return NL_RESOURCE_EXHAUSTED;
    if (c->cap != 0) {
        struct trainee_entry *e = &c->slot[slot_of(c, class_id)];
        if (e->class_id == class_id && e->rev == rev && (!with_aux || e->aux != NULL)) {
            if (with_aux && e->end != end) { /* the class's end date moved */
                e->end = end;
                if ((res = entry_attrs(st, e)) != NL_OK) {
                    e->rev = -1;
                    return res;
                }
            }
            *out = e;
            return NL_OK;
        }
    }
    if ((res = load_class(st, class_id, with_aux, &fresh)) != NL_OK)
        return res;
    if (c->bytes + entry_bytes(&fresh) > NL_TRAINEE_CACHE_BYTES)
        cache_clear(c); /* start over rather than grow without bound */
    if ((c->used + 1) * 2 > c->cap && cache_grow(c) != 0) {
        free(fresh.ids);
        free(fresh.aux);
        return NL_RESOURCE_EXHAUSTED;
    }
    struct trainee_entry *e = &c->slot[slot_of(c, class_id)];
    if (e->class_id == class_id) {
        c->bytes -= entry_bytes(e);
        free(e->ids);
        free(e->aux);
    } else {
        c->used++;
    }
    *e = fresh;
    c->bytes += entry_bytes(&fresh);
    *out = e;
    return NL_OK;
}

/* A group's bitmap of cadre ids. */
struct dgroup {
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

static int dgroup_has(const struct dgroup *d, uint32_t id)
{
    size_t w = id >> 6;

    return w < d->words && (d->bits[w] >> (id & 63) & 1u);
}

/*
 * Brings the people, and the attributes of the cached enrolments, up to the
 * snapshot's profile_change log: the cadres logged since the last read are
 * read again and the entries holding them get their attributes again;
 * everyone is read again when the log no longer reaches back that far, when
 * many changed, or the first time.
 */
static enum nl_status sync_people(struct nl_store *st, struct nl_trainee_cache *c)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_LOG_BOUNDS, &res);
    int64_t max = 0, min = 0;
    int row = 0;

    if (s != NULL && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        max = sqlite3_column_int64(s, 0);
        min = sqlite3_column_int64(s, 1);
    }
    nl_store_stmt_done(s);
    if (res != NL_OK || (c->prof_seq >= 0 && max == c->prof_seq))
        return res;
    int all = c->prof_seq < 0 || max < c->prof_seq || min > c->prof_seq + 1 ||
              c->people.vdead > c->people.nv / 2 + 65536;
    struct dgroup changed = {NULL, 0, 0};
    if (!all) {
        s = nl_store_stmt(st, SQL_LOG_SINCE, &res);
        if (s != NULL && sqlite3_bind_int64(s, 1, c->prof_seq) != SQLITE_OK)
            res = nl_store_bind_fail(st, "bind profile log");
        row = 1;
        while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
            int64_t id = sqlite3_column_int64(s, 0);
            if (id > 0 && id <= UINT32_MAX && dgroup_set(&changed, (uint32_t)id) != 0)
                res = NL_RESOURCE_EXHAUSTED;
        }
        nl_store_stmt_done(s);
        all = changed.count > PEOPLE_PATCH_MAX;
    }
    c->prof_seq = -1; /* until this completes */
    if (res == NL_OK && all) {
        res = people_load(st, &c->people);
    } else {
        for (size_t w = 0; res == NL_OK && w < changed.words; w++)
            for (unsigned b = 0; res == NL_OK && b < 64; b++)
                if (changed.bits[w] >> b & 1u)
                    res = people_patch(st, &c->people, (uint32_t)(w * 64 + b));
    }
    for (size_t i = 0; res == NL_OK && i < c->cap; i++) {
        struct trainee_entry *e = &c->slot[i];
        if (e->class_id == 0 || e->aux == NULL)
            continue;
        int stale = all;
        for (uint32_t j = 0; !stale && j < e->nall; j++)
            stale = dgroup_has(&changed, e->ids[j]);
        if (stale && (res = entry_attrs(st, e)) != NL_OK)
            e->rev = -1;
    }
    free(changed.bits);
    if (res == NL_OK)
        c->prof_seq = max;
    else
        cache_clear(c); /* nothing half-updated stays */
    return res;
}

enum nl_status nl_store_ind_distinct(struct nl_store *st, const struct nl_ind_row *classes,
                                     size_t n, int unexcused, struct nl_ind_row **out, size_t *nout,
                                     struct nl_arena *a)
{
    struct grp {
        int64_t g;
        const char *k;
        struct dgroup d;
    } *grp = NULL;
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
            struct grp fresh = {r->g, r->k[0], {NULL, 0, 0}};
            if (vec_push((void **)&grp, &ng, &gcap, sizeof(*grp), &fresh) != 0) {
                res = NL_RESOURCE_EXHAUSTED;
                break;
            }
        }
        if ((res = cache_get(st, r->num, r->den, 0, 0, &e)) != NL_OK)
            break;
        uint32_t m = unexcused ? e->nunexcused : e->n;
        for (uint32_t j = 0; j < m; j++)
            if (dgroup_set(&grp[k].d, e->ids[j]) != 0) {
                res = NL_RESOURCE_EXHAUSTED;
                break;
            }
    }
    if (res == NL_OK && ng > 0) {
        struct nl_ind_row *o = nl_arena_alloc(a, ng * sizeof(*o));
        if (o == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        for (size_t k = 0; o != NULL && k < ng; k++)
            o[k] = (struct nl_ind_row){grp[k].g, {grp[k].k, ""}, grp[k].d.count, 0, 0};
        *out = o;
        *nout = o != NULL ? ng : 0;
    }
    for (size_t k = 0; k < ng; k++)
        free(grp[k].d.bits);
    free(grp);
    return res;
}

/* ---------- enrolment sums by the trainees' attributes ---------- */

#define COMBO_SIDE 8 /* values of one attribute field: 0 .. 7 */
#define COMBOS     (COMBO_SIDE * COMBO_SIDE)

struct acc {
    int64_t num, den;
    struct dgroup dn, dd; /* the distinct ids of num and den */
    int seen;
};

/* The enrolments of one group of classes (g, k), split by the combinations of attributes. */
struct cgroup {
    int64_t g;
    const char *k[2];
    struct acc *acc; /* COMBOS */
};

/* Adds enrolment (id, x) to a sum or a distinct set of measure m. 0 or -1 out of memory. */
static int measure_add(int m, int64_t *sum, struct dgroup *d, uint32_t id, const struct enr_aux *x)
{
    switch (m) {
    case NL_EM_ENROLMENTS:
        (*sum)++;
        break;
    case NL_EM_TRAINEES:
        return dgroup_set(d, id);
    case NL_EM_UNEXCUSED:
        return (x->flags & AUX_UNEXCUSED) ? dgroup_set(d, id) : 0;
    case NL_EM_ATTENDED:
        *sum += x->attended;
        break;
    case NL_EM_SESSIONS:
        *sum += x->sessions;
        break;
    case NL_EM_COMPLETED:
        *sum += x->status == 2;
        break;
    case NL_EM_ASSESSED:
        *sum += x->status == 2 || x->status == 3;
        break;
    case NL_EM_VERY_GOOD:
        *sum += x->status == 2 && (x->flags & AUX_VERY_GOOD);
        break;
    default:
        break;
    }
    return 0;
}

static int64_t measure_value(int m, int64_t sum, const struct dgroup *d)
{
    return m == NL_EM_TRAINEES || m == NL_EM_UNEXCUSED ? d->count : sum;
}

/* The text of an attribute field as the SQL column would read: "" for none, else the value. */
static const char *attr_text(int a, unsigned f)
{
    static const char *const num[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8"};
    int v = ATTR[a].lo + (int)f - 1;

    return f == 0 || v < 0 || v > 8 ? "" : num[v];
}

/* Group keys in SQL's order: "" (NULL) first, integers by value, other text by bytes. */
static int key_cmp(const char *a, const char *b)
{
    char *ea, *eb;

    if (a[0] == '\0' || b[0] == '\0')
        return (a[0] != '\0') - (b[0] != '\0');
    long long va = strtoll(a, &ea, 10), vb = strtoll(b, &eb, 10);
    if (*ea == '\0' && *eb == '\0')
        return (va > vb) - (va < vb);
    return strcmp(a, b);
}

static int row_cmp(const void *pa, const void *pb)
{
    const struct nl_ind_row *a = pa, *b = pb;
    int c;

    if (a->g != b->g)
        return a->g < b->g ? -1 : 1;
    if ((c = key_cmp(a->k[0], b->k[0])) != 0)
        return c;
    return key_cmp(a->k[1], b->k[1]);
}

/* The class group of row r (keys filled by attributes read as ""), added when new. */
static int cgroup_of(struct cgroup **cg, size_t *n, size_t *cap, const struct nl_ind_row *r,
                     const struct nl_enrol_spec *spec, size_t *out)
{
    const char *k0 = spec->dim[0] >= 0 ? "" : r->k[0], *k1 = spec->dim[1] >= 0 ? "" : r->k[1];

    for (size_t i = *n; i-- > 0;)
        if ((*cg)[i].g == r->g && strcmp((*cg)[i].k[0], k0) == 0 &&
            strcmp((*cg)[i].k[1], k1) == 0) {
            *out = i;
            return 0;
        }
    struct cgroup fresh = {r->g, {k0, k1}, calloc(COMBOS, sizeof(struct acc))};
    if (fresh.acc == NULL || vec_push((void **)cg, n, cap, sizeof(fresh), &fresh) != 0) {
        free(fresh.acc);
        return -1;
    }
    *out = *n - 1;
    return 0;
}

/* Sums one cached class into its group. 0 or -1 out of memory. */
static int add_class(const struct trainee_entry *e, const struct nl_enrol_spec *spec,
                     struct acc *acc)
{
    int filtered = 0;

    for (int a = 0; a < NL_PA_COUNT; a++)
        filtered |= spec->allow[a] != 0;
    for (uint32_t j = 0; j < e->nall; j++) {
        const struct enr_aux *x = &e->aux[j];
        if ((spec->status >> x->status & 1u) == 0)
            continue;
        int pass = 1;
        for (int a = 0; filtered && pass && a < NL_PA_COUNT; a++)
            pass = spec->allow[a] == 0 || (spec->allow[a] >> attr_get(x->attrs, a) & 1u);
        if (!pass)
            continue;
        unsigned c0 = spec->dim[0] >= 0 ? attr_get(x->attrs, spec->dim[0]) : 0;
        unsigned c1 = spec->dim[1] >= 0 ? attr_get(x->attrs, spec->dim[1]) : 0;
        struct acc *t = &acc[c0 * COMBO_SIDE + c1];
        t->seen = 1;
        if (measure_add(spec->num, &t->num, &t->dn, e->ids[j], x) != 0 ||
            measure_add(spec->den, &t->den, &t->dd, e->ids[j], x) != 0)
            return -1;
    }
    return 0;
}

enum nl_status nl_store_ind_enrol_agg(struct nl_store *st, const struct nl_ind_row *classes,
                                      size_t n, const struct nl_enrol_spec *spec,
                                      struct nl_ind_row **out, size_t *nout, struct nl_arena *a)
{
    struct cgroup *cg = NULL;
    size_t ncg = 0, cgcap = 0, last = 0, nrows = 0;
    enum nl_status res = NL_OK;

    *out = NULL;
    *nout = 0;
    /* The values that pass as bits of the attributes' fields (attr_get): bit 0 is no profile. */
    struct nl_enrol_spec sp = *spec;
    for (int i = 0; i < 2; i++)
        if (spec->dim[i] >= NL_PA_COUNT)
            return NL_INTERNAL;
    for (int at = 0; at < NL_PA_COUNT; at++) {
        if (spec->allow[at] == 0)
            continue;
        sp.allow[at] = spec->allow[at] & 1u;
        for (int v = ATTR[at].lo; v <= ATTR[at].hi; v++)
            if (spec->allow[at] >> (v + 1) & 1u)
                sp.allow[at] |= 1u << (v - ATTR[at].lo + 1);
        if (sp.allow[at] == 0)
            sp.allow[at] = 1u << 31; /* no value of the field passes */
    }
    spec = &sp;
    struct nl_trainee_cache *cache = cache_of(st);
    if (cache == NULL)
        return NL_RESOURCE_EXHAUSTED;
    if ((res = sync_people(st, cache)) != NL_OK)
        return res;
    for (size_t i = 0; i < n && res == NL_OK; i++) {
        const struct nl_ind_row *r = &classes[i];
        const struct trainee_entry *e = NULL;
        /* Consecutive classes mostly share a group: try the last one first. */
        if (!(ncg > 0 && cg[last].g == r->g &&
              (spec->dim[0] >= 0 || strcmp(cg[last].k[0], r->k[0]) == 0) &&
              (spec->dim[1] >= 0 || strcmp(cg[last].k[1], r->k[1]) == 0)) &&
            cgroup_of(&cg, &ncg, &cgcap, r, spec, &last) != 0) {
            res = NL_RESOURCE_EXHAUSTED;
            break;
        }
        if ((res = cache_get(st, r->num, r->den, r->x, 1, &e)) != NL_OK)
            break;
        if (add_class(e, spec, cg[last].acc) != 0)
            res = NL_RESOURCE_EXHAUSTED;
    }
    for (size_t i = 0; res == NL_OK && i < ncg; i++)
        for (size_t c = 0; c < COMBOS; c++)
            nrows += cg[i].acc[c].seen;
    struct nl_ind_row *o = NULL;
    if (res == NL_OK && nrows > 0 && (o = nl_arena_alloc(a, nrows * sizeof(*o))) == NULL)
        res = NL_RESOURCE_EXHAUSTED;
    size_t w = 0;
    for (size_t i = 0; i < ncg; i++) {
        for (size_t c = 0; o != NULL && c < COMBOS; c++) {
            const struct acc *t = &cg[i].acc[c];
            if (!t->seen)
                continue;
            struct nl_ind_row *r = &o[w++];
            r->g = cg[i].g;
            for (int d = 0; d < 2; d++)
                r->k[d] = spec->dim[d] < 0
                              ? cg[i].k[d]
                              : attr_text(spec->dim[d],
                                          (unsigned)(d == 0 ? c / COMBO_SIDE : c % COMBO_SIDE));
            r->num = measure_value(spec->num, t->num, &t->dn);
            r->den = measure_value(spec->den, t->den, &t->dd);
            r->x = 0;
        }
        for (size_t c = 0; c < COMBOS; c++) {
            free(cg[i].acc[c].dn.bits);
            free(cg[i].acc[c].dd.bits);
        }
        free(cg[i].acc);
    }
    free(cg);
    if (res == NL_OK && w > 0) {
        qsort(o, w, sizeof(*o), row_cmp);
        *out = o;
        *nout = w;
    }
    return res;
}
