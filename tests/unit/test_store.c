/*
 * test_store.c - the SQLite store: open, pragmas, migrations, refusal of
 * damaged or newer databases, units and terms, savepoints, interruption.
 *
 * Each test gets its own temporary directory under /tmp (removed in
 * teardown); a few run on ":memory:". Raw SQL (pragmas, a long query) goes
 * through the NL_TEST_HOOKS functions of store.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "job.h"
#include "store.h"

struct fx {
    char dir[64];
    char path[128];
    struct nl_arena arena;
};

static const char *const db_files[] = {"nl.db", "nl.db-wal", "nl.db-shm", "nl.db-journal"};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    if (fx == NULL)
        return -1;
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/nl-test-store-XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    (void)snprintf(fx->path, sizeof(fx->path), "%s/nl.db", fx->dir);
    nl_arena_init(&fx->arena, 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    char p[192];
    int rc;

    for (size_t i = 0; i < sizeof(db_files) / sizeof(db_files[0]); i++) {
        (void)snprintf(p, sizeof(p), "%s/%s", fx->dir, db_files[i]);
        unlink(p);
    }
    rc = rmdir(fx->dir);
    nl_arena_release(&fx->arena);
    free(fx);
    return rc;
}

static struct nl_store *open_rw(const char *path)
{
    struct nl_store *st = NULL;
    char err[512];
    enum nl_status rc = nl_store_open(path, NL_STORE_READWRITE, &st, err, sizeof(err));

    if (rc != NL_OK)
        fail_msg("open %s: %s (%d)", path, err, rc);
    return st;
}

static struct nl_store *open_ro(const char *path)
{
    struct nl_store *st = NULL;
    char err[512];
    enum nl_status rc = nl_store_open(path, NL_STORE_READONLY, &st, err, sizeof(err));

    if (rc != NL_OK)
        fail_msg("open ro %s: %s (%d)", path, err, rc);
    return st;
}

static void assert_pragma(struct nl_store *st, const char *sql, const char *want)
{
    char got[64];

    assert_int_equal(nl_store_test_query(st, sql, got, sizeof(got)), NL_OK);
    if (strcmp(got, want) != 0)
        fail_msg("%s = '%s', want '%s'", sql, got, want);
}

static enum nl_status unit_put(struct nl_store *st, const char *code, const char *name, int kind,
                               const char *parent, int *created)
{
    struct nl_unit_rec u = {code, name, kind, parent, "", ""};
    char msg[256];
    int c = -1;
    enum nl_status rc = nl_store_unit_create(st, &u, &c, msg, sizeof(msg));

    if (created != NULL)
        *created = c;
    return rc;
}

/* Creates a unit in its own write transaction, failing the test on error. */
static void unit_commit(struct nl_store *st, const char *code, const char *name, int kind,
                        const char *parent)
{
    int created = 0;

    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(unit_put(st, code, name, kind, parent, &created), NL_OK);
    assert_int_equal(created, 1);
    assert_int_equal(nl_store_commit(st), NL_OK);
}

static int unit_exists(struct nl_store *st, const char *code, struct nl_arena *a)
{
    struct nl_unit_rec r;
    enum nl_status rc = nl_store_unit_get(st, code, &r, a);

    if (rc != NL_OK && rc != NL_NOT_FOUND)
        fail_msg("unit_get %s: %d", code, rc);
    return rc == NL_OK;
}

static void write_file(const char *path, const void *p, size_t n, off_t off)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0600);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, p, n, off), (ssize_t)n);
    assert_int_equal(close(fd), 0);
}

/* --- open, pragmas, migrations --- */

static void test_open_creates_schema(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    struct stat sb;

    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(nl_store_schema_version(st), NL_STORE_SCHEMA_VERSION);
    assert_pragma(st, "SELECT count(*) FROM sqlite_schema WHERE name IN ('unit', 'term')", "2");
    unit_commit(st, "ha-noi", "Hà Nội", 1, "");
    nl_store_close(st);

    /* Reopening migrates nothing and keeps the data. */
    st = open_rw(fx->path);
    assert_int_equal(nl_store_schema_version(st), NL_STORE_SCHEMA_VERSION);
    assert_true(unit_exists(st, "ha-noi", &fx->arena));
    nl_store_close(st);
}

static void test_pragmas(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    struct nl_store *ro = open_ro(fx->path);

    assert_pragma(st, "PRAGMA journal_mode", "wal");
    assert_pragma(st, "PRAGMA synchronous", "2");
    assert_pragma(st, "PRAGMA foreign_keys", "1");
    assert_pragma(st, "PRAGMA busy_timeout", "5000");
    assert_pragma(st, "PRAGMA secure_delete", "1");
    assert_pragma(st, "PRAGMA trusted_schema", "0");
    assert_pragma(st, "PRAGMA temp_store", "2");
    assert_pragma(st, "PRAGMA journal_size_limit", "67108864");

    assert_pragma(ro, "PRAGMA journal_mode", "wal");
    assert_pragma(ro, "PRAGMA foreign_keys", "1");
    assert_pragma(ro, "PRAGMA busy_timeout", "5000");
    assert_pragma(ro, "PRAGMA trusted_schema", "0");
    assert_pragma(ro, "PRAGMA query_only", "0");
    nl_store_close(ro);
    nl_store_close(st);
}

static void test_memory(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(":memory:");

    assert_int_equal(nl_store_schema_version(st), NL_STORE_SCHEMA_VERSION);
    assert_pragma(st, "PRAGMA journal_mode", "memory");
    assert_pragma(st, "PRAGMA foreign_keys", "1");
    unit_commit(st, "ha-noi", "Hà Nội", 1, "");
    assert_true(unit_exists(st, "ha-noi", &fx->arena));
    assert_int_equal(nl_store_checkpoint(st), NL_OK);
    nl_store_close(st);
}

static void test_readonly(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    struct nl_store *ro = open_ro(fx->path);
    int created = -1;

    unit_commit(st, "ha-noi", "Hà Nội", 1, "");
    assert_int_equal(nl_store_begin_read(ro), NL_OK);
    assert_true(unit_exists(ro, "ha-noi", &fx->arena));
    /* A read transaction is a snapshot: a commit made meanwhile shows only in the next one. */
    unit_commit(st, "tay-ho", "Tây Hồ", 2, "ha-noi");
    assert_false(unit_exists(ro, "tay-ho", &fx->arena));
    assert_int_equal(nl_store_end_read(ro), NL_OK);
    assert_int_equal(nl_store_begin_read(ro), NL_OK);
    assert_true(unit_exists(ro, "tay-ho", &fx->arena));
    assert_int_equal(nl_store_end_read(ro), NL_OK);

    /* The read-only connection refuses every write. */
    assert_int_not_equal(unit_put(ro, "ba-dinh", "Ba Đình", 2, "ha-noi", &created), NL_OK);
    assert_int_not_equal(created, 1);
    assert_int_equal(nl_store_begin_write(ro), NL_OK);
    assert_int_not_equal(unit_put(ro, "ba-dinh", "Ba Đình", 2, "ha-noi", &created), NL_OK);
    assert_int_equal(nl_store_rollback(ro), NL_OK);
    assert_int_not_equal(nl_store_test_exec(ro, "PRAGMA user_version = 7"), NL_OK);
    assert_false(unit_exists(st, "ba-dinh", &fx->arena));
    assert_int_equal(nl_store_schema_version(st), NL_STORE_SCHEMA_VERSION);
    nl_store_close(ro);
    nl_store_close(st);
}

static void test_readonly_missing_file(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = (struct nl_store *)1;
    char err[512];

    assert_int_equal(nl_store_open(fx->path, NL_STORE_READONLY, &st, err, sizeof(err)),
                     NL_UNAVAILABLE);
    assert_null(st);
    assert_non_null(strstr(err, "cannot open"));
}

static void test_garbage_file(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = (struct nl_store *)1;
    char junk[8192];
    char err[512];

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)(i * 131u + 7u);
    write_file(fx->path, junk, sizeof(junk), 0);
    assert_int_equal(nl_store_open(fx->path, NL_STORE_READWRITE, &st, err, sizeof(err)),
                     NL_DATA_LOSS);
    assert_null(st);
    assert_non_null(strstr(err, "not a database"));
    /* The file is left as it was: never "repaired" into an empty database. */
    struct stat sb;
    assert_int_equal(stat(fx->path, &sb), 0);
    assert_int_equal(sb.st_size, (off_t)sizeof(junk));
}

static void test_damaged_pages(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    char code[32], junk[4096];
    struct stat sb;
    char err[512];
    enum nl_status rc;

    /* Enough rows for several pages, then every page after the header page is overwritten. */
    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(unit_put(st, "ha-noi", "Hà Nội", 1, "", NULL), NL_OK);
    for (int i = 0; i < 200; i++) {
        (void)snprintf(code, sizeof(code), "phuong-%03d", i);
        assert_int_equal(
            unit_put(st, code, "Phường có tên khá dài để chiếm chỗ", 6, "ha-noi", NULL), NL_OK);
    }
    assert_int_equal(nl_store_commit(st), NL_OK);
    assert_int_equal(nl_store_checkpoint(st), NL_OK);
    nl_store_close(st);

    assert_int_equal(stat(fx->path, &sb), 0);
    assert_true(sb.st_size >= (off_t)4 * 4096);
    memset(junk, 0xA5, sizeof(junk));
    for (off_t off = 4096; off < sb.st_size; off += 4096)
        write_file(fx->path, junk, sizeof(junk), off);

    st = (struct nl_store *)1;
    rc = nl_store_open(fx->path, NL_STORE_READWRITE, &st, err, sizeof(err));
    print_message("refused: %s\n", err);
    assert_int_equal(rc, NL_DATA_LOSS);
    assert_null(st);
    assert_non_null(strstr(err, fx->path));
}

static void test_newer_schema_refused(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    char err[512];

    assert_int_equal(nl_store_test_exec(st, "PRAGMA user_version = 99"), NL_OK);
    nl_store_close(st);

    st = (struct nl_store *)1;
    assert_int_equal(nl_store_open(fx->path, NL_STORE_READWRITE, &st, err, sizeof(err)),
                     NL_FAILED_PRECONDITION);
    assert_null(st);
    assert_non_null(strstr(err, "schema version 99 is newer than this nhanlucd"));
    st = (struct nl_store *)1;
    assert_int_equal(nl_store_open(fx->path, NL_STORE_READONLY, &st, err, sizeof(err)),
                     NL_FAILED_PRECONDITION);
    assert_null(st);
}

/*
 * A migration that fails half way leaves nothing behind: with a stray table
 * named "term" at version 0, migration 1 creates "unit", then fails on
 * "term". A second attempt fails on "term" again (not on "unit", which would
 * mean the first attempt left it), and the version is still 0.
 */
static void test_failed_migration_is_atomic(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    char err[512];

    assert_int_equal(nl_store_test_exec(st, "DROP TABLE unit; DROP TABLE term;"
                                            "CREATE TABLE term(x); PRAGMA user_version = 0;"),
                     NL_OK);
    nl_store_close(st);

    for (int attempt = 0; attempt < 2; attempt++) {
        st = (struct nl_store *)1;
        assert_int_equal(nl_store_open(fx->path, NL_STORE_READWRITE, &st, err, sizeof(err)),
                         NL_INTERNAL);
        assert_null(st);
        assert_non_null(strstr(err, "migration to schema version 1 failed"));
        assert_non_null(strstr(err, "term"));
        assert_null(strstr(err, "unit"));
    }
    st = (struct nl_store *)1;
    assert_int_equal(nl_store_open(fx->path, NL_STORE_READONLY, &st, err, sizeof(err)),
                     NL_FAILED_PRECONDITION);
    assert_non_null(strstr(err, "schema version 0"));
}

/* --- units --- */

static void test_units(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    struct nl_unit_rec r, *rows;
    size_t n;
    int more;

    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(unit_put(st, "ha-noi", "Hà Nội", 1, "", NULL), NL_OK);
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ", 2, "ha-noi", NULL), NL_OK);
    assert_int_equal(unit_put(st, "thanh-tri", "Thanh Trì", 3, "ha-noi", NULL), NL_OK);
    assert_int_equal(unit_put(st, "quang-an", "Quảng An", 6, "tay-ho", NULL), NL_OK);
    assert_int_equal(unit_put(st, "buoi", "Bưởi", 6, "tay-ho", NULL), NL_OK);
    assert_int_equal(nl_store_commit(st), NL_OK);

    assert_int_equal(nl_store_unit_get(st, "quang-an", &r, &fx->arena), NL_OK);
    assert_string_equal(r.code, "quang-an");
    assert_string_equal(r.name, "Quảng An");
    assert_int_equal(r.kind, 6);
    assert_string_equal(r.parent, "tay-ho");
    assert_int_equal(nl_store_unit_get(st, "ha-noi", &r, &fx->arena), NL_OK);
    assert_string_equal(r.parent, "");
    assert_int_equal(nl_store_unit_get(st, "nowhere", &r, &fx->arena), NL_NOT_FOUND);

    /* All units in code order, two per page. */
    static const char *const all[] = {"buoi", "ha-noi", "quang-an", "tay-ho", "thanh-tri"};
    const char *after = "";
    size_t seen = 0;
    for (int page = 0; page < 10; page++) {
        assert_int_equal(
            nl_store_unit_list(st, "", "", NULL, after, 2, &rows, &n, &more, &fx->arena), NL_OK);
        assert_true(n <= 2);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(rows[i].code, all[seen + i]);
        seen += n;
        assert_int_equal(more, seen < 5);
        if (!more)
            break;
        after = rows[n - 1].code;
    }
    assert_int_equal(seen, 5);

    /* Exactly a full last page: more = 0. */
    assert_int_equal(
        nl_store_unit_list(st, "", "", NULL, "ha-noi", 3, &rows, &n, &more, &fx->arena), NL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(more, 0);

    /* Children only, with the parent's code in each row. */
    assert_int_equal(
        nl_store_unit_list(st, "tay-ho", "", NULL, "", 10, &rows, &n, &more, &fx->arena), NL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(more, 0);
    assert_string_equal(rows[0].code, "buoi");
    assert_string_equal(rows[1].code, "quang-an");
    assert_string_equal(rows[1].parent, "tay-ho");
    assert_int_equal(
        nl_store_unit_list(st, "tay-ho", "", NULL, "buoi", 1, &rows, &n, &more, &fx->arena), NL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(more, 0);
    assert_string_equal(rows[0].code, "quang-an");
    assert_int_equal(
        nl_store_unit_list(st, "quang-an", "", NULL, "", 10, &rows, &n, &more, &fx->arena), NL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(nl_store_unit_list(st, "", "", NULL, "", 0, &rows, &n, &more, &fx->arena),
                     NL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(more, 1);

    /* Name filter: any case, composed or decomposed, paged like the rest. */
    assert_int_equal(nl_store_unit_list(st, "", "", "T\xc3\x82Y HO\xcc\x82\xcc\x80", "", 10, &rows,
                                        &n, &more, &fx->arena),
                     NL_OK); /* "TÂY HỒ" with a decomposed Ồ */
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].code, "tay-ho");
    assert_string_equal(rows[0].name, "T\xc3\xa2y H\xe1\xbb\x93");
    /* "n" is in "Hà Nội", "Quảng An" and "Thanh Trì": two pages of two. */
    assert_int_equal(nl_store_unit_list(st, "", "", "N", "", 2, &rows, &n, &more, &fx->arena),
                     NL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(more, 1);
    assert_string_equal(rows[0].code, "ha-noi");
    assert_string_equal(rows[1].code, "quang-an");
    assert_int_equal(
        nl_store_unit_list(st, "", "", "N", "quang-an", 2, &rows, &n, &more, &fx->arena), NL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(more, 0);
    assert_string_equal(rows[0].code, "thanh-tri");
    /* With a parent: only its matching children. "ƯỞ" is in "Bưởi". */
    assert_int_equal(nl_store_unit_list(st, "tay-ho", "", "\xc6\xaf\xe1\xbb\x9e", "", 10, &rows, &n,
                                        &more, &fx->arena),
                     NL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].code, "buoi");
    /* Typed without accents, "tri" matches "Trì"; typed with them, "trí" does not. */
    assert_int_equal(nl_store_unit_list(st, "", "", "tri", "", 10, &rows, &n, &more, &fx->arena),
                     NL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].code, "thanh-tri");
    /* No match is an empty list. */
    assert_int_equal(
        nl_store_unit_list(st, "", "", "tr\xc3\xad", "", 10, &rows, &n, &more, &fx->arena), NL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(more, 0);
    assert_int_equal(nl_store_unit_list(st, "", "", "a\xff", "", 10, &rows, &n, &more, &fx->arena),
                     NL_INVALID_ARGUMENT);
    nl_store_close(st);
}

static void test_unit_replay_conflict_parent(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    struct nl_unit_rec u = {"tay-ho", "Tây Hồ", 2, "nowhere", "", ""};
    struct nl_unit_rec r;
    char msg[256];
    int created = -1;

    unit_commit(st, "ha-noi", "Hà Nội", 1, "");
    assert_int_equal(nl_store_begin_write(st), NL_OK);
    /* Unknown parent. */
    assert_int_equal(nl_store_unit_create(st, &u, &created, msg, sizeof(msg)), NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "unit.parent: no such unit");
    assert_int_equal(created, 0);
    /* Created, then replayed, then conflicting on each field. */
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ", 2, "ha-noi", &created), NL_OK);
    assert_int_equal(created, 1);
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ", 2, "ha-noi", &created), NL_OK);
    assert_int_equal(created, 0);
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ mới", 2, "ha-noi", &created),
                     NL_ALREADY_EXISTS);
    assert_int_equal(created, 0);
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ", 3, "ha-noi", &created), NL_ALREADY_EXISTS);
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ", 2, "tay-ho", &created), NL_ALREADY_EXISTS);
    u.parent = "ha-noi";
    u.name = "Other";
    assert_int_equal(nl_store_unit_create(st, &u, &created, msg, sizeof(msg)), NL_ALREADY_EXISTS);
    assert_non_null(strstr(msg, "unit.code"));
    assert_null(strstr(msg, "tay-ho"));
    /* The CHECK constraint backs up validation: an unknown kind is a precondition failure. */
    assert_int_equal(unit_put(st, "bad-kind", "X", 9, "ha-noi", &created), NL_FAILED_PRECONDITION);
    assert_int_equal(nl_store_commit(st), NL_OK);

    assert_int_equal(nl_store_unit_get(st, "tay-ho", &r, &fx->arena), NL_OK);
    assert_string_equal(r.name, "Tây Hồ");
    assert_int_equal(r.kind, 2);
    assert_false(unit_exists(st, "bad-kind", &fx->arena));
    nl_store_close(st);
}

/* --- terms --- */

static void test_terms(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(":memory:");
    struct nl_term_rec t1 = {"2020-2025", 1, 2020, 2025};
    struct nl_term_rec t2 = {"2015-2020", 1, 2015, 2020};
    struct nl_term_rec t3 = {"2021-2026", 2, 2021, 2026};
    struct nl_term_rec bad = {"2020-2025", 2, 2020, 2025};
    struct nl_term_rec inverted = {"2030-2025", 1, 2030, 2025};
    struct nl_term_rec *rows;
    char msg[256];
    int created = -1;
    size_t n;

    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(nl_store_term_create(st, &t1, &created, msg, sizeof(msg)), NL_OK);
    assert_int_equal(created, 1);
    assert_int_equal(nl_store_term_create(st, &t3, &created, msg, sizeof(msg)), NL_OK);
    assert_int_equal(nl_store_term_create(st, &t2, &created, msg, sizeof(msg)), NL_OK);
    assert_int_equal(nl_store_term_create(st, &t1, &created, msg, sizeof(msg)), NL_OK);
    assert_int_equal(created, 0);
    assert_int_equal(nl_store_term_create(st, &bad, &created, msg, sizeof(msg)), NL_ALREADY_EXISTS);
    assert_int_equal(created, 0);
    assert_non_null(strstr(msg, "term.code"));
    assert_int_equal(nl_store_term_create(st, &inverted, &created, msg, sizeof(msg)),
                     NL_FAILED_PRECONDITION);
    assert_int_equal(nl_store_commit(st), NL_OK);

    assert_int_equal(nl_store_term_list(st, 0, &rows, &n, &fx->arena), NL_OK);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].code, "2015-2020");
    assert_string_equal(rows[1].code, "2020-2025");
    assert_int_equal(rows[1].kind, 1);
    assert_int_equal(rows[1].start_year, 2020);
    assert_int_equal(rows[1].end_year, 2025);
    assert_string_equal(rows[2].code, "2021-2026");
    assert_int_equal(nl_store_term_list(st, 2, &rows, &n, &fx->arena), NL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].code, "2021-2026");
    nl_store_close(st);
}

/* --- transactions --- */

static void test_savepoint_rollback(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    struct nl_store *ro;

    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(nl_store_savepoint(st), NL_OK);
    assert_int_equal(unit_put(st, "ha-noi", "Hà Nội", 1, "", NULL), NL_OK);
    assert_int_equal(nl_store_savepoint_release(st), NL_OK);

    /* A job that wrote and then failed: its rows go, the transaction stays. */
    assert_int_equal(nl_store_savepoint(st), NL_OK);
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ", 2, "ha-noi", NULL), NL_OK);
    assert_int_equal(unit_put(st, "tay-ho", "Other", 2, "ha-noi", NULL), NL_ALREADY_EXISTS);
    assert_int_equal(nl_store_savepoint_rollback(st), NL_OK);
    assert_true(nl_store_txn_active(st));

    assert_int_equal(nl_store_savepoint(st), NL_OK);
    assert_int_equal(unit_put(st, "ba-dinh", "Ba Đình", 2, "ha-noi", NULL), NL_OK);
    assert_int_equal(nl_store_savepoint_release(st), NL_OK);
    assert_int_equal(nl_store_commit(st), NL_OK);
    assert_false(nl_store_txn_active(st));

    ro = open_ro(fx->path);
    assert_int_equal(nl_store_begin_read(ro), NL_OK);
    assert_true(unit_exists(ro, "ha-noi", &fx->arena));
    assert_true(unit_exists(ro, "ba-dinh", &fx->arena));
    assert_false(unit_exists(ro, "tay-ho", &fx->arena));
    assert_int_equal(nl_store_end_read(ro), NL_OK);
    nl_store_close(ro);

    /* Rollback of a whole transaction, and rollback with none open. */
    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(unit_put(st, "tay-ho", "Tây Hồ", 2, "ha-noi", NULL), NL_OK);
    assert_int_equal(nl_store_rollback(st), NL_OK);
    assert_int_equal(nl_store_rollback(st), NL_OK);
    assert_false(unit_exists(st, "tay-ho", &fx->arena));
    nl_store_close(st);
}

static void test_checkpoint_truncates_wal(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    char wal[192];
    struct stat sb;

    (void)snprintf(wal, sizeof(wal), "%s-wal", fx->path);
    unit_commit(st, "ha-noi", "Hà Nội", 1, "");
    assert_int_equal(stat(wal, &sb), 0);
    assert_true(sb.st_size > 0);
    assert_int_equal(nl_store_checkpoint(st), NL_OK);
    assert_int_equal(stat(wal, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    assert_true(unit_exists(st, "ha-noi", &fx->arena));
    nl_store_close(st);
}

/* --- interruption --- */

static const char long_query[] = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
                                 " WHERE x < 1000000000) SELECT count(*) FROM c";

struct flipper {
    atomic_int *flag;
    long delay_ms;
};

static void *flip_later(void *arg)
{
    struct flipper *f = arg;
    struct timespec ts = {0, f->delay_ms * 1000000L};

    nanosleep(&ts, NULL);
    atomic_store(f->flag, 1);
    return NULL;
}

static void test_interrupt_cancel(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    atomic_int cancel;
    struct flipper f = {&cancel, 30};
    pthread_t th;
    char out[64];
    uint64_t t0;

    atomic_init(&cancel, 0);
    nl_store_set_interrupt(st, &cancel, 0);
    t0 = nl_now_ms();
    assert_int_equal(pthread_create(&th, NULL, flip_later, &f), 0);
    assert_int_equal(nl_store_test_query(st, long_query, out, sizeof(out)), NL_CANCELLED);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(nl_now_ms() - t0 < 5000);

    /* Cleared: short statements run normally again. */
    nl_store_set_interrupt(st, NULL, 0);
    assert_int_equal(nl_store_test_query(st, "SELECT 6 * 7", out, sizeof(out)), NL_OK);
    assert_string_equal(out, "42");
    unit_commit(st, "ha-noi", "Hà Nội", 1, "");
    nl_store_close(st);
}

static void test_interrupt_deadline(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    atomic_int cancel;
    char out[64];
    uint64_t t0 = nl_now_ms();

    atomic_init(&cancel, 0);
    nl_store_set_interrupt(st, &cancel, t0 + 50);
    assert_int_equal(nl_store_test_query(st, long_query, out, sizeof(out)), NL_DEADLINE_EXCEEDED);
    assert_true(nl_now_ms() - t0 < 5000);
    assert_true(nl_now_ms() >= t0 + 50);

    /* A deadline with no cancel flag works too. */
    nl_store_set_interrupt(st, NULL, nl_now_ms() + 20);
    assert_int_equal(nl_store_test_query(st, long_query, out, sizeof(out)), NL_DEADLINE_EXCEEDED);
    nl_store_set_interrupt(st, NULL, 0);
    nl_store_close(st);
}

/*
 * SQLite rolls back the whole transaction when a write statement is
 * interrupted: the batch's earlier savepoints are gone too, and the store
 * says so (txn_active 0, savepoint_rollback ABORTED) instead of pretending.
 */
static void test_interrupted_write_loses_batch(void **state)
{
    struct fx *fx = *state;
    struct nl_store *st = open_rw(fx->path);
    atomic_int cancel;

    atomic_init(&cancel, 1);
    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(nl_store_savepoint(st), NL_OK);
    assert_int_equal(unit_put(st, "ha-noi", "Hà Nội", 1, "", NULL), NL_OK);
    assert_int_equal(nl_store_savepoint_release(st), NL_OK);
    assert_int_equal(nl_store_savepoint(st), NL_OK);
    nl_store_set_interrupt(st, &cancel, 0);
    assert_int_equal(nl_store_test_exec(st, "INSERT INTO term(code, kind, start_year, end_year)"
                                            " WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
                                            " SELECT x + 1 FROM c WHERE x < 1000000)"
                                            " SELECT 't' || x, 1, 2000, 2001 FROM c"),
                     NL_CANCELLED);
    nl_store_set_interrupt(st, NULL, 0);
    assert_false(nl_store_txn_active(st));
    assert_int_equal(nl_store_savepoint_rollback(st), NL_ABORTED);
    assert_false(unit_exists(st, "ha-noi", &fx->arena));
    nl_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_migration_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unit_replay_conflict_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_savepoint_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_truncates_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupt_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_write_loses_batch, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
