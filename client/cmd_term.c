/*
 * cmd_term.c - `nhanluc term add|list`: party-congress and people's-council
 * terms (nhanluc.v1.Registry CreateTerm, ListTerms).
 *
 * `term add 2020-2025 --kind party_congress` takes the years from the code;
 * --start and --end override them and are required when the code has
 * another shape. The server validates the years; the CLI only parses them.
 *
 * `term instance TERM UNIT --start DATE --end DATE` sets a unit's own dates
 * for a term (SetTermInstance, an upsert). Dates are typed YYYY-MM-DD or
 * DD/MM/YYYY and sent as YYYY-MM-DD.
 */
#include <stdio.h>
#include <string.h>

#include "nhanluc/v1/registry.pb-c.h"

#include "../common/date.h"
#include "args.h"
#include "cli.h"

static const struct nl_col term_cols[] = {
    {"code", NL_COL_STR},     {"kind", NL_COL_STR},     {"start_year", NL_COL_INT},
    {"end_year", NL_COL_INT}, {"created", NL_COL_BOOL},
};

/* A term as a row of term_cols; the created column is read only by 5-column sets. */
struct term_row {
    char kind[16]; /* the kind's number when this CLI does not know its name */
    char start[16], end[16];
    const char *v[5];
};

static const char *const *term_row(struct term_row *row, const Nhanluc__V1__Term *t, int created)
{
    snprintf(row->start, sizeof(row->start), "%d", (int)t->start_year);
    snprintf(row->end, sizeof(row->end), "%d", (int)t->end_year);
    row->v[0] = t->code;
    row->v[1] = nl_cli_enum_text(&nhanluc__v1__term_kind__descriptor, (int)t->kind, row->kind,
                                 sizeof(row->kind));
    row->v[2] = row->start;
    row->v[3] = row->end;
    row->v[4] = created > 0 ? "true" : "false";
    return row->v;
}

static int term_add(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *start = NULL, *end = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {
        {"kind", 1, &kind}, {"start", 1, &start}, {"end", 1, &end}, {NULL, 0, NULL}};
    Nhanluc__V1__Term term;
    Nhanluc__V1__CreateTermRequest req;
    ProtobufCMessage *m;
    struct term_row row;
    int k, rc, sy = 0, ey = 0, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__term__init(&term);
    nhanluc__v1__create_term_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("term", "term add: %s", err);
    if (n < 1)
        return nl_cli_usage_error("term", "term add: missing CODE");
    if (kind == NULL)
        return nl_cli_usage_error("term", "term add: missing --kind");
    rc = nl_cli_enum_opt("term", "kind", &nhanluc__v1__term_kind__descriptor, kind, &k);
    if (rc != 0)
        return rc;
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

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/CreateTerm", &req.base,
                             &nhanluc__v1__create_term_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__CreateTermResponse *resp = (Nhanluc__V1__CreateTermResponse *)m;
    if (resp->term == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no term");
    else
        rc = nl_cli_print_row(cli, term_cols, 5, term_row(&row, resp->term, resp->created ? 1 : 0));
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int term_list(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {{"kind", 1, &kind}, {NULL, 0, NULL}};
    Nhanluc__V1__ListTermsRequest req;
    ProtobufCMessage *m;
    struct nl_records r;
    struct term_row row;
    int k, rc, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_terms_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("term", "term list: %s", err);
    if (kind != NULL) {
        rc = nl_cli_enum_opt("term", "kind", &nhanluc__v1__term_kind__descriptor, kind, &k);
        if (rc != 0)
            return rc;
        req.kind = (Nhanluc__V1__TermKind)k;
    }
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/ListTerms", &req.base,
                             &nhanluc__v1__list_terms_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__ListTermsResponse *resp = (Nhanluc__V1__ListTermsResponse *)m;
    nl_records_init(&r, term_cols, 4);
    for (size_t i = 0; rc == 0 && i < resp->n_terms; i++)
        rc = nl_cli_add_row(&r, term_row(&row, resp->terms[i], -1));
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_col instance_cols[] = {
    {"term", NL_COL_STR},     {"unit", NL_COL_STR},     {"start_date", NL_COL_STR},
    {"end_date", NL_COL_STR}, {"created", NL_COL_BOOL},
};

/* Parses --`opt` as a date in either form into out (YYYY-MM-DD); 0 or a usage error's code. */
static int instance_date(const char *opt, const char *s, char out[11])
{
    int32_t d;

    if (nl_date_parse_any(s, strlen(s), &d) != 0)
        return nl_cli_usage_error("term",
                                  "term instance: bad --%s '%s': expected a date YYYY-MM-DD or "
                                  "DD/MM/YYYY",
                                  opt, s);
    nl_date_format(d, out);
    return 0;
}

static int term_instance(struct nl_cli *cli, int argc, char **argv)
{
    char *start = NULL, *end = NULL, *pos[2], err[256], start_buf[11], end_buf[11];
    const struct nl_opt opts[] = {{"start", 1, &start}, {"end", 1, &end}, {NULL, 0, NULL}};
    Nhanluc__V1__TermInstance ti;
    Nhanluc__V1__SetTermInstanceRequest req;
    ProtobufCMessage *m;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__term_instance__init(&ti);
    nhanluc__v1__set_term_instance_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("term", "term instance: %s", err);
    if (n < 2)
        return nl_cli_usage_error("term", "term instance: missing %s",
                                  n == 0 ? "TERM and UNIT" : "UNIT");
    if (start == NULL || end == NULL)
        return nl_cli_usage_error("term", "term instance: missing --%s",
                                  start == NULL ? "start" : "end");
    if ((rc = instance_date("start", start, start_buf)) != 0 ||
        (rc = instance_date("end", end, end_buf)) != 0)
        return rc;
    ti.term = pos[0];
    ti.unit = pos[1];
    ti.start_date = start_buf;
    ti.end_date = end_buf;
    req.instance = &ti;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/SetTermInstance", &req.base,
                             &nhanluc__v1__set_term_instance_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__SetTermInstanceResponse *resp = (Nhanluc__V1__SetTermInstanceResponse *)m;
    if (resp->instance == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no term instance");
    } else {
        const Nhanluc__V1__TermInstance *o = resp->instance;
        const char *v[5] = {o->term, o->unit, o->start_date, o->end_date,
                            resp->created ? "true" : "false"};
        rc = nl_cli_print_row(cli, instance_cols, 5, v);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_cli_sub term_subs[] = {
    {"add", term_add},
    {"list", term_list},
    {"instance", term_instance},
    {NULL, NULL},
};

int nl_cmd_term(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "term", term_subs, "add, list or instance", argc, argv);
}
