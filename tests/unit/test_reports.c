/*
 * test_reports.c - the annual training reports of nhanluc.v1.Records
 * (SubmitReport, ReturnReport, ApproveReport, ListReports) and the lock an
 * approved report puts on its unit-year's classes (SubmitClass, CancelClass,
 * and the store check UpsertEnrolment and the import use), called the way the
 * server calls them: a packed request goes into nl_job_new, nl_job_run
 * unpacks it and runs the method row's handler on a store, and the packed
 * response is read back.
 *
 * Writes run on the read-write connection inside BEGIN IMMEDIATE + a
 * savepoint (the writer's batch shape; a failed call rolls its savepoint
 * back); reads on a separate read-only connection inside a read transaction.
 * Units, terms and cadres are made with raw SQL through the test-only store
 * hooks. The store is a file in a temporary directory, removed in teardown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../common/date.h"
#include "../common/wire.h"
#include "job.h"
#include "method.h"
#include "nhanluc/v1/records.pb-c.h"
#include "store.h"
#include "store_reports.h"
#include "../support/store_fixture.h"

#define RS_DRAFT      NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_DRAFT
#define RS_SUBMITTED  NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_SUBMITTED
#define RS_RETURNED   NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_RETURNED
#define RS_APPROVED   NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_APPROVED
#define OUT_CREATED   NHANLUC__V1__WRITE_OUTCOME__CREATED
#define OUT_UPDATED   NHANLUC__V1__WRITE_OUTCOME__UPDATED
#define OUT_UNCHANGED NHANLUC__V1__WRITE_OUTCOME__UNCHANGED
#define SUBMIT        "/nhanluc.v1.Records/SubmitReport"
#define RETURN        "/nhanluc.v1.Records/ReturnReport"
#define APPROVE       "/nhanluc.v1.Records/ApproveReport"
#define LIST          "/nhanluc.v1.Records/ListReports"
#define CLASS_SUBMIT  "/nhanluc.v1.Records/SubmitClass"
#define CLASS_CANCEL  "/nhanluc.v1.Records/CancelClass"
#define ENROL_UPSERT  "/nhanluc.v1.Records/UpsertEnrolment"
#define LOCKED_2020   "class is locked: the unit's report for 2020 is approved"

static struct sf_db *g; /* the current fixture, for the call helpers */

/*
 * The world of the tests:
 *   ha-noi (city) > hai-ba-trung, thanh-tri (districts);
 *   xa-a: under thanh-tri;
 *   xa-b: under thanh-tri until 2025-06-30, directly under ha-noi since
 *   (in thanh-tri's subtree for the years before 2025, not today).
 * Term 2020-2025; cadres C001, C002.
 */
static const char world_sql[] =
    "INSERT INTO unit(id, code) VALUES (1, 'ha-noi'), (2, 'hai-ba-trung'), (3, 'thanh-tri'),"
    " (4, 'xa-a'), (5, 'xa-b');"
    "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to) VALUES"
    " (1, 'Thành phố Hà Nội', 1, NULL, '0001-01-01', NULL),"
    " (2, 'Quận Hai Bà Trưng', 2, 1, '0001-01-01', NULL),"
    " (3, 'Huyện Thanh Trì', 3, 1, '0001-01-01', NULL),"
    " (4, 'Xã A', 7, 3, '0001-01-01', NULL),"
    " (5, 'Xã B', 7, 3, '0001-01-01', '2025-06-30'),"
    " (5, 'Phường B', 6, 1, '2025-07-01', NULL);"
    "INSERT INTO term(code, kind, start_year, end_year) VALUES ('2020-2025', 1, 2020, 2025);"
    "INSERT INTO cadre(cadre_code, sex, birth_year) VALUES ('C001', 1, 1980), ('C002', 2, 1981);";

static int setup(void **state)
{
    return sf_setup_sql(state, "reports", &g, world_sql);
}

/* Runs `req` on the current fixture. */
#define call(path, req, r) sf_call(g, (path), (req), (r))

/* Queries on the writer's connection: the first column of the first row. */
#define query_num(sql)            sf_sql_long(g->rw, (sql))
#define query_text(sql, out, len) sf_query_text(g->rw, (sql), (out), (len))

/* --- report calls --- */

static void submit(const char *unit, int year, const char *at, struct sf_result *r)
{
    Nhanluc__V1__SubmitReportRequest req;

    nhanluc__v1__submit_report_request__init(&req);
    req.unit = sf_unconst(unit);
    req.year = year;
    if (at != NULL)
        req.submitted_at = sf_unconst(at);
    call(SUBMIT, &req.base, r);
}

static void ret(const char *unit, int year, const char *reason, struct sf_result *r)
{
    Nhanluc__V1__ReturnReportRequest req;

    nhanluc__v1__return_report_request__init(&req);
    req.unit = sf_unconst(unit);
    req.year = year;
    if (reason != NULL)
        req.reason = sf_unconst(reason);
    call(RETURN, &req.base, r);
}

static void approve(const char *unit, int year, const char *at, struct sf_result *r)
{
    Nhanluc__V1__ApproveReportRequest req;

    nhanluc__v1__approve_report_request__init(&req);
    req.unit = sf_unconst(unit);
    req.year = year;
    if (at != NULL)
        req.approved_at = sf_unconst(at);
    call(APPROVE, &req.base, r);
}

/* Asserts an OK ReportResponse with this outcome, status and times; frees it. */
static void expect_report(struct sf_result *r, int outcome, const char *unit, int year, int status,
                          const char *submitted_at, const char *approved_at, const char *reason)
{
    if (r->status != NL_OK)
        fail_msg("want OK, got %d '%s'", r->status, r->msg);
    Nhanluc__V1__ReportResponse *resp = (Nhanluc__V1__ReportResponse *)r->resp;
    assert_non_null(resp->report);
    assert_int_equal(resp->outcome, outcome);
    assert_string_equal(resp->report->unit, unit);
    assert_int_equal(resp->report->year, year);
    assert_int_equal(resp->report->status, status);
    if (submitted_at != NULL)
        assert_string_equal(resp->report->submitted_at, submitted_at);
    if (approved_at != NULL)
        assert_string_equal(resp->report->approved_at, approved_at);
    if (reason != NULL)
        assert_string_equal(resp->report->return_reason, reason);
    sf_call_done(r);
}

/* Status of the stored report of unit id `uid`, or -1 when there is none. */
static long stored_status(int uid, int year)
{
    char sql[160];

    (void)snprintf(sql, sizeof(sql),
                   "SELECT COALESCE((SELECT status FROM report WHERE unit_id = %d AND year = %d),"
                   " -1)",
                   uid, year);
    return query_num(sql);
}

/* --- class calls (for the lock) --- */

struct cls {
    Nhanluc__V1__SubmitClassRequest req;
    Nhanluc__V1__TrainingClass c;
    Nhanluc__V1__Enrolment e;
    Nhanluc__V1__Enrolment e2; /* C002, sent only when n_enrolments is 2 */
    Nhanluc__V1__Enrolment *ep[2];
};

/* A valid class of `unit` held on `end`, with trainee C001 enrolled. */
static void cls_init(struct cls *s, const char *unit, const char *ref, const char *end)
{
    memset(s, 0, sizeof(*s));
    nhanluc__v1__submit_class_request__init(&s->req);
    nhanluc__v1__training_class__init(&s->c);
    nhanluc__v1__enrolment__init(&s->e);
    s->c.class_ref = sf_unconst(ref);
    s->c.organiser_unit = sf_unconst(unit);
    s->c.title = sf_unconst("Bồi dưỡng nguồn quy hoạch");
    s->c.kind = NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_UPGRADE;
    s->c.area = NHANLUC__V1__AREA__AREA_POLITICAL_THEORY;
    s->c.target_group = sf_unconst("PLANNING_COMMITTEE");
    s->c.mode = NHANLUC__V1__CLASS_MODE__CLASS_MODE_FULL_TIME;
    s->c.start_date = sf_unconst(end);
    s->c.end_date = sf_unconst(end);
    s->c.sessions = 5;
    s->c.planned_trainees = 10;
    s->c.status = NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_ENDED;
    s->e.cadre_code = sf_unconst("C001");
    s->e.status = NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED;
    nhanluc__v1__enrolment__init(&s->e2);
    s->e2.cadre_code = sf_unconst("C002");
    s->e2.status = NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED;
    s->ep[0] = &s->e;
    s->ep[1] = &s->e2;
    s->req.training_class = &s->c;
    s->req.enrolments = s->ep;
    s->req.n_enrolments = 1;
}

/* Submits the class; returns the status (message in r->msg) and the class outcome via *out. */
static enum nl_status cls_submit(struct cls *s, struct sf_result *r, int *outcome)
{
    call(CLASS_SUBMIT, &s->req.base, r);
    if (r->status == NL_OK && outcome != NULL)
        *outcome = ((Nhanluc__V1__SubmitClassResponse *)r->resp)->outcome;
    sf_call_done(r);
    return r->status;
}

static void cls_cancel(const char *unit, const char *ref, struct sf_result *r)
{
    Nhanluc__V1__CancelClassRequest req;

    nhanluc__v1__cancel_class_request__init(&req);
    req.organiser_unit = sf_unconst(unit);
    req.class_ref = sf_unconst(ref);
    call(CLASS_CANCEL, &req.base, r);
}

/* --- transitions --- */

static void test_submit(void **state)
{
    struct sf_result r;
    char today[11], want_prefix[16];
    long changes;

    (void)state;
    /* A new report: SUBMITTED at the date given. */
    submit("hai-ba-trung", 2020, "2021-01-15", &r);
    expect_report(&r, OUT_CREATED, "hai-ba-trung", 2020, RS_SUBMITTED, "2021-01-15", "", "");
    assert_int_equal(stored_status(2, 2020), RS_SUBMITTED);

    /* Replays, with the same time or none, write nothing and keep the time. */
    changes = query_num("SELECT total_changes()");
    submit("hai-ba-trung", 2020, "2021-01-15", &r);
    expect_report(&r, OUT_UNCHANGED, "hai-ba-trung", 2020, RS_SUBMITTED, "2021-01-15", "", "");
    submit("hai-ba-trung", 2020, "", &r);
    expect_report(&r, OUT_UNCHANGED, "hai-ba-trung", 2020, RS_SUBMITTED, "2021-01-15", "", "");
    assert_int_equal(query_num("SELECT total_changes()"), changes);

    /* Another time corrects it; a timestamp is stored in its normal form. */
    submit("hai-ba-trung", 2020, "2021-01-16t08:30:00.250+07:00", &r);
    expect_report(&r, OUT_UPDATED, "hai-ba-trung", 2020, RS_SUBMITTED,
                  "2021-01-16T08:30:00.250+07:00", "", "");
    submit("hai-ba-trung", 2020, "2021-01-16T08:30:00.250+07:00", &r);
    expect_report(&r, OUT_UNCHANGED, "hai-ba-trung", 2020, RS_SUBMITTED, NULL, NULL, NULL);

    /* No time: now, in UTC, as a timestamp of today. */
    submit("thanh-tri", 2020, NULL, &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ReportResponse *resp = (Nhanluc__V1__ReportResponse *)r.resp;
    nl_date_format(nl_date_today(), today);
    (void)snprintf(want_prefix, sizeof(want_prefix), "%sT", today);
    assert_int_equal(strlen(resp->report->submitted_at), 20);
    assert_memory_equal(resp->report->submitted_at, want_prefix, 11);
    assert_int_equal(resp->report->submitted_at[19], 'Z');
    assert_int_equal(resp->outcome, OUT_CREATED);
    sf_call_done(&r);

    /* A DRAFT (from an import) is submitted like a new one. */
    assert_int_equal(
        nl_store_test_exec(g->rw, "INSERT INTO report(unit_id, year, status) VALUES (4, 2019, 1)"),
        NL_OK);
    submit("xa-a", 2019, "2020-01-31", &r);
    expect_report(&r, OUT_UPDATED, "xa-a", 2019, RS_SUBMITTED, "2020-01-31", "", "");
}

static void test_return(void **state)
{
    struct sf_result r;
    /* "Thiếu số liệu" with decomposed marks, on two lines. */
    const char *decomposed = "Thie\xcc\x82\xcc\x81u so\xcc\x82\xcc\x81 lie\xcc\xa3\xcc\x82u\r\n"
                             "Bo\xcc\x82\xcc\x89 sung lo\xcc\x9b\xcc\x81p 3";
    const char *composed = "Thiếu số liệu\r\nBổ sung lớp 3";

    (void)state;
    ret("hai-ba-trung", 2020, "x", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "report not found");

    submit("hai-ba-trung", 2020, "2021-01-15", &r);
    sf_call_done(&r);
    ret("hai-ba-trung", 2020, decomposed, &r);
    expect_report(&r, OUT_UPDATED, "hai-ba-trung", 2020, RS_RETURNED, "2021-01-15", "", composed);
    assert_int_equal(stored_status(2, 2020), RS_RETURNED);

    /* The same return again (composed or not) is a replay; another reason is refused. */
    long changes = query_num("SELECT total_changes()");
    ret("hai-ba-trung", 2020, composed, &r);
    expect_report(&r, OUT_UNCHANGED, "hai-ba-trung", 2020, RS_RETURNED, NULL, NULL, composed);
    ret("hai-ba-trung", 2020, decomposed, &r);
    expect_report(&r, OUT_UNCHANGED, "hai-ba-trung", 2020, RS_RETURNED, NULL, NULL, composed);
    assert_int_equal(query_num("SELECT total_changes()"), changes);
    ret("hai-ba-trung", 2020, "Lý do khác", &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "report is RETURNED, not SUBMITTED or APPROVED");

    /* Resubmitted after the return: SUBMITTED again, the reason kept as history. */
    submit("hai-ba-trung", 2020, "2021-01-20", &r);
    expect_report(&r, OUT_UPDATED, "hai-ba-trung", 2020, RS_SUBMITTED, "2021-01-20", "", composed);

    /* A DRAFT cannot be returned. */
    assert_int_equal(
        nl_store_test_exec(g->rw, "INSERT INTO report(unit_id, year, status) VALUES (3, 2020, 1)"),
        NL_OK);
    ret("thanh-tri", 2020, "x", &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "report is DRAFT, not SUBMITTED or APPROVED");
    assert_int_equal(stored_status(3, 2020), RS_DRAFT);

    /* An APPROVED one can (that unlocks it): the approval time goes. */
    approve("hai-ba-trung", 2020, "2021-02-01", &r);
    sf_call_done(&r);
    ret("hai-ba-trung", 2020, "Sai số liệu", &r);
    expect_report(&r, OUT_UPDATED, "hai-ba-trung", 2020, RS_RETURNED, "2021-01-20", "",
                  "Sai số liệu");
    assert_int_equal(query_num("SELECT COUNT(*) FROM report WHERE approved_at IS NOT NULL"), 0);
}

static void test_approve(void **state)
{
    struct sf_result r;
    long changes;

    (void)state;
    approve("hai-ba-trung", 2020, NULL, &r);
    sf_expect_error(&r, NL_NOT_FOUND, "report not found");

    submit("hai-ba-trung", 2020, "2021-01-15", &r);
    sf_call_done(&r);
    approve("hai-ba-trung", 2020, "2021-02-01T09:00:00Z", &r);
    expect_report(&r, OUT_UPDATED, "hai-ba-trung", 2020, RS_APPROVED, "2021-01-15",
                  "2021-02-01T09:00:00Z", "");

    /* Approving again is a replay whatever time it names; the first time stays. */
    changes = query_num("SELECT total_changes()");
    approve("hai-ba-trung", 2020, "2021-03-01", &r);
    expect_report(&r, OUT_UNCHANGED, "hai-ba-trung", 2020, RS_APPROVED, "2021-01-15",
                  "2021-02-01T09:00:00Z", "");
    approve("hai-ba-trung", 2020, NULL, &r);
    expect_report(&r, OUT_UNCHANGED, "hai-ba-trung", 2020, RS_APPROVED, NULL,
                  "2021-02-01T09:00:00Z", NULL);

    /* An approved report cannot be submitted again. */
    submit("hai-ba-trung", 2020, "2021-01-15", &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "report is approved");
    submit("hai-ba-trung", 2020, NULL, &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "report is approved");
    assert_int_equal(query_num("SELECT total_changes()"), changes);

    /* Only a SUBMITTED report can be approved. */
    submit("thanh-tri", 2020, "2021-01-15", &r);
    sf_call_done(&r);
    ret("thanh-tri", 2020, "Thiếu lớp", &r);
    sf_call_done(&r);
    approve("thanh-tri", 2020, NULL, &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "report is RETURNED, not SUBMITTED");
    assert_int_equal(
        nl_store_test_exec(g->rw, "INSERT INTO report(unit_id, year, status) VALUES (4, 2020, 1)"),
        NL_OK);
    approve("xa-a", 2020, NULL, &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "report is DRAFT, not SUBMITTED");
    assert_int_equal(stored_status(3, 2020), RS_RETURNED);
    assert_int_equal(stored_status(4, 2020), RS_DRAFT);

    /* Without a time: now (UTC). */
    submit("xa-b", 2020, "2021-01-15", &r);
    sf_call_done(&r);
    approve("xa-b", 2020, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(strlen(((Nhanluc__V1__ReportResponse *)r.resp)->report->approved_at), 20);
    sf_call_done(&r);
}

/* --- validation: INVALID_ARGUMENT naming the field, nothing written --- */

static void test_validation(void **state)
{
    struct sf_result r;
    char reason[NL_REPORT_REASON_MAX + 2];
    int next = sf_this_year() + 1;
    static const char *const bad_times[] = {
        "2021-13-01",
        "2021-02-30",
        "15/01/2021",
        "2021-1-15",
        "2021-01-15 ",
        "2021-01-15T08:30Z",
        "2021-01-15T08:30:00",
        "2021-01-15T24:00:00Z",
        "2021-01-15T08:60:00Z",
        "2021-01-15T08:30:00.Z",
        "2021-01-15T08:30:00.1234567890Z",
        "2021-01-15T08:30:00+0700",
        "2021-01-15T08:30:00+24:00",
        "2021-01-15T08:30:00ZZ",
        "2021-01-15X08:30:00Z",
    };

    (void)state;
    submit("Hai Ba Trung", 2020, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit: must be");
    submit("", 2020, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit: must be");
    submit("no-such-unit", 2020, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit: no such unit");
    submit("hai-ba-trung", 1944, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year: must be 1945-");
    submit("hai-ba-trung", next + 1, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year: must be 1945-");
    submit("hai-ba-trung", 0, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year:");
    for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
        submit("hai-ba-trung", 2020, bad_times[i], &r);
        if (r.status != NL_INVALID_ARGUMENT || strncmp(r.msg, "submitted_at: ", 14) != 0)
            fail_msg("submitted_at '%s': got %d '%s'", bad_times[i], r.status, r.msg);
        approve("hai-ba-trung", 2020, bad_times[i], &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "approved_at: ");
    }
    ret("hai-ba-trung", 1944, "x", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year:");
    approve("HBT", 2020, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit:");
    assert_int_equal(query_num("SELECT COUNT(*) FROM report"), 0);

    /* The bounds themselves are accepted. */
    submit("hai-ba-trung", 1945, "1946-01-10", &r);
    expect_report(&r, OUT_CREATED, "hai-ba-trung", 1945, RS_SUBMITTED, NULL, NULL, NULL);
    submit("hai-ba-trung", next, NULL, &r);
    expect_report(&r, OUT_CREATED, "hai-ba-trung", next, RS_SUBMITTED, NULL, NULL, NULL);

    /* The reason: required, 1..1000 bytes, valid UTF-8, no control but line breaks. */
    submit("hai-ba-trung", 2020, "2021-01-15", &r);
    sf_call_done(&r);
    ret("hai-ba-trung", 2020, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "reason: required");
    ret("hai-ba-trung", 2020, "\r\n\n", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "reason: required");
    ret("hai-ba-trung", 2020, "Thiếu\tsố liệu", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "reason: ");
    ret("hai-ba-trung", 2020, "bad \xc3\x28 utf-8", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "reason: ");
    memset(reason, 'x', NL_REPORT_REASON_MAX + 1);
    reason[NL_REPORT_REASON_MAX + 1] = '\0';
    ret("hai-ba-trung", 2020, reason, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "reason: must be at most 1000 bytes");
    reason[NL_REPORT_REASON_MAX - 2] = '\n';
    ret("hai-ba-trung", 2020, reason, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "reason: must be at most 1000 bytes");
    assert_int_equal(stored_status(2, 2020), RS_SUBMITTED);
    reason[NL_REPORT_REASON_MAX] = '\0'; /* exactly 1000 bytes, one of them a line break */
    ret("hai-ba-trung", 2020, reason, &r);
    expect_report(&r, OUT_UPDATED, "hai-ba-trung", 2020, RS_RETURNED, NULL, NULL, reason);
}

static void test_time_norm(void **state)
{
    char out[NL_REPORT_TIME_MAX];

    (void)state;
    assert_int_equal(nl_report_time_norm("2024-02-29", out), 0);
    assert_string_equal(out, "2024-02-29");
    assert_int_equal(nl_report_time_norm("2023-02-29", out), -1);
    assert_int_equal(nl_report_time_norm("2021-01-15t23:59:60z", out), 0);
    assert_string_equal(out, "2021-01-15T23:59:60Z");
    assert_int_equal(nl_report_time_norm("2021-01-15T00:00:00.123456789-05:30", out), 0);
    assert_string_equal(out, "2021-01-15T00:00:00.123456789-05:30");
    assert_int_equal(nl_report_time_norm("", out), -1);
    assert_int_equal(nl_report_time_norm("2021-01-15T00:00:00-05:3", out), -1);
    assert_int_equal(nl_report_time_norm("2021-01-15T00:00:00.123456789012345678901234Z", out), -1);
    assert_string_equal(nl_report_status_name(RS_APPROVED), "APPROVED");
    assert_string_equal(nl_report_status_name(0), "NONE");
    assert_string_equal(nl_report_status_name(9), "UNKNOWN");
}

/* --- ListReports --- */

static void list(const char *unit, int year, int status, int page_size, const char *token,
                 struct sf_result *r)
{
    Nhanluc__V1__ListReportsRequest req;

    nhanluc__v1__list_reports_request__init(&req);
    if (unit != NULL)
        req.unit = sf_unconst(unit);
    req.year = year;
    req.status = (Nhanluc__V1__ReportStatus)status;
    req.page_size = page_size;
    if (token != NULL)
        req.page_token = sf_unconst(token);
    call(LIST, &req.base, r);
}

/* The "unit/year" keys of a list answer, comma-separated, into out; frees the answer. */
static void list_keys(struct sf_result *r, char *out, size_t len, char *token, size_t toklen)
{
    size_t used = 0;

    if (r->status != NL_OK)
        fail_msg("list: %d '%s'", r->status, r->msg);
    Nhanluc__V1__ListReportsResponse *resp = (Nhanluc__V1__ListReportsResponse *)r->resp;
    out[0] = '\0';
    for (size_t i = 0; i < resp->n_reports; i++) {
        int n = snprintf(out + used, len - used, "%s%s/%d", i > 0 ? "," : "",
                         resp->reports[i]->unit, (int)resp->reports[i]->year);
        assert_true(n > 0 && (size_t)n < len - used);
        used += (size_t)n;
    }
    if (token != NULL)
        (void)snprintf(token, toklen, "%s", resp->next_page_token);
    sf_call_done(r);
}

static void test_list(void **state)
{
    struct sf_result r;
    char keys[512], tok[256], all[512];
    static const struct {
        const char *unit;
        int year;
    } reps[] = {
        {"hai-ba-trung", 2020}, {"thanh-tri", 2020}, {"xa-a", 2020},
        {"xa-b", 2020},         {"xa-a", 2019},      {"ha-noi", 2021},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(reps) / sizeof(reps[0]); i++) {
        submit(reps[i].unit, reps[i].year, "2021-01-10", &r);
        sf_call_done(&r);
    }
    approve("thanh-tri", 2020, NULL, &r);
    sf_call_done(&r);
    ret("xa-a", 2020, "Thiếu", &r);
    sf_call_done(&r);

    /* Everything, by year then unit. */
    list(NULL, 0, 0, 0, NULL, &r);
    list_keys(&r, keys, sizeof(keys), tok, sizeof(tok));
    assert_string_equal(keys, "xa-a/2019,hai-ba-trung/2020,thanh-tri/2020,xa-a/2020,xa-b/2020,"
                              "ha-noi/2021");
    assert_string_equal(tok, "");

    /*
     * The unit's subtree in the tree of 31 December of each report's year:
     * xa-b left thanh-tri in 2025, its 2020 report stays in thanh-tri's list.
     */
    list("thanh-tri", 0, 0, 0, NULL, &r);
    list_keys(&r, keys, sizeof(keys), NULL, 0);
    assert_string_equal(keys, "xa-a/2019,thanh-tri/2020,xa-a/2020,xa-b/2020");
    list("ha-noi", 2020, 0, 0, NULL, &r);
    list_keys(&r, keys, sizeof(keys), NULL, 0);
    assert_string_equal(keys, "hai-ba-trung/2020,thanh-tri/2020,xa-a/2020,xa-b/2020");
    list("xa-a", 0, 0, 0, NULL, &r);
    list_keys(&r, keys, sizeof(keys), NULL, 0);
    assert_string_equal(keys, "xa-a/2019,xa-a/2020");

    /* Status and year filters. */
    list(NULL, 0, RS_APPROVED, 0, NULL, &r);
    list_keys(&r, keys, sizeof(keys), NULL, 0);
    assert_string_equal(keys, "thanh-tri/2020");
    list(NULL, 2020, RS_SUBMITTED, 0, NULL, &r);
    list_keys(&r, keys, sizeof(keys), NULL, 0);
    assert_string_equal(keys, "hai-ba-trung/2020,xa-b/2020");
    list("thanh-tri", 2020, RS_RETURNED, 0, NULL, &r);
    list_keys(&r, keys, sizeof(keys), NULL, 0);
    assert_string_equal(keys, "xa-a/2020");
    list(NULL, 2020, RS_RETURNED, 0, NULL, &r);
    Nhanluc__V1__ListReportsResponse *resp = (Nhanluc__V1__ListReportsResponse *)r.resp;
    assert_int_equal(resp->n_reports, 1);
    assert_string_equal(resp->reports[0]->return_reason, "Thiếu");
    assert_string_equal(resp->reports[0]->submitted_at, "2021-01-10");
    sf_call_done(&r);

    /* Paging by 4, then by 1: the pages make up the whole list, each row once. */
    for (int size = 4; size >= 1; size -= 3) {
        size_t used = 0;
        char page[512];
        all[0] = '\0';
        tok[0] = '\0';
        for (int i = 0; i < 10; i++) {
            list(NULL, 0, 0, size, tok, &r);
            list_keys(&r, page, sizeof(page), tok, sizeof(tok));
            used += (size_t)snprintf(all + used, sizeof(all) - used, "%s%s", used ? "," : "", page);
            if (tok[0] == '\0')
                break;
        }
        assert_string_equal(tok, "");
        assert_string_equal(all, "xa-a/2019,hai-ba-trung/2020,thanh-tri/2020,xa-a/2020,xa-b/2020,"
                                 "ha-noi/2021");
    }

    /* Refusals. */
    list("no-such-unit", 0, 0, 0, NULL, &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    list("Bad Unit", 0, 0, 0, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit:");
    list(NULL, 1900, 0, 0, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year:");
    list(NULL, 0, 9, 0, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "status: unknown value");
    list(NULL, 0, 0, 1001, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size:");
    list(NULL, 0, 0, -1, NULL, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size:");
    list(NULL, 0, 0, 0, "bm90IGEgdG9rZW4=", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    list(NULL, 0, 0, 0, "!!!", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
}

/* --- the lock --- */

static void test_lock_submit_cancel(void **state)
{
    struct cls a, b, other, next_year;
    struct sf_result r;
    int outcome = 0;
    long changes;

    (void)state;
    cls_init(&a, "hai-ba-trung", "HBT-2020/01", "2020-05-20");
    assert_int_equal(cls_submit(&a, &r, &outcome), NL_OK);
    assert_int_equal(outcome, OUT_CREATED);
    cls_init(&b, "hai-ba-trung", "HBT-2020/02", "2020-12-31");
    assert_int_equal(cls_submit(&b, &r, &outcome), NL_OK);

    /* A SUBMITTED report does not lock. */
    submit("hai-ba-trung", 2020, "2021-01-15", &r);
    sf_call_done(&r);
    a.c.sessions = 6;
    assert_int_equal(cls_submit(&a, &r, &outcome), NL_OK);
    assert_int_equal(outcome, OUT_UPDATED);

    /* APPROVED: every change to the unit's 2020 classes is refused and rolled back. */
    approve("hai-ba-trung", 2020, "2021-02-01", &r);
    sf_call_done(&r);
    a.c.sessions = 7;
    assert_int_equal(cls_submit(&a, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, LOCKED_2020);
    a.c.sessions = 6;
    a.e.attended = 3; /* a change to a trainee only */
    assert_int_equal(cls_submit(&a, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, LOCKED_2020);
    a.e.attended = 0;
    a.req.n_enrolments = 2; /* a new trainee only */
    assert_int_equal(cls_submit(&a, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, LOCKED_2020);
    a.req.n_enrolments = 1;
    cls_init(&other, "hai-ba-trung", "HBT-2020/03", "2020-07-01"); /* a new class in 2020 */
    assert_int_equal(cls_submit(&other, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, LOCKED_2020);
    cls_cancel("hai-ba-trung", "HBT-2020/02", &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, LOCKED_2020);
    assert_int_equal(query_num("SELECT sessions FROM class WHERE class_ref = 'HBT-2020/01'"), 6);
    assert_int_equal(query_num("SELECT status FROM class WHERE class_ref = 'HBT-2020/02'"), 3);
    assert_int_equal(query_num("SELECT COUNT(*) FROM class"), 2);
    assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 2);
    assert_int_equal(query_num("SELECT SUM(attended) FROM enrolment"), 0);

    /* An exact replay (the class and its trainees as stored) writes nothing: UNCHANGED. */
    changes = query_num("SELECT total_changes()");
    call(CLASS_SUBMIT, &a.req.base, &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__SubmitClassResponse *)r.resp)->outcome, OUT_UNCHANGED);
    assert_int_equal(((Nhanluc__V1__SubmitClassResponse *)r.resp)->enrolments_unchanged, 1);
    sf_call_done(&r);
    a.req.n_enrolments = 0; /* the class alone, its trainee left as it is */
    assert_int_equal(cls_submit(&a, &r, &outcome), NL_OK);
    assert_int_equal(outcome, OUT_UNCHANGED);
    a.req.n_enrolments = 1;
    assert_int_equal(query_num("SELECT total_changes()"), changes);

    /* Other years, and other organiser units, stay open. */
    cls_init(&next_year, "hai-ba-trung", "HBT-2021/01", "2021-03-01");
    assert_int_equal(cls_submit(&next_year, &r, &outcome), NL_OK);
    assert_int_equal(outcome, OUT_CREATED);
    cls_init(&other, "thanh-tri", "TT-2020/01", "2020-07-01");
    assert_int_equal(cls_submit(&other, &r, &outcome), NL_OK);
    cls_cancel("no-such-unit", "X", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "class not found");

    /* RETURNED unlocks: the refused writes now go through. */
    ret("hai-ba-trung", 2020, "Bổ sung lớp", &r);
    sf_call_done(&r);
    a.c.sessions = 7;
    assert_int_equal(cls_submit(&a, &r, &outcome), NL_OK);
    assert_int_equal(outcome, OUT_UPDATED);
    cls_cancel("hai-ba-trung", "HBT-2020/02", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__CancelClassResponse *)r.resp)->outcome, OUT_UPDATED);
    sf_call_done(&r);

    /* Submitted and approved again: locked again. */
    submit("hai-ba-trung", 2020, "2021-02-10", &r);
    sf_call_done(&r);
    approve("hai-ba-trung", 2020, NULL, &r);
    sf_call_done(&r);
    a.c.sessions = 8;
    assert_int_equal(cls_submit(&a, &r, NULL), NL_FAILED_PRECONDITION);
    assert_int_equal(query_num("SELECT sessions FROM class WHERE class_ref = 'HBT-2020/01'"), 7);

    /* Cancelling the cancelled class again changes nothing: UNCHANGED, not refused. */
    changes = query_num("SELECT total_changes()");
    cls_cancel("hai-ba-trung", "HBT-2020/02", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__CancelClassResponse *)r.resp)->outcome, OUT_UNCHANGED);
    sf_call_done(&r);
    assert_int_equal(query_num("SELECT total_changes()"), changes);
}

static void test_lock_moves(void **state)
{
    struct cls c;
    struct sf_result r;
    int outcome = 0;

    (void)state;
    cls_init(&c, "hai-ba-trung", "HBT-X", "2021-06-01");
    assert_int_equal(cls_submit(&c, &r, &outcome), NL_OK);
    submit("hai-ba-trung", 2020, NULL, &r);
    sf_call_done(&r);
    approve("hai-ba-trung", 2020, NULL, &r);
    sf_call_done(&r);

    /* Moving a 2021 class into the locked 2020 is refused. */
    c.c.start_date = sf_unconst("2020-06-01");
    c.c.end_date = sf_unconst("2020-06-01");
    assert_int_equal(cls_submit(&c, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, LOCKED_2020);

    /* A 2020 class (recorded before the approval) cannot move out of it either. */
    ret("hai-ba-trung", 2020, "Sửa", &r);
    sf_call_done(&r);
    assert_int_equal(cls_submit(&c, &r, &outcome), NL_OK);
    assert_int_equal(outcome, OUT_UPDATED);
    submit("hai-ba-trung", 2020, NULL, &r);
    sf_call_done(&r);
    approve("hai-ba-trung", 2020, NULL, &r);
    sf_call_done(&r);
    c.c.start_date = sf_unconst("2021-06-01");
    c.c.end_date = sf_unconst("2021-06-01");
    assert_int_equal(cls_submit(&c, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, LOCKED_2020);
    {
        char end[16];
        query_text("SELECT end_date FROM class WHERE class_ref = 'HBT-X'", end, sizeof(end));
        assert_string_equal(end, "2020-06-01");
    }

    /* With both years approved the earlier one is named. */
    submit("hai-ba-trung", 2021, NULL, &r);
    sf_call_done(&r);
    approve("hai-ba-trung", 2021, NULL, &r);
    sf_call_done(&r);
    assert_int_equal(cls_submit(&c, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, LOCKED_2020);
    ret("hai-ba-trung", 2020, "Sửa", &r);
    sf_call_done(&r);
    assert_int_equal(cls_submit(&c, &r, NULL), NL_FAILED_PRECONDITION);
    assert_string_equal(r.msg, "class is locked: the unit's report for 2021 is approved");
}

/* The store checks UpsertEnrolment and the import call, and the RPC when it is built. */
static void test_lock_enrolment(void **state)
{
    struct cls c;
    struct sf_result r;
    char msg[128];
    int locked = -1;

    (void)state;
    cls_init(&c, "hai-ba-trung", "HBT-E", "2020-05-20");
    assert_int_equal(cls_submit(&c, &r, NULL), NL_OK);
    submit("hai-ba-trung", 2020, NULL, &r);
    sf_call_done(&r);

    assert_int_equal(nl_store_report_locked(g->rw, "hai-ba-trung", 2020, &locked), NL_OK);
    assert_int_equal(locked, 0);
    assert_int_equal(
        nl_store_report_class_check(g->rw, "hai-ba-trung", "HBT-E", NULL, msg, sizeof(msg)), NL_OK);
    approve("hai-ba-trung", 2020, NULL, &r);
    sf_call_done(&r);
    assert_int_equal(nl_store_report_locked(g->rw, "hai-ba-trung", 2020, &locked), NL_OK);
    assert_int_equal(locked, 1);
    assert_int_equal(nl_store_report_locked(g->rw, "hai-ba-trung", 2021, &locked), NL_OK);
    assert_int_equal(locked, 0);
    assert_int_equal(nl_store_report_locked(g->rw, "thanh-tri", 2020, &locked), NL_OK);
    assert_int_equal(locked, 0);
    assert_int_equal(nl_store_report_locked(g->rw, "no-such-unit", 2020, &locked), NL_OK);
    assert_int_equal(locked, 0);
    msg[0] = '\0';
    assert_int_equal(
        nl_store_report_class_check(g->rw, "hai-ba-trung", "HBT-E", NULL, msg, sizeof(msg)),
        NL_FAILED_PRECONDITION);
    assert_string_equal(msg, LOCKED_2020);
    assert_int_equal(
        nl_store_report_class_check(g->rw, "hai-ba-trung", "NO-CLASS", "", msg, sizeof(msg)),
        NL_OK);
    assert_int_equal(nl_store_report_class_check(g->rw, "hai-ba-trung", "NO-CLASS", "2020-01-01",
                                                 msg, sizeof(msg)),
                     NL_FAILED_PRECONDITION);

    /* The RPC, once built: a trainee of a locked class is refused, nothing written. */
    Nhanluc__V1__UpsertEnrolmentRequest req;
    Nhanluc__V1__EnrolmentRow row;
    Nhanluc__V1__Enrolment e;
    nhanluc__v1__upsert_enrolment_request__init(&req);
    nhanluc__v1__enrolment_row__init(&row);
    nhanluc__v1__enrolment__init(&e);
    row.organiser_unit = sf_unconst("hai-ba-trung");
    row.class_ref = sf_unconst("HBT-E");
    e.cadre_code = sf_unconst("C002");
    e.status = NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED;
    row.enrolment = &e;
    req.row = &row;
    call(ENROL_UPSERT, &req.base, &r);
    if (r.status != NL_UNIMPLEMENTED) {
        sf_expect_error(&r, NL_FAILED_PRECONDITION, LOCKED_2020);
        assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 1);
        /* The stored trainee as it is: an exact replay, UNCHANGED. */
        e.cadre_code = sf_unconst("C001");
        call(ENROL_UPSERT, &req.base, &r);
        assert_int_equal(r.status, NL_OK);
        assert_int_equal(((Nhanluc__V1__UpsertEnrolmentResponse *)r.resp)->outcome, OUT_UNCHANGED);
        sf_call_done(&r);
        e.attended = 2; /* changed: refused */
        call(ENROL_UPSERT, &req.base, &r);
        sf_expect_error(&r, NL_FAILED_PRECONDITION, LOCKED_2020);
        e.attended = 0;
        e.cadre_code = sf_unconst("C002");
        ret("hai-ba-trung", 2020, "Mở lại", &r);
        sf_call_done(&r);
        call(ENROL_UPSERT, &req.base, &r);
        assert_int_equal(r.status, NL_OK);
        sf_call_done(&r);
        assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 2);
    }
}

/* nl_store_report_put: the import's upsert of a whole row. */
static void test_put(void **state)
{
    struct nl_report_rec rec = {"xa-a", 2019, NL_REPORT_APPROVED, "2020-01-20", "2020-02-01", ""};
    char msg[128];
    int outcome = 0;

    (void)state;
    assert_int_equal(nl_store_begin_write(g->rw), NL_OK);
    assert_int_equal(nl_store_report_put(g->rw, &rec, &outcome, msg, sizeof(msg)), NL_OK);
    assert_int_equal(outcome, NL_WRITE_CREATED);
    long changes = query_num("SELECT total_changes()");
    assert_int_equal(nl_store_report_put(g->rw, &rec, &outcome, msg, sizeof(msg)), NL_OK);
    assert_int_equal(outcome, NL_WRITE_UNCHANGED);
    assert_int_equal(query_num("SELECT total_changes()"), changes);
    rec.status = NL_REPORT_RETURNED;
    rec.approved_at = "";
    rec.return_reason = "Thiếu";
    assert_int_equal(nl_store_report_put(g->rw, &rec, &outcome, msg, sizeof(msg)), NL_OK);
    assert_int_equal(outcome, NL_WRITE_UPDATED);
    assert_int_equal(query_num("SELECT COUNT(*) FROM report WHERE approved_at IS NULL"), 1);
    rec.unit = "no-such-unit";
    assert_int_equal(nl_store_report_put(g->rw, &rec, &outcome, msg, sizeof(msg)),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "unit: no such unit");
    assert_int_equal(nl_store_commit(g->rw), NL_OK);
    assert_int_equal(stored_status(4, 2019), RS_RETURNED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submit, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_return, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_approve, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_validation, setup, sf_teardown),
        cmocka_unit_test(test_time_norm),
        cmocka_unit_test_setup_teardown(test_list, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_lock_submit_cancel, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_lock_moves, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_lock_enrolment, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_put, setup, sf_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
