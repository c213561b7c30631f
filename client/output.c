/*
 * output.c - the three output formats of the CLI over one record set.
 *
 * Table: a header row of upper-cased column names, cells left-aligned and
 * padded by display width (nl_text_width, so composed and decomposed
 * Vietnamese line up), two spaces between columns, no trailing blanks, booleans
 * as yes/no. JSON:
 * jansson builds one document (an array of objects, or one object) and dumps
 * it with two-space indentation and UTF-8 kept as is. CSV: RFC 4180 with CRLF
 * line ends, a field quoted only when it has to be. Commands whose JSON is not
 * a list of flat records (indicator values: numbers with exact decimals,
 * nulls, nested objects) build it with jansson and print it through
 * nl_output_json, with nl_json_decimal for the server's decimal texts.
 *
 * Records hold strings only; every string is valid UTF-8 by construction
 * (nl_records_add repairs it), which jansson requires. Control characters are
 * kept in JSON and CSV (both escape or quote them) and replaced in the table.
 */
#include "output.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <utf8proc.h>

#include "text.h"

int nl_output_parse(const char *s, enum nl_output *out)
{
    if (strcasecmp(s, "table") == 0)
        *out = NL_OUTPUT_TABLE;
    else if (strcasecmp(s, "json") == 0)
        *out = NL_OUTPUT_JSON;
    else if (strcasecmp(s, "csv") == 0)
        *out = NL_OUTPUT_CSV;
    else
        return -1;
    return 0;
}

char *nl_output_clean(const char *s, size_t len, int keep_controls)
{
    /* Worst case every byte becomes the 3-byte U+FFFD. */
    char *out = malloc(len * 3 + 1);
    size_t o = 0, i = 0;

    if (out == NULL)
        return NULL;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        if (!keep_controls && (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))) {
            out[o++] = '?';
        } else {
            memcpy(out + o, s + i, (size_t)n);
            o += (size_t)n;
        }
        i += (size_t)n;
    }
    out[o] = '\0';
    return out;
}

void nl_records_init(struct nl_records *r, const struct nl_col *cols, size_t ncols)
{
    r->cols = cols;
    r->ncols = ncols;
    r->cells = NULL;
    r->nrows = 0;
    r->cap = 0;
}

int nl_records_add(struct nl_records *r, const char *const *values)
{
    if (r->nrows == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 16;
        if (ncap > SIZE_MAX / sizeof(char *) / (r->ncols ? r->ncols : 1))
            return -1;
        char **n = realloc(r->cells, ncap * r->ncols * sizeof(char *));
        if (n == NULL)
            return -1;
        r->cells = n;
        r->cap = ncap;
    }
    char **row = r->cells + r->nrows * r->ncols;
    for (size_t i = 0; i < r->ncols; i++) {
        const char *v = values[i] ? values[i] : "";
        row[i] = nl_output_clean(v, strlen(v), 1);
        if (row[i] == NULL) {
            while (i > 0)
                free(row[--i]);
            return -1;
        }
    }
    r->nrows++;
    return 0;
}

void nl_records_release(struct nl_records *r)
{
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]);
    free(r->cells);
    r->cells = NULL;
    r->nrows = 0;
    r->cap = 0;
}

int nl_csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL)
        return fputs(s, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF)
        return -1;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' && fputc('"', f) == EOF)
            return -1;
        if (fputc(*p, f) == EOF)
            return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

static int write_csv(FILE *f, const struct nl_records *r)
{
    for (size_t c = 0; c < r->ncols; c++) {
        if ((c > 0 && fputc(',', f) == EOF) || nl_csv_field(f, r->cols[c].key) != 0)
            return -1;
    }
    if (fputs("\r\n", f) < 0)
        return -1;
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t c = 0; c < r->ncols; c++) {
            if ((c > 0 && fputc(',', f) == EOF) || nl_csv_field(f, r->cells[i * r->ncols + c]) != 0)
                return -1;
        }
        if (fputs("\r\n", f) < 0)
            return -1;
    }
    return 0;
}

static int write_cell_padded(FILE *f, const char *s, size_t width, size_t target, int last)
{
    if (fputs(s, f) < 0)
        return -1;
    if (last)
        return 0;
    for (size_t i = width; i < target + 2; i++)
        if (fputc(' ', f) == EOF)
            return -1;
    return 0;
}

static int write_table(FILE *f, const struct nl_records *r)
{
    size_t n = (r->nrows + 1) * r->ncols;
    char **text = calloc(n, sizeof(char *));
    size_t *width = calloc(n, sizeof(size_t));
    size_t *colw = calloc(r->ncols, sizeof(size_t));
    int rc = -1;

    if (text == NULL || width == NULL || colw == NULL)
        goto out;
    /* Row 0 is the header; control characters never reach the terminal. */
    for (size_t c = 0; c < r->ncols; c++) {
        const char *k = r->cols[c].key;
        size_t len = strlen(k);
        text[c] = malloc(len + 1);
        if (text[c] == NULL)
            goto out;
        for (size_t j = 0; j <= len; j++)
            text[c][j] = (k[j] >= 'a' && k[j] <= 'z') ? (char)(k[j] - 'a' + 'A') : k[j];
    }
    for (size_t i = 0; i < r->nrows * r->ncols; i++) {
        const char *v = r->cells[i];
        if (r->cols[i % r->ncols].type == NL_COL_BOOL && strcmp(v, "true") == 0)
            v = "yes";
        else if (r->cols[i % r->ncols].type == NL_COL_BOOL && strcmp(v, "false") == 0)
            v = "no";
        text[r->ncols + i] = nl_output_clean(v, strlen(v), 0);
        if (text[r->ncols + i] == NULL)
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        width[i] = nl_text_width(text[i]);
        if (width[i] > colw[i % r->ncols])
            colw[i % r->ncols] = width[i];
    }
    for (size_t row = 0; row <= r->nrows; row++) {
        /* The last column is not padded, and neither are trailing empty cells. */
        size_t last = r->ncols;
        while (last > 1 && text[row * r->ncols + last - 1][0] == '\0')
            last--;
        for (size_t c = 0; c < last; c++) {
            size_t i = row * r->ncols + c;
            if (write_cell_padded(f, text[i], width[i], colw[c], c + 1 == last) != 0)
                goto out;
        }
        if (fputc('\n', f) == EOF)
            goto out;
    }
    rc = 0;
out:
    if (text != NULL)
        for (size_t i = 0; i < n; i++)
            free(text[i]);
    free(text);
    free(width);
    free(colw);
    if (rc != 0 && errno == 0)
        errno = ENOMEM;
    return rc;
}

static json_t *json_cell(const struct nl_col *col, const char *v)
{
    if (col->type == NL_COL_INT) {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (*v != '\0' && *end == '\0' && errno == 0)
            return json_integer(n);
    } else if (col->type == NL_COL_BOOL) {
        if (strcmp(v, "true") == 0)
            return json_true();
        if (strcmp(v, "false") == 0)
            return json_false();
    }
    return json_string(v);
}

static json_t *json_row(const struct nl_records *r, size_t row)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    for (size_t c = 0; c < r->ncols; c++) {
        json_t *v = json_cell(&r->cols[c], r->cells[row * r->ncols + c]);
        if (v == NULL || json_object_set_new(o, r->cols[c].key, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static int write_json(FILE *f, const struct nl_records *r, int single)
{
    json_t *doc;

    if (single) {
        doc = r->nrows == 1 ? json_row(r, 0) : json_object();
    } else {
        doc = json_array();
        for (size_t i = 0; doc != NULL && i < r->nrows; i++) {
            json_t *o = json_row(r, i);
            if (o == NULL || json_array_append_new(doc, o) != 0) {
                json_decref(doc);
                doc = NULL;
            }
        }
    }
    if (doc == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int rc = nl_output_json(f, doc);
    json_decref(doc);
    return rc;
}

/* The dump precision of reals: DBL_DIG, so that 15-digit decimals round-trip. */
#define JSON_DECIMAL_DIGITS 15

json_t *nl_json_decimal(const char *text)
{
    const char *p = text;
    size_t nint = 0, nfrac = 0;

    if (*p == '+' || *p == '-')
        p++;
    for (; *p >= '0' && *p <= '9'; p++)
        nint++;
    if (nint == 0)
        return NULL;
    if (*p == '\0') {
        char *end;
        errno = 0;
        long long v = strtoll(text[0] == '+' ? text + 1 : text, &end, 10);
        if (errno == 0 && *end == '\0')
            return json_integer(v);
        /* Beyond int64: a real, as output.h says. */
    } else {
        if (*p != '.')
            return NULL;
        for (p++; *p >= '0' && *p <= '9'; p++)
            nfrac++;
        if (nfrac == 0 || *p != '\0')
            return NULL;
    }
    /* strtod reads '.', the C locale's point: the CLI never calls setlocale. */
    return json_real(strtod(text, NULL));
}

int nl_output_json(FILE *f, const json_t *doc)
{
    int rc = json_dumpf(
        doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(JSON_DECIMAL_DIGITS));

    if (rc != 0 || fputc('\n', f) == EOF)
        return -1;
    return 0;
}

int nl_output_write(FILE *f, enum nl_output fmt, const struct nl_records *r, int single)
{
    errno = 0;
    switch (fmt) {
    case NL_OUTPUT_TABLE:
        return write_table(f, r);
    case NL_OUTPUT_JSON:
        return write_json(f, r, single);
    case NL_OUTPUT_CSV:
        return write_csv(f, r);
    }
    return -1;
}
