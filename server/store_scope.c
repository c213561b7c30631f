/*
 * store_scope.c - the store side of the unit confinement rule
 * (scope_auth.h): whether one unit is in the scope rooted at another, by
 * the same NL_AUTH_SCOPE_SQL fragment the list statements embed, so "may
 * this caller see unit X" has one definition in SQL.
 *
 * Part of the store module (store_int.h): statements are static strings
 * prepared once per connection; reads run in the caller's transaction.
 */
#include "scope_auth.h"
#include "store.h"
#include "store_int.h"

static const char SQL_SCOPE_HAS[] = "SELECT" NL_AUTH_SCOPE_SQL("?2", "?1");
static const char SQL_SCOPE_HAS_CODE[] =
    "SELECT 1 FROM unit AS u WHERE u.code = ?2 AND" NL_AUTH_SCOPE_SQL("u.id", "?1");
static const char SQL_UNIT_CODE[] = "SELECT code FROM unit WHERE id = ?1";
static const char SQL_SCOPE_HAS_CADRE[] =
    "SELECT" NL_AUTH_SCOPE_SQL(NL_AUTH_CADRE_UNIT_SQL("c.id"), "?1") " FROM cadre AS c"
                                                                     " WHERE c.cadre_code = ?2";

enum nl_status nl_store_scope_has(struct nl_store *st, int64_t root, int64_t unit_id, int *in)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_SCOPE_HAS, &res);
    int row = 0;

    *in = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, root) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, unit_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind scope unit");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row)
        *in = sqlite3_column_int(s, 0) != 0;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_scope_has_code(struct nl_store *st, int64_t root, const char *code, int *in)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_SCOPE_HAS_CODE, &res);
    int row = 0;

    *in = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, root) != SQLITE_OK || nl_store_bind_text(s, 2, code) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind scope code");
    else
        res = nl_store_step_once(st, s, &row);
    *in = res == NL_OK && row;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_scope_has_cadre(struct nl_store *st, int64_t root, const char *code,
                                        int *in, int *exists)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_SCOPE_HAS_CADRE, &res);
    int row = 0;

    *in = 0;
    *exists = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, root) != SQLITE_OK || nl_store_bind_text(s, 2, code) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind scope cadre");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row) {
        *exists = 1;
        *in = sqlite3_column_int(s, 0) == 1; /* NULL (no profile) is not in */
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_unit_code_of(struct nl_store *st, int64_t id, const char **code,
                                     struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_UNIT_CODE, &res);
    int row = 0;

    *code = NULL;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit id");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && !row)
        res = NL_NOT_FOUND;
    if (res == NL_OK) {
        *code = nl_store_col_text(s, 0, a);
        if (*code == NULL)
            res = NL_RESOURCE_EXHAUSTED;
    }
    nl_store_stmt_done(s);
    return res;
}
