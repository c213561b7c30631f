/*
 * writer.h - the writer thread: the only read-write SQLite connection, and
 * group commit.
 *
 * The loop thread submits write jobs; the writer takes every queued job (up
 * to group_commit_max) into one BEGIN IMMEDIATE ... COMMIT, each job in its
 * own savepoint, and posts all of them back only after COMMIT returned
 * (RELIABILITY.md 2.3). Completions reach the loop through one uv_async_t,
 * whose callback drains the whole completion list.
 */
#ifndef NL_WRITER_H
#define NL_WRITER_H

#include <stdint.h>

#include <uv.h>

#include "audit.h"
#include "job.h"
#include "readers.h"

struct nl_writer;
struct nl_store;

/*
 * Starts the writer thread on `store` (takes ownership: closed by
 * nl_writer_free). Returns NULL on failure (store is then closed).
 */
struct nl_writer *nl_writer_start(uv_loop_t *loop, struct nl_store *store, unsigned queue_max,
                                  unsigned batch_max, unsigned batch_wait_ms, nl_job_done_fn done,
                                  void *ud);

/* Queues a job. Returns 0, or -1 when the queue is full (caller keeps the job). */
int nl_writer_submit(struct nl_writer *w, struct nl_job *job);

/*
 * 1 once the writer saw an SQLite I/O error (nl_store_io_failed): every
 * later write is answered UNAVAILABLE without touching the file, and the
 * server should drain and exit 75. Any thread. NULL reads 0.
 */
int nl_writer_io_failed(const struct nl_writer *w);

/*
 * Queues an audit entry (audit.h; takes ownership of the malloc'd `it`) for
 * the writer's next transaction, without blocking: when NL_AUDIT_QUEUE_MAX
 * entries already wait, or the writer is stopping, the entry is freed,
 * counted and logged ("audit backlog", the first drop and every 1000th).
 * Loop thread. NULL w: the entry is freed.
 */
void nl_writer_audit(struct nl_writer *w, struct nl_audit_item *it);

/* Audit entries dropped by nl_writer_audit so far. Any thread. NULL reads 0. */
uint64_t nl_writer_audit_dropped(struct nl_writer *w);

/* Jobs queued, running or waiting for their completion callback. */
unsigned nl_writer_pending(const struct nl_writer *w);

/*
 * Asks the thread to finish its queue and stop, and closes the async handle
 * (the loop must run once more for the close). Idempotent.
 */
void nl_writer_stop(struct nl_writer *w);

/*
 * Joins the thread, checkpoints and truncates the WAL, closes the store and
 * frees. Call after nl_writer_stop and after the loop finished. NULL no-op.
 */
void nl_writer_free(struct nl_writer *w);

#endif
