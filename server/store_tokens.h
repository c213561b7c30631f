/*
 * store_tokens.h - stored credentials: table `auth_token` of schema
 * migrations 8 and 9 (RELIABILITY.md 5.1, issue 5).
 *
 * A credential is keyed by its token id (token.h) and stores only the
 * SHA-256 of the token's secret, its role, its unit (district tokens only),
 * a name for people, and created/expires/revoked times as
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" UTC text. The secret and the token text are
 * handed to the creator once and never written to the database or logged.
 *
 * Strings of records are arena-owned (output) unless said otherwise. Writes
 * run inside a write transaction; reads in any transaction.
 */
#ifndef NL_STORE_TOKENS_H
#define NL_STORE_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "token.h"

#define NL_TOKEN_TTL_DAYS_DEFAULT 90
#define NL_TOKEN_TTL_DAYS_MAX     3650
#define NL_TOKEN_NAME_MAX         200 /* bytes of NFC text */
#define NL_TOKEN_LIST_MAX         10000

/* What to create. Strings borrowed. */
struct nl_token_req {
    int role;              /* enum nl_role */
    const char *unit;      /* unit code: required for district, NULL or "" for the others */
    const char *name;      /* 1..NL_TOKEN_NAME_MAX bytes of UTF-8 without controls; stored in NFC */
    unsigned ttl_days;     /* 0 = NL_TOKEN_TTL_DAYS_DEFAULT; at most NL_TOKEN_TTL_DAYS_MAX */
    int may_write_targets; /* 1: a central token granted target writes (migration 9) */
};

/* A stored credential, without its hash. */
struct nl_token_rec {
    char id[NL_TOKEN_ID_LEN + 1];
    int role;               /* enum nl_role */
    int64_t unit_id;        /* unit(id); 0 for admin and central */
    const char *unit;       /* the unit's code; "" for admin and central */
    const char *name;       /* NFC */
    const char *created_at; /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
    const char *expires_at;
    const char *revoked_at; /* "" = not revoked */
    int may_write_targets;  /* 1 only for a central token granted target writes */
};

/*
 * Creates a credential inside a write transaction: a fresh random token
 * (nl_token_generate; a new id is drawn again should it collide), its
 * secret's SHA-256 stored with the request's role, unit and name, expiring
 * ttl_days from now. On NL_OK the token text `nl_<id>_<secret>`
 * (NUL-terminated) is in text[textlen >= NL_TOKEN_TEXT_LEN + 1]: the only
 * copy of the secret, which the caller shows once and then wipes
 * (nl_token_wipe_text); *out (may be NULL) is the stored row, in `a`.
 * Refusals write nothing and return NL_INVALID_ARGUMENT with msg:
 * "token.role: ..." (not a role), "token.unit: ..." (missing for district,
 * given for another role, or no such unit), "token.name: ...",
 * "token.ttl_days: ...", "token.may_write_targets: ..." (a grant for a
 * role other than central). NL_INTERNAL when the random generator fails; a
 * store status otherwise. text is "" unless NL_OK.
 */
enum nl_status nl_store_token_create(struct nl_store *st, const struct nl_token_req *req,
                                     char *text, size_t textlen, struct nl_token_rec *out,
                                     char *msg, size_t msglen, struct nl_arena *a);

/*
 * The credential with id `id` for verification: *out (strings in `a`) and
 * its stored SHA-256 in hash[NL_TOKEN_HASH_BYTES]. *found = 0 (and *out
 * zeroed, hash untouched) when none has the id.
 */
enum nl_status nl_store_token_find(struct nl_store *st, const char *id, struct nl_token_rec *out,
                                   unsigned char *hash, int *found, struct nl_arena *a);

/*
 * Makes every connection's cached credentials stale: for changes made to
 * auth_token other than through nl_store_token_revoke (raw SQL in tests,
 * maintenance tools in this process). Any thread.
 */
void nl_store_tokens_changed(void);

#define NL_TOKEN_CACHE_TTL_MS 30000u
#define NL_TOKEN_CACHE_MAX    1024u

/*
 * nl_store_token_find through the connection's credential cache: the same
 * answer, from memory when this connection read the id less than
 * NL_TOKEN_CACHE_TTL_MS ago and no token was revoked in this process
 * since (a revocation bumps a process-wide generation). So a revocation
 * made through this server takes effect on the next call, and one made by
 * another process within the TTL (RELIABILITY.md 5.1 allows 60 s). Unknown
 * ids are not cached, so a new token works at once.
 */
enum nl_status nl_store_token_find_cached(struct nl_store *st, const char *id,
                                          struct nl_token_rec *out, unsigned char *hash, int *found,
                                          struct nl_arena *a);

/*
 * The credential check of every authenticated call (auth.c): looks t->id up
 * through the cache (nl_store_token_find_cached; *out as there) and gives
 * the verdict of nl_token_check. A cached credential remembers the secret
 * it last verified, so the same token again is compared with it in constant
 * time without hashing; any other secret is hashed and compared with the
 * stored SHA-256 as always (an unknown id too). The remembered secret goes
 * with its cache entry (TTL, revocation) and is wiped when the connection
 * closes.
 */
enum nl_status nl_store_token_verify_cached(struct nl_store *st, const struct nl_token *t,
                                            struct nl_token_rec *out,
                                            enum nl_token_verdict *verdict, struct nl_arena *a);

/*
 * Verifies a presented token: `len` bytes at `text` (the value after
 * "Bearer "), against the stored credential at time `now` (NULL = the
 * current time; "YYYY-MM-DDTHH:MM:SS.mmmZ"). Sets *verdict (token.h); on
 * NL_TOKEN_VALID *out is the credential (strings in `a`), otherwise *out is
 * zeroed, apart from out->id once the text parsed. Returns NL_OK whenever
 * the store answered (whatever the verdict) or the store's status; the
 * caller turns any verdict other than NL_TOKEN_VALID into UNAUTHENTICATED.
 * The parsed secret is wiped before returning.
 */
enum nl_status nl_store_token_verify(struct nl_store *st, const char *text, size_t len,
                                     const char *now, enum nl_token_verdict *verdict,
                                     struct nl_token_rec *out, struct nl_arena *a);

/*
 * Every credential, revoked and expired ones included, without hashes,
 * ordered by created_at then id. *rows is an arena array of *n; more than
 * NL_TOKEN_LIST_MAX is NL_RESOURCE_EXHAUSTED.
 */
enum nl_status nl_store_token_list(struct nl_store *st, struct nl_token_rec **rows, size_t *n,
                                   struct nl_arena *a);

/*
 * Revokes credential `id` inside a write transaction: *revoked = 1 when it
 * was active and revoked_at is now set; 0 when it was revoked already (the
 * first revocation time stays, nothing is written). NL_NOT_FOUND when no
 * credential has the id.
 */
enum nl_status nl_store_token_revoke(struct nl_store *st, const char *id, int *revoked);

/*
 * *exists = 1 when an admin credential usable at `now` exists (not revoked,
 * expires_at > now; now NULL = the current time), else 0. A revoked or
 * expired admin token does not count, so the operator can bootstrap again.
 */
enum nl_status nl_store_token_admin_exists(struct nl_store *st, const char *now, int *exists);

#endif
