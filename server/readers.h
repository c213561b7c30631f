/*
 * readers.h - read jobs on the libuv thread pool, handed off in batches.
 *
 * Each pool thread owns one read-only SQLite connection (opened lazily,
 * closed by nl_readers_free). Jobs queued during one loop turn are handed to
 * the pool as a few batches at the end of the turn (nl_readers_flush), so the
 * pool hop is paid per batch, not per call. Loop thread only, except the
 * work callbacks.
 */
#ifndef NL_READERS_H
#define NL_READERS_H

#include <uv.h>

#include "job.h"

struct nl_readers;

/* Called on the loop thread for each finished job (takes ownership back). */
typedef void (*nl_job_done_fn)(struct nl_job *job, void *ud);

/*
 * Creates the pool front for database `path` (borrowed, copied). `threads`
 * is the pool size (batches in flight are capped at 4 x threads); at most
 * `queue_max` jobs may be waiting or running; a batch holds at most
 * `batch_max` jobs (0 = no limit). Returns NULL on out of memory.
 */
struct nl_readers *nl_readers_new(uv_loop_t *loop, const char *path, unsigned threads,
                                  unsigned queue_max, unsigned batch_max, nl_job_done_fn done,
                                  void *ud);

/*
 * Queues a job (takes ownership until `done`). Returns 0, or -1 when the
 * queue is full (the caller keeps the job and answers RESOURCE_EXHAUSTED).
 */
int nl_readers_submit(struct nl_readers *r, struct nl_job *job);

/* Hands queued jobs to the pool in batches. Called once per loop turn. */
void nl_readers_flush(struct nl_readers *r);

/* Number of jobs queued or running. */
unsigned nl_readers_pending(const struct nl_readers *r);

/* Closes every reader connection. Only when no job is pending. NULL no-op. */
void nl_readers_free(struct nl_readers *r);

#endif
