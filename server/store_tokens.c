/*
 * store_tokens.c - the typed queries of the stored credentials
 * (store_tokens.h): create, find for verification, verify, list, revoke,
 * and whether a usable admin credential exists.
 *
 * Part of the store module (store_int.h): every statement is a static string
 * prepared once per connection by nl_store_stmt() and reset after each use.
 * The table keeps SHA-256(secret) only. The secret exists in this file as a
 * struct nl_token on the stack while a token is created or verified and is
 * cleansed before the function returns; the token text is written only into
 * the caller's buffer. Nothing here logs a token, a secret or a hash: the
 * store's own failure logging names our constant `what` texts only.
 * Timestamps are SQLite's strftime('%Y-%m-%dT%H:%M:%fZ','now') text, which
 * nl_token_time_now() reproduces, so expiry is a text comparison.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../common/text.h"
#include "store.h"
#include "store_int.h"
#include "store_tokens.h"
#include "token.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* New ids drawn when one collides with a stored id (48 random bits: practically never twice). */
#define ID_ATTEMPTS 4

static const char SQL_UNIT_ID[] = "SELECT id FROM unit WHERE code = ?1";
static const char SQL_TOKEN_ID_TAKEN[] = "SELECT 1 FROM auth_token WHERE id = ?1";
/*
 * ?1 id, ?2 SHA-256 of the secret, ?3 role, ?4 unit id (0 = none), ?5 name, ?6 days to live,
 * ?7 the target-writing grant (0 or 1).
 */
static const char SQL_TOKEN_INSERT[] =
    "INSERT INTO auth_token(id, secret_sha256, role, unit_id, name, created_at, expires_at,"
    " may_write_targets) VALUES (?1, ?2, ?3, nullif(?4, 0), ?5, " NOW_SQL ","
    " strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('+%d days', ?6)), ?7)";

/* The columns of a record, in the order token_row() reads them; the hash comes after them. */
#define TOKEN_COLS                                                                                 \
    "SELECT t.id, t.role, ifnull(t.unit_id, 0), ifnull(u.code, ''), t.name, t.created_at,"         \
    " t.expires_at, ifnull(t.revoked_at, ''), t.may_write_targets"
#define TOKEN_FROM " FROM auth_token AS t LEFT JOIN unit AS u ON u.id = t.unit_id"
static const char SQL_TOKEN_FIND[] = TOKEN_COLS ", t.secret_sha256" TOKEN_FROM " WHERE t.id = ?1";
static const char SQL_TOKEN_LIST[] = TOKEN_COLS TOKEN_FROM " ORDER BY t.created_at, t.id";

static const char SQL_TOKEN_REVOKED_AT[] =
    "SELECT ifnull(revoked_at, '') FROM auth_token WHERE id = ?1";
static const char SQL_TOKEN_REVOKE[] =
    "UPDATE auth_token SET revoked_at = " NOW_SQL " WHERE id = ?1 AND revoked_at IS NULL";
static const char SQL_ADMIN_EXISTS[] =
    "SELECT EXISTS(SELECT 1 FROM auth_token"
    " WHERE role = 'admin' AND revoked_at IS NULL AND expires_at > ?1)";

/* Copies the record columns of the current row into the nl_token_rec at `out`. */
static enum nl_status token_row(sqlite3_stmt *s, void *out, struct nl_arena *a)
{
    struct nl_token_rec *r = out;
    const unsigned char *id = sqlite3_column_text(s, 0);
    const unsigned char *role = sqlite3_column_text(s, 1);

    memset(r, 0, sizeof(*r));
    if (id != NULL)
        (void)snprintf(r->id, sizeof(r->id), "%s", (const char *)id);
    r->role = nl_role_parse((const char *)role);
    r->unit_id = sqlite3_column_int64(s, 2);
    r->unit = nl_store_col_text(s, 3, a);
    r->name = nl_store_col_text(s, 4, a);
    r->created_at = nl_store_col_text(s, 5, a);
    r->expires_at = nl_store_col_text(s, 6, a);
    r->revoked_at = nl_store_col_text(s, 7, a);
    r->may_write_targets = sqlite3_column_int(s, 8) != 0;
    return r->unit == NULL || r->name == NULL || r->created_at == NULL || r->expires_at == NULL ||
                   r->revoked_at == NULL
               ? NL_RESOURCE_EXHAUSTED
               : NL_OK;
}

/* *taken = 1 when a stored credential has id `id`. */
static enum nl_status id_taken(struct nl_store *st, const char *id, int *taken)
{
    sqlite3_stmt *s = NULL;
    enum nl_status res =
        nl_store_find_by_code(st, SQL_TOKEN_ID_TAKEN, id, "bind token id", &s, taken);

    nl_store_stmt_done(s);
    return res;
}

/* Checks a create request; resolves the unit into *unit_id and the NFC name into *name. */
static enum nl_status check_req(struct nl_store *st, const struct nl_token_req *req,
                                sqlite3_int64 *unit_id, char **name, char *msg, size_t msglen,
                                struct nl_arena *a)
{
    int has_unit = req->unit != NULL && req->unit[0] != '\0';
    sqlite3_stmt *s = NULL;
    enum nl_status res;
    int row = 0, rc;

    *unit_id = 0;
    if (nl_role_name(req->role)[0] == '\0') {
        nl_store_fmt_msg(msg, msglen, "token.role: must be admin, central or district");
        return NL_INVALID_ARGUMENT;
    }
    if (req->role == NL_ROLE_DISTRICT && !has_unit) {
        nl_store_fmt_msg(msg, msglen, "token.unit: a district token needs a unit");
        return NL_INVALID_ARGUMENT;
    }
    if (req->role != NL_ROLE_DISTRICT && has_unit) {
        nl_store_fmt_msg(msg, msglen, "token.unit: only a district token names a unit");
        return NL_INVALID_ARGUMENT;
    }
    rc = nl_text_nfc(a, req->name != NULL ? req->name : "",
                     req->name != NULL ? strlen(req->name) : 0, 1, NL_TOKEN_NAME_MAX, name);
    if (rc == NL_TEXT_NOMEM)
        return NL_RESOURCE_EXHAUSTED;
    if (rc != NL_TEXT_OK) {
        nl_store_fmt_msg(msg, msglen, "token.name: %s", nl_text_strerror(rc));
        return NL_INVALID_ARGUMENT;
    }
    if (req->may_write_targets && req->role != NL_ROLE_CENTRAL) {
        nl_store_fmt_msg(msg, msglen,
                         "token.may_write_targets: only a central token can be granted target "
                         "writes");
        return NL_INVALID_ARGUMENT;
    }
    if (req->ttl_days > NL_TOKEN_TTL_DAYS_MAX) {
        nl_store_fmt_msg(msg, msglen, "token.ttl_days: at most %d", NL_TOKEN_TTL_DAYS_MAX);
        return NL_INVALID_ARGUMENT;
    }
    if (!has_unit)
        return NL_OK;
    res = nl_store_find_by_code(st, SQL_UNIT_ID, req->unit, "bind unit code", &s, &row);
    if (res == NL_OK && row)
        *unit_id = sqlite3_column_int64(s, 0);
    nl_store_stmt_done(s);
    if (res == NL_OK && !row) {
        nl_store_fmt_msg(msg, msglen, "token.unit: no such unit");
        return NL_INVALID_ARGUMENT;
    }
    return res;
}

/* Inserts the credential of token t. */
static enum nl_status insert_token(struct nl_store *st, const struct nl_token *t,
                                   const struct nl_token_req *req, sqlite3_int64 unit_id,
                                   const char *name)
{
    unsigned char hash[NL_TOKEN_HASH_BYTES];
    unsigned ttl = req->ttl_days == 0 ? NL_TOKEN_TTL_DAYS_DEFAULT : req->ttl_days;
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TOKEN_INSERT, &res);

    if (s == NULL)
        return res;
    nl_token_hash(t->secret, hash);
    if (nl_store_bind_text(s, 1, t->id) != SQLITE_OK ||
        sqlite3_bind_blob(s, 2, hash, (int)sizeof(hash), SQLITE_STATIC) != SQLITE_OK ||
        nl_store_bind_text(s, 3, nl_role_name(req->role)) != SQLITE_OK ||
        sqlite3_bind_int64(s, 4, unit_id) != SQLITE_OK ||
        nl_store_bind_text(s, 5, name) != SQLITE_OK ||
        sqlite3_bind_int(s, 6, (int)ttl) != SQLITE_OK ||
        sqlite3_bind_int(s, 7, req->may_write_targets ? 1 : 0) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind token insert");
    else
        res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_token_create(struct nl_store *st, const struct nl_token_req *req,
                                     char *text, size_t textlen, struct nl_token_rec *out,
                                     char *msg, size_t msglen, struct nl_arena *a)
{
    unsigned char hash[NL_TOKEN_HASH_BYTES];
    struct nl_token t;
    sqlite3_int64 unit_id = 0;
    char *name = NULL;
    enum nl_status res;
    int taken = 1, found = 0;

    memset(&t, 0, sizeof(t));
    if (textlen > 0)
        text[0] = '\0';
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    nl_store_fmt_msg(msg, msglen, "%s", "");
    if (textlen < NL_TOKEN_TEXT_LEN + 1) {
        nl_store_fmt_msg(msg, msglen, "token: no room for the token text");
        return NL_INTERNAL;
    }
    res = check_req(st, req, &unit_id, &name, msg, msglen, a);
    for (int i = 0; res == NL_OK && taken && i < ID_ATTEMPTS; i++) {
        if (nl_token_generate(&t) != 0) {
            nl_store_fmt_msg(msg, msglen, "token: the random generator failed");
            res = NL_INTERNAL;
        } else {
            res = id_taken(st, t.id, &taken);
        }
    }
    if (res == NL_OK && taken) {
        nl_store_fmt_msg(msg, msglen, "token: no free token id, try again");
        res = NL_UNAVAILABLE;
    }
    if (res == NL_OK)
        res = insert_token(st, &t, req, unit_id, name);
    if (res == NL_OK && out != NULL) {
        res = nl_store_token_find(st, t.id, out, hash, &found, a);
        if (res == NL_OK && !found)
            res = NL_INTERNAL; /* cannot happen inside the transaction that inserted it */
    }
    if (res == NL_OK)
        (void)nl_token_format(&t, text, textlen);
    nl_token_wipe(&t);
    nl_store_default_msg(res, msg, msglen);
    return res;
}

enum nl_status nl_store_token_find(struct nl_store *st, const char *id, struct nl_token_rec *out,
                                   unsigned char *hash, int *found, struct nl_arena *a)
{
    sqlite3_stmt *s = NULL;
    enum nl_status res;
    int row = 0;

    *found = 0;
    memset(out, 0, sizeof(*out));
    if (!nl_token_id_valid(id))
        return NL_OK; /* no stored id has another shape (migration 8 checks it) */
    res = nl_store_find_by_code(st, SQL_TOKEN_FIND, id, "bind token id", &s, &row);
    if (res == NL_OK && row) {
        const void *blob = sqlite3_column_blob(s, 9);
        if (blob == NULL || sqlite3_column_bytes(s, 9) != NL_TOKEN_HASH_BYTES) {
            res = NL_DATA_LOSS; /* the table's CHECK keeps this from happening */
        } else {
            memcpy(hash, blob, NL_TOKEN_HASH_BYTES);
            res = token_row(s, out, a);
            *found = res == NL_OK;
        }
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_token_verify(struct nl_store *st, const char *text, size_t len,
                                     const char *now, enum nl_token_verdict *verdict,
                                     struct nl_token_rec *out, struct nl_arena *a)
{
    unsigned char hash[NL_TOKEN_HASH_BYTES];
    struct nl_token t;
    enum nl_status res;
    int found = 0;

    memset(out, 0, sizeof(*out));
    *verdict = NL_TOKEN_MALFORMED;
    if (nl_token_parse(text, len, &t) != 0)
        return NL_OK;
    res = nl_store_token_find(st, t.id, out, hash, &found, a);
    if (res == NL_OK) {
        *verdict = nl_token_check(&t, found ? hash : NULL, out->expires_at, out->revoked_at, now);
        if (*verdict != NL_TOKEN_VALID) {
            memset(out, 0, sizeof(*out));
            memcpy(out->id, t.id, sizeof(out->id));
        }
    }
    nl_token_wipe(&t);
    return res;
}

enum nl_status nl_store_token_list(struct nl_store *st, struct nl_token_rec **rows, size_t *n,
                                   struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TOKEN_LIST, &res);
    void *arr = NULL;

    *rows = NULL;
    *n = 0;
    if (s == NULL)
        return res;
    res = nl_store_collect_rows(st, s, token_row, sizeof(**rows), NL_TOKEN_LIST_MAX, &arr, n, NULL,
                                a);
    *rows = arr;
    nl_store_stmt_done(s);
    return res;
}

/* Bumped by every revocation of this process (any thread): credential caches compare it. */
static atomic_uint token_generation;

enum nl_status nl_store_token_revoke(struct nl_store *st, const char *id, int *revoked)
{
    sqlite3_stmt *s = NULL;
    enum nl_status res;
    int row = 0, already = 0;

    *revoked = 0;
    if (!nl_token_id_valid(id))
        return NL_NOT_FOUND;
    res = nl_store_find_by_code(st, SQL_TOKEN_REVOKED_AT, id, "bind token id", &s, &row);
    if (res == NL_OK && row)
        already = !nl_store_col_eq(s, 0, "");
    nl_store_stmt_done(s);
    if (res != NL_OK)
        return res;
    if (!row)
        return NL_NOT_FOUND;
    if (already)
        return NL_OK;
    s = nl_store_stmt(st, SQL_TOKEN_REVOKE, &res);
    if (s == NULL)
        return res;
    /* Every connection's cached credentials are stale from now (and again once written). */
    atomic_fetch_add(&token_generation, 1);
    if (nl_store_bind_text(s, 1, id) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind token revoke");
    else
        res = nl_store_step_write(st, s);
    if (res == NL_OK)
        *revoked = sqlite3_changes(st->db) > 0;
    nl_store_stmt_done(s);
    atomic_fetch_add(&token_generation, 1);
    return res;
}

enum nl_status nl_store_token_admin_exists(struct nl_store *st, const char *now, int *exists)
{
    char clock[NL_TOKEN_TIME_LEN + 1];
    sqlite3_stmt *s = NULL;
    enum nl_status res;
    int row = 0;

    *exists = 0;
    if (now == NULL) {
        if (nl_token_time_now(clock, sizeof(clock)) != 0)
            return NL_INTERNAL;
        now = clock;
    }
    res = nl_store_find_by_code(st, SQL_ADMIN_EXISTS, now, "bind admin time", &s, &row);
    if (res == NL_OK && row)
        *exists = sqlite3_column_int(s, 0) != 0;
    nl_store_stmt_done(s);
    return res;
}

/* ---------- the per-connection credential cache ---------- */

void nl_store_tokens_changed(void)
{
    atomic_fetch_add(&token_generation, 1);
}

#define TEXT_CAP    72 /* unit codes (64), times (24): the strings a rec carries */
#define CACHE_PROBE 8  /* slots an id may take, from its home slot on */

struct token_entry {
    char id[NL_TOKEN_ID_LEN + 1]; /* "" = free slot */
    unsigned char hash[NL_TOKEN_HASH_BYTES];
    struct nl_token_rec rec; /* strings point into the buffers below */
    char unit[TEXT_CAP], name[NL_TOKEN_NAME_MAX + 1], created[TEXT_CAP], expires[TEXT_CAP],
        revoked[TEXT_CAP];
    uint64_t loaded_ms;
    unsigned gen;
    int has_secret;                              /* `secret` holds the last one verified */
    unsigned char secret[NL_TOKEN_SECRET_BYTES]; /* wiped with the entry */
};

struct nl_token_cache {
    struct token_entry e[NL_TOKEN_CACHE_MAX];
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void nl_store_token_cache_free(struct nl_store *st)
{
    if (st->tokens != NULL) {
        /* Remembered secrets are secrets: cleansed, not just freed. */
        OPENSSL_cleanse(st->tokens, sizeof(*st->tokens));
        free(st->tokens);
        st->tokens = NULL;
    }
}

static void keep_text(char *dst, size_t cap, const char *src)
{
    (void)snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* An id's home slot: ids are random hex, so their first digits spread evenly. */
static size_t home_slot(const char *id)
{
    size_t h = 0;

    for (int i = 0; i < 6 && id[i] != '\0'; i++)
        h = h * 16u + (size_t)(id[i] <= '9' ? id[i] - '0' : (id[i] | 0x20) - 'a' + 10);
    return h % NL_TOKEN_CACHE_MAX;
}

/*
 * The cache's part of a lookup: *ep = the live entry of `id` (fresh, same
 * generation) or NULL after reading the table and caching what it found.
 * Fills *out, hash and *found as nl_store_token_find.
 */
static enum nl_status cache_lookup(struct nl_store *st, const char *id, struct nl_token_rec *out,
                                   unsigned char *hash, int *found, struct nl_arena *a,
                                   struct token_entry **ep)
{
    struct nl_token_cache *c = st->tokens;
    unsigned gen = atomic_load(&token_generation);
    uint64_t now = mono_ms();
    struct token_entry *e = NULL, *free_slot = NULL;
    size_t home = home_slot(id);
    enum nl_status res;

    *ep = NULL;
    if (c == NULL && (c = st->tokens = calloc(1, sizeof(*c))) == NULL)
        return nl_store_token_find(st, id, out, hash, found, a);
    for (size_t k = 0; k < CACHE_PROBE; k++) {
        struct token_entry *x = &c->e[(home + k) % NL_TOKEN_CACHE_MAX];
        if (x->id[0] == '\0') {
            if (free_slot == NULL)
                free_slot = x;
        } else if (strcmp(x->id, id) == 0) {
            e = x;
            break;
        }
    }
    if (e != NULL && e->gen == gen && now - e->loaded_ms < NL_TOKEN_CACHE_TTL_MS) {
        *out = e->rec;
        memcpy(hash, e->hash, NL_TOKEN_HASH_BYTES);
        *found = 1;
        *ep = e;
        return NL_OK;
    }
    res = nl_store_token_find(st, id, out, hash, found, a);
    if (res != NL_OK || !*found) {
        if (e != NULL)
            OPENSSL_cleanse(e, sizeof(*e)); /* gone from the table: forget it */
        return res;
    }
    if (e == NULL)
        e = free_slot != NULL ? free_slot : &c->e[home]; /* all probed slots taken: evict */
    OPENSSL_cleanse(e, sizeof(*e));
    keep_text(e->id, sizeof(e->id), out->id);
    memcpy(e->hash, hash, NL_TOKEN_HASH_BYTES);
    e->rec = *out;
    keep_text(e->unit, sizeof(e->unit), out->unit);
    keep_text(e->name, sizeof(e->name), out->name);
    keep_text(e->created, sizeof(e->created), out->created_at);
    keep_text(e->expires, sizeof(e->expires), out->expires_at);
    keep_text(e->revoked, sizeof(e->revoked), out->revoked_at);
    e->rec.unit = e->unit;
    e->rec.name = e->name;
    e->rec.created_at = e->created;
    e->rec.expires_at = e->expires;
    e->rec.revoked_at = e->revoked;
    e->loaded_ms = now;
    e->gen = gen;
    *ep = e;
    return NL_OK;
}

enum nl_status nl_store_token_find_cached(struct nl_store *st, const char *id,
                                          struct nl_token_rec *out, unsigned char *hash, int *found,
                                          struct nl_arena *a)
{
    struct token_entry *e;

    return cache_lookup(st, id, out, hash, found, a, &e);
}

enum nl_status nl_store_token_verify_cached(struct nl_store *st, const struct nl_token *t,
                                            struct nl_token_rec *out,
                                            enum nl_token_verdict *verdict, struct nl_arena *a)
{
    static const unsigned char none[NL_TOKEN_HASH_BYTES];
    unsigned char hash[NL_TOKEN_HASH_BYTES];
    struct token_entry *e = NULL;
    int found = 0, match;
    enum nl_status res;

    *verdict = NL_TOKEN_UNKNOWN;
    res = cache_lookup(st, t->id, out, hash, &found, a, &e);
    if (res != NL_OK)
        return res;
    if (e != NULL && e->has_secret &&
        CRYPTO_memcmp(e->secret, t->secret, NL_TOKEN_SECRET_BYTES) == 0) {
        match = 1; /* the secret this credential verified before: no hash needed */
    } else {
        /* Hashed and compared for an unknown id too: the work does not tell them apart. */
        match = nl_token_secret_matches(t->secret, found ? hash : none);
        if (match && found && e != NULL) {
            memcpy(e->secret, t->secret, NL_TOKEN_SECRET_BYTES);
            e->has_secret = 1;
        }
    }
    OPENSSL_cleanse(hash, sizeof(hash));
    *verdict = nl_token_verdict_of(found, match, out->expires_at, out->revoked_at, NULL);
    return NL_OK;
}
