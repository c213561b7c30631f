/*
 * cmd_annual.c - `nhanluc annual submit|return|approve|list`: a unit's annual
 * training report (nhanluc.v1.Records SubmitReport, ReturnReport,
 * ApproveReport, ListReports).
 *
 * --at takes a date (YYYY-MM-DD or DD/MM/YYYY, sent as YYYY-MM-DD) or an RFC
 * 3339 timestamp, sent as typed for the server to check; without it the
 * server uses now. --status takes the bare code (APPROVED), the wire name or
 * the Vietnamese label ("Đã duyệt", client/labels.h). A YEAR that is not a
 * number is a usage error (64); ranges, states and the unit's existence are
 * the server's (3, 9, 5...). An approved report locks its unit-year's
 * classes: `class submit` and `class cancel` then exit 9 until the report is
 * returned. `annual list` follows next_page_token to the end with pages of
 * 1000 and prints every row at once; its --unit takes the unit's subtree in
 * the tree of --as-of, else of 31 December of each report's year (DOMAIN.md
 * 3), so a past year keeps the units abolished since.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nhanluc/v1/records.pb-c.h"

#include "args.h"
#include "cli.h"
#include "date.h"
#include "labels.h"

#define REPORT_PAGE_SIZE 1000
#define REPORT_MAX_PAGES 100000 /* a guard against a looping server */
#define NCOLS_REPORT     6

/* The report's columns, then the outcome of a write. */
static const struct nl_col report_cols[] = {
    {"unit", NL_COL_STR},         {"year", NL_COL_INT},        {"status", NL_COL_STR},
    {"submitted_at", NL_COL_STR}, {"approved_at", NL_COL_STR}, {"return_reason", NL_COL_STR},
    {"outcome", NL_COL_STR},
};

/* A report as a row of report_cols; numbers live in the struct. */
struct report_row {
    char year[16];
    char num[16];
    const char *v[NCOLS_REPORT + 1];
};

static const char *const *report_row(struct report_row *row, const Nhanluc__V1__AnnualReport *r,
                                     const char *outcome)
{
    const char *st = nl_label_code(NL_F_REPORT_STATUS, (int)r->status);

    if (st == NULL) {
        (void)snprintf(row->num, sizeof(row->num), "%d", (int)r->status);
        st = row->num;
    }
    (void)snprintf(row->year, sizeof(row->year), "%d", (int)r->year);
    row->v[0] = r->unit;
    row->v[1] = row->year;
    row->v[2] = st;
    row->v[3] = r->submitted_at;
    row->v[4] = r->approved_at;
    row->v[5] = r->return_reason;
    row->v[6] = outcome;
    return row->v;
}

/* UNIT YEAR of a write into *unit, *year; NL_EXIT_USAGE after an error. */
static int key_args(const char *sub, int n, char **pos, char **unit, int *year)
{
    if (n < 2)
        return nl_cli_usage_error("annual", "annual %s: missing %s", sub,
                                  n < 1 ? "UNIT and YEAR" : "YEAR");
    *unit = pos[0];
    if (nl_year_parse(pos[1], year) != 0)
        return nl_cli_usage_error("annual", "annual %s: bad YEAR '%s' (expected a year)", sub,
                                  pos[1]);
    return 0;
}

/* --at: a date in either form becomes YYYY-MM-DD; anything else goes as typed. */
static char *at_value(char *s, char buf[11])
{
    int32_t days;

    if (nl_date_parse_any(s, strlen(s), &days) != 0)
        return s;
    nl_date_format(days, buf);
    return buf;
}

/* Prints the report of a ReportResponse with its outcome. */
static int print_reply(struct nl_cli *cli, ProtobufCMessage *m)
{
    Nhanluc__V1__ReportResponse *resp = (Nhanluc__V1__ReportResponse *)m;
    struct report_row row;
    char num[16];
    int rc;

    if (resp->report == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no report");
    } else {
        const char *o = nl_cli_enum_text(&nhanluc__v1__write_outcome__descriptor,
                                         (int)resp->outcome, num, sizeof(num));
        rc =
            nl_cli_print_row(cli, report_cols, NCOLS_REPORT + 1, report_row(&row, resp->report, o));
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int annual_submit(struct nl_cli *cli, int argc, char **argv)
{
    char *at = NULL, *pos[2], *unit = NULL, err[256], date[11];
    const struct nl_opt opts[] = {{"at", 1, &at}, {NULL, 0, NULL}};
    Nhanluc__V1__SubmitReportRequest req;
    ProtobufCMessage *m;
    int year = 0, rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__submit_report_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("annual", "annual submit: %s", err);
    if ((rc = key_args("submit", n, pos, &unit, &year)) != 0)
        return rc;
    req.unit = unit;
    req.year = year;
    if (at != NULL)
        req.submitted_at = at_value(at, date);
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/SubmitReport", &req.base,
                             &nhanluc__v1__report_response__descriptor, &m);
    return rc != 0 ? rc : print_reply(cli, m);
}

static int annual_return(struct nl_cli *cli, int argc, char **argv)
{
    char *reason = NULL, *pos[2], *unit = NULL, err[256];
    const struct nl_opt opts[] = {{"reason", 1, &reason}, {NULL, 0, NULL}};
    Nhanluc__V1__ReturnReportRequest req;
    ProtobufCMessage *m;
    int year = 0, rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__return_report_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("annual", "annual return: %s", err);
    if ((rc = key_args("return", n, pos, &unit, &year)) != 0)
        return rc;
    if (reason == NULL)
        return nl_cli_usage_error("annual", "annual return: missing --reason");
    req.unit = unit;
    req.year = year;
    req.reason = reason;
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/ReturnReport", &req.base,
                             &nhanluc__v1__report_response__descriptor, &m);
    return rc != 0 ? rc : print_reply(cli, m);
}

static int annual_approve(struct nl_cli *cli, int argc, char **argv)
{
    char *at = NULL, *pos[2], *unit = NULL, err[256], date[11];
    const struct nl_opt opts[] = {{"at", 1, &at}, {NULL, 0, NULL}};
    Nhanluc__V1__ApproveReportRequest req;
    ProtobufCMessage *m;
    int year = 0, rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__approve_report_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("annual", "annual approve: %s", err);
    if ((rc = key_args("approve", n, pos, &unit, &year)) != 0)
        return rc;
    req.unit = unit;
    req.year = year;
    if (at != NULL)
        req.approved_at = at_value(at, date);
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/ApproveReport", &req.base,
                             &nhanluc__v1__report_response__descriptor, &m);
    return rc != 0 ? rc : print_reply(cli, m);
}

/* One page of ListReports into the records (nl_cli_page_fn). */
static int report_page(const ProtobufCMessage *m, unsigned long page, void *ud)
{
    const Nhanluc__V1__ListReportsResponse *resp = (const Nhanluc__V1__ListReportsResponse *)m;
    struct report_row row;
    int rc = 0;

    (void)page;
    for (size_t i = 0; rc == 0 && i < resp->n_reports; i++)
        rc = nl_cli_add_row(ud, report_row(&row, resp->reports[i], ""));
    return rc;
}

static int annual_list(struct nl_cli *cli, int argc, char **argv)
{
    char *unit = NULL, *year = NULL, *status = NULL, *day = NULL, *pos[1], err[256], as_of[11];
    const struct nl_opt opts[] = {{"unit", 1, &unit},
                                  {"year", 1, &year},
                                  {"status", 1, &status},
                                  {"as-of", 1, &day},
                                  {NULL, 0, NULL}};
    int32_t days;
    Nhanluc__V1__ListReportsRequest req;
    struct nl_records r;
    int v, rc = 0, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_reports_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("annual", "annual list: %s", err);
    if (unit != NULL)
        req.unit = unit;
    if (year != NULL) {
        if (nl_year_parse(year, &v) != 0)
            return nl_cli_usage_error("annual", "annual list: bad --year '%s' (expected a year)",
                                      year);
        req.year = v;
    }
    if (status != NULL) {
        if (nl_label_parse(NL_F_REPORT_STATUS, status, &v) != 0)
            return nl_cli_usage_error("annual",
                                      "annual list: unknown --status '%s' (expected one of: %s)",
                                      status, nl_label_choices(NL_F_REPORT_STATUS));
        req.status = (Nhanluc__V1__ReportStatus)v;
    }
    if (day != NULL) {
        if (nl_date_parse_any(day, strlen(day), &days) != 0)
            return nl_cli_usage_error(
                "annual", "annual list: bad --as-of '%s' (expected YYYY-MM-DD or DD/MM/YYYY)", day);
        nl_date_format(days, as_of);
        req.as_of = as_of;
    }
    req.page_size = REPORT_PAGE_SIZE;
    nl_records_init(&r, report_cols, NCOLS_REPORT);

    rc = nl_cli_pages(cli, "/nhanluc.v1.Records/ListReports", &req.base, &req.page_token,
                      &nhanluc__v1__list_reports_response__descriptor, REPORT_MAX_PAGES,
                      report_page, &r);
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

static const struct nl_cli_sub annual_subs[] = {
    {"submit", annual_submit},
    {"return", annual_return},
    {"approve", annual_approve},
    {"list", annual_list},
    {NULL, NULL},
};

int nl_cmd_annual(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "annual", annual_subs, "submit, return, approve or list", argc,
                           argv);
}
