/*
 * store_units.c - the typed queries of the Registry: units with their
 * versions, lifecycle events and lineage, terms and term instances.
 *
 * Part of the store module (store_int.h). Each statement is a static string
 * prepared once per connection through nl_store_stmt(); every use is bind ->
 * step -> copy out -> nl_store_stmt_done() before the next statement runs,
 * so the small helpers below can be called from anywhere without two uses
 * of one cached statement overlapping.
 *
 * Versions (DOMAIN.md 3, "Unit versions and events"): [valid_from, valid_to]
 * with valid_to the last valid day, NULL = current, '0001-01-01' = since
 * always (shown as ""). The writes keep a unit's versions free of overlaps:
 * a version inserted into the timeline ends the one before it and ends
 * before the next one, and no write ever clears a valid_to (an event's
 * closure survives a re-imported version row). Events are recorded once by
 * their key kind|date|sorted sources|sorted targets. No event leaves a
 * child under a unit it closes: DISSOLVE moves the children still valid on
 * the date under the unit's parent, MERGE and RENAME under their one target,
 * and a SPLIT (or a MERGE into several targets) with such a child is
 * refused; a child that a version row starting that day already places
 * elsewhere is not touched, so events the version rows already reflect
 * change nothing.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/date.h"
#include "../common/text.h"
#include "scope_auth.h"
#include "store.h"
#include "store_int.h"

#define SINCE_ALWAYS  "0001-01-01"
#define DATE_LEN      10
#define ANCESTORS_MAX 256 /* deeper than any real tree: a guard for the cycle walk */
#define ROLE_SOURCE   1
#define ROLE_TARGET   2
#define EV_MERGE      1
#define EV_SPLIT      2
#define EV_RENAME     3
#define EV_DISSOLVE   4
#define UPDATED_NOW   "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
#define VERSION_COLS                                                                               \
    "u.code, v.name, v.kind, COALESCE(p.code, ''), v.valid_from, COALESCE(v.valid_to, '')"
#define VERSION_FROM                                                                               \
    " FROM unit AS u JOIN unit_version AS v ON v.unit_id = u.id"                                   \
    " LEFT JOIN unit AS p ON p.id = v.parent_id"
#define VALID_ON(d) " v.valid_from <= " d " AND (v.valid_to IS NULL OR v.valid_to >= " d ")"

/*
 * The version of a unit that is current (valid_to NULL), or else its latest
 * one: the same row, since versions never overlap and a current version is
 * open-ended. Ordered by valid_from alone, SQLite walks the (unit_id,
 * valid_from) index backwards instead of sorting in a temporary B-tree.
 */
static const char SQL_UNIT_GET[] = "SELECT " VERSION_COLS VERSION_FROM " WHERE u.code = ?1"
                                   " ORDER BY v.valid_from DESC LIMIT 1";
/* Column 6: the version's id. */
static const char SQL_VERSION_BY_FROM[] =
    "SELECT " VERSION_COLS ", v.id" VERSION_FROM " WHERE u.code = ?1 AND v.valid_from = ?2";
static const char SQL_VERSIONS_OF[] =
    "SELECT " VERSION_COLS VERSION_FROM " WHERE u.code = ?1 ORDER BY v.valid_from";
static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
static const char SQL_UNIT_INSERT[] = "INSERT INTO unit(code) VALUES (?1)";
static const char SQL_VERSION_INSERT[] =
    "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/* The version of unit ?1 valid on ?2 (the latest start, should versions ever overlap). */
static const char SQL_VERSION_AT[] =
    "SELECT v.id, v.valid_from, COALESCE(v.valid_to, ''), COALESCE(v.parent_id, 0)"
    " FROM unit_version AS v WHERE v.unit_id = ?1 AND" VALID_ON(
        "?2") " ORDER BY v.valid_from DESC LIMIT 1";
static const char SQL_VERSION_PREV[] =
    "SELECT id, valid_from, COALESCE(valid_to, ''), COALESCE(parent_id, 0) FROM unit_version"
    " WHERE unit_id = ?1 AND valid_from < ?2 ORDER BY valid_from DESC LIMIT 1";
static const char SQL_VERSION_NEXT[] = "SELECT valid_from FROM unit_version"
                                       " WHERE unit_id = ?1 AND valid_from > ?2"
                                       " ORDER BY valid_from LIMIT 1";
static const char SQL_VERSION_STARTS_FROM[] =
    "SELECT 1 FROM unit_version WHERE unit_id = ?1 AND valid_from >= ?2 LIMIT 1";
static const char SQL_VERSION_SET_TO[] =
    "UPDATE unit_version SET valid_to = ?2, updated_at = " UPDATED_NOW " WHERE id = ?1";
static const char SQL_VERSION_SET_PARENT[] =
    "UPDATE unit_version SET parent_id = ?2, updated_at = " UPDATED_NOW " WHERE id = ?1";
/*
 * Versions valid on ?2 whose parent is unit ?1: the children that a DISSOLVE,
 * MERGE or RENAME moves (and that a SPLIT refuses), in code order.
 */
static const char SQL_CHILDREN_ON[] =
    "SELECT v.id, v.unit_id, v.name, v.kind, v.valid_from, COALESCE(v.valid_to, ''), u.code"
    " FROM unit_version AS v JOIN unit AS u ON u.id = v.unit_id"
    " WHERE v.parent_id = ?1 AND" VALID_ON("?2") " ORDER BY u.code";
static const char SQL_UNIT_VALID_ON[] =
    "SELECT EXISTS(SELECT 1 FROM unit_version AS v WHERE v.unit_id = u.id AND" VALID_ON(
        "?2") ")"
              " FROM unit AS u WHERE u.code = ?1";
/* A name filter: ?N is the folded query, '' for none (NL_STORE_NAME_HAS: store_int.h). */
#define NAME_HAS(n) NL_STORE_NAME_HAS("v.name", n)
/* The tree of a day: versions valid on ?1. */
static const char SQL_UNIT_LIST[] =
    "SELECT " VERSION_COLS VERSION_FROM " WHERE" VALID_ON("?1") " AND u.code > ?2 AND" NAME_HAS(
        "?4") " AND" NL_AUTH_SCOPE_SQL("u.id", "?9") " ORDER BY u.code LIMIT ?3";
static const char SQL_UNIT_LIST_CHILDREN[] =
    "SELECT " VERSION_COLS VERSION_FROM
    " WHERE p.code = ?1 AND" VALID_ON("?2") " AND u.code > ?3 AND" NAME_HAS(
        "?5") " AND" NL_AUTH_SCOPE_SQL("u.id", "?9") " ORDER BY u.code LIMIT ?4";

static const char SQL_EVENT_BY_KEY[] =
    "SELECT id, legal_basis FROM unit_event WHERE event_key = ?1";
static const char SQL_EVENT_INSERT[] = "INSERT INTO unit_event(kind, effective_date, legal_basis,"
                                       " event_key) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_EVENT_UNIT_INSERT[] =
    "INSERT INTO unit_event_unit(event_id, role, unit_id) VALUES (?1, ?2, ?3)";
static const char SQL_EVENT_GET[] =
    "SELECT kind, effective_date, legal_basis FROM unit_event WHERE id = ?1";
static const char SQL_EVENT_UNITS[] =
    "SELECT eu.role, u.code FROM unit_event_unit AS eu JOIN unit AS u ON u.id = eu.unit_id"
    " WHERE eu.event_id = ?1 ORDER BY eu.role, u.code";
static const char SQL_EVENTS_OF[] = "SELECT e.id FROM unit_event AS e WHERE e.id IN"
                                    " (SELECT event_id FROM unit_event_unit WHERE unit_id = ?1)"
                                    " ORDER BY e.effective_date, e.id";
/* One lineage hop from unit ?1: the units on the other side of its events. */
static const char SQL_LINEAGE_SUCC[] =
    "SELECT t.code, e.kind, e.effective_date FROM unit AS s"
    " JOIN unit_event_unit AS su ON su.unit_id = s.id AND su.role = 1"
    " JOIN unit_event AS e ON e.id = su.event_id AND e.kind IN (1, 2, 3)"
    " JOIN unit_event_unit AS tu ON tu.event_id = e.id AND tu.role = 2"
    " JOIN unit AS t ON t.id = tu.unit_id WHERE s.code = ?1 ORDER BY e.effective_date, t.code";
static const char SQL_LINEAGE_PRED[] =
    "SELECT s.code, e.kind, e.effective_date FROM unit AS t"
    " JOIN unit_event_unit AS tu ON tu.unit_id = t.id AND tu.role = 2"
    " JOIN unit_event AS e ON e.id = tu.event_id AND e.kind IN (1, 3)"
    " JOIN unit_event_unit AS su ON su.event_id = e.id AND su.role = 1"
    " JOIN unit AS s ON s.id = su.unit_id WHERE t.code = ?1 ORDER BY e.effective_date, s.code";

static const char SQL_TERM_GET[] =
    "SELECT code, kind, start_year, end_year FROM term WHERE code = ?1";
static const char SQL_TERM_ID[] = "SELECT id FROM term WHERE code = ?1";
static const char SQL_TERM_INSERT[] =
    "INSERT INTO term(code, kind, start_year, end_year) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_TERM_LIST[] = "SELECT code, kind, start_year, end_year FROM term"
                                    " WHERE ?1 = 0 OR kind = ?1 ORDER BY kind, start_year, code";
static const char SQL_TI_GET[] =
    "SELECT start_date, end_date FROM term_instance WHERE term_id = ?1 AND unit_id = ?2";
static const char SQL_TI_UPSERT[] =
    "INSERT INTO term_instance(term_id, unit_id, start_date, end_date) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT(term_id, unit_id) DO UPDATE SET start_date = excluded.start_date,"
    " end_date = excluded.end_date";

static const char *const event_kind_name[] = {"", "MERGE", "SPLIT", "RENAME", "DISSOLVE"};

/* --- small helpers --- */

/* "" (or NULL) for a missing optional text. */
static const char *opt(const char *s)
{
    return s != NULL ? s : "";
}

/* Copies a date column (at most 10 bytes; NULL = "") into out. */
static void col_date(sqlite3_stmt *s, int col, char out[DATE_LEN + 1])
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);

    if (t == NULL)
        n = 0;
    if (n > DATE_LEN)
        n = DATE_LEN;
    if (n > 0)
        memcpy(out, t, n);
    out[n] = '\0';
}

/* The day before `date` ("YYYY-MM-DD") into out; -1 if date does not parse. */
static int day_before(const char *date, char out[DATE_LEN + 1])
{
    int32_t d;

    if (nl_date_parse(date, strlen(date), &d) != 0)
        return -1;
    nl_date_format(d - 1, out);
    return 0;
}

/* Binds "" as NULL: the valid_to and parent columns. */
static int bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    return v[0] != '\0' ? nl_store_bind_text(s, i, v) : sqlite3_bind_null(s, i);
}

static int bind_id_or_null(sqlite3_stmt *s, int i, sqlite3_int64 id)
{
    return id != 0 ? sqlite3_bind_int64(s, i, id) : sqlite3_bind_null(s, i);
}

/* The id of the row `sql` finds by code ?1 into *id (0 when absent). */
static enum nl_status id_by_code(struct nl_store *st, const char *sql, const char *code,
                                 sqlite3_int64 *id)
{
    sqlite3_stmt *s;
    int row;
    enum nl_status res = nl_store_find_by_code(st, sql, code, "bind code", &s, &row);

    *id = 0;
    if (res == NL_OK && row)
        *id = sqlite3_column_int64(s, 0);
    nl_store_stmt_done(s);
    return res;
}

/* A version row as the write paths need it. */
struct ver {
    sqlite3_int64 id;
    sqlite3_int64 parent_id; /* 0 = none */
    char from[DATE_LEN + 1];
    char to[DATE_LEN + 1]; /* "" = current */
};

/*
 * Runs `sql` (SQL_VERSION_AT or SQL_VERSION_PREV: ?1 unit id, ?2 a date;
 * columns id, valid_from, valid_to, parent_id) and copies its row into *v;
 * *found says whether there was one.
 */
static enum nl_status version_query(struct nl_store *st, const char *sql, sqlite3_int64 unit_id,
                                    const char *date, struct ver *v, int *found)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, sql, &res);

    *found = 0;
    memset(v, 0, sizeof(*v));
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 2, date) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind version query");
    else
        res = nl_store_step_once(st, s, found);
    if (res == NL_OK && *found) {
        v->id = sqlite3_column_int64(s, 0);
        col_date(s, 1, v->from);
        col_date(s, 2, v->to);
        v->parent_id = sqlite3_column_int64(s, 3);
    }
    nl_store_stmt_done(s);
    return res;
}

/* The first valid_from after `date` of unit_id into next ("" when none). */
static enum nl_status version_next(struct nl_store *st, sqlite3_int64 unit_id, const char *date,
                                   char next[DATE_LEN + 1])
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_VERSION_NEXT, &res);
    int row = 0;

    next[0] = '\0';
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 2, date) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind version next");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row)
        col_date(s, 0, next);
    nl_store_stmt_done(s);
    return res;
}

/* 1 in *any when unit_id has a version starting on or after `date`. */
static enum nl_status version_starts_from(struct nl_store *st, sqlite3_int64 unit_id,
                                          const char *date, int *any)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_VERSION_STARTS_FROM, &res);

    *any = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 2, date) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind version starts");
    else
        res = nl_store_step_once(st, s, any);
    nl_store_stmt_done(s);
    return res;
}

/* Sets valid_to ("" = NULL) of version `id`. */
static enum nl_status version_set_to(struct nl_store *st, sqlite3_int64 id, const char *to)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_VERSION_SET_TO, &res);

    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK || bind_text_or_null(s, 2, to) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind version valid_to");
    else
        res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    return res;
}

static enum nl_status version_set_parent(struct nl_store *st, sqlite3_int64 id,
                                         sqlite3_int64 parent_id)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_VERSION_SET_PARENT, &res);

    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK || bind_id_or_null(s, 2, parent_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind version parent");
    else
        res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    return res;
}

/* Inserts a version row; from and to are dates ("" to = current). */
static enum nl_status version_insert(struct nl_store *st, sqlite3_int64 unit_id, const char *name,
                                     int kind, sqlite3_int64 parent_id, const char *from,
                                     const char *to)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_VERSION_INSERT, &res);

    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 2, name) != SQLITE_OK || sqlite3_bind_int(s, 3, kind) != SQLITE_OK ||
        bind_id_or_null(s, 4, parent_id) != SQLITE_OK ||
        nl_store_bind_text(s, 5, from) != SQLITE_OK || bind_text_or_null(s, 6, to) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit version");
    else
        res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    return res;
}

/* --- units --- */

/*
 * Copies a version row (code, name, kind, parent code, valid_from, valid_to)
 * of `s` into the record at `rec`; '0001-01-01' reads as "".
 */
static enum nl_status unit_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_unit_rec *out = rec;
    char *code = nl_store_col_text(s, 0, a);
    char *name = nl_store_col_text(s, 1, a);
    char *parent = nl_store_col_text(s, 3, a);
    char *from =
        nl_store_col_eq(s, 4, SINCE_ALWAYS) ? nl_arena_strdup(a, "") : nl_store_col_text(s, 4, a);
    char *to = nl_store_col_text(s, 5, a);

    if (code == NULL || name == NULL || parent == NULL || from == NULL || to == NULL)
        return NL_RESOURCE_EXHAUSTED;
    out->code = code;
    out->name = name;
    out->kind = sqlite3_column_int(s, 2);
    out->parent = parent;
    out->valid_from = from;
    out->valid_to = to;
    return NL_OK;
}

/*
 * Checks the parent of a version of unit `unit_id` (0: a new unit) starting
 * on `from`: it exists, is valid that day and is not the unit or one of its
 * descendants then. Sets *parent_id; NL_INVALID_ARGUMENT with msg otherwise.
 */
static enum nl_status parent_check(struct nl_store *st, const char *parent, const char *from,
                                   sqlite3_int64 unit_id, sqlite3_int64 *parent_id, char *msg,
                                   size_t msglen)
{
    enum nl_status res;
    sqlite3_int64 cur;
    struct ver v;
    int found;

    *parent_id = 0;
    if (parent[0] == '\0')
        return NL_OK;
    res = id_by_code(st, SQL_UNIT_ID, parent, parent_id);
    if (res != NL_OK)
        return res;
    if (*parent_id == 0) {
        nl_store_fmt_msg(msg, msglen, "unit.parent: no such unit");
        return NL_INVALID_ARGUMENT;
    }
    res = version_query(st, SQL_VERSION_AT, *parent_id, from, &v, &found);
    if (res != NL_OK)
        return res;
    if (!found) {
        nl_store_fmt_msg(msg, msglen, "unit.parent: not valid on unit.valid_from");
        return NL_INVALID_ARGUMENT;
    }
    /* Walk up from the parent on that day: meeting the unit itself would close a cycle. */
    cur = *parent_id;
    for (int depth = 0; unit_id != 0 && depth < ANCESTORS_MAX; depth++) {
        if (cur == unit_id) {
            nl_store_fmt_msg(msg, msglen, "unit.parent: would make the unit its own ancestor");
            return NL_INVALID_ARGUMENT;
        }
        if (depth > 0) {
            res = version_query(st, SQL_VERSION_AT, cur, from, &v, &found);
            if (res != NL_OK)
                return res;
        }
        if (!found || v.parent_id == 0)
            break;
        cur = v.parent_id;
    }
    return NL_OK;
}

/* The stored version with the same code and valid_from as a request. */
struct same_start {
    sqlite3_int64 id;
    int same;              /* name, kind and parent equal the request's */
    char to[DATE_LEN + 1]; /* its valid_to, "" = current */
};

/*
 * A version with the same code and valid_from exists: a replay, a closure
 * of a current version, or a conflict.
 */
static enum nl_status unit_same_start(struct nl_store *st, const struct same_start *old,
                                      sqlite3_int64 unit_id, const struct nl_unit_rec *u,
                                      const char *from, char *msg, size_t msglen)
{
    const char *to = opt(u->valid_to);
    char next[DATE_LEN + 1];
    enum nl_status res;

    if (!old->same) {
        nl_store_fmt_msg(msg, msglen,
                         "unit.code: a different unit with this code and valid_from exists");
        return NL_ALREADY_EXISTS;
    }
    /* An empty valid_to never clears one (an event may have set it). */
    if (to[0] == '\0' || strcmp(to, old->to) == 0)
        return NL_OK;
    if (old->to[0] != '\0') {
        nl_store_fmt_msg(msg, msglen, "unit.valid_to: differs from the stored version");
        return NL_ALREADY_EXISTS;
    }
    /* A current version that the request says has ended: close it. */
    res = version_next(st, unit_id, from, next);
    if (res != NL_OK)
        return res;
    if (next[0] != '\0' && strcmp(to, next) >= 0) {
        nl_store_fmt_msg(msg, msglen, "unit.valid_to: reaches into the next version of the unit");
        return NL_INVALID_ARGUMENT;
    }
    return version_set_to(st, old->id, to);
}

/* Inserts a version of an existing unit into its timeline (see nl_store_unit_create). */
static enum nl_status unit_insert_version(struct nl_store *st, sqlite3_int64 unit_id,
                                          sqlite3_int64 parent_id, const struct nl_unit_rec *u,
                                          const char *from, char *msg, size_t msglen)
{
    char next[DATE_LEN + 1], last[DATE_LEN + 1], to[DATE_LEN + 1];
    enum nl_status res;
    struct ver prev;
    int has_prev;

    (void)snprintf(to, sizeof(to), "%s", opt(u->valid_to));
    res = version_next(st, unit_id, from, next);
    if (res != NL_OK)
        return res;
    if (next[0] != '\0') {
        if (day_before(next, last) != 0)
            return NL_INTERNAL;
        if (to[0] != '\0' && strcmp(to, last) > 0) {
            nl_store_fmt_msg(msg, msglen,
                             "unit.valid_to: reaches into the next version of the unit");
            return NL_INVALID_ARGUMENT;
        }
        if (to[0] == '\0')
            memcpy(to, last, sizeof(to));
    }
    res = version_query(st, SQL_VERSION_PREV, unit_id, from, &prev, &has_prev);
    if (res != NL_OK)
        return res;
    /* The version before still runs on `from`: it ends the day before; its own end is kept. */
    if (has_prev && (prev.to[0] == '\0' || strcmp(prev.to, from) >= 0)) {
        if (prev.to[0] != '\0' && (to[0] == '\0' || strcmp(prev.to, to) < 0))
            memcpy(to, prev.to, sizeof(to));
        if (day_before(from, last) != 0)
            return NL_INTERNAL;
        res = version_set_to(st, prev.id, last);
        if (res != NL_OK)
            return res;
    }
    return version_insert(st, unit_id, u->name, u->kind, parent_id, from, to);
}

enum nl_status nl_store_unit_create(struct nl_store *st, const struct nl_unit_rec *u, int *created,
                                    char *msg, size_t msglen)
{
    const char *from = opt(u->valid_from)[0] != '\0' ? u->valid_from : SINCE_ALWAYS;
    sqlite3_int64 unit_id = 0, parent_id = 0;
    sqlite3_stmt *s = NULL;
    enum nl_status res;
    int row = 0;

    *created = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");

    res = id_by_code(st, SQL_UNIT_ID, u->code, &unit_id);
    if (res != NL_OK)
        goto out;
    if (unit_id != 0) {
        s = nl_store_stmt(st, SQL_VERSION_BY_FROM, &res);
        if (s == NULL)
            goto out;
        if (nl_store_bind_text(s, 1, u->code) != SQLITE_OK ||
            nl_store_bind_text(s, 2, from) != SQLITE_OK) {
            res = nl_store_bind_fail(st, "bind unit version");
            goto out;
        }
        res = nl_store_step_once(st, s, &row);
        if (res != NL_OK)
            goto out;
        if (row) {
            struct same_start old;

            /* Copy what the comparison needs and finish the read before any write. */
            old.id = sqlite3_column_int64(s, 6);
            old.same = nl_store_col_eq(s, 1, u->name) && sqlite3_column_int(s, 2) == u->kind &&
                       nl_store_col_eq(s, 3, opt(u->parent));
            col_date(s, 5, old.to);
            nl_store_stmt_done(s);
            s = NULL;
            res = unit_same_start(st, &old, unit_id, u, from, msg, msglen);
            goto out;
        }
        nl_store_stmt_done(s);
        s = NULL;
    }

    res = parent_check(st, opt(u->parent), from, unit_id, &parent_id, msg, msglen);
    if (res != NL_OK)
        goto out;

    if (unit_id == 0) {
        s = nl_store_stmt(st, SQL_UNIT_INSERT, &res);
        if (s == NULL)
            goto out;
        if (nl_store_bind_text(s, 1, u->code) != SQLITE_OK) {
            res = nl_store_bind_fail(st, "bind unit");
            goto out;
        }
        res = nl_store_step_write(st, s);
        if (res != NL_OK)
            goto out;
        nl_store_stmt_done(s);
        s = NULL;
        unit_id = sqlite3_last_insert_rowid(st->db);
        res = version_insert(st, unit_id, u->name, u->kind, parent_id, from, opt(u->valid_to));
    } else {
        res = unit_insert_version(st, unit_id, parent_id, u, from, msg, msglen);
    }
    *created = res == NL_OK;
out:
    nl_store_default_msg(res, msg, msglen);
    nl_store_stmt_done(s);
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

enum nl_status nl_store_unit_version_get(struct nl_store *st, const char *code,
                                         const char *valid_from, struct nl_unit_rec *out,
                                         struct nl_arena *a)
{
    const char *from = opt(valid_from)[0] != '\0' ? valid_from : SINCE_ALWAYS;
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_VERSION_BY_FROM, &res);
    int row = 0;

    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, code) != SQLITE_OK || nl_store_bind_text(s, 2, from) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit version");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK)
        res = row ? unit_row(s, out, a) : NL_NOT_FOUND;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_unit_valid_on(struct nl_store *st, const char *code, const char *date,
                                      int *valid)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_UNIT_VALID_ON, &res);
    int row = 0;

    *valid = 0;
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, code) != SQLITE_OK || nl_store_bind_text(s, 2, date) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit valid on");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && !row)
        res = NL_NOT_FOUND;
    if (res == NL_OK)
        *valid = sqlite3_column_int(s, 0) != 0;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_unit_list(struct nl_store *st, const char *parent, const char *as_of,
                                  const char *name, const char *after, size_t limit,
                                  struct nl_unit_rec **rows, size_t *n, int *more,
                                  struct nl_arena *a)
{
    return nl_store_unit_list_scoped(st, 0, parent, as_of, name, after, limit, rows, n, more, a);
}

enum nl_status nl_store_unit_list_scoped(struct nl_store *st, int64_t scope, const char *parent,
                                         const char *as_of, const char *name, const char *after,
                                         size_t limit, struct nl_unit_rec **rows, size_t *n,
                                         int *more, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    int children = parent != NULL && parent[0] != '\0';
    sqlite3_stmt *s = nl_store_stmt(st, children ? SQL_UNIT_LIST_CHILDREN : SQL_UNIT_LIST, &res);
    /* One row past the page tells whether another page exists. */
    sqlite3_int64 lim = limit >= (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit + 1;
    char today[DATE_LEN + 1];
    void *arr = NULL;
    int i = 1;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (s == NULL)
        return res;
    if (opt(as_of)[0] == '\0') {
        nl_date_format(nl_date_today(), today);
        as_of = today;
    }
    if ((children && nl_store_bind_text(s, i++, parent) != SQLITE_OK) ||
        nl_store_bind_text(s, i++, as_of) != SQLITE_OK ||
        nl_store_bind_text(s, i++, after != NULL ? after : "") != SQLITE_OK ||
        sqlite3_bind_int64(s, i++, lim) != SQLITE_OK ||
        sqlite3_bind_int64(s, 9, scope) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit list");
    else
        res = nl_store_bind_folded(st, s, i, name);
    if (res == NL_OK)
        res = nl_store_collect_rows(st, s, unit_row, sizeof(struct nl_unit_rec), limit, &arr, n,
                                    more, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}

/* --- events --- */

static int cmp_code(const void *x, const void *y)
{
    const char *const *a = x;
    const char *const *b = y;

    return strcmp(*a, *b);
}

/* A sorted arena copy of the n pointers of `codes` (the strings stay borrowed); NULL if no memory.
 */
static const char **sorted_codes(const char *const *codes, size_t n, struct nl_arena *a)
{
    const char **out = nl_arena_alloc(a, (n > 0 ? n : 1) * sizeof(*out));

    if (out == NULL)
        return NULL;
    if (n > 0)
        memcpy(out, codes, n * sizeof(*out));
    qsort(out, n, sizeof(*out), cmp_code);
    return out;
}

/* kind|date|s1,s2|t1,t2 in the arena; NULL if no memory. */
static char *event_key(int kind, const char *date, const char **src, size_t ns, const char **dst,
                       size_t nt, struct nl_arena *a)
{
    size_t len = strlen(event_kind_name[kind]) + 1 + strlen(date) + 2, off = 0;
    char *key;

    for (size_t i = 0; i < ns; i++)
        len += strlen(src[i]) + 1;
    for (size_t i = 0; i < nt; i++)
        len += strlen(dst[i]) + 1;
    key = nl_arena_alloc(a, len + 1);
    if (key == NULL)
        return NULL;
#define KEY_PUT(str)                                                                               \
    do {                                                                                           \
        size_t l_ = strlen(str);                                                                   \
        memcpy(key + off, (str), l_);                                                              \
        off += l_;                                                                                 \
    } while (0)
    KEY_PUT(event_kind_name[kind]);
    key[off++] = '|';
    KEY_PUT(date);
    key[off++] = '|';
    for (size_t i = 0; i < ns; i++) {
        if (i > 0)
            key[off++] = ',';
        KEY_PUT(src[i]);
    }
    key[off++] = '|';
    for (size_t i = 0; i < nt; i++) {
        if (i > 0)
            key[off++] = ',';
        KEY_PUT(dst[i]);
    }
#undef KEY_PUT
    key[off] = '\0';
    return key;
}

/* Reads event `id` with its sorted sources and targets into *out (strings in a). */
static enum nl_status event_load(struct nl_store *st, sqlite3_int64 id,
                                 struct nl_unit_event_rec *out, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_EVENT_GET, &res);
    const char **codes[3] = {NULL, NULL, NULL};
    size_t n[3] = {0, 0, 0}, cap[3] = {0, 0, 0};
    int row = 0;

    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind event id");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && !row)
        res = NL_INTERNAL;
    if (res == NL_OK) {
        out->kind = sqlite3_column_int(s, 0);
        out->effective_date = nl_store_col_text(s, 1, a);
        out->legal_basis = nl_store_col_text(s, 2, a);
        if (out->effective_date == NULL || out->legal_basis == NULL)
            res = NL_RESOURCE_EXHAUSTED;
    }
    nl_store_stmt_done(s);
    if (res != NL_OK)
        return res;

    s = nl_store_stmt(st, SQL_EVENT_UNITS, &res);
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind event id");
    while (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        int role = sqlite3_column_int(s, 0);
        char *code = nl_store_col_text(s, 1, a);

        if (role != ROLE_SOURCE && role != ROLE_TARGET) {
            res = NL_INTERNAL;
            break;
        }
        if (code == NULL) {
            res = NL_RESOURCE_EXHAUSTED;
            break;
        }
        if (n[role] == cap[role]) {
            size_t ncap = cap[role] == 0 ? 8 : cap[role] * 2;
            const char **p = nl_arena_alloc(a, ncap * sizeof(*p));
            if (p == NULL) {
                res = NL_RESOURCE_EXHAUSTED;
                break;
            }
            if (n[role] > 0)
                memcpy(p, codes[role], n[role] * sizeof(*p));
            codes[role] = p;
            cap[role] = ncap;
        }
        codes[role][n[role]++] = code;
    }
    nl_store_stmt_done(s);
    if (res != NL_OK)
        return res;
    out->sources = codes[ROLE_SOURCE];
    out->nsources = n[ROLE_SOURCE];
    out->targets = codes[ROLE_TARGET];
    out->ntargets = n[ROLE_TARGET];
    return NL_OK;
}

/* A child version that an event moves (or, for a SPLIT, refuses). */
struct child {
    sqlite3_int64 id, unit_id;
    char *name;
    char *code;
    int kind;
    char from[DATE_LEN + 1];
    char to[DATE_LEN + 1];
};

static enum nl_status child_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct child *c = rec;

    c->id = sqlite3_column_int64(s, 0);
    c->unit_id = sqlite3_column_int64(s, 1);
    c->name = nl_store_col_text(s, 2, a);
    c->kind = sqlite3_column_int(s, 3);
    col_date(s, 4, c->from);
    col_date(s, 5, c->to);
    c->code = nl_store_col_text(s, 6, a);
    return c->name != NULL && c->code != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

/* The versions valid on `date` whose parent is unit_id. */
static enum nl_status children_on(struct nl_store *st, sqlite3_int64 unit_id, const char *date,
                                  struct child **rows, size_t *n, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_CHILDREN_ON, &res);
    void *arr = NULL;

    *rows = NULL;
    *n = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 2, date) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind children");
    else
        res = nl_store_collect_rows(st, s, child_row, sizeof(struct child), SIZE_MAX / 2, &arr, n,
                                    NULL, a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}

/* 1 if `id` is one of the n ids. */
static int id_in(sqlite3_int64 id, const sqlite3_int64 *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

/*
 * Puts the child versions kids[0..n) (valid on `date` under the unit that
 * the event closes) under `parent` from `date`, except those of the units in
 * skip[0..nskip) (sources of the same event, which close instead). A version
 * starting that very day only takes the new parent; an older one ends the
 * day before and a copy under the new parent starts on `date`, ending where
 * it ended: every version is kept.
 */
static enum nl_status move_children(struct nl_store *st, const struct child *kids, size_t n,
                                    sqlite3_int64 parent, const char *date, const char *prev_day,
                                    const sqlite3_int64 *skip, size_t nskip)
{
    enum nl_status res = NL_OK;

    for (size_t i = 0; i < n && res == NL_OK; i++) {
        if (id_in(kids[i].unit_id, skip, nskip))
            continue;
        if (strcmp(kids[i].from, date) == 0) {
            res = version_set_parent(st, kids[i].id, parent);
            continue;
        }
        res = version_set_to(st, kids[i].id, prev_day);
        if (res == NL_OK)
            res = version_insert(st, kids[i].unit_id, kids[i].name, kids[i].kind, parent, date,
                                 kids[i].to);
    }
    return res;
}

/*
 * DISSOLVE of unit `src` (version `v` valid the day before `date`): its
 * children valid on `date` whose version there names it move under its
 * parent from that day. msg for a refusal.
 */
static enum nl_status dissolve_children(struct nl_store *st, const struct ver *v, sqlite3_int64 src,
                                        const char *date, const char *prev_day, char *msg,
                                        size_t msglen, struct nl_arena *a)
{
    struct child *kids = NULL;
    enum nl_status res;
    struct ver pv;
    size_t n = 0;
    int found;

    res = children_on(st, src, date, &kids, &n, a);
    if (res != NL_OK || n == 0)
        return res;
    if (v->parent_id == 0) {
        nl_store_fmt_msg(msg, msglen,
                         "event.sources[0]: has children and no parent to move them to");
        return NL_FAILED_PRECONDITION;
    }
    res = version_query(st, SQL_VERSION_AT, v->parent_id, date, &pv, &found);
    if (res != NL_OK)
        return res;
    if (!found) {
        nl_store_fmt_msg(msg, msglen,
                         "event.sources[0]: its parent is not valid on event.effective_date");
        return NL_FAILED_PRECONDITION;
    }
    return move_children(st, kids, n, v->parent_id, date, prev_day, NULL, 0);
}

/*
 * MERGE or RENAME into the one target dst_id: the children of every source
 * valid on `date` whose version there still names the source (a version row
 * starting that day may already place them elsewhere) move under the target
 * from that day; a child that is itself a source closes with the others.
 * Everything is checked before anything is written: a target that is one of
 * those children, or lies under one on `date`, would become its own
 * ancestor (NL_FAILED_PRECONDITION).
 */
static enum nl_status merge_children(struct nl_store *st, const struct nl_unit_event_rec *ev,
                                     const sqlite3_int64 *src_ids, sqlite3_int64 dst_id,
                                     const char *prev_day, char *msg, size_t msglen,
                                     struct nl_arena *a)
{
    struct child **kids = nl_arena_alloc(a, ev->nsources * sizeof(*kids));
    size_t *nkids = nl_arena_alloc(a, ev->nsources * sizeof(*nkids));
    sqlite3_int64 chain[ANCESTORS_MAX];
    size_t nchain = 0;
    enum nl_status res;
    struct ver v;
    int found = 1;

    if (kids == NULL || nkids == NULL)
        return NL_RESOURCE_EXHAUSTED;
    /* The target and its ancestors on the date. */
    for (sqlite3_int64 cur = dst_id; cur != 0 && found && nchain < ANCESTORS_MAX;
         cur = v.parent_id) {
        chain[nchain++] = cur;
        res = version_query(st, SQL_VERSION_AT, cur, ev->effective_date, &v, &found);
        if (res != NL_OK)
            return res;
    }
    for (size_t i = 0; i < ev->nsources; i++) {
        res = children_on(st, src_ids[i], ev->effective_date, &kids[i], &nkids[i], a);
        if (res != NL_OK)
            return res;
        for (size_t k = 0; k < nkids[i]; k++) {
            if (!id_in(kids[i][k].unit_id, src_ids, ev->nsources) &&
                id_in(kids[i][k].unit_id, chain, nchain)) {
                nl_store_fmt_msg(msg, msglen,
                                 "event.targets[0]: lies under event.sources[%zu] on"
                                 " event.effective_date",
                                 i);
                return NL_FAILED_PRECONDITION;
            }
        }
    }
    for (size_t i = 0; i < ev->nsources; i++) {
        res = move_children(st, kids[i], nkids[i], dst_id, ev->effective_date, prev_day, src_ids,
                            ev->nsources);
        if (res != NL_OK)
            return res;
    }
    return NL_OK;
}

/*
 * SPLIT, or a MERGE into several targets: the server cannot tell which
 * target a child of a source belongs under, so a child valid on `date` whose
 * version there still names a source (other than another source) refuses
 * the event (NL_FAILED_PRECONDITION, naming the first such child by code):
 * the user places the children first, with version rows from that date.
 */
static enum nl_status refuse_attached_children(struct nl_store *st,
                                               const struct nl_unit_event_rec *ev,
                                               const sqlite3_int64 *src_ids, char *msg,
                                               size_t msglen, struct nl_arena *a)
{
    for (size_t i = 0; i < ev->nsources; i++) {
        struct child *kids = NULL;
        size_t n = 0;
        enum nl_status res = children_on(st, src_ids[i], ev->effective_date, &kids, &n, a);

        if (res != NL_OK)
            return res;
        for (size_t k = 0; k < n; k++) {
            if (id_in(kids[k].unit_id, src_ids, ev->nsources))
                continue;
            nl_store_fmt_msg(msg, msglen,
                             "event.sources[%zu]: unit '%s' is still under it on"
                             " event.effective_date; place its children under one of the"
                             " targets first (a version row from that date)",
                             i, kids[k].code);
            return NL_FAILED_PRECONDITION;
        }
    }
    return NL_OK;
}

/* Inserts the event row and its unit rows; *id = the event's id. */
static enum nl_status event_insert(struct nl_store *st, const struct nl_unit_event_rec *ev,
                                   const char *key, const sqlite3_int64 *src_ids,
                                   const sqlite3_int64 *dst_ids, sqlite3_int64 *id)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_EVENT_INSERT, &res);

    if (s == NULL)
        return res;
    if (sqlite3_bind_int(s, 1, ev->kind) != SQLITE_OK ||
        nl_store_bind_text(s, 2, ev->effective_date) != SQLITE_OK ||
        nl_store_bind_text(s, 3, opt(ev->legal_basis)) != SQLITE_OK ||
        nl_store_bind_text(s, 4, key) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind event");
    else
        res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    if (res != NL_OK)
        return res;
    *id = sqlite3_last_insert_rowid(st->db);

    s = nl_store_stmt(st, SQL_EVENT_UNIT_INSERT, &res);
    if (s == NULL)
        return res;
    for (size_t i = 0; res == NL_OK && i < ev->nsources + ev->ntargets; i++) {
        int src = i < ev->nsources;
        sqlite3_int64 uid = src ? src_ids[i] : dst_ids[i - ev->nsources];

        if (sqlite3_bind_int64(s, 1, *id) != SQLITE_OK ||
            sqlite3_bind_int(s, 2, src ? ROLE_SOURCE : ROLE_TARGET) != SQLITE_OK ||
            sqlite3_bind_int64(s, 3, uid) != SQLITE_OK)
            res = nl_store_bind_fail(st, "bind event unit");
        else
            res = nl_store_step_write(st, s);
        nl_store_stmt_done(s);
    }
    return res;
}

/* Looks the units of the event up and checks them (see nl_store_unit_event_record). */
static enum nl_status event_resolve(struct nl_store *st, const struct nl_unit_event_rec *ev,
                                    const char *prev_day, sqlite3_int64 *src_ids,
                                    struct ver *src_vers, sqlite3_int64 *dst_ids, char *msg,
                                    size_t msglen)
{
    enum nl_status res;
    struct ver v;
    int found;

    for (size_t i = 0; i < ev->nsources; i++) {
        res = id_by_code(st, SQL_UNIT_ID, ev->sources[i], &src_ids[i]);
        if (res != NL_OK)
            return res;
        if (src_ids[i] == 0) {
            nl_store_fmt_msg(msg, msglen, "event.sources[%zu]: no such unit", i);
            return NL_INVALID_ARGUMENT;
        }
        res = version_query(st, SQL_VERSION_AT, src_ids[i], prev_day, &src_vers[i], &found);
        if (res != NL_OK)
            return res;
        if (!found) {
            nl_store_fmt_msg(msg, msglen,
                             "event.sources[%zu]: not valid the day before event.effective_date",
                             i);
            return NL_INVALID_ARGUMENT;
        }
        res = version_starts_from(st, src_ids[i], ev->effective_date, &found);
        if (res != NL_OK)
            return res;
        if (found) {
            nl_store_fmt_msg(msg, msglen,
                             "event.sources[%zu]: has versions from event.effective_date on", i);
            return NL_FAILED_PRECONDITION;
        }
    }
    for (size_t i = 0; i < ev->ntargets; i++) {
        res = id_by_code(st, SQL_UNIT_ID, ev->targets[i], &dst_ids[i]);
        if (res != NL_OK)
            return res;
        if (dst_ids[i] == 0) {
            nl_store_fmt_msg(msg, msglen, "event.targets[%zu]: no such unit", i);
            return NL_INVALID_ARGUMENT;
        }
        res = version_query(st, SQL_VERSION_AT, dst_ids[i], ev->effective_date, &v, &found);
        if (res != NL_OK)
            return res;
        if (!found) {
            nl_store_fmt_msg(msg, msglen, "event.targets[%zu]: not valid on event.effective_date",
                             i);
            return NL_INVALID_ARGUMENT;
        }
    }
    return NL_OK;
}

/* Applies a new event to the versions and records it (the key was not recorded before). */
static enum nl_status event_apply(struct nl_store *st, const struct nl_unit_event_rec *ev,
                                  const char *key, char *msg, size_t msglen, struct nl_arena *a)
{
    size_t nids = ev->nsources + ev->ntargets;
    sqlite3_int64 *ids = nl_arena_alloc(a, (nids > 0 ? nids : 1) * sizeof(*ids));
    struct ver *vers = nl_arena_alloc(a, (ev->nsources > 0 ? ev->nsources : 1) * sizeof(*vers));
    char prev_day[DATE_LEN + 1];
    enum nl_status res;
    sqlite3_int64 id;

    if (ids == NULL || vers == NULL)
        return NL_RESOURCE_EXHAUSTED;
    if (day_before(ev->effective_date, prev_day) != 0) {
        nl_store_fmt_msg(msg, msglen, "event.effective_date: must be a date YYYY-MM-DD");
        return NL_INVALID_ARGUMENT;
    }
    res = event_resolve(st, ev, prev_day, ids, vers, ids + ev->nsources, msg, msglen);
    if (res != NL_OK)
        return res;
    /* The children of the sources: moved under the parent or the one target, or refused. */
    if (ev->kind == EV_DISSOLVE)
        res = dissolve_children(st, &vers[0], ids[0], ev->effective_date, prev_day, msg, msglen, a);
    else if (ev->ntargets == 1 && (ev->kind == EV_MERGE || ev->kind == EV_RENAME))
        res = merge_children(st, ev, ids, ids[ev->nsources], prev_day, msg, msglen, a);
    else
        res = refuse_attached_children(st, ev, ids, msg, msglen, a);
    if (res != NL_OK)
        return res;
    /* Sources close the day before; one that already ended by then stays as it is. */
    for (size_t i = 0; i < ev->nsources; i++) {
        if (vers[i].to[0] == '\0' || strcmp(vers[i].to, prev_day) > 0) {
            res = version_set_to(st, vers[i].id, prev_day);
            if (res != NL_OK)
                return res;
        }
    }
    return event_insert(st, ev, key, ids, ids + ev->nsources, &id);
}

enum nl_status nl_store_unit_event_record(struct nl_store *st, const struct nl_unit_event_rec *ev,
                                          struct nl_unit_event_rec *out, int *created, char *msg,
                                          size_t msglen, struct nl_arena *a)
{
    const char **src, **dst;
    sqlite3_stmt *s = NULL;
    enum nl_status res;
    char *key;
    int row = 0;

    *created = 0;
    memset(out, 0, sizeof(*out));
    nl_store_fmt_msg(msg, msglen, "%s", "");
    if (ev->kind < EV_MERGE || ev->kind > EV_DISSOLVE || ev->nsources == 0) {
        res = NL_INTERNAL; /* the caller validates the shape */
        goto out;
    }
    src = sorted_codes(ev->sources, ev->nsources, a);
    dst = sorted_codes(ev->targets, ev->ntargets, a);
    key = src != NULL && dst != NULL
              ? event_key(ev->kind, ev->effective_date, src, ev->nsources, dst, ev->ntargets, a)
              : NULL;
    if (key == NULL) {
        res = NL_RESOURCE_EXHAUSTED;
        goto out;
    }

    res = nl_store_find_by_code(st, SQL_EVENT_BY_KEY, key, "bind event key", &s, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        sqlite3_int64 id = sqlite3_column_int64(s, 0);
        int same = nl_store_col_eq(s, 1, opt(ev->legal_basis));

        nl_store_stmt_done(s);
        s = NULL;
        if (!same) {
            nl_store_fmt_msg(msg, msglen, "event.legal_basis: differs from the recorded event");
            res = NL_FAILED_PRECONDITION;
            goto out;
        }
        res = event_load(st, id, out, a);
        goto out;
    }
    nl_store_stmt_done(s);
    s = NULL;

    res = event_apply(st, ev, key, msg, msglen, a);
    if (res != NL_OK)
        goto out;
    out->kind = ev->kind;
    out->effective_date = ev->effective_date;
    out->sources = src;
    out->nsources = ev->nsources;
    out->targets = dst;
    out->ntargets = ev->ntargets;
    out->legal_basis = opt(ev->legal_basis);
    *created = 1;
out:
    nl_store_default_msg(res, msg, msglen);
    nl_store_stmt_done(s);
    return res;
}

/* --- history and lineage --- */

static enum nl_status id_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    (void)a;
    *(sqlite3_int64 *)rec = sqlite3_column_int64(s, 0);
    return NL_OK;
}

enum nl_status nl_store_unit_history(struct nl_store *st, const char *code,
                                     struct nl_unit_rec **versions, size_t *nversions,
                                     struct nl_unit_event_rec **events, size_t *nevents,
                                     struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_int64 unit_id = 0, *ids = NULL;
    struct nl_unit_event_rec *evs = NULL;
    sqlite3_stmt *s;
    void *arr = NULL;
    size_t nids = 0;

    *versions = NULL;
    *nversions = 0;
    *events = NULL;
    *nevents = 0;
    res = id_by_code(st, SQL_UNIT_ID, code, &unit_id);
    if (res != NL_OK)
        return res;
    if (unit_id == 0)
        return NL_NOT_FOUND;

    s = nl_store_stmt(st, SQL_VERSIONS_OF, &res);
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, code) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit code");
    else
        res = nl_store_collect_rows(st, s, unit_row, sizeof(struct nl_unit_rec), SIZE_MAX / 2, &arr,
                                    nversions, NULL, a);
    nl_store_stmt_done(s);
    if (res != NL_OK)
        return res;
    *versions = arr;

    s = nl_store_stmt(st, SQL_EVENTS_OF, &res);
    if (s == NULL)
        return res;
    arr = NULL;
    if (sqlite3_bind_int64(s, 1, unit_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind unit id");
    else
        res = nl_store_collect_rows(st, s, id_row, sizeof(sqlite3_int64), SIZE_MAX / 2, &arr, &nids,
                                    NULL, a);
    nl_store_stmt_done(s);
    if (res != NL_OK || nids == 0)
        return res;
    ids = arr;
    evs = nl_arena_alloc(a, nids * sizeof(*evs));
    if (evs == NULL)
        return NL_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < nids; i++) {
        res = event_load(st, ids[i], &evs[i], a);
        if (res != NL_OK)
            return res;
    }
    *events = evs;
    *nevents = nids;
    return NL_OK;
}

/* A lineage hop as the query returns it. */
struct hop {
    char *code;
    int kind;
    char *date;
};

static enum nl_status hop_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct hop *h = rec;

    h->code = nl_store_col_text(s, 0, a);
    h->kind = sqlite3_column_int(s, 1);
    h->date = nl_store_col_text(s, 2, a);
    return h->code != NULL && h->date != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

/* 1 if `code` is the start or already a step. */
static int reached(const char *start, const struct nl_lineage_step *steps, size_t n,
                   const char *code)
{
    if (strcmp(start, code) == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(steps[i].code, code) == 0)
            return 1;
    return 0;
}

enum nl_status nl_store_unit_lineage(struct nl_store *st, const char *code, int direction,
                                     struct nl_lineage_step **steps, size_t *n, struct nl_arena *a)
{
    const char *sql = direction == NL_LINEAGE_PREDECESSORS ? SQL_LINEAGE_PRED : SQL_LINEAGE_SUCC;
    struct nl_lineage_step *out = NULL;
    sqlite3_int64 unit_id = 0;
    size_t count = 0, cap = 0;
    enum nl_status res;

    *steps = NULL;
    *n = 0;
    res = id_by_code(st, SQL_UNIT_ID, code, &unit_id);
    if (res != NL_OK)
        return res;
    if (unit_id == 0)
        return NL_NOT_FOUND;

    /* Breadth-first: the steps array is the queue; index -1 is the start. */
    for (size_t next = 0; next <= count; next++) {
        const char *from = next == 0 ? code : out[next - 1].code;
        struct hop *hops = NULL;
        void *arr = NULL;
        size_t nh = 0;
        sqlite3_stmt *s;

        s = nl_store_stmt(st, sql, &res);
        if (s == NULL)
            return res;
        if (nl_store_bind_text(s, 1, from) != SQLITE_OK)
            res = nl_store_bind_fail(st, "bind lineage code");
        else
            res = nl_store_collect_rows(st, s, hop_row, sizeof(struct hop), SIZE_MAX / 2, &arr, &nh,
                                        NULL, a);
        nl_store_stmt_done(s);
        if (res != NL_OK)
            return res;
        hops = arr;
        for (size_t i = 0; i < nh; i++) {
            if (reached(code, out, count, hops[i].code))
                continue;
            if (count == NL_LINEAGE_MAX_STEPS)
                return NL_RESOURCE_EXHAUSTED;
            if (count == cap) {
                size_t ncap = cap == 0 ? 16 : cap * 2;
                struct nl_lineage_step *p = nl_arena_alloc(a, ncap * sizeof(*p));
                if (p == NULL)
                    return NL_RESOURCE_EXHAUSTED;
                if (count > 0)
                    memcpy(p, out, count * sizeof(*p));
                out = p;
                cap = ncap;
            }
            out[count].code = hops[i].code;
            out[count].via_code = from;
            out[count].kind = hops[i].kind;
            out[count].effective_date = hops[i].date;
            count++;
        }
    }
    *steps = out;
    *n = count;
    return NL_OK;
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

enum nl_status nl_store_term_instance_get(struct nl_store *st, int64_t term_id, int64_t unit_id,
                                          const char **start, const char **end, int *found,
                                          struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TI_GET, &res);
    int row = 0;

    *found = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, term_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, unit_id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind term instance");
    if (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        *start = nl_store_col_text(s, 0, a);
        *end = nl_store_col_text(s, 1, a);
        if (*start == NULL || *end == NULL)
            res = NL_RESOURCE_EXHAUSTED;
        else
            *found = 1;
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_term_instance_set(struct nl_store *st,
                                          const struct nl_term_instance_rec *ti, int *created,
                                          char *msg, size_t msglen)
{
    sqlite3_int64 term_id = 0, unit_id = 0;
    enum nl_status res;
    sqlite3_stmt *s = NULL;
    int row = 0, same = 0;

    *created = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = id_by_code(st, SQL_TERM_ID, ti->term, &term_id);
    if (res != NL_OK)
        goto out;
    if (term_id == 0) {
        nl_store_fmt_msg(msg, msglen, "instance.term: no such term");
        res = NL_INVALID_ARGUMENT;
        goto out;
    }
    res = id_by_code(st, SQL_UNIT_ID, ti->unit, &unit_id);
    if (res != NL_OK)
        goto out;
    if (unit_id == 0) {
        nl_store_fmt_msg(msg, msglen, "instance.unit: no such unit");
        res = NL_INVALID_ARGUMENT;
        goto out;
    }

    s = nl_store_stmt(st, SQL_TI_GET, &res);
    if (s == NULL)
        goto out;
    if (sqlite3_bind_int64(s, 1, term_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, unit_id) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind term instance");
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res != NL_OK)
        goto out;
    same = row && nl_store_col_eq(s, 0, ti->start_date) && nl_store_col_eq(s, 1, ti->end_date);
    nl_store_stmt_done(s);
    s = NULL;
    if (same)
        goto out;

    s = nl_store_stmt(st, SQL_TI_UPSERT, &res);
    if (s == NULL)
        goto out;
    if (sqlite3_bind_int64(s, 1, term_id) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 3, ti->start_date) != SQLITE_OK ||
        nl_store_bind_text(s, 4, ti->end_date) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind term instance");
        goto out;
    }
    res = nl_store_step_write(st, s);
    *created = res == NL_OK && !row;
out:
    nl_store_default_msg(res, msg, msglen);
    nl_store_stmt_done(s);
    return res;
}
