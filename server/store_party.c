/*
 * store_party.c - the typed queries of the party area: committee
 * memberships, seat quotas, planning entries and post-training reviews,
 * their lists, and the violations of the Politburo 3x3 planning rule
 * (store_party.h has the contracts).
 *
 * Part of the store module (store_int.h): every statement is a static string
 * prepared once per connection by nl_store_stmt() and reset after each use.
 * The four upserts share one shape (upsert_row): the row is read by its key
 * first and written only when it is new (INSERT) or its content differs
 * (UPDATE), so an exact replay writes nothing. References are resolved to
 * ids before anything is written, so a refused write leaves no trace.
 *
 * Every list walks the scope with NL_SUBTREE_CTE (store_party.h): the root
 * unit and, when the subtree flag is bound as 1, every unit under it with
 * the days it stands there; a row counts when its unit is in it on the
 * list's day (the as_of, or the term window's last day; a review's own 31
 * December), and in the caller's scope (NL_AUTH_SCOPE_SQL), both before the
 * LIMIT. Paging is keyset: a row value comparison against the last row of
 * the previous page, in the list's ORDER BY.
 */
#include <stdint.h>
#include <string.h>

#include "scope_auth.h"
#include "store.h"
#include "store_int.h"
#include "store_party.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/*
 * The scope of every list: ?1 root unit id, ?2 1 = with the subtree, ?3 the
 * day of the tree ("YYYY-MM-DD"; reviews: '' = each review's 31 December),
 * ?5 the caller's scope (scope_auth.h, 0 = unconfined).
 */
#define SUB_CTE            "WITH RECURSIVE" NL_SUBTREE_CTE("sub", "?1", "?2")
#define IN_SCOPE(col, day) NL_SUBTREE_ON("sub", col, day) "AND" NL_AUTH_SCOPE_SQL(col, "?5")

static const char SQL_CADRE_ID[] = "SELECT id FROM cadre WHERE cadre_code = ?1";
static const char SQL_TERM_ID[] = "SELECT id FROM term WHERE code = ?1";
/* The term's id and the last day of its window (term A-B: 31 Dec of B - 1, DOMAIN.md 4). */
static const char SQL_TERM_END[] =
    "SELECT id, printf('%04d-12-31', end_year - 1) FROM term WHERE code = ?1";
static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
/* The unit's id and whether it has a version valid on ?2 (any version when ?2 is NULL). */
static const char SQL_UNIT_AT[] =
    "SELECT u.id, EXISTS(SELECT 1 FROM unit_version AS v WHERE v.unit_id = u.id"
    " AND (?2 IS NULL OR (v.valid_from <= ?2 AND (v.valid_to IS NULL OR v.valid_to >= ?2))))"
    " FROM unit AS u WHERE u.code = ?1";

/*
 * The upserts: ?1..?k the key, ?k+1.. the content, in the column order of
 * each GET (which returns the content columns only).
 */
static const char SQL_MEMBER_GET[] =
    "SELECT role, start_date, end_date FROM committee_membership"
    " WHERE cadre_id = ?1 AND unit_id = ?2 AND term_id = ?3 AND body = ?4";
static const char SQL_MEMBER_INSERT[] =
    "INSERT INTO committee_membership(cadre_id, unit_id, term_id, body, role, start_date,"
    " end_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_MEMBER_UPDATE[] =
    "UPDATE committee_membership SET role = ?5, start_date = ?6, end_date = ?7,"
    " updated_at = " NOW_SQL " WHERE cadre_id = ?1 AND unit_id = ?2 AND term_id = ?3 AND body = ?4";

static const char SQL_QUOTA_GET[] =
    "SELECT seats FROM seat_quota WHERE unit_id = ?1 AND term_id = ?2 AND body_or_title = ?3";
static const char SQL_QUOTA_INSERT[] =
    "INSERT INTO seat_quota(unit_id, term_id, body_or_title, seats) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_QUOTA_UPDATE[] =
    "UPDATE seat_quota SET seats = ?4, updated_at = " NOW_SQL
    " WHERE unit_id = ?1 AND term_id = ?2 AND body_or_title = ?3";

static const char SQL_PLAN_GET[] =
    "SELECT added_on, removed_on FROM planning_entry"
    " WHERE cadre_id = ?1 AND unit_id = ?2 AND term_id = ?3 AND body_or_title = ?4";
static const char SQL_PLAN_INSERT[] =
    "INSERT INTO planning_entry(cadre_id, unit_id, term_id, body_or_title, added_on, removed_on)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_PLAN_UPDATE[] =
    "UPDATE planning_entry SET added_on = ?5, removed_on = ?6, updated_at = " NOW_SQL
    " WHERE cadre_id = ?1 AND unit_id = ?2 AND term_id = ?3 AND body_or_title = ?4";

static const char SQL_REVIEW_GET[] =
    "SELECT annual_rating, meets_requirements, action, decision_ref FROM review"
    " WHERE cadre_id = ?1 AND year = ?2";
static const char SQL_REVIEW_INSERT[] =
    "INSERT INTO review(cadre_id, year, annual_rating, meets_requirements, action, decision_ref)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_REVIEW_UPDATE[] =
    "UPDATE review SET annual_rating = ?3, meets_requirements = ?4, action = ?5,"
    " decision_ref = ?6, updated_at = " NOW_SQL " WHERE cadre_id = ?1 AND year = ?2";

/* The lists: ?4 the term id (reviews: the year, 0 = any), then the keyset, then LIMIT. */
#define MEMBER_IN IN_SCOPE("m.unit_id", "?3")
static const char SQL_MEMBER_LIST[] =
    SUB_CTE " SELECT c.cadre_code, u.code, t.code, m.body, m.role, m.start_date,"
            " COALESCE(m.end_date, '')"
            " FROM committee_membership AS m JOIN unit AS u ON u.id = m.unit_id"
            " JOIN cadre AS c ON c.id = m.cadre_id JOIN term AS t ON t.id = m.term_id"
            " WHERE m.term_id = ?4 AND" MEMBER_IN "AND"
            " (u.code, m.body, m.role, c.cadre_code) > (?6, ?7, ?8, ?9)"
            " ORDER BY u.code, m.body, m.role, c.cadre_code LIMIT ?10";
#define QUOTA_IN IN_SCOPE("q.unit_id", "?3")
static const char SQL_QUOTA_LIST[] =
    SUB_CTE " SELECT u.code, t.code, q.body_or_title, q.seats"
            " FROM seat_quota AS q JOIN unit AS u ON u.id = q.unit_id"
            " JOIN term AS t ON t.id = q.term_id"
            " WHERE q.term_id = ?4 AND" QUOTA_IN "AND (u.code, q.body_or_title) > (?6, ?7)"
            " ORDER BY u.code, q.body_or_title LIMIT ?8";
#define PLAN_IN IN_SCOPE("p.unit_id", "?3")
static const char SQL_PLAN_LIST[] =
    SUB_CTE " SELECT c.cadre_code, u.code, t.code, p.body_or_title, p.added_on,"
            " COALESCE(p.removed_on, '')"
            " FROM planning_entry AS p JOIN unit AS u ON u.id = p.unit_id"
            " JOIN cadre AS c ON c.id = p.cadre_id JOIN term AS t ON t.id = p.term_id"
            " WHERE p.term_id = ?4 AND" PLAN_IN "AND"
            " (u.code, p.body_or_title, c.cadre_code) > (?6, ?7, ?8)"
            " ORDER BY u.code, p.body_or_title, c.cadre_code LIMIT ?9";
/*
 * A review belongs to the unit of the cadre's profile valid on 31 December
 * of its year (review.unit_id, kept by the triggers of schema migration 7;
 * NULL without a profile then: under no unit), and is in the tree of ?3, or
 * without one of that 31 December.
 */
#define REVIEW_IN IN_SCOPE("r.unit_id", "COALESCE(NULLIF(?3, ''), printf('%04d-12-31', r.year))")
static const char SQL_REVIEW_LIST[] =
    SUB_CTE " SELECT c.cadre_code, r.year, r.annual_rating, r.meets_requirements, r.action,"
            " r.decision_ref"
            " FROM review AS r JOIN cadre AS c ON c.id = r.cadre_id"
            " WHERE (?4 = 0 OR r.year = ?4) AND" REVIEW_IN "AND (r.year, c.cadre_code) > (?6, ?7)"
            " ORDER BY r.year, c.cadre_code LIMIT ?8";
/*
 * The 3x3 rule over the entries active on ?3: ?6..?7 the title values, ?8
 * the most allowed, ?9 LIMIT. Title breaches carry cadre '' and sort first.
 */
static const char SQL_PLAN_VIOLATIONS[] =
    SUB_CTE ", act AS (SELECT p.unit_id, p.cadre_id, p.body_or_title FROM planning_entry AS p"
            " WHERE p.term_id = ?4 AND p.body_or_title BETWEEN ?6 AND ?7"
            " AND p.added_on <= ?3 AND (p.removed_on IS NULL OR p.removed_on > ?3)"
            " AND" PLAN_IN ")"
            " SELECT u.code, '', a.body_or_title, count(*) FROM act AS a"
            " JOIN unit AS u ON u.id = a.unit_id"
            " GROUP BY a.unit_id, a.body_or_title HAVING count(*) > ?8"
            " UNION ALL"
            " SELECT u.code, c.cadre_code, 0, count(*) FROM act AS a"
            " JOIN unit AS u ON u.id = a.unit_id JOIN cadre AS c ON c.id = a.cadre_id"
            " GROUP BY a.unit_id, a.cadre_id HAVING count(*) > ?8"
            " ORDER BY 1, 2, 3 LIMIT ?9";

/* --- references --- */

/*
 * The id of the row `sql` finds for `code` (?1) into *id; 0 when there is
 * none. NL_OK or a mapped status.
 */
static enum nl_status id_of(struct nl_store *st, const char *sql, const char *code,
                            sqlite3_int64 *id)
{
    sqlite3_stmt *s = NULL;
    int row = 0;
    enum nl_status res = nl_store_find_by_code(st, sql, code, "bind party reference", &s, &row);

    *id = 0;
    if (res == NL_OK && row)
        *id = sqlite3_column_int64(s, 0);
    nl_store_stmt_done(s);
    return res;
}

/* The cadre's id, or INVALID_ARGUMENT "<obj>.cadre_code: no such cadre". */
static enum nl_status cadre_ref(struct nl_store *st, const char *obj, const char *code,
                                sqlite3_int64 *id, char *msg, size_t msglen)
{
    enum nl_status res = id_of(st, SQL_CADRE_ID, code, id);

    if (res == NL_OK && *id == 0) {
        nl_store_fmt_msg(msg, msglen, "%s.cadre_code: no such cadre", obj);
        res = NL_INVALID_ARGUMENT;
    }
    return res;
}

/* The term's id, or INVALID_ARGUMENT "<obj>.term: no such term". */
static enum nl_status term_ref(struct nl_store *st, const char *obj, const char *code,
                               sqlite3_int64 *id, char *msg, size_t msglen)
{
    enum nl_status res = id_of(st, SQL_TERM_ID, code, id);

    if (res == NL_OK && *id == 0) {
        nl_store_fmt_msg(msg, msglen, "%s.term: no such term", obj);
        res = NL_INVALID_ARGUMENT;
    }
    return res;
}

/*
 * The unit's id; INVALID_ARGUMENT "<obj>.unit: ..." when there is no such
 * unit or, with `date` (named `date_field` in the message), it has no
 * version valid on that day (without: no version at all).
 */
static enum nl_status unit_ref(struct nl_store *st, const char *obj, const char *code,
                               const char *date, const char *date_field, sqlite3_int64 *id,
                               char *msg, size_t msglen)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_UNIT_AT, &res);
    int row = 0;

    *id = 0;
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, code) != SQLITE_OK ||
        (date != NULL ? nl_store_bind_text(s, 2, date) : sqlite3_bind_null(s, 2)) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind party unit");
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res != NL_OK)
        goto out;
    if (!row) {
        nl_store_fmt_msg(msg, msglen, "%s.unit: no such unit", obj);
        res = NL_INVALID_ARGUMENT;
    } else if (sqlite3_column_int(s, 1) == 0) {
        if (date != NULL)
            nl_store_fmt_msg(msg, msglen, "%s.unit: the unit is not valid on %s.%s", obj, obj,
                             date_field);
        else
            nl_store_fmt_msg(msg, msglen, "%s.unit: no such unit", obj);
        res = NL_INVALID_ARGUMENT;
    } else {
        *id = sqlite3_column_int64(s, 0);
    }
out:
    nl_store_stmt_done(s);
    return res;
}

/* --- the shared upsert --- */

/* A bound value: text (NULL when empty and `null_if_empty`) or an integer. */
struct pval {
    int text;
    const char *s;
    sqlite3_int64 i;
    int null_if_empty;
};

#define PV_INT(v)                                                                                  \
    {                                                                                              \
        0, NULL, (sqlite3_int64)(v), 0                                                             \
    }
#define PV_TEXT(v)                                                                                 \
    {                                                                                              \
        1, (v), 0, 0                                                                               \
    }
#define PV_OPT_TEXT(v)                                                                             \
    {                                                                                              \
        1, (v), 0, 1                                                                               \
    }

struct upsert_sql {
    const char *get; /* the content columns of the row with key ?1..?k */
    const char *ins; /* ?1..?k+c */
    const char *upd; /* sets ?k+1..?k+c where the key is ?1..?k */
};

/* Binds v[0..n-1] as ?1..?n, only as far as the statement has parameters. */
static int bind_vals(sqlite3_stmt *s, const struct pval *v, size_t n)
{
    int max = sqlite3_bind_parameter_count(s);

    for (size_t j = 0; j < n && (int)j < max; j++) {
        int i = (int)j + 1, rc;

        if (!v[j].text)
            rc = sqlite3_bind_int64(s, i, v[j].i);
        else if (v[j].null_if_empty && (v[j].s == NULL || v[j].s[0] == '\0'))
            rc = sqlite3_bind_null(s, i);
        else
            rc = nl_store_bind_text(s, i, v[j].s != NULL ? v[j].s : "");
        if (rc != SQLITE_OK)
            return -1;
    }
    return 0;
}

/* 1 if the GET row's content columns equal v[0..n-1] (an empty optional text equals NULL). */
static int content_equal(sqlite3_stmt *s, const struct pval *v, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        int c = (int)j;

        if (v[j].text) {
            if (!nl_store_col_eq(s, c, v[j].s != NULL ? v[j].s : ""))
                return 0;
        } else if (sqlite3_column_type(s, c) != SQLITE_INTEGER ||
                   sqlite3_column_int64(s, c) != v[j].i) {
            return 0;
        }
    }
    return 1;
}

/*
 * Upserts the row whose key is v[0..nkey-1] with content v[nkey..nkey+nval-1]:
 * inserts it, updates it when its content differs, or writes nothing.
 * *outcome gets the enum nl_write_outcome.
 */
static enum nl_status upsert_row(struct nl_store *st, const struct upsert_sql *q,
                                 const struct pval *v, size_t nkey, size_t nval, int *outcome,
                                 const char *what)
{
    sqlite3_stmt *s = NULL;
    enum nl_status res = NL_OK;
    int row = 0, same = 0;

    s = nl_store_stmt(st, q->get, &res);
    if (s == NULL)
        return res;
    if (bind_vals(s, v, nkey) != 0) {
        res = nl_store_bind_fail(st, what);
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res != NL_OK)
        goto out;
    if (row)
        same = content_equal(s, v + nkey, nval);
    nl_store_stmt_done(s);
    s = NULL;
    if (row && same) {
        *outcome = NL_WRITE_UNCHANGED;
        goto out;
    }
    s = nl_store_stmt(st, row ? q->upd : q->ins, &res);
    if (s == NULL)
        goto out;
    if (bind_vals(s, v, nkey + nval) != 0) {
        res = nl_store_bind_fail(st, what);
        goto out;
    }
    res = nl_store_step_write(st, s);
    if (res == NL_OK)
        *outcome = row ? NL_WRITE_UPDATED : NL_WRITE_CREATED;
out:
    nl_store_stmt_done(s);
    return res;
}

/* --- the writes --- */

enum nl_status nl_store_membership_upsert(struct nl_store *st, const struct nl_membership_rec *m,
                                          int *outcome, char *msg, size_t msglen)
{
    static const struct upsert_sql q = {SQL_MEMBER_GET, SQL_MEMBER_INSERT, SQL_MEMBER_UPDATE};
    sqlite3_int64 cadre = 0, unit = 0, term = 0;
    enum nl_status res;

    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = cadre_ref(st, "membership", m->cadre_code, &cadre, msg, msglen);
    if (res == NL_OK)
        res = unit_ref(st, "membership", m->unit, m->start_date, "start_date", &unit, msg, msglen);
    if (res == NL_OK)
        res = term_ref(st, "membership", m->term, &term, msg, msglen);
    if (res == NL_OK) {
        const struct pval v[] = {
            PV_INT(cadre),
            PV_INT(unit),
            PV_INT(term),
            PV_INT(m->body),
            PV_INT(m->role),
            PV_TEXT(m->start_date),
            PV_OPT_TEXT(m->end_date),
        };
        res = upsert_row(st, &q, v, 4, 3, outcome, "bind membership");
    }
    nl_store_default_msg(res, msg, msglen);
    return res;
}

enum nl_status nl_store_seat_quota_set(struct nl_store *st, const struct nl_seat_quota_rec *qr,
                                       int *outcome, char *msg, size_t msglen)
{
    static const struct upsert_sql q = {SQL_QUOTA_GET, SQL_QUOTA_INSERT, SQL_QUOTA_UPDATE};
    sqlite3_int64 unit = 0, term = 0;
    enum nl_status res;

    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = unit_ref(st, "quota", qr->unit, NULL, NULL, &unit, msg, msglen);
    if (res == NL_OK)
        res = term_ref(st, "quota", qr->term, &term, msg, msglen);
    if (res == NL_OK) {
        const struct pval v[] = {
            PV_INT(unit),
            PV_INT(term),
            PV_INT(qr->body_or_title),
            PV_INT(qr->seats),
        };
        res = upsert_row(st, &q, v, 3, 1, outcome, "bind seat quota");
    }
    nl_store_default_msg(res, msg, msglen);
    return res;
}

enum nl_status nl_store_planning_upsert(struct nl_store *st, const struct nl_planning_rec *p,
                                        int *outcome, char *msg, size_t msglen)
{
    static const struct upsert_sql q = {SQL_PLAN_GET, SQL_PLAN_INSERT, SQL_PLAN_UPDATE};
    sqlite3_int64 cadre = 0, unit = 0, term = 0;
    enum nl_status res;

    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = cadre_ref(st, "entry", p->cadre_code, &cadre, msg, msglen);
    if (res == NL_OK)
        res = unit_ref(st, "entry", p->unit, p->added_on, "added_on", &unit, msg, msglen);
    if (res == NL_OK)
        res = term_ref(st, "entry", p->term, &term, msg, msglen);
    if (res == NL_OK) {
        const struct pval v[] = {
            PV_INT(cadre),        PV_INT(unit),
            PV_INT(term),         PV_INT(p->body_or_title),
            PV_TEXT(p->added_on), PV_OPT_TEXT(p->removed_on),
        };
        res = upsert_row(st, &q, v, 4, 2, outcome, "bind planning entry");
    }
    nl_store_default_msg(res, msg, msglen);
    return res;
}

enum nl_status nl_store_review_upsert(struct nl_store *st, const struct nl_review_rec *r,
                                      int *outcome, char *msg, size_t msglen)
{
    static const struct upsert_sql q = {SQL_REVIEW_GET, SQL_REVIEW_INSERT, SQL_REVIEW_UPDATE};
    sqlite3_int64 cadre = 0;
    enum nl_status res;

    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = cadre_ref(st, "review", r->cadre_code, &cadre, msg, msglen);
    if (res == NL_OK) {
        const struct pval v[] = {
            PV_INT(cadre),
            PV_INT(r->year),
            PV_INT(r->annual_rating),
            PV_INT(r->meets_requirements ? 1 : 0),
            PV_INT(r->action),
            PV_TEXT(r->decision_ref != NULL ? r->decision_ref : ""),
        };
        res = upsert_row(st, &q, v, 2, 4, outcome, "bind review");
    }
    nl_store_default_msg(res, msg, msglen);
    return res;
}

/* --- the lists --- */

#define DAY_LEN 11 /* "YYYY-MM-DD" and its NUL */

/*
 * The term's id into *term and the last day of its window into end
 * (DAY_LEN bytes); *term = 0 when no term has the code.
 */
static enum nl_status term_end_of(struct nl_store *st, const char *code, sqlite3_int64 *term,
                                  char end[DAY_LEN])
{
    sqlite3_stmt *s = NULL;
    int row = 0;
    enum nl_status res = nl_store_find_by_code(st, SQL_TERM_END, code, "bind term code", &s, &row);

    *term = 0;
    end[0] = '\0';
    if (res == NL_OK && row) {
        const unsigned char *t = sqlite3_column_text(s, 1);
        *term = sqlite3_column_int64(s, 0);
        if (t != NULL && strlen((const char *)t) == DAY_LEN - 1)
            memcpy(end, t, DAY_LEN);
        else
            res = NL_INTERNAL; /* end_year is an integer of 1..9999 (term checks) */
    }
    nl_store_stmt_done(s);
    return res;
}

/*
 * The scope's root unit id, (when `need_term`) term id and the day of its
 * tree into `day` (DAY_LEN bytes): sc->as_of, else with a term the last day
 * of its window, else "" (each row's own day). NOT_FOUND with msg.
 */
static enum nl_status scope_ids(struct nl_store *st, const struct nl_party_scope *sc, int need_term,
                                sqlite3_int64 *root, sqlite3_int64 *term, char day[DAY_LEN],
                                char *msg, size_t msglen)
{
    enum nl_status res = id_of(st, SQL_UNIT_ID, sc->unit, root);

    *term = 0;
    day[0] = '\0';
    if (res == NL_OK && *root == 0) {
        nl_store_fmt_msg(msg, msglen, "unit not found");
        return NL_NOT_FOUND;
    }
    if (res == NL_OK && need_term) {
        res = term_end_of(st, sc->term, term, day);
        if (res == NL_OK && *term == 0) {
            nl_store_fmt_msg(msg, msglen, "term not found");
            return NL_NOT_FOUND;
        }
    }
    if (res == NL_OK && sc->as_of != NULL && sc->as_of[0] != '\0')
        nl_store_fmt_msg(day, DAY_LEN, "%s", sc->as_of);
    return res;
}

/*
 * Runs list statement `sql` of the scope: binds ?1..?5 (root, subtree, the
 * day of the tree, the term id or year `p4`, the caller's scope), then
 * `keys` as ?6.., then the LIMIT (limit + 1: the extra row tells whether
 * another page follows), and collects the rows with `copy`.
 */
static enum nl_status run_list(struct nl_store *st, const char *sql,
                               const struct nl_party_scope *sc, sqlite3_int64 root, const char *day,
                               sqlite3_int64 p4, const struct pval *keys, size_t nkeys,
                               sqlite3_int64 lim, nl_store_row_fn copy, size_t elem, size_t limit,
                               void **rows, size_t *n, int *more, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, sql, &res);
    int i = 6;

    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, root) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, sc->subtree ? 1 : 0) != SQLITE_OK ||
        nl_store_bind_text(s, 3, day) != SQLITE_OK || sqlite3_bind_int64(s, 4, p4) != SQLITE_OK ||
        sqlite3_bind_int64(s, 5, sc->scope) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind party list");
        goto out;
    }
    for (size_t j = 0; j < nkeys; j++, i++) {
        int rc = keys[j].text ? nl_store_bind_text(s, i, keys[j].s != NULL ? keys[j].s : "")
                              : sqlite3_bind_int64(s, i, keys[j].i);
        if (rc != SQLITE_OK) {
            res = nl_store_bind_fail(st, "bind party list key");
            goto out;
        }
    }
    if (sqlite3_bind_int64(s, i, lim) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind party list limit");
        goto out;
    }
    res = nl_store_collect_rows(st, s, copy, elem, limit, rows, n, more, a);
out:
    nl_store_stmt_done(s);
    return res;
}

static sqlite3_int64 limit_plus_one(size_t limit)
{
    return limit >= (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit + 1;
}

static enum nl_status membership_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_membership_rec *m = rec;

    m->cadre_code = nl_store_col_text(s, 0, a);
    m->unit = nl_store_col_text(s, 1, a);
    m->term = nl_store_col_text(s, 2, a);
    m->body = sqlite3_column_int(s, 3);
    m->role = sqlite3_column_int(s, 4);
    m->start_date = nl_store_col_text(s, 5, a);
    m->end_date = nl_store_col_text(s, 6, a);
    return m->cadre_code == NULL || m->unit == NULL || m->term == NULL || m->start_date == NULL ||
                   m->end_date == NULL
               ? NL_RESOURCE_EXHAUSTED
               : NL_OK;
}

static enum nl_status quota_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_seat_quota_rec *q = rec;

    q->unit = nl_store_col_text(s, 0, a);
    q->term = nl_store_col_text(s, 1, a);
    q->body_or_title = sqlite3_column_int(s, 2);
    q->seats = sqlite3_column_int(s, 3);
    return q->unit == NULL || q->term == NULL ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status planning_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_planning_rec *p = rec;

    p->cadre_code = nl_store_col_text(s, 0, a);
    p->unit = nl_store_col_text(s, 1, a);
    p->term = nl_store_col_text(s, 2, a);
    p->body_or_title = sqlite3_column_int(s, 3);
    p->added_on = nl_store_col_text(s, 4, a);
    p->removed_on = nl_store_col_text(s, 5, a);
    return p->cadre_code == NULL || p->unit == NULL || p->term == NULL || p->added_on == NULL ||
                   p->removed_on == NULL
               ? NL_RESOURCE_EXHAUSTED
               : NL_OK;
}

static enum nl_status review_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_review_rec *r = rec;

    r->cadre_code = nl_store_col_text(s, 0, a);
    r->year = sqlite3_column_int(s, 1);
    r->annual_rating = sqlite3_column_int(s, 2);
    r->meets_requirements = sqlite3_column_int(s, 3);
    r->action = sqlite3_column_int(s, 4);
    r->decision_ref = nl_store_col_text(s, 5, a);
    return r->cadre_code == NULL || r->decision_ref == NULL ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status violation_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_planning_violation_rec *v = rec;

    v->unit = nl_store_col_text(s, 0, a);
    v->term = ""; /* filled by the caller: one term per list */
    v->cadre_code = nl_store_col_text(s, 1, a);
    v->body_or_title = sqlite3_column_int(s, 2);
    v->count = sqlite3_column_int(s, 3);
    return v->unit == NULL || v->cadre_code == NULL ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

/* Clears the counts of a list and its message. */
static void list_start(size_t *n, int *more, char *msg, size_t msglen)
{
    *n = 0;
    *more = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");
}

/*
 * The common shape of the party lists: clear the counts, resolve the scope
 * (and the term when need_term; else the scope's year is the 4th
 * parameter), then one page of `sql` after `keys`, at most `limit` rows into
 * an arena array of `elem`-byte records.
 */
static enum nl_status party_list(struct nl_store *st, const struct nl_party_scope *sc,
                                 int need_term, const char *sql, const struct pval *keys,
                                 size_t nkeys, nl_store_row_fn copy, size_t elem, size_t limit,
                                 void **rows, size_t *n, int *more, struct nl_arena *a, char *msg,
                                 size_t msglen)
{
    sqlite3_int64 root = 0, term = 0;
    char day[DAY_LEN];
    enum nl_status res;

    *rows = NULL;
    list_start(n, more, msg, msglen);
    res = scope_ids(st, sc, need_term, &root, &term, day, msg, msglen);
    if (res == NL_OK)
        res = run_list(st, sql, sc, root, day, need_term ? term : sc->year, keys, nkeys,
                       limit_plus_one(limit), copy, elem, limit, rows, n, more, a);
    nl_store_default_msg(res, msg, msglen);
    return res;
}

enum nl_status nl_store_membership_list(struct nl_store *st, const struct nl_party_scope *sc,
                                        const struct nl_party_key *after, size_t limit,
                                        struct nl_membership_rec **rows, size_t *n, int *more,
                                        struct nl_arena *a, char *msg, size_t msglen)
{
    const struct pval keys[] = {PV_TEXT(after->unit), PV_INT(after->k1), PV_INT(after->k2),
                                PV_TEXT(after->cadre_code)};

    void *arr = NULL;
    enum nl_status res = party_list(st, sc, 1, SQL_MEMBER_LIST, keys, 4, membership_row,
                                    sizeof(**rows), limit, &arr, n, more, a, msg, msglen);

    *rows = arr;
    return res;
}

enum nl_status nl_store_seat_quota_list(struct nl_store *st, const struct nl_party_scope *sc,
                                        const struct nl_party_key *after, size_t limit,
                                        struct nl_seat_quota_rec **rows, size_t *n, int *more,
                                        struct nl_arena *a, char *msg, size_t msglen)
{
    const struct pval keys[] = {PV_TEXT(after->unit), PV_INT(after->k1)};

    void *arr = NULL;
    enum nl_status res = party_list(st, sc, 1, SQL_QUOTA_LIST, keys, 2, quota_row, sizeof(**rows),
                                    limit, &arr, n, more, a, msg, msglen);

    *rows = arr;
    return res;
}

enum nl_status nl_store_planning_list(struct nl_store *st, const struct nl_party_scope *sc,
                                      const struct nl_party_key *after, size_t limit,
                                      struct nl_planning_rec **rows, size_t *n, int *more,
                                      struct nl_arena *a, char *msg, size_t msglen)
{
    const struct pval keys[] = {PV_TEXT(after->unit), PV_INT(after->k1),
                                PV_TEXT(after->cadre_code)};

    void *arr = NULL;
    enum nl_status res = party_list(st, sc, 1, SQL_PLAN_LIST, keys, 3, planning_row, sizeof(**rows),
                                    limit, &arr, n, more, a, msg, msglen);

    *rows = arr;
    return res;
}

enum nl_status nl_store_review_list(struct nl_store *st, const struct nl_party_scope *sc,
                                    const struct nl_party_key *after, size_t limit,
                                    struct nl_review_rec **rows, size_t *n, int *more,
                                    struct nl_arena *a, char *msg, size_t msglen)
{
    /* Reviews are scoped by year, not by term (need_term 0). */
    const struct pval keys[] = {PV_INT(after->k1), PV_TEXT(after->cadre_code)};
    void *arr = NULL;
    enum nl_status res = party_list(st, sc, 0, SQL_REVIEW_LIST, keys, 2, review_row, sizeof(**rows),
                                    limit, &arr, n, more, a, msg, msglen);

    *rows = arr;
    return res;
}

enum nl_status nl_store_planning_violations(struct nl_store *st, const struct nl_party_scope *sc,
                                            struct nl_planning_violation_rec **rows, size_t *n,
                                            int *truncated, struct nl_arena *a, char *msg,
                                            size_t msglen)
{
    const struct pval keys[] = {PV_INT(NL_PARTY_TITLE_MIN), PV_INT(NL_PARTY_TITLE_MAX),
                                PV_INT(NL_PARTY_RULE_LIMIT)};
    enum nl_status res;

    void *arr = NULL;

    res = party_list(st, sc, 1, SQL_PLAN_VIOLATIONS, keys, 3, violation_row, sizeof(**rows),
                     NL_PARTY_VIOLATION_MAX, &arr, n, truncated, a, msg, msglen);
    *rows = arr;
    if (res == NL_OK && *n > 0) {
        const char *t = nl_arena_strdup(a, sc->term);
        if (t == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        for (size_t i = 0; t != NULL && i < *n; i++)
            (*rows)[i].term = t;
    }
    nl_store_default_msg(res, msg, msglen);
    return res;
}
