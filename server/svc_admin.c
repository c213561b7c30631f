/*
 * svc_admin.c - nhanluc.v1.Admin (admin.proto): credentials and the audit
 * trail. CreateToken makes a token and returns its text once, ListTokens
 * lists every stored credential (never a hash or a secret), RevokeToken
 * revokes one; ListAudit pages through the audit trail by seq and
 * VerifyAudit walks its hash chain (store_audit.h); CreateBackup takes a
 * backup now and ListBackups lists the backup directory (backup.h). Its
 * method table closes the file.
 *
 * The rows are admin-only once calls are authenticated (`auth = required`);
 * with `auth = off` they are open like every other method, so an operator
 * on loopback can manage tokens before switching authentication on. The
 * validation of role, unit and name is the store's (store_tokens.h); the
 * token text exists only in this call's arena and its response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "backup.h"
#include "job.h"
#include "method.h"
#include "nhanluc/v1/admin.pb-c.h"
#include "store_audit.h"
#include "store_tokens.h"
#include "svc_util.h"
#include "token.h"

/* A stored credential as the wire's TokenInfo, in the arena. NULL on out of memory. */
static Nhanluc__V1__TokenInfo *token_info(struct nl_ctx *ctx, const struct nl_token_rec *r)
{
    Nhanluc__V1__TokenInfo *ti = nl_arena_alloc(ctx->arena, sizeof(*ti));
    char *id = nl_arena_strdup(ctx->arena, r->id);

    if (ti == NULL || id == NULL)
        return NULL;
    nhanluc__v1__token_info__init(ti);
    ti->id = id;
    ti->role = (Nhanluc__V1__Role)r->role;
    ti->unit = nl_svc_unconst(r->unit);
    ti->name = nl_svc_unconst(r->name);
    ti->created_at = nl_svc_unconst(r->created_at);
    ti->expires_at = nl_svc_unconst(r->expires_at);
    ti->revoked_at = nl_svc_unconst(r->revoked_at);
    ti->may_write_targets = r->may_write_targets != 0;
    return ti;
}

static enum nl_status svc_admin_create_token(struct nl_ctx *ctx, const ProtobufCMessage *m,
                                             ProtobufCMessage *out)
{
    const Nhanluc__V1__CreateTokenRequest *req = (const Nhanluc__V1__CreateTokenRequest *)m;
    Nhanluc__V1__CreateTokenResponse *resp = (Nhanluc__V1__CreateTokenResponse *)out;
    struct nl_token_req tr = {(int)req->role, req->unit, req->name, 0, req->may_write_targets != 0};
    struct nl_token_rec rec;
    char text[NL_TOKEN_TEXT_LEN + 1];
    enum nl_status st;

    if (req->expires_in_days < 0 || req->expires_in_days > NL_TOKEN_TTL_DAYS_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "expires_in_days: must be 0 (90 days) to %d",
                             NL_TOKEN_TTL_DAYS_MAX);
    tr.ttl_days = (unsigned)req->expires_in_days;
    if (req->may_write_targets && req->role != NHANLUC__V1__ROLE__ROLE_CENTRAL)
        return nl_ctx_errorf(
            ctx, NL_INVALID_ARGUMENT,
            "may_write_targets: only a central token can be granted target writes");
    st = nl_store_token_create(ctx->store, &tr, text, sizeof(text), &rec, ctx->msg,
                               sizeof(ctx->msg), ctx->arena);
    if (st != NL_OK) {
        nl_token_wipe_text(text, sizeof(text));
        return ctx->msg[0] != '\0' ? st : nl_svc_store_error(ctx, st);
    }
    resp->token = nl_arena_strdup(ctx->arena, text);
    nl_token_wipe_text(text, sizeof(text));
    resp->info = token_info(ctx, &rec);
    if (resp->token == NULL || resp->info == NULL)
        return nl_svc_out_of_memory(ctx);
    return NL_OK;
}

static enum nl_status svc_admin_list_tokens(struct nl_ctx *ctx, const ProtobufCMessage *m,
                                            ProtobufCMessage *out)
{
    Nhanluc__V1__ListTokensResponse *resp = (Nhanluc__V1__ListTokensResponse *)out;
    struct nl_token_rec *rows = NULL;
    size_t n = 0;
    enum nl_status st;

    (void)m;
    st = nl_store_token_list(ctx->store, &rows, &n, ctx->arena);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n == 0)
        return NL_OK;
    resp->tokens = nl_arena_alloc(ctx->arena, n * sizeof(*resp->tokens));
    if (resp->tokens == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        resp->tokens[i] = token_info(ctx, &rows[i]);
        if (resp->tokens[i] == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    resp->n_tokens = n;
    return NL_OK;
}

static enum nl_status svc_admin_revoke_token(struct nl_ctx *ctx, const ProtobufCMessage *m,
                                             ProtobufCMessage *out)
{
    const Nhanluc__V1__RevokeTokenRequest *req = (const Nhanluc__V1__RevokeTokenRequest *)m;
    Nhanluc__V1__RevokeTokenResponse *resp = (Nhanluc__V1__RevokeTokenResponse *)out;
    unsigned char hash[NL_TOKEN_HASH_BYTES];
    struct nl_token_rec rec;
    int revoked = 0, found = 0;
    enum nl_status st;

    if (!nl_token_id_valid(req->id))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "id: must be the 12 hex digits of a token");
    st = nl_store_token_revoke(ctx->store, req->id, &revoked);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "id: no such token");
    if (st == NL_OK)
        st = nl_store_token_find(ctx->store, req->id, &rec, hash, &found, ctx->arena);
    memset(hash, 0, sizeof(hash));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (!found)
        return nl_ctx_errorf(ctx, NL_INTERNAL, "the revoked token is gone");
    resp->info = token_info(ctx, &rec);
    return resp->info != NULL ? NL_OK : nl_svc_out_of_memory(ctx);
}

/* A stored audit entry as the wire's AuditEntry, in the arena. NULL on out of memory. */
static Nhanluc__V1__AuditEntry *audit_entry(struct nl_ctx *ctx, const struct nl_audit_rec *r)
{
    Nhanluc__V1__AuditEntry *e = nl_arena_alloc(ctx->arena, sizeof(*e));
    char *prev = nl_arena_alloc(ctx->arena, 2 * NL_AUDIT_HASH_BYTES + 1);
    char *hash = nl_arena_alloc(ctx->arena, 2 * NL_AUDIT_HASH_BYTES + 1);

    if (e == NULL || prev == NULL || hash == NULL)
        return NULL;
    nhanluc__v1__audit_entry__init(e);
    nl_audit_hex(r->prev_hash, prev);
    nl_audit_hex(r->hash, hash);
    e->seq = r->seq;
    e->at = nl_svc_unconst(r->at);
    e->token_id = nl_svc_unconst(r->token_id);
    e->role = nl_svc_unconst(r->role);
    e->unit = nl_svc_unconst(r->unit);
    e->cert_fp = nl_svc_unconst(r->cert_fp);
    e->peer = nl_svc_unconst(r->peer);
    e->method = nl_svc_unconst(r->method);
    e->keys = nl_svc_unconst(r->keys);
    e->outcome = nl_svc_unconst(r->outcome);
    e->prev_hash = prev;
    e->hash = hash;
    return e;
}

static enum nl_status svc_admin_list_audit(struct nl_ctx *ctx, const ProtobufCMessage *m,
                                           ProtobufCMessage *out)
{
    const Nhanluc__V1__ListAuditRequest *req = (const Nhanluc__V1__ListAuditRequest *)m;
    Nhanluc__V1__ListAuditResponse *resp = (Nhanluc__V1__ListAuditResponse *)out;
    struct nl_audit_rec *rows = NULL;
    size_t n = 0, limit;
    int more = 0;
    enum nl_status st;

    if (req->after_seq < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "after_seq: must be 0 or more");
    if (req->page_size < 0 || req->page_size > NL_AUDIT_LIST_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0 (100) to %d",
                             NL_AUDIT_LIST_MAX);
    limit = req->page_size == 0 ? 100 : (size_t)req->page_size;
    st = nl_store_audit_list(ctx->store, req->after_seq, limit, &rows, &n, &more, ctx->arena);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->more = more != 0;
    if (n == 0)
        return NL_OK;
    resp->entries = nl_arena_alloc(ctx->arena, n * sizeof(*resp->entries));
    if (resp->entries == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        resp->entries[i] = audit_entry(ctx, &rows[i]);
        if (resp->entries[i] == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    resp->n_entries = n;
    return NL_OK;
}

/* The backup directory could not be read: the reason (a path) goes to the log only (S12). */
static enum nl_status list_failed(struct nl_ctx *ctx, const char *err)
{
    nl_log_error("cannot list the backups: %s", err);
    return nl_ctx_errorf(ctx, NL_INTERNAL, "cannot list the backups (the server log says why)");
}

static enum nl_status backups_off(struct nl_ctx *ctx)
{
    return nl_ctx_errorf(ctx, NL_FAILED_PRECONDITION,
                         "backups are off on this server (backup-dir = off)");
}

/* 0 and the 32 bytes of 64 hex digits `hex`, or -1. */
static int hash_from_hex(const char *hex, unsigned char out[NL_AUDIT_HASH_BYTES])
{
    if (strlen(hex) != 2 * NL_AUDIT_HASH_BYTES)
        return -1;
    for (size_t i = 0; i < 2 * NL_AUDIT_HASH_BYTES; i++) {
        int c = hex[i], v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 0;
}

/*
 * Checks one anchor against an intact chain whose head is chk->head_seq:
 * entry `seq` must exist and carry `hash`. On a failure fills chk (broken
 * seq and reason) and returns 1; 0 when it holds; a status below 0 never:
 * store errors come back through *st.
 */
static int anchor_fails(struct nl_ctx *ctx, struct nl_audit_check *chk, int64_t seq,
                        const unsigned char hash[NL_AUDIT_HASH_BYTES], enum nl_status *st)
{
    unsigned char got[NL_AUDIT_HASH_BYTES];
    int found = 0;

    *st = NL_OK;
    if (seq <= 0)
        return 0; /* the anchor of an empty trail: anything extends it */
    if (seq > chk->head_seq) {
        chk->broken_seq = chk->head_seq + 1;
        chk->reason = NL_AUDIT_TRUNCATED;
        return 1;
    }
    *st = nl_store_audit_hash_at(ctx->store, seq, got, &found);
    if (*st != NL_OK)
        return 0;
    if (!found || memcmp(got, hash, NL_AUDIT_HASH_BYTES) != 0) {
        chk->broken_seq = seq;
        chk->reason = found ? NL_AUDIT_ANCHOR : NL_AUDIT_TRUNCATED;
        return 1;
    }
    return 0;
}

/*
 * Walks the chain, then (when it is intact) compares it with the anchors:
 * the request's, then each backup's manifest head, oldest backup first, so
 * the earliest damage is named. A restore from an older backup leaves newer
 * backups whose anchors the trail no longer contains: reported like any
 * other mismatch, naming the backup.
 */
static enum nl_status svc_admin_verify_audit(struct nl_ctx *ctx, const ProtobufCMessage *m,
                                             ProtobufCMessage *out)
{
    const Nhanluc__V1__VerifyAuditRequest *req = (const Nhanluc__V1__VerifyAuditRequest *)m;
    Nhanluc__V1__VerifyAuditResponse *resp = (Nhanluc__V1__VerifyAuditResponse *)out;
    unsigned char want[NL_AUDIT_HASH_BYTES];
    struct nl_audit_check chk;
    struct nl_backup_info *bk = NULL;
    size_t nbk = 0;
    char *head = nl_arena_alloc(ctx->arena, 2 * NL_AUDIT_HASH_BYTES + 1);
    const char *source = "";
    enum nl_status st;
    int anchors = 0, has_anchor = req->anchor_seq != 0 || req->anchor_hash[0] != '\0';

    if (head == NULL)
        return nl_svc_out_of_memory(ctx);
    if (has_anchor && (req->anchor_seq < 0 || hash_from_hex(req->anchor_hash, want) != 0))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "anchor: a seq (0 or more) and a hash of 64 hex digits");
    if (req->backups) {
        const struct nl_backup_conf *conf = nl_backup_conf_get();
        char err[512];
        if (conf == NULL)
            return backups_off(ctx);
        if (nl_backup_list(conf->dir, &bk, &nbk, err, sizeof(err)) != 0)
            return list_failed(ctx, err);
    }
    st = nl_store_audit_verify(ctx->store, &chk);
    if (st == NL_OK && chk.broken_seq == 0 && has_anchor) {
        anchors++;
        if (anchor_fails(ctx, &chk, req->anchor_seq, want, &st))
            source = "request";
    }
    for (size_t i = nbk; st == NL_OK && chk.broken_seq == 0 && i-- > 0;) {
        if (hash_from_hex(bk[i].audit_hash, want) != 0)
            continue; /* a manifest without a readable head anchors nothing */
        anchors++;
        if (anchor_fails(ctx, &chk, bk[i].audit_seq, want, &st))
            source = nl_arena_strdup(ctx->arena, bk[i].name);
    }
    free(bk);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (source == NULL)
        return nl_svc_out_of_memory(ctx);
    nl_audit_hex(chk.head_hash, head);
    resp->checked = chk.checked;
    resp->first_broken_seq = chk.broken_seq;
    resp->reason = nl_svc_unconst(chk.reason);
    resp->head_seq = chk.head_seq;
    resp->head_hash = head;
    resp->anchors_checked = anchors;
    resp->anchor = nl_svc_unconst(source);
    return NL_OK;
}

/* A backup as the wire's BackupInfo, in the arena. NULL on out of memory. */
static Nhanluc__V1__BackupInfo *backup_info(struct nl_ctx *ctx, const struct nl_backup_info *b)
{
    Nhanluc__V1__BackupInfo *bi = nl_arena_alloc(ctx->arena, sizeof(*bi));
    char *name = nl_arena_strdup(ctx->arena, b->name);
    char *at = nl_arena_strdup(ctx->arena, b->created_at);
    char *reason = nl_arena_strdup(ctx->arena, b->reason);
    char *sha = nl_arena_strdup(ctx->arena, b->sha256);
    char *head = nl_arena_strdup(ctx->arena, b->audit_hash);

    if (bi == NULL || name == NULL || at == NULL || reason == NULL || sha == NULL || head == NULL)
        return NULL;
    nhanluc__v1__backup_info__init(bi);
    bi->name = name;
    bi->created_at = at;
    bi->reason = reason;
    bi->size = b->size;
    bi->sha256 = sha;
    bi->audit_seq = b->audit_seq;
    bi->audit_hash = head;
    bi->schema_version = b->schema_version;
    bi->seconds = b->seconds;
    return bi;
}

/*
 * Takes a backup now, on this pool thread (a heavy read: its batch is its
 * own), then prunes. A backup the checks refuse is INTERNAL: the copy was
 * deleted and the log says why.
 */
static enum nl_status svc_admin_create_backup(struct nl_ctx *ctx, const ProtobufCMessage *m,
                                              ProtobufCMessage *out)
{
    Nhanluc__V1__CreateBackupResponse *resp = (Nhanluc__V1__CreateBackupResponse *)out;
    const struct nl_backup_conf *conf = nl_backup_conf_get();
    struct nl_backup_info info;
    char err[512];
    int pruned;

    (void)m;
    if (conf == NULL)
        return backups_off(ctx);
    if (nl_backup_take(conf->db, conf->dir, "requested", ctx->cancel, ctx->deadline_ms, &info, err,
                       sizeof(err)) != 0) {
        if (atomic_load(ctx->cancel))
            return nl_ctx_errorf(ctx, NL_CANCELLED, "backup cancelled");
        if (ctx->deadline_ms != 0 && nl_now_ms() >= ctx->deadline_ms)
            return nl_ctx_errorf(ctx, NL_DEADLINE_EXCEEDED, "backup not finished by the deadline");
        nl_log_error("backup failed: %s", err);
        /* The details (paths, SQLite's words) go to the log only (RELIABILITY.md S12). */
        return nl_ctx_errorf(ctx, NL_INTERNAL, "backup failed (the server log says why)");
    }
    nl_log_info("backup %s/%s (requested): %lld bytes, audit head seq %lld hash %s, %.2f s",
                conf->dir, info.name, (long long)info.size, (long long)info.audit_seq,
                info.audit_hash, info.seconds);
    pruned = nl_backup_prune(conf->dir, conf->keep_daily, conf->keep_weekly, err, sizeof(err));
    if (pruned < 0)
        nl_log_warnx("backup retention: %s", err);
    resp->backup = backup_info(ctx, &info);
    resp->dir = nl_arena_strdup(ctx->arena, conf->dir);
    if (resp->backup == NULL || resp->dir == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->pruned = pruned > 0 ? pruned : 0;
    return NL_OK;
}

static enum nl_status svc_admin_list_backups(struct nl_ctx *ctx, const ProtobufCMessage *m,
                                             ProtobufCMessage *out)
{
    Nhanluc__V1__ListBackupsResponse *resp = (Nhanluc__V1__ListBackupsResponse *)out;
    const struct nl_backup_conf *conf = nl_backup_conf_get();
    struct nl_backup_info *v = NULL;
    size_t n = 0;
    char err[512];
    enum nl_status st = NL_OK;

    (void)m;
    if (conf == NULL)
        return backups_off(ctx);
    if (nl_backup_list(conf->dir, &v, &n, err, sizeof(err)) != 0)
        return list_failed(ctx, err);
    resp->dir = nl_arena_strdup(ctx->arena, conf->dir);
    if (n > 0)
        resp->backups = nl_arena_alloc(ctx->arena, n * sizeof(*resp->backups));
    if (resp->dir == NULL || (n > 0 && resp->backups == NULL))
        st = nl_svc_out_of_memory(ctx);
    for (size_t i = 0; st == NL_OK && i < n; i++) {
        resp->backups[i] = backup_info(ctx, &v[i]);
        if (resp->backups[i] == NULL)
            st = nl_svc_out_of_memory(ctx);
    }
    if (st == NL_OK)
        resp->n_backups = n;
    free(v);
    return st;
}

#define ROW(method, req, resp, fn, flags)                                                          \
    {                                                                                              \
        "/nhanluc.v1.Admin/" method, &nhanluc__v1__##req##__descriptor,                            \
            &nhanluc__v1__##resp##__descriptor, fn, flags                                          \
    }

const struct nl_method nl_svc_admin_methods[] = {
    ROW("CreateToken", create_token_request, create_token_response, svc_admin_create_token,
        NL_M_WRITE | NL_M_ADMIN),
    ROW("ListTokens", list_tokens_request, list_tokens_response, svc_admin_list_tokens,
        NL_M_READ | NL_M_ADMIN),
    ROW("RevokeToken", revoke_token_request, revoke_token_response, svc_admin_revoke_token,
        NL_M_WRITE | NL_M_ADMIN),
    ROW("ListAudit", list_audit_request, list_audit_response, svc_admin_list_audit,
        NL_M_READ | NL_M_ADMIN),
    ROW("VerifyAudit", verify_audit_request, verify_audit_response, svc_admin_verify_audit,
        NL_M_READ | NL_M_HEAVY | NL_M_ADMIN),
    /* A backup holds every person's record: audited like a person-level read. */
    ROW("CreateBackup", create_backup_request, create_backup_response, svc_admin_create_backup,
        NL_M_READ | NL_M_HEAVY | NL_M_ADMIN | NL_M_PERSON),
    ROW("ListBackups", list_backups_request, list_backups_response, svc_admin_list_backups,
        NL_M_READ | NL_M_ADMIN),
};
const size_t nl_svc_admin_method_count =
    sizeof(nl_svc_admin_methods) / sizeof(nl_svc_admin_methods[0]);
