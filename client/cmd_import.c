/*
 * cmd_import.c - `nhanluc import FILE`: one CSV file of DOMAIN.md section 8
 * into the server through Records.Import, in batches.
 *
 * The whole file is read first (client/csvin.c: BOM, CRLF, quoted line
 * breaks) and every row is mapped to an ImportRow (client/csvrows.c); a cell
 * that cannot be read is reported as FILE:LINE: column NAME: reason, and
 * unless --skip-bad-rows any such row stops the import before anything is
 * written (the readable rows still go through the dry pass, so one run lists
 * every bad row). Two rows with the same natural key and other values are
 * both bad (check_repeats). The file is all-or-nothing unless
 * --skip-bad-rows: a dry-run pass over every row first (a units.csv in one
 * batch, so that rows can refer to rows earlier in the file), and only when
 * the server finds no bad row the real pass. --dry-run stops after the first
 * pass.
 *
 * Batches of the real pass hold --batch rows (default 1000) and at most
 * IMPORT_MAX_BYTES packed bytes; each carries batch_id = hex SHA-256 over the
 * file's bytes, the kind, the batch index, --batch and --skip-bad-rows (and
 * the pass), so a rerun of the same command sends the same ids and the
 * server answers batches it already committed with their stored response
 * (`replayed`), which the summary counts as unchanged: that is how an import
 * cut by a network failure or a server restart is finished. The RPC client
 * retries UNAVAILABLE with the same request bytes, hence the same batch_id.
 *
 * The command's default deadline is IMPORT_DEFAULT_TIMEOUT rather than the
 * CLI's 10 s, unless --timeout is given (any value, 10s included). A
 * progress line goes to stderr when stderr is a terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "nhanluc/v1/records.pb-c.h"

#include "args.h"
#include "arena.h"
#include "cli.h"
#include "csvin.h"
#include "csvrows.h"

#define IMPORT_DEFAULT_BATCH   1000
#define IMPORT_MAX_BATCH       5000                 /* ImportRequest's row limit */
#define IMPORT_MAX_DRY_BATCH   50000                /* the limit of a dry-run request */
#define IMPORT_MAX_BYTES       (2u * 1024u * 1024u) /* per request; the cap is 4 MiB */
#define IMPORT_DEFAULT_TIMEOUT (10u * 60u * 1000u)  /* 10 min for the whole file */
#define IMPORT_MAX_SHOWN       50                   /* errors printed */
#define IMPORT_EXIT_INPUT      66                   /* sysexits EX_NOINPUT */
#define IMPORT_ROW_OVERHEAD    6                    /* tag + length of one row */
#define IMPORT_REQ_OVERHEAD    128                  /* batch_id, flags, their tags */

/* A run of rows sent in one request. */
struct batch {
    size_t first, n;
};

struct counts {
    long long created, updated, unchanged, rejected;
};

struct import {
    const char *file;
    struct nl_csv *csv;
    struct nl_csvmap map;
    struct nl_arena arena;         /* every ImportRow */
    Nhanluc__V1__ImportRow **rows; /* the rows that mapped, in file order */
    size_t nrows, total, bad_local;
    size_t *sizes;       /* packed size of each row */
    EVP_MD_CTX *file_md; /* SHA-256 over the file's bytes, not finalised */
    size_t batch_rows;
    int skip, dry_only;
    size_t shown, errors; /* errors printed / found */
    int refused_code;     /* status of the first row the server refused (0: none yet) */
    int progress;         /* stderr is a terminal */
    int progress_drawn;
};

/* --- messages ---------------------------------------------------------------------- */

static void progress_clear(struct import *im)
{
    if (im->progress_drawn) {
        fputs("\r\033[K", stderr);
        im->progress_drawn = 0;
    }
}

static void progress(struct import *im, const char *what, size_t done)
{
    size_t width = 30, fill;

    if (!im->progress || im->nrows == 0)
        return;
    fill = done * width / im->nrows;
    fprintf(stderr, "\r%s: %s [", im->file, what);
    for (size_t i = 0; i < width; i++)
        fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] %zu/%zu rows", done, im->nrows);
    fflush(stderr);
    im->progress_drawn = 1;
}

/* One bad row: printed while fewer than IMPORT_MAX_SHOWN were, counted always. */
static void row_error(struct import *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void row_error(struct import *im, const char *fmt, ...)
{
    va_list ap;

    im->errors++;
    if (im->shown >= IMPORT_MAX_SHOWN)
        return;
    im->shown++;
    progress_clear(im);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* "... and N more" after the printed errors. */
static void errors_more(struct import *im)
{
    progress_clear(im);
    if (im->errors > im->shown)
        fprintf(stderr, "nhanluc: %s: %zu more bad rows not shown\n", im->file,
                im->errors - im->shown);
}

/* A server RowError as FILE:LINE: column NAME: REASON (or the field path when no column). */
static void server_row_error(struct import *im, const Nhanluc__V1__RowError *e)
{
    const char *col = nl_csvkind_column_of_field(im->map.kind, e->field);
    char *reason = nl_output_clean(e->reason, strlen(e->reason), 0);
    char *field = nl_output_clean(e->field, strlen(e->field), 0);
    char where[64] = "";

    if (e->line > 0)
        (void)snprintf(where, sizeof(where), ":%u", (unsigned)e->line);
    /* An old server sends no code: its refusals were all taken as bad data. */
    if (im->refused_code == 0)
        im->refused_code = e->code != 0 ? (int)e->code : NL_INVALID_ARGUMENT;
    if (col != NULL)
        row_error(im, "%s%s: column %s: %s", im->file, where, col, reason ? reason : "");
    else if (field != NULL && field[0] != '\0')
        row_error(im, "%s%s: %s: %s", im->file, where, field, reason ? reason : "");
    else /* a refusal of the whole row (a locked unit-year, say): no field to name */
        row_error(im, "%s%s: %s", im->file, where, reason ? reason : "");
    free(reason);
    free(field);
}

/* --- reading ------------------------------------------------------------------------- */

/* Digests the file's bytes into im->file_md. 0, or an exit code after a message. */
static int digest_file(struct import *im)
{
    unsigned char buf[65536];
    size_t n;
    FILE *f = fopen(im->file, "rb");

    if (f == NULL) {
        fprintf(stderr, "nhanluc: cannot read %s: %s\n", im->file, strerror(errno));
        return IMPORT_EXIT_INPUT;
    }
    im->file_md = EVP_MD_CTX_new();
    if (im->file_md == NULL || EVP_DigestInit_ex(im->file_md, EVP_sha256(), NULL) != 1) {
        fclose(f);
        return nl_cli_fail(NL_INTERNAL, "cannot set up SHA-256");
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        (void)EVP_DigestUpdate(im->file_md, buf, n);
    if (ferror(f)) {
        fprintf(stderr, "nhanluc: cannot read %s: %s\n", im->file, strerror(errno));
        fclose(f);
        return IMPORT_EXIT_INPUT;
    }
    fclose(f);
    return 0;
}

/* Maps every data row. 0, or an exit code after reporting. */
static int map_rows(struct import *im)
{
    char err[1024];

    im->total = nl_csv_rows(im->csv);
    im->rows = calloc(im->total + 1, sizeof(*im->rows));
    im->sizes = calloc(im->total + 1, sizeof(*im->sizes));
    if (im->rows == NULL || im->sizes == NULL)
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    for (size_t i = 0; i < im->total; i++) {
        Nhanluc__V1__ImportRow *r;
        int rc = nl_csvrow_read(&im->map, im->csv, i, &im->arena, &r, err, sizeof(err));
        if (rc == -2)
            return nl_cli_fail(NL_INTERNAL, "out of memory");
        if (rc != 0) {
            im->bad_local++;
            row_error(im, "%s", err);
            continue;
        }
        im->sizes[im->nrows] = protobuf_c_message_get_packed_size(&r->base);
        im->rows[im->nrows++] = r;
    }
    return 0;
}

/* Row i's cells joined by US (0x1f): the key columns only, or all of them. NULL: no memory. */
static char *row_text(const struct import *im, const char *const *cells, int key_only)
{
    enum nl_csvkind k = im->map.kind;
    size_t len = 1;
    char *out, *p;

    for (size_t c = 0; c < nl_csvkind_ncols(k); c++)
        if (!key_only || nl_csvkind_col_key(k, c))
            len += strlen(cells[c] != NULL ? cells[c] : "") + 1;
    if ((out = malloc(len)) == NULL)
        return NULL;
    p = out;
    for (size_t c = 0; c < nl_csvkind_ncols(k); c++) {
        if (key_only && !nl_csvkind_col_key(k, c))
            continue;
        size_t n = strlen(cells[c] != NULL ? cells[c] : "");
        memcpy(p, cells[c] != NULL ? cells[c] : "", n);
        p += n;
        *p++ = '\x1f';
    }
    *p = '\0';
    return out;
}

/* "cadre_code, as_of": the key columns of the file's kind. */
static void key_names(const struct import *im, char *out, size_t outlen)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t c = 0; c < nl_csvkind_ncols(im->map.kind); c++) {
        if (!nl_csvkind_col_key(im->map.kind, c))
            continue;
        int w = snprintf(out + len, outlen - len, "%s%s", len ? ", " : "",
                         nl_csvkind_col(im->map.kind, c));
        if (w < 0 || (size_t)w >= outlen - len)
            return;
        len += (size_t)w;
    }
}

/*
 * Two rows of one file with the same natural key (nl_csvkind_col_key) and
 * different values contradict each other: which one is meant? Both become
 * bad rows, each naming the other's line, and leave im->rows. A repeat with
 * the same values is harmless and kept (it replays as unchanged). Compared
 * after parsing, so 01/03/2021 and 2021-03-01, or a code and its label, are
 * the same value. 0, or an exit code when out of memory.
 */
static int check_repeats(struct import *im)
{
    size_t n = im->nrows, cap = 16, nbad = 0, w = 0;
    char **key = calloc(n + 1, sizeof(*key)), **all = calloc(n + 1, sizeof(*all));
    size_t *other = calloc(n + 1, sizeof(*other)); /* the contradicting row, then its line */
    size_t *table = NULL;
    struct nl_arena a;
    const char *cells[NL_CSVROWS_MAX_COLS];
    char names[256];
    int rc = 0;

    nl_arena_init(&a, 0);
    while (cap < 2 * n)
        cap *= 2;
    table = malloc(cap * sizeof(*table));
    if (key == NULL || all == NULL || other == NULL || table == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cap; i++)
        table[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        other[i] = SIZE_MAX;
        if (nl_csvrow_format(im->map.kind, im->rows[i], &a, cells) != 0 ||
            (key[i] = row_text(im, cells, 1)) == NULL ||
            (all[i] = row_text(im, cells, 0)) == NULL) {
            rc = nl_cli_fail(NL_INTERNAL, "out of memory");
            goto done;
        }
        uint64_t h = 1469598103934665603u; /* FNV-1a */
        for (const unsigned char *p = (const unsigned char *)key[i]; *p; p++)
            h = (h ^ *p) * 1099511628211u;
        size_t slot = (size_t)h & (cap - 1);
        while (table[slot] != SIZE_MAX && strcmp(key[table[slot]], key[i]) != 0)
            slot = (slot + 1) & (cap - 1);
        if (table[slot] == SIZE_MAX) {
            table[slot] = i;
            continue;
        }
        size_t first = table[slot];
        if (strcmp(all[first], all[i]) == 0)
            continue;
        other[i] = first;
        if (other[first] == SIZE_MAX)
            other[first] = i;
    }
    key_names(im, names, sizeof(names));
    /* The other row's line, before the compaction below moves rows. */
    for (size_t i = 0; i < n; i++)
        if (other[i] != SIZE_MAX)
            other[i] = im->rows[other[i]]->line;
    for (size_t i = 0; i < n; i++) {
        if (other[i] == SIZE_MAX) {
            im->rows[w] = im->rows[i];
            im->sizes[w++] = im->sizes[i];
            continue;
        }
        nbad++;
        row_error(im,
                  "%s:%u: the same %s as line %u, with other values: which one is meant? "
                  "(keep one of them)",
                  im->file, (unsigned)im->rows[i]->line, names, (unsigned)other[i]);
    }
    im->nrows = w;
    im->bad_local += nbad;
done:
    for (size_t i = 0; key != NULL && all != NULL && i < n; i++) {
        free(key[i]);
        free(all[i]);
    }
    free(key);
    free(all);
    free(other);
    free(table);
    nl_arena_release(&a);
    return rc;
}

/*
 * Cuts the rows into batches of at most max_rows rows and IMPORT_MAX_BYTES
 * bytes. Returns the number of batches in *out (malloc'd), or -1.
 */
static long make_batches(const struct import *im, size_t max_rows, struct batch **out)
{
    struct batch *b = calloc(im->nrows + 1, sizeof(*b));
    size_t nb = 0, bytes = IMPORT_REQ_OVERHEAD;

    if (b == NULL)
        return -1;
    for (size_t i = 0; i < im->nrows; i++) {
        size_t sz = im->sizes[i] + IMPORT_ROW_OVERHEAD;
        if (nb == 0 || b[nb - 1].n == max_rows || bytes + sz > IMPORT_MAX_BYTES) {
            b[nb].first = i;
            b[nb].n = 0;
            nb++;
            bytes = IMPORT_REQ_OVERHEAD;
        }
        b[nb - 1].n++;
        bytes += sz;
    }
    *out = b;
    return (long)nb;
}

/* The batch_id of batch `index`: hex SHA-256 (file bytes, kind, index, --batch, skip, pass). */
static int batch_id(const struct import *im, size_t index, int dry, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char tail[160];
    int n = snprintf(tail, sizeof(tail),
                     "%cnhanluc-import-v1%ckind=%s%cbatch=%zu%csize=%zu%c"
                     "skip=%d%cpass=%s",
                     0, 0, nl_csvkind_name(im->map.kind), 0, index, 0, im->batch_rows, 0, im->skip,
                     0, dry ? "dry" : "write");
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && n > 0 && (size_t)n < sizeof(tail) &&
             EVP_MD_CTX_copy_ex(c, im->file_md) == 1 && EVP_DigestUpdate(c, tail, (size_t)n) == 1 &&
             EVP_DigestFinal_ex(c, md, &mdlen) == 1;

    EVP_MD_CTX_free(c);
    if (!ok || mdlen != 32)
        return -1;
    for (unsigned i = 0; i < mdlen; i++)
        (void)snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* --- sending --------------------------------------------------------------------------- */

/*
 * One pass over the batches. dry: validate only. Adds the server's counts to
 * *cnt (a replayed batch's rows count as unchanged: an earlier run wrote
 * them) and prints its row errors. Returns 0 when every batch was answered,
 * with *refused = the index + 1 of the first batch that had bad rows while
 * skip is off (0: none); or the exit code after reporting a failed call.
 */
static int run_pass(struct nl_cli *cli, struct import *im, int dry, struct counts *cnt,
                    size_t *refused)
{
    struct batch *b = NULL;
    /*
     * A units.csv names parents given earlier in the file, and a dry batch
     * sees nothing of the batches before it (each is rolled back): the whole
     * file goes in one dry batch, up to the byte cap (some 20,000 units).
     * Other kinds keep batches that hold the writer briefly.
     */
    size_t dry_rows = im->map.kind == NL_CSVKIND_UNITS ? IMPORT_MAX_DRY_BATCH : IMPORT_MAX_BATCH;
    long nb = make_batches(im, dry ? dry_rows : im->batch_rows, &b);
    size_t done = 0;
    int rc = 0;

    *refused = 0;
    if (nb < 0)
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    for (long i = 0; i < nb; i++) {
        Nhanluc__V1__ImportRequest req;
        ProtobufCMessage *m = NULL;
        char id[65], msg[NL_RPC_MSG_MAX];
        enum nl_status st;

        nhanluc__v1__import_request__init(&req);
        if (batch_id(im, (size_t)i, dry, id) != 0) {
            rc = nl_cli_fail(NL_INTERNAL, "cannot compute a batch id");
            break;
        }
        req.batch_id = id;
        req.dry_run = dry;
        req.skip_bad_rows = im->skip;
        req.n_rows = b[i].n;
        req.rows = im->rows + b[i].first;
        progress(im, dry ? "checking" : "importing", done);
        st = nl_cli_call(cli, "/nhanluc.v1.Records/Import", &req.base,
                         &nhanluc__v1__import_response__descriptor, &m, msg, sizeof(msg));
        if (st != NL_OK) {
            progress_clear(im);
            fprintf(stderr, "nhanluc: %s: batch %ld of %ld (lines %u-%u) failed: %s (%s)\n",
                    im->file, i + 1, nb, (unsigned)im->rows[b[i].first]->line,
                    (unsigned)im->rows[b[i].first + b[i].n - 1]->line, msg[0] ? msg : "call failed",
                    nl_status_name(st));
            if (dry)
                fprintf(stderr, "nhanluc: %s: nothing was written\n", im->file);
            else if (i == 0)
                fprintf(stderr,
                        "nhanluc: %s: run the same command again to import the file: a batch "
                        "the server committed replays as unchanged\n",
                        im->file);
            else
                fprintf(stderr,
                        "nhanluc: %s: the %ld batches before it (%zu rows) were written; run the "
                        "same command again to finish: committed batches replay as unchanged\n",
                        im->file, i, done);
            rc = (int)st;
            break;
        }
        Nhanluc__V1__ImportResponse *resp = (Nhanluc__V1__ImportResponse *)m;
        if (resp->replayed) {
            cnt->unchanged += resp->created + resp->updated + resp->unchanged;
        } else {
            cnt->created += resp->created;
            cnt->updated += resp->updated;
            cnt->unchanged += resp->unchanged;
        }
        cnt->rejected += resp->rejected;
        for (size_t k = 0; k < resp->n_errors; k++)
            server_row_error(im, resp->errors[k]);
        if (!im->skip && (resp->n_errors > 0 || resp->rejected > 0) && *refused == 0)
            *refused = (size_t)i + 1;
        protobuf_c_message_free_unpacked(m, NULL);
        done += b[i].n;
        /* The real pass stops at a refused batch: nothing of it was written. */
        if (!dry && *refused != 0)
            break;
    }
    progress(im, dry ? "checking" : "importing", done);
    progress_clear(im);
    free(b);
    return rc;
}

/* --- the command ------------------------------------------------------------------------ */

static const struct nl_col summary_cols[] = {
    {"file", NL_COL_STR},     {"kind", NL_COL_STR},     {"rows", NL_COL_INT},
    {"created", NL_COL_INT},  {"updated", NL_COL_INT},  {"unchanged", NL_COL_INT},
    {"rejected", NL_COL_INT}, {"dry_run", NL_COL_BOOL},
};

static int print_summary(struct nl_cli *cli, const struct import *im, const struct counts *c,
                         int dry)
{
    char n[5][24];
    (void)snprintf(n[0], sizeof(n[0]), "%zu", im->total);
    (void)snprintf(n[1], sizeof(n[1]), "%lld", c->created);
    (void)snprintf(n[2], sizeof(n[2]), "%lld", c->updated);
    (void)snprintf(n[3], sizeof(n[3]), "%lld", c->unchanged);
    (void)snprintf(n[4], sizeof(n[4]), "%lld", c->rejected + (long long)im->bad_local);
    const char *row[] = {im->file, nl_csvkind_name(im->map.kind), n[0], n[1], n[2], n[3],
                         n[4],     dry ? "true" : "false"};
    return nl_cli_print_row(cli, summary_cols, 8, row);
}

/*
 * The exit code of a file the server refused rows of: the status of the
 * first refused row (3 bad data, 5 a record it names is unknown, 7 outside
 * the caller's units, 9 a unit-year locked by an approved report), so a
 * script can tell a lock from a typo.
 */
static int refused_exit(const struct import *im)
{
    return im->refused_code != 0 ? im->refused_code : NL_INVALID_ARGUMENT;
}

static int import_run(struct nl_cli *cli, struct import *im, int kind)
{
    char err[1024];
    struct counts dry = {0, 0, 0, 0}, real = {0, 0, 0, 0};
    size_t refused = 0;
    int rc;

    if ((rc = digest_file(im)) != 0)
        return rc;
    im->csv = nl_csv_open(im->file, err, sizeof(err));
    if (im->csv == NULL) {
        fprintf(stderr, "nhanluc: %s\n", err);
        return NL_INVALID_ARGUMENT;
    }
    if (nl_csvmap_init(&im->map, im->csv, kind, err, sizeof(err)) != 0)
        return nl_cli_usage_error("import", "%s", err);
    if ((rc = map_rows(im)) != 0 || (rc = check_repeats(im)) != 0)
        return rc;
    if (im->bad_local > 0 && !im->skip) {
        /*
         * The readable rows still go through the server's dry pass, so one
         * run lists every bad row (an unknown class, a locked year), not only
         * those the CLI can see. Nothing is written either way.
         */
        int checked = im->nrows == 0 || run_pass(cli, im, 1, &dry, &refused) == 0;
        errors_more(im);
        fprintf(stderr,
                "nhanluc: %s: %zu of %zu rows cannot be read%s; nothing was written (fix them, "
                "or give --skip-bad-rows to import the others)\n",
                im->file, im->bad_local, im->total,
                !checked  ? " (the server could not check the others)"
                : refused ? ", and the server refused others listed above"
                          : "");
        return NL_INVALID_ARGUMENT;
    }
    if (im->nrows > 0 && (!im->skip || im->dry_only)) {
        rc = run_pass(cli, im, 1, &dry, &refused);
        if (rc != 0)
            return rc;
        if (refused) {
            errors_more(im);
            fprintf(stderr,
                    "nhanluc: %s: the server refused %lld of %zu rows; nothing was written (fix "
                    "them, or give --skip-bad-rows to import the others)\n",
                    im->file, dry.rejected > 0 ? dry.rejected : (long long)im->errors, im->total);
            return refused_exit(im);
        }
    }
    if (im->dry_only) {
        errors_more(im);
        return print_summary(cli, im, &dry, 1);
    }
    if (im->nrows > 0) {
        rc = run_pass(cli, im, 0, &real, &refused);
        if (rc != 0)
            return rc;
        if (refused) {
            errors_more(im);
            fprintf(stderr,
                    "nhanluc: %s: the server refused rows of batch %zu; nothing of that batch "
                    "was written, but the %zu batches before it were (fix the rows and run the "
                    "same import again)\n",
                    im->file, refused, refused - 1);
            return refused_exit(im);
        }
    }
    errors_more(im);
    return print_summary(cli, im, &real, 0);
}

int nl_cmd_import(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *dry = NULL, *skip = NULL, *batch = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {{"kind", 1, &kind},
                                  {"dry-run", 0, &dry},
                                  {"skip-bad-rows", 0, &skip},
                                  {"batch", 1, &batch},
                                  {NULL, 0, NULL}};
    struct import im;
    enum nl_csvkind k;
    int rc, n = nl_opts_parse(argc - 1, argv + 1, opts, pos, 1, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("import", "import: %s", err);
    if (n < 1)
        return nl_cli_usage_error("import", "import: missing FILE");
    memset(&im, 0, sizeof(im));
    im.file = pos[0];
    im.batch_rows = IMPORT_DEFAULT_BATCH;
    im.skip = skip != NULL;
    im.dry_only = dry != NULL;
    im.progress = isatty(STDERR_FILENO);
    if (kind != NULL && nl_csvkind_parse(kind, &k) != 0)
        return nl_cli_usage_error("import", "import: unknown --kind '%s' (expected one of: %s)",
                                  kind, nl_csvkind_names());
    if (batch != NULL) {
        char *end;
        long v = strtol(batch, &end, 10);
        if (*batch == '\0' || *end != '\0' || v < 1 || v > IMPORT_MAX_BATCH)
            return nl_cli_usage_error("import", "import: bad --batch '%s' (expected 1..%d rows)",
                                      batch, IMPORT_MAX_BATCH);
        im.batch_rows = (size_t)v;
    }
    /* A file takes longer than one call: without --timeout the deadline is 10 minutes. */
    if (!cli->timeout_set) {
        cli->timeout_ms = IMPORT_DEFAULT_TIMEOUT;
        nl_cli_start(cli);
    }
    nl_arena_init(&im.arena, 0);
    rc = import_run(cli, &im, kind != NULL ? (int)k : -1);
    nl_arena_release(&im.arena);
    nl_csv_free(im.csv);
    free(im.rows);
    free(im.sizes);
    EVP_MD_CTX_free(im.file_md);
    return rc;
}
