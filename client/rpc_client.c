/*
 * rpc_client.c - unary gRPC calls over h2c on a private libuv loop.
 *
 * Shape: struct nl_rpc_client owns the loop, two timers (the call deadline
 * and a backoff/grace timer) and at most one live struct rc_conn. A conn owns
 * its uv_tcp_t, its nghttp2 client session and its output buffer; it is freed
 * only in its close callback, after the session is deleted. One call runs at
 * a time: the conn points at it (conn->call) while it is in flight, and every
 * nghttp2 callback finds the call through that pointer and the stream id, so
 * no callback can reach a call that already returned (no stream user data).
 *
 * Rules kept here (PROTOCOL.md §2.2, §10): nghttp2 callbacks only record and
 * submit; mem_recv runs in the read callback and mem_send in conn_flush(),
 * which runs after every mem_recv, after every submit made outside a
 * callback, and from the write callback. At most one uv_write is in flight;
 * its buffer belongs to the write request. A negative mem_recv/mem_send
 * return kills the connection; the call in flight then fails UNAVAILABLE and
 * is retried on a new connection.
 *
 * One monotonic deadline (the deadline timer) covers resolve, connect, every
 * attempt and every backoff. When it fires during a call, the stream is reset
 * with CANCEL and flushed, and the call ends DEADLINE_EXCEEDED.
 *
 * Transport seam: bytes leave through conn_flush() and arrive in on_read().
 * With TLS (tls.c, PROTOCOL.md §5), conn_flush() collects nghttp2's output in
 * conn->plain and encrypts it into conn->out in one SSL_write, and on_read()
 * feeds ciphertext to OpenSSL and the decrypted bytes to mem_recv. The
 * handshake runs inside connect_one() before the session exists: its outcome
 * lives in the client (hs_*), never in the conn, which may be freed by then.
 * A certificate that does not verify, a TLS alert or a server without ALPN h2
 * fails the call UNAVAILABLE without retries: another attempt would only see
 * the same certificate. A handshake cut short by EOF is retried like a refused
 * connect.
 *
 * Credentials: the bearer token is sent as `authorization` on every call,
 * never indexed by HPACK (NGHTTP2_NV_FLAG_NO_INDEX), and never put in a
 * message; the client wipes its copy when freed. Without TLS it goes only to
 * loopback addresses: any other resolved address fails the call before
 * connecting (the server would refuse it there anyway, RELIABILITY.md §5.1).
 */
#include "rpc_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <uv.h>

#include "args.h"
#include "buf.h"
#include "output.h"
#include "tls.h"
#include "wire.h"

#define RC_READ_BUF         (64u * 1024u)
#define RC_OUT_MAX          (16u * 1024u * 1024u)
#define RC_MAX_HEADER_BYTES (64u * 1024u)
#define RC_GRPC_MESSAGE_MAX 4096u
#define RC_CLOSE_GRACE_MS   500
#define RC_STREAM_WINDOW    (1 << 20)
#define RC_CONN_WINDOW      (4 << 20)
#define RC_MAX_ADDRS        8
#define RC_ETLS             1 /* connect_one: the TLS handshake failed; see c->hs_* */
#define RC_TOKEN_MAX        4096
#define RC_MIN_ATTEMPT_MS   250 /* a retry needs this (or 2x the last attempt) left */

struct nl_rpc_client;

/* One attempt of a unary call. Lives on nl_rpc_call()'s stack. */
struct rc_call {
    int32_t stream_id;   /* 0 until submitted */
    const uint8_t *body; /* prefix + packed request; owned by nl_rpc_call */
    size_t body_len;
    size_t body_off; /* bytes handed to nghttp2 */
    int done;        /* no more events wanted: the result can be computed */
    int local;       /* status and msg were decided locally */
    int retryable;   /* set with a local status: worth another attempt */
    int immediate;   /* retry without backoff (never processed by the server) */
    enum nl_status status;
    char msg[NL_RPC_MSG_MAX];
    int http_status;
    int have_grpc_status;
    int grpc_status;
    struct nl_buf grpc_message; /* raw, still percent-encoded; capped */
    int have_pushback;
    long long pushback_ms; /* < 0: the server says do not retry */
    size_t header_bytes;
    int remote_end; /* END_STREAM seen from the server */
    int rst;        /* stream reset before the server ended it */
    uint32_t rst_code;
    struct nl_framer framer;
    uint8_t *resp; /* owned; the first response message */
    size_t resp_len;
    unsigned nmsgs;
    int compressed;
};

struct rc_conn {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    struct nl_rpc_client *client;
    nghttp2_session *session; /* owned; deleted in the close callback */
    int connect_done;
    int connect_status;
    int reading;
    int dead;             /* no more I/O; closing or closed */
    int goaway;           /* the server sent GOAWAY: no new streams here */
    int writing;          /* a uv_write is in flight */
    struct nl_buf out;    /* mem_send output not yet handed to libuv */
    struct rc_call *call; /* borrowed; the call in flight or NULL */
    struct nl_ctls *tls;  /* owned; NULL for h2c */
    int handshaking;      /* TLS handshake started and not finished */
    int got_plain;        /* TLS: application data arrived since the handshake */
    struct nl_buf plain;  /* TLS: mem_send output not yet encrypted */
    uint8_t rbuf[RC_READ_BUF];
};

struct rc_write {
    uv_write_t req; /* first member: the callback casts back */
    struct rc_conn *conn;
    uint8_t *data; /* owned by the request */
};

struct rc_gai {
    uv_getaddrinfo_t req; /* first member */
    struct nl_rpc_client *client;
    int done;
    int status;
    int abandoned; /* the caller gave up; the callback frees everything */
    struct addrinfo *res;
};

struct nl_rpc_client {
    uv_loop_t loop;
    uv_timer_t deadline_timer;
    uv_timer_t wait_timer;
    int wait_fired;
    int expired;         /* the current call's deadline passed */
    uint64_t deadline;   /* monotonic ms (uv_hrtime based) */
    uint64_t timeout_ms; /* of the current call, for messages */
    char host[NL_HOST_MAX];
    unsigned port;
    char authority[NL_HOST_MAX + 16]; /* "host:port" or "[v6]:port" */
    struct rc_conn *conn;             /* the live connection or NULL */
    unsigned live_conns;              /* conns whose handle has not closed yet */
    unsigned gai_pending;             /* abandoned resolves still running */
    uint64_t rng;
    unsigned attempts;
    struct nl_ctls_ctx *tls_ctx; /* owned; NULL for h2c */
    char *auth;                  /* owned: "Bearer <token>", wiped on free; or NULL */
    size_t auth_len;
    /* The outcome of the handshake connect_one() waits for. */
    int hs_done;
    int hs_ok;
    int hs_fatal; /* a TLS failure another attempt would repeat */
    char hs_msg[NL_RPC_MSG_MAX];
};

static char H_METHOD[] = ":method", V_POST[] = "POST", H_SCHEME[] = ":scheme", V_HTTP[] = "http",
            V_HTTPS[] = "https", H_AUTHORIZATION[] = "authorization", H_PATH[] = ":path",
            H_AUTHORITY[] = ":authority", H_TE[] = "te", V_TRAILERS[] = "trailers",
            H_CT[] = "content-type", V_GRPC[] = "application/grpc", H_TIMEOUT[] = "grpc-timeout",
            H_UA[] = "user-agent", V_UA[] = "nhanluc/" NL_VERSION;

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

static uint64_t remaining_ms(const struct nl_rpc_client *c)
{
    uint64_t now = now_ms();
    return c->deadline > now ? c->deadline - now : 0;
}

static uint64_t rng_next(struct nl_rpc_client *c)
{
    /* xorshift64*: plenty for backoff jitter. */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * 0x2545F4914F6CDD1Dull;
}

static void call_init(struct rc_call *call, const uint8_t *body, size_t len)
{
    memset(call, 0, sizeof(*call));
    call->body = body;
    call->body_len = len;
    nl_buf_init(&call->grpc_message, RC_GRPC_MESSAGE_MAX);
    nl_framer_init(&call->framer, NL_WIRE_MAX_MESSAGE);
}

static void call_release(struct rc_call *call)
{
    nl_buf_release(&call->grpc_message);
    nl_framer_release(&call->framer);
    free(call->resp);
    call->resp = NULL;
}

/* Ends the call with a status decided on this side. The first one wins. */
__attribute__((format(printf, 4, 5))) static void
call_end_local(struct rc_call *call, enum nl_status st, int retryable, const char *fmt, ...)
{
    va_list ap;

    if (call->done)
        return;
    call->done = 1;
    call->local = 1;
    call->status = st;
    call->retryable = retryable;
    va_start(ap, fmt);
    vsnprintf(call->msg, sizeof(call->msg), fmt, ap);
    va_end(ap);
}

static void conn_flush(struct rc_conn *cn);

static void on_conn_closed(uv_handle_t *h)
{
    struct rc_conn *cn = h->data;

    if (cn->session != NULL)
        nghttp2_session_del(cn->session);
    nl_ctls_free(cn->tls);
    nl_buf_release(&cn->out);
    nl_buf_release(&cn->plain);
    cn->client->live_conns--;
    free(cn);
}

/* Starts closing the handle; the conn is freed in on_conn_closed. Idempotent. */
static void conn_close(struct rc_conn *cn)
{
    struct nl_rpc_client *c = cn->client;

    if (uv_is_closing((uv_handle_t *)&cn->tcp))
        return;
    cn->dead = 1;
    if (c->conn == cn)
        c->conn = NULL;
    if (cn->reading)
        uv_read_stop((uv_stream_t *)&cn->tcp);
    cn->reading = 0;
    cn->call = NULL;
    uv_close((uv_handle_t *)&cn->tcp, on_conn_closed);
}

/*
 * The connection is unusable: fail the call in flight and close. `fatal`
 * (a TLS failure that would repeat): the call is not retried and `why` is
 * the whole message; otherwise it reads "lost connection to HOST:PORT: why"
 * and is retried. During the handshake the outcome goes to the client.
 */
static void conn_fail_ex(struct rc_conn *cn, int fatal, const char *why)
{
    struct nl_rpc_client *c = cn->client;

    if (cn->dead)
        return;
    if (cn->handshaking) {
        cn->handshaking = 0;
        c->hs_done = 1;
        c->hs_ok = 0;
        c->hs_fatal = fatal;
        snprintf(c->hs_msg, sizeof(c->hs_msg), "%s", why);
    }
    if (cn->call != NULL) {
        if (fatal)
            call_end_local(cn->call, NL_UNAVAILABLE, 0, "%s", why);
        else
            call_end_local(cn->call, NL_UNAVAILABLE, 1, "lost connection to %s: %s", c->authority,
                           why);
    }
    conn_close(cn);
}

static void conn_fail(struct rc_conn *cn, const char *why)
{
    conn_fail_ex(cn, 0, why);
}

static void on_write(uv_write_t *req, int status)
{
    struct rc_write *w = (struct rc_write *)req;
    struct rc_conn *cn = w->conn;

    free(w->data);
    free(w);
    cn->writing = 0;
    if (cn->dead)
        return;
    if (status < 0) {
        conn_fail(cn, uv_strerror(status));
        return;
    }
    conn_flush(cn);
}

/*
 * Pulls everything nghttp2 wants to send (encrypted with TLS; nothing before
 * the session exists) and starts a write if none runs.
 */
static void conn_flush(struct rc_conn *cn)
{
    struct nl_buf *dst = cn->tls != NULL ? &cn->plain : &cn->out;

    if (cn->dead)
        return;
    while (cn->session != NULL) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(cn->session, &data);
        if (n < 0) {
            conn_fail(cn, nghttp2_strerror((int)n));
            return;
        }
        if (n == 0)
            break;
        if (nl_buf_append(dst, data, (size_t)n) != 0) {
            conn_fail(cn, "output buffer full");
            return;
        }
    }
    if (cn->tls != NULL && cn->plain.len > 0) {
        char err[NL_CTLS_ERR_MAX];
        int r = nl_ctls_write(cn->tls, cn->plain.data, cn->plain.len, &cn->out, err, sizeof(err));
        cn->plain.len = 0;
        if (r != 0) {
            conn_fail(cn, err);
            return;
        }
    }
    if (cn->writing || cn->out.len == 0)
        return;
    struct rc_write *w = malloc(sizeof(*w));
    if (w == NULL) {
        conn_fail(cn, "out of memory");
        return;
    }
    size_t len;
    w->conn = cn;
    w->data = nl_buf_take(&cn->out, &len);
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    int r = uv_write(&w->req, (uv_stream_t *)&cn->tcp, &b, 1, on_write);
    if (r < 0) {
        free(w->data);
        free(w);
        conn_fail(cn, uv_strerror(r));
        return;
    }
    cn->writing = 1;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct rc_conn *cn = h->data;

    (void)suggested;
    *b = uv_buf_init((char *)cn->rbuf, sizeof(cn->rbuf));
}

/* Feeds `n` plaintext bytes to the session. Returns 0, or -1 after conn_fail. */
static int session_input(struct rc_conn *cn, const uint8_t *data, size_t n)
{
    ssize_t r = nghttp2_session_mem_recv(cn->session, data, n);

    if (r < 0) {
        /* Fatal: flush what nghttp2 queued (GOAWAY) and never feed it again. */
        if (cn->reading)
            uv_read_stop((uv_stream_t *)&cn->tcp);
        cn->reading = 0;
        conn_flush(cn);
        conn_fail(cn, nghttp2_strerror((int)r));
        return -1;
    }
    return 0;
}

/* Advances the TLS handshake; its end (either way) is recorded in the client. */
static void handshake_step(struct rc_conn *cn)
{
    struct nl_rpc_client *c = cn->client;
    char err[NL_RPC_MSG_MAX];
    enum nl_ctls_result r = nl_ctls_handshake(cn->tls, &cn->out, c->authority, err, sizeof(err));

    if (r == NL_CTLS_AGAIN) {
        conn_flush(cn);
        return;
    }
    if (r == NL_CTLS_DONE) {
        cn->handshaking = 0;
        c->hs_done = 1;
        c->hs_ok = 1;
        conn_flush(cn);
        return;
    }
    conn_flush(cn); /* the alert, if any, goes out first */
    conn_fail_ex(cn, r == NL_CTLS_FATAL, err);
}

/* Decrypts whatever whole records arrived and feeds them to the session. */
static void tls_input(struct rc_conn *cn)
{
    uint8_t plain[16 * 1024];
    char err[NL_RPC_MSG_MAX];

    while (!cn->dead && cn->session != NULL) {
        long n = nl_ctls_read(cn->tls, plain, sizeof(plain), &cn->out, cn->client->authority, err,
                              sizeof(err));
        if (n == 0)
            break;
        if (n < 0) {
            conn_flush(cn);
            conn_fail_ex(cn, n == NL_CTLS_FATAL, err);
            return;
        }
        cn->got_plain = 1;
        if (session_input(cn, plain, (size_t)n) != 0)
            return;
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct rc_conn *cn = s->data;

    (void)b;
    if (nread == 0 || cn->dead)
        return;
    if (nread < 0) {
        if (cn->tls != NULL && !cn->handshaking && !cn->got_plain &&
            nl_ctls_cert_requested(cn->tls)) {
            /* TLS 1.3: the server checks our (missing) certificate after the handshake. */
            char why[NL_RPC_MSG_MAX];
            snprintf(why, sizeof(why),
                     "%s asked for a client certificate and closed the connection without one: "
                     "give --cert and --key",
                     cn->client->authority);
            conn_fail_ex(cn, 1, why);
            return;
        }
        conn_fail(cn,
                  nread == UV_EOF ? "connection closed by the server" : uv_strerror((int)nread));
        return;
    }
    if (cn->tls != NULL) {
        if (nl_ctls_feed(cn->tls, cn->rbuf, (size_t)nread) != 0) {
            conn_fail(cn, "out of memory");
            return;
        }
        if (cn->handshaking) {
            handshake_step(cn);
            return;
        }
        if (cn->session == NULL)
            return; /* kept in the TLS input until the session starts */
        tls_input(cn);
        if (cn->dead)
            return;
    } else if (session_input(cn, cn->rbuf, (size_t)nread) != 0) {
        return;
    }
    conn_flush(cn);
    if (!cn->dead && !nghttp2_session_want_read(cn->session) &&
        !nghttp2_session_want_write(cn->session) && !cn->writing)
        conn_fail(cn, "connection closed by the server");
}

/* Finds the call a stream event belongs to; NULL for anything else. */
static struct rc_call *stream_call(struct rc_conn *cn, int32_t stream_id)
{
    struct rc_call *call = cn->call;

    if (call == NULL || call->stream_id != stream_id || call->done)
        return NULL;
    return call;
}

static int name_is(const uint8_t *name, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(name, s, len) == 0;
}

/* Parses an optionally negative decimal of at most 18 digits. */
static int parse_decimal(const uint8_t *v, size_t len, long long *out)
{
    size_t i = 0;
    int neg = 0;
    long long n = 0;

    if (len > 0 && v[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len || len - i > 18)
        return -1;
    for (; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        n = n * 10 + (v[i] - '0');
    }
    *out = neg ? -n : n;
    return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user_data)
{
    struct rc_conn *cn = user_data;
    struct rc_call *call = stream_call(cn, frame->hd.stream_id);
    long long n;

    (void)session;
    (void)flags;
    if (call == NULL || frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    call->header_bytes += namelen + valuelen + 32;
    if (call->header_bytes > RC_MAX_HEADER_BYTES) {
        call_end_local(call, NL_INTERNAL, 0, "response headers larger than %u bytes",
                       RC_MAX_HEADER_BYTES);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (name_is(name, namelen, ":status")) {
        if (parse_decimal(value, valuelen, &n) == 0 && n >= 100 && n <= 999)
            call->http_status = (int)n;
    } else if (name_is(name, namelen, "grpc-status")) {
        call->have_grpc_status = 1;
        /* gRPC: a status that does not parse is UNKNOWN. */
        if (parse_decimal(value, valuelen, &n) == 0 && n >= 0 && n < NL_STATUS_COUNT)
            call->grpc_status = (int)n;
        else
            call->grpc_status = NL_UNKNOWN;
    } else if (name_is(name, namelen, "grpc-message")) {
        size_t keep = valuelen < RC_GRPC_MESSAGE_MAX ? valuelen : RC_GRPC_MESSAGE_MAX;
        call->grpc_message.len = 0;
        (void)nl_buf_append(&call->grpc_message, value, keep);
    } else if (name_is(name, namelen, "grpc-retry-pushback-ms")) {
        call->have_pushback = 1;
        /* gRFC A6: a value that is not a non-negative integer means stop. */
        call->pushback_ms = parse_decimal(value, valuelen, &n) == 0 ? n : -1;
    }
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *user_data)
{
    struct rc_conn *cn = user_data;
    struct rc_call *call = stream_call(cn, stream_id);

    (void)flags;
    if (call == NULL)
        return 0;
    while (len > 0) {
        size_t used = 0;
        int rc = nl_framer_feed(&call->framer, data, len, &used);
        data += used;
        len -= used;
        if (rc == NL_FRAMER_MSG) {
            size_t mlen;
            int comp;
            uint8_t *m = nl_framer_take(&call->framer, &mlen, &comp);
            call->nmsgs++;
            if (comp)
                call->compressed = 1;
            if (call->resp == NULL) {
                call->resp = m;
                call->resp_len = mlen;
            } else {
                free(m);
            }
        } else if (rc == NL_FRAMER_TOOBIG || rc == NL_FRAMER_NOMEM) {
            if (rc == NL_FRAMER_TOOBIG)
                call_end_local(call, NL_RESOURCE_EXHAUSTED, 0,
                               "response message larger than %u bytes", NL_WIRE_MAX_MESSAGE);
            else
                call_end_local(call, NL_RESOURCE_EXHAUSTED, 0,
                               "out of memory for the response message");
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
            return 0;
        } else {
            break;
        }
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data)
{
    struct rc_conn *cn = user_data;
    struct rc_call *call;

    if (frame->hd.type == NGHTTP2_GOAWAY) {
        cn->goaway = 1;
        return 0;
    }
    call = stream_call(cn, frame->hd.stream_id);
    if (call == NULL)
        return 0;
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        call->remote_end = 1;
        call->done = 1;
        /* The server answered before our request ended: stop sending it. */
        if (!nghttp2_session_get_stream_local_close(session, frame->hd.stream_id))
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                      NGHTTP2_CANCEL);
    }
    return 0;
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
    struct rc_conn *cn = user_data;
    struct rc_call *call = stream_call(cn, stream_id);

    (void)session;
    if (call == NULL)
        return 0;
    if (!call->remote_end && error_code != NGHTTP2_NO_ERROR) {
        call->rst = 1;
        call->rst_code = error_code;
    }
    call->done = 1;
    return 0;
}

static int on_frame_not_send(nghttp2_session *session, const nghttp2_frame *frame,
                             int lib_error_code, void *user_data)
{
    struct rc_conn *cn = user_data;
    struct rc_call *call = stream_call(cn, frame->hd.stream_id);

    (void)session;
    if (call != NULL && frame->hd.type == NGHTTP2_HEADERS) {
        call_end_local(call, NL_UNAVAILABLE, 1, "cannot start the call on %s: %s",
                       cn->client->authority, nghttp2_strerror(lib_error_code));
        call->immediate = 1;
    }
    return 0;
}

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
    struct rc_conn *cn = user_data;
    struct rc_call *call = stream_call(cn, stream_id);

    (void)session;
    (void)source;
    if (call == NULL)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t n = call->body_len - call->body_off;
    if (n > length)
        n = length;
    memcpy(buf, call->body + call->body_off, n);
    call->body_off += n;
    if (call->body_off == call->body_len)
        *data_flags |= NGHTTP2_DATA_FLAG_EOF; /* with END_STREAM */
    return (ssize_t)n;
}

static int conn_start_reading(struct rc_conn *cn)
{
    if (cn->reading)
        return 0;
    (void)uv_tcp_nodelay(&cn->tcp, 1);
    if (uv_read_start((uv_stream_t *)&cn->tcp, on_alloc, on_read) != 0)
        return -1;
    cn->reading = 1;
    return 0;
}

static int conn_start_session(struct rc_conn *cn)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, RC_STREAM_WINDOW},
    };
    int r;

    if (nghttp2_session_callbacks_new(&cbs) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
    r = nghttp2_session_client_new(&cn->session, cbs, cn);
    nghttp2_session_callbacks_del(cbs);
    if (r != 0)
        return -1;
    if (nghttp2_submit_settings(cn->session, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) !=
            0 ||
        nghttp2_session_set_local_window_size(cn->session, NGHTTP2_FLAG_NONE, 0, RC_CONN_WINDOW) !=
            0)
        return -1;
    if (conn_start_reading(cn) != 0)
        return -1;
    conn_flush(cn);
    /* Records that came with the end of the handshake (the server's SETTINGS). */
    if (cn->tls != NULL)
        tls_input(cn);
    if (!cn->dead)
        conn_flush(cn);
    return cn->dead ? -1 : 0;
}

static void on_connect(uv_connect_t *req, int status)
{
    struct rc_conn *cn = req->handle->data;

    cn->connect_done = 1;
    cn->connect_status = status;
}

/*
 * Runs the loop until *flag is set or the deadline passes. Returns 0 when the
 * flag was set, -1 otherwise.
 */
static int run_until(struct nl_rpc_client *c, const int *flag)
{
    while (!*flag && !c->expired) {
        if (uv_run(&c->loop, UV_RUN_ONCE) == 0 && !*flag)
            return -1; /* nothing left that could set it */
    }
    return *flag ? 0 : -1;
}

static void on_gai(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct rc_gai *g = (struct rc_gai *)req;

    if (g->abandoned) {
        if (res != NULL)
            uv_freeaddrinfo(res);
        g->client->gai_pending--;
        free(g);
        return;
    }
    g->done = 1;
    g->status = status;
    g->res = res;
}

/* Fills addrs[] with the server's addresses. Returns the count or a UV error. */
static int resolve(struct nl_rpc_client *c, struct sockaddr_storage *addrs)
{
    struct addrinfo hints;
    char port[8];
    int n = 0;

    memset(addrs, 0, sizeof(*addrs));
    if (uv_ip4_addr(c->host, (int)c->port, (struct sockaddr_in *)addrs) == 0 ||
        uv_ip6_addr(c->host, (int)c->port, (struct sockaddr_in6 *)addrs) == 0)
        return 1;
    struct rc_gai *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return UV_ENOMEM;
    g->client = c;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%u", c->port);
    int r = uv_getaddrinfo(&c->loop, &g->req, on_gai, c->host, port, &hints);
    if (r < 0) {
        free(g);
        return r;
    }
    if (run_until(c, &g->done) != 0) {
        /* Deadline: the resolve may be running in the pool; let it finish alone. */
        g->abandoned = 1;
        c->gai_pending++;
        (void)uv_cancel((uv_req_t *)&g->req);
        return UV_ETIMEDOUT;
    }
    r = g->status;
    for (struct addrinfo *ai = g->res; r == 0 && ai != NULL && n < RC_MAX_ADDRS; ai = ai->ai_next) {
        if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
            ai->ai_addrlen <= sizeof(addrs[n])) {
            memcpy(&addrs[n], ai->ai_addr, ai->ai_addrlen);
            n++;
        }
    }
    if (g->res != NULL)
        uv_freeaddrinfo(g->res);
    free(g);
    if (r < 0)
        return r;
    return n > 0 ? n : UV_EAI_NONAME;
}

/*
 * Runs the TLS handshake on the connected cn. Returns 0, or -1 with the
 * outcome in c->hs_* (cn is then closing), or -2 when the deadline passed.
 */
static int tls_handshake(struct nl_rpc_client *c, struct rc_conn *cn)
{
    c->hs_done = c->hs_ok = c->hs_fatal = 0;
    c->hs_msg[0] = '\0';
    cn->tls = nl_ctls_new(c->tls_ctx, c->host);
    if (cn->tls == NULL) {
        snprintf(c->hs_msg, sizeof(c->hs_msg), "cannot start TLS for '%s'", c->host);
        c->hs_fatal = 1;
        conn_close(cn);
        return -1;
    }
    cn->handshaking = 1;
    if (conn_start_reading(cn) != 0) {
        snprintf(c->hs_msg, sizeof(c->hs_msg), "cannot read from %s", c->authority);
        conn_close(cn);
        return -1;
    }
    handshake_step(cn); /* the ClientHello */
    /* hs_done lives in the client: cn may be freed before the loop returns. */
    if (run_until(c, &c->hs_done) != 0) {
        if (!c->hs_done)
            conn_close(cn);
        if (c->expired)
            return -2;
        if (c->hs_msg[0] == '\0')
            snprintf(c->hs_msg, sizeof(c->hs_msg), "TLS handshake with %s did not finish",
                     c->authority);
        return -1;
    }
    return c->hs_ok ? 0 : -1;
}

/*
 * Connects to one address (and completes the TLS handshake). Returns 0 with
 * c->conn set, a UV error, or RC_ETLS when the handshake failed (c->hs_*).
 */
static int connect_one(struct nl_rpc_client *c, const struct sockaddr *sa)
{
    struct rc_conn *cn = calloc(1, sizeof(*cn));
    int r;

    if (cn == NULL)
        return UV_ENOMEM;
    cn->client = c;
    nl_buf_init(&cn->out, RC_OUT_MAX);
    nl_buf_init(&cn->plain, RC_OUT_MAX);
    r = uv_tcp_init(&c->loop, &cn->tcp);
    if (r < 0) {
        free(cn);
        return r;
    }
    c->live_conns++;
    cn->tcp.data = cn;
    r = uv_tcp_connect(&cn->connect_req, &cn->tcp, sa, on_connect);
    if (r < 0) {
        conn_close(cn);
        return r;
    }
    if (run_until(c, &cn->connect_done) != 0) {
        conn_close(cn); /* the connect callback then sees UV_ECANCELED */
        return UV_ETIMEDOUT;
    }
    if (cn->connect_status < 0) {
        r = cn->connect_status;
        conn_close(cn);
        return r;
    }
    if (c->tls_ctx != NULL) {
        r = tls_handshake(c, cn);
        if (r == -2)
            return UV_ETIMEDOUT;
        if (r != 0)
            return RC_ETLS;
    }
    c->conn = cn;
    if (conn_start_session(cn) != 0) {
        conn_close(cn);
        return UV_ENOMEM;
    }
    return 0;
}

/* 1 when `sa` is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
static int is_loopback(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->ss_family == AF_INET6) {
        const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a, v4mapped, 12) == 0)
            return a[12] == 127;
        for (int i = 0; i < 15; i++)
            if (a[i] != 0)
                return 0;
        return a[15] == 1;
    }
    return 0;
}

/*
 * Makes sure c->conn is a live connection that may start a stream. Returns
 * NL_OK, or ends the call (UNAVAILABLE, retryable; DEADLINE_EXCEEDED).
 */
static enum nl_status ensure_conn(struct nl_rpc_client *c, struct rc_call *call)
{
    struct sockaddr_storage addrs[RC_MAX_ADDRS];
    char dl[32];
    int n, r = UV_ECONNREFUSED;

    /* Pick up what arrived while idle (GOAWAY, EOF) without blocking. */
    if (c->conn != NULL)
        (void)uv_run(&c->loop, UV_RUN_NOWAIT);
    if (c->conn != NULL && (c->conn->dead || c->conn->goaway ||
                            !nghttp2_session_check_request_allowed(c->conn->session)))
        conn_close(c->conn);
    if (c->conn != NULL)
        return NL_OK;

    n = resolve(c, addrs);
    if (c->expired) {
        call_end_local(call, NL_DEADLINE_EXCEEDED, 0, "deadline exceeded after %s",
                       nl_duration_format(c->timeout_ms, dl, sizeof(dl)));
        return call->status;
    }
    if (n < 0) {
        call_end_local(call, NL_UNAVAILABLE, 1, "cannot resolve '%s': %s", c->host, uv_strerror(n));
        return call->status;
    }
    /* A bearer token travels in cleartext to this machine only (RELIABILITY.md §5.1). */
    for (int i = 0; i < n && c->tls_ctx == NULL && c->auth != NULL; i++) {
        if (!is_loopback(&addrs[i])) {
            call_end_local(call, NL_UNAVAILABLE, 0,
                           "not sending the token in cleartext to %s, which is not a loopback "
                           "address: use --tls or https://",
                           c->authority);
            return call->status;
        }
    }
    for (int i = 0; i < n; i++) {
        r = connect_one(c, (const struct sockaddr *)&addrs[i]);
        if (r == 0)
            return NL_OK;
        if (c->expired) {
            call_end_local(call, NL_DEADLINE_EXCEEDED, 0, "deadline exceeded after %s",
                           nl_duration_format(c->timeout_ms, dl, sizeof(dl)));
            return call->status;
        }
        if (r == RC_ETLS && c->hs_fatal) {
            /* The server answered and its certificate or TLS settings are wrong. */
            call_end_local(call, NL_UNAVAILABLE, 0, "%s", c->hs_msg);
            return call->status;
        }
    }
    if (r == RC_ETLS)
        call_end_local(call, NL_UNAVAILABLE, 1, "cannot reach %s: TLS handshake: %s", c->authority,
                       c->hs_msg);
    else
        call_end_local(call, NL_UNAVAILABLE, 1, "cannot reach %s: %s", c->authority,
                       uv_strerror(r));
    return call->status;
}

static void on_deadline(uv_timer_t *t)
{
    struct nl_rpc_client *c = t->data;
    struct rc_conn *cn = c->conn;
    char dl[32];

    c->expired = 1;
    if (cn == NULL || cn->call == NULL || cn->call->done)
        return;
    struct rc_call *call = cn->call;
    call_end_local(call, NL_DEADLINE_EXCEEDED, 0, "deadline exceeded after %s",
                   nl_duration_format(c->timeout_ms, dl, sizeof(dl)));
    if (call->stream_id > 0 && !cn->dead) {
        nghttp2_submit_rst_stream(cn->session, NGHTTP2_FLAG_NONE, call->stream_id, NGHTTP2_CANCEL);
        conn_flush(cn);
    }
}

static void on_wait(uv_timer_t *t)
{
    struct nl_rpc_client *c = t->data;
    c->wait_fired = 1;
}

/* Copies the server's percent-decoded, cleaned message into call->msg. */
static void decode_grpc_message(struct rc_call *call)
{
    struct nl_buf dec;
    char *clean;

    call->msg[0] = '\0';
    if (call->grpc_message.len == 0)
        return;
    nl_buf_init(&dec, RC_GRPC_MESSAGE_MAX);
    if (nl_wire_pct_decode(&dec, (const char *)call->grpc_message.data, call->grpc_message.len) ==
        0) {
        clean = nl_output_clean((const char *)dec.data, dec.len, 0);
        if (clean != NULL) {
            size_t n = strlen(clean);
            if (n >= sizeof(call->msg)) {
                /* Cut on a UTF-8 character boundary. */
                n = sizeof(call->msg) - 1;
                while (n > 0 && ((unsigned char)clean[n] & 0xC0) == 0x80)
                    n--;
            }
            memcpy(call->msg, clean, n);
            call->msg[n] = '\0';
            free(clean);
        }
    }
    nl_buf_release(&dec);
}

static enum nl_status rst_status(uint32_t code)
{
    switch (code) {
    case NGHTTP2_REFUSED_STREAM:
        return NL_UNAVAILABLE;
    case NGHTTP2_CANCEL:
        return NL_CANCELLED;
    case NGHTTP2_ENHANCE_YOUR_CALM:
        return NL_RESOURCE_EXHAUSTED;
    case NGHTTP2_INADEQUATE_SECURITY:
        return NL_PERMISSION_DENIED;
    default:
        return NL_INTERNAL;
    }
}

/* Computes status, message and retryability of a finished attempt. */
static void call_result(struct nl_rpc_client *c, struct rc_call *call)
{
    if (call->local)
        return;
    if (call->have_grpc_status) {
        call->status = (enum nl_status)call->grpc_status;
        decode_grpc_message(call);
        if (call->status == NL_OK) {
            const char *bad = NULL;
            if (nl_framer_partial(&call->framer))
                bad = "server sent a truncated response message";
            else if (call->nmsgs == 0)
                bad = "server sent no response message";
            else if (call->nmsgs > 1)
                bad = "server sent more than one response message";
            else if (call->compressed)
                bad = "server sent a compressed message that was not asked for";
            if (bad != NULL) {
                call->status = NL_INTERNAL;
                snprintf(call->msg, sizeof(call->msg), "%s", bad);
            }
        }
        /*
         * DEADLINE_EXCEEDED from the server while our own deadline still has
         * time left (a server-side limit, a queue that expired the call) is
         * retried like UNAVAILABLE: writes are idempotent (RELIABILITY.md 4).
         */
        call->retryable = call->status == NL_UNAVAILABLE ||
                          (call->status == NL_DEADLINE_EXCEEDED && remaining_ms(c) > 0) ||
                          (call->status == NL_RESOURCE_EXHAUSTED &&
                           !(call->have_pushback && call->pushback_ms < 0));
        if (call->have_pushback && call->pushback_ms < 0)
            call->retryable = 0;
        return;
    }
    if (call->rst && call->rst_code == NGHTTP2_CANCEL && remaining_ms(c) <= 20) {
        /*
         * The server enforces the grpc-timeout we sent, which is whole
         * milliseconds and so may run out a moment before our own timer:
         * its CANCEL at our deadline is the deadline, not a cancellation.
         */
        char dl[32];
        call->status = NL_DEADLINE_EXCEEDED;
        call->retryable = 0;
        snprintf(call->msg, sizeof(call->msg), "deadline exceeded after %s",
                 nl_duration_format(c->timeout_ms, dl, sizeof(dl)));
        return;
    }
    if (call->rst) {
        call->status = rst_status(call->rst_code);
        call->retryable = call->rst_code == NGHTTP2_REFUSED_STREAM;
        call->immediate = call->retryable;
        snprintf(call->msg, sizeof(call->msg), "stream reset by %s: %s", c->authority,
                 nghttp2_http2_strerror(call->rst_code));
        return;
    }
    call->status = nl_status_from_http(call->http_status);
    call->retryable = call->status == NL_UNAVAILABLE;
    if (call->http_status == 0)
        snprintf(call->msg, sizeof(call->msg), "%s ended the call without a response",
                 c->authority);
    else
        snprintf(call->msg, sizeof(call->msg), "%s answered HTTP %d without a gRPC status",
                 c->authority, call->http_status);
}

/* One attempt on the current (or a new) connection; fills call's result. */
static void attempt(struct nl_rpc_client *c, const char *path, struct rc_call *call)
{
    char timeout[16], dl[32];
    char *pathcopy;
    struct rc_conn *cn;

    if (ensure_conn(c, call) != NL_OK)
        return;
    cn = c->conn;
    uint64_t rem = remaining_ms(c);
    if (rem == 0 || c->expired) {
        call_end_local(call, NL_DEADLINE_EXCEEDED, 0, "deadline exceeded after %s",
                       nl_duration_format(c->timeout_ms, dl, sizeof(dl)));
        return;
    }
    nl_wire_timeout_format(rem, timeout);
    pathcopy = strdup(path);
    if (pathcopy == NULL) {
        call_end_local(call, NL_RESOURCE_EXHAUSTED, 0, "out of memory");
        return;
    }
    int tls = c->tls_ctx != NULL;
    nghttp2_nv nva[] = {
        {(uint8_t *)H_METHOD, (uint8_t *)V_POST, sizeof(H_METHOD) - 1, sizeof(V_POST) - 1, 0},
        {(uint8_t *)H_SCHEME, (uint8_t *)(tls ? V_HTTPS : V_HTTP), sizeof(H_SCHEME) - 1,
         tls ? sizeof(V_HTTPS) - 1 : sizeof(V_HTTP) - 1, 0},
        {(uint8_t *)H_PATH, (uint8_t *)pathcopy, sizeof(H_PATH) - 1, strlen(pathcopy), 0},
        {(uint8_t *)H_AUTHORITY, (uint8_t *)c->authority, sizeof(H_AUTHORITY) - 1,
         strlen(c->authority), 0},
        {(uint8_t *)H_TE, (uint8_t *)V_TRAILERS, sizeof(H_TE) - 1, sizeof(V_TRAILERS) - 1, 0},
        {(uint8_t *)H_CT, (uint8_t *)V_GRPC, sizeof(H_CT) - 1, sizeof(V_GRPC) - 1, 0},
        {(uint8_t *)H_TIMEOUT, (uint8_t *)timeout, sizeof(H_TIMEOUT) - 1, strlen(timeout), 0},
        {(uint8_t *)H_UA, (uint8_t *)V_UA, sizeof(H_UA) - 1, sizeof(V_UA) - 1, 0},
        /* Last, and left out without a token; never in the HPACK table. */
        {(uint8_t *)H_AUTHORIZATION, (uint8_t *)c->auth, sizeof(H_AUTHORIZATION) - 1, c->auth_len,
         NGHTTP2_NV_FLAG_NO_INDEX},
    };
    size_t nnv = sizeof(nva) / sizeof(nva[0]) - (c->auth == NULL ? 1 : 0);
    nghttp2_data_provider prd;
    prd.source.ptr = call;
    prd.read_callback = read_body;
    int32_t id = nghttp2_submit_request(cn->session, NULL, nva, nnv, &prd, NULL);
    free(pathcopy); /* nghttp2 copied the header block */
    if (id < 0) {
        conn_close(cn);
        call_end_local(call, NL_UNAVAILABLE, 1, "cannot start the call on %s: %s", c->authority,
                       nghttp2_strerror(id));
        return;
    }
    call->stream_id = id;
    cn->call = call;
    conn_flush(cn);
    if (run_until(c, &call->done) != 0)
        call_end_local(call, NL_DEADLINE_EXCEEDED, 0, "deadline exceeded after %s",
                       nl_duration_format(c->timeout_ms, dl, sizeof(dl)));
    /* cn may be gone (closed and freed); c->conn is only ever a live one. */
    if (c->conn != NULL && c->conn->call == call)
        c->conn->call = NULL;
    call_result(c, call);
}

/* How long to wait before attempt `next` (2..); UINT64_MAX: do not retry. */
static uint64_t retry_wait(struct nl_rpc_client *c, const struct rc_call *call, unsigned next)
{
    if (!call->retryable || next > NL_RPC_MAX_ATTEMPTS || c->expired)
        return UINT64_MAX;
    if (call->immediate)
        return 0;
    if (call->have_pushback && call->pushback_ms >= 0)
        return (uint64_t)call->pushback_ms;
    uint64_t cap = nl_backoff_cap_ms(next - 1);
    return rng_next(c) % (cap + 1);
}

enum nl_status nl_rpc_call(struct nl_rpc_client *c, const char *path, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                           uint64_t timeout_ms, char *msg, size_t msglen)
{
    struct rc_call call;
    enum nl_status st;
    uint8_t *body;
    size_t size = protobuf_c_message_get_packed_size(req);

    *resp = NULL;
    if (msglen > 0)
        msg[0] = '\0';
    c->attempts = 0;
    if (size > NL_WIRE_MAX_MESSAGE) {
        snprintf(msg, msglen, "request message larger than %u bytes", NL_WIRE_MAX_MESSAGE);
        return NL_RESOURCE_EXHAUSTED;
    }
    body = malloc(NL_WIRE_PREFIX_LEN + size);
    if (body == NULL) {
        snprintf(msg, msglen, "out of memory");
        return NL_RESOURCE_EXHAUSTED;
    }
    nl_wire_prefix_encode(body, 0, (uint32_t)size);
    protobuf_c_message_pack(req, body + NL_WIRE_PREFIX_LEN);

    if (timeout_ms == 0)
        timeout_ms = 1;
    c->timeout_ms = timeout_ms;
    c->deadline = now_ms() + timeout_ms;
    c->expired = 0;
    uv_update_time(&c->loop);
    uv_timer_start(&c->deadline_timer, on_deadline, timeout_ms, 0);

    for (;;) {
        call_init(&call, body, NL_WIRE_PREFIX_LEN + size);
        c->attempts++;
        uint64_t started = now_ms();
        attempt(c, path, &call);
        uint64_t wait = retry_wait(c, &call, c->attempts + 1);
        /*
         * Another attempt only when it has time to finish: one that the
         * deadline would cut short turns the real cause (the server hung
         * up, say) into DEADLINE_EXCEEDED and tells the user less.
         */
        uint64_t took = now_ms() - started;
        uint64_t need = 2 * took > RC_MIN_ATTEMPT_MS ? 2 * took : RC_MIN_ATTEMPT_MS;
        if (wait == UINT64_MAX || wait + need > remaining_ms(c))
            break;
        call_release(&call);
        if (wait > 0) {
            c->wait_fired = 0;
            uv_update_time(&c->loop); /* the timer counts from now, not the last loop turn */
            uv_timer_start(&c->wait_timer, on_wait, wait, 0);
            (void)run_until(c, &c->wait_fired);
            uv_timer_stop(&c->wait_timer);
        }
    }
    uv_timer_stop(&c->deadline_timer);

    st = call.status;
    if (st == NL_OK) {
        *resp = protobuf_c_message_unpack(resp_desc, NULL, call.resp_len,
                                          call.resp_len ? call.resp : NULL);
        if (*resp == NULL) {
            st = NL_INTERNAL;
            snprintf(call.msg, sizeof(call.msg), "cannot decode the response message");
        }
    }
    if (st != NL_OK)
        snprintf(msg, msglen, "%s", call.msg[0] ? call.msg : nl_status_name(st));
    call_release(&call);
    free(body);
    return st;
}

unsigned nl_rpc_client_attempts(const struct nl_rpc_client *c)
{
    return c->attempts;
}

/* 0 when `token` may go in a header value: 1..RC_TOKEN_MAX visible ASCII characters. */
static int token_ok(const char *token)
{
    size_t n = strlen(token);

    if (n == 0 || n > RC_TOKEN_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)token[i] < 0x21 || (unsigned char)token[i] > 0x7e)
            return -1;
    return 0;
}

struct nl_rpc_client *nl_rpc_client_new(const char *server)
{
    char err[NL_RPC_MSG_MAX];

    return nl_rpc_client_new_opts(server, NULL, err, sizeof(err));
}

struct nl_rpc_client *nl_rpc_client_new_opts(const char *server, const struct nl_rpc_opts *o,
                                             char *err, size_t errlen)
{
    struct nl_rpc_client *c = calloc(1, sizeof(*c));
    char why[160];

    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (nl_server_parse(server, c->host, &c->port, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad server address '%s': %s", server, why);
        free(c);
        return NULL;
    }
    if (o != NULL && o->token != NULL) {
        if (token_ok(o->token) != 0) {
            snprintf(err, errlen,
                     "the token is not usable: it must be 1 to %d printable ASCII characters "
                     "without spaces",
                     RC_TOKEN_MAX);
            free(c);
            return NULL;
        }
        c->auth_len = strlen("Bearer ") + strlen(o->token);
        c->auth = malloc(c->auth_len + 1);
        if (c->auth == NULL) {
            snprintf(err, errlen, "out of memory");
            free(c);
            return NULL;
        }
        snprintf(c->auth, c->auth_len + 1, "Bearer %s", o->token);
    }
    if (o != NULL && o->tls) {
        struct nl_ctls_config cfg = {o->ca_file, o->cert_file, o->key_file};
        c->tls_ctx = nl_ctls_ctx_new(&cfg, err, errlen);
        if (c->tls_ctx == NULL)
            goto fail;
    }
    if (uv_loop_init(&c->loop) != 0) {
        snprintf(err, errlen, "cannot set up the event loop");
        goto fail;
    }
    if (strchr(c->host, ':') != NULL)
        snprintf(c->authority, sizeof(c->authority), "[%s]:%u", c->host, c->port);
    else
        snprintf(c->authority, sizeof(c->authority), "%s:%u", c->host, c->port);
    uv_timer_init(&c->loop, &c->deadline_timer);
    uv_timer_init(&c->loop, &c->wait_timer);
    c->deadline_timer.data = c;
    c->wait_timer.data = c;
    if (uv_random(NULL, NULL, &c->rng, sizeof(c->rng), 0, NULL) != 0 || c->rng == 0)
        c->rng = uv_hrtime() | 1;
    return c;
fail:
    nl_ctls_ctx_free(c->tls_ctx);
    if (c->auth != NULL) {
        OPENSSL_cleanse(c->auth, c->auth_len);
        free(c->auth);
    }
    free(c);
    return NULL;
}

/* GOAWAY(NO_ERROR), flush and wait (bounded) for the write, then close. */
static void conn_shutdown(struct nl_rpc_client *c)
{
    struct rc_conn *cn = c->conn;

    if (cn == NULL)
        return;
    if (!cn->dead && cn->session != NULL) {
        nghttp2_session_terminate_session(cn->session, NGHTTP2_NO_ERROR);
        conn_flush(cn);
        c->wait_fired = 0;
        uv_update_time(&c->loop);
        uv_timer_start(&c->wait_timer, on_wait, RC_CLOSE_GRACE_MS, 0);
        while (c->conn == cn && cn->writing && !c->wait_fired)
            (void)uv_run(&c->loop, UV_RUN_ONCE);
        uv_timer_stop(&c->wait_timer);
    }
    if (c->conn == cn)
        conn_close(cn);
}

void nl_rpc_client_free(struct nl_rpc_client *c)
{
    if (c == NULL)
        return;
    conn_shutdown(c);
    uv_close((uv_handle_t *)&c->deadline_timer, NULL);
    uv_close((uv_handle_t *)&c->wait_timer, NULL);
    /* Runs until every handle closed and every abandoned resolve returned. */
    (void)uv_run(&c->loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&c->loop);
    nl_ctls_ctx_free(c->tls_ctx);
    if (c->auth != NULL) {
        OPENSSL_cleanse(c->auth, c->auth_len);
        free(c->auth);
    }
    free(c);
}
