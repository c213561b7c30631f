/*
 * job.h - a unit of handler work that crosses threads.
 *
 * The loop thread builds a job at END_STREAM (request bytes moved in), hands
 * it to the read pool, the writer thread, or runs it inline; the executing
 * thread fills status and response bytes; the loop thread completes the
 * call. A job owns plain bytes only: nothing with a libuv handle or an
 * nghttp2 session inside crosses threads.
 */
#ifndef NL_JOB_H
#define NL_JOB_H

#include <stdatomic.h>
#include <stdint.h>

#include "../common/buf.h"
#include "../common/status.h"
#include "audit.h"
#include "method.h"
#include "token.h"

struct nl_job {
    struct nl_job *next;            /* queue link; owned by whichever queue holds the job */
    const struct nl_method *method; /* static row */
    uint8_t *in;                    /* owned request message bytes (no prefix) */
    size_t in_len;
    uint64_t deadline_ms;           /* monotonic ms; 0 = none */
    atomic_int cancel;              /* set by the loop when the stream closes or times out */
    enum nl_status status;          /* result, set by nl_job_run */
    char msg[256];                  /* message for a non-OK status */
    struct nl_buf out;              /* OK: the prefixed response message */
    void *owner;                    /* the loop-side call; only the loop touches it */
    unsigned long conn_id, call_id; /* for log lines */

    /*
     * Authentication (auth.h), set by dispatch before the job crosses
     * threads. auth = 1: nl_job_run verifies `token` against the store and
     * the row's role rule before the handler (`auth = required`, not a
     * public method). `who` is the caller: peer and cert_fp from the
     * connection, the rest from the verified credential (role NONE when
     * auth = 0). The token's secret is wiped once checked and by
     * nl_job_free.
     */
    int auth;
    struct nl_token token;
    char cert_unit[65]; /* the client certificate's unit code, "" for none */
    struct nl_identity who;
    int auth_failed;                    /* set by nl_job_run: the credential was refused */
    enum nl_token_verdict auth_verdict; /* why, for the log line (never sent to the client) */

    /*
     * The audit trail (audit.h): nl_job_run fills audit_keys with the
     * request's record keys for write and NL_M_PERSON rows (empty when the
     * call was refused before its request was read); the writer sets
     * audit_ran for each job it ran, whose entry it appends.
     */
    char audit_keys[NL_AUDIT_KEYS_LEN];
    int audit_ran;
};

/* Monotonic milliseconds, thread-safe (uv_hrtime based). */
uint64_t nl_now_ms(void);

/*
 * Allocates a job for `method`, taking ownership of `in` (in_len bytes,
 * malloc'd; may be NULL when in_len is 0). Returns NULL on out of memory,
 * in which case `in` has been freed.
 */
struct nl_job *nl_job_new(const struct nl_method *method, uint8_t *in, size_t in_len,
                          uint64_t deadline_ms);

/* Frees the job and everything it owns. NULL is a no-op. */
void nl_job_free(struct nl_job *job);

/*
 * Runs the job on the calling thread: checks cancel and deadline (no store
 * work starts after either); with job->auth verifies the token through
 * `store` (UNAUTHENTICATED with job->auth_failed set when refused) and the
 * row's role rule (PERMISSION_DENIED); unpacks the request, calls the
 * handler with `store` (borrowed; NULL for inline methods) and ctx.who =
 * &job->who, packs an OK response with its 5-byte prefix into job->out.
 * Sets job->status and job->msg. Never fails silently: every path sets a
 * status.
 */
void nl_job_run(struct nl_job *job, struct nl_store *store);

#endif
