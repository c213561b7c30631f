/*
 * store_audit.c - the typed queries of the audit trail (store_audit.h):
 * append at the head of the hash chain, the head, a page of entries, and the
 * walk that verifies the chain.
 *
 * Part of the store module (store_int.h): every statement is a static string
 * prepared once per connection and reset after each use. Only the writer's
 * connection appends, inside the batch transaction, so the head read by
 * append is the head the new entry follows; the head is read at every
 * append and never cached, so a rolled-back append leaves nothing stale.
 * The hash is OpenSSL's SHA-256 over the prefix-free encoding documented in
 * store_audit.h. Local administrative actions (the bootstrap admin token)
 * append through the same function in their own write transaction.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "../common/log.h"
#include "store.h"
#include "store_audit.h"
#include "store_int.h"
#include "token.h"

#define AUDIT_COLS                                                                                 \
    "SELECT seq, at, token_id, role, unit, cert_fp, peer, method, keys, outcome, prev_hash, hash"  \
    " FROM audit"

static const char SQL_AUDIT_HEAD[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
static const char SQL_AUDIT_UNIT[] = "SELECT code FROM unit WHERE id = ?1";
static const char SQL_AUDIT_INSERT[] =
    "INSERT INTO audit(seq, at, token_id, role, unit, cert_fp, peer, method, keys, outcome,"
    " prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char SQL_AUDIT_PAGE[] = AUDIT_COLS " WHERE seq > ?1 ORDER BY seq LIMIT ?2";
static const char SQL_AUDIT_ALL[] = AUDIT_COLS " ORDER BY seq";
static const char SQL_AUDIT_HASH_AT[] = "SELECT hash FROM audit WHERE seq = ?1";

static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* The text fields of an entry in encoding order. */
static void audit_fields(const struct nl_audit_rec *r, const char *f[9])
{
    f[0] = str_or_empty(r->at);
    f[1] = str_or_empty(r->token_id);
    f[2] = str_or_empty(r->role);
    f[3] = str_or_empty(r->unit);
    f[4] = str_or_empty(r->cert_fp);
    f[5] = str_or_empty(r->peer);
    f[6] = str_or_empty(r->method);
    f[7] = str_or_empty(r->keys);
    f[8] = str_or_empty(r->outcome);
}

int nl_audit_hash(const unsigned char prev[NL_AUDIT_HASH_BYTES], const struct nl_audit_rec *r,
                  unsigned char out[NL_AUDIT_HASH_BYTES])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char be[8];
    const char *f[9];
    unsigned int outlen = 0;
    uint64_t seq = (uint64_t)r->seq;
    int ok;

    if (ctx == NULL)
        return -1;
    for (int i = 0; i < 8; i++)
        be[i] = (unsigned char)(seq >> (56 - 8 * i));
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, prev, NL_AUDIT_HASH_BYTES) == 1 &&
         EVP_DigestUpdate(ctx, be, sizeof(be)) == 1;
    audit_fields(r, f);
    for (int i = 0; ok && i < 9; i++) {
        size_t len = strlen(f[i]);
        unsigned char l4[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16),
                               (unsigned char)(len >> 8), (unsigned char)len};
        ok = len <= UINT32_MAX && EVP_DigestUpdate(ctx, l4, sizeof(l4)) == 1 &&
             EVP_DigestUpdate(ctx, f[i], len) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, &outlen) == 1 && outlen == NL_AUDIT_HASH_BYTES;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

void nl_audit_hex(const unsigned char h[NL_AUDIT_HASH_BYTES], char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < NL_AUDIT_HASH_BYTES; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[2 * NL_AUDIT_HASH_BYTES] = '\0';
}

/* Copies a 32-byte blob column into out; 0, or -1 when the column is not 32 bytes. */
static int col_hash(sqlite3_stmt *s, int col, unsigned char out[NL_AUDIT_HASH_BYTES])
{
    const void *b = sqlite3_column_blob(s, col);

    if (b == NULL || sqlite3_column_bytes(s, col) != NL_AUDIT_HASH_BYTES) {
        memset(out, 0xff, NL_AUDIT_HASH_BYTES);
        return -1;
    }
    memcpy(out, b, NL_AUDIT_HASH_BYTES);
    return 0;
}

enum nl_status nl_store_audit_hash_at(struct nl_store *st, int64_t seq,
                                      unsigned char hash[NL_AUDIT_HASH_BYTES], int *found)
{
    enum nl_status res;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_AUDIT_HASH_AT, &res);
    int row = 0;

    *found = 0;
    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, seq) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind audit seq");
    else
        res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row)
        *found = col_hash(s, 0, hash) == 0;
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_audit_head(struct nl_store *st, int64_t *seq,
                                   unsigned char hash[NL_AUDIT_HASH_BYTES])
{
    enum nl_status res;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_AUDIT_HEAD, &res);
    int row = 0;

    *seq = 0;
    memset(hash, 0, NL_AUDIT_HASH_BYTES);
    if (s == NULL)
        return res;
    res = nl_store_step_once(st, s, &row);
    if (res == NL_OK && row) {
        *seq = sqlite3_column_int64(s, 0);
        (void)col_hash(s, 1, hash);
    }
    nl_store_stmt_done(s);
    return res;
}

/* r->unit from r->unit_id: the unit's code in `a`, or "#<id>" for an unknown id. */
static enum nl_status resolve_unit(struct nl_store *st, struct nl_audit_rec *r, struct nl_arena *a)
{
    enum nl_status res;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_AUDIT_UNIT, &res);
    int row = 0;

    if (s == NULL)
        return res;
    if (sqlite3_bind_int64(s, 1, r->unit_id) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "audit unit");
        goto out;
    }
    res = nl_store_step_once(st, s, &row);
    if (res != NL_OK)
        goto out;
    if (row) {
        r->unit = nl_store_col_text(s, 0, a);
    } else {
        char buf[32];
        (void)snprintf(buf, sizeof(buf), "#%lld", (long long)r->unit_id);
        r->unit = nl_arena_strdup(a, buf);
    }
    if (r->unit == NULL)
        res = NL_RESOURCE_EXHAUSTED;
out:
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_audit_append(struct nl_store *st, struct nl_audit_rec *r,
                                     struct nl_arena *a)
{
    enum nl_status res;
    const char *f[9];
    int64_t head = 0;
    sqlite3_stmt *s;
    int rc = SQLITE_OK;

    if (r->unit_id != 0 && (res = resolve_unit(st, r, a)) != NL_OK)
        return res;
    res = nl_store_audit_head(st, &head, r->prev_hash);
    if (res != NL_OK)
        return res;
    r->seq = head + 1;
    if (nl_audit_hash(r->prev_hash, r, r->hash) != 0) {
        nl_log_error("audit: SHA-256 failed");
        return NL_INTERNAL;
    }
    s = nl_store_stmt(st, SQL_AUDIT_INSERT, &res);
    if (s == NULL)
        return res;
    audit_fields(r, f);
    rc = sqlite3_bind_int64(s, 1, r->seq);
    for (int i = 0; rc == SQLITE_OK && i < 9; i++)
        rc = nl_store_bind_text(s, 2 + i, f[i]);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob(s, 11, r->prev_hash, NL_AUDIT_HASH_BYTES, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_blob(s, 12, r->hash, NL_AUDIT_HASH_BYTES, SQLITE_STATIC);
    res = rc == SQLITE_OK ? nl_store_step_write(st, s) : nl_store_bind_fail(st, "audit append");
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_audit_local(struct nl_store *st, const char *action, const char *token_id,
                                    struct nl_arena *a)
{
    char keys[64];

    token_id = str_or_empty(token_id);
    if (token_id[0] != '\0')
        (void)snprintf(keys, sizeof(keys), "token=%.32s", token_id);
    else
        keys[0] = '\0';
    return nl_store_audit_local_keys(st, action, token_id, keys, a);
}

enum nl_status nl_store_audit_local_keys(struct nl_store *st, const char *action,
                                         const char *token_id, const char *keys, struct nl_arena *a)
{
    struct nl_audit_rec r;
    char at[32];

    if (!nl_store_txn_active(st)) {
        nl_log_error("audit: the entry of '%s' needs the caller's write transaction", action);
        return NL_FAILED_PRECONDITION;
    }
    token_id = str_or_empty(token_id);
    keys = str_or_empty(keys);
    if (nl_token_time_now(at, sizeof(at)) != 0)
        (void)snprintf(at, sizeof(at), "unknown");
    memset(&r, 0, sizeof(r));
    r.at = at;
    r.token_id = token_id;
    r.role = "";
    r.unit = "";
    r.cert_fp = "";
    r.peer = "local";
    r.method = action;
    r.keys = keys;
    r.outcome = nl_status_name(NL_OK);
    return nl_store_audit_append(st, &r, a);
}

/* Copies the current row (AUDIT_COLS) into the nl_audit_rec at `out`. */
static enum nl_status audit_row(sqlite3_stmt *s, void *out, struct nl_arena *a)
{
    struct nl_audit_rec *r = out;
    const char **f[9] = {&r->at,   &r->token_id, &r->role, &r->unit,   &r->cert_fp,
                         &r->peer, &r->method,   &r->keys, &r->outcome};

    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(s, 0);
    for (int i = 0; i < 9; i++) {
        *f[i] = nl_store_col_text(s, 1 + i, a);
        if (*f[i] == NULL)
            return NL_RESOURCE_EXHAUSTED;
    }
    (void)col_hash(s, 10, r->prev_hash);
    (void)col_hash(s, 11, r->hash);
    return NL_OK;
}

enum nl_status nl_store_audit_list(struct nl_store *st, int64_t after_seq, size_t limit,
                                   struct nl_audit_rec **rows, size_t *n, int *more,
                                   struct nl_arena *a)
{
    enum nl_status res;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_AUDIT_PAGE, &res);
    void *v = NULL;

    *rows = NULL;
    *n = 0;
    *more = 0;
    if (s == NULL)
        return res;
    if (limit == 0 || limit > NL_AUDIT_LIST_MAX)
        limit = NL_AUDIT_LIST_MAX;
    if (sqlite3_bind_int64(s, 1, after_seq) != SQLITE_OK ||
        sqlite3_bind_int64(s, 2, (sqlite3_int64)limit + 1) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "audit list");
    } else {
        res = nl_store_collect_rows(st, s, audit_row, sizeof(**rows), limit, &v, n, more, a);
        *rows = v;
    }
    nl_store_stmt_done(s);
    return res;
}

enum nl_status nl_store_audit_verify(struct nl_store *st, struct nl_audit_check *out)
{
    enum nl_status res;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_AUDIT_ALL, &res);
    unsigned char prev[NL_AUDIT_HASH_BYTES] = {0}, want[NL_AUDIT_HASH_BYTES];
    int64_t expect = 1;

    memset(out, 0, sizeof(*out));
    out->reason = "";
    if (s == NULL)
        return res;
    for (;;) {
        struct nl_audit_rec r;
        struct nl_arena a;
        int row = 0;

        res = nl_store_step_once(st, s, &row);
        if (res != NL_OK || !row)
            break;
        nl_arena_init(&a, 1u << 20);
        res = audit_row(s, &r, &a);
        if (res == NL_OK) {
            out->checked++;
            out->head_seq = r.seq;
            memcpy(out->head_hash, r.hash, NL_AUDIT_HASH_BYTES);
            if (r.seq != expect) {
                out->broken_seq = expect;
                out->reason = NL_AUDIT_GAP;
            } else if (memcmp(r.prev_hash, prev, NL_AUDIT_HASH_BYTES) != 0) {
                out->broken_seq = r.seq;
                out->reason = NL_AUDIT_PREV;
            } else if (nl_audit_hash(r.prev_hash, &r, want) != 0) {
                res = NL_INTERNAL;
            } else if (memcmp(want, r.hash, NL_AUDIT_HASH_BYTES) != 0) {
                out->broken_seq = r.seq;
                out->reason = NL_AUDIT_MISMATCH;
            }
        }
        nl_arena_release(&a);
        if (res != NL_OK || out->broken_seq != 0)
            break;
        memcpy(prev, r.hash, NL_AUDIT_HASH_BYTES);
        expect++;
    }
    nl_store_stmt_done(s);
    return res;
}
