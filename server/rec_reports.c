/*
 * rec_reports.c - Records handlers for the annual training reports:
 * SubmitReport, ReturnReport (with a reason), ApproveReport (which locks the
 * unit-year's classes, see store_reports.h) and ListReports.
 *
 * Each handler checks its request first (INVALID_ARGUMENT naming the field
 * path, never a value): the unit code's shape, the year within 1945 .. this
 * year + 1 (UTC), a time as a date or an RFC 3339 timestamp, the reason as
 * NFC text of 1..1000 bytes whose lines may be separated by CR and LF. The
 * state machine and the existence of the unit are the store's
 * (store_reports.c); its refusals come back with their message.
 *
 * ListReports takes a unit's subtree in the tree of one day (DOMAIN.md 3,
 * "every query is as of a date"): as_of when given, else 31 December of each
 * report's year, so a past year keeps the units abolished since. Its page
 * tokens are opaque to clients: base64 of "r1|" + the (year, unit code) of
 * the last row returned, the keyset of the list order.
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
#include "store_reports.h"
#include "svc_records.h"
#include "svc_util.h"

#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX     1000
#define TOKEN_PREFIX      "r1|"
#define TOKEN_PREFIX_LEN  3
#define TOKEN_MAX         128 /* base64 of "r1|" + 4 + 1 + 64 bytes is 96 */

static const char unit_rule[] = "must be 1-64 characters of a-z, 0-9 and '-'";

/* The latest year a report may be for: this year + 1 (UTC). */
static int year_max(void)
{
    int y, m, d;

    nl_date_to_ymd(nl_date_today(), &y, &m, &d);
    return y + 1;
}

/* The (unit, year) key of the three writes. */
static enum nl_status key_check(struct nl_ctx *ctx, const char *unit, int year)
{
    int max = year_max();

    if (!nl_svc_unit_code_valid(unit, strlen(unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: %s", unit_rule);
    if (year < NL_REPORT_YEAR_MIN || year > max)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "year: must be %d-%d", NL_REPORT_YEAR_MIN,
                             max);
    return NL_OK;
}

/* An optional time field into ctx->arena, normalised ("" stays ""). */
static enum nl_status time_check(struct nl_ctx *ctx, const char *s, const char *path,
                                 const char **out)
{
    char norm[NL_REPORT_TIME_MAX];

    *out = "";
    if (s[0] == '\0')
        return NL_OK;
    if (nl_report_time_norm(s, norm) != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "%s: must be a date YYYY-MM-DD or an RFC 3339 timestamp", path);
    *out = nl_arena_strdup(ctx->arena, norm);
    return *out != NULL ? NL_OK : nl_svc_out_of_memory(ctx);
}

static Nhanluc__V1__AnnualReport *report_msg(struct nl_ctx *ctx, const struct nl_report_rec *r)
{
    Nhanluc__V1__AnnualReport *m = nl_arena_alloc(ctx->arena, sizeof(*m));

    if (m == NULL)
        return NULL;
    nhanluc__v1__annual_report__init(m);
    m->unit = nl_svc_unconst(r->unit);
    m->year = r->year;
    m->status = (Nhanluc__V1__ReportStatus)r->status;
    m->submitted_at = nl_svc_unconst(r->submitted_at);
    m->approved_at = nl_svc_unconst(r->approved_at);
    m->return_reason = nl_svc_unconst(r->return_reason);
    return m;
}

/* Fills a ReportResponse after a store transition, or passes its failure on. */
static enum nl_status report_reply(struct nl_ctx *ctx, enum nl_status st,
                                   const struct nl_report_rec *rec, int outcome,
                                   Nhanluc__V1__ReportResponse *resp)
{
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->report = report_msg(ctx, rec);
    if (resp->report == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->outcome = (Nhanluc__V1__WriteOutcome)outcome;
    return NL_OK;
}

enum nl_status nl_rec_submit_report(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                    ProtobufCMessage *resp_)
{
    const Nhanluc__V1__SubmitReportRequest *req = (const Nhanluc__V1__SubmitReportRequest *)req_;
    Nhanluc__V1__ReportResponse *resp = (Nhanluc__V1__ReportResponse *)resp_;
    struct nl_report_rec rec;
    const char *at;
    int outcome = 0;
    enum nl_status st = key_check(ctx, req->unit, req->year);

    if (st == NL_OK)
        st = time_check(ctx, req->submitted_at, "submitted_at", &at);
    if (st == NL_OK)
        st = nl_auth_write_unit(ctx, req->unit, "unit");
    if (st != NL_OK)
        return st;
    st = nl_store_report_submit(ctx->store, req->unit, req->year, at, &rec, &outcome, ctx->arena,
                                ctx->msg, sizeof(ctx->msg));
    return report_reply(ctx, st, &rec, outcome, resp);
}

enum nl_status nl_rec_return_report(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                    ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ReturnReportRequest *req = (const Nhanluc__V1__ReturnReportRequest *)req_;
    Nhanluc__V1__ReportResponse *resp = (Nhanluc__V1__ReportResponse *)resp_;
    struct nl_report_rec rec;
    char *reason = NULL;
    int outcome = 0, rc;
    enum nl_status st = key_check(ctx, req->unit, req->year);

    if (st != NL_OK)
        return st;
    rc = nl_text_nfc_lines(ctx->arena, req->reason, strlen(req->reason), 1, NL_REPORT_REASON_MAX,
                           NL_TEXT_BLANK_IS_EMPTY, &reason);
    switch (rc) {
    case NL_TEXT_OK:
        break;
    case NL_TEXT_EMPTY:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "reason: required");
    case NL_TEXT_TOOLONG:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "reason: must be at most %d bytes",
                             NL_REPORT_REASON_MAX);
    case NL_TEXT_NOMEM:
        return nl_svc_out_of_memory(ctx);
    default:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "reason: %s", nl_text_strerror(rc));
    }
    st = nl_store_report_return(ctx->store, req->unit, req->year, reason, &rec, &outcome,
                                ctx->arena, ctx->msg, sizeof(ctx->msg));
    return report_reply(ctx, st, &rec, outcome, resp);
}

enum nl_status nl_rec_approve_report(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                     ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ApproveReportRequest *req = (const Nhanluc__V1__ApproveReportRequest *)req_;
    Nhanluc__V1__ReportResponse *resp = (Nhanluc__V1__ReportResponse *)resp_;
    struct nl_report_rec rec;
    const char *at;
    int outcome = 0;
    enum nl_status st = key_check(ctx, req->unit, req->year);

    if (st == NL_OK)
        st = time_check(ctx, req->approved_at, "approved_at", &at);
    if (st != NL_OK)
        return st;
    st = nl_store_report_approve(ctx->store, req->unit, req->year, at, &rec, &outcome, ctx->arena,
                                 ctx->msg, sizeof(ctx->msg));
    return report_reply(ctx, st, &rec, outcome, resp);
}

enum nl_status nl_rec_put_report(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                 ProtobufCMessage *resp_)
{
    const Nhanluc__V1__AnnualReport *r = (const Nhanluc__V1__AnnualReport *)req_;
    Nhanluc__V1__ReportResponse *resp = (Nhanluc__V1__ReportResponse *)resp_;
    struct nl_report_rec rec;
    char *reason = NULL;
    int outcome = 0, rc;
    enum nl_status st = key_check(ctx, r->unit, r->year);

    if (st != NL_OK)
        return st;
    if (r->status < NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_DRAFT ||
        r->status > NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_APPROVED)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "report.status: unknown status");
    memset(&rec, 0, sizeof(rec));
    rec.unit = r->unit;
    rec.year = r->year;
    rec.status = (int)r->status;
    st = time_check(ctx, r->submitted_at, "report.submitted_at", &rec.submitted_at);
    if (st == NL_OK)
        st = time_check(ctx, r->approved_at, "report.approved_at", &rec.approved_at);
    if (st != NL_OK)
        return st;
    /* The state must be one the transitions could have produced. */
    if (r->status != NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_DRAFT && rec.submitted_at[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "report.submitted_at: required");
    if (r->status == NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_APPROVED &&
        rec.approved_at[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "report.approved_at: required");
    if (r->status != NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_APPROVED &&
        rec.approved_at[0] != '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "report.approved_at: only an APPROVED report has one");
    rc = nl_text_nfc_lines(ctx->arena, r->return_reason, strlen(r->return_reason), 0,
                           NL_REPORT_REASON_MAX, NL_TEXT_BLANK_IS_EMPTY, &reason);
    if (rc == NL_TEXT_EMPTY) {
        reason = nl_arena_strdup(ctx->arena, "");
        rc = reason != NULL ? NL_TEXT_OK : NL_TEXT_NOMEM;
    }
    switch (rc) {
    case NL_TEXT_OK:
        break;
    case NL_TEXT_TOOLONG:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "report.return_reason: must be at most %d bytes",
                             NL_REPORT_REASON_MAX);
    case NL_TEXT_NOMEM:
        return nl_svc_out_of_memory(ctx);
    default:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "report.return_reason: %s",
                             nl_text_strerror(rc));
    }
    if (r->status == NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_RETURNED && reason[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "report.return_reason: required");
    rec.return_reason = reason;
    st = nl_auth_write_unit(ctx, rec.unit, "report.unit");
    if (st != NL_OK)
        return st;
    st = nl_store_report_put(ctx->store, &rec, &outcome, ctx->msg, sizeof(ctx->msg));
    return report_reply(ctx, st, &rec, outcome, resp);
}

/* --- ListReports --- */

/*
 * Decodes a page token into the key of the last row of the previous page
 * (the unit in the arena). "" is the first page. Returns 0, -1 for a token
 * this server did not make, -2 when out of memory.
 */
static int page_token_decode(struct nl_arena *a, const char *tok, struct nl_report_key *key)
{
    struct nl_buf b;
    size_t len = strlen(tok);
    int rc = -1;

    key->year = 0;
    key->unit = "";
    if (len == 0)
        return 0;
    if (len > TOKEN_MAX)
        return -1;
    nl_buf_init(&b, TOKEN_MAX);
    if (nl_wire_b64_decode(&b, tok, len) == 0 && b.len > TOKEN_PREFIX_LEN + 5 &&
        memcmp(b.data, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0) {
        const char *p = (const char *)b.data + TOKEN_PREFIX_LEN;
        const char *end = (const char *)b.data + b.len;
        int year = 0, ok = p[4] == '|';

        for (int i = 0; ok && i < 4; i++) {
            ok = p[i] >= '0' && p[i] <= '9';
            year = year * 10 + (p[i] - '0');
        }
        if (ok && year >= 1 && nl_svc_unit_code_valid(p + 5, (size_t)(end - p - 5))) {
            char *u = nl_arena_strndup(a, p + 5, (size_t)(end - p - 5));
            if (u == NULL) {
                rc = -2;
            } else {
                key->year = year;
                key->unit = u;
                rc = 0;
            }
        }
    }
    nl_buf_release(&b);
    return rc;
}

/* Encodes the token that continues after report `r`; NULL when out of memory. */
static char *page_token_encode(struct nl_arena *a, const struct nl_report_rec *r)
{
    struct nl_buf raw, enc;
    char *tok = NULL;

    nl_buf_init(&raw, TOKEN_MAX);
    nl_buf_init(&enc, TOKEN_MAX);
    if (nl_buf_appendf(&raw, "%s%04d|%s", TOKEN_PREFIX, r->year, r->unit) == 0 &&
        nl_wire_b64_encode(&enc, raw.data, raw.len) == 0)
        tok = nl_arena_strndup(a, (const char *)enc.data, enc.len);
    nl_buf_release(&raw);
    nl_buf_release(&enc);
    return tok;
}

enum nl_status nl_rec_list_reports(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                   ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListReportsRequest *req = (const Nhanluc__V1__ListReportsRequest *)req_;
    Nhanluc__V1__ListReportsResponse *resp = (Nhanluc__V1__ListReportsResponse *)resp_;
    struct nl_report_filter f;
    struct nl_report_key after;
    struct nl_report_rec *rows = NULL;
    size_t limit, n = 0;
    int more = 0, trc;
    int32_t days = 0;
    char as_of[11] = "";
    enum nl_status st;

    /* check */
    if (req->unit[0] != '\0' && !nl_svc_unit_code_valid(req->unit, strlen(req->unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: %s", unit_rule);
    if (req->as_of[0] != '\0') {
        if (nl_date_parse(req->as_of, strlen(req->as_of), &days) != 0)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "as_of: must be a date YYYY-MM-DD");
        nl_date_format(days, as_of);
    }
    if (req->year != 0 && (req->year < NL_REPORT_YEAR_MIN || req->year > year_max()))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "year: must be 0 (any) or %d-%d",
                             NL_REPORT_YEAR_MIN, year_max());
    if (req->status != 0 && protobuf_c_enum_descriptor_get_value(
                                &nhanluc__v1__report_status__descriptor, (int)req->status) == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "status: unknown value");
    if (req->page_size < 0 || req->page_size > PAGE_SIZE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0-%d", PAGE_SIZE_MAX);
    limit = req->page_size == 0 ? PAGE_SIZE_DEFAULT : (size_t)req->page_size;
    trc = page_token_decode(ctx->arena, req->page_token, &after);
    if (trc == -2)
        return nl_svc_out_of_memory(ctx);
    if (trc != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_token: invalid");

    /* proceed */
    memset(&f, 0, sizeof(f));
    f.unit = req->unit;
    f.as_of = as_of;
    f.year = req->year;
    f.status = (int)req->status;
    /* A district names only its own units and lists only their reports, before paging. */
    if (req->unit[0] != '\0') {
        st = nl_auth_read_unit(ctx, req->unit, "unit");
        if (st == NL_NOT_FOUND)
            return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
        if (st != NL_OK)
            return st;
    }
    f.scope = nl_auth_scope(ctx);
    st = nl_store_report_list(ctx->store, &f, &after, limit, &rows, &n, &more, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st != NL_OK)
        return nl_ctx_errorf(ctx, st, "%s", nl_store_errmsg(st));
    if (n > 0) {
        resp->reports = nl_arena_alloc(ctx->arena, n * sizeof(*resp->reports));
        if (resp->reports == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->reports[i] = report_msg(ctx, &rows[i]);
            if (resp->reports[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_reports = n;
    }
    if (more && n > 0) {
        resp->next_page_token = page_token_encode(ctx->arena, &rows[n - 1]);
        if (resp->next_page_token == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    return NL_OK;
}
