/*
 * test_registry.c - the nhanluc.v1.Registry handlers, called the way the
 * server calls them: a packed request goes into nl_job_new, nl_job_run
 * unpacks it and runs the method row's handler on a store, and the packed
 * response is read back after its 5-byte prefix.
 *
 * Writes run on the read-write connection inside BEGIN IMMEDIATE + a
 * savepoint (the writer's batch shape); reads run on a separate read-only
 * connection inside a read transaction (the read pool's shape). The store is
 * a file in a temporary directory, removed in teardown.
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

#include "../common/buf.h"
#include "../common/wire.h"
#include "job.h"
#include "method.h"
#include "nhanluc/v1/registry.pb-c.h"
#include "store.h"
#include "../support/store_fixture.h"

static struct sf_db *g; /* the current fixture, for the call helpers */

static int setup(void **state)
{
    return sf_setup(state, "registry", &g);
}

/* Runs `req` on the current fixture. */
#define call(path, req, r) sf_call(g, (path), (req), (r))

/* CreateUnit with the given fields; unit = 0 sends no Unit at all. */
static void create_unit(const char *code, const char *name, int kind, const char *parent,
                        struct sf_result *r)
{
    Nhanluc__V1__CreateUnitRequest req;
    Nhanluc__V1__Unit u;

    nhanluc__v1__create_unit_request__init(&req);
    nhanluc__v1__unit__init(&u);
    u.code = sf_unconst(code);
    u.name = sf_unconst(name);
    u.kind = (Nhanluc__V1__UnitKind)kind;
    u.parent = sf_unconst(parent);
    req.unit = &u;
    call("/nhanluc.v1.Registry/CreateUnit", &req.base, r);
}

/* CreateUnit of a version with dates. */
static void create_version(const char *code, const char *name, int kind, const char *parent,
                           const char *from, const char *to, struct sf_result *r)
{
    Nhanluc__V1__CreateUnitRequest req;
    Nhanluc__V1__Unit u;

    nhanluc__v1__create_unit_request__init(&req);
    nhanluc__v1__unit__init(&u);
    u.code = sf_unconst(code);
    u.name = sf_unconst(name);
    u.kind = (Nhanluc__V1__UnitKind)kind;
    u.parent = sf_unconst(parent);
    u.valid_from = sf_unconst(from);
    u.valid_to = sf_unconst(to);
    req.unit = &u;
    call("/nhanluc.v1.Registry/CreateUnit", &req.base, r);
}

static void create_unit_ok(const char *code, const char *name, int kind, const char *parent)
{
    struct sf_result r;

    create_unit(code, name, kind, parent, &r);
    if (r.status != NL_OK)
        fail_msg("create %s: %d %s", code, r.status, r.msg);
    assert_true(((Nhanluc__V1__CreateUnitResponse *)r.resp)->created);
    sf_call_done(&r);
}

static void get_unit(const char *code, struct sf_result *r)
{
    Nhanluc__V1__GetUnitRequest req;

    nhanluc__v1__get_unit_request__init(&req);
    req.code = sf_unconst(code);
    call("/nhanluc.v1.Registry/GetUnit", &req.base, r);
}

static void list_units_as_of(const char *parent, int page_size, const char *token,
                             const char *as_of, struct sf_result *r)
{
    Nhanluc__V1__ListUnitsRequest req;

    nhanluc__v1__list_units_request__init(&req);
    req.parent = sf_unconst(parent);
    req.page_size = page_size;
    req.page_token = sf_unconst(token);
    req.as_of = sf_unconst(as_of);
    call("/nhanluc.v1.Registry/ListUnits", &req.base, r);
}

static void list_units(const char *parent, int page_size, const char *token, struct sf_result *r)
{
    list_units_as_of(parent, page_size, token, "", r);
}

/* RecordUnitEvent with up to 4 sources and 4 targets (NULL-terminated lists). */
static void record_event(int kind, const char *date, const char *const *sources,
                         const char *const *targets, const char *basis, struct sf_result *r)
{
    Nhanluc__V1__RecordUnitEventRequest req;
    Nhanluc__V1__UnitEvent e;
    char *src[4], *dst[4];

    nhanluc__v1__record_unit_event_request__init(&req);
    nhanluc__v1__unit_event__init(&e);
    e.kind = (Nhanluc__V1__UnitEventKind)kind;
    e.effective_date = sf_unconst(date);
    e.legal_basis = sf_unconst(basis);
    for (; sources != NULL && e.n_sources < 4 && sources[e.n_sources] != NULL; e.n_sources++)
        src[e.n_sources] = sf_unconst(sources[e.n_sources]);
    for (; targets != NULL && e.n_targets < 4 && targets[e.n_targets] != NULL; e.n_targets++)
        dst[e.n_targets] = sf_unconst(targets[e.n_targets]);
    e.sources = src;
    e.targets = dst;
    req.event = &e;
    call("/nhanluc.v1.Registry/RecordUnitEvent", &req.base, r);
}

static void get_history(const char *code, struct sf_result *r)
{
    Nhanluc__V1__GetUnitHistoryRequest req;

    nhanluc__v1__get_unit_history_request__init(&req);
    req.code = sf_unconst(code);
    call("/nhanluc.v1.Registry/GetUnitHistory", &req.base, r);
}

static void get_lineage(const char *code, int direction, struct sf_result *r)
{
    Nhanluc__V1__GetLineageRequest req;

    nhanluc__v1__get_lineage_request__init(&req);
    req.code = sf_unconst(code);
    req.direction = (Nhanluc__V1__LineageDirection)direction;
    call("/nhanluc.v1.Registry/GetLineage", &req.base, r);
}

static void set_instance(const char *term, const char *unit, const char *start, const char *end,
                         struct sf_result *r)
{
    Nhanluc__V1__SetTermInstanceRequest req;
    Nhanluc__V1__TermInstance ti;

    nhanluc__v1__set_term_instance_request__init(&req);
    nhanluc__v1__term_instance__init(&ti);
    ti.term = sf_unconst(term);
    ti.unit = sf_unconst(unit);
    ti.start_date = sf_unconst(start);
    ti.end_date = sf_unconst(end);
    req.instance = &ti;
    call("/nhanluc.v1.Registry/SetTermInstance", &req.base, r);
}

/* The codes of ListUnits on as_of (children of parent), comma-separated. */
static const char *codes_as_of(const char *parent, const char *as_of)
{
    static char out[512];
    struct sf_result r;
    size_t off = 0;

    list_units_as_of(parent, 1000, "", as_of, &r);
    if (r.status != NL_OK)
        fail_msg("list as of %s: %d %s", as_of, r.status, r.msg);
    Nhanluc__V1__ListUnitsResponse *lr = (Nhanluc__V1__ListUnitsResponse *)r.resp;
    out[0] = '\0';
    for (size_t i = 0; i < lr->n_units; i++)
        off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", i > 0 ? "," : "",
                                lr->units[i]->code);
    sf_call_done(&r);
    return out;
}

static void create_term(const char *code, int kind, int start, int end, struct sf_result *r)
{
    Nhanluc__V1__CreateTermRequest req;
    Nhanluc__V1__Term t;

    nhanluc__v1__create_term_request__init(&req);
    nhanluc__v1__term__init(&t);
    t.code = sf_unconst(code);
    t.kind = (Nhanluc__V1__TermKind)kind;
    t.start_year = start;
    t.end_year = end;
    req.term = &t;
    call("/nhanluc.v1.Registry/CreateTerm", &req.base, r);
}

static void list_terms(int kind, struct sf_result *r)
{
    Nhanluc__V1__ListTermsRequest req;

    nhanluc__v1__list_terms_request__init(&req);
    req.kind = (Nhanluc__V1__TermKind)kind;
    call("/nhanluc.v1.Registry/ListTerms", &req.base, r);
}

static size_t count_units(void)
{
    struct sf_result r;
    size_t n;

    list_units("", 1000, "", &r);
    assert_int_equal(r.status, NL_OK);
    n = ((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units;
    sf_call_done(&r);
    return n;
}

/* A page token as a client could forge it: base64 of arbitrary bytes. */
static char *forge_token(const char *raw)
{
    struct nl_buf b;
    size_t len;
    char *s;

    nl_buf_init(&b, 1024);
    assert_int_equal(nl_wire_b64_encode(&b, (const uint8_t *)raw, strlen(raw)), 0);
    assert_int_equal(nl_buf_append(&b, "", 1), 0);
    s = (char *)nl_buf_take(&b, &len);
    assert_non_null(s);
    return s;
}

/* --- tests --- */

static void test_method_table(void **state)
{
    (void)state;
    assert_int_equal(nl_method_table_check(), 0);
    assert_int_equal(nl_svc_registry_method_count, 11);
    for (size_t i = 0; i < nl_svc_registry_method_count; i++) {
        const struct nl_method *m = &nl_svc_registry_methods[i];
        int write = strstr(m->path, "/Create") != NULL || strstr(m->path, "/Record") != NULL ||
                    strstr(m->path, "/Set") != NULL;
        assert_int_equal(m->flags & (NL_M_READ | NL_M_WRITE | NL_M_INLINE),
                         write ? NL_M_WRITE : NL_M_READ);
        /* Units, terms and target groups are the administrator's (DOMAIN.md 1); all read them. */
        assert_int_equal(m->flags & NL_M_RULE, write ? NL_M_ADMIN : NL_M_ANY_ROLE);
        assert_ptr_equal(nl_method_find(m->path, strlen(m->path)), m);
    }
}

static void test_create_unit_validation(void **state)
{
    static const char secret[] = "Secret-Value";
    char long_code[66], long_name[202];
    struct sf_result r;
    (void)state;

    memset(long_code, 'a', 65);
    long_code[65] = '\0';
    memset(long_name, 'n', 201);
    long_name[201] = '\0';
    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");

    /* Every case is INVALID_ARGUMENT with a message starting with `msg`. */
    const struct {
        const char *code, *name, *parent, *msg;
        int kind;
    } cases[] = {
        {"", "Tây Hồ", "ha-noi", "unit.code: must be 1-64 characters", 2},
        {secret, "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {"tay ho", "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {"tây-hồ", "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {long_code, "Tây Hồ", "ha-noi", "unit.code: must be 1-64", 2},
        {"tay-ho", "", "ha-noi", "unit.name: required", 2},
        {"tay-ho", "T\xff\xfe", "ha-noi", "unit.name: is not valid UTF-8", 2},
        {"tay-ho", "T\xc3", "ha-noi", "unit.name: is not valid UTF-8", 2},
        {"tay-ho", "Tây\tHồ", "ha-noi", "unit.name: contains a control", 2},
        {"tay-ho", long_name, "ha-noi", "unit.name: must be at most 200", 2},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.kind: unknown kind", 0},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.kind: unknown kind", 9},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.kind: unknown kind", -1},
        {"tay-ho", "Tây Hồ", "ha-noi", "unit.parent: a CITY has no parent", 1},
        {"tay-ho", "Tây Hồ", "", "unit.parent: required for every kind but CITY", 2},
        {"tay-ho", "Tây Hồ", "", "unit.parent: required for every kind", 6},
        {"tay-ho", "Tây Hồ", secret, "unit.parent: must be 1-64", 2},
        {"tay-ho", "Tây Hồ", "tay-ho", "unit.parent: a unit cannot be", 2},
        {"tay-ho", "Tây Hồ", "secret-parent", "unit.parent: no such unit", 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        create_unit(cases[i].code, cases[i].name, cases[i].kind, cases[i].parent, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, cases[i].msg);
        /* Messages name the field, never its value. */
        assert_null(strstr(r.msg, secret));
        assert_null(strstr(r.msg, "secret-parent"));
        assert_null(strstr(r.msg, "Tây"));
    }

    /* No Unit sub-message at all. */
    Nhanluc__V1__CreateUnitRequest empty;
    nhanluc__v1__create_unit_request__init(&empty);
    call("/nhanluc.v1.Registry/CreateUnit", &empty.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit: required");

    /* Nothing but the city was stored, and a valid request still works afterwards. */
    assert_int_equal(count_units(), 1);
    create_unit_ok("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi");
    create_unit_ok(long_code + 1, long_name + 1, NHANLUC__V1__UNIT_KIND__WARD, "tay-ho");
    assert_int_equal(count_units(), 3);
}

static void test_nfc(void **state)
{
    /* "Hà Nội" and "Thanh Trì" typed with combining marks (NFD) and precomposed (NFC). */
    static const char city_nfd[] = "Ha\xcc\x80 No\xcc\xa3\xcc\x82i";
    static const char city_nfc[] = "H\xc3\xa0 N\xe1\xbb\x99i";
    static const char tri_nfd[] = "Thanh Tri\xcc\x80";
    static const char tri_nfc[] = "Thanh Tr\xc3\xac";
    struct sf_result r;
    (void)state;

    assert_string_not_equal(city_nfd, city_nfc);
    create_unit("ha-noi", city_nfd, NHANLUC__V1__UNIT_KIND__CITY, "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CreateUnitResponse *cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_true(cr->created);
    assert_string_equal(cr->unit->name, city_nfc);
    sf_call_done(&r);

    get_unit("ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    assert_string_equal(((Nhanluc__V1__GetUnitResponse *)r.resp)->unit->name, city_nfc);
    sf_call_done(&r);

    /* The composed form of the same name is the same unit: a replay, not a conflict. */
    create_unit("ha-noi", city_nfc, NHANLUC__V1__UNIT_KIND__CITY, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_false(((Nhanluc__V1__CreateUnitResponse *)r.resp)->created);
    sf_call_done(&r);

    create_unit_ok("thanh-tri", tri_nfd, NHANLUC__V1__UNIT_KIND__RURAL_DISTRICT, "ha-noi");
    list_units("ha-noi", 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ListUnitsResponse *lr = (Nhanluc__V1__ListUnitsResponse *)r.resp;
    assert_int_equal(lr->n_units, 1);
    assert_string_equal(lr->units[0]->name, tri_nfc);
    sf_call_done(&r);
}

static void test_replay_and_conflict(void **state)
{
    struct sf_result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_unit("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CreateUnitResponse *cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_true(cr->created);
    assert_string_equal(cr->unit->code, "tay-ho");
    assert_string_equal(cr->unit->parent, "ha-noi");
    assert_int_equal(cr->unit->kind, NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    sf_call_done(&r);

    create_unit("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_false(cr->created);
    assert_string_equal(cr->unit->name, "Tây Hồ");
    sf_call_done(&r);

    create_unit("tay-ho", "Quận Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi", &r);
    sf_expect_error(&r, NL_ALREADY_EXISTS, "unit.code:");
    assert_null(strstr(r.msg, "Tây"));
    create_unit("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__TOWN, "ha-noi", &r);
    sf_expect_error(&r, NL_ALREADY_EXISTS, "unit.code:");

    /* The conflicting requests changed nothing. */
    get_unit("tay-ho", &r);
    assert_int_equal(r.status, NL_OK);
    assert_string_equal(((Nhanluc__V1__GetUnitResponse *)r.resp)->unit->name, "Tây Hồ");
    assert_int_equal(((Nhanluc__V1__GetUnitResponse *)r.resp)->unit->kind,
                     NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    sf_call_done(&r);
    assert_int_equal(count_units(), 2);
}

static void test_get_unit(void **state)
{
    struct sf_result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    get_unit("ha-noi", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__Unit *u = ((Nhanluc__V1__GetUnitResponse *)r.resp)->unit;
    assert_non_null(u);
    assert_string_equal(u->code, "ha-noi");
    assert_string_equal(u->name, "Hà Nội");
    assert_int_equal(u->kind, NHANLUC__V1__UNIT_KIND__CITY);
    assert_string_equal(u->parent, "");
    sf_call_done(&r);

    get_unit("ha-tay", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    get_unit("", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "code: must be 1-64");
    get_unit("Ha-Noi", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "code: must be 1-64");
}

static void test_list_paging(void **state)
{
    static const char *const wards[] = {"ward-a", "ward-b", "ward-c", "ward-d", "ward-e", "ward-f"};
    char *token = NULL;
    char seen[8][16];
    size_t nseen = 0;
    int pages = 0;
    struct sf_result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_unit_ok("tay-ho", "Tây Hồ", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi");
    for (size_t i = 0; i < 6; i++)
        create_unit_ok(wards[i], "Phường", NHANLUC__V1__UNIT_KIND__WARD, "tay-ho");

    /* The children of tay-ho: 6 wards in pages of 2 are 3 pages, the last without a token. */
    for (; pages < 10; pages++) {
        list_units("tay-ho", 2, token != NULL ? token : "", &r);
        assert_int_equal(r.status, NL_OK);
        Nhanluc__V1__ListUnitsResponse *lr = (Nhanluc__V1__ListUnitsResponse *)r.resp;
        assert_int_equal(lr->n_units, 2);
        for (size_t i = 0; i < lr->n_units; i++) {
            assert_string_equal(lr->units[i]->parent, "tay-ho");
            (void)snprintf(seen[nseen++], sizeof(seen[0]), "%s", lr->units[i]->code);
        }
        free(token);
        token = lr->next_page_token[0] != '\0' ? strdup(lr->next_page_token) : NULL;
        /* The token is opaque: it does not show the code it continues after. */
        if (token != NULL)
            assert_null(strstr(token, "ward"));
        sf_call_done(&r);
        if (token == NULL)
            break;
    }
    assert_int_equal(pages + 1, 3);
    assert_int_equal(nseen, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(seen[i], wards[i]);

    /* Every unit, three per page: 8 units -> 3, 3, 2. */
    static const size_t want[] = {3, 3, 2};
    token = NULL;
    for (size_t p = 0; p < 3; p++) {
        list_units("", 3, token != NULL ? token : "", &r);
        assert_int_equal(r.status, NL_OK);
        Nhanluc__V1__ListUnitsResponse *lr = (Nhanluc__V1__ListUnitsResponse *)r.resp;
        assert_int_equal(lr->n_units, want[p]);
        free(token);
        token = NULL;
        if (p < 2) {
            assert_string_not_equal(lr->next_page_token, "");
            token = strdup(lr->next_page_token);
        } else {
            assert_string_equal(lr->next_page_token, "");
            assert_string_equal(lr->units[1]->code, "ward-f");
        }
        sf_call_done(&r);
    }

    /* page_size 0 means 100. */
    list_units("", 0, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units, 8);
    assert_string_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->next_page_token, "");
    sf_call_done(&r);
}

static void test_list_errors(void **state)
{
    struct sf_result r;
    char *tok;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    list_units("", -1, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size: must be 0-1000");
    list_units("", 1001, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size: must be 0-1000");
    list_units("", 1000, "", &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);

    list_units("", 10, "!!!not base64", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    static const char *const forged[] = {"x:ha-noi", "u:", "u:Ha-Noi", "ha-noi", "u:ha noi"};
    for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
        tok = forge_token(forged[i]);
        list_units("", 10, tok, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
        free(tok);
    }
    /* A well-formed token continues after its code, even one that does not exist. */
    tok = forge_token("u:a");
    list_units("", 10, tok, &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units, 1);
    sf_call_done(&r);
    free(tok);

    list_units("Bad Parent", 10, "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "parent: must be 1-64");
    list_units("ha-tay", 10, "", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "parent unit not found");
    list_units("ha-noi", 10, "", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__ListUnitsResponse *)r.resp)->n_units, 0);
    sf_call_done(&r);
}

static void test_terms(void **state)
{
    struct sf_result r;
    (void)state;

    /* Years taken from the code when not given. */
    create_term("2020-2025", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 0, 0, &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CreateTermResponse *cr = (Nhanluc__V1__CreateTermResponse *)r.resp;
    assert_true(cr->created);
    assert_string_equal(cr->term->code, "2020-2025");
    assert_int_equal(cr->term->start_year, 2020);
    assert_int_equal(cr->term->end_year, 2025);
    sf_call_done(&r);

    /* Replay with the years spelt out: same term. */
    create_term("2020-2025", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 2020, 2025, &r);
    assert_int_equal(r.status, NL_OK);
    assert_false(((Nhanluc__V1__CreateTermResponse *)r.resp)->created);
    sf_call_done(&r);
    create_term("2020-2025", NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL, 0, 0, &r);
    sf_expect_error(&r, NL_ALREADY_EXISTS, "term.code:");

    create_term("2021-2026", NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL, 2021, 0, &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);
    create_term("2015-2020", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 0, 2020, &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);

    static const struct {
        const char *code;
        int kind, start, end;
        const char *msg;
    } cases[] = {
        {"2020-25", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"2020_2025", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"20a0-2025", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"2020-20250", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"", 1, 0, 0, "term.code: must be YYYY-YYYY"},
        {"1900-1905", 1, 0, 0, "term.code: years must be"},
        {"2100-2105", 1, 0, 0, "term.code: years must be"},
        {"2025-2020", 1, 0, 0, "term.code: years must be"},
        {"2025-2025", 1, 0, 0, "term.code: years must be"},
        {"2025-2030", 0, 0, 0, "term.kind: unknown kind"},
        {"2025-2030", 3, 0, 0, "term.kind: unknown kind"},
        {"2025-2030", 1, 2024, 0, "term.start_year: must match term.code"},
        {"2025-2030", 1, -2025, 0, "term.start_year: must match term.code"},
        {"2025-2030", 1, 2025, 2031, "term.end_year: must match term.code"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        create_term(cases[i].code, cases[i].kind, cases[i].start, cases[i].end, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, cases[i].msg);
    }
    Nhanluc__V1__CreateTermRequest empty;
    nhanluc__v1__create_term_request__init(&empty);
    call("/nhanluc.v1.Registry/CreateTerm", &empty.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "term: required");

    /* The edges of the range are accepted. */
    create_term("1945-1950", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 0, 0, &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);

    list_terms(0, &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__ListTermsResponse *lr = (Nhanluc__V1__ListTermsResponse *)r.resp;
    static const char *const order[] = {"1945-1950", "2015-2020", "2020-2025", "2021-2026"};
    assert_int_equal(lr->n_terms, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(lr->terms[i]->code, order[i]);
    assert_int_equal(lr->terms[3]->kind, NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL);
    assert_int_equal(lr->terms[3]->start_year, 2021);
    assert_int_equal(lr->terms[3]->end_year, 2026);
    sf_call_done(&r);

    list_terms(NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL, &r);
    assert_int_equal(r.status, NL_OK);
    lr = (Nhanluc__V1__ListTermsResponse *)r.resp;
    assert_int_equal(lr->n_terms, 1);
    assert_string_equal(lr->terms[0]->code, "2021-2026");
    sf_call_done(&r);

    list_terms(7, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "kind: unknown kind");
}

static void test_unit_versions(void **state)
{
    struct sf_result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_unit_ok("thanh-tri", "Huyện Thanh Trì", NHANLUC__V1__UNIT_KIND__RURAL_DISTRICT,
                   "ha-noi");
    /* Since always is stored as such and shown as "". */
    get_unit("thanh-tri", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__Unit *u = ((Nhanluc__V1__GetUnitResponse *)r.resp)->unit;
    assert_string_equal(u->valid_from, "");
    assert_string_equal(u->valid_to, "");
    sf_call_done(&r);

    create_version("thanh-tri", "Xã Thanh Trì", NHANLUC__V1__UNIT_KIND__COMMUNE, "ha-noi",
                   "2025-07-01", "", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__CreateUnitResponse *cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_true(cr->created);
    assert_string_equal(cr->unit->valid_from, "2025-07-01");
    assert_string_equal(cr->unit->valid_to, "");
    sf_call_done(&r);

    /* The replayed first version answers with the valid_to the timeline gave it. */
    create_version("thanh-tri", "Huyện Thanh Trì", NHANLUC__V1__UNIT_KIND__RURAL_DISTRICT, "ha-noi",
                   "", "", &r);
    assert_int_equal(r.status, NL_OK);
    cr = (Nhanluc__V1__CreateUnitResponse *)r.resp;
    assert_false(cr->created);
    assert_string_equal(cr->unit->valid_to, "2025-06-30");
    sf_call_done(&r);

    get_unit("thanh-tri", &r);
    assert_int_equal(r.status, NL_OK);
    u = ((Nhanluc__V1__GetUnitResponse *)r.resp)->unit;
    assert_string_equal(u->name, "Xã Thanh Trì");
    assert_string_equal(u->valid_from, "2025-07-01");
    sf_call_done(&r);

    /* The tree as of a date, and its validation. */
    create_version("dong-da", "Đống Đa", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "ha-noi",
                   "2000-01-01", "2008-07-31", &r);
    assert_int_equal(r.status, NL_OK);
    assert_string_equal(((Nhanluc__V1__CreateUnitResponse *)r.resp)->unit->valid_to, "2008-07-31");
    sf_call_done(&r);
    assert_string_equal(codes_as_of("ha-noi", "2005-01-01"), "dong-da,thanh-tri");
    assert_string_equal(codes_as_of("ha-noi", "2010-01-01"), "thanh-tri");
    assert_string_equal(codes_as_of("", ""), "ha-noi,thanh-tri");
    static const char *const bad_dates[] = {"2025-13-01", "01/07/2025", "2025-7-1", "tomorrow",
                                            "2025-02-29"};
    for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
        list_units_as_of("", 10, "", bad_dates[i], &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "as_of: must be a date YYYY-MM-DD");
        create_version("x", "X", NHANLUC__V1__UNIT_KIND__WARD, "ha-noi", bad_dates[i], "", &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit.valid_from: must be a date YYYY-MM-DD");
        create_version("x", "X", NHANLUC__V1__UNIT_KIND__WARD, "ha-noi", "", bad_dates[i], &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit.valid_to: must be a date YYYY-MM-DD");
    }
    create_version("x", "X", NHANLUC__V1__UNIT_KIND__WARD, "ha-noi", "2020-01-02", "2020-01-01",
                   &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit.valid_to: must not be before unit.valid_from");
    create_version("x", "X", NHANLUC__V1__UNIT_KIND__WARD, "dong-da", "2010-01-01", "", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "unit.parent: not valid on unit.valid_from");
    get_unit("x", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
}

static void test_record_event_validation(void **state)
{
    static const char *const one[] = {"xa-a", NULL};
    static const char *const two[] = {"xa-a", "xa-b", NULL};
    static const char *const target[] = {"xa-ab", NULL};
    static const char *const none[] = {NULL};
    static const char *const bad_code[] = {"xa-a", "Secret Code", NULL};
    static const char *const dup[] = {"xa-a", "xa-a", NULL};
    static const char *const overlap[] = {"xa-ab", "xa-a", NULL};
    char long_basis[1002];
    struct sf_result r;
    (void)state;

    memset(long_basis, 'b', 1001);
    long_basis[1001] = '\0';
    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_unit_ok("xa-a", "Xã A", NHANLUC__V1__UNIT_KIND__COMMUNE, "ha-noi");
    create_unit_ok("xa-b", "Xã B", NHANLUC__V1__UNIT_KIND__COMMUNE, "ha-noi");
    create_version("xa-ab", "Xã AB", NHANLUC__V1__UNIT_KIND__COMMUNE, "ha-noi", "2025-07-01", "",
                   &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);

    const struct {
        int kind;
        const char *date;
        const char *const *src, *const *dst;
        const char *basis, *msg;
    } cases[] = {
        {0, "2025-07-01", two, target, "", "event.kind: unknown kind"},
        {5, "2025-07-01", two, target, "", "event.kind: unknown kind"},
        {1, "", two, target, "", "event.effective_date: must be a date YYYY-MM-DD"},
        {1, "2025-06-31", two, target, "", "event.effective_date: must be a date"},
        {1, "01/07/2025", two, target, "", "event.effective_date: must be a date"},
        {1, "2025-07-01", none, target, "", "event.sources: required"},
        {1, "2025-07-01", two, none, "", "event.targets: a MERGE has exactly one target"},
        {1, "2025-07-01", one, two, "", "event.targets: a MERGE has exactly one target"},
        {2, "2025-07-01", two, target, "", "event.sources: a SPLIT has exactly one source"},
        {2, "2025-07-01", one, none, "", "event.targets: required for a SPLIT"},
        {3, "2025-07-01", two, target, "", "event.sources: a RENAME has exactly one source"},
        {3, "2025-07-01", one, two, "", "event.targets: a RENAME has exactly one target"},
        {3, "2025-07-01", one, one, "", "event.targets[0]: is also a source"},
        {4, "2025-07-01", two, none, "", "event.sources: a DISSOLVE has exactly one source"},
        {4, "2025-07-01", one, target, "", "event.targets: a DISSOLVE has no targets"},
        {1, "2025-07-01", bad_code, target, "", "event.sources[1]: must be 1-64"},
        {2, "2025-07-01", one, (const char *const[]){"xa-ab", "Secret Code", NULL}, "",
         "event.targets[1]: must be 1-64"},
        {1, "2025-07-01", dup, target, "", "event.sources[1]: repeats a unit"},
        {2, "2025-07-01", one, overlap, "", "event.targets[1]: is also a source"},
        {1, "2025-07-01", two, target, "NQ\t01", "event.legal_basis: contains a control"},
        {1, "2025-07-01", two, target, "NQ \xff", "event.legal_basis: is not valid UTF-8"},
        {1, "2025-07-01", two, target, long_basis, "event.legal_basis: must be at most 1000"},
        {1, "2025-07-01", two, (const char *const[]){"nowhere", NULL}, "",
         "event.targets[0]: no such unit"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        record_event(cases[i].kind, cases[i].date, cases[i].src, cases[i].dst, cases[i].basis, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, cases[i].msg);
        assert_null(strstr(r.msg, "Secret"));
        assert_null(strstr(r.msg, "nowhere"));
    }
    Nhanluc__V1__RecordUnitEventRequest empty;
    nhanluc__v1__record_unit_event_request__init(&empty);
    call("/nhanluc.v1.Registry/RecordUnitEvent", &empty.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "event: required");

    /* Nothing was recorded. */
    get_history("xa-a", &r);
    assert_int_equal(r.status, NL_OK);
    assert_int_equal(((Nhanluc__V1__GetUnitHistoryResponse *)r.resp)->n_events, 0);
    sf_call_done(&r);
    assert_string_equal(codes_as_of("", "2025-07-01"), "ha-noi,xa-a,xa-ab,xa-b");

    /* A legal basis with line breaks, typed decomposed: kept, in NFC. */
    static const char basis_nfd[] = "Nghi\xcc\xa3 quyê\xcc\x81t 1656\r\nNgày 16/6/2025";
    static const char basis_nfc[] = "Ngh\xe1\xbb\x8b quy\xe1\xba\xbft 1656\r\nNgày 16/6/2025";
    record_event(NHANLUC__V1__UNIT_EVENT_KIND__MERGE, "2025-07-01",
                 (const char *const[]){"xa-b", "xa-a", NULL}, target, basis_nfd, &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__RecordUnitEventResponse *er = (Nhanluc__V1__RecordUnitEventResponse *)r.resp;
    assert_true(er->created);
    assert_string_equal(er->event->legal_basis, basis_nfc);
    assert_int_equal(er->event->n_sources, 2);
    assert_string_equal(er->event->sources[0], "xa-a");
    assert_string_equal(er->event->sources[1], "xa-b");
    sf_call_done(&r);
    /* The composed spelling is the same event: a replay. */
    record_event(NHANLUC__V1__UNIT_EVENT_KIND__MERGE, "2025-07-01", two, target, basis_nfc, &r);
    assert_int_equal(r.status, NL_OK);
    assert_false(((Nhanluc__V1__RecordUnitEventResponse *)r.resp)->created);
    sf_call_done(&r);
    record_event(NHANLUC__V1__UNIT_EVENT_KIND__MERGE, "2025-07-01", two, target, "other", &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "event.legal_basis: differs");
    assert_string_equal(codes_as_of("", "2025-07-01"), "ha-noi,xa-ab");
    assert_string_equal(codes_as_of("", "2025-06-30"), "ha-noi,xa-a,xa-b");
}

static void test_history_and_lineage(void **state)
{
    static const char *const a[] = {"a", NULL};
    static const char *const ab_src[] = {"a", "b", NULL};
    static const char *const ab[] = {"ab", NULL};
    static const char *const abc[] = {"abc", NULL};
    struct sf_result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_unit_ok("a", "A", NHANLUC__V1__UNIT_KIND__COMMUNE, "ha-noi");
    create_unit_ok("b", "B", NHANLUC__V1__UNIT_KIND__COMMUNE, "ha-noi");
    create_version("ab", "AB", NHANLUC__V1__UNIT_KIND__COMMUNE, "ha-noi", "2020-01-01", "", &r);
    sf_call_done(&r);
    create_version("abc", "ABC", NHANLUC__V1__UNIT_KIND__WARD, "ha-noi", "2025-07-01", "", &r);
    sf_call_done(&r);
    record_event(NHANLUC__V1__UNIT_EVENT_KIND__MERGE, "2020-01-01", ab_src, ab, "", &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);
    record_event(NHANLUC__V1__UNIT_EVENT_KIND__RENAME, "2025-07-01", ab, abc, "", &r);
    assert_int_equal(r.status, NL_OK);
    sf_call_done(&r);

    get_history("ab", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__GetUnitHistoryResponse *hr = (Nhanluc__V1__GetUnitHistoryResponse *)r.resp;
    assert_int_equal(hr->n_versions, 1);
    assert_string_equal(hr->versions[0]->valid_from, "2020-01-01");
    assert_string_equal(hr->versions[0]->valid_to, "2025-06-30");
    assert_int_equal(hr->n_events, 2);
    assert_int_equal(hr->events[0]->kind, NHANLUC__V1__UNIT_EVENT_KIND__MERGE);
    assert_int_equal(hr->events[0]->n_sources, 2);
    assert_int_equal(hr->events[1]->kind, NHANLUC__V1__UNIT_EVENT_KIND__RENAME);
    assert_string_equal(hr->events[1]->targets[0], "abc");
    sf_call_done(&r);
    get_history("nowhere", &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    get_history("Bad Code", &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "code: must be 1-64");

    get_lineage("a", NHANLUC__V1__LINEAGE_DIRECTION__SUCCESSORS, &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__GetLineageResponse *lr = (Nhanluc__V1__GetLineageResponse *)r.resp;
    assert_int_equal(lr->n_steps, 2);
    assert_string_equal(lr->steps[0]->code, "ab");
    assert_string_equal(lr->steps[0]->via_code, "a");
    assert_int_equal(lr->steps[0]->kind, NHANLUC__V1__UNIT_EVENT_KIND__MERGE);
    assert_string_equal(lr->steps[0]->effective_date, "2020-01-01");
    assert_string_equal(lr->steps[1]->code, "abc");
    assert_string_equal(lr->steps[1]->via_code, "ab");
    assert_int_equal(lr->steps[1]->kind, NHANLUC__V1__UNIT_EVENT_KIND__RENAME);
    sf_call_done(&r);
    get_lineage("abc", NHANLUC__V1__LINEAGE_DIRECTION__PREDECESSORS, &r);
    assert_int_equal(r.status, NL_OK);
    lr = (Nhanluc__V1__GetLineageResponse *)r.resp;
    assert_int_equal(lr->n_steps, 3);
    assert_string_equal(lr->steps[0]->code, "ab");
    assert_string_equal(lr->steps[1]->code, "a");
    assert_string_equal(lr->steps[2]->code, "b");
    sf_call_done(&r);
    get_lineage("a", 0, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "direction: must be SUCCESSORS or PREDECESSORS");
    get_lineage("a", 3, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "direction:");
    get_lineage("nowhere", NHANLUC__V1__LINEAGE_DIRECTION__SUCCESSORS, &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    get_lineage("", NHANLUC__V1__LINEAGE_DIRECTION__SUCCESSORS, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "code: must be 1-64");
    (void)a;
}

static void test_term_instances(void **state)
{
    struct sf_result r;
    (void)state;

    create_unit_ok("ha-noi", "Hà Nội", NHANLUC__V1__UNIT_KIND__CITY, "");
    create_term("2020-2025", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS, 0, 0, &r);
    sf_call_done(&r);

    set_instance("2020-2025", "ha-noi", "2020-10-13", "2025-10-15", &r);
    assert_int_equal(r.status, NL_OK);
    Nhanluc__V1__SetTermInstanceResponse *sr = (Nhanluc__V1__SetTermInstanceResponse *)r.resp;
    assert_true(sr->created);
    assert_string_equal(sr->instance->unit, "ha-noi");
    assert_string_equal(sr->instance->start_date, "2020-10-13");
    sf_call_done(&r);
    set_instance("2020-2025", "ha-noi", "2020-10-13", "2025-10-15", &r);
    assert_int_equal(r.status, NL_OK);
    assert_false(((Nhanluc__V1__SetTermInstanceResponse *)r.resp)->created);
    sf_call_done(&r);
    set_instance("2020-2025", "ha-noi", "2020-10-13", "2025-10-16", &r);
    assert_int_equal(r.status, NL_OK);
    sr = (Nhanluc__V1__SetTermInstanceResponse *)r.resp;
    assert_false(sr->created);
    assert_string_equal(sr->instance->end_date, "2025-10-16");
    sf_call_done(&r);

    static const struct {
        const char *term, *unit, *start, *end, *msg;
    } cases[] = {
        {"2020", "ha-noi", "2020-10-13", "2025-10-15", "instance.term: must be YYYY-YYYY"},
        {"2020-2025", "Ha Noi", "2020-10-13", "2025-10-15", "instance.unit: must be 1-64"},
        {"2020-2025", "ha-noi", "13/10/2020", "2025-10-15", "instance.start_date: must be a date"},
        {"2020-2025", "ha-noi", "2020-10-13", "", "instance.end_date: must be a date"},
        {"2020-2025", "ha-noi", "2020-10-13", "2020-10-12", "instance.end_date: must not be"},
        {"2015-2020", "ha-noi", "2015-10-13", "2020-10-12", "instance.term: no such term"},
        {"2020-2025", "nowhere", "2020-10-13", "2025-10-15", "instance.unit: no such unit"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        set_instance(cases[i].term, cases[i].unit, cases[i].start, cases[i].end, &r);
        sf_expect_error(&r, NL_INVALID_ARGUMENT, cases[i].msg);
    }
    Nhanluc__V1__SetTermInstanceRequest empty;
    nhanluc__v1__set_term_instance_request__init(&empty);
    call("/nhanluc.v1.Registry/SetTermInstance", &empty.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "instance: required");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_table),
        cmocka_unit_test_setup_teardown(test_create_unit_validation, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_nfc, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_replay_and_conflict, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_get_unit, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list_errors, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_terms, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_unit_versions, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_record_event_validation, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_history_and_lineage, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_term_instances, setup, sf_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
