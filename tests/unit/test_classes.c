/*
 * test_classes.c - the class handlers of nhanluc.v1.Records (SubmitClass,
 * GetClass, ListClasses, CancelClass), called the way the server calls them:
 * a packed request goes into nl_job_new, nl_job_run unpacks it and runs the
 * method row's handler on a store, and the packed response is read back.
 *
 * Writes run on the read-write connection inside BEGIN IMMEDIATE + a
 * savepoint (the writer's batch shape; a failed call rolls its savepoint
 * back); reads run on a separate read-only connection inside a read
 * transaction. The units (with dated versions), terms and cadres the classes
 * refer to are made with raw SQL through the test-only store hooks, so these
 * tests depend on no other area's RPCs. The store is a file in a temporary
 * directory, removed in teardown.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../common/wire.h"
#include "job.h"
#include "method.h"
#include "nhanluc/v1/records.pb-c.h"
#include "store.h"
#include "../support/store_fixture.h"

/* Short names for the proto enum values the tests use. */
#define K_DEGREE       NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_DEGREE
#define K_UPGRADE      NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_UPGRADE
#define A_POLITICAL    NHANLUC__V1__AREA__AREA_POLITICAL_THEORY
#define A_LANGUAGE     NHANLUC__V1__AREA__AREA_FOREIGN_LANGUAGE
#define M_FULL_TIME    NHANLUC__V1__CLASS_MODE__CLASS_MODE_FULL_TIME
#define CS_RUNNING     NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_RUNNING
#define CS_ENDED       NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_ENDED
#define CS_CANCELLED   NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_CANCELLED
#define ES_ENROLLED    NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED
#define ES_COMPLETED   NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED
#define ES_FAILED      NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_FAILED
#define R_GOOD         NHANLUC__V1__RESULT__RESULT_GOOD
#define R_FAIL         NHANLUC__V1__RESULT__RESULT_FAIL
#define OUT_CREATED    NHANLUC__V1__WRITE_OUTCOME__CREATED
#define OUT_UPDATED    NHANLUC__V1__WRITE_OUTCOME__UPDATED
#define OUT_UNCHANGED  NHANLUC__V1__WRITE_OUTCOME__UNCHANGED
#define SUBMIT         "/nhanluc.v1.Records/SubmitClass"
#define GET            "/nhanluc.v1.Records/GetClass"
#define LIST           "/nhanluc.v1.Records/ListClasses"
#define CANCEL         "/nhanluc.v1.Records/CancelClass"
#define MAX_ENROLMENTS 8

static struct sf_db *g; /* the current fixture, for the call helpers */

/*
 * The world of the tests:
 *   ha-noi (city) > hai-ba-trung, thanh-tri (districts);
 *   phuong-x: under thanh-tri until 2025-06-30, directly under ha-noi from 2025-07-01;
 *   xa-cu: under thanh-tri, dissolved (last day 2019-12-31);
 *   xa-moi: under thanh-tri from 2020-01-01.
 * Terms 2015-2020 and 2020-2025; cadres C001..C009.
 */
static const char world_sql[] =
    "INSERT INTO unit(id, code) VALUES (1, 'ha-noi'), (2, 'hai-ba-trung'), (3, 'thanh-tri'),"
    " (4, 'phuong-x'), (5, 'xa-cu'), (6, 'xa-moi');"
    "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to) VALUES"
    " (1, 'Thành phố Hà Nội', 1, NULL, '0001-01-01', NULL),"
    " (2, 'Quận Hai Bà Trưng', 2, 1, '0001-01-01', NULL),"
    " (3, 'Huyện Thanh Trì', 3, 1, '0001-01-01', NULL),"
    " (4, 'Xã X', 7, 3, '0001-01-01', '2025-06-30'),"
    " (4, 'Phường X', 6, 1, '2025-07-01', NULL),"
    " (5, 'Xã Cũ', 7, 3, '0001-01-01', '2019-12-31'),"
    " (6, 'Xã Mới', 7, 3, '2020-01-01', NULL);"
    "INSERT INTO term(code, kind, start_year, end_year) VALUES"
    " ('2015-2020', 1, 2015, 2020), ('2020-2025', 1, 2020, 2025);"
    "INSERT INTO cadre(cadre_code, sex, birth_year) VALUES ('C001', 1, 1980), ('C002', 2, 1981),"
    " ('C003', 1, 1982), ('C004', 2, 1983), ('C005', 1, 1984), ('C006', 2, 1985),"
    " ('C007', 1, 1986), ('C008', 2, 1987), ('C009', 1, 1988);";

static int setup(void **state)
{
    return sf_setup_sql(state, "classes", &g, world_sql);
}

/* Runs `req` on the current fixture. */
#define call(path, req, r) sf_call(g, (path), (req), (r))

/* Queries on the writer's connection: the first column of the first row. */
#define query_num(sql)            sf_sql_long(g->rw, (sql))
#define query_text(sql, out, len) sf_query_text(g->rw, (sql), (out), (len))

/* --- requests --- */

/* A SubmitClass request that owns its parts; sub_init makes a valid one. */
struct sub {
    Nhanluc__V1__SubmitClassRequest req;
    Nhanluc__V1__TrainingClass c;
    Nhanluc__V1__Enrolment e[MAX_ENROLMENTS];
    Nhanluc__V1__Enrolment *ep[MAX_ENROLMENTS];
    Nhanluc__V1__Score sc[MAX_ENROLMENTS];
};

/* Sets enrolment i (and makes it part of the request when i == n_enrolments). */
static Nhanluc__V1__Enrolment *sub_enrol(struct sub *s, size_t i, const char *cadre, int status,
                                         int result, int attended)
{
    Nhanluc__V1__Enrolment *e = &s->e[i];

    assert_true(i < MAX_ENROLMENTS);
    nhanluc__v1__enrolment__init(e);
    e->cadre_code = sf_unconst(cadre);
    e->status = (Nhanluc__V1__EnrolmentStatus)status;
    e->result = (Nhanluc__V1__Result)result;
    e->attended = attended;
    s->ep[i] = e;
    if (i >= s->req.n_enrolments)
        s->req.n_enrolments = i + 1;
    return e;
}

/*
 * A valid class of hai-ba-trung (unless `unit`), 10 sessions, ending on
 * `end` (starting 30 days before in the same year or on `end`), with three
 * trainees listed out of cadre_code order: C003 completed with a thesis,
 * C001 enrolled, C002 failed.
 */
static void sub_init(struct sub *s, const char *unit, const char *ref, const char *start,
                     const char *end)
{
    memset(s, 0, sizeof(*s));
    nhanluc__v1__submit_class_request__init(&s->req);
    nhanluc__v1__training_class__init(&s->c);
    s->c.class_ref = sf_unconst(ref);
    s->c.organiser_unit = sf_unconst(unit);
    s->c.title = sf_unconst("Bồi dưỡng nguồn quy hoạch Ban Chấp hành");
    s->c.kind = K_UPGRADE;
    s->c.area = A_POLITICAL;
    s->c.target_group = sf_unconst("PLANNING_COMMITTEE");
    s->c.planning_term = sf_unconst("2020-2025");
    s->c.mode = M_FULL_TIME;
    s->c.start_date = sf_unconst(start);
    s->c.end_date = sf_unconst(end);
    s->c.sessions = 10;
    s->c.planned_trainees = 80;
    s->c.status = CS_ENDED;
    s->req.training_class = &s->c;
    s->req.enrolments = s->ep;

    Nhanluc__V1__Enrolment *e = sub_enrol(s, 0, "C003", ES_COMPLETED, R_GOOD, 8);
    e->absent_excused = 1;
    e->absent_unexcused = 1;
    nhanluc__v1__score__init(&s->sc[0]);
    s->sc[0].value = 8.5;
    e->thesis_score = &s->sc[0];
    e->certificate_no = sf_unconst("CC-2019/001");
    sub_enrol(s, 1, "C001", ES_ENROLLED, 0, 0);
    sub_enrol(s, 2, "C002", ES_FAILED, R_FAIL, 5);
}

/* Submits and expects NL_OK with the given outcome and counts. */
static void submit_ok(struct sub *s, int outcome, int created, int updated, int unchanged)
{
    struct sf_result r;

    call(SUBMIT, &s->req.base, &r);
    if (r.status != NL_OK)
        fail_msg("submit %s: %d %s", s->c.class_ref, r.status, r.msg);
    Nhanluc__V1__SubmitClassResponse *resp = (Nhanluc__V1__SubmitClassResponse *)r.resp;
    assert_int_equal(resp->outcome, outcome);
    assert_int_equal(resp->enrolments_created, created);
    assert_int_equal(resp->enrolments_updated, updated);
    assert_int_equal(resp->enrolments_unchanged, unchanged);
    sf_call_done(&r);
}

/* A minimal valid class (no trainees) ending on `end`. */
static void submit_simple(const char *unit, const char *ref, const char *end, int kind, int area,
                          const char *tg, int status)
{
    struct sub s;

    sub_init(&s, unit, ref, end, end);
    s.req.n_enrolments = 0;
    s.c.kind = (Nhanluc__V1__TrainingKind)kind;
    s.c.area = (Nhanluc__V1__Area)area;
    s.c.target_group = sf_unconst(tg);
    s.c.status = (Nhanluc__V1__ClassStatus)status;
    submit_ok(&s, OUT_CREATED, 0, 0, 0);
}

static void get_class(const char *unit, const char *ref, struct sf_result *r)
{
    Nhanluc__V1__GetClassRequest req;

    nhanluc__v1__get_class_request__init(&req);
    req.organiser_unit = sf_unconst(unit);
    req.class_ref = sf_unconst(ref);
    call(GET, &req.base, r);
}

/* --- SubmitClass and GetClass --- */

static void test_submit_then_get(void **state)
{
    struct sub s;
    struct sf_result r;

    (void)state;
    sub_init(&s, "hai-ba-trung", "HBT-2019/QH-01", "2019-03-04", "2019-04-26");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
    assert_int_equal(query_num("SELECT COUNT(*) FROM class"), 1);
    assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 3);

    get_class("hai-ba-trung", "HBT-2019/QH-01", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__GetClassResponse *resp = (Nhanluc__V1__GetClassResponse *)r.resp;
    Nhanluc__V1__TrainingClass *c = resp->training_class;
    assert_non_null(c);
    assert_string_equal(c->class_ref, "HBT-2019/QH-01");
    assert_string_equal(c->organiser_unit, "hai-ba-trung");
    assert_string_equal(c->title, "Bồi dưỡng nguồn quy hoạch Ban Chấp hành");
    assert_int_equal(c->kind, K_UPGRADE);
    assert_int_equal(c->area, A_POLITICAL);
    assert_string_equal(c->target_group, "PLANNING_COMMITTEE");
    assert_string_equal(c->planning_term, "2020-2025");
    assert_int_equal(c->mode, M_FULL_TIME);
    assert_string_equal(c->start_date, "2019-03-04");
    assert_string_equal(c->end_date, "2019-04-26");
    assert_int_equal(c->sessions, 10);
    assert_int_equal(c->planned_trainees, 80);
    assert_int_equal(c->status, CS_ENDED);

    /* Ordered by cadre_code, each field as sent. */
    assert_int_equal(resp->n_enrolments, 3);
    assert_string_equal(resp->enrolments[0]->cadre_code, "C001");
    assert_int_equal(resp->enrolments[0]->status, ES_ENROLLED);
    assert_int_equal(resp->enrolments[0]->result, 0);
    assert_null(resp->enrolments[0]->thesis_score);
    assert_string_equal(resp->enrolments[1]->cadre_code, "C002");
    assert_int_equal(resp->enrolments[1]->result, R_FAIL);
    assert_int_equal(resp->enrolments[1]->attended, 5);
    Nhanluc__V1__Enrolment *e = resp->enrolments[2];
    assert_string_equal(e->cadre_code, "C003");
    assert_int_equal(e->status, ES_COMPLETED);
    assert_int_equal(e->result, R_GOOD);
    assert_int_equal(e->attended, 8);
    assert_int_equal(e->absent_excused, 1);
    assert_int_equal(e->absent_unexcused, 1);
    assert_non_null(e->thesis_score);
    assert_true(e->thesis_score->value == 8.5);
    assert_string_equal(e->certificate_no, "CC-2019/001");
    sf_call_done(&r);

    get_class("hai-ba-trung", "HBT-2019/QH-02", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "class not found");
    get_class("thanh-tri", "HBT-2019/QH-01", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "class not found");
    get_class("Hai Ba Trung", "X", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "organiser_unit:");
    get_class("hai-ba-trung", "bad ref", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "class_ref:");
}

static void test_replay_writes_nothing(void **state)
{
    struct sub s;
    char before[64], after[64];

    (void)state;
    sub_init(&s, "hai-ba-trung", "HBT-1", "2019-03-04", "2019-04-26");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
    query_text("SELECT MAX(updated_at) FROM enrolment", before, sizeof(before));
    long changes = query_num("SELECT total_changes()");

    submit_ok(&s, OUT_UNCHANGED, 0, 0, 3);
    submit_ok(&s, OUT_UNCHANGED, 0, 0, 3);
    /* No row was inserted, updated or deleted by the two replays. */
    assert_int_equal(query_num("SELECT total_changes()"), changes);
    query_text("SELECT MAX(updated_at) FROM enrolment", after, sizeof(after));
    assert_string_equal(before, after);
    assert_int_equal(query_num("SELECT COUNT(*) FROM class"), 1);
    assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 3);
}

static void test_upsert_outcomes(void **state)
{
    struct sub s;
    struct sf_result r;

    (void)state;
    sub_init(&s, "hai-ba-trung", "HBT-1", "2019-03-04", "2019-04-26");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);

    /* The class changes, the trainees do not. */
    s.c.planned_trainees = 81;
    submit_ok(&s, OUT_UPDATED, 0, 0, 3);

    /* One trainee changes (the thesis goes away), one is added. */
    s.e[0].thesis_score = NULL;
    sub_enrol(&s, 3, "C004", ES_COMPLETED, R_GOOD, 10);
    submit_ok(&s, OUT_UNCHANGED, 1, 1, 2);

    /* Only two listed: the others stay. */
    sub_init(&s, "hai-ba-trung", "HBT-1", "2019-03-04", "2019-04-26");
    s.c.planned_trainees = 81;
    s.req.n_enrolments = 1;
    s.e[0].thesis_score = NULL;
    sub_enrol(&s, 1, "C005", ES_ENROLLED, 0, 0);
    submit_ok(&s, OUT_UNCHANGED, 1, 0, 1);
    assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 5);

    /* The same class_ref under another organiser is another class. */
    sub_init(&s, "thanh-tri", "HBT-1", "2019-03-04", "2019-04-26");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
    assert_int_equal(query_num("SELECT COUNT(*) FROM class"), 2);

    get_class("hai-ba-trung", "HBT-1", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__GetClassResponse *resp = (Nhanluc__V1__GetClassResponse *)r.resp;
    assert_int_equal(resp->training_class->planned_trainees, 81);
    assert_int_equal(resp->n_enrolments, 5);
    assert_string_equal(resp->enrolments[2]->cadre_code, "C003");
    assert_null(resp->enrolments[2]->thesis_score);
    sf_call_done(&r);
}

static void test_text_rules(void **state)
{
    struct sub s;
    struct sf_result r;
    /* "Lớp" with the horn and the acute as combining marks (NFD). */
    static const char nfd_title[] = "Lo\xcc\x9b\xcc\x81p 1\r\nkho\xcc\x81"
                                    "a II";

    (void)state;
    sub_init(&s, "hai-ba-trung", "HBT-NFC", "2019-03-04", "2019-04-26");
    s.c.title = sf_unconst(nfd_title);
    s.e[1].certificate_no = sf_unconst("So\xcc\x82\xcc\x81 1");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
    get_class("hai-ba-trung", "HBT-NFC", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__GetClassResponse *resp = (Nhanluc__V1__GetClassResponse *)r.resp;
    assert_string_equal(resp->training_class->title, "Lớp 1\r\nkhóa II");
    assert_string_equal(resp->enrolments[0]->certificate_no, "Số 1");
    sf_call_done(&r);

    /* The same text composed is the same content: a replay. */
    s.c.title = sf_unconst("Lớp 1\r\nkhóa II");
    s.e[1].certificate_no = sf_unconst("Số 1");
    submit_ok(&s, OUT_UNCHANGED, 0, 0, 3);
}

/* One validation case: mutate a valid request, expect INVALID_ARGUMENT with a message prefix. */
typedef void (*mutate_fn)(struct sub *s);

#define CASE(name, body)                                                                           \
    static void name(struct sub *s)                                                                \
    {                                                                                              \
        body;                                                                                      \
    }

static char long_text[400];
static Nhanluc__V1__Score bad_score;

CASE(m_no_class, s->req.training_class = NULL)
CASE(m_ref_empty, s->c.class_ref = sf_unconst(""))
CASE(m_ref_space, s->c.class_ref = sf_unconst("HBT 1"))
CASE(m_ref_long, s->c.class_ref = sf_unconst(long_text + sizeof(long_text) - 66))
CASE(m_unit_bad, s->c.organiser_unit = sf_unconst("Hai-Ba-Trung"))
CASE(m_unit_missing, s->c.organiser_unit = sf_unconst("dong-da"))
CASE(m_unit_gone_end, {
    s->c.organiser_unit = sf_unconst("xa-cu");
    s->c.start_date = sf_unconst("2019-12-01");
    s->c.end_date = sf_unconst("2020-01-05");
})
CASE(m_unit_new_start, {
    s->c.organiser_unit = sf_unconst("xa-moi");
    s->c.start_date = sf_unconst("2019-12-30");
    s->c.end_date = sf_unconst("2020-01-05");
})
CASE(m_title_empty, s->c.title = sf_unconst(""))
CASE(m_title_long, s->c.title = sf_unconst(long_text + sizeof(long_text) - 302))
CASE(m_title_tab, s->c.title = sf_unconst("Lớp\tA"))
CASE(m_title_utf8, s->c.title = sf_unconst("L\xc3"))
CASE(m_kind_zero, s->c.kind = 0)
CASE(m_kind_unknown, s->c.kind = (Nhanluc__V1__TrainingKind)42)
CASE(m_area_zero, s->c.area = 0)
CASE(m_area_unknown, s->c.area = (Nhanluc__V1__Area)10)
CASE(m_tg_empty, s->c.target_group = sf_unconst(""))
CASE(m_tg_unknown, s->c.target_group = sf_unconst("NOBODY"))
CASE(m_term_unknown, s->c.planning_term = sf_unconst("2030-2035"))
CASE(m_term_shape, s->c.planning_term = sf_unconst("2020"))
CASE(m_mode_unknown, s->c.mode = (Nhanluc__V1__ClassMode)7)
CASE(m_start_bad, s->c.start_date = sf_unconst("2019-02-30"))
CASE(m_start_empty, s->c.start_date = sf_unconst(""))
CASE(m_end_dmy, s->c.end_date = sf_unconst("26/04/2019"))
CASE(m_end_before, s->c.end_date = sf_unconst("2019-03-03"))
CASE(m_sessions_zero, s->c.sessions = 0)
CASE(m_planned_negative, s->c.planned_trainees = -1)
CASE(m_status_zero, s->c.status = 0)
CASE(m_status_unknown, s->c.status = (Nhanluc__V1__ClassStatus)5)
CASE(m_cadre_empty, s->e[1].cadre_code = sf_unconst(""))
CASE(m_cadre_bad, s->e[1].cadre_code = sf_unconst("C 001"))
CASE(m_cadre_missing, s->e[1].cadre_code = sf_unconst("C999"))
CASE(m_cadre_twice, s->e[2].cadre_code = sf_unconst("C003"))
CASE(m_estatus_zero, s->e[1].status = 0)
CASE(m_estatus_unknown, s->e[1].status = (Nhanluc__V1__EnrolmentStatus)9)
CASE(m_result_enrolled, s->e[1].result = R_GOOD)
CASE(m_result_unknown, s->e[2].result = (Nhanluc__V1__Result)6)
CASE(m_attended_negative, s->e[1].attended = -1)
CASE(m_excused_negative, s->e[1].absent_excused = -1)
CASE(m_unexcused_negative, s->e[1].absent_unexcused = -1)
CASE(m_attendance_sum, {
    s->e[1].attended = 8;
    s->e[1].absent_excused = 2;
    s->e[1].absent_unexcused = 1;
})
CASE(m_thesis_high, {
    bad_score.value = 10.5;
    s->e[1].thesis_score = &bad_score;
})
CASE(m_thesis_negative, {
    bad_score.value = -0.25;
    s->e[1].thesis_score = &bad_score;
})
CASE(m_thesis_nan, {
    bad_score.value = NAN;
    s->e[1].thesis_score = &bad_score;
})
CASE(m_cert_long, s->e[1].certificate_no = sf_unconst(long_text + sizeof(long_text) - 66))
CASE(m_cert_control, s->e[1].certificate_no = sf_unconst("A\nB"))

static const struct {
    mutate_fn fn;
    const char *prefix;
} cases[] = {
    {m_no_class, "training_class: required"},
    {m_ref_empty, "training_class.class_ref: must be"},
    {m_ref_space, "training_class.class_ref: must be"},
    {m_ref_long, "training_class.class_ref: must be"},
    {m_unit_bad, "training_class.organiser_unit: must be"},
    {m_unit_missing, "training_class.organiser_unit: no such unit"},
    {m_unit_gone_end, "training_class.organiser_unit: the unit has no version valid on "
                      "training_class.end_date"},
    {m_unit_new_start, "training_class.organiser_unit: the unit has no version valid on "
                       "training_class.start_date"},
    {m_title_empty, "training_class.title: required"},
    {m_title_long, "training_class.title: must be at most 300 bytes"},
    {m_title_tab, "training_class.title: "},
    {m_title_utf8, "training_class.title: "},
    {m_kind_zero, "training_class.kind: required"},
    {m_kind_unknown, "training_class.kind: unknown value"},
    {m_area_zero, "training_class.area: required"},
    {m_area_unknown, "training_class.area: unknown value"},
    {m_tg_empty, "training_class.target_group: required"},
    {m_tg_unknown, "training_class.target_group: not in the catalogue"},
    {m_term_unknown, "training_class.planning_term: no such term"},
    {m_term_shape, "training_class.planning_term: must be"},
    {m_mode_unknown, "training_class.mode: unknown value"},
    {m_start_bad, "training_class.start_date: must be a date"},
    {m_start_empty, "training_class.start_date: required"},
    {m_end_dmy, "training_class.end_date: must be a date"},
    {m_end_before, "training_class.end_date: must not be before start_date"},
    {m_sessions_zero, "training_class.sessions: must be >= 1"},
    {m_planned_negative, "training_class.planned_trainees: must be >= 0"},
    {m_status_zero, "training_class.status: required"},
    {m_status_unknown, "training_class.status: unknown value"},
    {m_cadre_empty, "enrolments[1].cadre_code: must be"},
    {m_cadre_bad, "enrolments[1].cadre_code: must be"},
    {m_cadre_missing, "enrolments[1].cadre_code: no such cadre"},
    {m_cadre_twice, "enrolments[2].cadre_code: the cadre is listed twice"},
    {m_estatus_zero, "enrolments[1].status: required"},
    {m_estatus_unknown, "enrolments[1].status: unknown value"},
    {m_result_enrolled, "enrolments[1].result: only a COMPLETED or FAILED"},
    {m_result_unknown, "enrolments[2].result: unknown value"},
    {m_attended_negative, "enrolments[1].attended: must be >= 0"},
    {m_excused_negative, "enrolments[1].absent_excused: must be >= 0"},
    {m_unexcused_negative, "enrolments[1].absent_unexcused: must be >= 0"},
    {m_attendance_sum, "enrolments[1].attended: attended + absent_excused + absent_unexcused"},
    {m_thesis_high, "enrolments[1].thesis_score: must be 0-10"},
    {m_thesis_negative, "enrolments[1].thesis_score: must be 0-10"},
    {m_thesis_nan, "enrolments[1].thesis_score: must be 0-10"},
    {m_cert_long, "enrolments[1].certificate_no: must be at most 64 bytes"},
    {m_cert_control, "enrolments[1].certificate_no: "},
};

/* Runs every case against a new class and against an existing one (an update). */
static void test_validation(void **state)
{
    struct sub s;
    struct sf_result r;
    char title[64];

    (void)state;
    memset(long_text, 'A', sizeof(long_text) - 1);
    nhanluc__v1__score__init(&bad_score);
    sub_init(&s, "hai-ba-trung", "HBT-OLD", "2019-03-04", "2019-04-26");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
    long classes = query_num("SELECT COUNT(*) FROM class");
    long enrolments = query_num("SELECT COUNT(*) FROM enrolment");
    long changes = query_num("SELECT total_changes()");

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int existing = 0; existing < 2; existing++) {
            sub_init(&s, "hai-ba-trung", existing ? "HBT-OLD" : "HBT-NEW", "2019-03-04",
                     "2019-04-26");
            /* A valid change that must not survive the refusal either. */
            s.c.title = sf_unconst("Changed title");
            sub_enrol(&s, 3, "C009", ES_ENROLLED, 0, 0);
            cases[i].fn(&s);
            call(SUBMIT, &s.req.base, &r);
            if (r.status != NL_INVALID_ARGUMENT ||
                strncmp(r.msg, cases[i].prefix, strlen(cases[i].prefix)) != 0)
                fail_msg("case %zu (%s): got %d '%s', want INVALID_ARGUMENT '%s...'", i,
                         existing ? "update" : "create", r.status, r.msg, cases[i].prefix);
            sf_call_done(&r);
        }
    }
    assert_int_equal(query_num("SELECT COUNT(*) FROM class"), classes);
    assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), enrolments);
    assert_int_equal(query_num("SELECT total_changes()"), changes);
    query_text("SELECT title FROM class", title, sizeof(title));
    assert_string_equal(title, "Bồi dưỡng nguồn quy hoạch Ban Chấp hành");
}

/* The edges that are allowed. */
static void test_validation_edges(void **state)
{
    struct sub s;
    Nhanluc__V1__Score zero, ten;

    (void)state;
    sub_init(&s, "xa-cu", "EDGE-1", "2019-12-31", "2019-12-31"); /* the unit's last day */
    s.c.planning_term = sf_unconst("");
    s.c.planned_trainees = 0;
    s.c.sessions = 1;
    s.c.title = sf_unconst("A");
    s.req.n_enrolments = 0;
    sub_enrol(&s, 0, "C001", ES_COMPLETED, 0, 1); /* completed without a result */
    nhanluc__v1__score__init(&zero);
    zero.value = 0.0;
    s.e[0].thesis_score = &zero;
    sub_enrol(&s, 1, "C002", ES_FAILED, R_FAIL, 0);
    s.e[1].absent_unexcused = 1; /* the sum equals sessions */
    nhanluc__v1__score__init(&ten);
    ten.value = 10.0;
    s.e[1].thesis_score = &ten;
    submit_ok(&s, OUT_CREATED, 2, 0, 0);

    /* A class spanning two versions of its unit: valid on both days. */
    sub_init(&s, "phuong-x", "EDGE-2", "2025-06-01", "2025-07-31");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
}

static void test_too_many_enrolments(void **state)
{
    Nhanluc__V1__SubmitClassRequest req;
    Nhanluc__V1__TrainingClass c;
    Nhanluc__V1__Enrolment e;
    struct sub s;
    struct sf_result r;
    size_t n = 5001;
    Nhanluc__V1__Enrolment **ep = calloc(n, sizeof(*ep));

    (void)state;
    assert_non_null(ep);
    sub_init(&s, "hai-ba-trung", "BIG", "2019-03-04", "2019-04-26");
    c = s.c;
    e = s.e[1];
    for (size_t i = 0; i < n; i++)
        ep[i] = &e;
    nhanluc__v1__submit_class_request__init(&req);
    req.training_class = &c;
    req.enrolments = ep;
    req.n_enrolments = n;
    call(SUBMIT, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "enrolments: at most 5000");
    free(ep);
    assert_int_equal(query_num("SELECT COUNT(*) FROM class"), 0);
}

/* A class never holds more than 5000 trainees, however they arrived. */
static void test_class_size_cap(void **state)
{
    struct sub s;
    struct sf_result r;

    (void)state;
    sub_init(&s, "hai-ba-trung", "FULL", "2019-03-04", "2019-04-26");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
    assert_int_equal(nl_store_test_exec(g->rw, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                                               " SELECT i + 1 FROM n WHERE i < 4997)"
                                               " INSERT INTO cadre(cadre_code, sex, birth_year)"
                                               " SELECT 'X' || i, 1, 1980 FROM n;"
                                               "INSERT INTO enrolment(class_id, cadre_id, status)"
                                               " SELECT (SELECT id FROM class), id, 1 FROM cadre"
                                               " WHERE cadre_code LIKE 'X%';"),
                     NL_OK);
    assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 5000);

    /* Full: changing the class and its listed trainees is fine, one more is not. */
    s.c.planned_trainees = 5000;
    submit_ok(&s, OUT_UPDATED, 0, 0, 3);
    sub_enrol(&s, 3, "C004", ES_ENROLLED, 0, 0);
    s.c.planned_trainees = 5001;
    call(SUBMIT, &s.req.base, &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "enrolments: a class holds at most 5000");
    assert_int_equal(query_num("SELECT COUNT(*) FROM enrolment"), 5000);
    assert_int_equal(query_num("SELECT planned_trainees FROM class"), 5000);

    get_class("hai-ba-trung", "FULL", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__GetClassResponse *)r.resp)->n_enrolments, 5000);
    sf_call_done(&r);
}

/* Asserts class `ref`'s row count (schema 12) and that it matches a count of its enrolments. */
static void expect_rows(const char *ref, long want)
{
    char sql[256];

    (void)snprintf(sql, sizeof(sql), "SELECT n_rows FROM class WHERE class_ref = '%s'", ref);
    assert_int_equal(query_num(sql), want);
    (void)snprintf(sql, sizeof(sql),
                   "SELECT COUNT(*) FROM enrolment WHERE class_id ="
                   " (SELECT id FROM class WHERE class_ref = '%s')",
                   ref);
    assert_int_equal(query_num(sql), want);
}

/*
 * The row count that the size cap reads (class.n_rows, schema 12) follows
 * every insert, delete and move of an enrolment, WITHDREW ones included, and
 * a store upgraded from schema 11 counts the enrolments it already holds.
 */
static void test_row_count_kept(void **state)
{
    struct sub s;
    char err[256];

    (void)state;
    sub_init(&s, "hai-ba-trung", "A", "2019-03-04", "2019-04-26");
    sub_enrol(&s, 3, "C004", NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_WITHDREW, 0, 0);
    submit_ok(&s, OUT_CREATED, 4, 0, 0);
    sub_init(&s, "hai-ba-trung", "B", "2019-03-04", "2019-04-26");
    s.req.n_enrolments = 1; /* C003 */
    submit_ok(&s, OUT_CREATED, 1, 0, 0);
    expect_rows("A", 4);
    expect_rows("B", 1);

    /* Rows no handler writes today: a delete and a move to another class. */
    sf_sql(g->rw, "DELETE FROM enrolment WHERE cadre_id = (SELECT id FROM cadre"
                  " WHERE cadre_code = 'C001');"
                  "UPDATE enrolment SET class_id = (SELECT id FROM class WHERE class_ref = 'B')"
                  " WHERE cadre_id = (SELECT id FROM cadre WHERE cadre_code = 'C002');");
    expect_rows("A", 2);
    expect_rows("B", 2);

    /* A schema 11 store (no count; rows added meanwhile) is counted when it opens. */
    sf_sql(g->rw, "DROP TRIGGER enrolment_rows_insert; DROP TRIGGER enrolment_rows_delete;"
                  "DROP TRIGGER enrolment_rows_move; ALTER TABLE class DROP COLUMN n_rows;"
                  "INSERT INTO enrolment(class_id, cadre_id, status)"
                  " SELECT (SELECT id FROM class WHERE class_ref = 'A'), id, 1 FROM cadre"
                  " WHERE cadre_code IN ('C005', 'C006', 'C007');"
                  "PRAGMA user_version = 11;");
    nl_store_close(g->rw);
    g->rw = NULL;
    assert_int_equal(nl_store_open(g->path, NL_STORE_READWRITE, &g->rw, err, sizeof(err)), NL_OK);
    assert_int_equal(nl_store_schema_version(g->rw), NL_STORE_SCHEMA_VERSION);
    expect_rows("A", 5);
    expect_rows("B", 2);
    /* ... and kept from then on. */
    sub_init(&s, "hai-ba-trung", "B", "2019-03-04", "2019-04-26");
    sub_enrol(&s, 3, "C008", ES_ENROLLED, 0, 0);
    submit_ok(&s, OUT_UNCHANGED, 2, 0, 2);
    expect_rows("B", 4);
}

/* --- CancelClass --- */

static void cancel(const char *unit, const char *ref, struct sf_result *r)
{
    Nhanluc__V1__CancelClassRequest req;

    nhanluc__v1__cancel_class_request__init(&req);
    req.organiser_unit = sf_unconst(unit);
    req.class_ref = sf_unconst(ref);
    call(CANCEL, &req.base, r);
}

static void test_cancel(void **state)
{
    struct sub s;
    struct sf_result r;

    (void)state;
    sub_init(&s, "hai-ba-trung", "HBT-C", "2019-03-04", "2019-04-26");
    s.c.status = CS_RUNNING;
    submit_ok(&s, OUT_CREATED, 3, 0, 0);

    cancel("hai-ba-trung", "HBT-C", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CancelClassResponse *resp = (Nhanluc__V1__CancelClassResponse *)r.resp;
    assert_int_equal(resp->outcome, OUT_UPDATED);
    assert_int_equal(resp->training_class->status, CS_CANCELLED);
    assert_string_equal(resp->training_class->class_ref, "HBT-C");
    sf_call_done(&r);

    long changes = query_num("SELECT total_changes()");
    cancel("hai-ba-trung", "HBT-C", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__CancelClassResponse *)r.resp)->outcome, OUT_UNCHANGED);
    sf_call_done(&r);
    assert_int_equal(query_num("SELECT total_changes()"), changes);

    /* The enrolments stay with the cancelled class. */
    get_class("hai-ba-trung", "HBT-C", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__GetClassResponse *)r.resp)->training_class->status,
                     CS_CANCELLED);
    assert_int_equal(((Nhanluc__V1__GetClassResponse *)r.resp)->n_enrolments, 3);
    sf_call_done(&r);

    /* Resubmitting it as cancelled is a replay; as running, an update. */
    s.c.status = CS_CANCELLED;
    submit_ok(&s, OUT_UNCHANGED, 0, 0, 3);
    s.c.status = CS_RUNNING;
    submit_ok(&s, OUT_UPDATED, 0, 0, 3);

    cancel("hai-ba-trung", "HBT-NONE", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "class not found");
    cancel("hai-ba-trung", "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "class_ref:");
    cancel("", "HBT-C", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "organiser_unit:");
}

/* --- ListClasses --- */

struct listq {
    const char *unit, *term, *tg;
    int year, kind, area, status, page_size;
    const char *token;
};

/* Lists one page; fills refs ("unit/ref" in order) and returns the response (free it). */
static Nhanluc__V1__ListClassesResponse *list_page(const struct listq *q, struct sf_result *r)
{
    Nhanluc__V1__ListClassesRequest req;

    nhanluc__v1__list_classes_request__init(&req);
    req.unit = sf_unconst(q->unit != NULL ? q->unit : "");
    req.term = sf_unconst(q->term != NULL ? q->term : "");
    req.target_group = sf_unconst(q->tg != NULL ? q->tg : "");
    req.year = q->year;
    req.kind = (Nhanluc__V1__TrainingKind)q->kind;
    req.area = (Nhanluc__V1__Area)q->area;
    req.status = (Nhanluc__V1__ClassStatus)q->status;
    req.page_size = q->page_size;
    req.page_token = sf_unconst(q->token != NULL ? q->token : "");
    call(LIST, &req.base, r);
    return (Nhanluc__V1__ListClassesResponse *)r->resp;
}

/* The class_refs of one (single-page) listing, joined with ',' into out. */
static void list_refs(const struct listq *q, char *out, size_t len)
{
    struct sf_result r;
    Nhanluc__V1__ListClassesResponse *resp = list_page(q, &r);
    size_t used = 0;

    if (r.status != NL_OK)
        fail_msg("list: %d %s", r.status, r.msg);
    assert_string_equal(resp->next_page_token, "");
    out[0] = '\0';
    for (size_t i = 0; i < resp->n_classes; i++) {
        int w = snprintf(out + used, len - used, "%s%s", i > 0 ? "," : "",
                         resp->classes[i]->training_class->class_ref);
        assert_true(w > 0 && (size_t)w < len - used);
        used += (size_t)w;
    }
    sf_call_done(&r);
}

#define EXPECT_LIST(q, want)                                                                       \
    do {                                                                                           \
        char got_[512];                                                                            \
        list_refs(q, got_, sizeof(got_));                                                          \
        assert_string_equal(got_, want);                                                           \
    } while (0)

static void list_world(void)
{
    struct sub s;

    /* Refs sort against their end dates on purpose: the order is end_date first. */
    submit_simple("hai-ba-trung", "H1", "2019-12-31", K_UPGRADE, A_POLITICAL, "PLANNING_COMMITTEE",
                  CS_ENDED);
    submit_simple("hai-ba-trung", "H0", "2020-01-01", K_DEGREE, A_POLITICAL, "PLANNING_SECRETARY",
                  CS_ENDED);
    submit_simple("thanh-tri", "T1", "2015-01-01", K_UPGRADE, A_LANGUAGE, "CIVIL_SERVANT",
                  CS_ENDED);
    submit_simple("phuong-x", "P1", "2024-12-31", K_UPGRADE, A_POLITICAL, "PLANNING_COMMITTEE",
                  CS_ENDED);
    submit_simple("phuong-x", "P2", "2025-09-01", K_UPGRADE, A_POLITICAL, "PLANNING_COMMITTEE",
                  CS_RUNNING);
    submit_simple("ha-noi", "A1", "2019-12-31", K_UPGRADE, A_POLITICAL, "PLANNING_COMMITTEE",
                  CS_ENDED);
    /* One with trainees, for the counts. */
    sub_init(&s, "thanh-tri", "T2", "2014-12-01", "2014-12-31");
    submit_ok(&s, OUT_CREATED, 3, 0, 0);
}

static void test_list_filters(void **state)
{
    struct listq q;
    struct sf_result r;

    (void)state;
    list_world();

    memset(&q, 0, sizeof(q));
    /* (end_date, organiser code, class_ref): ha-noi < hai-ba-trung on 2019-12-31. */
    EXPECT_LIST(&q, "T2,T1,A1,H1,H0,P1,P2");

    q.unit = "ha-noi";
    EXPECT_LIST(&q, "T2,T1,A1,H1,H0,P1,P2");
    q.unit = "hai-ba-trung";
    EXPECT_LIST(&q, "H1,H0");
    /* phuong-x was under thanh-tri until 2025-06-30: P1 counts there, P2 does not. */
    q.unit = "thanh-tri";
    EXPECT_LIST(&q, "T2,T1,P1");
    q.unit = "phuong-x";
    EXPECT_LIST(&q, "P1,P2");
    q.unit = "xa-moi";
    EXPECT_LIST(&q, "");

    /* Term windows: 2015-2020 is 2015-01-01..2019-12-31 on end_date. */
    memset(&q, 0, sizeof(q));
    q.term = "2015-2020";
    EXPECT_LIST(&q, "T1,A1,H1");
    q.term = "2020-2025";
    EXPECT_LIST(&q, "H0,P1");
    q.unit = "hai-ba-trung";
    EXPECT_LIST(&q, "H0");

    memset(&q, 0, sizeof(q));
    q.year = 2019;
    EXPECT_LIST(&q, "A1,H1");
    q.term = "2020-2025"; /* both: the intersection */
    EXPECT_LIST(&q, "");
    q.year = 2024;
    EXPECT_LIST(&q, "P1");

    memset(&q, 0, sizeof(q));
    q.kind = K_DEGREE;
    EXPECT_LIST(&q, "H0");
    memset(&q, 0, sizeof(q));
    q.area = A_LANGUAGE;
    EXPECT_LIST(&q, "T1");
    memset(&q, 0, sizeof(q));
    q.tg = "PLANNING_SECRETARY";
    EXPECT_LIST(&q, "H0");
    q.tg = "PARTY_MEMBER";
    EXPECT_LIST(&q, "");
    memset(&q, 0, sizeof(q));
    q.status = CS_RUNNING;
    EXPECT_LIST(&q, "P2");
    q.status = CS_ENDED;
    q.unit = "thanh-tri";
    q.tg = "PLANNING_COMMITTEE";
    EXPECT_LIST(&q, "T2,P1");

    /* Each row carries its class and its enrolment count. */
    memset(&q, 0, sizeof(q));
    Nhanluc__V1__ListClassesResponse *resp = list_page(&q, &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(resp->n_classes, 7);
    assert_string_equal(resp->classes[0]->training_class->class_ref, "T2");
    assert_string_equal(resp->classes[0]->training_class->organiser_unit, "thanh-tri");
    assert_string_equal(resp->classes[0]->training_class->start_date, "2014-12-01");
    assert_int_equal(resp->classes[0]->enrolments, 3);
    assert_int_equal(resp->classes[1]->enrolments, 0);
    sf_call_done(&r);

    /* Bad filters. */
    memset(&q, 0, sizeof(q));
    q.unit = "dong-da";
    list_page(&q, &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    q.unit = "Dong Da";
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit:");
    memset(&q, 0, sizeof(q));
    q.term = "2010-2015";
    list_page(&q, &r);
    sf_expect_error(&r, NL_NOT_FOUND, "term not found");
    q.term = "2015";
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term:");
    memset(&q, 0, sizeof(q));
    q.tg = "NOBODY";
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "target_group:");
    memset(&q, 0, sizeof(q));
    q.year = -1;
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year:");
    memset(&q, 0, sizeof(q));
    q.kind = 9;
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "kind:");
    memset(&q, 0, sizeof(q));
    q.area = 10;
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "area:");
    memset(&q, 0, sizeof(q));
    q.status = 5;
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "status:");
    memset(&q, 0, sizeof(q));
    q.page_size = 1001;
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size:");
    q.page_size = -1;
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size:");
    memset(&q, 0, sizeof(q));
    q.token = "bm90IGEgdG9rZW4"; /* base64 of something else */
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token:");
    q.token = "!!";
    list_page(&q, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token:");
}

static void test_list_paging(void **state)
{
    struct listq q;
    struct sf_result r;
    char ref[32], end[16], seen[64][32];
    size_t nseen = 0;
    char *token = NULL;

    (void)state;
    /* 25 classes over two units and five end dates, ties broken by unit then ref. */
    for (int i = 0; i < 25; i++) {
        (void)snprintf(ref, sizeof(ref), "R%02d", 24 - i);
        (void)snprintf(end, sizeof(end), "2019-0%d-15", 1 + i % 5);
        submit_simple(i % 2 ? "thanh-tri" : "hai-ba-trung", ref, end, K_UPGRADE, A_POLITICAL,
                      "PLANNING_COMMITTEE", CS_ENDED);
    }

    memset(&q, 0, sizeof(q));
    q.page_size = 10;
    for (int page = 0; page < 10; page++) {
        Nhanluc__V1__ListClassesResponse *resp;

        q.token = token;
        resp = list_page(&q, &r);
        if (r.status != NL_OK)
            fail_msg("page %d: %d %s", page, r.status, r.msg);
        assert_true(resp->n_classes <= 10);
        for (size_t i = 0; i < resp->n_classes; i++) {
            Nhanluc__V1__TrainingClass *c = resp->classes[i]->training_class;
            assert_true(nseen < 64);
            (void)snprintf(seen[nseen++], sizeof(seen[0]), "%s|%s|%s", c->end_date,
                           c->organiser_unit, c->class_ref);
        }
        free(token);
        token = resp->next_page_token[0] != '\0' ? strdup(resp->next_page_token) : NULL;
        assert_true(resp->next_page_token[0] == '\0' || resp->n_classes == 10);
        sf_call_done(&r);
        if (token == NULL)
            break;
    }
    assert_null(token);
    assert_int_equal(nseen, 25);
    for (size_t i = 1; i < nseen; i++) {
        if (strcmp(seen[i - 1], seen[i]) >= 0)
            fail_msg("rows %zu and %zu out of order: %s, %s", i - 1, i, seen[i - 1], seen[i]);
    }

    /* Exactly one page: no token. Default page size: everything here. */
    q.token = NULL;
    q.page_size = 25;
    Nhanluc__V1__ListClassesResponse *resp = list_page(&q, &r);
    assert_int_equal(resp->n_classes, 25);
    assert_string_equal(resp->next_page_token, "");
    sf_call_done(&r);
    q.page_size = 0;
    resp = list_page(&q, &r);
    assert_int_equal(resp->n_classes, 25);
    sf_call_done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submit_then_get, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_replay_writes_nothing, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_upsert_outcomes, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_text_rules, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_validation, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_validation_edges, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_too_many_enrolments, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_class_size_cap, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_row_count_kept, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, sf_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
