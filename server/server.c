/*
 * server.c - the lifetime of one nhanlucd: start (store, writer, read pool,
 * listener), the per-turn check handle that flushes connections and hands
 * read batches to the pool, and the graceful drain of PROTOCOL.md section 9.
 *
 * Drain: health turns NOT_SERVING and the listener closes at once; every
 * connection gets a GOAWAY notice (last id 2^31-1), and after 1 s the final
 * GOAWAY with the last stream id processed; in-flight calls finish; each
 * connection closes when idle. After drain_timeout_ms, or on a second
 * signal, whatever is left is closed. When no connection and no job remain,
 * the server closes its own handles so uv_run returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "server_int.h"
#include "store.h"
#include "store_audit.h"

/* Keys (source, token, method, reason) of refused calls aggregated per window. */
#define NL_AUDIT_AGG_KEYS 1024

static void server_on_job_done(struct nl_job *job, void *ud)
{
    struct nl_server *srv = ud;

    nl_dispatch_complete(srv, job);
    /*
     * After an I/O error the database file's state is unknown (RELIABILITY.md
     * 2.4): no more writes, health NOT_SERVING, drain, and exit 75 so the
     * service manager restarts the server on a fresh open.
     */
    if (!srv->io_exit && nl_writer_io_failed(srv->writer)) {
        srv->io_exit = 1;
        nl_log_error("database I/O error: draining; nhanlucd exits 75 to be restarted");
        nl_server_shutdown(srv);
    }
}

/* Once per loop turn, after I/O: flush what completions produced, feed the pool. */
static void server_on_check(uv_check_t *h)
{
    struct nl_server *srv = h->data;

    while (srv->dirty != NULL) {
        struct nl_conn *c = srv->dirty;
        srv->dirty = c->next_dirty;
        c->dirty = 0;
        c->next_dirty = NULL;
        nl_conn_flush(c);
    }
    if (srv->readers != NULL)
        nl_readers_flush(srv->readers);
}

/* Every few seconds: close connections whose peer stopped reading (PROTOCOL.md 8). */
static void server_on_sweep(uv_timer_t *t)
{
    struct nl_server *srv = t->data;
    uint64_t now = nl_now_ms();
    struct nl_conn *c = srv->conns, *next;

    nl_dispatch_audit_flush(srv, 0); /* summaries of the denial windows that ended */
    nl_conn_rate_log_flush(srv, 0);  /* refused connections not logged yet */

    for (; c != NULL; c = next) {
        next = c->next;
        if (!c->mem && c->state != NL_CONN_CLOSING && nl_conn_write_stalled(c, now)) {
            nl_log_info("conn=%lu output stalled for %u ms: closing", c->id,
                        srv->cfg.write_stall_ms);
            nl_conn_close(c);
        }
    }
}

/*
 * Logs the head of the audit trail at start-up: an operator who keeps these
 * lines can tell later whether entries after them were removed or rewritten.
 */
static void log_audit_head(struct nl_store *st)
{
    unsigned char hash[NL_AUDIT_HASH_BYTES];
    char hex[2 * NL_AUDIT_HASH_BYTES + 1];
    int64_t seq = 0;

    if (nl_store_audit_head(st, &seq, hash) != NL_OK) {
        nl_log_warnx("audit head: cannot be read");
        return;
    }
    nl_audit_hex(hash, hex);
    nl_log_info("audit head: seq %lld hash %s", (long long)seq, hex);
}

int nl_server_new(uv_loop_t *loop, const struct nl_config *cfg, struct nl_store *inline_store,
                  struct nl_server **out, char *err, size_t errlen)
{
    struct nl_server *srv = calloc(1, sizeof(*srv));
    struct nl_store *wst = NULL;

    if (srv == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    srv->loop = loop;
    srv->cfg = *cfg;
    srv->db_lock = -1;
    /* Hash seeds nobody outside can read, so crafted addresses do not pile into one chain. */
    nl_rate_table_init(&srv->conn_rate, uv_hrtime() ^ (uint64_t)(uintptr_t)srv);
    nl_rate_table_init(&srv->call_rate,
                       (uv_hrtime() * 0x9e3779b97f4a7c15ull) ^ (uint64_t)uv_os_getpid());
    if (nl_method_table_check() != 0) {
        snprintf(err, errlen, "the method table does not match the services");
        goto fail;
    }
    /* TLS files first: a bad certificate refuses start-up before the database is touched. */
    if (cfg->tls_cert[0] != '\0' && nl_tls_ctx_new(cfg, &srv->tls, err, errlen) != 0)
        goto fail;
    if (inline_store != NULL) {
        srv->inline_store = inline_store;
    } else {
        /* The lock first: a second server on the same database stops here. */
        if (nl_backup_sched_init(srv, err, errlen) != 0)
            goto fail;
        enum nl_status st = nl_store_open(cfg->db, NL_STORE_READWRITE, &wst, err, errlen);
        if (st != NL_OK)
            goto fail;
        log_audit_head(wst);
        srv->writer = nl_writer_start(loop, wst, cfg->write_queue_max, cfg->group_commit_max,
                                      cfg->group_commit_wait_ms, server_on_job_done, srv);
        if (srv->writer == NULL) {
            snprintf(err, errlen, "cannot start the writer thread");
            goto fail;
        }
        unsigned threads = cfg->threads;
        if (threads == 0) {
            threads = 2;
        }
        srv->readers = nl_readers_new(loop, cfg->db, threads, cfg->read_queue_max,
                                      cfg->read_batch_max, server_on_job_done, srv);
        srv->denials =
            nl_audit_agg_new(NL_AUDIT_AGG_KEYS, (uint64_t)cfg->audit_denial_window_s * 1000u);
        if (srv->readers == NULL || srv->denials == NULL) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    nl_deadlines_init(srv);
    uv_check_init(loop, &srv->check);
    srv->check.data = srv;
    uv_check_start(&srv->check, server_on_check);
    uv_unref((uv_handle_t *)&srv->check);
    uv_timer_init(loop, &srv->goaway_timer);
    srv->goaway_timer.data = srv;
    uv_timer_init(loop, &srv->drain_timer);
    srv->drain_timer.data = srv;
    uv_timer_init(loop, &srv->sweep_timer);
    srv->sweep_timer.data = srv;
    unsigned sweep = cfg->write_stall_ms / 4 < 5000 ? cfg->write_stall_ms / 4 : 5000;
    uv_timer_start(&srv->sweep_timer, server_on_sweep, sweep, sweep);
    uv_unref((uv_handle_t *)&srv->sweep_timer);
    nl_health_set_serving(1);
    *out = srv;
    return 0;
fail:
    nl_audit_agg_free(srv->denials);
    nl_readers_free(srv->readers);
    if (srv->writer != NULL)
        nl_writer_stop(srv->writer);
    nl_backup_sched_close(srv);
    uv_run(loop, UV_RUN_NOWAIT);
    nl_writer_free(srv->writer);
    nl_backup_sched_final(srv);
    nl_tls_ctx_free(srv->tls);
    free(srv);
    return -1;
}

static void server_on_connection(uv_stream_t *l, int status)
{
    struct nl_server *srv = l->data;

    if (status < 0) {
        nl_log_warnx("accept: %s", uv_strerror(status));
        return;
    }
    int rv = nl_conn_accept(srv);
    if (rv != 0)
        nl_log_warnx("accept: %s", uv_strerror(rv));
}

int nl_server_listen(struct nl_server *srv, char *bound, size_t boundlen)
{
    char host[256];
    int port, rv;
    struct sockaddr_storage ss;

    if (nl_config_split_hostport(srv->cfg.listen, host, sizeof(host), &port) != 0)
        return UV_EINVAL;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return UV_EINVAL;
    if ((rv = uv_tcp_init(srv->loop, &srv->listener)) != 0)
        return rv;
    srv->listener.data = srv;
    srv->listening = 1;
    if ((rv = uv_tcp_bind(&srv->listener, (struct sockaddr *)&ss, 0)) != 0)
        return rv;
    if ((rv = uv_listen((uv_stream_t *)&srv->listener, 511, server_on_connection)) != 0)
        return rv;
    int len = sizeof(ss);
    if ((rv = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&ss, &len)) != 0)
        return rv;
    srv->started = 1;
    char ip[64];
    if (ss.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
        snprintf(bound, boundlen, "[%s]:%d", ip, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
    } else {
        uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
        snprintf(bound, boundlen, "%s:%d", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
    }
    return 0;
}

static void server_close_all(struct nl_server *srv)
{
    struct nl_conn *c = srv->conns, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        if (!c->mem)
            nl_conn_close(c);
    }
}

static void server_on_goaway_timer(uv_timer_t *t)
{
    struct nl_server *srv = t->data;

    for (struct nl_conn *c = srv->conns; c != NULL; c = c->next) {
        if (c->h2 == NULL || c->state == NL_CONN_CLOSING)
            continue;
        nghttp2_submit_goaway(c->h2, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(c->h2), NGHTTP2_NO_ERROR,
                              NULL, 0);
        c->goaway_final = 1;
        nl_conn_mark_dirty(c);
    }
}

static void server_on_drain_timer(uv_timer_t *t)
{
    struct nl_server *srv = t->data;

    nl_log_warnx("drain: %u connection(s) still open after %u ms; closing them", srv->nconns,
                 srv->cfg.drain_timeout_ms);
    srv->forced = 1;
    server_close_all(srv);
    nl_server_maybe_finish(srv);
}

void nl_server_shutdown(struct nl_server *srv)
{
    if (srv->draining) {
        if (!srv->forced) {
            nl_log_warnx("second stop request: closing every connection now");
            srv->forced = 1;
            server_close_all(srv);
        }
        nl_server_maybe_finish(srv);
        return;
    }
    srv->draining = 1;
    nl_health_set_serving(0);
    nl_log_info("draining: %u connection(s), %u call(s) in flight", srv->nconns,
                srv->jobs_in_flight);
    if (srv->listening) {
        uv_close((uv_handle_t *)&srv->listener, NULL);
        srv->listening = 0;
    }
    for (struct nl_conn *c = srv->conns; c != NULL; c = c->next) {
        if (c->h2 == NULL || c->state == NL_CONN_CLOSING)
            continue;
        nghttp2_submit_shutdown_notice(c->h2);
        if (c->state == NL_CONN_OPEN)
            c->state = NL_CONN_DRAINING;
        nl_conn_mark_dirty(c);
    }
    uv_timer_start(&srv->goaway_timer, server_on_goaway_timer, 1000, 0);
    uv_timer_start(&srv->drain_timer, server_on_drain_timer, srv->cfg.drain_timeout_ms, 0);
    /* The check handle is unreferenced; make sure one more turn happens to flush. */
    uv_ref((uv_handle_t *)&srv->check);
    nl_server_maybe_finish(srv);
}

void nl_server_conn_closed(struct nl_server *srv, struct nl_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->nconns--;
    nl_server_maybe_finish(srv);
}

void nl_server_maybe_finish(struct nl_server *srv)
{
    if (!srv->draining || srv->closing)
        return;
    /* Connections close themselves once idle after the final GOAWAY (conn.c). */
    nl_log_debug("drain: %u connection(s), %u job(s) left", srv->nconns, srv->jobs_in_flight);
    if (srv->nconns > 0 || srv->jobs_in_flight > 0)
        return;
    srv->closing = 1;
    nl_log_info("drained: stopping");
    uv_timer_stop(&srv->goaway_timer);
    uv_timer_stop(&srv->drain_timer);
    uv_close((uv_handle_t *)&srv->goaway_timer, NULL);
    uv_close((uv_handle_t *)&srv->drain_timer, NULL);
    uv_close((uv_handle_t *)&srv->sweep_timer, NULL);
    nl_backup_sched_close(srv);
    uv_check_stop(&srv->check);
    uv_close((uv_handle_t *)&srv->check, NULL);
    nl_deadlines_close(srv);
    nl_dispatch_audit_flush(srv, 1); /* the open denial windows, before the writer's last batch */
    if (srv->writer != NULL)
        nl_writer_stop(srv->writer);
}

uint64_t nl_server_calls(const struct nl_server *srv, enum nl_status st)
{
    return (unsigned)st < NL_STATUS_COUNT ? srv->calls_by_status[st] : 0;
}

int nl_server_exit_code(const struct nl_server *srv)
{
    return srv->io_exit ? 75 : 0;
}

void nl_server_free(struct nl_server *srv)
{
    char line[1024];
    size_t n = 0;

    if (srv == NULL)
        return;
    /* Read before the writer (which owns the count) is freed. */
    uint64_t audit_dropped = nl_writer_audit_dropped(srv->writer);
    nl_readers_free(srv->readers);
    nl_writer_free(srv->writer);
    nl_backup_sched_final(srv); /* after the writer's last checkpoint */
    nl_audit_agg_free(srv->denials);
    for (int st = 0; st < NL_STATUS_COUNT; st++) {
        if (srv->calls_by_status[st] == 0 || n >= sizeof(line))
            continue;
        n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%llu", nl_status_name(st),
                              (unsigned long long)srv->calls_by_status[st]);
    }
    if (srv->http_rejects > 0 && n < sizeof(line))
        n += (size_t)snprintf(line + n, sizeof(line) - n, " HTTP_REJECTED=%llu",
                              (unsigned long long)srv->http_rejects);
    nl_log_info("calls by status:%s", n > 0 ? line : " none");
    nl_conn_rate_log_flush(srv, 1); /* the last per-address lines, then the totals */
    nl_log_info("rate limits: conn_rate_refused=%llu call_rate_refused=%llu",
                (unsigned long long)srv->conn_rate_refused,
                (unsigned long long)srv->call_rate_refused);
    if (audit_dropped > 0)
        nl_log_warnx("audit backlog: %llu entr%s dropped in all", (unsigned long long)audit_dropped,
                     audit_dropped == 1 ? "y" : "ies");
    if (srv->tls != NULL)
        nl_log_info("tls: %llu handshake(s) with h2, %llu failed, %llu closed without ALPN h2",
                    (unsigned long long)srv->tls_handshakes, (unsigned long long)srv->tls_failures,
                    (unsigned long long)srv->tls_no_h2);
    nl_tls_ctx_free(srv->tls);
    free(srv->deadlines.v);
    free(srv);
}
