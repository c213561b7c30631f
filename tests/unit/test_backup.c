/*
 * test_backup.c - backups (backup.h; RELIABILITY.md section 6) on real store
 * files in a temporary directory.
 *
 * Retention (nl_backup_keep) is checked against keep[] arrays written by
 * hand from calendar dates: UTC days that have backups, ISO weeks from
 * Monday to Sunday (a Sunday 23:59:59 and the Monday after fall in two
 * weeks; the first days of January can belong to the last week of the
 * year before), ties, n = 0 and the 14 daily / 8 weekly policy over 60 days.
 *
 * nl_backup_take runs on a store opened and migrated by nl_store_open,
 * seeded through the store API (units, a term, a few hundred audit entries)
 * while its connections stay open, as under a running server. The test
 * checks what an operator relies on: the directory and the files' modes,
 * the manifest against a SHA-256 computed here with OpenSSL and the
 * store's own audit head, the copy's rows against the source's, no
 * temporary file left (a stale one is removed), distinct names for two
 * backups of one second with the later one newer, a cancelled or late run
 * leaving nothing (also when the copy is short: a flag set before the call
 * counts), and concurrent takes serialised. nl_backup_verify finds a
 * flipped byte, an appended byte, a damaged b-tree page behind a manifest
 * rewritten to match, a changed audit head and a missing manifest.
 * nl_backup_prune deletes exactly what retention drops (with the
 * manifests) and never a file that is not a backup; nl_backup_list lists
 * newest first and skips a copy without a manifest. nl_backup_restore moves
 * the current database and its -wal aside, drops the -shm and puts the
 * backup's bytes in place (a -wal left without its database is not
 * replayed over them), and changes nothing while the database is locked or
 * when the backup is damaged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <uv.h>

#include "../../common/date.h"
#include "../../server/backup.h"
#include "../../server/job.h"
#include "../../server/store.h"
#include "../../server/store_audit.h"
#include "../support/store_fixture.h"

#define N_AUDIT 200         /* audit entries of the seeded store */
#define MARK    "zz-bkmark" /* a unit code that appears once in the unit table */
#define PATHLEN 512

static struct sf_db *g; /* the current fixture */

/* ---------------------------------------------------------------- helpers */

static time_t at(int y, int mo, int d, int hh, int mi, int ss)
{
    return (time_t)nl_date_from_ymd(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss;
}

/* out = dir + "/" + name; fails the test when it does not fit. */
static void join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATHLEN, "%s/%s", dir, name);

    assert_true(n > 0 && n < PATHLEN);
}

/* "x/a.db" -> "x/a.manifest" */
static void manifest_of(char *out, const char *db)
{
    size_t n = strlen(db);

    assert_true(n > 3 && strcmp(db + n - 3, ".db") == 0);
    assert_true(snprintf(out, PATHLEN, "%.*s.manifest", (int)(n - 3), db) < PATHLEN);
}

static int exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

static unsigned mode_of(const char *path)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    return (unsigned)(sb.st_mode & 07777);
}

static long long size_of(const char *path)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    return (long long)sb.st_size;
}

/* The whole file, malloc'ed (caller frees), with a NUL after its *len bytes. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p;
    long n;

    if (f == NULL)
        fail_msg("cannot read %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    (void)fclose(f);
    *len = (size_t)n;
    return p;
}

/* Writes len bytes as the whole file (created 0600 when absent). */
static void spit(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd < 0)
        fail_msg("cannot create %s", path);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void spit_str(const char *path, const char *s)
{
    spit(path, s, strlen(s));
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    unsigned char *p = slurp(from, &n);

    spit(to, p, n);
    free(p);
}

/* Asserts that file `path` holds exactly `s`. */
static void expect_content(const char *path, const char *s)
{
    size_t n;
    unsigned char *p = slurp(path, &n);

    assert_int_equal(n, strlen(s));
    assert_memory_equal(p, s, n);
    free(p);
}

/* Asserts that files a and b hold the same bytes. */
static void expect_same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *pa = slurp(a, &na), *pb = slurp(b, &nb);

    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, na);
    free(pa);
    free(pb);
}

static void sha256_hex(const unsigned char *p, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    assert_int_equal(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
    assert_int_equal(mdlen, 32);
    for (unsigned i = 0; i < 32; i++)
        (void)snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void file_sha256(const char *path, char hex[65])
{
    size_t n;
    unsigned char *p = slurp(path, &n);

    sha256_hex(p, n, hex);
    free(p);
}

/* Replaces the one occurrence of `from` in file `path` by `to` (same length). */
static void replace_in_file(const char *path, const char *from, const char *to)
{
    size_t n, k = strlen(from);
    unsigned char *p = slurp(path, &n);
    char *hit = strstr((char *)p, from);

    assert_int_equal(strlen(to), k);
    if (hit == NULL)
        fail_msg("%s does not hold %s", path, from);
    assert_null(strstr(hit + 1, from));
    memcpy(hit, to, k);
    spit(path, p, n);
    free(p);
}

/* Entries of dir (without "." and ".."), or -1 when it cannot be read. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Entries of dir whose names start with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

/* Removes path, a directory's entries first (the test's trees are shallow). */
static void rm_tree(const char *path, int depth)
{
    struct stat sb;
    DIR *d;
    struct dirent *e;
    char sub[PATHLEN];

    if (lstat(path, &sb) != 0)
        return;
    if (!S_ISDIR(sb.st_mode)) {
        (void)unlink(path);
        return;
    }
    d = opendir(path);
    if (d != NULL && depth < 4) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < (int)sizeof(sub))
                rm_tree(sub, depth + 1);
        }
    }
    if (d != NULL)
        closedir(d);
    (void)rmdir(path);
}

/* "YYYYMMDDTHHMMSSZ" (16 characters) as a time; fails the test on another shape. */
static time_t stamp_time(const char *s)
{
    char date[11];
    int32_t days;

    for (int i = 0; i < 16; i++) {
        if (i == 8)
            assert_int_equal(s[i], 'T');
        else if (i == 15)
            assert_int_equal(s[i], 'Z');
        else
            assert_true(s[i] >= '0' && s[i] <= '9');
    }
    (void)snprintf(date, sizeof(date), "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    assert_int_equal(nl_date_parse(date, 10, &days), 0);
    return (time_t)days * 86400 + ((s[9] - '0') * 10 + (s[10] - '0')) * 3600 +
           ((s[11] - '0') * 10 + (s[12] - '0')) * 60 + (s[13] - '0') * 10 + (s[14] - '0');
}

/* The number of a backup name: 1 for "nhanluc-<stamp>.db", N for "nhanluc-<stamp>-N.db". */
static int name_num(const char *name)
{
    size_t n = strlen(name);

    assert_true(n >= 27 && strncmp(name, "nhanluc-", 8) == 0);
    assert_string_equal(name + n - 3, ".db");
    (void)stamp_time(name + 8);
    if (n == 27)
        return 1;
    assert_int_equal(name[24], '-');
    return (int)strtol(name + 25, NULL, 10);
}

static void expect_err(const char *err, const char *needle)
{
    if (strstr(err, needle) == NULL)
        fail_msg("error \"%s\" does not say \"%s\"", err, needle);
}

/* nl_backup_take with no cancel flag and no deadline; fails the test on error. */
static void take(const char *dir, const char *reason, struct nl_backup_info *info)
{
    char err[512] = "";

    if (nl_backup_take(g->path, dir, reason, NULL, 0, info, err, sizeof(err)) != 0)
        fail_msg("take: %s", err);
}

/* The store's audit head as the manifest writes it. */
static void store_head(int64_t *seq, char hex[65])
{
    unsigned char h[NL_AUDIT_HASH_BYTES];

    assert_int_equal(nl_store_audit_head(g->rw, seq, h), NL_OK);
    nl_audit_hex(h, hex);
}

/* ---------------------------------------------------------------- fixture */

static void seed(struct nl_store *st)
{
    struct nl_unit_rec u1 = {"hn", "Ha Noi", 1, "", "", ""};
    struct nl_unit_rec u2 = {MARK, "Marker unit", 2, "hn", "", ""};
    struct nl_term_rec t = {"2020-2025", 1, 2020, 2025};
    char msg[256], keys[64], peer[32];
    int created;
    struct nl_arena a;

    nl_arena_init(&a, 0);
    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(nl_store_unit_create(st, &u1, &created, msg, sizeof(msg)), NL_OK);
    assert_int_equal(nl_store_unit_create(st, &u2, &created, msg, sizeof(msg)), NL_OK);
    assert_int_equal(nl_store_term_create(st, &t, &created, msg, sizeof(msg)), NL_OK);
    for (int i = 1; i <= N_AUDIT; i++) {
        struct nl_audit_rec r;

        memset(&r, 0, sizeof(r));
        (void)snprintf(keys, sizeof(keys), "unit=hn year=%d", 2000 + i);
        (void)snprintf(peer, sizeof(peer), "127.0.0.1:%d", 40000 + i);
        r.at = "2024-05-01T10:00:00.000Z";
        r.token_id = "0123456789ab";
        r.role = "central";
        r.unit = "";
        r.cert_fp = "";
        r.peer = peer;
        r.method = "/nhanluc.v1.Registry/CreateUnit";
        r.keys = keys;
        r.outcome = "OK";
        assert_int_equal(nl_store_audit_append(st, &r, &a), NL_OK);
        assert_int_equal(r.seq, i);
    }
    assert_int_equal(nl_store_commit(st), NL_OK);
    nl_arena_release(&a);
}

static int setup(void **state)
{
    if (sf_setup(state, "backup", &g) != 0)
        return -1;
    seed(g->rw);
    return 0;
}

/* A store with its migrated schema and no rows. */
static int setup_empty(void **state)
{
    return sf_setup(state, "backup", &g);
}

/* Removes what the test made beside the store, then the store and its directory. */
static int teardown(void **state)
{
    struct sf_db *d = *state;
    DIR *dir = opendir(d->dir);
    struct dirent *e;
    char p[PATHLEN];

    if (dir != NULL) {
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                strncmp(e->d_name, "nl.db", 5) == 0)
                continue;
            if (snprintf(p, sizeof(p), "%s/%s", d->dir, e->d_name) < (int)sizeof(p))
                rm_tree(p, 0);
        }
        closedir(dir);
    }
    return sf_teardown(state);
}

/* ---------------------------------------------------------- nl_backup_keep */

static void expect_keep(const time_t *t, size_t n, unsigned daily, unsigned weekly, const int *want)
{
    int keep[64];

    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        keep[i] = -1;
    nl_backup_keep(t, n, daily, weekly, keep);
    for (size_t i = 0; i < n; i++)
        if (keep[i] != want[i])
            fail_msg("daily %u weekly %u: keep[%zu] = %d, want %d", daily, weekly, i, keep[i],
                     want[i]);
}

/* The newest of each of the `daily` most recent days with backups (empty days do not count). */
static void test_keep_daily(void **state)
{
    const time_t t[] = {
        at(2024, 3, 5, 10, 0, 0),   /* 0: 03-05 */
        at(2024, 3, 7, 8, 0, 0),    /* 1: 03-07 */
        at(2024, 3, 7, 20, 0, 0),   /* 2: 03-07, the newest */
        at(2024, 3, 5, 23, 59, 59), /* 3: 03-05 (no backup on 03-06) */
        at(2024, 3, 4, 12, 0, 0),   /* 4: 03-04 */
        at(2024, 3, 5, 23, 59, 59), /* 5: the time of 3, a later entry: the newest of 03-05 */
    };
    /* daily 2: days 03-07 and 03-05. */
    const int want2[] = {0, 0, 1, 0, 0, 1};
    /* daily 3: 03-04 as well. */
    const int want3[] = {0, 0, 1, 0, 1, 1};
    /* daily 1: 03-07 only. */
    const int want1[] = {0, 0, 1, 0, 0, 0};

    (void)state;
    expect_keep(t, 6, 2, 0, want2);
    expect_keep(t, 6, 3, 0, want3);
    expect_keep(t, 6, 1, 0, want1);
    /* Days are UTC days: 23:59:59 and the next 00:00:00 are two days. */
    {
        const time_t u[] = {at(2024, 3, 5, 23, 59, 59), at(2024, 3, 6, 0, 0, 0)};
        const int both[] = {1, 1};
        expect_keep(u, 2, 2, 0, both);
    }
}

/* The newest of each of the `weekly` most recent ISO weeks (Monday..Sunday, UTC) with backups. */
static void test_keep_weekly(void **state)
{
    /* 2024-03-04 is a Monday (ISO week 10); 03-03 a Sunday (week 9); 02-25 a Sunday (week 8). */
    const time_t t[] = {
        at(2024, 3, 6, 9, 0, 0),    /* 0 Wed w10: newest */
        at(2024, 3, 4, 0, 0, 0),    /* 1 Mon w10 */
        at(2024, 3, 3, 23, 59, 59), /* 2 Sun w9: newest of w9 */
        at(2024, 2, 27, 10, 0, 0),  /* 3 Tue w9 */
        at(2024, 2, 20, 10, 0, 0),  /* 4 Tue w8 */
        at(2024, 2, 25, 10, 0, 0),  /* 5 Sun w8: newest of w8 */
        at(2024, 2, 14, 10, 0, 0),  /* 6 Wed w7 */
    };
    const int want[] = {1, 0, 1, 0, 0, 1, 0};      /* daily 1, weekly 3 */
    const int want_all[] = {1, 0, 1, 0, 0, 1, 1};  /* weekly 8: only four weeks have backups */
    const int want_days[] = {1, 1, 1, 1, 0, 1, 0}; /* daily 4 (03-06, 03-04, 03-03, 02-27), w3 */

    (void)state;
    expect_keep(t, 7, 1, 3, want);
    expect_keep(t, 7, 0, 8, want_all);
    expect_keep(t, 7, 4, 3, want_days);
}

/* Sunday 23:59:59 and Monday 00:00 are two weeks; early January can be in last year's week 53. */
static void test_keep_week_boundaries(void **state)
{
    const time_t t[] = {
        at(2024, 3, 3, 23, 59, 59), /* 0 Sun: week 9 */
        at(2024, 3, 4, 0, 0, 0),    /* 1 Mon: week 10 */
        at(2024, 3, 4, 12, 0, 0),   /* 2 Mon: week 10, newest */
    };
    const int want[] = {1, 0, 1}; /* a Sunday-first week would keep 2 only */
    /* 2020-12-28 (Mon) .. 2021-01-03 (Sun) is ISO week 2020-W53; 2021-01-04 starts 2021-W01. */
    const time_t y[] = {
        at(2020, 12, 28, 10, 0, 0), /* 0 Mon W53 */
        at(2021, 1, 3, 10, 0, 0),   /* 1 Sun W53: its newest */
        at(2021, 1, 4, 10, 0, 0),   /* 2 Mon 2021-W01: newest */
        at(2020, 12, 27, 10, 0, 0), /* 3 Sun W52 */
    };
    const int want_y[] = {0, 1, 1, 0};
    const int want_y3[] = {0, 1, 1, 1};

    (void)state;
    expect_keep(t, 3, 0, 2, want);
    expect_keep(y, 4, 0, 2, want_y);
    expect_keep(y, 4, 0, 3, want_y3);
}

/* Equal times: the later array entry is the newer; the newest is always kept. */
static void test_keep_ties(void **state)
{
    const time_t t[] = {
        at(2024, 3, 7, 12, 0, 0), /* 0 */
        at(2024, 3, 7, 12, 0, 0), /* 1: same time, later entry: newest */
        at(2024, 3, 7, 6, 0, 0),  /* 2 */
        at(2024, 3, 6, 12, 0, 0), /* 3 */
        at(2024, 3, 6, 12, 0, 0), /* 4: newest of 03-06 */
    };
    const int want1[] = {0, 1, 0, 0, 0};
    const int want2[] = {0, 1, 0, 0, 1};
    const time_t r[] = {at(2024, 3, 7, 12, 0, 0), at(2024, 3, 7, 12, 0, 0)};
    const int want_r[] = {0, 1};

    (void)state;
    expect_keep(t, 5, 1, 0, want1);
    expect_keep(t, 5, 2, 0, want2);
    expect_keep(t, 5, 0, 1, want1); /* one week: its newest */
    expect_keep(r, 2, 1, 1, want_r);
}

/* n = 0 writes nothing; daily 1 weekly 0 and daily 0 weekly 0 keep only the newest. */
static void test_keep_small_policies(void **state)
{
    const time_t none[1] = {at(2024, 3, 7, 12, 0, 0)};
    int keep[1] = {-7};
    const time_t t[] = {
        at(2024, 3, 1, 12, 0, 0),
        at(2024, 3, 9, 1, 0, 0), /* newest */
        at(2024, 3, 9, 0, 30, 0),
        at(2024, 2, 1, 12, 0, 0),
    };
    const int newest[] = {0, 1, 0, 0};

    (void)state;
    nl_backup_keep(none, 0, 14, 8, keep);
    assert_int_equal(keep[0], -7);
    expect_keep(t, 4, 1, 0, newest);
    expect_keep(t, 4, 0, 0, newest);
    expect_keep(t, 4, 0, 1, newest);
}

/*
 * The default policy (14 daily, 8 weekly) over four backups a day (00, 06,
 * 12, 18 h) from Thursday 2024-01-11 to Sunday 2024-03-10: the 18:00 backup
 * of each day from 2024-02-26 to 03-10, and the Sunday 18:00 backups of the
 * six weeks before (02-25, 02-18, 02-11, 02-04, 01-28, 01-21). The week of
 * 01-08..01-14 is the ninth: dropped.
 */
static void test_keep_default_policy(void **state)
{
    static const char *const kept[] = {
        "2024-01-21", "2024-01-28", "2024-02-04", "2024-02-11", "2024-02-18",
        "2024-02-25", "2024-02-26", "2024-02-27", "2024-02-28", "2024-02-29",
        "2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05",
        "2024-03-06", "2024-03-07", "2024-03-08", "2024-03-09", "2024-03-10",
    };
    int32_t first = nl_date_from_ymd(2024, 1, 11), last = nl_date_from_ymd(2024, 3, 10);
    size_t n = (size_t)(last - first + 1) * 4, nkept = 0;
    time_t *t = malloc(n * sizeof(*t));
    int *keep = malloc(n * sizeof(*keep));

    (void)state;
    assert_int_equal(n, 60 * 4);
    assert_non_null(t);
    assert_non_null(keep);
    /* Newest first in the array, to show that the order of the input does not matter. */
    for (size_t i = 0; i < n; i++)
        t[i] = (time_t)last * 86400 + 18 * 3600 - (time_t)i * 6 * 3600;
    nl_backup_keep(t, n, 14, 8, keep);
    for (size_t i = 0; i < n; i++) {
        char day[11];
        int want = 0;

        nl_date_format((int32_t)(t[i] / 86400), day);
        for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
            if (strcmp(day, kept[k]) == 0 && t[i] % 86400 == 18 * 3600)
                want = 1;
        if (keep[i] != want)
            fail_msg("%s %02d:00: keep %d, want %d", day, (int)(t[i] % 86400 / 3600), keep[i],
                     want);
        nkept += (size_t)keep[i];
    }
    assert_int_equal(nkept, 20);
    free(t);
    free(keep);
}

/* ---------------------------------------------------------- nl_backup_take */

/*
 * Asserts that every table of the source has the same rows in the copy (and
 * the same schema); returns the number of rows compared.
 */
static long long compare_dbs(const char *src, const char *copy)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char *sql, bad[256] = "";
    long long rows = 0;

    assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sql = sqlite3_mprintf("ATTACH %Q AS src", src);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free(sql);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM (SELECT type, name, sql FROM "
                                        "src.sqlite_schema EXCEPT SELECT type, name, sql FROM "
                                        "main.sqlite_schema)",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    if (sqlite3_column_int(s, 0) != 0)
        (void)snprintf(bad, sizeof(bad), "%d schema rows differ", sqlite3_column_int(s, 0));
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT name FROM src.sqlite_schema WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite%' ORDER BY name",
                                        -1, &s, NULL),
                     SQLITE_OK);
    while (bad[0] == '\0' && sqlite3_step(s) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        sqlite3_stmt *q = NULL;

        sql = sqlite3_mprintf("SELECT (SELECT count(*) FROM src.\"%w\"), (SELECT count(*) FROM "
                              "main.\"%w\"), (SELECT count(*) FROM (SELECT * FROM src.\"%w\" "
                              "EXCEPT SELECT * FROM main.\"%w\"))",
                              t, t, t, t);
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
            (void)snprintf(bad, sizeof(bad), "table %s: %s", t, sqlite3_errmsg(db));
        else if (sqlite3_column_int64(q, 0) != sqlite3_column_int64(q, 1) ||
                 sqlite3_column_int64(q, 2) != 0)
            (void)snprintf(bad, sizeof(bad), "table %s: %lld rows, %lld in the copy, %lld differ",
                           t, (long long)sqlite3_column_int64(q, 0),
                           (long long)sqlite3_column_int64(q, 1),
                           (long long)sqlite3_column_int64(q, 2));
        else
            rows += sqlite3_column_int64(q, 0);
        sqlite3_free(sql);
        sqlite3_finalize(q);
    }
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    if (bad[0] != '\0')
        fail_msg("%s", bad);
    return rows;
}

/* The directory (0700), the copy and manifest (0600), the manifest's fields, the copy's rows. */
static void test_take_files_and_manifest(void **state)
{
    struct nl_backup_info info;
    char bk[PATHLEN], db[PATHLEN], man[PATHLEN], sha[65], head_hex[65], stamp_created[32];
    int64_t head_seq;
    time_t before, after, created;
    json_error_t je;
    json_t *j, *audit;

    (void)state;
    join(bk, g->dir, "backups");
    store_head(&head_seq, head_hex);
    assert_int_equal(head_seq, N_AUDIT);
    before = time(NULL);
    take(bk, "requested", &info);
    after = time(NULL);

    {
        struct stat sb;
        assert_int_equal(stat(bk, &sb), 0);
        assert_true(S_ISDIR(sb.st_mode));
    }
    assert_int_equal(mode_of(bk), 0700);
    join(db, bk, info.name);
    manifest_of(man, db);
    assert_true(exists(db));
    assert_true(exists(man));
    assert_int_equal(mode_of(db), 0600);
    assert_int_equal(mode_of(man), 0600);
    assert_int_equal(count_entries(bk), 2);
    assert_int_equal(count_prefixed(bk, ".nhanluc-"), 0);

    /* The name carries the creation time, the same as created_at, within the call. */
    assert_int_equal(name_num(info.name), 1);
    created = stamp_time(info.name + 8);
    assert_true(created >= before && created <= after);
    (void)snprintf(stamp_created, sizeof(stamp_created), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ",
                   info.name + 8, info.name + 12, info.name + 14, info.name + 17, info.name + 19,
                   info.name + 21);
    assert_string_equal(info.created_at, stamp_created);

    /* What take returned. */
    file_sha256(db, sha);
    assert_int_equal(info.size, size_of(db));
    assert_string_equal(info.sha256, sha);
    assert_int_equal(info.audit_seq, head_seq);
    assert_string_equal(info.audit_hash, head_hex);
    assert_int_equal(info.schema_version, NL_STORE_SCHEMA_VERSION);
    assert_string_equal(info.reason, "requested");
    assert_true(info.seconds >= 0.0);

    /* What the manifest on disk says. */
    j = json_load_file(man, 0, &je);
    if (j == NULL)
        fail_msg("manifest: %s", je.text);
    audit = json_object_get(j, "audit");
    assert_int_equal(json_integer_value(json_object_get(j, "size")), size_of(db));
    assert_string_equal(json_string_value(json_object_get(j, "sha256")), sha);
    assert_int_equal(json_integer_value(json_object_get(audit, "seq")), head_seq);
    assert_string_equal(json_string_value(json_object_get(audit, "hash")), head_hex);
    assert_int_equal(json_integer_value(json_object_get(j, "schema_version")),
                     NL_STORE_SCHEMA_VERSION);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "requested");
    assert_string_equal(json_string_value(json_object_get(j, "created_at")), info.created_at);
    json_decref(j);

    /* The copy holds the source's rows: the seed's units, term and audit entries at least. */
    assert_true(compare_dbs(g->path, db) >= N_AUDIT + 3);
}

/* A stale temporary file goes; other files stay; two backups of one second differ, newer last. */
static void test_take_stale_and_same_second(void **state)
{
    struct nl_backup_info prev, cur, *list = NULL;
    char bk[PATHLEN], p[PATHLEN], err[256];
    size_t n = 0;
    int same = 0, takes = 1, rc;

    (void)state;
    join(bk, g->dir, "backups");
    assert_int_equal(mkdir(bk, 0700), 0);
    join(p, bk, ".nhanluc-x.tmp");
    spit_str(p, "half a copy");
    join(p, bk, "notes.txt");
    spit_str(p, "the operator's notes");

    take(bk, "scheduled", &prev);
    join(p, bk, ".nhanluc-x.tmp");
    assert_false(exists(p));
    join(p, bk, "notes.txt");
    expect_content(p, "the operator's notes");
    assert_int_equal(count_prefixed(bk, ".nhanluc-"), 0);

    /* A take lasts milliseconds: within 5 tries two fall in one second. */
    for (int k = 0; k < 5 && !same; k++) {
        take(bk, "requested", &cur);
        takes++;
        assert_string_not_equal(cur.name, prev.name);
        if (strncmp(cur.name, prev.name, 24) == 0) {
            same = 1;
            assert_int_equal(name_num(cur.name), name_num(prev.name) + 1);
            break;
        }
        assert_int_equal(name_num(cur.name), 1); /* a new second starts at the plain name */
        prev = cur;
    }
    assert_true(same);
    assert_int_equal(count_prefixed(bk, ".nhanluc-"), 0);

    /* Listed newest first: the later backup of the second comes first. */
    rc = nl_backup_list(bk, &list, &n, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_int_equal(n, (size_t)takes);
    assert_string_equal(list[0].name, cur.name);
    assert_string_equal(list[1].name, prev.name);
    assert_string_equal(list[0].sha256, cur.sha256);
    assert_string_equal(list[0].reason, "requested");
    free(list);

    /* Retention keeps the newest: with one day and no week only the later one stays. */
    rc = nl_backup_prune(bk, 1, 0, err, sizeof(err));
    assert_int_equal(rc, takes - 1);
    join(p, bk, cur.name);
    assert_true(exists(p));
    assert_int_equal(count_entries(bk), 3); /* the backup, its manifest, notes.txt */
}

/* A cancel flag already set, or a deadline already past: take fails and leaves no file. */
static void test_take_cancelled(void **state)
{
    struct nl_backup_info info;
    char bk[PATHLEN], err[512];
    atomic_int cancel;
    uint64_t now;
    int rc, n;

    (void)state;
    join(bk, g->dir, "backups");
    atomic_init(&cancel, 1);
    err[0] = '\0';
    rc = nl_backup_take(g->path, bk, "requested", &cancel, 0, &info, err, sizeof(err));
    assert_int_equal(rc, -1);
    assert_true(err[0] != '\0');
    n = count_entries(bk);
    assert_true(n <= 0); /* the directory, if made, holds nothing */

    now = nl_now_ms();
    err[0] = '\0';
    atomic_store(&cancel, 0);
    rc = nl_backup_take(g->path, bk, "requested", &cancel, now > 1 ? now - 1 : 1, &info, err,
                        sizeof(err));
    assert_int_equal(rc, -1);
    assert_true(err[0] != '\0');
    assert_true(count_entries(bk) <= 0);

    /* The flag clear and no deadline: the same call succeeds. */
    rc = nl_backup_take(g->path, bk, "requested", &cancel, 0, &info, err, sizeof(err));
    if (rc != 0)
        fail_msg("take: %s", err);
    assert_int_equal(count_entries(bk), 2);
}

/*
 * The same on a store with its schema and no rows: a copy short enough to
 * finish between two polls of the progress handler must not outrun a flag
 * that was set before the call (a shutdown under way, a client gone).
 */
static void test_take_cancelled_small_store(void **state)
{
    struct nl_backup_info info;
    char bk[PATHLEN], err[512];
    atomic_int cancel;
    uint64_t now;

    (void)state;
    join(bk, g->dir, "backups");
    atomic_init(&cancel, 1);
    err[0] = '\0';
    assert_int_equal(nl_backup_take(g->path, bk, "shutdown", &cancel, 0, &info, err, sizeof(err)),
                     -1);
    assert_true(err[0] != '\0');
    assert_true(count_entries(bk) <= 0);

    atomic_store(&cancel, 0);
    now = nl_now_ms();
    err[0] = '\0';
    assert_int_equal(nl_backup_take(g->path, bk, "shutdown", &cancel, now > 1 ? now - 1 : 1, &info,
                                    err, sizeof(err)),
                     -1);
    assert_true(err[0] != '\0');
    assert_true(count_entries(bk) <= 0);
}

struct take_arg {
    const char *dir;
    struct nl_backup_info info;
    char err[256];
    int rc;
};

static void take_thread(void *p)
{
    struct take_arg *a = p;

    a->rc = nl_backup_take(g->path, a->dir, "requested", NULL, 0, &a->info, a->err, sizeof(a->err));
}

/* Two threads taking at once into one directory: both succeed under two names, both verify. */
static void test_take_concurrent(void **state)
{
    struct take_arg a[3];
    uv_thread_t th[3];
    char bk[PATHLEN], p[PATHLEN], err[256];
    struct nl_backup_info v;

    (void)state;
    join(bk, g->dir, "backups");
    for (int i = 0; i < 3; i++) {
        memset(&a[i], 0, sizeof(a[i]));
        a[i].dir = bk;
        assert_int_equal(uv_thread_create(&th[i], take_thread, &a[i]), 0);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(uv_thread_join(&th[i]), 0);
    for (int i = 0; i < 3; i++) {
        if (a[i].rc != 0)
            fail_msg("take %d: %s", i, a[i].err);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(a[i].info.name, a[k].info.name);
        join(p, bk, a[i].info.name);
        if (nl_backup_verify(p, &v, err, sizeof(err)) != 0)
            fail_msg("verify %s: %s", a[i].info.name, err);
    }
    assert_int_equal(count_entries(bk), 6);
}

/* ---------------------------------------------------------- nl_backup_verify */

/* Copies backup `db` and its manifest to dir/<name>.db and .manifest; returns the new .db path. */
static void copy_backup(const char *db, const char *dir, const char *name, char *out)
{
    char from_man[PATHLEN], to_man[PATHLEN], file[128];

    (void)snprintf(file, sizeof(file), "%s.db", name);
    join(out, dir, file);
    copy_file(db, out);
    manifest_of(from_man, db);
    manifest_of(to_man, out);
    copy_file(from_man, to_man);
}

/* The first row of PRAGMA integrity_check on path, into out. */
static void integrity(const char *path, char *out, size_t len)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    (void)snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/*
 * Changes MARK in the unit table's page (a leaf: the table has two rows) to
 * a code of the same length, so the table and its UNIQUE index on code
 * disagree: the file stays readable, integrity_check reports it.
 */
static void damage_btree(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long page = 0, root = 0;
    size_t n, k = strlen(MARK), hits = 0;
    unsigned char *p;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    page = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT rootpage FROM sqlite_schema WHERE type = 'table' "
                                        "AND name = 'unit'",
                                        -1, &s, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    root = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    assert_true(page >= 512 && root >= 2);

    p = slurp(path, &n);
    assert_true((size_t)(root * page) <= n);
    for (size_t off = (size_t)((root - 1) * page); off + k <= (size_t)(root * page); off++) {
        if (memcmp(p + off, MARK, k) == 0) {
            p[off + k - 1] = 'l'; /* "zz-bkmark" -> "zz-bkmarl" */
            hits++;
        }
    }
    assert_int_equal(hits, 1);
    spit(path, p, n);
    free(p);
}

static void test_verify(void **state)
{
    struct nl_backup_info info, out;
    char bk[PATHLEN], db[PATHLEN], vd[PATHLEN], c[PATHLEN], man[PATHLEN], err[512], sha[65];
    char num[32], first[256];
    unsigned char one = 0x5a;
    size_t n;
    unsigned char *p;

    (void)state;
    join(bk, g->dir, "backups");
    join(vd, g->dir, "v");
    assert_int_equal(mkdir(vd, 0700), 0);
    take(bk, "scheduled", &info);
    join(db, bk, info.name);

    /* A fresh backup passes; out is its manifest. */
    memset(&out, 0, sizeof(out));
    if (nl_backup_verify(db, &out, err, sizeof(err)) != 0)
        fail_msg("verify: %s", err);
    assert_string_equal(out.sha256, info.sha256);
    assert_int_equal(out.size, info.size);
    assert_int_equal(out.audit_seq, N_AUDIT);
    assert_string_equal(out.audit_hash, info.audit_hash);
    assert_string_equal(out.reason, "scheduled");
    assert_int_equal(out.schema_version, NL_STORE_SCHEMA_VERSION);

    /* One byte flipped, same size: the SHA-256 differs. */
    copy_backup(db, vd, "flip", c);
    p = slurp(c, &n);
    p[n / 2] ^= 0x01;
    spit(c, p, n);
    free(p);
    err[0] = '\0';
    assert_int_equal(nl_backup_verify(c, &out, err, sizeof(err)), -1);
    expect_err(err, "SHA-256");

    /* One byte appended: the size differs, both sizes named. */
    copy_backup(db, vd, "append", c);
    p = slurp(c, &n);
    free(p);
    {
        FILE *f = fopen(c, "ab");
        assert_non_null(f);
        assert_int_equal(fwrite(&one, 1, 1, f), 1);
        assert_int_equal(fclose(f), 0);
    }
    err[0] = '\0';
    assert_int_equal(nl_backup_verify(c, &out, err, sizeof(err)), -1);
    expect_err(err, "size");
    (void)snprintf(num, sizeof(num), "%zu", n + 1);
    expect_err(err, num);
    (void)snprintf(num, sizeof(num), "%lld", (long long)info.size);
    expect_err(err, num);

    /* A damaged b-tree behind a manifest rewritten to match it: integrity_check finds it. */
    copy_backup(db, vd, "btree", c);
    damage_btree(c);
    integrity(c, first, sizeof(first));
    assert_string_not_equal(first, "ok"); /* the damage is real */
    assert_int_equal(size_of(c), info.size);
    file_sha256(c, sha);
    manifest_of(man, c);
    replace_in_file(man, info.sha256, sha);
    err[0] = '\0';
    assert_int_equal(nl_backup_verify(c, &out, err, sizeof(err)), -1);
    expect_err(err, "integrity_check");

    /* An intact copy whose manifest names another audit head. */
    copy_backup(db, vd, "head", c);
    manifest_of(man, c);
    replace_in_file(man, info.audit_hash,
                    "1111111111111111111111111111111111111111111111111111111111111111");
    err[0] = '\0';
    assert_int_equal(nl_backup_verify(c, &out, err, sizeof(err)), -1);
    expect_err(err, "audit head");

    /* No manifest beside the copy. */
    join(c, vd, "alone.db");
    copy_file(db, c);
    err[0] = '\0';
    assert_int_equal(nl_backup_verify(c, &out, err, sizeof(err)), -1);
    expect_err(err, "manifest");

    /* The original is still good. */
    assert_int_equal(nl_backup_verify(db, &out, err, sizeof(err)), 0);
}

/* ---------------------------------------------------------- prune and list */

/* Makes "<name>.db" and, when man, "<name>.manifest" in dir with small contents. */
static void fake_backup(const char *dir, const char *name, int man)
{
    char file[128], p[PATHLEN];

    (void)snprintf(file, sizeof(file), "%s.db", name);
    join(p, dir, file);
    spit_str(p, "not really a database");
    if (man) {
        (void)snprintf(file, sizeof(file), "%s.manifest", name);
        join(p, dir, file);
        spit_str(p, "{}\n");
    }
}

static void test_prune(void **state)
{
    /* Backups (name, time); week numbers are ISO 2024. */
    static const struct {
        const char *name;
        int y, mo, d, hh, mi, ss;
        int keep; /* daily 1, weekly 3, by hand */
    } b[] = {
        {"nhanluc-20240306T090000Z", 2024, 3, 6, 9, 0, 0, 0},    /* Wed w10 */
        {"nhanluc-20240306T090000Z-2", 2024, 3, 6, 9, 0, 0, 1},  /* same second, newer */
        {"nhanluc-20240304T000000Z", 2024, 3, 4, 0, 0, 0, 0},    /* Mon w10 */
        {"nhanluc-20240303T235959Z", 2024, 3, 3, 23, 59, 59, 1}, /* Sun w9: newest of w9 */
        {"nhanluc-20240227T100000Z", 2024, 2, 27, 10, 0, 0, 0},  /* Tue w9 */
        {"nhanluc-20240220T100000Z", 2024, 2, 20, 10, 0, 0, 0},  /* Tue w8 */
        {"nhanluc-20240225T100000Z", 2024, 2, 25, 10, 0, 0, 1},  /* Sun w8: newest of w8 */
        {"nhanluc-20240214T100000Z", 2024, 2, 14, 10, 0, 0, 0},  /* Wed w7: the fourth week */
    };
    static const char *const others[] = {
        "notes.txt",
        "nhanluc-x.db",
        "nhanluc-20240230T000000Z.db",     /* no such day */
        "nhanluc-20240101T000000Z.db.old", /* not a .db */
        "nhanluc-20240101T000000Z-0.db",   /* no backup is number 0 */
        "nhanluc-20240101T250000Z.db",     /* no such hour */
    };
    const size_t nb = sizeof(b) / sizeof(b[0]);
    char dir[PATHLEN], p[PATHLEN], file[128], err[256];
    time_t t[8];
    int keep[8], want_deleted = 0;

    (void)state;
    join(dir, g->dir, "p");
    assert_int_equal(mkdir(dir, 0700), 0);
    for (size_t i = 0; i < nb; i++) {
        fake_backup(dir, b[i].name, 1);
        t[i] = at(b[i].y, b[i].mo, b[i].d, b[i].hh, b[i].mi, b[i].ss);
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        join(p, dir, others[i]);
        spit_str(p, "keep me");
    }
    /* The hand-made column agrees with nl_backup_keep on these times (entry 1 is newer than 0). */
    nl_backup_keep(t, nb, 1, 3, keep);
    for (size_t i = 0; i < nb; i++) {
        assert_int_equal(keep[i], b[i].keep);
        want_deleted += !b[i].keep;
    }
    assert_int_equal(want_deleted, 5);

    assert_int_equal(nl_backup_prune(dir, 1, 3, err, sizeof(err)), want_deleted);
    for (size_t i = 0; i < nb; i++) {
        (void)snprintf(file, sizeof(file), "%s.db", b[i].name);
        join(p, dir, file);
        assert_int_equal(exists(p), b[i].keep);
        (void)snprintf(file, sizeof(file), "%s.manifest", b[i].name);
        join(p, dir, file);
        assert_int_equal(exists(p), b[i].keep);
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        join(p, dir, others[i]);
        expect_content(p, "keep me");
    }
    assert_int_equal(count_entries(dir), (int)(3 * 2 + sizeof(others) / sizeof(others[0])));

    /* Again: nothing more to drop. */
    assert_int_equal(nl_backup_prune(dir, 1, 3, err, sizeof(err)), 0);
    assert_int_equal(count_entries(dir), (int)(3 * 2 + sizeof(others) / sizeof(others[0])));
}

static void test_prune_missing_or_unreadable(void **state)
{
    char p[PATHLEN], err[256];

    (void)state;
    join(p, g->dir, "no-such-dir");
    err[0] = '\0';
    assert_int_equal(nl_backup_prune(p, 1, 1, err, sizeof(err)), 0);
    assert_false(exists(p));
    /* A file where the directory should be cannot be read: -1 and a reason. */
    join(p, g->dir, "a-file");
    spit_str(p, "x");
    assert_int_equal(nl_backup_prune(p, 1, 1, err, sizeof(err)), -1);
    assert_true(err[0] != '\0');
    expect_content(p, "x");
}

/* Newest first; a .db without its manifest is not listed; a missing directory is empty. */
static void test_list(void **state)
{
    struct nl_backup_info k1, k2, *list = (struct nl_backup_info *)1;
    char bk[PATHLEN], db[PATHLEN], c[PATHLEN], p[PATHLEN], err[256];
    size_t n = 99;

    (void)state;
    join(bk, g->dir, "backups");
    assert_int_equal(nl_backup_list(bk, &list, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(list);

    take(bk, "scheduled", &k1);
    take(bk, "requested", &k2);
    join(db, bk, k1.name);
    copy_backup(db, bk, "nhanluc-20240101T000000Z", c); /* an old backup, manifest beside */
    join(p, bk, "nhanluc-20250101T000000Z.db");         /* newer, but without a manifest */
    copy_file(db, p);
    join(p, bk, "notes.txt");
    spit_str(p, "x");

    assert_int_equal(nl_backup_list(bk, &list, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].name, k2.name);
    assert_string_equal(list[1].name, k1.name);
    assert_string_equal(list[2].name, "nhanluc-20240101T000000Z.db");
    assert_string_equal(list[0].reason, "requested");
    assert_string_equal(list[1].reason, "scheduled");
    assert_string_equal(list[0].sha256, k2.sha256);
    assert_int_equal(list[1].size, k1.size);
    assert_int_equal(list[1].audit_seq, N_AUDIT);
    free(list);
}

/* ---------------------------------------------------------- restore and lock */

/* A current database: t/nl.db with a -wal and a -shm of known contents. */
static void make_current(char *dir, char *db)
{
    char p[PATHLEN];

    join(dir, g->dir, "t");
    assert_int_equal(mkdir(dir, 0700), 0);
    join(db, dir, "nl.db");
    spit_str(db, "old database");
    assert_true(snprintf(p, sizeof(p), "%s-wal", db) < (int)sizeof(p));
    spit_str(p, "old wal");
    assert_true(snprintf(p, sizeof(p), "%s-shm", db) < (int)sizeof(p));
    spit_str(p, "old shm");
}

/* The current database, its -wal and -shm as make_current left them, nothing moved aside. */
static void expect_current_untouched(const char *dir, const char *db)
{
    char p[PATHLEN];

    expect_content(db, "old database");
    assert_true(snprintf(p, sizeof(p), "%s-wal", db) < (int)sizeof(p));
    expect_content(p, "old wal");
    assert_true(snprintf(p, sizeof(p), "%s-shm", db) < (int)sizeof(p));
    expect_content(p, "old shm");
    assert_int_equal(count_prefixed(dir, "nl.db.replaced-"), 0);
    assert_int_equal(count_prefixed(dir, "nl.db.restore"), 0);
}

static void test_restore(void **state)
{
    struct nl_backup_info k, info;
    char bk[PATHLEN], kdb[PATHLEN], dir[PATHLEN], db[PATHLEN], p[PATHLEN], aside[PATHLEN];
    char err[512], prefix[PATHLEN + 16], hex[65];
    struct nl_store *st = NULL;
    unsigned char h[NL_AUDIT_HASH_BYTES];
    int64_t seq = 0;
    time_t before, after, t;

    (void)state;
    join(bk, g->dir, "backups");
    take(bk, "requested", &k);
    join(kdb, bk, k.name);
    make_current(dir, db);

    before = time(NULL);
    memset(&info, 0, sizeof(info));
    if (nl_backup_restore(kdb, db, &info, aside, sizeof(aside), err, sizeof(err)) != 0)
        fail_msg("restore: %s", err);
    after = time(NULL);

    /* The backup's bytes in place, 0600; its manifest in info. */
    expect_same_bytes(db, kdb);
    assert_int_equal(mode_of(db), 0600);
    assert_string_equal(info.sha256, k.sha256);
    assert_int_equal(info.audit_seq, N_AUDIT);

    /* The old database and its -wal kept as <db>.replaced-<stamp>[-wal]; the -shm gone. */
    assert_true(snprintf(prefix, sizeof(prefix), "%s.replaced-", db) < (int)sizeof(prefix));
    assert_int_equal(strncmp(aside, prefix, strlen(prefix)), 0);
    assert_int_equal(strlen(aside), strlen(prefix) + 16);
    t = stamp_time(aside + strlen(prefix));
    assert_true(t >= before && t <= after);
    expect_content(aside, "old database");
    assert_true(snprintf(p, sizeof(p), "%s-wal", aside) < (int)sizeof(p));
    expect_content(p, "old wal");
    assert_true(snprintf(p, sizeof(p), "%s-wal", db) < (int)sizeof(p));
    assert_false(exists(p));
    assert_true(snprintf(p, sizeof(p), "%s-shm", db) < (int)sizeof(p));
    assert_false(exists(p));
    assert_int_equal(count_prefixed(dir, "nl.db.restore"), 0);
    /* nl.db, its lock file, the old database and its -wal. */
    assert_int_equal(count_entries(dir), 4);

    /* The restored database opens as a store and has the source's audit head. */
    if (nl_store_open(db, NL_STORE_READWRITE, &st, err, sizeof(err)) != NL_OK)
        fail_msg("open restored: %s", err);
    assert_int_equal(nl_store_audit_head(st, &seq, h), NL_OK);
    nl_store_close(st);
    nl_audit_hex(h, hex);
    assert_int_equal(seq, N_AUDIT);
    assert_string_equal(hex, k.audit_hash);

    /* Where there was no database: nothing is moved aside. */
    join(p, g->dir, "t2");
    assert_int_equal(mkdir(p, 0700), 0);
    join(db, p, "nl.db");
    if (nl_backup_restore(kdb, db, &info, aside, sizeof(aside), err, sizeof(err)) != 0)
        fail_msg("restore: %s", err);
    assert_string_equal(aside, "");
    expect_same_bytes(db, kdb);
}

/*
 * No database file but a -wal left beside it (an operator removed a damaged
 * nl.db and not its -wal): the restored database must be the backup's, not
 * the backup with the frames of that other database's log replayed on top.
 */
static void test_restore_leftover_wal(void **state)
{
    struct nl_backup_info k, info;
    struct nl_unit_rec u = {"other-db", "Another database", 1, "", "", ""};
    char bk[PATHLEN], kdb[PATHLEN], dir[PATHLEN], db[PATHLEN], wal[PATHLEN], aside[PATHLEN];
    char err[512], msg[256];
    struct nl_store *st = NULL;
    unsigned char *w;
    size_t wn;
    int created;

    (void)state;
    join(bk, g->dir, "backups");
    take(bk, "requested", &k);
    join(kdb, bk, k.name);

    /* Another database with committed frames in its -wal; keep the -wal, lose the database. */
    join(dir, g->dir, "t");
    assert_int_equal(mkdir(dir, 0700), 0);
    join(db, dir, "nl.db");
    assert_true(snprintf(wal, sizeof(wal), "%s-wal", db) < (int)sizeof(wal));
    if (nl_store_open(db, NL_STORE_READWRITE, &st, err, sizeof(err)) != NL_OK)
        fail_msg("open: %s", err);
    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(nl_store_unit_create(st, &u, &created, msg, sizeof(msg)), NL_OK);
    assert_int_equal(nl_store_commit(st), NL_OK);
    w = slurp(wal, &wn);
    assert_true(wn > 32); /* a header and frames */
    nl_store_close(st);
    assert_int_equal(unlink(db), 0);
    spit(wal, w, wn);
    free(w);

    if (nl_backup_restore(kdb, db, &info, aside, sizeof(aside), err, sizeof(err)) != 0)
        fail_msg("restore: %s", err);
    expect_same_bytes(db, kdb);
    /* Read as SQLite will read it: the same rows as the backup, none of the other database's. */
    assert_true(compare_dbs(kdb, db) >= N_AUDIT + 3);
    assert_true(compare_dbs(db, kdb) >= N_AUDIT + 3);
}

/* While the database's lock is held, restore fails with "in use" and changes nothing. */
static void test_restore_locked(void **state)
{
    struct nl_backup_info k, info;
    char bk[PATHLEN], kdb[PATHLEN], dir[PATHLEN], db[PATHLEN], aside[PATHLEN] = "x", err[512];
    int fd;

    (void)state;
    join(bk, g->dir, "backups");
    take(bk, "requested", &k);
    join(kdb, bk, k.name);
    make_current(dir, db);

    fd = nl_backup_lock_db(db, err, sizeof(err));
    if (fd < 0)
        fail_msg("lock: %s", err);
    err[0] = '\0';
    assert_int_equal(nl_backup_restore(kdb, db, &info, aside, sizeof(aside), err, sizeof(err)), -1);
    expect_err(err, "in use");
    expect_current_untouched(dir, db);
    nl_backup_unlock_db(fd);

    /* The lock was the only obstacle. */
    if (nl_backup_restore(kdb, db, &info, aside, sizeof(aside), err, sizeof(err)) != 0)
        fail_msg("restore: %s", err);
    expect_same_bytes(db, kdb);
}

/* A damaged backup is refused before anything moves: the current database stays byte-identical. */
static void test_restore_damaged(void **state)
{
    struct nl_backup_info k, info;
    char bk[PATHLEN], kdb[PATHLEN], dir[PATHLEN], db[PATHLEN], aside[PATHLEN], err[512];
    size_t n;
    unsigned char *p;

    (void)state;
    join(bk, g->dir, "backups");
    take(bk, "requested", &k);
    join(kdb, bk, k.name);
    make_current(dir, db);
    p = slurp(kdb, &n);
    p[n - 1] ^= 0x80;
    spit(kdb, p, n);
    free(p);

    err[0] = '\0';
    assert_int_equal(nl_backup_restore(kdb, db, &info, aside, sizeof(aside), err, sizeof(err)), -1);
    expect_err(err, "SHA-256");
    expect_current_untouched(dir, db);
}

static void test_lock_twice(void **state)
{
    char db[PATHLEN], lock[PATHLEN], err[512];
    int fd1, fd2, fd3;

    (void)state;
    join(db, g->dir, "l.db");
    fd1 = nl_backup_lock_db(db, err, sizeof(err));
    if (fd1 < 0)
        fail_msg("lock: %s", err);
    assert_true(snprintf(lock, sizeof(lock), "%s.lock", db) < (int)sizeof(lock));
    assert_int_equal(mode_of(lock), 0600);
    err[0] = '\0';
    fd2 = nl_backup_lock_db(db, err, sizeof(err));
    assert_int_equal(fd2, -1);
    expect_err(err, "in use");
    nl_backup_unlock_db(fd1);
    fd3 = nl_backup_lock_db(db, err, sizeof(err));
    if (fd3 < 0)
        fail_msg("lock after unlock: %s", err);
    nl_backup_unlock_db(fd3);
    nl_backup_unlock_db(-1);   /* a no-op */
    assert_true(exists(lock)); /* the lock file stays */
}

static void test_dir_for(void **state)
{
    char out[64], small[12], big[2000];

    (void)state;
    assert_int_equal(nl_backup_dir_for("", "var/nl.db", out, sizeof(out)), 0);
    assert_string_equal(out, "var/backups");
    assert_int_equal(nl_backup_dir_for("", "/srv/nhanluc/var/nl.db", out, sizeof(out)), 0);
    assert_string_equal(out, "/srv/nhanluc/var/backups");
    assert_int_equal(nl_backup_dir_for("", "nl.db", out, sizeof(out)), 0);
    assert_string_equal(out, "backups");
    assert_int_equal(nl_backup_dir_for("", "/nl.db", out, sizeof(out)), 0);
    assert_string_equal(out, "/backups");
    assert_int_equal(nl_backup_dir_for("/x", "var/nl.db", out, sizeof(out)), 0);
    assert_string_equal(out, "/x");
    assert_int_equal(nl_backup_dir_for("/x", "nl.db", out, sizeof(out)), 0);
    assert_string_equal(out, "/x");
    /* "var/backups" is 11 bytes: it fits in 12, not in 11. */
    assert_int_equal(nl_backup_dir_for("", "var/nl.db", small, sizeof(small)), 0);
    assert_string_equal(small, "var/backups");
    assert_int_equal(nl_backup_dir_for("", "var/nl.db", small, sizeof(small) - 1), -1);
    assert_int_equal(nl_backup_dir_for("/a/long/backup/dir", "nl.db", small, sizeof(small)), -1);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(nl_backup_dir_for(big, "nl.db", out, sizeof(out)), -1);
    big[sizeof(big) - 7] = '/';
    assert_int_equal(nl_backup_dir_for("", big, out, sizeof(out)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_daily),
        cmocka_unit_test(test_keep_weekly),
        cmocka_unit_test(test_keep_week_boundaries),
        cmocka_unit_test(test_keep_ties),
        cmocka_unit_test(test_keep_small_policies),
        cmocka_unit_test(test_keep_default_policy),
        cmocka_unit_test_setup_teardown(test_take_files_and_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_stale_and_same_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_cancelled_small_store, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_take_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_missing_or_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_leftover_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_locked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_twice, setup, teardown),
        cmocka_unit_test(test_dir_for),
    };

    umask(022); /* the modes checked here must come from the code, not from a lucky umask */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
