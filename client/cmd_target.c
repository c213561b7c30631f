/*
 * cmd_target.c - `nhanluc target`: the indicator targets the administrator
 * keeps (nhanluc.v1.Indicators SetTarget, ListTargets, DeleteTarget).
 *
 *   target set INDICATOR OP VALUE --term T [--unit U]
 *   target list [--indicator X] [--term T]
 *   target delete INDICATOR --term T [--unit U]
 *
 * OP is one of >=, >, =, <=, < (quote it for the shell); VALUE a decimal in
 * the indicator's unit ("35" is 35 % for a percent indicator). No --unit:
 * the target applies to every unit that has none of its own. The CLI checks
 * only that the words are there (usage error, 64); the server checks the
 * values (INVALID_ARGUMENT, 3, naming the field) and that the unit and term
 * exist. `set` prints the stored target (the value normalised: "35.0" is
 * 35) with its outcome CREATED, UPDATED or UNCHANGED; `delete` prints the
 * key with deleted true or false (a target that was not there is not an
 * error: exit 0).
 *
 * Output as the other commands: a table, CSV, or JSON. In JSON, `value` is
 * a number (35, 22.5), as in the indicator commands' "target" objects,
 * `unit` null for a target that names no unit, and `deleted` a boolean;
 * table and CSV print the value text as the server stores it (and an empty
 * unit cell).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "nhanluc/v1/indicators.pb-c.h"

#include "args.h"
#include "cli.h"
#include "cmd_target.h"
#include "output.h"

static const char SET_PATH[] = "/nhanluc.v1.Indicators/SetTarget";
static const char LIST_PATH[] = "/nhanluc.v1.Indicators/ListTargets";
static const char DELETE_PATH[] = "/nhanluc.v1.Indicators/DeleteTarget";

#define NCOLS_TARGET 5
static const struct nl_col target_cols[] = {
    {"indicator", NL_COL_STR}, {"op", NL_COL_STR},   {"value", NL_COL_STR},
    {"unit", NL_COL_STR},      {"term", NL_COL_STR}, {"outcome", NL_COL_STR},
};

#define NCOLS_DELETE 4
static const struct nl_col delete_cols[] = {
    {"indicator", NL_COL_STR},
    {"unit", NL_COL_STR},
    {"term", NL_COL_STR},
    {"deleted", NL_COL_BOOL},
};

/* --- JSON --- */

/*
 * The JSON of a value cell: a number with the text's digits (a target value
 * has at most 15 significant digits, which nl_output_json prints back
 * exactly), or a string for text that is no decimal (a server bug, shown
 * rather than hidden).
 */
static json_t *value_json(const char *v)
{
    json_t *j = nl_json_decimal(v);

    return j != NULL ? j : json_string(v);
}

static json_t *cell_json(const struct nl_col *col, const char *v)
{
    if (strcmp(col->key, "value") == 0)
        return value_json(v);
    if (strcmp(col->key, "unit") == 0 && v[0] == '\0')
        return json_null(); /* a target for every unit names none */
    if (col->type == NL_COL_BOOL)
        return strcmp(v, "true") == 0 ? json_true() : json_false();
    return json_string(v);
}

static json_t *row_json(const struct nl_records *r, size_t row)
{
    json_t *o = json_object();

    for (size_t c = 0; o != NULL && c < r->ncols; c++) {
        json_t *v = cell_json(&r->cols[c], r->cells[row * r->ncols + c]);

        if (v == NULL || json_object_set_new(o, r->cols[c].key, v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

/*
 * Prints records r: through nl_cli_print for a table or CSV, here for JSON
 * (an array, or one object when `single`). 0 or the exit code of a failure
 * it reported.
 */
static int print_records(struct nl_cli *cli, const struct nl_records *r, int single)
{
    json_t *doc;
    int rc;

    if (cli->output != NL_OUTPUT_JSON)
        return nl_cli_print(cli, r, single);
    if (single) {
        doc = r->nrows == 1 ? row_json(r, 0) : json_object();
    } else {
        doc = json_array();
        for (size_t i = 0; doc != NULL && i < r->nrows; i++) {
            json_t *o = row_json(r, i);

            if (o == NULL || json_array_append_new(doc, o) != 0) {
                json_decref(o);
                json_decref(doc);
                doc = NULL;
            }
        }
    }
    if (doc == NULL)
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    errno = 0;
    rc = nl_output_json(cli->out, doc) == 0 && fflush(cli->out) == 0 ? 0 : -1;
    json_decref(doc);
    if (rc != 0) {
        if (errno != EPIPE)
            fprintf(stderr, "nhanluc: cannot write output: %s\n",
                    errno != 0 ? strerror(errno) : "write error");
        return NL_EXIT_IO;
    }
    return 0;
}

/* Prints one row under cols[0..ncols-1] as a single record. */
static int print_one(struct nl_cli *cli, const struct nl_col *cols, size_t ncols,
                     const char *const *row)
{
    struct nl_records r;
    int rc;

    nl_records_init(&r, cols, ncols);
    rc = nl_cli_add_row(&r, row);
    if (rc == 0)
        rc = print_records(cli, &r, 1);
    nl_records_release(&r);
    return rc;
}

/* The cells of target t (strings borrowed from it) with `outcome` ("" in a list). */
static void target_row(const char **v, const Nhanluc__V1__Target *t, const char *outcome)
{
    v[0] = t->indicator;
    v[1] = t->op;
    v[2] = t->value;
    v[3] = t->unit;
    v[4] = t->term;
    v[5] = outcome;
}

/* --- set --- */

static int target_set(struct nl_cli *cli, int argc, char **argv)
{
    char *term = NULL, *unit = NULL, *pos[3], err[256];
    const struct nl_opt opts[] = {{"term", 1, &term}, {"unit", 1, &unit}, {NULL, 0, NULL}};
    static const char *const names[] = {"INDICATOR", "OP", "VALUE"};
    Nhanluc__V1__SetTargetRequest req;
    Nhanluc__V1__Target t;
    ProtobufCMessage *reply;
    const char *row[NCOLS_TARGET + 1];
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 3, err, sizeof(err));

    nhanluc__v1__set_target_request__init(&req);
    nhanluc__v1__target__init(&t);
    if (n < 0)
        return nl_cli_usage_error("target", "target set: %s", err);
    if (n < 3)
        return nl_cli_usage_error("target", "target set: missing %s", names[n]);
    if (term == NULL)
        return nl_cli_usage_error("target", "target set: missing --term");
    t.indicator = pos[0];
    t.op = pos[1];
    t.value = pos[2];
    t.term = term;
    if (unit != NULL)
        t.unit = unit;
    req.target = &t;

    rc = nl_cli_call_or_fail(cli, SET_PATH, &req.base,
                             &nhanluc__v1__set_target_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    Nhanluc__V1__SetTargetResponse *resp = (Nhanluc__V1__SetTargetResponse *)reply;
    if (resp->target == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no target");
    } else {
        target_row(row, resp->target,
                   resp->created   ? "CREATED"
                   : resp->changed ? "UPDATED"
                                   : "UNCHANGED");
        rc = print_one(cli, target_cols, NCOLS_TARGET + 1, row);
    }
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* --- list --- */

static int target_list(struct nl_cli *cli, int argc, char **argv)
{
    char *indicator = NULL, *term = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {
        {"indicator", 1, &indicator}, {"term", 1, &term}, {NULL, 0, NULL}};
    Nhanluc__V1__ListTargetsRequest req;
    ProtobufCMessage *reply;
    struct nl_records r;
    const char *row[NCOLS_TARGET + 1];
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_targets_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("target", "target list: %s", err);
    if (indicator != NULL)
        req.indicator = indicator;
    if (term != NULL)
        req.term = term;

    rc = nl_cli_call_or_fail(cli, LIST_PATH, &req.base,
                             &nhanluc__v1__list_targets_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    Nhanluc__V1__ListTargetsResponse *resp = (Nhanluc__V1__ListTargetsResponse *)reply;
    nl_records_init(&r, target_cols, NCOLS_TARGET);
    for (size_t i = 0; rc == 0 && i < resp->n_targets; i++) {
        target_row(row, resp->targets[i], "");
        rc = nl_cli_add_row(&r, row);
    }
    if (rc == 0)
        rc = print_records(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* --- delete --- */

static int target_delete(struct nl_cli *cli, int argc, char **argv)
{
    char *term = NULL, *unit = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {{"term", 1, &term}, {"unit", 1, &unit}, {NULL, 0, NULL}};
    Nhanluc__V1__DeleteTargetRequest req;
    ProtobufCMessage *reply;
    const char *row[NCOLS_DELETE];
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__delete_target_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("target", "target delete: %s", err);
    if (n < 1)
        return nl_cli_usage_error("target", "target delete: missing INDICATOR");
    if (term == NULL)
        return nl_cli_usage_error("target", "target delete: missing --term");
    req.indicator = pos[0];
    req.term = term;
    if (unit != NULL)
        req.unit = unit;

    rc = nl_cli_call_or_fail(cli, DELETE_PATH, &req.base,
                             &nhanluc__v1__delete_target_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    Nhanluc__V1__DeleteTargetResponse *resp = (Nhanluc__V1__DeleteTargetResponse *)reply;
    row[0] = req.indicator;
    row[1] = req.unit;
    row[2] = req.term;
    row[3] = resp->deleted ? "true" : "false";
    rc = print_one(cli, delete_cols, NCOLS_DELETE, row);
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static const struct nl_cli_sub target_subs[] = {
    {"set", target_set},
    {"list", target_list},
    {"delete", target_delete},
    {NULL, NULL},
};

int nl_cmd_target(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "target", target_subs, "set, list or delete", argc, argv);
}
