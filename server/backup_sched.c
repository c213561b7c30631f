/*
 * backup_sched.c - when nhanlucd takes its backups: every backup_interval_s
 * on a short-lived thread of its own (PROTOCOL.md section 3: its own read
 * connection, so reads and writes go on), and once more at shutdown after
 * the writer stopped and checkpointed (PROTOCOL.md section 9 step 5). Each
 * backup is followed by pruning to the retention of the settings. The
 * files themselves are backup.c's.
 *
 * The scheduled thread reports back through an unreferenced uv_async_t; the
 * loop joins it there and logs the outcome. Neither the timer nor the async
 * handle keeps the loop alive, and the drain's end waits for a running
 * backup before closing them, so the thread never signals a closed handle.
 */
#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "server_int.h"

/* The backup thread: take one, prune, report. Touches only srv->backup's result fields. */
static void backup_thread(void *arg)
{
    struct nl_server *srv = arg;

    srv->backup.pruned = 0;
    srv->backup.rv =
        nl_backup_take(srv->backup.conf.db, srv->backup.conf.dir, "scheduled", &srv->backup.cancel,
                       0, &srv->backup.info, srv->backup.err, sizeof(srv->backup.err));
    if (srv->backup.rv == 0)
        srv->backup.pruned =
            nl_backup_prune(srv->backup.conf.dir, srv->backup.conf.keep_daily,
                            srv->backup.conf.keep_weekly, srv->backup.err, sizeof(srv->backup.err));
    uv_async_send(&srv->backup.async);
}

/* Logs a backup's outcome: the audit head goes to the log as an anchor too. */
static void log_outcome(const struct nl_server *srv, int rv, const struct nl_backup_info *info,
                        int pruned, const char *err)
{
    if (rv != 0) {
        nl_log_error("backup failed: %s", err);
        return;
    }
    nl_log_info("backup %s/%s (%s): %lld bytes, audit head seq %lld hash %s, %.2f s",
                srv->backup.conf.dir, info->name, info->reason, (long long)info->size,
                (long long)info->audit_seq, info->audit_hash, info->seconds);
    if (pruned < 0)
        nl_log_warnx("backup retention: %s", err);
    else if (pruned > 0)
        nl_log_info("backup retention: %d old backup(s) deleted", pruned);
}

/* Joins a finished (or, at the drain's end, still running) backup thread and logs it. */
static void join_backup(struct nl_server *srv)
{
    if (!srv->backup.running)
        return;
    uv_thread_join(&srv->backup.thread);
    srv->backup.running = 0;
    log_outcome(srv, srv->backup.rv, &srv->backup.info, srv->backup.pruned, srv->backup.err);
}

static void on_backup_done(uv_async_t *a)
{
    join_backup(a->data);
}

static void on_backup_timer(uv_timer_t *t)
{
    struct nl_server *srv = t->data;

    if (srv->backup.running) {
        nl_log_warnx("backup: the previous one is still running; skipping this one");
        return;
    }
    srv->backup.running = 1;
    if (uv_thread_create(&srv->backup.thread, backup_thread, srv) != 0) {
        srv->backup.running = 0;
        nl_log_error("backup failed: cannot start its thread");
    }
}

int nl_backup_sched_init(struct nl_server *srv, char *err, size_t errlen)
{
    const struct nl_config *cfg = &srv->cfg;

    srv->db_lock = nl_backup_lock_db(cfg->db, err, errlen);
    if (srv->db_lock < 0)
        return -1;
    atomic_init(&srv->backup.cancel, 0);
    if (strcmp(cfg->backup_dir, "off") == 0) {
        nl_log_info("backups: off (backup-dir = off)");
        return 0;
    }
    snprintf(srv->backup.conf.db, sizeof(srv->backup.conf.db), "%s", cfg->db);
    if (nl_backup_dir_for(cfg->backup_dir, cfg->db, srv->backup.conf.dir,
                          sizeof(srv->backup.conf.dir)) != 0) {
        snprintf(err, errlen, "backup-dir: path too long");
        nl_backup_unlock_db(srv->db_lock);
        srv->db_lock = -1;
        return -1;
    }
    srv->backup.conf.keep_daily = cfg->backup_keep_daily;
    srv->backup.conf.keep_weekly = cfg->backup_keep_weekly;
    srv->backup.on = 1;
    nl_backup_conf_set(&srv->backup.conf);
    uv_timer_init(srv->loop, &srv->backup.timer);
    uv_async_init(srv->loop, &srv->backup.async, on_backup_done);
    srv->backup.timer.data = srv->backup.async.data = srv;
    uv_unref((uv_handle_t *)&srv->backup.timer);
    uv_unref((uv_handle_t *)&srv->backup.async);
    srv->backup.handles = 1;
    if (cfg->backup_interval_s > 0) {
        uint64_t ms = (uint64_t)cfg->backup_interval_s * 1000;
        uv_timer_start(&srv->backup.timer, on_backup_timer, ms, ms);
    }
    nl_log_info("backups: to %s every %u s and at shutdown; keeping %u daily, %u weekly",
                srv->backup.conf.dir, cfg->backup_interval_s, cfg->backup_keep_daily,
                cfg->backup_keep_weekly);
    return 0;
}

void nl_backup_sched_close(struct nl_server *srv)
{
    if (!srv->backup.handles)
        return;
    uv_timer_stop(&srv->backup.timer);
    if (srv->backup.running) {
        nl_log_info("drain: waiting for the running backup");
        if (srv->forced)
            atomic_store(&srv->backup.cancel, 1);
        join_backup(srv);
    }
    uv_close((uv_handle_t *)&srv->backup.timer, NULL);
    uv_close((uv_handle_t *)&srv->backup.async, NULL);
    srv->backup.handles = 0;
}

void nl_backup_sched_final(struct nl_server *srv)
{
    struct nl_backup_info info;
    char err[512];
    int rv, pruned = 0;

    if (srv->backup.on && srv->started && !srv->io_exit) {
        rv = nl_backup_take(srv->backup.conf.db, srv->backup.conf.dir, "shutdown", NULL, 0, &info,
                            err, sizeof(err));
        if (rv == 0)
            pruned = nl_backup_prune(srv->backup.conf.dir, srv->backup.conf.keep_daily,
                                     srv->backup.conf.keep_weekly, err, sizeof(err));
        log_outcome(srv, rv, &info, pruned, err);
    }
    if (srv->backup.on)
        nl_backup_conf_set(NULL);
    nl_backup_unlock_db(srv->db_lock);
    srv->db_lock = -1;
}
