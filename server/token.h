/*
 * token.h - bearer token primitives: generate, format, parse, hash, compare.
 *
 * A token reads `nl_<id>_<secret>`:
 * - id: 12 lower-case hex digits (48 random bits). The lookup key of the
 *   stored credential; not secret, it may appear in logs and lists.
 * - secret: 256 random bits (OpenSSL RAND_bytes) in base64url without
 *   padding, 43 characters. Only its SHA-256 is ever stored; the secret and
 *   the whole token text go to the one who asked for the token, once, and
 *   never to the database or a log line.
 *
 * Pure functions over caller-owned buffers: no allocation, no I/O, no
 * SQLite. Roles live here too, so the store and (later) the dispatcher
 * share one spelling.
 */
#ifndef NL_TOKEN_H
#define NL_TOKEN_H

#include <stddef.h>

#define NL_TOKEN_PREFIX       "nl_"
#define NL_TOKEN_PREFIX_LEN   3
#define NL_TOKEN_ID_LEN       12 /* hex digits */
#define NL_TOKEN_SECRET_BYTES 32 /* 256 bits */
#define NL_TOKEN_SECRET_LEN   43 /* base64url characters, no padding */
#define NL_TOKEN_HASH_BYTES   32 /* SHA-256 */
/* "nl_" + id + "_" + secret: 59 characters, no NUL. */
#define NL_TOKEN_TEXT_LEN (NL_TOKEN_PREFIX_LEN + NL_TOKEN_ID_LEN + 1 + NL_TOKEN_SECRET_LEN)

/* A token in parts. Wipe it (nl_token_wipe) once the secret is no longer needed. */
struct nl_token {
    char id[NL_TOKEN_ID_LEN + 1]; /* NUL-terminated lower-case hex */
    unsigned char secret[NL_TOKEN_SECRET_BYTES];
};

/* Roles of a credential (RELIABILITY.md 5.2). 0 is no role. */
enum nl_role {
    NL_ROLE_ADMIN = 1,
    NL_ROLE_CENTRAL = 2,
    NL_ROLE_DISTRICT = 3,
};

/*
 * Fills *t with a fresh random id and secret from OpenSSL's RAND_bytes.
 * Returns 0, or -1 when the random generator failed (*t is then wiped and
 * must not be used).
 */
int nl_token_generate(struct nl_token *t);

/*
 * Writes the text `nl_<id>_<secret>` of *t, NUL-terminated, into out
 * (outlen >= NL_TOKEN_TEXT_LEN + 1). Returns 0, or -1 when out is too small
 * (out is then "" if outlen > 0). The text holds the secret: the caller
 * shows it once and wipes it (nl_token_wipe_text).
 */
int nl_token_format(const struct nl_token *t, char *out, size_t outlen);

/*
 * Parses `len` bytes at `text` (not necessarily NUL-terminated, e.g. a
 * header value after "Bearer "). Strict: exactly NL_TOKEN_TEXT_LEN bytes,
 * the prefix "nl_", 12 lower-case hex digits, "_", 43 base64url characters
 * whose unused low bits are zero (so one secret has one spelling). Nothing
 * before or after. Returns 0 with *t filled, or -1 (then *t is wiped).
 */
int nl_token_parse(const char *text, size_t len, struct nl_token *t);

/* 1 if `id` (NUL-terminated) is exactly 12 lower-case hex digits, else 0. */
int nl_token_id_valid(const char *id);

/* out = SHA-256 of the NL_TOKEN_SECRET_BYTES secret bytes (OpenSSL). */
void nl_token_hash(const unsigned char *secret, unsigned char *out);

/*
 * Hashes `secret` and compares the digest with `stored` (NL_TOKEN_HASH_BYTES)
 * using CRYPTO_memcmp, so the time taken does not depend on where they
 * differ. Returns 1 when they match, else 0.
 */
int nl_token_secret_matches(const unsigned char *secret, const unsigned char *stored);

/* Overwrites *t (OPENSSL_cleanse), so the secret does not linger in memory. */
void nl_token_wipe(struct nl_token *t);

/* Overwrites `len` bytes of a buffer that held token text (OPENSSL_cleanse). */
void nl_token_wipe_text(char *text, size_t len);

/* Why a presented token is or is not accepted (for logs and the audit trail, never a client). */
enum nl_token_verdict {
    NL_TOKEN_VALID = 0,
    NL_TOKEN_MALFORMED = 1,  /* nl_token_parse refused the text */
    NL_TOKEN_UNKNOWN = 2,    /* no credential has the id */
    NL_TOKEN_BAD_SECRET = 3, /* the id exists, the secret's hash differs */
    NL_TOKEN_REVOKED = 4,
    NL_TOKEN_EXPIRED = 5, /* expires_at <= now */
};

/* The length of a timestamp "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC), without the NUL. */
#define NL_TOKEN_TIME_LEN 24

/*
 * Writes the current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ" (the form of
 * SQLite's strftime('%Y-%m-%dT%H:%M:%fZ','now') that the store writes, so
 * the two compare as text) into out (outlen >= NL_TOKEN_TIME_LEN + 1).
 * Returns 0, or -1 (out "" if outlen > 0).
 */
int nl_token_time_now(char *out, size_t outlen);

/*
 * The verdict on a parsed token against its stored credential: `stored` is
 * the stored SHA-256 (NULL when no credential has the id), `expires_at` and
 * `revoked_at` its timestamps (revoked_at NULL or "" = not revoked), `now` a
 * timestamp of the same form (NULL = the current time). The secret is
 * hashed and compared in constant time in every case, an unknown id
 * included, so the work done does not tell an unknown id from a wrong
 * secret. A wrong secret is reported before revocation and expiry. Pure
 * apart from reading the clock when now is NULL; a clock failure counts as
 * expired.
 */
enum nl_token_verdict nl_token_check(const struct nl_token *t, const unsigned char *stored,
                                     const char *expires_at, const char *revoked_at,
                                     const char *now);

/*
 * The same verdict when the secret comparison is already done: `found` =
 * a credential has the id, `match` = the secret matched it. nl_token_check
 * is this after its constant-time comparison.
 */
enum nl_token_verdict nl_token_verdict_of(int found, int match, const char *expires_at,
                                          const char *revoked_at, const char *now);

/* "valid", "malformed", "unknown id", "wrong secret", "revoked", "expired". Static. */
const char *nl_token_verdict_name(enum nl_token_verdict v);

/* "admin", "central", "district" for a role; "" for anything else. Static. */
const char *nl_role_name(int role);

/* The role named `name` (exact, lower case), or 0 when none. */
int nl_role_parse(const char *name);

#endif
