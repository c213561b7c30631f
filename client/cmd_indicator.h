/*
 * cmd_indicator.h - the indicator commands of the CLI (nhanluc.v1.Indicators)
 * and what `indicator`, `report` and `query` share: the period and scope
 * options, an option parser that allows repeats (--term A --term B,
 * --filter ... --filter ...), and the printing of an IndicatorValue in the
 * three output formats.
 *
 * JSON rows of indicator values have exactly the keys of issue 4: code, unit,
 * period, as_of, numerator, denominator (null for counts), value (a number,
 * null without a value), target (null or {"op", "value"}), met (null, true,
 * false) and, only when grouped, group ({"sex": "FEMALE"}).
 */
#ifndef NL_CMD_INDICATOR_H
#define NL_CMD_INDICATOR_H

#include <stddef.h>

#include <jansson.h>

#include "nhanluc/v1/indicators.pb-c.h"

#include "cli.h"

/* The commands (main.c's table). */
int nl_cmd_indicator(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_report(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_query(struct nl_cli *cli, int argc, char **argv);

/* One long option that may repeat: --name VALUE, --name=VALUE or a flag. */
struct nl_ind_opt {
    const char *name; /* without "--"; NULL ends the table */
    int has_arg;      /* 1: takes a value; 0: a flag (its value is "1") */
    int max;          /* values kept; 1 keeps the last of repeats, > 1 refuses more */
    char **vals;      /* room for `max` borrowed argv pointers */
    int n;            /* values seen (set by the parser) */
};

/*
 * Parses argv[0..argc-1] as nl_opts_parse does (options anywhere, "--" ends
 * them, other words into pos[] up to maxpos), but an option of max > 1 keeps
 * each value in order. Returns the number of positional words, or -1 with a
 * one-line reason in err (unknown option, missing value, too many arguments,
 * "at most N --name").
 */
int nl_ind_opts_parse(int argc, char **argv, struct nl_ind_opt *opts, char **pos, int maxpos,
                      char *err, size_t errlen);

/* The raw period and scope options of a command (NULL when absent; borrowed). */
struct nl_ind_sel_args {
    char *unit, *own, *term, *year, *from, *to, *as_of;
};

/* Dates of a Selection normalised to YYYY-MM-DD; the Selection borrows them. */
struct nl_ind_sel_buf {
    char from[11], to[11], as_of[11];
};

/*
 * Checks and fills `sel` from `a`: at most one of --term, --year and
 * --from/--to (which go together, from <= to), a year 1..9999, dates as
 * YYYY-MM-DD or DD/MM/YYYY. `sel` borrows from `a` and `buf`. Returns 0, or
 * NL_EXIT_USAGE after a usage error naming `what` ("indicator show").
 */
int nl_ind_selection(const char *cmd, const char *what, const struct nl_ind_sel_args *a,
                     Nhanluc__V1__Selection *sel, struct nl_ind_sel_buf *buf);

/* Which columns a table or CSV of indicator values has. */
enum nl_ind_cols {
    NL_IND_COLS_FULL = 0,   /* code unit period as_of [dims] numerator denominator value ... */
    NL_IND_COLS_REPORT = 1, /* code numerator denominator value target met (the one page) */
};

/* The table or CSV rows of indicator values. */
struct nl_ind_table {
    struct nl_col cols[16];
    const char *dims[2]; /* borrowed dimension names, the group columns */
    size_t ndims;
    int csv;  /* CSV cells (bare values, true/false) rather than the table's */
    int full; /* NL_IND_COLS_FULL */
    struct nl_records r;
};

/*
 * Sets up the columns: `which` of enum nl_ind_cols, then one column per
 * dimension of dims[0..ndims-1] (at most 2; borrowed; see nl_ind_group_col)
 * after as_of; cells for
 * CSV when `csv`, else for the table (value "41.4%", target "≥ 35%", met
 * ✓/✗). Release with nl_records_release(&t->r).
 */
void nl_ind_table_init(struct nl_ind_table *t, int which, const char *const *dims, size_t ndims,
                       int csv);

/*
 * The table and CSV column of group dimension `dim`: the dimension's name,
 * but "group_unit" for "unit", which would repeat the unit column. Static or
 * `dim` itself.
 */
const char *nl_ind_group_col(const char *dim);

/* Appends one value. Returns 0 or the exit code of the failure it reported. */
int nl_ind_table_add(struct nl_ind_table *t, const Nhanluc__V1__IndicatorValue *v);

/*
 * The JSON object of one value with the contract's keys; with `grouped` the
 * "group" object of its dimension values. Returns a new reference, or NULL
 * after reporting the failure (a malformed decimal from the server as
 * NL_INTERNAL, or out of memory) with its exit code in *rc.
 */
json_t *nl_ind_value_json(const Nhanluc__V1__IndicatorValue *v, int grouped, int *rc);

/*
 * A string of server text as JSON (invalid UTF-8 repaired); NULL when out of
 * memory.
 */
json_t *nl_ind_jstr(const char *s);

/*
 * Sets o[key] = v (stealing v, NULL allowed: then it fails). Returns 0, or -1
 * when v is NULL or out of memory.
 */
int nl_ind_jset(json_t *o, const char *key, json_t *v);

/*
 * Sets o["group"] = {dimension: value, ...} of the n group values g (a
 * grouped indicator value or query row). Returns 0, or -1 out of memory.
 */
int nl_ind_jgroup(json_t *o, Nhanluc__V1__GroupValue *const *g, size_t n);

/*
 * Prints `doc` on the CLI's output (nl_output_json) and releases it.
 * Returns 0 or NL_EXIT_IO after reporting the write failure.
 */
int nl_ind_print_json(struct nl_cli *cli, json_t *doc);

/*
 * Prints `text` (server text: control characters replaced) to `f`. Returns 0
 * or -1 on a write error or out of memory.
 */
int nl_ind_puts_clean(FILE *f, const char *text);

#endif
