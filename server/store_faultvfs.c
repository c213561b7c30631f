/*
 * store_faultvfs.c - a test-only SQLite VFS that makes the N-th fsync fail
 * (RELIABILITY.md F7: "failing commit -> UNAVAILABLE, never OK; server
 * drains and exits 75"). Built only with NL_TEST_HOOKS; armed only when
 * NL_TEST_FAIL_SYNC_AFTER=N is set in the environment of a test's server.
 *
 * It wraps the default VFS: every file method passes through, except xSync,
 * which counts the syncs of the whole process and answers
 * SQLITE_IOERR_FSYNC from the (N+1)-th on, as a disk that lost a write would.
 */
#include "store_int.h"

#ifdef NL_TEST_HOOKS

#include <stdlib.h>
#include <string.h>

struct ffile {
    sqlite3_file base;   /* our methods */
    sqlite3_file *inner; /* the real file, allocated right after this struct */
};

static sqlite3_vfs faulty_vfs;
static sqlite3_vfs *inner_vfs;
static long sync_budget = -1; /* syncs left before failing; -1 = unarmed */

#define INNER(f) (((struct ffile *)(f))->inner)

static int f_close(sqlite3_file *f)
{
    return INNER(f)->pMethods->xClose(INNER(f));
}
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return INNER(f)->pMethods->xRead(INNER(f), b, n, o);
}
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    return INNER(f)->pMethods->xWrite(INNER(f), b, n, o);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return INNER(f)->pMethods->xTruncate(INNER(f), size);
}
static int f_sync(sqlite3_file *f, int flags)
{
    if (sync_budget == 0)
        return SQLITE_IOERR_FSYNC;
    if (sync_budget > 0)
        sync_budget--;
    return INNER(f)->pMethods->xSync(INNER(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return INNER(f)->pMethods->xFileSize(INNER(f), size);
}
static int f_lock(sqlite3_file *f, int l)
{
    return INNER(f)->pMethods->xLock(INNER(f), l);
}
static int f_unlock(sqlite3_file *f, int l)
{
    return INNER(f)->pMethods->xUnlock(INNER(f), l);
}
static int f_reserved(sqlite3_file *f, int *out)
{
    return INNER(f)->pMethods->xCheckReservedLock(INNER(f), out);
}
static int f_control(sqlite3_file *f, int op, void *arg)
{
    return INNER(f)->pMethods->xFileControl(INNER(f), op, arg);
}
static int f_sector(sqlite3_file *f)
{
    return INNER(f)->pMethods->xSectorSize(INNER(f));
}
static int f_device(sqlite3_file *f)
{
    return INNER(f)->pMethods->xDeviceCharacteristics(INNER(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return INNER(f)->pMethods->xShmMap(INNER(f), pg, pgsz, extend, pp);
}
static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return INNER(f)->pMethods->xShmLock(INNER(f), offset, n, flags);
}
static void f_shm_barrier(sqlite3_file *f)
{
    INNER(f)->pMethods->xShmBarrier(INNER(f));
}
static int f_shm_unmap(sqlite3_file *f, int del)
{
    return INNER(f)->pMethods->xShmUnmap(INNER(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp)
{
    return INNER(f)->pMethods->xFetch(INNER(f), o, n, pp);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    return INNER(f)->pMethods->xUnfetch(INNER(f), o, p);
}

static const sqlite3_io_methods faulty_io = {
    3,          f_close,       f_read,      f_write,   f_truncate, f_sync,   f_size,
    f_lock,     f_unlock,      f_reserved,  f_control, f_sector,   f_device, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch,   f_unfetch,
};

static int v_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    struct ffile *ff = (struct ffile *)f;
    int rc;

    (void)v;
    ff->inner = (sqlite3_file *)(ff + 1);
    rc = inner_vfs->xOpen(inner_vfs, name, ff->inner, flags, out_flags);
    /* SQLite calls xClose only when pMethods is set: leave it NULL on failure. */
    f->pMethods = rc == SQLITE_OK && ff->inner->pMethods != NULL ? &faulty_io : NULL;
    return rc;
}

#define PASS(name, args, call)                                                                     \
    static int name args                                                                           \
    {                                                                                              \
        (void)v;                                                                                   \
        return call;                                                                               \
    }
PASS(v_delete, (sqlite3_vfs * v, const char *n, int sync), inner_vfs->xDelete(inner_vfs, n, sync))
PASS(v_access, (sqlite3_vfs * v, const char *n, int fl, int *out),
     inner_vfs->xAccess(inner_vfs, n, fl, out))
PASS(v_full, (sqlite3_vfs * v, const char *n, int len, char *out),
     inner_vfs->xFullPathname(inner_vfs, n, len, out))
PASS(v_random, (sqlite3_vfs * v, int n, char *out), inner_vfs->xRandomness(inner_vfs, n, out))
PASS(v_sleep, (sqlite3_vfs * v, int us), inner_vfs->xSleep(inner_vfs, us))
PASS(v_time, (sqlite3_vfs * v, double *out), inner_vfs->xCurrentTime(inner_vfs, out))
PASS(v_err, (sqlite3_vfs * v, int n, char *out), inner_vfs->xGetLastError(inner_vfs, n, out))
PASS(v_time64, (sqlite3_vfs * v, sqlite3_int64 *out), inner_vfs->xCurrentTimeInt64(inner_vfs, out))

const char *nl_store_faultvfs_name(void)
{
    const char *n = getenv("NL_TEST_FAIL_SYNC_AFTER");
    char *end;
    long budget;

    if (n == NULL || *n == '\0')
        return NULL;
    if (inner_vfs == NULL) {
        budget = strtol(n, &end, 10);
        if (*end != '\0' || budget < 0)
            return NULL;
        inner_vfs = sqlite3_vfs_find(NULL);
        if (inner_vfs == NULL)
            return NULL;
        faulty_vfs = *inner_vfs;
        faulty_vfs.szOsFile = (int)sizeof(struct ffile) + inner_vfs->szOsFile;
        faulty_vfs.zName = "nl_faulty";
        faulty_vfs.pNext = NULL;
        faulty_vfs.xOpen = v_open;
        faulty_vfs.xDelete = v_delete;
        faulty_vfs.xAccess = v_access;
        faulty_vfs.xFullPathname = v_full;
        faulty_vfs.xRandomness = v_random;
        faulty_vfs.xSleep = v_sleep;
        faulty_vfs.xCurrentTime = v_time;
        faulty_vfs.xGetLastError = v_err;
        faulty_vfs.xCurrentTimeInt64 = v_time64;
        sync_budget = budget;
        if (sqlite3_vfs_register(&faulty_vfs, 0) != SQLITE_OK)
            return NULL;
    }
    return "nl_faulty";
}

#else

const char *nl_store_faultvfs_name(void)
{
    return NULL;
}

#endif
