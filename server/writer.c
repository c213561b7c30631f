/*
 * writer.c - the writer thread and group commit (RELIABILITY.md 2.3).
 *
 * The writer owns the only read-write SQLite connection. It takes every job
 * queued (up to batch_max) into one BEGIN IMMEDIATE ... COMMIT, runs each in
 * its own savepoint so a failing job rolls back alone, and posts the whole
 * batch back only after COMMIT returned: no client hears of state that could
 * still roll back. Batching needs no timer: while one batch waits for its
 * fsync, the next one queues up, so the batch size follows the load (an
 * optional batch_wait_ms waits a little longer for company).
 *
 * Jobs that were cancelled or whose deadline passed while queued are dropped
 * without a transaction. Completions go to a list drained by one uv_async_t
 * callback on the loop (uv_async_send coalesces wake-ups).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "store.h"
#include "writer.h"

struct nl_writer {
    uv_loop_t *loop;
    uv_async_t async;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cond;
    struct nl_job *q_head, *q_tail; /* guarded by mu */
    unsigned queued;                /* guarded by mu */
    struct nl_job *d_head, *d_tail; /* finished; guarded by mu */
    int stop;                       /* guarded by mu */
    unsigned queue_max, batch_max, wait_ms;
    unsigned pending; /* loop thread: submitted, not yet completed */
    int stopped;      /* loop thread */
    struct nl_store *store;
    nl_job_done_fn done;
    void *ud;
    atomic_int io_failed; /* set by the writer thread: no more commits (nl_writer_io_failed) */
};

static void job_fail(struct nl_job *j, enum nl_status st, const char *msg)
{
    j->status = st;
    snprintf(j->msg, sizeof(j->msg), "%s", msg);
    nl_buf_release(&j->out);
}

/* Runs one batch in one transaction. Writer thread. */
static void writer_run_batch(struct nl_writer *w, struct nl_job *jobs)
{
    uint64_t now = nl_now_ms();
    int live = 0;

    for (struct nl_job *j = jobs; j != NULL; j = j->next) {
        j->status = NL_UNKNOWN;
        if (atomic_load(&j->cancel)) {
            job_fail(j, NL_CANCELLED, "call cancelled");
        } else if (j->deadline_ms != 0 && now >= j->deadline_ms) {
            job_fail(j, NL_DEADLINE_EXCEEDED, "deadline exceeded before the write started");
        } else {
            live++;
        }
    }
    if (live == 0)
        return;
    if (atomic_load(&w->io_failed)) {
        /* After an I/O error nothing more is written: the server is draining to restart. */
        for (struct nl_job *j = jobs; j != NULL; j = j->next)
            if (j->status == NL_UNKNOWN)
                job_fail(j, NL_UNAVAILABLE, "database unavailable, the server restarts");
        return;
    }

    enum nl_status st = nl_store_begin_write(w->store);
    if (st != NL_OK) {
        for (struct nl_job *j = jobs; j != NULL; j = j->next) {
            if (j->status == NL_UNKNOWN)
                job_fail(j, st == NL_DATA_LOSS ? st : NL_UNAVAILABLE, "database busy, retry");
        }
        return;
    }
    for (struct nl_job *j = jobs; j != NULL; j = j->next) {
        if (j->status != NL_UNKNOWN)
            continue;
        if (!nl_store_txn_active(w->store)) {
            /*
             * SQLite rolled the whole transaction back with a failing statement
             * (interrupt, FULL, NOMEM, IOERR): the jobs before this one are gone
             * and must not be acknowledged. They are answered UNAVAILABLE and the
             * client's idempotent retry redoes them; this job gets a new
             * transaction.
             */
            for (struct nl_job *k = jobs; k != j; k = k->next) {
                if (k->status == NL_OK)
                    job_fail(k, NL_UNAVAILABLE, "write rolled back, retry");
            }
            if (nl_store_begin_write(w->store) != NL_OK) {
                for (struct nl_job *k = j; k != NULL; k = k->next) {
                    if (k->status == NL_UNKNOWN)
                        job_fail(k, NL_UNAVAILABLE, "database busy, retry");
                }
                return;
            }
        }
        if (nl_store_savepoint(w->store) != NL_OK) {
            job_fail(j, NL_UNAVAILABLE, "database busy, retry");
            continue;
        }
        nl_job_run(j, w->store);
        if (j->status == NL_OK)
            st = nl_store_savepoint_release(w->store);
        else
            st = nl_store_savepoint_rollback(w->store);
        if (st == NL_ABORTED) {
            /* The failing job took the transaction with it; handled at the next job. */
            continue;
        }
        if (st != NL_OK)
            job_fail(j, NL_UNAVAILABLE, "database error, retry");
    }
    if (!nl_store_txn_active(w->store)) {
        for (struct nl_job *k = jobs; k != NULL; k = k->next) {
            if (k->status == NL_OK)
                job_fail(k, NL_UNAVAILABLE, "write rolled back, retry");
        }
        return;
    }
    st = nl_store_commit(w->store);
    if (st != NL_OK) {
        nl_store_rollback(w->store);
        nl_log_error("writer: commit failed (%s); %d job(s) answered UNAVAILABLE",
                     nl_status_name(st), live);
        for (struct nl_job *j = jobs; j != NULL; j = j->next) {
            if (j->status == NL_OK)
                job_fail(j, st == NL_DATA_LOSS ? st : NL_UNAVAILABLE, "commit failed, retry");
        }
    }
    if (nl_store_io_failed(w->store) && !atomic_load(&w->io_failed)) {
        nl_log_error("writer: I/O error on the database: no more writes; draining to restart");
        atomic_store(&w->io_failed, 1);
    }
}

int nl_writer_io_failed(const struct nl_writer *w)
{
    return w != NULL && atomic_load(&w->io_failed);
}

static void writer_main(void *arg)
{
    struct nl_writer *w = arg;

    uv_mutex_lock(&w->mu);
    for (;;) {
        while (w->q_head == NULL && !w->stop)
            uv_cond_wait(&w->cond, &w->mu);
        if (w->q_head == NULL)
            break; /* stop requested and nothing left */
        if (w->wait_ms > 0 && w->queued < w->batch_max && !w->stop)
            uv_cond_timedwait(&w->cond, &w->mu, (uint64_t)w->wait_ms * 1000000u);
        struct nl_job *batch = w->q_head, *last = w->q_head;
        unsigned n = 1;
        while (n < w->batch_max && last->next != NULL) {
            last = last->next;
            n++;
        }
        w->q_head = last->next;
        if (w->q_head == NULL)
            w->q_tail = NULL;
        last->next = NULL;
        w->queued -= n;
        uv_mutex_unlock(&w->mu);

        writer_run_batch(w, batch);

        uv_mutex_lock(&w->mu);
        if (w->d_tail != NULL)
            w->d_tail->next = batch;
        else
            w->d_head = batch;
        w->d_tail = last;
        uv_async_send(&w->async);
    }
    uv_mutex_unlock(&w->mu);
}

static void writer_on_async(uv_async_t *a)
{
    struct nl_writer *w = a->data;

    uv_mutex_lock(&w->mu);
    struct nl_job *j = w->d_head, *next;
    w->d_head = w->d_tail = NULL;
    uv_mutex_unlock(&w->mu);
    for (; j != NULL; j = next) {
        next = j->next;
        j->next = NULL;
        w->pending--;
        w->done(j, w->ud);
    }
}

struct nl_writer *nl_writer_start(uv_loop_t *loop, struct nl_store *store, unsigned queue_max,
                                  unsigned batch_max, unsigned batch_wait_ms, nl_job_done_fn done,
                                  void *ud)
{
    struct nl_writer *w = calloc(1, sizeof(*w));

    if (w == NULL)
        goto fail;
    atomic_init(&w->io_failed, 0);
    w->loop = loop;
    w->store = store;
    w->queue_max = queue_max;
    w->batch_max = batch_max ? batch_max : 1;
    w->wait_ms = batch_wait_ms;
    w->done = done;
    w->ud = ud;
    if (uv_mutex_init(&w->mu) != 0)
        goto fail_w;
    if (uv_cond_init(&w->cond) != 0)
        goto fail_mu;
    if (uv_async_init(loop, &w->async, writer_on_async) != 0)
        goto fail_cond;
    w->async.data = w;
    if (uv_thread_create(&w->thread, writer_main, w) != 0) {
        uv_close((uv_handle_t *)&w->async, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        goto fail_cond;
    }
    return w;
fail_cond:
    uv_cond_destroy(&w->cond);
fail_mu:
    uv_mutex_destroy(&w->mu);
fail_w:
    free(w);
fail:
    nl_store_close(store);
    return NULL;
}

int nl_writer_submit(struct nl_writer *w, struct nl_job *job)
{
    uv_mutex_lock(&w->mu);
    if (w->queued >= w->queue_max || w->stop) {
        uv_mutex_unlock(&w->mu);
        return -1;
    }
    job->next = NULL;
    if (w->q_tail != NULL)
        w->q_tail->next = job;
    else
        w->q_head = job;
    w->q_tail = job;
    w->queued++;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    w->pending++;
    return 0;
}

unsigned nl_writer_pending(const struct nl_writer *w)
{
    return w != NULL ? w->pending : 0;
}

void nl_writer_stop(struct nl_writer *w)
{
    if (w == NULL || w->stopped)
        return;
    w->stopped = 1;
    uv_mutex_lock(&w->mu);
    w->stop = 1;
    uv_cond_signal(&w->cond);
    uv_mutex_unlock(&w->mu);
    uv_close((uv_handle_t *)&w->async, NULL);
}

void nl_writer_free(struct nl_writer *w)
{
    if (w == NULL)
        return;
    nl_writer_stop(w);
    uv_thread_join(&w->thread);
    /* The queue was empty when the server stopped; anything left is a bug. */
    if (w->d_head != NULL)
        nl_log_error("writer: completions left at exit");
    if (nl_store_checkpoint(w->store) != NL_OK)
        nl_log_warnx("writer: final WAL checkpoint failed");
    nl_store_close(w->store);
    uv_cond_destroy(&w->cond);
    uv_mutex_destroy(&w->mu);
    free(w);
}
