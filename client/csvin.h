/*
 * csvin.h - reading a whole CSV file as Excel's "CSV UTF-8" writes it
 * (DOMAIN.md section 8), the input side of `nhanluc import`.
 *
 * Accepted: an optional UTF-8 BOM; LF, CRLF or CR line ends; quoted fields
 * holding commas, doubled quotes and line breaks; a header row naming the
 * columns in any order (matched trimmed and case-insensitively); ';' or tab
 * instead of ',' when the header line holds none of the earlier ones (Excel
 * under a locale whose list separator is ';'). Blank lines and rows of empty
 * cells (",,,") are skipped. Unquoted cells lose outer spaces and tabs;
 * quoted cells are kept as written. A row shorter than the header reads ""
 * for its missing cells; a row with non-empty cells beyond the header is an
 * error, as are malformed quotes, an unterminated quoted field, invalid UTF-8
 * or a NUL byte, a file over NL_CSV_MAX_FILE bytes, a cell over
 * NL_CSV_MAX_CELL bytes, more than NL_CSV_MAX_COLUMNS columns, an empty file,
 * and a header naming a column twice. Errors name the file and the physical
 * line ("units.csv:17: unterminated quoted field").
 */
#ifndef NL_CSVIN_H
#define NL_CSVIN_H

#include <stddef.h>

#define NL_CSV_MAX_FILE    (256u * 1024u * 1024u)
#define NL_CSV_MAX_CELL    (64u * 1024u)
#define NL_CSV_MAX_COLUMNS 1024

struct nl_csv;

/*
 * Reads and parses the whole file at `path`. Returns the parsed file (free it
 * with nl_csv_free()), or NULL with a one-line message in err[errlen] that
 * names the file and, when it applies, the line and column.
 */
struct nl_csv *nl_csv_open(const char *path, char *err, size_t errlen);

/* Frees everything of `c`; NULL is fine. Cells returned earlier die with it. */
void nl_csv_free(struct nl_csv *c);

/* The path `c` was opened with (owned by `c`). */
const char *nl_csv_path(const struct nl_csv *c);

/*
 * The index of the header column called `name` (trimmed, case-insensitive,
 * NFC), or -1 when the header has no such column.
 */
int nl_csv_column(const struct nl_csv *c, const char *name);

/* The number of header columns, and the header text of column `col` ("" if out of range). */
int nl_csv_columns(const struct nl_csv *c);
const char *nl_csv_column_name(const struct nl_csv *c, int col);

/*
 * Checks that every name of the NULL-terminated `names` is a header column.
 * Returns 0, or -1 with "units.csv:1: missing column \"valid_from\"" in err.
 */
int nl_csv_require(const struct nl_csv *c, const char *const *names, char *err, size_t errlen);

/* The number of data rows (the header and skipped blank lines not counted). */
size_t nl_csv_rows(const struct nl_csv *c);

/*
 * The text of row `row` (0-based, the header excluded), column `col`:
 * NUL-terminated valid UTF-8 owned by `c`; "" when the row is shorter or
 * row/col is out of range (col -1 included, so nl_csv_column()'s -1 is safe).
 */
const char *nl_csv_cell(const struct nl_csv *c, size_t row, int col);

/* The 1-based physical line where data row `row` starts; 0 if out of range. */
unsigned long nl_csv_line(const struct nl_csv *c, size_t row);

/*
 * The 1-based field number of the first non-empty value that row `row` has
 * beyond the header's columns (the row is bad: which column was meant?), or
 * 0 when it has none or row is out of range. Such a row is still read; its
 * cells within the header are kept.
 */
size_t nl_csv_extra_field(const struct nl_csv *c, size_t row);

#endif
