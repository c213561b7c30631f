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
#define NL_STORE_SCHEMA_VERSION 12

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

/*
 * 1 once a statement on this connection failed with an SQLite I/O error
 * (SQLITE_IOERR*): after a failed write or fsync the state of the file is
 * unknown, so the writer stops committing and the server drains and exits
 * 75 for its service manager to restart it (RELIABILITY.md 2.4).
 */
int nl_store_io_failed(const struct nl_store *st);

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

/*
 * --- units, their history and the terms (store_units.c) ---
 *
 * Dates are "YYYY-MM-DD" text. A unit code is stable; its name, kind and
 * parent live in versions [valid_from, valid_to] (valid_to is the last valid
 * day, inclusive). In records, valid_from "" means "since always" (stored as
 * '0001-01-01') and valid_to "" means current; NULL reads as "" on input.
 */

/* What an upsert did; the values of Nhanluc__V1__WriteOutcome (records.proto). */
enum nl_write_outcome {
    NL_WRITE_CREATED = 1,   /* a new row (or a new version) was added */
    NL_WRITE_UPDATED = 2,   /* existing rows changed, none was added */
    NL_WRITE_UNCHANGED = 3, /* an exact replay: nothing was written */
};

/* A unit version. Strings are borrowed (input) or arena-owned (output). */
struct nl_unit_rec {
    const char *code;       /* [a-z0-9-]{1,64} */
    const char *name;       /* NFC, 1..200 bytes */
    int kind;               /* Nhanluc__V1__UnitKind value, 1..8 */
    const char *parent;     /* parent code, "" for none */
    const char *valid_from; /* first day; "" = since always */
    const char *valid_to;   /* last day, inclusive; "" = current */
};

struct nl_term_rec {
    const char *code; /* "2020-2025" */
    int kind;         /* Nhanluc__V1__TermKind value, 1..2 */
    int start_year;
    int end_year;
};

/*
 * Creates a unit version (fields validated by the caller; valid_to, when
 * set, >= valid_from). Must run inside a write transaction.
 * - No unit with the code: creates the unit and its version; *created = 1.
 * - A version with the same code and valid_from: identical name, kind and
 *   parent is a replay (*created = 0, NL_OK); a request valid_to closes a
 *   current version or equals the stored one, an empty one never clears it.
 *   Otherwise NL_ALREADY_EXISTS ("unit.code: ..." or "unit.valid_to: ...").
 * - Same code, another valid_from: a new version inserted into the timeline
 *   (*created = 1). The version before it ends the day before valid_from
 *   (unless it ended earlier); the new one ends at the earliest of the
 *   request's valid_to, the day before the next version, and the end the
 *   version before it had (a closure recorded by an event is kept). A
 *   valid_to reaching into the next version is NL_INVALID_ARGUMENT.
 * The parent must exist ("unit.parent: no such unit"), be valid on
 * valid_from and not be the unit itself or its descendant on that day
 * (NL_INVALID_ARGUMENT "unit.parent: ..."). msg gets the client message of
 * any failure.
 */
enum nl_status nl_store_unit_create(struct nl_store *st, const struct nl_unit_rec *u, int *created,
                                    char *msg, size_t msglen);

/*
 * Reads a unit by code into *out (strings in `a`): its current version, or
 * the latest when the unit has ended. NL_NOT_FOUND if absent.
 */
enum nl_status nl_store_unit_get(struct nl_store *st, const char *code, struct nl_unit_rec *out,
                                 struct nl_arena *a);

/*
 * Reads the version of unit `code` that starts on `valid_from` ("" = since
 * always) into *out. NL_NOT_FOUND if there is none.
 */
enum nl_status nl_store_unit_version_get(struct nl_store *st, const char *code,
                                         const char *valid_from, struct nl_unit_rec *out,
                                         struct nl_arena *a);

/*
 * Sets *valid to 1 when unit `code` has a version valid on `date`
 * ("YYYY-MM-DD"), else 0. NL_NOT_FOUND when no unit has the code.
 */
enum nl_status nl_store_unit_valid_on(struct nl_store *st, const char *code, const char *date,
                                      int *valid);

/*
 * Lists the unit versions valid on `as_of` ("YYYY-MM-DD"; NULL or "" =
 * today, UTC) ordered by code: those with code > `after` ("" = from the
 * start), only the children of `parent` on that day when parent is
 * non-empty, only those whose name contains `name` when name is non-NULL
 * and non-empty (both case-folded and in NFC, nl_text_fold(): letter case
 * and composed/decomposed input do not matter), at most `limit` rows.
 * *rows is an arena array of *n records; *more = 1 if rows remain after the
 * last one returned. NL_INVALID_ARGUMENT if `name` is not UTF-8.
 */
enum nl_status nl_store_unit_list(struct nl_store *st, const char *parent, const char *as_of,
                                  const char *name, const char *after, size_t limit,
                                  struct nl_unit_rec **rows, size_t *n, int *more,
                                  struct nl_arena *a);

/*
 * nl_store_unit_list confined to the units in the scope rooted at unit id
 * `scope` (scope_auth.h; 0 = unconfined), filtered inside the statement so
 * paging sees only those units.
 */
enum nl_status nl_store_unit_list_scoped(struct nl_store *st, int64_t scope, const char *parent,
                                         const char *as_of, const char *name, const char *after,
                                         size_t limit, struct nl_unit_rec **rows, size_t *n,
                                         int *more, struct nl_arena *a);

/* A unit lifecycle event. Strings and arrays borrowed (input) or arena-owned (output). */
struct nl_unit_event_rec {
    int kind;                   /* Nhanluc__V1__UnitEventKind value, 1..4 */
    const char *effective_date; /* "YYYY-MM-DD" */
    const char *const *sources; /* unit codes; output: sorted */
    size_t nsources;
    const char *const *targets; /* unit codes; output: sorted; none for DISSOLVE */
    size_t ntargets;
    const char *legal_basis; /* NFC, may hold line breaks; "" for none */
};

/*
 * Records an event (shape validated by the caller: known kind, a valid
 * date, the per-kind counts of sources and targets, codes well-formed,
 * without duplicates or overlap) and applies it to the versions, inside a
 * write transaction. Its key is kind|date|sorted sources|sorted targets:
 * - Key recorded before: *created = 0, nothing changes, *out = the stored
 *   event; NL_FAILED_PRECONDITION ("event.legal_basis: ...") when the legal
 *   basis differs.
 * - Otherwise every source must exist and be valid the day before the
 *   effective date, and every target exist and be valid on it
 *   (NL_INVALID_ARGUMENT "event.sources[i]: ..." / "event.targets[i]: ...").
 *   Sources close the day before the effective date (a source already
 *   closed then is left as it is; one with versions starting on or after the
 *   date is NL_FAILED_PRECONDITION). The children of a source valid on the
 *   date whose version there still names it (a version row starting that day
 *   may already place them elsewhere: those stay) do not stay under a closed
 *   unit: DISSOLVE moves them under the dissolved unit's parent, MERGE and
 *   RENAME with one target under the target, from the date (the version
 *   valid then ends the day before and a copy under the new parent starts
 *   on the date; a version starting on the date only takes the new parent).
 *   A child that is itself a source closes instead. Refused with
 *   NL_FAILED_PRECONDITION, changing nothing: a DISSOLVE whose unit has
 *   such children and no parent valid on the date; a MERGE or RENAME whose
 *   target is one of the children or lies under one ("event.targets[0]:
 *   lies under event.sources[i] ..."); a SPLIT, or a MERGE into several
 *   targets, while a source has such a child ("event.sources[i]: unit
 *   'CODE' is still under it ...", the first child by code: which target it
 *   goes under is the user's choice, a version row from the date).
 *   *created = 1 and *out = the event, in `a`.
 * msg gets the client message of any failure.
 */
enum nl_status nl_store_unit_event_record(struct nl_store *st, const struct nl_unit_event_rec *ev,
                                          struct nl_unit_event_rec *out, int *created, char *msg,
                                          size_t msglen, struct nl_arena *a);

/*
 * Every version of unit `code`, oldest first (*versions, *nversions), and
 * every event naming it as a source or a target by effective date
 * (*events, *nevents), all in `a`. NL_NOT_FOUND when no unit has the code.
 */
enum nl_status nl_store_unit_history(struct nl_store *st, const char *code,
                                     struct nl_unit_rec **versions, size_t *nversions,
                                     struct nl_unit_event_rec **events, size_t *nevents,
                                     struct nl_arena *a);

/* One step of a lineage walk. */
struct nl_lineage_step {
    const char *code;     /* the unit reached */
    const char *via_code; /* the unit it was reached from */
    int kind;             /* Nhanluc__V1__UnitEventKind of the event */
    const char *effective_date;
};

#define NL_LINEAGE_SUCCESSORS   1 /* Nhanluc__V1__LineageDirection values */
#define NL_LINEAGE_PREDECESSORS 2
#define NL_LINEAGE_MAX_STEPS    10000

/*
 * Walks the events from unit `code` breadth-first and transitively:
 * SUCCESSORS follows sources to targets through MERGE, RENAME and SPLIT;
 * PREDECESSORS follows targets to sources through MERGE and RENAME (a SPLIT
 * attributes no history to its targets). Each unit appears once, at its
 * first reach; the units reached from one unit go by date, then code (the
 * start itself never appears, even through a cycle). *steps is an
 * arena array of *n. NL_NOT_FOUND when no unit has the code;
 * NL_RESOURCE_EXHAUSTED beyond NL_LINEAGE_MAX_STEPS.
 */
enum nl_status nl_store_unit_lineage(struct nl_store *st, const char *code, int direction,
                                     struct nl_lineage_step **steps, size_t *n, struct nl_arena *a);

/* Like nl_store_unit_create for terms: replay = *created 0; conflict ALREADY_EXISTS. */
enum nl_status nl_store_term_create(struct nl_store *st, const struct nl_term_rec *t, int *created,
                                    char *msg, size_t msglen);

/* Lists terms ordered by kind, start_year, code; kind 0 = every kind. */
enum nl_status nl_store_term_list(struct nl_store *st, int kind, struct nl_term_rec **rows,
                                  size_t *n, struct nl_arena *a);

/* A unit's own dates for a term (DOMAIN.md 3). Strings borrowed. */
struct nl_term_instance_rec {
    const char *term;       /* term code */
    const char *unit;       /* unit code */
    const char *start_date; /* "YYYY-MM-DD", <= end_date (checked by the caller) */
    const char *end_date;
};

/*
 * Upserts the (term, unit) instance inside a write transaction: inserted
 * (*created = 1), identical (*created = 0, nothing written) or updated
 * (*created = 0). NL_INVALID_ARGUMENT "instance.term: no such term" /
 * "instance.unit: no such unit" when either is missing.
 */
enum nl_status nl_store_term_instance_set(struct nl_store *st,
                                          const struct nl_term_instance_rec *ti, int *created,
                                          char *msg, size_t msglen);

/*
 * The own dates of unit `unit_id` for term `term_id` (ids), when recorded:
 * *found = 1 and *start, *end ("YYYY-MM-DD", in `a`); *found = 0 when the
 * unit keeps the nominal years. NL_OK or a mapped status. Shown, never used
 * for counting (DOMAIN.md 4 "Term window").
 */
enum nl_status nl_store_term_instance_get(struct nl_store *st, int64_t term_id, int64_t unit_id,
                                          const char **start, const char **end, int *found,
                                          struct nl_arena *a);

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
