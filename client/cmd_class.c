/*
 * cmd_class.c - `nhanluc class submit|show|list|cancel`: training classes
 * with their trainees (nhanluc.v1.Records SubmitClass, GetClass,
 * ListClasses, CancelClass).
 *
 * `class submit FILE.json` reads one JSON document (libjansson):
 *
 *   {"class": {"class_ref": "HBT-2019/01", "organiser_unit": "hai-ba-trung",
 *              "title": "...", "kind": "UPGRADE", "area": "POLITICAL_THEORY",
 *              "target_group": "PLANNING_COMMITTEE", "planning_term": "2020-2025",
 *              "mode": "FULL_TIME", "start_date": "2019-03-04", "end_date": "26/04/2019",
 *              "sessions": 10, "planned_trainees": 80, "status": "ENDED"},
 *    "enrolments": [{"cadre_code": "C001", "status": "COMPLETED", "result": "GOOD",
 *                    "attended": 9, "absent_excused": 1, "absent_unexcused": 0,
 *                    "thesis_score": 8.5, "certificate_no": "CC-01"}, ...]}
 *
 * Enum fields take the bare code, the prefixed proto name or a Vietnamese
 * label (client/labels.h); dates YYYY-MM-DD or DD/MM/YYYY. Malformed JSON
 * exits 64 naming FILE:LINE:COLUMN; a bad value exits 3 naming the position
 * and the field path, and so does a field the server refuses: its message
 * starts with the field path ("enrolments[2].attended: ..."), which a small
 * scanner of the document maps back to the line and column of that value
 * (jansson keeps no positions). `class show --output json` prints the same
 * document shape, so a shown class can be edited and submitted again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nhanluc/v1/records.pb-c.h"

#include "args.h"
#include "cli.h"
#include "date.h"
#include "labels.h"

#define CLASS_PAGE_SIZE  1000
#define CLASS_MAX_PAGES  100000              /* a guard against a looping server */
#define CLASS_FILE_MAX   (16u * 1024 * 1024) /* far above the 4 MiB request cap */
#define CLASS_EXIT_INPUT 66                  /* sysexits EX_NOINPUT: FILE cannot be read */
#define PATH_MAX_LEN     128
#define SCAN_MAX_DEPTH   32

/*
 * protoc-c declares string fields char * although packing only reads them;
 * this hands it const strings (jansson's, our own) without a qualifier-dropping cast.
 */
static char *unconst(const char *s)
{
    char *p;

    memcpy(&p, &s, sizeof(p));
    return p;
}

/* snprintf for paths, where a cut (never expected: paths are short) is harmless. */
static void pathf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

/* --- positions of values in a JSON text ---------------------------------- */

/*
 * A forward scanner over a JSON text that jansson has already accepted: it
 * walks the values, building each one's path ("class.kind",
 * "enrolments[3].status"), and stops at `target`. When the target is absent
 * (a missing field) it remembers the deepest enclosing value instead.
 */
struct scan {
    const char *p, *end;
    int line, col; /* of *p; col counts characters, not bytes */
    const char *target;
    int found; /* 2: the target itself, 1: an enclosing value */
    int fline, fcol;
};

static void scan_adv(struct scan *s)
{
    unsigned char c = (unsigned char)*s->p++;

    if (c == '\n') {
        s->line++;
        s->col = 1;
    } else if ((c & 0xc0) != 0x80) {
        s->col++;
    }
}

static void scan_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        scan_adv(s);
}

/* Skips a string at *p == '"', copying its raw text (escapes kept) into key when not NULL. */
static void scan_string(struct scan *s, char *key, size_t keylen)
{
    size_t n = 0;

    scan_adv(s);
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\' && s->p + 1 < s->end) {
            scan_adv(s);
        }
        if (key != NULL && n + 1 < keylen)
            key[n++] = *s->p;
        scan_adv(s);
    }
    if (s->p < s->end)
        scan_adv(s);
    if (key != NULL && keylen > 0)
        key[n] = '\0';
}

static void scan_value(struct scan *s, const char *path, int depth);

/* Records where the value of `path` starts, if it is the target or encloses it. */
static void scan_mark(struct scan *s, const char *path)
{
    size_t n = strlen(path);

    if (strcmp(path, s->target) == 0) {
        s->found = 2;
        s->fline = s->line;
        s->fcol = s->col;
    } else if (s->found < 2 && strncmp(path, s->target, n) == 0 &&
               (n == 0 || s->target[n] == '.' || s->target[n] == '[')) {
        s->found = 1;
        s->fline = s->line;
        s->fcol = s->col;
    }
}

static void scan_container(struct scan *s, const char *path, int depth, int object)
{
    char key[PATH_MAX_LEN], child[PATH_MAX_LEN];
    char close = object ? '}' : ']';

    scan_adv(s);
    for (size_t i = 0; s->p < s->end && s->found < 2; i++) {
        scan_ws(s);
        if (s->p >= s->end || *s->p == close)
            break;
        if (object) {
            if (*s->p != '"')
                return;
            scan_string(s, key, sizeof(key));
            scan_ws(s);
            if (s->p < s->end && *s->p == ':')
                scan_adv(s);
            scan_ws(s);
            pathf(child, sizeof(child), "%s%s%s", path, path[0] ? "." : "", key);
        } else {
            pathf(child, sizeof(child), "%s[%zu]", path, i);
        }
        scan_value(s, child, depth + 1);
        scan_ws(s);
        if (s->p < s->end && *s->p == ',')
            scan_adv(s);
    }
    if (s->p < s->end && *s->p == close)
        scan_adv(s);
}

static void scan_value(struct scan *s, const char *path, int depth)
{
    scan_ws(s);
    if (s->p >= s->end)
        return;
    scan_mark(s, path);
    if (s->found == 2 || depth > SCAN_MAX_DEPTH)
        return;
    if (*s->p == '{' || *s->p == '[') {
        scan_container(s, path, depth, *s->p == '{');
    } else if (*s->p == '"') {
        scan_string(s, NULL, 0);
    } else {
        while (s->p < s->end && strchr(",}] \t\r\n", *s->p) == NULL)
            scan_adv(s);
    }
}

/* The line and column of the value at `path` (or of what encloses it); 0 if none. */
static int json_position(const char *text, size_t len, const char *path, int *line, int *col)
{
    struct scan s = {text, text + len, 1, 1, path, 0, 0, 0};

    scan_value(&s, "", 0);
    *line = s.fline;
    *col = s.fcol;
    return s.found;
}

/* --- the submitted document ---------------------------------------------- */

struct class_doc {
    const char *file;
    char *text; /* the file, without a leading BOM */
    size_t len;
    json_t *root;
    const char *class_key; /* "class" or "training_class", as the file writes it */
    Nhanluc__V1__SubmitClassRequest req;
    Nhanluc__V1__TrainingClass cls;
    char start[11], end[11];
    Nhanluc__V1__Enrolment *e;
    Nhanluc__V1__Enrolment **ep;
    Nhanluc__V1__Score *sc;
};

static void doc_release(struct class_doc *d)
{
    json_decref(d->root);
    free(d->text);
    free(d->e);
    free(d->ep);
    free(d->sc);
    memset(d, 0, sizeof(*d));
}

/*
 * Reports a bad value at `path` of the document: "FILE:LINE:COL: path: why"
 * (the position of the value, else of what encloses it). Returns exit 3.
 */
static int doc_bad(const struct class_doc *d, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int doc_bad(const struct class_doc *d, const char *path, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    int line = 0, col = 0;

    va_start(ap, fmt);
    (void)vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (json_position(d->text, d->len, path, &line, &col) > 0)
        fprintf(stderr, "nhanluc: %s:%d:%d: %s: %s\n", d->file, line, col, path, why);
    else
        fprintf(stderr, "nhanluc: %s: %s: %s\n", d->file, path, why);
    return NL_INVALID_ARGUMENT;
}

/* Reads FILE whole. 0, or an exit code after reporting. */
static int doc_read(struct class_doc *d)
{
    FILE *f = fopen(d->file, "rb");
    size_t cap = 64 * 1024, n = 0;
    char *buf;

    if (f == NULL) {
        fprintf(stderr, "nhanluc: cannot open '%s': %s\n", d->file, strerror(errno));
        return CLASS_EXIT_INPUT;
    }
    buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f)) {
                fprintf(stderr, "nhanluc: cannot read '%s': %s\n", d->file, strerror(errno));
                free(buf);
                fclose(f);
                return CLASS_EXIT_INPUT;
            }
            break;
        }
        if (cap >= CLASS_FILE_MAX) {
            fprintf(stderr, "nhanluc: %s: larger than %u MiB\n", d->file,
                    CLASS_FILE_MAX / (1024 * 1024));
            free(buf);
            fclose(f);
            return NL_INVALID_ARGUMENT;
        }
        char *nb = realloc(buf, cap * 2);
        if (nb == NULL)
            free(buf);
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (buf == NULL)
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    /* Windows editors save "UTF-8" with a byte-order mark. */
    if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
        memmove(buf, buf + 3, n - 3);
        n -= 3;
    }
    d->text = buf;
    d->len = n;
    return 0;
}

/* A string field ("" when absent or null). 0 or exit 3. */
static int get_str(const struct class_doc *d, json_t *obj, const char *key, const char *path,
                   char **out)
{
    json_t *v = json_object_get(obj, key);

    *out = unconst(protobuf_c_empty_string);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return doc_bad(d, path, "expected a string");
    *out = unconst(json_string_value(v));
    if (strlen(*out) != json_string_length(v))
        return doc_bad(d, path, "contains a NUL character");
    return 0;
}

/* An int32 field (0 when absent). 0 or exit 3. */
static int get_int(const struct class_doc *d, json_t *obj, const char *key, const char *path,
                   int32_t *out)
{
    json_t *v = json_object_get(obj, key);
    json_int_t i;

    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return doc_bad(d, path, "expected a whole number");
    i = json_integer_value(v);
    if (i < INT32_MIN || i > INT32_MAX)
        return doc_bad(d, path, "out of range");
    *out = (int32_t)i;
    return 0;
}

/* An enum field through labels.h (0 when absent or ""). 0 or exit 3. */
static int get_enum(const struct class_doc *d, json_t *obj, const char *key, const char *path,
                    enum nl_field f, int *out)
{
    char *s;
    int rc = get_str(d, obj, key, path, &s);

    *out = 0;
    if (rc != 0 || s[0] == '\0')
        return rc;
    if (nl_label_parse(f, s, out) != 0)
        return doc_bad(d, path, "unknown value '%s' (expected one of: %s)", s, nl_label_choices(f));
    return 0;
}

/* A date field in either form, into out as YYYY-MM-DD ("" when absent). 0 or exit 3. */
static int get_date(const struct class_doc *d, json_t *obj, const char *key, const char *path,
                    char out[11], char **field)
{
    char *s;
    int32_t days;
    int rc = get_str(d, obj, key, path, &s);

    *field = unconst(protobuf_c_empty_string);
    if (rc != 0 || s[0] == '\0')
        return rc;
    if (nl_date_parse_any(s, strlen(s), &days) != 0)
        return doc_bad(d, path, "not a date '%s' (expected YYYY-MM-DD or DD/MM/YYYY)", s);
    nl_date_format(days, out);
    *field = out;
    return 0;
}

/* Refuses keys of `obj` outside `known` (NULL-ended): a typo must not drop a value. */
static int check_keys(const struct class_doc *d, json_t *obj, const char *prefix,
                      const char *const *known)
{
    const char *key;
    json_t *v;
    char path[PATH_MAX_LEN];

    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (known[i] != NULL && strcmp(known[i], key) != 0)
            i++;
        if (known[i] == NULL) {
            pathf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
            return doc_bad(d, path, "unknown field");
        }
    }
    return 0;
}

static const char *const class_keys[] = {
    "class_ref",    "organiser_unit",   "title",  "kind",       "area",
    "target_group", "planning_term",    "mode",   "start_date", "end_date",
    "sessions",     "planned_trainees", "status", NULL};
static const char *const enrolment_keys[] = {"cadre_code",   "status",         "result",
                                             "attended",     "absent_excused", "absent_unexcused",
                                             "thesis_score", "certificate_no", NULL};
static const char *const top_keys[] = {"class", "training_class", "enrolments", NULL};

static int doc_class(struct class_doc *d, json_t *c)
{
    Nhanluc__V1__TrainingClass *m = &d->cls;
    char p[PATH_MAX_LEN];
    int v = 0, rc;

#define PATH(field) (pathf(p, sizeof(p), "%s.%s", d->class_key, field), p)
    if (!json_is_object(c))
        return doc_bad(d, d->class_key, "expected an object");
    if ((rc = check_keys(d, c, d->class_key, class_keys)) != 0 ||
        (rc = get_str(d, c, "class_ref", PATH("class_ref"), &m->class_ref)) != 0 ||
        (rc = get_str(d, c, "organiser_unit", PATH("organiser_unit"), &m->organiser_unit)) != 0 ||
        (rc = get_str(d, c, "title", PATH("title"), &m->title)) != 0 ||
        (rc = get_str(d, c, "target_group", PATH("target_group"), &m->target_group)) != 0 ||
        (rc = get_str(d, c, "planning_term", PATH("planning_term"), &m->planning_term)) != 0 ||
        (rc = get_date(d, c, "start_date", PATH("start_date"), d->start, &m->start_date)) != 0 ||
        (rc = get_date(d, c, "end_date", PATH("end_date"), d->end, &m->end_date)) != 0 ||
        (rc = get_int(d, c, "sessions", PATH("sessions"), &m->sessions)) != 0 ||
        (rc = get_int(d, c, "planned_trainees", PATH("planned_trainees"), &m->planned_trainees)) !=
            0)
        return rc;
    if ((rc = get_enum(d, c, "kind", PATH("kind"), NL_F_TRAINING_KIND, &v)) != 0)
        return rc;
    m->kind = (Nhanluc__V1__TrainingKind)v;
    if ((rc = get_enum(d, c, "area", PATH("area"), NL_F_AREA, &v)) != 0)
        return rc;
    m->area = (Nhanluc__V1__Area)v;
    if ((rc = get_enum(d, c, "mode", PATH("mode"), NL_F_CLASS_MODE, &v)) != 0)
        return rc;
    m->mode = (Nhanluc__V1__ClassMode)v;
    if ((rc = get_enum(d, c, "status", PATH("status"), NL_F_CLASS_STATUS, &v)) != 0)
        return rc;
    m->status = (Nhanluc__V1__ClassStatus)v;
#undef PATH
    return 0;
}

static int doc_enrolment(struct class_doc *d, size_t i, json_t *o)
{
    Nhanluc__V1__Enrolment *m = &d->e[i];
    char base[PATH_MAX_LEN], p[PATH_MAX_LEN];
    json_t *score;
    int v = 0, rc;

    nhanluc__v1__enrolment__init(m);
    d->ep[i] = m;
    pathf(base, sizeof(base), "enrolments[%zu]", i);
#define PATH(field) (pathf(p, sizeof(p), "%s.%s", base, field), p)
    if (!json_is_object(o))
        return doc_bad(d, base, "expected an object");
    if ((rc = check_keys(d, o, base, enrolment_keys)) != 0 ||
        (rc = get_str(d, o, "cadre_code", PATH("cadre_code"), &m->cadre_code)) != 0 ||
        (rc = get_int(d, o, "attended", PATH("attended"), &m->attended)) != 0 ||
        (rc = get_int(d, o, "absent_excused", PATH("absent_excused"), &m->absent_excused)) != 0 ||
        (rc = get_int(d, o, "absent_unexcused", PATH("absent_unexcused"), &m->absent_unexcused)) !=
            0 ||
        (rc = get_str(d, o, "certificate_no", PATH("certificate_no"), &m->certificate_no)) != 0)
        return rc;
    if ((rc = get_enum(d, o, "status", PATH("status"), NL_F_ENROLMENT_STATUS, &v)) != 0)
        return rc;
    m->status = (Nhanluc__V1__EnrolmentStatus)v;
    if ((rc = get_enum(d, o, "result", PATH("result"), NL_F_RESULT, &v)) != 0)
        return rc;
    m->result = (Nhanluc__V1__Result)v;
    score = json_object_get(o, "thesis_score");
    if (score != NULL && !json_is_null(score)) {
        if (!json_is_number(score))
            return doc_bad(d, PATH("thesis_score"), "expected a number");
        nhanluc__v1__score__init(&d->sc[i]);
        d->sc[i].value = json_number_value(score);
        m->thesis_score = &d->sc[i];
    }
#undef PATH
    return 0;
}

/* Reads and converts FILE into d->req. 0 or an exit code after reporting. */
static int doc_load(struct class_doc *d)
{
    json_error_t jerr;
    json_t *c, *list;
    size_t n;
    int rc = doc_read(d);

    if (rc != 0)
        return rc;
    d->root = json_loadb(d->text, d->len, JSON_REJECT_DUPLICATES, &jerr);
    if (d->root == NULL) {
        fprintf(stderr, "nhanluc: %s:%d:%d: %s\n", d->file, jerr.line, jerr.column, jerr.text);
        return NL_EXIT_USAGE;
    }
    if (!json_is_object(d->root))
        return doc_bad(d, "", "expected an object with \"class\" and \"enrolments\"");
    if ((rc = check_keys(d, d->root, "", top_keys)) != 0)
        return rc;
    d->class_key = json_object_get(d->root, "class") != NULL ? "class" : "training_class";
    c = json_object_get(d->root, d->class_key);
    if (c == NULL)
        return doc_bad(d, "class", "missing");
    nhanluc__v1__submit_class_request__init(&d->req);
    nhanluc__v1__training_class__init(&d->cls);
    if ((rc = doc_class(d, c)) != 0)
        return rc;
    d->req.training_class = &d->cls;

    list = json_object_get(d->root, "enrolments");
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return doc_bad(d, "enrolments", "expected an array");
    n = json_array_size(list);
    if (n == 0)
        return 0;
    d->e = calloc(n, sizeof(*d->e));
    d->ep = calloc(n, sizeof(*d->ep));
    d->sc = calloc(n, sizeof(*d->sc));
    if (d->e == NULL || d->ep == NULL || d->sc == NULL)
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if ((rc = doc_enrolment(d, i, json_array_get(list, i))) != 0)
            return rc;
    }
    d->req.enrolments = d->ep;
    d->req.n_enrolments = n;
    return 0;
}

/*
 * A server refusal whose message starts with a field path of the request
 * ("training_class.title: ..."): reported at that value's place in FILE.
 * Returns the status as exit code.
 */
static int doc_refused(const struct class_doc *d, enum nl_status st, const char *msg)
{
    char path[PATH_MAX_LEN];
    const char *colon = strstr(msg, ": ");
    size_t n = colon != NULL ? (size_t)(colon - msg) : 0;
    int line = 0, col = 0;

    if (st == NL_INVALID_ARGUMENT && n > 0 && n < sizeof(path) &&
        strspn(msg, "abcdefghijklmnopqrstuvwxyz_.[]0123456789") == n) {
        if (strncmp(msg, "training_class", 14) == 0)
            pathf(path, sizeof(path), "%s%.*s", d->class_key, (int)(n - 14), msg + 14);
        else
            pathf(path, sizeof(path), "%.*s", (int)n, msg);
        if (json_position(d->text, d->len, path, &line, &col) > 0) {
            fprintf(stderr, "nhanluc: %s:%d:%d: %s (%s)\n", d->file, line, col, msg,
                    nl_status_name(st));
            return (int)st;
        }
    }
    return nl_cli_fail(st, msg);
}

/* --- printing ------------------------------------------------------------ */

/* The bare code of an enum value, or its number when this CLI does not know it. */
static const char *code_text(enum nl_field f, int v, char *num, size_t len)
{
    const char *c = v != 0 ? nl_label_code(f, v) : "";

    if (c != NULL)
        return c;
    (void)snprintf(num, len, "%d", v);
    return num;
}

/* A thesis score as typed: the shortest form that reads back the same. */
static void score_text(double v, char out[32])
{
    for (int prec = 1; prec <= 17; prec++) {
        (void)snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static const struct nl_col submit_cols[] = {
    {"organiser_unit", NL_COL_STR},
    {"class_ref", NL_COL_STR},
    {"outcome", NL_COL_STR},
    {"enrolments_created", NL_COL_INT},
    {"enrolments_updated", NL_COL_INT},
    {"enrolments_unchanged", NL_COL_INT},
};

static const struct nl_col class_cols[] = {
    {"end_date", NL_COL_STR},     {"organiser_unit", NL_COL_STR}, {"class_ref", NL_COL_STR},
    {"title", NL_COL_STR},        {"kind", NL_COL_STR},           {"area", NL_COL_STR},
    {"target_group", NL_COL_STR}, {"planning_term", NL_COL_STR},  {"mode", NL_COL_STR},
    {"start_date", NL_COL_STR},   {"sessions", NL_COL_INT},       {"planned_trainees", NL_COL_INT},
    {"status", NL_COL_STR},       {"enrolments", NL_COL_INT},
};
#define CLASS_NCOLS (sizeof(class_cols) / sizeof(class_cols[0]))

/* The enrolments.csv columns of DOMAIN.md section 8. */
static const struct nl_col enrolment_cols[] = {
    {"class_ref", NL_COL_STR},      {"organiser_unit", NL_COL_STR},   {"cadre_code", NL_COL_STR},
    {"status", NL_COL_STR},         {"result", NL_COL_STR},           {"attended", NL_COL_INT},
    {"absent_excused", NL_COL_INT}, {"absent_unexcused", NL_COL_INT}, {"thesis_score", NL_COL_STR},
    {"certificate_no", NL_COL_STR},
};
#define ENROLMENT_NCOLS (sizeof(enrolment_cols) / sizeof(enrolment_cols[0]))

/* A class as text cells, in class_cols order. */
struct class_row {
    char kind[16], area[16], mode[16], status[16], sessions[16], planned[16], count[16];
    const char *v[CLASS_NCOLS];
};

static const char *const *class_row(struct class_row *r, const Nhanluc__V1__TrainingClass *c,
                                    int enrolments)
{
    (void)snprintf(r->sessions, sizeof(r->sessions), "%d", (int)c->sessions);
    (void)snprintf(r->planned, sizeof(r->planned), "%d", (int)c->planned_trainees);
    (void)snprintf(r->count, sizeof(r->count), "%d", enrolments);
    r->v[0] = c->end_date;
    r->v[1] = c->organiser_unit;
    r->v[2] = c->class_ref;
    r->v[3] = c->title;
    r->v[4] = code_text(NL_F_TRAINING_KIND, (int)c->kind, r->kind, sizeof(r->kind));
    r->v[5] = code_text(NL_F_AREA, (int)c->area, r->area, sizeof(r->area));
    r->v[6] = c->target_group;
    r->v[7] = c->planning_term;
    r->v[8] = code_text(NL_F_CLASS_MODE, (int)c->mode, r->mode, sizeof(r->mode));
    r->v[9] = c->start_date;
    r->v[10] = r->sessions;
    r->v[11] = r->planned;
    r->v[12] = code_text(NL_F_CLASS_STATUS, (int)c->status, r->status, sizeof(r->status));
    r->v[13] = r->count;
    return r->v;
}

struct enrolment_row {
    char status[16], result[16], att[16], exc[16], unexc[16], score[32];
    const char *v[ENROLMENT_NCOLS];
};

static const char *const *enrolment_row(struct enrolment_row *r,
                                        const Nhanluc__V1__TrainingClass *c,
                                        const Nhanluc__V1__Enrolment *e)
{
    (void)snprintf(r->att, sizeof(r->att), "%d", (int)e->attended);
    (void)snprintf(r->exc, sizeof(r->exc), "%d", (int)e->absent_excused);
    (void)snprintf(r->unexc, sizeof(r->unexc), "%d", (int)e->absent_unexcused);
    r->score[0] = '\0';
    if (e->thesis_score != NULL)
        score_text(e->thesis_score->value, r->score);
    r->v[0] = c->class_ref;
    r->v[1] = c->organiser_unit;
    r->v[2] = e->cadre_code;
    r->v[3] = code_text(NL_F_ENROLMENT_STATUS, (int)e->status, r->status, sizeof(r->status));
    r->v[4] = code_text(NL_F_RESULT, (int)e->result, r->result, sizeof(r->result));
    r->v[5] = r->att;
    r->v[6] = r->exc;
    r->v[7] = r->unexc;
    r->v[8] = r->score;
    r->v[9] = e->certificate_no;
    return r->v;
}

/* --- submit -------------------------------------------------------------- */

static int class_submit(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256], msg[512], count[3][16], num[16];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    struct class_doc d;
    ProtobufCMessage *m = NULL;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    if (n < 0)
        return nl_cli_usage_error("class", "class submit: %s", err);
    if (n < 1)
        return nl_cli_usage_error("class", "class submit: missing FILE");
    memset(&d, 0, sizeof(d));
    d.file = pos[0];
    rc = doc_load(&d);
    if (rc != 0)
        goto out;

    enum nl_status st =
        nl_cli_call(cli, "/nhanluc.v1.Records/SubmitClass", &d.req.base,
                    &nhanluc__v1__submit_class_response__descriptor, &m, msg, sizeof(msg));
    if (st != NL_OK) {
        rc = doc_refused(&d, st, msg);
        goto out;
    }
    Nhanluc__V1__SubmitClassResponse *resp = (Nhanluc__V1__SubmitClassResponse *)m;
    (void)snprintf(count[0], sizeof(count[0]), "%d", (int)resp->enrolments_created);
    (void)snprintf(count[1], sizeof(count[1]), "%d", (int)resp->enrolments_updated);
    (void)snprintf(count[2], sizeof(count[2]), "%d", (int)resp->enrolments_unchanged);
    const char *row[] = {
        d.cls.organiser_unit,
        d.cls.class_ref,
        nl_cli_enum_text(&nhanluc__v1__write_outcome__descriptor, (int)resp->outcome, num,
                         sizeof(num)),
        count[0],
        count[1],
        count[2],
    };
    rc = nl_cli_print_row(cli, submit_cols, 6, row);
out:
    if (m != NULL)
        protobuf_c_message_free_unpacked(m, NULL);
    doc_release(&d);
    return rc;
}

/* --- show ---------------------------------------------------------------- */

/* A JSON string from server text (invalid UTF-8 replaced); NULL when out of memory. */
static json_t *jstr(const char *s)
{
    char *clean = nl_output_clean(s, strlen(s), 1);
    json_t *j = clean != NULL ? json_string(clean) : NULL;

    free(clean);
    return j;
}

/* Sets obj[key] = v (taking v); -1 when v is NULL or out of memory. */
static int jset(json_t *obj, const char *key, json_t *v)
{
    return v != NULL ? json_object_set_new(obj, key, v) : -1;
}

/* The document of `class show --output json`: the shape `class submit` reads. */
static json_t *show_json(const Nhanluc__V1__GetClassResponse *r)
{
    const Nhanluc__V1__TrainingClass *c = r->training_class;
    json_t *doc = json_object(), *cls = json_object(), *list = json_array();
    char n1[16], n2[16], n3[16], n4[16];
    int bad = doc == NULL || cls == NULL || list == NULL;

    bad = bad || jset(cls, "class_ref", jstr(c->class_ref)) ||
          jset(cls, "organiser_unit", jstr(c->organiser_unit)) ||
          jset(cls, "title", jstr(c->title)) ||
          jset(cls, "kind", jstr(code_text(NL_F_TRAINING_KIND, (int)c->kind, n1, 16))) ||
          jset(cls, "area", jstr(code_text(NL_F_AREA, (int)c->area, n2, 16))) ||
          jset(cls, "target_group", jstr(c->target_group)) ||
          jset(cls, "planning_term", jstr(c->planning_term)) ||
          jset(cls, "mode", jstr(code_text(NL_F_CLASS_MODE, (int)c->mode, n3, 16))) ||
          jset(cls, "start_date", jstr(c->start_date)) ||
          jset(cls, "end_date", jstr(c->end_date)) ||
          jset(cls, "sessions", json_integer(c->sessions)) ||
          jset(cls, "planned_trainees", json_integer(c->planned_trainees)) ||
          jset(cls, "status", jstr(code_text(NL_F_CLASS_STATUS, (int)c->status, n4, 16)));
    for (size_t i = 0; !bad && i < r->n_enrolments; i++) {
        const Nhanluc__V1__Enrolment *e = r->enrolments[i];
        json_t *o = json_object();

        bad = o == NULL || json_array_append_new(list, o) != 0 ||
              jset(o, "cadre_code", jstr(e->cadre_code)) ||
              jset(o, "status", jstr(code_text(NL_F_ENROLMENT_STATUS, (int)e->status, n1, 16))) ||
              (e->result != 0 &&
               jset(o, "result", jstr(code_text(NL_F_RESULT, (int)e->result, n2, 16)))) ||
              jset(o, "attended", json_integer(e->attended)) ||
              jset(o, "absent_excused", json_integer(e->absent_excused)) ||
              jset(o, "absent_unexcused", json_integer(e->absent_unexcused)) ||
              (e->thesis_score != NULL &&
               jset(o, "thesis_score", json_real(e->thesis_score->value))) ||
              jset(o, "certificate_no", jstr(e->certificate_no));
    }
    if (!bad) {
        bad = json_object_set_new(doc, "class", cls) != 0;
        cls = NULL;
    }
    if (!bad) {
        bad = json_object_set_new(doc, "enrolments", list) != 0;
        list = NULL;
    }
    json_decref(cls);
    json_decref(list);
    if (bad) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static const struct nl_col field_cols[] = {{"field", NL_COL_STR}, {"value", NL_COL_STR}};

/* Table output: the class as field/value lines, a blank line, its trainees as a table. */
static int show_table(struct nl_cli *cli, const Nhanluc__V1__GetClassResponse *r)
{
    struct nl_records fr, er;
    struct class_row cr;
    const char *const *cv = class_row(&cr, r->training_class, (int)r->n_enrolments);
    /* Class fields in submit order: ref, unit, title, then the rest. */
    static const size_t order[] = {2, 1, 3, 4, 5, 6, 7, 8, 9, 0, 10, 11, 12, 13};
    int rc = 0;

    nl_records_init(&fr, field_cols, 2);
    for (size_t i = 0; rc == 0 && i < CLASS_NCOLS; i++) {
        const char *row[2] = {class_cols[order[i]].key, cv[order[i]]};
        rc = nl_cli_add_row(&fr, row);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &fr, 0);
    nl_records_release(&fr);
    if (rc != 0 || r->n_enrolments == 0)
        return rc;
    if (fputc('\n', cli->out) == EOF) {
        if (errno != EPIPE)
            fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
        return NL_EXIT_IO;
    }
    nl_records_init(&er, enrolment_cols + 2, ENROLMENT_NCOLS - 2);
    for (size_t i = 0; rc == 0 && i < r->n_enrolments; i++) {
        struct enrolment_row row;
        rc = nl_cli_add_row(&er, enrolment_row(&row, r->training_class, r->enrolments[i]) + 2);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &er, 0);
    nl_records_release(&er);
    return rc;
}

static int class_show(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[2], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__GetClassRequest req;
    ProtobufCMessage *m;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__get_class_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("class", "class show: %s", err);
    if (n < 2)
        return nl_cli_usage_error("class", "class show: missing %s",
                                  n == 0 ? "UNIT and CLASS_REF" : "CLASS_REF");
    req.organiser_unit = pos[0];
    req.class_ref = pos[1];
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/GetClass", &req.base,
                             &nhanluc__v1__get_class_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__GetClassResponse *resp = (Nhanluc__V1__GetClassResponse *)m;
    if (resp->training_class == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no class");
    } else if (cli->output == NL_OUTPUT_JSON) {
        json_t *doc = show_json(resp);
        if (doc == NULL) {
            rc = nl_cli_fail(NL_INTERNAL, "out of memory");
        } else {
            if (json_dumpf(doc, cli->out,
                           JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) != 0 ||
                fputc('\n', cli->out) == EOF || fflush(cli->out) != 0) {
                if (errno != EPIPE)
                    fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
                rc = NL_EXIT_IO;
            }
            json_decref(doc);
        }
    } else if (cli->output == NL_OUTPUT_CSV) {
        /* enrolments.csv: every trainee with the class's key. */
        struct nl_records r;
        nl_records_init(&r, enrolment_cols, ENROLMENT_NCOLS);
        for (size_t i = 0; rc == 0 && i < resp->n_enrolments; i++) {
            struct enrolment_row row;
            rc = nl_cli_add_row(&r, enrolment_row(&row, resp->training_class, resp->enrolments[i]));
        }
        if (rc == 0)
            rc = nl_cli_print(cli, &r, 0);
        nl_records_release(&r);
    } else {
        rc = show_table(cli, resp);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* --- list ---------------------------------------------------------------- */

/* Parses an enum option through labels.h; a usage error listing the choices otherwise. */
static int label_opt(const char *opt, enum nl_field f, const char *s, int *out)
{
    if (nl_label_parse(f, s, out) == 0)
        return 0;
    return nl_cli_usage_error("class", "class list: unknown --%s '%s' (expected one of: %s)", opt,
                              s, nl_label_choices(f));
}

/* One page of ListClasses into the records (nl_cli_page_fn). */
static int class_page(const ProtobufCMessage *m, unsigned long page, void *ud)
{
    const Nhanluc__V1__ListClassesResponse *resp = (const Nhanluc__V1__ListClassesResponse *)m;
    int rc = 0;

    (void)page;
    for (size_t i = 0; rc == 0 && i < resp->n_classes; i++) {
        struct class_row row;
        if (resp->classes[i]->training_class == NULL)
            rc = nl_cli_fail(NL_INTERNAL, "server returned a row without a class");
        else
            rc = nl_cli_add_row(ud, class_row(&row, resp->classes[i]->training_class,
                                              (int)resp->classes[i]->enrolments));
    }
    return rc;
}

static int class_list(struct nl_cli *cli, int argc, char **argv)
{
    char *unit = NULL, *term = NULL, *year = NULL, *kind = NULL, *area = NULL, *tg = NULL;
    char *status = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {
        {"unit", 1, &unit}, {"term", 1, &term},       {"year", 1, &year},     {"kind", 1, &kind},
        {"area", 1, &area}, {"target-group", 1, &tg}, {"status", 1, &status}, {NULL, 0, NULL}};
    Nhanluc__V1__ListClassesRequest req;
    struct nl_records r;
    int v, rc = 0, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_classes_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("class", "class list: %s", err);
    if (unit != NULL)
        req.unit = unit;
    if (term != NULL)
        req.term = term;
    if (tg != NULL)
        req.target_group = tg;
    if (year != NULL) {
        if (nl_year_parse(year, &v) != 0)
            return nl_cli_usage_error("class", "class list: bad --year '%s' (expected a year)",
                                      year);
        req.year = v;
    }
    if (kind != NULL) {
        if ((rc = label_opt("kind", NL_F_TRAINING_KIND, kind, &v)) != 0)
            return rc;
        req.kind = (Nhanluc__V1__TrainingKind)v;
    }
    if (area != NULL) {
        if ((rc = label_opt("area", NL_F_AREA, area, &v)) != 0)
            return rc;
        req.area = (Nhanluc__V1__Area)v;
    }
    if (status != NULL) {
        if ((rc = label_opt("status", NL_F_CLASS_STATUS, status, &v)) != 0)
            return rc;
        req.status = (Nhanluc__V1__ClassStatus)v;
    }
    req.page_size = CLASS_PAGE_SIZE;
    nl_records_init(&r, class_cols, CLASS_NCOLS);

    rc = nl_cli_pages(cli, "/nhanluc.v1.Records/ListClasses", &req.base, &req.page_token,
                      &nhanluc__v1__list_classes_response__descriptor, CLASS_MAX_PAGES, class_page,
                      &r);
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

/* --- cancel -------------------------------------------------------------- */

static const struct nl_col cancel_cols[] = {
    {"organiser_unit", NL_COL_STR},
    {"class_ref", NL_COL_STR},
    {"status", NL_COL_STR},
    {"outcome", NL_COL_STR},
};

static int class_cancel(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[2], err[256], n1[16], n2[16];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__CancelClassRequest req;
    ProtobufCMessage *m;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__cancel_class_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("class", "class cancel: %s", err);
    if (n < 2)
        return nl_cli_usage_error("class", "class cancel: missing %s",
                                  n == 0 ? "UNIT and CLASS_REF" : "CLASS_REF");
    req.organiser_unit = pos[0];
    req.class_ref = pos[1];
    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/CancelClass", &req.base,
                             &nhanluc__v1__cancel_class_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__CancelClassResponse *resp = (Nhanluc__V1__CancelClassResponse *)m;
    if (resp->training_class == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no class");
    } else {
        const Nhanluc__V1__TrainingClass *c = resp->training_class;
        const char *row[] = {
            c->organiser_unit,
            c->class_ref,
            code_text(NL_F_CLASS_STATUS, (int)c->status, n1, sizeof(n1)),
            nl_cli_enum_text(&nhanluc__v1__write_outcome__descriptor, (int)resp->outcome, n2,
                             sizeof(n2)),
        };
        rc = nl_cli_print_row(cli, cancel_cols, 4, row);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_cli_sub class_subs[] = {
    {"submit", class_submit}, {"show", class_show}, {"list", class_list},
    {"cancel", class_cancel}, {NULL, NULL},
};

int nl_cmd_class(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "class", class_subs, "submit, show, list or cancel", argc, argv);
}
