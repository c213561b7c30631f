/*
 * backup.c - taking, checking, listing, pruning and restoring backups
 * (backup.h; RELIABILITY.md section 6).
 *
 * Why VACUUM INTO and not the online backup API: under continuous writes the
 * backup API restarts on every foreign change and may never finish, while
 * VACUUM INTO copies one read transaction's snapshot. SQLite neither fsyncs
 * its output nor removes a partial one, so this file does both, and checks
 * the copy before it gets a backup's name.
 *
 * File names carry their creation time, so retention needs no manifest:
 * "nhanluc-YYYYMMDDTHHMMSSZ.db", with "-N" before ".db" for a second backup
 * in the same second. Manifests are JSON (jansson), written whole to a
 * temporary file and renamed, so a reader never sees half of one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <uv.h>

#include "../common/date.h"
#include "backup.h"
#include "job.h"
#include "store_int.h"

#define BK_PREFIX   "nhanluc-"
#define BK_TMP      ".nhanluc-"
#define BK_FORMAT   "nhanluc-backup 1"
#define BK_STAMP    16 /* "20261127T213000Z" */
#define BK_BUSY_MS  10000
#define BK_MAX_LIST 10000 /* backups one directory may list or prune */

static struct nl_backup_conf conf_copy;
static int conf_set;

static uv_mutex_t take_mu;
static uv_once_t take_once = UV_ONCE_INIT;

static void take_mu_init(void)
{
    if (uv_mutex_init(&take_mu) != 0)
        abort();
}

static int errorf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int errorf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
    int rv;

    if (fd < 0)
        return -1;
    rv = fsync(fd);
    if (close(fd) != 0)
        rv = -1;
    return rv;
}

/* "nhanluc-20261127T213000Z.db" or "...Z-3.db" / ".manifest": 0 and the time and number, else -1.
 */
static int parse_name(const char *name, const char *ext, time_t *t, unsigned *num)
{
    size_t plen = strlen(BK_PREFIX), n = strlen(name), elen = strlen(ext);
    const char *s = name + plen, *end;

    if (n < plen + BK_STAMP + elen || strncmp(name, BK_PREFIX, plen) != 0 ||
        strcmp(name + n - elen, ext) != 0)
        return -1;
    for (int i = 0; i < BK_STAMP; i++) {
        int want_digit = i != 8 && i != 15;
        if (want_digit ? (s[i] < '0' || s[i] > '9') : s[i] != (i == 8 ? 'T' : 'Z'))
            return -1;
    }
    end = s + BK_STAMP;
    *num = 1;
    if (end != name + n - elen) {
        char *e;
        if (*end != '-' || end[1] < '1' || end[1] > '9')
            return -1;
        errno = 0;
        unsigned long v = strtoul(end + 1, &e, 10);
        if (errno != 0 || e != name + n - elen || v > 1000)
            return -1;
        *num = (unsigned)v;
    }
    char date[11];
    int32_t days;
    int hh = (s[9] - '0') * 10 + (s[10] - '0'), mi = (s[11] - '0') * 10 + (s[12] - '0');
    int ss = (s[13] - '0') * 10 + (s[14] - '0');
    snprintf(date, sizeof(date), "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    if (nl_date_parse(date, 10, &days) != 0 || hh > 23 || mi > 59 || ss > 60)
        return -1;
    *t = (time_t)days * 86400 + hh * 3600 + mi * 60 + ss;
    return 0;
}

int nl_backup_dir_for(const char *setting, const char *db_path, char *out, size_t outlen)
{
    const char *slash = strrchr(db_path, '/');
    int n;

    if (setting != NULL && setting[0] != '\0')
        n = snprintf(out, outlen, "%s", setting);
    else if (slash == NULL)
        n = snprintf(out, outlen, "backups");
    else
        n = snprintf(out, outlen, "%.*s/backups", (int)(slash - db_path), db_path);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Removes the temporary files an interrupted run left in dir. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[NL_BACKUP_PATH_MAX];

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, BK_TMP, strlen(BK_TMP)) != 0 || n < 4 ||
            strcmp(e->d_name + n - 4, ".tmp") != 0)
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
            (void)unlink(path);
    }
    closedir(d);
}

struct progress {
    const atomic_int *cancel;
    uint64_t deadline_ms;
};

static int on_progress(void *p)
{
    const struct progress *pr = p;

    if (pr->cancel != NULL && atomic_load(pr->cancel))
        return 1;
    return pr->deadline_ms != 0 && nl_now_ms() >= pr->deadline_ms;
}

/* VACUUM INTO `to` on a connection of our own. */
static int copy_db(const char *db_path, const char *to, struct progress *pr, char *err,
                   size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc;

    /* Read-write without CREATE: a read-only open of a WAL database fails when no -shm exists. */
    rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, nl_store_faultvfs_name());
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, BK_BUSY_MS);
        sqlite3_progress_handler(db, 1000, on_progress, pr);
        rc = sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &s, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 1, to, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        errorf(err, errlen, "copying the database failed: %s",
               rc == SQLITE_INTERRUPT ? "cancelled or past its deadline"
                                      : (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Opens a copy read-only: integrity_check must say "ok" alone; reads the
 * audit head and the schema version into *info.
 */
static int check_copy(const char *path, struct nl_backup_info *info, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int rc, rows = 0, ok = 0;
    char first[200] = "";

    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        if (rows++ == 0) {
            snprintf(first, sizeof(first), "%s", t ? t : "");
            ok = t != NULL && strcmp(t, "ok") == 0;
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (rc != SQLITE_DONE) {
        errorf(err, errlen, "the copy cannot be checked: %s",
               db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto fail;
    }
    if (!ok || rows != 1) {
        errorf(err, errlen, "the copy fails integrity_check: %s", first);
        goto fail;
    }
    info->schema_version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        info->schema_version = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    info->audit_seq = 0;
    memset(info->audit_hash, '0', 64);
    info->audit_hash[64] = '\0';
    rc = sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1, &s,
                            NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_blob(s, 1);
        info->audit_seq = sqlite3_column_int64(s, 0);
        if (h != NULL && sqlite3_column_bytes(s, 1) == 32) {
            for (int i = 0; i < 32; i++)
                snprintf(info->audit_hash + 2 * i, 3, "%02x", h[i]);
        }
    } else if (rc != SQLITE_DONE && info->schema_version >= 10) {
        errorf(err, errlen, "the copy's audit head cannot be read: %s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return 0;
fail:
    sqlite3_finalize(s);
    sqlite3_close(db);
    return -1;
}

/* SHA-256 (hex) and size of a file. */
static int hash_file(const char *path, char hex[65], int64_t *size, char *err, size_t errlen)
{
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int fd = open(path, O_RDONLY | O_CLOEXEC), rv = -1;
    int64_t total = 0;
    ssize_t n;

    if (fd < 0 || ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        errorf(err, errlen, "cannot read %s: %s", path, fd < 0 ? strerror(errno) : "no SHA-256");
        goto out;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
            break;
        total += n;
    }
    if (n != 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
        errorf(err, errlen, "cannot read %s: %s", path, n < 0 ? strerror(errno) : "hash failed");
        goto out;
    }
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    *size = total;
    rv = 0;
out:
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(ctx);
    return rv;
}

/* Writes the manifest of `info` as `path`: temporary file 0600, fsync, rename, fsync dir. */
static int write_manifest(const char *dir, const char *path, const struct nl_backup_info *info,
                          char *err, size_t errlen)
{
    char tmp[NL_BACKUP_PATH_MAX];
    json_t *j;
    int fd, rv = -1;

    if (snprintf(tmp, sizeof(tmp), "%s/" BK_TMP "manifest.tmp", dir) >= (int)sizeof(tmp))
        return errorf(err, errlen, "backup directory path too long");
    j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:{s:I, s:s}, s:i, s:s, s:f}", "format",
                  BK_FORMAT, "file", info->name, "created_at", info->created_at, "reason",
                  info->reason, "size", (json_int_t)info->size, "sha256", info->sha256, "audit",
                  "seq", (json_int_t)info->audit_seq, "hash", info->audit_hash, "schema_version",
                  info->schema_version, "integrity_check", "ok", "seconds", info->seconds);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (j == NULL || fd < 0) {
        errorf(err, errlen, "cannot write the manifest: %s", fd < 0 ? strerror(errno) : "JSON");
        goto out;
    }
    if (json_dumpfd(j, fd, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6)) != 0 ||
        write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        errorf(err, errlen, "cannot write the manifest: %s", strerror(errno));
        goto out;
    }
    if (close(fd) != 0 || (fd = -1, rename(tmp, path) != 0) || fsync_path(dir, 1) != 0) {
        errorf(err, errlen, "cannot write the manifest: %s", strerror(errno));
        goto out;
    }
    rv = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rv != 0)
        (void)unlink(tmp);
    json_decref(j);
    return rv;
}

/*
 * Picks the name for now: nhanluc-<stamp>.db, or nhanluc-<stamp>-N.db with N
 * above every backup of the same second, so that a newer backup always
 * sorts as newer (retention keeps the newest). Fills info->name and
 * created_at.
 */
static int pick_name(const char *dir, struct nl_backup_info *info, char *err, size_t errlen)
{
    time_t now = time(NULL), t;
    struct tm tm;
    char stamp[BK_STAMP + 1];
    unsigned top = 0, num;
    DIR *d;
    struct dirent *e;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    strftime(info->created_at, sizeof(info->created_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    d = opendir(dir);
    if (d == NULL)
        return errorf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (parse_name(e->d_name, ".db", &t, &num) == 0 &&
            strncmp(e->d_name + strlen(BK_PREFIX), stamp, BK_STAMP) == 0 && num > top)
            top = num;
    }
    closedir(d);
    if (top >= 1000)
        return errorf(err, errlen, "too many backups in one second in %s", dir);
    if (top == 0)
        snprintf(info->name, sizeof(info->name), BK_PREFIX "%s.db", stamp);
    else
        snprintf(info->name, sizeof(info->name), BK_PREFIX "%s-%u.db", stamp, top + 1);
    return 0;
}

/* "x/nhanluc-...db" -> "x/nhanluc-....manifest". */
static int manifest_path(const char *db_file, char *out, size_t outlen)
{
    size_t n = strlen(db_file);

    if (n < 3 || strcmp(db_file + n - 3, ".db") != 0)
        return -1;
    return snprintf(out, outlen, "%.*s.manifest", (int)(n - 3), db_file) < (int)outlen ? 0 : -1;
}

#ifdef NL_TEST_HOOKS
/*
 * Test builds only: NL_TEST_BACKUP_DELAY_MS holds a backup that long after
 * its copy is written and before it is checked and named, so a test can
 * kill the server in the middle (RELIABILITY.md F2, the "backup" point).
 */
static void backup_test_delay(struct progress *pr)
{
    const char *v = getenv("NL_TEST_BACKUP_DELAY_MS");
    long ms = v != NULL ? strtol(v, NULL, 10) : 0;
    uint64_t end = nl_now_ms() + (uint64_t)(ms > 0 ? ms : 0);

    while (nl_now_ms() < end && !on_progress(pr))
        uv_sleep(5);
}
#endif

static int take_locked(const char *db_path, const char *dir, const char *reason,
                       struct progress *pr, struct nl_backup_info *out, char *err, size_t errlen)
{
    char tmp[NL_BACKUP_PATH_MAX], final[NL_BACKUP_PATH_MAX], man[NL_BACKUP_PATH_MAX];
    struct nl_backup_info info;
    uint64_t t0 = nl_now_ms();
    int fd;

    memset(&info, 0, sizeof(info));
    snprintf(info.reason, sizeof(info.reason), "%s", reason);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return errorf(err, errlen, "cannot create the backup directory %s: %s", dir,
                      strerror(errno));
    remove_stale_tmp(dir);
    if (pick_name(dir, &info, err, errlen) != 0)
        return -1;
    if (snprintf(tmp, sizeof(tmp), "%s/" BK_TMP "%s.tmp", dir, info.name + strlen(BK_PREFIX)) >=
            (int)sizeof(tmp) ||
        snprintf(final, sizeof(final), "%s/%s", dir, info.name) >= (int)sizeof(final) ||
        manifest_path(final, man, sizeof(man)) != 0)
        return errorf(err, errlen, "backup directory path too long");

    /* VACUUM INTO keeps the mode of an existing empty file: the copy is 0600 from its birth. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errorf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
    close(fd);
    /* The progress handler fires every 1000 steps: a small database would never see it. */
    if (on_progress(pr)) {
        errorf(err, errlen, "copying the database failed: cancelled or past its deadline");
        goto fail;
    }
    if (copy_db(db_path, tmp, pr, err, errlen) != 0)
        goto fail;
    if (fsync_path(tmp, 0) != 0 || fsync_path(dir, 1) != 0) {
        errorf(err, errlen, "cannot sync the copy: %s", strerror(errno));
        goto fail;
    }
#ifdef NL_TEST_HOOKS
    backup_test_delay(pr);
#endif
    if (check_copy(tmp, &info, err, errlen) != 0 ||
        hash_file(tmp, info.sha256, &info.size, err, errlen) != 0)
        goto fail;
    if (rename(tmp, final) != 0 || fsync_path(dir, 1) != 0) {
        errorf(err, errlen, "cannot rename the copy into place: %s", strerror(errno));
        (void)unlink(final);
        goto fail;
    }
    info.seconds = (double)(nl_now_ms() - t0) / 1000.0;
    if (write_manifest(dir, man, &info, err, errlen) != 0) {
        (void)unlink(final);
        return -1;
    }
    *out = info;
    return 0;
fail:
    (void)unlink(tmp);
    return -1;
}

int nl_backup_take(const char *db_path, const char *dir, const char *reason,
                   const atomic_int *cancel, uint64_t deadline_ms, struct nl_backup_info *out,
                   char *err, size_t errlen)
{
    struct progress pr = {cancel, deadline_ms};
    int rv;

    uv_once(&take_once, take_mu_init);
    uv_mutex_lock(&take_mu);
    rv = take_locked(db_path, dir, reason, &pr, out, err, errlen);
    uv_mutex_unlock(&take_mu);
    return rv;
}

struct by_time {
    time_t t;
    size_t i;
};

/* Newest first; among equal times the later array entry counts as newer. */
static int by_time_desc(const void *a_, const void *b_)
{
    const struct by_time *a = a_, *b = b_;

    if (a->t != b->t)
        return a->t > b->t ? -1 : 1;
    return a->i > b->i ? -1 : (a->i < b->i);
}

void nl_backup_keep(const time_t *created, size_t n, unsigned daily, unsigned weekly, int *keep)
{
    struct by_time *v;
    long long last_day = 0, last_week = 0;
    unsigned days = 0, weeks = 0;

    if (n == 0)
        return;
    v = malloc(n * sizeof(*v));
    if (v == NULL) {
        for (size_t i = 0; i < n; i++)
            keep[i] = 1; /* without memory, delete nothing */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].t = created[i];
        v[i].i = i;
        keep[i] = 0;
    }
    qsort(v, n, sizeof(*v), by_time_desc);
    for (size_t k = 0; k < n; k++) {
        long long t = (long long)v[k].t;
        long long day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
        /* 1970-01-01 was a Thursday: +3 makes weeks start on Monday. */
        long long week = day + 3 >= 0 ? (day + 3) / 7 : (day + 3 - 6) / 7;
        if (k == 0 || day != last_day) {
            if (++days <= daily)
                keep[v[k].i] = 1;
            last_day = day;
        }
        if (k == 0 || week != last_week) {
            if (++weeks <= weekly)
                keep[v[k].i] = 1;
            last_week = week;
        }
    }
    keep[v[0].i] = 1;
    free(v);
}

struct entry {
    char name[64];
    time_t t;
    unsigned num;
};

static int entry_cmp(const void *a_, const void *b_)
{
    const struct entry *a = a_, *b = b_;

    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->num < b->num ? -1 : (a->num > b->num);
}

/* The backups (.db files with a backup's name) of dir, oldest first. A missing dir is empty. */
static int scan(const char *dir, struct entry **out, size_t *n, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct entry *v = NULL;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (d == NULL)
        return errno == ENOENT ? 0
                               : errorf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL && *n < BK_MAX_LIST) {
        time_t t;
        unsigned num;
        if (strlen(e->d_name) >= sizeof(v->name) || parse_name(e->d_name, ".db", &t, &num) != 0)
            continue;
        if (*n == cap) {
            size_t nc = cap ? 2 * cap : 32;
            struct entry *nv = realloc(v, nc * sizeof(*v));
            if (nv == NULL) {
                closedir(d);
                free(v);
                return errorf(err, errlen, "out of memory");
            }
            v = nv;
            cap = nc;
        }
        memcpy(v[*n].name, e->d_name, strlen(e->d_name) + 1); /* fits: checked above */
        v[*n].t = t;
        v[*n].num = num;
        (*n)++;
    }
    closedir(d);
    if (*n > 1)
        qsort(v, *n, sizeof(*v), entry_cmp);
    *out = v;
    return 0;
}

int nl_backup_prune(const char *dir, unsigned daily, unsigned weekly, char *err, size_t errlen)
{
    struct entry *v;
    size_t n;
    time_t *t;
    int *keep, deleted = 0;
    char path[NL_BACKUP_PATH_MAX], man[NL_BACKUP_PATH_MAX];

    if (scan(dir, &v, &n, err, errlen) != 0)
        return -1;
    if (n == 0)
        return 0;
    t = malloc(n * sizeof(*t));
    keep = malloc(n * sizeof(*keep));
    if (t == NULL || keep == NULL) {
        free(t);
        free(keep);
        free(v);
        return errorf(err, errlen, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        t[i] = v[i].t;
    nl_backup_keep(t, n, daily, weekly, keep);
    for (size_t i = 0; i < n; i++) {
        if (keep[i] || snprintf(path, sizeof(path), "%s/%s", dir, v[i].name) >= (int)sizeof(path))
            continue;
        if (unlink(path) == 0)
            deleted++;
        if (manifest_path(path, man, sizeof(man)) == 0)
            (void)unlink(man);
    }
    free(t);
    free(keep);
    free(v);
    return deleted;
}

static void copy_str(char *dst, size_t n, json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    snprintf(dst, n, "%s", s ? s : "");
}

/* Reads manifest `path` into *info. */
static int read_manifest(const char *path, struct nl_backup_info *info, char *err, size_t errlen)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je), *audit;

    memset(info, 0, sizeof(*info));
    if (j == NULL)
        return errorf(err, errlen, "manifest %s: %s", path, je.text);
    audit = json_object_get(j, "audit");
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "format")) ||
        strcmp(json_string_value(json_object_get(j, "format")), BK_FORMAT) != 0 ||
        !json_is_integer(json_object_get(j, "size")) ||
        !json_is_string(json_object_get(j, "sha256")) || !json_is_object(audit)) {
        json_decref(j);
        return errorf(err, errlen, "manifest %s: not a nhanluc backup manifest", path);
    }
    copy_str(info->name, sizeof(info->name), j, "file");
    copy_str(info->created_at, sizeof(info->created_at), j, "created_at");
    copy_str(info->reason, sizeof(info->reason), j, "reason");
    copy_str(info->sha256, sizeof(info->sha256), j, "sha256");
    copy_str(info->audit_hash, sizeof(info->audit_hash), audit, "hash");
    info->size = (int64_t)json_integer_value(json_object_get(j, "size"));
    info->audit_seq = (int64_t)json_integer_value(json_object_get(audit, "seq"));
    info->schema_version = (int)json_integer_value(json_object_get(j, "schema_version"));
    info->seconds = json_number_value(json_object_get(j, "seconds"));
    json_decref(j);
    return 0;
}

int nl_backup_list(const char *dir, struct nl_backup_info **out, size_t *n, char *err,
                   size_t errlen)
{
    struct entry *v;
    size_t nv, k = 0;
    struct nl_backup_info *res;
    char path[NL_BACKUP_PATH_MAX], man[NL_BACKUP_PATH_MAX], why[256];

    *out = NULL;
    *n = 0;
    if (scan(dir, &v, &nv, err, errlen) != 0)
        return -1;
    if (nv == 0)
        return 0;
    res = calloc(nv, sizeof(*res));
    if (res == NULL) {
        free(v);
        return errorf(err, errlen, "out of memory");
    }
    for (size_t i = nv; i-- > 0;) {
        if (snprintf(path, sizeof(path), "%s/%s", dir, v[i].name) >= (int)sizeof(path) ||
            manifest_path(path, man, sizeof(man)) != 0 ||
            read_manifest(man, &res[k], why, sizeof(why)) != 0)
            continue; /* a copy without a readable manifest is not a usable backup */
        snprintf(res[k].name, sizeof(res[k].name), "%s", v[i].name);
        k++;
    }
    free(v);
    if (k == 0) {
        free(res);
        return 0;
    }
    *out = res;
    *n = k;
    return 0;
}

int nl_backup_verify(const char *path, struct nl_backup_info *out, char *err, size_t errlen)
{
    char man[NL_BACKUP_PATH_MAX], sha[65];
    struct nl_backup_info got;
    int64_t size = 0;

    struct stat sb;

    if (stat(path, &sb) != 0)
        return errorf(err, errlen, "%s: %s", path, strerror(errno));
    if (manifest_path(path, man, sizeof(man)) != 0)
        return errorf(err, errlen, "%s: a backup's name ends in .db", path);
    if (read_manifest(man, out, err, errlen) != 0)
        return -1;
    if (hash_file(path, sha, &size, err, errlen) != 0)
        return -1;
    if (size != out->size)
        return errorf(err, errlen, "%s: size %lld differs from the manifest's %lld", path,
                      (long long)size, (long long)out->size);
    if (strcmp(sha, out->sha256) != 0)
        return errorf(err, errlen, "%s: SHA-256 differs from the manifest's", path);
    memset(&got, 0, sizeof(got));
    if (check_copy(path, &got, err, errlen) != 0)
        return -1;
    if (got.audit_seq != out->audit_seq || strcmp(got.audit_hash, out->audit_hash) != 0)
        return errorf(err, errlen, "%s: audit head differs from the manifest's", path);
    return 0;
}

int nl_backup_lock_db(const char *db_path, char *err, size_t errlen)
{
    char path[NL_BACKUP_PATH_MAX];
    int fd;

    if (snprintf(path, sizeof(path), "%s.lock", db_path) >= (int)sizeof(path))
        return errorf(err, errlen, "database path too long");
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return errorf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return errorf(err, errlen, "%s is in use by another nhanlucd (lock %s)", db_path, path);
        return errorf(err, errlen, "cannot lock %s: %s", path, strerror(e));
    }
    return fd;
}

void nl_backup_unlock_db(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* Copies src to a new file dst (0600) and fsyncs it. */
static int copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
    char buf[65536];
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rv = -1;
    ssize_t n;

    if (in < 0)
        return errorf(err, errlen, "cannot read %s: %s", src, strerror(errno));
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        errorf(err, errlen, "cannot create %s: %s", dst, strerror(errno));
        goto done;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                errorf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
                goto done;
            }
            off += w;
        }
    }
    if (n < 0) {
        errorf(err, errlen, "cannot read %s: %s", src, strerror(errno));
        goto done;
    }
    if (fsync(out) != 0) {
        errorf(err, errlen, "cannot sync %s: %s", dst, strerror(errno));
        goto done;
    }
    rv = 0;
done:
    close(in);
    if (out >= 0 && close(out) != 0 && rv == 0)
        rv = errorf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
    if (rv != 0 && out >= 0)
        (void)unlink(dst);
    return rv;
}

static int exists(const char *path)
{
    struct stat sb;

    return lstat(path, &sb) == 0;
}

int nl_backup_restore(const char *backup_path, const char *db_path, struct nl_backup_info *info,
                      char *aside, size_t asidelen, char *err, size_t errlen)
{
    return nl_backup_restore_with(backup_path, db_path, NULL, NULL, info, aside, asidelen, err,
                                  errlen);
}

int nl_backup_restore_with(const char *backup_path, const char *db_path,
                           nl_backup_prepare_fn prepare, void *ud, struct nl_backup_info *info,
                           char *aside, size_t asidelen, char *err, size_t errlen)
{
    char tmp[NL_BACKUP_PATH_MAX], wal[NL_BACKUP_PATH_MAX], shm[NL_BACKUP_PATH_MAX];
    char old[NL_BACKUP_PATH_MAX], oldwal[NL_BACKUP_PATH_MAX], dir[NL_BACKUP_PATH_MAX];
    char tmpwal[NL_BACKUP_PATH_MAX], tmpshm[NL_BACKUP_PATH_MAX];
    char stamp[BK_STAMP + 1];
    const char *slash = strrchr(db_path, '/');
    time_t now = time(NULL);
    struct tm tm;
    int lock, rv = -1;

    aside[0] = '\0';
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (snprintf(tmp, sizeof(tmp), "%s.restore-tmp", db_path) >= (int)sizeof(tmp) ||
        snprintf(tmpwal, sizeof(tmpwal), "%s-wal", tmp) >= (int)sizeof(tmpwal) ||
        snprintf(tmpshm, sizeof(tmpshm), "%s-shm", tmp) >= (int)sizeof(tmpshm) ||
        snprintf(wal, sizeof(wal), "%s-wal", db_path) >= (int)sizeof(wal) ||
        snprintf(shm, sizeof(shm), "%s-shm", db_path) >= (int)sizeof(shm) ||
        snprintf(old, sizeof(old), "%s.replaced-%s", db_path, stamp) >= (int)sizeof(old) ||
        snprintf(oldwal, sizeof(oldwal), "%s-wal", old) >= (int)sizeof(oldwal) ||
        snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - db_path) : 1,
                 slash ? db_path : ".") >= (int)sizeof(dir))
        return errorf(err, errlen, "database path too long");
    if (slash == db_path)
        snprintf(dir, sizeof(dir), "/");
    lock = nl_backup_lock_db(db_path, err, errlen);
    if (lock < 0)
        return -1;
    if (nl_backup_verify(backup_path, info, err, errlen) != 0)
        goto out;
    if (copy_file(backup_path, tmp, err, errlen) != 0)
        goto out;
    if (prepare != NULL && prepare(tmp, info, ud, err, errlen) != 0)
        goto fail;
    if (prepare != NULL) {
        /* Whatever the step wrote must be in the file we move, not in a log beside it. */
        struct stat sb;
        if (stat(tmpwal, &sb) == 0 && sb.st_size > 0) {
            errorf(err, errlen, "%s was left behind by the restore's preparation", tmpwal);
            goto fail;
        }
        (void)unlink(tmpwal);
        (void)unlink(tmpshm);
    }
    if (exists(db_path)) {
        if (exists(old)) {
            errorf(err, errlen, "%s exists already; retry in a second", old);
            goto fail;
        }
        if (rename(db_path, old) != 0) {
            errorf(err, errlen, "cannot move %s aside: %s", db_path, strerror(errno));
            goto fail;
        }
        if (exists(wal) && rename(wal, oldwal) != 0) {
            int e = errno;
            (void)rename(old, db_path);
            errorf(err, errlen, "cannot move %s aside: %s", wal, strerror(e));
            goto fail;
        }
        snprintf(aside, asidelen, "%s", old);
    } else if (exists(wal)) {
        /* A log without its database would be replayed into the restored copy: keep it aside. */
        if (exists(oldwal) || rename(wal, oldwal) != 0) {
            errorf(err, errlen, "cannot move %s aside", wal);
            goto fail;
        }
        snprintf(aside, asidelen, "%s", oldwal);
    }
    (void)unlink(shm);
    if (rename(tmp, db_path) != 0) {
        errorf(err, errlen, "cannot move the copy into place: %s", strerror(errno));
        if (aside[0] != '\0') { /* put the database back as it was */
            (void)rename(oldwal, wal);
            (void)rename(old, db_path);
            aside[0] = '\0';
        }
        goto fail;
    }
    if (fsync_path(dir, 1) != 0) {
        errorf(err, errlen, "restored, but syncing %s failed: %s", dir, strerror(errno));
        goto out;
    }
    rv = 0;
    goto out;
fail:
    (void)unlink(tmp);
    (void)unlink(tmpwal);
    (void)unlink(tmpshm);
out:
    nl_backup_unlock_db(lock);
    return rv;
}

void nl_backup_conf_set(const struct nl_backup_conf *conf)
{
    if (conf != NULL)
        conf_copy = *conf;
    conf_set = conf != NULL;
}

const struct nl_backup_conf *nl_backup_conf_get(void)
{
    return conf_set ? &conf_copy : NULL;
}

int nl_backup_supersede(const char *dir, const struct nl_backup_info *restored, char *moved_to,
                        size_t movedlen, char *err, size_t errlen)
{
    struct entry *v;
    size_t n;
    time_t t0;
    unsigned num0;
    int moved = 0;
    char sub[NL_BACKUP_PATH_MAX], from[NL_BACKUP_PATH_MAX], to[NL_BACKUP_PATH_MAX];
    char stamp[BK_STAMP + 1];
    time_t now = time(NULL);
    struct tm tm;

    moved_to[0] = '\0';
    if (parse_name(restored->name, ".db", &t0, &num0) != 0)
        return errorf(err, errlen, "%s is not a backup's name", restored->name);
    if (scan(dir, &v, &n, err, errlen) != 0)
        return -1;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    if (snprintf(sub, sizeof(sub), "%s/superseded-%s", dir, stamp) >= (int)sizeof(sub)) {
        free(v);
        return errorf(err, errlen, "backup directory path too long");
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i].t < t0 || (v[i].t == t0 && v[i].num <= num0))
            continue; /* the restored backup and older ones stay */
        if (moved == 0 && mkdir(sub, 0700) != 0 && errno != EEXIST) {
            errorf(err, errlen, "cannot create %s: %s", sub, strerror(errno));
            free(v);
            return -1;
        }
        for (int k = 0; k < 2; k++) {
            const char *name = v[i].name;
            char base[sizeof(v[i].name)];
            if (k == 1) { /* its manifest */
                size_t len = strlen(name) - 3;
                (void)snprintf(base, sizeof(base), "%.*s.manifest", (int)len, name);
                name = base;
            }
            if (snprintf(from, sizeof(from), "%s/%s", dir, name) >= (int)sizeof(from) ||
                snprintf(to, sizeof(to), "%s/%s", sub, name) >= (int)sizeof(to))
                continue;
            if (rename(from, to) != 0 && errno != ENOENT) {
                errorf(err, errlen, "cannot move %s to %s: %s", from, sub, strerror(errno));
                free(v);
                return -1;
            }
        }
        moved++;
    }
    free(v);
    if (moved > 0) {
        (void)fsync_path(dir, 1);
        (void)snprintf(moved_to, movedlen, "%s", sub);
    }
    return moved;
}
