/*
 * cmd_export.c - `nhanluc export KIND [--year Y] [--unit U] [--bom]`: one CSV
 * file of DOMAIN.md section 8 from Records.Export on stdout.
 *
 * The pages of Records.Export are written as they arrive (a large export
 * never sits in memory whole): the header in DOMAIN.md's column order, then
 * each row through client/csvrows.c with bare enum codes and YYYY-MM-DD
 * dates, RFC 4180 quoting and CRLF line ends as Excel writes them, UTF-8
 * without a BOM unless --bom (Excel needs it to read UTF-8). The header is
 * written once the first page arrived, so a refused call leaves stdout empty.
 * `export` then `import` of the file gives back the same records. --unit
 * keeps the rows of the unit's subtree as the lists see it, each row in the
 * tree of its own day (a class's end date, the last day of a term's window,
 * 31 December of a review's or report's year): the server's filter, so an
 * export of a past term keeps the units abolished since. Like
 * `import`, the command's default deadline is 10 minutes unless --timeout
 * is given (any value, 10s included).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nhanluc/v1/records.pb-c.h"

#include "args.h"
#include "cli.h"
#include "csvrows.h"

#define EXPORT_PAGE_SIZE       1000
#define EXPORT_MAX_PAGES       1000000             /* a guard against a looping server */
#define EXPORT_DEFAULT_TIMEOUT (10u * 60u * 1000u) /* the whole export */

static int write_failed(void)
{
    if (errno != EPIPE)
        fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
    return NL_EXIT_IO;
}

/* Where one page of an export goes (nl_cli_page_fn). */
struct export_ctx {
    struct nl_cli *cli;
    enum nl_csvkind kind;
    int bom;
};

/* Writes one page of Export as CSV rows; the first page starts with the header (and BOM). */
static int export_page(const ProtobufCMessage *m, unsigned long page, void *ud)
{
    const Nhanluc__V1__ExportResponse *resp = (const Nhanluc__V1__ExportResponse *)m;
    const struct export_ctx *x = ud;
    FILE *out = x->cli->out;
    int rc = 0;

    if (page == 0 && ((x->bom && fputs("\xef\xbb\xbf", out) == EOF) ||
                      nl_csvrow_write_header(out, x->kind) != 0))
        rc = write_failed();
    for (size_t i = 0; rc == 0 && i < resp->n_rows; i++) {
        int w = nl_csvrow_write(out, x->kind, resp->rows[i]);
        if (w == -2)
            rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        else if (w != 0 && resp->rows[i]->record_case != (Nhanluc__V1__ImportRow__RecordCase)0) {
            enum nl_csvkind got;
            if (nl_csvkind_of_row(resp->rows[i], &got) == 0 && got != x->kind)
                rc = nl_cli_fail(NL_INTERNAL, "server returned a row of another kind");
            else
                rc = write_failed();
        } else if (w != 0) {
            rc = nl_cli_fail(NL_INTERNAL, "server returned an empty row");
        }
    }
    return rc;
}

int nl_cmd_export(struct nl_cli *cli, int argc, char **argv)
{
    char *year = NULL, *unit = NULL, *bom = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {
        {"year", 1, &year}, {"unit", 1, &unit}, {"bom", 0, &bom}, {NULL, 0, NULL}};
    Nhanluc__V1__ExportRequest req;
    enum nl_csvkind k;
    int v, rc = 0, n = nl_opts_parse(argc - 1, argv + 1, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__export_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("export", "export: %s", err);
    if (n < 1)
        return nl_cli_usage_error("export", "export: missing KIND (one of: %s)",
                                  nl_csvkind_names());
    if (nl_csvkind_parse(pos[0], &k) != 0)
        return nl_cli_usage_error("export", "export: unknown KIND '%s' (expected one of: %s)",
                                  pos[0], nl_csvkind_names());
    if (year != NULL) {
        if (nl_year_parse(year, &v) != 0)
            return nl_cli_usage_error("export", "export: bad --year '%s' (expected a year)", year);
        req.year = v;
    }
    if (unit != NULL)
        req.unit = unit;
    req.kind = nl_csvkind_export_kind(k);
    req.page_size = EXPORT_PAGE_SIZE;
    /* Without --timeout (even "--timeout 10s" counts as given) the deadline is 10 minutes. */
    if (!cli->timeout_set) {
        cli->timeout_ms = EXPORT_DEFAULT_TIMEOUT;
        nl_cli_start(cli);
    }

    struct export_ctx x = {cli, k, bom != NULL};
    rc = nl_cli_pages(cli, "/nhanluc.v1.Records/Export", &req.base, &req.page_token,
                      &nhanluc__v1__export_response__descriptor, EXPORT_MAX_PAGES, export_page, &x);
    if (rc == 0 && fflush(cli->out) != 0)
        rc = write_failed();
    return rc;
}
