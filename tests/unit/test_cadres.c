/*
 * test_cadres.c - the cadre handlers of nhanluc.v1.Records (UpsertCadre,
 * GetCadre, ListCadres), called the way the server calls them: a packed
 * request goes into nl_job_new, nl_job_run unpacks it and runs the method
 * row's handler on a store, and the packed response is read back after its
 * 5-byte prefix.
 *
 * Writes run on the read-write connection inside BEGIN IMMEDIATE + a
 * savepoint (the writer's batch shape); reads on a separate read-only
 * connection inside a read transaction (the read pool's shape). Units and
 * their versions (moves over time) are inserted with raw SQL through the
 * test-only store hooks, so these tests depend only on the schema, not on
 * the unit-history RPCs. The store is a file in a temporary directory.
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
    return sf_setup(state, "cadres", &g);
}

/* Raw SQL on the writer's connection. */
#define sql(text)      sf_sql(g->rw, (text))
#define sql_text(text) sf_sql_text(g->rw, (text))
#define sql_long(text) sf_sql_long(g->rw, (text))

/* Runs `req` on the current fixture. */
#define call(path, req, r) sf_call(g, (path), (req), (r))

/* --- request builders --- */

/* A request whose fields a test edits before sending; valid as built. */
struct upsert {
    Nhanluc__V1__UpsertCadreRequest req;
    Nhanluc__V1__Cadre cadre;
    Nhanluc__V1__CadreProfile profile;
};

/* A valid cadre `code` with a valid profile at `unit` as of `as_of` (NULL: no profile). */
static struct upsert *upsert_new(const char *code, const char *unit, const char *as_of)
{
    static struct upsert u;

    nhanluc__v1__upsert_cadre_request__init(&u.req);
    nhanluc__v1__cadre__init(&u.cadre);
    nhanluc__v1__cadre_profile__init(&u.profile);
    u.cadre.cadre_code = sf_unconst(code);
    u.cadre.full_name = sf_unconst("Nguyễn Thị Lan");
    u.cadre.sex = NHANLUC__V1__SEX__SEX_FEMALE;
    u.cadre.birth_year = 1975;
    u.req.cadre = &u.cadre;
    if (unit != NULL) {
        u.profile.unit = sf_unconst(unit);
        u.profile.as_of = sf_unconst(as_of);
        u.profile.position_title = sf_unconst("Phó Bí thư");
        u.profile.key_cadre = 1;
        u.profile.level = NHANLUC__V1__LEVEL__LEVEL_DISTRICT;
        u.profile.mgmt_category = NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_DISTRICT_STANDING;
        u.profile.education = NHANLUC__V1__EDUCATION__EDUCATION_UNIVERSITY;
        u.profile.political_theory = NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_INTERMEDIATE;
        u.profile.state_mgmt = NHANLUC__V1__STATE_MGMT__STATE_MGMT_OFFICER;
        u.req.profile = &u.profile;
    }
    return &u;
}

static void upsert(const struct upsert *u, struct sf_result *r)
{
    call("/nhanluc.v1.Records/UpsertCadre", &u->req.base, r);
}

/* Upserts and asserts OK with `outcome`; returns the response (free with call_done). */
static Nhanluc__V1__UpsertCadreResponse *upsert_ok(const struct upsert *u, int outcome,
                                                   struct sf_result *r)
{
    upsert(u, r);
    if (r->status != NL_OK)
        fail_msg("UpsertCadre: %d '%s'", r->status, r->msg);
    Nhanluc__V1__UpsertCadreResponse *resp = (Nhanluc__V1__UpsertCadreResponse *)r->resp;
    assert_int_equal(resp->outcome, outcome);
    return resp;
}

static void get_cadre(const char *code, struct sf_result *r)
{
    Nhanluc__V1__GetCadreRequest req;

    nhanluc__v1__get_cadre_request__init(&req);
    req.cadre_code = sf_unconst(code);
    call("/nhanluc.v1.Records/GetCadre", &req.base, r);
}

static void list_cadres(const char *unit, const char *as_of, int page_size, const char *token,
                        struct sf_result *r)
{
    Nhanluc__V1__ListCadresRequest req;

    nhanluc__v1__list_cadres_request__init(&req);
    req.unit = sf_unconst(unit);
    req.as_of = sf_unconst(as_of);
    req.page_size = page_size;
    req.page_token = sf_unconst(token);
    call("/nhanluc.v1.Records/ListCadres", &req.base, r);
}

/*
 * Asserts that ListCadres(unit, as_of) returns exactly the cadres of `want`
 * (a space-separated list in code order; "" = none), in one page.
 */
static void expect_list(const char *unit, const char *as_of, const char *want)
{
    struct sf_result r;
    char got[512] = "";
    size_t off = 0;

    list_cadres(unit, as_of, 0, "", &r);
    if (r.status != NL_OK)
        fail_msg("ListCadres(%s, %s): %d '%s'", unit, as_of, r.status, r.msg);
    Nhanluc__V1__ListCadresResponse *lr = (Nhanluc__V1__ListCadresResponse *)r.resp;
    for (size_t i = 0; i < lr->n_cadres; i++) {
        int n = snprintf(got + off, sizeof(got) - off, "%s%s", i ? " " : "",
                         lr->cadres[i]->cadre->cadre_code);
        assert_true(n > 0 && (size_t)n < sizeof(got) - off);
        off += (size_t)n;
        /* The profile returned is the one valid on as_of. */
        assert_true(strcmp(lr->cadres[i]->profile->as_of, as_of) <= 0);
        assert_true(lr->cadres[i]->profile->valid_to[0] == '\0' ||
                    strcmp(lr->cadres[i]->profile->valid_to, as_of) >= 0);
    }
    assert_string_equal(lr->next_page_token, "");
    sf_call_done(&r);
    if (strcmp(got, want) != 0)
        fail_msg("ListCadres(%s, %s): got '%s', want '%s'", unit, as_of, got, want);
}

static long cadre_count(void)
{
    return sql_long("SELECT (SELECT count(*) FROM cadre) + (SELECT count(*) FROM cadre_profile)");
}

/*
 * The tree: city hn; districts d1, d2 under it; ward w1 under d1 until
 * 2024-12-31 and under d2 from 2025-01-01; x1 exists only from 2025-01-01;
 * old only until 2020-12-31.
 */
static void seed_units(void)
{
    sql("INSERT INTO unit(id, code) VALUES (1, 'hn'), (2, 'd1'), (3, 'd2'), (4, 'w1'), (5, 'x1'),"
        " (6, 'old');"
        "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from, valid_to) VALUES"
        " (1, 'Hà Nội', 1, NULL, '0001-01-01', NULL),"
        " (2, 'Quận Một', 2, 1, '0001-01-01', NULL),"
        " (3, 'Quận Hai', 2, 1, '0001-01-01', NULL),"
        " (4, 'Phường Một', 6, 2, '0001-01-01', '2024-12-31'),"
        " (4, 'Phường Một', 6, 3, '2025-01-01', NULL),"
        " (5, 'Xã Mới', 7, 3, '2025-01-01', NULL),"
        " (6, 'Huyện Cũ', 3, 1, '0001-01-01', '2020-12-31');");
}

/* --- tests --- */

static void test_method_rows(void **state)
{
    (void)state;
    const struct nl_method *m = nl_method_find("/nhanluc.v1.Records/UpsertCadre", 31);

    assert_non_null(m);
    assert_true(m->flags & NL_M_WRITE);
    m = nl_method_find("/nhanluc.v1.Records/ListCadres", 30);
    assert_non_null(m);
    assert_true(m->flags & NL_M_READ);
}

/* One broken field per request: INVALID_ARGUMENT naming it, and nothing written. */
static void test_validation(void **state)
{
    (void)state;
    struct sf_result r;
    struct upsert *u;
    char code65[66], long201[202], year_msg[64];
    int max_year = sf_this_year() - 16;

    seed_units();
    memset(code65, 'a', 65);
    code65[65] = '\0';
    memset(long201, 'x', 201);
    long201[201] = '\0';

    u = upsert_new("c1", "d1", "2020-01-01");
    u->req.cadre = NULL;
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre: required");

    const char *const bad_codes[] = {"", "a b", "mã", "a/b", "a:b", code65};
    for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
        u = upsert_new(bad_codes[i], "d1", "2020-01-01");
        upsert(u, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre.cadre_code: ");
    }

    u = upsert_new("c1", "d1", "2020-01-01");
    u->cadre.full_name = long201;
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre.full_name: must be at most 200 bytes");
    u->cadre.full_name = sf_unconst("Lan\tAnh");
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre.full_name: ");
    u->cadre.full_name = sf_unconst("Lan\xc3");
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre.full_name: ");

    u = upsert_new("c1", "d1", "2020-01-01");
    u->cadre.sex = NHANLUC__V1__SEX__SEX_UNSPECIFIED;
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre.sex: required");
    u->cadre.sex = (Nhanluc__V1__Sex)7;
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre.sex: unknown value");

    (void)snprintf(year_msg, sizeof(year_msg), "cadre.birth_year: must be 1940-%d", max_year);
    static const int bad_years[] = {0, 1939, -1980};
    for (size_t i = 0; i < 3; i++) {
        u = upsert_new("c1", "d1", "2020-01-01");
        u->cadre.birth_year = bad_years[i];
        upsert(u, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, year_msg);
    }
    u->cadre.birth_year = max_year + 1;
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, year_msg);

    static const char *const bad_dates[] = {"", "2024-02-30", "01/02/2024", "2024-1-05",
                                            "2024-01-01x"};
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
        u = upsert_new("c1", "d1", bad_dates[i]);
        upsert(u, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "profile.as_of: ");
    }

    const char *const bad_units[] = {"", "D1", "d 1", code65};
    for (size_t i = 0; i < sizeof(bad_units) / sizeof(bad_units[0]); i++) {
        u = upsert_new("c1", bad_units[i], "2020-01-01");
        upsert(u, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "profile.unit: ");
    }
    u = upsert_new("c1", "nowhere", "2020-01-01");
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "profile.unit: no such unit");
    /* x1 exists only from 2025-01-01. */
    u = upsert_new("c1", "x1", "2024-12-31");
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT,
                    "profile.unit: the unit is not valid on profile.as_of");
    u = upsert_new("c1", "old", "2021-01-01");
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT,
                    "profile.unit: the unit is not valid on profile.as_of");

    u = upsert_new("c1", "d1", "2020-01-01");
    u->profile.position_title = long201;
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "profile.position_title: must be at most 200 bytes");
    u->profile.position_title = sf_unconst("Bí thư\nPhó");
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "profile.position_title: ");

    static const char *const paths[] = {"profile.level", "profile.mgmt_category",
                                        "profile.education", "profile.political_theory",
                                        "profile.state_mgmt"};
    for (size_t i = 0; i < 5; i++) {
        for (int bad = 0; bad < 2; bad++) {
            int v = bad == 0 ? 0 : 99;
            char want[64];
            u = upsert_new("c1", "d1", "2020-01-01");
            switch (i) {
            case 0:
                u->profile.level = (Nhanluc__V1__Level)v;
                break;
            case 1:
                u->profile.mgmt_category = (Nhanluc__V1__MgmtCategory)v;
                break;
            case 2:
                u->profile.education = (Nhanluc__V1__Education)v;
                break;
            case 3:
                u->profile.political_theory = (Nhanluc__V1__PoliticalTheory)v;
                break;
            default:
                u->profile.state_mgmt = (Nhanluc__V1__StateMgmt)v;
                break;
            }
            upsert(u, &r);
            (void)snprintf(want, sizeof(want), "%s: %s", paths[i],
                           bad == 0 ? "required" : "unknown value");
            sf_expect_error(&r, NL_INVALID_ARGUMENT, want);
        }
    }
    assert_int_equal(cadre_count(), 0);

    /* The boundaries themselves are accepted. */
    u = upsert_new("c1", "x1", "2025-01-01");
    u->cadre.birth_year = 1940;
    memset(code65, 'Z', 64);
    code65[64] = '\0';
    u->cadre.cadre_code = code65;
    memset(long201, 'x', 200);
    long201[200] = '\0';
    u->cadre.full_name = long201;
    u->profile.position_title = long201;
    upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    u = upsert_new("A.b_c-9", NULL, NULL);
    u->cadre.birth_year = max_year;
    u->cadre.full_name = sf_unconst("");
    upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    u = upsert_new("A.b_c-9", "old", "2020-12-31");
    upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    assert_int_equal(cadre_count(), 4);
}

/* A refused profile leaves an existing cadre row as it was. */
static void test_refused_writes_nothing(void **state)
{
    (void)state;
    struct sf_result r;
    struct upsert *u;

    seed_units();
    upsert_ok(upsert_new("c1", NULL, NULL), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    u = upsert_new("c1", "nowhere", "2020-01-01");
    u->cadre.birth_year = 1980;
    upsert(u, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "profile.unit: no such unit");
    assert_int_equal(sql_long("SELECT birth_year FROM cadre WHERE cadre_code = 'c1'"), 1975);
    assert_int_equal(sql_long("SELECT count(*) FROM cadre_profile"), 0);
}

static void expect_version(const Nhanluc__V1__CadreProfile *p, const char *unit, const char *from,
                           const char *to)
{
    assert_string_equal(p->unit, unit);
    assert_string_equal(p->as_of, from);
    assert_string_equal(p->valid_to, to);
}

static void test_versioning(void **state)
{
    (void)state;
    struct sf_result r;
    struct upsert *u;
    Nhanluc__V1__UpsertCadreResponse *resp;
    Nhanluc__V1__GetCadreResponse *gr;

    seed_units();
    /* open the first version */
    u = upsert_new("c1", "d1", "2020-01-01");
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    assert_string_equal(resp->cadre->cadre_code, "c1");
    assert_string_equal(resp->cadre->full_name, "Nguyễn Thị Lan");
    assert_int_equal(resp->cadre->sex, NHANLUC__V1__SEX__SEX_FEMALE);
    assert_int_equal(resp->cadre->birth_year, 1975);
    expect_version(resp->profile, "d1", "2020-01-01", "");
    assert_string_equal(resp->profile->position_title, "Phó Bí thư");
    assert_true(resp->profile->key_cadre);
    assert_int_equal(resp->profile->education, NHANLUC__V1__EDUCATION__EDUCATION_UNIVERSITY);
    sf_call_done(&r);

    /* an exact replay writes nothing, not even updated_at */
    sql("UPDATE cadre SET updated_at = '" SENTINEL "';"
        "UPDATE cadre_profile SET updated_at = '" SENTINEL "';");
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__UNCHANGED, &r);
    expect_version(resp->profile, "d1", "2020-01-01", "");
    sf_call_done(&r);
    assert_string_equal(sql_text("SELECT updated_at FROM cadre"), SENTINEL);
    assert_string_equal(sql_text("SELECT group_concat(updated_at) FROM cadre_profile"), SENTINEL);

    /* a later as_of opens a version and closes the previous one */
    u = upsert_new("c1", "d2", "2023-06-01");
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    expect_version(resp->profile, "d2", "2023-06-01", "");
    sf_call_done(&r);
    /* the cadre row itself did not change */
    assert_string_equal(sql_text("SELECT updated_at FROM cadre"), SENTINEL);

    /* an as_of in the middle ends the day before the next version */
    u = upsert_new("c1", "w1", "2021-03-01");
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    expect_version(resp->profile, "w1", "2021-03-01", "2023-05-31");
    sf_call_done(&r);

    /* a leap day: the version before 2024-03-01 ends on 2024-02-29 */
    u = upsert_new("c1", "d2", "2024-03-01");
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    expect_version(resp->profile, "d2", "2024-03-01", "");
    sf_call_done(&r);

    get_cadre("c1", &r);
    assert_int_equal(r.status, NL_OK);
    gr = (Nhanluc__V1__GetCadreResponse *)r.resp;
    assert_string_equal(gr->cadre->full_name, "Nguyễn Thị Lan");
    assert_int_equal(gr->n_profiles, 4);
    expect_version(gr->profiles[0], "d1", "2020-01-01", "2021-02-28");
    expect_version(gr->profiles[1], "w1", "2021-03-01", "2023-05-31");
    expect_version(gr->profiles[2], "d2", "2023-06-01", "2024-02-29");
    expect_version(gr->profiles[3], "d2", "2024-03-01", "");
    sf_call_done(&r);

    /* the same as_of with different content updates that version in place */
    sql("UPDATE cadre_profile SET updated_at = '" SENTINEL "';");
    u = upsert_new("c1", "w1", "2021-03-01");
    u->profile.education = NHANLUC__V1__EDUCATION__EDUCATION_MASTER;
    u->profile.key_cadre = 0;
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__UPDATED, &r);
    expect_version(resp->profile, "w1", "2021-03-01", "2023-05-31");
    assert_int_equal(resp->profile->education, NHANLUC__V1__EDUCATION__EDUCATION_MASTER);
    assert_false(resp->profile->key_cadre);
    sf_call_done(&r);
    assert_string_not_equal(
        sql_text("SELECT updated_at FROM cadre_profile WHERE valid_from = '2021-03-01'"), SENTINEL);
    assert_int_equal(
        sql_long("SELECT count(*) FROM cadre_profile WHERE updated_at = '" SENTINEL "'"), 3);
    /* ... and its replay is unchanged */
    upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__UNCHANGED, &r);
    sf_call_done(&r);

    /* the cadre alone: a changed birth year is an update, the profile is not returned */
    u = upsert_new("c1", NULL, NULL);
    u->cadre.birth_year = 1976;
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__UPDATED, &r);
    assert_null(resp->profile);
    assert_int_equal(resp->cadre->birth_year, 1976);
    sf_call_done(&r);
    assert_string_not_equal(sql_text("SELECT updated_at FROM cadre"), SENTINEL);

    /* an empty full_name keeps the stored one */
    u = upsert_new("c1", NULL, NULL);
    u->cadre.birth_year = 1976;
    u->cadre.full_name = sf_unconst("");
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__UNCHANGED, &r);
    assert_string_equal(resp->cadre->full_name, "Nguyễn Thị Lan");
    sf_call_done(&r);
    /* a different one replaces it; sex counts too */
    u->cadre.full_name = sf_unconst("Trần Văn Nam");
    u->cadre.sex = NHANLUC__V1__SEX__SEX_MALE;
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__UPDATED, &r);
    assert_string_equal(resp->cadre->full_name, "Trần Văn Nam");
    assert_int_equal(resp->cadre->sex, NHANLUC__V1__SEX__SEX_MALE);
    sf_call_done(&r);

    /* a version before the first one ends the day before it */
    u = upsert_new("c1", "d1", "2019-12-31");
    u->cadre.birth_year = 1976;
    u->cadre.full_name = sf_unconst("Trần Văn Nam");
    u->cadre.sex = NHANLUC__V1__SEX__SEX_MALE;
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    expect_version(resp->profile, "d1", "2019-12-31", "2019-12-31");
    sf_call_done(&r);
    get_cadre("c1", &r);
    gr = (Nhanluc__V1__GetCadreResponse *)r.resp;
    assert_int_equal(gr->n_profiles, 5);
    expect_version(gr->profiles[0], "d1", "2019-12-31", "2019-12-31");
    expect_version(gr->profiles[1], "d1", "2020-01-01", "2021-02-28");
    sf_call_done(&r);

    /* a cadre whose first write carries a profile of a new cadre: CREATED */
    u = upsert_new("c2", NULL, NULL);
    upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    u = upsert_new("c2", "d1", "2020-01-01");
    upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
}

/* Names and titles are stored composed; a decomposed replay is the same content. */
static void test_nfc(void **state)
{
    (void)state;
    struct sf_result r;
    struct upsert *u;
    Nhanluc__V1__UpsertCadreResponse *resp;
    /* "Nguyễn" and "Bí thư" decomposed: e + circumflex + tilde, i + acute, u + horn. */
    static const char name_nfd[] = "Nguye\xcc\x82\xcc\x83n Thi\xcc\xa3 Lan";
    static const char title_nfd[] = "Pho\xcc\x81 Bi\xcc\x81 thu\xcc\x9b";

    seed_units();
    u = upsert_new("c1", "d1", "2020-01-01");
    u->cadre.full_name = sf_unconst(name_nfd);
    u->profile.position_title = sf_unconst(title_nfd);
    resp = upsert_ok(u, NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    assert_string_equal(resp->cadre->full_name, "Nguyễn Thị Lan");
    assert_string_equal(resp->profile->position_title, "Phó Bí thư");
    sf_call_done(&r);
    assert_string_equal(sql_text("SELECT full_name FROM cadre"), "Nguyễn Thị Lan");
    assert_string_equal(sql_text("SELECT position_title FROM cadre_profile"), "Phó Bí thư");

    /* the composed form is the same content */
    upsert_ok(upsert_new("c1", "d1", "2020-01-01"), NHANLUC__V1__WRITE_OUTCOME__UNCHANGED, &r);
    sf_call_done(&r);
}

static void test_get(void **state)
{
    (void)state;
    struct sf_result r;
    Nhanluc__V1__GetCadreResponse *gr;

    seed_units();
    get_cadre("c1", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "cadre not found");
    get_cadre("", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre_code: ");
    get_cadre("c 1", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "cadre_code: ");

    upsert_ok(upsert_new("c1", NULL, NULL), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    get_cadre("c1", &r);
    assert_int_equal(r.status, NL_OK);
    gr = (Nhanluc__V1__GetCadreResponse *)r.resp;
    assert_string_equal(gr->cadre->cadre_code, "c1");
    assert_int_equal(gr->cadre->birth_year, 1975);
    assert_int_equal(gr->n_profiles, 0);
    sf_call_done(&r);
    /* codes are case-sensitive */
    get_cadre("C1", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "cadre not found");
}

/* As-of queries across a profile change and across a unit's move between districts. */
static void test_list_as_of_and_subtree(void **state)
{
    (void)state;
    struct sf_result r;

    seed_units();
    /* a: at ward w1 (d1 until 2024, d2 from 2025); b: at d2; c: d1 then d2 from 2024-07-01. */
    upsert_ok(upsert_new("a", "w1", "2020-01-01"), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    upsert_ok(upsert_new("b", "d2", "2020-01-01"), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    upsert_ok(upsert_new("c", "d1", "2020-01-01"), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    upsert_ok(upsert_new("c", "d2", "2024-07-01"), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    /* d: no profile, never listed; e: at x1 from 2025 */
    upsert_ok(upsert_new("d", NULL, NULL), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);
    upsert_ok(upsert_new("e", "x1", "2025-02-01"), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
    sf_call_done(&r);

    expect_list("", "2019-12-31", "");
    expect_list("", "2020-01-01", "a b c");
    expect_list("", "2025-06-01", "a b c e");
    expect_list("hn", "2025-06-01", "a b c e");
    expect_list("d1", "2024-06-30", "a c");
    expect_list("d1", "2024-07-01", "a");
    expect_list("d1", "2024-12-31", "a");
    expect_list("d1", "2025-01-01", "");
    expect_list("d2", "2024-06-30", "b");
    expect_list("d2", "2024-07-01", "b c");
    expect_list("d2", "2025-01-01", "a b c");
    expect_list("d2", "2025-02-01", "a b c e");
    expect_list("w1", "2025-02-01", "a");
    expect_list("x1", "2024-01-01", "");

    /* the profile returned is the version of that date */
    list_cadres("", "2024-06-30", 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ListCadresResponse *lr = (Nhanluc__V1__ListCadresResponse *)r.resp;
    assert_int_equal(lr->n_cadres, 3);
    assert_string_equal(lr->cadres[2]->cadre->cadre_code, "c");
    expect_version(lr->cadres[2]->profile, "d1", "2020-01-01", "2024-06-30");
    sf_call_done(&r);

    /* empty as_of = today: every current version */
    list_cadres("", "", 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    lr = (Nhanluc__V1__ListCadresResponse *)r.resp;
    assert_int_equal(lr->n_cadres, 4);
    assert_string_equal(lr->cadres[2]->profile->unit, "d2");
    sf_call_done(&r);

    list_cadres("nowhere", "2024-01-01", 0, "", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    list_cadres("Bad Unit", "2024-01-01", 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit: ");
    list_cadres("", "2024-13-01", 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "as_of: ");
    list_cadres("", "31/12/2024", 0, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "as_of: ");
}

static void test_list_paging(void **state)
{
    (void)state;
    struct sf_result r;
    char code[16], token[256] = "", last[16] = "";
    size_t total = 0;
    int pages = 0;

    seed_units();
    for (int i = 0; i < 25; i++) {
        /* inserted out of order; listed in code order */
        (void)snprintf(code, sizeof(code), "k%02d", (i * 7) % 25);
        upsert_ok(upsert_new(code, "d1", "2020-01-01"), NHANLUC__V1__WRITE_OUTCOME__CREATED, &r);
        sf_call_done(&r);
    }
    for (pages = 0; pages < 10; pages++) {
        list_cadres("hn", "2024-01-01", 10, token, &r);
        assert_int_equal(r.status, NL_OK);
        Nhanluc__V1__ListCadresResponse *lr = (Nhanluc__V1__ListCadresResponse *)r.resp;
        assert_int_equal(lr->n_cadres, pages < 2 ? 10 : 5);
        for (size_t i = 0; i < lr->n_cadres; i++) {
            (void)snprintf(code, sizeof(code), "k%02zu", total);
            assert_string_equal(lr->cadres[i]->cadre->cadre_code, code);
            assert_true(strcmp(last, code) < 0);
            (void)snprintf(last, sizeof(last), "%s", code);
            total++;
        }
        (void)snprintf(token, sizeof(token), "%s", lr->next_page_token);
        sf_call_done(&r);
        if (token[0] == '\0')
            break;
    }
    assert_int_equal(pages, 2);
    assert_int_equal(total, 25);

    /* page_size 0 is 100: everything in one page */
    list_cadres("", "2024-01-01", 0, "", &r);
    assert_int_equal(((Nhanluc__V1__ListCadresResponse *)r.resp)->n_cadres, 25);
    assert_string_equal(((Nhanluc__V1__ListCadresResponse *)r.resp)->next_page_token, "");
    sf_call_done(&r);
    /* exactly a full page: no token */
    list_cadres("", "2024-01-01", 25, "", &r);
    assert_string_equal(((Nhanluc__V1__ListCadresResponse *)r.resp)->next_page_token, "");
    sf_call_done(&r);
    list_cadres("", "2024-01-01", 1000, "", &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);

    list_cadres("", "2024-01-01", 1001, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size: ");
    list_cadres("", "2024-01-01", -1, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size: ");
    list_cadres("", "2024-01-01", 10, "not-a-token", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    /* base64 of "u:k01", a ListUnits token, is not ours */
    list_cadres("", "2024-01-01", 10, "dTprMDE=", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    /* base64 of "c:k20": continues after k20 */
    list_cadres("", "2024-01-01", 10, "YzprMjA=", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListCadresResponse *)r.resp)->n_cadres, 4);
    sf_call_done(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_rows),
        cmocka_unit_test_setup_teardown(test_validation, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_refused_writes_nothing, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_versioning, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_nfc, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_get, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_as_of_and_subtree, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, sf_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
