/*
 * csvrows.c - the columns of each CSV file of DOMAIN.md section 8 and their
 * fields in nhanluc.v1.ImportRow, read and written through one table per
 * kind.
 *
 * A kind's table lists its columns in DOMAIN.md's order; each column names a
 * field of one of the kind's messages ("sub" 0 or 1: cadres.csv fills a
 * Cadre and a CadreProfile, enrolments.csv an EnrolmentRow and its
 * Enrolment) and how its cell reads and writes. The field itself (offset,
 * type, enum) is found by the column's name in the protobuf-c descriptor, so
 * the column names are the proto field names and a renamed field fails the
 * unit test instead of writing to the wrong place. Two kinds need a rule
 * beyond their columns: a terms.csv row without years takes them from a
 * YYYY-YYYY code, and a cadres.csv row without as_of and without profile
 * cells upserts only the cadre.
 *
 * Enum cells go through client/labels.h (code, prefixed name or Vietnamese
 * label); a column with no labels.h field (none today) would accept the code
 * or the prefixed proto name through the enum descriptor. An empty enum cell
 * is value 0 ("not given"):
 * whether the field is required is the server's rule, which names the field.
 */
#include "csvrows.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nhanluc/v1/indicators.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"

#include "args.h"
#include "date.h"
#include "labels.h"
#include "output.h"

/* How a cell reads and writes. */
enum conv {
    C_TEXT,  /* string as written */
    C_DATE,  /* YYYY-MM-DD or DD/MM/YYYY in, YYYY-MM-DD out; empty allowed */
    C_STAMP, /* a date (either form) or an RFC 3339 timestamp */
    C_INT,   /* int32; empty = 0 */
    C_BOOL,  /* NL_F_BOOL forms in, true/false out */
    C_ENUM,  /* labels.h field, or the enum descriptor when label < 0 */
    C_SCORE, /* an optional Score message: a number, '.' or ',' decimal mark */
    C_LIST,  /* repeated string: codes separated by ';' */
};

#define NOLABEL (-1)

struct col {
    const char *name; /* the header name = the proto field name */
    unsigned char sub;
    unsigned char conv;
    unsigned char req; /* the header must have it */
    int label;         /* enum nl_field for C_ENUM / C_BOOL, else NOLABEL */
};

struct kind_def {
    const char *name;
    Nhanluc__V1__ImportRow__RecordCase rcase;
    const char *row_field; /* the ImportRow oneof member */
    const ProtobufCMessageDescriptor *top;
    const char *sub_field[2]; /* the field of `top` holding sub i; NULL = top itself */
    const struct col *cols;
    size_t ncols;
};

#define T(n, r)                                                                                    \
    {                                                                                              \
        n, 0, C_TEXT, r, NOLABEL                                                                   \
    }
#define D(n, r)                                                                                    \
    {                                                                                              \
        n, 0, C_DATE, r, NOLABEL                                                                   \
    }
#define I(n, r)                                                                                    \
    {                                                                                              \
        n, 0, C_INT, r, NOLABEL                                                                    \
    }
#define E(n, f, r)                                                                                 \
    {                                                                                              \
        n, 0, C_ENUM, r, f                                                                         \
    }
#define B(n, r)                                                                                    \
    {                                                                                              \
        n, 0, C_BOOL, r, NL_F_BOOL                                                                 \
    }

static const struct col units_cols[] = {
    T("code", 1),   T("name", 1),       E("kind", NL_F_UNIT_KIND, 1),
    T("parent", 0), D("valid_from", 0), D("valid_to", 0),
};
static const struct col terms_cols[] = {
    T("code", 1),
    E("kind", NL_F_TERM_KIND, 1),
    I("start_year", 0),
    I("end_year", 0),
};
static const struct col unit_events_cols[] = {
    E("kind", NL_F_UNIT_EVENT_KIND, 1), D("effective_date", 1), {"sources", 0, C_LIST, 1, NOLABEL},
    {"targets", 0, C_LIST, 0, NOLABEL}, T("legal_basis", 0),
};
static const struct col cadres_cols[] = {
    {"cadre_code", 0, C_TEXT, 1, NOLABEL},
    {"full_name", 0, C_TEXT, 0, NOLABEL},
    {"sex", 0, C_ENUM, 1, NL_F_SEX},
    {"birth_year", 0, C_INT, 1, NOLABEL},
    {"unit", 1, C_TEXT, 0, NOLABEL},
    {"position_title", 1, C_TEXT, 0, NOLABEL},
    {"key_cadre", 1, C_BOOL, 0, NL_F_BOOL},
    {"level", 1, C_ENUM, 0, NL_F_LEVEL},
    {"mgmt_category", 1, C_ENUM, 0, NL_F_MGMT_CATEGORY},
    {"education", 1, C_ENUM, 0, NL_F_EDUCATION},
    {"political_theory", 1, C_ENUM, 0, NL_F_POLITICAL_THEORY},
    {"state_mgmt", 1, C_ENUM, 0, NL_F_STATE_MGMT},
    {"as_of", 1, C_DATE, 0, NOLABEL},
};
static const struct col classes_cols[] = {
    T("class_ref", 1),
    T("organiser_unit", 1),
    T("title", 1),
    E("kind", NL_F_TRAINING_KIND, 1),
    E("area", NL_F_AREA, 1),
    T("target_group", 1),
    T("planning_term", 0),
    E("mode", NL_F_CLASS_MODE, 1),
    D("start_date", 1),
    D("end_date", 1),
    I("sessions", 1),
    I("planned_trainees", 0),
    E("status", NL_F_CLASS_STATUS, 1),
};
static const struct col enrolments_cols[] = {
    {"class_ref", 0, C_TEXT, 1, NOLABEL},     {"organiser_unit", 0, C_TEXT, 1, NOLABEL},
    {"cadre_code", 1, C_TEXT, 1, NOLABEL},    {"status", 1, C_ENUM, 1, NL_F_ENROLMENT_STATUS},
    {"result", 1, C_ENUM, 0, NL_F_RESULT},    {"attended", 1, C_INT, 0, NOLABEL},
    {"absent_excused", 1, C_INT, 0, NOLABEL}, {"absent_unexcused", 1, C_INT, 0, NOLABEL},
    {"thesis_score", 1, C_SCORE, 0, NOLABEL}, {"certificate_no", 1, C_TEXT, 0, NOLABEL},
};
static const struct col committee_cols[] = {
    T("cadre_code", 1),           T("unit", 1),       T("term", 1),     E("body", NL_F_BODY, 1),
    E("role", NL_F_BODY_ROLE, 0), D("start_date", 1), D("end_date", 0),
};
static const struct col planning_cols[] = {
    T("cadre_code", 1), T("unit", 1),       T("term", 1), E("body_or_title", NL_F_BODY_OR_TITLE, 1),
    D("added_on", 0),   D("removed_on", 0),
};
static const struct col seats_cols[] = {
    T("unit", 1),
    T("term", 1),
    E("body_or_title", NL_F_BODY_OR_TITLE, 1),
    I("seats", 1),
};
static const struct col reviews_cols[] = {
    T("cadre_code", 1),
    I("year", 1),
    E("annual_rating", NL_F_ANNUAL_RATING, 1),
    B("meets_requirements", 0),
    E("action", NL_F_REVIEW_ACTION, 0),
    T("decision_ref", 0),
};
static const struct col reports_cols[] = {
    T("unit", 1),
    I("year", 1),
    E("status", NL_F_REPORT_STATUS, 1),
    {"submitted_at", 0, C_STAMP, 0, NOLABEL},
    {"approved_at", 0, C_STAMP, 0, NOLABEL},
    T("return_reason", 0),
};
static const struct col term_instances_cols[] = {
    T("term", 1),
    T("unit", 1),
    D("start_date", 1),
    D("end_date", 1),
};
/* value: decimal text as written ("35", "22.5"); the server checks and normalises it. */
static const struct col targets_cols[] = {
    T("indicator", 1), T("op", 1), T("value", 1), T("unit", 0), T("term", 1),
};

#undef T
#undef D
#undef I
#undef E
#undef B

#define COLS(a) a, sizeof(a) / sizeof(a[0])

static const struct kind_def kinds[NL_CSVKIND_COUNT] = {
    {"units",
     NHANLUC__V1__IMPORT_ROW__RECORD_UNIT,
     "unit",
     &nhanluc__v1__unit__descriptor,
     {NULL, NULL},
     COLS(units_cols)},
    {"terms",
     NHANLUC__V1__IMPORT_ROW__RECORD_TERM,
     "term",
     &nhanluc__v1__term__descriptor,
     {NULL, NULL},
     COLS(terms_cols)},
    {"unit_events",
     NHANLUC__V1__IMPORT_ROW__RECORD_UNIT_EVENT,
     "unit_event",
     &nhanluc__v1__unit_event__descriptor,
     {NULL, NULL},
     COLS(unit_events_cols)},
    {"cadres",
     NHANLUC__V1__IMPORT_ROW__RECORD_CADRE,
     "cadre",
     &nhanluc__v1__upsert_cadre_request__descriptor,
     {"cadre", "profile"},
     COLS(cadres_cols)},
    {"classes",
     NHANLUC__V1__IMPORT_ROW__RECORD_TRAINING_CLASS,
     "training_class",
     &nhanluc__v1__training_class__descriptor,
     {NULL, NULL},
     COLS(classes_cols)},
    {"enrolments",
     NHANLUC__V1__IMPORT_ROW__RECORD_ENROLMENT,
     "enrolment",
     &nhanluc__v1__enrolment_row__descriptor,
     {NULL, "enrolment"},
     COLS(enrolments_cols)},
    {"committee",
     NHANLUC__V1__IMPORT_ROW__RECORD_COMMITTEE,
     "committee",
     &nhanluc__v1__committee_membership__descriptor,
     {NULL, NULL},
     COLS(committee_cols)},
    {"planning",
     NHANLUC__V1__IMPORT_ROW__RECORD_PLANNING,
     "planning",
     &nhanluc__v1__planning_entry__descriptor,
     {NULL, NULL},
     COLS(planning_cols)},
    {"seats",
     NHANLUC__V1__IMPORT_ROW__RECORD_SEATS,
     "seats",
     &nhanluc__v1__seat_quota__descriptor,
     {NULL, NULL},
     COLS(seats_cols)},
    {"reviews",
     NHANLUC__V1__IMPORT_ROW__RECORD_REVIEW,
     "review",
     &nhanluc__v1__review__descriptor,
     {NULL, NULL},
     COLS(reviews_cols)},
    {"reports",
     NHANLUC__V1__IMPORT_ROW__RECORD_REPORT,
     "report",
     &nhanluc__v1__annual_report__descriptor,
     {NULL, NULL},
     COLS(reports_cols)},
    {"term_instances",
     NHANLUC__V1__IMPORT_ROW__RECORD_TERM_INSTANCE,
     "term_instance",
     &nhanluc__v1__term_instance__descriptor,
     {NULL, NULL},
     COLS(term_instances_cols)},
    {"targets",
     NHANLUC__V1__IMPORT_ROW__RECORD_TARGET,
     "target",
     &nhanluc__v1__target__descriptor,
     {NULL, NULL},
     COLS(targets_cols)},
};

#undef COLS

_Static_assert(NL_CSVKIND_TERM_INSTANCES + 1 ==
                       NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_TERM_INSTANCES &&
                   NL_CSVKIND_TARGETS + 1 == NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_TARGETS,
               "enum nl_csvkind follows ExportKind");

/* --- kinds ---------------------------------------------------------------- */

const char *nl_csvkind_name(enum nl_csvkind k)
{
    return (unsigned)k < NL_CSVKIND_COUNT ? kinds[k].name : "?";
}

const char *nl_csvkind_names(void)
{
    return "units, terms, unit_events, cadres, classes, enrolments, committee, planning, seats, "
           "reviews, reports, term_instances, targets";
}

int nl_csvkind_parse(const char *s, enum nl_csvkind *k)
{
    char buf[32];
    size_t n = strlen(s);

    if (n > 4 && strcasecmp(s + n - 4, ".csv") == 0)
        n -= 4;
    if (n == 0 || n >= sizeof(buf))
        return -1;
    for (size_t i = 0; i < n; i++)
        buf[i] = s[i] == '-' ? '_' : (char)tolower((unsigned char)s[i]);
    buf[n] = '\0';
    for (int i = 0; i < NL_CSVKIND_COUNT; i++) {
        if (strcmp(buf, kinds[i].name) == 0) {
            *k = (enum nl_csvkind)i;
            return 0;
        }
    }
    return -1;
}

Nhanluc__V1__ExportKind nl_csvkind_export_kind(enum nl_csvkind k)
{
    return (Nhanluc__V1__ExportKind)((int)k + 1);
}

int nl_csvkind_of_row(const Nhanluc__V1__ImportRow *r, enum nl_csvkind *k)
{
    for (int i = 0; i < NL_CSVKIND_COUNT; i++) {
        if (r->record_case == kinds[i].rcase) {
            *k = (enum nl_csvkind)i;
            return 0;
        }
    }
    return -1;
}

size_t nl_csvkind_ncols(enum nl_csvkind k)
{
    return (unsigned)k < NL_CSVKIND_COUNT ? kinds[k].ncols : 0;
}

const char *nl_csvkind_col(enum nl_csvkind k, size_t i)
{
    return i < nl_csvkind_ncols(k) ? kinds[k].cols[i].name : NULL;
}

int nl_csvkind_col_required(enum nl_csvkind k, size_t i)
{
    return i < nl_csvkind_ncols(k) ? kinds[k].cols[i].req : 0;
}

/* The natural key of each kind (DOMAIN.md 8), by column name, NULL-terminated. */
static const char *const key_cols[NL_CSVKIND_COUNT][5] = {
    [NL_CSVKIND_UNITS] = {"code", "valid_from", NULL},
    [NL_CSVKIND_TERMS] = {"code", NULL},
    [NL_CSVKIND_UNIT_EVENTS] = {"kind", "effective_date", "sources", "targets", NULL},
    [NL_CSVKIND_CADRES] = {"cadre_code", "as_of", NULL},
    [NL_CSVKIND_CLASSES] = {"organiser_unit", "class_ref", NULL},
    [NL_CSVKIND_ENROLMENTS] = {"organiser_unit", "class_ref", "cadre_code", NULL},
    [NL_CSVKIND_COMMITTEE] = {"cadre_code", "unit", "term", "body", NULL},
    [NL_CSVKIND_PLANNING] = {"cadre_code", "unit", "term", "body_or_title", NULL},
    [NL_CSVKIND_SEATS] = {"unit", "term", "body_or_title", NULL},
    [NL_CSVKIND_REVIEWS] = {"cadre_code", "year", NULL},
    [NL_CSVKIND_REPORTS] = {"unit", "year", NULL},
    [NL_CSVKIND_TERM_INSTANCES] = {"term", "unit", NULL},
    [NL_CSVKIND_TARGETS] = {"indicator", "unit", "term", NULL},
};

int nl_csvkind_col_key(enum nl_csvkind k, size_t i)
{
    const char *name = nl_csvkind_col(k, i);

    for (size_t j = 0; name != NULL && key_cols[k][j] != NULL; j++)
        if (strcmp(key_cols[k][j], name) == 0)
            return 1;
    return 0;
}

/* --- headers -------------------------------------------------------------- */

/* Whether header text `h` (surrounding blanks ignored, ASCII case ignored) is `name`. */
static int header_is(const char *h, const char *name)
{
    size_t n = strlen(name), len;

    while (*h == ' ' || *h == '\t')
        h++;
    len = strlen(h);
    while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
        len--;
    return len == n && strncasecmp(h, name, n) == 0;
}

/* The index of kind column `name` in kind k, or -1. */
static int col_index(enum nl_csvkind k, const char *h)
{
    for (size_t i = 0; i < kinds[k].ncols; i++)
        if (header_is(h, kinds[k].cols[i].name))
            return (int)i;
    return -1;
}

/* Appends "a, b, c" (the header names) to out; output truncated to fit. */
static void join_names(char *out, size_t len, const char *const *names, size_t n)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used >= len && len > 4)
        memcpy(out + len - 4, "...", 4);
}

/* The kind's columns, comma-separated, into out. */
static void kind_cols(char *out, size_t len, enum nl_csvkind k)
{
    const char *names[NL_CSVROWS_MAX_COLS];

    for (size_t i = 0; i < kinds[k].ncols; i++)
        names[i] = kinds[k].cols[i].name;
    join_names(out, len, names, kinds[k].ncols);
}

/* 1 when every header column is a column of k. */
static int header_within(const char *const *names, size_t n, enum nl_csvkind k)
{
    for (size_t i = 0; i < n; i++)
        if (col_index(k, names[i]) < 0)
            return 0;
    return 1;
}

/* The first required column of k missing from the header, or NULL. */
static const char *first_missing(const char *const *names, size_t n, enum nl_csvkind k)
{
    for (size_t c = 0; c < kinds[k].ncols; c++) {
        size_t i = 0;
        if (!kinds[k].cols[c].req)
            continue;
        while (i < n && !header_is(names[i], kinds[k].cols[c].name))
            i++;
        if (i == n)
            return kinds[k].cols[c].name;
    }
    return NULL;
}

int nl_csvkind_check(const char *const *names, size_t n, enum nl_csvkind k, char *err,
                     size_t errlen)
{
    char cols[400];
    const char *miss;

    for (size_t i = 0; i < n; i++) {
        if (col_index(k, names[i]) < 0) {
            kind_cols(cols, sizeof(cols), k);
            snprintf(err, errlen, "unknown column \"%s\" (%s columns: %s)", names[i], kinds[k].name,
                     cols);
            return -1;
        }
    }
    miss = first_missing(names, n, k);
    if (miss != NULL) {
        snprintf(err, errlen, "missing column \"%s\" (%s.csv needs it)", miss, kinds[k].name);
        return -1;
    }
    return 0;
}

int nl_csvkind_detect(const char *const *names, size_t n, enum nl_csvkind *k, char *err,
                      size_t errlen)
{
    int found = -1, nfound = 0, within = -1, nwithin = 0;
    char hdr[400], both[200];

    for (int i = 0; i < NL_CSVKIND_COUNT; i++) {
        if (!header_within(names, n, (enum nl_csvkind)i))
            continue;
        nwithin++;
        within = i;
        if (first_missing(names, n, (enum nl_csvkind)i) == NULL) {
            if (nfound == 0)
                snprintf(both, sizeof(both), "%s", kinds[i].name);
            else
                snprintf(both + strlen(both), sizeof(both) - strlen(both), " and %s",
                         kinds[i].name);
            nfound++;
            found = i;
        }
    }
    join_names(hdr, sizeof(hdr), names, n);
    if (nfound == 1) {
        *k = (enum nl_csvkind)found;
        return 0;
    }
    if (nfound > 1) {
        snprintf(err, errlen, "the columns (%s) fit more than one file kind (%s): give --kind", hdr,
                 both);
        return -1;
    }
    if (nwithin == 1) {
        snprintf(err, errlen, "the columns (%s) look like %s.csv but miss column \"%s\"", hdr,
                 kinds[within].name, first_missing(names, n, (enum nl_csvkind)within));
        return -1;
    }
    snprintf(err, errlen,
             "the columns (%s) match no file kind of DOMAIN.md section 8 (%s): check the "
             "header or give --kind",
             hdr, nl_csvkind_names());
    return -1;
}

int nl_csvmap_init(struct nl_csvmap *m, const struct nl_csv *c, int kind, char *err, size_t errlen)
{
    const char *names[NL_CSV_MAX_COLUMNS];
    char why[768];
    int n = nl_csv_columns(c);
    enum nl_csvkind k;

    if (n > NL_CSV_MAX_COLUMNS)
        n = NL_CSV_MAX_COLUMNS;
    for (int i = 0; i < n; i++)
        names[i] = nl_csv_column_name(c, i);
    if (kind < 0) {
        if (nl_csvkind_detect(names, (size_t)n, &k, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:1: %s", nl_csv_path(c), why);
            return -1;
        }
    } else {
        k = (enum nl_csvkind)kind;
        if (nl_csvkind_check(names, (size_t)n, k, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:1: %s", nl_csv_path(c), why);
            return -1;
        }
    }
    m->kind = k;
    for (size_t i = 0; i < NL_CSVROWS_MAX_COLS; i++)
        m->src[i] = -1;
    for (int i = 0; i < n; i++) {
        int ci = col_index(k, names[i]);
        if (ci >= 0)
            m->src[ci] = i;
    }
    return 0;
}

/* --- fields ----------------------------------------------------------------- */

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *d,
                                                const char *name)
{
    return protobuf_c_message_descriptor_get_field_by_name(d, name);
}

/* The descriptor of sub message i of kind k. */
static const ProtobufCMessageDescriptor *sub_desc(const struct kind_def *kd, int i)
{
    if (kd->sub_field[i] == NULL)
        return kd->top;
    return field_of(kd->top, kd->sub_field[i])->descriptor;
}

static void *ptr_at(const void *msg, size_t off)
{
    void *p;

    memcpy(&p, (const char *)msg + off, sizeof(p));
    return p;
}

static void set_ptr_at(void *msg, size_t off, const void *p)
{
    memcpy((char *)msg + off, &p, sizeof(p));
}

/* The top message of row r (any oneof member: they share one place). */
static void *row_top(const Nhanluc__V1__ImportRow *r)
{
    const ProtobufCFieldDescriptor *fd = field_of(&nhanluc__v1__import_row__descriptor, "unit");

    return ptr_at(r, fd->offset);
}

/* Sub message i of row r (of kind kd), or NULL when absent. */
static void *row_sub(const struct kind_def *kd, const Nhanluc__V1__ImportRow *r, int i)
{
    void *top = row_top(r);

    if (top == NULL || kd->sub_field[i] == NULL)
        return top;
    return ptr_at(top, field_of(kd->top, kd->sub_field[i])->offset);
}

/* --- enums ------------------------------------------------------------------ */

/* The prefix of an enum's value names: "BODY_" from "BODY_UNSPECIFIED"; "" if none. */
static size_t enum_prefix(const ProtobufCEnumDescriptor *d, const char **prefix)
{
    const ProtobufCEnumValue *zero = protobuf_c_enum_descriptor_get_value(d, 0);
    const char *u;

    *prefix = "";
    if (zero == NULL || (u = strstr(zero->name, "UNSPECIFIED")) == NULL)
        return 0;
    *prefix = zero->name;
    return (size_t)(u - zero->name);
}

/* The bare code of value v of a descriptor-only enum ("COMMITTEE"), or NULL. */
static const char *desc_code(const ProtobufCEnumDescriptor *d, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    const char *prefix;
    size_t plen = enum_prefix(d, &prefix);

    if (ev == NULL)
        return NULL;
    if (plen > 0 && strncmp(ev->name, prefix, plen) == 0)
        return ev->name + plen;
    return ev->name;
}

/* Parses a code ("committee", "Standing-Committee") or prefixed name of a descriptor enum. */
static int desc_parse(const ProtobufCEnumDescriptor *d, const char *s, size_t len, int *v)
{
    char buf[96];

    if (len == 0 || len >= sizeof(buf))
        return -1;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        buf[i] = (ch == '-' || ch == ' ') ? '_' : (char)toupper((unsigned char)ch);
    }
    buf[len] = '\0';
    for (unsigned i = 0; i < d->n_values; i++) {
        const ProtobufCEnumValue *ev = &d->values[i];
        const char *code = desc_code(d, ev->value);
        if (ev->value != 0 && (strcmp(buf, ev->name) == 0 || strcmp(buf, code) == 0)) {
            *v = ev->value;
            return 0;
        }
    }
    return -1;
}

/* The codes of a descriptor enum, comma-separated, into out. */
static void desc_choices(const ProtobufCEnumDescriptor *d, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < d->n_values && used + 1 < len; i++) {
        if (d->values[i].value == 0)
            continue;
        int w = snprintf(out + used, len - used, "%s%s", used ? ", " : "",
                         desc_code(d, d->values[i].value));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* --- reading cells ---------------------------------------------------------- */

/* Trims blanks around s[0..*len) in place of the pointer; returns the start. */
static const char *trim(const char *s, size_t *len)
{
    size_t n = strlen(s);

    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    return s;
}

/* A whole number within int32. Returns 0 or -1 (bad), -2 (out of range). */
static int parse_int(const char *s, size_t len, int32_t *out)
{
    char buf[32];
    char *end;
    long v;
    size_t i = 0;

    if (len == 0) {
        *out = 0;
        return 0;
    }
    if (len >= sizeof(buf))
        return -2;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (buf[0] == '-' || buf[0] == '+')
        i = 1;
    if (buf[i] == '\0')
        return -1;
    for (; buf[i] != '\0'; i++)
        if (buf[i] < '0' || buf[i] > '9')
            return -1;
    v = strtol(buf, &end, 10);
    if (v < INT32_MIN || v > INT32_MAX)
        return -2;
    *out = (int32_t)v;
    return 0;
}

/* A decimal number, '.' or one ',' as the decimal mark. Returns 0 or -1. */
static int parse_score(const char *s, size_t len, double *out)
{
    char buf[64];
    char *end;
    int commas = 0, dots = 0;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == ',')
            commas++;
        else if (buf[i] == '.')
            dots++;
        else if (!(buf[i] >= '0' && buf[i] <= '9') && !(i == 0 && (buf[i] == '-' || buf[i] == '+')))
            return -1;
    }
    if (commas + dots > 1)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == ',')
            buf[i] = '.';
    *out = strtod(buf, &end);
    if (end != buf + len || !isfinite(*out))
        return -1;
    return 0;
}

/* Writes "column NAME: reason" into err; returns -1. */
static int cell_bad(char *err, size_t errlen, const struct col *c, const char *reason)
{
    snprintf(err, errlen, "column %s: %s", c->name, reason);
    return -1;
}

/* Reads one cell into field fd of msg. 0, -1 with err, -2 out of memory. */
static int read_cell(const struct col *c, const ProtobufCFieldDescriptor *fd, void *msg,
                     const char *text, struct nl_arena *a, char *err, size_t errlen)
{
    char *base = msg;
    size_t len;
    const char *s = trim(text, &len);

    switch ((enum conv)c->conv) {
    case C_TEXT: {
        char *copy = nl_arena_strdup(a, text);
        if (copy == NULL)
            return -2;
        set_ptr_at(base, fd->offset, copy);
        return 0;
    }
    case C_DATE:
    case C_STAMP: {
        int32_t days;
        char *out;
        if (len == 0)
            return 0;
        if (nl_date_parse_any(s, len, &days) == 0) {
            out = nl_arena_alloc(a, 11);
            if (out == NULL)
                return -2;
            nl_date_format(days, out);
        } else if (c->conv == C_STAMP && len > 10 && nl_date_parse(s, 10, &days) == 0 &&
                   (s[10] == 'T' || s[10] == 't')) {
            /* An RFC 3339 timestamp: the server checks the rest. */
            out = nl_arena_strndup(a, s, len);
            if (out == NULL)
                return -2;
        } else {
            return cell_bad(err, errlen, c,
                            c->conv == C_DATE
                                ? "expected a date YYYY-MM-DD or DD/MM/YYYY"
                                : "expected a date (YYYY-MM-DD, DD/MM/YYYY) or an RFC 3339 "
                                  "timestamp");
        }
        set_ptr_at(base, fd->offset, out);
        return 0;
    }
    case C_INT: {
        int32_t v;
        int rc = parse_int(s, len, &v);
        if (rc == -1)
            return cell_bad(err, errlen, c, "expected a whole number");
        if (rc == -2)
            return cell_bad(err, errlen, c, "number out of range");
        memcpy(base + fd->offset, &v, sizeof(v));
        return 0;
    }
    case C_BOOL: {
        int v;
        protobuf_c_boolean b;
        if (nl_label_parse(NL_F_BOOL, text, &v) != 0)
            return cell_bad(err, errlen, c,
                            "expected a yes/no value (true/false, 1/0, yes/no, có/không, x/empty)");
        b = v != 0;
        memcpy(base + fd->offset, &b, sizeof(b));
        return 0;
    }
    case C_ENUM: {
        int v = 0;
        char reason[400], choices[300];
        if (len > 0) {
            int bad;
            if (c->label >= 0) {
                bad = nl_label_parse((enum nl_field)c->label, text, &v) != 0;
                snprintf(choices, sizeof(choices), "%s", nl_label_choices((enum nl_field)c->label));
            } else {
                bad = desc_parse(fd->descriptor, s, len, &v) != 0;
                desc_choices(fd->descriptor, choices, sizeof(choices));
            }
            if (bad) {
                snprintf(reason, sizeof(reason), "unknown value (expected one of: %s)", choices);
                return cell_bad(err, errlen, c, reason);
            }
        }
        memcpy(base + fd->offset, &v, sizeof(v));
        return 0;
    }
    case C_SCORE: {
        double v;
        Nhanluc__V1__Score *sc;
        if (len == 0)
            return 0;
        if (parse_score(s, len, &v) != 0)
            return cell_bad(err, errlen, c, "expected a number such as 8.5");
        sc = nl_arena_alloc(a, sizeof(*sc));
        if (sc == NULL)
            return -2;
        nhanluc__v1__score__init(sc);
        sc->value = v;
        set_ptr_at(base, fd->offset, sc);
        return 0;
    }
    case C_LIST: {
        size_t n = 0, k = 0;
        char **list;
        for (size_t i = 0; i < len; i++)
            n += s[i] == ';';
        list = nl_arena_alloc(a, (n + 1) * sizeof(char *));
        if (list == NULL)
            return -2;
        for (size_t i = 0; i < len;) {
            size_t j = i, from = i, to;
            while (j < len && s[j] != ';')
                j++;
            to = j;
            while (from < to && (s[from] == ' ' || s[from] == '\t'))
                from++;
            while (to > from && (s[to - 1] == ' ' || s[to - 1] == '\t'))
                to--;
            if (to > from && (list[k++] = nl_arena_strndup(a, s + from, to - from)) == NULL)
                return -2;
            i = j + 1;
        }
        memcpy(base + fd->quantifier_offset, &k, sizeof(k));
        set_ptr_at(base, fd->offset, list);
        return 0;
    }
    }
    return cell_bad(err, errlen, c, "internal: unknown column type");
}

/* A new message of descriptor d in the arena, initialised. */
static void *new_msg(struct nl_arena *a, const ProtobufCMessageDescriptor *d)
{
    void *m = nl_arena_alloc(a, d->sizeof_message);

    if (m != NULL)
        protobuf_c_message_init(d, m);
    return m;
}

/* terms.csv: a code YYYY-YYYY gives the years its row leaves empty. */
static void terms_years(Nhanluc__V1__Term *t)
{
    int start, end;

    if (t->start_year == 0 && t->end_year == 0 && nl_term_code_years(t->code, &start, &end) == 0) {
        t->start_year = start;
        t->end_year = end;
    }
}

/*
 * cadres.csv: the profile is sent when as_of is given; without as_of every
 * profile cell must be empty (the row then updates only the cadre).
 */
static int cadres_profile(const struct kind_def *kd, const char *const *cells,
                          Nhanluc__V1__UpsertCadreRequest *req, char *err, size_t errlen)
{
    if (req->profile->as_of[0] != '\0')
        return 0;
    for (size_t i = 0; i < kd->ncols; i++) {
        size_t len;
        if (kd->cols[i].sub != 1 || cells[i] == NULL)
            continue;
        (void)trim(cells[i], &len);
        if (len > 0) {
            snprintf(err, errlen,
                     "column as_of: needed when column %s is filled (the profile "
                     "is valid from as_of)",
                     kd->cols[i].name);
            return -1;
        }
    }
    req->profile = NULL;
    return 0;
}

int nl_csvrow_parse(enum nl_csvkind k, const char *const *cells, uint32_t line, struct nl_arena *a,
                    Nhanluc__V1__ImportRow **out, char *err, size_t errlen)
{
    const struct kind_def *kd;
    Nhanluc__V1__ImportRow *r;
    void *top, *sub[2];
    int rc;

    if ((unsigned)k >= NL_CSVKIND_COUNT) {
        snprintf(err, errlen, "unknown file kind");
        return -1;
    }
    kd = &kinds[k];
    r = new_msg(a, &nhanluc__v1__import_row__descriptor);
    top = new_msg(a, kd->top);
    if (r == NULL || top == NULL)
        return -2;
    r->line = line;
    r->record_case = kd->rcase;
    set_ptr_at(r, field_of(&nhanluc__v1__import_row__descriptor, kd->row_field)->offset, top);
    for (int i = 0; i < 2; i++) {
        sub[i] = top;
        if (kd->sub_field[i] != NULL) {
            sub[i] = new_msg(a, sub_desc(kd, i));
            if (sub[i] == NULL)
                return -2;
            set_ptr_at(top, field_of(kd->top, kd->sub_field[i])->offset, sub[i]);
        }
    }
    for (size_t i = 0; i < kd->ncols; i++) {
        const struct col *c = &kd->cols[i];
        const ProtobufCFieldDescriptor *fd = field_of(sub_desc(kd, c->sub), c->name);
        if (fd == NULL) {
            snprintf(err, errlen, "column %s: internal: no such field", c->name);
            return -1;
        }
        rc = read_cell(c, fd, sub[c->sub], cells[i] != NULL ? cells[i] : "", a, err, errlen);
        if (rc != 0)
            return rc;
    }
    if (k == NL_CSVKIND_TERMS)
        terms_years(top);
    if (k == NL_CSVKIND_CADRES && cadres_profile(kd, cells, top, err, errlen) != 0)
        return -1;
    *out = r;
    return 0;
}

int nl_csvrow_read(const struct nl_csvmap *m, const struct nl_csv *c, size_t row,
                   struct nl_arena *a, Nhanluc__V1__ImportRow **out, char *err, size_t errlen)
{
    const char *cells[NL_CSVROWS_MAX_COLS];
    unsigned long line = nl_csv_line(c, row);
    char why[512];
    int rc;

    size_t extra = nl_csv_extra_field(c, row);
    if (extra != 0) {
        snprintf(err, errlen, "%s:%lu: a value in field %zu, beyond the header's %d columns",
                 nl_csv_path(c), line, extra, nl_csv_columns(c));
        return -1;
    }
    for (size_t i = 0; i < nl_csvkind_ncols(m->kind); i++)
        cells[i] = m->src[i] >= 0 ? nl_csv_cell(c, row, m->src[i]) : NULL;
    rc = nl_csvrow_parse(m->kind, cells, (uint32_t)line, a, out, why, sizeof(why));
    if (rc == -1)
        snprintf(err, errlen, "%s:%lu: %s", nl_csv_path(c), line, why);
    else if (rc == -2)
        snprintf(err, errlen, "%s:%lu: out of memory", nl_csv_path(c), line);
    return rc;
}

/* --- writing cells ---------------------------------------------------------- */

/* The shortest text of v that strtod reads back as v. */
static void score_text(double v, char out[32])
{
    for (int prec = 1; prec <= 17; prec++) {
        (void)snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* The text of one field; "" when absent. NULL when out of memory. */
static const char *write_cell(const struct col *c, const ProtobufCFieldDescriptor *fd,
                              const void *msg, struct nl_arena *a)
{
    const char *base = msg;
    char buf[32];

    if (msg == NULL)
        return "";
    switch ((enum conv)c->conv) {
    case C_TEXT:
    case C_DATE:
    case C_STAMP: {
        const char *s = ptr_at(base, fd->offset);
        return s != NULL ? s : "";
    }
    case C_INT: {
        int32_t v;
        memcpy(&v, base + fd->offset, sizeof(v));
        (void)snprintf(buf, sizeof(buf), "%d", (int)v);
        return nl_arena_strdup(a, buf);
    }
    case C_BOOL: {
        protobuf_c_boolean b;
        memcpy(&b, base + fd->offset, sizeof(b));
        return b ? "true" : "false";
    }
    case C_ENUM: {
        int v;
        const char *code;
        memcpy(&v, base + fd->offset, sizeof(v));
        if (v == 0)
            return "";
        code = c->label >= 0 ? nl_label_code((enum nl_field)c->label, v)
                             : desc_code(fd->descriptor, v);
        if (code != NULL)
            return code;
        (void)snprintf(buf, sizeof(buf), "%d", v); /* a newer server's value */
        return nl_arena_strdup(a, buf);
    }
    case C_SCORE: {
        const Nhanluc__V1__Score *sc = ptr_at(base, fd->offset);
        if (sc == NULL)
            return "";
        score_text(sc->value, buf);
        return nl_arena_strdup(a, buf);
    }
    case C_LIST: {
        size_t n, len = 0;
        char **list = ptr_at(base, fd->offset), *out, *p;
        memcpy(&n, base + fd->quantifier_offset, sizeof(n));
        for (size_t i = 0; i < n; i++)
            len += strlen(list[i]) + 1;
        out = p = nl_arena_alloc(a, len + 1);
        if (out == NULL)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(list[i]);
            if (i > 0)
                *p++ = ';';
            memcpy(p, list[i], l);
            p += l;
        }
        *p = '\0';
        return out;
    }
    }
    return "";
}

int nl_csvrow_format(enum nl_csvkind k, const Nhanluc__V1__ImportRow *r, struct nl_arena *a,
                     const char **cells)
{
    const struct kind_def *kd;

    if ((unsigned)k >= NL_CSVKIND_COUNT || r->record_case != kinds[k].rcase)
        return -1;
    kd = &kinds[k];
    for (size_t i = 0; i < kd->ncols; i++) {
        const struct col *c = &kd->cols[i];
        const ProtobufCFieldDescriptor *fd = field_of(sub_desc(kd, c->sub), c->name);
        if (fd == NULL)
            return -1;
        cells[i] = write_cell(c, fd, row_sub(kd, r, c->sub), a);
        if (cells[i] == NULL)
            return -2;
    }
    return 0;
}

/* Writes cells[0..n-1] as one CSV line with CRLF. 0 or -1. */
static int write_line(FILE *f, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((i > 0 && fputc(',', f) == EOF) || nl_csv_field(f, cells[i]) != 0)
            return -1;
    }
    return fputs("\r\n", f) == EOF ? -1 : 0;
}

int nl_csvrow_write_header(FILE *f, enum nl_csvkind k)
{
    const char *names[NL_CSVROWS_MAX_COLS];

    if ((unsigned)k >= NL_CSVKIND_COUNT)
        return -1;
    for (size_t i = 0; i < kinds[k].ncols; i++)
        names[i] = kinds[k].cols[i].name;
    return write_line(f, names, kinds[k].ncols);
}

int nl_csvrow_write(FILE *f, enum nl_csvkind k, const Nhanluc__V1__ImportRow *r)
{
    const char *cells[NL_CSVROWS_MAX_COLS];
    struct nl_arena a;
    int rc;

    nl_arena_init(&a, 0);
    rc = nl_csvrow_format(k, r, &a, cells);
    if (rc == 0)
        rc = write_line(f, cells, kinds[k].ncols);
    nl_arena_release(&a);
    return rc;
}

const char *nl_csvkind_column_of_field(enum nl_csvkind k, const char *path)
{
    size_t end;

    if ((unsigned)k >= NL_CSVKIND_COUNT || path == NULL)
        return NULL;
    end = strlen(path);
    while (end > 0) {
        size_t start = end, len;
        char part[64];
        while (start > 0 && path[start - 1] != '.')
            start--;
        len = end - start;
        /* "sources[2]" names the column "sources". */
        const char *br = memchr(path + start, '[', len);
        if (br != NULL)
            len = (size_t)(br - (path + start));
        if (len > 0 && len < sizeof(part)) {
            memcpy(part, path + start, len);
            part[len] = '\0';
            int ci = col_index(k, part);
            if (ci >= 0)
                return kinds[k].cols[ci].name;
        }
        end = start > 0 ? start - 1 : 0;
    }
    return NULL;
}
