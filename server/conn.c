/*
 * conn.c - one client connection: socket, buffers, timers, back-pressure,
 * close.
 *
 * Input: the server-wide read buffer goes straight into nghttp2_session_mem_recv
 * (which consumes all of it), then the connection is flushed. Output:
 * nl_conn_flush pulls frames from mem_send into `out` up to the high-water
 * mark and hands them to libuv; at most one uv_write is in flight, and its
 * buffer (`wbuf`) belongs to it until the write callback, which flushes
 * again. While output is over the mark the connection stops reading
 * (PROTOCOL.md 8). Completions from other threads only mark a connection
 * dirty; the server flushes dirty connections once per loop turn.
 *
 * TLS (tls.h, when the server has a context): the connection starts in
 * state TLS. Ciphertext from the socket goes into the SSL; the handshake,
 * bounded by the handshake timer, must select ALPN h2, else the connection
 * closes. Then SSL_read's plaintext goes to mem_recv, and flush seals
 * mem_send's output with SSL_write (batched up to one 16 KiB record) into
 * `out`, which therefore holds ciphertext: the high-water mark and the write
 * path are the same as for h2c. A TLS error closes the connection after
 * sending what OpenSSL queued (an alert); a finished session says
 * close_notify before closing.
 *
 * Connection rate (RELIABILITY.md 5.4, ratelimit.h): right after accept,
 * once the peer address is known and before any TLS or HTTP/2 state, a
 * connection over its address's rate is reset and counted; the refusals are
 * logged at most once per address per minute, with the count since the last
 * line. Loopback peers are spared unless rate-limit-loopback is set.
 *
 * Close: nl_conn_close is idempotent. Calls still in the session are freed,
 * or detached when their job is running (the job's completion frees them);
 * the struct itself is freed once its handles have closed.
 */
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "server_int.h"

#define READ_BUF_SIZE   (64 * 1024)
#define ABUSE_WINDOW_MS 10000
#define TLS_RECORD      16384 /* plaintext per TLS record */

/* The loop thread's read buffer: mem_recv consumes all input at once. */
static char read_buf[READ_BUF_SIZE];
static int read_buf_busy;

static void conn_set_state(struct nl_conn *c, enum nl_conn_state s)
{
    static const char *const names[] = {"TLS", "PREFACE", "OPEN", "DRAINING", "CLOSING"};
    if (c->state != s)
        nl_log_debug("conn=%lu state %s -> %s", c->id, names[c->state], names[s]);
    c->state = s;
}

static void conn_free(struct nl_conn *c)
{
    nl_buf_release(&c->out);
    nl_buf_release(&c->wbuf);
    nl_tls_free(c->tls);
    free(c);
}

static void conn_on_close(uv_handle_t *h)
{
    struct nl_conn *c = h->data;

    if (h == (uv_handle_t *)&c->timer) {
        c->timer_closed = 1;
    } else {
        c->tcp.data = NULL;
    }
    if (!c->timer_closed || c->tcp.data != NULL)
        return;
    nl_server_conn_closed(c->srv, c);
    conn_free(c);
}

/* Frees or detaches every call still attached to the session. */
static void conn_drop_calls(struct nl_conn *c)
{
    struct nl_call *call = c->calls, *next;

    for (; call != NULL; call = next) {
        next = call->next;
        nl_deadlines_remove(c->srv, call);
        nl_call_charge(call, 0);
        call->in_session = 0;
        call->prev = call->next = NULL;
        if (!call->responded) {
            call->responded = 1;
            nl_dispatch_count(c->srv, NL_CANCELLED);
        }
        if (call->job != NULL) {
            atomic_store(&call->job->cancel, 1);
            call->conn = NULL;
        } else {
            nl_call_free(call);
        }
    }
    c->calls = NULL;
    c->ncalls = 0;
}

void nl_conn_close(struct nl_conn *c)
{
    if (c->state == NL_CONN_CLOSING)
        return;
    conn_set_state(c, NL_CONN_CLOSING);
    conn_drop_calls(c);
    /* nghttp2_session_del does not call on_stream_close: calls were dropped above. */
    nghttp2_session_del(c->h2);
    c->h2 = NULL;
    if (c->mem)
        return;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, conn_on_close);
    /*
     * A connection refused by the rate limit is reset (SO_LINGER 0): the
     * server keeps no TIME_WAIT state for a flood. uv_tcp_close_reset
     * closes the handle itself unless it fails before that.
     */
    if (!c->rate_refused || uv_tcp_close_reset(&c->tcp, conn_on_close) != 0)
        uv_close((uv_handle_t *)&c->tcp, conn_on_close);
}

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    if (read_buf_busy) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    read_buf_busy = 1;
    buf->base = read_buf;
    buf->len = sizeof(read_buf);
}

static void conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct nl_conn *c = s->data;

    if (buf->base == read_buf)
        read_buf_busy = 0;
    if (nread == 0)
        return;
    if (nread < 0) {
        if (c->state == NL_CONN_TLS) {
            c->srv->tls_failures++;
            nl_log_info("conn=%lu %s: the client closed the connection during the TLS handshake",
                        c->id, c->peer);
        } else if (nread != UV_EOF) {
            nl_log_debug("conn=%lu read: %s", c->id, uv_strerror((int)nread));
        }
        nl_conn_close(c);
        return;
    }
    nl_conn_feed(c, (const uint8_t *)buf->base, (size_t)nread);
}

static void conn_read_start(struct nl_conn *c)
{
    if (c->mem || c->reading || c->fatal || c->state == NL_CONN_CLOSING)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_on_read) == 0)
        c->reading = 1;
}

static void conn_read_stop(struct nl_conn *c)
{
    if (c->mem || !c->reading)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

static void conn_on_write(uv_write_t *req, int status)
{
    struct nl_conn *c = req->data;

    c->writing = 0;
    c->wbuf.len = 0;
    if (status < 0) {
        if (status != UV_ECANCELED)
            nl_log_debug("conn=%lu write: %s", c->id, uv_strerror(status));
        nl_conn_close(c);
        return;
    }
    nl_conn_flush(c);
}

/* The session has nothing more to say or hear, and everything was written. */
static int conn_done(const struct nl_conn *c)
{
    if (c->writing || c->out.len > 0)
        return 0;
    if (c->fatal)
        return 1;
    return c->h2 != NULL && !nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2);
}

/* Marks a TLS failure: no more SSL calls, no more input; close once `out` is written. */
static void conn_tls_failed(struct nl_conn *c)
{
    c->tls_failed = 1;
    c->fatal = 1;
    conn_read_stop(c);
}

/* Seals `len` plaintext bytes into `out`. 0, or -1 after marking the connection failed. */
static int conn_tls_seal(struct nl_conn *c, const uint8_t *p, size_t len)
{
    char why[256];

    if (nl_tls_write(c->tls, p, len, &c->out, why, sizeof(why)) == 0)
        return 0;
    nl_log_warnx("conn=%lu TLS write: %s", c->id, why);
    conn_tls_failed(c);
    return -1;
}

/*
 * Pulls nghttp2 output into `out` while under the mark `hw`: as is for h2c;
 * for TLS gathered into records of up to TLS_RECORD bytes and sealed.
 */
static void conn_pull(struct nl_conn *c, size_t hw)
{
    uint8_t stage[TLS_RECORD];
    size_t staged = 0;

    if (c->tls != NULL && (!c->tls_ready || c->tls_failed))
        return;
    while (c->h2 != NULL && c->out.len + staged < hw) {
        const uint8_t *p;
        ssize_t n = nghttp2_session_mem_send(c->h2, &p);
        if (n < 0) {
            nl_log_warnx("conn=%lu nghttp2 send: %s", c->id, nghttp2_strerror((int)n));
            c->fatal = 1;
            break;
        }
        if (n == 0)
            break;
        if (c->tls == NULL) {
            if (nl_buf_append(&c->out, p, (size_t)n) != 0) {
                nl_log_warnx("conn=%lu output buffer: out of memory", c->id);
                c->fatal = 1;
                break;
            }
            continue;
        }
        size_t left = (size_t)n;
        while (left > 0 && !c->tls_failed) {
            size_t k = left < sizeof(stage) - staged ? left : sizeof(stage) - staged;
            memcpy(stage + staged, p, k);
            staged += k;
            p += k;
            left -= k;
            if (staged == sizeof(stage)) {
                (void)conn_tls_seal(c, stage, staged);
                staged = 0;
            }
        }
        if (c->tls_failed)
            return;
    }
    if (staged > 0)
        (void)conn_tls_seal(c, stage, staged);
}

void nl_conn_flush(struct nl_conn *c)
{
    size_t hw = c->srv->cfg.out_high_water;

    if (c->state == NL_CONN_CLOSING)
        return;
    conn_pull(c, hw);
    if (c->fatal)
        conn_read_stop(c);
    /* Everything said and written: a TLS session ends with close_notify, then closes. */
    if (c->tls != NULL && !c->tls_bye && conn_done(c)) {
        c->tls_bye = 1;
        nl_tls_shutdown(c->tls, &c->out);
    }

    if (!c->mem && !c->writing && c->out.len > 0) {
        /* Swap buffers: the write request owns wbuf until conn_on_write. */
        struct nl_buf t = c->wbuf;
        c->wbuf = c->out;
        c->out = t;
        uv_buf_t b = uv_buf_init((char *)c->wbuf.data, (unsigned)c->wbuf.len);
        c->wreq.data = c;
        int rv = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, conn_on_write);
        if (rv != 0) {
            nl_log_debug("conn=%lu write: %s", c->id, uv_strerror(rv));
            c->wbuf.len = 0;
            nl_conn_close(c);
            return;
        }
        c->writing = 1;
        c->write_started = nl_now_ms();
    }

    /* Back-pressure: a peer that does not read stops being read. */
    if (c->out.len >= hw)
        conn_read_stop(c);
    else if (!c->fatal && !c->reading)
        conn_read_start(c);

    if (conn_done(c) && !c->mem)
        nl_conn_close(c);
}

int nl_conn_write_stalled(const struct nl_conn *c, uint64_t now)
{
    return c->writing && now - c->write_started > c->srv->cfg.write_stall_ms;
}

void nl_conn_mark_dirty(struct nl_conn *c)
{
    if (c->dirty || c->state == NL_CONN_CLOSING)
        return;
    c->dirty = 1;
    c->next_dirty = c->srv->dirty;
    c->srv->dirty = c;
}

/* Plaintext into the session. 0, or -1 when the connection became fatal. */
static int conn_recv(struct nl_conn *c, const uint8_t *p, size_t len)
{
    ssize_t rv = nghttp2_session_mem_recv(c->h2, p, len);

    if (rv < 0) {
        /*
         * Fatal for the connection (PROTOCOL.md rule 2.2.6): never feed more
         * input; send whatever nghttp2 queued (often a GOAWAY), then close.
         */
        nl_log_info("conn=%lu closing: %s", c->id, nghttp2_strerror((int)rv));
        c->fatal = 1;
        conn_read_stop(c);
        return -1;
    }
    return 0;
}

/* The handshake just completed: ALPN h2 or close; the client certificate. */
static int conn_tls_up(struct nl_conn *c)
{
    char desc[128];

    if (!nl_tls_alpn_h2(c->tls)) {
        c->srv->tls_no_h2++;
        nl_log_info("conn=%lu %s: TLS client did not offer ALPN h2: closing", c->id, c->peer);
        c->fatal = 1; /* no more input; close_notify, then close (nl_conn_flush) */
        conn_read_stop(c);
        return -1;
    }
    c->srv->tls_handshakes++;
    c->tls_ready = 1;
    nl_tls_peer_cert(c->tls, c->cert_fp, sizeof(c->cert_fp), c->cert_unit, sizeof(c->cert_unit));
    conn_set_state(c, NL_CONN_PREFACE);
    nl_tls_describe(c->tls, desc, sizeof(desc));
    nl_log_debug("conn=%lu TLS up: %s, ALPN h2, client certificate %s%s%s", c->id, desc,
                 c->cert_fp[0] ? c->cert_fp : "none", c->cert_unit[0] ? ", unit " : "",
                 c->cert_unit);
    return 0;
}

/* Ciphertext from the socket: handshake, then plaintext into the session. */
static int conn_tls_feed(struct nl_conn *c, const uint8_t *p, size_t len)
{
    static uint8_t plain[TLS_RECORD + 1024];
    char why[256];
    int clean;

    if (nl_tls_put(c->tls, p, len) != 0) {
        nl_log_warnx("conn=%lu TLS input: out of memory", c->id);
        conn_tls_failed(c);
        return -1;
    }
    if (!c->tls_ready) {
        int rv = nl_tls_handshake(c->tls, &c->out, why, sizeof(why));
        if (rv == NL_TLS_AGAIN)
            return 0;
        if (rv == NL_TLS_ERROR) {
            c->srv->tls_failures++;
            nl_log_info("conn=%lu %s: TLS handshake failed: %s", c->id, c->peer, why);
            conn_tls_failed(c);
            return -1;
        }
        if (conn_tls_up(c) != 0)
            return -1;
    }
    while (!c->fatal) {
        ssize_t n = nl_tls_read(c->tls, plain, sizeof(plain), &c->out, &clean, why, sizeof(why));
        if (n == 0)
            return 0;
        if (n < 0) {
            if (clean) {
                nl_log_debug("conn=%lu %s", c->id, why);
                c->fatal = 1;
                conn_read_stop(c);
            } else {
                nl_log_info("conn=%lu %s: TLS: %s: closing", c->id, c->peer, why);
                conn_tls_failed(c);
            }
            return -1;
        }
        if (conn_recv(c, plain, (size_t)n) != 0)
            return -1;
    }
    return 0; /* fatal from inside the session (nl_conn_misbehaved): flush sends the GOAWAY */
}

int nl_conn_feed(struct nl_conn *c, const uint8_t *p, size_t len)
{
    int rv;

    if (c->fatal || c->state == NL_CONN_CLOSING || c->h2 == NULL)
        return -1;
    rv = c->tls != NULL ? conn_tls_feed(c, p, len) : conn_recv(c, p, len);
    nl_conn_flush(c);
    return rv;
}

void nl_conn_misbehaved(struct nl_conn *c, const char *what)
{
    uint64_t now = nl_now_ms();

    if (now - c->abuse_window_start > ABUSE_WINDOW_MS) {
        c->abuse_window_start = now;
        c->abuse_events = 0;
    }
    if (++c->abuse_events == c->srv->cfg.misbehaviour_max && c->h2 != NULL) {
        nl_log_info("conn=%lu too many protocol errors (last: %s): GOAWAY", c->id, what);
        nghttp2_session_terminate_session(c->h2, NGHTTP2_ENHANCE_YOUR_CALM);
        c->fatal = 1; /* stop reading; close once the GOAWAY is written */
        conn_read_stop(c);
        nl_conn_mark_dirty(c);
    }
}

static void conn_on_timer(uv_timer_t *t)
{
    struct nl_conn *c = t->data;

    if (c->state == NL_CONN_TLS) {
        nl_log_info("conn=%lu %s: no TLS handshake in time: closing", c->id, c->peer);
        nl_conn_close(c);
        return;
    }
    if (c->state == NL_CONN_PREFACE) {
        nl_log_info("conn=%lu no HTTP/2 preface in time: closing", c->id);
        nl_conn_close(c);
        return;
    }
    if (c->ncalls == 0 && c->h2 != NULL) {
        nl_log_debug("conn=%lu idle: GOAWAY", c->id);
        nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
        conn_set_state(c, NL_CONN_DRAINING);
        nl_conn_flush(c);
    }
}

void nl_conn_streams_changed(struct nl_conn *c)
{
    if (c->mem || c->state == NL_CONN_CLOSING || c->state == NL_CONN_PREFACE ||
        c->state == NL_CONN_TLS)
        return;
    if (c->ncalls == 0)
        uv_timer_start(&c->timer, conn_on_timer, c->srv->cfg.idle_timeout_ms, 0);
    else
        uv_timer_stop(&c->timer);
    if (c->ncalls == 0 && c->srv->draining)
        nl_conn_mark_dirty(c);
}

/* 1 for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8 (::ffff:127.x.y.z). */
static int addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) ==
               127;
    if (sa->sa_family == AF_INET6) {
        static const uint8_t one[16] = {[15] = 1};
        static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
        const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        return memcmp(a, one, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
    }
    return 0;
}

int nl_conn_rate_limited(const struct nl_conn *c)
{
    return !c->loopback || c->srv->cfg.rate_limit_loopback;
}

#define CONN_RATE_LOG_MS (60u * 1000u) /* one refusal line per address per minute at most */

static void conn_rate_report(void *ud, const char *addr, uint64_t count)
{
    const struct nl_server *srv = ud;

    nl_log_warnx("conn-rate: %llu new connection(s) from %s refused since the last line "
                 "(limit %u/s, burst %u)",
                 (unsigned long long)count, addr, srv->cfg.conn_rate, srv->cfg.conn_burst);
}

void nl_conn_rate_log_flush(struct nl_server *srv, int all)
{
    nl_rate_flush_refusals(&srv->conn_rate, nl_now_ms(), CONN_RATE_LOG_MS, all, conn_rate_report,
                           srv);
}

/*
 * RELIABILITY.md 5.4: new connections per source address. Returns 1 when
 * the connection may go on, 0 when it is over the limit (counted, and
 * logged at most once per address per minute with the count since).
 */
static int conn_rate_admit(struct nl_server *srv, const struct nl_conn *c)
{
    char addr[NL_LOCKOUT_ADDR_LEN];
    uint64_t now, n;

    if (srv->cfg.conn_rate == 0 || c->peer[0] == '\0' || !nl_conn_rate_limited(c))
        return 1;
    nl_lockout_addr(c->peer, addr, sizeof(addr));
    now = nl_now_ms();
    if (nl_rate_admit(&srv->conn_rate, addr, srv->cfg.conn_rate, srv->cfg.conn_burst, now, NULL))
        return 1;
    srv->conn_rate_refused++;
    n = nl_rate_note_refusal(&srv->conn_rate, addr, now, CONN_RATE_LOG_MS);
    if (n > 0)
        conn_rate_report(srv, addr, n);
    return 0;
}

static struct nl_conn *conn_alloc_struct(struct nl_server *srv)
{
    struct nl_conn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->srv = srv;
    c->id = ++srv->next_conn_id;
    c->state = NL_CONN_PREFACE;
    nl_buf_init(&c->out, (size_t)srv->cfg.out_high_water + (1u << 20));
    nl_buf_init(&c->wbuf, (size_t)srv->cfg.out_high_water + (1u << 20));
    c->abuse_window_start = nl_now_ms();
    return c;
}

static void conn_link(struct nl_server *srv, struct nl_conn *c)
{
    c->next = srv->conns;
    if (srv->conns != NULL)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
}

int nl_conn_accept(struct nl_server *srv)
{
    struct nl_conn *c = conn_alloc_struct(srv);
    int rv;

    if (c == NULL)
        return UV_ENOMEM;
    if ((rv = uv_tcp_init(srv->loop, &c->tcp)) != 0) {
        conn_free(c);
        return rv;
    }
    c->tcp.data = c;
    uv_timer_init(srv->loop, &c->timer);
    c->timer.data = c;
    conn_link(srv, c);
    if ((rv = uv_accept((uv_stream_t *)&srv->listener, (uv_stream_t *)&c->tcp)) != 0) {
        nl_conn_close(c);
        return rv;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        char ip[48] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, port);
        c->loopback = addr_is_loopback((const struct sockaddr *)&ss);
    }
    if (!conn_rate_admit(srv, c)) {
        /* Before any TLS or HTTP/2 state: the refusal costs one accept and one close. */
        c->rate_refused = 1;
        nl_conn_close(c);
        return 0;
    }
    if (srv->nconns > 2048) {
        nl_log_warnx("conn=%lu refused: too many connections", c->id);
        nl_conn_close(c);
        return 0;
    }
    if ((rv = nl_h2_session_new(c)) != 0) {
        nl_log_warnx("conn=%lu cannot create the HTTP/2 session: %s", c->id, nghttp2_strerror(rv));
        nl_conn_close(c);
        return 0;
    }
    if (srv->tls != NULL) {
        /* The session's SETTINGS wait in nghttp2 until the handshake selected h2. */
        if ((c->tls = nl_tls_new(srv->tls)) == NULL) {
            nl_log_warnx("conn=%lu cannot set up TLS: out of memory", c->id);
            nl_conn_close(c);
            return 0;
        }
        conn_set_state(c, NL_CONN_TLS);
    }
    nl_log_debug("conn=%lu accepted from %s", c->id, c->peer);
    uv_timer_start(&c->timer, conn_on_timer, srv->cfg.handshake_timeout_ms, 0);
    conn_read_start(c);
    nl_conn_flush(c);
    return 0;
}

int nl_conn_mem_set_peer(struct nl_conn *c, const char *ip, int port)
{
    struct sockaddr_storage ss;

    if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss) != 0)
        return -1;
    snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, port);
    c->loopback = addr_is_loopback((const struct sockaddr *)&ss);
    return 0;
}

struct nl_conn *nl_conn_new_mem(struct nl_server *srv)
{
    struct nl_conn *c = conn_alloc_struct(srv);

    if (c == NULL)
        return NULL;
    c->mem = 1;
    c->timer_closed = 1;
    c->loopback = 1;
    snprintf(c->peer, sizeof(c->peer), "memory");
    conn_link(srv, c);
    if (nl_h2_session_new(c) != 0) {
        nl_conn_mem_free(c);
        return NULL;
    }
    return c;
}

size_t nl_conn_mem_take_output(struct nl_conn *c, uint8_t **out)
{
    size_t len = 0;

    nl_conn_flush(c);
    *out = nl_buf_take(&c->out, &len);
    return len;
}

int nl_conn_mem_closed(const struct nl_conn *c)
{
    return c->state == NL_CONN_CLOSING || conn_done(c);
}

void nl_conn_mem_free(struct nl_conn *c)
{
    struct nl_server *srv = c->srv;

    nl_conn_close(c);
    /* Unlink from the dirty list: a memory connection is freed synchronously. */
    for (struct nl_conn **pp = &srv->dirty; *pp != NULL; pp = &(*pp)->next_dirty) {
        if (*pp == c) {
            *pp = c->next_dirty;
            break;
        }
    }
    nl_server_conn_closed(srv, c);
    conn_free(c);
}
