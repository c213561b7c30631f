/*
 * store_reports.c - the typed queries of the annual training reports and of
 * the lock an approved report puts on its unit-year's classes
 * (store_reports.h).
 *
 * Part of the store module (store_int.h): each statement is a static string
 * prepared once per connection through nl_store_stmt(). A transition reads
 * the report row, decides in C what the state machine allows (DOMAIN.md 3:
 * DRAFT/RETURNED -> SUBMITTED -> RETURNED or APPROVED,
 * APPROVED -> RETURNED to unlock), and writes only when
 * something changes, so a replay writes nothing. Everything runs inside the
 * caller's write transaction, so the read and the write see the same row.
 *
 * The lock check is one query keyed by the class's organiser code: it looks
 * for an APPROVED report of that unit whose year is the new end_date's or the
 * stored class's end_date's, so a class moved out of (or into) a locked year
 * is refused either way.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../common/date.h"
#include "scope_auth.h"
#include "store.h"
#include "store_int.h"
#include "store_party.h"
#include "store_reports.h"

#define NOW_UTC "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
static const char SQL_REPORT_GET[] =
    "SELECT status, COALESCE(submitted_at, ''), COALESCE(approved_at, ''), return_reason"
    " FROM report WHERE unit_id = ?1 AND year = ?2";
static const char SQL_REPORT_INSERT[] =
    "INSERT INTO report(unit_id, year, status, submitted_at, approved_at, return_reason)"
    " VALUES (?1, ?2, ?3, NULLIF(?4, ''), NULLIF(?5, ''), ?6)";
static const char SQL_REPORT_SET[] =
    "UPDATE report SET status = ?3, submitted_at = NULLIF(?4, ''), approved_at = NULLIF(?5, ''),"
    " return_reason = ?6, updated_at = " NOW_UTC " WHERE unit_id = ?1 AND year = ?2";
static const char SQL_REPORT_LOCKED[] =
    "SELECT 1 FROM report AS r JOIN unit AS u ON u.id = r.unit_id"
    " WHERE u.code = ?1 AND r.year = ?2 AND r.status = 4";
/* ?1 organiser code, ?2 class_ref, ?3 the new end year (0 = none). */
static const char SQL_CLASS_LOCK[] =
    "SELECT r.year FROM unit AS u JOIN report AS r ON r.unit_id = u.id AND r.status = 4"
    " WHERE u.code = ?1 AND (r.year = ?3 OR r.year = (SELECT CAST(substr(c.end_date, 1, 4)"
    " AS INTEGER) FROM class AS c WHERE c.organiser_unit_id = u.id AND c.class_ref = ?2))"
    " ORDER BY r.year LIMIT 1";

/*
 * The list: ?1 year, ?2 status (0 = any), ?3..?4 the key to continue after,
 * ?5 limit; with a unit, ?6 its id and ?7 the day of the tree ('' = 31
 * December of each report's year); ?8 the caller's scope (scope_auth.h, 0 =
 * unconfined). `sub` is the unit and every unit under it over time
 * (NL_SUBTREE_CTE, store_party.h).
 */
#define LIST_COLS                                                                                  \
    "SELECT u.code, r.year, r.status, COALESCE(r.submitted_at, ''),"                               \
    " COALESCE(r.approved_at, ''), r.return_reason"
#define LIST_WHERE_AND                                                                             \
    " (?1 = 0 OR r.year = ?1) AND (?2 = 0 OR r.status = ?2)"                                       \
    " AND (r.year, u.code) > (?3, ?4) AND" NL_AUTH_SCOPE_SQL(                                      \
        "r.unit_id", "?8") " ORDER BY r.year, u.code LIMIT ?5"
#define LIST_WHERE " WHERE" LIST_WHERE_AND
static const char SQL_REPORT_LIST[] =
    LIST_COLS " FROM report AS r JOIN unit AS u ON u.id = r.unit_id" LIST_WHERE;
#define REPORT_SUB "WITH RECURSIVE" NL_SUBTREE_CTE("sub", "?6", "1")
#define REPORT_IN                                                                                  \
    NL_SUBTREE_ON("sub", "r.unit_id", "COALESCE(NULLIF(?7, ''), printf('%04d-12-31', r.year))")
static const char SQL_REPORT_LIST_UNIT[] =
    REPORT_SUB LIST_COLS " FROM report AS r JOIN unit AS u ON u.id = r.unit_id"
                         " WHERE" REPORT_IN "AND" LIST_WHERE_AND;

static const char *const status_names[] = {"NONE", "DRAFT", "SUBMITTED", "RETURNED", "APPROVED"};

const char *nl_report_status_name(int status)
{
    if (status < 0 || status > NL_REPORT_APPROVED)
        return "UNKNOWN";
    return status_names[status];
}

/* n decimal digits at s into *v; 0 or -1. */
static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int nl_report_time_norm(const char *in, char out[NL_REPORT_TIME_MAX])
{
    size_t len = strlen(in), i;
    int32_t days;
    int h, m, sec;

    if (len < 10 || len >= NL_REPORT_TIME_MAX || nl_date_parse(in, 10, &days) != 0)
        return -1;
    memcpy(out, in, len + 1);
    if (len == 10)
        return 0;
    /* THH:MM:SS */
    if (len < 20 || (in[10] != 'T' && in[10] != 't') || in[13] != ':' || in[16] != ':' ||
        digits(in + 11, 2, &h) != 0 || digits(in + 14, 2, &m) != 0 ||
        digits(in + 17, 2, &sec) != 0 || h > 23 || m > 59 || sec > 60)
        return -1;
    out[10] = 'T';
    i = 19;
    if (in[i] == '.') {
        size_t f = ++i;
        while (i < len && in[i] >= '0' && in[i] <= '9')
            i++;
        if (i == f || i - f > 9)
            return -1;
    }
    if (i + 1 == len && (in[i] == 'Z' || in[i] == 'z')) {
        out[i] = 'Z';
        return 0;
    }
    if (i + 6 == len && (in[i] == '+' || in[i] == '-') && in[i + 3] == ':' &&
        digits(in + i + 1, 2, &h) == 0 && digits(in + i + 4, 2, &m) == 0 && h <= 23 && m <= 59)
        return 0;
    return -1;
}

/* Now in UTC as "YYYY-MM-DDTHH:MM:SSZ" into out. */
static void now_utc(char out[NL_REPORT_TIME_MAX])
{
    time_t t = time(NULL);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(out, NL_REPORT_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        char d[11];
        nl_date_format(nl_date_today(), d);
        (void)snprintf(out, NL_REPORT_TIME_MAX, "%sT00:00:00Z", d);
    }
}

/* The unit's id; NL_INVALID_ARGUMENT "unit: no such unit" when absent. */
static enum nl_status unit_id_of(struct nl_store *st, const char *code, sqlite3_int64 *id,
                                 char *msg, size_t msglen)
{
    sqlite3_stmt *s = NULL;
    int row = 0;
    enum nl_status res = nl_store_find_by_code(st, SQL_UNIT_ID, code, "bind unit", &s, &row);

    *id = 0;
    if (res == NL_OK && row)
        *id = sqlite3_column_int64(s, 0);
    nl_store_stmt_done(s);
    if (res == NL_OK && !row) {
        nl_store_fmt_msg(msg, msglen, "unit: no such unit");
        res = NL_INVALID_ARGUMENT;
    }
    return res;
}

/* Reads report (unit_id, year) into *cur (strings in a); *exists = 0 when there is none. */
static enum nl_status report_read(struct nl_store *st, sqlite3_int64 unit_id, int year,
                                  struct nl_report_rec *cur, int *exists, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_REPORT_GET, &res);
    int row = 0;

    *exists = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK || sqlite3_bind_int(s, 2, year) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind report key");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row) {
        cur->status = sqlite3_column_int(s, 0);
        cur->submitted_at = nl_store_col_text(s, 1, a);
        cur->approved_at = nl_store_col_text(s, 2, a);
        cur->return_reason = nl_store_col_text(s, 3, a);
        if (cur->submitted_at == NULL || cur->approved_at == NULL || cur->return_reason == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        else
            *exists = 1;
    }
    nl_store_stmt_done(s);
    return res;
}

/* Writes report `r` of unit_id: inserted when !exists, else overwritten. */
static enum nl_status report_write(struct nl_store *st, sqlite3_int64 unit_id,
                                   const struct nl_report_rec *r, int exists)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, exists ? SQL_REPORT_SET : SQL_REPORT_INSERT, &res);
    int rc;

    if (s == NULL)
        return res;
    rc = sqlite3_bind_int64(s, 1, unit_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 2, r->year);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, r->status);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 4, r->submitted_at);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 5, r->approved_at);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 6, r->return_reason);
    if (rc != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind report");
    else
        res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    return res;
}

enum report_op { OP_SUBMIT, OP_RETURN, OP_APPROVE };

/* What one transition does with the current row; the arguments as the three functions take them. */
static enum nl_status transition(struct nl_store *st, enum report_op op, const char *unit, int year,
                                 const char *arg, struct nl_report_rec *out, int *outcome,
                                 struct nl_arena *a, char *msg, size_t msglen)
{
    struct nl_report_rec cur = {unit, year, 0, "", "", ""};
    sqlite3_int64 unit_id = 0;
    char now[NL_REPORT_TIME_MAX];
    const char *at = arg != NULL && arg[0] != '\0' ? arg : NULL;
    int exists = 0, write = 1;
    enum nl_status res;

    *outcome = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = unit_id_of(st, unit, &unit_id, msg, msglen);
    if (res == NL_OK)
        res = report_read(st, unit_id, year, &cur, &exists, a);
    if (res != NL_OK)
        goto out;
    if (at == NULL && op != OP_RETURN) {
        now_utc(now);
        at = now;
    }
    switch (op) {
    case OP_SUBMIT:
        if (exists && cur.status == NL_REPORT_APPROVED) {
            nl_store_fmt_msg(msg, msglen, "report is approved");
            res = NL_FAILED_PRECONDITION;
        } else if (exists && cur.status == NL_REPORT_SUBMITTED &&
                   (arg == NULL || arg[0] == '\0' || strcmp(arg, cur.submitted_at) == 0)) {
            write = 0;
        } else {
            cur.status = NL_REPORT_SUBMITTED;
            cur.submitted_at = at;
            cur.approved_at = "";
        }
        break;
    case OP_RETURN:
        if (!exists) {
            nl_store_fmt_msg(msg, msglen, "report not found");
            res = NL_NOT_FOUND;
        } else if (cur.status == NL_REPORT_RETURNED && strcmp(arg, cur.return_reason) == 0) {
            write = 0;
        } else if (cur.status != NL_REPORT_SUBMITTED && cur.status != NL_REPORT_APPROVED) {
            nl_store_fmt_msg(msg, msglen, "report is %s, not SUBMITTED or APPROVED",
                             nl_report_status_name(cur.status));
            res = NL_FAILED_PRECONDITION;
        } else {
            /* Returning an approved report unlocks its classes. */
            cur.status = NL_REPORT_RETURNED;
            cur.approved_at = "";
            cur.return_reason = arg;
        }
        break;
    case OP_APPROVE:
        if (!exists) {
            nl_store_fmt_msg(msg, msglen, "report not found");
            res = NL_NOT_FOUND;
        } else if (cur.status == NL_REPORT_APPROVED) {
            write = 0;
        } else if (cur.status != NL_REPORT_SUBMITTED) {
            nl_store_fmt_msg(msg, msglen, "report is %s, not SUBMITTED",
                             nl_report_status_name(cur.status));
            res = NL_FAILED_PRECONDITION;
        } else {
            cur.status = NL_REPORT_APPROVED;
            cur.approved_at = at;
        }
        break;
    }
    if (res != NL_OK)
        goto out;
    if (write) {
        res = report_write(st, unit_id, &cur, exists);
        if (res != NL_OK)
            goto out;
        *outcome = exists ? NL_WRITE_UPDATED : NL_WRITE_CREATED;
    } else {
        *outcome = NL_WRITE_UNCHANGED;
    }
    /* The output owns its strings: `at` may be the stack's `now`. */
    out->unit = nl_arena_strdup(a, unit);
    out->year = year;
    out->status = cur.status;
    out->submitted_at = nl_arena_strdup(a, cur.submitted_at);
    out->approved_at = nl_arena_strdup(a, cur.approved_at);
    out->return_reason = nl_arena_strdup(a, cur.return_reason);
    if (out->unit == NULL || out->submitted_at == NULL || out->approved_at == NULL ||
        out->return_reason == NULL)
        res = NL_RESOURCE_EXHAUSTED;
out:
    nl_store_default_msg(res, msg, msglen);
    return res;
}

enum nl_status nl_store_report_submit(struct nl_store *st, const char *unit, int year,
                                      const char *at, struct nl_report_rec *out, int *outcome,
                                      struct nl_arena *a, char *msg, size_t msglen)
{
    return transition(st, OP_SUBMIT, unit, year, at, out, outcome, a, msg, msglen);
}

enum nl_status nl_store_report_return(struct nl_store *st, const char *unit, int year,
                                      const char *reason, struct nl_report_rec *out, int *outcome,
                                      struct nl_arena *a, char *msg, size_t msglen)
{
    return transition(st, OP_RETURN, unit, year, reason != NULL ? reason : "", out, outcome, a, msg,
                      msglen);
}

enum nl_status nl_store_report_approve(struct nl_store *st, const char *unit, int year,
                                       const char *at, struct nl_report_rec *out, int *outcome,
                                       struct nl_arena *a, char *msg, size_t msglen)
{
    return transition(st, OP_APPROVE, unit, year, at, out, outcome, a, msg, msglen);
}

enum nl_status nl_store_report_put(struct nl_store *st, const struct nl_report_rec *r, int *outcome,
                                   char *msg, size_t msglen)
{
    sqlite3_int64 unit_id = 0;
    sqlite3_stmt *s = NULL;
    int exists = 0, row = 0;
    enum nl_status res;

    *outcome = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = unit_id_of(st, r->unit, &unit_id, msg, msglen);
    if (res != NL_OK)
        goto out;
    /* Compare in SQL: no arena needed. */
    s = nl_store_stmt(st, SQL_REPORT_GET, &res);
    if (s == NULL)
        goto out;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, r->year) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind report key");
    } else {
        res = nl_store_step_once(st, s, &row);
        if (res == NL_OK && row) {
            exists = 1;
            if (sqlite3_column_int(s, 0) == r->status && nl_store_col_eq(s, 1, r->submitted_at) &&
                nl_store_col_eq(s, 2, r->approved_at) && nl_store_col_eq(s, 3, r->return_reason))
                *outcome = NL_WRITE_UNCHANGED;
        }
    }
    nl_store_stmt_done(s);
    if (res != NL_OK || *outcome == NL_WRITE_UNCHANGED)
        goto out;
    res = report_write(st, unit_id, r, exists);
    if (res == NL_OK)
        *outcome = exists ? NL_WRITE_UPDATED : NL_WRITE_CREATED;
out:
    nl_store_default_msg(res, msg, msglen);
    return res;
}

static enum nl_status report_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_report_rec *out = rec;

    out->unit = nl_store_col_text(s, 0, a);
    out->year = sqlite3_column_int(s, 1);
    out->status = sqlite3_column_int(s, 2);
    out->submitted_at = nl_store_col_text(s, 3, a);
    out->approved_at = nl_store_col_text(s, 4, a);
    out->return_reason = nl_store_col_text(s, 5, a);
    if (out->unit == NULL || out->submitted_at == NULL || out->approved_at == NULL ||
        out->return_reason == NULL)
        return NL_RESOURCE_EXHAUSTED;
    return NL_OK;
}

enum nl_status nl_store_report_list(struct nl_store *st, const struct nl_report_filter *f,
                                    const struct nl_report_key *after, size_t limit,
                                    struct nl_report_rec **rows, size_t *n, int *more,
                                    struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = NULL;
    sqlite3_int64 unit_id = 0;
    void *arr = NULL;
    int rc;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (f->unit != NULL && f->unit[0] != '\0') {
        char scratch[8];
        res = unit_id_of(st, f->unit, &unit_id, scratch, sizeof(scratch));
        if (res == NL_INVALID_ARGUMENT)
            res = NL_NOT_FOUND;
        if (res != NL_OK)
            return res;
    }
    s = nl_store_stmt(st, unit_id != 0 ? SQL_REPORT_LIST_UNIT : SQL_REPORT_LIST, &res);
    if (s == NULL)
        return res;
    rc = sqlite3_bind_int(s, 1, f->year);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 2, f->status);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int(s, 3, after != NULL ? after->year : 0);
    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 4, after != NULL && after->unit != NULL ? after->unit : "");
    /* One row past the page tells whether another page exists. */
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, (sqlite3_int64)limit + 1);
    if (rc == SQLITE_OK && unit_id != 0) {
        rc = sqlite3_bind_int64(s, 6, unit_id);
        if (rc == SQLITE_OK)
            rc = nl_store_bind_text(s, 7, f->as_of != NULL ? f->as_of : "");
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 8, f->scope);
    if (rc != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind report list");
    else
        res = nl_store_collect_rows(st, s, report_row, sizeof(struct nl_report_rec), limit, &arr, n,
                                    more, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_report_locked(struct nl_store *st, const char *unit_code, int year,
                                      int *locked)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_REPORT_LOCKED, &res);
    int row = 0;

    *locked = 0;
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, unit_code) != SQLITE_OK ||
        sqlite3_bind_int(s, 2, year) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind report key");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK)
        *locked = row;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_report_class_check(struct nl_store *st, const char *unit_code,
                                           const char *class_ref, const char *new_end_date,
                                           char *msg, size_t msglen)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_CLASS_LOCK, &res);
    int32_t days;
    int year = 0, month, day, row = 0;

    if (s == NULL)
        return res;
    if (new_end_date != NULL && new_end_date[0] != '\0' &&
        nl_date_parse(new_end_date, strlen(new_end_date), &days) == 0)
        nl_date_to_ymd(days, &year, &month, &day);
    if (nl_store_bind_text(s, 1, unit_code) != SQLITE_OK ||
        nl_store_bind_text(s, 2, class_ref) != SQLITE_OK ||
        sqlite3_bind_int(s, 3, year) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind class lock");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row) {
        nl_store_fmt_msg(msg, msglen, "class is locked: the unit's report for %d is approved",
                         sqlite3_column_int(s, 0));
        res = NL_FAILED_PRECONDITION;
    }
    nl_store_stmt_done(s);
    return res;
}
