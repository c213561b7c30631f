/*
 * rec_classes.c - Records handlers for training classes and their
 * enrolments: SubmitClass, GetClass, ListClasses, CancelClass.
 *
 * Each handler checks its request first (a *check* that only reads it and
 * answers INVALID_ARGUMENT naming the field path, "training_class.end_date"
 * or "enrolments[3].attended", never a value), then calls the store
 * (store_classes.h), which checks what needs the database (the organiser unit
 * valid on the class's dates, the target group, the term, each cadre) before
 * it writes anything. SubmitClass is one class with its trainees in one call:
 * one refused field refuses the whole request and nothing is written (the
 * writer's savepoint also rolls back whatever a later failure left).
 *
 * Text is stored in NFC (common/text.h); a title may hold line breaks, which
 * nl_text_nfc() counts as control characters, so the title is normalised line
 * by line and the breaks are kept as sent.
 *
 * ListClasses page tokens are opaque to clients: base64 of "c1|" + the
 * (end_date, organiser code, class_ref) of the last row returned, the keyset
 * of the list order; a token is checked like any other input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/date.h"
#include "../common/text.h"
#include "../common/wire.h"
#include "nhanluc/v1/records.pb-c.h"
#include "scope_auth.h"
#include "store.h"
#include "store_classes.h"
#include "store_reports.h"
#include "svc_records.h"
#include "svc_util.h"

#define CODE_MAX          64
#define TITLE_MAX         300
#define CERTIFICATE_MAX   64
#define CATALOGUE_MAX     200 /* a target group code or label (svc_catalog.c) */
#define TERM_CODE_LEN     9
#define SCORE_MAX         10.0
#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX     1000
#define TOKEN_PREFIX      "c1|"
#define TOKEN_PREFIX_LEN  3
#define TOKEN_MAX         256 /* base64 of "c1|" + 10 + 1 + 64 + 1 + 64 bytes is 192 */

static const char unit_rule[] = "must be 1-64 characters of a-z, 0-9 and '-'";
static const char ref_rule[] = "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '/' and '-'";
static const char cadre_rule[] = "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'";

/* 1 if s (len bytes) is 1..64 bytes of [A-Za-z0-9._-] plus '/' when `slash`. */
static int key_valid(const char *s, size_t len, int slash)
{
    if (len == 0 || len > CODE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || (slash && c == '/')))
            return 0;
    }
    return 1;
}

static int class_ref_valid(const char *s, size_t len)
{
    return key_valid(s, len, 1);
}

/* 1 if v is a value of enum `d` other than 0 (the *_UNSPECIFIED one). */
static int enum_known(const ProtobufCEnumDescriptor *d, int v)
{
    return v != 0 && protobuf_c_enum_descriptor_get_value(d, v) != NULL;
}

/* A required enum field: "required" for 0, "unknown value" for a number the proto lacks. */
static enum nl_status check_enum(struct nl_ctx *ctx, const ProtobufCEnumDescriptor *d, int v,
                                 const char *path)
{
    if (v == 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", path);
    if (!enum_known(d, v))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: unknown value", path);
    return NL_OK;
}

/* The INVALID_ARGUMENT (or out of memory) for an nl_text_rc of field `path`. */
static enum nl_status text_error(struct nl_ctx *ctx, int rc, const char *path, size_t max)
{
    switch (rc) {
    case NL_TEXT_EMPTY:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", path);
    case NL_TEXT_TOOLONG:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: must be at most %zu bytes", path, max);
    case NL_TEXT_NOMEM:
        return nl_svc_out_of_memory(ctx);
    default:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: %s", path, nl_text_strerror(rc));
    }
}

/* Parses a required "YYYY-MM-DD" field into *days. */
static enum nl_status check_date(struct nl_ctx *ctx, const char *s, const char *path, int32_t *days)
{
    if (s[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", path);
    if (nl_date_parse(s, strlen(s), days) != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: must be a date YYYY-MM-DD", path);
    return NL_OK;
}

/* --- messages from records --- */

static Nhanluc__V1__TrainingClass *class_msg(struct nl_ctx *ctx, const struct nl_class_rec *r)
{
    Nhanluc__V1__TrainingClass *m = nl_arena_alloc(ctx->arena, sizeof(*m));

    if (m == NULL)
        return NULL;
    nhanluc__v1__training_class__init(m);
    m->class_ref = nl_svc_unconst(r->class_ref);
    m->organiser_unit = nl_svc_unconst(r->organiser_unit);
    m->title = nl_svc_unconst(r->title);
    m->kind = (Nhanluc__V1__TrainingKind)r->kind;
    m->area = (Nhanluc__V1__Area)r->area;
    m->target_group = nl_svc_unconst(r->target_group);
    m->planning_term = nl_svc_unconst(r->planning_term);
    m->mode = (Nhanluc__V1__ClassMode)r->mode;
    m->start_date = nl_svc_unconst(r->start_date);
    m->end_date = nl_svc_unconst(r->end_date);
    m->sessions = r->sessions;
    m->planned_trainees = r->planned_trainees;
    m->status = (Nhanluc__V1__ClassStatus)r->status;
    return m;
}

static Nhanluc__V1__Enrolment *enrolment_msg(struct nl_ctx *ctx, const struct nl_enrolment_rec *r)
{
    Nhanluc__V1__Enrolment *m = nl_arena_alloc(ctx->arena, sizeof(*m));

    if (m == NULL)
        return NULL;
    nhanluc__v1__enrolment__init(m);
    m->cadre_code = nl_svc_unconst(r->cadre_code);
    m->status = (Nhanluc__V1__EnrolmentStatus)r->status;
    m->result = (Nhanluc__V1__Result)r->result;
    m->attended = r->attended;
    m->absent_excused = r->absent_excused;
    m->absent_unexcused = r->absent_unexcused;
    if (r->has_thesis) {
        m->thesis_score = nl_arena_alloc(ctx->arena, sizeof(*m->thesis_score));
        if (m->thesis_score == NULL)
            return NULL;
        nhanluc__v1__score__init(m->thesis_score);
        m->thesis_score->value = r->thesis_score;
    }
    m->certificate_no = nl_svc_unconst(r->certificate_no);
    return m;
}

/* --- SubmitClass --- */

/* Validates the class and fills *rec (the title NFC in ctx->arena). */
static enum nl_status class_check(struct nl_ctx *ctx, const Nhanluc__V1__TrainingClass *c,
                                  struct nl_class_rec *rec)
{
    enum nl_status st;
    int32_t start, end;
    char *title = NULL;
    int rc;

    if (c == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "training_class: required");
    if (!class_ref_valid(c->class_ref, strlen(c->class_ref)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "training_class.class_ref: %s", ref_rule);
    if (!nl_svc_unit_code_valid(c->organiser_unit, strlen(c->organiser_unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "training_class.organiser_unit: %s",
                             unit_rule);
    rc = nl_text_nfc_lines(ctx->arena, c->title, strlen(c->title), 1, TITLE_MAX, 0, &title);
    if (rc != NL_TEXT_OK)
        return text_error(ctx, rc, "training_class.title", TITLE_MAX);
    st = check_enum(ctx, &nhanluc__v1__training_kind__descriptor, (int)c->kind,
                    "training_class.kind");
    if (st == NL_OK)
        st = check_enum(ctx, &nhanluc__v1__area__descriptor, (int)c->area, "training_class.area");
    if (st != NL_OK)
        return st;
    if (c->target_group[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "training_class.target_group: required");
    if (strlen(c->target_group) > CATALOGUE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "training_class.target_group: not in the catalogue");
    if (c->planning_term[0] != '\0' && strlen(c->planning_term) != TERM_CODE_LEN)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "training_class.planning_term: must be a term code YYYY-YYYY");
    st = check_enum(ctx, &nhanluc__v1__class_mode__descriptor, (int)c->mode, "training_class.mode");
    if (st == NL_OK)
        st = check_date(ctx, c->start_date, "training_class.start_date", &start);
    if (st == NL_OK)
        st = check_date(ctx, c->end_date, "training_class.end_date", &end);
    if (st != NL_OK)
        return st;
    if (start > end)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "training_class.end_date: must not be before start_date");
    if (c->sessions < 1)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "training_class.sessions: must be >= 1");
    if (c->planned_trainees < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "training_class.planned_trainees: must be >= 0");
    st = check_enum(ctx, &nhanluc__v1__class_status__descriptor, (int)c->status,
                    "training_class.status");
    if (st != NL_OK)
        return st;

    rec->class_ref = c->class_ref;
    rec->organiser_unit = c->organiser_unit;
    rec->title = title;
    rec->kind = (int)c->kind;
    rec->area = (int)c->area;
    rec->target_group = c->target_group;
    rec->planning_term = c->planning_term;
    rec->mode = (int)c->mode;
    rec->start_date = c->start_date;
    rec->end_date = c->end_date;
    rec->sessions = c->sessions;
    rec->planned_trainees = c->planned_trainees;
    rec->status = (int)c->status;
    return NL_OK;
}

/*
 * Validates enrolment `e` of a class of `sessions` sessions and fills *rec.
 * `at` is the enrolment's field path in the request ("enrolments[3]" in
 * SubmitClass, "row.enrolment" in UpsertEnrolment); messages start with it.
 */
static enum nl_status enrolment_check(struct nl_ctx *ctx, const char *at,
                                      const Nhanluc__V1__Enrolment *e, int sessions,
                                      struct nl_enrolment_rec *rec)
{
    char path[96];
    char *cert = NULL;
    int rc;

    if (e == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", at);
    if (!key_valid(e->cadre_code, strlen(e->cadre_code), 0))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.cadre_code: %s", at, cadre_rule);
    (void)snprintf(path, sizeof(path), "%s.status", at);
    enum nl_status st =
        check_enum(ctx, &nhanluc__v1__enrolment_status__descriptor, (int)e->status, path);
    if (st != NL_OK)
        return st;
    if (e->result != NHANLUC__V1__RESULT__RESULT_UNSPECIFIED) {
        if (!enum_known(&nhanluc__v1__result__descriptor, (int)e->result))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.result: unknown value", at);
        if (e->status != NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED &&
            e->status != NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_FAILED)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "%s.result: only a COMPLETED or FAILED enrolment has a result",
                                 at);
    }
    if (e->attended < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.attended: must be >= 0", at);
    if (e->absent_excused < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.absent_excused: must be >= 0", at);
    if (e->absent_unexcused < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.absent_unexcused: must be >= 0", at);
    if ((int64_t)e->attended + e->absent_excused + e->absent_unexcused > sessions)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "%s.attended: attended + absent_excused + "
                             "absent_unexcused must not exceed training_class.sessions",
                             at);
    /* Written so that NaN fails too. */
    if (e->thesis_score != NULL &&
        !(e->thesis_score->value >= 0.0 && e->thesis_score->value <= SCORE_MAX))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.thesis_score: must be 0-10", at);
    (void)snprintf(path, sizeof(path), "%s.certificate_no", at);
    rc = nl_text_nfc(ctx->arena, e->certificate_no, strlen(e->certificate_no), 0, CERTIFICATE_MAX,
                     &cert);
    if (rc != NL_TEXT_OK)
        return text_error(ctx, rc, path, CERTIFICATE_MAX);

    rec->cadre_code = e->cadre_code;
    rec->status = (int)e->status;
    rec->result = (int)e->result;
    rec->attended = e->attended;
    rec->absent_excused = e->absent_excused;
    rec->absent_unexcused = e->absent_unexcused;
    rec->has_thesis = e->thesis_score != NULL;
    rec->thesis_score = rec->has_thesis ? e->thesis_score->value : 0.0;
    rec->certificate_no = cert;
    return NL_OK;
}

/* qsort order of enrolment records by cadre_code (pointers into the array). */
static int cmp_cadre(const void *x, const void *y)
{
    const struct nl_enrolment_rec *const *a = x;
    const struct nl_enrolment_rec *const *b = y;
    int c = strcmp((*a)->cadre_code, (*b)->cadre_code);

    /* Equal codes keep request order, so the later one is reported. */
    if (c != 0)
        return c;
    return *a < *b ? -1 : *a > *b;
}

/* INVALID_ARGUMENT naming the second enrolment of a cadre listed twice. */
static enum nl_status check_duplicates(struct nl_ctx *ctx, const struct nl_enrolment_rec *recs,
                                       size_t n)
{
    const struct nl_enrolment_rec **by;
    size_t dup = SIZE_MAX;

    if (n < 2)
        return NL_OK;
    by = nl_arena_alloc(ctx->arena, n * sizeof(*by));
    if (by == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++)
        by[i] = &recs[i];
    qsort(by, n, sizeof(*by), cmp_cadre);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(by[i - 1]->cadre_code, by[i]->cadre_code) == 0) {
            size_t idx = (size_t)(by[i] - recs);
            if (idx < dup)
                dup = idx;
        }
    }
    if (dup != SIZE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "enrolments[%zu].cadre_code: the cadre is listed twice", dup);
    return NL_OK;
}

enum nl_status nl_rec_submit_class(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                   ProtobufCMessage *resp_)
{
    const Nhanluc__V1__SubmitClassRequest *req = (const Nhanluc__V1__SubmitClassRequest *)req_;
    Nhanluc__V1__SubmitClassResponse *resp = (Nhanluc__V1__SubmitClassResponse *)resp_;
    struct nl_class_rec cls;
    struct nl_enrolment_rec *recs = NULL;
    struct nl_class_submit_res res;
    enum nl_status st;

    /* check */
    st = class_check(ctx, req->training_class, &cls);
    if (st != NL_OK)
        return st;
    if (req->n_enrolments > NL_CLASS_MAX_ENROLMENTS)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "enrolments: at most %d per class",
                             NL_CLASS_MAX_ENROLMENTS);
    if (req->n_enrolments > 0) {
        recs = nl_arena_alloc(ctx->arena, req->n_enrolments * sizeof(*recs));
        if (recs == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    for (size_t i = 0; i < req->n_enrolments; i++) {
        char at[40];

        (void)snprintf(at, sizeof(at), "enrolments[%zu]", i);
        st = enrolment_check(ctx, at, req->enrolments[i], cls.sessions, &recs[i]);
        if (st != NL_OK)
            return st;
    }
    st = check_duplicates(ctx, recs, req->n_enrolments);
    if (st != NL_OK)
        return st;

    /* proceed: a district organises classes for its own units only */
    st = nl_auth_write_unit(ctx, cls.organiser_unit, "training_class.organiser_unit");
    if (st != NL_OK)
        return st;
    st = nl_store_class_submit(ctx->store, &cls, recs, req->n_enrolments, &res, ctx->arena,
                               ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return st;
    resp->outcome = (Nhanluc__V1__WriteOutcome)res.outcome;
    resp->enrolments_created = res.enrolments_created;
    resp->enrolments_updated = res.enrolments_updated;
    resp->enrolments_unchanged = res.enrolments_unchanged;
    return NL_OK;
}

/* --- GetClass --- */

/* The key fields of GetClass and CancelClass. */
static enum nl_status key_check(struct nl_ctx *ctx, const char *unit, const char *class_ref)
{
    if (!nl_svc_unit_code_valid(unit, strlen(unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "organiser_unit: %s", unit_rule);
    if (!class_ref_valid(class_ref, strlen(class_ref)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "class_ref: %s", ref_rule);
    return NL_OK;
}

enum nl_status nl_rec_get_class(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                ProtobufCMessage *resp_)
{
    const Nhanluc__V1__GetClassRequest *req = (const Nhanluc__V1__GetClassRequest *)req_;
    Nhanluc__V1__GetClassResponse *resp = (Nhanluc__V1__GetClassResponse *)resp_;
    struct nl_class_rec cls;
    struct nl_enrolment_rec *rows = NULL;
    size_t n = 0;
    enum nl_status st = key_check(ctx, req->organiser_unit, req->class_ref);

    if (st != NL_OK)
        return st;
    /* Another unit's class reads as absent (scope_auth.h). */
    st = nl_auth_read_unit(ctx, req->organiser_unit, "organiser_unit");
    if (st == NL_OK)
        st = nl_store_class_get(ctx->store, req->organiser_unit, req->class_ref, &cls, &rows, &n,
                                ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "class not found");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->training_class = class_msg(ctx, &cls);
    if (resp->training_class == NULL)
        return nl_svc_out_of_memory(ctx);
    if (n > 0) {
        resp->enrolments = nl_arena_alloc(ctx->arena, n * sizeof(*resp->enrolments));
        if (resp->enrolments == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->enrolments[i] = enrolment_msg(ctx, &rows[i]);
            if (resp->enrolments[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_enrolments = n;
    }
    return NL_OK;
}

/* --- ListClasses --- */

/*
 * Decodes a page token into the key of the last row of the previous page
 * (strings in the arena). An empty token is the first page (all ""). Returns
 * 0, -1 for a token this server did not make, -2 when out of memory.
 */
static int page_token_decode(struct nl_arena *a, const char *tok, struct nl_class_key *key)
{
    struct nl_buf b;
    size_t len = strlen(tok);
    int rc = -1;

    key->end_date = key->organiser_unit = key->class_ref = "";
    if (len == 0)
        return 0;
    if (len > TOKEN_MAX)
        return -1;
    nl_buf_init(&b, TOKEN_MAX);
    if (nl_wire_b64_decode(&b, tok, len) == 0 && b.len > TOKEN_PREFIX_LEN &&
        memcmp(b.data, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0) {
        const char *p = (const char *)b.data + TOKEN_PREFIX_LEN;
        const char *end = (const char *)b.data + b.len;
        const char *bar1 = memchr(p, '|', (size_t)(end - p));
        const char *bar2 = bar1 != NULL ? memchr(bar1 + 1, '|', (size_t)(end - bar1 - 1)) : NULL;
        int32_t days;

        if (bar2 != NULL && nl_date_parse(p, (size_t)(bar1 - p), &days) == 0 &&
            nl_svc_unit_code_valid(bar1 + 1, (size_t)(bar2 - bar1 - 1)) &&
            class_ref_valid(bar2 + 1, (size_t)(end - bar2 - 1))) {
            char *d = nl_arena_strndup(a, p, (size_t)(bar1 - p));
            char *u = nl_arena_strndup(a, bar1 + 1, (size_t)(bar2 - bar1 - 1));
            char *r = nl_arena_strndup(a, bar2 + 1, (size_t)(end - bar2 - 1));
            if (d == NULL || u == NULL || r == NULL) {
                rc = -2;
            } else {
                key->end_date = d;
                key->organiser_unit = u;
                key->class_ref = r;
                rc = 0;
            }
        }
    }
    nl_buf_release(&b);
    return rc;
}

/* Encodes the token that continues after class `c`; NULL when out of memory. */
static char *page_token_encode(struct nl_arena *a, const struct nl_class_rec *c)
{
    struct nl_buf raw, enc;
    char *tok = NULL;

    nl_buf_init(&raw, TOKEN_MAX);
    nl_buf_init(&enc, TOKEN_MAX);
    if (nl_buf_appendf(&raw, "%s%s|%s|%s", TOKEN_PREFIX, c->end_date, c->organiser_unit,
                       c->class_ref) == 0 &&
        nl_wire_b64_encode(&enc, raw.data, raw.len) == 0)
        tok = nl_arena_strndup(a, (const char *)enc.data, enc.len);
    nl_buf_release(&raw);
    nl_buf_release(&enc);
    return tok;
}

/* Validates the filters of a ListClasses request into *f (dates in `from`/`to`). */
static enum nl_status list_check(struct nl_ctx *ctx, const Nhanluc__V1__ListClassesRequest *req,
                                 struct nl_class_filter *f)
{
    if (req->unit[0] != '\0' && !nl_svc_unit_code_valid(req->unit, strlen(req->unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: %s", unit_rule);
    if (req->term[0] != '\0') {
        const char *t = req->term;
        int shape = strlen(t) == TERM_CODE_LEN && t[4] == '-';
        for (int i = 0; shape && i < TERM_CODE_LEN; i++)
            shape = i == 4 || (t[i] >= '0' && t[i] <= '9');
        if (!shape)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term: must be a term code YYYY-YYYY");
    }
    if (req->year < 0 || req->year > 9999)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "year: must be 0 (any) or 1-9999");
    if (req->kind != 0 && !enum_known(&nhanluc__v1__training_kind__descriptor, (int)req->kind))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "kind: unknown value");
    if (req->area != 0 && !enum_known(&nhanluc__v1__area__descriptor, (int)req->area))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "area: unknown value");
    if (req->status != 0 && !enum_known(&nhanluc__v1__class_status__descriptor, (int)req->status))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "status: unknown value");
    if (strlen(req->target_group) > CATALOGUE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target_group: not in the catalogue");
    if (req->page_size < 0 || req->page_size > PAGE_SIZE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0-%d", PAGE_SIZE_MAX);
    f->unit = req->unit;
    f->kind = (int)req->kind;
    f->area = (int)req->area;
    f->target_group = req->target_group;
    f->status = (int)req->status;
    return NL_OK;
}

enum nl_status nl_rec_list_classes(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                   ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListClassesRequest *req = (const Nhanluc__V1__ListClassesRequest *)req_;
    Nhanluc__V1__ListClassesResponse *resp = (Nhanluc__V1__ListClassesResponse *)resp_;
    struct nl_class_filter f;
    struct nl_class_key after;
    struct nl_class_summary_rec *rows = NULL;
    char from[11] = "", to[11] = "", yfrom[11], yto[11];
    size_t limit, n = 0;
    enum nl_status st;
    int more = 0, trc;

    /* check */
    memset(&f, 0, sizeof(f));
    st = list_check(ctx, req, &f);
    if (st != NL_OK)
        return st;
    limit = req->page_size == 0 ? PAGE_SIZE_DEFAULT : (size_t)req->page_size;
    trc = page_token_decode(ctx->arena, req->page_token, &after);
    if (trc == -2)
        return nl_svc_out_of_memory(ctx);
    if (trc != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_token: invalid");

    /* proceed: the end_date window is the term's, narrowed to the year. */
    if (req->term[0] != '\0') {
        st = nl_store_class_term_window(ctx->store, req->term, from, to);
        if (st == NL_NOT_FOUND)
            return nl_ctx_errorf(ctx, NL_NOT_FOUND, "term not found");
        if (st != NL_OK)
            return nl_svc_store_error(ctx, st);
    }
    if (req->year != 0) {
        nl_date_format(nl_date_from_ymd(req->year, 1, 1), yfrom);
        nl_date_format(nl_date_from_ymd(req->year, 12, 31), yto);
        if (from[0] == '\0' || strcmp(yfrom, from) > 0)
            memcpy(from, yfrom, sizeof(from));
        if (to[0] == '\0' || strcmp(yto, to) < 0)
            memcpy(to, yto, sizeof(to));
    }
    f.end_from = from;
    f.end_to = to;
    /* A district names only its own units and lists only their classes, before paging. */
    if (f.unit != NULL && f.unit[0] != '\0') {
        st = nl_auth_read_unit(ctx, f.unit, "unit");
        if (st == NL_NOT_FOUND)
            return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
        if (st != NL_OK)
            return st;
    }
    f.scope = nl_auth_scope(ctx);
    st = nl_store_class_list(ctx->store, &f, &after, limit, &rows, &n, &more, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st == NL_INVALID_ARGUMENT)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target_group: not in the catalogue");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);

    if (n > 0) {
        resp->classes = nl_arena_alloc(ctx->arena, n * sizeof(*resp->classes));
        if (resp->classes == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            Nhanluc__V1__ClassSummary *s = nl_arena_alloc(ctx->arena, sizeof(*s));
            if (s == NULL)
                return nl_svc_out_of_memory(ctx);
            nhanluc__v1__class_summary__init(s);
            s->training_class = class_msg(ctx, &rows[i].cls);
            if (s->training_class == NULL)
                return nl_svc_out_of_memory(ctx);
            s->enrolments = rows[i].enrolments;
            resp->classes[i] = s;
        }
        resp->n_classes = n;
    }
    if (more && n > 0) {
        resp->next_page_token = page_token_encode(ctx->arena, &rows[n - 1].cls);
        if (resp->next_page_token == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    return NL_OK;
}

/* --- CancelClass --- */

enum nl_status nl_rec_cancel_class(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                   ProtobufCMessage *resp_)
{
    const Nhanluc__V1__CancelClassRequest *req = (const Nhanluc__V1__CancelClassRequest *)req_;
    Nhanluc__V1__CancelClassResponse *resp = (Nhanluc__V1__CancelClassResponse *)resp_;
    struct nl_class_rec cls;
    char lock_msg[sizeof(ctx->msg)] = "";
    int outcome = 0, locked = 0;
    enum nl_status st = key_check(ctx, req->organiser_unit, req->class_ref);

    if (st != NL_OK)
        return st;
    st = nl_auth_write_unit(ctx, req->organiser_unit, "organiser_unit");
    if (st != NL_OK)
        return st;
    /*
     * REPORT LOCK: an APPROVED report of the class's unit-year refuses the
     * cancel of a class not yet cancelled (the writer rolls the write back);
     * cancelling it again changes nothing and passes as UNCHANGED.
     */
    st = nl_store_report_class_check(ctx->store, req->organiser_unit, req->class_ref, NULL,
                                     lock_msg, sizeof(lock_msg));
    if (st == NL_FAILED_PRECONDITION)
        locked = 1;
    else if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    st = nl_store_class_cancel(ctx->store, req->organiser_unit, req->class_ref, &cls, &outcome,
                               ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "class not found");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (locked && outcome != NL_WRITE_UNCHANGED)
        return nl_ctx_errorf(ctx, NL_FAILED_PRECONDITION, "%s", lock_msg);
    resp->training_class = class_msg(ctx, &cls);
    if (resp->training_class == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->outcome = (Nhanluc__V1__WriteOutcome)outcome;
    return NL_OK;
}

/* --- UpsertEnrolment --- */

/*
 * Replaces a leading `from` path in ctx->msg (followed by '.', ':' or the
 * end) with `to`, so a store message about SubmitClass's "enrolments[0]"
 * names the field of UpsertEnrolment's request.
 */
static void msg_rename(struct nl_ctx *ctx, const char *from, const char *to)
{
    size_t n = strlen(from), m = strlen(to), len = strlen(ctx->msg);

    if (strncmp(ctx->msg, from, n) != 0 ||
        (ctx->msg[n] != '.' && ctx->msg[n] != ':' && ctx->msg[n] != '\0'))
        return;
    /* Keep what fits: the rest moves by m - n bytes (its NUL included). */
    if (len - n + m >= sizeof(ctx->msg))
        len = sizeof(ctx->msg) - 1 - m + n;
    memmove(ctx->msg + m, ctx->msg + n, len - n);
    memcpy(ctx->msg, to, m);
    ctx->msg[len - n + m] = '\0';
}

/*
 * One enrolment addressed by its class (enrolments.csv, one import row). The
 * stored class is read first, for its sessions, and goes back to
 * nl_store_class_submit unchanged with the one enrolment, so the references,
 * the report lock and the upsert are SubmitClass's own. Only the class row is
 * read (nl_store_class_head), never its other enrolments: every store step
 * of a row is a keyed lookup or write, so a row costs the same in a class of
 * 5,000 as in a class of 10.
 */
enum nl_status nl_rec_upsert_enrolment(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                       ProtobufCMessage *resp_)
{
    const Nhanluc__V1__UpsertEnrolmentRequest *req =
        (const Nhanluc__V1__UpsertEnrolmentRequest *)req_;
    Nhanluc__V1__UpsertEnrolmentResponse *resp = (Nhanluc__V1__UpsertEnrolmentResponse *)resp_;
    const Nhanluc__V1__EnrolmentRow *row = req->row;
    Nhanluc__V1__EnrolmentRow *out;
    struct nl_class_rec cls;
    struct nl_enrolment_rec rec;
    struct nl_class_submit_res res;
    enum nl_status st;

    /* check */
    if (row == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "row: required");
    if (!nl_svc_unit_code_valid(row->organiser_unit, strlen(row->organiser_unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "row.organiser_unit: %s", unit_rule);
    if (!class_ref_valid(row->class_ref, strlen(row->class_ref)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "row.class_ref: %s", ref_rule);
    if (row->enrolment == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "row.enrolment: required");

    /* proceed: the class, then the checks that need its sessions, then the upsert. */
    st = nl_auth_write_unit(ctx, row->organiser_unit, "row.organiser_unit");
    if (st != NL_OK)
        return st;
    st = nl_store_class_head(ctx->store, row->organiser_unit, row->class_ref, &cls, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "row.class_ref: no such class");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    st = enrolment_check(ctx, "row.enrolment", row->enrolment, cls.sessions, &rec);
    if (st != NL_OK)
        return st;
    st = nl_store_class_submit(ctx->store, &cls, &rec, 1, &res, ctx->arena, ctx->msg,
                               sizeof(ctx->msg));
    if (st != NL_OK) {
        msg_rename(ctx, "enrolments[0]", "row.enrolment");
        msg_rename(ctx, "enrolments", "row.enrolment");
        return st;
    }

    out = nl_arena_alloc(ctx->arena, sizeof(*out));
    if (out == NULL)
        return nl_svc_out_of_memory(ctx);
    nhanluc__v1__enrolment_row__init(out);
    out->organiser_unit = nl_svc_unconst(cls.organiser_unit);
    out->class_ref = nl_svc_unconst(cls.class_ref);
    out->enrolment = enrolment_msg(ctx, &rec);
    if (out->enrolment == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->row = out;
    resp->outcome = res.enrolments_created > 0   ? NHANLUC__V1__WRITE_OUTCOME__CREATED
                    : res.enrolments_updated > 0 ? NHANLUC__V1__WRITE_OUTCOME__UPDATED
                                                 : NHANLUC__V1__WRITE_OUTCOME__UNCHANGED;
    return NL_OK;
}
