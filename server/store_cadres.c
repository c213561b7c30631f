/*
 * store_cadres.c - the typed queries of the cadres area: the cadre row and
 * its profile versions (store_cadres.h has the contracts).
 *
 * Part of the store module (store_int.h): every statement is a static string
 * prepared once per connection by nl_store_stmt() and reset after each use.
 * The upsert reads before it writes and writes only rows whose content
 * changes, so an exact replay touches nothing (updated_at included). Profile
 * versions keep the timeline closed by construction: a version inserted at
 * date D ends the day before the next later version, and the version before
 * D is made to end on D - 1. The subtree of ListCadres is a recursive CTE
 * over the unit versions valid on the date asked for; its name filter
 * compares the folded full_name with the query folded the same way
 * (NL_STORE_NAME_HAS, store_int.h: accents count unless the query has none).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/date.h"
#include "../common/text.h"
#include "scope_auth.h"
#include "store.h"
#include "store_cadres.h"
#include "store_int.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

static const char SQL_CADRE_GET[] =
    "SELECT id, cadre_code, full_name, sex, birth_year FROM cadre WHERE cadre_code = ?1";
static const char SQL_CADRE_INSERT[] =
    "INSERT INTO cadre(cadre_code, full_name, sex, birth_year) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_CADRE_UPDATE[] = "UPDATE cadre SET full_name = ?2, sex = ?3, birth_year = ?4,"
                                       " updated_at = " NOW_SQL " WHERE id = ?1";
/* The unit's id and whether one of its versions is valid on ?2. */
static const char SQL_UNIT_AT[] =
    "SELECT u.id, EXISTS(SELECT 1 FROM unit_version AS v WHERE v.unit_id = u.id"
    " AND v.valid_from <= ?2 AND (v.valid_to IS NULL OR v.valid_to >= ?2))"
    " FROM unit AS u WHERE u.code = ?1";
static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
static const char SQL_PROFILE_AT[] =
    "SELECT id, unit_id, position_title, key_cadre, level, mgmt_category, education,"
    " political_theory, state_mgmt, COALESCE(valid_to, '')"
    " FROM cadre_profile WHERE cadre_id = ?1 AND valid_from = ?2";
static const char SQL_PROFILE_NEXT[] = "SELECT valid_from FROM cadre_profile"
                                       " WHERE cadre_id = ?1 AND valid_from > ?2"
                                       " ORDER BY valid_from LIMIT 1";
/* Ends the version before ?2 on ?3 (= ?2 - 1 day). */
static const char SQL_PROFILE_CLOSE_PREV[] =
    "UPDATE cadre_profile SET valid_to = ?3, updated_at = " NOW_SQL
    " WHERE id = (SELECT id FROM cadre_profile WHERE cadre_id = ?1 AND valid_from < ?2"
    " ORDER BY valid_from DESC LIMIT 1)";
static const char SQL_PROFILE_INSERT[] =
    "INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, position_title,"
    " key_cadre, level, mgmt_category, education, political_theory, state_mgmt)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_PROFILE_UPDATE[] =
    "UPDATE cadre_profile SET unit_id = ?2, position_title = ?3, key_cadre = ?4, level = ?5,"
    " mgmt_category = ?6, education = ?7, political_theory = ?8, state_mgmt = ?9,"
    " updated_at = " NOW_SQL " WHERE id = ?1";

/* The profile columns every read returns, in the order profile_cols() copies them. */
#define PROFILE_COLS                                                                               \
    "u.code, p.position_title, p.key_cadre, p.level, p.mgmt_category, p.education,"                \
    " p.political_theory, p.state_mgmt, p.valid_from, COALESCE(p.valid_to, '')"
#define VALID_ON(alias, param)                                                                     \
    alias ".valid_from <= " param " AND (" alias ".valid_to IS NULL OR " alias                     \
          ".valid_to >= " param ")"

static const char SQL_PROFILE_LIST[] =
    "SELECT " PROFILE_COLS " FROM cadre_profile AS p JOIN unit AS u ON u.id = p.unit_id"
    " WHERE p.cadre_id = ?1 ORDER BY p.valid_from";
/* A name filter: ?N is the folded query, '' for none. */
#define NAME_HAS(n) NL_STORE_NAME_HAS("c.full_name", n)
#define CADRE_LIST_COLS                                                                            \
    "SELECT c.cadre_code, c.full_name, c.sex, c.birth_year, " PROFILE_COLS                         \
    " FROM cadre AS c JOIN cadre_profile AS p ON p.cadre_id = c.id"                                \
    " JOIN unit AS u ON u.id = p.unit_id"
#define CADRE_LIST_PAGE                                                                            \
    " AND c.cadre_code > ?2 AND" NAME_HAS("?5") " AND" NL_AUTH_SCOPE_SQL(                          \
        NL_AUTH_CADRE_UNIT_SQL("c.id"), "?9") " ORDER BY c.cadre_code LIMIT ?3"
/* ?1 as_of, ?2 after, ?3 limit, ?5 the name filter (?4 unused), ?9 the caller's scope. */
static const char SQL_CADRE_LIST_ALL[] =
    CADRE_LIST_COLS " WHERE " VALID_ON("p", "?1") CADRE_LIST_PAGE;
/* The units under unit ?4 in the tree valid on ?1, itself included. */
#define SUBTREE_CTE                                                                                \
    "WITH RECURSIVE sub(id) AS (SELECT ?4"                                                         \
    " UNION SELECT v.unit_id FROM unit_version AS v JOIN sub ON v.parent_id = sub.id"              \
    " WHERE " VALID_ON("v", "?1") ") "
/* The same within the subtree of unit id ?4. */
static const char SQL_CADRE_LIST_UNDER[] =
    SUBTREE_CTE CADRE_LIST_COLS " WHERE p.unit_id IN sub AND " VALID_ON("p", "?1") CADRE_LIST_PAGE;

/* --- rows --- */

/* Copies the PROFILE_COLS of `s`, starting at column `c0`, into *out. */
static enum nl_status profile_cols(sqlite3_stmt *s, int c0, struct nl_cadre_profile_rec *out,
                                   struct nl_arena *a)
{
    out->unit = nl_store_col_text(s, c0, a);
    out->position_title = nl_store_col_text(s, c0 + 1, a);
    out->key_cadre = sqlite3_column_int(s, c0 + 2);
    out->level = sqlite3_column_int(s, c0 + 3);
    out->mgmt_category = sqlite3_column_int(s, c0 + 4);
    out->education = sqlite3_column_int(s, c0 + 5);
    out->political_theory = sqlite3_column_int(s, c0 + 6);
    out->state_mgmt = sqlite3_column_int(s, c0 + 7);
    out->valid_from = nl_store_col_text(s, c0 + 8, a);
    out->valid_to = nl_store_col_text(s, c0 + 9, a);
    if (out->unit == NULL || out->position_title == NULL || out->valid_from == NULL ||
        out->valid_to == NULL)
        return NL_RESOURCE_EXHAUSTED;
    return NL_OK;
}

/* Copies the cadre columns (code, full_name, sex, birth_year) from column `c0` into *out. */
static enum nl_status cadre_cols(sqlite3_stmt *s, int c0, struct nl_cadre_rec *out,
                                 struct nl_arena *a)
{
    out->code = nl_store_col_text(s, c0, a);
    out->full_name = nl_store_col_text(s, c0 + 1, a);
    out->sex = sqlite3_column_int(s, c0 + 2);
    out->birth_year = sqlite3_column_int(s, c0 + 3);
    return out->code == NULL || out->full_name == NULL ? NL_RESOURCE_EXHAUSTED : NL_OK;
}

static enum nl_status profile_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    return profile_cols(s, 0, rec, a);
}

static enum nl_status cadre_at_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_cadre_at_rec *out = rec;
    enum nl_status res = cadre_cols(s, 0, &out->cadre, a);

    return res == NL_OK ? profile_cols(s, 4, &out->profile, a) : res;
}

/* "YYYY-MM-DD" of the day before `date` (valid, from the caller) into out; -1 if unparsable. */
static int day_before(const char *date, char out[11])
{
    int32_t d;

    if (nl_date_parse(date, strlen(date), &d) != 0)
        return -1;
    nl_date_format(d - 1, out);
    return 0;
}

/* --- upsert --- */

/* Binds the content columns of a profile as ?first.. (unit id, title, key, five enums). */
static int bind_profile(sqlite3_stmt *s, int first, sqlite3_int64 unit_id,
                        const struct nl_cadre_profile_rec *p)
{
    int i = first;

    if (sqlite3_bind_int64(s, i++, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, i++, p->position_title) != SQLITE_OK ||
        sqlite3_bind_int(s, i++, p->key_cadre ? 1 : 0) != SQLITE_OK ||
        sqlite3_bind_int(s, i++, p->level) != SQLITE_OK ||
        sqlite3_bind_int(s, i++, p->mgmt_category) != SQLITE_OK ||
        sqlite3_bind_int(s, i++, p->education) != SQLITE_OK ||
        sqlite3_bind_int(s, i++, p->political_theory) != SQLITE_OK ||
        sqlite3_bind_int(s, i, p->state_mgmt) != SQLITE_OK)
        return -1;
    return 0;
}

/*
 * Inserts or updates the cadre row. *id is its id; *changed: 0 nothing
 * written, 1 updated, 2 inserted. The stored fields go to *out.
 */
static enum nl_status cadre_put(struct nl_store *st, const struct nl_cadre_rec *c,
                                sqlite3_int64 *id, int *changed, struct nl_cadre_rec *out,
                                struct nl_arena *a)
{
    sqlite3_stmt *get = NULL, *w = NULL;
    const char *name = c->full_name != NULL ? c->full_name : "";
    enum nl_status res;
    int row;

    *changed = 0;
    res = nl_store_find_by_code(st, SQL_CADRE_GET, c->code, "bind cadre code", &get, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        *id = sqlite3_column_int64(get, 0);
        /* An empty full_name keeps the stored one (store_cadres.h). */
        if (name[0] == '\0') {
            name = nl_store_col_text(get, 2, a);
            if (name == NULL) {
                res = NL_RESOURCE_EXHAUSTED;
                goto out;
            }
        }
        if (nl_store_col_eq(get, 2, name) && sqlite3_column_int(get, 3) == c->sex &&
            sqlite3_column_int(get, 4) == c->birth_year)
            goto done;
        nl_store_stmt_done(get);
        get = NULL;
        w = nl_store_stmt(st, SQL_CADRE_UPDATE, &res);
        if (w == NULL)
            goto out;
        if (sqlite3_bind_int64(w, 1, *id) != SQLITE_OK ||
            nl_store_bind_text(w, 2, name) != SQLITE_OK ||
            sqlite3_bind_int(w, 3, c->sex) != SQLITE_OK ||
            sqlite3_bind_int(w, 4, c->birth_year) != SQLITE_OK) {
            res = nl_store_bind_fail(st, "bind cadre update");
            goto out;
        }
        res = nl_store_step_write(st, w);
        if (res != NL_OK)
            goto out;
        *changed = 1;
        goto done;
    }
    w = nl_store_stmt(st, SQL_CADRE_INSERT, &res);
    if (w == NULL)
        goto out;
    if (nl_store_bind_text(w, 1, c->code) != SQLITE_OK ||
        nl_store_bind_text(w, 2, name) != SQLITE_OK ||
        sqlite3_bind_int(w, 3, c->sex) != SQLITE_OK ||
        sqlite3_bind_int(w, 4, c->birth_year) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind cadre insert");
        goto out;
    }
    res = nl_store_step_write(st, w);
    if (res != NL_OK)
        goto out;
    *id = sqlite3_last_insert_rowid(st->db);
    *changed = 2;
done:
    out->code = nl_arena_strdup(a, c->code);
    out->full_name = nl_arena_strdup(a, name);
    out->sex = c->sex;
    out->birth_year = c->birth_year;
    if (out->code == NULL || out->full_name == NULL)
        res = NL_RESOURCE_EXHAUSTED;
out:
    nl_store_stmt_done(get);
    nl_store_stmt_done(w);
    return res;
}

/* Looks up the profile's unit: its id, or INVALID_ARGUMENT when absent or not valid on as_of. */
static enum nl_status profile_unit(struct nl_store *st, const struct nl_cadre_profile_rec *p,
                                   sqlite3_int64 *unit_id, char *msg, size_t msglen)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_UNIT_AT, &res);
    int row;

    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, p->unit) != SQLITE_OK ||
        nl_store_bind_text(s, 2, p->valid_from) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind profile unit");
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res != NL_OK)
        goto out;
    if (!row) {
        nl_store_fmt_msg(msg, msglen, "profile.unit: no such unit");
        res = NL_INVALID_ARGUMENT;
    } else if (sqlite3_column_int(s, 1) == 0) {
        nl_store_fmt_msg(msg, msglen, "profile.unit: the unit is not valid on profile.as_of");
        res = NL_INVALID_ARGUMENT;
    } else {
        *unit_id = sqlite3_column_int64(s, 0);
    }
out:
    nl_store_stmt_done(s);
    return res;
}

/*
 * A new version at p->valid_from: ends the day before the next version (or
 * is current) and closes the previous one. *valid_to gets its last day.
 */
static enum nl_status profile_insert(struct nl_store *st, sqlite3_int64 cadre_id,
                                     sqlite3_int64 unit_id, const struct nl_cadre_profile_rec *p,
                                     char valid_to[11])
{
    sqlite3_stmt *next = NULL, *ins = NULL, *close = NULL;
    char prev_to[11];
    enum nl_status res = NL_OK;
    int row;

    valid_to[0] = '\0';
    if (day_before(p->valid_from, prev_to) != 0)
        return NL_INTERNAL; /* validated by the caller */
    next = nl_store_stmt(st, SQL_PROFILE_NEXT, &res);
    if (next == NULL)
        goto out;
    if (sqlite3_bind_int64(next, 1, cadre_id) != SQLITE_OK ||
        nl_store_bind_text(next, 2, p->valid_from) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind profile next");
        goto out;
    }
    res = nl_store_step_once(st, next, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        const char *nf = (const char *)sqlite3_column_text(next, 0);
        if (nf == NULL || day_before(nf, valid_to) != 0) {
            res = NL_DATA_LOSS; /* a stored date that does not parse */
            goto out;
        }
    }
    nl_store_stmt_done(next);
    next = NULL;

    ins = nl_store_stmt(st, SQL_PROFILE_INSERT, &res);
    if (ins == NULL)
        goto out;
    if (sqlite3_bind_int64(ins, 1, cadre_id) != SQLITE_OK ||
        nl_store_bind_text(ins, 2, p->valid_from) != SQLITE_OK ||
        (valid_to[0] != '\0' ? nl_store_bind_text(ins, 3, valid_to) : sqlite3_bind_null(ins, 3)) !=
            SQLITE_OK ||
        bind_profile(ins, 4, unit_id, p) != 0) {
        res = nl_store_bind_fail(st, "bind profile insert");
        goto out;
    }
    res = nl_store_step_write(st, ins);
    if (res != NL_OK)
        goto out;

    close = nl_store_stmt(st, SQL_PROFILE_CLOSE_PREV, &res);
    if (close == NULL)
        goto out;
    if (sqlite3_bind_int64(close, 1, cadre_id) != SQLITE_OK ||
        nl_store_bind_text(close, 2, p->valid_from) != SQLITE_OK ||
        nl_store_bind_text(close, 3, prev_to) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind profile close");
        goto out;
    }
    res = nl_store_step_write(st, close);
out:
    nl_store_stmt_done(next);
    nl_store_stmt_done(ins);
    nl_store_stmt_done(close);
    return res;
}

/*
 * Puts profile `p` of cadre `cadre_id`. *changed: 0 nothing written, 1 the
 * version was updated, 2 a version was inserted. *valid_to: its last day.
 */
static enum nl_status profile_put(struct nl_store *st, sqlite3_int64 cadre_id,
                                  sqlite3_int64 unit_id, const struct nl_cadre_profile_rec *p,
                                  int *changed, char valid_to[11])
{
    sqlite3_stmt *get = NULL, *upd = NULL;
    enum nl_status res = NL_OK;
    sqlite3_int64 id;
    int row;

    *changed = 0;
    valid_to[0] = '\0';
    get = nl_store_stmt(st, SQL_PROFILE_AT, &res);
    if (get == NULL)
        goto out;
    if (sqlite3_bind_int64(get, 1, cadre_id) != SQLITE_OK ||
        nl_store_bind_text(get, 2, p->valid_from) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind profile key");
        goto out;
    }
    res = nl_store_step_once(st, get, &row);
    if (res != NL_OK)
        goto out;
    if (!row) {
        nl_store_stmt_done(get);
        get = NULL;
        res = profile_insert(st, cadre_id, unit_id, p, valid_to);
        if (res == NL_OK)
            *changed = 2;
        goto out;
    }

    id = sqlite3_column_int64(get, 0);
    {
        const unsigned char *to = sqlite3_column_text(get, 9);
        size_t n = (size_t)sqlite3_column_bytes(get, 9);
        if (to != NULL && n == 10) {
            memcpy(valid_to, to, n);
            valid_to[n] = '\0';
        }
    }
    if (sqlite3_column_int64(get, 1) == unit_id && nl_store_col_eq(get, 2, p->position_title) &&
        sqlite3_column_int(get, 3) == (p->key_cadre ? 1 : 0) &&
        sqlite3_column_int(get, 4) == p->level && sqlite3_column_int(get, 5) == p->mgmt_category &&
        sqlite3_column_int(get, 6) == p->education &&
        sqlite3_column_int(get, 7) == p->political_theory &&
        sqlite3_column_int(get, 8) == p->state_mgmt)
        goto out; /* the same version: a replay */
    nl_store_stmt_done(get);
    get = NULL;

    upd = nl_store_stmt(st, SQL_PROFILE_UPDATE, &res);
    if (upd == NULL)
        goto out;
    if (sqlite3_bind_int64(upd, 1, id) != SQLITE_OK || bind_profile(upd, 2, unit_id, p) != 0) {
        res = nl_store_bind_fail(st, "bind profile update");
        goto out;
    }
    res = nl_store_step_write(st, upd);
    if (res == NL_OK)
        *changed = 1;
out:
    nl_store_stmt_done(get);
    nl_store_stmt_done(upd);
    return res;
}

enum nl_status nl_store_cadre_upsert(struct nl_store *st, const struct nl_cadre_rec *c,
                                     const struct nl_cadre_profile_rec *p, int *outcome,
                                     struct nl_cadre_rec *cout, struct nl_cadre_profile_rec *pout,
                                     struct nl_arena *a, char *msg, size_t msglen)
{
    sqlite3_int64 cadre_id = 0, unit_id = 0;
    int cchanged = 0, pchanged = 0;
    char valid_to[11];
    enum nl_status res;

    *outcome = NL_WRITE_UNCHANGED;
    nl_store_fmt_msg(msg, msglen, "%s", "");

    /* The unit first: a refused profile must leave even the cadre row untouched. */
    if (p != NULL) {
        res = profile_unit(st, p, &unit_id, msg, msglen);
        if (res != NL_OK)
            goto out;
    }
    res = cadre_put(st, c, &cadre_id, &cchanged, cout, a);
    if (res != NL_OK || p == NULL)
        goto done;
    res = profile_put(st, cadre_id, unit_id, p, &pchanged, valid_to);
    if (res != NL_OK)
        goto out;
    *pout = *p;
    pout->unit = nl_arena_strdup(a, p->unit);
    pout->position_title = nl_arena_strdup(a, p->position_title);
    pout->valid_from = nl_arena_strdup(a, p->valid_from);
    pout->valid_to = nl_arena_strdup(a, valid_to);
    pout->key_cadre = p->key_cadre ? 1 : 0;
    if (pout->unit == NULL || pout->position_title == NULL || pout->valid_from == NULL ||
        pout->valid_to == NULL)
        res = NL_RESOURCE_EXHAUSTED;
done:
    if (res == NL_OK) {
        if (cchanged == 2 || pchanged == 2)
            *outcome = NL_WRITE_CREATED;
        else if (cchanged != 0 || pchanged != 0)
            *outcome = NL_WRITE_UPDATED;
    }
out:
    nl_store_default_msg(res, msg, msglen);
    return res;
}

/* --- reads --- */

enum nl_status nl_store_cadre_get(struct nl_store *st, const char *code, struct nl_cadre_rec *out,
                                  struct nl_cadre_profile_rec **profiles, size_t *n,
                                  struct nl_arena *a)
{
    sqlite3_stmt *get = NULL, *list = NULL;
    sqlite3_int64 id;
    enum nl_status res;
    void *arr = NULL;
    int row;

    *profiles = NULL;
    *n = 0;
    res = nl_store_find_by_code(st, SQL_CADRE_GET, code, "bind cadre code", &get, &row);
    if (res != NL_OK)
        goto out;
    if (!row) {
        res = NL_NOT_FOUND;
        goto out;
    }
    id = sqlite3_column_int64(get, 0);
    res = cadre_cols(get, 1, out, a);
    if (res != NL_OK)
        goto out;
    nl_store_stmt_done(get);
    get = NULL;

    list = nl_store_stmt(st, SQL_PROFILE_LIST, &res);
    if (list == NULL)
        goto out;
    if (sqlite3_bind_int64(list, 1, id) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind profile list");
        goto out;
    }
    /* A person's history is short; the cap only bounds a damaged table. */
    res = nl_store_collect_rows(st, list, profile_row, sizeof(struct nl_cadre_profile_rec), 10000,
                                &arr, n, NULL, a);
    *profiles = arr;
out:
    nl_store_stmt_done(get);
    nl_store_stmt_done(list);
    return res;
}

enum nl_status nl_store_cadre_list(struct nl_store *st, const char *unit, const char *as_of,
                                   const char *name, const char *after, size_t limit,
                                   struct nl_cadre_at_rec **rows, size_t *n, int *more,
                                   struct nl_arena *a)
{
    return nl_store_cadre_list_scoped(st, 0, unit, as_of, name, after, limit, rows, n, more, a);
}

enum nl_status nl_store_cadre_list_scoped(struct nl_store *st, int64_t scope, const char *unit,
                                          const char *as_of, const char *name, const char *after,
                                          size_t limit, struct nl_cadre_at_rec **rows, size_t *n,
                                          int *more, struct nl_arena *a)
{
    int under = unit != NULL && unit[0] != '\0';
    /* One row past the page tells whether another page exists. */
    sqlite3_int64 lim = limit >= (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit + 1;
    sqlite3_stmt *uid = NULL, *s = NULL;
    sqlite3_int64 root = 0;
    enum nl_status res = NL_OK;
    void *arr = NULL;
    int row;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (under) {
        res = nl_store_find_by_code(st, SQL_UNIT_ID, unit, "bind unit code", &uid, &row);
        if (res == NL_OK && !row)
            res = NL_NOT_FOUND;
        if (res == NL_OK)
            root = sqlite3_column_int64(uid, 0);
        nl_store_stmt_done(uid);
        if (res != NL_OK)
            return res;
    }
    s = nl_store_stmt(st, under ? SQL_CADRE_LIST_UNDER : SQL_CADRE_LIST_ALL, &res);
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, as_of) != SQLITE_OK ||
        nl_store_bind_text(s, 2, after != NULL ? after : "") != SQLITE_OK ||
        sqlite3_bind_int64(s, 3, lim) != SQLITE_OK ||
        (under && sqlite3_bind_int64(s, 4, root) != SQLITE_OK) ||
        sqlite3_bind_int64(s, 9, scope) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind cadre list");
    else
        res = nl_store_bind_folded(st, s, 5, name);
    if (res == NL_OK)
        res = nl_store_collect_rows(st, s, cadre_at_row, sizeof(struct nl_cadre_at_rec), limit,
                                    &arr, n, more, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}
