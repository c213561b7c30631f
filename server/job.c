/*
 * job.c - running one handler call on whatever thread holds the job.
 *
 * The same function serves the read pool, the writer thread and inline
 * methods: unpack, handler, pack with the 5-byte prefix. A job that was
 * cancelled or whose deadline passed before it started does no store work
 * (PROTOCOL.md 1.7; RELIABILITY.md F12). When calls are authenticated the
 * token is verified here, on the thread that holds the store connection and
 * inside the job's transaction, and the row's role rule is applied before
 * the request is even unpacked: the one place every call passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "../common/wire.h"
#include "auth.h"
#include "job.h"
#include "store.h"

uint64_t nl_now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

struct nl_job *nl_job_new(const struct nl_method *method, uint8_t *in, size_t in_len,
                          uint64_t deadline_ms)
{
    struct nl_job *job = calloc(1, sizeof(*job));

    if (job == NULL) {
        free(in);
        return NULL;
    }
    job->method = method;
    job->in = in;
    job->in_len = in_len;
    job->deadline_ms = deadline_ms;
    atomic_init(&job->cancel, 0);
    job->status = NL_UNKNOWN;
    nl_buf_init(&job->out, NL_WIRE_PREFIX_LEN + NL_WIRE_MAX_MESSAGE);
    return job;
}

void nl_job_free(struct nl_job *job)
{
    if (job == NULL)
        return;
    free(job->in);
    nl_buf_release(&job->out);
    nl_token_wipe(&job->token);
    free(job);
}

static void job_fail(struct nl_job *job, enum nl_status st, const char *msg)
{
    job->status = st;
    snprintf(job->msg, sizeof(job->msg), "%s", msg);
    nl_buf_release(&job->out);
}

/*
 * Authentication and the role rule of job->method. Returns 0 when the
 * handler may run, else -1 with the job failed. The token is wiped either way.
 */
static int job_authorize(struct nl_job *job, struct nl_store *store)
{
    char msg[sizeof(job->msg)];
    enum nl_status st;

    if (store == NULL) {
        /* nl_method_table_check keeps non-public rows off the loop thread. */
        nl_token_wipe(&job->token);
        job_fail(job, NL_INTERNAL, "method cannot check credentials");
        return -1;
    }
    /* The id is public: kept for the log line and the audit of a refusal. */
    (void)snprintf(job->who.token_id, sizeof(job->who.token_id), "%s", job->token.id);
    st = nl_auth_identify(store, &job->token, job->cert_unit, &job->who, &job->auth_verdict, msg,
                          sizeof(msg));
    nl_token_wipe(&job->token);
    if (st != NL_OK) {
        job->auth_failed = st == NL_UNAUTHENTICATED;
        job_fail(job, st, msg);
        return -1;
    }
    if (!nl_method_allows(job->method, &job->who)) {
        char denied[sizeof(job->msg)];
        (void)snprintf(denied, sizeof(denied), "the %s role may not call this method",
                       nl_role_name(job->who.role));
        job_fail(job, NL_PERMISSION_DENIED, denied);
        return -1;
    }
    return 0;
}

#ifdef NL_TEST_HOOKS
/*
 * Test builds only: NL_TEST_HANDLER_DELAY_MS makes every store-backed job
 * wait that long before its handler (polling cancel every 5 ms), so tests can
 * hold calls in flight (deadlines, drain under load).
 */
static void job_test_delay(struct nl_job *job)
{
    static long delay_ms = -1;

    if (delay_ms < 0) {
        const char *v = getenv("NL_TEST_HANDLER_DELAY_MS");
        delay_ms = v != NULL ? strtol(v, NULL, 10) : 0;
        if (delay_ms < 0)
            delay_ms = 0;
    }
    for (long waited = 0; waited < delay_ms && !atomic_load(&job->cancel); waited += 5) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
}
#endif

void nl_job_run(struct nl_job *job, struct nl_store *store)
{
    const struct nl_method *m = job->method;
    ProtobufCMessage *req = NULL;
    struct nl_arena arena;
    struct nl_ctx ctx;

#ifdef NL_TEST_HOOKS
    if (!(m->flags & NL_M_INLINE))
        job_test_delay(job);
#endif
    if (atomic_load(&job->cancel)) {
        job_fail(job, NL_CANCELLED, "call cancelled");
        return;
    }
    if (job->deadline_ms != 0 && nl_now_ms() >= job->deadline_ms) {
        job_fail(job, NL_DEADLINE_EXCEEDED, "deadline exceeded before the call started");
        return;
    }
    if (job->auth && job_authorize(job, store) != 0)
        return;

    req = protobuf_c_message_unpack(m->input, NULL, job->in_len, job->in_len ? job->in : NULL);
    if (req == NULL) {
        job_fail(job, NL_INTERNAL, "cannot parse the request message");
        return;
    }
    if (m->flags & (NL_M_WRITE | NL_M_PERSON))
        nl_audit_keys(req, job->audit_keys, sizeof(job->audit_keys));

    nl_arena_init(&arena, 64u * 1024u * 1024u);
    memset(&ctx, 0, sizeof(ctx));
    ctx.store = store;
    ctx.arena = &arena;
    ctx.cancel = &job->cancel;
    ctx.deadline_ms = job->deadline_ms;
    ctx.who = &job->who;

    ProtobufCMessage *resp = nl_arena_alloc(&arena, m->output->sizeof_message);
    if (resp == NULL) {
        job_fail(job, NL_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    protobuf_c_message_init(m->output, resp);

    if (store != NULL)
        nl_store_set_interrupt(store, &job->cancel, job->deadline_ms);
    enum nl_status st = m->handler(&ctx, req, resp);
    if (store != NULL)
        nl_store_set_interrupt(store, NULL, 0);
    if (st != NL_OK) {
        job_fail(job, st, ctx.msg[0] ? ctx.msg : "call failed");
        goto out;
    }

    size_t n = protobuf_c_message_get_packed_size(resp);
    if (n > NL_WIRE_MAX_MESSAGE) {
        job_fail(job, NL_RESOURCE_EXHAUSTED, "response larger than 4 MiB");
        goto out;
    }
    nl_buf_release(&job->out);
    if (nl_buf_reserve(&job->out, NL_WIRE_PREFIX_LEN + n) != 0) {
        job_fail(job, NL_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    nl_wire_prefix_encode(job->out.data, 0, (uint32_t)n);
    protobuf_c_message_pack(resp, job->out.data + NL_WIRE_PREFIX_LEN);
    job->out.len = NL_WIRE_PREFIX_LEN + n;
    job->status = NL_OK;
    job->msg[0] = '\0';
out:
    protobuf_c_message_free_unpacked(req, NULL);
    nl_arena_release(&arena);
}
