/*
 * server_int.h - structures shared by the loop-thread modules of nhanlucd:
 * server.c (listener, drain), conn.c (sockets, buffers, timers), h2.c
 * (nghttp2 callbacks), dispatch.c (checks, jobs, replies), deadline.c.
 *
 * Ownership: the server owns its connections; a connection owns its calls
 * while they are in its session; a call with a job in flight outlives its
 * connection (detached, conn = NULL) and is freed by the job's completion.
 */
#ifndef NL_SERVER_INT_H
#define NL_SERVER_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>
#include <uv.h>

#include "../common/buf.h"
#include "../common/wire.h"
#include "audit_agg.h"
#include "auth.h"
#include "backup.h"
#include "config.h"
#include "job.h"
#include "method.h"
#include "ratelimit.h"
#include "readers.h"
#include "server.h"
#include "tls.h"
#include "writer.h"

enum nl_conn_state {
    NL_CONN_TLS,      /* TLS handshake in progress (TLS listeners only) */
    NL_CONN_PREFACE,  /* waiting for the client preface and first SETTINGS */
    NL_CONN_OPEN,     /* serving */
    NL_CONN_DRAINING, /* GOAWAY sent; finishing streams */
    NL_CONN_CLOSING,  /* uv_close issued or in-memory close; no more I/O */
};

/* One gRPC call = one HTTP/2 stream. Loop thread only. */
struct nl_call {
    struct nl_call *prev, *next; /* in conn->calls while in the session */
    struct nl_conn *conn;        /* NULL once detached from a closed connection */
    int32_t stream_id;
    unsigned long id;

    /* request headers (copied, capped) */
    uint32_t hdr_bytes, hdr_fields;
    const struct nl_method *method; /* from :path; NULL = unknown */
    unsigned bad_path : 1, post : 1, grpc_ct : 1, has_timeout : 1, bad_timeout : 1,
        bad_encoding : 1, saw_path : 1, saw_ct : 1;
    uint64_t timeout_ms;
    /* authorization (auth.h): the parsed Bearer token, wiped once moved into the job or freed */
    unsigned auth_seen : 1, auth_bad : 1;
    struct nl_token token;
    /* charged one token of its identity's rate limit (refunded if the credential is refused) */
    unsigned rate_charged : 1;

    /* request body */
    struct nl_framer framer;
    uint8_t *msg; /* owned; the one request message */
    size_t msg_len;
    unsigned nmsgs;
    unsigned compressed : 1, discard : 1;
    size_t buffered; /* bytes charged to conn->input_bytes */

    /* state */
    unsigned in_session : 1, responded : 1, trailers_sent : 1, remote_closed : 1;
    struct nl_job *job;   /* running job, or NULL */
    uint64_t deadline_ms; /* monotonic; 0 = none */
    uint64_t start_ms;    /* first HEADERS, for the debug log */
    size_t heap_index;    /* position in the deadline heap, SIZE_MAX when not in it */

    /* OK response: prefixed message bytes and how much went out */
    struct nl_buf resp;
    size_t resp_off;
};

struct nl_conn {
    uv_tcp_t tcp; /* embedded; tcp.data = this */
    struct nl_server *srv;
    struct nl_conn *prev, *next; /* in srv->conns */
    nghttp2_session *h2;
    enum nl_conn_state state;
    unsigned long id;
    unsigned mem : 1, fatal : 1, reading : 1, dirty : 1, goaway_final : 1, timer_closed : 1;
    struct nl_call *calls;
    unsigned ncalls;
    uv_timer_t timer;   /* handshake, then idle */
    struct nl_buf out;  /* bytes pulled from nghttp2, not yet handed to libuv */
    struct nl_buf wbuf; /* bytes of the write in flight */
    uv_write_t wreq;
    unsigned writing : 1;
    size_t input_bytes; /* request bytes buffered in calls */
    struct nl_conn *next_dirty;
    uint64_t abuse_window_start;
    unsigned abuse_events;
    uint64_t idle_ping_ms;  /* when the last PING without active streams came */
    unsigned ping_strikes;  /* idle PINGs closer than 30 s apart */
    uint64_t write_started; /* when the write in flight started (stall detection) */
    char peer[64];
    /* The peer's address is a loopback one (127/8, ::1, ::ffff:127/104); memory connections too. */
    unsigned loopback : 1;
    /* Refused by the per-address connection rate: closed with a reset, nothing sent. */
    unsigned rate_refused : 1;
    /*
     * The verified TLS client certificate (issue 5), set by the TLS layer once
     * the handshake is done; both "" without TLS or without a certificate.
     * cert_unit is the unit of its urn:nhanluc:unit:UNIT name (deploy/certs.sh).
     */
    char cert_fp[65]; /* SHA-256 of the DER certificate, lower-case hex */
    char cert_unit[65];
    /*
     * TLS (tls.h), NULL on h2c: `out` then holds ciphertext, so back-pressure
     * counts what goes on the wire. nghttp2 output is pulled only once
     * tls_ready (handshake done, ALPN h2). tls_failed: no more SSL calls.
     */
    struct nl_tls *tls;
    unsigned tls_ready : 1, tls_failed : 1, tls_bye : 1;
};

/* A binary min-heap of calls by deadline, one uv_timer armed at the earliest. */
struct nl_deadlines {
    struct nl_call **v;
    size_t n, cap;
    uv_timer_t timer;
};

struct nl_server {
    uv_loop_t *loop;
    struct nl_config cfg;
    uv_tcp_t listener;
    unsigned listening : 1, draining : 1, forced : 1, closing : 1;
    unsigned io_exit : 1; /* draining after a database I/O error: exit 75 */
    struct nl_conn *conns;
    unsigned nconns;
    struct nl_conn *dirty; /* connections to flush at the end of this loop turn */
    uv_check_t check;
    uv_timer_t goaway_timer, drain_timer, sweep_timer;
    struct nl_deadlines deadlines;
    struct nl_readers *readers;
    struct nl_writer *writer;
    struct nl_store *inline_store;
    unsigned long next_conn_id, next_call_id;
    unsigned jobs_in_flight;
    uint64_t calls_by_status[NL_STATUS_COUNT];
    size_t input_bytes; /* request bytes buffered in calls, all connections */
    uint64_t http_rejects;
    uint64_t te_missing;
    struct nl_lockout lockout; /* failed authentications per peer address (auth.h) */
    /*
     * Rate limits (ratelimit.h, RELIABILITY.md 5.4): new connections per
     * source address (conn.c, at accept), and calls per verified token id
     * (dispatch.c: charged at the end of the headers, learnt from completed
     * jobs). The counts are for the exit line.
     */
    struct nl_rate_table conn_rate;
    struct nl_rate_table call_rate;
    uint64_t conn_rate_refused, call_rate_refused;
    struct nl_tls_ctx *tls;                           /* NULL: h2c */
    uint64_t tls_handshakes, tls_failures, tls_no_h2; /* done, failed, closed for lack of h2 */
    struct nl_audit_agg *denials; /* refused calls aggregated for the audit (NULL: no writer) */
    int db_lock;      /* nl_backup_lock_db's descriptor, -1 for none (in-memory servers) */
    unsigned started; /* listening succeeded: a shutdown backup is worth taking */
    /* Backups (backup_sched.c); `on` = 0 with backup-dir = off and for in-memory servers. */
    struct {
        unsigned on : 1, handles : 1, running : 1;
        struct nl_backup_conf conf;
        uv_timer_t timer; /* every backup_interval_s (unreferenced) */
        uv_async_t async; /* the backup thread finished (unreferenced) */
        uv_thread_t thread;
        atomic_int cancel; /* set to stop a running backup (forced stop) */
        /* written by the backup thread, read on the loop after the join */
        int rv, pruned;
        struct nl_backup_info info;
        char err[512];
    } backup;
};

/* conn.c */
int nl_conn_accept(struct nl_server *srv);
/*
 * Logs, one WARN line per address, the connections refused by the
 * connection rate since that address's last line, for addresses whose last
 * line is at least a minute old (all of them when all != 0). From the sweep
 * timer, and with all = 1 when the server is freed.
 */
void nl_conn_rate_log_flush(struct nl_server *srv, int all);
/* 1 when the rate limits apply to this peer: not loopback, or rate-limit-loopback set. */
int nl_conn_rate_limited(const struct nl_conn *c);
void nl_conn_mark_dirty(struct nl_conn *c);
void nl_conn_flush(struct nl_conn *c);
void nl_conn_close(struct nl_conn *c);
void nl_conn_misbehaved(struct nl_conn *c, const char *what);
void nl_conn_streams_changed(struct nl_conn *c);
/* 1 when a write has been in flight longer than cfg.write_stall_ms. */
int nl_conn_write_stalled(const struct nl_conn *c, uint64_t now);

/* h2.c */
int nl_h2_session_new(struct nl_conn *c);
/* Sets the request bytes `call` holds to `bytes`, adjusting the connection and server totals. */
void nl_call_charge(struct nl_call *call, size_t bytes);
void nl_call_free(struct nl_call *call);

/* dispatch.c */
void nl_dispatch_headers_done(struct nl_call *call);
/* Records an `authorization` request header (h2.c on_header); never logs the value. */
void nl_dispatch_authorization(struct nl_call *call, const uint8_t *value, size_t len);
void nl_dispatch_end_stream(struct nl_call *call);
void nl_dispatch_complete(struct nl_server *srv, struct nl_job *job);
void nl_dispatch_trailers_only(struct nl_call *call, enum nl_status st, const char *msg);
void nl_dispatch_http_error(struct nl_call *call, int http_status);
void nl_dispatch_reset(struct nl_call *call, uint32_t h2_error, enum nl_status counted);
void nl_dispatch_count(struct nl_server *srv, enum nl_status st);

/*
 * backup_sched.c: the server's backups. init (in nl_server_new, before the
 * store opens) takes the database lock and starts the timer; close (when the
 * drain finishes) stops the timer and waits for a running backup; final (in
 * nl_server_free, once the writer stopped and checkpointed) takes the
 * shutdown backup unless the server stops for an I/O error, and drops the
 * lock. init returns 0 or -1 with a reason in err.
 */
int nl_backup_sched_init(struct nl_server *srv, char *err, size_t errlen);
void nl_backup_sched_close(struct nl_server *srv);
void nl_backup_sched_final(struct nl_server *srv);

/*
 * Closes the denial windows that ended by now (all of them when all != 0)
 * and queues their summaries to the writer (audit_agg.h). dispatch.c.
 */
void nl_dispatch_audit_flush(struct nl_server *srv, int all);

/* deadline.c */
int nl_deadlines_init(struct nl_server *srv);
void nl_deadlines_close(struct nl_server *srv);
int nl_deadlines_add(struct nl_server *srv, struct nl_call *call, uint64_t deadline_ms);
void nl_deadlines_remove(struct nl_server *srv, struct nl_call *call);

/* server.c */
void nl_server_conn_closed(struct nl_server *srv, struct nl_conn *c);
void nl_server_maybe_finish(struct nl_server *srv);

#endif
