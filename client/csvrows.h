/*
 * csvrows.h - the CSV files of DOMAIN.md section 8 as rows of
 * nhanluc.v1.ImportRow, both ways: one table per file kind ties each column
 * to a field of the kind's message (found by name through the protobuf-c
 * descriptors) and to how a cell is read and written (text, date, timestamp,
 * whole number, boolean, enum code or Vietnamese label, score, ';' list).
 *
 * Reading (`nhanluc import`): the header names the kind (or --kind does),
 * every data row becomes an ImportRow in an arena, and a cell that cannot be
 * read becomes "column NAME: reason" (never the cell's value). Writing
 * (`nhanluc export`): an ImportRow becomes the cells of the kind's columns in
 * DOMAIN.md's order with bare codes, so that writing then reading gives back
 * the same row.
 */
#ifndef NL_CSVROWS_H
#define NL_CSVROWS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nhanluc/v1/records.pb-c.h"

#include "arena.h"
#include "csvin.h"

/* The file kinds, in the order (and with the numbers minus one) of ExportKind. */
enum nl_csvkind {
    NL_CSVKIND_UNITS,
    NL_CSVKIND_TERMS,
    NL_CSVKIND_UNIT_EVENTS,
    NL_CSVKIND_CADRES,
    NL_CSVKIND_CLASSES,
    NL_CSVKIND_ENROLMENTS,
    NL_CSVKIND_COMMITTEE,
    NL_CSVKIND_PLANNING,
    NL_CSVKIND_SEATS,
    NL_CSVKIND_REVIEWS,
    NL_CSVKIND_REPORTS,
    NL_CSVKIND_TERM_INSTANCES,
    NL_CSVKIND_TARGETS,
    NL_CSVKIND_COUNT
};

/* Most columns of any kind. */
#define NL_CSVROWS_MAX_COLS 16

/* The kind's file name without ".csv" ("unit_events"); static. */
const char *nl_csvkind_name(enum nl_csvkind k);

/*
 * Parses a kind as a user types it: the name, optionally with ".csv", any
 * case, '-' for '_' ("unit-events", "Cadres.csv"). Returns 0 or -1.
 */
int nl_csvkind_parse(const char *s, enum nl_csvkind *k);

/* Every kind name, comma-separated, for messages; static. */
const char *nl_csvkind_names(void);

/* The ExportKind of a kind. */
Nhanluc__V1__ExportKind nl_csvkind_export_kind(enum nl_csvkind k);

/* The kind of an ImportRow by its oneof case. Returns 0, or -1 when none is set. */
int nl_csvkind_of_row(const Nhanluc__V1__ImportRow *r, enum nl_csvkind *k);

/* The number of columns of kind k, and the name of column i (DOMAIN.md order); static. */
size_t nl_csvkind_ncols(enum nl_csvkind k);
const char *nl_csvkind_col(enum nl_csvkind k, size_t i);

/* Whether a file of kind k must have column i. */
int nl_csvkind_col_required(enum nl_csvkind k, size_t i);

/*
 * Whether column i of kind k is part of the kind's natural key (DOMAIN.md 8:
 * units by code and valid_from, cadres by cadre_code and as_of, enrolments by
 * organiser_unit, class_ref and cadre_code, ...): two rows of one file with
 * the same key describe the same record.
 */
int nl_csvkind_col_key(enum nl_csvkind k, size_t i);

/*
 * Finds the kind whose columns the header `names[0..n-1]` (compared trimmed,
 * ASCII case-insensitively) holds: every required column present, no column
 * outside the kind. Returns 0 with *k set, or -1 with a one-line reason in
 * err (no kind matches: the closest kind's missing columns when exactly one
 * kind has every header column, else the header; more than one kind
 * matches: their names).
 */
int nl_csvkind_detect(const char *const *names, size_t n, enum nl_csvkind *k, char *err,
                      size_t errlen);

/*
 * Checks a header against kind k: returns 0, or -1 with "missing column X" or
 * "unknown column X (KIND columns: ...)" in err.
 */
int nl_csvkind_check(const char *const *names, size_t n, enum nl_csvkind k, char *err,
                     size_t errlen);

/*
 * Where the columns of a kind are in one opened file: src[i] is the file's
 * column index of kind column i, -1 when the file has no such column.
 */
struct nl_csvmap {
    enum nl_csvkind kind;
    int src[NL_CSVROWS_MAX_COLS];
};

/*
 * Sets up `m` for file `c` (borrowed). With kind < 0 the kind comes from the
 * header (nl_csvkind_detect), else the header is checked against it
 * (nl_csvkind_check). Returns 0, or -1 with "FILE:1: reason" in err.
 */
int nl_csvmap_init(struct nl_csvmap *m, const struct nl_csv *c, int kind, char *err, size_t errlen);

/*
 * Reads one row: cells[i] is the text of kind column i (NULL: the file has no
 * such column, read as empty). Builds a new ImportRow with `line`, its
 * messages and strings allocated in `a` (they live as long as the arena).
 * Returns 0 with *out set; -1 with "column NAME: reason" in err for a cell
 * that cannot be read (no cell value in the reason); -2 when out of memory.
 */
int nl_csvrow_parse(enum nl_csvkind k, const char *const *cells, uint32_t line, struct nl_arena *a,
                    Nhanluc__V1__ImportRow **out, char *err, size_t errlen);

/*
 * nl_csvrow_parse() of data row `row` of file `c` through map `m`; the line
 * is the row's physical start line. Errors read "FILE:LINE: column NAME:
 * reason". Same returns.
 */
int nl_csvrow_read(const struct nl_csvmap *m, const struct nl_csv *c, size_t row,
                   struct nl_arena *a, Nhanluc__V1__ImportRow **out, char *err, size_t errlen);

/*
 * Writes the cells of row `r` (borrowed) as kind k's columns into
 * cells[0..ncols-1]: bare enum codes, dates as sent, "true"/"false", the
 * shortest score text that reads back the same, lists joined with ';', ""
 * for an absent value. The strings live in `a` or in `r`. Returns 0, -1 when
 * r is not a row of kind k, -2 when out of memory.
 */
int nl_csvrow_format(enum nl_csvkind k, const Nhanluc__V1__ImportRow *r, struct nl_arena *a,
                     const char **cells);

/*
 * Writes kind k's header line, or row r (nl_csvrow_format), to f as RFC 4180
 * CSV with CRLF line ends. Returns 0, -1 on a write error or when r is not of
 * kind k, -2 when out of memory.
 */
int nl_csvrow_write_header(FILE *f, enum nl_csvkind k);
int nl_csvrow_write(FILE *f, enum nl_csvkind k, const Nhanluc__V1__ImportRow *r);

/*
 * The column of kind k that a server field path names ("enrolment.attended",
 * "cadre.profile.unit", "unit_event.sources[2]"): the last path component,
 * index removed, that is a column of k, searching from the end. Returns the
 * static column name, or NULL.
 */
const char *nl_csvkind_column_of_field(enum nl_csvkind k, const char *path);

#endif
