/*
 * cmd_report.c - `nhanluc report` and `nhanluc query`: the leadership's one
 * page and the general aggregate query of DOMAIN.md section 4
 * (nhanluc.v1.Indicators GetReport and Query).
 *
 *   report [--unit U] [--own] [--term T | --year Y | --from D --to D] [--as-of D]
 *   query --measure M [--filter FIELD=VALUE]... [--by DIM [--by DIM]] [--unit U] [--own]
 *         [--term T | --year Y | --from D --to D] [--as-of D]
 *
 * The report prints, in a table, a line naming the unit, period, date and
 * term, every catalogue indicator (value, numerator/denominator, target,
 * ✓/✗), the units that have not reported and the count of cadres with
 * unexcused absences (and, for a caller who may see names, the cadres: code,
 * name, classes, sessions missed); in JSON one object {"unit", "period",
 * "as_of", "term", "unit_term_dates" (the unit's own dates for the term, a
 * congress held on its own day, or null: shown, never counted),
 * "indicators": [rows], "missing_reports": [{"unit",
 * "year"}], "unexcused_absentees": N, "absentees": [{"cadre_code",
 * "full_name", "classes", "sessions"}] or null (count only),
 * "absentees_truncated"}, whose rows have the keys of every indicator row
 * (cmd_indicator.h); in CSV the indicator rows (the count of cadres with
 * unexcused absences is the unexcused_absentees row), an empty line, a
 * second table `missing_report_unit,missing_report_year` of the units that
 * have not reported (its header even when there are none), and, when the
 * cadres are listed, an empty line and `cadre_code,full_name,classes,
 * sessions_missed`.
 *
 * A query filter's value is read as people write it (labels.h: the bare
 * code, the prefixed proto name or the Vietnamese label of that field, "Nữ"
 * for sex) and sent as the bare code the Indicators service takes; a value
 * the field does not know, or a field the query does not have, is a usage
 * error (64) naming the filter. A target group is sent as written: the
 * server takes its code in any case or its Vietnamese label, and refuses
 * (INVALID_ARGUMENT, exit 3) a group it does not have. The query counts
 * what the indicators count (classes not CANCELLED, enrolments not
 * WITHDREW) unless --filter class_status=... or enrolment_status=... names
 * the statuses to count: class_status=CANCELLED counts the cancelled
 * classes, enrolment_status=WITHDREW the withdrawals. Query rows in JSON use the indicator row keys
 * too: code is the measure, numerator = value, denominator, target and met
 * are null, and with --by, group names the dimension values.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd_indicator.h"
#include "labels.h"

#define NUM_LEN          32
#define QUERY_MAX_FILTER 32

/* Writes the error of a failed write of cli->out and returns NL_EXIT_IO, or 0. */
static int out_status(struct nl_cli *cli)
{
    if (!ferror(cli->out) && fflush(cli->out) == 0)
        return 0;
    if (errno != EPIPE)
        fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
    return NL_EXIT_IO;
}

/* --- report ---------------------------------------------------------------- */

static json_t *report_json(const Nhanluc__V1__GetReportResponse *resp, int *rc)
{
    json_t *doc = json_object(), *rows = json_array(), *missing = json_array(), *x;

    *rc = 0;
    if (doc == NULL || rows == NULL || missing == NULL)
        goto oom;
    for (size_t i = 0; i < resp->n_values; i++) {
        json_t *o = nl_ind_value_json(resp->values[i], 0, rc);
        if (o == NULL)
            goto fail;
        if (json_array_append_new(rows, o) != 0)
            goto oom;
    }
    for (size_t i = 0; i < resp->n_missing_reports; i++) {
        json_t *o = json_object();
        if (json_array_append_new(missing, o) != 0 ||
            nl_ind_jset(o, "unit", nl_ind_jstr(resp->missing_reports[i]->unit)) != 0 ||
            nl_ind_jset(o, "year", json_integer(resp->missing_reports[i]->year)) != 0)
            goto oom;
    }
    if (nl_ind_jset(doc, "unit", nl_ind_jstr(resp->unit)) != 0 ||
        nl_ind_jset(doc, "period", nl_ind_jstr(resp->period)) != 0 ||
        nl_ind_jset(doc, "as_of", nl_ind_jstr(resp->as_of)) != 0 ||
        nl_ind_jset(doc, "term", nl_ind_jstr(resp->term)) != 0 ||
        nl_ind_jset(doc, "unit_term_dates",
                    resp->unit_term_dates[0] ? nl_ind_jstr(resp->unit_term_dates) : json_null()) !=
            0)
        goto oom;
    x = rows;
    rows = NULL;
    if (nl_ind_jset(doc, "indicators", x) != 0)
        goto oom;
    x = missing;
    missing = NULL;
    if (nl_ind_jset(doc, "missing_reports", x) != 0 ||
        nl_ind_jset(doc, "unexcused_absentees", json_integer(resp->unexcused_absentees)) != 0)
        goto oom;
    /* The cadres behind the count: null when the caller sees the count only (central). */
    x = resp->absentees_listed ? json_array() : json_null();
    if (nl_ind_jset(doc, "absentees", x) != 0 ||
        nl_ind_jset(doc, "absentees_truncated", json_boolean(resp->absentees_truncated)) != 0)
        goto oom;
    for (size_t i = 0; resp->absentees_listed && i < resp->n_absentees; i++) {
        const Nhanluc__V1__Absentee *a = resp->absentees[i];
        json_t *o = json_object();
        if (json_array_append_new(x, o) != 0 ||
            nl_ind_jset(o, "cadre_code", nl_ind_jstr(a->cadre_code)) != 0 ||
            nl_ind_jset(o, "full_name",
                        a->full_name[0] ? nl_ind_jstr(a->full_name) : json_null()) != 0 ||
            nl_ind_jset(o, "classes", json_integer(a->classes)) != 0 ||
            nl_ind_jset(o, "sessions", json_integer(a->sessions)) != 0)
            goto oom;
    }
    return doc;
oom:
    *rc = nl_cli_fail(NL_INTERNAL, "out of memory");
fail:
    json_decref(doc);
    json_decref(rows);
    json_decref(missing);
    return NULL;
}

#define MISSING_SHOWN 5 /* codes listed per year in the table */

static const struct nl_col absentee_cols[] = {
    {"cadre_code", NL_COL_STR},
    {"full_name", NL_COL_STR},
    {"classes", NL_COL_INT},
    {"sessions_missed", NL_COL_INT},
};

/* The listed absentees in the output's format: code, name, classes, sessions missed. */
static int absentee_records(struct nl_cli *cli, const Nhanluc__V1__GetReportResponse *resp)
{
    struct nl_records r;
    int rc = 0;

    nl_records_init(&r, absentee_cols, 4);
    for (size_t i = 0; rc == 0 && i < resp->n_absentees; i++) {
        const Nhanluc__V1__Absentee *a = resp->absentees[i];
        char classes[NUM_LEN], sessions[NUM_LEN];
        const char *row[4] = {a->cadre_code, a->full_name, classes, sessions};
        (void)snprintf(classes, sizeof(classes), "%" PRId64, a->classes);
        (void)snprintf(sessions, sizeof(sessions), "%" PRId64, a->sessions);
        rc = nl_cli_add_row(&r, row);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

/* The report's indicator rows, columns `cols` of nl_ind_table_init (csv: CSV cells). */
static int report_indicators(struct nl_cli *cli, const Nhanluc__V1__GetReportResponse *resp,
                             int cols, int csv)
{
    struct nl_ind_table t;
    int rc = 0;

    nl_ind_table_init(&t, cols, NULL, 0, csv);
    for (size_t i = 0; rc == 0 && i < resp->n_values; i++)
        rc = nl_ind_table_add(&t, resp->values[i]);
    if (rc == 0)
        rc = nl_cli_print(cli, &t.r, 0);
    nl_records_release(&t.r);
    return rc;
}

/* The one page as text: heading, indicators, missing reports, absentees. */
static int report_table(struct nl_cli *cli, const Nhanluc__V1__GetReportResponse *resp)
{
    static const char *const labels[] = {"report: ", "  period: ", "  as_of: ", "  term: "};
    const char *vals[] = {resp->unit, resp->period, resp->as_of, resp->term};
    int rc = 0;

    for (size_t i = 0; i < 4; i++) {
        fputs(labels[i], cli->out);
        (void)nl_ind_puts_clean(cli->out, vals[i]);
    }
    if (resp->unit_term_dates[0] != '\0') {
        /* DOMAIN.md 4: shown, not used for counting (the window is the same for every unit). */
        fputs(" (the unit's own dates: ", cli->out);
        (void)nl_ind_puts_clean(cli->out, resp->unit_term_dates);
        fputc(')', cli->out);
    }
    fputs("\n\n", cli->out);
    if ((rc = report_indicators(cli, resp, NL_IND_COLS_REPORT, 0)) != 0)
        return rc;

    /* One line per year, the first codes only: the page stays one page (JSON lists all). */
    if (resp->n_missing_reports == 0)
        fputs("\nunits that have not reported: none\n", cli->out);
    else
        fputs("\nunits that have not reported:\n", cli->out);
    for (size_t i = 0; i < resp->n_missing_reports;) {
        int32_t year = resp->missing_reports[i]->year;
        size_t j = i;
        while (j < resp->n_missing_reports && resp->missing_reports[j]->year == year)
            j++;
        fprintf(cli->out, "  %d: %zu unit%s: ", (int)year, j - i, j - i == 1 ? "" : "s");
        for (size_t k = i; k < j && k < i + MISSING_SHOWN; k++) {
            fputs(k > i ? ", " : "", cli->out);
            (void)nl_ind_puts_clean(cli->out, resp->missing_reports[k]->unit);
        }
        if (j - i > MISSING_SHOWN)
            fprintf(cli->out, " and %zu more (--output json lists them all)",
                    j - i - MISSING_SHOWN);
        fputc('\n', cli->out);
        i = j;
    }
    fprintf(cli->out, "\ncadres with unexcused absences: %" PRId64 "\n", resp->unexcused_absentees);
    if (!resp->absentees_listed || resp->n_absentees == 0)
        return out_status(cli);
    rc = absentee_records(cli, resp);
    if (rc == 0 && resp->absentees_truncated)
        fprintf(cli->out, "(the first %zu by code; --output json says the same)\n",
                resp->n_absentees);
    return rc != 0 ? rc : out_status(cli);
}

static const struct nl_col missing_cols[] = {
    {"missing_report_unit", NL_COL_STR},
    {"missing_report_year", NL_COL_INT},
};

/*
 * The page as CSV: the indicator rows (the unexcused absentees are the
 * unexcused_absentees row), an empty line, then the units that have not
 * reported, one row each, under their own header (present when none is
 * missing, so a spreadsheet shows an empty list rather than nothing).
 */
static int report_csv(struct nl_cli *cli, const Nhanluc__V1__GetReportResponse *resp)
{
    struct nl_records m;
    int rc = 0;

    if ((rc = report_indicators(cli, resp, NL_IND_COLS_FULL, 1)) != 0)
        return rc;
    fputc('\n', cli->out);
    nl_records_init(&m, missing_cols, 2);
    for (size_t i = 0; rc == 0 && i < resp->n_missing_reports; i++) {
        char year[NUM_LEN];
        const char *row[2] = {resp->missing_reports[i]->unit, year};
        (void)snprintf(year, sizeof(year), "%d", (int)resp->missing_reports[i]->year);
        rc = nl_cli_add_row(&m, row);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &m, 0);
    nl_records_release(&m);
    if (rc == 0 && resp->absentees_listed) {
        fputc('\n', cli->out);
        rc = absentee_records(cli, resp);
    }
    return rc != 0 ? rc : out_status(cli);
}

int nl_cmd_report(struct nl_cli *cli, int argc, char **argv)
{
    char *v[7], *pos[1], err[256];
    struct nl_ind_opt opts[] = {
        {"unit", 1, 1, &v[0], 0},  {"own", 0, 1, &v[1], 0},  {"term", 1, 1, &v[2], 0},
        {"year", 1, 1, &v[3], 0},  {"from", 1, 1, &v[4], 0}, {"to", 1, 1, &v[5], 0},
        {"as-of", 1, 1, &v[6], 0}, {NULL, 0, 0, NULL, 0},
    };
    Nhanluc__V1__GetReportRequest req;
    Nhanluc__V1__Selection sel;
    struct nl_ind_sel_buf buf;
    ProtobufCMessage *reply;
    int rc, n = nl_ind_opts_parse(argc - 1, argv + 1, opts, pos, 0, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("report", "report: %s", err);
    for (int i = 0; i < 7; i++)
        if (opts[i].n == 0)
            v[i] = NULL;
    const struct nl_ind_sel_args sa = {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
    if ((rc = nl_ind_selection("report", "report", &sa, &sel, &buf)) != 0)
        return rc;
    nhanluc__v1__get_report_request__init(&req);
    req.selection = &sel;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Indicators/GetReport", &req.base,
                             &nhanluc__v1__get_report_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    const Nhanluc__V1__GetReportResponse *resp = (const Nhanluc__V1__GetReportResponse *)reply;
    if (cli->output == NL_OUTPUT_JSON) {
        json_t *doc = report_json(resp, &rc);
        if (doc != NULL)
            rc = nl_ind_print_json(cli, doc);
    } else if (cli->output == NL_OUTPUT_CSV) {
        rc = report_csv(cli, resp);
    } else {
        rc = report_table(cli, resp);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* --- query ----------------------------------------------------------------- */

/*
 * The filter fields of QueryFilter and how their values are read: an enum
 * field of labels.h (two for body: a party body, or a body or title of the
 * planning pool), a boolean, a year, or free text (target-group codes are a
 * catalogue, not an enum).
 */
enum filter_kind { FK_ENUM, FK_YEAR, FK_TEXT };

struct filter_field {
    const char *name;
    enum filter_kind kind;
    enum nl_field f, f2; /* f2 = f when there is no second field */
};

static const struct filter_field filter_fields[] = {
    {"kind", FK_ENUM, NL_F_TRAINING_KIND, NL_F_TRAINING_KIND},
    {"area", FK_ENUM, NL_F_AREA, NL_F_AREA},
    {"target_group", FK_TEXT, NL_F_COUNT, NL_F_COUNT},
    {"sex", FK_ENUM, NL_F_SEX, NL_F_SEX},
    {"education", FK_ENUM, NL_F_EDUCATION, NL_F_EDUCATION},
    {"political_theory", FK_ENUM, NL_F_POLITICAL_THEORY, NL_F_POLITICAL_THEORY},
    {"key_cadre", FK_ENUM, NL_F_BOOL, NL_F_BOOL},
    {"level", FK_ENUM, NL_F_LEVEL, NL_F_LEVEL},
    {"mgmt_category", FK_ENUM, NL_F_MGMT_CATEGORY, NL_F_MGMT_CATEGORY},
    {"class_status", FK_ENUM, NL_F_CLASS_STATUS, NL_F_CLASS_STATUS},
    {"enrolment_status", FK_ENUM, NL_F_ENROLMENT_STATUS, NL_F_ENROLMENT_STATUS},
    {"body", FK_ENUM, NL_F_BODY, NL_F_BODY_OR_TITLE},
    {"year", FK_YEAR, NL_F_COUNT, NL_F_COUNT},
};
#define NFILTER_FIELDS (sizeof(filter_fields) / sizeof(filter_fields[0]))

/* protoc-c's string fields are char * although packing only reads them. */
static char *unconst(const char *s)
{
    char *p;

    memcpy(&p, &s, sizeof(p));
    return p;
}

/*
 * Reads "--filter FIELD=VALUE" (`arg`, edited in place: the '=' becomes a
 * NUL) into qf, with the bare code in `code` when the value is not passed
 * as is. Returns 0 or NL_EXIT_USAGE after a usage error naming the filter.
 */
static int filter_parse(char *arg, Nhanluc__V1__QueryFilter *qf, char code[NUM_LEN])
{
    char *eq = strchr(arg, '='), *value;
    const struct filter_field *ff = NULL;
    int v, y;

    if (eq == NULL || eq == arg)
        return nl_cli_usage_error("query", "query: bad --filter '%s' (expected FIELD=VALUE)", arg);
    *eq = '\0';
    value = eq + 1;
    for (size_t i = 0; i < NFILTER_FIELDS; i++)
        if (strcmp(filter_fields[i].name, arg) == 0)
            ff = &filter_fields[i];
    if (ff == NULL)
        return nl_cli_usage_error(
            "query",
            "query: unknown field in --filter %s=%s (expected one of: kind, area, target_group, "
            "sex, education, political_theory, key_cadre, level, mgmt_category, class_status, "
            "enrolment_status, body, year)",
            arg, value);
    if (value[strspn(value, " \t")] == '\0')
        return nl_cli_usage_error("query", "query: empty value in --filter %s=", arg);
    nhanluc__v1__query_filter__init(qf);
    qf->field = arg;
    switch (ff->kind) {
    case FK_TEXT:
        qf->value = value;
        return 0;
    case FK_YEAR:
        if (nl_year_parse(value, &y) != 0)
            return nl_cli_usage_error("query", "query: bad --filter %s=%s (expected a year)", arg,
                                      value);
        (void)snprintf(code, NUM_LEN, "%d", y);
        qf->value = code;
        return 0;
    case FK_ENUM:
        break;
    }
    if (ff->f == NL_F_BOOL) {
        if (nl_label_parse(NL_F_BOOL, value, &v) != 0)
            return nl_cli_usage_error("query",
                                      "query: unknown value in --filter %s=%s (expected one of: "
                                      "%s)",
                                      arg, value, nl_label_choices(NL_F_BOOL));
        qf->value = unconst(v ? "true" : "false");
        return 0;
    }
    enum nl_field f = ff->f;
    if (nl_label_parse(f, value, &v) != 0) {
        f = ff->f2;
        if (f == ff->f || nl_label_parse(f, value, &v) != 0)
            return nl_cli_usage_error("query",
                                      "query: unknown value in --filter %s=%s (expected one of: "
                                      "%s)",
                                      arg, value, nl_label_choices(ff->f2));
    }
    const char *c = nl_label_code(f, v);
    if (c == NULL)
        return nl_cli_usage_error("query", "query: unknown value in --filter %s=%s", arg, value);
    qf->value = unconst(c);
    return 0;
}

/* The value of dimension `dim` in a query row, "" when it has none. */
static const char *row_group(const Nhanluc__V1__QueryRow *r, const char *dim)
{
    for (size_t i = 0; i < r->n_group; i++)
        if (strcmp(r->group[i]->dimension, dim) == 0)
            return r->group[i]->value;
    return "";
}

static json_t *query_row_json(const Nhanluc__V1__QueryResponse *resp, const char *measure,
                              const Nhanluc__V1__QueryRow *r, int grouped)
{
    json_t *o = json_object();

    if (o == NULL || nl_ind_jset(o, "code", nl_ind_jstr(measure)) != 0 ||
        nl_ind_jset(o, "unit", nl_ind_jstr(resp->unit)) != 0 ||
        nl_ind_jset(o, "period", nl_ind_jstr(resp->period)) != 0 ||
        nl_ind_jset(o, "as_of", nl_ind_jstr(resp->as_of)) != 0 ||
        nl_ind_jset(o, "numerator", json_integer(r->value)) != 0 ||
        nl_ind_jset(o, "denominator", json_null()) != 0 ||
        nl_ind_jset(o, "value", json_integer(r->value)) != 0 ||
        nl_ind_jset(o, "target", json_null()) != 0 || nl_ind_jset(o, "met", json_null()) != 0)
        goto fail;
    if (grouped && nl_ind_jgroup(o, r->group, r->n_group) != 0)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}

static int query_print(struct nl_cli *cli, const Nhanluc__V1__QueryResponse *resp,
                       const char *measure, char *const *by, int nby)
{
    int rc = 0;

    if (cli->output == NL_OUTPUT_JSON) {
        json_t *doc = json_array();
        for (size_t i = 0; doc != NULL && i < resp->n_rows; i++)
            if (json_array_append_new(doc, query_row_json(resp, measure, resp->rows[i], nby > 0)) !=
                0) {
                json_decref(doc);
                doc = NULL;
            }
        if (doc == NULL)
            return nl_cli_fail(NL_INTERNAL, "out of memory");
        return nl_ind_print_json(cli, doc);
    }
    struct nl_col cols[6];
    struct nl_records r;
    size_t nc = 0;

    cols[nc++] = (struct nl_col){"unit", NL_COL_STR};
    cols[nc++] = (struct nl_col){"period", NL_COL_STR};
    cols[nc++] = (struct nl_col){"as_of", NL_COL_STR};
    for (int i = 0; i < nby; i++)
        cols[nc++] = (struct nl_col){nl_ind_group_col(by[i]), NL_COL_STR};
    cols[nc++] = (struct nl_col){"value", NL_COL_INT};
    nl_records_init(&r, cols, nc);
    for (size_t i = 0; rc == 0 && i < resp->n_rows; i++) {
        const char *row[6];
        char value[NUM_LEN];
        size_t k = 0;

        row[k++] = resp->unit;
        row[k++] = resp->period;
        row[k++] = resp->as_of;
        for (int d = 0; d < nby; d++)
            row[k++] = row_group(resp->rows[i], by[d]);
        (void)snprintf(value, sizeof(value), "%" PRId64, resp->rows[i]->value);
        row[k++] = value;
        rc = nl_cli_add_row(&r, row);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

int nl_cmd_query(struct nl_cli *cli, int argc, char **argv)
{
    char *v[7], *measure, *filters[QUERY_MAX_FILTER], *by[2], *pos[1], err[256];
    char codes[QUERY_MAX_FILTER][NUM_LEN];
    struct nl_ind_opt opts[] = {
        {"unit", 1, 1, &v[0], 0},
        {"own", 0, 1, &v[1], 0},
        {"term", 1, 1, &v[2], 0},
        {"year", 1, 1, &v[3], 0},
        {"from", 1, 1, &v[4], 0},
        {"to", 1, 1, &v[5], 0},
        {"as-of", 1, 1, &v[6], 0},
        {"measure", 1, 1, &measure, 0},
        {"filter", 1, QUERY_MAX_FILTER, filters, 0},
        {"by", 1, 2, by, 0},
        {NULL, 0, 0, NULL, 0},
    };
    Nhanluc__V1__QueryFilter qf[QUERY_MAX_FILTER], *qfp[QUERY_MAX_FILTER];
    Nhanluc__V1__QueryRequest req;
    Nhanluc__V1__Selection sel;
    struct nl_ind_sel_buf buf;
    ProtobufCMessage *reply;
    int rc, n = nl_ind_opts_parse(argc - 1, argv + 1, opts, pos, 0, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("query", "query: %s", err);
    if (opts[7].n == 0 || measure[0] == '\0')
        return nl_cli_usage_error("query", "query: missing --measure");
    for (int i = 0; i < 7; i++)
        if (opts[i].n == 0)
            v[i] = NULL;
    const struct nl_ind_sel_args sa = {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
    if ((rc = nl_ind_selection("query", "query", &sa, &sel, &buf)) != 0)
        return rc;
    for (int i = 0; i < opts[9].n; i++)
        if (by[i][0] == '\0')
            return nl_cli_usage_error("query", "query: empty --by");
    if (opts[9].n == 2 && strcmp(by[0], by[1]) == 0)
        return nl_cli_usage_error("query", "query: --by %s given twice", by[0]);
    for (int i = 0; i < opts[8].n; i++) {
        if ((rc = filter_parse(filters[i], &qf[i], codes[i])) != 0)
            return rc;
        qfp[i] = &qf[i];
    }
    nhanluc__v1__query_request__init(&req);
    req.measure = measure;
    req.selection = &sel;
    req.n_filters = (size_t)opts[8].n;
    req.filters = qfp;
    req.n_by = (size_t)opts[9].n;
    req.by = by;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Indicators/Query", &req.base,
                             &nhanluc__v1__query_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    const Nhanluc__V1__QueryResponse *resp = (const Nhanluc__V1__QueryResponse *)reply;
    rc = query_print(cli, resp, resp->measure[0] != '\0' ? resp->measure : measure, by, opts[9].n);
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}
