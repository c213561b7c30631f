/*
 * store_fixture.h - the shared fixture of the cmocka tests that drive the
 * store and the Registry/Records handlers: a store file in a temporary
 * directory with a read-write and a read-only connection, a call helper that
 * runs a request through nl_job_run with the server's transaction shape, and
 * raw-SQL helpers over the test-only store hooks.
 *
 * Test-only code, linked into the unit tests that use it. Every helper that
 * can fail inside a test fails the test through cmocka (assert_* / fail_msg);
 * the setup/teardown helpers return 0 or -1 instead, as cmocka's group and
 * test fixtures expect. Names are `sf_` to stay clear of the product's `nl_`.
 */
#ifndef SF_STORE_FIXTURE_H
#define SF_STORE_FIXTURE_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "../../server/store.h"

struct nl_method;

/* One store file: /tmp/nl-test-<name>-XXXXXX/nl.db and its two connections. */
struct sf_db {
    char dir[64];        /* the temporary directory */
    char path[128];      /* dir + "/nl.db" */
    struct nl_store *rw; /* the writer's connection (NULL until opened) */
    struct nl_store *ro; /* a reader's connection (NULL until opened) */
};

/*
 * Zeroes *d and creates its temporary directory for test `name` (the path is
 * set, nothing is opened). Returns 0, or -1 when the directory cannot be made.
 */
int sf_db_dir(struct sf_db *d, const char *name);

/*
 * sf_db_dir, then opens d->rw (NL_STORE_READWRITE, which creates and migrates
 * the store) and d->ro (NL_STORE_READONLY) on d->path. Returns 0, or -1 with
 * the store's message on stderr; call sf_db_close either way.
 */
int sf_db_open(struct sf_db *d, const char *name);

/*
 * Closes whichever connections of d are open, removes the store's files (the
 * database, its -wal, -shm and -journal) and the directory. Returns rmdir's
 * result: 0, or -1 when something was left in the directory.
 */
int sf_db_close(struct sf_db *d);

/*
 * For a test's cmocka setup: a calloc'd sf_db opened with sf_db_open(name),
 * stored in *state and in *cur (the test file's "current fixture" pointer,
 * may be NULL). Returns 0, or -1 with nothing left behind.
 */
int sf_setup(void **state, const char *name, struct sf_db **cur);

/*
 * The cmocka teardown for sf_setup: sf_db_close and free (the caller's *cur
 * dangles until the next sf_setup). Returns sf_db_close's result.
 */
int sf_teardown(void **state);

/* protoc-c string fields are char *; packing only reads them. Returns s without const. */
char *sf_unconst(const char *s);

/* Opens one writer job on st the way the writer does: BEGIN IMMEDIATE, SAVEPOINT. */
void sf_write_begin(struct nl_store *st);

/* Ends the job of sf_write_begin: RELEASE when res is NL_OK, else ROLLBACK TO; then COMMIT. */
void sf_write_end(struct nl_store *st, enum nl_status res);

/* The result of one sf_call: status, message and the unpacked response. */
struct sf_result {
    enum nl_status status;
    char msg[256];
    const struct nl_method *m; /* the method row that ran */
    ProtobufCMessage *resp;    /* OK only; owned, free with sf_call_done */
};

/*
 * Packs `req`, runs it as method `path` through nl_job_new + nl_job_run on
 * d's connections with the server's transaction shape (a write method: on
 * d->rw inside sf_write_begin/sf_write_end; a read method: on d->ro inside a
 * read transaction) and fills *r. An OK reply must be one uncompressed gRPC
 * message whose length prefix matches; it is unpacked into r->resp. A failed
 * call must carry a message. Fails the test on any broken step.
 */
void sf_call(struct sf_db *d, const char *path, const ProtobufCMessage *req, struct sf_result *r);

/* Frees r->resp (if any) and sets it to NULL. */
void sf_call_done(struct sf_result *r);

/* Asserts a failed call: status st and a message that starts with `prefix`. */
void sf_expect_error(const struct sf_result *r, enum nl_status st, const char *prefix);

/* The current year (UTC), as nl_date_today sees it. */
int sf_this_year(void);

#ifdef NL_TEST_HOOKS
/*
 * sf_setup, then runs the trusted SQL `seed` (the test's world) on the new
 * store's writer connection. Returns 0, or -1 with nothing left behind.
 */
int sf_setup_sql(void **state, const char *name, struct sf_db **cur, const char *seed);

/* Runs trusted SQL on st (test setup); fails the test unless NL_OK. */
void sf_sql(struct nl_store *st, const char *text);

/*
 * The first column of the first row of `text` on st as text ("" when no
 * row), in a static buffer that the next call overwrites.
 */
const char *sf_sql_text(struct nl_store *st, const char *text);

/* sf_sql_text read as a number (strtol, base 10). */
long sf_sql_long(struct nl_store *st, const char *text);

/* The first column of the first row of `text` on st, copied into out[len]. */
void sf_query_text(struct nl_store *st, const char *text, char *out, size_t len);
#endif

#endif
