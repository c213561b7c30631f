/*
 * audit_agg.h - denials aggregated per source, identity, method and reason
 * (RELIABILITY.md 5.3), so that a flood of refused calls cannot fill the
 * writer's queue or the database.
 *
 * Within one window (default 60 s) the first refused call of a key (the
 * caller's address without its port, the token id it presented, the method,
 * the outcome) is audited as it comes; the others of that window are only
 * counted, and when the window closes one summary entry says how many there
 * were ("repeated=N window=60s"). The table is bounded: once it holds
 * `max_keys` keys, further new keys all count into one overflow key, audited
 * as method "*" and peer "*". So at most max_keys + 1 entries, plus as many
 * summaries, are appended per window, whatever a client sends.
 *
 * Loop thread only (dispatch.c owns one per server); no locking.
 */
#ifndef NL_AUDIT_AGG_H
#define NL_AUDIT_AGG_H

#include <stdint.h>

#include "../common/status.h"
#include "audit.h"

struct nl_audit_agg;

/* 1 for the outcomes that are aggregated: UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED.
 */
int nl_audit_agg_applies(enum nl_status st);

/*
 * A table of at most max_keys keys (>= 1) with windows of window_ms (>= 1).
 * Returns NULL on out of memory. The caller frees it with nl_audit_agg_free.
 */
struct nl_audit_agg *nl_audit_agg_new(unsigned max_keys, uint64_t window_ms);

/* Frees the table (pending counts are dropped: flush with all = 1 first). NULL is a no-op. */
void nl_audit_agg_free(struct nl_audit_agg *g);

/*
 * Decides on the entry *it of a refused call at time now_ms (monotonic):
 * 1 = audit it now (the first of its key in the window; when the table is
 * full *it is rewritten as the overflow key's entry), 0 = counted, do not
 * audit it. *it stays the caller's.
 */
int nl_audit_agg_admit(struct nl_audit_agg *g, struct nl_audit_item *it, uint64_t now_ms);

/* Receives a summary entry; it becomes the callee's (free() it or queue it). */
typedef void (*nl_audit_agg_emit_fn)(void *ud, struct nl_audit_item *it);

/*
 * Closes every window that ended by now_ms (every window when all != 0):
 * for each with counted calls, emit() gets one malloc'ed summary entry
 * (the key's token id, role, certificate, address, method and outcome;
 * keys "repeated=N window=Ws"; timed now); the key is then forgotten.
 * Summaries that cannot be allocated are logged and dropped.
 */
void nl_audit_agg_flush(struct nl_audit_agg *g, uint64_t now_ms, int all, nl_audit_agg_emit_fn emit,
                        void *ud);

/* Calls counted and not yet summarised (for tests and the exit log). */
uint64_t nl_audit_agg_pending(const struct nl_audit_agg *g);

#endif
