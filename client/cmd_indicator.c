/*
 * cmd_indicator.c - `nhanluc indicator list|show|compare`: the catalogue and
 * the computed values of the indicator engine (nhanluc.v1.Indicators
 * ListIndicators, ShowIndicator, CompareIndicator), and what the report and
 * query commands (cmd_report.c) share with them (cmd_indicator.h).
 *
 *   indicator list
 *   indicator show CODE [--unit U] [--own] [--term T | --year Y | --from D --to D]
 *                  [--as-of D] [--by DIM] [--explain]
 *   indicator compare CODE (--term A --term B | --as-of D1 --as-of D2) [--unit U] [--own]
 *
 * The server computes; the CLI only checks the shape of the options (one
 * period, dates it can read: a usage error, 64) and prints. Values arrive as
 * exact decimal text ("41.4", "1.98", "187") and are printed with those
 * digits: in JSON as numbers through nl_json_decimal, never through a
 * rounding of our own. JSON rows carry exactly the keys of the issue 4
 * contract (cmd_indicator.h); what is not a row (the explanation, the change
 * of a comparison) goes into an enclosing object: `show --explain` prints
 * {"rows": [...], "explanation": {...}}, `compare` {"rows": [a, b],
 * "change": N}. In a table the explanation follows the rows; with CSV it goes
 * to stderr so that stdout stays one CSV document. A target that names no
 * unit has "unit": null in `list`'s JSON.
 *
 * The change of a comparison: JSON's "change" is the server's, the exact
 * change rounded like the values (planning_coefficient 112/75 -> 164/83 is
 * +0.4836 -> +0.48). The table and CSV show the difference of the values
 * they show (1.49 -> 1.98: +0.49), so the page adds up: the table in its
 * "change:" line, adding the exact one when it differs; CSV in a `change`
 * column, filled on row b.
 */
#include "cmd_indicator.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "date.h"

#define NUM_LEN 32

/* --- options ------------------------------------------------------------ */

static struct nl_ind_opt *find_ind_opt(struct nl_ind_opt *opts, const char *name, size_t len)
{
    for (struct nl_ind_opt *o = opts; o->name != NULL; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

int nl_ind_opts_parse(int argc, char **argv, struct nl_ind_opt *opts, char **pos, int maxpos,
                      char *err, size_t errlen)
{
    static char flag_on[] = "1";
    int npos = 0, only_pos = 0;

    for (struct nl_ind_opt *o = opts; o->name != NULL; o++)
        o->n = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];

        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0') {
            char *name = a + (a[1] == '-' ? 2 : 1), *eq = strchr(name, '='), *v;
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            struct nl_ind_opt *o = a[1] == '-' ? find_ind_opt(opts, name, nlen) : NULL;

            if (o == NULL) {
                snprintf(err, errlen, "unknown option '%.*s'", (int)(nlen + (size_t)(name - a)), a);
                return -1;
            }
            if (!o->has_arg) {
                if (eq != NULL) {
                    snprintf(err, errlen, "option '--%s' takes no value", o->name);
                    return -1;
                }
                v = flag_on;
            } else if (eq != NULL) {
                v = eq + 1;
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                snprintf(err, errlen, "option '--%s' needs a value", o->name);
                return -1;
            }
            if (o->max <= 1) {
                o->vals[0] = v;
                o->n = 1;
            } else if (o->n >= o->max) {
                snprintf(err, errlen, "at most %d --%s", o->max, o->name);
                return -1;
            } else {
                o->vals[o->n++] = v;
            }
            continue;
        }
        if (npos >= maxpos) {
            snprintf(err, errlen, "unexpected argument '%s'", a);
            return -1;
        }
        pos[npos++] = a;
    }
    return npos;
}

/* A date option into out as YYYY-MM-DD; NL_EXIT_USAGE after a usage error. */
static int date_arg(const char *cmd, const char *what, const char *opt, const char *s, char out[11])
{
    int32_t days;

    if (nl_date_parse_any(s, strlen(s), &days) == 0) {
        nl_date_format(days, out);
        return 0;
    }
    return nl_cli_usage_error(cmd, "%s: bad %s '%s' (expected YYYY-MM-DD or DD/MM/YYYY)", what, opt,
                              s);
}

int nl_ind_selection(const char *cmd, const char *what, const struct nl_ind_sel_args *a,
                     Nhanluc__V1__Selection *sel, struct nl_ind_sel_buf *buf)
{
    int periods = (a->term != NULL) + (a->year != NULL) + (a->from != NULL || a->to != NULL);
    int rc, y;

    nhanluc__v1__selection__init(sel);
    if (periods > 1)
        return nl_cli_usage_error(cmd, "%s: give at most one of --term, --year and --from/--to",
                                  what);
    if ((a->from == NULL) != (a->to == NULL))
        return nl_cli_usage_error(cmd, "%s: --from and --to go together", what);
    if (a->unit != NULL)
        sel->unit = a->unit;
    sel->own = a->own != NULL;
    if (a->term != NULL) {
        if (a->term[0] == '\0')
            return nl_cli_usage_error(cmd, "%s: empty --term", what);
        sel->term = a->term;
    }
    if (a->year != NULL) {
        if (nl_year_parse(a->year, &y) != 0)
            return nl_cli_usage_error(cmd, "%s: bad --year '%s' (expected a year)", what, a->year);
        sel->year = y;
    }
    if (a->from != NULL) {
        if ((rc = date_arg(cmd, what, "--from", a->from, buf->from)) != 0 ||
            (rc = date_arg(cmd, what, "--to", a->to, buf->to)) != 0)
            return rc;
        if (strcmp(buf->from, buf->to) > 0)
            return nl_cli_usage_error(cmd, "%s: --from %s is after --to %s", what, buf->from,
                                      buf->to);
        sel->from = buf->from;
        sel->to = buf->to;
    }
    if (a->as_of != NULL) {
        if ((rc = date_arg(cmd, what, "--as-of", a->as_of, buf->as_of)) != 0)
            return rc;
        sel->as_of = buf->as_of;
    }
    return 0;
}

/* --- printing values ---------------------------------------------------- */

json_t *nl_ind_jstr(const char *s)
{
    char *c = nl_output_clean(s, strlen(s), 1);
    json_t *j;

    if (c == NULL)
        return NULL;
    j = json_string(c);
    free(c);
    return j;
}

int nl_ind_jset(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

int nl_ind_jgroup(json_t *o, Nhanluc__V1__GroupValue *const *g, size_t n)
{
    json_t *obj = json_object();

    if (nl_ind_jset(o, "group", obj) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (nl_ind_jset(obj, g[i]->dimension, nl_ind_jstr(g[i]->value)) != 0)
            return -1;
    return 0;
}

int nl_ind_print_json(struct nl_cli *cli, json_t *doc)
{
    int rc = 0;

    if (nl_output_json(cli->out, doc) != 0 || fflush(cli->out) != 0) {
        if (errno != EPIPE)
            fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
        rc = NL_EXIT_IO;
    }
    json_decref(doc);
    return rc;
}

int nl_ind_puts_clean(FILE *f, const char *text)
{
    char *c = nl_output_clean(text, strlen(text), 0);
    int rc;

    if (c == NULL)
        return -1;
    rc = fputs(c, f) < 0 ? -1 : 0;
    free(c);
    return rc;
}

static int is_percent(const Nhanluc__V1__IndicatorValue *v)
{
    return v->value_kind == NHANLUC__V1__VALUE_KIND__VALUE_KIND_PERCENT;
}

/* The table's symbol of a comparison operator ("≥" for ">="). */
static const char *op_symbol(const char *op)
{
    if (strcmp(op, ">=") == 0)
        return "≥";
    if (strcmp(op, "<=") == 0)
        return "≤";
    return op;
}

/* A decimal as JSON, or NULL after reporting a malformed server value (*rc set). */
static json_t *decimal_json(const char *text, const char *what, int *rc)
{
    json_t *j = nl_json_decimal(text);
    char *c;

    if (j != NULL)
        return j;
    c = nl_output_clean(text, strlen(text), 0);
    fprintf(stderr, "nhanluc: server sent %s '%s', not a decimal number (%s)\n", what,
            c != NULL ? c : "?", nl_status_name(NL_INTERNAL));
    free(c);
    *rc = NL_INTERNAL;
    return NULL;
}

json_t *nl_ind_value_json(const Nhanluc__V1__IndicatorValue *v, int grouped, int *rc)
{
    json_t *o = json_object(), *val = json_null(), *target = json_null(), *met = json_null(), *x;

    *rc = NL_INTERNAL;
    if (o == NULL)
        goto oom;
    if (v->has_value && (val = decimal_json(v->value, "the value", rc)) == NULL)
        goto fail;
    if (v->target != NULL) {
        json_t *tv = decimal_json(v->target->value, "a target value", rc);
        if (tv == NULL)
            goto fail;
        target = json_object();
        if (target == NULL || nl_ind_jset(target, "op", nl_ind_jstr(v->target->op)) != 0 ||
            nl_ind_jset(target, "value", tv) != 0)
            goto oom;
    }
    if (v->met == NHANLUC__V1__MET__MET_YES)
        met = json_true();
    else if (v->met == NHANLUC__V1__MET__MET_NO)
        met = json_false();
    if (nl_ind_jset(o, "code", nl_ind_jstr(v->code)) != 0 ||
        nl_ind_jset(o, "unit", nl_ind_jstr(v->unit)) != 0 ||
        nl_ind_jset(o, "period", nl_ind_jstr(v->period)) != 0 ||
        nl_ind_jset(o, "as_of", nl_ind_jstr(v->as_of)) != 0 ||
        nl_ind_jset(o, "numerator", json_integer(v->numerator)) != 0 ||
        nl_ind_jset(o, "denominator",
                    v->has_denominator ? json_integer(v->denominator) : json_null()) != 0)
        goto oom;
    /* jset steals even on failure: clear each pointer once it is handed over. */
    x = val;
    val = NULL;
    if (nl_ind_jset(o, "value", x) != 0)
        goto oom;
    x = target;
    target = NULL;
    if (nl_ind_jset(o, "target", x) != 0)
        goto oom;
    x = met;
    met = NULL;
    if (nl_ind_jset(o, "met", x) != 0)
        goto oom;
    if (grouped && nl_ind_jgroup(o, v->group, v->n_group) != 0)
        goto oom;
    *rc = 0;
    return o;
oom:
    *rc = nl_cli_fail(NL_INTERNAL, "out of memory");
fail:
    json_decref(o);
    json_decref(val);
    json_decref(target);
    json_decref(met);
    return NULL;
}

void nl_ind_table_init(struct nl_ind_table *t, int which, const char *const *dims, size_t ndims,
                       int csv)
{
    size_t n = 0;

    memset(t, 0, sizeof(*t));
    t->ndims = ndims > 2 ? 2 : ndims;
    t->csv = csv;
    t->full = which == NL_IND_COLS_FULL;
    t->cols[n++] = (struct nl_col){"code", NL_COL_STR};
    if (which == NL_IND_COLS_FULL) {
        t->cols[n++] = (struct nl_col){"unit", NL_COL_STR};
        t->cols[n++] = (struct nl_col){"period", NL_COL_STR};
        t->cols[n++] = (struct nl_col){"as_of", NL_COL_STR};
        for (size_t i = 0; i < t->ndims; i++) {
            t->dims[i] = dims[i];
            t->cols[n++] = (struct nl_col){nl_ind_group_col(dims[i]), NL_COL_STR};
        }
    }
    t->cols[n++] = (struct nl_col){"numerator", NL_COL_INT};
    t->cols[n++] = (struct nl_col){"denominator", NL_COL_INT};
    t->cols[n++] = (struct nl_col){"value", NL_COL_STR};
    t->cols[n++] = (struct nl_col){"target", NL_COL_STR};
    t->cols[n++] = (struct nl_col){"met", NL_COL_STR};
    nl_records_init(&t->r, t->cols, n);
}

const char *nl_ind_group_col(const char *dim)
{
    return strcmp(dim, "unit") == 0 ? "group_unit" : dim;
}

/* The value of dimension `dim` in a grouped value, "" when it has none. */
static const char *group_value(const Nhanluc__V1__IndicatorValue *v, const char *dim)
{
    for (size_t i = 0; i < v->n_group; i++)
        if (strcmp(v->group[i]->dimension, dim) == 0)
            return v->group[i]->value;
    return "";
}

int nl_ind_table_add(struct nl_ind_table *t, const Nhanluc__V1__IndicatorValue *v)
{
    char num[NUM_LEN], den[NUM_LEN], value[80], target[96];
    const char *row[16];
    size_t n = 0;
    const char *pct = (!t->csv && is_percent(v)) ? "%" : "";

    (void)snprintf(num, sizeof(num), "%" PRId64, v->numerator);
    if (v->has_denominator)
        (void)snprintf(den, sizeof(den), "%" PRId64, v->denominator);
    else
        den[0] = '\0';
    if (v->has_value)
        (void)snprintf(value, sizeof(value), "%s%s", v->value, pct);
    else
        (void)snprintf(value, sizeof(value), "%s", t->csv ? "" : "—");
    if (v->target == NULL)
        target[0] = '\0';
    else if (t->csv)
        (void)snprintf(target, sizeof(target), "%s %s", v->target->op, v->target->value);
    else
        (void)snprintf(target, sizeof(target), "%s %s%s", op_symbol(v->target->op),
                       v->target->value, pct);
    row[n++] = v->code;
    if (t->full) {
        row[n++] = v->unit;
        row[n++] = v->period;
        row[n++] = v->as_of;
        for (size_t i = 0; i < t->ndims; i++)
            row[n++] = group_value(v, t->dims[i]);
    }
    row[n++] = num;
    row[n++] = den;
    row[n++] = value;
    row[n++] = target;
    if (v->met == NHANLUC__V1__MET__MET_YES)
        row[n++] = t->csv ? "true" : "✓";
    else if (v->met == NHANLUC__V1__MET__MET_NO)
        row[n++] = t->csv ? "false" : "✗";
    else
        row[n++] = "";
    return nl_cli_add_row(&t->r, row);
}

/* --- indicator list ------------------------------------------------------- */

/* "PERCENT" for VALUE_KIND_PERCENT; the number of a kind this CLI does not know. */
static const char *kind_text(int kind, char *num, size_t len)
{
    const char *name = nl_cli_enum_text(&nhanluc__v1__value_kind__descriptor, kind, num, len);

    if (strncmp(name, "VALUE_KIND_", 11) == 0)
        return name + 11;
    return name;
}

/* The targets of a definition as one cell: "≥ 35% (2015-2020); > 80% (2020-2025, tay-ho)". */
static char *targets_text(const Nhanluc__V1__IndicatorDef *d, int csv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    const char *pct =
        (!csv && d->value_kind == NHANLUC__V1__VALUE_KIND__VALUE_KIND_PERCENT) ? "%" : "";

    if (f == NULL)
        return NULL;
    for (size_t i = 0; i < d->n_targets; i++) {
        const Nhanluc__V1__Target *t = d->targets[i];
        fprintf(f, "%s%s %s%s (%s%s%s)", i > 0 ? "; " : "", csv ? t->op : op_symbol(t->op),
                t->value, pct, t->term, t->unit[0] != '\0' ? ", " : "", t->unit);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static json_t *def_json(const Nhanluc__V1__IndicatorDef *d, int *rc)
{
    char num[NUM_LEN];
    json_t *o = json_object(), *targets = json_array(), *dims = json_array(), *x;

    *rc = NL_INTERNAL;
    if (o == NULL || targets == NULL || dims == NULL)
        goto oom;
    for (size_t i = 0; i < d->n_targets; i++) {
        const Nhanluc__V1__Target *t = d->targets[i];
        json_t *tv = decimal_json(t->value, "a target value", rc), *to;
        if (tv == NULL)
            goto fail;
        to = json_object();
        if (json_array_append_new(targets, to) != 0 || nl_ind_jset(to, "op", nl_ind_jstr(t->op)) ||
            nl_ind_jset(to, "value", tv) != 0 ||
            nl_ind_jset(to, "unit", t->unit[0] != '\0' ? nl_ind_jstr(t->unit) : json_null()) ||
            nl_ind_jset(to, "term", nl_ind_jstr(t->term)) != 0)
            goto oom;
    }
    for (size_t i = 0; i < d->n_dimensions; i++)
        if (json_array_append_new(dims, nl_ind_jstr(d->dimensions[i])) != 0)
            goto oom;
    if (nl_ind_jset(o, "code", nl_ind_jstr(d->code)) != 0 ||
        nl_ind_jset(o, "name_vi", nl_ind_jstr(d->name_vi)) != 0 ||
        nl_ind_jset(o, "name_en", nl_ind_jstr(d->name_en)) != 0 ||
        nl_ind_jset(o, "formula", nl_ind_jstr(d->formula)) != 0 ||
        nl_ind_jset(o, "population", nl_ind_jstr(d->population)) != 0 ||
        nl_ind_jset(o, "value_kind",
                    nl_ind_jstr(kind_text((int)d->value_kind, num, sizeof(num)))) != 0)
        goto oom;
    x = targets;
    targets = NULL;
    if (nl_ind_jset(o, "targets", x) != 0)
        goto oom;
    x = dims;
    dims = NULL;
    if (nl_ind_jset(o, "dimensions", x) != 0)
        goto oom;
    *rc = 0;
    return o;
oom:
    *rc = nl_cli_fail(NL_INTERNAL, "out of memory");
fail:
    json_decref(o);
    json_decref(targets);
    json_decref(dims);
    return NULL;
}

#define NCOLS_DEF 8
static const struct nl_col def_cols[NCOLS_DEF] = {
    {"code", NL_COL_STR},       {"name_vi", NL_COL_STR},    {"name_en", NL_COL_STR},
    {"value_kind", NL_COL_STR}, {"targets", NL_COL_STR},    {"formula", NL_COL_STR},
    {"population", NL_COL_STR}, {"dimensions", NL_COL_STR},
};

/* The rows of the catalogue for a table or CSV. */
static int def_rows(const Nhanluc__V1__ListIndicatorsResponse *resp, int csv, struct nl_records *r)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < resp->n_indicators; i++) {
        const Nhanluc__V1__IndicatorDef *d = resp->indicators[i];
        char num[NUM_LEN], *targets = targets_text(d, csv), *dims = NULL;
        size_t dlen = 0;
        FILE *f = open_memstream(&dims, &dlen);
        const char *row[NCOLS_DEF];

        if (f != NULL) {
            for (size_t k = 0; k < d->n_dimensions; k++)
                fprintf(f, "%s%s", k > 0 ? " " : "", d->dimensions[k]);
            if (fclose(f) != 0) {
                free(dims);
                dims = NULL;
            }
        }
        if (targets == NULL || dims == NULL) {
            rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        } else {
            row[0] = d->code;
            row[1] = d->name_vi;
            row[2] = d->name_en;
            row[3] = kind_text((int)d->value_kind, num, sizeof(num));
            row[4] = targets;
            row[5] = d->formula;
            row[6] = d->population;
            row[7] = dims;
            rc = nl_cli_add_row(r, row);
        }
        free(targets);
        free(dims);
    }
    return rc;
}

static int ind_list(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__ListIndicatorsRequest req;
    ProtobufCMessage *reply;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("indicator", "indicator list: %s", err);
    nhanluc__v1__list_indicators_request__init(&req);
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Indicators/ListIndicators", &req.base,
                             &nhanluc__v1__list_indicators_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    const Nhanluc__V1__ListIndicatorsResponse *resp =
        (const Nhanluc__V1__ListIndicatorsResponse *)reply;
    if (cli->output == NL_OUTPUT_JSON) {
        json_t *doc = json_array();
        if (doc == NULL)
            rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        for (size_t i = 0; rc == 0 && i < resp->n_indicators; i++) {
            json_t *d = def_json(resp->indicators[i], &rc);
            if (d != NULL && json_array_append_new(doc, d) != 0)
                rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        }
        if (rc == 0)
            rc = nl_ind_print_json(cli, doc);
        else
            json_decref(doc);
    } else {
        struct nl_records r;
        nl_records_init(&r, def_cols, NCOLS_DEF);
        rc = def_rows(resp, cli->output == NL_OUTPUT_CSV, &r);
        if (rc == 0)
            rc = nl_cli_print(cli, &r, 0);
        nl_records_release(&r);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* --- indicator show ------------------------------------------------------- */

/* Writes one labelled list of the explanation ("  filters:" then an item a line). */
static void explain_list(FILE *f, const char *label, char **items, size_t n)
{
    fprintf(f, "  %s:%s\n", label, n == 0 ? " none" : "");
    for (size_t i = 0; i < n; i++) {
        fputs("    ", f);
        (void)nl_ind_puts_clean(f, items[i]);
        fputc('\n', f);
    }
}

/* The explanation as text, after a table (stdout) or beside CSV (stderr). */
static int explain_text(FILE *f, const Nhanluc__V1__Explanation *e)
{
    static const char *const labels[] = {"period", "as_of", "term"};
    const char *vals[] = {e->period, e->as_of, e->term};

    fputs("explanation:\n", f);
    for (size_t i = 0; i < 3; i++) {
        fprintf(f, "  %s: ", labels[i]);
        (void)nl_ind_puts_clean(f, vals[i]);
        fputc('\n', f);
    }
    explain_list(f, "filters", e->filters, e->n_filters);
    explain_list(f, "units", e->units, e->n_units);
    explain_list(f, "counts", e->counts, e->n_counts);
    return ferror(f) ? -1 : 0;
}

static json_t *strings_json(char **items, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, nl_ind_jstr(items[i])) != 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

static json_t *explain_json(const Nhanluc__V1__Explanation *e)
{
    json_t *o = json_object();

    if (o == NULL || nl_ind_jset(o, "filters", strings_json(e->filters, e->n_filters)) != 0 ||
        nl_ind_jset(o, "period", nl_ind_jstr(e->period)) != 0 ||
        nl_ind_jset(o, "as_of", nl_ind_jstr(e->as_of)) != 0 ||
        nl_ind_jset(o, "term", nl_ind_jstr(e->term)) != 0 ||
        nl_ind_jset(o, "units", strings_json(e->units, e->n_units)) != 0 ||
        nl_ind_jset(o, "counts", strings_json(e->counts, e->n_counts)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The values as a JSON array of rows; NULL after reporting a failure (*rc). */
static json_t *rows_json(Nhanluc__V1__IndicatorValue *const *vals, size_t n, int grouped, int *rc)
{
    json_t *a = json_array();

    *rc = 0;
    if (a == NULL) {
        *rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = nl_ind_value_json(vals[i], grouped, rc);
        if (o == NULL || json_array_append_new(a, o) != 0) {
            if (o != NULL)
                *rc = nl_cli_fail(NL_INTERNAL, "out of memory");
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Prints values as a table or CSV with the full columns (and `by` as the group column). */
static int print_rows(struct nl_cli *cli, Nhanluc__V1__IndicatorValue *const *vals, size_t n,
                      const char *by)
{
    struct nl_ind_table t;
    const char *dims[1] = {by};
    int rc = 0;

    nl_ind_table_init(&t, NL_IND_COLS_FULL, dims, by != NULL ? 1 : 0, cli->output == NL_OUTPUT_CSV);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = nl_ind_table_add(&t, vals[i]);
    if (rc == 0)
        rc = nl_cli_print(cli, &t.r, 0);
    nl_records_release(&t.r);
    return rc;
}

static int ind_show(struct nl_cli *cli, int argc, char **argv)
{
    char *unit, *own, *term, *year, *from, *to, *as_of, *by, *explain, *pos[1], err[256];
    struct nl_ind_opt opts[] = {
        {"unit", 1, 1, &unit, 0},   {"own", 0, 1, &own, 0},   {"term", 1, 1, &term, 0},
        {"year", 1, 1, &year, 0},   {"from", 1, 1, &from, 0}, {"to", 1, 1, &to, 0},
        {"as-of", 1, 1, &as_of, 0}, {"by", 1, 1, &by, 0},     {"explain", 0, 1, &explain, 0},
        {NULL, 0, 0, NULL, 0},
    };
    Nhanluc__V1__ShowIndicatorRequest req;
    Nhanluc__V1__Selection sel;
    struct nl_ind_sel_buf buf;
    ProtobufCMessage *reply;
    int rc, n = nl_ind_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("indicator", "indicator show: %s", err);
    if (n < 1)
        return nl_cli_usage_error("indicator", "indicator show: missing CODE");
#define OPTV(i) (opts[i].n > 0 ? *opts[i].vals : NULL)
    const struct nl_ind_sel_args sa = {OPTV(0), OPTV(1), OPTV(2), OPTV(3),
                                       OPTV(4), OPTV(5), OPTV(6)};
    by = OPTV(7);
    explain = OPTV(8);
#undef OPTV
    if ((rc = nl_ind_selection("indicator", "indicator show", &sa, &sel, &buf)) != 0)
        return rc;
    if (by != NULL && by[0] == '\0')
        return nl_cli_usage_error("indicator", "indicator show: empty --by");
    nhanluc__v1__show_indicator_request__init(&req);
    req.code = pos[0];
    req.selection = &sel;
    if (by != NULL)
        req.by = by;
    req.explain = explain != NULL;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Indicators/ShowIndicator", &req.base,
                             &nhanluc__v1__show_indicator_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    const Nhanluc__V1__ShowIndicatorResponse *resp =
        (const Nhanluc__V1__ShowIndicatorResponse *)reply;
    if (cli->output == NL_OUTPUT_JSON) {
        json_t *rows = rows_json(resp->values, resp->n_values, by != NULL, &rc), *doc = rows;
        if (rows != NULL && explain != NULL) {
            json_t *e = resp->explanation != NULL ? explain_json(resp->explanation) : json_null();
            doc = json_object();
            if (doc == NULL || nl_ind_jset(doc, "rows", rows) != 0 ||
                nl_ind_jset(doc, "explanation", e) != 0) {
                if (doc == NULL) {
                    json_decref(rows);
                    json_decref(e);
                }
                json_decref(doc);
                doc = NULL;
                rc = nl_cli_fail(NL_INTERNAL, "out of memory");
            }
        }
        if (doc != NULL)
            rc = nl_ind_print_json(cli, doc);
    } else {
        rc = print_rows(cli, resp->values, resp->n_values, by);
        if (rc == 0 && explain != NULL && resp->explanation != NULL) {
            FILE *f = cli->output == NL_OUTPUT_CSV ? stderr : cli->out;
            if (f == cli->out)
                fputc('\n', f);
            if (explain_text(f, resp->explanation) != 0 || fflush(f) != 0) {
                if (errno != EPIPE)
                    fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
                rc = NL_EXIT_IO;
            }
        }
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* --- indicator compare ---------------------------------------------------- */

/* Parses an exact decimal ("-1.49", "190", "+27.6") into m / 10^dec. 0, or -1 when it is none. */
static int dec_parse(const char *s, int64_t *m, int *dec)
{
    int neg = 0, d = -1, digits = 0;
    int64_t v = 0;

    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    for (; *s != '\0'; s++) {
        if (*s == '.' && d < 0) {
            d = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || digits >= 17)
            return -1;
        v = v * 10 + (*s - '0');
        digits++;
        if (d >= 0)
            d++;
    }
    if (digits == 0 || d == 0)
        return -1;
    *m = neg ? -v : v;
    *dec = d < 0 ? 0 : d;
    return 0;
}

/*
 * b - a of two decimal texts, with the decimals of the more precise one and
 * a sign ("+0.49", "-3", "+0.0"): the change a reader computes from the
 * values shown. 0, or -1 when either is not a decimal.
 */
static int dec_diff(const char *a, const char *b, char *out, size_t len)
{
    int64_t ma, mb, p = 1;
    int da, db;

    if (dec_parse(a, &ma, &da) != 0 || dec_parse(b, &mb, &db) != 0)
        return -1;
    int dec = da > db ? da : db;
    for (int i = da; i < dec; i++)
        ma *= 10;
    for (int i = db; i < dec; i++)
        mb *= 10;
    for (int i = 0; i < dec; i++)
        p *= 10;
    int64_t diff = mb - ma, abs = diff < 0 ? -diff : diff;
    if (dec == 0)
        (void)snprintf(out, len, "%c%" PRId64, diff < 0 ? '-' : '+', abs);
    else
        (void)snprintf(out, len, "%c%" PRId64 ".%0*" PRId64, diff < 0 ? '-' : '+', abs / p, dec,
                       abs % p);
    return 0;
}

/*
 * The comparison as CSV: the two rows with the full columns and a `change`
 * column, on row b the difference of the values shown (empty when a value
 * is null).
 */
static int compare_csv(struct nl_cli *cli, Nhanluc__V1__IndicatorValue *const *vals)
{
    struct nl_ind_table t;
    struct nl_col cols[17];
    struct nl_records r;
    char shown[48] = "";
    int rc = 0;

    nl_ind_table_init(&t, NL_IND_COLS_FULL, NULL, 0, 1);
    for (size_t i = 0; rc == 0 && i < 2; i++)
        rc = nl_ind_table_add(&t, vals[i]);
    size_t nc = t.r.ncols;
    memcpy(cols, t.r.cols, nc * sizeof(cols[0]));
    cols[nc] = (struct nl_col){"change", NL_COL_STR};
    nl_records_init(&r, cols, nc + 1);
    if (vals[0]->has_value && vals[1]->has_value &&
        dec_diff(vals[0]->value, vals[1]->value, shown, sizeof(shown)) != 0)
        shown[0] = '\0';
    for (size_t i = 0; rc == 0 && i < t.r.nrows; i++) {
        const char *row[17];
        for (size_t c = 0; c < nc; c++)
            row[c] = t.r.cells[i * nc + c];
        row[nc] = i == 1 ? shown : "";
        rc = nl_cli_add_row(&r, row);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    nl_records_release(&t.r);
    return rc;
}

/*
 * The table's change line: the difference of the values shown, and when
 * the exact values give another rounded change (1.49 -> 1.98 is +0.49 as
 * shown, +0.48 exactly: 112/75 -> 164/83), that one too.
 */
static void compare_change_line(FILE *f, const Nhanluc__V1__CompareIndicatorResponse *resp)
{
    const char *unit = is_percent(resp->a) ? " points" : "";
    char shown[48];

    fputs("\nchange: ", f);
    if (!resp->has_change) {
        fputs("none (a value is null)", f);
        return;
    }
    if (dec_diff(resp->a->value, resp->b->value, shown, sizeof(shown)) != 0 ||
        strcmp(shown, resp->change) == 0) {
        (void)nl_ind_puts_clean(f, resp->change);
        fputs(unit, f);
        return;
    }
    fprintf(f, "%s%s (the difference of the values shown; ", shown, unit);
    (void)nl_ind_puts_clean(f, resp->change);
    fprintf(f, "%s from the exact values)", unit);
}

static int ind_compare(struct nl_cli *cli, int argc, char **argv)
{
    char *unit, *own, *terms[2], *dates[2], *pos[1], err[256], d[2][11];
    struct nl_ind_opt opts[] = {
        {"unit", 1, 1, &unit, 0},  {"own", 0, 1, &own, 0}, {"term", 1, 2, terms, 0},
        {"as-of", 1, 2, dates, 0}, {NULL, 0, 0, NULL, 0},
    };
    Nhanluc__V1__CompareIndicatorRequest req;
    Nhanluc__V1__Selection sel;
    ProtobufCMessage *reply;
    int rc, n = nl_ind_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("indicator", "indicator compare: %s", err);
    if (n < 1)
        return nl_cli_usage_error("indicator", "indicator compare: missing CODE");
    if (!((opts[2].n == 2 && opts[3].n == 0) || (opts[2].n == 0 && opts[3].n == 2)))
        return nl_cli_usage_error("indicator", "indicator compare: give two --term or two --as-of");
    nhanluc__v1__selection__init(&sel);
    nhanluc__v1__compare_indicator_request__init(&req);
    if (opts[0].n > 0)
        sel.unit = unit;
    sel.own = opts[1].n > 0;
    req.code = pos[0];
    req.selection = &sel;
    if (opts[2].n == 2) {
        for (int i = 0; i < 2; i++)
            if (terms[i][0] == '\0')
                return nl_cli_usage_error("indicator", "indicator compare: empty --term");
        req.term_a = terms[0];
        req.term_b = terms[1];
    } else {
        for (int i = 0; i < 2; i++)
            if ((rc = date_arg("indicator", "indicator compare", "--as-of", dates[i], d[i])) != 0)
                return rc;
        req.as_of_a = d[0];
        req.as_of_b = d[1];
    }

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Indicators/CompareIndicator", &req.base,
                             &nhanluc__v1__compare_indicator_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    const Nhanluc__V1__CompareIndicatorResponse *resp =
        (const Nhanluc__V1__CompareIndicatorResponse *)reply;
    Nhanluc__V1__IndicatorValue *vals[2] = {resp->a, resp->b};
    if (resp->a == NULL || resp->b == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned a comparison without both values");
    } else if (cli->output == NL_OUTPUT_JSON) {
        json_t *rows = rows_json(vals, 2, 0, &rc), *doc = NULL, *change = json_null();
        if (rows != NULL && resp->has_change)
            change = decimal_json(resp->change, "the change", &rc);
        if (rows != NULL && change != NULL) {
            doc = json_object();
            if (doc == NULL || nl_ind_jset(doc, "rows", rows) != 0 ||
                nl_ind_jset(doc, "change", change) != 0) {
                if (doc == NULL) {
                    json_decref(rows);
                    json_decref(change);
                }
                json_decref(doc);
                doc = NULL;
                rc = nl_cli_fail(NL_INTERNAL, "out of memory");
            }
        } else {
            json_decref(rows);
        }
        if (doc != NULL)
            rc = nl_ind_print_json(cli, doc);
    } else if (cli->output == NL_OUTPUT_CSV) {
        rc = compare_csv(cli, vals);
    } else {
        rc = print_rows(cli, vals, 2, NULL);
        if (rc == 0) {
            FILE *f = cli->out;
            compare_change_line(f, resp);
            if (fputc('\n', f) == EOF || fflush(f) != 0) {
                if (errno != EPIPE)
                    fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
                rc = NL_EXIT_IO;
            }
        }
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* --- the command ---------------------------------------------------------- */

static const struct nl_cli_sub indicator_subs[] = {
    {"list", ind_list},
    {"show", ind_show},
    {"compare", ind_compare},
    {NULL, NULL},
};

int nl_cmd_indicator(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "indicator", indicator_subs, "list, show or compare", argc, argv);
}
