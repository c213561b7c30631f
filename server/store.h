/*
 * store.h - the only door to SQLite.
 *
 * store.c alone includes sqlite3.h. One struct nl_store is one connection,
 * used by one thread at a time: the writer thread owns the only read-write
 * one; each read-pool thread owns one read-only one. Every value reaches SQL
 * through a bound parameter; statements are prepared once per connection.
 *
 * Errors: functions returning enum nl_status map SQLite results as
 * RELIABILITY.md section 2.4 says (BUSY -> UNAVAILABLE, FULL/NOMEM ->
 * RESOURCE_EXHAUSTED, CORRUPT/NOTADB -> DATA_LOSS, INTERRUPT ->
 * DEADLINE_EXCEEDED, other -> INTERNAL) and log sqlite3_errmsg(); the `msg`
 * they fill is short English for the client, never SQL or a path.
 */
#ifndef NL_STORE_H
#define NL_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"

struct nl_store;

enum nl_store_mode {
    NL_STORE_READWRITE = 0, /* create if absent, migrate, quick_check; the writer's */
    NL_STORE_READONLY = 1,  /* SQLITE_OPEN_READONLY; a reader's */
};

/* Current schema version (PRAGMA user_version after migrations). */
#define NL_STORE_SCHEMA_VERSION 3

/*
 * Opens `path` (":memory:" allowed for READWRITE, for tests). READWRITE sets
 * journal_mode=WAL, synchronous=FULL, foreign_keys=ON, busy_timeout=5000,
 * secure_delete=ON, trusted_schema=OFF, temp_store=MEMORY,
 * journal_size_limit=64 MiB, runs PRAGMA quick_check (must be "ok") and the
 * pending migrations, each in one transaction. READONLY sets foreign_keys,
 * busy_timeout and trusted_schema. On success *out owns the connection
 * (close with nl_store_close) and NL_OK is returned. On failure returns a
 * status (DATA_LOSS for a damaged file, UNAVAILABLE when it cannot be
 * opened, INTERNAL for a failed migration) and writes a one-line reason,
 * which may name `path` (for the operator, never sent to clients), to err.
 */
enum nl_status nl_store_open(const char *path, enum nl_store_mode mode, struct nl_store **out,
                             char *err, size_t errlen);

/* Finalizes every statement and closes the connection. NULL is a no-op. */
void nl_store_close(struct nl_store *st);

/* PRAGMA user_version of the open database, or -1 on error. */
int nl_store_schema_version(struct nl_store *st);

/*
 * While set, a long statement polls *cancel (non-zero: stop) and the
 * monotonic deadline (ms, 0 = none) and is interrupted (the call returns
 * DEADLINE_EXCEEDED, or CANCELLED when *cancel was set). Pass cancel = NULL,
 * deadline 0 to clear. `cancel` is borrowed and must outlive the setting.
 * Note: SQLite rolls back the whole transaction when a *write* statement is
 * interrupted (also on FULL, NOMEM and IOERR); check nl_store_txn_active().
 */
void nl_store_set_interrupt(struct nl_store *st, const atomic_int *cancel, uint64_t deadline_ms);

/* Transactions. All return NL_OK or a mapped status. */
enum nl_status nl_store_begin_read(struct nl_store *st);         /* BEGIN (deferred) */
enum nl_status nl_store_end_read(struct nl_store *st);           /* COMMIT of a read */
enum nl_status nl_store_begin_write(struct nl_store *st);        /* BEGIN IMMEDIATE */
enum nl_status nl_store_commit(struct nl_store *st);             /* COMMIT */
enum nl_status nl_store_rollback(struct nl_store *st);           /* ROLLBACK (ok if none open) */
enum nl_status nl_store_savepoint(struct nl_store *st);          /* SAVEPOINT job */
enum nl_status nl_store_savepoint_release(struct nl_store *st);  /* RELEASE job */
enum nl_status nl_store_savepoint_rollback(struct nl_store *st); /* ROLLBACK TO job; RELEASE job */
/*
 * nl_store_savepoint_rollback returns NL_ABORTED, running nothing, when no
 * transaction is open any more: SQLite rolled the whole transaction back
 * with the failing statement (see nl_store_set_interrupt), so the batch's
 * earlier jobs are gone too and must not be acknowledged.
 */

/*
 * 1 while a transaction is open on the connection, else 0. After a failed
 * statement in a write transaction, 0 means SQLite already rolled the whole
 * transaction back (interrupt, FULL, NOMEM, IOERR): the writer must not
 * COMMIT the batch's other jobs as if they had been kept.
 */
int nl_store_txn_active(struct nl_store *st);

/*
 * PRAGMA wal_checkpoint(TRUNCATE) on the read-write connection. NL_OK, or
 * UNAVAILABLE when readers kept it from completing, or a mapped status.
 */
enum nl_status nl_store_checkpoint(struct nl_store *st);

/*
 * A short English message for a status returned by a store function, safe to
 * send to a client ("the database is busy or unavailable, try again").
 * Static; "" for NL_OK.
 */
const char *nl_store_errmsg(enum nl_status st);

/* A unit of the reporting tree. Strings are borrowed (input) or arena-owned (output). */
struct nl_unit_rec {
    const char *code;   /* [a-z0-9-]{1,64} */
    const char *name;   /* NFC, 1..200 bytes */
    int kind;           /* Nhanluc__V1__UnitKind value, 1..8 */
    const char *parent; /* parent code, "" for none */
};

struct nl_term_rec {
    const char *code; /* "2020-2025" */
    int kind;         /* Nhanluc__V1__TermKind value, 1..2 */
    int start_year;
    int end_year;
};

/*
 * Inserts a unit (already validated by the caller). If a unit with the same
 * code exists with identical fields: *created = 0 and NL_OK (idempotent
 * replay). With different fields: NL_ALREADY_EXISTS. Parent code not found:
 * NL_INVALID_ARGUMENT with msg "unit.parent: no such unit". Must run inside a
 * write transaction.
 */
enum nl_status nl_store_unit_create(struct nl_store *st, const struct nl_unit_rec *u, int *created,
                                    char *msg, size_t msglen);

/* Reads one unit by code into *out (strings in `a`). NL_NOT_FOUND if absent. */
enum nl_status nl_store_unit_get(struct nl_store *st, const char *code, struct nl_unit_rec *out,
                                 struct nl_arena *a);

/*
 * Lists units ordered by code, those with code > `after` ("" = from the
 * start), children of `parent` only when parent is non-empty, at most
 * `limit` rows. *rows is an arena array of *n records; *more = 1 if rows
 * remain after the last one returned.
 */
enum nl_status nl_store_unit_list(struct nl_store *st, const char *parent, const char *after,
                                  size_t limit, struct nl_unit_rec **rows, size_t *n, int *more,
                                  struct nl_arena *a);

/* Like nl_store_unit_create for terms: replay = *created 0; conflict ALREADY_EXISTS. */
enum nl_status nl_store_term_create(struct nl_store *st, const struct nl_term_rec *t, int *created,
                                    char *msg, size_t msglen);

/* Lists terms ordered by kind, start_year, code; kind 0 = every kind. */
enum nl_status nl_store_term_list(struct nl_store *st, int kind, struct nl_term_rec **rows,
                                  size_t *n, struct nl_arena *a);

#ifdef NL_TEST_HOOKS
/*
 * Test builds only. Runs trusted constant SQL (sqlite3_exec); returns NL_OK
 * or the mapped status. For tests that need a raw pragma or a long query.
 */
enum nl_status nl_store_test_exec(struct nl_store *st, const char *sql);

/*
 * Test builds only. Runs trusted constant SQL and copies the first column of
 * its first row as text into out ("" when no row). NL_OK or the mapped status.
 */
enum nl_status nl_store_test_query(struct nl_store *st, const char *sql, char *out, size_t outlen);
#endif

#endif
