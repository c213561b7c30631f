/*
 * csvin.c - reads a whole "CSV UTF-8" file into memory as header + rows, each
 * row remembering the physical line where it starts (see csvin.h for what is
 * accepted and refused).
 *
 * The file is read whole (capped), then fed to libcsv one physical line at a
 * time (a line ends at LF, CRLF or a lone CR), so the line number is known
 * whenever a callback fires: a record starts on the line fed while no record
 * was open, and stays open across lines only inside a quoted field. libcsv
 * runs strict (malformed quotes and an unterminated quoted field are errors)
 * and with CSV_REPALL_NL, so every line end outside a quoted field closes the
 * record, and records without a non-empty cell (blank lines, ",,,") are
 * dropped. Cells are copied NUL-terminated into one byte buffer and found by
 * 32-bit offsets (the file cap keeps them small); every empty cell shares
 * offset 0. Header names are also kept folded (trimmed, NFC, case-folded)
 * for nl_csv_column().
 */
#include "csvin.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>
#include <utf8proc.h>

#include "buf.h"

struct csv_rec {
    size_t first;       /* index of the record's first cell in cells */
    size_t n;           /* cells stored (never more than the header's count) */
    unsigned long line; /* physical line where the record starts */
    size_t extra;       /* 1-based field of the first value beyond the header; 0: none */
};

struct nl_csv {
    char *path;
    char *data;           /* every cell, NUL-terminated; data[0] is the shared "" */
    uint32_t *cells;      /* offsets into data */
    struct csv_rec *recs; /* recs[0] is the header */
    size_t nrecs;         /* >= 1 */
    char *folded;         /* folded header names, NUL-terminated, one after another */
    uint32_t *folded_off; /* offset of each column's folded name in folded */
    int ncols;
};

/* The state of one nl_csv_open() while libcsv calls back. */
struct parse {
    const char *path;
    struct nl_buf data, cells, recs; /* cells: uint32_t, recs: struct csv_rec */
    unsigned long line;              /* the physical line being fed */
    unsigned long rec_line;          /* where the open record starts */
    int open;                        /* a record has started and not ended */
    size_t rec_cells;                /* cells seen in the open record, stored or not */
    size_t rec_data, rec_first;      /* data length and cell count at the record's start */
    int nonempty;                    /* the open record has a non-empty cell */
    size_t rec_extra;                /* the open record's first value beyond the header */
    int ncols;                       /* the header's width once read, else -1 */
    int failed;
    char *err;
    size_t errlen;
};

static void fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct parse *p, const char *fmt, ...)
{
    va_list ap;
    if (p->failed)
        return;
    p->failed = 1;
    if (p->errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The header text of column `col` while parsing, or "" before the header or beyond it. */
static const char *parse_colname(const struct parse *p, size_t col)
{
    if (p->ncols < 0 || col >= (size_t)p->ncols)
        return "";
    const struct csv_rec *h = (const struct csv_rec *)p->recs.data;
    if (col >= h->n)
        return "";
    const uint32_t *cells = (const uint32_t *)p->cells.data;
    return (const char *)p->data.data + cells[h->first + col];
}

/* Returns 0 for valid UTF-8 without NUL bytes, 1 for a NUL byte, 2 for invalid UTF-8. */
static int check_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] == 0)
            return 1;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return 2;
        i += (size_t)n;
    }
    return 0;
}

/* libcsv's end-of-field callback: checks the cell and stores it in the open record. */
static void on_field(void *s, size_t len, void *data)
{
    struct parse *p = data;
    if (p->failed)
        return;
    size_t col = p->rec_cells++;
    const char *name = parse_colname(p, col);
    const char *lp = name[0] != '\0' ? " (" : "";
    const char *rp = name[0] != '\0' ? ")" : "";
    if (len > NL_CSV_MAX_CELL) {
        fail(p, "%s:%lu: column %zu%s%s%s: cell longer than %u bytes", p->path, p->rec_line,
             col + 1, lp, name, rp, NL_CSV_MAX_CELL);
        return;
    }
    int bad = check_utf8(s, len);
    if (bad != 0) {
        fail(p, "%s:%lu: column %zu%s%s%s: %s", p->path, p->rec_line, col + 1, lp, name, rp,
             bad == 1 ? "contains a NUL byte" : "invalid UTF-8 (save the file as \"CSV UTF-8\")");
        return;
    }
    if (p->ncols < 0 && col >= NL_CSV_MAX_COLUMNS) {
        fail(p, "%s:%lu: more than %d columns", p->path, p->rec_line, NL_CSV_MAX_COLUMNS);
        return;
    }
    if (p->ncols >= 0 && col >= (size_t)p->ncols) {
        /* A row's fault, not the file's: nl_csv_extra_field() reports it for that row. */
        if (len > 0 && p->rec_extra == 0) {
            p->rec_extra = col + 1;
            p->nonempty = 1;
        }
        return;
    }
    uint32_t off = 0;
    if (len > 0) {
        off = (uint32_t)p->data.len;
        if (nl_buf_reserve(&p->data, len + 1) != 0) {
            fail(p, "%s:%lu: out of memory", p->path, p->rec_line);
            return;
        }
        memcpy(p->data.data + p->data.len, s, len);
        p->data.data[p->data.len + len] = '\0';
        p->data.len += len + 1;
        p->nonempty = 1;
    }
    if (nl_buf_append(&p->cells, &off, sizeof(off)) != 0)
        fail(p, "%s:%lu: out of memory", p->path, p->rec_line);
}

/* libcsv's end-of-record callback: keeps the record unless all its cells are empty. */
static void on_record(int c, void *data)
{
    struct parse *p = data;
    (void)c;
    if (p->failed)
        return;
    size_t ncells = p->cells.len / sizeof(uint32_t);
    if (!p->nonempty) {
        p->data.len = p->rec_data;
        p->cells.len = p->rec_first * sizeof(uint32_t);
    } else {
        struct csv_rec r = {p->rec_first, ncells - p->rec_first, p->rec_line, p->rec_extra};
        if (nl_buf_append(&p->recs, &r, sizeof(r)) != 0) {
            fail(p, "%s:%lu: out of memory", p->path, p->rec_line);
            return;
        }
        if (p->ncols < 0)
            p->ncols = (int)r.n;
    }
    p->open = 0;
    p->rec_cells = 0;
    p->nonempty = 0;
    p->rec_extra = 0;
    p->rec_data = p->data.len;
    p->rec_first = p->cells.len / sizeof(uint32_t);
}

/*
 * Reads the whole file into a malloc'ed buffer (*out, *outlen). Returns 0, or
 * -1 with err set.
 */
static int read_file(const char *path, unsigned char **out, size_t *outlen, char *err,
                     size_t errlen)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "%s: is a directory", path);
        close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > NL_CSV_MAX_FILE) {
        set_err(err, errlen, "%s: file larger than %u MiB", path, NL_CSV_MAX_FILE >> 20);
        close(fd);
        return -1;
    }
    struct nl_buf b;
    nl_buf_init(&b, (size_t)NL_CSV_MAX_FILE + 1);
    for (;;) {
        if (nl_buf_reserve(&b, 65536) != 0 && nl_buf_reserve(&b, 1) != 0) {
            int big = b.len >= NL_CSV_MAX_FILE;
            if (big)
                set_err(err, errlen, "%s: file larger than %u MiB", path, NL_CSV_MAX_FILE >> 20);
            else
                set_err(err, errlen, "%s: out of memory", path);
            nl_buf_release(&b);
            close(fd);
            return -1;
        }
        ssize_t n = read(fd, b.data + b.len, b.cap - b.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, errlen, "%s: %s", path, strerror(errno));
            nl_buf_release(&b);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
        if (b.len > NL_CSV_MAX_FILE) {
            set_err(err, errlen, "%s: file larger than %u MiB", path, NL_CSV_MAX_FILE >> 20);
            nl_buf_release(&b);
            close(fd);
            return -1;
        }
    }
    close(fd);
    *out = b.data;
    *outlen = b.len;
    return 0;
}

/*
 * The delimiter: ',' unless the first non-blank line holds none outside
 * quotes, then ';' if it holds one, then a tab.
 */
static unsigned char pick_delim(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == '\r' || s[i] == '\n' || s[i] == ' ' || s[i] == '\t'))
        i++;
    int quoted = 0, semi = 0, tab = 0;
    for (; i < len; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && (s[i] == '\r' || s[i] == '\n'))
            break;
        else if (!quoted && s[i] == ',')
            return ',';
        else if (!quoted && s[i] == ';')
            semi = 1;
        else if (!quoted && s[i] == '\t')
            tab = 1;
    }
    return semi ? ';' : tab ? '\t' : ',';
}

/* Trims blanks, NFC, case-folds. Returns a malloc'ed string or NULL (out of memory). */
static char *fold_name(const char *s)
{
    size_t len = strlen(s);
    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return calloc(1, 1);
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &m,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    if (r < 0)
        return NULL;
    return (char *)m;
}

/* Fills c->folded from the header; refuses a name given twice. Returns 0 or -1 with err. */
static int fold_header(struct nl_csv *c, char *err, size_t errlen)
{
    struct nl_buf f;
    nl_buf_init(&f, SIZE_MAX);
    c->folded_off = calloc((size_t)c->ncols + 1, sizeof(uint32_t));
    if (c->folded_off == NULL)
        goto nomem;
    for (int i = 0; i < c->ncols; i++) {
        char *name = fold_name(nl_csv_column_name(c, i));
        if (name == NULL)
            goto nomem;
        c->folded_off[i] = (uint32_t)f.len;
        int rc = nl_buf_append(&f, name, strlen(name) + 1);
        free(name);
        if (rc != 0)
            goto nomem;
    }
    c->folded = (char *)nl_buf_take(&f, &(size_t){0});
    for (int i = 0; i < c->ncols; i++) {
        const char *a = c->folded + c->folded_off[i];
        for (int k = 0; a[0] != '\0' && k < i; k++) {
            if (strcmp(a, c->folded + c->folded_off[k]) == 0) {
                set_err(err, errlen, "%s:%lu: column \"%s\" appears twice", c->path,
                        c->recs[0].line, nl_csv_column_name(c, i));
                return -1;
            }
        }
    }
    return 0;
nomem:
    nl_buf_release(&f);
    set_err(err, errlen, "%s: out of memory", c->path);
    return -1;
}

/* Feeds the file to libcsv line by line. Returns 0 or -1 with p->err set. */
static int parse_all(struct parse *p, const unsigned char *s, size_t len)
{
    struct csv_parser cp;
    if (csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0) {
        fail(p, "%s: out of memory", p->path);
        return -1;
    }
    csv_set_delim(&cp, pick_delim(s, len));
    size_t i = 0;
    while (i < len && !p->failed) {
        size_t j = i;
        while (j < len && s[j] != '\n' && s[j] != '\r')
            j++;
        if (j < len)
            j += (s[j] == '\r' && j + 1 < len && s[j + 1] == '\n') ? 2 : 1;
        if (!p->open) {
            p->open = 1;
            p->rec_line = p->line;
        }
        size_t got = csv_parse(&cp, s + i, j - i, on_field, on_record, p);
        if (got < j - i && !p->failed) {
            if (csv_error(&cp) == CSV_EPARSE && p->line != p->rec_line)
                fail(p, "%s:%lu: malformed quotes (in the record starting on line %lu)", p->path,
                     p->line, p->rec_line);
            else if (csv_error(&cp) == CSV_EPARSE)
                fail(p,
                     "%s:%lu: malformed quotes (a quote inside an unquoted field, or text "
                     "after a closing quote)",
                     p->path, p->line);
            else
                fail(p, "%s:%lu: %s", p->path, p->line, csv_strerror(csv_error(&cp)));
        }
        p->line++;
        i = j;
    }
    if (!p->failed && csv_fini(&cp, on_field, on_record, p) != 0 && !p->failed)
        fail(p, "%s:%lu: unterminated quoted field", p->path, p->rec_line);
    csv_free(&cp);
    return p->failed ? -1 : 0;
}

struct nl_csv *nl_csv_open(const char *path, char *err, size_t errlen)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    if (errlen > 0)
        err[0] = '\0';
    if (read_file(path, &raw, &len, err, errlen) != 0)
        return NULL;
    const unsigned char *s = raw;
    if (len >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) {
        set_err(err, errlen, "%s: the file is UTF-16; save it as \"CSV UTF-8\"", path);
        free(raw);
        return NULL;
    }
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        s += 3;
        len -= 3;
    }

    struct parse p;
    memset(&p, 0, sizeof(p));
    p.path = path;
    p.line = 1;
    p.ncols = -1;
    p.err = err;
    p.errlen = errlen;
    nl_buf_init(&p.data, SIZE_MAX);
    nl_buf_init(&p.cells, SIZE_MAX);
    nl_buf_init(&p.recs, SIZE_MAX);
    if (nl_buf_append(&p.data, "", 1) != 0) /* offset 0: the shared empty cell */
        fail(&p, "%s: out of memory", path);
    else
        parse_all(&p, s, len);
    free(raw);
    if (!p.failed && p.recs.len == 0)
        fail(&p, "%s: empty file (no header row)", path);

    struct nl_csv *c = p.failed ? NULL : calloc(1, sizeof(*c));
    size_t plen = strlen(path);
    if (c != NULL)
        c->path = malloc(plen + 1);
    if (c == NULL || c->path == NULL) {
        if (!p.failed)
            set_err(err, errlen, "%s: out of memory", path);
        free(c);
        nl_buf_release(&p.data);
        nl_buf_release(&p.cells);
        nl_buf_release(&p.recs);
        return NULL;
    }
    memcpy(c->path, path, plen + 1);
    size_t n;
    c->data = (char *)nl_buf_take(&p.data, &n);
    c->cells = (uint32_t *)nl_buf_take(&p.cells, &n);
    c->recs = (struct csv_rec *)nl_buf_take(&p.recs, &n);
    c->nrecs = n / sizeof(struct csv_rec);
    c->ncols = p.ncols;
    if (fold_header(c, err, errlen) != 0) {
        nl_csv_free(c);
        return NULL;
    }
    return c;
}

void nl_csv_free(struct nl_csv *c)
{
    if (c == NULL)
        return;
    free(c->path);
    free(c->data);
    free(c->cells);
    free(c->recs);
    free(c->folded);
    free(c->folded_off);
    free(c);
}

const char *nl_csv_path(const struct nl_csv *c)
{
    return c->path;
}

int nl_csv_columns(const struct nl_csv *c)
{
    return c->ncols;
}

/* The cell of record `rec` (0 = header), column `col`; "" when missing. */
static const char *rec_cell(const struct nl_csv *c, size_t rec, int col)
{
    if (rec >= c->nrecs || col < 0 || (size_t)col >= c->recs[rec].n)
        return "";
    return c->data + c->cells[c->recs[rec].first + (size_t)col];
}

const char *nl_csv_column_name(const struct nl_csv *c, int col)
{
    return rec_cell(c, 0, col);
}

int nl_csv_column(const struct nl_csv *c, const char *name)
{
    char *f = fold_name(name);
    int found = -1;
    if (f == NULL || f[0] == '\0') {
        free(f);
        return -1;
    }
    for (int i = 0; i < c->ncols; i++) {
        if (strcmp(f, c->folded + c->folded_off[i]) == 0) {
            found = i;
            break;
        }
    }
    free(f);
    return found;
}

int nl_csv_require(const struct nl_csv *c, const char *const *names, char *err, size_t errlen)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        if (nl_csv_column(c, names[i]) < 0) {
            set_err(err, errlen, "%s:%lu: missing column \"%s\"", c->path, c->recs[0].line,
                    names[i]);
            return -1;
        }
    }
    return 0;
}

size_t nl_csv_rows(const struct nl_csv *c)
{
    return c->nrecs - 1;
}

const char *nl_csv_cell(const struct nl_csv *c, size_t row, int col)
{
    if (row >= c->nrecs - 1)
        return "";
    return rec_cell(c, row + 1, col);
}

unsigned long nl_csv_line(const struct nl_csv *c, size_t row)
{
    if (row >= c->nrecs - 1)
        return 0;
    return c->recs[row + 1].line;
}

size_t nl_csv_extra_field(const struct nl_csv *c, size_t row)
{
    if (row >= c->nrecs - 1)
        return 0;
    return c->recs[row + 1].extra;
}
