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
 * Jobs that were cancelled or whose deadline passed while queued never run
 * (no savepoint, no handler); only their audit entry is written. Completions
 * go to a list drained by one uv_async_t callback on the loop (uv_async_send
 * coalesces wake-ups).
 *
 * The audit trail (audit.h): a write that cannot be audited does not happen.
 * A job whose handler returned OK gets its entry inside its own savepoint,
 * before the savepoint is released; when that append fails the savepoint is
 * rolled back, the job answers UNAVAILABLE, and its failure entry is tried
 * like that of any failed job: appended after its savepoint was rolled
 * back, with its status. A job dropped while queued gets an entry with its
 * outcome (CANCELLED, DEADLINE_EXCEEDED). Entries the loop queued
 * (person-level reads, denials) ride along in the next transaction, or in
 * one of their own when no write is waiting. When SQLite rolls a
 * transaction back under the batch, the entries of the jobs that ran are
 * appended again, with their final status, in the transaction that follows.
 * No audit state is cached here: store_audit.c reads the chain's head from
 * the table at each append, so a ROLLBACK TO that drops an entry leaves
 * nothing stale behind (RELIABILITY.md 2.3).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "audit.h"
#include "store.h"
#include "store_audit.h"
#include "writer.h"

struct nl_writer {
    uv_loop_t *loop;
    uv_async_t async;
    uv_thread_t thread;
    uv_mutex_t mu;
    uv_cond_t cond;
    struct nl_job *q_head, *q_tail;        /* guarded by mu */
    unsigned queued;                       /* guarded by mu */
    struct nl_job *d_head, *d_tail;        /* finished; guarded by mu */
    struct nl_audit_item *a_head, *a_tail; /* audit entries from the loop; guarded by mu */
    unsigned a_queued;                     /* guarded by mu */
    uint64_t a_dropped;                    /* guarded by mu: entries refused, queue full */
    int stop;                              /* guarded by mu */
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

/*
 * Appends the entry of a job the writer took (j->audit_ran), with its
 * current status. Writer thread, inside the batch transaction: when SQLite
 * has already rolled that back nothing is appended (an entry outside it
 * would commit on its own) and NL_ABORTED is returned; the callers append
 * again in the transaction that follows. NL_OK or the store's status.
 */
static enum nl_status audit_job(struct nl_writer *w, struct nl_job *j, struct nl_arena *a)
{
    struct nl_audit_item it;
    struct nl_audit_rec r;
    enum nl_status st;

    if (!nl_store_txn_active(w->store))
        return NL_ABORTED;
    nl_audit_item_fill(&it, j->method->path, &j->who, j->audit_keys, j->status);
    nl_audit_item_rec(&it, &r);
    st = nl_store_audit_append(w->store, &r, a);
    if (st != NL_OK)
        nl_log_error("audit: cannot append the entry of conn=%lu call=%lu %s (%s): %s", j->conn_id,
                     j->call_id, j->method->path, nl_status_name(j->status), nl_status_name(st));
    return st;
}

/*
 * A job that never ran: cancelled or past its deadline while queued. It is
 * answered `st` and gets an audit entry with that outcome; the caller is
 * named by the connection's peer and certificate and by the token id it
 * presented (public, not verified: the role stays empty). Writer thread.
 */
static void job_dropped(struct nl_job *j, enum nl_status st, const char *msg)
{
    job_fail(j, st, msg);
    if (j->auth && j->who.token_id[0] == '\0')
        (void)snprintf(j->who.token_id, sizeof(j->who.token_id), "%s", j->token.id);
    j->audit_ran = 1;
}

/* Appends the loop's queued entries. Writer thread, inside a write transaction. */
static void audit_items(struct nl_writer *w, struct nl_audit_item *items, struct nl_arena *a)
{
    for (struct nl_audit_item *it = items; it != NULL; it = it->next) {
        struct nl_audit_rec r;
        nl_audit_item_rec(it, &r);
        if (nl_store_audit_append(w->store, &r, a) != NL_OK)
            nl_log_error("audit: cannot append the entry of a %s call", it->method);
    }
}

static unsigned audit_count(const struct nl_job *jobs, const struct nl_job *upto,
                            const struct nl_audit_item *items)
{
    unsigned n = 0;

    for (const struct nl_job *j = jobs; j != upto; j = j->next)
        n += j->audit_ran != 0;
    for (; items != NULL; items = items->next)
        n++;
    return n;
}

/*
 * After SQLite rolled the batch transaction back: the entries of the jobs
 * that ran (with their final status) and the loop's entries, in a
 * transaction of their own. Writer thread.
 */
static void audit_again(struct nl_writer *w, struct nl_job *jobs, struct nl_audit_item *items,
                        struct nl_arena *a)
{
    unsigned n = audit_count(jobs, NULL, items);

    if (n == 0)
        return;
    if (atomic_load(&w->io_failed) || nl_store_begin_write(w->store) != NL_OK) {
        nl_log_error("audit: %u entr%s lost: the database refused a transaction", n,
                     n == 1 ? "y" : "ies");
        return;
    }
    for (struct nl_job *j = jobs; j != NULL; j = j->next)
        if (j->audit_ran)
            audit_job(w, j, a);
    audit_items(w, items, a);
    if (!nl_store_txn_active(w->store) || nl_store_commit(w->store) != NL_OK) {
        nl_store_rollback(w->store);
        nl_log_error("audit: %u entr%s lost: the commit failed", n, n == 1 ? "y" : "ies");
    }
}

/* Runs one batch (jobs and/or the loop's audit entries) in one transaction. Writer thread. */
static void writer_run_batch(struct nl_writer *w, struct nl_job *jobs, struct nl_audit_item *items,
                             struct nl_arena *a)
{
    uint64_t now = nl_now_ms();
    unsigned lost;
    int live = 0;

    for (struct nl_job *j = jobs; j != NULL; j = j->next) {
        j->status = NL_UNKNOWN;
        if (atomic_load(&j->cancel)) {
            job_dropped(j, NL_CANCELLED, "call cancelled");
        } else if (j->deadline_ms != 0 && now >= j->deadline_ms) {
            job_dropped(j, NL_DEADLINE_EXCEEDED, "deadline exceeded before the write started");
        } else {
            live++;
        }
    }
    if (jobs == NULL && items == NULL)
        return;
    if (atomic_load(&w->io_failed)) {
        /* After an I/O error nothing more is written: the server is draining to restart. */
        for (struct nl_job *j = jobs; j != NULL; j = j->next)
            if (j->status == NL_UNKNOWN)
                job_fail(j, NL_UNAVAILABLE, "database unavailable, the server restarts");
        lost = audit_count(jobs, NULL, items);
        if (lost > 0)
            nl_log_error("audit: %u entr%s lost: no more writes after an I/O error", lost,
                         lost == 1 ? "y" : "ies");
        return;
    }

    enum nl_status st = nl_store_begin_write(w->store);
    if (st != NL_OK) {
        for (struct nl_job *j = jobs; j != NULL; j = j->next) {
            if (j->status == NL_UNKNOWN)
                job_fail(j, st == NL_DATA_LOSS ? st : NL_UNAVAILABLE, "database busy, retry");
        }
        lost = audit_count(jobs, NULL, items);
        if (lost > 0)
            nl_log_error("audit: %u entr%s lost: the database refused a transaction", lost,
                         lost == 1 ? "y" : "ies");
        return;
    }
    for (struct nl_job *j = jobs; j != NULL; j = j->next) {
        if (j->status != NL_UNKNOWN && !j->audit_ran)
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
                lost = audit_count(jobs, j, items) + audit_count(j, NULL, NULL);
                if (lost > 0)
                    nl_log_error("audit: %u entr%s lost: the database refused a transaction", lost,
                                 lost == 1 ? "y" : "ies");
                return;
            }
            /* Their entries went with the rolled-back transaction. */
            for (struct nl_job *k = jobs; k != j; k = k->next)
                if (k->audit_ran)
                    audit_job(w, k, a);
        }
        if (j->status != NL_UNKNOWN) {
            /* Dropped while queued (job_dropped): only its entry. */
            (void)audit_job(w, j, a);
            continue;
        }
        if (nl_store_savepoint(w->store) != NL_OK) {
            job_fail(j, NL_UNAVAILABLE, "database busy, retry");
            j->audit_ran = 1;
            (void)audit_job(w, j, a);
            continue;
        }
        nl_job_run(j, w->store);
        j->audit_ran = 1;
        if (j->status == NL_OK) {
            /* Its entry inside its savepoint: a write that cannot be audited does not happen. */
            if (audit_job(w, j, a) != NL_OK) {
                job_fail(j, NL_UNAVAILABLE, "audit trail unavailable, retry");
            } else {
                st = nl_store_savepoint_release(w->store);
                if (st == NL_OK)
                    continue;
                job_fail(j, NL_UNAVAILABLE, "database error, retry");
            }
        }
        st = nl_store_savepoint_rollback(w->store);
        if (st == NL_ABORTED) {
            /* The failing job took the transaction with it; handled at the next job. */
            continue;
        }
        if (st != NL_OK)
            job_fail(j, NL_UNAVAILABLE, "database error, retry");
        (void)audit_job(w, j, a);
    }
    if (!nl_store_txn_active(w->store)) {
        for (struct nl_job *k = jobs; k != NULL; k = k->next) {
            if (k->status == NL_OK)
                job_fail(k, NL_UNAVAILABLE, "write rolled back, retry");
        }
        audit_again(w, jobs, items, a);
        return;
    }
    audit_items(w, items, a);
    st = nl_store_commit(w->store);
    if (st != NL_OK) {
        nl_store_rollback(w->store);
        nl_log_error("writer: commit failed (%s); %d job(s) answered UNAVAILABLE, %u audit "
                     "entr%s lost",
                     nl_status_name(st), live, audit_count(jobs, NULL, items),
                     audit_count(jobs, NULL, items) == 1 ? "y" : "ies");
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
        while (w->q_head == NULL && w->a_head == NULL && !w->stop)
            uv_cond_wait(&w->cond, &w->mu);
        if (w->q_head == NULL && w->a_head == NULL)
            break; /* stop requested and nothing left */
        if (w->q_head != NULL && w->wait_ms > 0 && w->queued < w->batch_max && !w->stop)
            uv_cond_timedwait(&w->cond, &w->mu, (uint64_t)w->wait_ms * 1000000u);
        struct nl_job *batch = w->q_head, *last = w->q_head;
        if (batch != NULL) {
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
        }
        struct nl_audit_item *items = w->a_head;
        w->a_head = w->a_tail = NULL;
        w->a_queued = 0;
        uv_mutex_unlock(&w->mu);

        struct nl_arena arena;
        nl_arena_init(&arena, 1u << 20);
        writer_run_batch(w, batch, items, &arena);
        nl_arena_release(&arena);
        while (items != NULL) {
            struct nl_audit_item *next = items->next;
            free(items);
            items = next;
        }

        uv_mutex_lock(&w->mu);
        if (batch == NULL)
            continue;
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

void nl_writer_audit(struct nl_writer *w, struct nl_audit_item *it)
{
    uint64_t dropped = 0;

    if (w == NULL) {
        free(it);
        return;
    }
    it->next = NULL;
    uv_mutex_lock(&w->mu);
    if (w->a_queued >= NL_AUDIT_QUEUE_MAX || w->stop) {
        dropped = ++w->a_dropped;
    } else {
        if (w->a_tail != NULL)
            w->a_tail->next = it;
        else
            w->a_head = it;
        w->a_tail = it;
        w->a_queued++;
        it = NULL;
        uv_cond_signal(&w->cond);
    }
    uv_mutex_unlock(&w->mu);
    if (it != NULL) {
        /* The first drop, then every 1000th: a flood must not flood the log as well. */
        if (dropped == 1 || dropped % 1000 == 0)
            nl_log_error("audit backlog: %llu entr%s dropped (the writer is behind or stopping; "
                         "last: a %s call)",
                         (unsigned long long)dropped, dropped == 1 ? "y" : "ies", it->method);
        free(it);
    }
}

uint64_t nl_writer_audit_dropped(struct nl_writer *w)
{
    uint64_t n;

    if (w == NULL)
        return 0;
    uv_mutex_lock(&w->mu);
    n = w->a_dropped;
    uv_mutex_unlock(&w->mu);
    return n;
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
