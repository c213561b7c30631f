/*
 * cmd_admin.c - `nhanluc admin token create|list|revoke`: credentials
 * (nhanluc.v1.Admin CreateToken, ListTokens, RevokeToken), and `nhanluc
 * admin audit list|verify`: the audit trail (ListAudit, VerifyAudit), and
 * `nhanluc admin backup create|list`: backups (CreateBackup, ListBackups).
 *
 *   admin token create --role ROLE [--unit UNIT] --name NAME [--days DAYS] [--targets]
 *   admin token list
 *   admin token revoke ID
 *   admin audit list [--after SEQ] [--limit N]
 *   admin audit verify [--anchor SEQ:HASH] [--backups]
 *   admin backup create
 *   admin backup list
 *
 * audit list prints the entries after SEQ (default 0: from the first), at
 * most N (default 100), asking the server page by page (1000 at most per
 * call). audit verify prints what the walk of the hash chain found; a broken
 * chain also fails the command with DATA_LOSS (15) and a message naming the
 * first broken entry.
 *
 * create prints the new token `nl_<id>_<secret>` alone on stdout (one line,
 * whatever --output says), so `TOKEN=$(nhanluc admin token create ...)`
 * works; it is shown once and its copy in this process is wiped after
 * printing. list and revoke print records (never a secret). The server
 * validates role, unit, name and lifetime (INVALID_ARGUMENT, 3); the CLI
 * only checks that ROLE is a role and DAYS a number.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nhanluc/v1/admin.pb-c.h"

#include "args.h"
#include "cli.h"
#include "cmd_admin.h"

static const struct nl_col token_cols[] = {
    {"id", NL_COL_STR},         {"role", NL_COL_STR},       {"unit", NL_COL_STR},
    {"name", NL_COL_STR},       {"created_at", NL_COL_STR}, {"expires_at", NL_COL_STR},
    {"revoked_at", NL_COL_STR},
};
#define TOKEN_NCOLS (sizeof(token_cols) / sizeof(token_cols[0]))

static const char *const role_names[] = {"", "admin", "central", "district"};

/* The role named `s` (admin, central, district), or 0. */
static int role_parse(const char *s)
{
    for (int r = 1; r < (int)(sizeof(role_names) / sizeof(role_names[0])); r++)
        if (strcmp(s, role_names[r]) == 0)
            return r;
    return 0;
}

static const char *role_text(int r)
{
    return r > 0 && r < (int)(sizeof(role_names) / sizeof(role_names[0])) ? role_names[r] : "";
}

/* A TokenInfo as a row of token_cols (borrowed strings). */
static const char *const *token_row(const char **v, const Nhanluc__V1__TokenInfo *t)
{
    v[0] = t->id;
    v[1] = role_text((int)t->role);
    v[2] = t->unit;
    v[3] = t->name;
    v[4] = t->created_at;
    v[5] = t->expires_at;
    v[6] = t->revoked_at;
    return v;
}

static int token_create(struct nl_cli *cli, int argc, char **argv)
{
    char *role = NULL, *unit = NULL, *name = NULL, *days = NULL, *targets = NULL, err[256];
    const struct nl_opt opts[] = {{"role", 1, &role}, {"unit", 1, &unit},       {"name", 1, &name},
                                  {"days", 1, &days}, {"targets", 0, &targets}, {NULL, 0, NULL}};
    Nhanluc__V1__CreateTokenRequest req;
    ProtobufCMessage *m;
    int rc, n = nl_opts_parse(argc, argv, opts, NULL, 0, err, sizeof(err));

    nhanluc__v1__create_token_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("admin", "admin token create: %s", err);
    if (role == NULL)
        return nl_cli_usage_error("admin", "admin token create: missing --role");
    if (name == NULL)
        return nl_cli_usage_error("admin", "admin token create: missing --name");
    req.role = (Nhanluc__V1__Role)role_parse(role);
    if (req.role == 0)
        return nl_cli_usage_error(
            "admin", "admin token create: bad --role '%s': admin, central or district", role);
    if (days != NULL) {
        char *end;
        errno = 0;
        long d = strtol(days, &end, 10);
        if (errno != 0 || end == days || *end != '\0' || d < 1 || d > 3650)
            return nl_cli_usage_error("admin",
                                      "admin token create: bad --days '%s': 1 to 3650 days", days);
        req.expires_in_days = (int32_t)d;
    }
    static char none[] = "";
    req.unit = unit != NULL ? unit : none;
    req.name = name;
    req.may_write_targets = targets != NULL;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Admin/CreateToken", &req.base,
                             &nhanluc__v1__create_token_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__CreateTokenResponse *resp = (Nhanluc__V1__CreateTokenResponse *)m;
    if (resp->token == NULL || resp->token[0] == '\0') {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no token");
    } else {
        if (fprintf(cli->out, "%s\n", resp->token) < 0 || fflush(cli->out) != 0) {
            fprintf(stderr, "nhanluc: cannot write the token to stdout\n");
            rc = NL_EXIT_IO;
        }
        /* The only copy of the secret in this process: wipe it. */
        volatile char *p = resp->token;
        for (size_t i = 0; p[i] != '\0'; i++)
            p[i] = '\0';
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int token_list(struct nl_cli *cli, int argc, char **argv)
{
    char err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__ListTokensRequest req;
    ProtobufCMessage *m;
    struct nl_records r;
    const char *v[TOKEN_NCOLS];
    int rc, n = nl_opts_parse(argc, argv, opts, NULL, 0, err, sizeof(err));

    nhanluc__v1__list_tokens_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("admin", "admin token list: %s", err);
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Admin/ListTokens", &req.base,
                             &nhanluc__v1__list_tokens_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__ListTokensResponse *resp = (Nhanluc__V1__ListTokensResponse *)m;
    nl_records_init(&r, token_cols, TOKEN_NCOLS);
    for (size_t i = 0; rc == 0 && i < resp->n_tokens; i++)
        rc = nl_cli_add_row(&r, token_row(v, resp->tokens[i]));
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int token_revoke(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__RevokeTokenRequest req;
    ProtobufCMessage *m;
    const char *v[TOKEN_NCOLS];
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__revoke_token_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("admin", "admin token revoke: %s", err);
    if (n < 1)
        return nl_cli_usage_error("admin", "admin token revoke: missing ID");
    req.id = pos[0];
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Admin/RevokeToken", &req.base,
                             &nhanluc__v1__revoke_token_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__RevokeTokenResponse *resp = (Nhanluc__V1__RevokeTokenResponse *)m;
    if (resp->info == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no token");
    else
        rc = nl_cli_print_row(cli, token_cols, TOKEN_NCOLS, token_row(v, resp->info));
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_cli_sub token_subs[] = {
    {"create", token_create},
    {"list", token_list},
    {"revoke", token_revoke},
    {NULL, NULL},
};

static int admin_token(struct nl_cli *cli, int argc, char **argv)
{
    /* argv[-1] is "token": nl_cli_dispatch wants the command word before the subcommand. */
    return nl_cli_dispatch(cli, "admin", token_subs, "create, list or revoke", argc + 1, argv - 1);
}

static const struct nl_col audit_cols[] = {
    {"seq", NL_COL_INT},  {"at", NL_COL_STR},      {"token_id", NL_COL_STR}, {"role", NL_COL_STR},
    {"unit", NL_COL_STR}, {"cert_fp", NL_COL_STR}, {"peer", NL_COL_STR},     {"method", NL_COL_STR},
    {"keys", NL_COL_STR}, {"outcome", NL_COL_STR}, {"hash", NL_COL_STR},
};
#define AUDIT_NCOLS (sizeof(audit_cols) / sizeof(audit_cols[0]))

static const struct nl_col verify_cols[] = {
    {"checked", NL_COL_INT},  {"first_broken_seq", NL_COL_INT}, {"reason", NL_COL_STR},
    {"head_seq", NL_COL_INT}, {"head_hash", NL_COL_STR},        {"anchors_checked", NL_COL_INT},
    {"anchor", NL_COL_STR},
};
#define VERIFY_NCOLS (sizeof(verify_cols) / sizeof(verify_cols[0]))

/* Reads a whole decimal number in [min, max] from s; 0, or -1 when it is not one. */
static int parse_num(const char *s, long long min, long long max, long long *out)
{
    char *end;

    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int audit_list(struct nl_cli *cli, int argc, char **argv)
{
    char *after = NULL, *limit = NULL, err[256];
    const struct nl_opt opts[] = {{"after", 1, &after}, {"limit", 1, &limit}, {NULL, 0, NULL}};
    long long after_seq = 0, left = 100;
    struct nl_records r;
    int rc = 0, n = nl_opts_parse(argc, argv, opts, NULL, 0, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("admin", "admin audit list: %s", err);
    if (after != NULL && parse_num(after, 0, INT64_MAX, &after_seq) != 0)
        return nl_cli_usage_error("admin", "admin audit list: bad --after '%s': a seq, 0 or more",
                                  after);
    if (limit != NULL && parse_num(limit, 1, 1000000, &left) != 0)
        return nl_cli_usage_error("admin", "admin audit list: bad --limit '%s': 1 to 1000000",
                                  limit);
    nl_records_init(&r, audit_cols, AUDIT_NCOLS);
    /* Bounded: each page moves after_seq forward or ends the loop. */
    while (rc == 0 && left > 0) {
        Nhanluc__V1__ListAuditRequest req;
        ProtobufCMessage *m;
        char seq[24];
        const char *v[AUDIT_NCOLS];

        nhanluc__v1__list_audit_request__init(&req);
        req.after_seq = after_seq;
        req.page_size = (int32_t)(left < 1000 ? left : 1000);
        rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Admin/ListAudit", &req.base,
                                 &nhanluc__v1__list_audit_response__descriptor, &m);
        if (rc != 0)
            break;
        Nhanluc__V1__ListAuditResponse *resp = (Nhanluc__V1__ListAuditResponse *)m;
        int more = resp->more && resp->n_entries > 0;
        for (size_t i = 0; rc == 0 && i < resp->n_entries && left > 0; i++, left--) {
            const Nhanluc__V1__AuditEntry *e = resp->entries[i];
            if (e->seq <= after_seq) {
                rc = nl_cli_fail(NL_INTERNAL, "server returned entries out of order");
                break;
            }
            after_seq = e->seq;
            (void)snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
            v[0] = seq;
            v[1] = e->at;
            v[2] = e->token_id;
            v[3] = e->role;
            v[4] = e->unit;
            v[5] = e->cert_fp;
            v[6] = e->peer;
            v[7] = e->method;
            v[8] = e->keys;
            v[9] = e->outcome;
            v[10] = e->hash;
            rc = nl_cli_add_row(&r, v);
        }
        protobuf_c_message_free_unpacked(m, NULL);
        if (!more)
            break;
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

/* "SEQ:HASH" into req's anchor fields (hash borrowed from `text`); 0 or -1. */
static int parse_anchor(char *text, Nhanluc__V1__VerifyAuditRequest *req)
{
    char *colon = strchr(text, ':');
    long long seq;

    if (colon == NULL)
        return -1;
    *colon = '\0';
    if (parse_num(text, 0, INT64_MAX, &seq) != 0 || strlen(colon + 1) != 64) {
        *colon = ':';
        return -1;
    }
    req->anchor_seq = seq;
    req->anchor_hash = colon + 1;
    return 0;
}

static int audit_verify(struct nl_cli *cli, int argc, char **argv)
{
    char *anchor = NULL, *backups = NULL;
    char err[256], checked[24], broken[24], head[24], anchors[24], msg[512];
    const struct nl_opt opts[] = {
        {"anchor", 1, &anchor}, {"backups", 0, &backups}, {NULL, 0, NULL}};
    Nhanluc__V1__VerifyAuditRequest req;
    ProtobufCMessage *m;
    const char *v[VERIFY_NCOLS];
    int rc, n = nl_opts_parse(argc, argv, opts, NULL, 0, err, sizeof(err));

    nhanluc__v1__verify_audit_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("admin", "admin audit verify: %s", err);
    if (anchor != NULL && parse_anchor(anchor, &req) != 0)
        return nl_cli_usage_error(
            "admin",
            "admin audit verify: bad --anchor '%s': SEQ:HASH (64 hex digits), "
            "as a backup's manifest or the start-up log gives them",
            anchor);
    req.backups = backups != NULL;
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Admin/VerifyAudit", &req.base,
                             &nhanluc__v1__verify_audit_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__VerifyAuditResponse *resp = (Nhanluc__V1__VerifyAuditResponse *)m;
    (void)snprintf(checked, sizeof(checked), "%lld", (long long)resp->checked);
    (void)snprintf(broken, sizeof(broken), "%lld", (long long)resp->first_broken_seq);
    (void)snprintf(head, sizeof(head), "%lld", (long long)resp->head_seq);
    (void)snprintf(anchors, sizeof(anchors), "%d", (int)resp->anchors_checked);
    v[0] = checked;
    v[1] = broken;
    v[2] = resp->reason;
    v[3] = head;
    v[4] = resp->head_hash;
    v[5] = anchors;
    v[6] = resp->anchor;
    rc = nl_cli_print_row(cli, verify_cols, VERIFY_NCOLS, v);
    if (rc == 0 && resp->first_broken_seq != 0) {
        if (resp->anchor[0] != '\0')
            (void)snprintf(msg, sizeof(msg),
                           "the audit trail is broken at entry %lld: %s (anchor: %s)",
                           (long long)resp->first_broken_seq, resp->reason, resp->anchor);
        else
            (void)snprintf(msg, sizeof(msg), "the audit trail is broken at entry %lld: %s",
                           (long long)resp->first_broken_seq, resp->reason);
        rc = nl_cli_fail(NL_DATA_LOSS, msg);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_cli_sub audit_subs[] = {
    {"list", audit_list},
    {"verify", audit_verify},
    {NULL, NULL},
};

static int admin_audit(struct nl_cli *cli, int argc, char **argv)
{
    /* argv[-1] is "audit", as for admin_token. */
    return nl_cli_dispatch(cli, "admin", audit_subs, "list or verify", argc + 1, argv - 1);
}

static const struct nl_col backup_cols[] = {
    {"name", NL_COL_STR},       {"created_at", NL_COL_STR}, {"reason", NL_COL_STR},
    {"size", NL_COL_INT},       {"sha256", NL_COL_STR},     {"audit_seq", NL_COL_INT},
    {"audit_hash", NL_COL_STR},
};
#define BACKUP_NCOLS (sizeof(backup_cols) / sizeof(backup_cols[0]))

/* Backups of a large database take a while: without --timeout, allow this long. */
#define BACKUP_DEFAULT_TIMEOUT (30u * 60u * 1000u)

/* A BackupInfo as a row of backup_cols; the numbers go into size and seq (24 bytes each). */
static const char *const *backup_row(const char **v, const Nhanluc__V1__BackupInfo *b, char *size,
                                     char *seq)
{
    (void)snprintf(size, 24, "%lld", (long long)b->size);
    (void)snprintf(seq, 24, "%lld", (long long)b->audit_seq);
    v[0] = b->name;
    v[1] = b->created_at;
    v[2] = b->reason;
    v[3] = size;
    v[4] = b->sha256;
    v[5] = seq;
    v[6] = b->audit_hash;
    return v;
}

static int backup_create(struct nl_cli *cli, int argc, char **argv)
{
    char err[256], size[24], seq[24];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__CreateBackupRequest req;
    ProtobufCMessage *m;
    const char *v[BACKUP_NCOLS];
    int rc, n = nl_opts_parse(argc, argv, opts, NULL, 0, err, sizeof(err));

    nhanluc__v1__create_backup_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("admin", "admin backup create: %s", err);
    if (!cli->timeout_set) {
        cli->timeout_ms = BACKUP_DEFAULT_TIMEOUT;
        nl_cli_start(cli);
    }
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Admin/CreateBackup", &req.base,
                             &nhanluc__v1__create_backup_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__CreateBackupResponse *resp = (Nhanluc__V1__CreateBackupResponse *)m;
    if (resp->backup == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no backup");
    } else {
        rc = nl_cli_print_row(cli, backup_cols, BACKUP_NCOLS,
                              backup_row(v, resp->backup, size, seq));
        if (rc == 0)
            fprintf(stderr, "backup written to %s/%s on the server%s", resp->dir,
                    resp->backup->name, resp->pruned > 0 ? "; " : "\n");
        if (rc == 0 && resp->pruned > 0)
            fprintf(stderr, "%d old backup(s) deleted by retention\n", resp->pruned);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int backup_list(struct nl_cli *cli, int argc, char **argv)
{
    char err[256], size[24], seq[24];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__ListBackupsRequest req;
    ProtobufCMessage *m;
    struct nl_records r;
    const char *v[BACKUP_NCOLS];
    int rc, n = nl_opts_parse(argc, argv, opts, NULL, 0, err, sizeof(err));

    nhanluc__v1__list_backups_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("admin", "admin backup list: %s", err);
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Admin/ListBackups", &req.base,
                             &nhanluc__v1__list_backups_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__ListBackupsResponse *resp = (Nhanluc__V1__ListBackupsResponse *)m;
    nl_records_init(&r, backup_cols, BACKUP_NCOLS);
    for (size_t i = 0; rc == 0 && i < resp->n_backups; i++)
        rc = nl_cli_add_row(&r, backup_row(v, resp->backups[i], size, seq));
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_cli_sub backup_subs[] = {
    {"create", backup_create},
    {"list", backup_list},
    {NULL, NULL},
};

static int admin_backup(struct nl_cli *cli, int argc, char **argv)
{
    /* argv[-1] is "backup", as for admin_token. */
    return nl_cli_dispatch(cli, "admin", backup_subs, "create or list", argc + 1, argv - 1);
}

static const struct nl_cli_sub admin_subs[] = {
    {"token", admin_token},
    {"audit", admin_audit},
    {"backup", admin_backup},
    {NULL, NULL},
};

int nl_cmd_admin(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "admin", admin_subs, "token, audit or backup", argc, argv);
}
