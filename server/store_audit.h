/*
 * store_audit.h - the audit trail (issue 5; RELIABILITY.md security
 * section): an append-only, hash-chained table of who did what, when, from
 * where, and with which outcome.
 *
 * Every entry carries the SHA-256 of its predecessor's hash and its own
 * content: hash = SHA-256(prev_hash || encoding), where the encoding is the
 * entry's seq as 8 bytes big-endian followed by each text field (at,
 * token_id, role, unit, cert_fp, peer, method, keys, outcome, in that order)
 * as a 4-byte big-endian length and its bytes, so no two different entries
 * encode alike. The first entry's prev_hash is 32 zero bytes. Triggers of
 * the table refuse UPDATE and DELETE; an attacker who drops them and edits,
 * deletes or re-hashes rows is found by nl_store_audit_verify (the last
 * entries can only be vouched for by the head hash kept elsewhere: the
 * server logs it at each start).
 *
 * Entries hold record keys only (unit codes, class refs, cadre codes,
 * years), never personal values: the caller builds `keys` (audit.h).
 *
 * Nothing of the chain is cached in C: each append reads the head from the
 * table inside the caller's transaction, so an append undone by ROLLBACK TO
 * (or a whole rolled-back transaction) leaves no stale head behind and the
 * next append follows the head that is really stored (RELIABILITY.md 2.3).
 */
#ifndef NL_STORE_AUDIT_H
#define NL_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"

struct nl_store;

#define NL_AUDIT_HASH_BYTES 32
#define NL_AUDIT_LIST_MAX   1000 /* entries per nl_store_audit_list page */

/* One entry. Strings are borrowed (append) or arena-owned (list); NULL reads as "". */
struct nl_audit_rec {
    int64_t seq;          /* 1, 2, 3 ... without gaps; set by append */
    const char *at;       /* UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" of the call */
    const char *token_id; /* the presented token's public id, "" for none */
    const char *role;     /* "admin", "central", "district" or "" (no verified credential) */
    const char *unit;     /* a district token's unit code, else ""; append resolves unit_id */
    int64_t unit_id;      /* append only: when non-zero, `unit` is this unit's code */
    const char *cert_fp;  /* the client certificate's SHA-256 hex, "" for none */
    const char *peer;     /* "IP:PORT" of the caller */
    const char *method;   /* the gRPC path */
    const char *keys;     /* the request's record keys ("unit=tay-ho year=2024"), "" for none */
    const char *outcome;  /* the status name ("OK", "PERMISSION_DENIED", ...) */
    unsigned char prev_hash[NL_AUDIT_HASH_BYTES];
    unsigned char hash[NL_AUDIT_HASH_BYTES];
};

/*
 * The chain hash of `r` (its seq and text fields; r->prev_hash and r->hash
 * are not read) after `prev`: SHA-256(prev || encoding), into out. Returns
 * 0, or -1 when OpenSSL fails.
 */
int nl_audit_hash(const unsigned char prev[NL_AUDIT_HASH_BYTES], const struct nl_audit_rec *r,
                  unsigned char out[NL_AUDIT_HASH_BYTES]);

/*
 * Appends `r` (borrowed) at the head of the chain, inside the caller's write
 * transaction: sets r->seq, r->prev_hash and r->hash (and r->unit from
 * r->unit_id when that is non-zero, pointing into `a`). Returns NL_OK or the
 * store's mapped status.
 */
enum nl_status nl_store_audit_append(struct nl_store *st, struct nl_audit_rec *r,
                                     struct nl_arena *a);

/* The method of the entry nl_store_audit_local writes for `nhanlucd --bootstrap-admin`. */
#define NL_AUDIT_BOOTSTRAP "nhanlucd --bootstrap-admin"
/* ... and for `nhanlucd --restore` (nl_store_audit_local_keys, keys "backup=NAME seq=N"). */
#define NL_AUDIT_RESTORE "nhanlucd --restore"

/*
 * Appends the entry of an administrative action taken on the server machine
 * itself, outside any RPC (e.g. `action` NL_AUDIT_BOOTSTRAP): method
 * `action`, role "", unit "", cert_fp "", peer "local", token_id `token_id`
 * (the token the action created or changed; "" for none), keys
 * "token=<token_id>" ("" when token_id is ""), outcome "OK", timed now.
 * Call it inside the caller's open write transaction, the one that made the
 * change, before COMMIT: the change and its entry commit together or not at
 * all. Strings are borrowed. Returns NL_OK; NL_FAILED_PRECONDITION (nothing
 * written) when no transaction is open; else the store's mapped status, on
 * which the caller rolls back.
 */
enum nl_status nl_store_audit_local(struct nl_store *st, const char *action, const char *token_id,
                                    struct nl_arena *a);

/* nl_store_audit_local with the entry's keys given (borrowed; "" or NULL for none). */
enum nl_status nl_store_audit_local_keys(struct nl_store *st, const char *action,
                                         const char *token_id, const char *keys,
                                         struct nl_arena *a);

/*
 * The head of the chain: *seq (0 when empty) and its hash (zeros when empty).
 * Any transaction or none. NL_OK or a mapped status.
 */
enum nl_status nl_store_audit_head(struct nl_store *st, int64_t *seq,
                                   unsigned char hash[NL_AUDIT_HASH_BYTES]);

/*
 * The entries with seq > after_seq in seq order, at most `limit` (1 ..
 * NL_AUDIT_LIST_MAX): *rows is an arena array of *n, *more = 1 when others
 * follow. NL_OK or a mapped status.
 */
enum nl_status nl_store_audit_list(struct nl_store *st, int64_t after_seq, size_t limit,
                                   struct nl_audit_rec **rows, size_t *n, int *more,
                                   struct nl_arena *a);

/* What nl_store_audit_verify found. */
struct nl_audit_check {
    int64_t checked;    /* entries read */
    int64_t broken_seq; /* the first broken entry, 0 when the chain is intact */
    const char *reason; /* static: why broken_seq is broken; "" when intact */
    int64_t head_seq;   /* the last entry read (0 when empty) */
    unsigned char head_hash[NL_AUDIT_HASH_BYTES]; /* its stored hash */
};

/* Reasons of struct nl_audit_check (static texts, compared by tests). */
#define NL_AUDIT_GAP      "missing entry (a gap in seq)"
#define NL_AUDIT_PREV     "prev_hash differs from the previous entry's hash"
#define NL_AUDIT_MISMATCH "hash differs from the entry's content"
/* Against an anchor (a head kept elsewhere: a backup's manifest, a start-up log line). */
#define NL_AUDIT_TRUNCATED                                                                         \
    "missing entry: the trail ends before an anchor (entries removed from its end)"
#define NL_AUDIT_ANCHOR "hash differs from an anchor's (the trail was rewritten up to here)"

/*
 * The stored hash of entry `seq`: *found = 1 and hash filled, or *found = 0
 * when no entry has that seq. NL_OK or a mapped status.
 */
enum nl_status nl_store_audit_hash_at(struct nl_store *st, int64_t seq,
                                      unsigned char hash[NL_AUDIT_HASH_BYTES], int *found);

/*
 * Walks the whole chain in seq order from 1: an entry whose seq is not the
 * next number names the first missing seq (NL_AUDIT_GAP); one whose
 * prev_hash is not its predecessor's stored hash (32 zeros for seq 1) is
 * NL_AUDIT_PREV; one whose stored hash is not nl_audit_hash() of its content
 * is NL_AUDIT_MISMATCH. Stops at the first broken entry. Read-only; run it
 * inside a read transaction for one snapshot. NL_OK (even when broken: see
 * *out) or a mapped status (DEADLINE_EXCEEDED when interrupted).
 */
enum nl_status nl_store_audit_verify(struct nl_store *st, struct nl_audit_check *out);

/* Lower-case hex of a hash into out (at least 2 * NL_AUDIT_HASH_BYTES + 1 bytes). */
void nl_audit_hex(const unsigned char h[NL_AUDIT_HASH_BYTES], char *out);

#endif
