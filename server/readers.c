/*
 * readers.c - read jobs on the libuv thread pool, in batches.
 *
 * A naive design queues one uv_work_t per call and pays the pool hop (a
 * mutex, a condition variable and an async wake-up, ~35 us here) per call.
 * Here the loop collects the read jobs of one loop turn and, at the end of
 * the turn, splits them into at most `threads` batches; each batch runs in
 * one read transaction on its thread's read-only connection and completes in
 * one after_work callback. A method flagged NL_M_HEAVY (an aggregate over
 * many rows) gets a batch of its own, so it never delays the cheap reads
 * that would otherwise share its batch.
 *
 * Each pool thread opens its own SQLITE_OPEN_READONLY connection on first
 * use and keeps it in a thread-local; connections are registered here so
 * nl_readers_free can close them. A generation number tells a thread that
 * its cached connection belongs to an older nl_readers (tests start several
 * servers in one process).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "method.h"
#include "readers.h"
#include "store.h"

struct batch {
    uv_work_t req;
    struct nl_readers *r;
    struct nl_job *jobs;
    unsigned n;
};

struct nl_readers {
    uv_loop_t *loop;
    char *path;
    unsigned threads, queue_max, batch_max;
    nl_job_done_fn done;
    void *ud;
    struct nl_job *head, *tail; /* waiting for a batch */
    unsigned queued;            /* jobs in head..tail */
    unsigned pending;           /* queued + running */
    unsigned batches;           /* batches in flight */
    unsigned gen;
    uv_mutex_t mu; /* guards the connection registry */
    struct nl_store **stores;
    size_t nstores, capstores;
};

static atomic_uint readers_gen;
static _Thread_local struct nl_store *tl_store;
static _Thread_local unsigned tl_gen;

struct nl_readers *nl_readers_new(uv_loop_t *loop, const char *path, unsigned threads,
                                  unsigned queue_max, unsigned batch_max, nl_job_done_fn done,
                                  void *ud)
{
    struct nl_readers *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->path = strdup(path);
    if (r->path == NULL || uv_mutex_init(&r->mu) != 0) {
        free(r->path);
        free(r);
        return NULL;
    }
    r->loop = loop;
    r->threads = threads ? threads : 1;
    r->queue_max = queue_max;
    r->batch_max = batch_max;
    r->done = done;
    r->ud = ud;
    r->gen = atomic_fetch_add(&readers_gen, 1) + 1;
    return r;
}

int nl_readers_submit(struct nl_readers *r, struct nl_job *job)
{
    if (r->pending >= r->queue_max)
        return -1;
    job->next = NULL;
    if (r->tail != NULL)
        r->tail->next = job;
    else
        r->head = job;
    r->tail = job;
    r->queued++;
    r->pending++;
    return 0;
}

unsigned nl_readers_pending(const struct nl_readers *r)
{
    return r != NULL ? r->pending : 0;
}

/* Pool thread: this thread's read-only connection, opened on first use. */
static struct nl_store *reader_store(struct nl_readers *r)
{
    char err[256];
    struct nl_store *st;

    if (tl_store != NULL && tl_gen == r->gen)
        return tl_store;
    if (nl_store_open(r->path, NL_STORE_READONLY, &st, err, sizeof(err)) != NL_OK) {
        nl_log_error("read pool: %s", err);
        return NULL;
    }
    uv_mutex_lock(&r->mu);
    if (r->nstores == r->capstores) {
        size_t ncap = r->capstores ? r->capstores * 2 : 8;
        struct nl_store **v = realloc(r->stores, ncap * sizeof(*v));
        if (v == NULL) {
            uv_mutex_unlock(&r->mu);
            nl_store_close(st);
            return NULL;
        }
        r->stores = v;
        r->capstores = ncap;
    }
    r->stores[r->nstores++] = st;
    uv_mutex_unlock(&r->mu);
    tl_store = st;
    tl_gen = r->gen;
    return st;
}

static void batch_fail(struct batch *b, enum nl_status st, const char *msg)
{
    for (struct nl_job *j = b->jobs; j != NULL; j = j->next) {
        j->status = st;
        snprintf(j->msg, sizeof(j->msg), "%s", msg);
    }
}

static void batch_work(uv_work_t *req)
{
    struct batch *b = req->data;
    struct nl_store *st = reader_store(b->r);

    if (st == NULL) {
        batch_fail(b, NL_UNAVAILABLE, "database unavailable");
        return;
    }
    /* One read transaction per batch: each call sees one consistent snapshot. */
    enum nl_status s = nl_store_begin_read(st);
    if (s != NL_OK) {
        batch_fail(b, s, "database unavailable");
        return;
    }
    for (struct nl_job *j = b->jobs; j != NULL; j = j->next)
        nl_job_run(j, st);
    nl_store_end_read(st);
}

static void batch_done(uv_work_t *req, int status)
{
    struct batch *b = req->data;
    struct nl_readers *r = b->r;
    struct nl_job *j = b->jobs, *next;

    if (status == UV_ECANCELED)
        batch_fail(b, NL_CANCELLED, "call cancelled");
    r->batches--;
    r->pending -= b->n;
    free(b);
    for (; j != NULL; j = next) {
        next = j->next;
        j->next = NULL;
        r->done(j, r->ud);
    }
    nl_readers_flush(r);
}

void nl_readers_flush(struct nl_readers *r)
{
    unsigned max_batches = 4 * r->threads;

    while (r->queued > 0 && r->batches < max_batches) {
        unsigned slots = max_batches - r->batches;
        unsigned nb = slots < r->threads ? slots : r->threads;
        unsigned size = (r->queued + nb - 1) / nb;
        if (r->batch_max != 0 && size > r->batch_max)
            size = r->batch_max;
        struct batch *b = calloc(1, sizeof(*b));
        if (b == NULL)
            return; /* try again next turn */
        b->r = r;
        b->req.data = b;
        struct nl_job **tail = &b->jobs;
        while (b->n < size && r->head != NULL) {
            struct nl_job *j = r->head;
            /* A heavy read runs in a batch of its own, so cheap reads never queue behind it. */
            int heavy = (j->method->flags & NL_M_HEAVY) != 0;
            if (heavy && b->n > 0)
                break;
            r->head = j->next;
            j->next = NULL;
            *tail = j;
            tail = &j->next;
            b->n++;
            if (heavy)
                break;
        }
        if (r->head == NULL)
            r->tail = NULL;
        r->queued -= b->n;
        r->batches++;
        if (uv_queue_work(r->loop, &b->req, batch_work, batch_done) != 0) {
            /* Cannot happen with a valid loop; fail the batch rather than lose it. */
            batch_fail(b, NL_UNAVAILABLE, "read pool unavailable");
            batch_done(&b->req, 0);
            return;
        }
    }
}

void nl_readers_free(struct nl_readers *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nstores; i++)
        nl_store_close(r->stores[i]);
    free(r->stores);
    uv_mutex_destroy(&r->mu);
    free(r->path);
    free(r);
}
