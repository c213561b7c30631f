/*
 * store_int.h - internals shared by the files of the store module: store.c
 * (connection, pragmas, migrations, transactions, helpers) and each
 * store_<area>.c (the typed queries of one area: units, cadres, classes...).
 *
 * Only the store module includes this header (and so sqlite3.h). Every
 * statement an area runs is a `static const char NAME[]` of that file,
 * prepared once per connection by nl_store_stmt() and cached by its address;
 * every use is bind -> step -> copy out -> nl_store_stmt_done().
 */
#ifndef NL_STORE_INT_H
#define NL_STORE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "../common/arena.h"
#include "../common/status.h"

#define NL_STORE_CORE_STMTS 16  /* transaction and pragma statements of store.c */
#define NL_STORE_MAX_STMTS  256 /* area statements per connection */

struct nl_store {
    sqlite3 *db;
    int mode;                 /* enum nl_store_mode */
    const atomic_int *cancel; /* borrowed, see nl_store_set_interrupt */
    uint64_t deadline_ms;
    enum nl_status stopped; /* why the progress handler last stopped a statement */
    sqlite3_stmt *stmt[NL_STORE_CORE_STMTS];
    struct {
        const char *sql; /* static text; its address is the key */
        sqlite3_stmt *stmt;
    } cache[NL_STORE_MAX_STMTS];
    unsigned ncache;
    struct nl_trainee_cache *trainees; /* store_indicators.c's per-connection cache, or NULL */
    int io_failed;                     /* an SQLITE_IOERR was seen (nl_store_io_failed) */
    struct nl_token_cache *tokens;     /* store_tokens.c's credential cache, or NULL */
};

/* Frees the connection's credential cache (store_tokens.c); called by nl_store_close. */
void nl_store_token_cache_free(struct nl_store *st);

/*
 * The name of the test-only fault-injecting VFS (store_faultvfs.c) when this
 * process's environment arms it (NL_TEST_FAIL_SYNC_AFTER, NL_TEST_HOOKS
 * builds only), else NULL: the default VFS.
 */
const char *nl_store_faultvfs_name(void);

/* Frees the connection's trainee cache (store_indicators.c); called by nl_store_close. */
void nl_store_ind_cache_free(struct nl_store *st);

/*
 * Returns the prepared statement for `sql` (static storage: its address is
 * the cache key), preparing it on first use. NULL after a failure, with *err
 * set and the reason logged.
 */
sqlite3_stmt *nl_store_stmt(struct nl_store *st, const char *sql, enum nl_status *err);

/* Resets `s` and clears its bindings (NULL is a no-op): the end of every use. */
void nl_store_stmt_done(sqlite3_stmt *s);

/*
 * Maps a SQLite result to a status (RELIABILITY.md 2.4) and logs the SQLite
 * message with `what` (our own constant text, never a client value).
 */
enum nl_status nl_store_fail(struct nl_store *st, int rc, const char *what);

/* A failed sqlite3_bind_*: nl_store_fail with the connection's error code. */
enum nl_status nl_store_bind_fail(struct nl_store *st, const char *what);

/* Binds NUL-terminated text that outlives the step (SQLITE_STATIC). SQLite's return code. */
int nl_store_bind_text(sqlite3_stmt *s, int i, const char *v);

/*
 * Binds `name` case-folded (nl_text_fold) as parameter i of `s`, "" when name
 * is NULL or empty: the query side of a name search (nl_fold() in SQL).
 * NL_INVALID_ARGUMENT for text that is not UTF-8 (callers validate first),
 * NL_RESOURCE_EXHAUSTED out of memory, else NL_OK or the bind failure.
 */
enum nl_status nl_store_bind_folded(struct nl_store *st, sqlite3_stmt *s, int i, const char *name);

/*
 * SQL: text column `col` folded the way the query bound (nl_store_bind_folded)
 * at parameter `n` asks: a query typed with accents must match them ("Trì" is
 * not "Trí"), so the column is nl_fold()ed; one typed without any matches
 * whatever the column's accents ("thanh tri" is "Thanh Trì"), so the column
 * is nl_fold_bare()d, as Vietnamese users type without diacritics where an
 * input method is missing. Compare the result with n (= for a label,
 * instr() for a substring).
 */
#define NL_STORE_FOLD_AS(col, n)                                                                   \
    "(CASE WHEN nl_fold_bare(" n ") = " n " THEN nl_fold_bare(" col ") ELSE nl_fold(" col ") END)"

/* SQL: text column `col` contains the folded query at `n`, or the query is '' (no filter). */
#define NL_STORE_NAME_HAS(col, n) " (" n " = '' OR instr(" NL_STORE_FOLD_AS(col, n) ", " n ") > 0)"

/* Copies text column `col` ("" for NULL) into the arena; NULL when out of memory. */
char *nl_store_col_text(sqlite3_stmt *s, int col, struct nl_arena *a);

/* 1 if text column `col` equals `v` (NULL equals ""), without copying. */
int nl_store_col_eq(sqlite3_stmt *s, int col, const char *v);

/*
 * Steps `s` once: NL_OK with *row = 1 on a row, *row = 0 when done, else the
 * mapped status.
 */
enum nl_status nl_store_step_once(struct nl_store *st, sqlite3_stmt *s, int *row);

/* Steps a write statement that returns no rows: NL_OK or the mapped status. */
enum nl_status nl_store_step_write(struct nl_store *st, sqlite3_stmt *s);

/*
 * Prepares `sql`, binds `code` as ?1 and steps once. On NL_OK *s is the
 * statement and *row says whether it stands on a row; the caller calls
 * nl_store_stmt_done(*s) in every case (*s may be NULL on failure).
 */
enum nl_status nl_store_find_by_code(struct nl_store *st, const char *sql, const char *code,
                                     const char *what, sqlite3_stmt **s, int *row);

/* printf into a client message buffer (NULL or 0 length: nothing). */
void nl_store_fmt_msg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills an empty client message with nl_store_errmsg(res) when res is not OK. */
void nl_store_default_msg(enum nl_status res, char *msg, size_t msglen);

/* Copies the current row of a statement into the record at `out`, strings into the arena. */
typedef enum nl_status (*nl_store_row_fn)(sqlite3_stmt *s, void *out, struct nl_arena *a);

/*
 * Steps the bound statement `s` to its end, copying each row with `copy` into
 * an arena array of records of `elem` bytes: *rows and *n on NL_OK. With
 * `more` non-NULL, at most `limit` rows are taken and *more = 1 says another
 * row follows; with `more` NULL, `limit` only caps the array (a row beyond it
 * is NL_RESOURCE_EXHAUSTED). The caller calls nl_store_stmt_done(s).
 */
enum nl_status nl_store_collect_rows(struct nl_store *st, sqlite3_stmt *s, nl_store_row_fn copy,
                                     size_t elem, size_t limit, void **rows, size_t *n, int *more,
                                     struct nl_arena *a);

#endif
