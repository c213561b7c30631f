/*
 * store.c - the SQLite store: one connection, its pragmas, the schema
 * migrations and the typed queries of the Registry.
 *
 * This is the only file besides writer.c that includes sqlite3.h. A struct
 * nl_store wraps one connection used by one thread at a time (opened with
 * SQLITE_OPEN_NOMUTEX). Every statement is prepared once per connection, on
 * first use, with SQLITE_PREPARE_PERSISTENT, and every use follows the same
 * shape: bind -> step -> copy the columns out -> sqlite3_reset +
 * sqlite3_clear_bindings at the cleanup label, so no statement is ever left
 * holding a read snapshot. Values reach SQL only as bound parameters; the one
 * SQL text built at run time is "PRAGMA user_version = N" during migration,
 * where N is our own migration counter (a pragma cannot take a parameter).
 *
 * Schema changes live in migrations[]: entry i takes user_version i to i + 1
 * and runs, with the version bump, inside one BEGIN IMMEDIATE transaction, so
 * a killed migration leaves the old or the new schema, never half of it.
 *
 * SQLite results become enum nl_status in store_fail() (RELIABILITY.md 2.4);
 * sqlite3_errmsg() goes to the log there and never into a client message.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../common/log.h"
#include "job.h"
#include "store.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_PROGRESS_STEPS  1000

/*
 * Migration i brings user_version from i to i + 1. Append only: a released
 * entry never changes, because databases in the field already ran it.
 */
static const char *const migrations[] = {
    /* 1: the reporting tree and the terms. */
    "CREATE TABLE unit("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  kind INTEGER NOT NULL CHECK(kind BETWEEN 1 AND 8),"
    "  parent_id INTEGER REFERENCES unit(id),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ");"
    /* (parent_id, code) serves both the foreign key and the children listing in code order. */
    "CREATE INDEX unit_parent ON unit(parent_id, code);"
    "CREATE TABLE term("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL CHECK(kind IN (1, 2)),"
    "  start_year INTEGER NOT NULL,"
    "  end_year INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  CHECK(start_year < end_year)"
    ");",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == NL_STORE_SCHEMA_VERSION,
               "one migration per schema version");

enum stmt_id {
    S_BEGIN,
    S_BEGIN_IMMEDIATE,
    S_COMMIT,
    S_ROLLBACK,
    S_SAVEPOINT,
    S_RELEASE,
    S_ROLLBACK_TO,
    S_USER_VERSION,
    S_CHECKPOINT,
    S_UNIT_GET,
    S_UNIT_ID,
    S_UNIT_INSERT,
    S_UNIT_LIST,
    S_UNIT_LIST_CHILDREN,
    S_TERM_GET,
    S_TERM_INSERT,
    S_TERM_LIST,
    S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN",
    [S_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT job",
    [S_RELEASE] = "RELEASE job",
    [S_ROLLBACK_TO] = "ROLLBACK TO job",
    [S_USER_VERSION] = "PRAGMA user_version",
    [S_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
    [S_UNIT_GET] = "SELECT u.code, u.name, u.kind, COALESCE(p.code, '')"
                   " FROM unit AS u LEFT JOIN unit AS p ON p.id = u.parent_id"
                   " WHERE u.code = ?1",
    [S_UNIT_ID] = "SELECT id FROM unit WHERE code = ?1",
    [S_UNIT_INSERT] = "INSERT INTO unit(code, name, kind, parent_id) VALUES (?1, ?2, ?3, ?4)",
    [S_UNIT_LIST] = "SELECT u.code, u.name, u.kind, COALESCE(p.code, '')"
                    " FROM unit AS u LEFT JOIN unit AS p ON p.id = u.parent_id"
                    " WHERE u.code > ?1 ORDER BY u.code LIMIT ?2",
    [S_UNIT_LIST_CHILDREN] = "SELECT u.code, u.name, u.kind, p.code"
                             " FROM unit AS p JOIN unit AS u ON u.parent_id = p.id"
                             " WHERE p.code = ?1 AND u.code > ?2 ORDER BY u.code LIMIT ?3",
    [S_TERM_GET] = "SELECT code, kind, start_year, end_year FROM term WHERE code = ?1",
    [S_TERM_INSERT] = "INSERT INTO term(code, kind, start_year, end_year) VALUES (?1, ?2, ?3, ?4)",
    [S_TERM_LIST] = ("SELECT code, kind, start_year, end_year FROM term"
                     " WHERE ?1 = 0 OR kind = ?1 ORDER BY kind, start_year, code"),
};

struct nl_store {
    sqlite3 *db;
    enum nl_store_mode mode;
    const atomic_int *cancel; /* borrowed, see nl_store_set_interrupt */
    uint64_t deadline_ms;
    enum nl_status stopped; /* why the progress handler last stopped a statement */
    sqlite3_stmt *stmt[S_COUNT];
};

static void fmt_msg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fmt_msg(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (buf == NULL || len == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

const char *nl_store_errmsg(enum nl_status st)
{
    switch (st) {
    case NL_OK:
        return "";
    case NL_CANCELLED:
        return "call cancelled";
    case NL_DEADLINE_EXCEEDED:
        return "deadline exceeded";
    case NL_NOT_FOUND:
        return "not found";
    case NL_ALREADY_EXISTS:
        return "already exists";
    case NL_FAILED_PRECONDITION:
        return "the request conflicts with stored data";
    case NL_RESOURCE_EXHAUSTED:
        return "the database is out of space or memory";
    case NL_UNAVAILABLE:
        return "the database is busy or unavailable, try again";
    case NL_DATA_LOSS:
        return "the database is damaged";
    default:
        return "internal error in the store";
    }
}

/*
 * Maps a SQLite result (extended codes on) to a status and logs what the
 * operator needs: the SQLite message and what we were doing. `what` is our
 * own constant text (a statement or a step name), never a client value.
 */
static enum nl_status store_fail(struct nl_store *st, int rc, const char *what)
{
    const char *em = sqlite3_errmsg(st->db);

    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            nl_log_debug("store: %s: %s", what, em);
            return NL_ALREADY_EXISTS;
        }
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY || rc == SQLITE_CONSTRAINT_CHECK) {
            /* Validation should have caught it before the store. */
            nl_log_warnx("store: %s: %s", what, em);
            return NL_FAILED_PRECONDITION;
        }
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        nl_log_warnx("store: %s: %s", what, em);
        return NL_UNAVAILABLE;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
        nl_log_error("store: %s: %s", what, em);
        return NL_RESOURCE_EXHAUSTED;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        nl_log_error("store: %s: %s (database damaged)", what, em);
        return NL_DATA_LOSS;
    case SQLITE_INTERRUPT:
        nl_log_debug("store: %s: interrupted", what);
        return st->stopped == NL_CANCELLED ? NL_CANCELLED : NL_DEADLINE_EXCEEDED;
    case SQLITE_IOERR:
        nl_log_error("store: %s: %s (I/O error %d)", what, em, rc);
        return NL_UNAVAILABLE;
    default:
        break;
    }
    nl_log_error("store: %s: %s (%d)", what, em, rc);
    return NL_INTERNAL;
}

/* The status for a failure while opening, when no connection-level log applies. */
static enum nl_status open_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return NL_DATA_LOSS;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
        return NL_RESOURCE_EXHAUSTED;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return NL_UNAVAILABLE;
    default:
        return NL_INTERNAL;
    }
}

/* Returns the prepared statement `id`, preparing it on first use; NULL after store_fail. */
static sqlite3_stmt *stmt_get(struct nl_store *st, enum stmt_id id, enum nl_status *err)
{
    if (st->stmt[id] == NULL) {
        int rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &st->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            *err = store_fail(st, rc, stmt_sql[id]);
            sqlite3_finalize(st->stmt[id]);
            st->stmt[id] = NULL;
            return NULL;
        }
    }
    return st->stmt[id];
}

/* The cleanup half of every use: drop the snapshot and the borrowed bindings. */
static void stmt_done(sqlite3_stmt *s)
{
    if (s != NULL) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

/* Runs a statement without parameters whose rows (if any) do not matter. */
static enum nl_status run_simple(struct nl_store *st, enum stmt_id id)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = stmt_get(st, id, &res);
    int rc;

    if (s == NULL)
        return res;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE)
        res = store_fail(st, rc, stmt_sql[id]);
    stmt_done(s);
    return res;
}

/* Binds text that outlives the step (every caller resets before returning). */
static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* Copies text column `col` of the current row into the arena. */
static char *col_text(sqlite3_stmt *s, int col, struct nl_arena *a)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);

    if (t == NULL)
        return nl_arena_strndup(a, "", 0);
    return nl_arena_strndup(a, (const char *)t, (size_t)n);
}

/* Column text compared with a C string, without copying. */
static int col_eq(sqlite3_stmt *s, int col, const char *v)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);

    if (t == NULL)
        return v[0] == '\0';
    return strlen(v) == n && memcmp(t, v, n) == 0;
}

/* A failed sqlite3_bind_*: the connection's error code, logged with `what`. */
static enum nl_status bind_fail(struct nl_store *st, const char *what)
{
    return store_fail(st, sqlite3_errcode(st->db), what);
}

/*
 * Steps `s` (bound) once: NL_OK with *row = 1 when it stands on a row (its
 * columns readable until stmt_done), *row = 0 when it is done, else the status
 * of store_fail. Errors are logged with the statement's own SQL.
 */
static enum nl_status step_once(struct nl_store *st, sqlite3_stmt *s, int *row)
{
    int rc = sqlite3_step(s);

    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return NL_OK;
    return store_fail(st, rc, sqlite3_sql(s));
}

/*
 * Prepares statement `id`, binds `code` as ?1 and steps once: the lookup of
 * one row by code. On NL_OK, *s is the statement (*row says whether it stands
 * on a row); the caller reads the columns and calls stmt_done(*s) in any case,
 * as it does on failure (*s may then be NULL).
 */
static enum nl_status find_by_code(struct nl_store *st, enum stmt_id id, const char *code,
                                   const char *what, sqlite3_stmt **s, int *row)
{
    enum nl_status res = NL_OK;

    *row = 0;
    *s = stmt_get(st, id, &res);
    if (*s == NULL)
        return res;
    if (bind_text(*s, 1, code) != SQLITE_OK)
        return bind_fail(st, what);
    return step_once(st, *s, row);
}

/* Steps a bound write statement `s` that returns no rows: NL_OK or the mapped status. */
static enum nl_status step_write(struct nl_store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);

    return rc == SQLITE_DONE ? NL_OK : store_fail(st, rc, sqlite3_sql(s));
}

/* Fills an empty client message from the status, the way every create returns. */
static void default_msg(enum nl_status res, char *msg, size_t msglen)
{
    if (res != NL_OK && msg != NULL && msglen > 0 && msg[0] == '\0')
        fmt_msg(msg, msglen, "%s", nl_store_errmsg(res));
}

static int store_progress(void *arg)
{
    struct nl_store *st = arg;

    if (st->cancel != NULL && atomic_load(st->cancel) != 0) {
        st->stopped = NL_CANCELLED;
        return 1;
    }
    if (st->deadline_ms != 0 && nl_now_ms() >= st->deadline_ms) {
        st->stopped = NL_DEADLINE_EXCEEDED;
        return 1;
    }
    return 0;
}

void nl_store_set_interrupt(struct nl_store *st, const atomic_int *cancel, uint64_t deadline_ms)
{
    st->cancel = cancel;
    st->deadline_ms = deadline_ms;
    st->stopped = NL_OK;
    if (cancel != NULL || deadline_ms != 0)
        sqlite3_progress_handler(st->db, STORE_PROGRESS_STEPS, store_progress, st);
    else
        sqlite3_progress_handler(st->db, 0, NULL, NULL);
}

/* --- opening --- */

/* Runs constant SQL (no values) at open time; on failure fills err and returns the status. */
static enum nl_status open_exec(struct nl_store *st, const char *path, const char *sql, char *err,
                                size_t errlen)
{
    char *em = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &em);

    if (rc == SQLITE_OK)
        return NL_OK;
    fmt_msg(err, errlen, "cannot set up '%s': %s", path, em != NULL ? em : sqlite3_errstr(rc));
    sqlite3_free(em);
    return open_status(rc);
}

/*
 * Runs constant SQL and copies the first column of its first row into out
 * ("" when there is no row). Returns SQLITE_OK or the failing result.
 */
static int query_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

    if (outlen > 0)
        out[0] = '\0';
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        if (t != NULL && outlen > 0)
            (void)snprintf(out, outlen, "%s", (const char *)t);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

static int query_user_version(sqlite3 *db, int *v)
{
    char buf[32];
    int rc = query_text(db, "PRAGMA user_version", buf, sizeof(buf));

    if (rc == SQLITE_OK)
        *v = (int)strtol(buf, NULL, 10);
    return rc;
}

/* Checks the schema version against this build; fills err when it cannot be used. */
static enum nl_status check_version(int v, enum nl_store_mode mode, const char *path, char *err,
                                    size_t errlen)
{
    if (v < 0) {
        fmt_msg(err, errlen, "database '%s' has schema version %d, which no nhanlucd writes", path,
                v);
        return NL_FAILED_PRECONDITION;
    }
    if (v > NL_STORE_SCHEMA_VERSION) {
        fmt_msg(err, errlen, "database schema version %d is newer than this nhanlucd (%d)", v,
                NL_STORE_SCHEMA_VERSION);
        return NL_FAILED_PRECONDITION;
    }
    if (mode == NL_STORE_READONLY && v < NL_STORE_SCHEMA_VERSION) {
        fmt_msg(err, errlen,
                "database '%s' has schema version %d, older than this nhanlucd (%d); "
                "open it read-write first",
                path, v, NL_STORE_SCHEMA_VERSION);
        return NL_FAILED_PRECONDITION;
    }
    return NL_OK;
}

/*
 * Runs every pending migration, each with its version bump in one BEGIN
 * IMMEDIATE transaction. The version is read again inside the transaction:
 * another process may have migrated while we waited for the lock.
 */
static enum nl_status migrate(struct nl_store *st, const char *path, char *err, size_t errlen)
{
    enum nl_status res;
    int v = 0;
    int rc = query_user_version(st->db, &v);

    if (rc != SQLITE_OK) {
        fmt_msg(err, errlen, "cannot read the schema version of '%s': %s", path,
                sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    res = check_version(v, NL_STORE_READWRITE, path, err, errlen);
    if (res != NL_OK || v == NL_STORE_SCHEMA_VERSION)
        return res;

    for (;;) {
        char bump[64];

        rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = query_user_version(st->db, &v);
        if (rc != SQLITE_OK)
            goto sqlfail;
        res = check_version(v, NL_STORE_READWRITE, path, err, errlen);
        if (res != NL_OK) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return res;
        }
        if (v == NL_STORE_SCHEMA_VERSION) {
            rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
            if (rc != SQLITE_OK)
                goto sqlfail;
            return NL_OK;
        }
        rc = sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            (void)snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
            rc = sqlite3_exec(st->db, bump, NULL, NULL, NULL);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            goto sqlfail;
        nl_log_info("store: database migrated to schema version %d", v + 1);
    }

sqlfail:
    fmt_msg(err, errlen, "database '%s': migration to schema version %d failed: %s", path, v + 1,
            sqlite3_errmsg(st->db));
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    res = open_status(rc);
    if (res != NL_UNAVAILABLE && res != NL_DATA_LOSS && res != NL_RESOURCE_EXHAUSTED)
        res = NL_INTERNAL;
    return res;
}

/* PRAGMA quick_check must answer exactly "ok". */
static enum nl_status quick_check(struct nl_store *st, const char *path, char *err, size_t errlen)
{
    char res[256];
    int rc = query_text(st->db, "PRAGMA quick_check", res, sizeof(res));

    if (rc != SQLITE_OK) {
        fmt_msg(err, errlen, "database '%s' failed its integrity check: %s", path,
                sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    if (strcmp(res, "ok") != 0) {
        /* The first report reads "*** in database main ***\nPage 2: ..."; keep one line. */
        for (char *p = res; *p != '\0'; p++) {
            if (*p == '\n')
                *p = ' ';
        }
        for (size_t n = strlen(res); n > 0 && res[n - 1] == ' '; n--)
            res[n - 1] = '\0';
        fmt_msg(err, errlen, "database '%s' failed its integrity check: %s", path, res);
        return NL_DATA_LOSS;
    }
    return NL_OK;
}

/* The pragmas of RELIABILITY.md 2.1 for the writer's connection. */
static enum nl_status setup_readwrite(struct nl_store *st, const char *path, char *err,
                                      size_t errlen)
{
    char mode[32];
    enum nl_status res;
    int rc;

    res = open_exec(st, path,
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA trusted_schema = OFF;"
                    "PRAGMA secure_delete = ON;"
                    "PRAGMA temp_store = MEMORY;",
                    err, errlen);
    if (res != NL_OK)
        return res;
    /*
     * The first statement that reads the file, before anything writes to
     * it: a damaged file or a non-database is refused as it was found.
     */
    res = quick_check(st, path, err, errlen);
    if (res != NL_OK)
        return res;
    rc = query_text(st->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
    if (rc != SQLITE_OK) {
        fmt_msg(err, errlen, "cannot open '%s': %s", path, sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    if (strcmp(mode, "wal") != 0 &&
        !(strcmp(path, ":memory:") == 0 && strcmp(mode, "memory") == 0)) {
        fmt_msg(err, errlen, "cannot open '%s': journal_mode is '%s', not 'wal'", path, mode);
        return NL_UNAVAILABLE;
    }
    res = open_exec(st, path,
                    "PRAGMA synchronous = FULL;"
                    "PRAGMA journal_size_limit = 67108864;",
                    err, errlen);
    if (res != NL_OK)
        return res;
    return migrate(st, path, err, errlen);
}

static enum nl_status setup_readonly(struct nl_store *st, const char *path, char *err,
                                     size_t errlen)
{
    enum nl_status res;
    int v = 0;
    int rc;

    res = open_exec(st, path,
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA trusted_schema = OFF;"
                    /* Large sorts must not spill personal data to temp files. */
                    "PRAGMA temp_store = MEMORY;",
                    err, errlen);
    if (res != NL_OK)
        return res;
    rc = query_user_version(st->db, &v);
    if (rc != SQLITE_OK) {
        fmt_msg(err, errlen, "cannot open '%s': %s", path, sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    return check_version(v, NL_STORE_READONLY, path, err, errlen);
}

enum nl_status nl_store_open(const char *path, enum nl_store_mode mode, struct nl_store **out,
                             char *err, size_t errlen)
{
    struct nl_store *st;
    enum nl_status res;
    int flags = SQLITE_OPEN_NOMUTEX;
    int rc;

    *out = NULL;
    fmt_msg(err, errlen, "%s", "");
#ifdef SQLITE_OPEN_EXRESCODE
    flags |= SQLITE_OPEN_EXRESCODE;
#endif
    flags |= mode == NL_STORE_READONLY ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        fmt_msg(err, errlen, "cannot open '%s': out of memory", path);
        return NL_RESOURCE_EXHAUSTED;
    }
    st->mode = mode;
    rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        fmt_msg(err, errlen, "cannot open '%s': %s", path,
                st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        res = open_status(rc);
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    /* Defensive mode: no writable_schema or other ways to damage the file from SQL. */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);

    res = mode == NL_STORE_READONLY ? setup_readonly(st, path, err, errlen)
                                    : setup_readwrite(st, path, err, errlen);
    if (res != NL_OK)
        goto fail;
    *out = st;
    return NL_OK;
fail:
    nl_store_close(st);
    return res;
}

void nl_store_close(struct nl_store *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < S_COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
        nl_log_error("store: close: %s", sqlite3_errmsg(st->db));
    free(st);
}

int nl_store_schema_version(struct nl_store *st)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = stmt_get(st, S_USER_VERSION, &res);
    int v = -1;

    if (s == NULL)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    else
        store_fail(st, rc, stmt_sql[S_USER_VERSION]);
    stmt_done(s);
    return v;
}

/* --- transactions --- */

enum nl_status nl_store_begin_read(struct nl_store *st)
{
    return run_simple(st, S_BEGIN);
}

enum nl_status nl_store_end_read(struct nl_store *st)
{
    return run_simple(st, S_COMMIT);
}

enum nl_status nl_store_begin_write(struct nl_store *st)
{
    return run_simple(st, S_BEGIN_IMMEDIATE);
}

enum nl_status nl_store_commit(struct nl_store *st)
{
    return run_simple(st, S_COMMIT);
}

enum nl_status nl_store_rollback(struct nl_store *st)
{
    if (sqlite3_get_autocommit(st->db))
        return NL_OK;
    return run_simple(st, S_ROLLBACK);
}

int nl_store_txn_active(struct nl_store *st)
{
    return !sqlite3_get_autocommit(st->db);
}

enum nl_status nl_store_savepoint(struct nl_store *st)
{
    return run_simple(st, S_SAVEPOINT);
}

enum nl_status nl_store_savepoint_release(struct nl_store *st)
{
    return run_simple(st, S_RELEASE);
}

enum nl_status nl_store_savepoint_rollback(struct nl_store *st)
{
    enum nl_status res;

    /* An interrupted write (or FULL, NOMEM, IOERR) already rolled back everything. */
    if (sqlite3_get_autocommit(st->db)) {
        nl_log_warnx("store: the transaction was rolled back with the failing job");
        return NL_ABORTED;
    }
    res = run_simple(st, S_ROLLBACK_TO);

    if (res != NL_OK)
        return res;
    return run_simple(st, S_RELEASE);
}

enum nl_status nl_store_checkpoint(struct nl_store *st)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = stmt_get(st, S_CHECKPOINT, &res);
    int rc;

    if (s == NULL)
        return res;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        /* Columns: busy, WAL frames, frames checkpointed. busy = 1: readers held it back. */
        if (sqlite3_column_int(s, 0) != 0) {
            nl_log_warnx("store: checkpoint could not complete: readers are active");
            res = NL_UNAVAILABLE;
        }
    } else if (rc != SQLITE_DONE) {
        res = store_fail(st, rc, stmt_sql[S_CHECKPOINT]);
    }
    stmt_done(s);
    return res;
}

/* --- units --- */

/* Copies the unit row (code, name, kind, parent code) of `s` into the record at `rec`. */
static enum nl_status unit_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_unit_rec *out = rec;
    char *code = col_text(s, 0, a);
    char *name = col_text(s, 1, a);
    char *parent = col_text(s, 3, a);

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
    sqlite3_stmt *get = NULL, *pid = NULL, *ins = NULL;
    sqlite3_int64 parent_id = 0;
    const char *parent = u->parent != NULL ? u->parent : "";
    int row;

    *created = 0;
    fmt_msg(msg, msglen, "%s", "");

    /* An existing unit with this code: identical = replay, different = conflict. */
    res = find_by_code(st, S_UNIT_GET, u->code, "bind unit code", &get, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        if (!(col_eq(get, 1, u->name) && sqlite3_column_int(get, 2) == u->kind &&
              col_eq(get, 3, parent))) {
            fmt_msg(msg, msglen, "unit.code: a different unit with this code exists");
            res = NL_ALREADY_EXISTS;
        }
        goto out;
    }

    if (parent[0] != '\0') {
        res = find_by_code(st, S_UNIT_ID, parent, "bind unit parent", &pid, &row);
        if (res != NL_OK)
            goto out;
        if (!row) {
            fmt_msg(msg, msglen, "unit.parent: no such unit");
            res = NL_INVALID_ARGUMENT;
            goto out;
        }
        parent_id = sqlite3_column_int64(pid, 0);
    }

    ins = stmt_get(st, S_UNIT_INSERT, &res);
    if (ins == NULL)
        goto out;
    if (bind_text(ins, 1, u->code) != SQLITE_OK || bind_text(ins, 2, u->name) != SQLITE_OK ||
        sqlite3_bind_int(ins, 3, u->kind) != SQLITE_OK ||
        (parent_id != 0 ? sqlite3_bind_int64(ins, 4, parent_id) : sqlite3_bind_null(ins, 4)) !=
            SQLITE_OK) {
        res = bind_fail(st, "bind unit");
        goto out;
    }
    res = step_write(st, ins);
    *created = res == NL_OK;
out:
    default_msg(res, msg, msglen);
    stmt_done(get);
    stmt_done(pid);
    stmt_done(ins);
    return res;
}

enum nl_status nl_store_unit_get(struct nl_store *st, const char *code, struct nl_unit_rec *out,
                                 struct nl_arena *a)
{
    sqlite3_stmt *s;
    int row;
    enum nl_status res = find_by_code(st, S_UNIT_GET, code, "bind unit code", &s, &row);

    if (res == NL_OK)
        res = row ? unit_row(s, out, a) : NL_NOT_FOUND;
    stmt_done(s);
    return res;
}

/*
 * Makes room for one more record in an arena array that doubles from 16,
 * never beyond `limit` entries. Returns 0 or -1 when out of memory.
 */
static int grow(void **rows, size_t *cap, size_t n, size_t elem, size_t limit, struct nl_arena *a)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return 0;
    ncap = *cap == 0 ? 16 : *cap * 2;
    if (ncap > limit)
        ncap = limit;
    if (ncap <= n || ncap > SIZE_MAX / elem)
        return -1;
    p = nl_arena_alloc(a, ncap * elem);
    if (p == NULL)
        return -1;
    if (n > 0)
        memcpy(p, *rows, n * elem);
    *rows = p;
    *cap = ncap;
    return 0;
}

/* Copies the current row of a statement into the record at `out`, strings into the arena. */
typedef enum nl_status (*row_copy_fn)(sqlite3_stmt *s, void *out, struct nl_arena *a);

/*
 * Steps the bound statement `s` to its end, copying each row with `copy` into
 * an arena array of records of `elem` bytes: *rows and *n on NL_OK. With
 * `more` non-NULL, at most `limit` rows are taken and *more = 1 says that
 * another row follows; with `more` NULL, `limit` only caps the array (a row
 * beyond it is NL_RESOURCE_EXHAUSTED). On failure *rows = NULL, *n = 0 and
 * *more = 0. The caller calls stmt_done(s).
 */
static enum nl_status collect_rows(struct nl_store *st, sqlite3_stmt *s, row_copy_fn copy,
                                   size_t elem, size_t limit, void **rows, size_t *n, int *more,
                                   struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    void *arr = NULL;
    size_t cap = 0;
    int row;

    *rows = NULL;
    *n = 0;
    while ((res = step_once(st, s, &row)) == NL_OK && row) {
        if (more != NULL && *n == limit) {
            *more = 1;
            break;
        }
        if (grow(&arr, &cap, *n, elem, limit, a) != 0) {
            res = NL_RESOURCE_EXHAUSTED;
            break;
        }
        res = copy(s, (char *)arr + *n * elem, a);
        if (res != NL_OK)
            break;
        (*n)++;
    }
    if (res != NL_OK) {
        *n = 0;
        if (more != NULL)
            *more = 0;
        return res;
    }
    *rows = arr;
    return NL_OK;
}

enum nl_status nl_store_unit_list(struct nl_store *st, const char *parent, const char *after,
                                  size_t limit, struct nl_unit_rec **rows, size_t *n, int *more,
                                  struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    int children = parent != NULL && parent[0] != '\0';
    sqlite3_stmt *s = stmt_get(st, children ? S_UNIT_LIST_CHILDREN : S_UNIT_LIST, &res);
    /* One row past the page tells whether another page exists. */
    sqlite3_int64 lim = limit >= (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit + 1;
    void *arr = NULL;
    int i = 1;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (s == NULL)
        return res;
    if ((children && bind_text(s, i++, parent) != SQLITE_OK) ||
        bind_text(s, i++, after != NULL ? after : "") != SQLITE_OK ||
        sqlite3_bind_int64(s, i, lim) != SQLITE_OK)
        res = bind_fail(st, "bind unit list");
    else
        res = collect_rows(st, s, unit_row, sizeof(struct nl_unit_rec), limit, &arr, n, more, a);
    *rows = arr;
    stmt_done(s);
    return res;
}

/* --- terms --- */

/* Copies the term row (code, kind, start_year, end_year) of `s` into the record at `rec`. */
static enum nl_status term_row(sqlite3_stmt *s, void *rec, struct nl_arena *a)
{
    struct nl_term_rec *out = rec;
    char *code = col_text(s, 0, a);

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
    fmt_msg(msg, msglen, "%s", "");

    res = find_by_code(st, S_TERM_GET, t->code, "bind term code", &get, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        if (!(sqlite3_column_int(get, 1) == t->kind &&
              sqlite3_column_int(get, 2) == t->start_year &&
              sqlite3_column_int(get, 3) == t->end_year)) {
            fmt_msg(msg, msglen, "term.code: a different term with this code exists");
            res = NL_ALREADY_EXISTS;
        }
        goto out;
    }

    ins = stmt_get(st, S_TERM_INSERT, &res);
    if (ins == NULL)
        goto out;
    if (bind_text(ins, 1, t->code) != SQLITE_OK || sqlite3_bind_int(ins, 2, t->kind) != SQLITE_OK ||
        sqlite3_bind_int(ins, 3, t->start_year) != SQLITE_OK ||
        sqlite3_bind_int(ins, 4, t->end_year) != SQLITE_OK) {
        res = bind_fail(st, "bind term");
        goto out;
    }
    res = step_write(st, ins);
    *created = res == NL_OK;
out:
    default_msg(res, msg, msglen);
    stmt_done(get);
    stmt_done(ins);
    return res;
}

enum nl_status nl_store_term_list(struct nl_store *st, int kind, struct nl_term_rec **rows,
                                  size_t *n, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = stmt_get(st, S_TERM_LIST, &res);
    void *arr = NULL;

    *rows = NULL;
    *n = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int(s, 1, kind) != SQLITE_OK)
        res = bind_fail(st, "bind term kind");
    else
        res = collect_rows(st, s, term_row, sizeof(struct nl_term_rec), SIZE_MAX / 2, &arr, n, NULL,
                           a);
    *rows = arr;
    stmt_done(s);
    return res;
}

#ifdef NL_TEST_HOOKS
enum nl_status nl_store_test_exec(struct nl_store *st, const char *sql)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? NL_OK : store_fail(st, rc, "test exec");
}

enum nl_status nl_store_test_query(struct nl_store *st, const char *sql, char *out, size_t outlen)
{
    int rc = query_text(st->db, sql, out, outlen);

    return rc == SQLITE_OK ? NL_OK : store_fail(st, rc, "test query");
}
#endif
