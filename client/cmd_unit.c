/*
 * cmd_unit.c - `nhanluc unit add|list|show`: the units of the reporting tree
 * (nhanluc.v1.Registry CreateUnit, ListUnits, GetUnit).
 *
 * `unit list` follows next_page_token to the end with pages of 1000 and
 * prints all rows at once (the table needs every width first); all pages
 * share the command's one deadline. Enum values print as their proto names
 * ("URBAN_DISTRICT"), or as the number when this CLI is older than the
 * server and does not know the name.
 */
#include <stdio.h>
#include <string.h>

#include "nhanluc/v1/registry.pb-c.h"

#include "args.h"
#include "cli.h"

#define UNIT_PAGE_SIZE 1000
#define UNIT_MAX_PAGES 100000 /* 100 million rows: a guard against a looping server */

static const struct nl_col unit_cols[] = {
    {"code", NL_COL_STR},   {"name", NL_COL_STR},     {"kind", NL_COL_STR},
    {"parent", NL_COL_STR}, {"created", NL_COL_BOOL},
};

/* Appends one unit; `created` < 0 leaves the column out. */
static int add_unit(struct nl_records *r, const Nhanluc__V1__Unit *u, int created)
{
    char num[16];
    const char *kind = nl_enum_name(&nhanluc__v1__unit_kind__descriptor, (int)u->kind);

    if (kind == NULL) {
        snprintf(num, sizeof(num), "%d", (int)u->kind);
        kind = num;
    }
    const char *row[5] = {u->code, u->name, kind, u->parent, created > 0 ? "true" : "false"};
    return nl_records_add(r, row);
}

static int bad_kind(const char *kind)
{
    char names[256];
    return nl_cli_usage_error(
        "unit", "unit: unknown --kind '%s' (expected one of: %s)", kind,
        nl_enum_names(&nhanluc__v1__unit_kind__descriptor, names, sizeof(names)));
}

static int unit_add(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *parent = NULL, *pos[2], err[256], msg[NL_RPC_MSG_MAX];
    const struct nl_opt opts[] = {{"kind", 1, &kind}, {"parent", 1, &parent}, {NULL, 0, NULL}};
    Nhanluc__V1__Unit unit;
    Nhanluc__V1__CreateUnitRequest req;
    ProtobufCMessage *m;
    int k, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__unit__init(&unit);
    nhanluc__v1__create_unit_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit add: %s", err);
    if (n < 2)
        return nl_cli_usage_error("unit", "unit add: missing %s",
                                  n == 0 ? "CODE and NAME" : "NAME");
    if (kind == NULL)
        return nl_cli_usage_error("unit", "unit add: missing --kind");
    if (nl_enum_parse(&nhanluc__v1__unit_kind__descriptor, kind, &k) != 0)
        return bad_kind(kind);
    unit.code = pos[0];
    unit.name = pos[1];
    unit.kind = (Nhanluc__V1__UnitKind)k;
    if (parent != NULL)
        unit.parent = parent;
    req.unit = &unit;

    enum nl_status st =
        nl_cli_call(cli, "/nhanluc.v1.Registry/CreateUnit", &req.base,
                    &nhanluc__v1__create_unit_response__descriptor, &m, msg, sizeof(msg));
    if (st != NL_OK)
        return nl_cli_fail(st, msg);
    Nhanluc__V1__CreateUnitResponse *resp = (Nhanluc__V1__CreateUnitResponse *)m;
    struct nl_records r;
    int rc;
    nl_records_init(&r, unit_cols, 5);
    if (resp->unit == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no unit");
    else if (add_unit(&r, resp->unit, resp->created ? 1 : 0) != 0)
        rc = nl_cli_fail(NL_INTERNAL, "out of memory");
    else
        rc = nl_cli_print(cli, &r, 1);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int unit_show(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256], msg[NL_RPC_MSG_MAX];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__GetUnitRequest req;
    ProtobufCMessage *m;
    int n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__get_unit_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit show: %s", err);
    if (n < 1)
        return nl_cli_usage_error("unit", "unit show: missing CODE");
    req.code = pos[0];

    enum nl_status st =
        nl_cli_call(cli, "/nhanluc.v1.Registry/GetUnit", &req.base,
                    &nhanluc__v1__get_unit_response__descriptor, &m, msg, sizeof(msg));
    if (st != NL_OK)
        return nl_cli_fail(st, msg);
    Nhanluc__V1__GetUnitResponse *resp = (Nhanluc__V1__GetUnitResponse *)m;
    struct nl_records r;
    int rc;
    nl_records_init(&r, unit_cols, 4);
    if (resp->unit == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no unit");
    else if (add_unit(&r, resp->unit, -1) != 0)
        rc = nl_cli_fail(NL_INTERNAL, "out of memory");
    else
        rc = nl_cli_print(cli, &r, 1);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int unit_list(struct nl_cli *cli, int argc, char **argv)
{
    char *parent = NULL, *pos[1], err[256], msg[NL_RPC_MSG_MAX];
    const struct nl_opt opts[] = {{"parent", 1, &parent}, {NULL, 0, NULL}};
    Nhanluc__V1__ListUnitsRequest req;
    Nhanluc__V1__ListUnitsResponse *prev = NULL;
    struct nl_records r;
    int rc = 0, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_units_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit list: %s", err);
    if (parent != NULL)
        req.parent = parent;
    req.page_size = UNIT_PAGE_SIZE;
    nl_records_init(&r, unit_cols, 4);

    for (unsigned page = 0;; page++) {
        ProtobufCMessage *m;
        enum nl_status st;

        if (page == UNIT_MAX_PAGES) {
            rc = nl_cli_fail(NL_INTERNAL, "server kept returning pages");
            break;
        }
        st = nl_cli_call(cli, "/nhanluc.v1.Registry/ListUnits", &req.base,
                         &nhanluc__v1__list_units_response__descriptor, &m, msg, sizeof(msg));
        if (st != NL_OK) {
            rc = nl_cli_fail(st, msg);
            break;
        }
        Nhanluc__V1__ListUnitsResponse *resp = (Nhanluc__V1__ListUnitsResponse *)m;
        for (size_t i = 0; rc == 0 && i < resp->n_units; i++)
            if (add_unit(&r, resp->units[i], -1) != 0)
                rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        if (rc == 0 && resp->next_page_token[0] != '\0' &&
            strcmp(resp->next_page_token, req.page_token) == 0)
            rc = nl_cli_fail(NL_INTERNAL, "server returned the same page token twice");
        /* The request borrows its token from the previous reply: free that one now. */
        if (prev != NULL)
            protobuf_c_message_free_unpacked(&prev->base, NULL);
        prev = resp;
        if (rc != 0 || resp->next_page_token[0] == '\0')
            break;
        req.page_token = resp->next_page_token;
    }
    if (prev != NULL)
        protobuf_c_message_free_unpacked(&prev->base, NULL);
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

int nl_cmd_unit(struct nl_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return nl_cli_usage_error("unit", "unit: missing subcommand (add, list or show)");
    if (strcmp(argv[1], "add") == 0)
        return unit_add(cli, argc - 2, argv + 2);
    if (strcmp(argv[1], "list") == 0)
        return unit_list(cli, argc - 2, argv + 2);
    if (strcmp(argv[1], "show") == 0)
        return unit_show(cli, argc - 2, argv + 2);
    return nl_cli_usage_error("unit", "unit: unknown subcommand '%s'", argv[1]);
}
