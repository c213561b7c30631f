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
#include "method.h"

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
 * work starts after either), unpacks the request, calls the handler with
 * `store` (borrowed; NULL for inline methods), packs an OK response with its
 * 5-byte prefix into job->out. Sets job->status and job->msg. Never fails
 * silently: every path sets a status.
 */
void nl_job_run(struct nl_job *job, struct nl_store *store);

#endif
