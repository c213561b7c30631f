/*
 * cmd_target_group.c - `nhanluc target-group add|list`: the catalogue of a
 * class's target group (nhanluc.v1.Registry CreateTargetGroup,
 * ListTargetGroups; DOMAIN.md 3 "seeded, extendable by the administrator").
 *
 * `target-group add CODE LABEL` (admin) adds one; the same pair again says
 * created false. `target-group list` shows the codes and labels a class's
 * target_group (in class.json, classes.csv or --target-group) may use.
 */
#include <stdio.h>

#include "nhanluc/v1/registry.pb-c.h"

#include "args.h"
#include "cli.h"

static const struct nl_col tg_cols[] = {
    {"code", NL_COL_STR},
    {"label_vi", NL_COL_STR},
    {"created", NL_COL_BOOL},
};

static int tg_add(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[2], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__TargetGroup g;
    Nhanluc__V1__CreateTargetGroupRequest req;
    ProtobufCMessage *m;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__target_group__init(&g);
    nhanluc__v1__create_target_group_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("target-group", "target-group add: %s", err);
    if (n < 2)
        return nl_cli_usage_error("target-group", "target-group add: expected CODE LABEL");
    g.code = pos[0];
    g.label_vi = pos[1];
    req.target_group = &g;
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/CreateTargetGroup", &req.base,
                             &nhanluc__v1__create_target_group_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__CreateTargetGroupResponse *resp = (Nhanluc__V1__CreateTargetGroupResponse *)m;
    if (resp->target_group == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no target group");
    } else {
        const char *v[3] = {resp->target_group->code, resp->target_group->label_vi,
                            resp->created ? "true" : "false"};
        rc = nl_cli_print_row(cli, tg_cols, 3, v);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int tg_list(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__ListTargetGroupsRequest req;
    ProtobufCMessage *m;
    struct nl_records r;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_target_groups_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("target-group", "target-group list: %s", err);
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/ListTargetGroups", &req.base,
                             &nhanluc__v1__list_target_groups_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__ListTargetGroupsResponse *resp = (Nhanluc__V1__ListTargetGroupsResponse *)m;
    nl_records_init(&r, tg_cols, 2);
    for (size_t i = 0; rc == 0 && i < resp->n_target_groups; i++) {
        const char *v[2] = {resp->target_groups[i]->code, resp->target_groups[i]->label_vi};
        rc = nl_cli_add_row(&r, v);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_cli_sub tg_subs[] = {
    {"add", tg_add},
    {"list", tg_list},
    {NULL, NULL},
};

int nl_cmd_target_group(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "target-group", tg_subs, "add or list", argc, argv);
}
