/*
 * rec_import.c - Records.Import and Records.Export: the CSV kinds of DOMAIN.md
 * section 8 in batches, through the same validation as the single-record
 * methods.
 *
 * Import is one write job (it runs inside the writer's savepoint). A batch
 * holds rows of one kind; each row becomes the single-record request of its
 * kind (a unit -> Registry.CreateUnit, a class -> SubmitClass without
 * enrolments, an enrolment -> UpsertEnrolment, a target ->
 * Indicators.SetTarget, ...) and goes to that method's own handler through
 * the method table, with a context on the same store, so a row is checked
 * and written exactly as the RPC would. Each row
 * runs inside a nested savepoint (SQLite allows the name "job" to nest;
 * ROLLBACK TO and RELEASE take the innermost) that a refused row rolls back,
 * and the whole batch inside another, which a dry run, or a refused row
 * without skip_bad_rows, rolls back at the end: nothing is written, and the
 * counts say what would have happened. A refused row becomes a RowError
 * (its line, the handler's field path, the reason); a failure that is not
 * about the row (the store busy or full, a deadline) fails the whole call.
 *
 * batch_id makes a batch idempotent: the response of a committed batch is
 * stored in import_batch with the SHA-256 of the request (packed, with
 * dry_run cleared, so a dry run of an imported batch reports it), and the
 * same batch_id again answers that response with replayed = true and writes
 * nothing; with other content it is FAILED_PRECONDITION.
 *
 * Export reads one kind a page at a time (store_import.h has the orders,
 * which import back: parents before children, versions oldest first) as
 * ImportRows with line 0. Page tokens are opaque to clients: base64 of
 * "x1|KIND|t1|t2|t3|n1|n2", the sort key of the last row returned.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../common/buf.h"
#include "../common/date.h"
#include "../common/wire.h"
#include "job.h"
#include "nhanluc/v1/indicators.pb-c.h"
#include "nhanluc/v1/records.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"
#include "scope_auth.h"
#include "store.h"
#include "store_import.h"
#include "svc_records.h"
#include "svc_util.h"

#define BATCH_ROWS_MAX 5000
/*
 * A dry run writes nothing, and a units.csv's rows name parents given earlier
 * in the file: the CLI checks such a file in one dry batch (the 4 MiB cap
 * bounds it before this does).
 */
#define DRY_ROWS_MAX        50000
#define BATCH_ID_MAX        128
#define ROW_ARENA_MAX       (64u * 1024u * 1024u)
#define EXPORT_PAGE_DEFAULT 1000
#define EXPORT_PAGE_MAX     5000
#define EXPORT_BYTES_MAX    (3u * 1024u * 1024u) /* a page stops short of the 4 MiB cap */
#define KEY_PART_MAX        64
#define TOKEN_PREFIX        "x1"
#define TOKEN_MAX           512
#define TOKEN_PARTS         7

/* --- Import: one row --- */

/* The single-record requests a row can become; one is used at a time. */
union row_req {
    Nhanluc__V1__CreateUnitRequest unit;
    Nhanluc__V1__CreateTermRequest term;
    Nhanluc__V1__RecordUnitEventRequest event;
    Nhanluc__V1__SubmitClassRequest cls;
    Nhanluc__V1__UpsertEnrolmentRequest enrolment;
    Nhanluc__V1__UpsertCommitteeMembershipRequest committee;
    Nhanluc__V1__UpsertPlanningEntryRequest planning;
    Nhanluc__V1__SetSeatQuotaRequest seats;
    Nhanluc__V1__UpsertReviewRequest review;
    Nhanluc__V1__SetTermInstanceRequest instance;
    Nhanluc__V1__SetTargetRequest target;
};

/*
 * Builds the request of `row` in *u and names its method: *req points into
 * *u (or at the row's own UpsertCadreRequest) and borrows the row's fields.
 * Returns the method's path (REPORT_PATH for a report row, whose *req is the
 * row's AnnualReport), or NULL for a row without a record: *why is then the
 * message.
 */
/* Not a method path: the rows of reports.csv go to nl_rec_put_report. */
static const char REPORT_PATH[] = "(reports.csv row)";

static const char *row_request(const Nhanluc__V1__ImportRow *row, union row_req *u,
                               const ProtobufCMessage **req, const char **why)
{
    switch (row->record_case) {
    case NHANLUC__V1__IMPORT_ROW__RECORD_UNIT:
        nhanluc__v1__create_unit_request__init(&u->unit);
        u->unit.unit = row->unit;
        *req = &u->unit.base;
        return "/nhanluc.v1.Registry/CreateUnit";
    case NHANLUC__V1__IMPORT_ROW__RECORD_TERM:
        nhanluc__v1__create_term_request__init(&u->term);
        u->term.term = row->term;
        *req = &u->term.base;
        return "/nhanluc.v1.Registry/CreateTerm";
    case NHANLUC__V1__IMPORT_ROW__RECORD_UNIT_EVENT:
        nhanluc__v1__record_unit_event_request__init(&u->event);
        u->event.event = row->unit_event;
        *req = &u->event.base;
        return "/nhanluc.v1.Registry/RecordUnitEvent";
    case NHANLUC__V1__IMPORT_ROW__RECORD_CADRE:
        *req = &row->cadre->base;
        return "/nhanluc.v1.Records/UpsertCadre";
    case NHANLUC__V1__IMPORT_ROW__RECORD_TRAINING_CLASS:
        nhanluc__v1__submit_class_request__init(&u->cls);
        u->cls.training_class = row->training_class;
        *req = &u->cls.base;
        return "/nhanluc.v1.Records/SubmitClass";
    case NHANLUC__V1__IMPORT_ROW__RECORD_ENROLMENT:
        nhanluc__v1__upsert_enrolment_request__init(&u->enrolment);
        u->enrolment.row = row->enrolment;
        *req = &u->enrolment.base;
        return "/nhanluc.v1.Records/UpsertEnrolment";
    case NHANLUC__V1__IMPORT_ROW__RECORD_COMMITTEE:
        nhanluc__v1__upsert_committee_membership_request__init(&u->committee);
        u->committee.membership = row->committee;
        *req = &u->committee.base;
        return "/nhanluc.v1.Records/UpsertCommitteeMembership";
    case NHANLUC__V1__IMPORT_ROW__RECORD_PLANNING:
        nhanluc__v1__upsert_planning_entry_request__init(&u->planning);
        u->planning.entry = row->planning;
        *req = &u->planning.base;
        return "/nhanluc.v1.Records/UpsertPlanningEntry";
    case NHANLUC__V1__IMPORT_ROW__RECORD_SEATS:
        nhanluc__v1__set_seat_quota_request__init(&u->seats);
        u->seats.quota = row->seats;
        *req = &u->seats.base;
        return "/nhanluc.v1.Records/SetSeatQuota";
    case NHANLUC__V1__IMPORT_ROW__RECORD_REVIEW:
        nhanluc__v1__upsert_review_request__init(&u->review);
        u->review.review = row->review;
        *req = &u->review.base;
        return "/nhanluc.v1.Records/UpsertReview";
    case NHANLUC__V1__IMPORT_ROW__RECORD_TERM_INSTANCE:
        nhanluc__v1__set_term_instance_request__init(&u->instance);
        u->instance.instance = row->term_instance;
        *req = &u->instance.base;
        return "/nhanluc.v1.Registry/SetTermInstance";
    case NHANLUC__V1__IMPORT_ROW__RECORD_TARGET:
        nhanluc__v1__set_target_request__init(&u->target);
        u->target.target = row->target;
        *req = &u->target.base;
        return "/nhanluc.v1.Indicators/SetTarget";
    case NHANLUC__V1__IMPORT_ROW__RECORD_REPORT:
        break;
    default:
        *why = "record: required";
        return NULL;
    }

    /* A report row sets the report as it stands (see nl_rec_put_report). */
    *req = &row->report->base;
    return REPORT_PATH;
}

/*
 * What a successful handler did, from its response: an `outcome` field
 * (WriteOutcome) when it has one, else `created`; a response that says
 * neither created nor an outcome is UPDATED when the connection's change
 * count moved during the call (`changed`), else UNCHANGED.
 */
static int row_outcome(const ProtobufCMessage *resp, int changed)
{
    const ProtobufCMessageDescriptor *d = resp->descriptor;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(d, "outcome");
    const char *base = (const char *)resp;

    if (f != NULL && f->type == PROTOBUF_C_TYPE_ENUM) {
        int v;

        memcpy(&v, base + f->offset, sizeof(v));
        if (v == NL_WRITE_CREATED || v == NL_WRITE_UPDATED || v == NL_WRITE_UNCHANGED)
            return v;
    }
    f = protobuf_c_message_descriptor_get_field_by_name(d, "created");
    if (f != NULL && f->type == PROTOBUF_C_TYPE_BOOL) {
        protobuf_c_boolean b;

        memcpy(&b, base + f->offset, sizeof(b));
        if (b)
            return NL_WRITE_CREATED;
    }
    return changed ? NL_WRITE_UPDATED : NL_WRITE_UNCHANGED;
}

/* 1 for the statuses that refuse one row; any other failure stops the whole import. */
static int row_refusal(enum nl_status st)
{
    switch (st) {
    case NL_INVALID_ARGUMENT:
    case NL_NOT_FOUND:
    case NL_ALREADY_EXISTS:
    case NL_PERMISSION_DENIED:
    case NL_FAILED_PRECONDITION:
    case NL_OUT_OF_RANGE:
    case NL_UNIMPLEMENTED:
        return 1;
    default:
        return 0;
    }
}

/* The state of one import call. */
struct import_run {
    struct nl_ctx *ctx;
    struct nl_arena scratch; /* one row's memory, released after each row */
    int savepoints;          /* how many of our savepoints are open */
    Nhanluc__V1__ImportResponse *resp;
    size_t cap_errors;
};

static enum nl_status savepoint_open(struct import_run *run)
{
    enum nl_status st = nl_store_savepoint(run->ctx->store);

    if (st == NL_OK)
        run->savepoints++;
    return st;
}

static enum nl_status savepoint_close(struct import_run *run, int keep)
{
    enum nl_status st = keep ? nl_store_savepoint_release(run->ctx->store)
                             : nl_store_savepoint_rollback(run->ctx->store);

    /* Rolled back with the whole transaction (NL_ABORTED) or not: it is gone either way. */
    if (st == NL_OK || st == NL_ABORTED)
        run->savepoints--;
    return st;
}

/*
 * Rolls back every savepoint of ours still open, so the writer's own
 * savepoint is the innermost again, and returns `st` (ctx->msg is set).
 */
static enum nl_status import_abort(struct import_run *run, enum nl_status st)
{
    while (run->savepoints > 0) {
        enum nl_status rb = savepoint_close(run, 0);

        if (rb == NL_ABORTED) {
            run->savepoints = 0;
            break;
        }
        if (rb != NL_OK) {
            /* ROLLBACK TO failed: drop the whole transaction rather than keep half of it. */
            (void)nl_store_rollback(run->ctx->store);
            run->savepoints = 0;
            break;
        }
    }
    return st;
}

/*
 * Appends RowError {line, field, reason, code} from a handler message
 * "field.path: reason"; `code` is the status the row alone would have had.
 */
static enum nl_status add_row_error(struct import_run *run, uint32_t line, enum nl_status code,
                                    const char *msg)
{
    Nhanluc__V1__ImportResponse *resp = run->resp;
    struct nl_arena *a = run->ctx->arena;
    Nhanluc__V1__RowError *e;
    size_t flen = strcspn(msg, ":");
    int is_path = msg[flen] == ':' && flen > 0;

    /* The part before ':' is a field path only if it looks like one ("enrolments[3].status"). */
    for (size_t i = 0; is_path && i < flen; i++) {
        char c = msg[i];
        is_path = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '[' || c == ']';
    }
    if (resp->n_errors == run->cap_errors) {
        size_t ncap = run->cap_errors == 0 ? 16 : run->cap_errors * 2;
        Nhanluc__V1__RowError **p = nl_arena_alloc(a, ncap * sizeof(*p));

        if (p == NULL)
            return nl_svc_out_of_memory(run->ctx);
        if (resp->n_errors > 0)
            memcpy(p, resp->errors, resp->n_errors * sizeof(*p));
        resp->errors = p;
        run->cap_errors = ncap;
    }
    e = nl_arena_alloc(a, sizeof(*e));
    if (e == NULL)
        return nl_svc_out_of_memory(run->ctx);
    nhanluc__v1__row_error__init(e);
    e->line = line;
    e->code = (uint32_t)code;
    if (is_path) {
        const char *reason = msg + flen + 1;

        while (*reason == ' ')
            reason++;
        e->field = nl_arena_strndup(a, msg, flen);
        e->reason = nl_arena_strdup(a, reason);
    } else {
        e->field = nl_arena_strdup(a, "");
        e->reason = nl_arena_strdup(a, msg);
    }
    if (e->field == NULL || e->reason == NULL)
        return nl_svc_out_of_memory(run->ctx);
    resp->errors[resp->n_errors++] = e;
    return NL_OK;
}

/*
 * Runs one row through its method's handler inside a savepoint of its own.
 * NL_OK: the row was either done (*outcome set, the savepoint released) or
 * refused (*outcome 0, a RowError added, the savepoint rolled back). Any
 * other status fails the import (ctx->msg set; the caller unwinds).
 */
/* The pseudo-method of a reports.csv row. */
static const struct nl_method report_put = {
    REPORT_PATH,
    &nhanluc__v1__annual_report__descriptor,
    &nhanluc__v1__report_response__descriptor,
    nl_rec_put_report,
    /* A report row carries its review status (APPROVED...): only admins restore those. */
    NL_M_WRITE | NL_M_ADMIN,
};

static enum nl_status import_row(struct import_run *run, const Nhanluc__V1__ImportRow *row,
                                 int *outcome)
{
    struct nl_ctx *ctx = run->ctx;
    union row_req u;
    const ProtobufCMessage *req = NULL;
    const char *why = NULL;
    const char *path = row_request(row, &u, &req, &why);
    const struct nl_method *m;
    ProtobufCMessage *resp;
    struct nl_ctx sub;
    enum nl_status st, hst;
    int64_t before;

    *outcome = 0;
    if (path == NULL)
        return add_row_error(run, row->line, NL_INVALID_ARGUMENT, why);
    m = path == REPORT_PATH ? &report_put : nl_method_find(path, strlen(path));
    if (m == NULL || m->input != req->descriptor || !(m->flags & NL_M_WRITE))
        return nl_ctx_errorf(ctx, NL_INTERNAL, "import: no method for the row's kind");
    resp = nl_arena_alloc(&run->scratch, m->output->sizeof_message);
    if (resp == NULL)
        return nl_svc_out_of_memory(ctx);
    protobuf_c_message_init(m->output, resp);

    st = savepoint_open(run);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    memset(&sub, 0, sizeof(sub));
    sub.store = ctx->store;
    sub.arena = &run->scratch;
    sub.cancel = ctx->cancel;
    sub.deadline_ms = ctx->deadline_ms;
    /*
     * The caller's identity goes with each row: the row's method must allow
     * its role (a district imports no units), and the row's handler confines
     * it to the caller's units (scope_auth.h): a row naming another unit is
     * refused alone, PERMISSION_DENIED in its row error, and the rest of the
     * batch goes on. Without authentication (role NONE) every row passes.
     */
    sub.who = ctx->who;
    if (ctx->who != NULL && ctx->who->role != NL_ROLE_NONE && !nl_method_allows(m, ctx->who)) {
        st = savepoint_close(run, 0);
        if (st != NL_OK)
            return nl_svc_store_error(ctx, st);
        return add_row_error(run, row->line, NL_PERMISSION_DENIED,
                             "permission denied: the caller may not write this kind");
    }
    before = nl_store_change_count(ctx->store);
    hst = m->handler(&sub, req, resp);

    if (hst == NL_OK) {
        *outcome = row_outcome(resp, nl_store_change_count(ctx->store) != before);
        st = savepoint_close(run, 1);
        return st == NL_OK ? NL_OK : nl_svc_store_error(ctx, st);
    }
    st = savepoint_close(run, 0);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (!row_refusal(hst)) {
        (void)nl_ctx_errorf(ctx, hst, "%s", sub.msg[0] != '\0' ? sub.msg : nl_store_errmsg(hst));
        return hst;
    }
    if (hst == NL_UNIMPLEMENTED)
        return add_row_error(run, row->line, hst, "this kind cannot be imported yet");
    return add_row_error(run, row->line, hst, sub.msg[0] != '\0' ? sub.msg : "refused");
}

/* --- Import --- */

/* 1 if the batch id is 1..128 bytes of printable ASCII. */
static int batch_id_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > BATCH_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    }
    return 1;
}

/* SHA-256 of the packed request with dry_run cleared. 0, or -1 on failure. */
static int request_hash(const Nhanluc__V1__ImportRequest *req, uint8_t out[NL_IMPORT_HASH_LEN])
{
    Nhanluc__V1__ImportRequest copy = *req;
    size_t len;
    uint8_t *buf;
    unsigned int mdlen = 0;
    int ok;

    copy.dry_run = 0;
    len = protobuf_c_message_get_packed_size(&copy.base);
    buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        return -1;
    (void)protobuf_c_message_pack(&copy.base, buf);
    ok = EVP_Digest(buf, len, out, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == NL_IMPORT_HASH_LEN;
    free(buf);
    return ok ? 0 : -1;
}

/* protoc-c allocator over the call's arena: the replayed response lives there. */
static void *arena_pb_alloc(void *data, size_t size)
{
    return nl_arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *p)
{
    (void)data;
    (void)p;
}

/* Fills resp from the stored packed response of a batch, with replayed = true. */
static enum nl_status replay(struct nl_ctx *ctx, const uint8_t *packed, size_t len,
                             Nhanluc__V1__ImportResponse *resp)
{
    ProtobufCAllocator alloc = {arena_pb_alloc, arena_pb_free, ctx->arena};
    Nhanluc__V1__ImportResponse *stored = nhanluc__v1__import_response__unpack(&alloc, len, packed);

    if (stored == NULL)
        return nl_ctx_errorf(ctx, NL_DATA_LOSS, "the stored response of the batch is damaged");
    resp->created = stored->created;
    resp->updated = stored->updated;
    resp->unchanged = stored->unchanged;
    resp->rejected = stored->rejected;
    resp->n_errors = stored->n_errors;
    resp->errors = stored->errors;
    resp->replayed = 1;
    return NL_OK;
}

/* Packs resp and stores it under the batch id. */
static enum nl_status remember(struct nl_ctx *ctx, const char *batch_id,
                               const uint8_t hash[NL_IMPORT_HASH_LEN],
                               const Nhanluc__V1__ImportResponse *resp)
{
    size_t len = protobuf_c_message_get_packed_size(&resp->base);
    uint8_t *buf = nl_arena_alloc(ctx->arena, len > 0 ? len : 1);
    enum nl_status st;

    if (buf == NULL)
        return nl_svc_out_of_memory(ctx);
    (void)protobuf_c_message_pack(&resp->base, buf);
    st = nl_store_import_batch_put(ctx->store, batch_id, hash, buf, len);
    return st == NL_OK ? NL_OK : nl_svc_store_error(ctx, st);
}

/* The request-level checks: batch id, size, one kind of row. */
static enum nl_status import_check(struct nl_ctx *ctx, const Nhanluc__V1__ImportRequest *req)
{
    if (req->batch_id[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "batch_id: required");
    if (!batch_id_valid(req->batch_id))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "batch_id: must be 1-%d characters of printable ASCII", BATCH_ID_MAX);
    if (req->n_rows > (req->dry_run ? DRY_ROWS_MAX : BATCH_ROWS_MAX))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "rows: at most %d per batch (%d dry)",
                             BATCH_ROWS_MAX, DRY_ROWS_MAX);
    for (size_t i = 0; i < req->n_rows; i++) {
        const Nhanluc__V1__ImportRow *row = req->rows[i];

        if (row == NULL || row->record_case == NHANLUC__V1__IMPORT_ROW__RECORD__NOT_SET)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "rows[%zu]: a row holds one record", i);
        if (row->record_case != req->rows[0]->record_case)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "rows[%zu]: a batch holds one kind of row", i);
    }
    return NL_OK;
}

enum nl_status nl_rec_import(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                             ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ImportRequest *req = (const Nhanluc__V1__ImportRequest *)req_;
    Nhanluc__V1__ImportResponse *resp = (Nhanluc__V1__ImportResponse *)resp_;
    uint8_t hash[NL_IMPORT_HASH_LEN], stored_hash[NL_IMPORT_HASH_LEN];
    uint8_t *stored = NULL;
    size_t stored_len = 0;
    struct import_run run;
    enum nl_status st;
    int keep;

    /* check */
    st = import_check(ctx, req);
    if (st != NL_OK)
        return st;
    if (request_hash(req, hash) != 0)
        return nl_ctx_errorf(ctx, NL_INTERNAL, "cannot hash the request");

    /* A batch seen before answers what it answered then. */
    st = nl_store_import_batch_get(ctx->store, req->batch_id, stored_hash, &stored, &stored_len,
                                   ctx->arena);
    if (st == NL_OK) {
        if (memcmp(hash, stored_hash, sizeof(hash)) != 0)
            return nl_ctx_errorf(ctx, NL_FAILED_PRECONDITION,
                                 "batch_id reused with different content");
        return replay(ctx, stored, stored_len, resp);
    }
    if (st != NL_NOT_FOUND)
        return nl_svc_store_error(ctx, st);

    /* proceed: the batch in a savepoint, each row in one of its own. */
    memset(&run, 0, sizeof(run));
    run.ctx = ctx;
    run.resp = resp;
    st = savepoint_open(&run);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    nl_arena_init(&run.scratch, ROW_ARENA_MAX);
    for (size_t i = 0; i < req->n_rows; i++) {
        int outcome = 0;

        if (ctx->cancel != NULL && atomic_load(ctx->cancel)) {
            st = nl_ctx_errorf(ctx, NL_CANCELLED, "call cancelled");
            break;
        }
        if (ctx->deadline_ms != 0 && nl_now_ms() >= ctx->deadline_ms) {
            st = nl_ctx_errorf(ctx, NL_DEADLINE_EXCEEDED, "deadline exceeded");
            break;
        }
        st = import_row(&run, req->rows[i], &outcome);
        nl_arena_release(&run.scratch);
        if (st != NL_OK)
            break;
        if (outcome == NL_WRITE_CREATED)
            resp->created++;
        else if (outcome == NL_WRITE_UPDATED)
            resp->updated++;
        else if (outcome == NL_WRITE_UNCHANGED)
            resp->unchanged++;
    }
    nl_arena_release(&run.scratch);
    if (st != NL_OK)
        return import_abort(&run, st);

    resp->rejected = (int32_t)resp->n_errors;
    keep = !req->dry_run && (resp->n_errors == 0 || req->skip_bad_rows);
    st = savepoint_close(&run, keep);
    if (st != NL_OK)
        return import_abort(&run, nl_svc_store_error(ctx, st));
    /* Remember a batch that wrote what it could; a refused or trial one can run again. */
    if (keep && (resp->n_errors == 0 || resp->created + resp->updated > 0)) {
        st = remember(ctx, req->batch_id, hash, resp);
        if (st != NL_OK)
            return st;
    }
    return NL_OK;
}

/* --- Export --- */

/* The kinds a filter applies to. */
static int kind_has_year(int kind)
{
    return kind == NL_EXPORT_CLASSES || kind == NL_EXPORT_ENROLMENTS || kind == NL_EXPORT_REVIEWS ||
           kind == NL_EXPORT_REPORTS;
}

/* Parses a non-negative decimal integer of exactly `len` bytes. 0, or -1. */
static int parse_int(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;

    if (len == 0 || len > 18)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/*
 * Decodes a page token of `kind` into *key (strings in the arena); "" is the
 * first page. Returns 0, -1 for a token this server did not make (or made
 * for another kind), -2 when out of memory.
 */
static int page_token_decode(struct nl_arena *a, const char *tok, int kind,
                             struct nl_export_key *key)
{
    struct nl_buf b;
    size_t len = strlen(tok);
    const char *part[TOKEN_PARTS];
    size_t plen[TOKEN_PARTS];
    char kind_str[8];
    int rc = -1;

    memset(key, 0, sizeof(*key));
    key->t1 = key->t2 = key->t3 = "";
    if (len == 0)
        return 0;
    if (len > TOKEN_MAX)
        return -1;
    nl_buf_init(&b, TOKEN_MAX);
    if (nl_wire_b64_decode(&b, tok, len) != 0)
        goto out;
    {
        const char *p = (const char *)b.data, *end = p + b.len;
        size_t np = 0;

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
            goto out;
    }
    (void)snprintf(kind_str, sizeof(kind_str), "%d", kind);
    if (plen[0] != strlen(TOKEN_PREFIX) || memcmp(part[0], TOKEN_PREFIX, plen[0]) != 0 ||
        plen[1] != strlen(kind_str) || memcmp(part[1], kind_str, plen[1]) != 0)
        goto out;
    for (int i = 2; i <= 4; i++) {
        if (plen[i] > KEY_PART_MAX)
            goto out;
        for (size_t j = 0; j < plen[i]; j++) {
            if (part[i][j] < 0x21 || part[i][j] > 0x7e)
                goto out;
        }
    }
    if (parse_int(part[5], plen[5], &key->n1) != 0 || parse_int(part[6], plen[6], &key->n2) != 0)
        goto out;
    key->t1 = nl_arena_strndup(a, part[2], plen[2]);
    key->t2 = nl_arena_strndup(a, part[3], plen[3]);
    key->t3 = nl_arena_strndup(a, part[4], plen[4]);
    rc = key->t1 == NULL || key->t2 == NULL || key->t3 == NULL ? -2 : 0;
out:
    nl_buf_release(&b);
    return rc;
}

/* Encodes the token that continues after the row with key `k`; NULL when out of memory. */
static char *page_token_encode(struct nl_arena *a, int kind, const struct nl_export_key *k)
{
    struct nl_buf raw, enc;
    char *tok = NULL;

    nl_buf_init(&raw, TOKEN_MAX);
    nl_buf_init(&enc, TOKEN_MAX * 2);
    if (nl_buf_appendf(&raw, "%s|%d|%s|%s|%s|%" PRId64 "|%" PRId64, TOKEN_PREFIX, kind, k->t1,
                       k->t2, k->t3, k->n1, k->n2) == 0 &&
        nl_wire_b64_encode(&enc, raw.data, raw.len) == 0)
        tok = nl_arena_strndup(a, (const char *)enc.data, enc.len);
    nl_buf_release(&raw);
    nl_buf_release(&enc);
    return tok;
}

/* A new message of type `d` in the arena, initialised; NULL when out of memory. */
static void *new_msg(struct nl_arena *a, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = nl_arena_alloc(a, d->sizeof_message);

    if (m != NULL)
        protobuf_c_message_init(d, m);
    return m;
}

/* A string array in the arena pointing at `n` borrowed strings; NULL when out of memory. */
static char **str_array(struct nl_arena *a, const char *const *s, size_t n)
{
    char **arr = nl_arena_alloc(a, (n > 0 ? n : 1) * sizeof(*arr));

    if (arr != NULL) {
        for (size_t i = 0; i < n; i++)
            arr[i] = nl_svc_unconst(s[i]);
    }
    return arr;
}

static int unit_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row, const struct nl_unit_rec *r)
{
    Nhanluc__V1__Unit *m = new_msg(a, &nhanluc__v1__unit__descriptor);

    if (m == NULL)
        return -1;
    m->code = nl_svc_unconst(r->code);
    m->name = nl_svc_unconst(r->name);
    m->kind = (Nhanluc__V1__UnitKind)r->kind;
    m->parent = nl_svc_unconst(r->parent);
    m->valid_from = nl_svc_unconst(r->valid_from);
    m->valid_to = nl_svc_unconst(r->valid_to);
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_UNIT;
    row->unit = m;
    return 0;
}

static int term_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row, const struct nl_term_rec *r)
{
    Nhanluc__V1__Term *m = new_msg(a, &nhanluc__v1__term__descriptor);

    if (m == NULL)
        return -1;
    m->code = nl_svc_unconst(r->code);
    m->kind = (Nhanluc__V1__TermKind)r->kind;
    m->start_year = r->start_year;
    m->end_year = r->end_year;
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TERM;
    row->term = m;
    return 0;
}

static int event_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                     const struct nl_unit_event_rec *r)
{
    Nhanluc__V1__UnitEvent *m = new_msg(a, &nhanluc__v1__unit_event__descriptor);

    if (m == NULL)
        return -1;
    m->kind = (Nhanluc__V1__UnitEventKind)r->kind;
    m->effective_date = nl_svc_unconst(r->effective_date);
    m->legal_basis = nl_svc_unconst(r->legal_basis);
    m->sources = str_array(a, r->sources, r->nsources);
    m->n_sources = r->nsources;
    m->targets = str_array(a, r->targets, r->ntargets);
    m->n_targets = r->ntargets;
    if (m->sources == NULL || m->targets == NULL)
        return -1;
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_UNIT_EVENT;
    row->unit_event = m;
    return 0;
}

static int cadre_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row, const struct nl_export_row *r)
{
    const struct nl_cadre_rec *c = &r->r.cadre.cadre;
    const struct nl_cadre_profile_rec *p = &r->r.cadre.profile;
    Nhanluc__V1__UpsertCadreRequest *m = new_msg(a, &nhanluc__v1__upsert_cadre_request__descriptor);
    Nhanluc__V1__Cadre *cm = new_msg(a, &nhanluc__v1__cadre__descriptor);

    if (m == NULL || cm == NULL)
        return -1;
    cm->cadre_code = nl_svc_unconst(c->code);
    cm->full_name = nl_svc_unconst(c->full_name);
    cm->sex = (Nhanluc__V1__Sex)c->sex;
    cm->birth_year = c->birth_year;
    m->cadre = cm;
    if (r->r.cadre.has_profile) {
        Nhanluc__V1__CadreProfile *pm = new_msg(a, &nhanluc__v1__cadre_profile__descriptor);

        if (pm == NULL)
            return -1;
        pm->unit = nl_svc_unconst(p->unit);
        pm->position_title = nl_svc_unconst(p->position_title);
        pm->key_cadre = p->key_cadre != 0;
        pm->level = (Nhanluc__V1__Level)p->level;
        pm->mgmt_category = (Nhanluc__V1__MgmtCategory)p->mgmt_category;
        pm->education = (Nhanluc__V1__Education)p->education;
        pm->political_theory = (Nhanluc__V1__PoliticalTheory)p->political_theory;
        pm->state_mgmt = (Nhanluc__V1__StateMgmt)p->state_mgmt;
        pm->as_of = nl_svc_unconst(p->valid_from);
        pm->valid_to = nl_svc_unconst(p->valid_to);
        m->profile = pm;
    }
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_CADRE;
    row->cadre = m;
    return 0;
}

static int class_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row, const struct nl_class_rec *r)
{
    Nhanluc__V1__TrainingClass *m = new_msg(a, &nhanluc__v1__training_class__descriptor);

    if (m == NULL)
        return -1;
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
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TRAINING_CLASS;
    row->training_class = m;
    return 0;
}

static int enrolment_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                         const struct nl_export_row *r)
{
    const struct nl_enrolment_rec *e = &r->r.enrolment.e;
    Nhanluc__V1__EnrolmentRow *m = new_msg(a, &nhanluc__v1__enrolment_row__descriptor);
    Nhanluc__V1__Enrolment *em = new_msg(a, &nhanluc__v1__enrolment__descriptor);

    if (m == NULL || em == NULL)
        return -1;
    m->organiser_unit = nl_svc_unconst(r->r.enrolment.organiser_unit);
    m->class_ref = nl_svc_unconst(r->r.enrolment.class_ref);
    em->cadre_code = nl_svc_unconst(e->cadre_code);
    em->status = (Nhanluc__V1__EnrolmentStatus)e->status;
    em->result = (Nhanluc__V1__Result)e->result;
    em->attended = e->attended;
    em->absent_excused = e->absent_excused;
    em->absent_unexcused = e->absent_unexcused;
    if (e->has_thesis) {
        em->thesis_score = new_msg(a, &nhanluc__v1__score__descriptor);
        if (em->thesis_score == NULL)
            return -1;
        em->thesis_score->value = e->thesis_score;
    }
    em->certificate_no = nl_svc_unconst(e->certificate_no);
    m->enrolment = em;
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_ENROLMENT;
    row->enrolment = m;
    return 0;
}

static int committee_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                         const struct nl_export_committee *r)
{
    Nhanluc__V1__CommitteeMembership *m =
        new_msg(a, &nhanluc__v1__committee_membership__descriptor);

    if (m == NULL)
        return -1;
    m->cadre_code = nl_svc_unconst(r->cadre_code);
    m->unit = nl_svc_unconst(r->unit);
    m->term = nl_svc_unconst(r->term);
    m->body = (Nhanluc__V1__Body)r->body;
    m->role = (Nhanluc__V1__BodyRole)r->role;
    m->start_date = nl_svc_unconst(r->start_date);
    m->end_date = nl_svc_unconst(r->end_date);
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_COMMITTEE;
    row->committee = m;
    return 0;
}

static int planning_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                        const struct nl_export_planning *r)
{
    Nhanluc__V1__PlanningEntry *m = new_msg(a, &nhanluc__v1__planning_entry__descriptor);

    if (m == NULL)
        return -1;
    m->cadre_code = nl_svc_unconst(r->cadre_code);
    m->unit = nl_svc_unconst(r->unit);
    m->term = nl_svc_unconst(r->term);
    m->body_or_title = (Nhanluc__V1__BodyOrTitle)r->body_or_title;
    m->added_on = nl_svc_unconst(r->added_on);
    m->removed_on = nl_svc_unconst(r->removed_on);
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_PLANNING;
    row->planning = m;
    return 0;
}

static int seats_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                     const struct nl_export_seats *r)
{
    Nhanluc__V1__SeatQuota *m = new_msg(a, &nhanluc__v1__seat_quota__descriptor);

    if (m == NULL)
        return -1;
    m->unit = nl_svc_unconst(r->unit);
    m->term = nl_svc_unconst(r->term);
    m->body_or_title = (Nhanluc__V1__BodyOrTitle)r->body_or_title;
    m->seats = r->seats;
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_SEATS;
    row->seats = m;
    return 0;
}

static int review_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                      const struct nl_export_review *r)
{
    Nhanluc__V1__Review *m = new_msg(a, &nhanluc__v1__review__descriptor);

    if (m == NULL)
        return -1;
    m->cadre_code = nl_svc_unconst(r->cadre_code);
    m->year = r->year;
    m->annual_rating = (Nhanluc__V1__AnnualRating)r->annual_rating;
    m->meets_requirements = r->meets_requirements != 0;
    m->action = (Nhanluc__V1__ReviewAction)r->action;
    m->decision_ref = nl_svc_unconst(r->decision_ref);
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_REVIEW;
    row->review = m;
    return 0;
}

static int report_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                      const struct nl_export_report *r)
{
    Nhanluc__V1__AnnualReport *m = new_msg(a, &nhanluc__v1__annual_report__descriptor);

    if (m == NULL)
        return -1;
    m->unit = nl_svc_unconst(r->unit);
    m->year = r->year;
    m->status = (Nhanluc__V1__ReportStatus)r->status;
    m->submitted_at = nl_svc_unconst(r->submitted_at);
    m->approved_at = nl_svc_unconst(r->approved_at);
    m->return_reason = nl_svc_unconst(r->return_reason);
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_REPORT;
    row->report = m;
    return 0;
}

static int term_instance_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                             const struct nl_term_instance_rec *r)
{
    Nhanluc__V1__TermInstance *m = new_msg(a, &nhanluc__v1__term_instance__descriptor);

    if (m == NULL)
        return -1;
    m->term = nl_svc_unconst(r->term);
    m->unit = nl_svc_unconst(r->unit);
    m->start_date = nl_svc_unconst(r->start_date);
    m->end_date = nl_svc_unconst(r->end_date);
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TERM_INSTANCE;
    row->term_instance = m;
    return 0;
}

static int target_msg(struct nl_arena *a, Nhanluc__V1__ImportRow *row,
                      const struct nl_target_rec *r)
{
    Nhanluc__V1__Target *m = new_msg(a, &nhanluc__v1__target__descriptor);

    if (m == NULL)
        return -1;
    m->indicator = nl_svc_unconst(r->indicator);
    m->op = nl_svc_unconst(r->op);
    m->value = nl_svc_unconst(r->value);
    m->unit = nl_svc_unconst(r->unit);
    m->term = nl_svc_unconst(r->term);
    row->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TARGET;
    row->target = m;
    return 0;
}

/* The ImportRow (line 0) of an exported row; NULL when out of memory. */
static Nhanluc__V1__ImportRow *row_msg(struct nl_arena *a, const struct nl_export_row *r)
{
    Nhanluc__V1__ImportRow *row = new_msg(a, &nhanluc__v1__import_row__descriptor);
    int rc = -1;

    if (row == NULL)
        return NULL;
    switch (r->kind) {
    case NL_EXPORT_UNITS:
        rc = unit_msg(a, row, &r->r.unit);
        break;
    case NL_EXPORT_TERMS:
        rc = term_msg(a, row, &r->r.term);
        break;
    case NL_EXPORT_UNIT_EVENTS:
        rc = event_msg(a, row, &r->r.event);
        break;
    case NL_EXPORT_CADRES:
        rc = cadre_msg(a, row, r);
        break;
    case NL_EXPORT_CLASSES:
        rc = class_msg(a, row, &r->r.cls);
        break;
    case NL_EXPORT_ENROLMENTS:
        rc = enrolment_msg(a, row, r);
        break;
    case NL_EXPORT_COMMITTEE:
        rc = committee_msg(a, row, &r->r.committee);
        break;
    case NL_EXPORT_PLANNING:
        rc = planning_msg(a, row, &r->r.planning);
        break;
    case NL_EXPORT_SEATS:
        rc = seats_msg(a, row, &r->r.seats);
        break;
    case NL_EXPORT_REVIEWS:
        rc = review_msg(a, row, &r->r.review);
        break;
    case NL_EXPORT_REPORTS:
        rc = report_msg(a, row, &r->r.report);
        break;
    case NL_EXPORT_TERM_INSTANCES:
        rc = term_instance_msg(a, row, &r->r.term_instance);
        break;
    case NL_EXPORT_TARGETS:
        rc = target_msg(a, row, &r->r.target);
        break;
    default:
        break;
    }
    return rc == 0 ? row : NULL;
}

/*
 * full_name goes only to the cadre's own unit and admins (scope_auth.h):
 * central gets it empty, and so does a district for a profile row of a
 * cadre that now belongs to another unit.
 */
static enum nl_status export_full_name(struct nl_ctx *ctx, Nhanluc__V1__ImportRow *row)
{
    int in = 1, exists = 1;
    enum nl_status st = NL_OK;

    if (row->record_case != NHANLUC__V1__IMPORT_ROW__RECORD_CADRE || row->cadre == NULL ||
        row->cadre->cadre == NULL)
        return NL_OK;
    if (nl_auth_confined(ctx))
        st = nl_store_scope_has_cadre(ctx->store, nl_auth_scope(ctx), row->cadre->cadre->cadre_code,
                                      &in, &exists);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (!in || !nl_auth_sees_full_name(ctx))
        row->cadre->cadre->full_name = nl_svc_unconst("");
    return NL_OK;
}

/* Validates the request of an export; *limit gets the page size. */
static enum nl_status export_check(struct nl_ctx *ctx, const Nhanluc__V1__ExportRequest *req,
                                   size_t *limit)
{
    int kind = (int)req->kind;

    if (kind == 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "kind: required");
    if (kind < NL_EXPORT_UNITS || kind > NL_EXPORT_LAST)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "kind: unknown value");
    if (req->year < 0 || req->year > 9999)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "year: must be 0 (any) or 1-9999");
    if (req->year != 0 && !kind_has_year(kind))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "year: applies to classes, enrolments, reviews and reports only");
    if (req->unit[0] != '\0') {
        if (!nl_svc_unit_code_valid(req->unit, strlen(req->unit)))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "unit: must be 1-64 characters of a-z, 0-9 and '-'");
        if (kind == NL_EXPORT_TERMS)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: terms belong to no unit");
    }
    if (req->page_size < 0 || req->page_size > EXPORT_PAGE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0-%d", EXPORT_PAGE_MAX);
    *limit = req->page_size == 0 ? EXPORT_PAGE_DEFAULT : (size_t)req->page_size;
    return NL_OK;
}

enum nl_status nl_rec_export(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                             ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ExportRequest *req = (const Nhanluc__V1__ExportRequest *)req_;
    Nhanluc__V1__ExportResponse *resp = (Nhanluc__V1__ExportResponse *)resp_;
    struct nl_export_key after;
    struct nl_export_filter f;
    struct nl_export_row *rows = NULL;
    char today[11];
    size_t limit = 0, n = 0, bytes = 0, taken = 0;
    enum nl_status st;
    int more = 0, trc;

    /* check */
    st = export_check(ctx, req, &limit);
    if (st != NL_OK)
        return st;
    trc = page_token_decode(ctx->arena, req->page_token, (int)req->kind, &after);
    if (trc == -2)
        return nl_svc_out_of_memory(ctx);
    if (trc != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_token: invalid");

    /* proceed */
    nl_date_format(nl_date_today(), today);
    f.unit = req->unit;
    f.year = req->year;
    f.today = today;
    f.scope = nl_auth_scope(ctx);
    /*
     * A district exports its own units only: a unit outside its scope reads
     * as absent, and without a unit the filter is its own unit (the store
     * filters in SQL, each row by its own day's tree and by the district's
     * scope as it stands today). Terms belong to no unit.
     */
    if (nl_auth_confined(ctx) && (int)req->kind != NL_EXPORT_TERMS) {
        if (req->unit[0] != '\0') {
            st = nl_auth_read_unit(ctx, req->unit, "unit");
            if (st == NL_NOT_FOUND)
                return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
        } else {
            st = nl_store_unit_code_of(ctx->store, nl_auth_scope(ctx), &f.unit, ctx->arena);
            if (st != NL_OK)
                st = nl_svc_store_error(ctx, st);
        }
        if (st != NL_OK)
            return st;
    }
    st = nl_store_export(ctx->store, (int)req->kind, &f, &after, limit, &rows, &n, &more,
                         ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n == 0)
        return NL_OK;
    resp->rows = nl_arena_alloc(ctx->arena, n * sizeof(*resp->rows));
    if (resp->rows == NULL)
        return nl_svc_out_of_memory(ctx);
    for (taken = 0; taken < n; taken++) {
        Nhanluc__V1__ImportRow *row = row_msg(ctx->arena, &rows[taken]);

        if (row == NULL)
            return nl_svc_out_of_memory(ctx);
        st = export_full_name(ctx, row);
        if (st != NL_OK)
            return st;
        /* A page of long rows ends early, well inside the response cap. */
        bytes += protobuf_c_message_get_packed_size(&row->base) + 8;
        if (bytes > EXPORT_BYTES_MAX && taken > 0) {
            more = 1;
            break;
        }
        resp->rows[taken] = row;
    }
    resp->n_rows = taken;
    if (more) {
        resp->next_page_token = page_token_encode(ctx->arena, (int)req->kind, &rows[taken - 1].key);
        if (resp->next_page_token == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    return NL_OK;
}
