/*
 * backup.h - verified copies of the database (RELIABILITY.md section 6).
 *
 * A backup is two files in the backup directory:
 *
 *   nhanluc-YYYYMMDDTHHMMSSZ.db        the copy (VACUUM INTO), mode 0600
 *   nhanluc-YYYYMMDDTHHMMSSZ.manifest  JSON: size, SHA-256, audit head, ...
 *
 * The copy is made on a connection of its own (never the writer's, so writes
 * go on), into a hidden temporary file that is fsynced, opened and checked
 * with PRAGMA integrity_check before it is renamed into place; a copy that
 * fails the check is deleted and the failure reported. The manifest records
 * the audit trail's head as it is in the copy: the external anchor that
 * catches a trail truncated or rewritten later (RELIABILITY.md section 5).
 *
 * Everything here is plain file and SQLite work with no libuv: any thread
 * may call it. nl_backup_take() calls are serialised by a lock of this
 * module, so a scheduled backup and a requested one never write at once.
 * Who calls what: server.c (every backup-interval-s and at shutdown),
 * svc_admin.c (Admin/CreateBackup, Admin/ListBackups), main.c (--restore).
 */
#ifndef NL_BACKUP_H
#define NL_BACKUP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Largest path of a backup file this module builds. */
#define NL_BACKUP_PATH_MAX 1200

/* What a manifest says about one backup (all strings NUL-terminated). */
struct nl_backup_info {
    char name[64];       /* "nhanluc-20261127T213000Z.db" (the file in the directory) */
    char created_at[32]; /* UTC, "2026-11-27T21:30:00Z" */
    char reason[16];     /* "scheduled", "shutdown", "requested" */
    int64_t size;        /* bytes of the .db file */
    char sha256[65];     /* of the .db file, lower-case hex */
    int64_t audit_seq;   /* the audit head in the copy: last seq (0: empty trail) */
    char audit_hash[65]; /* its hash, hex (64 zeros for an empty trail) */
    int schema_version;  /* PRAGMA user_version of the copy */
    double seconds;      /* how long taking it took */
};

/*
 * Takes one backup of the SQLite database `db_path` into directory `dir`
 * (created, mode 0700, when missing; one level only). Steps of
 * RELIABILITY.md 6: VACUUM INTO a hidden temporary file created 0600, fsync
 * it and the directory, open it read-only and require integrity_check = ok,
 * read its audit head and schema version, hash it, rename it into place,
 * fsync the directory, then write the manifest (temporary file, fsync,
 * rename, fsync). Temporary files left by an interrupted run are removed
 * first. `reason` is recorded in the manifest. `cancel` (may be NULL) and
 * `deadline_ms` (monotonic ms as nl_now_ms(), 0 = none) stop the copy early.
 *
 * Returns 0 and fills *out, or -1 with a one-line reason in err; on failure
 * no file of this run is left behind. Thread-safe (serialised).
 */
int nl_backup_take(const char *db_path, const char *dir, const char *reason,
                   const atomic_int *cancel, uint64_t deadline_ms, struct nl_backup_info *out,
                   char *err, size_t errlen);

/*
 * Retention: which of n backups (their creation times, any order) to keep.
 * keep[i] = 1 for the newest backup of each of the `daily` most recent UTC
 * days that have one, and the newest of each of the `weekly` most recent
 * ISO weeks (Monday to Sunday) that have one; else 0. The newest backup is
 * always kept. Pure function.
 */
void nl_backup_keep(const time_t *created, size_t n, unsigned daily, unsigned weekly, int *keep);

/*
 * Deletes the backups of `dir` that nl_backup_keep() does not keep (the .db
 * file first, then its manifest). Files that are not backups are never
 * touched. Returns the number deleted, or -1 with a reason in err (nothing
 * deleted when the directory cannot be read).
 */
int nl_backup_prune(const char *dir, unsigned daily, unsigned weekly, char *err, size_t errlen);

/*
 * Lists the backups of `dir` whose manifest reads, newest first: *out is a
 * malloc'ed array of *n entries (caller frees; NULL when n = 0). A missing
 * directory is an empty list. Returns 0, or -1 with a reason in err.
 */
int nl_backup_list(const char *dir, struct nl_backup_info **out, size_t *n, char *err,
                   size_t errlen);

/*
 * Checks the backup file `path` (a .db whose manifest lies beside it): the
 * manifest reads, the file's size and SHA-256 match it, and the copy passes
 * PRAGMA integrity_check. Fills *out from the manifest. Returns 0, or -1
 * with the first problem in err ("size 8192 differs from the manifest's 4096").
 */
int nl_backup_verify(const char *path, struct nl_backup_info *out, char *err, size_t errlen);

/*
 * Restores the verified backup `backup_path` as the database `db_path`
 * while no server runs on it: takes the server's lock (nl_backup_lock_db),
 * verifies the backup, copies it beside db_path (0600, fsync), moves the
 * current database and its -wal file aside as `<db>.replaced-<stamp>` (kept,
 * never deleted; a -wal without its database too, or SQLite would replay it
 * into the copy), removes the stale -shm, renames the copy into place and
 * fsyncs the directory. On success fills *info from the backup's manifest,
 * writes what was moved aside to `aside` ("" when there was no database)
 * and returns 0; else -1 with a reason in err and the current database
 * untouched.
 */
int nl_backup_restore(const char *backup_path, const char *db_path, struct nl_backup_info *info,
                      char *aside, size_t asidelen, char *err, size_t errlen);

/*
 * A step nl_backup_restore_with runs on the verified copy (`tmp`, not yet
 * in place) before it replaces the database: 0 to go on, or -1 with a
 * reason in err to abandon the restore (the database untouched). `info` is
 * the backup's manifest.
 */
typedef int (*nl_backup_prepare_fn)(const char *tmp, const struct nl_backup_info *info, void *ud,
                                    char *err, size_t errlen);

/* nl_backup_restore with a prepare step (NULL: none); main.c audits the restore there. */
int nl_backup_restore_with(const char *backup_path, const char *db_path,
                           nl_backup_prepare_fn prepare, void *ud, struct nl_backup_info *info,
                           char *aside, size_t asidelen, char *err, size_t errlen);

/*
 * After a restore from `restored`: moves the backups of `dir` taken after it
 * (and their manifests) into a new `dir`/superseded-<time>/, written to
 * moved_to ("" when none moved). Their audit heads belong to the timeline
 * the restore abandoned, so they must not anchor the restored trail
 * (audit verify --backups); retention and listings no longer see them,
 * and nothing is deleted. Returns how many moved, or -1 with a reason.
 */
int nl_backup_supersede(const char *dir, const struct nl_backup_info *restored, char *moved_to,
                        size_t movedlen, char *err, size_t errlen);

/*
 * The lock one nhanlucd holds on its database for its lifetime (flock on
 * `<db>.lock`, created 0600), so that a second server or a restore cannot
 * run on a database in use. Returns the lock's file descriptor (>= 0; give
 * it to nl_backup_unlock_db) or -1 with a reason in err: "in use" when
 * another process holds it.
 */
int nl_backup_lock_db(const char *db_path, char *err, size_t errlen);

/* Releases a lock of nl_backup_lock_db (the lock file stays). fd < 0 is a no-op. */
void nl_backup_unlock_db(int fd);

/*
 * The backup directory a setting names: `setting` itself when not empty,
 * else "backups" beside the database file ("var/nhanluc.db" ->
 * "var/backups"). Returns 0, or -1 when it does not fit in `out`.
 */
int nl_backup_dir_for(const char *setting, const char *db_path, char *out, size_t outlen);

/* Where the running server's backups go and how many it keeps. */
struct nl_backup_conf {
    char db[1024];  /* the live database */
    char dir[1024]; /* the backup directory (nl_backup_dir_for) */
    unsigned keep_daily, keep_weekly;
};

/*
 * The running server's backup settings, for the Admin handlers: set once by
 * nl_server_new before any thread starts and cleared by nl_server_free
 * (NULL clears; the struct is copied). nl_backup_conf_get() returns NULL
 * when the server takes no backups (backup-dir = off, in-memory test
 * servers).
 */
void nl_backup_conf_set(const struct nl_backup_conf *conf);
const struct nl_backup_conf *nl_backup_conf_get(void);

#endif
