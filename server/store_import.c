/*
 * store_import.c - the typed queries of bulk import and export
 * (store_import.h): the import_batch table that makes a replayed
 * Records.Import batch answer its stored response, and one read query per
 * export kind.
 *
 * Part of the store module (store_int.h): each statement is a static string
 * prepared once per connection through nl_store_stmt(). Every export query
 * has the same parameters, so one binder serves them all: ?1 the unit filter
 * (a unit id, 0 = none), ?2 today (a target's day when its term is unknown), ?3..?4 the
 * end_date window of classes, ?5 the year of reviews and reports (0 = any),
 * ?6..?10 the key to continue after (text t1..t3, integers n1..n2), ?11 the
 * limit (one row past the page tells whether another page exists), ?12 the
 * caller's scope root (0 = unconfined) in the kinds with a unit filter. A
 * query names only the parameters it needs; ?11 is in every one.
 * Every query returns the row's own key in columns 0..4 (t1, t2, t3, n1, n2)
 * and its record from column KEY_NCOLS on, so paging is keyset paging on an
 * order that is total for each kind.
 *
 * The unit filter is the one the lists apply (NL_SUBTREE_CTE, store_party.h):
 * a row counts when its unit is under the unit in the tree of the row's own
 * day, the day its list uses: a class's end_date (ListClasses), the last day
 * of the term's window for committee, planning, seats and term instances
 * (ListCommitteeMemberships...), 31 December of the year for reviews and
 * reports; a unit or profile version counts when it is under the unit on
 * some day it is valid, an event when one of its units is on the day before
 * or of the event. So an export of a past term or year keeps the units
 * abolished since. A confined caller's scope (NL_AUTH_SCOPE_SQL rooted at
 * ?12, today's tree) bounds the rows too, so a district's export never
 * reaches a unit outside its scope, while an administrator's export of a unit
 * keeps a unit that was under it then and has moved away since.
 */
#include <stdlib.h>
#include <string.h>

#include "scope_auth.h"
#include "store.h"
#include "store_import.h"
#include "store_int.h"
#include "store_party.h"

#define DATE_MIN  "0001-01-01"
#define DATE_MAX  "9999-12-31"
#define KEY_NCOLS 5
#define MAX_DEPTH "64" /* guards the depth walk of the units export against a cycle */

static const char SQL_BATCH_GET[] =
    "SELECT request_hash, response FROM import_batch WHERE batch_id = ?1";
static const char SQL_BATCH_PUT[] =
    "INSERT INTO import_batch(batch_id, request_hash, response) VALUES (?1, ?2, ?3)";
static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";

/*
 * The unit filter (see above): `sub` is ?1 and the units under it over time;
 * IN_SUB: unit id `col` is under ?1 on day `day` (and in ?1's scope tree);
 * IN_SUB_DURING: on some day of from..to.
 */
#define SUB_CTE          NL_SUBTREE_CTE("sub", "?1", "1")
#define OF_SUB(col)      NL_AUTH_SCOPE_SQL(col, "?12")
#define IN_SUB(col, day) " (?1 = 0 OR (" NL_SUBTREE_ON("sub", col, day) "AND" OF_SUB(col) "))"
#define IN_SUB_DURING(col, from, to)                                                               \
    " (?1 = 0 OR (" NL_SUBTREE_DURING("sub", col, from, to) "AND" OF_SUB(col) "))"
/* The last day of the window of term row `t` (DOMAIN.md 4: term A-B ends 31 Dec of B - 1). */
#define TERM_END(t) "printf('%04d-12-31', " t ".end_year - 1)"
/* The filter of each kind, on the day its list uses. */
#define UNITS_IN IN_SUB_DURING("v.unit_id", "v.valid_from", "COALESCE(v.valid_to, '" DATE_MAX "')")
#define EVENT_UNIT_IN                                                                              \
    IN_SUB_DURING("x.unit_id", "date(e.effective_date, '-1 day')", "e.effective_date")
#define PROFILE_IN                                                                                 \
    IN_SUB_DURING("p.unit_id", "p.valid_from", "COALESCE(p.valid_to, '" DATE_MAX "')")
#define CLASS_IN          IN_SUB("c.organiser_unit_id", "c.end_date")
#define TERM_UNIT_IN(col) IN_SUB(col, TERM_END("t"))
#define YEAR_UNIT_IN      IN_SUB("r.unit_id", "printf('%04d-12-31', r.year)")
#define TARGET_DAY                                                                                 \
    "COALESCE((SELECT " TERM_END("tt") " FROM term AS tt WHERE tt.code = t.term_code), ?2)"
#define TARGET_IN IN_SUB("t.unit_id", TARGET_DAY)

/*
 * Units: key (t1 valid_from, n1 depth, t2 code). `anc` climbs from every
 * version through the parents' versions valid on its valid_from; the depth
 * of a version is the number of ancestors found.
 */
static const char SQL_EXPORT_UNITS[] =
    "WITH RECURSIVE " SUB_CTE ","
    " anc(vid, cur, at, depth) AS ("
    "  SELECT v.id, v.parent_id, v.valid_from, 0 FROM unit_version AS v"
    "  UNION ALL"
    "  SELECT a.vid, p.parent_id, a.at, a.depth + 1 FROM anc AS a JOIN unit_version AS p"
    "   ON p.unit_id = a.cur AND p.valid_from <= a.at"
    "   AND (p.valid_to IS NULL OR p.valid_to >= a.at)"
    "  WHERE a.depth < " MAX_DEPTH "),"
    " dep(vid, depth) AS (SELECT vid, MAX(depth) FROM anc GROUP BY vid)"
    " SELECT v.valid_from, u.code, '', dep.depth, 0,"
    "  u.code, v.name, v.kind, COALESCE(pu.code, ''), v.valid_from, COALESCE(v.valid_to, '')"
    " FROM unit_version AS v JOIN unit AS u ON u.id = v.unit_id JOIN dep ON dep.vid = v.id"
    " LEFT JOIN unit AS pu ON pu.id = v.parent_id"
    " WHERE" UNITS_IN " AND (v.valid_from, dep.depth, u.code) > (?6, ?9, ?7)"
    " ORDER BY v.valid_from, dep.depth, u.code LIMIT ?11";

/* Terms: key (t1 code). */
static const char SQL_EXPORT_TERMS[] =
    "SELECT code, '', '', 0, 0, code, kind, start_year, end_year FROM term"
    " WHERE code > ?6 ORDER BY code LIMIT ?11";

/* Unit events: key (t1 effective_date, n1 id); sources and targets as "a,b,c". */
#define EVENT_UNITS(role)                                                                          \
    "(SELECT group_concat(u.code, ',') FROM unit_event_unit AS x JOIN unit AS u"                   \
    " ON u.id = x.unit_id WHERE x.event_id = e.id AND x.role = " role ")"
static const char SQL_EXPORT_EVENTS[] =
    "WITH RECURSIVE " SUB_CTE " SELECT e.effective_date, '', '', e.id, 0,"
    "  e.kind, e.effective_date, e.legal_basis, " EVENT_UNITS("1") ", " EVENT_UNITS(
        "2") " FROM unit_event AS e"
             " WHERE (?1 = 0 OR EXISTS(SELECT 1 FROM unit_event_unit AS x"
             "  WHERE x.event_id = e.id AND" EVENT_UNIT_IN "))"
             " AND (e.effective_date, e.id) > (?6, ?9)"
             " ORDER BY e.effective_date, e.id LIMIT ?11";

/* Cadres: key (t1 cadre_code, t2 profile valid_from, "" for a cadre without profiles). */
static const char SQL_EXPORT_CADRES[] =
    "WITH RECURSIVE " SUB_CTE " SELECT c.cadre_code, COALESCE(p.valid_from, ''), '', 0, 0,"
    "  c.cadre_code, c.full_name, c.sex, c.birth_year, p.id IS NOT NULL, COALESCE(pu.code, ''),"
    "  COALESCE(p.position_title, ''), COALESCE(p.key_cadre, 0), COALESCE(p.level, 0),"
    "  COALESCE(p.mgmt_category, 0), COALESCE(p.education, 0), COALESCE(p.political_theory, 0),"
    "  COALESCE(p.state_mgmt, 0), COALESCE(p.valid_from, ''), COALESCE(p.valid_to, '')"
    " FROM cadre AS c LEFT JOIN cadre_profile AS p ON p.cadre_id = c.id"
    " LEFT JOIN unit AS pu ON pu.id = p.unit_id"
    " WHERE" PROFILE_IN " AND (c.cadre_code, COALESCE(p.valid_from, '')) > (?6, ?7)"
    " ORDER BY c.cadre_code, COALESCE(p.valid_from, '') LIMIT ?11";

/* Classes: key (t1 end_date, t2 organiser code, t3 class_ref). */
static const char SQL_EXPORT_CLASSES[] =
    "WITH RECURSIVE " SUB_CTE " SELECT c.end_date, u.code, c.class_ref, 0, 0,"
    "  c.class_ref, u.code, c.title, c.kind, c.area, tg.code, COALESCE(t.code, ''), c.mode,"
    "  c.start_date, c.end_date, c.sessions, c.planned_trainees, c.status"
    " FROM class AS c JOIN unit AS u ON u.id = c.organiser_unit_id"
    " JOIN target_group AS tg ON tg.id = c.target_group_id"
    " LEFT JOIN term AS t ON t.id = c.planning_term_id"
    " WHERE" CLASS_IN " AND c.end_date BETWEEN ?3 AND ?4"
    " AND (c.end_date, u.code, c.class_ref) > (?6, ?7, ?8)"
    " ORDER BY c.end_date, u.code, c.class_ref LIMIT ?11";

/* Enrolments: key (n1 class id, n2 cadre id), the order of UNIQUE(class_id, cadre_id). */
static const char SQL_EXPORT_ENROLMENTS[] =
    "WITH RECURSIVE " SUB_CTE " SELECT '', '', '', e.class_id, e.cadre_id,"
    "  u.code, c.class_ref, cd.cadre_code, e.status, COALESCE(e.result, 0), e.attended,"
    "  e.absent_excused, e.absent_unexcused, e.thesis_score, e.certificate_no"
    " FROM enrolment AS e JOIN class AS c ON c.id = e.class_id"
    " JOIN unit AS u ON u.id = c.organiser_unit_id JOIN cadre AS cd ON cd.id = e.cadre_id"
    " WHERE" CLASS_IN " AND c.end_date BETWEEN ?3 AND ?4"
    " AND (e.class_id, e.cadre_id) > (?9, ?10)"
    " ORDER BY e.class_id, e.cadre_id LIMIT ?11";

/* Committee memberships: key (n1 id). */
static const char SQL_EXPORT_COMMITTEE[] =
    "WITH RECURSIVE " SUB_CTE " SELECT '', '', '', m.id, 0,"
    "  cd.cadre_code, u.code, t.code, m.body, m.role, m.start_date, COALESCE(m.end_date, '')"
    " FROM committee_membership AS m JOIN cadre AS cd ON cd.id = m.cadre_id"
    " JOIN unit AS u ON u.id = m.unit_id JOIN term AS t ON t.id = m.term_id"
    " WHERE" TERM_UNIT_IN("m.unit_id") " AND m.id > ?9 ORDER BY m.id LIMIT ?11";

/* Planning entries: key (n1 id). */
static const char SQL_EXPORT_PLANNING[] =
    "WITH RECURSIVE " SUB_CTE " SELECT '', '', '', p.id, 0,"
    "  cd.cadre_code, u.code, t.code, p.body_or_title, p.added_on, COALESCE(p.removed_on, '')"
    " FROM planning_entry AS p JOIN cadre AS cd ON cd.id = p.cadre_id"
    " JOIN unit AS u ON u.id = p.unit_id JOIN term AS t ON t.id = p.term_id"
    " WHERE" TERM_UNIT_IN("p.unit_id") " AND p.id > ?9 ORDER BY p.id LIMIT ?11";

/* Seat quotas: key (t1 unit code, t2 term code, n1 body_or_title). */
static const char SQL_EXPORT_SEATS[] =
    "WITH RECURSIVE " SUB_CTE " SELECT u.code, t.code, '', q.body_or_title, 0,"
    "  u.code, t.code, q.body_or_title, q.seats"
    " FROM seat_quota AS q JOIN unit AS u ON u.id = q.unit_id JOIN term AS t ON t.id = q.term_id"
    " WHERE" TERM_UNIT_IN("q.unit_id") " AND (u.code, t.code, q.body_or_title) > (?6, ?7, ?9)"
                                       " ORDER BY u.code, t.code, q.body_or_title LIMIT ?11";

/*
 * Reviews: key (n1 year, t1 cadre_code); the unit is the profile's on 31 Dec
 * of the year (review.unit_id, kept by the triggers of schema migration 7).
 */
static const char SQL_EXPORT_REVIEWS[] =
    "WITH RECURSIVE " SUB_CTE " SELECT cd.cadre_code, '', '', r.year, 0,"
    "  cd.cadre_code, r.year, r.annual_rating, r.meets_requirements, r.action, r.decision_ref"
    " FROM review AS r JOIN cadre AS cd ON cd.id = r.cadre_id"
    " WHERE (?5 = 0 OR r.year = ?5) AND" YEAR_UNIT_IN " AND (r.year, cd.cadre_code) > (?9, ?6)"
    " ORDER BY r.year, cd.cadre_code LIMIT ?11";

/* Reports: key (n1 year, t1 unit code). */
static const char SQL_EXPORT_REPORTS[] =
    "WITH RECURSIVE " SUB_CTE " SELECT u.code, '', '', r.year, 0,"
    "  u.code, r.year, r.status, COALESCE(r.submitted_at, ''), COALESCE(r.approved_at, ''),"
    "  r.return_reason"
    " FROM report AS r JOIN unit AS u ON u.id = r.unit_id"
    " WHERE" YEAR_UNIT_IN " AND (?5 = 0 OR r.year = ?5) AND (r.year, u.code) > (?9, ?6)"
    " ORDER BY r.year, u.code LIMIT ?11";

/* Term instances: key (t1 term code, t2 unit code). */
static const char SQL_EXPORT_TERM_INSTANCES[] =
    "WITH RECURSIVE " SUB_CTE " SELECT t.code, u.code, '', 0, 0,"
    "  t.code, u.code, ti.start_date, ti.end_date"
    " FROM term_instance AS ti JOIN term AS t ON t.id = ti.term_id"
    " JOIN unit AS u ON u.id = ti.unit_id"
    " WHERE" TERM_UNIT_IN("ti.unit_id") " AND (t.code, u.code) > (?6, ?7)"
                                        " ORDER BY t.code, u.code LIMIT ?11";

/* Targets: key (t1 indicator, t2 term code, t3 unit code, "" for no unit). */
static const char SQL_EXPORT_TARGETS[] =
    "WITH RECURSIVE " SUB_CTE " SELECT t.indicator, t.term_code, COALESCE(u.code, ''), 0, 0,"
    "  t.indicator, t.op, t.value, COALESCE(u.code, ''), t.term_code"
    " FROM target AS t LEFT JOIN unit AS u ON u.id = t.unit_id"
    " WHERE (t.indicator, t.term_code, COALESCE(u.code, '')) > (?6, ?7, ?8)"
    " AND" TARGET_IN " ORDER BY t.indicator, t.term_code, COALESCE(u.code, '') LIMIT ?11";

/* --- import batches --- */

enum nl_status nl_store_import_batch_get(struct nl_store *st, const char *batch_id,
                                         uint8_t hash[NL_IMPORT_HASH_LEN], uint8_t **resp,
                                         size_t *len, struct nl_arena *a)
{
    sqlite3_stmt *s = NULL;
    int row = 0;
    enum nl_status res =
        nl_store_find_by_code(st, SQL_BATCH_GET, batch_id, "bind batch id", &s, &row);

    *resp = NULL;
    *len = 0;
    if (res == NL_OK && !row)
        res = NL_NOT_FOUND;
    if (res == NL_OK) {
        const void *h = sqlite3_column_blob(s, 0);
        int hn = sqlite3_column_bytes(s, 0);
        const void *r = sqlite3_column_blob(s, 1);
        int rn = sqlite3_column_bytes(s, 1);

        if (h == NULL || hn != NL_IMPORT_HASH_LEN || rn < 0) {
            res = NL_DATA_LOSS;
        } else {
            memcpy(hash, h, NL_IMPORT_HASH_LEN);
            *resp = nl_arena_alloc(a, (size_t)rn);
            if (*resp == NULL) {
                res = NL_RESOURCE_EXHAUSTED;
            } else {
                if (rn > 0)
                    memcpy(*resp, r, (size_t)rn);
                *len = (size_t)rn;
            }
        }
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_import_batch_put(struct nl_store *st, const char *batch_id,
                                         const uint8_t hash[NL_IMPORT_HASH_LEN],
                                         const uint8_t *resp, size_t len)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_BATCH_PUT, &res);
    static const uint8_t empty[1] = {0};

    if (s == NULL)
        return res;
    if (len > (size_t)INT32_MAX)
        return NL_RESOURCE_EXHAUSTED;
    if (nl_store_bind_text(s, 1, batch_id) != SQLITE_OK ||
        sqlite3_bind_blob(s, 2, hash, NL_IMPORT_HASH_LEN, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_blob(s, 3, len > 0 ? (const void *)resp : (const void *)empty, (int)len,
                          SQLITE_STATIC) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind import batch");
    else
        res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    return res;
}

int64_t nl_store_change_count(struct nl_store *st)
{
    return (int64_t)sqlite3_total_changes64(st->db);
}

/* --- export --- */

/* Copies the key columns 0..4 of the current row into *k (strings in the arena). */
static enum nl_status key_cols(sqlite3_stmt *s, struct nl_export_key *k, struct nl_arena *a)
{
    k->t1 = nl_store_col_text(s, 0, a);
    k->t2 = nl_store_col_text(s, 1, a);
    k->t3 = nl_store_col_text(s, 2, a);
    k->n1 = sqlite3_column_int64(s, 3);
    k->n2 = sqlite3_column_int64(s, 4);
    return k->t1 != NULL && k->t2 != NULL && k->t3 != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

/* Text column KEY_NCOLS + i of the current row, in the arena (NULL when out of memory). */
static char *col_text(sqlite3_stmt *s, int i, struct nl_arena *a)
{
    return nl_store_col_text(s, KEY_NCOLS + i, a);
}

static int col_int(sqlite3_stmt *s, int i)
{
    return sqlite3_column_int(s, KEY_NCOLS + i);
}

/* 1 if any of the n pointers is NULL: an arena copy failed. */
static int any_null(const char *const *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == NULL)
            return 1;
    }
    return 0;
}

static enum nl_status unit_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_unit_rec *u = &r->r.unit;
    const char *p[5];

    u->code = p[0] = col_text(s, 0, a);
    u->name = p[1] = col_text(s, 1, a);
    u->kind = col_int(s, 2);
    u->parent = p[2] = col_text(s, 3, a);
    /* '0001-01-01' is "since always", which a record writes as "". */
    u->valid_from = p[3] =
        sqlite3_column_bytes(s, KEY_NCOLS + 4) == 10 && nl_store_col_eq(s, KEY_NCOLS + 4, DATE_MIN)
            ? nl_arena_strdup(a, "")
            : col_text(s, 4, a);
    u->valid_to = p[4] = col_text(s, 5, a);
    return any_null(p, 5) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status term_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_term_rec *t = &r->r.term;

    t->code = col_text(s, 0, a);
    t->kind = col_int(s, 1);
    t->start_year = col_int(s, 2);
    t->end_year = col_int(s, 3);
    return t->code != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

static int cmp_str(const void *x, const void *y)
{
    const char *const *a = x;
    const char *const *b = y;

    return strcmp(*a, *b);
}

/*
 * Splits "a,b,c" (column KEY_NCOLS + i; NULL = none) into a sorted arena
 * array of codes. Unit codes never hold a comma.
 */
static enum nl_status split_codes(sqlite3_stmt *s, int i, const char *const **out, size_t *n,
                                  struct nl_arena *a)
{
    char *all, *p;
    const char **arr;
    size_t cnt = 1, k = 0;

    *out = NULL;
    *n = 0;
    if (sqlite3_column_type(s, KEY_NCOLS + i) == SQLITE_NULL)
        return NL_OK;
    all = col_text(s, i, a);
    if (all == NULL)
        return NL_RESOURCE_EXHAUSTED;
    if (all[0] == '\0')
        return NL_OK;
    for (p = all; *p != '\0'; p++)
        cnt += *p == ',';
    arr = nl_arena_alloc(a, cnt * sizeof(*arr));
    if (arr == NULL)
        return NL_RESOURCE_EXHAUSTED;
    for (p = all;;) {
        char *comma = strchr(p, ',');

        arr[k++] = p;
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    qsort(arr, k, sizeof(*arr), cmp_str);
    *out = arr;
    *n = k;
    return NL_OK;
}

static enum nl_status event_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_unit_event_rec *e = &r->r.event;
    enum nl_status res;

    e->kind = col_int(s, 0);
    e->effective_date = col_text(s, 1, a);
    e->legal_basis = col_text(s, 2, a);
    if (e->effective_date == NULL || e->legal_basis == NULL)
        return NL_RESOURCE_EXHAUSTED;
    res = split_codes(s, 3, &e->sources, &e->nsources, a);
    if (res == NL_OK)
        res = split_codes(s, 4, &e->targets, &e->ntargets, a);
    return res;
}

static enum nl_status cadre_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_cadre_rec *c = &r->r.cadre.cadre;
    struct nl_cadre_profile_rec *p = &r->r.cadre.profile;
    const char *t[6];

    c->code = t[0] = col_text(s, 0, a);
    c->full_name = t[1] = col_text(s, 1, a);
    c->sex = col_int(s, 2);
    c->birth_year = col_int(s, 3);
    r->r.cadre.has_profile = col_int(s, 4);
    p->unit = t[2] = col_text(s, 5, a);
    p->position_title = t[3] = col_text(s, 6, a);
    p->key_cadre = col_int(s, 7);
    p->level = col_int(s, 8);
    p->mgmt_category = col_int(s, 9);
    p->education = col_int(s, 10);
    p->political_theory = col_int(s, 11);
    p->state_mgmt = col_int(s, 12);
    p->valid_from = t[4] = col_text(s, 13, a);
    p->valid_to = t[5] = col_text(s, 14, a);
    return any_null(t, 6) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status class_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_class_rec *c = &r->r.cls;
    const char *t[7];

    c->class_ref = t[0] = col_text(s, 0, a);
    c->organiser_unit = t[1] = col_text(s, 1, a);
    c->title = t[2] = col_text(s, 2, a);
    c->kind = col_int(s, 3);
    c->area = col_int(s, 4);
    c->target_group = t[3] = col_text(s, 5, a);
    c->planning_term = t[4] = col_text(s, 6, a);
    c->mode = col_int(s, 7);
    c->start_date = t[5] = col_text(s, 8, a);
    c->end_date = t[6] = col_text(s, 9, a);
    c->sessions = col_int(s, 10);
    c->planned_trainees = col_int(s, 11);
    c->status = col_int(s, 12);
    return any_null(t, 7) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status enrolment_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_enrolment_rec *e = &r->r.enrolment.e;
    const char *t[4];

    r->r.enrolment.organiser_unit = t[0] = col_text(s, 0, a);
    r->r.enrolment.class_ref = t[1] = col_text(s, 1, a);
    e->cadre_code = t[2] = col_text(s, 2, a);
    e->status = col_int(s, 3);
    e->result = col_int(s, 4);
    e->attended = col_int(s, 5);
    e->absent_excused = col_int(s, 6);
    e->absent_unexcused = col_int(s, 7);
    e->has_thesis = sqlite3_column_type(s, KEY_NCOLS + 8) != SQLITE_NULL;
    e->thesis_score = e->has_thesis ? sqlite3_column_double(s, KEY_NCOLS + 8) : 0.0;
    e->certificate_no = t[3] = col_text(s, 9, a);
    return any_null(t, 4) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status committee_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_export_committee *m = &r->r.committee;
    const char *t[5];

    m->cadre_code = t[0] = col_text(s, 0, a);
    m->unit = t[1] = col_text(s, 1, a);
    m->term = t[2] = col_text(s, 2, a);
    m->body = col_int(s, 3);
    m->role = col_int(s, 4);
    m->start_date = t[3] = col_text(s, 5, a);
    m->end_date = t[4] = col_text(s, 6, a);
    return any_null(t, 5) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status planning_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_export_planning *p = &r->r.planning;
    const char *t[5];

    p->cadre_code = t[0] = col_text(s, 0, a);
    p->unit = t[1] = col_text(s, 1, a);
    p->term = t[2] = col_text(s, 2, a);
    p->body_or_title = col_int(s, 3);
    p->added_on = t[3] = col_text(s, 4, a);
    p->removed_on = t[4] = col_text(s, 5, a);
    return any_null(t, 5) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status seats_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_export_seats *q = &r->r.seats;

    q->unit = col_text(s, 0, a);
    q->term = col_text(s, 1, a);
    q->body_or_title = col_int(s, 2);
    q->seats = col_int(s, 3);
    return q->unit != NULL && q->term != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

static enum nl_status review_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_export_review *v = &r->r.review;

    v->cadre_code = col_text(s, 0, a);
    v->year = col_int(s, 1);
    v->annual_rating = col_int(s, 2);
    v->meets_requirements = col_int(s, 3);
    v->action = col_int(s, 4);
    v->decision_ref = col_text(s, 5, a);
    return v->cadre_code != NULL && v->decision_ref != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

static enum nl_status report_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_export_report *p = &r->r.report;
    const char *t[4];

    p->unit = t[0] = col_text(s, 0, a);
    p->year = col_int(s, 1);
    p->status = col_int(s, 2);
    p->submitted_at = t[1] = col_text(s, 3, a);
    p->approved_at = t[2] = col_text(s, 4, a);
    p->return_reason = t[3] = col_text(s, 5, a);
    return any_null(t, 4) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status term_instance_row(sqlite3_stmt *s, struct nl_export_row *r,
                                        struct nl_arena *a)
{
    struct nl_term_instance_rec *ti = &r->r.term_instance;
    const char *t[4];

    ti->term = t[0] = col_text(s, 0, a);
    ti->unit = t[1] = col_text(s, 1, a);
    ti->start_date = t[2] = col_text(s, 2, a);
    ti->end_date = t[3] = col_text(s, 3, a);
    return any_null(t, 4) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status target_row(sqlite3_stmt *s, struct nl_export_row *r, struct nl_arena *a)
{
    struct nl_target_rec *t = &r->r.target;
    const char *p[5];

    t->indicator = p[0] = col_text(s, 0, a);
    t->op = p[1] = col_text(s, 1, a);
    t->value = p[2] = col_text(s, 2, a);
    t->unit = p[3] = col_text(s, 3, a);
    t->term = p[4] = col_text(s, 4, a);
    return any_null(p, 5) ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

typedef enum nl_status (*export_row_fn)(sqlite3_stmt *s, struct nl_export_row *r,
                                        struct nl_arena *a);

/* The query and the row reader of each kind, indexed by enum nl_export_kind. */
static const struct {
    const char *sql;
    export_row_fn row;
} kinds[] = {
    [NL_EXPORT_UNITS] = {SQL_EXPORT_UNITS, unit_row},
    [NL_EXPORT_TERMS] = {SQL_EXPORT_TERMS, term_row},
    [NL_EXPORT_UNIT_EVENTS] = {SQL_EXPORT_EVENTS, event_row},
    [NL_EXPORT_CADRES] = {SQL_EXPORT_CADRES, cadre_row},
    [NL_EXPORT_CLASSES] = {SQL_EXPORT_CLASSES, class_row},
    [NL_EXPORT_ENROLMENTS] = {SQL_EXPORT_ENROLMENTS, enrolment_row},
    [NL_EXPORT_COMMITTEE] = {SQL_EXPORT_COMMITTEE, committee_row},
    [NL_EXPORT_PLANNING] = {SQL_EXPORT_PLANNING, planning_row},
    [NL_EXPORT_SEATS] = {SQL_EXPORT_SEATS, seats_row},
    [NL_EXPORT_REVIEWS] = {SQL_EXPORT_REVIEWS, review_row},
    [NL_EXPORT_REPORTS] = {SQL_EXPORT_REPORTS, report_row},
    [NL_EXPORT_TERM_INSTANCES] = {SQL_EXPORT_TERM_INSTANCES, term_instance_row},
    [NL_EXPORT_TARGETS] = {SQL_EXPORT_TARGETS, target_row},
};

/* Reads the current row into *rec (its kind already set): the key, then the record. */
static enum nl_status export_copy(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_export_row *r = rec;
    enum nl_status res = key_cols(s, &r->key, a);

    if (res != NL_OK)
        return res;
    return kinds[r->kind].row(s, r, a);
}

/* Binds the export parameters (the layout of the file comment); ?12 where the kind has it. */
static int bind_export(sqlite3_stmt *s, int64_t unit_id, const char *today, const char *lo,
                       const char *hi, int year, const struct nl_export_key *k, size_t limit,
                       int64_t scope)
{
    int rc = sqlite3_bind_int64(s, 1, unit_id);

    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 2, today);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 3, lo);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 4, hi);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 5, year);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 6, k->t1 != NULL ? k->t1 : "");
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 7, k->t2 != NULL ? k->t2 : "");
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 8, k->t3 != NULL ? k->t3 : "");
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 9, k->n1);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 10, k->n2);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 11, (sqlite3_int64)limit + 1);
    if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s) >= 12)
        rc = sqlite3_bind_int64(s, 12, scope);
    return rc;
}

enum nl_status nl_store_export(struct nl_store *st, int kind, const struct nl_export_filter *f,
                               const struct nl_export_key *after, size_t limit,
                               struct nl_export_row **rows, size_t *n, int *more,
                               struct nl_arena *a)
{
    static const struct nl_export_key start = {"", "", "", 0, 0};
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = NULL;
    int64_t unit_id = 0;
    char lo[11] = DATE_MIN, hi[11] = DATE_MAX;
    int year = f != NULL ? f->year : 0;
    int row = 0;
    size_t cap, count = 0;
    struct nl_export_row *arr;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (kind < NL_EXPORT_UNITS || kind > NL_EXPORT_LAST || limit == 0)
        return NL_INVALID_ARGUMENT;
    if (f != NULL && f->unit != NULL && f->unit[0] != '\0') {
        res = nl_store_find_by_code(st, SQL_UNIT_ID, f->unit, "bind unit code", &s, &row);
        if (res == NL_OK && row)
            unit_id = sqlite3_column_int64(s, 0);
        nl_store_stmt_done(s);
        if (res == NL_OK && !row)
            res = NL_NOT_FOUND;
        if (res != NL_OK)
            return res;
    }
    if (year > 0 && year <= 9999) {
        nl_store_fmt_msg(lo, sizeof(lo), "%04d-01-01", year);
        nl_store_fmt_msg(hi, sizeof(hi), "%04d-12-31", year);
    }

    s = nl_store_stmt(st, kinds[kind].sql, &res);
    if (s == NULL)
        return res;
    if (bind_export(s, unit_id, f != NULL && f->today != NULL ? f->today : DATE_MAX, lo, hi, year,
                    after != NULL ? after : &start, limit, f != NULL ? f->scope : 0) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind export");
        goto out;
    }
    /*
     * Rows are collected here rather than with nl_store_collect_rows, whose
     * copy function has no way to learn the kind.
     */
    cap = limit < 64 ? limit : 64;
    arr = nl_arena_alloc(a, cap * sizeof(*arr));
    if (arr == NULL) {
        res = NL_RESOURCE_EXHAUSTED;
        goto out;
    }
    while ((res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        if (count == limit) {
            *more = 1;
            break;
        }
        if (count == cap) {
            size_t ncap = cap * 2 < limit ? cap * 2 : limit;
            struct nl_export_row *p = nl_arena_alloc(a, ncap * sizeof(*p));

            if (p == NULL) {
                res = NL_RESOURCE_EXHAUSTED;
                break;
            }
            memcpy(p, arr, count * sizeof(*p));
            arr = p;
            cap = ncap;
        }
        arr[count].kind = kind;
        res = export_copy(s, &arr[count], a);
        if (res != NL_OK)
            break;
        count++;
    }
    if (res == NL_OK) {
        *rows = arr;
        *n = count;
    } else {
        *more = 0;
    }
out:
    nl_store_stmt_done(s);
    return res;
}
