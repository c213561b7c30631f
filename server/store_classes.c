/*
 * store_classes.c - the typed queries of the training area: classes and
 * their enrolments (store_classes.h).
 *
 * Part of the store module (store_int.h): each statement is a static string
 * prepared once per connection through nl_store_stmt(). Upserts never read a
 * row to compare it in C: an UPDATE whose WHERE clause also asks "does any
 * column differ" changes a row only when its content changes, and an INSERT
 * ... ON CONFLICT DO NOTHING adds it only when it is new, so sqlite3_changes()
 * after each tells UPDATED, CREATED or UNCHANGED, and an exact replay writes
 * nothing at all. Every reference (unit, target group, term, cadres) is
 * resolved before the first write, so a refused request stops before it has
 * touched a row; the writer's savepoint covers the failures that come later
 * (the size cap, I/O).
 *
 * Nothing on the write path reads a class's enrolments as a whole: a class
 * of 5,000 trainees costs the same per enrolment written as a class of 10
 * (an enrolments import writes one row per call). The size cap reads the
 * class's row count, which triggers keep (schema 12), rather than counting.
 *
 * The unit filter of the list walks unit_version down from the unit with a
 * recursive CTE that carries, for each descendant, the date interval over
 * which it is under the unit (the intersection of the parent links on the
 * way); a class matches when its organiser is such a descendant on its
 * end_date, so a class stays with the subtree it belonged to when it ended.
 */
#include <string.h>

#include "../common/date.h"
#include "scope_auth.h"
#include "store.h"
#include "store_catalog.h"
#include "store_classes.h"
#include "store_int.h"
#include "store_reports.h"

#define DATE_MIN "0001-01-01"
#define DATE_MAX "9999-12-31"
#define NOW_UTC  "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* The unit's id and whether a version of it is valid on ?2 and on ?3. */
static const char SQL_UNIT_DATES[] =
    "SELECT u.id,"
    " EXISTS(SELECT 1 FROM unit_version AS v WHERE v.unit_id = u.id AND v.valid_from <= ?2"
    "        AND (v.valid_to IS NULL OR v.valid_to >= ?2)),"
    " EXISTS(SELECT 1 FROM unit_version AS v WHERE v.unit_id = u.id AND v.valid_from <= ?3"
    "        AND (v.valid_to IS NULL OR v.valid_to >= ?3))"
    " FROM unit AS u WHERE u.code = ?1";
static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
static const char SQL_TERM_ID[] = "SELECT id FROM term WHERE code = ?1";
static const char SQL_TERM_YEARS[] = "SELECT start_year, end_year FROM term WHERE code = ?1";
/* Cadres are the cadres slice's table; this area only needs the id of a code. */
static const char SQL_CADRE_ID[] = "SELECT id FROM cadre WHERE cadre_code = ?1";

/* ?1 organiser id, ?2 class_ref, ?3..?13 the class's other columns. */
static const char SQL_CLASS_UPDATE[] =
    "UPDATE class SET title = ?3, kind = ?4, area = ?5, target_group_id = ?6,"
    " planning_term_id = ?7, mode = ?8, start_date = ?9, end_date = ?10, sessions = ?11,"
    " planned_trainees = ?12, status = ?13, updated_at = " NOW_UTC
    " WHERE organiser_unit_id = ?1 AND class_ref = ?2"
    " AND (title IS NOT ?3 OR kind IS NOT ?4 OR area IS NOT ?5 OR target_group_id IS NOT ?6"
    " OR planning_term_id IS NOT ?7 OR mode IS NOT ?8 OR start_date IS NOT ?9"
    " OR end_date IS NOT ?10 OR sessions IS NOT ?11 OR planned_trainees IS NOT ?12"
    " OR status IS NOT ?13)";
static const char SQL_CLASS_INSERT[] =
    "INSERT INTO class(organiser_unit_id, class_ref, title, kind, area, target_group_id,"
    " planning_term_id, mode, start_date, end_date, sessions, planned_trainees, status)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    " ON CONFLICT(organiser_unit_id, class_ref) DO NOTHING";
static const char SQL_CLASS_ID[] =
    "SELECT id FROM class WHERE organiser_unit_id = ?1 AND class_ref = ?2";
/* The class's enrolments, all of them, as schema 12's triggers keep the count. */
static const char SQL_CLASS_COUNT[] = "SELECT n_rows FROM class WHERE id = ?1";

/* ?1 class id, ?2 cadre id, ?3..?9 the enrolment's other columns. */
static const char SQL_ENROL_UPDATE[] =
    "UPDATE enrolment SET status = ?3, result = ?4, attended = ?5, absent_excused = ?6,"
    " absent_unexcused = ?7, thesis_score = ?8, certificate_no = ?9, updated_at = " NOW_UTC
    " WHERE class_id = ?1 AND cadre_id = ?2"
    " AND (status IS NOT ?3 OR result IS NOT ?4 OR attended IS NOT ?5"
    " OR absent_excused IS NOT ?6 OR absent_unexcused IS NOT ?7 OR thesis_score IS NOT ?8"
    " OR certificate_no IS NOT ?9)";
static const char SQL_ENROL_INSERT[] =
    "INSERT INTO enrolment(class_id, cadre_id, status, result, attended, absent_excused,"
    " absent_unexcused, thesis_score, certificate_no)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " ON CONFLICT(class_id, cadre_id) DO NOTHING";

/* The class columns every read returns, in the order of class_row(). */
#define CLASS_COLS                                                                                 \
    "c.class_ref, u.code, c.title, c.kind, c.area, tg.code, COALESCE(t.code, ''), c.mode,"         \
    " c.start_date, c.end_date, c.sessions, c.planned_trainees, c.status"
#define CLASS_NCOLS 13
#define CLASS_FROM                                                                                 \
    " FROM class AS c JOIN unit AS u ON u.id = c.organiser_unit_id"                                \
    " JOIN target_group AS tg ON tg.id = c.target_group_id"                                        \
    " LEFT JOIN term AS t ON t.id = c.planning_term_id"

/* Column CLASS_NCOLS is the class id. */
static const char SQL_CLASS_GET[] =
    "SELECT " CLASS_COLS ", c.id" CLASS_FROM " WHERE u.code = ?1 AND c.class_ref = ?2";
static const char SQL_CLASS_CANCEL[] =
    "UPDATE class SET status = 4, updated_at = " NOW_UTC " WHERE id = ?1 AND status <> 4";
static const char SQL_ENROL_LIST[] =
    "SELECT cd.cadre_code, e.status, COALESCE(e.result, 0), e.attended, e.absent_excused,"
    " e.absent_unexcused, e.thesis_score, e.certificate_no"
    " FROM enrolment AS e JOIN cadre AS cd ON cd.id = e.cadre_id"
    " WHERE e.class_id = ?1 ORDER BY cd.cadre_code";

/*
 * The list: ?1..?2 end_date bounds; ?3 kind, ?4 area, ?5 target group id,
 * ?6 status (0 = any); ?7..?9 the key to continue after; ?10 limit; ?12 the
 * caller's scope (scope_auth.h, 0 = unconfined). Column
 * CLASS_NCOLS is the enrolment count.
 */
#define LIST_COLS                                                                                  \
    " SELECT " CLASS_COLS ", (SELECT COUNT(*) FROM enrolment AS e WHERE e.class_id = c.id)"
#define LIST_WHERE                                                                                 \
    " WHERE c.end_date BETWEEN ?1 AND ?2"                                                          \
    " AND (?3 = 0 OR c.kind = ?3) AND (?4 = 0 OR c.area = ?4)"                                     \
    " AND (?5 = 0 OR c.target_group_id = ?5) AND (?6 = 0 OR c.status = ?6)"                        \
    " AND (c.end_date, u.code, c.class_ref) > (?7, ?8, ?9)"                                        \
    " AND" NL_AUTH_SCOPE_SQL("c.organiser_unit_id",                                                \
                             "?12") " ORDER BY c.end_date, u.code, c.class_ref LIMIT ?10"
static const char SQL_CLASS_LIST[] = LIST_COLS CLASS_FROM LIST_WHERE;
/*
 * The same under unit ?11: `sub` holds each unit under it with the interval
 * over which it is (the unit itself always), and drives the join, so the
 * classes are found through their organiser (the class key's index). Within
 * one consistent tree a unit's intervals never overlap, so no class joins
 * twice.
 */
static const char SQL_CLASS_LIST_UNIT[] =
    "WITH RECURSIVE sub(unit_id, lo, hi) AS ("
    "  SELECT ?11, '" DATE_MIN "', '" DATE_MAX "'"
    "  UNION"
    "  SELECT v.unit_id, MAX(v.valid_from, s.lo), MIN(COALESCE(v.valid_to, '" DATE_MAX "'), s.hi)"
    "  FROM sub AS s JOIN unit_version AS v ON v.parent_id = s.unit_id"
    "  WHERE v.valid_from <= s.hi AND COALESCE(v.valid_to, '" DATE_MAX "') >= s.lo"
    ")" LIST_COLS " FROM sub AS s JOIN class AS c ON c.organiser_unit_id = s.unit_id"
    "  AND c.end_date BETWEEN s.lo AND s.hi"
    " JOIN unit AS u ON u.id = c.organiser_unit_id"
    " JOIN target_group AS tg ON tg.id = c.target_group_id"
    " LEFT JOIN term AS t ON t.id = c.planning_term_id" LIST_WHERE;

/* Copies the CLASS_COLS columns of the current row into *out, strings into the arena. */
static enum nl_status class_cols(sqlite3_stmt *s, struct nl_class_rec *out, struct nl_arena *a)
{
    char *ref = nl_store_col_text(s, 0, a);
    char *unit = nl_store_col_text(s, 1, a);
    char *title = nl_store_col_text(s, 2, a);
    char *tg = nl_store_col_text(s, 5, a);
    char *term = nl_store_col_text(s, 6, a);
    char *start = nl_store_col_text(s, 8, a);
    char *end = nl_store_col_text(s, 9, a);

    if (ref == NULL || unit == NULL || title == NULL || tg == NULL || term == NULL ||
        start == NULL || end == NULL)
        return NL_RESOURCE_EXHAUSTED;
    out->class_ref = ref;
    out->organiser_unit = unit;
    out->title = title;
    out->kind = sqlite3_column_int(s, 3);
    out->area = sqlite3_column_int(s, 4);
    out->target_group = tg;
    out->planning_term = term;
    out->mode = sqlite3_column_int(s, 7);
    out->start_date = start;
    out->end_date = end;
    out->sessions = sqlite3_column_int(s, 10);
    out->planned_trainees = sqlite3_column_int(s, 11);
    out->status = sqlite3_column_int(s, 12);
    return NL_OK;
}

static enum nl_status summary_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_class_summary_rec *out = rec;

    out->enrolments = sqlite3_column_int(s, CLASS_NCOLS);
    return class_cols(s, &out->cls, a);
}

static enum nl_status enrolment_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_enrolment_rec *out = rec;
    char *code = nl_store_col_text(s, 0, a);
    char *cert = nl_store_col_text(s, 7, a);

    if (code == NULL || cert == NULL)
        return NL_RESOURCE_EXHAUSTED;
    out->cadre_code = code;
    out->status = sqlite3_column_int(s, 1);
    out->result = sqlite3_column_int(s, 2);
    out->attended = sqlite3_column_int(s, 3);
    out->absent_excused = sqlite3_column_int(s, 4);
    out->absent_unexcused = sqlite3_column_int(s, 5);
    out->has_thesis = sqlite3_column_type(s, 6) != SQLITE_NULL;
    out->thesis_score = out->has_thesis ? sqlite3_column_double(s, 6) : 0.0;
    out->certificate_no = cert;
    return NL_OK;
}

/*
 * Looks up the id of `code` with a one-parameter statement: *id = 0 when no
 * row has it. NL_OK or a mapped status.
 */
static enum nl_status id_of(struct nl_store *st, const char *sql, const char *code,
                            sqlite3_int64 *id)
{
    sqlite3_stmt *s = NULL;
    int row;
    enum nl_status res = nl_store_find_by_code(st, sql, code, "bind code", &s, &row);

    *id = 0;
    if (res == NL_OK && row)
        *id = sqlite3_column_int64(s, 0);
    nl_store_stmt_done(s);
    return res;
}

/* The organiser unit's id, checked valid on both dates of `c`; INVALID_ARGUMENT otherwise. */
static enum nl_status organiser_id(struct nl_store *st, const struct nl_class_rec *c,
                                   sqlite3_int64 *id, char *msg, size_t msglen)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_UNIT_DATES, &res);
    int row;

    *id = 0;
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, c->organiser_unit) != SQLITE_OK ||
        nl_store_bind_text(s, 2, c->start_date) != SQLITE_OK ||
        nl_store_bind_text(s, 3, c->end_date) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind organiser unit");
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res != NL_OK)
        goto out;
    if (!row) {
        nl_store_fmt_msg(msg, msglen, "training_class.organiser_unit: no such unit");
        res = NL_INVALID_ARGUMENT;
    } else if (!sqlite3_column_int(s, 1)) {
        nl_store_fmt_msg(msg, msglen,
                         "training_class.organiser_unit: the unit has no version valid on "
                         "training_class.start_date");
        res = NL_INVALID_ARGUMENT;
    } else if (!sqlite3_column_int(s, 2)) {
        nl_store_fmt_msg(msg, msglen,
                         "training_class.organiser_unit: the unit has no version valid on "
                         "training_class.end_date");
        res = NL_INVALID_ARGUMENT;
    } else {
        *id = sqlite3_column_int64(s, 0);
    }
out:
    nl_store_stmt_done(s);
    return res;
}

/* Binds the columns ?3..?13 of a class upsert. SQLite's return code. */
static int bind_class(sqlite3_stmt *s, sqlite3_int64 unit_id, const struct nl_class_rec *c,
                      sqlite3_int64 tg_id, sqlite3_int64 term_id)
{
    int rc = sqlite3_bind_int64(s, 1, unit_id);

    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 2, c->class_ref);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 3, c->title);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 4, c->kind);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 5, c->area);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 6, tg_id);
    if (rc == SQLITE_OK)
        rc = term_id != 0 ? sqlite3_bind_int64(s, 7, term_id) : sqlite3_bind_null(s, 7);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 8, c->mode);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 9, c->start_date);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 10, c->end_date);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 11, c->sessions);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 12, c->planned_trainees);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 13, c->status);
    return rc;
}

/* Binds ?1..?9 of an enrolment upsert. SQLite's return code. */
static int bind_enrolment(sqlite3_stmt *s, sqlite3_int64 class_id, sqlite3_int64 cadre_id,
                          const struct nl_enrolment_rec *e)
{
    int rc = sqlite3_bind_int64(s, 1, class_id);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, cadre_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, e->status);
    if (rc == SQLITE_OK)
        rc = e->result != 0 ? sqlite3_bind_int(s, 4, e->result) : sqlite3_bind_null(s, 4);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 5, e->attended);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 6, e->absent_excused);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 7, e->absent_unexcused);
    if (rc == SQLITE_OK)
        rc = e->has_thesis ? sqlite3_bind_double(s, 8, e->thesis_score) : sqlite3_bind_null(s, 8);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 9, e->certificate_no != NULL ? e->certificate_no : "");
    return rc;
}

/*
 * Runs the UPDATE-if-different then INSERT-if-new pair, both bound by
 * `bind`-like code already: *outcome tells which wrote (or neither).
 */
static enum nl_status upsert_pair(struct nl_store *st, sqlite3_stmt *upd, sqlite3_stmt *ins,
                                  int *outcome)
{
    enum nl_status res = nl_store_step_write(st, upd);

    if (res != NL_OK)
        return res;
    if (sqlite3_changes(st->db) > 0) {
        *outcome = NL_WRITE_UPDATED;
        return NL_OK;
    }
    res = nl_store_step_write(st, ins);
    if (res != NL_OK)
        return res;
    *outcome = sqlite3_changes(st->db) > 0 ? NL_WRITE_CREATED : NL_WRITE_UNCHANGED;
    return NL_OK;
}

/* Resolves every reference of the request into ids; INVALID_ARGUMENT naming the field. */
static enum nl_status resolve(struct nl_store *st, const struct nl_class_rec *c,
                              const struct nl_enrolment_rec *e, size_t n, sqlite3_int64 *unit_id,
                              sqlite3_int64 *tg_id, sqlite3_int64 *term_id,
                              sqlite3_int64 *cadre_ids, char *msg, size_t msglen)
{
    enum nl_status res = organiser_id(st, c, unit_id, msg, msglen);

    if (res != NL_OK)
        return res;
    int64_t tg = 0;
    res = nl_store_target_group_id(st, c->target_group, &tg); /* code or label */
    *tg_id = tg;
    if (res != NL_OK)
        return res;
    if (*tg_id == 0) {
        nl_store_fmt_msg(msg, msglen, "training_class.target_group: not in the catalogue");
        return NL_INVALID_ARGUMENT;
    }
    *term_id = 0;
    if (c->planning_term != NULL && c->planning_term[0] != '\0') {
        res = id_of(st, SQL_TERM_ID, c->planning_term, term_id);
        if (res != NL_OK)
            return res;
        if (*term_id == 0) {
            nl_store_fmt_msg(msg, msglen, "training_class.planning_term: no such term");
            return NL_INVALID_ARGUMENT;
        }
    }
    for (size_t i = 0; i < n; i++) {
        res = id_of(st, SQL_CADRE_ID, e[i].cadre_code, &cadre_ids[i]);
        if (res != NL_OK)
            return res;
        if (cadre_ids[i] == 0) {
            nl_store_fmt_msg(msg, msglen, "enrolments[%zu].cadre_code: no such cadre", i);
            return NL_INVALID_ARGUMENT;
        }
    }
    return NL_OK;
}

/* The class id of (unit_id, class_ref), which must exist. */
static enum nl_status class_id_of(struct nl_store *st, sqlite3_int64 unit_id, const char *class_ref,
                                  sqlite3_int64 *id)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_CLASS_ID, &res);
    int row = 0;

    *id = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 2, class_ref) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class key");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && !row)
        res = NL_INTERNAL; /* the upsert just wrote or found it */
    if (res == NL_OK)
        *id = sqlite3_column_int64(s, 0);
    nl_store_stmt_done(s);
    return res;
}

/* NL_FAILED_PRECONDITION when the class now holds more than NL_CLASS_MAX_ENROLMENTS. */
static enum nl_status check_class_size(struct nl_store *st, sqlite3_int64 class_id, char *msg,
                                       size_t msglen)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_CLASS_COUNT, &res);
    int row = 0;

    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, class_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class id");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row && sqlite3_column_int64(s, 0) > NL_CLASS_MAX_ENROLMENTS) {
        nl_store_fmt_msg(msg, msglen, "enrolments: a class holds at most %d enrolments",
                         NL_CLASS_MAX_ENROLMENTS);
        res = NL_FAILED_PRECONDITION;
    }
    nl_store_stmt_done(s);
    return res;
}

/*
 * The report lock, decided once a row's upsert is done: a row that changed
 * (`outcome` CREATED or UPDATED) of a locked class is NL_FAILED_PRECONDITION
 * with `lock_msg` (the caller rolls the write back); an unchanged row, or an
 * unlocked class, is NL_OK.
 */
static enum nl_status locked_write(int locked, int outcome, const char *lock_msg, char *msg,
                                   size_t msglen)
{
    if (!locked || outcome == NL_WRITE_UNCHANGED)
        return NL_OK;
    nl_store_fmt_msg(msg, msglen, "%s", lock_msg);
    return NL_FAILED_PRECONDITION;
}

enum nl_status nl_store_class_submit(struct nl_store *st, const struct nl_class_rec *c,
                                     const struct nl_enrolment_rec *e, size_t n,
                                     struct nl_class_submit_res *out, struct nl_arena *a, char *msg,
                                     size_t msglen)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *upd = NULL, *ins = NULL;
    sqlite3_int64 unit_id = 0, tg_id = 0, term_id = 0, class_id = 0;
    sqlite3_int64 *cadre_ids = NULL;
    char lock_msg[128] = "";
    int locked = 0;

    memset(out, 0, sizeof(*out));
    nl_store_fmt_msg(msg, msglen, "%s", "");
    if (n > NL_CLASS_MAX_ENROLMENTS) {
        nl_store_fmt_msg(msg, msglen, "enrolments: at most %d per class", NL_CLASS_MAX_ENROLMENTS);
        return NL_INVALID_ARGUMENT;
    }
    if (n > 0) {
        cadre_ids = nl_arena_alloc(a, n * sizeof(*cadre_ids));
        if (cadre_ids == NULL) {
            res = NL_RESOURCE_EXHAUSTED;
            goto out;
        }
    }
    res = resolve(st, c, e, n, &unit_id, &tg_id, &term_id, cadre_ids, msg, msglen);
    if (res != NL_OK)
        goto out;

    /*
     * REPORT LOCK: an APPROVED report locks the unit-year of this class, as
     * stored (its old end_date) or as submitted (store_reports.h). Asked
     * before any write, while the stored end_date is still the old one; the
     * refusal waits until a row would actually change (locked_write()), so
     * an exact replay of a locked class passes as UNCHANGED.
     */
    res = nl_store_report_class_check(st, c->organiser_unit, c->class_ref, c->end_date, lock_msg,
                                      sizeof(lock_msg));
    if (res == NL_FAILED_PRECONDITION) {
        locked = 1;
        res = NL_OK;
    }
    if (res != NL_OK)
        goto out;

    /* The class row. */
    upd = nl_store_stmt(st, SQL_CLASS_UPDATE, &res);
    if (upd == NULL)
        goto out;
    ins = nl_store_stmt(st, SQL_CLASS_INSERT, &res);
    if (ins == NULL)
        goto out;
    if (bind_class(upd, unit_id, c, tg_id, term_id) != SQLITE_OK ||
        bind_class(ins, unit_id, c, tg_id, term_id) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind class");
        goto out;
    }
    res = upsert_pair(st, upd, ins, &out->outcome);
    nl_store_stmt_done(upd);
    nl_store_stmt_done(ins);
    if (res == NL_OK)
        res = locked_write(locked, out->outcome, lock_msg, msg, msglen);
    if (res != NL_OK)
        goto out;
    res = class_id_of(st, unit_id, c->class_ref, &class_id);
    if (res != NL_OK)
        goto out;

    /* The enrolments, in request order. */
    upd = nl_store_stmt(st, SQL_ENROL_UPDATE, &res);
    if (upd == NULL)
        goto out;
    ins = nl_store_stmt(st, SQL_ENROL_INSERT, &res);
    if (ins == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        int outcome = 0;

        if (bind_enrolment(upd, class_id, cadre_ids[i], &e[i]) != SQLITE_OK ||
            bind_enrolment(ins, class_id, cadre_ids[i], &e[i]) != SQLITE_OK) {
            res = nl_store_bind_fail(st, "bind enrolment");
            goto out;
        }
        res = upsert_pair(st, upd, ins, &outcome);
        nl_store_stmt_done(upd);
        nl_store_stmt_done(ins);
        if (res == NL_OK)
            res = locked_write(locked, outcome, lock_msg, msg, msglen);
        if (res != NL_OK)
            goto out;
        if (outcome == NL_WRITE_CREATED)
            out->enrolments_created++;
        else if (outcome == NL_WRITE_UPDATED)
            out->enrolments_updated++;
        else
            out->enrolments_unchanged++;
    }
    if (out->enrolments_created > 0)
        res = check_class_size(st, class_id, msg, msglen);
out:
    nl_store_stmt_done(upd);
    nl_store_stmt_done(ins);
    nl_store_default_msg(res, msg, msglen);
    return res;
}

/* Reads the class (unit, class_ref) into *out and its id into *id; NL_NOT_FOUND if absent. */
static enum nl_status class_read(struct nl_store *st, const char *unit, const char *class_ref,
                                 struct nl_class_rec *out, sqlite3_int64 *id, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_CLASS_GET, &res);
    int row = 0;

    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, unit) != SQLITE_OK ||
        nl_store_bind_text(s, 2, class_ref) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class key");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && !row)
        res = NL_NOT_FOUND;
    if (res == NL_OK) {
        *id = sqlite3_column_int64(s, CLASS_NCOLS);
        res = class_cols(s, out, a);
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_class_get(struct nl_store *st, const char *unit, const char *class_ref,
                                  struct nl_class_rec *out, struct nl_enrolment_rec **rows,
                                  size_t *n, struct nl_arena *a)
{
    enum nl_status res;
    sqlite3_stmt *s = NULL;
    sqlite3_int64 id = 0;
    void *arr = NULL;

    *rows = NULL;
    *n = 0;
    res = class_read(st, unit, class_ref, out, &id, a);
    if (res != NL_OK)
        return res;
    s = nl_store_stmt(st, SQL_ENROL_LIST, &res);
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class id");
    else
        res = nl_store_collect_rows(st, s, enrolment_row, sizeof(struct nl_enrolment_rec),
                                    NL_CLASS_MAX_ENROLMENTS, &arr, n, NULL, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_class_head(struct nl_store *st, const char *unit, const char *class_ref,
                                   struct nl_class_rec *out, struct nl_arena *a)
{
    sqlite3_int64 id = 0;

    return class_read(st, unit, class_ref, out, &id, a);
}

enum nl_status nl_store_class_list(struct nl_store *st, const struct nl_class_filter *f,
                                   const struct nl_class_key *after, size_t limit,
                                   struct nl_class_summary_rec **rows, size_t *n, int *more,
                                   struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = NULL;
    sqlite3_int64 unit_id = 0, tg_id = 0;
    const char *lo = f->end_from != NULL && f->end_from[0] != '\0' ? f->end_from : DATE_MIN;
    const char *hi = f->end_to != NULL && f->end_to[0] != '\0' ? f->end_to : DATE_MAX;
    void *arr = NULL;
    int rc;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (f->unit != NULL && f->unit[0] != '\0') {
        res = id_of(st, SQL_UNIT_ID, f->unit, &unit_id);
        if (res == NL_OK && unit_id == 0)
            res = NL_NOT_FOUND;
        if (res != NL_OK)
            return res;
    }
    if (f->target_group != NULL && f->target_group[0] != '\0') {
        int64_t tg = 0;
        res = nl_store_target_group_id(st, f->target_group, &tg); /* code or label */
        tg_id = tg;
        if (res == NL_OK && tg_id == 0)
            res = NL_INVALID_ARGUMENT;
        if (res != NL_OK)
            return res;
    }
    s = nl_store_stmt(st, unit_id != 0 ? SQL_CLASS_LIST_UNIT : SQL_CLASS_LIST, &res);
    if (s == NULL)
        return res;
    rc = nl_store_bind_text(s, 1, lo);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 2, hi);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, f->kind);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 4, f->area);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, tg_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 6, f->status);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 7, after != NULL && after->end_date ? after->end_date : "");
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(
            s, 8, after != NULL && after->organiser_unit ? after->organiser_unit : "");
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 9, after != NULL && after->class_ref ? after->class_ref : "");
    /* One row past the page tells whether another page exists. */
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 10, (sqlite3_int64)limit + 1);
    if (rc == SQLITE_OK && unit_id != 0)
        rc = sqlite3_bind_int64(s, 11, unit_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 12, f->scope);
    if (rc != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class list");
    else
        res = nl_store_collect_rows(st, s, summary_row, sizeof(struct nl_class_summary_rec), limit,
                                    &arr, n, more, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_class_cancel(struct nl_store *st, const char *unit, const char *class_ref,
                                     struct nl_class_rec *out, int *outcome, struct nl_arena *a)
{
    enum nl_status res;
    sqlite3_stmt *s = NULL;
    sqlite3_int64 id = 0;

    *outcome = 0;
    res = class_read(st, unit, class_ref, out, &id, a);
    if (res != NL_OK)
        return res;

    /*
     * REPORT LOCK: decided by the caller (rec_classes.c asks
     * nl_store_report_class_check(), which has the client message, and
     * refuses an NL_WRITE_UPDATED outcome of a locked class; the writer
     * rolls it back), since this function has no message buffer to name the
     * locked year in. Cancelling a cancelled class stays UNCHANGED.
     */

    s = nl_store_stmt(st, SQL_CLASS_CANCEL, &res);
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class id");
    else
        res = nl_store_step_write(st, s);
    if (res == NL_OK) {
        *outcome = sqlite3_changes(st->db) > 0 ? NL_WRITE_UPDATED : NL_WRITE_UNCHANGED;
        out->status = 4; /* Nhanluc__V1__ClassStatus CLASS_STATUS_CANCELLED */
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_class_term_window(struct nl_store *st, const char *code, char from[11],
                                          char to[11])
{
    sqlite3_stmt *s = NULL;
    int row;
    enum nl_status res = nl_store_find_by_code(st, SQL_TERM_YEARS, code, "bind term", &s, &row);

    if (res == NL_OK && !row)
        res = NL_NOT_FOUND;
    if (res == NL_OK) {
        nl_date_format(nl_date_from_ymd(sqlite3_column_int(s, 0), 1, 1), from);
        nl_date_format(nl_date_from_ymd(sqlite3_column_int(s, 1) - 1, 12, 31), to);
    }
    nl_store_stmt_done(s);
    return res;
}
