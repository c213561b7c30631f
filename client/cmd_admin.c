/*
 * cmd_admin.c - `nhanluc admin token create|list|revoke`: credentials
 * (nhanluc.v1.Admin CreateToken, ListTokens, RevokeToken).
 *
 *   admin token create --role ROLE [--unit UNIT] --name NAME [--days DAYS] [--targets]
 *   admin token list
 *   admin token revoke ID
 *
 * create prints the new token `nl_<id>_<secret>` alone on stdout (one line,
 * whatever --output says), so `TOKEN=$(nhanluc admin token create ...)`
 * works; it is shown once and its copy in this process is wiped after
 * printing. list and revoke print records (never a secret). The server
 * validates role, unit, name and lifetime (INVALID_ARGUMENT, 3); the CLI
 * only checks that ROLE is a role and DAYS a number.
 */
#include <errno.h>
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

static const struct nl_cli_sub admin_subs[] = {
    {"token", admin_token},
    {NULL, NULL},
};

int nl_cmd_admin(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "admin", admin_subs, "token", argc, argv);
}
