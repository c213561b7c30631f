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

/* A unit as a row of unit_cols; `created` < 0: the column is left out (4-column sets). */
struct unit_row {
    char kind[16]; /* the kind's number when this CLI does not know its name */
    const char *v[5];
};

static const char *const *unit_row(struct unit_row *row, const Nhanluc__V1__Unit *u, int created)
{
    row->v[0] = u->code;
    row->v[1] = u->name;
    row->v[2] = nl_cli_enum_text(&nhanluc__v1__unit_kind__descriptor, (int)u->kind, row->kind,
                                 sizeof(row->kind));
    row->v[3] = u->parent;
    row->v[4] = created > 0 ? "true" : "false";
    return row->v;
}

/* Prints the unit of a reply (NULL: the server sent none) as one record. */
static int print_unit(struct nl_cli *cli, const Nhanluc__V1__Unit *u, int created)
{
    struct unit_row row;

    if (u == NULL)
        return nl_cli_fail(NL_INTERNAL, "server returned no unit");
    return nl_cli_print_row(cli, unit_cols, created < 0 ? 4 : 5, unit_row(&row, u, created));
}

static int unit_add(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *parent = NULL, *pos[2], err[256];
    const struct nl_opt opts[] = {{"kind", 1, &kind}, {"parent", 1, &parent}, {NULL, 0, NULL}};
    Nhanluc__V1__Unit unit;
    Nhanluc__V1__CreateUnitRequest req;
    ProtobufCMessage *m;
    int k, rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__unit__init(&unit);
    nhanluc__v1__create_unit_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit add: %s", err);
    if (n < 2)
        return nl_cli_usage_error("unit", "unit add: missing %s",
                                  n == 0 ? "CODE and NAME" : "NAME");
    if (kind == NULL)
        return nl_cli_usage_error("unit", "unit add: missing --kind");
    rc = nl_cli_enum_opt("unit", "kind", &nhanluc__v1__unit_kind__descriptor, kind, &k);
    if (rc != 0)
        return rc;
    unit.code = pos[0];
    unit.name = pos[1];
    unit.kind = (Nhanluc__V1__UnitKind)k;
    if (parent != NULL)
        unit.parent = parent;
    req.unit = &unit;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/CreateUnit", &req.base,
                             &nhanluc__v1__create_unit_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__CreateUnitResponse *resp = (Nhanluc__V1__CreateUnitResponse *)m;
    rc = print_unit(cli, resp->unit, resp->created ? 1 : 0);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int unit_show(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__GetUnitRequest req;
    ProtobufCMessage *m;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__get_unit_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit show: %s", err);
    if (n < 1)
        return nl_cli_usage_error("unit", "unit show: missing CODE");
    req.code = pos[0];

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/GetUnit", &req.base,
                             &nhanluc__v1__get_unit_response__descriptor, &m);
    if (rc != 0)
        return rc;
    rc = print_unit(cli, ((Nhanluc__V1__GetUnitResponse *)m)->unit, -1);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int unit_list(struct nl_cli *cli, int argc, char **argv)
{
    char *parent = NULL, *pos[1], err[256];
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
        struct unit_row row;

        if (page == UNIT_MAX_PAGES) {
            rc = nl_cli_fail(NL_INTERNAL, "server kept returning pages");
            break;
        }
        rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/ListUnits", &req.base,
                                 &nhanluc__v1__list_units_response__descriptor, &m);
        if (rc != 0)
            break;
        Nhanluc__V1__ListUnitsResponse *resp = (Nhanluc__V1__ListUnitsResponse *)m;
        for (size_t i = 0; rc == 0 && i < resp->n_units; i++)
            rc = nl_cli_add_row(&r, unit_row(&row, resp->units[i], -1));
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

static const struct nl_cli_sub unit_subs[] = {
    {"add", unit_add},
    {"list", unit_list},
    {"show", unit_show},
    {NULL, NULL},
};

int nl_cmd_unit(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "unit", unit_subs, "add, list or show", argc, argv);
}
