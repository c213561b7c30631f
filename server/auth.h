/*
 * auth.h - authentication of a call (issue 5; RELIABILITY.md 5.1 and 5.4):
 * the `authorization: Bearer nl_...` header, the verification of the
 * presented token against the stored credential, and the per-address
 * lockout after repeated failures.
 *
 * Split by thread: the header parse and the lockout table run on the loop
 * thread (no store, no locks); nl_auth_identify runs on the thread that
 * holds the job's store connection (read pool or writer), inside the job's
 * transaction, so the loop never waits on SQLite. The role rule of a method
 * is nl_method_allows() (method.h). Nothing here logs a header value or a
 * secret; token ids are public and may be logged.
 */
#ifndef NL_AUTH_H
#define NL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "../common/status.h"
#include "method.h"
#include "token.h"

struct nl_store;

/* RELIABILITY.md 5.4: 10 failures in 5 minutes from one address lock it out for 15 minutes. */
#define NL_LOCKOUT_FAILURES  10
#define NL_LOCKOUT_WINDOW_MS (5u * 60u * 1000u)
#define NL_LOCKOUT_MS        (15u * 60u * 1000u)
#define NL_LOCKOUT_SLOTS     1024 /* addresses tracked at once; the oldest is evicted */
#define NL_LOCKOUT_ADDR_LEN  48   /* INET6_ADDRSTRLEN, with its NUL */

struct nl_lockout_slot {
    char addr[NL_LOCKOUT_ADDR_LEN]; /* "" = free */
    uint64_t window_start;          /* monotonic ms of the first failure of the window */
    uint64_t locked_until;          /* monotonic ms; 0 = not locked */
    uint64_t last_ms;               /* last failure, for eviction */
    unsigned failures;              /* failures in the current window */
};

/*
 * Failure counts per peer address. A zeroed struct is an empty table (it is
 * embedded in the calloc'd server). Fixed size: at most NL_LOCKOUT_SLOTS
 * addresses; a new address in a full table replaces the slot whose last
 * failure is oldest, preferring slots that are not locked. Loop thread only.
 */
struct nl_lockout {
    struct nl_lockout_slot slot[NL_LOCKOUT_SLOTS];
    size_t n; /* slots in use: slot[0..n-1] */
};

/*
 * The address part of a peer "IP:PORT" ("[" and "]" not used: the port is
 * after the last ':'), NUL-terminated into out[outlen]; a peer without ':'
 * (e.g. "memory") is copied whole, truncated to fit.
 */
void nl_lockout_addr(const char *peer, char *out, size_t outlen);

/* Milliseconds left of `addr`'s lockout at monotonic time `now`; 0 when not locked. */
uint64_t nl_lockout_remaining(struct nl_lockout *l, const char *addr, uint64_t now);

/*
 * Counts one failed authentication from `addr` at `now`. Failures older
 * than NL_LOCKOUT_WINDOW_MS start a new window; the NL_LOCKOUT_FAILURES-th
 * in a window locks the address until now + NL_LOCKOUT_MS. Failures while
 * locked are not counted (the lockout does not grow). Returns 1 when this
 * failure started a lockout, else 0.
 */
int nl_lockout_fail(struct nl_lockout *l, const char *addr, uint64_t now);

/* How an `authorization` header value reads (nl_auth_bearer_parse). */
enum nl_auth_header {
    NL_AUTH_HDR_OK = 0,  /* "Bearer <token>" with a well-formed token */
    NL_AUTH_HDR_BAD = 1, /* another scheme, no token, or a malformed token */
};

/*
 * Parses an `authorization` header value of `len` bytes (not NUL-terminated):
 * the scheme "Bearer" (any case, RFC 7235), one or more spaces, then a token
 * as nl_token_parse reads it and nothing after. On NL_AUTH_HDR_OK *t holds
 * the token (the caller wipes it with nl_token_wipe); otherwise *t is wiped.
 */
enum nl_auth_header nl_auth_bearer_parse(const char *value, size_t len, struct nl_token *t);

/*
 * Verifies token *t (borrowed; not wiped here) against the stored credential
 * through `st` inside the caller's transaction, at the current time, and
 * completes *who (role, unit_id, token_id; peer and cert_fp are the
 * caller's). `cert_unit` is the unit code of the connection's client
 * certificate ("" or NULL without one): a district token of another unit is
 * refused. *verdict is the token's verdict (NL_TOKEN_VALID when the store
 * accepted it, even if the certificate refused it afterwards).
 * Returns NL_OK; NL_UNAUTHENTICATED with a message for the client in
 * msg[msglen] (never the token, never which check failed beyond the
 * certificate mismatch); or the store's status when it could not answer.
 */
enum nl_status nl_auth_identify(struct nl_store *st, const struct nl_token *t,
                                const char *cert_unit, struct nl_identity *who,
                                enum nl_token_verdict *verdict, char *msg, size_t msglen);

#endif
