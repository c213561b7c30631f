/*
 * output.h - how the CLI prints records: aligned table, JSON or CSV.
 *
 * A command fills a struct nl_records (rows of strings under typed columns)
 * and hands it to nl_output_write(), so the three formats always show the
 * same data. Columns are named by their proto field names ("code", "kind",
 * "start_year"); the table header is the upper-cased name.
 */
#ifndef NL_OUTPUT_H
#define NL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum nl_output {
    NL_OUTPUT_TABLE = 0, /* aligned columns with a header row, for people */
    NL_OUTPUT_JSON = 1,  /* exactly one JSON document */
    NL_OUTPUT_CSV = 2,   /* RFC 4180 with a header row, CRLF line ends */
};

/* Parses "table", "json" or "csv" (case-insensitive). Returns 0 or -1. */
int nl_output_parse(const char *s, enum nl_output *out);

/* Types only change the JSON value: string, number or true/false. */
enum nl_col_type {
    NL_COL_STR = 0,
    NL_COL_INT = 1,  /* decimal text; a JSON number */
    NL_COL_BOOL = 2, /* "true" or "false"; a JSON boolean */
};

struct nl_col {
    const char *key; /* proto field name; borrowed, usually static */
    enum nl_col_type type;
};

struct nl_records {
    const struct nl_col *cols; /* borrowed */
    size_t ncols;
    char **cells; /* owned; row-major, nrows * ncols strings, each owned */
    size_t nrows;
    size_t cap; /* rows allocated */
};

/* Initialises an empty record set with the given columns (borrowed). */
void nl_records_init(struct nl_records *r, const struct nl_col *cols, size_t ncols);

/*
 * Appends a row: copies `values[0..ncols-1]` (NULL is stored as ""), with
 * invalid UTF-8 replaced as nl_output_clean(.., keep_controls = 1) does.
 * Returns 0 or -1 when out of memory (the set is unchanged).
 */
int nl_records_add(struct nl_records *r, const char *const *values);

/* Frees every row; the set is empty and reusable. */
void nl_records_release(struct nl_records *r);

/*
 * Writes the records to `f` in format `fmt`. `single` = 1 for a command that
 * shows one record: JSON then prints one object instead of an array (the set
 * must hold exactly one row). Returns 0, or -1 if a write failed or memory ran
 * out (errno tells which).
 */
int nl_output_write(FILE *f, enum nl_output fmt, const struct nl_records *r, int single);

/*
 * An exact decimal text from the server ("187", "41.4", "-0.48", "+27.6") as
 * a JSON number that nl_output_json() prints with the same digits: a text
 * without a fraction becomes an integer (int64), one with a fraction a real.
 * A real keeps its digits when it has at most 15 significant digits (every
 * value the indicator engine gives); beyond that it prints as the nearest
 * 15-digit number. Returns a new reference, or NULL when `text` is not
 * [+-]digits[.digits] or out of memory.
 */
json_t *nl_json_decimal(const char *text);

/*
 * Dumps `doc` to `f` as the JSON output of every command does: two-space
 * indentation, keys in insertion order, UTF-8 as is, reals with 15
 * significant digits (nl_json_decimal's texts print unchanged), and a final
 * newline. Returns 0, or -1 if a write failed (errno tells why).
 */
int nl_output_json(FILE *f, const json_t *doc);

/*
 * Writes one CSV field, quoted (with inner quotes doubled) only when it
 * contains a comma, a double quote, CR or LF. Returns 0 or -1 on write error.
 */
int nl_csv_field(FILE *f, const char *s);

/*
 * Copies text that came from the server so that it can be printed: each
 * invalid UTF-8 byte becomes U+FFFD and, unless `keep_controls`, every control
 * character (C0, DEL, C1) becomes '?' (no terminal escapes from a server).
 * Returns a NUL-terminated malloc'd string (caller frees), NULL when out of
 * memory.
 */
char *nl_output_clean(const char *s, size_t len, int keep_controls);

#endif
