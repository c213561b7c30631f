/*
 * cmd_term.c - `nhanluc term add|list`: party-congress and people's-council
 * terms (nhanluc.v1.Registry CreateTerm, ListTerms).
 *
 * `term add 2020-2025 --kind party_congress` takes the years from the code;
 * --start and --end override them and are required when the code has
 * another shape. The server validates the years; the CLI only parses them.
 */
#include <stdio.h>
#include <string.h>

#include "nhanluc/v1/registry.pb-c.h"

#include "args.h"
#include "cli.h"

static const struct nl_col term_cols[] = {
    {"code", NL_COL_STR},     {"kind", NL_COL_STR},     {"start_year", NL_COL_INT},
    {"end_year", NL_COL_INT}, {"created", NL_COL_BOOL},
};

/* Appends one term; the created column is read only by 5-column sets. */
static int add_term(struct nl_records *r, const Nhanluc__V1__Term *t, int created)
{
    char num[16], start[16], end[16];
    const char *kind = nl_enum_name(&nhanluc__v1__term_kind__descriptor, (int)t->kind);

    if (kind == NULL) {
        snprintf(num, sizeof(num), "%d", (int)t->kind);
        kind = num;
    }
    snprintf(start, sizeof(start), "%d", (int)t->start_year);
    snprintf(end, sizeof(end), "%d", (int)t->end_year);
    const char *row[5] = {t->code, kind, start, end, created > 0 ? "true" : "false"};
    return nl_records_add(r, row);
}

static int bad_kind(const char *kind)
{
    char names[128];
    return nl_cli_usage_error(
        "term", "term: unknown --kind '%s' (expected one of: %s)", kind,
        nl_enum_names(&nhanluc__v1__term_kind__descriptor, names, sizeof(names)));
}

static int term_add(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *start = NULL, *end = NULL, *pos[1], err[256], msg[NL_RPC_MSG_MAX];
    const struct nl_opt opts[] = {
        {"kind", 1, &kind}, {"start", 1, &start}, {"end", 1, &end}, {NULL, 0, NULL}};
    Nhanluc__V1__Term term;
    Nhanluc__V1__CreateTermRequest req;
    ProtobufCMessage *m;
    int k, sy = 0, ey = 0, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__term__init(&term);
    nhanluc__v1__create_term_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("term", "term add: %s", err);
    if (n < 1)
        return nl_cli_usage_error("term", "term add: missing CODE");
    if (kind == NULL)
        return nl_cli_usage_error("term", "term add: missing --kind");
    if (nl_enum_parse(&nhanluc__v1__term_kind__descriptor, kind, &k) != 0)
        return bad_kind(kind);
    int from_code = nl_term_code_years(pos[0], &sy, &ey) == 0;
    if (start != NULL && nl_year_parse(start, &sy) != 0)
        return nl_cli_usage_error("term", "term add: bad --start '%s': expected a year", start);
    if (end != NULL && nl_year_parse(end, &ey) != 0)
        return nl_cli_usage_error("term", "term add: bad --end '%s': expected a year", end);
    if (!from_code && (start == NULL || end == NULL))
        return nl_cli_usage_error("term", "term add: --start and --end are needed when CODE is not "
                                          "YYYY-YYYY");
    term.code = pos[0];
    term.kind = (Nhanluc__V1__TermKind)k;
    term.start_year = sy;
    term.end_year = ey;
    req.term = &term;

    enum nl_status st =
        nl_cli_call(cli, "/nhanluc.v1.Registry/CreateTerm", &req.base,
                    &nhanluc__v1__create_term_response__descriptor, &m, msg, sizeof(msg));
    if (st != NL_OK)
        return nl_cli_fail(st, msg);
    Nhanluc__V1__CreateTermResponse *resp = (Nhanluc__V1__CreateTermResponse *)m;
    struct nl_records r;
    int rc;
    nl_records_init(&r, term_cols, 5);
    if (resp->term == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no term");
    else if (add_term(&r, resp->term, resp->created ? 1 : 0) != 0)
        rc = nl_cli_fail(NL_INTERNAL, "out of memory");
    else
        rc = nl_cli_print(cli, &r, 1);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int term_list(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *pos[1], err[256], msg[NL_RPC_MSG_MAX];
    const struct nl_opt opts[] = {{"kind", 1, &kind}, {NULL, 0, NULL}};
    Nhanluc__V1__ListTermsRequest req;
    ProtobufCMessage *m;
    int k, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_terms_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("term", "term list: %s", err);
    if (kind != NULL) {
        if (nl_enum_parse(&nhanluc__v1__term_kind__descriptor, kind, &k) != 0)
            return bad_kind(kind);
        req.kind = (Nhanluc__V1__TermKind)k;
    }
    enum nl_status st =
        nl_cli_call(cli, "/nhanluc.v1.Registry/ListTerms", &req.base,
                    &nhanluc__v1__list_terms_response__descriptor, &m, msg, sizeof(msg));
    if (st != NL_OK)
        return nl_cli_fail(st, msg);
    Nhanluc__V1__ListTermsResponse *resp = (Nhanluc__V1__ListTermsResponse *)m;
    struct nl_records r;
    int rc = 0;
    nl_records_init(&r, term_cols, 4);
    for (size_t i = 0; rc == 0 && i < resp->n_terms; i++)
        if (add_term(&r, resp->terms[i], -1) != 0)
            rc = nl_cli_fail(NL_INTERNAL, "out of memory");
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

int nl_cmd_term(struct nl_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return nl_cli_usage_error("term", "term: missing subcommand (add or list)");
    if (strcmp(argv[1], "add") == 0)
        return term_add(cli, argc - 2, argv + 2);
    if (strcmp(argv[1], "list") == 0)
        return term_list(cli, argc - 2, argv + 2);
    return nl_cli_usage_error("term", "term: unknown subcommand '%s'", argv[1]);
}
