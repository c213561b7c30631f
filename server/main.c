/*
 * main.c - nhanlucd: flags -> config -> store -> loop -> drain -> exit.
 *
 * Exit codes: 0 after a graceful stop, 64 for a usage error, 1 when the
 * server cannot start (the reason is logged on stderr), 75 after draining
 * because of a database I/O error (the service manager restarts it).
 *
 * `--bootstrap-admin [--force] [--name NAME]` is the other mode: open (and
 * migrate) the database, create an admin token, print it alone on stdout
 * and exit without listening. These flags are taken out of argv here before
 * the settings table (config.c) reads the rest, since they are actions, not
 * settings. The token text lives in one stack buffer that is printed and
 * then cleansed; it is never logged (the log names the token id only).
 *
 * `--restore BACKUP.db` is the third mode: put a verified backup in place of
 * the database while no server runs on it (backup.h), and exit.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "../common/log.h"
#include "backup.h"
#include "config.h"
#include "server.h"
#include "store.h"
#include "store_audit.h"
#include "store_tokens.h"
#include "token.h"

/* The bootstrap flags, which main.c reads itself. */
struct boot_opts {
    int bootstrap;       /* --bootstrap-admin */
    int force;           /* --force */
    const char *name;    /* --name NAME, or NULL */
    int help;            /* the first of --help / --version was --help */
    const char *restore; /* --restore FILE, or NULL */
};

#define BOOT_NAME_DEFAULT "bootstrap"

static void on_signal(uv_signal_t *h, int signum)
{
    struct nl_server *srv = h->data;

    nl_log_info("%s received: graceful stop", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    nl_server_shutdown(srv);
}

/* The read pool size is read once, at the pool's first use: set it before any libuv call. */
static void set_pool_size(struct nl_config *cfg)
{
    char v[16];

    if (cfg->threads == 0) {
        unsigned n = uv_available_parallelism();
        cfg->threads = n < 2 ? 2 : n;
    }
    snprintf(v, sizeof(v), "%u", cfg->threads);
    setenv("UV_THREADPOOL_SIZE", v, 1);
}

/*
 * Moves the bootstrap flags of argv into *b and every other argument, in
 * order, into rest (rest[0] = argv[0]; *nrest set). A "--key" without "="
 * keeps the next argument as its value, as nl_config_parse_args reads it,
 * so a value is never mistaken for a flag (switches such as
 * --insecure-listen take none). Returns 0, or -1 after printing
 * a usage error.
 */
static int take_boot_args(int argc, char **argv, char **rest, int *nrest, struct boot_opts *b)
{
    int n = 0, seen_info = 0;

    memset(b, 0, sizeof(*b));
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--bootstrap-admin") == 0) {
            b->bootstrap = 1;
        } else if (strcmp(a, "--force") == 0) {
            b->force = 1;
        } else if (strncmp(a, "--name=", 7) == 0) {
            b->name = a + 7;
        } else if (strcmp(a, "--name") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "nhanlucd: option '--name' needs a value\n");
                return -1;
            }
            b->name = argv[++i];
        } else if (strncmp(a, "--restore=", 10) == 0) {
            b->restore = a + 10;
        } else if (strcmp(a, "--restore") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "nhanlucd: option '--restore' needs a backup file\n");
                return -1;
            }
            b->restore = argv[++i];
        } else {
            int info = strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
            if (!seen_info && (info || strcmp(a, "--version") == 0)) {
                seen_info = 1;
                b->help = info;
            }
            rest[n++] = argv[i];
            if (!info && strcmp(a, "--version") != 0 && strncmp(a, "--", 2) == 0 &&
                strchr(a, '=') == NULL && !nl_config_is_switch(a) && i + 1 < argc)
                rest[n++] = argv[++i];
        }
    }
    rest[n] = NULL;
    *nrest = n;
    if ((b->force || b->name != NULL) && !b->bootstrap) {
        fprintf(stderr, "nhanlucd: --force and --name go with --bootstrap-admin\n"
                        "(see 'nhanlucd --help')\n");
        return -1;
    }
    if (b->restore != NULL && b->bootstrap) {
        fprintf(stderr, "nhanlucd: --restore and --bootstrap-admin are separate actions\n");
        return -1;
    }
    return 0;
}

static void boot_usage(FILE *f)
{
    fprintf(f, "\nbootstrap (creates the first admin token, prints it alone on stdout, exits):\n"
               "  nhanlucd --db PATH --bootstrap-admin [--force] [--name NAME]\n");
    fprintf(f, "  --%-22s %s\n", "bootstrap-admin", "create an admin token and exit");
    fprintf(f, "  --%-22s %s\n", "force", "create one even when a usable admin token exists");
    fprintf(f, "  --%-22s %s (default %s)\n", "name NAME", "the token's name", BOOT_NAME_DEFAULT);
    fprintf(f, "\nrestore (with the server stopped; the current database is kept aside):\n"
               "  nhanlucd --db PATH --restore BACKUP.db\n");
}

/*
 * The restore's prepare step (backup.h): the verified copy, before it
 * replaces the database, gets the audit entry of its own restore, so the
 * trail says when and from which backup the data came back. Migrations
 * run here if the backup is of an older schema, as at any start.
 */
static int audit_restore(const char *tmp, const struct nl_backup_info *info, void *ud, char *err,
                         size_t errlen)
{
    struct nl_store *st = NULL;
    struct nl_arena arena;
    char keys[128];
    enum nl_status res;

    (void)ud;
    (void)snprintf(keys, sizeof(keys), "backup=%s seq=%lld", info->name,
                   (long long)info->audit_seq);
    nl_arena_init(&arena, 1u << 20);
    res = nl_store_open(tmp, NL_STORE_READWRITE, &st, err, errlen);
    if (res == NL_OK)
        res = nl_store_begin_write(st);
    if (res == NL_OK) {
        res = nl_store_audit_local_keys(st, NL_AUDIT_RESTORE, "", keys, &arena);
        res = res == NL_OK ? nl_store_commit(st) : (nl_store_rollback(st), res);
        /* Into the file itself: only the main file is moved into place. */
        if (res == NL_OK)
            res = nl_store_checkpoint(st);
        if (res != NL_OK)
            (void)snprintf(err, errlen, "cannot audit the restore in the copy: %s",
                           nl_store_errmsg(res));
    }
    nl_store_close(st);
    nl_arena_release(&arena);
    return res == NL_OK ? 0 : -1;
}

/*
 * --restore FILE: checks the backup against its manifest and integrity_check,
 * audits the restore in the copy and puts it in place of cfg->db (backup.h);
 * then moves the server's backups taken after that one aside, since their
 * audit heads belong to the timeline the restore abandoned. Returns the exit
 * code: 0, or 1 with the reason on stderr (a running server, a damaged
 * backup, ...).
 */
static int restore_backup(const struct nl_config *cfg, const char *file)
{
    struct nl_backup_info info;
    char aside[NL_BACKUP_PATH_MAX], moved[NL_BACKUP_PATH_MAX], dir[1024], err[1024];
    int n;

    if (nl_backup_restore_with(file, cfg->db, audit_restore, NULL, &info, aside, sizeof(aside), err,
                               sizeof(err)) != 0) {
        fprintf(stderr, "nhanlucd: cannot restore: %s\n", err);
        return 1;
    }
    printf("restored %s (taken %s, audit head seq %lld hash %s) as %s\n", file, info.created_at,
           (long long)info.audit_seq, info.audit_hash, cfg->db);
    if (aside[0] != '\0')
        printf("the database it replaced is kept as %s\n", aside);
    if (strcmp(cfg->backup_dir, "off") != 0 &&
        nl_backup_dir_for(cfg->backup_dir, cfg->db, dir, sizeof(dir)) == 0) {
        n = nl_backup_supersede(dir, &info, moved, sizeof(moved), err, sizeof(err));
        if (n < 0)
            fprintf(stderr, "nhanlucd: warning: newer backups not moved aside: %s\n", err);
        else if (n > 0)
            printf("%d backup(s) taken after it moved to %s (their audit heads are of the "
                   "abandoned timeline)\n",
                   n, moved);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * --bootstrap-admin: creates an admin token in cfg->db and prints it alone
 * on stdout. Refuses (1) when a usable admin token exists and force is 0.
 * Returns the exit code: 0, 1 (store or output failure, refusal) or 64 (a
 * bad --name).
 */
static int bootstrap_admin(const struct nl_config *cfg, const struct boot_opts *b)
{
    struct nl_token_req req = {NL_ROLE_ADMIN, NULL, b->name ? b->name : BOOT_NAME_DEFAULT, 0, 0};
    char text[NL_TOKEN_TEXT_LEN + 1], err[512], msg[256];
    struct nl_token_rec rec;
    struct nl_store *st = NULL;
    struct nl_arena arena;
    enum nl_status res;
    int exists = 0, code = 1;

    if (cfg->db[0] == '\0') {
        fprintf(stderr, "nhanlucd: --db must not be empty\n");
        return 64;
    }
    text[0] = '\0';
    nl_arena_init(&arena, 1u << 20);
    res = nl_store_open(cfg->db, NL_STORE_READWRITE, &st, err, sizeof(err));
    if (res != NL_OK) {
        nl_log_error("cannot open the database: %s", err);
        goto out;
    }
    res = nl_store_begin_write(st);
    if (res == NL_OK)
        res = nl_store_token_admin_exists(st, NULL, &exists);
    if (res == NL_OK && exists && !b->force) {
        (void)nl_store_rollback(st);
        fprintf(stderr,
                "nhanlucd: an admin token already exists in '%s'; add --force to create "
                "another\n",
                cfg->db);
        goto out;
    }
    if (res == NL_OK) {
        res = nl_store_token_create(st, &req, text, sizeof(text), &rec, msg, sizeof(msg), &arena);
        if (res == NL_INVALID_ARGUMENT)
            code = 64;
        if (res != NL_OK)
            nl_log_error("cannot create the admin token: %s", msg);
    }
    /* The token and its audit entry commit together, or neither does. */
    if (res == NL_OK &&
        (res = nl_store_audit_local(st, NL_AUDIT_BOOTSTRAP, rec.id, &arena)) != NL_OK)
        nl_log_error("cannot append the bootstrap's audit entry");
    if (res == NL_OK)
        res = nl_store_commit(st);
    else
        (void)nl_store_rollback(st);
    if (res != NL_OK) {
        if (code != 64)
            nl_log_error("bootstrap failed: %s", nl_store_errmsg(res));
        goto out;
    }
    nl_log_info("bootstrap: admin token %s (\"%s\") created, expires %s", rec.id, rec.name,
                rec.expires_at);
    if (printf("%s\n", text) < 0 || fflush(stdout) != 0) {
        nl_log_error("cannot print the token; it is stored: revoke %s and run again with --force",
                     rec.id);
        goto out;
    }
    code = 0;
out:
    nl_token_wipe_text(text, sizeof(text));
    nl_store_close(st);
    nl_arena_release(&arena);
    return code;
}

int main(int argc, char **argv)
{
    struct nl_config cfg;
    struct nl_server *srv = NULL;
    char err[512], bound[300];
    uv_signal_t sigterm, sigint;
    uv_loop_t *loop;
    struct boot_opts boot;
    char **rest;
    int rv, nrest = 0;

    rest = calloc((size_t)argc + 1, sizeof(*rest));
    if (rest == NULL) {
        fprintf(stderr, "nhanlucd: out of memory\n");
        return 1;
    }
    nl_config_defaults(&cfg);
    rv = take_boot_args(argc, argv, rest, &nrest, &boot);
    if (rv == 0)
        rv = nl_config_parse_args(&cfg, nrest, rest, stdout, stderr);
    free(rest);
    if (rv > 0 && boot.help)
        boot_usage(stdout);
    if (rv != 0)
        return rv > 0 ? 0 : 64;
    if (boot.bootstrap) {
        nl_log_set_level(cfg.log_level);
        return bootstrap_admin(&cfg, &boot);
    }
    if (boot.restore != NULL) {
        nl_log_set_level(cfg.log_level);
        return restore_backup(&cfg, boot.restore);
    }
    if (nl_config_validate(&cfg, stderr) != 0)
        return 64;
    nl_log_set_level(cfg.log_level);
    set_pool_size(&cfg);
    signal(SIGPIPE, SIG_IGN);

    loop = uv_default_loop();
    if (nl_server_new(loop, &cfg, NULL, &srv, err, sizeof(err)) != 0) {
        nl_log_error("cannot start: %s", err);
        return 1;
    }
    if ((rv = nl_server_listen(srv, bound, sizeof(bound))) != 0) {
        nl_log_error("cannot listen on %s: %s", cfg.listen, uv_strerror(rv));
        nl_server_shutdown(srv);
        uv_run(loop, UV_RUN_DEFAULT);
        nl_server_free(srv);
        return 1;
    }
    uv_signal_init(loop, &sigterm);
    uv_signal_init(loop, &sigint);
    sigterm.data = sigint.data = srv;
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_signal_start(&sigint, on_signal, SIGINT);
    /* Signals must not keep the loop alive once the drain closed everything else. */
    uv_unref((uv_handle_t *)&sigterm);
    uv_unref((uv_handle_t *)&sigint);

    nl_log_info("nhanlucd %s listening on %s, database %s, %u read threads", NL_VERSION, bound,
                cfg.db, cfg.threads);
    printf("listening on %s\n", bound);
    fflush(stdout);

    uv_run(loop, UV_RUN_DEFAULT);

    /*
     * Checkpoint and close while the signal handles still exist: a second
     * SIGTERM now is swallowed by libuv instead of killing the process
     * halfway through the final checkpoint.
     */
    int code = nl_server_exit_code(srv);
    nl_server_free(srv);
    uv_close((uv_handle_t *)&sigterm, NULL);
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    rv = uv_loop_close(loop);
    if (rv != 0)
        nl_log_warnx("loop closed with handles open: %s", uv_strerror(rv));
    nl_log_info(code != 0 ? "stopped (exit %d: restart me)" : "stopped", code);
    return code;
}
