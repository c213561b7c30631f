/*
 * dispatch.c - from a complete request to a job, and from a finished job to
 * the response frames.
 *
 * Generic checks run here before any handler, in the order of PROTOCOL.md
 * section 4: method, content-type and path at the end of the headers (so a
 * call that is refused never has its body buffered), then at END_STREAM the
 * message count, and only then is a job made. No database work starts before
 * END_STREAM. Non-OK answers are Trailers-Only: one HEADERS frame with
 * END_STREAM carrying :status 200, content-type, grpc-status and
 * grpc-message. OK answers are HEADERS, one DATA, and trailers submitted from
 * the data provider at EOF (PROTOCOL.md rule 2.2.3).
 *
 * Authentication (`auth = required`, RELIABILITY.md 5.1 and 5.4): at the end
 * of the headers a non-public call from a locked-out address answers
 * RESOURCE_EXHAUSTED with grpc-retry-pushback-ms, and one without a
 * well-formed `authorization: Bearer` token UNAUTHENTICATED, before any body
 * is buffered. A well-formed token travels in the job and is verified
 * against the store by nl_job_run on the job's thread (auth.h), so the loop
 * never touches SQLite; refusals come back here and count against the
 * peer's address. The header value is never logged or echoed.
 *
 * Rate limits per identity (RELIABILITY.md 5.4, ratelimit.h): a token's
 * role is known only once a job verified it, so nl_dispatch_complete learns
 * (token id -> the role's rate and burst) from each job whose credential was
 * accepted, and auth_precheck charges the later calls of that token id at
 * the end of their headers, on the loop thread, before any job exists: a
 * call over the limit costs the pool nothing. It is answered
 * RESOURCE_EXHAUSTED with grpc-retry-pushback-ms = the wait until the
 * bucket holds a token again. Admin tokens are never limited; with `auth =
 * off` there is no identity and no limit; loopback peers only with
 * rate-limit-loopback. A charged call whose credential the job refuses gets
 * its token back.
 *
 * The audit trail (audit.h): refusals answered here, and reads of
 * person-level records or refused reads coming back from the pool, are
 * queued to the writer as audit entries; write jobs are audited by the
 * writer itself, in their own transaction. A write (or a person-level read)
 * refused RESOURCE_EXHAUSTED because its queue is full is audited here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "auth.h"
#include "server_int.h"
#include "store.h"

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(uintptr_t)(n), (uint8_t *)(uintptr_t)(v), sizeof(n) - 1, sizeof(v) - 1,        \
            NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE                           \
    }

/* Status codes as decimal strings without leading zeros, as grpc-status wants. */
static const char *const status_text[NL_STATUS_COUNT] = {
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
};

void nl_dispatch_count(struct nl_server *srv, enum nl_status st)
{
    if ((unsigned)st < NL_STATUS_COUNT)
        srv->calls_by_status[st]++;
}

/* One debug line per answered call: ids, method, status, time. Never field values. */
static void call_log(const struct nl_call *call, enum nl_status st)
{
    if (!nl_log_enabled(NL_LOG_DEBUG) || call->conn == NULL)
        return;
    nl_log(NL_LOG_DEBUG, "conn=%lu call=%lu %s %s %llu ms", call->conn->id, call->id,
           call->method != NULL ? call->method->path : "(unknown method)", nl_status_name(st),
           (unsigned long long)(nl_now_ms() - call->start_ms));
}

static nghttp2_nv nv_make(const char *name, const char *value, size_t vlen)
{
    nghttp2_nv nv = {(uint8_t *)(uintptr_t)name, (uint8_t *)(uintptr_t)value, strlen(name), vlen,
                     NGHTTP2_NV_FLAG_NO_COPY_NAME};
    return nv;
}

/* Trailers-Only; pushback_ms >= 0 adds grpc-retry-pushback-ms (PROTOCOL.md 1.5). */
static void trailers_only(struct nl_call *call, enum nl_status st, const char *msg,
                          int64_t pushback_ms)
{
    struct nl_conn *c = call->conn;
    struct nl_buf enc;
    char pushback[24];
    nghttp2_nv nv[7] = {
        NV(":status", "200"),
        NV("content-type", "application/grpc"),
    };
    size_t n = 2;

    if (c == NULL || call->responded || c->h2 == NULL)
        return;
    nv[n++] = nv_make("grpc-status", status_text[st], strlen(status_text[st]));
    nl_buf_init(&enc, 1024);
    if (msg != NULL && msg[0] != '\0' && nl_wire_pct_encode(&enc, msg, strlen(msg)) == 0)
        nv[n++] = nv_make("grpc-message", (const char *)enc.data, enc.len);
    if (st == NL_UNIMPLEMENTED && (call->bad_encoding || call->compressed))
        nv[n++] = nv_make("grpc-accept-encoding", "identity", 8);
    if (pushback_ms >= 0) {
        int len = snprintf(pushback, sizeof(pushback), "%lld", (long long)pushback_ms);
        nv[n++] = nv_make("grpc-retry-pushback-ms", pushback, (size_t)len);
    }
    /* Values are copied by nghttp2 (no NO_COPY_VALUE on the dynamic ones). */
    int rv = nghttp2_submit_response(c->h2, call->stream_id, nv, n, NULL);
    nl_buf_release(&enc);
    if (rv != 0) {
        nl_log_warnx("conn=%lu call=%lu cannot submit a response: %s", c->id, call->id,
                     nghttp2_strerror(rv));
        nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, call->stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
    }
    call->responded = 1;
    nl_deadlines_remove(c->srv, call);
    nl_dispatch_count(c->srv, st);
    call_log(call, st);
    nl_conn_mark_dirty(c);
}

void nl_dispatch_trailers_only(struct nl_call *call, enum nl_status st, const char *msg)
{
    trailers_only(call, st, msg, -1);
}

/* Queues the audit entry of a call answered on the loop thread (nl_writer_audit). */
static void audit_call(struct nl_server *srv, const char *path, const struct nl_identity *who,
                       const char *keys, enum nl_status st)
{
    struct nl_audit_item *it;

    if (srv->writer == NULL)
        return; /* in-process test servers have no writer thread */
    it = malloc(sizeof(*it));
    if (it == NULL) {
        nl_log_error("audit: out of memory: the entry of a %s call is lost", path);
        return;
    }
    nl_audit_item_fill(it, path, who, keys, st);
    /* A flood of refusals is counted, not written one by one (audit_agg.h). */
    if (srv->denials != NULL && nl_audit_agg_applies(st) &&
        !nl_audit_agg_admit(srv->denials, it, nl_now_ms())) {
        free(it);
        return;
    }
    nl_writer_audit(srv->writer, it);
}

static void audit_emit(void *ud, struct nl_audit_item *it)
{
    nl_writer_audit(ud, it);
}

void nl_dispatch_audit_flush(struct nl_server *srv, int all)
{
    if (srv->denials != NULL && srv->writer != NULL)
        nl_audit_agg_flush(srv->denials, nl_now_ms(), all, audit_emit, srv->writer);
}

/* The audit entry of a call refused at the end of its headers (no job, no request read). */
static void audit_refusal(struct nl_call *call, enum nl_status st)
{
    struct nl_conn *c = call->conn;
    struct nl_identity who;

    memset(&who, 0, sizeof(who));
    (void)snprintf(who.peer, sizeof(who.peer), "%s", c->peer);
    (void)snprintf(who.cert_fp, sizeof(who.cert_fp), "%s", c->cert_fp);
    if (call->auth_seen && !call->auth_bad)
        (void)snprintf(who.token_id, sizeof(who.token_id), "%s", call->token.id);
    audit_call(c->srv, call->method->path, &who, "", st);
}

/*
 * The audit entry of a job refused before it was queued (its queue full):
 * the connection's peer and certificate, the presented token's public id
 * (not verified, so no role), no record keys (the request was not read).
 */
static void audit_unqueued(struct nl_server *srv, const struct nl_job *job, enum nl_status st)
{
    struct nl_identity who;

    memset(&who, 0, sizeof(who));
    (void)snprintf(who.peer, sizeof(who.peer), "%s", job->who.peer);
    (void)snprintf(who.cert_fp, sizeof(who.cert_fp), "%s", job->who.cert_fp);
    if (job->auth)
        (void)snprintf(who.token_id, sizeof(who.token_id), "%s", job->token.id);
    audit_call(srv, job->method->path, &who, "", st);
}

static int auth_required(const struct nl_server *srv)
{
    return strcmp(srv->cfg.auth, "required") == 0;
}

void nl_dispatch_authorization(struct nl_call *call, const uint8_t *value, size_t len)
{
    if (!auth_required(call->conn->srv))
        return; /* `auth = off`: a credential is never looked at, so not even parsed */
    if (call->auth_seen) {
        call->auth_bad = 1; /* two credentials: which one would be meant? */
        nl_token_wipe(&call->token);
        return;
    }
    call->auth_seen = 1;
    if (nl_auth_bearer_parse((const char *)value, len, &call->token) != NL_AUTH_HDR_OK)
        call->auth_bad = 1;
}

/* Counts a failed authentication from `peer`; logs when it locks the address out. */
static void auth_failed(struct nl_server *srv, const char *peer, unsigned long conn_id,
                        unsigned long call_id, const char *why, const char *token_id)
{
    char addr[NL_LOCKOUT_ADDR_LEN];

    nl_lockout_addr(peer, addr, sizeof(addr));
    nl_log_info("conn=%lu call=%lu authentication failed from %s: %s%s%s", conn_id, call_id, addr,
                why, token_id[0] != '\0' ? ", token id " : "", token_id);
    if (nl_lockout_fail(&srv->lockout, addr, nl_now_ms()))
        nl_log_warnx("%s locked out for %u s after %u failed authentications", addr,
                     NL_LOCKOUT_MS / 1000u, NL_LOCKOUT_FAILURES);
}

/* The rate and burst of a verified role's calls (cfg); rate 0 = unlimited (admin, or off). */
static void role_rate(const struct nl_config *cfg, int role, uint32_t *rate, uint32_t *burst)
{
    *rate = 0;
    *burst = 0;
    if (role == NL_ROLE_DISTRICT) {
        *rate = cfg->rate_district;
        *burst = cfg->rate_district_burst;
    } else if (role == NL_ROLE_CENTRAL) {
        *rate = cfg->rate_central;
        *burst = cfg->rate_central_burst;
    }
}

/*
 * The per-identity rate limit of a call whose well-formed credential is
 * about to travel in a job: charges one token of its id's bucket when the
 * id has one (ratelimit.h). Returns 0 when the call goes on, or -1 after
 * answering it RESOURCE_EXHAUSTED with the pushback.
 */
static int rate_precheck(struct nl_call *call)
{
    struct nl_conn *c = call->conn;
    struct nl_server *srv = c->srv;
    char msg[128];
    uint64_t wait;
    uint32_t rate;

    if ((srv->cfg.rate_district == 0 && srv->cfg.rate_central == 0) || !nl_conn_rate_limited(c))
        return 0;
    switch (nl_rate_take(&srv->call_rate, call->token.id, nl_now_ms(), &wait, &rate)) {
    case NL_RATE_UNTRACKED:
        return 0;
    case NL_RATE_PASSED:
        call->rate_charged = 1;
        return 0;
    case NL_RATE_REFUSED:
        break;
    }
    srv->call_rate_refused++;
    audit_refusal(call, NL_RESOURCE_EXHAUSTED);
    nl_log_debug("conn=%lu call=%lu token id %s over its rate limit (%u calls/s)", c->id, call->id,
                 call->token.id, rate);
    nl_token_wipe(&call->token);
    (void)snprintf(msg, sizeof(msg),
                   "rate limit of this credential exceeded (%u calls/s), retry in %llu ms", rate,
                   (unsigned long long)wait);
    trailers_only(call, NL_RESOURCE_EXHAUSTED, msg, (int64_t)wait);
    return -1;
}

/*
 * What a finished job teaches the identity rate limit: the rate of a token
 * it verified, or the token back when it refused the credential of a call
 * charged for it.
 */
static void rate_learn(struct nl_server *srv, const struct nl_job *job, const struct nl_call *call)
{
    uint32_t rate, burst;

    if (!job->auth || job->who.token_id[0] == '\0')
        return; /* no credential, or the job never got to check it (cancelled first) */
    if (job->auth_failed) {
        if (call != NULL && call->rate_charged)
            nl_rate_refund(&srv->call_rate, job->who.token_id, nl_now_ms());
        return;
    }
    if (job->who.role == 0)
        return; /* the store could not answer: nothing learnt */
    role_rate(&srv->cfg, job->who.role, &rate, &burst);
    if (rate == 0)
        return; /* admin, or that role's limit is off: a token's role never changes, no slot */
    nl_rate_learn(&srv->call_rate, job->who.token_id, rate, burst, nl_now_ms());
}

/*
 * The loop-thread part of authentication at the end of the headers.
 * Returns 0 when the call goes on (its token is verified later, in the job),
 * or -1 after answering it.
 */
static int auth_precheck(struct nl_call *call)
{
    struct nl_conn *c = call->conn;
    char addr[NL_LOCKOUT_ADDR_LEN];
    uint64_t left;

    if (!auth_required(c->srv) || (call->method->flags & NL_M_PUBLIC))
        return 0;
    nl_lockout_addr(c->peer, addr, sizeof(addr));
    left = nl_lockout_remaining(&c->srv->lockout, addr, nl_now_ms());
    if (left > 0) {
        audit_refusal(call, NL_RESOURCE_EXHAUSTED);
        nl_token_wipe(&call->token);
        trailers_only(call, NL_RESOURCE_EXHAUSTED,
                      "too many failed authentications from this address, retry later",
                      (int64_t)left);
        return -1;
    }
    if (!call->auth_seen) {
        /* Not counted as a failure: nothing was guessed. */
        audit_refusal(call, NL_UNAUTHENTICATED);
        trailers_only(call, NL_UNAUTHENTICATED,
                      "this method needs a credential: authorization: Bearer <token>", -1);
        return -1;
    }
    if (call->auth_bad) {
        audit_refusal(call, NL_UNAUTHENTICATED);
        nl_token_wipe(&call->token);
        auth_failed(c->srv, c->peer, c->id, call->id, "malformed credential", "");
        trailers_only(call, NL_UNAUTHENTICATED,
                      "malformed credential: expected authorization: Bearer nl_<id>_<secret>", -1);
        return -1;
    }
    if (c->tls == NULL && !c->loopback) {
        /*
         * RELIABILITY.md 5.1: bearer tokens over TLS, on h2c only from
         * loopback (an --insecure-listen server). The token crossed the
         * network in clear: refused whatever it is, and the operator told.
         */
        audit_refusal(call, NL_UNAUTHENTICATED);
        nl_log_warnx("conn=%lu call=%lu token id %s sent without TLS from %s: refused; "
                     "revoke it if the network is not trusted",
                     c->id, call->id, call->token.id, c->peer);
        nl_token_wipe(&call->token);
        trailers_only(call, NL_UNAUTHENTICATED,
                      "credentials are accepted over TLS only (this connection is cleartext and "
                      "not from loopback)",
                      -1);
        return -1;
    }
    return rate_precheck(call);
}

void nl_dispatch_http_error(struct nl_call *call, int http_status)
{
    struct nl_conn *c = call->conn;
    nghttp2_nv nv405[] = {NV(":status", "405")};
    nghttp2_nv nv415[] = {NV(":status", "415")};

    if (c == NULL || call->responded)
        return;
    nghttp2_submit_response(c->h2, call->stream_id, http_status == 405 ? nv405 : nv415, 1, NULL);
    call->responded = 1;
    nl_deadlines_remove(c->srv, call);
    c->srv->http_rejects++;
    nl_conn_mark_dirty(c);
}

void nl_dispatch_reset(struct nl_call *call, uint32_t h2_error, enum nl_status counted)
{
    struct nl_conn *c = call->conn;

    if (c == NULL)
        return;
    if (call->job != NULL)
        atomic_store(&call->job->cancel, 1);
    nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, call->stream_id, h2_error);
    if (!call->responded) {
        call->responded = 1;
        nl_dispatch_count(c->srv, counted);
        call_log(call, counted);
    }
    nl_deadlines_remove(c->srv, call);
    nl_conn_mark_dirty(c);
}

void nl_dispatch_headers_done(struct nl_call *call)
{
    struct nl_server *srv = call->conn->srv;
    uint64_t timeout;

    if (call->responded)
        return;
    if (!call->post) {
        nl_dispatch_http_error(call, 405);
        return;
    }
    if (!call->grpc_ct) {
        nl_dispatch_http_error(call, 415);
        return;
    }
    if (call->method == NULL) {
        nl_dispatch_trailers_only(call, NL_UNIMPLEMENTED, "unknown method");
        return;
    }
    if (call->bad_timeout) {
        nl_dispatch_trailers_only(call, NL_INTERNAL, "malformed grpc-timeout");
        return;
    }
    if (call->bad_encoding) {
        nl_dispatch_trailers_only(call, NL_UNIMPLEMENTED, "message compression is not supported");
        return;
    }
    if (auth_precheck(call) != 0)
        return;
    if (call->has_timeout) {
        if (call->timeout_ms == 0) {
            nl_dispatch_trailers_only(call, NL_DEADLINE_EXCEEDED, "deadline exceeded");
            return;
        }
        timeout = call->timeout_ms < srv->cfg.max_deadline_ms ? call->timeout_ms
                                                              : srv->cfg.max_deadline_ms;
    } else {
        timeout = (call->method->flags & NL_M_WRITE) ? srv->cfg.write_deadline_ms
                                                     : srv->cfg.read_deadline_ms;
    }
    nl_deadlines_remove(srv, call);
    nl_deadlines_add(srv, call, nl_now_ms() + timeout);
}

/* Runs a job on the loop thread against the test store (tests and fuzzing only). */
static void run_inline_store(struct nl_server *srv, struct nl_job *job)
{
    struct nl_store *st = srv->inline_store;

    if (job->method->flags & NL_M_WRITE) {
        if (nl_store_begin_write(st) != NL_OK) {
            job->status = NL_UNAVAILABLE;
            snprintf(job->msg, sizeof(job->msg), "database busy");
            return;
        }
        nl_job_run(job, st);
        if (job->status == NL_OK ? nl_store_commit(st) != NL_OK : nl_store_rollback(st) != NL_OK) {
            nl_store_rollback(st);
            job->status = NL_UNAVAILABLE;
            snprintf(job->msg, sizeof(job->msg), "commit failed");
        }
    } else {
        if (nl_store_begin_read(st) != NL_OK) {
            job->status = NL_UNAVAILABLE;
            snprintf(job->msg, sizeof(job->msg), "database busy");
            return;
        }
        nl_job_run(job, st);
        nl_store_end_read(st);
    }
}

void nl_dispatch_end_stream(struct nl_call *call)
{
    struct nl_conn *c = call->conn;
    struct nl_server *srv = c->srv;

    if (call->responded)
        return;
    if (call->method == NULL) {
        /* Headers never completed properly (e.g. END_STREAM on a HEADERS without :path). */
        nl_dispatch_trailers_only(call, NL_UNIMPLEMENTED, "unknown method");
        return;
    }
    if (nl_framer_partial(&call->framer)) {
        nl_dispatch_trailers_only(call, NL_INTERNAL, "incomplete request message");
        return;
    }
    if (call->nmsgs != 1) {
        nl_dispatch_trailers_only(call, NL_UNIMPLEMENTED,
                                  "a unary call takes exactly one request message");
        return;
    }
    if (call->compressed) {
        nl_dispatch_trailers_only(call, NL_UNIMPLEMENTED, "message compression is not supported");
        return;
    }

    uint8_t *msg = call->msg;
    size_t len = call->msg_len;
    call->msg = NULL;
    call->msg_len = 0;
    nl_call_charge(call, 0);
    struct nl_job *job = nl_job_new(call->method, msg, len, call->deadline_ms);
    if (job == NULL) {
        nl_dispatch_trailers_only(call, NL_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    job->owner = call;
    job->conn_id = c->id;
    job->call_id = call->id;
    (void)snprintf(job->who.peer, sizeof(job->who.peer), "%s", c->peer);
    (void)snprintf(job->who.cert_fp, sizeof(job->who.cert_fp), "%s", c->cert_fp);
    if (auth_required(srv) && !(call->method->flags & NL_M_PUBLIC)) {
        job->auth = 1;
        job->token = call->token;
        (void)snprintf(job->cert_unit, sizeof(job->cert_unit), "%s", c->cert_unit);
    }
    nl_token_wipe(&call->token);
    call->job = job;
    srv->jobs_in_flight++;
    nl_log_debug("conn=%lu call=%lu %s dispatched", c->id, call->id, call->method->path);

    unsigned flags = call->method->flags;
    if (flags & NL_M_INLINE) {
        nl_job_run(job, NULL);
        nl_dispatch_complete(srv, job);
        return;
    }
    if (srv->inline_store != NULL) {
        run_inline_store(srv, job);
        nl_dispatch_complete(srv, job);
        return;
    }
    int rv = (flags & NL_M_WRITE) ? nl_writer_submit(srv->writer, job)
                                  : nl_readers_submit(srv->readers, job);
    if (rv != 0) {
        call->job = NULL;
        srv->jobs_in_flight--;
        if ((flags & NL_M_WRITE) || nl_audit_wanted(job->method, NL_RESOURCE_EXHAUSTED))
            audit_unqueued(srv, job, NL_RESOURCE_EXHAUSTED);
        nl_job_free(job);
        nl_dispatch_trailers_only(call, NL_RESOURCE_EXHAUSTED, "server busy, retry later");
    }
}

/* Data provider: the prefixed message, then trailers at EOF (rule 2.2.3). */
static ssize_t resp_read(nghttp2_session *s, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *ud)
{
    struct nl_call *call = source->ptr;
    nghttp2_nv trailers[] = {NV("grpc-status", "0")};
    size_t left = call->resp.len - call->resp_off;
    size_t n = left < length ? left : length;

    (void)ud;
    memcpy(buf, call->resp.data + call->resp_off, n);
    call->resp_off += n;
    if (call->resp_off == call->resp.len) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        if (nghttp2_submit_trailer(s, stream_id, trailers, 1) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        call->trailers_sent = 1;
    }
    return (ssize_t)n;
}

void nl_dispatch_complete(struct nl_server *srv, struct nl_job *job)
{
    struct nl_call *call = job->owner;
    static const nghttp2_nv hdrs[] = {NV(":status", "200"), NV("content-type", "application/grpc")};

    srv->jobs_in_flight--;
    rate_learn(srv, job, call);
    if (!(job->method->flags & NL_M_WRITE) && nl_audit_wanted(job->method, job->status))
        audit_call(srv, job->method->path, &job->who, job->audit_keys, job->status);
    if (job->auth_failed)
        auth_failed(srv, job->who.peer, job->conn_id, job->call_id,
                    job->auth_verdict == NL_TOKEN_VALID ? "certificate of another unit"
                                                        : nl_token_verdict_name(job->auth_verdict),
                    job->who.token_id);
    if (job->status == NL_DATA_LOSS && nl_health_serving()) {
        /* Never serve damaged data: health says so, load balancers move away. */
        nl_log_error("the database reports corruption: health is NOT_SERVING");
        nl_health_set_serving(0);
    }
    if (call == NULL) {
        nl_job_free(job);
        nl_server_maybe_finish(srv);
        return;
    }
    call->job = NULL;
    if (call->conn == NULL || !call->in_session || call->responded) {
        /* The stream closed, the deadline fired or the connection went away meanwhile. */
        nl_job_free(job);
        if (!call->in_session)
            nl_call_free(call);
        nl_server_maybe_finish(srv);
        return;
    }
    struct nl_conn *c = call->conn;
    if (job->status != NL_OK) {
        nl_dispatch_trailers_only(call, job->status, job->msg);
        nl_job_free(job);
        return;
    }
    /* Move the response bytes into the call: the job dies here. */
    nl_buf_release(&call->resp);
    call->resp = job->out;
    nl_buf_init(&job->out, 0);
    call->resp_off = 0;
    nl_job_free(job);

    nghttp2_data_provider prd;
    prd.source.ptr = call;
    prd.read_callback = resp_read;
    int rv = nghttp2_submit_response(c->h2, call->stream_id, hdrs, 2, &prd);
    if (rv != 0) {
        nl_log_warnx("conn=%lu call=%lu cannot submit a response: %s", c->id, call->id,
                     nghttp2_strerror(rv));
        nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE, call->stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
        nl_dispatch_count(srv, NL_INTERNAL);
    } else {
        nl_dispatch_count(srv, NL_OK);
        call_log(call, NL_OK);
    }
    call->responded = 1;
    nl_deadlines_remove(srv, call);
    nl_conn_mark_dirty(c);
}
