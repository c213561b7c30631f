/*
 * store_units.c - the typed queries of the Registry: units and terms.
 *
 * Part of the store module (store_int.h). Each statement is a static string
 * prepared once per connection through nl_store_stmt().
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

/* The version of a unit that is current (valid_to NULL), or else its latest one. */
static const char SQL_UNIT_GET[] =
    "SELECT u.code, v.name, v.kind, COALESCE(p.code, '')"
    " FROM unit AS u JOIN unit_version AS v ON v.unit_id = u.id"
    " LEFT JOIN unit AS p ON p.id = v.parent_id"
    " WHERE u.code = ?1 ORDER BY v.valid_to IS NULL DESC, v.valid_from DESC LIMIT 1";
static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
static const char SQL_UNIT_INSERT[] = "INSERT INTO unit(code) VALUES (?1)";
static const char SQL_UNIT_VERSION_INSERT[] =
    "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from)"
    " VALUES (last_insert_rowid(), ?1, ?2, ?3, '0001-01-01')";
/* The tree of today: versions valid on date('now'). */
static const char SQL_UNIT_LIST[] =
    "SELECT u.code, v.name, v.kind, COALESCE(p.code, '')"
    " FROM unit AS u JOIN unit_version AS v ON v.unit_id = u.id"
    " LEFT JOIN unit AS p ON p.id = v.parent_id"
    " WHERE v.valid_from <= date('now') AND (v.valid_to IS NULL OR v.valid_to >= date('now'))"
    " AND u.code > ?1 ORDER BY u.code LIMIT ?2";
static const char SQL_UNIT_LIST_CHILDREN[] =
    "SELECT u.code, v.name, v.kind, p.code"
    " FROM unit AS p JOIN unit_version AS v ON v.parent_id = p.id"
    " JOIN unit AS u ON u.id = v.unit_id"
    " WHERE p.code = ?1 AND v.valid_from <= date('now')"
    " AND (v.valid_to IS NULL OR v.valid_to >= date('now'))"
    " AND u.code > ?2 ORDER BY u.code LIMIT ?3";
static const char SQL_TERM_GET[] =
    "SELECT code, kind, start_year, end_year FROM term WHERE code = ?1";
static const char SQL_TERM_INSERT[] =
    "INSERT INTO term(code, kind, start_year, end_year) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_TERM_LIST[] = "SELECT code, kind, start_year, end_year FROM term"
                                    " WHERE ?1 = 0 OR kind = ?1 ORDER BY kind, start_year, code";
/* --- units --- */

/* Copies the unit row (code, name, kind, parent code) of `s` into the record at `rec`. */
static enum nl_status unit_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_unit_rec *out = rec;
    char *code = nl_store_col_text(s, 0, a);
    char *name = nl_store_col_text(s, 1, a);
    char *parent = nl_store_col_text(s, 3, a);

    if (code == NULL || name == NULL || parent == NULL)
        return NL_RESOURCE_EXHAUSTED;
    out->code = code;
    out->name = name;
    out->kind = sqlite3_column_int(s, 2);
    out->parent = parent;
    return NL_OK;
}

enum nl_status nl_store_unit_create(struct nl_store *st, const struct nl_unit_rec *u, int *created,
                                    char *msg, size_t msglen)
{
    enum nl_status res;
    sqlite3_stmt *get = NULL, *pid = NULL, *ins = NULL, *ver = NULL;
    sqlite3_int64 parent_id = 0;
    const char *parent = u->parent != NULL ? u->parent : "";
    int row;

    *created = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");

    /* An existing unit with this code: identical = replay, different = conflict. */
    res = nl_store_find_by_code(st, SQL_UNIT_GET, u->code, "bind unit code", &get, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        if (!(nl_store_col_eq(get, 1, u->name) && sqlite3_column_int(get, 2) == u->kind &&
              nl_store_col_eq(get, 3, parent))) {
            nl_store_fmt_msg(msg, msglen, "unit.code: a different unit with this code exists");
            res = NL_ALREADY_EXISTS;
        }
        goto out;
    }

    if (parent[0] != '\0') {
        res = nl_store_find_by_code(st, SQL_UNIT_ID, parent, "bind unit parent", &pid, &row);
        if (res != NL_OK)
            goto out;
        if (!row) {
            nl_store_fmt_msg(msg, msglen, "unit.parent: no such unit");
            res = NL_INVALID_ARGUMENT;
            goto out;
        }
        parent_id = sqlite3_column_int64(pid, 0);
    }

    ins = nl_store_stmt(st, SQL_UNIT_INSERT, &res);
    if (ins == NULL)
        goto out;
    if (nl_store_bind_text(ins, 1, u->code) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind unit");
        goto out;
    }
    res = nl_store_step_write(st, ins);
    if (res != NL_OK)
        goto out;
    ver = nl_store_stmt(st, SQL_UNIT_VERSION_INSERT, &res);
    if (ver == NULL)
        goto out;
    if (nl_store_bind_text(ver, 1, u->name) != SQLITE_OK ||
        sqlite3_bind_int(ver, 2, u->kind) != SQLITE_OK ||
        (parent_id != 0 ? sqlite3_bind_int64(ver, 3, parent_id) : sqlite3_bind_null(ver, 3)) !=
            SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind unit version");
        goto out;
    }
    res = nl_store_step_write(st, ver);
    *created = res == NL_OK;
out:
    nl_store_default_msg(res, msg, msglen);
    nl_store_stmt_done(get);
    nl_store_stmt_done(pid);
    nl_store_stmt_done(ins);
    nl_store_stmt_done(ver);
    return res;
}

enum nl_status nl_store_unit_get(struct nl_store *st, const char *code, struct nl_unit_rec *out,
                                 struct nl_arena *a)
{
    sqlite3_stmt *s;
    int row;
    enum nl_status res = nl_store_find_by_code(st, SQL_UNIT_GET, code, "bind unit code", &s, &row);

    if (res == NL_OK)
        res = row ? unit_row(s, out, a) : NL_NOT_FOUND;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_unit_list(struct nl_store *st, const char *parent, const char *after,
                                  size_t limit, struct nl_unit_rec **rows, size_t *n, int *more,
                                  struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    int children = parent != NULL && parent[0] != '\0';
    sqlite3_stmt *s = nl_store_stmt(st, children ? SQL_UNIT_LIST_CHILDREN : SQL_UNIT_LIST, &res);
    /* One row past the page tells whether another page exists. */
    sqlite3_int64 lim = limit >= (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit + 1;
    void *arr = NULL;
    int i = 1;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (s == NULL)
        return res;
    if ((children && nl_store_bind_text(s, i++, parent) != SQLITE_OK) ||
        nl_store_bind_text(s, i++, after != NULL ? after : "") != SQLITE_OK ||
        sqlite3_bind_int64(s, i, lim) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit list");
    else
        res = nl_store_collect_rows(st, s, unit_row, sizeof(struct nl_unit_rec), limit, &arr, n,
                                    more, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}

/* --- terms --- */

/* Copies the term row (code, kind, start_year, end_year) of `s` into the record at `rec`. */
static enum nl_status term_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_term_rec *out = rec;
    char *code = nl_store_col_text(s, 0, a);

    if (code == NULL)
        return NL_RESOURCE_EXHAUSTED;
    out->code = code;
    out->kind = sqlite3_column_int(s, 1);
    out->start_year = sqlite3_column_int(s, 2);
    out->end_year = sqlite3_column_int(s, 3);
    return NL_OK;
}

enum nl_status nl_store_term_create(struct nl_store *st, const struct nl_term_rec *t, int *created,
                                    char *msg, size_t msglen)
{
    enum nl_status res;
    sqlite3_stmt *get = NULL, *ins = NULL;
    int row;

    *created = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");

    res = nl_store_find_by_code(st, SQL_TERM_GET, t->code, "bind term code", &get, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        if (!(sqlite3_column_int(get, 1) == t->kind &&
              sqlite3_column_int(get, 2) == t->start_year &&
              sqlite3_column_int(get, 3) == t->end_year)) {
            nl_store_fmt_msg(msg, msglen, "term.code: a different term with this code exists");
            res = NL_ALREADY_EXISTS;
        }
        goto out;
    }

    ins = nl_store_stmt(st, SQL_TERM_INSERT, &res);
    if (ins == NULL)
        goto out;
    if (nl_store_bind_text(ins, 1, t->code) != SQLITE_OK ||
        sqlite3_bind_int(ins, 2, t->kind) != SQLITE_OK ||
        sqlite3_bind_int(ins, 3, t->start_year) != SQLITE_OK ||
        sqlite3_bind_int(ins, 4, t->end_year) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind term");
        goto out;
    }
    res = nl_store_step_write(st, ins);
    *created = res == NL_OK;
out:
    nl_store_default_msg(res, msg, msglen);
    nl_store_stmt_done(get);
    nl_store_stmt_done(ins);
    return res;
}

enum nl_status nl_store_term_list(struct nl_store *st, int kind, struct nl_term_rec **rows,
                                  size_t *n, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TERM_LIST, &res);
    void *arr = NULL;

    *rows = NULL;
    *n = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int(s, 1, kind) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind term kind");
    else
        res = nl_store_collect_rows(st, s, term_row, sizeof(struct nl_term_rec), SIZE_MAX / 2, &arr,
                                    n, NULL, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}
