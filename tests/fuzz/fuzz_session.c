/*
 * fuzz_session.c - a whole server session fed raw client bytes
 * (RELIABILITY.md D1): the real nghttp2 glue, dispatch, method table,
 * handlers and an in-memory SQLite store, no sockets and no threads.
 *
 * Input: byte 0 chooses the chunk size (1..256) used to feed the rest, so
 * the same session is also cut at every odd place. The rest is what a client
 * would send, starting with the HTTP/2 preface (seeds come from
 * gen_session_corpus.py). Crashes, sanitizer reports and leaks are findings;
 * the server's replies are read and discarded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "config.h"
#include "log.h"
#include "server.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct nl_store *store;
static struct nl_server *srv;

static void fuzz_init(void)
{
    struct nl_config cfg;
    char err[256];

    nl_log_set_level(NL_LOG_ERROR);
    if (uv_loop_init(&loop) != 0)
        abort();
    if (nl_store_open(":memory:", NL_STORE_READWRITE, &store, err, sizeof(err)) != NL_OK)
        abort();
    nl_config_defaults(&cfg);
    /* Fuzz the transport and the handlers behind it, not the credential check. */
    snprintf(cfg.auth, sizeof(cfg.auth), "off");
    if (nl_server_new(&loop, &cfg, store, &srv, err, sizeof(err)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (srv == NULL)
        fuzz_init();
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;

    struct nl_conn *c = nl_conn_new_mem(srv);
    if (c == NULL)
        abort();
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        uint8_t *out = NULL;
        int rv = nl_conn_feed(c, data + off, n);
        uv_run(&loop, UV_RUN_NOWAIT);
        nl_conn_mem_take_output(c, &out);
        free(out);
        if (rv != 0)
            break;
    }
    nl_conn_mem_free(c);
    uv_run(&loop, UV_RUN_NOWAIT);
    return 0;
}
