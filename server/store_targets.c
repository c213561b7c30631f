/*
 * store_targets.c - the typed queries of the indicator targets
 * (store_targets.h): set, list, delete and the lookup that the indicator
 * engine makes for every value it reports.
 *
 * Part of the store module (store_int.h): every statement is a static string
 * prepared once per connection by nl_store_stmt() and reset after each use.
 * A target's key is (indicator, term_code, unit_id), with unit_id NULL for
 * "no unit"; the unique index of migration 5 is on ifnull(unit_id, 0), so
 * every key lookup here says `ifnull(unit_id, 0) = ?` with 0 for no unit,
 * which both matches the index and treats NULL as a value. A set reads the
 * row by its key first and writes only when it is new or its op or value
 * differs, so a replay writes nothing (updated_at stays). References (the
 * unit, the term) are resolved before anything is written.
 */
#include <string.h>

#include "scope_auth.h"
#include "store.h"
#include "store_int.h"
#include "store_targets.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* Most targets one list returns (a ListTargets reply stays far below the 4 MiB cap). */
#define TARGET_LIST_MAX 10000

static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
static const char SQL_TERM_ID[] = "SELECT id FROM term WHERE code = ?1";

/* ?1 indicator, ?2 term code, ?3 unit id (0 = no unit). */
static const char SQL_TARGET_GET[] = "SELECT id, op, value FROM target"
                                     " WHERE indicator = ?1 AND term_code = ?2"
                                     " AND ifnull(unit_id, 0) = ?3";
static const char SQL_TARGET_INSERT[] =
    "INSERT INTO target(indicator, term_code, unit_id, op, value)"
    " VALUES (?1, ?2, nullif(?3, 0), ?4, ?5)";
static const char SQL_TARGET_UPDATE[] =
    "UPDATE target SET op = ?2, value = ?3, updated_at = " NOW_SQL " WHERE id = ?1";
static const char SQL_TARGET_DELETE[] = "DELETE FROM target WHERE indicator = ?1"
                                        " AND term_code = ?2 AND ifnull(unit_id, 0) = ?3";

/* The rows of a list and of a lookup: indicator, op, value, unit code ("" = none), term. */
#define TARGET_COLS                                                                                \
    "SELECT t.indicator, t.op, t.value, COALESCE(u.code, ''), t.term_code"                         \
    " FROM target AS t LEFT JOIN unit AS u ON u.id = t.unit_id"
/*
 * SQL: the unit ids at and above unit id `param` in the standing tree of
 * scope_auth.h (each unit under the parent of its latest version that
 * started on or before today): the unit, its parent, the parent's parent...
 * UNION stops a cycle.
 */
#define TARGET_UP_SQL(param)                                                                       \
    "(WITH RECURSIVE nl_up(id) AS (SELECT " param                                                  \
    " UNION SELECT sv.parent_id FROM unit_version AS sv JOIN nl_up ON sv.unit_id = nl_up.id"       \
    " WHERE sv.parent_id IS NOT NULL AND sv.valid_from = (SELECT max(sw.valid_from)"               \
    " FROM unit_version AS sw WHERE sw.unit_id = sv.unit_id AND sw.valid_from <= date('now')))"    \
    " SELECT id FROM nl_up)"

/*
 * ?3 the caller's scope root (0 = unconfined): a confined caller sees the
 * targets naming no unit, a unit of its scope, or one of its ancestors.
 */
#define TARGET_SCOPE_SQL                                                                           \
    " AND (?3 = 0 OR t.unit_id IS NULL OR" NL_AUTH_SCOPE_SQL(                                      \
        "t.unit_id", "?3") "OR t.unit_id IN " TARGET_UP_SQL("?3") ")"
static const char SQL_TARGET_LIST[] = TARGET_COLS
    " WHERE (?1 = '' OR t.indicator = ?1) AND (?2 = '' OR t.term_code = ?2)" TARGET_SCOPE_SQL
    " ORDER BY t.indicator, t.term_code, COALESCE(u.code, '')";
/*
 * The lookup: the target naming unit ?3, else the one naming no unit. Only
 * the exact unit is matched, so a target never passes to the units under
 * the unit it names; `t.unit_id IS NULL` sorts the unit's own target first.
 */
static const char SQL_TARGET_FIND[] =
    TARGET_COLS " WHERE t.indicator = ?1 AND t.term_code = ?2"
                " AND (t.unit_id IS NULL OR (?3 <> '' AND u.code = ?3))"
                " ORDER BY t.unit_id IS NULL LIMIT 1";

/* The id of the row whose code is `code` (*id 0 when none). */
static enum nl_status id_of(struct nl_store *st, const char *sql, const char *code,
                            sqlite3_int64 *id)
{
    sqlite3_stmt *s = NULL;
    int row = 0;
    enum nl_status res = nl_store_find_by_code(st, sql, code, "bind code", &s, &row);

    *id = res == NL_OK && row ? sqlite3_column_int64(s, 0) : 0;
    nl_store_stmt_done(s);
    return res;
}

/* Binds ?1 indicator, ?2 term code, ?3 unit id: the key. SQLite's return code. */
static int bind_key(sqlite3_stmt *s, const char *indicator, const char *term, sqlite3_int64 unit)
{
    int rc = nl_store_bind_text(s, 1, indicator);

    if (rc == SQLITE_OK)
        rc = nl_store_bind_text(s, 2, term);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, unit);
    return rc;
}

enum nl_status nl_store_target_set(struct nl_store *st, const struct nl_target_rec *t, int *created,
                                   int *changed, char *msg, size_t msglen)
{
    sqlite3_int64 unit = 0, term = 0, id = 0;
    sqlite3_stmt *s = NULL;
    enum nl_status res;
    int row = 0, same = 0;

    *created = 0;
    *changed = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = NL_OK;
    if (t->unit[0] != '\0') {
        res = id_of(st, SQL_UNIT_ID, t->unit, &unit);
        if (res == NL_OK && unit == 0) {
            nl_store_fmt_msg(msg, msglen, "target.unit: no such unit");
            return NL_INVALID_ARGUMENT;
        }
    }
    if (res == NL_OK)
        res = id_of(st, SQL_TERM_ID, t->term, &term);
    if (res == NL_OK && term == 0) {
        nl_store_fmt_msg(msg, msglen, "target.term: no such term");
        return NL_INVALID_ARGUMENT;
    }
    if (res != NL_OK)
        goto out;

    /* The row of the key, if any, and whether it already says the same. */
    s = nl_store_stmt(st, SQL_TARGET_GET, &res);
    if (s == NULL)
        goto out;
    if (bind_key(s, t->indicator, t->term, unit) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind target key");
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        id = sqlite3_column_int64(s, 0);
        same = nl_store_col_eq(s, 1, t->op) && nl_store_col_eq(s, 2, t->value);
    }
    nl_store_stmt_done(s);
    s = NULL;
    if (row && same)
        goto out; /* a replay: nothing written */

    if (row) {
        s = nl_store_stmt(st, SQL_TARGET_UPDATE, &res);
        if (s == NULL)
            goto out;
        if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
            nl_store_bind_text(s, 2, t->op) != SQLITE_OK ||
            nl_store_bind_text(s, 3, t->value) != SQLITE_OK) {
            res = nl_store_bind_fail(st, "bind target update");
            goto out;
        }
    } else {
        s = nl_store_stmt(st, SQL_TARGET_INSERT, &res);
        if (s == NULL)
            goto out;
        if (bind_key(s, t->indicator, t->term, unit) != SQLITE_OK ||
            nl_store_bind_text(s, 4, t->op) != SQLITE_OK ||
            nl_store_bind_text(s, 5, t->value) != SQLITE_OK) {
            res = nl_store_bind_fail(st, "bind target insert");
            goto out;
        }
    }
    res = nl_store_step_write(st, s);
    if (res == NL_OK) {
        *created = !row;
        *changed = 1;
    }
out:
    nl_store_stmt_done(s);
    nl_store_default_msg(res, msg, msglen);
    return res;
}

/* Copies the current row of a TARGET_COLS statement into the record at `out`. */
static enum nl_status target_row(sqlite3_stmt *s, void *out, struct nl_arena *a)
{
    struct nl_target_rec *t = out;

    t->indicator = nl_store_col_text(s, 0, a);
    t->op = nl_store_col_text(s, 1, a);
    t->value = nl_store_col_text(s, 2, a);
    t->unit = nl_store_col_text(s, 3, a);
    t->term = nl_store_col_text(s, 4, a);
    return t->indicator == NULL || t->op == NULL || t->value == NULL || t->unit == NULL ||
                   t->term == NULL
               ? NL_RESOURCE_EXHAUSTED
               : NL_OK;
}

enum nl_status nl_store_target_list(struct nl_store *st, const char *indicator, const char *term,
                                    struct nl_target_rec **rows, size_t *n, struct nl_arena *a)
{
    return nl_store_target_list_scoped(st, indicator, term, 0, rows, n, a);
}

enum nl_status nl_store_target_list_scoped(struct nl_store *st, const char *indicator,
                                           const char *term, int64_t scope,
                                           struct nl_target_rec **rows, size_t *n,
                                           struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TARGET_LIST, &res);
    void *arr = NULL;

    *rows = NULL;
    *n = 0;
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, indicator != NULL ? indicator : "") != SQLITE_OK ||
        nl_store_bind_text(s, 2, term != NULL ? term : "") != SQLITE_OK ||
        sqlite3_bind_int64(s, 3, scope) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind target list");
    } else {
        res = nl_store_collect_rows(st, s, target_row, sizeof(**rows), TARGET_LIST_MAX, &arr, n,
                                    NULL, a);
        *rows = arr;
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_target_delete(struct nl_store *st, const char *indicator, const char *unit,
                                      const char *term, int *deleted)
{
    sqlite3_int64 unit_id = 0;
    sqlite3_stmt *s = NULL;
    enum nl_status res = NL_OK;

    *deleted = 0;
    if (unit != NULL && unit[0] != '\0') {
        res = id_of(st, SQL_UNIT_ID, unit, &unit_id);
        if (res != NL_OK || unit_id == 0)
            return res; /* no such unit: no target names it */
    }
    s = nl_store_stmt(st, SQL_TARGET_DELETE, &res);
    if (s == NULL)
        return res;
    if (bind_key(s, indicator, term, unit_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind target delete");
    else
        res = nl_store_step_write(st, s);
    if (res == NL_OK)
        *deleted = sqlite3_changes(st->db) > 0;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_target_find(struct nl_store *st, const char *indicator, const char *unit,
                                    const char *term, struct nl_target_rec *out, int *found,
                                    struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TARGET_FIND, &res);
    int row = 0;

    *found = 0;
    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, indicator) != SQLITE_OK ||
        nl_store_bind_text(s, 2, term) != SQLITE_OK ||
        nl_store_bind_text(s, 3, unit != NULL ? unit : "") != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind target find");
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row) {
        res = target_row(s, out, a);
        *found = res == NL_OK;
    }
out:
    nl_store_stmt_done(s);
    return res;
}
