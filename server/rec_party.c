/*
 * rec_party.c - Records handlers for committee memberships, seat quotas, the
 * planning pool and post-training reviews (records.proto):
 * UpsertCommitteeMembership, ListCommitteeMemberships, SetSeatQuota,
 * ListSeatQuotas, UpsertPlanningEntry, ListPlanningEntries, UpsertReview and
 * ListReviews.
 *
 * As in rec_cadres.c each handler first checks the request alone
 * (INVALID_ARGUMENT naming the field path, never its value: codes and enums
 * known, dates YYYY-MM-DD in order, seats >= 0, the review year within
 * 1945..next year, decision_ref NFC within 300 bytes with its line breaks
 * kept) and then calls the typed store API of store_party.h, which checks
 * what needs the database (the cadre, unit and term exist; the unit is valid
 * on the start / added date). Handlers open no transactions.
 *
 * The lists take one unit (and with subtree=true every unit under it in the
 * tree of one day, DOMAIN.md 3 "every query is as of a date": as_of if
 * given, else for a term's lists the last day of its window, for reviews
 * each review's 31 December); memberships, quotas and planning entries need
 * a term. A district's lists keep to its scope inside the statement
 * (scope_auth.h), whatever tree the day gives. Page tokens are opaque to
 * clients: base64 of "<list>|unit|k1|k2|cadre_code", the keyset position of
 * the last row returned (store_party.h, struct nl_party_key), checked like
 * any other input; a token of one list is refused by another.
 * ListPlanningEntries adds, on its first page only, the breaches of the
 * Politburo 3x3 rule among the entries active on that same day: they are
 * reported, never refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/date.h"
#include "../common/text.h"
#include "../common/wire.h"
#include "nhanluc/v1/records.pb-c.h"
#include "scope_auth.h"
#include "store.h"
#include "store_party.h"
#include "svc_records.h"
#include "svc_util.h"

#define TERM_CODE_LEN     9
#define DECISION_REF_MAX  300
#define REVIEW_YEAR_MIN   1945
#define YEAR_MAX          9999
#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX     1000
#define TOKEN_MAX         256 /* base64 of "x1|" + two codes of 64 bytes and two numbers */
#define TOKEN_PARTS       5
#define DATE_LEN          10

static const char cadre_code_rule[] = "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'";
static const char unit_code_rule[] = "must be 1-64 characters of a-z, 0-9 and '-'";
static const char term_code_rule[] = "must be a term code YYYY-YYYY";
static const char date_rule[] = "must be a date YYYY-MM-DD";

/* 1 if s has the shape of a term code: YYYY-YYYY. */
static int term_code_valid(const char *s)
{
    if (strlen(s) != TERM_CODE_LEN || s[4] != '-')
        return 0;
    for (int i = 0; i < TERM_CODE_LEN; i++)
        if (i != 4 && !(s[i] >= '0' && s[i] <= '9'))
            return 0;
    return 1;
}

/* A required enum field: 0 is "required", a value the descriptor lacks "unknown value". */
static enum nl_status enum_check(struct nl_ctx *ctx, const ProtobufCEnumDescriptor *d, int v,
                                 const char *obj, const char *field)
{
    if (v == 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.%s: required", obj, field);
    if (v < 0 || protobuf_c_enum_descriptor_get_value(d, v) == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.%s: unknown value", obj, field);
    return NL_OK;
}

/* The three codes of a key: cadre (when `cadre` is not NULL), unit and term. */
static enum nl_status codes_check(struct nl_ctx *ctx, const char *obj, const char *cadre,
                                  const char *unit, const char *term)
{
    if (cadre != NULL && !nl_svc_cadre_code_valid(cadre, strlen(cadre)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.cadre_code: %s", obj, cadre_code_rule);
    if (unit[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.unit: required", obj);
    if (!nl_svc_unit_code_valid(unit, strlen(unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.unit: %s", obj, unit_code_rule);
    if (term[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.term: required", obj);
    if (!term_code_valid(term))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.term: %s", obj, term_code_rule);
    return NL_OK;
}

/*
 * A date field "YYYY-MM-DD" into its canonical text in the arena (*out) and
 * its day number (*days). Empty: "" and INT32_MAX when `optional`, else
 * "required". NL_OK or INVALID_ARGUMENT naming obj.field.
 */
static enum nl_status date_check(struct nl_ctx *ctx, const char *s, int optional, const char *obj,
                                 const char *field, const char **out, int32_t *days)
{
    char *buf;

    if (s[0] == '\0') {
        if (!optional)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.%s: required", obj, field);
        *out = "";
        *days = INT32_MAX;
        return NL_OK;
    }
    if (nl_date_parse(s, strlen(s), days) != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s.%s: %s", obj, field, date_rule);
    buf = nl_arena_alloc(ctx->arena, DATE_LEN + 1);
    if (buf == NULL)
        return nl_svc_out_of_memory(ctx);
    nl_date_format(*days, buf);
    *out = buf;
    return NL_OK;
}

/* --- messages from records --- */

static Nhanluc__V1__CommitteeMembership *membership_msg(struct nl_ctx *ctx,
                                                        const struct nl_membership_rec *r)
{
    Nhanluc__V1__CommitteeMembership *m = nl_arena_alloc(ctx->arena, sizeof(*m));

    if (m == NULL)
        return NULL;
    nhanluc__v1__committee_membership__init(m);
    m->cadre_code = nl_svc_unconst(r->cadre_code);
    m->unit = nl_svc_unconst(r->unit);
    m->term = nl_svc_unconst(r->term);
    m->body = (Nhanluc__V1__Body)r->body;
    m->role = (Nhanluc__V1__BodyRole)r->role;
    m->start_date = nl_svc_unconst(r->start_date);
    m->end_date = nl_svc_unconst(r->end_date);
    return m;
}

static Nhanluc__V1__SeatQuota *quota_msg(struct nl_ctx *ctx, const struct nl_seat_quota_rec *r)
{
    Nhanluc__V1__SeatQuota *q = nl_arena_alloc(ctx->arena, sizeof(*q));

    if (q == NULL)
        return NULL;
    nhanluc__v1__seat_quota__init(q);
    q->unit = nl_svc_unconst(r->unit);
    q->term = nl_svc_unconst(r->term);
    q->body_or_title = (Nhanluc__V1__BodyOrTitle)r->body_or_title;
    q->seats = r->seats;
    return q;
}

static Nhanluc__V1__PlanningEntry *planning_msg(struct nl_ctx *ctx, const struct nl_planning_rec *r)
{
    Nhanluc__V1__PlanningEntry *p = nl_arena_alloc(ctx->arena, sizeof(*p));

    if (p == NULL)
        return NULL;
    nhanluc__v1__planning_entry__init(p);
    p->cadre_code = nl_svc_unconst(r->cadre_code);
    p->unit = nl_svc_unconst(r->unit);
    p->term = nl_svc_unconst(r->term);
    p->body_or_title = (Nhanluc__V1__BodyOrTitle)r->body_or_title;
    p->added_on = nl_svc_unconst(r->added_on);
    p->removed_on = nl_svc_unconst(r->removed_on);
    return p;
}

static Nhanluc__V1__Review *review_msg(struct nl_ctx *ctx, const struct nl_review_rec *r)
{
    Nhanluc__V1__Review *v = nl_arena_alloc(ctx->arena, sizeof(*v));

    if (v == NULL)
        return NULL;
    nhanluc__v1__review__init(v);
    v->cadre_code = nl_svc_unconst(r->cadre_code);
    v->year = r->year;
    v->annual_rating = (Nhanluc__V1__AnnualRating)r->annual_rating;
    v->meets_requirements = r->meets_requirements != 0;
    v->action = (Nhanluc__V1__ReviewAction)r->action;
    v->decision_ref = nl_svc_unconst(r->decision_ref);
    return v;
}

/* --- the writes --- */

enum nl_status nl_rec_upsert_committee_membership(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                                  ProtobufCMessage *resp_)
{
    const Nhanluc__V1__UpsertCommitteeMembershipRequest *req =
        (const Nhanluc__V1__UpsertCommitteeMembershipRequest *)req_;
    Nhanluc__V1__UpsertCommitteeMembershipResponse *resp =
        (Nhanluc__V1__UpsertCommitteeMembershipResponse *)resp_;
    const Nhanluc__V1__CommitteeMembership *m = req->membership;
    struct nl_membership_rec rec;
    int32_t start = 0, end = 0;
    int outcome = 0;
    enum nl_status st;

    /* check */
    if (m == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "membership: required");
    st = codes_check(ctx, "membership", m->cadre_code, m->unit, m->term);
    if (st == NL_OK)
        st = enum_check(ctx, &nhanluc__v1__body__descriptor, (int)m->body, "membership", "body");
    if (st == NL_OK)
        st = enum_check(ctx, &nhanluc__v1__body_role__descriptor, (int)m->role, "membership",
                        "role");
    if (st == NL_OK)
        st = date_check(ctx, m->start_date, 0, "membership", "start_date", &rec.start_date, &start);
    if (st == NL_OK)
        st = date_check(ctx, m->end_date, 1, "membership", "end_date", &rec.end_date, &end);
    if (st != NL_OK)
        return st;
    if (end < start)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "membership.end_date: must not be before start_date");
    rec.cadre_code = m->cadre_code;
    rec.unit = m->unit;
    rec.term = m->term;
    rec.body = (int)m->body;
    rec.role = (int)m->role;

    /* proceed */
    st = nl_auth_write_unit(ctx, rec.unit, "membership.unit");
    if (st != NL_OK)
        return st;
    st = nl_store_membership_upsert(ctx->store, &rec, &outcome, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->membership = membership_msg(ctx, &rec);
    if (resp->membership == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->outcome = (Nhanluc__V1__WriteOutcome)outcome;
    return NL_OK;
}

enum nl_status nl_rec_set_seat_quota(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                     ProtobufCMessage *resp_)
{
    const Nhanluc__V1__SetSeatQuotaRequest *req = (const Nhanluc__V1__SetSeatQuotaRequest *)req_;
    Nhanluc__V1__SetSeatQuotaResponse *resp = (Nhanluc__V1__SetSeatQuotaResponse *)resp_;
    const Nhanluc__V1__SeatQuota *q = req->quota;
    struct nl_seat_quota_rec rec;
    int outcome = 0;
    enum nl_status st;

    /* check */
    if (q == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "quota: required");
    st = codes_check(ctx, "quota", NULL, q->unit, q->term);
    if (st == NL_OK)
        st = enum_check(ctx, &nhanluc__v1__body_or_title__descriptor, (int)q->body_or_title,
                        "quota", "body_or_title");
    if (st != NL_OK)
        return st;
    if (q->seats < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "quota.seats: must be >= 0");
    rec.unit = q->unit;
    rec.term = q->term;
    rec.body_or_title = (int)q->body_or_title;
    rec.seats = q->seats;

    /* proceed */
    st = nl_auth_write_unit(ctx, rec.unit, "quota.unit");
    if (st != NL_OK)
        return st;
    st = nl_store_seat_quota_set(ctx->store, &rec, &outcome, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->quota = quota_msg(ctx, &rec);
    if (resp->quota == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->outcome = (Nhanluc__V1__WriteOutcome)outcome;
    return NL_OK;
}

enum nl_status nl_rec_upsert_planning_entry(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                            ProtobufCMessage *resp_)
{
    const Nhanluc__V1__UpsertPlanningEntryRequest *req =
        (const Nhanluc__V1__UpsertPlanningEntryRequest *)req_;
    Nhanluc__V1__UpsertPlanningEntryResponse *resp =
        (Nhanluc__V1__UpsertPlanningEntryResponse *)resp_;
    const Nhanluc__V1__PlanningEntry *e = req->entry;
    struct nl_planning_rec rec;
    int32_t added = 0, removed = 0;
    int outcome = 0;
    enum nl_status st;

    /* check */
    if (e == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "entry: required");
    st = codes_check(ctx, "entry", e->cadre_code, e->unit, e->term);
    if (st == NL_OK)
        st = enum_check(ctx, &nhanluc__v1__body_or_title__descriptor, (int)e->body_or_title,
                        "entry", "body_or_title");
    if (st == NL_OK)
        st = date_check(ctx, e->added_on, 0, "entry", "added_on", &rec.added_on, &added);
    if (st == NL_OK)
        st = date_check(ctx, e->removed_on, 1, "entry", "removed_on", &rec.removed_on, &removed);
    if (st != NL_OK)
        return st;
    if (removed < added)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "entry.removed_on: must not be before added_on");
    rec.cadre_code = e->cadre_code;
    rec.unit = e->unit;
    rec.term = e->term;
    rec.body_or_title = (int)e->body_or_title;

    /* proceed */
    st = nl_auth_write_unit(ctx, rec.unit, "entry.unit");
    if (st != NL_OK)
        return st;
    st = nl_store_planning_upsert(ctx->store, &rec, &outcome, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->entry = planning_msg(ctx, &rec);
    if (resp->entry == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->outcome = (Nhanluc__V1__WriteOutcome)outcome;
    return NL_OK;
}

enum nl_status nl_rec_upsert_review(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                    ProtobufCMessage *resp_)
{
    const Nhanluc__V1__UpsertReviewRequest *req = (const Nhanluc__V1__UpsertReviewRequest *)req_;
    Nhanluc__V1__UpsertReviewResponse *resp = (Nhanluc__V1__UpsertReviewResponse *)resp_;
    const Nhanluc__V1__Review *r = req->review;
    struct nl_review_rec rec;
    char *ref = NULL;
    int outcome = 0, y, max_year, rc;
    enum nl_status st;

    /* check */
    if (r == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "review: required");
    if (!nl_svc_cadre_code_valid(r->cadre_code, strlen(r->cadre_code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "review.cadre_code: %s", cadre_code_rule);
    nl_date_to_ymd(nl_date_today(), &y, &(int){0}, &(int){0});
    max_year = y + 1;
    if (r->year < REVIEW_YEAR_MIN || r->year > max_year)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "review.year: must be %d-%d",
                             REVIEW_YEAR_MIN, max_year);
    st = enum_check(ctx, &nhanluc__v1__annual_rating__descriptor, (int)r->annual_rating, "review",
                    "annual_rating");
    if (st == NL_OK)
        st = enum_check(ctx, &nhanluc__v1__review_action__descriptor, (int)r->action, "review",
                        "action");
    if (st != NL_OK)
        return st;
    rc = nl_text_nfc_lines(ctx->arena, r->decision_ref, strlen(r->decision_ref), 0,
                           DECISION_REF_MAX, 0, &ref);
    if (rc == NL_TEXT_NOMEM)
        return nl_svc_out_of_memory(ctx);
    if (rc == NL_TEXT_TOOLONG)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "review.decision_ref: must be at most %d bytes", DECISION_REF_MAX);
    if (rc != NL_TEXT_OK)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "review.decision_ref: %s",
                             nl_text_strerror(rc));
    rec.cadre_code = r->cadre_code;
    rec.year = r->year;
    rec.annual_rating = (int)r->annual_rating;
    rec.meets_requirements = r->meets_requirements ? 1 : 0;
    rec.action = (int)r->action;
    rec.decision_ref = ref;

    /* proceed: a review belongs to its cadre's unit */
    st = nl_auth_write_cadre(ctx, rec.cadre_code, "review.cadre_code");
    if (st != NL_OK)
        return st;
    st = nl_store_review_upsert(ctx->store, &rec, &outcome, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->review = review_msg(ctx, &rec);
    if (resp->review == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->outcome = (Nhanluc__V1__WriteOutcome)outcome;
    return NL_OK;
}

/* --- the lists --- */

/* What a list's page token holds besides its prefix. */
struct token_spec {
    const char *prefix; /* "m1", "s1", "p1", "r1" */
    int unit;           /* 1: a unit code is part of the position */
    int cadre;          /* 1: a cadre code is part of the position */
    int k1_max, k2_max; /* k1 and k2 range over 0..max */
};

static const struct token_spec membership_token = {"m1", 1, 1, 2, 4};
static const struct token_spec quota_token = {"s1", 1, 0, 10, 0};
static const struct token_spec planning_token = {"p1", 1, 1, 10, 0};
static const struct token_spec review_token = {"r1", 0, 1, YEAR_MAX, 0};

/* Parses 1..4 decimal digits (len bytes) within 0..max into *out; -1 otherwise. */
static int small_int(const char *s, size_t len, int max, int *out)
{
    int v = 0;

    if (len == 0 || len > 4)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * Checks the decoded token `p` (len bytes) against `spec` and fills *key
 * (strings in the arena). Returns 0, -1 for a token this list did not make,
 * -2 when out of memory.
 */
static int token_parts(struct nl_arena *a, const struct token_spec *spec, const char *p, size_t len,
                       struct nl_party_key *key)
{
    const char *part[TOKEN_PARTS];
    size_t plen[TOKEN_PARTS];
    const char *end = p + len;
    size_t np = 0;
    char *unit = NULL, *cadre = NULL;

    while (np < TOKEN_PARTS) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        part[np] = p;
        plen[np] = bar != NULL ? (size_t)(bar - p) : (size_t)(end - p);
        np++;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    if (np != TOKEN_PARTS || part[TOKEN_PARTS - 1] + plen[TOKEN_PARTS - 1] != end)
        return -1;
    if (plen[0] != strlen(spec->prefix) || memcmp(part[0], spec->prefix, plen[0]) != 0)
        return -1;
    if (spec->unit ? !nl_svc_unit_code_valid(part[1], plen[1]) : plen[1] != 0)
        return -1;
    if (small_int(part[2], plen[2], spec->k1_max, &key->k1) != 0 ||
        small_int(part[3], plen[3], spec->k2_max, &key->k2) != 0)
        return -1;
    if (spec->cadre ? !nl_svc_cadre_code_valid(part[4], plen[4]) : plen[4] != 0)
        return -1;
    unit = nl_arena_strndup(a, part[1], plen[1]);
    cadre = nl_arena_strndup(a, part[4], plen[4]);
    if (unit == NULL || cadre == NULL)
        return -2;
    key->unit = unit;
    key->cadre_code = cadre;
    return 0;
}

/*
 * Decodes page token `tok` of the list `spec` into *key; an empty token is
 * the first page (all zero and ""). Returns 0, -1 for a token this list did
 * not make, -2 when out of memory.
 */
static int page_token_decode(struct nl_arena *a, const struct token_spec *spec, const char *tok,
                             struct nl_party_key *key)
{
    struct nl_buf b;
    size_t len = strlen(tok);
    int rc = -1;

    key->unit = key->cadre_code = "";
    key->k1 = key->k2 = 0;
    if (len == 0)
        return 0;
    if (len > TOKEN_MAX)
        return -1;
    nl_buf_init(&b, TOKEN_MAX);
    /* A decoding failure, out of memory included, reads as an invalid token. */
    if (nl_wire_b64_decode(&b, tok, len) == 0)
        rc = token_parts(a, spec, (const char *)b.data, b.len, key);
    nl_buf_release(&b);
    return rc;
}

/* The token that continues after position `key`; NULL when out of memory. */
static char *page_token_encode(struct nl_arena *a, const struct token_spec *spec,
                               const struct nl_party_key *key)
{
    struct nl_buf raw, enc;
    char *tok = NULL;

    nl_buf_init(&raw, TOKEN_MAX);
    nl_buf_init(&enc, TOKEN_MAX);
    if (nl_buf_appendf(&raw, "%s|%s|%d|%d|%s", spec->prefix, spec->unit ? key->unit : "", key->k1,
                       key->k2, spec->cadre ? key->cadre_code : "") == 0 &&
        nl_wire_b64_encode(&enc, raw.data, raw.len) == 0)
        tok = nl_arena_strndup(a, (const char *)enc.data, enc.len);
    nl_buf_release(&raw);
    nl_buf_release(&enc);
    return tok;
}

/* A checked list request. */
struct list_req {
    struct nl_party_scope scope;
    struct nl_party_key after;
    size_t limit;
};

/*
 * Checks a ListPartyRecordsRequest for list `spec` into *lr (need_term: the
 * term is required; reviews take the year instead). NL_OK or
 * INVALID_ARGUMENT naming the field.
 */
static enum nl_status list_check(struct nl_ctx *ctx,
                                 const Nhanluc__V1__ListPartyRecordsRequest *req,
                                 const struct token_spec *spec, int need_term, struct list_req *lr)
{
    const char *as_of = "";
    int32_t days = 0;
    int trc;
    enum nl_status st;

    memset(lr, 0, sizeof(*lr));
    if (req->unit[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: required");
    if (!nl_svc_unit_code_valid(req->unit, strlen(req->unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: %s", unit_code_rule);
    if (need_term && req->term[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term: required");
    if (req->term[0] != '\0' && !term_code_valid(req->term))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term: %s", term_code_rule);
    if (req->year < 0 || req->year > YEAR_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "year: must be 0 (any) or 1-%d", YEAR_MAX);
    if (req->page_size < 0 || req->page_size > PAGE_SIZE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0-%d", PAGE_SIZE_MAX);
    if (req->as_of[0] != '\0') {
        char *buf = nl_arena_alloc(ctx->arena, DATE_LEN + 1);

        if (nl_date_parse(req->as_of, strlen(req->as_of), &days) != 0)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "as_of: %s", date_rule);
        if (buf == NULL)
            return nl_svc_out_of_memory(ctx);
        nl_date_format(days, buf);
        as_of = buf;
    }
    lr->limit = req->page_size == 0 ? PAGE_SIZE_DEFAULT : (size_t)req->page_size;
    trc = page_token_decode(ctx->arena, spec, req->page_token, &lr->after);
    if (trc == -2)
        return nl_svc_out_of_memory(ctx);
    if (trc != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_token: invalid");
    lr->scope.unit = req->unit;
    lr->scope.subtree = req->subtree ? 1 : 0;
    lr->scope.term = req->term;
    lr->scope.year = req->year;
    lr->scope.as_of = as_of;
    /*
     * A district names only its own units, and the statement keeps every row
     * to its scope: the tree of a past day may hold units it does not stand over.
     */
    lr->scope.scope = nl_auth_scope(ctx);
    st = nl_auth_read_unit(ctx, req->unit, "unit");
    return st == NL_NOT_FOUND ? nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found") : st;
}

/* Sets *tok to the token after `key` when another page follows; NL_OK or out of memory. */
static enum nl_status next_token(struct nl_ctx *ctx, const struct token_spec *spec, int more,
                                 size_t n, const struct nl_party_key *key, char **tok)
{
    if (!more || n == 0)
        return NL_OK;
    *tok = page_token_encode(ctx->arena, spec, key);
    return *tok == NULL ? nl_svc_out_of_memory(ctx) : NL_OK;
}

enum nl_status nl_rec_list_committee_memberships(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                                 ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListPartyRecordsRequest *req =
        (const Nhanluc__V1__ListPartyRecordsRequest *)req_;
    Nhanluc__V1__ListCommitteeMembershipsResponse *resp =
        (Nhanluc__V1__ListCommitteeMembershipsResponse *)resp_;
    struct nl_membership_rec *rows = NULL;
    struct nl_party_key last = {"", 0, 0, ""};
    struct list_req lr;
    size_t n = 0;
    int more = 0;
    enum nl_status st = list_check(ctx, req, &membership_token, 1, &lr);

    if (st != NL_OK)
        return st;
    st = nl_store_membership_list(ctx->store, &lr.scope, &lr.after, lr.limit, &rows, &n, &more,
                                  ctx->arena, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n > 0) {
        resp->memberships = nl_arena_alloc(ctx->arena, n * sizeof(*resp->memberships));
        if (resp->memberships == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->memberships[i] = membership_msg(ctx, &rows[i]);
            if (resp->memberships[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_memberships = n;
        last = (struct nl_party_key){rows[n - 1].unit, rows[n - 1].body, rows[n - 1].role,
                                     rows[n - 1].cadre_code};
    }
    return next_token(ctx, &membership_token, more, n, &last, &resp->next_page_token);
}

enum nl_status nl_rec_list_seat_quotas(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                       ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListPartyRecordsRequest *req =
        (const Nhanluc__V1__ListPartyRecordsRequest *)req_;
    Nhanluc__V1__ListSeatQuotasResponse *resp = (Nhanluc__V1__ListSeatQuotasResponse *)resp_;
    struct nl_seat_quota_rec *rows = NULL;
    struct nl_party_key last = {"", 0, 0, ""};
    struct list_req lr;
    size_t n = 0;
    int more = 0;
    enum nl_status st = list_check(ctx, req, &quota_token, 1, &lr);

    if (st != NL_OK)
        return st;
    st = nl_store_seat_quota_list(ctx->store, &lr.scope, &lr.after, lr.limit, &rows, &n, &more,
                                  ctx->arena, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n > 0) {
        resp->quotas = nl_arena_alloc(ctx->arena, n * sizeof(*resp->quotas));
        if (resp->quotas == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->quotas[i] = quota_msg(ctx, &rows[i]);
            if (resp->quotas[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_quotas = n;
        last = (struct nl_party_key){rows[n - 1].unit, rows[n - 1].body_or_title, 0, ""};
    }
    return next_token(ctx, &quota_token, more, n, &last, &resp->next_page_token);
}

/* The 3x3 breaches of the list's units and term into resp->violations. */
static enum nl_status add_violations(struct nl_ctx *ctx, const struct nl_party_scope *sc,
                                     Nhanluc__V1__ListPlanningEntriesResponse *resp)
{
    struct nl_planning_violation_rec *v = NULL;
    size_t n = 0;
    int truncated = 0;
    enum nl_status st = nl_store_planning_violations(ctx->store, sc, &v, &n, &truncated, ctx->arena,
                                                     ctx->msg, sizeof(ctx->msg));

    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->violations_truncated = truncated != 0;
    if (n == 0)
        return NL_OK;
    resp->violations = nl_arena_alloc(ctx->arena, n * sizeof(*resp->violations));
    if (resp->violations == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        Nhanluc__V1__PlanningViolation *m = nl_arena_alloc(ctx->arena, sizeof(*m));
        if (m == NULL)
            return nl_svc_out_of_memory(ctx);
        nhanluc__v1__planning_violation__init(m);
        m->unit = nl_svc_unconst(v[i].unit);
        m->term = nl_svc_unconst(v[i].term);
        m->cadre_code = nl_svc_unconst(v[i].cadre_code);
        m->body_or_title = (Nhanluc__V1__BodyOrTitle)v[i].body_or_title;
        m->count = v[i].count;
        resp->violations[i] = m;
    }
    resp->n_violations = n;
    return NL_OK;
}

enum nl_status nl_rec_list_planning_entries(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                            ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListPartyRecordsRequest *req =
        (const Nhanluc__V1__ListPartyRecordsRequest *)req_;
    Nhanluc__V1__ListPlanningEntriesResponse *resp =
        (Nhanluc__V1__ListPlanningEntriesResponse *)resp_;
    struct nl_planning_rec *rows = NULL;
    struct nl_party_key last = {"", 0, 0, ""};
    struct list_req lr;
    size_t n = 0;
    int more = 0;
    enum nl_status st = list_check(ctx, req, &planning_token, 1, &lr);

    if (st != NL_OK)
        return st;
    st = nl_store_planning_list(ctx->store, &lr.scope, &lr.after, lr.limit, &rows, &n, &more,
                                ctx->arena, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n > 0) {
        resp->entries = nl_arena_alloc(ctx->arena, n * sizeof(*resp->entries));
        if (resp->entries == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->entries[i] = planning_msg(ctx, &rows[i]);
            if (resp->entries[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_entries = n;
        last = (struct nl_party_key){rows[n - 1].unit, rows[n - 1].body_or_title, 0,
                                     rows[n - 1].cadre_code};
    }
    if (req->page_token[0] == '\0') {
        st = add_violations(ctx, &lr.scope, resp);
        if (st != NL_OK)
            return st;
    }
    return next_token(ctx, &planning_token, more, n, &last, &resp->next_page_token);
}

enum nl_status nl_rec_list_reviews(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                   ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListPartyRecordsRequest *req =
        (const Nhanluc__V1__ListPartyRecordsRequest *)req_;
    Nhanluc__V1__ListReviewsResponse *resp = (Nhanluc__V1__ListReviewsResponse *)resp_;
    struct nl_review_rec *rows = NULL;
    struct nl_party_key last = {"", 0, 0, ""};
    struct list_req lr;
    size_t n = 0;
    int more = 0;
    enum nl_status st = list_check(ctx, req, &review_token, 0, &lr);

    if (st != NL_OK)
        return st;
    st = nl_store_review_list(ctx->store, &lr.scope, &lr.after, lr.limit, &rows, &n, &more,
                              ctx->arena, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n > 0) {
        resp->reviews = nl_arena_alloc(ctx->arena, n * sizeof(*resp->reviews));
        if (resp->reviews == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->reviews[i] = review_msg(ctx, &rows[i]);
            if (resp->reviews[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_reviews = n;
        last = (struct nl_party_key){"", rows[n - 1].year, 0, rows[n - 1].cadre_code};
    }
    return next_token(ctx, &review_token, more, n, &last, &resp->next_page_token);
}
