/*
 * test_party.c - the party handlers of nhanluc.v1.Records: committee
 * memberships, seat quotas, planning entries and post-training reviews,
 * with their lists and the Politburo 3x3 violations, called the way the
 * server calls them (nl_job_new + nl_job_run on a store, the packed
 * response read back after its 5-byte prefix).
 *
 * Writes run on the read-write connection inside BEGIN IMMEDIATE + a
 * savepoint (the writer's batch shape); reads on a separate read-only
 * connection inside a read transaction (the read pool's shape). Units,
 * terms, cadres and their profiles are inserted with raw SQL through the
 * test-only store hooks, so these tests depend only on the schema. Every
 * refusal is checked for its status, its field path and that nothing was
 * written.
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
#include "../support/store_fixture.h"

#define SENTINEL "2000-01-01T00:00:00.000Z"

static struct sf_db *g; /* the current fixture, for the call helpers */

static int setup(void **state)
{
    return sf_setup(state, "party", &g);
}

/* Raw SQL on the writer's connection. */
#define sql(text)      sf_sql(g->rw, (text))
#define sql_text(text) sf_sql_text(g->rw, (text))
#define sql_long(text) sf_sql_long(g->rw, (text))

/* Runs `req` on the current fixture. */
#define call(path, req, r) sf_call(g, (path), (req), (r))

#define OUT_CREATED   NHANLUC__V1__WRITE_OUTCOME__CREATED
#define OUT_UPDATED   NHANLUC__V1__WRITE_OUTCOME__UPDATED
#define OUT_UNCHANGED NHANLUC__V1__WRITE_OUTCOME__UNCHANGED
#define COMMITTEE     NHANLUC__V1__BODY__BODY_COMMITTEE
#define STANDING      NHANLUC__V1__BODY__BODY_STANDING_COMMITTEE
#define SECRETARY     NHANLUC__V1__BODY_ROLE__BODY_ROLE_SECRETARY
#define MEMBER        NHANLUC__V1__BODY_ROLE__BODY_ROLE_MEMBER
#define BOT(x)        NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_##x

/*
 * The tree: city hn; districts d1, d2 under it; ward w1 under d1 until
 * 2024-12-31 and under d2 from 2025-01-01 (so today it is under d2); old
 * only until 2020-12-31; x1 only from 2025-01-01. Terms 2020-2025 and
 * 2025-2030. Cadres c01..c30 without profiles.
 */
static void seed(void)
{
    sql("INSERT INTO unit(id, code) VALUES (1, 'hn'), (2, 'd1'), (3, 'd2'), (4, 'w1'), (5, 'old'),"
        " (6, 'x1');"
        "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to) VALUES"
        " (1, 'Hà Nội', 1, NULL, '0001-01-01', NULL),"
        " (2, 'Quận Một', 2, 1, '0001-01-01', NULL),"
        " (3, 'Quận Hai', 2, 1, '0001-01-01', NULL),"
        " (4, 'Phường Một', 6, 2, '0001-01-01', '2024-12-31'),"
        " (4, 'Phường Một', 6, 3, '2025-01-01', NULL),"
        " (5, 'Huyện Cũ', 3, 1, '0001-01-01', '2020-12-31'),"
        " (6, 'Xã Mới', 7, 3, '2025-01-01', NULL);"
        "INSERT INTO term(code, kind, start_year, end_year) VALUES"
        " ('2020-2025', 1, 2020, 2025), ('2025-2030', 1, 2025, 2030);"
        "INSERT INTO cadre(cadre_code, sex, birth_year)"
        " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)"
        " SELECT printf('c%02d', i), 1 + i % 2, 1970 FROM n;");
}

/* --- request builders and calls --- */

struct member_req {
    Nhanluc__V1__UpsertCommitteeMembershipRequest req;
    Nhanluc__V1__CommitteeMembership m;
};

/* A valid membership request (static; edit before sending). */
static struct member_req *member_new(const char *cadre, const char *unit, int body, int role,
                                     const char *start, const char *end)
{
    static struct member_req u;

    nhanluc__v1__upsert_committee_membership_request__init(&u.req);
    nhanluc__v1__committee_membership__init(&u.m);
    u.m.cadre_code = sf_unconst(cadre);
    u.m.unit = sf_unconst(unit);
    u.m.term = sf_unconst("2020-2025");
    u.m.body = (Nhanluc__V1__Body)body;
    u.m.role = (Nhanluc__V1__BodyRole)role;
    u.m.start_date = sf_unconst(start);
    u.m.end_date = sf_unconst(end);
    u.req.membership = &u.m;
    return &u;
}

struct quota_req {
    Nhanluc__V1__SetSeatQuotaRequest req;
    Nhanluc__V1__SeatQuota q;
};

static struct quota_req *quota_new(const char *unit, int bot, int seats)
{
    static struct quota_req u;

    nhanluc__v1__set_seat_quota_request__init(&u.req);
    nhanluc__v1__seat_quota__init(&u.q);
    u.q.unit = sf_unconst(unit);
    u.q.term = sf_unconst("2020-2025");
    u.q.body_or_title = (Nhanluc__V1__BodyOrTitle)bot;
    u.q.seats = seats;
    u.req.quota = &u.q;
    return &u;
}

struct plan_req {
    Nhanluc__V1__UpsertPlanningEntryRequest req;
    Nhanluc__V1__PlanningEntry e;
};

static struct plan_req *plan_new(const char *cadre, const char *unit, int bot, const char *added,
                                 const char *removed)
{
    static struct plan_req u;

    nhanluc__v1__upsert_planning_entry_request__init(&u.req);
    nhanluc__v1__planning_entry__init(&u.e);
    u.e.cadre_code = sf_unconst(cadre);
    u.e.unit = sf_unconst(unit);
    u.e.term = sf_unconst("2020-2025");
    u.e.body_or_title = (Nhanluc__V1__BodyOrTitle)bot;
    u.e.added_on = sf_unconst(added);
    u.e.removed_on = sf_unconst(removed);
    u.req.entry = &u.e;
    return &u;
}

struct review_req {
    Nhanluc__V1__UpsertReviewRequest req;
    Nhanluc__V1__Review r;
};

static struct review_req *review_new(const char *cadre, int year)
{
    static struct review_req u;

    nhanluc__v1__upsert_review_request__init(&u.req);
    nhanluc__v1__review__init(&u.r);
    u.r.cadre_code = sf_unconst(cadre);
    u.r.year = year;
    u.r.annual_rating = NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_GOOD;
    u.r.meets_requirements = 1;
    u.r.action = NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_KEEP;
    u.req.review = &u.r;
    return &u;
}

#define P_MEMBER "/nhanluc.v1.Records/UpsertCommitteeMembership"
#define P_QUOTA  "/nhanluc.v1.Records/SetSeatQuota"
#define P_PLAN   "/nhanluc.v1.Records/UpsertPlanningEntry"
#define P_REVIEW "/nhanluc.v1.Records/UpsertReview"
#define L_MEMBER "/nhanluc.v1.Records/ListCommitteeMemberships"
#define L_QUOTA  "/nhanluc.v1.Records/ListSeatQuotas"
#define L_PLAN   "/nhanluc.v1.Records/ListPlanningEntries"
#define L_REVIEW "/nhanluc.v1.Records/ListReviews"

/* The outcome of a write that must succeed (the WriteOutcome is field 2 of every reply). */
static int write_ok(const char *path, const ProtobufCMessage *req)
{
    struct sf_result r;
    int outcome;

    call(path, req, &r);
    if (r.status != NL_OK)
        fail_msg("%s: %d '%s'", path, r.status, r.msg);
    if (strcmp(path, P_MEMBER) == 0)
        outcome = ((Nhanluc__V1__UpsertCommitteeMembershipResponse *)r.resp)->outcome;
    else if (strcmp(path, P_QUOTA) == 0)
        outcome = ((Nhanluc__V1__SetSeatQuotaResponse *)r.resp)->outcome;
    else if (strcmp(path, P_PLAN) == 0)
        outcome = ((Nhanluc__V1__UpsertPlanningEntryResponse *)r.resp)->outcome;
    else
        outcome = ((Nhanluc__V1__UpsertReviewResponse *)r.resp)->outcome;
    sf_call_done(&r);
    return outcome;
}

/* Asserts a refused write: status, field-path prefix, and the table's row count unchanged. */
static void write_refused(const char *path, const ProtobufCMessage *req, enum nl_status st,
                          const char *prefix, const char *count_sql, long want_count)
{
    struct sf_result r;

    call(path, req, &r);
    sf_expect_error(&r, st, prefix);
    sf_call_done(&r);
    assert_int_equal(sql_long(count_sql), want_count);
}

static void list_call(const char *path, const char *unit, int subtree, const char *term, int year,
                      int page_size, const char *token, struct sf_result *r)
{
    Nhanluc__V1__ListPartyRecordsRequest req;

    nhanluc__v1__list_party_records_request__init(&req);
    req.unit = sf_unconst(unit);
    req.subtree = subtree;
    req.term = sf_unconst(term);
    req.year = year;
    req.page_size = page_size;
    req.page_token = sf_unconst(token);
    call(path, &req.base, r);
}

/* --- tests --- */

static void test_method_rows(void **state)
{
    static const struct {
        const char *path;
        unsigned flag;
    } rows[] = {
        {P_MEMBER, NL_M_WRITE}, {P_QUOTA, NL_M_WRITE}, {P_PLAN, NL_M_WRITE}, {P_REVIEW, NL_M_WRITE},
        {L_MEMBER, NL_M_READ},  {L_QUOTA, NL_M_READ},  {L_PLAN, NL_M_READ},  {L_REVIEW, NL_M_READ},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct nl_method *m = nl_method_find(rows[i].path, strlen(rows[i].path));
        assert_non_null(m);
        assert_true(m->flags & rows[i].flag);
    }
}

#define COUNT_MEMBERS "SELECT count(*) FROM committee_membership"

static void test_membership_validation(void **state)
{
    struct member_req *u;

    (void)state;
    seed();
#define REFUSED(prefix)                                                                            \
    write_refused(P_MEMBER, &u->req.base, NL_INVALID_ARGUMENT, prefix, COUNT_MEMBERS, 0)
    u = member_new("c01", "d1", COMMITTEE, MEMBER, "2020-10-01", "");
    u->req.membership = NULL;
    REFUSED("membership: required");
    u = member_new("", "d1", COMMITTEE, MEMBER, "2020-10-01", "");
    REFUSED("membership.cadre_code: must be");
    u = member_new("c 01", "d1", COMMITTEE, MEMBER, "2020-10-01", "");
    REFUSED("membership.cadre_code: must be");
    u = member_new("c01", "", COMMITTEE, MEMBER, "2020-10-01", "");
    REFUSED("membership.unit: required");
    u = member_new("c01", "D1", COMMITTEE, MEMBER, "2020-10-01", "");
    REFUSED("membership.unit: must be");
    u = member_new("c01", "d1", COMMITTEE, MEMBER, "2020-10-01", "");
    u->m.term = sf_unconst("");
    REFUSED("membership.term: required");
    u->m.term = sf_unconst("2020");
    REFUSED("membership.term: must be a term code");
    u = member_new("c01", "d1", 0, MEMBER, "2020-10-01", "");
    REFUSED("membership.body: required");
    u = member_new("c01", "d1", 3, MEMBER, "2020-10-01", "");
    REFUSED("membership.body: unknown value");
    u = member_new("c01", "d1", COMMITTEE, 0, "2020-10-01", "");
    REFUSED("membership.role: required");
    u = member_new("c01", "d1", COMMITTEE, 5, "2020-10-01", "");
    REFUSED("membership.role: unknown value");
    u = member_new("c01", "d1", COMMITTEE, MEMBER, "", "");
    REFUSED("membership.start_date: required");
    u = member_new("c01", "d1", COMMITTEE, MEMBER, "2020-02-30", "");
    REFUSED("membership.start_date: must be a date");
    u = member_new("c01", "d1", COMMITTEE, MEMBER, "2020-10-01", "01/10/2025");
    REFUSED("membership.end_date: must be a date");
    u = member_new("c01", "d1", COMMITTEE, MEMBER, "2020-10-01", "2020-09-30");
    REFUSED("membership.end_date: must not be before start_date");
    /* what needs the database */
    u = member_new("nobody", "d1", COMMITTEE, MEMBER, "2020-10-01", "");
    REFUSED("membership.cadre_code: no such cadre");
    u = member_new("c01", "nowhere", COMMITTEE, MEMBER, "2020-10-01", "");
    REFUSED("membership.unit: no such unit");
    u = member_new("c01", "old", COMMITTEE, MEMBER, "2021-01-01", "");
    REFUSED("membership.unit: the unit is not valid on membership.start_date");
    u = member_new("c01", "x1", COMMITTEE, MEMBER, "2024-12-31", "");
    REFUSED("membership.unit: the unit is not valid on membership.start_date");
    u = member_new("c01", "d1", COMMITTEE, MEMBER, "2020-10-01", "");
    u->m.term = sf_unconst("2030-2035");
    REFUSED("membership.term: no such term");
#undef REFUSED
    /* the edges that are valid: the unit's last day, end == start */
    u = member_new("c01", "old", COMMITTEE, MEMBER, "2020-12-31", "2020-12-31");
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_CREATED);
    assert_int_equal(sql_long(COUNT_MEMBERS), 1);
}

static void test_membership_upsert(void **state)
{
    struct member_req *u;
    struct sf_result r;

    (void)state;
    seed();
    u = member_new("c01", "d1", COMMITTEE, SECRETARY, "2020-10-01", "");
    call(P_MEMBER, &u->req.base, &r);
    assert_int_equal(r.status, NL_OK);
    {
        Nhanluc__V1__UpsertCommitteeMembershipResponse *resp =
            (Nhanluc__V1__UpsertCommitteeMembershipResponse *)r.resp;
        assert_int_equal(resp->outcome, OUT_CREATED);
        assert_string_equal(resp->membership->cadre_code, "c01");
        assert_string_equal(resp->membership->start_date, "2020-10-01");
        assert_string_equal(resp->membership->end_date, "");
        assert_int_equal(resp->membership->role, SECRETARY);
    }
    sf_call_done(&r);

    /* a replay writes nothing: updated_at keeps a sentinel */
    sql("UPDATE committee_membership SET updated_at = '" SENTINEL "'");
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_UNCHANGED);
    assert_string_equal(sql_text("SELECT updated_at FROM committee_membership"), SENTINEL);

    /* other content under the same key updates the row */
    u->m.role = MEMBER;
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_UPDATED);
    assert_int_equal(sql_long("SELECT role FROM committee_membership"), MEMBER);
    assert_string_not_equal(sql_text("SELECT updated_at FROM committee_membership"), SENTINEL);
    u->m.end_date = sf_unconst("2023-05-31");
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_UPDATED);
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_UNCHANGED);
    assert_string_equal(sql_text("SELECT end_date FROM committee_membership"), "2023-05-31");
    /* an empty end_date reopens the membership (NULL, not '') */
    u->m.end_date = sf_unconst("");
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_UPDATED);
    assert_int_equal(sql_long("SELECT count(*) FROM committee_membership WHERE end_date IS NULL"),
                     1);

    /* another body, unit, term or cadre is another key */
    u->m.body = STANDING;
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_CREATED);
    u->m.unit = sf_unconst("d2");
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_CREATED);
    u->m.term = sf_unconst("2025-2030");
    u->m.start_date = sf_unconst("2025-10-01");
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_CREATED);
    u->m.cadre_code = sf_unconst("c02");
    assert_int_equal(write_ok(P_MEMBER, &u->req.base), OUT_CREATED);
    assert_int_equal(sql_long(COUNT_MEMBERS), 5);
}

#define COUNT_QUOTAS "SELECT count(*) FROM seat_quota"

static void test_seat_quota(void **state)
{
    struct quota_req *u;

    (void)state;
    seed();
#define REFUSED(prefix)                                                                            \
    write_refused(P_QUOTA, &u->req.base, NL_INVALID_ARGUMENT, prefix, COUNT_QUOTAS, 0)
    u = quota_new("d1", BOT(COMMITTEE), 45);
    u->req.quota = NULL;
    REFUSED("quota: required");
    u = quota_new("", BOT(COMMITTEE), 45);
    REFUSED("quota.unit: required");
    u = quota_new("d1", 0, 45);
    REFUSED("quota.body_or_title: required");
    u = quota_new("d1", 11, 45);
    REFUSED("quota.body_or_title: unknown value");
    u = quota_new("d1", BOT(COMMITTEE), -1);
    REFUSED("quota.seats: must be >= 0");
    u = quota_new("nowhere", BOT(COMMITTEE), 45);
    REFUSED("quota.unit: no such unit");
    u = quota_new("d1", BOT(COMMITTEE), 45);
    u->q.term = sf_unconst("2015-2020");
    REFUSED("quota.term: no such term");
#undef REFUSED

    /* a unit that has ended still takes quotas for its terms */
    u = quota_new("old", BOT(COMMITTEE), 0);
    assert_int_equal(write_ok(P_QUOTA, &u->req.base), OUT_CREATED);
    u = quota_new("d1", BOT(COMMITTEE), 45);
    assert_int_equal(write_ok(P_QUOTA, &u->req.base), OUT_CREATED);
    sql("UPDATE seat_quota SET updated_at = '" SENTINEL "'");
    assert_int_equal(write_ok(P_QUOTA, &u->req.base), OUT_UNCHANGED);
    assert_int_equal(sql_long("SELECT count(*) FROM seat_quota WHERE updated_at = '" SENTINEL "'"),
                     2);
    u->q.seats = 47;
    assert_int_equal(write_ok(P_QUOTA, &u->req.base), OUT_UPDATED);
    assert_int_equal(sql_long("SELECT seats FROM seat_quota WHERE unit_id = 2"), 47);
    u = quota_new("d1", BOT(SECRETARY), 1);
    assert_int_equal(write_ok(P_QUOTA, &u->req.base), OUT_CREATED);
    assert_int_equal(sql_long(COUNT_QUOTAS), 3);
}

#define COUNT_PLAN "SELECT count(*) FROM planning_entry"

static void test_planning_upsert(void **state)
{
    struct plan_req *u;

    (void)state;
    seed();
#define REFUSED(prefix)                                                                            \
    write_refused(P_PLAN, &u->req.base, NL_INVALID_ARGUMENT, prefix, COUNT_PLAN, 0)
    u = plan_new("c01", "d1", BOT(SECRETARY), "2021-01-01", "");
    u->req.entry = NULL;
    REFUSED("entry: required");
    u = plan_new("c01/", "d1", BOT(SECRETARY), "2021-01-01", "");
    REFUSED("entry.cadre_code: must be");
    u = plan_new("c01", "d1", 0, "2021-01-01", "");
    REFUSED("entry.body_or_title: required");
    u = plan_new("c01", "d1", 99, "2021-01-01", "");
    REFUSED("entry.body_or_title: unknown value");
    u = plan_new("c01", "d1", BOT(SECRETARY), "", "");
    REFUSED("entry.added_on: required");
    u = plan_new("c01", "d1", BOT(SECRETARY), "2021-1-1", "");
    REFUSED("entry.added_on: must be a date");
    u = plan_new("c01", "d1", BOT(SECRETARY), "2021-01-01", "2020-12-31");
    REFUSED("entry.removed_on: must not be before added_on");
    u = plan_new("c99", "d1", BOT(SECRETARY), "2021-01-01", "");
    REFUSED("entry.cadre_code: no such cadre");
    u = plan_new("c01", "old", BOT(SECRETARY), "2021-01-01", "");
    REFUSED("entry.unit: the unit is not valid on entry.added_on");
    u = plan_new("c01", "d1", BOT(SECRETARY), "2021-01-01", "");
    u->e.term = sf_unconst("2019-2024");
    REFUSED("entry.term: no such term");
#undef REFUSED

    u = plan_new("c01", "d1", BOT(SECRETARY), "2021-01-01", "");
    assert_int_equal(write_ok(P_PLAN, &u->req.base), OUT_CREATED);
    sql("UPDATE planning_entry SET updated_at = '" SENTINEL "'");
    assert_int_equal(write_ok(P_PLAN, &u->req.base), OUT_UNCHANGED);
    assert_string_equal(sql_text("SELECT updated_at FROM planning_entry"), SENTINEL);
    u->e.removed_on = sf_unconst("2022-06-30");
    assert_int_equal(write_ok(P_PLAN, &u->req.base), OUT_UPDATED);
    assert_string_equal(sql_text("SELECT removed_on FROM planning_entry"), "2022-06-30");
    u->e.added_on = sf_unconst("2021-02-01");
    assert_int_equal(write_ok(P_PLAN, &u->req.base), OUT_UPDATED);
    u->e.body_or_title = BOT(COMMITTEE);
    assert_int_equal(write_ok(P_PLAN, &u->req.base), OUT_CREATED);
    assert_int_equal(sql_long(COUNT_PLAN), 2);
}

#define COUNT_REVIEWS "SELECT count(*) FROM review"

static void test_review_upsert(void **state)
{
    struct review_req *u;
    struct sf_result r;
    char long301[302], long300[301], msg[64];

    (void)state;
    seed();
    memset(long301, 'x', 301);
    long301[301] = '\0';
    memset(long300, 'x', 300);
    long300[300] = '\0';
#define REFUSED(prefix)                                                                            \
    write_refused(P_REVIEW, &u->req.base, NL_INVALID_ARGUMENT, prefix, COUNT_REVIEWS, 0)
    u = review_new("c01", 2022);
    u->req.review = NULL;
    REFUSED("review: required");
    u = review_new("", 2022);
    REFUSED("review.cadre_code: must be");
    (void)snprintf(msg, sizeof(msg), "review.year: must be 1945-%d", sf_this_year() + 1);
    u = review_new("c01", 1944);
    REFUSED(msg);
    u = review_new("c01", sf_this_year() + 2);
    REFUSED(msg);
    u = review_new("c01", 2022);
    u->r.annual_rating = 0;
    REFUSED("review.annual_rating: required");
    u->r.annual_rating = 5;
    REFUSED("review.annual_rating: unknown value");
    u = review_new("c01", 2022);
    u->r.action = 0;
    REFUSED("review.action: required");
    u->r.action = 7;
    REFUSED("review.action: unknown value");
    u = review_new("c01", 2022);
    u->r.decision_ref = long301;
    REFUSED("review.decision_ref: must be at most 300 bytes");
    u->r.decision_ref = sf_unconst("QĐ\t12");
    REFUSED("review.decision_ref: ");
    u->r.decision_ref = sf_unconst("QĐ \xff");
    REFUSED("review.decision_ref: ");
    u = review_new("c99", 2022);
    REFUSED("review.cadre_code: no such cadre");
#undef REFUSED

    /* the edges: 1945, next year, 300 bytes */
    u = review_new("c01", 1945);
    assert_int_equal(write_ok(P_REVIEW, &u->req.base), OUT_CREATED);
    u = review_new("c01", sf_this_year() + 1);
    u->r.decision_ref = long300;
    assert_int_equal(write_ok(P_REVIEW, &u->req.base), OUT_CREATED);

    /* line breaks are kept, each line composed to NFC */
    u = review_new("c02", 2022);
    u->r.decision_ref =
        sf_unconst("Quye\xcc\x82\xcc\x81t \xc4\x91i\xcc\xa3nh\r\nso\xcc\x82\xcc\x81 12");
    call(P_REVIEW, &u->req.base, &r);
    assert_int_equal(r.status, NL_OK);
    assert_string_equal(((Nhanluc__V1__UpsertReviewResponse *)r.resp)->review->decision_ref,
                        "Quyết định\r\nsố 12");
    sf_call_done(&r);
    assert_string_equal(sql_text("SELECT decision_ref FROM review WHERE year = 2022"),
                        "Quyết định\r\nsố 12");
    /* the composed form is the same content: a replay */
    u->r.decision_ref = sf_unconst("Quyết định\r\nsố 12");
    sql("UPDATE review SET updated_at = '" SENTINEL "'");
    assert_int_equal(write_ok(P_REVIEW, &u->req.base), OUT_UNCHANGED);
    assert_int_equal(sql_long("SELECT count(*) FROM review WHERE updated_at = '" SENTINEL "'"), 3);
    u->r.meets_requirements = 0;
    u->r.action = NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_ROTATE;
    assert_int_equal(write_ok(P_REVIEW, &u->req.base), OUT_UPDATED);
    assert_int_equal(sql_long("SELECT meets_requirements * 10 + action FROM review"
                              " WHERE year = 2022"),
                     3);
    assert_int_equal(sql_long(COUNT_REVIEWS), 3);
}

/* The cadre codes of a ListCommitteeMemberships page as "unit/cadre ..." (in list order). */
static void member_page(struct sf_result *r, char *out, size_t len)
{
    Nhanluc__V1__ListCommitteeMembershipsResponse *lr =
        (Nhanluc__V1__ListCommitteeMembershipsResponse *)r->resp;
    size_t off = strlen(out);

    for (size_t i = 0; i < lr->n_memberships; i++) {
        int n = snprintf(out + off, len - off, "%s%s/%s", off ? " " : "", lr->memberships[i]->unit,
                         lr->memberships[i]->cadre_code);
        assert_true(n > 0 && (size_t)n < len - off);
        off += (size_t)n;
    }
}

static void expect_members(const char *unit, int subtree, const char *term, const char *want)
{
    struct sf_result r;
    char got[1024] = "";

    list_call(L_MEMBER, unit, subtree, term, 0, 0, "", &r);
    if (r.status != NL_OK)
        fail_msg("ListCommitteeMemberships(%s): %d '%s'", unit, r.status, r.msg);
    member_page(&r, got, sizeof(got));
    assert_string_equal(((Nhanluc__V1__ListCommitteeMembershipsResponse *)r.resp)->next_page_token,
                        "");
    sf_call_done(&r);
    if (strcmp(got, want) != 0)
        fail_msg("ListCommitteeMemberships(%s, %d): got '%s', want '%s'", unit, subtree, got, want);
}

static void test_lists_scope(void **state)
{
    struct sf_result r;
    struct member_req *m;

    (void)state;
    seed();
    m = member_new("c03", "d1", COMMITTEE, MEMBER, "2020-10-01", "");
    write_ok(P_MEMBER, &m->req.base);
    m = member_new("c01", "d1", COMMITTEE, SECRETARY, "2020-10-01", "");
    write_ok(P_MEMBER, &m->req.base);
    m = member_new("c02", "w1", COMMITTEE, MEMBER, "2020-10-01", "");
    write_ok(P_MEMBER, &m->req.base);
    m = member_new("c04", "d2", STANDING, MEMBER, "2020-10-01", "");
    write_ok(P_MEMBER, &m->req.base);
    m = member_new("c05", "hn", COMMITTEE, MEMBER, "2020-10-01", "");
    write_ok(P_MEMBER, &m->req.base);
    m = member_new("c06", "d1", COMMITTEE, MEMBER, "2025-10-01", "");
    m->m.term = sf_unconst("2025-2030");
    write_ok(P_MEMBER, &m->req.base);

    /* one unit, ordered by body, role, cadre; the other term is not listed */
    expect_members("d1", 0, "2020-2025", "d1/c01 d1/c03");
    expect_members("d1", 0, "2025-2030", "d1/c06");
    /*
     * the subtree is the tree of the term window's last day (DOMAIN.md 3, 4):
     * on 2024-12-31 w1 was under d1 (it moved to d2 on 2025-01-01)
     */
    expect_members("d1", 1, "2020-2025", "d1/c01 d1/c03 w1/c02");
    expect_members("d2", 1, "2020-2025", "d2/c04");
    expect_members("hn", 1, "2020-2025", "d1/c01 d1/c03 d2/c04 hn/c05 w1/c02");
    expect_members("hn", 0, "2020-2025", "hn/c05");
    expect_members("x1", 1, "2020-2025", "");

    /* the request's own errors */
    list_call(L_MEMBER, "", 0, "2020-2025", 0, 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit: required");
    list_call(L_MEMBER, "d1", 0, "", 0, 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term: required");
    list_call(L_QUOTA, "d1", 0, "", 0, 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term: required");
    list_call(L_PLAN, "d1", 0, "", 0, 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term: required");
    list_call(L_MEMBER, "d1", 0, "2020-25", 0, 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term: must be a term code");
    list_call(L_MEMBER, "d1", 0, "2020-2025", 0, 1001, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size: must be 0-1000");
    list_call(L_MEMBER, "d1", 0, "2020-2025", 0, -1, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size: ");
    list_call(L_MEMBER, "d1", 0, "2020-2025", 0, 0, "not-a-token", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    list_call(L_REVIEW, "d1", 0, "", -1, 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year: ");
    list_call(L_MEMBER, "nowhere", 0, "2020-2025", 0, 0, "", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    list_call(L_MEMBER, "d1", 0, "2010-2015", 0, 0, "", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "term not found");
    list_call(L_REVIEW, "nowhere", 0, "", 0, 0, "", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
}

static void test_lists_paging(void **state)
{
    struct sf_result r;
    char want[2048] = "", got[2048] = "", token[256] = "", first_token[256] = "";
    size_t off = 0;
    int pages = 0;

    (void)state;
    seed();
    /* 25 members of d1 (c01..c25) and 3 quotas */
    for (int i = 1; i <= 25; i++) {
        char code[8];
        struct member_req *m;
        (void)snprintf(code, sizeof(code), "c%02d", i);
        m = member_new(code, "d1", COMMITTEE, MEMBER, "2020-10-01", "");
        assert_int_equal(write_ok(P_MEMBER, &m->req.base), OUT_CREATED);
        off += (size_t)snprintf(want + off, sizeof(want) - off, "%sd1/%s", i > 1 ? " " : "", code);
    }
    for (int p = 0; p < 10; p++) {
        list_call(L_MEMBER, "d1", 0, "2020-2025", 0, 10, token, &r);
        if (r.status != NL_OK)
            fail_msg("page %d: %d '%s'", p, r.status, r.msg);
        Nhanluc__V1__ListCommitteeMembershipsResponse *lr =
            (Nhanluc__V1__ListCommitteeMembershipsResponse *)r.resp;
        assert_true(lr->n_memberships <= 10);
        member_page(&r, got, sizeof(got));
        pages++;
        (void)snprintf(token, sizeof(token), "%s", lr->next_page_token);
        if (p == 0)
            (void)snprintf(first_token, sizeof(first_token), "%s", token);
        sf_call_done(&r);
        if (token[0] == '\0')
            break;
    }
    assert_int_equal(pages, 3);
    assert_string_equal(got, want);

    /* a token of one list is refused by another */
    list_call(L_PLAN, "d1", 0, "2020-2025", 0, 10, first_token, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    list_call(L_REVIEW, "d1", 0, "", 0, 10, first_token, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");

    /* page_size 0 is 100: everything at once */
    list_call(L_MEMBER, "d1", 0, "2020-2025", 0, 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListCommitteeMembershipsResponse *)r.resp)->n_memberships, 25);
    sf_call_done(&r);

    /* quotas page by (unit, body_or_title) */
    struct quota_req *q = quota_new("d1", BOT(SECRETARY), 1);
    write_ok(P_QUOTA, &q->req.base);
    q = quota_new("d1", BOT(COMMITTEE), 40);
    write_ok(P_QUOTA, &q->req.base);
    q = quota_new("d2", BOT(COMMITTEE), 35);
    write_ok(P_QUOTA, &q->req.base);
    list_call(L_QUOTA, "hn", 1, "2020-2025", 0, 2, "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ListSeatQuotasResponse *qr = (Nhanluc__V1__ListSeatQuotasResponse *)r.resp;
    assert_int_equal(qr->n_quotas, 2);
    assert_string_equal(qr->quotas[0]->unit, "d1");
    assert_int_equal(qr->quotas[0]->body_or_title, BOT(COMMITTEE));
    assert_int_equal(qr->quotas[0]->seats, 40);
    assert_int_equal(qr->quotas[1]->body_or_title, BOT(SECRETARY));
    (void)snprintf(token, sizeof(token), "%s", qr->next_page_token);
    sf_call_done(&r);
    assert_string_not_equal(token, "");
    list_call(L_QUOTA, "hn", 1, "2020-2025", 0, 2, token, &r);
    assert_int_equal(r.status, NL_OK);
    qr = (Nhanluc__V1__ListSeatQuotasResponse *)r.resp;
    assert_int_equal(qr->n_quotas, 1);
    assert_string_equal(qr->quotas[0]->unit, "d2");
    assert_string_equal(qr->next_page_token, "");
    sf_call_done(&r);
}

/* Adds planning entry (cadre, unit, title) for 2020-2025 added 2021-01-01, maybe removed. */
static void plan(const char *cadre, const char *unit, int bot, const char *removed)
{
    struct plan_req *u = plan_new(cadre, unit, bot, "2021-01-01", removed);

    assert_int_equal(write_ok(P_PLAN, &u->req.base), OUT_CREATED);
}

/* The violations of the first page of ListPlanningEntries as "unit:title-or-cadre=count ...". */
static void expect_violations(const char *unit, int subtree, const char *want)
{
    struct sf_result r;
    char got[512] = "";
    size_t off = 0;

    list_call(L_PLAN, unit, subtree, "2020-2025", 0, 0, "", &r);
    if (r.status != NL_OK)
        fail_msg("ListPlanningEntries(%s): %d '%s'", unit, r.status, r.msg);
    Nhanluc__V1__ListPlanningEntriesResponse *lr =
        (Nhanluc__V1__ListPlanningEntriesResponse *)r.resp;
    for (size_t i = 0; i < lr->n_violations; i++) {
        const Nhanluc__V1__PlanningViolation *v = lr->violations[i];
        int n;
        assert_string_equal(v->term, "2020-2025");
        /* exactly one of the two is set */
        assert_true((v->cadre_code[0] == '\0') != (v->body_or_title == 0));
        if (v->cadre_code[0] != '\0')
            n = snprintf(got + off, sizeof(got) - off, "%s%s:%s=%d", off ? " " : "", v->unit,
                         v->cadre_code, (int)v->count);
        else
            n = snprintf(got + off, sizeof(got) - off, "%s%s:%d=%d", off ? " " : "", v->unit,
                         (int)v->body_or_title, (int)v->count);
        assert_true(n > 0 && (size_t)n < sizeof(got) - off);
        off += (size_t)n;
    }
    sf_call_done(&r);
    if (strcmp(got, want) != 0)
        fail_msg("violations(%s, %d): got '%s', want '%s'", unit, subtree, got, want);
}

/*
 * n cadres "vNNNN" of d1, each planned for SECRETARY, DEPUTY_SECRETARY and
 * both chairs in 2020-2025: n cadre breaches and 4 title breaches (n > 3).
 */
static void seed_breaches(int n)
{
    char q[1024];

    (void)snprintf(q, sizeof(q),
                   "INSERT INTO cadre(cadre_code, sex, birth_year)"
                   " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
                   " SELECT printf('v%%04d', i), 1, 1970 FROM n;"
                   "INSERT INTO planning_entry(cadre_id, unit_id, term_id, body_or_title, added_on)"
                   " SELECT c.id, 2, t.id, b.v, '2021-01-01' FROM cadre AS c, term AS t,"
                   " (SELECT 3 AS v UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6) AS b"
                   " WHERE c.cadre_code LIKE 'v%%' AND t.code = '2020-2025';",
                   n);
    sql(q);
}

/* The first page's violations: how many, and whether the reply says more exist. */
static void expect_violation_count(size_t want, int truncated)
{
    struct sf_result r;

    list_call(L_PLAN, "d1", 0, "2020-2025", 0, 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ListPlanningEntriesResponse *lr =
        (Nhanluc__V1__ListPlanningEntriesResponse *)r.resp;
    assert_int_equal(lr->n_violations, want);
    assert_int_equal(lr->violations_truncated, truncated);
    sf_call_done(&r);
}

/* At most NL_PARTY_VIOLATION_MAX violations are listed; the reply says when more exist. */
static void test_planning_violations_truncated(void **state)
{
    (void)state;
    seed();
    seed_breaches(996); /* 996 + 4 = exactly the maximum */
    expect_violation_count(1000, 0);
    sql("DELETE FROM planning_entry; DELETE FROM cadre WHERE cadre_code LIKE 'v%';");
    seed_breaches(997);
    expect_violation_count(1000, 1);
}

static void test_planning_violations(void **state)
{
    struct sf_result r;
    char token[256];
    size_t total = 0;

    (void)state;
    seed();
    /* 3 candidates for SECRETARY at d1: within the rule */
    plan("c01", "d1", BOT(SECRETARY), "");
    plan("c02", "d1", BOT(SECRETARY), "");
    plan("c03", "d1", BOT(SECRETARY), "");
    /* a removed candidate does not count */
    plan("c04", "d1", BOT(SECRETARY), "2022-01-01");
    /* a body pool is not a title: 5 in the COMMITTEE pool is no breach */
    for (int i = 5; i <= 9; i++) {
        char code[8];
        (void)snprintf(code, sizeof(code), "c%02d", i);
        plan(code, "d1", BOT(COMMITTEE), "");
    }
    /* c10: three titles and both bodies; c11: four titles but one removed */
    plan("c10", "d1", BOT(VICE_CHAIR), "");
    plan("c10", "d1", BOT(DEPT_HEAD), "");
    plan("c10", "d1", BOT(DIRECTOR), "");
    plan("c10", "d1", BOT(COMMITTEE), "");
    plan("c10", "d1", BOT(STANDING_COMMITTEE), "");
    plan("c11", "d1", BOT(VICE_CHAIR), "");
    plan("c11", "d1", BOT(DEPT_HEAD), "");
    plan("c11", "d1", BOT(DIRECTOR), "");
    plan("c11", "d1", BOT(DEPT_DEPUTY), "2021-06-30");
    /* another term does not count */
    struct plan_req *u = plan_new("c12", "d1", BOT(SECRETARY), "2025-10-01", "");
    u->e.term = sf_unconst("2025-2030");
    write_ok(P_PLAN, &u->req.base);
    expect_violations("d1", 0, "");

    /* the fourth active candidate for SECRETARY */
    plan("c13", "d1", BOT(SECRETARY), "");
    expect_violations("d1", 0, "d1:3=4");
    /* the fourth active title of c10 */
    plan("c10", "d1", BOT(CHAIR_PEOPLES_COMMITTEE), "");
    expect_violations("d1", 0, "d1:3=4 d1:c10=4");
    /* the rule is per unit: the same at d2 is counted there */
    plan("c20", "d2", BOT(DEPT_HEAD), "");
    plan("c21", "d2", BOT(DEPT_HEAD), "");
    plan("c22", "d2", BOT(DEPT_HEAD), "");
    plan("c23", "w1", BOT(DEPT_HEAD), "");
    expect_violations("d2", 0, "");
    expect_violations("d2", 1, "");
    plan("c24", "d2", BOT(DEPT_HEAD), "");
    expect_violations("d2", 0, "d2:8=4");
    expect_violations("hn", 0, "");
    expect_violations("hn", 1, "d1:3=4 d1:c10=4 d2:8=4");
    /* removing a candidate ends the breach: reported, never refused */
    u = plan_new("c13", "d1", BOT(SECRETARY), "2021-01-01", "2021-12-31");
    assert_int_equal(write_ok(P_PLAN, &u->req.base), OUT_UPDATED);
    expect_violations("d1", 0, "d1:c10=4");

    /* violations come on the first page only; the pages hold every entry */
    (void)snprintf(token, sizeof(token), "%s", "");
    for (int p = 0; p < 20; p++) {
        list_call(L_PLAN, "d1", 0, "2020-2025", 0, 5, token, &r);
        assert_int_equal(r.status, NL_OK);
        Nhanluc__V1__ListPlanningEntriesResponse *lr =
            (Nhanluc__V1__ListPlanningEntriesResponse *)r.resp;
        assert_int_equal(lr->n_violations, p == 0 ? 1 : 0);
        total += lr->n_entries;
        (void)snprintf(token, sizeof(token), "%s", lr->next_page_token);
        sf_call_done(&r);
        if (token[0] == '\0')
            break;
    }
    assert_int_equal((long)total, sql_long("SELECT count(*) FROM planning_entry"
                                           " WHERE unit_id = 2 AND term_id = 1"));
}

/* The reviews listed for (unit, subtree, year) as "cadre/year ...". */
static void expect_reviews(const char *unit, int subtree, int year, const char *want)
{
    struct sf_result r;
    char got[512] = "";
    size_t off = 0;

    list_call(L_REVIEW, unit, subtree, "", year, 0, "", &r);
    if (r.status != NL_OK)
        fail_msg("ListReviews(%s): %d '%s'", unit, r.status, r.msg);
    Nhanluc__V1__ListReviewsResponse *lr = (Nhanluc__V1__ListReviewsResponse *)r.resp;
    for (size_t i = 0; i < lr->n_reviews; i++) {
        int n = snprintf(got + off, sizeof(got) - off, "%s%s/%d", off ? " " : "",
                         lr->reviews[i]->cadre_code, (int)lr->reviews[i]->year);
        assert_true(n > 0 && (size_t)n < sizeof(got) - off);
        off += (size_t)n;
    }
    sf_call_done(&r);
    if (strcmp(got, want) != 0)
        fail_msg("ListReviews(%s, %d, %d): got '%s', want '%s'", unit, subtree, year, got, want);
}

static void test_reviews_by_unit_of_31_dec(void **state)
{
    struct sf_result r;
    char token[256] = "";
    int seen = 0;

    (void)state;
    seed();
    /*
     * c01: d1 until 2022-12-31, d2 from 2023-01-01. c02: d1, moved to d2 on
     * 2022-12-31 (so its 2022 review is d2's). c03: w1 (under d1 on
     * 2022-12-31, the day of its 2022 review's tree; under d2 today).
     * c04: no profile at the end of 2022 (profile from 2023).
     */
    sql("INSERT INTO cadre_profile(cadre_id, valid_from, valid_to, unit_id, level,"
        " mgmt_category, education, political_theory, state_mgmt) VALUES"
        " (1, '2020-01-01', '2022-12-31', 2, 2, 3, 2, 3, 2),"
        " (1, '2023-01-01', NULL, 3, 2, 3, 2, 3, 2),"
        " (2, '2020-01-01', '2022-12-30', 2, 2, 3, 2, 3, 2),"
        " (2, '2022-12-31', NULL, 3, 2, 3, 2, 3, 2),"
        " (3, '2020-01-01', NULL, 4, 3, 3, 2, 3, 2),"
        " (4, '2023-01-01', NULL, 2, 2, 3, 2, 3, 2);");
    static const struct {
        const char *cadre;
        int year;
    } reviews[] = {{"c01", 2022}, {"c01", 2023}, {"c02", 2022},
                   {"c03", 2022}, {"c04", 2022}, {"c04", 2023}};
    for (size_t i = 0; i < sizeof(reviews) / sizeof(reviews[0]); i++) {
        struct review_req *u = review_new(reviews[i].cadre, reviews[i].year);
        assert_int_equal(write_ok(P_REVIEW, &u->req.base), OUT_CREATED);
    }
    expect_reviews("d1", 0, 0, "c01/2022 c04/2023");
    expect_reviews("d1", 0, 2022, "c01/2022");
    expect_reviews("d2", 0, 2022, "c02/2022");
    expect_reviews("d2", 0, 0, "c02/2022 c01/2023");
    expect_reviews("d2", 1, 2022, "c02/2022");
    expect_reviews("d1", 1, 2022, "c01/2022 c03/2022");
    expect_reviews("hn", 1, 0, "c01/2022 c02/2022 c03/2022 c01/2023 c04/2023");
    expect_reviews("hn", 0, 0, "");
    expect_reviews("hn", 1, 2021, "");

    /* paging by (year, cadre), one row a page */
    for (int p = 0; p < 10; p++) {
        list_call(L_REVIEW, "hn", 1, "", 0, 1, token, &r);
        assert_int_equal(r.status, NL_OK);
        Nhanluc__V1__ListReviewsResponse *lr = (Nhanluc__V1__ListReviewsResponse *)r.resp;
        seen += (int)lr->n_reviews;
        (void)snprintf(token, sizeof(token), "%s", lr->next_page_token);
        sf_call_done(&r);
        if (token[0] == '\0')
            break;
    }
    assert_int_equal(seen, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_rows),
        cmocka_unit_test_setup_teardown(test_membership_validation, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_membership_upsert, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_seat_quota, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_planning_upsert, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_review_upsert, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_lists_scope, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_lists_paging, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_planning_violations, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_planning_violations_truncated, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_reviews_by_unit_of_31_dec, setup, sf_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
