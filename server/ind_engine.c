/*
 * ind_engine.c - the indicator engine (ind_engine.h).
 *
 * A computation: resolve the selection (unit, period, stock date D, term);
 * build the scope of each group as intervals (scope.h) and pass it to SQL
 * as one JSON parameter (json_each), so a record joins the units that count
 * for it on its own date; assemble "SELECT group, dims, numerator,
 * denominator FROM <base> WHERE <population> GROUP BY ..." from the
 * catalogue's constant fragments with every value bound; then round the
 * exact counts, find the target and decide `met` on the exact value.
 *
 * Enrolment-based flows read no enrolment row when they can: without a
 * person's attribute, the per-class sums the triggers of schema 6 maintain
 * (class.n_enrol ...) and, for distinct trainees, the store's per-class
 * cache of cadre ids; grouped or filtered by a trainee's attribute (sex,
 * education, theory, key cadre, level, management category: the profile
 * valid on the class's end date) or by the enrolment's status, the same
 * cache with each enrolment's details and attributes
 * (nl_store_ind_enrol_agg), kept in step with profile changes through the
 * log of schema 11. SQL then selects only the classes.
 *
 * Table aliases of the bases: c class, e enrolment, p the cadre profile
 * valid on the record's date (a class's end date, D, 31 Dec of a review's
 * year), k cadre, uv the unit version on D, m committee membership,
 * pe planning entry, q seat quota, r review, rp report, yr the years of the
 * period (y, d = 31 Dec), sc the scope (u, f, t, g).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/date.h"
#include "ind_engine.h"
#include "store_catalog.h"

__extension__ typedef __int128 i128;

#define MAX_PARAMS 96
#define MAX_ROWS   100000 /* rows of one aggregate: groups, never records */

/* ---------- small text helpers ---------- */

/* A day as "YYYY-MM-DD" in the arena; "" when the arena is full (callers print it). */
static const char *day_text(struct nl_arena *a, int32_t d)
{
    char buf[11];
    const char *t;

    nl_date_format(d, buf);
    t = nl_arena_strdup(a, buf);
    return t != NULL ? t : "";
}

static int year_of(int32_t d)
{
    int y, m, dd;
    nl_date_to_ymd(d, &y, &m, &dd);
    return y;
}

static const char *afmt(struct nl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *afmt(struct nl_arena *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    const char *t = nl_arena_strdup(a, buf);
    return t != NULL ? t : ""; /* out of memory: an empty text, never NULL */
}

static enum nl_status fail(struct nl_ind_env *e, enum nl_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum nl_status fail(struct nl_ind_env *e, enum nl_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->msg, e->msglen, fmt, ap);
    va_end(ap);
    return st;
}

/* ---------- SQL assembly ---------- */

struct sb {
    struct nl_arena *a;
    char *s;
    size_t len, cap;
    int oom;
    struct nl_ind_param p[MAX_PARAMS];
    size_t np;
};

static void sb_cat(struct sb *b, const char *t)
{
    size_t n = strlen(t);

    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *s = nl_arena_alloc(b->a, cap);
        if (s == NULL) {
            b->oom = 1;
            return;
        }
        if (b->len)
            memcpy(s, b->s, b->len);
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, t, n + 1);
    b->len += n;
}

static void sb_param(struct sb *b, const char *text, int64_t i)
{
    char buf[16];

    if (b->np >= MAX_PARAMS) {
        b->oom = 1;
        return;
    }
    b->p[b->np] = (struct nl_ind_param){text, i};
    b->np++;
    snprintf(buf, sizeof(buf), "?%zu", b->np);
    sb_cat(b, buf);
}

#define SB_INT(b, v)  sb_param((b), NULL, (v))
#define SB_TEXT(b, t) sb_param((b), (t), 0)

/* 1 when `expr` uses table alias `alias` ("p" in "p.education" but not in "rp.year"). */
static int uses(const char *expr, const char *alias)
{
    size_t n = strlen(alias);

    for (const char *s = expr; s != NULL && (s = strstr(s, alias)) != NULL; s += n) {
        int before_ok = s == expr || !(s[-1] == '_' || (s[-1] >= 'a' && s[-1] <= 'z'));
        if (before_ok && s[n] == '.')
            return 1;
    }
    return 0;
}

/* ---------- dimensions and filter fields ---------- */

static const char *const KIND[] = {"DEGREE", "UPGRADE", "BRIEFING"};
static const char *const AREA[] = {"POLITICAL_THEORY",
                                   "STATE_MANAGEMENT",
                                   "LEADERSHIP",
                                   "PROFESSIONAL",
                                   "DEFENCE_SECURITY",
                                   "FOREIGN_LANGUAGE",
                                   "IT",
                                   "MASS_MOBILISATION",
                                   "OTHER"};
static const char *const SEX[] = {"MALE", "FEMALE"};
static const char *const EDUCATION[] = {"BELOW_UNIVERSITY", "UNIVERSITY", "MASTER", "DOCTOR"};
static const char *const THEORY[] = {"NONE", "ELEMENTARY", "INTERMEDIATE", "ADVANCED", "BACHELOR"};
static const char *const LEVEL[] = {"CITY", "DISTRICT", "COMMUNE"};
static const char *const MGMT[] = {"CITY_STANDING", "DISTRICT_STANDING", "OTHER"};
static const char *const BOOL[] = {"false", "true"};
static const char *const BODY[] = {"COMMITTEE",
                                   "STANDING_COMMITTEE",
                                   "SECRETARY",
                                   "DEPUTY_SECRETARY",
                                   "CHAIR_PEOPLES_COUNCIL",
                                   "CHAIR_PEOPLES_COMMITTEE",
                                   "VICE_CHAIR",
                                   "DEPT_HEAD",
                                   "DEPT_DEPUTY",
                                   "DIRECTOR"};
static const char *const ESTATUS[] = {"ENROLLED", "COMPLETED", "FAILED", "WITHDREW"};
static const char *const CSTATUS[] = {"PLANNED", "RUNNING", "ENDED", "CANCELLED"};
#define COMMITTEE_BODIES  2 /* Body: COMMITTEE, STANDING_COMMITTEE (the first BodyOrTitle codes) */
#define COUNTED_ENROLMENT ((1u << 1) | (1u << 2) | (1u << 3)) /* statuses: not WITHDREW */

enum vtype { V_CODE, V_YEAR, V_TEXT, V_UNIT };

struct field {
    const char *name;
    unsigned dim; /* its --by bit; 0 = a filter only */
    enum vtype type;
    const char *const *codes; /* V_CODE: codes[v - first] */
    int ncodes, first;
    int attr; /* enum nl_person_attr of a trainee's attribute, or -1 */
};

#define CODES(arr) arr, (int)(sizeof(arr) / sizeof(arr[0]))
static const struct field fields[] = {
    {"unit", NL_DIM_UNIT, V_UNIT, NULL, 0, 0, -1},
    {"year", NL_DIM_YEAR, V_YEAR, NULL, 0, 0, -1},
    {"kind", NL_DIM_KIND, V_CODE, CODES(KIND), 1, -1},
    {"area", NL_DIM_AREA, V_CODE, CODES(AREA), 1, -1},
    {"target_group", NL_DIM_TARGET_GROUP, V_TEXT, NULL, 0, 0, -1},
    {"sex", NL_DIM_SEX, V_CODE, CODES(SEX), 1, NL_PA_SEX},
    {"education", NL_DIM_EDUCATION, V_CODE, CODES(EDUCATION), 1, NL_PA_EDUCATION},
    {"political_theory", NL_DIM_POLITICAL_THEORY, V_CODE, CODES(THEORY), 1, NL_PA_POLITICAL_THEORY},
    {"key_cadre", NL_DIM_KEY_CADRE, V_CODE, CODES(BOOL), 0, NL_PA_KEY_CADRE},
    {"level", NL_DIM_LEVEL, V_CODE, CODES(LEVEL), 1, NL_PA_LEVEL},
    {"mgmt_category", NL_DIM_MGMT_CATEGORY, V_CODE, CODES(MGMT), 1, NL_PA_MGMT_CATEGORY},
    {"class_status", 0, V_CODE, CODES(CSTATUS), 1, -1},
    {"enrolment_status", 0, V_CODE, CODES(ESTATUS), 1, -1},
    {"body", 0, V_CODE, CODES(BODY), 1, -1},
};

static const struct field *field_named(const char *name)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

static const struct field *field_of_dim(unsigned dim)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (fields[i].dim == dim)
            return &fields[i];
    return NULL;
}

static int person_base(int base)
{
    return base == NL_BASE_ENROL || base == NL_BASE_CADRE || base == NL_BASE_COMMITTEE ||
           base == NL_BASE_POOL || base == NL_BASE_REVIEW;
}

/* The SQL expression of a field on a base, or NULL when it does not apply there. */
static const char *field_expr(const struct field *f, int base)
{
    const char *n = f->name;
    int flow = base == NL_BASE_CLASS || base == NL_BASE_ENROL;

    if (strcmp(n, "unit") == 0)
        return "sc.g";
    if (strcmp(n, "year") == 0)
        return flow                     ? "CAST(substr(c.end_date, 1, 4) AS INTEGER)"
               : base == NL_BASE_REVIEW ? "r.year"
               : base == NL_BASE_REPORT ? "yr.y"
                                        : NULL;
    if (strcmp(n, "kind") == 0)
        return flow ? "c.kind" : NULL;
    if (strcmp(n, "area") == 0)
        return flow ? "c.area" : NULL;
    if (strcmp(n, "target_group") == 0)
        return flow ? "(SELECT code FROM target_group WHERE id = c.target_group_id)" : NULL;
    if (strcmp(n, "class_status") == 0)
        return flow ? "c.status" : NULL;
    if (strcmp(n, "enrolment_status") == 0)
        return base == NL_BASE_ENROL ? "e.status" : NULL;
    if (strcmp(n, "body") == 0)
        return base == NL_BASE_COMMITTEE ? "m.body"
               : base == NL_BASE_POOL    ? "pe.body_or_title"
               : base == NL_BASE_SEATS   ? "q.body_or_title"
                                         : NULL;
    if (!person_base(base))
        return NULL;
    if (strcmp(n, "sex") == 0)
        return "k.sex";
    if (strcmp(n, "education") == 0)
        return "p.education";
    if (strcmp(n, "political_theory") == 0)
        return "p.political_theory";
    if (strcmp(n, "key_cadre") == 0)
        return "p.key_cadre";
    if (strcmp(n, "level") == 0)
        return "p.level";
    if (strcmp(n, "mgmt_category") == 0)
        return "p.mgmt_category";
    return NULL;
}

/* A result cell of a field back to its code ("3" -> "MASTER"); NULL/unknown -> "UNKNOWN". */
static const char *field_value(const struct field *f, const char *cell)
{
    if (f->type != V_CODE)
        return cell[0] != '\0' ? cell : "UNKNOWN";
    char *end;
    long v = strtol(cell, &end, 10);
    if (cell[0] == '\0' || *end != '\0' || v < f->first || v >= f->first + f->ncodes)
        return "UNKNOWN";
    return f->codes[v - f->first];
}

/* ---------- selection ---------- */

static const struct nl_ind_term *term_by_code(const struct nl_ind_world *w, const char *code)
{
    for (size_t i = 0; i < w->nterms; i++)
        if (strcmp(w->terms[i].code, code) == 0)
            return &w->terms[i];
    return NULL;
}

/* The PARTY_CONGRESS term whose window (A-01-01 .. (B-1)-12-31) contains `day`. */
static const struct nl_ind_term *congress_term(const struct nl_ind_world *w, int32_t day)
{
    int y = year_of(day);

    for (size_t i = 0; i < w->nterms; i++)
        if (w->terms[i].kind == 1 && w->terms[i].start_year <= y && y <= w->terms[i].end_year - 1)
            return &w->terms[i];
    return NULL;
}

static int64_t unit_id_of(const struct nl_ind_world *w, const char *code)
{
    for (size_t i = 0; i < w->tree.nunits; i++)
        if (strcmp(w->tree.code[i], code) == 0)
            return w->tree.ids[i];
    return 0;
}

enum nl_status nl_ind_env_open(struct nl_ind_env *e, struct nl_store *st, struct nl_arena *a,
                               char *msg, size_t msglen)
{
    e->st = st;
    e->a = a;
    e->msg = msg;
    e->msglen = msglen;
    return nl_store_ind_world(st, &e->w, a);
}

static int parse_day(const char *s, int32_t *d)
{
    return nl_date_parse(s, strlen(s), d);
}

static void set_window(struct nl_ind_sel *o, int32_t from, int32_t to)
{
    int y2 = year_of(to);
    int32_t dec31 = nl_date_from_ymd(y2, 12, 31);

    o->has_period = 1;
    o->pfrom = from;
    o->pto = to;
    o->year_from = year_of(from);
    o->year_to = to == dec31 ? y2 : y2 - 1;
}

enum nl_status nl_ind_resolve(struct nl_ind_env *e, const struct nl_ind_ask *ask,
                              struct nl_ind_sel *o)
{
    int given =
        (ask->term[0] != '\0') + (ask->year != 0) + (ask->from[0] != '\0' || ask->to[0] != '\0');
    int32_t d = 0;
    const struct nl_ind_term *t = NULL;

    memset(o, 0, sizeof(*o));
    o->own = ask->own;
    if (given > 1)
        return fail(e, NL_INVALID_ARGUMENT, "selection: give at most one of term, year, from/to");
    if (ask->term[0] != '\0') {
        t = term_by_code(&e->w, ask->term);
        if (t == NULL)
            return fail(e, NL_NOT_FOUND, "selection.term: no such term");
        set_window(o, nl_date_from_ymd(t->start_year, 1, 1),
                   nl_date_from_ymd(t->end_year - 1, 12, 31));
        o->period = t->code;
        o->term = t;
        o->term_given = 1;
    } else if (ask->year != 0) {
        if (ask->year < 1900 || ask->year > 9998)
            return fail(e, NL_INVALID_ARGUMENT, "selection.year: out of range");
        set_window(o, nl_date_from_ymd(ask->year, 1, 1), nl_date_from_ymd(ask->year, 12, 31));
        o->period = afmt(e->a, "%d", ask->year);
    } else if (given) {
        int32_t f, to;
        if (ask->from[0] == '\0' || parse_day(ask->from, &f) != 0)
            return fail(e, NL_INVALID_ARGUMENT, "selection.from: a date YYYY-MM-DD is required");
        if (ask->to[0] == '\0' || parse_day(ask->to, &to) != 0)
            return fail(e, NL_INVALID_ARGUMENT, "selection.to: a date YYYY-MM-DD is required");
        if (f > to)
            return fail(e, NL_INVALID_ARGUMENT, "selection.to: before selection.from");
        set_window(o, f, to);
        o->period = afmt(e->a, "%s..%s", ask->from, ask->to);
    }
    if (ask->as_of[0] != '\0') {
        if (parse_day(ask->as_of, &d) != 0)
            return fail(e, NL_INVALID_ARGUMENT, "selection.as_of: a date YYYY-MM-DD is required");
    } else {
        d = o->has_period ? o->pto : nl_date_today();
    }
    o->d = d;
    o->as_of = day_text(e->a, d);
    if (o->term == NULL)
        o->term = congress_term(&e->w, d);
    if (!o->has_period && o->term != NULL) {
        set_window(o, nl_date_from_ymd(o->term->start_year, 1, 1),
                   nl_date_from_ymd(o->term->end_year - 1, 12, 31));
        o->period = o->term->code;
    }
    if (ask->unit[0] != '\0') {
        o->unit_id = unit_id_of(&e->w, ask->unit);
        if (o->unit_id == 0)
            return fail(e, NL_NOT_FOUND, "selection.unit: no such unit");
    } else {
        o->unit_id = nl_scope_city(&e->w.tree, d);
        if (o->unit_id == 0)
            return fail(e, NL_FAILED_PRECONDITION,
                        "selection.unit: no CITY unit is valid on the date; name a unit");
    }
    o->unit = nl_scope_code(&e->w.tree, o->unit_id);
    if (o->as_of == NULL || (o->period == NULL && o->has_period))
        return NL_RESOURCE_EXHAUSTED;
    return NL_OK;
}

/* ---------- scopes ---------- */

static int flow_base(int base)
{
    return base == NL_BASE_CLASS || base == NL_BASE_ENROL || base == NL_BASE_REVIEW ||
           base == NL_BASE_REPORT;
}

static int term_base(int base)
{
    return base == NL_BASE_COMMITTEE || base == NL_BASE_POOL || base == NL_BASE_SEATS ||
           base == NL_BASE_OVERLOAD;
}

/* The group layout of a computation: children of the unit (by unit) and the unit itself. */
struct groups {
    int64_t *unit; /* unit of each group; the last is the asked unit itself when by unit */
    size_t n;
    int by_unit;
};

/*
 * The scope of every group for a base. By unit, one call splits the unit's
 * scope into its rows so that they add up to the whole (nl_scope_rows);
 * with --own, a term-scoped base's rows are each unit's own bodies.
 */
static int build_scope(struct nl_ind_env *e, const struct nl_ind_sel *sel, int base,
                       const struct groups *g, struct nl_scope *s)
{
    const struct nl_scope_tree *t = &e->w.tree;
    int own_only = sel->own && term_base(base);
    int rc = 0;

    if (g->by_unit && !own_only) {
        rc = flow_base(base)
                 ? nl_scope_rows(t, sel->unit_id, sel->pfrom, sel->pto, 0, g->unit, g->n - 1, s)
                 : nl_scope_rows(t, sel->unit_id, sel->d, sel->d, 1, g->unit, g->n - 1, s);
    } else {
        for (size_t i = 0; i < g->n && rc == 0; i++)
            rc = flow_base(base) ? nl_scope_flow(t, g->unit[i], sel->pfrom, sel->pto, (int)i, s)
                                 : nl_scope_stock(t, g->unit[i], sel->d, own_only, (int)i, s);
    }
    if (rc != 0)
        return -1;
    nl_scope_normalise(s);
    return 0;
}

/* The scope as the JSON text json_each reads: [[unit, "from", "to", group], ...]. */
static const char *scope_json(struct nl_arena *a, const struct nl_scope *s)
{
    size_t cap = 3 + s->n * 48, len = 0;
    char *out = nl_arena_alloc(a, cap);
    char f[11], t[11];

    if (out == NULL)
        return NULL;
    out[len++] = '[';
    for (size_t i = 0; i < s->n; i++) {
        nl_date_format(s->iv[i].from, f);
        nl_date_format(s->iv[i].to, t);
        int w = snprintf(out + len, cap - len, "%s[%" PRId64 ",\"%s\",\"%s\",%d]", i ? "," : "",
                         s->iv[i].unit_id, f, t, s->iv[i].group);
        if (w < 0 || (size_t)w >= cap - len)
            return NULL;
        len += (size_t)w;
    }
    out[len++] = ']';
    out[len] = '\0';
    return out;
}

/* ---------- one aggregate statement ---------- */

/* A Query filter resolved to an expression and its values (codes, years, target group ids). */
struct qfilter {
    const char *expr;
    int64_t iv[16];
    size_t nv;
};

struct agg {
    int base;
    const char *where, *num, *den; /* den NULL: "0" */
    const struct field *dim[2];    /* NULL: none; unit dimension uses sc.g */
    const struct qfilter *f;
    size_t nf;
    int per_row;        /* no aggregation: one row per record (num, den = plain expressions) */
    const char *x;      /* per row: a sixth column, or NULL */
    int all_classes;    /* a class_status filter decides: CANCELLED classes not left out */
    int all_enrolments; /* an enrolment_status filter decides: WITHDREW not left out */
};

/* A class's end date as the integer YYYYMMDD (nl_store_ind_enrol_agg's x). */
#define END_X "CAST(replace(c.end_date, '-', '') AS INTEGER)"

/* Appends " AND <alias>.valid_from <= day AND (<alias>.valid_to IS NULL OR ... >= day)". */
static void sb_valid_on(struct sb *b, const char *alias, const char *day)
{
    sb_cat(b, " AND ");
    sb_cat(b, alias);
    sb_cat(b, ".valid_from <= ");
    SB_TEXT(b, day);
    sb_cat(b, " AND (");
    sb_cat(b, alias);
    sb_cat(b, ".valid_to IS NULL OR ");
    sb_cat(b, alias);
    sb_cat(b, ".valid_to >= ");
    SB_TEXT(b, day);
    sb_cat(b, ")");
}

static void from_clause(struct sb *b, const struct agg *q, const struct nl_ind_sel *sel, int need_k,
                        int need_p, int need_uv)
{
    int64_t term = sel->term != NULL ? sel->term->id : 0;

    switch (q->base) {
    case NL_BASE_CLASS:
    case NL_BASE_ENROL:
        sb_cat(b, " FROM sc CROSS JOIN class c ON c.organiser_unit_id = sc.u"
                  " AND c.end_date BETWEEN sc.f AND sc.t");
        if (!q->all_classes)
            sb_cat(b, " AND c.status <> 4");
        if (q->base == NL_BASE_ENROL) {
            sb_cat(b, " CROSS JOIN enrolment e ON e.class_id = c.id");
            if (!q->all_enrolments)
                sb_cat(b, " AND e.status <> 4");
            if (need_k)
                sb_cat(b, " JOIN cadre k ON k.id = e.cadre_id");
            if (need_p)
                sb_cat(b, " LEFT JOIN cadre_profile p ON p.cadre_id = e.cadre_id"
                          " AND p.valid_from <= c.end_date"
                          " AND (p.valid_to IS NULL OR p.valid_to >= c.end_date)");
        }
        sb_cat(b, " WHERE 1");
        break;
    case NL_BASE_CADRE:
        sb_cat(b, " FROM sc CROSS JOIN cadre_profile p ON p.unit_id = sc.u");
        sb_valid_on(b, "p", sel->as_of);
        if (need_k)
            sb_cat(b, " JOIN cadre k ON k.id = p.cadre_id");
        if (need_uv) {
            sb_cat(b, " JOIN unit_version uv ON uv.unit_id = p.unit_id");
            sb_valid_on(b, "uv", sel->as_of);
        }
        sb_cat(b, " WHERE 1");
        break;
    case NL_BASE_COMMITTEE:
    case NL_BASE_POOL: {
        int pool = q->base == NL_BASE_POOL;
        sb_cat(b, pool ? " FROM sc CROSS JOIN planning_entry pe ON pe.unit_id = sc.u"
                         " AND pe.term_id = "
                       : " FROM sc CROSS JOIN committee_membership m ON m.unit_id = sc.u"
                         " AND m.term_id = ");
        SB_INT(b, term);
        sb_cat(b, pool ? " AND pe.added_on <= " : " AND m.start_date <= ");
        SB_TEXT(b, sel->as_of);
        sb_cat(b, pool ? " AND (pe.removed_on IS NULL OR pe.removed_on > "
                       : " AND (m.end_date IS NULL OR m.end_date > ");
        SB_TEXT(b, sel->as_of);
        sb_cat(b, ")");
        if (need_k)
            sb_cat(b, pool ? " JOIN cadre k ON k.id = pe.cadre_id"
                           : " JOIN cadre k ON k.id = m.cadre_id");
        if (need_p) {
            sb_cat(b, pool ? " LEFT JOIN cadre_profile p ON p.cadre_id = pe.cadre_id"
                           : " LEFT JOIN cadre_profile p ON p.cadre_id = m.cadre_id");
            sb_valid_on(b, "p", sel->as_of);
        }
        sb_cat(b, " WHERE 1");
        break;
    }
    case NL_BASE_SEATS:
        sb_cat(b, " FROM sc CROSS JOIN seat_quota q ON q.unit_id = sc.u AND q.term_id = ");
        SB_INT(b, term);
        sb_cat(b, " WHERE 1");
        break;
    case NL_BASE_REVIEW:
        /* r.unit_id: the unit of the cadre's profile on 31 Dec of the year (schema 7). */
        sb_cat(b, " FROM sc CROSS JOIN review r ON r.unit_id = sc.u AND r.year BETWEEN ");
        SB_INT(b, sel->year_from);
        sb_cat(b, " AND ");
        SB_INT(b, sel->year_to);
        sb_cat(b, " AND r.year BETWEEN sc.yf AND sc.yt");
        if (need_k)
            sb_cat(b, " JOIN cadre k ON k.id = r.cadre_id");
        if (need_p)
            sb_cat(b, " LEFT JOIN cadre_profile p ON p.cadre_id = r.cadre_id"
                      " AND p.valid_from <= printf('%04d-12-31', r.year)"
                      " AND (p.valid_to IS NULL OR p.valid_to >= printf('%04d-12-31', r.year))");
        sb_cat(b, " WHERE 1");
        break;
    case NL_BASE_REPORT:
        sb_cat(b, " FROM yr CROSS JOIN sc CROSS JOIN unit_version uv ON uv.unit_id = sc.u"
                  " AND uv.valid_from <= yr.d AND (uv.valid_to IS NULL OR uv.valid_to >= yr.d)"
                  " AND uv.kind <> 1 AND yr.d BETWEEN sc.f AND sc.t"
                  " LEFT JOIN report rp ON rp.unit_id = uv.unit_id AND rp.year = yr.y WHERE 1");
        break;
    default:
        b->oom = 1;
    }
}

/*
 * The WITH clause: the scope, and the years of the period for reports. A
 * scope row also carries yf..yt, the years whose 31 Dec lies in [f, t], so
 * reviews compare integers rather than formatting a date per review.
 */
static void with_clause(struct sb *b, const struct agg *q, const struct nl_ind_sel *sel,
                        const char *json)
{
    sb_cat(b, "WITH sc(u, f, t, g, yf, yt) AS (SELECT value ->> 0, value ->> 1, value ->> 2,"
              " value ->> 3, CAST(substr(value ->> 1, 1, 4) AS INTEGER),"
              " CAST(substr(value ->> 2, 1, 4) AS INTEGER) - (substr(value ->> 2, 6) <> '12-31')"
              " FROM json_each(");
    SB_TEXT(b, json);
    sb_cat(b, "))");
    if (q->base == NL_BASE_REPORT) {
        sb_cat(b, ", yr(y, d) AS (SELECT ");
        SB_INT(b, sel->year_from);
        sb_cat(b, ", printf('%04d-12-31', ");
        SB_INT(b, sel->year_from);
        sb_cat(b, ") UNION ALL SELECT y + 1, printf('%04d-12-31', y + 1) FROM yr WHERE y < ");
        SB_INT(b, sel->year_to);
        sb_cat(b, ")");
    }
}

static void filters_clause(struct sb *b, const struct agg *q)
{
    for (size_t i = 0; i < q->nf; i++) {
        const struct qfilter *f = &q->f[i];
        sb_cat(b, " AND ");
        sb_cat(b, f->expr);
        sb_cat(b, " IN (");
        for (size_t j = 0; j < f->nv; j++) {
            if (j)
                sb_cat(b, ", ");
            SB_INT(b, f->iv[j]);
        }
        sb_cat(b, ")");
    }
}

/* Runs one aggregate of `q` over `scope_json`; rows (g, k1, k2, num, den). */
static enum nl_status run_agg(struct nl_ind_env *e, const struct nl_ind_sel *sel,
                              const struct agg *q, const char *json, struct nl_ind_row **rows,
                              size_t *n)
{
    struct sb b = {.a = e->a};
    const char *dx[2] = {NULL, NULL};
    char probe[2048];
    int grouped = 0;

    for (int i = 0; i < 2; i++)
        if (q->dim[i] != NULL) {
            dx[i] = field_expr(q->dim[i], q->base);
            grouped = 1;
        }
    snprintf(probe, sizeof(probe), "%s %s %s %s %s", q->where ? q->where : "", q->num,
             q->den ? q->den : "", dx[0] ? dx[0] : "", dx[1] ? dx[1] : "");
    for (size_t i = 0; i < q->nf; i++) {
        size_t l = strlen(probe);
        snprintf(probe + l, sizeof(probe) - l, " %s", q->f[i].expr);
    }
    with_clause(&b, q, sel, json);
    sb_cat(&b, " SELECT ");
    sb_cat(&b, grouped ? "sc.g" : "0");
    for (int i = 0; i < 2; i++) {
        sb_cat(&b, ", ");
        sb_cat(&b, dx[i] != NULL && strcmp(dx[i], "sc.g") != 0 ? dx[i] : "NULL");
    }
    sb_cat(&b, ", ");
    sb_cat(&b, q->num);
    sb_cat(&b, ", ");
    sb_cat(&b, q->den != NULL ? q->den : "0");
    if (q->per_row && q->x != NULL) {
        sb_cat(&b, ", ");
        sb_cat(&b, q->x);
    }
    from_clause(&b, q, sel, uses(probe, "k"), uses(probe, "p"), uses(probe, "uv"));
    if (q->where != NULL) {
        sb_cat(&b, " AND ");
        sb_cat(&b, q->where);
    }
    filters_clause(&b, q);
    if (grouped)
        sb_cat(&b, q->per_row ? " ORDER BY 1, 2" : " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
    if (b.oom)
        return NL_RESOURCE_EXHAUSTED;
    return nl_store_ind_run(e->st, b.s, b.p, b.np, MAX_ROWS, rows, n, e->a);
}

/*
 * Distinct trainees (unexcused: only those with unexcused absences) of the
 * counted classes `q` selects (a CLASS-base agg with its dimensions and
 * filters): the class list from SQL, the counting over the store's per-class
 * trainee cache. Rows (g, k0, count) like run_agg's.
 */
static enum nl_status run_distinct(struct nl_ind_env *e, const struct nl_ind_sel *sel,
                                   const struct agg *q, const char *json, int unexcused,
                                   struct nl_ind_row **rows, size_t *n)
{
    struct agg cq = *q;
    struct nl_ind_row *classes = NULL;
    size_t nc = 0;
    enum nl_status res;

    cq.base = NL_BASE_CLASS;
    cq.num = "c.id";
    cq.den = "c.rev";
    cq.per_row = 1;
    res = run_agg(e, sel, &cq, json, &classes, &nc);
    if (res != NL_OK)
        return res;
    return nl_store_ind_distinct(e->st, classes, nc, unexcused, rows, n, e->a);
}

/*
 * Sums over enrolments by the trainees' attributes (spec: the measures,
 * the attributes grouped into k[0] / k[1], the statuses and attribute
 * values that pass) of the classes `q` selects (a CLASS-base agg with its
 * class dimensions and class filters only), through the store's per-class
 * cache of enrolments (nl_store_ind_enrol_agg) rather than a join of every
 * enrolment with its cadre and profile. Rows (g, k0, k1, num, den) like
 * run_agg's.
 */
static enum nl_status run_enrol(struct nl_ind_env *e, const struct nl_ind_sel *sel,
                                const struct agg *q, const char *json,
                                const struct nl_enrol_spec *spec, struct nl_ind_row **rows,
                                size_t *n)
{
    struct agg cq = *q;
    struct nl_ind_row *classes = NULL;
    size_t nc = 0;
    enum nl_status res;

    cq.base = NL_BASE_CLASS;
    cq.num = "c.id";
    cq.den = "c.rev";
    cq.x = END_X;
    cq.per_row = 1;
    cq.all_enrolments = 0;
    res = run_agg(e, sel, &cq, json, &classes, &nc);
    if (res != NL_OK)
        return res;
    return nl_store_ind_enrol_agg(e->st, classes, nc, spec, rows, n, e->a);
}

/* The enrolment-based indicators as measures of nl_store_ind_enrol_agg. */
static const struct {
    const char *code;
    int num, den;
} enrol_measures[] = {
    {"enrolments", NL_EM_ENROLMENTS, NL_EM_NONE},
    {"trainees", NL_EM_TRAINEES, NL_EM_NONE},
    {"attendance_rate", NL_EM_ATTENDED, NL_EM_SESSIONS},
    {"unexcused_absentees", NL_EM_UNEXCUSED, NL_EM_NONE},
    {"completion_rate", NL_EM_COMPLETED, NL_EM_ASSESSED},
    {"very_good_rate", NL_EM_VERY_GOOD, NL_EM_COMPLETED},
};

/*
 * The spec of indicator `def` grouped by person dimension `by` (counted
 * enrolments), or 0 when the indicator is not one of enrol_measures.
 */
static int enrol_spec_of(const struct nl_ind_def *def, unsigned by, struct nl_enrol_spec *spec)
{
    const struct field *f = field_of_dim(by);

    if (def->base != NL_BASE_ENROL || f == NULL || f->attr < 0)
        return 0;
    for (size_t i = 0; i < sizeof(enrol_measures) / sizeof(enrol_measures[0]); i++)
        if (strcmp(enrol_measures[i].code, def->code) == 0) {
            memset(spec, 0, sizeof(*spec));
            spec->num = enrol_measures[i].num;
            spec->den = enrol_measures[i].den;
            spec->dim[0] = f->attr;
            spec->dim[1] = -1;
            spec->status = COUNTED_ENROLMENT;
            return 1;
        }
    return 0;
}

/* planning_overload: one violation per title over 3 candidates, one per cadre over 3 titles. */
static enum nl_status run_overload(struct nl_ind_env *e, const struct nl_ind_sel *sel,
                                   const char *json, int grouped, struct nl_ind_row **rows,
                                   size_t *n)
{
    struct sb b = {.a = e->a};

    sb_cat(&b, "WITH sc(u, f, t, g) AS (SELECT value ->> 0, value ->> 1, value ->> 2,"
               " value ->> 3 FROM json_each(");
    SB_TEXT(&b, json);
    sb_cat(&b, ")), act AS (SELECT sc.g AS g, pe.unit_id AS u, pe.cadre_id AS c,"
               " pe.body_or_title AS t FROM sc CROSS JOIN planning_entry pe"
               " ON pe.unit_id = sc.u AND pe.term_id = ");
    SB_INT(&b, sel->term->id);
    sb_cat(&b, " AND pe.added_on <= ");
    SB_TEXT(&b, sel->as_of);
    sb_cat(&b, " AND (pe.removed_on IS NULL OR pe.removed_on > ");
    SB_TEXT(&b, sel->as_of);
    sb_cat(&b, ") WHERE pe.body_or_title >= 3)"
               " SELECT g, NULL, NULL, SUM(v), 0 FROM ("
               "SELECT g, COUNT(*) AS v FROM (SELECT g FROM act GROUP BY g, u, t"
               " HAVING COUNT(DISTINCT c) > 3) GROUP BY g"
               " UNION ALL SELECT g, COUNT(*) FROM (SELECT g FROM act GROUP BY g, u, c"
               " HAVING COUNT(DISTINCT t) > 3) GROUP BY g)");
    sb_cat(&b, grouped ? " GROUP BY g ORDER BY g" : "");
    if (b.oom)
        return NL_RESOURCE_EXHAUSTED;
    return nl_store_ind_run(e->st, b.s, b.p, b.np, MAX_ROWS, rows, n, e->a);
}

/* ---------- values ---------- */

static int factor_of(int kind)
{
    return kind == NL_IND_PERCENT ? 100 : 1;
}

static int decimals_of(int kind)
{
    return kind == NL_IND_PERCENT ? 1 : kind == NL_IND_COEFF ? 2 : 0;
}

/* num/den (den > 0, either sign of num) rounded half away from zero to `dec` decimals. */
static const char *round_text(struct nl_arena *a, i128 num, i128 den, int dec, int sign)
{
    i128 scale = 1, q, r;
    int neg = num < 0;
    char digits[64], out[80];
    size_t nd = 0, o = 0;

    for (int i = 0; i < dec; i++)
        scale *= 10;
    if (neg)
        num = -num;
    q = num * scale / den;
    r = num * scale % den;
    if (2 * r >= den)
        q++;
    if (q == 0)
        neg = 0;
    do {
        digits[nd++] = (char)('0' + (int)(q % 10));
        q /= 10;
    } while (q > 0 || nd <= (size_t)dec);
    if (neg)
        out[o++] = '-';
    else if (sign)
        out[o++] = '+';
    while (nd > 0) {
        out[o++] = digits[--nd];
        if (nd == (size_t)dec && dec > 0)
            out[o++] = '.';
    }
    out[o] = '\0';
    return nl_arena_strdup(a, out);
}

/* Parses a target's decimal text into mant / 10^scale. 0 on success. */
static int parse_decimal(const char *s, int64_t *mant, int *scale)
{
    int64_t m = 0;
    int sc = 0, dot = 0, digits = 0;

    for (; *s; s++) {
        if (*s == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (*s < '0' || *s > '9' || digits >= 15)
            return -1;
        m = m * 10 + (*s - '0');
        digits++;
        if (dot)
            sc++;
    }
    if (digits == 0)
        return -1;
    *mant = m;
    *scale = sc;
    return 0;
}

/* `met` on the exact value num * factor / den against the target. */
static int decide_met(const struct nl_ind_value *v)
{
    int64_t mant;
    int scale;
    i128 lhs, rhs, p10 = 1;
    int cmp;

    if (!v->has_value || !v->has_target || parse_decimal(v->target.value, &mant, &scale) != 0)
        return NL_MET_NULL;
    for (int i = 0; i < scale; i++)
        p10 *= 10;
    lhs = (i128)v->num * factor_of(v->def->value_kind) * p10;
    rhs = (i128)mant * (v->has_den ? v->den : 1);
    cmp = lhs < rhs ? -1 : lhs > rhs;
    const char *op = v->target.op;
    int ok = strcmp(op, ">=") == 0   ? cmp >= 0
             : strcmp(op, ">") == 0  ? cmp > 0
             : strcmp(op, "=") == 0  ? cmp == 0
             : strcmp(op, "<=") == 0 ? cmp <= 0
             : strcmp(op, "<") == 0  ? cmp < 0
                                     : -1;
    return ok < 0 ? NL_MET_NULL : ok ? NL_MET_YES : NL_MET_NO;
}

static void finish_value(struct nl_ind_env *e, struct nl_ind_value *v)
{
    int kind = v->def->value_kind;

    if (kind == NL_IND_COUNT) {
        v->has_den = 0;
        v->has_value = 1;
        v->value = afmt(e->a, "%" PRId64, v->num);
    } else {
        v->has_den = 1;
        v->has_value = v->den != 0;
        v->value = v->has_value ? round_text(e->a, (i128)v->num * factor_of(kind), v->den,
                                             decimals_of(kind), 0)
                                : NULL;
    }
}

const char *nl_ind_change(struct nl_ind_env *e, const struct nl_ind_value *a,
                          const struct nl_ind_value *b)
{
    int kind = a->def->value_kind;

    if (!a->has_value || !b->has_value)
        return NULL;
    if (kind == NL_IND_COUNT)
        return afmt(e->a, "%+" PRId64, b->num - a->num);
    i128 num = ((i128)b->num * a->den - (i128)a->num * b->den) * factor_of(kind);
    i128 den = (i128)a->den * b->den;
    return round_text(e->a, num, den, decimals_of(kind), 1);
}

/* The term a target is looked up for: --term, else the congress term of the period's end or D. */
static const struct nl_ind_term *target_term(struct nl_ind_env *e, const struct nl_ind_def *def,
                                             const struct nl_ind_sel *sel)
{
    if (sel->term_given)
        return sel->term;
    if (flow_base(def->base) && sel->has_period)
        return congress_term(&e->w, sel->pto);
    return sel->term;
}

static enum nl_status attach_target(struct nl_ind_env *e, const struct nl_ind_def *def,
                                    const struct nl_ind_sel *sel, struct nl_ind_value *v)
{
    const struct nl_ind_term *t = target_term(e, def, sel);
    int found = 0;
    enum nl_status res = NL_OK;

    v->has_target = 0;
    if (t != NULL)
        res = nl_store_target_find(e->st, def->code, v->unit, t->code, &v->target, &found, e->a);
    v->has_target = res == NL_OK && found;
    v->met = decide_met(v);
    return res;
}

/* ---------- computing an indicator ---------- */

static enum nl_status needs(struct nl_ind_env *e, const struct nl_ind_sel *sel, int base)
{
    if (flow_base(base) && !sel->has_period)
        return fail(e, NL_FAILED_PRECONDITION,
                    "selection: no party-congress term contains %s; give a term, a year or "
                    "from/to",
                    sel->as_of);
    if (term_base(base) && sel->term == NULL)
        return fail(e, NL_FAILED_PRECONDITION,
                    "selection.term: no party-congress term contains %s; give a term", sel->as_of);
    return NL_OK;
}

/*
 * The groups of a computation over `base`. By unit: the children of the
 * unit in the tree of the relevant date (a flow: any day of the period, as
 * each record is dated by its own day; a stock: D), then the unit itself.
 */
static enum nl_status make_groups(struct nl_ind_env *e, const struct nl_ind_sel *sel, unsigned by,
                                  int base, struct groups *g)
{
    int64_t *kids = NULL;
    size_t nk = 0;
    int flow = flow_base(base);

    memset(g, 0, sizeof(*g));
    if (by != NL_DIM_UNIT) {
        g->unit = nl_arena_alloc(e->a, sizeof(int64_t));
        if (g->unit == NULL)
            return NL_RESOURCE_EXHAUSTED;
        g->unit[0] = sel->unit_id;
        g->n = 1;
        return NL_OK;
    }
    if (nl_scope_children(&e->w.tree, sel->unit_id, flow ? sel->pfrom : sel->d,
                          flow ? sel->pto : sel->d, &kids, &nk) != 0)
        return NL_RESOURCE_EXHAUSTED;
    g->unit = nl_arena_alloc(e->a, (nk + 1) * sizeof(int64_t));
    if (g->unit == NULL) {
        free(kids);
        return NL_RESOURCE_EXHAUSTED;
    }
    if (nk > 0)
        memcpy(g->unit, kids, nk * sizeof(int64_t));
    free(kids);
    g->unit[nk] = sel->unit_id;
    g->n = nk + 1;
    g->by_unit = 1;
    return NL_OK;
}

static void explain_units(struct nl_ind_env *e, const struct nl_scope *s, int stock,
                          struct nl_ind_explain *ex)
{
    ex->units = nl_arena_alloc(e->a, (s->n + 1) * sizeof(char *));
    ex->nunits = 0;
    for (size_t i = 0; ex->units != NULL && i < s->n; i++) {
        const struct nl_scope_iv *v = &s->iv[i];
        char f[11], t[11];
        nl_date_format(v->from, f);
        nl_date_format(v->to, t);
        const char *code = nl_scope_code(&e->w.tree, v->unit_id);
        const char *via = v->via ? nl_scope_code(&e->w.tree, v->via) : NULL;
        const char *line = stock ? afmt(e->a, "%s%s%s%s", code, via ? " (predecessor of " : "",
                                        via ? via : "", via ? ")" : "")
                                 : afmt(e->a, "%s %s..%s%s%s%s", code, f, t,
                                        via ? " (lineage of " : "", via ? via : "", via ? ")" : "");
        if (line != NULL)
            ex->units[ex->nunits++] = line;
    }
}

static void explain_filters(struct nl_ind_env *e, const struct nl_ind_def *def,
                            const struct nl_ind_sel *sel, struct nl_ind_explain *ex)
{
    const char **f = nl_arena_alloc(e->a, 8 * sizeof(char *));
    size_t n = 0;
    const char *term = sel->term != NULL ? sel->term->code : "(none)";

    if (f == NULL)
        return;
    f[n++] = afmt(e->a, "population: %s", def->population);
    f[n++] = afmt(e->a, "formula: %s", def->formula);
    switch (def->base) {
    case NL_BASE_CLASS:
    case NL_BASE_ENROL:
        f[n++] = afmt(e->a, "classes: status not CANCELLED, end_date in %s..%s%s",
                      day_text(e->a, sel->pfrom), day_text(e->a, sel->pto),
                      def->base == NL_BASE_ENROL ? "; enrolments not WITHDREW" : "");
        break;
    case NL_BASE_CADRE:
        f[n++] = afmt(e->a, "cadre profiles valid on %s, unit in the tree of that day", sel->as_of);
        break;
    case NL_BASE_REVIEW:
    case NL_BASE_REPORT:
        f[n++] = afmt(e->a, "years %d..%d (31 Dec of each: the unit tree used)", sel->year_from,
                      sel->year_to);
        break;
    default:
        f[n++] = afmt(e->a, "term %s; active on %s (start <= date, no end or end > date)%s", term,
                      sel->as_of, sel->own ? "; the unit's own bodies only" : "");
    }
    ex->filters = f;
    ex->nfilters = n;
}

/* The row of `rows` for group g and keys k (NULL when none). */
static const struct nl_ind_row *find_row(const struct nl_ind_row *rows, size_t n, int64_t g,
                                         const char *k0, const char *k1)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].g == g && strcmp(rows[i].k[0], k0) == 0 && strcmp(rows[i].k[1], k1) == 0)
            return &rows[i];
    return NULL;
}

enum nl_status nl_ind_compute(struct nl_ind_env *e, const struct nl_ind_def *def,
                              const struct nl_ind_sel *sel, unsigned by, struct nl_ind_value **out,
                              size_t *nout, struct nl_ind_explain *ex)
{
    struct groups g;
    struct nl_scope s1 = {0}, s2 = {0};
    struct nl_ind_row *r1 = NULL, *r2 = NULL;
    size_t n1 = 0, n2 = 0;
    enum nl_status res;
    const char *j1, *j2;
    const struct field *dim = by != 0 && by != NL_DIM_UNIT ? field_of_dim(by) : NULL;
    /* What the statements read: the per-class sums unless grouped by a person's attribute. */
    struct nl_ind_def q_def = *def;
    if (def->class_num != NULL && (by & NL_DIM_PERSON) == 0) {
        q_def.base = q_def.den_base = NL_BASE_CLASS;
        q_def.num = def->class_num;
        q_def.den = def->class_den;
    }
    int split = q_def.den_base != q_def.base;

    *out = NULL;
    *nout = 0;
    if (by != 0 && (def->dims & by) == 0)
        return fail(e, NL_INVALID_ARGUMENT, "by: %s cannot be grouped by %s", def->code,
                    nl_ind_dim_name(by) ? nl_ind_dim_name(by) : "that");
    if ((res = needs(e, sel, def->base)) != NL_OK || (res = needs(e, sel, def->den_base)) != NL_OK)
        return res;
    if ((res = make_groups(e, sel, by, q_def.base, &g)) != NL_OK)
        return res;
    if (build_scope(e, sel, q_def.base, &g, &s1) != 0 ||
        (split && build_scope(e, sel, q_def.den_base, &g, &s2) != 0)) {
        res = NL_RESOURCE_EXHAUSTED;
        goto done;
    }
    if (s1.overflow || s2.overflow) {
        res = fail(e, NL_RESOURCE_EXHAUSTED, "selection.unit: the scope is too large");
        goto done;
    }
    j1 = scope_json(e->a, &s1);
    j2 = split ? scope_json(e->a, &s2) : j1;
    if (j1 == NULL || j2 == NULL) {
        res = NL_RESOURCE_EXHAUSTED;
        goto done;
    }
    const struct field *ufield = field_of_dim(NL_DIM_UNIT);
    struct agg q = {.base = q_def.base,
                    .where = q_def.where,
                    .num = q_def.num,
                    .den = split ? NULL : q_def.den,
                    .dim = {by == NL_DIM_UNIT ? ufield : dim, NULL}};
    struct nl_enrol_spec spec;
    if (def->distinct != 0 && (by & NL_DIM_PERSON) == 0) {
        res = run_distinct(e, sel, &q, j1, def->distinct == 2, &r1, &n1);
    } else if (!split && enrol_spec_of(def, by, &spec)) {
        q.dim[0] = NULL; /* the attribute: grouped by the store */
        res = run_enrol(e, sel, &q, j1, &spec, &r1, &n1);
    } else if (q_def.base == NL_BASE_OVERLOAD) {
        res = run_overload(e, sel, j1, by == NL_DIM_UNIT, &r1, &n1);
    } else {
        res = run_agg(e, sel, &q, j1, &r1, &n1);
    }
    if (res == NL_OK && split) {
        struct agg qd = {.base = q_def.den_base, .num = q_def.den, .dim = {q.dim[0], NULL}};
        res = run_agg(e, sel, &qd, j2, &r2, &n2);
    }
    if (res != NL_OK)
        goto done;

    /* One value per group: by unit, every group; by another dimension, every key seen. */
    size_t cap = (by == NL_DIM_UNIT ? g.n : n1 + n2) + 1;
    struct nl_ind_value *v = nl_arena_alloc(e->a, cap * sizeof(*v));
    size_t nv = 0;
    if (v == NULL) {
        res = NL_RESOURCE_EXHAUSTED;
        goto done;
    }
    size_t passes = by == NL_DIM_UNIT ? g.n : by == 0 ? 1 : n1 + n2;
    for (size_t pass = 0; pass < passes; pass++) {
        int64_t gi = by == NL_DIM_UNIT ? (int64_t)pass : 0;
        const char *k0 = "";
        if (dim != NULL) {
            const struct nl_ind_row *src = pass < n1 ? &r1[pass] : &r2[pass - n1];
            k0 = src->k[0];
            /* A key already taken from an earlier row. */
            int seen = 0;
            for (size_t i = 0; i < nv && !seen; i++)
                seen = strcmp(v[i].group[0], field_value(dim, k0)) == 0;
            if (seen)
                continue;
        }
        const struct nl_ind_row *a = find_row(r1, n1, gi, k0, "");
        const struct nl_ind_row *b = split ? find_row(r2, n2, gi, k0, "") : a;
        struct nl_ind_value *x = &v[nv];
        memset(x, 0, sizeof(*x));
        x->def = def;
        x->num = a ? a->num : 0;
        x->den = b == NULL ? 0 : split ? b->num : b->den; /* a split denominator runs as "num" */
        x->unit = by == NL_DIM_UNIT ? nl_scope_code(&e->w.tree, g.unit[gi]) : sel->unit;
        if (by == NL_DIM_UNIT) {
            x->dim[0] = NL_DIM_UNIT;
            x->group[0] = x->unit;
            if (g.by_unit && (size_t)gi == g.n - 1 && x->num == 0 && x->den == 0)
                continue; /* the unit itself, without records of its own */
        } else if (dim != NULL) {
            x->dim[0] = by;
            x->group[0] = field_value(dim, k0);
        }
        finish_value(e, x);
        if ((res = attach_target(e, def, sel, x)) != NL_OK)
            goto done;
        nv++;
    }
    *out = v;
    *nout = nv;
    if (ex != NULL) {
        memset(ex, 0, sizeof(*ex));
        const char **c = nl_arena_alloc(e->a, 4 * sizeof(char *));
        if (c == NULL) {
            res = NL_RESOURCE_EXHAUSTED;
            goto done;
        }
        ex->counts = c;
        explain_filters(e, def, sel, ex);
        int64_t tn = 0, td = 0;
        for (size_t i = 0; i < nv; i++) {
            tn += v[i].num;
            td += v[i].den;
        }
        /* Grouped: the sums over the rows (distinct counts of groups may overlap). */
        const char *over = nv == 1 && by == 0 ? "" : ", summed over the rows";
        c[0] = afmt(e->a, "numerator%s: %" PRId64, over, tn);
        c[1] = afmt(e->a, "denominator%s: %" PRId64, over, td);
        ex->ncounts = def->value_kind == NL_IND_COUNT ? 1 : 2;
        explain_units(e, &s1, !flow_base(def->base), ex);
    }
done:
    nl_scope_free(&s1);
    nl_scope_free(&s2);
    return res;
}

/* ---------- the report's list of missing reports ---------- */

/* The scope of sel's unit for `base`, one group, as json_each's JSON in the arena (*json). */
static enum nl_status whole_scope_json(struct nl_ind_env *e, const struct nl_ind_sel *sel, int base,
                                       const char **json)
{
    struct groups g;
    struct nl_scope s = {0};
    enum nl_status res;

    if ((res = needs(e, sel, base)) != NL_OK || (res = make_groups(e, sel, 0, base, &g)) != NL_OK)
        return res;
    if (build_scope(e, sel, base, &g, &s) != 0 || s.overflow) {
        nl_scope_free(&s);
        return NL_RESOURCE_EXHAUSTED;
    }
    *json = scope_json(e->a, &s);
    nl_scope_free(&s);
    return *json != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

enum nl_status nl_ind_missing_reports(struct nl_ind_env *e, const struct nl_ind_sel *sel,
                                      struct nl_ind_missing **out, size_t *nout)
{
    struct nl_ind_row *rows = NULL;
    size_t n = 0;
    enum nl_status res;
    struct agg q = {.base = NL_BASE_REPORT, .num = "0"};
    const char *json = NULL;

    *out = NULL;
    *nout = 0;
    if ((res = whole_scope_json(e, sel, NL_BASE_REPORT, &json)) != NL_OK)
        return res;
    struct sb b = {.a = e->a};
    with_clause(&b, &q, sel, json);
    sb_cat(&b, " SELECT 0, (SELECT code FROM unit WHERE id = uv.unit_id), yr.y, 0, 0");
    from_clause(&b, &q, sel, 0, 0, 0);
    sb_cat(&b, " AND (rp.status IS NULL OR rp.status NOT IN (2, 4)) ORDER BY 3, 2");
    if (b.oom)
        return NL_RESOURCE_EXHAUSTED;
    res = nl_store_ind_run(e->st, b.s, b.p, b.np, MAX_ROWS, &rows, &n, e->a);
    if (res != NL_OK)
        return res;
    struct nl_ind_missing *m = nl_arena_alloc(e->a, (n + 1) * sizeof(*m));
    if (m == NULL)
        return NL_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < n; i++) {
        m[i].unit = rows[i].k[0];
        m[i].year = (int)strtol(rows[i].k[1], NULL, 10);
    }
    *out = m;
    *nout = n;
    return NL_OK;
}

/* ---------- the report's cadres with unexcused absences ---------- */

enum nl_status nl_ind_absentees(struct nl_ind_env *e, const struct nl_ind_sel *sel, size_t max,
                                struct nl_ind_absentee **out, size_t *nout, int *truncated)
{
    struct nl_ind_row *rows = NULL;
    size_t n = 0;
    enum nl_status res;
    struct agg q = {.base = NL_BASE_ENROL, .num = "0"};
    const char *json = NULL;

    *out = NULL;
    *nout = 0;
    *truncated = 0;
    if ((res = whole_scope_json(e, sel, NL_BASE_ENROL, &json)) != NL_OK)
        return res;
    /* The population of unexcused_absentees: counted enrolments with absences. */
    struct sb b = {.a = e->a};
    with_clause(&b, &q, sel, json);
    sb_cat(&b, " SELECT 0, k.cadre_code, COALESCE(k.full_name, ''), COUNT(DISTINCT c.id),"
               " SUM(e.absent_unexcused)");
    from_clause(&b, &q, sel, 1, 0, 0);
    sb_cat(&b, " AND e.absent_unexcused > 0 GROUP BY e.cadre_id ORDER BY 2 LIMIT ");
    SB_INT(&b, (int64_t)max + 1);
    if (b.oom)
        return NL_RESOURCE_EXHAUSTED;
    res = nl_store_ind_run(e->st, b.s, b.p, b.np, max + 1, &rows, &n, e->a);
    if (res != NL_OK)
        return res;
    if (n > max) {
        n = max;
        *truncated = 1;
    }
    struct nl_ind_absentee *a = nl_arena_alloc(e->a, (n + 1) * sizeof(*a));
    if (a == NULL)
        return NL_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < n; i++) {
        a[i].cadre_code = rows[i].k[0];
        a[i].full_name = rows[i].k[1];
        a[i].classes = rows[i].num;
        a[i].sessions = rows[i].den;
    }
    *out = a;
    *nout = n;
    return NL_OK;
}

/* ---------- the general aggregate query ---------- */

struct measure {
    const char *name;
    int base;
    const char *agg;
    const char *class_agg; /* over NL_BASE_CLASS's per-class sums, when no person field is asked */
};

static const struct measure measures[] = {
    {"classes", NL_BASE_CLASS, "COUNT(*)", NULL},
    {"planned_trainees", NL_BASE_CLASS, "SUM(c.planned_trainees)", NULL},
    {"enrolments", NL_BASE_ENROL, "COUNT(*)", "SUM(c.n_enrol)"},
    {"trainees", NL_BASE_ENROL, "nl_distinct(e.cadre_id)", NULL},
    {"cadres", NL_BASE_CADRE, "COUNT(*)", NULL},
    {"committee_members", NL_BASE_COMMITTEE, "COUNT(*)", NULL},
    {"pool_members", NL_BASE_POOL, "COUNT(DISTINCT pe.unit_id || ':' || pe.cadre_id)", NULL},
    {"seats", NL_BASE_SEATS, "SUM(q.seats)", NULL},
    {"reviews", NL_BASE_REVIEW, "COUNT(*)", NULL},
};

/* 1 when `s` is valid UTF-8: only then may a message quote it. */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != 0) {
        size_t n = *p < 0x80             ? 0
                   : (*p & 0xE0) == 0xC0 ? 1
                   : (*p & 0xF0) == 0xE0 ? 2
                   : (*p & 0xF8) == 0xF0 ? 3
                                         : 4;
        if (n == 4 || (n == 1 && *p < 0xC2))
            return 0;
        for (size_t k = 1; k <= n; k++)
            if ((p[k] & 0xC0) != 0x80)
                return 0;
        p += n + 1;
    }
    return 1;
}

/* A client's text as a message may quote it. */
static const char *shown(const char *s)
{
    return utf8_valid(s) ? s : "(text that is not UTF-8)";
}

/* How many of a field's codes apply on `base`: a committee's body is one of the first two. */
static int ncodes_on(const struct field *f, int base)
{
    if (strcmp(f->name, "body") == 0 && base == NL_BASE_COMMITTEE)
        return COMMITTEE_BODIES;
    return f->ncodes;
}

/* The first n codes of a field, comma-separated ("MALE, FEMALE"). */
static const char *codes_text(struct nl_arena *a, const struct field *f, int n)
{
    char buf[256];
    size_t len = 0;

    buf[0] = '\0';
    for (int i = 0; i < n && len < sizeof(buf); i++) {
        int w = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "", f->codes[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    const char *t = nl_arena_strdup(a, buf);
    return t != NULL ? t : "";
}

/* The filter expression of the target group: its id, the value resolved once. */
static const char TG_FILTER[] = "c.target_group_id";

/*
 * Reads the value `s` of filters[i], of field f on `base`, into q: a code in
 * any letter case, a year, or a target group by code (any case) or
 * Vietnamese label (folded). An unknown value is NL_INVALID_ARGUMENT
 * naming filters[i].value and quoting it (the caller's own text).
 */
static enum nl_status parse_value(struct nl_ind_env *e, size_t i, const struct field *f, int base,
                                  const char *s, struct qfilter *q)
{
    if (q->nv >= sizeof(q->iv) / sizeof(q->iv[0]))
        return fail(e, NL_INVALID_ARGUMENT, "filters[%zu]: at most 16 values of one field", i);
    if (f->type == V_TEXT) {
        int64_t id = 0;
        enum nl_status res = nl_store_target_group_id(e->st, s, &id); /* code or label */
        if (res != NL_OK)
            return res;
        if (id == 0)
            return fail(e, NL_INVALID_ARGUMENT, "filters[%zu].value: %s is not a target group", i,
                        shown(s));
        q->iv[q->nv++] = id;
        return NL_OK;
    }
    if (f->type == V_YEAR) {
        char *end;
        long y = strtol(s, &end, 10);
        if (*s == '\0' || *end != '\0' || y < 1900 || y > 9999)
            return fail(e, NL_INVALID_ARGUMENT, "filters[%zu].value: %s is not a year", i,
                        shown(s));
        q->iv[q->nv++] = y;
        return NL_OK;
    }
    int n = ncodes_on(f, base);
    for (int k = 0; k < n; k++)
        if (strcasecmp(f->codes[k], s) == 0) {
            q->iv[q->nv++] = f->first + k;
            return NL_OK;
        }
    return fail(e, NL_INVALID_ARGUMENT, "filters[%zu].value: %s is not a value of %s (%s)", i,
                shown(s), f->name, codes_text(e->a, f, n));
}

/*
 * The enrolments or trainees of a query that asks about a trainee's
 * attribute or an enrolment's status: the class filters and dimensions go
 * to SQL (q), the rest to the store (nl_store_ind_enrol_agg).
 */
static enum nl_status query_enrol(struct nl_ind_env *e, const struct measure *m,
                                  const struct nl_ind_sel *sel, struct agg *q,
                                  const struct field *const *qfield, const char *json,
                                  struct nl_ind_row **rows, size_t *n)
{
    struct nl_enrol_spec spec;
    struct qfilter cf[16];
    size_t ncf = 0;

    memset(&spec, 0, sizeof(spec));
    spec.num = strcmp(m->name, "trainees") == 0 ? NL_EM_TRAINEES : NL_EM_ENROLMENTS;
    spec.den = NL_EM_NONE;
    spec.status = COUNTED_ENROLMENT;
    for (size_t i = 0; i < q->nf; i++) {
        const struct qfilter *f = &q->f[i];
        int attr = qfield[i]->attr, status = strcmp(qfield[i]->name, "enrolment_status") == 0;
        uint32_t mask = 0;
        if (attr < 0 && !status) {
            cf[ncf++] = *f; /* a class's field: SQL */
            continue;
        }
        for (size_t k = 0; k < f->nv; k++) /* codes: small; an attribute's value v is bit v + 1 */
            if (f->iv[k] >= 0 && f->iv[k] < 30)
                mask |= 1u << (unsigned)(f->iv[k] + (attr >= 0));
        if (attr >= 0)
            spec.allow[attr] = mask;
        else
            spec.status = mask;
    }
    for (int d = 0; d < 2; d++) {
        spec.dim[d] = q->dim[d] != NULL ? q->dim[d]->attr : -1;
        if (spec.dim[d] >= 0)
            q->dim[d] = NULL; /* the attribute: grouped by the store */
    }
    q->f = cf;
    q->nf = ncf;
    return run_enrol(e, sel, q, json, &spec, rows, n);
}

enum nl_status nl_ind_aggregate(struct nl_ind_env *e, const char *measure,
                                const struct nl_ind_sel *sel, const struct nl_ind_filter *f,
                                size_t nf, const char *const *by, size_t nby,
                                struct nl_ind_qrow **out, size_t *nout)
{
    const struct measure *m = NULL;
    struct qfilter qf[16];
    const struct field *qfield[16];
    size_t nq = 0;
    const struct field *dims[2] = {NULL, NULL};
    enum nl_status res;
    int all_classes = 0, all_enrolments = 0, person = 0;

    *out = NULL;
    *nout = 0;
    for (size_t i = 0; i < sizeof(measures) / sizeof(measures[0]); i++)
        if (strcmp(measures[i].name, measure) == 0)
            m = &measures[i];
    if (m == NULL)
        return fail(e, NL_INVALID_ARGUMENT,
                    "measure: unknown (classes, planned_trainees, "
                    "enrolments, trainees, cadres, committee_members, "
                    "pool_members, seats, reviews)");
    if (nby > 2)
        return fail(e, NL_INVALID_ARGUMENT, "by: at most two dimensions");
    for (size_t i = 0; i < nby; i++) {
        const struct field *d = field_named(by[i]);
        if (d == NULL || d->dim == 0 || field_expr(d, m->base) == NULL)
            return fail(e, NL_INVALID_ARGUMENT, "by[%zu]: not a dimension of %s", i, m->name);
        if (i == 1 && d == dims[0])
            return fail(e, NL_INVALID_ARGUMENT, "by[1]: the same dimension twice");
        dims[i] = d;
    }
    if (nf > 64)
        return fail(e, NL_INVALID_ARGUMENT, "filters: at most 64");
    for (size_t i = 0; i < nf; i++) {
        const struct field *fd = field_named(f[i].field);
        if (fd != NULL && fd->type == V_UNIT)
            return fail(e, NL_INVALID_ARGUMENT,
                        "filters[%zu].field: unit is not a filter; the unit is selection.unit", i);
        const char *x = fd != NULL ? field_expr(fd, m->base) : NULL;
        if (x == NULL)
            return fail(e, NL_INVALID_ARGUMENT, "filters[%zu].field: %s is not a filter of %s", i,
                        shown(f[i].field), m->name);
        size_t k = 0;
        while (k < nq && qfield[k] != fd)
            k++;
        if (k == nq) {
            if (nq == sizeof(qf) / sizeof(qf[0]))
                return fail(e, NL_INVALID_ARGUMENT, "filters: too many fields");
            memset(&qf[nq], 0, sizeof(qf[nq]));
            qf[nq].expr = fd->type == V_TEXT ? TG_FILTER : x;
            qfield[nq++] = fd;
        }
        if ((res = parse_value(e, i, fd, m->base, f[i].value, &qf[k])) != NL_OK)
            return res;
        all_classes |= strcmp(fd->name, "class_status") == 0;
        all_enrolments |= strcmp(fd->name, "enrolment_status") == 0;
        person |= fd->attr >= 0 || strcmp(fd->name, "enrolment_status") == 0;
    }
    if ((res = needs(e, sel, m->base)) != NL_OK)
        return res;

    /* By unit: groups are the children and the unit itself; else one group. */
    int by_unit =
        (dims[0] && dims[0]->dim == NL_DIM_UNIT) || (dims[1] && dims[1]->dim == NL_DIM_UNIT);
    struct groups g;
    struct nl_scope s = {0};
    if ((res = make_groups(e, sel, by_unit ? NL_DIM_UNIT : 0, m->base, &g)) != NL_OK)
        return res;
    if (build_scope(e, sel, m->base, &g, &s) != 0 || s.overflow) {
        nl_scope_free(&s);
        return NL_RESOURCE_EXHAUSTED;
    }
    const char *json = scope_json(e->a, &s);
    nl_scope_free(&s);
    if (json == NULL)
        return NL_RESOURCE_EXHAUSTED;
    /* The unit dimension is the group column: keep the other one in k0. */
    const struct field *other[2] = {NULL, NULL};
    size_t no = 0;
    for (size_t i = 0; i < nby; i++)
        if (dims[i]->dim != NL_DIM_UNIT) {
            other[no] = dims[i];
            person |= dims[i]->attr >= 0;
            no++;
        }
    struct agg q = {.base = m->base,
                    .num = m->agg,
                    .dim = {other[0], other[1]},
                    .f = qf,
                    .nf = nq,
                    .all_classes = all_classes,
                    .all_enrolments = all_enrolments};
    /* Enrolments without a person's attribute: the per-class sums, one row per class. */
    if (m->class_agg != NULL && !person) {
        q.base = NL_BASE_CLASS;
        q.num = m->class_agg;
    }
    struct nl_ind_row *rows = NULL;
    size_t n = 0;
    if (by_unit && q.dim[0] == NULL)
        q.dim[0] = field_of_dim(NL_DIM_UNIT);
    else if (by_unit && q.dim[1] == NULL)
        q.dim[1] = field_of_dim(NL_DIM_UNIT);
    if (m->base == NL_BASE_ENROL && (person || (strcmp(m->name, "trainees") == 0 && no > 1)))
        res = query_enrol(e, m, sel, &q, qfield, json, &rows, &n);
    else if (strcmp(m->name, "trainees") == 0)
        res = run_distinct(e, sel, &q, json, 0, &rows, &n); /* the trainee cache */
    else
        res = run_agg(e, sel, &q, json, &rows, &n);
    if (res != NL_OK)
        return res;
    if (n > NL_IND_QUERY_MAX_ROWS)
        return fail(e, NL_RESOURCE_EXHAUSTED, "by: more than %d rows", NL_IND_QUERY_MAX_ROWS);
    struct nl_ind_qrow *qr = nl_arena_alloc(e->a, (n + 1) * sizeof(*qr));
    if (qr == NULL)
        return NL_RESOURCE_EXHAUSTED;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        size_t oi = 0;
        for (size_t d = 0; d < nby; d++) {
            if (dims[d]->dim == NL_DIM_UNIT)
                qr[w].group[d] = nl_scope_code(&e->w.tree, g.unit[rows[i].g]);
            else
                qr[w].group[d] = field_value(dims[d], rows[i].k[oi++]);
        }
        qr[w].value = rows[i].num;
        w++;
    }
    if (nby == 0 && w == 0)
        qr[w++].value = 0; /* ungrouped: always the one total, 0 when nothing counts */
    *out = qr;
    *nout = w;
    return NL_OK;
}
