/*
 * main.c - nhanlucd: flags -> config -> store -> loop -> drain -> exit.
 *
 * Exit codes: 0 after a graceful stop, 64 for a usage error, 1 when the
 * server cannot start (the reason is logged on stderr).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "../common/log.h"
#include "config.h"
#include "server.h"

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

int main(int argc, char **argv)
{
    struct nl_config cfg;
    struct nl_server *srv = NULL;
    char err[512], bound[300];
    uv_signal_t sigterm, sigint;
    uv_loop_t *loop;
    int rv;

    nl_config_defaults(&cfg);
    rv = nl_config_parse_args(&cfg, argc, argv, stdout, stderr);
    if (rv != 0)
        return rv > 0 ? 0 : 64;
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
    nl_server_free(srv);
    uv_close((uv_handle_t *)&sigterm, NULL);
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    rv = uv_loop_close(loop);
    if (rv != 0)
        nl_log_warnx("loop closed with handles open: %s", uv_strerror(rv));
    nl_log_info("stopped");
    return 0;
}
