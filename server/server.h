/*
 * server.h - one nhanlucd instance: listener, connections, executors, drain.
 *
 * Everything here runs on the loop thread. A server is built by
 * nl_server_init, started by nl_server_listen, and runs inside uv_run on the
 * caller's loop; nl_server_shutdown starts the graceful drain of
 * PROTOCOL.md section 9, after which uv_run returns once everything closed.
 */
#ifndef NL_SERVER_H
#define NL_SERVER_H

#include <stdint.h>

#include <uv.h>

#include "../common/status.h"
#include "config.h"

struct nl_server;
struct nl_conn;
struct nl_store;

/*
 * Creates a server on `loop` (borrowed) with `cfg` (copied). Opens the store
 * read-write (migrations, quick_check) and starts the writer thread and the
 * read pool. When `inline_store` is non-NULL (tests, fuzzing) no threads are
 * started: every job runs on the loop thread on that store (borrowed).
 * Returns 0 and sets *out, or -1 after writing a one-line reason to err.
 */
int nl_server_new(uv_loop_t *loop, const struct nl_config *cfg, struct nl_store *inline_store,
                  struct nl_server **out, char *err, size_t errlen);

/*
 * Binds and listens on cfg->listen. On success writes the bound address
 * ("127.0.0.1:43017") to `bound` and returns 0; else a negative libuv code.
 */
int nl_server_listen(struct nl_server *srv, char *bound, size_t boundlen);

/*
 * Starts the graceful drain: health NOT_SERVING, listener closed, GOAWAY
 * notice then final GOAWAY after 1 s, in-flight calls finish for up to
 * cfg->drain_timeout_ms, then everything closes and the writer stops. A
 * second call forces the close at once. Idempotent otherwise.
 */
void nl_server_shutdown(struct nl_server *srv);

/*
 * The process exit code the server's run asks for: 75 (EX_TEMPFAIL) after
 * it drained because of a database I/O error, else 0. Read before
 * nl_server_free.
 */
int nl_server_exit_code(const struct nl_server *srv);

/*
 * Frees the server after uv_run returned (all handles closed): stops the
 * writer, checkpoints the WAL, closes stores. Logs the per-status call
 * counts ("calls by status: OK=N ..."). NULL is a no-op.
 */
void nl_server_free(struct nl_server *srv);

/* Calls answered per status so far (loop thread), for tests and the exit log. */
uint64_t nl_server_calls(const struct nl_server *srv, enum nl_status st);

/*
 * In-memory connections (tests, fuzzing): a connection with no socket.
 * Bytes fed in go through the same nghttp2 glue; bytes the server would send
 * accumulate and are taken with nl_conn_mem_take_output().
 */
struct nl_conn *nl_conn_new_mem(struct nl_server *srv);

/*
 * Gives an in-memory connection a peer address (tests): `ip` as text, IPv4
 * or IPv6. A memory connection counts as loopback until told otherwise.
 * Returns 0, or -1 when `ip` is not an address.
 */
int nl_conn_mem_set_peer(struct nl_conn *c, const char *ip, int port);

/*
 * Feeds `len` bytes from the peer. Returns 0, or -1 when the connection hit a
 * fatal error (it is then closing; further feeds are ignored).
 */
int nl_conn_feed(struct nl_conn *c, const uint8_t *p, size_t len);

/*
 * Moves pending output into *out (caller frees *out with free()); returns its
 * length (0 and *out = NULL when nothing is pending). Flushes the session
 * first.
 */
size_t nl_conn_mem_take_output(struct nl_conn *c, uint8_t **out);

/* 1 once the in-memory connection decided to close (GOAWAY sent, fatal error). */
int nl_conn_mem_closed(const struct nl_conn *c);

/* Frees an in-memory connection and every call on it (detaching running jobs). */
void nl_conn_mem_free(struct nl_conn *c);

#endif
