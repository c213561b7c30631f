/*
 * test_import.c - Records.Import, Records.Export and Records.UpsertEnrolment,
 * called the way the server calls them: a packed request goes into
 * nl_job_new, nl_job_run unpacks it and runs the method row's handler on a
 * store, and the packed response is read back.
 *
 * Writes run on the read-write connection inside BEGIN IMMEDIATE + a
 * savepoint (the writer's batch shape; a failed call rolls its savepoint
 * back); reads run on a read-only connection inside a read transaction. The
 * stores are files in temporary directories; the round-trip tests use a
 * second, empty one. Every record of the tests' world goes in through
 * Import itself, the path a district uses.
 *
 * The world: thu-do (the city) > quan-a (district; renamed by a new version from
 * 2020-01-01) > xa-1, xa-2 (wards until 2025-06-30, merged into xa-moi from
 * 2025-07-01); terms 2015-2020 and 2020-2025; cadres C1 (two profile
 * versions), C2 (one) and C3 (none); classes K1 (quan-a, 2019) and K2 (xa-1,
 * 2024) with three enrolments.
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

#include "../common/arena.h"
#include "../common/wire.h"
#include "job.h"
#include "method.h"
#include "nhanluc/v1/records.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"
#include "store.h"
#include "../support/store_fixture.h"

#define IMPORT        "/nhanluc.v1.Records/Import"
#define EXPORT        "/nhanluc.v1.Records/Export"
#define UPSERT_ENROL  "/nhanluc.v1.Records/UpsertEnrolment"
#define MAX_ROWS      5001
#define MAX_PAGES     64
#define MAX_DUMP_ROWS 256

#define CITY          NHANLUC__V1__UNIT_KIND__CITY
#define DISTRICT      NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT
#define WARD          NHANLUC__V1__UNIT_KIND__WARD
#define MERGE         NHANLUC__V1__UNIT_EVENT_KIND__MERGE
#define PARTY         NHANLUC__V1__TERM_KIND__PARTY_CONGRESS
#define EXP_UNITS     NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_UNITS
#define EXP_TERMS     NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_TERMS
#define EXP_EVENTS    NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_UNIT_EVENTS
#define EXP_CADRES    NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_CADRES
#define EXP_CLASSES   NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_CLASSES
#define EXP_ENROL     NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_ENROLMENTS
#define EXP_TI        NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_TERM_INSTANCES
#define ES_ENROLLED   NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED
#define ES_COMPLETED  NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED
#define R_GOOD        NHANLUC__V1__RESULT__RESULT_GOOD
#define CS_ENDED      NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_ENDED
#define OUT_CREATED   NHANLUC__V1__WRITE_OUTCOME__CREATED
#define OUT_UPDATED   NHANLUC__V1__WRITE_OUTCOME__UPDATED
#define OUT_UNCHANGED NHANLUC__V1__WRITE_OUTCOME__UNCHANGED

struct fx {
    struct sf_db a, b;     /* b: a second, empty database for round trips */
    struct nl_arena arena; /* the tests' request messages */
};

static struct fx *g;

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    if (fx == NULL || sf_db_open(&fx->a, "import") != 0 || sf_db_open(&fx->b, "import") != 0)
        return -1;
    nl_arena_init(&fx->arena, 0);
    g = fx;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    int rc = sf_db_close(&fx->a);

    rc |= sf_db_close(&fx->b);
    nl_arena_release(&fx->arena);
    free(fx);
    g = NULL;
    return rc;
}

/* --- calls --- */

/* The first column of the first row of a query on d, as a number. */
static long query_num(struct sf_db *d, const char *sql)
{
    return sf_sql_long(d->rw, sql);
}

/* --- row builders (messages in the fixture's arena) --- */

static char *S(const char *s)
{
    char *p = nl_arena_strdup(&g->arena, s);

    assert_non_null(p);
    return p;
}

static void *msg_new(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = nl_arena_alloc(&g->arena, d->sizeof_message);

    assert_non_null(m);
    protobuf_c_message_init(d, m);
    return m;
}

static Nhanluc__V1__ImportRow *row_new(uint32_t line)
{
    Nhanluc__V1__ImportRow *r = msg_new(&nhanluc__v1__import_row__descriptor);

    r->line = line;
    return r;
}

static Nhanluc__V1__ImportRow *row_unit(uint32_t line, const char *code, const char *name, int kind,
                                        const char *parent, const char *from, const char *to)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__Unit *u = msg_new(&nhanluc__v1__unit__descriptor);

    u->code = S(code);
    u->name = S(name);
    u->kind = (Nhanluc__V1__UnitKind)kind;
    u->parent = S(parent);
    u->valid_from = S(from);
    u->valid_to = S(to);
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_UNIT;
    r->unit = u;
    return r;
}

static Nhanluc__V1__ImportRow *row_term(uint32_t line, const char *code)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__Term *t = msg_new(&nhanluc__v1__term__descriptor);

    t->code = S(code);
    t->kind = (Nhanluc__V1__TermKind)PARTY;
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TERM;
    r->term = t;
    return r;
}

/* A MERGE of src1 and src2 into tgt on `date`. */
static Nhanluc__V1__ImportRow *row_merge(uint32_t line, const char *src1, const char *src2,
                                         const char *tgt, const char *date)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__UnitEvent *e = msg_new(&nhanluc__v1__unit_event__descriptor);

    e->kind = (Nhanluc__V1__UnitEventKind)MERGE;
    e->effective_date = S(date);
    e->sources = nl_arena_alloc(&g->arena, 2 * sizeof(char *));
    e->targets = nl_arena_alloc(&g->arena, sizeof(char *));
    assert_non_null(e->sources);
    assert_non_null(e->targets);
    e->sources[0] = S(src1);
    e->sources[1] = S(src2);
    e->n_sources = 2;
    e->targets[0] = S(tgt);
    e->n_targets = 1;
    e->legal_basis = S("Nghị quyết 1656/NQ-UBTVQH15\nĐiều 1");
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_UNIT_EVENT;
    r->unit_event = e;
    return r;
}

/* A cadre, with a profile at `unit` as of `as_of` unless unit is NULL. */
static Nhanluc__V1__ImportRow *row_cadre(uint32_t line, const char *code, int birth_year,
                                         const char *unit, const char *as_of, int education)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__UpsertCadreRequest *q = msg_new(&nhanluc__v1__upsert_cadre_request__descriptor);
    Nhanluc__V1__Cadre *c = msg_new(&nhanluc__v1__cadre__descriptor);

    c->cadre_code = S(code);
    c->full_name = S("Nguyễn Văn A");
    c->sex = NHANLUC__V1__SEX__SEX_FEMALE;
    c->birth_year = birth_year;
    q->cadre = c;
    if (unit != NULL) {
        Nhanluc__V1__CadreProfile *p = msg_new(&nhanluc__v1__cadre_profile__descriptor);

        p->unit = S(unit);
        p->position_title = S("Phó Bí thư");
        p->key_cadre = 1;
        p->level = NHANLUC__V1__LEVEL__LEVEL_DISTRICT;
        p->mgmt_category = NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_DISTRICT_STANDING;
        p->education = (Nhanluc__V1__Education)education;
        p->political_theory = NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_ADVANCED;
        p->state_mgmt = NHANLUC__V1__STATE_MGMT__STATE_MGMT_PRINCIPAL;
        p->as_of = S(as_of);
        q->profile = p;
    }
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_CADRE;
    r->cadre = q;
    return r;
}

static Nhanluc__V1__ImportRow *row_class(uint32_t line, const char *ref, const char *unit,
                                         const char *title, const char *start, const char *end,
                                         int sessions, const char *planning_term)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__TrainingClass *c = msg_new(&nhanluc__v1__training_class__descriptor);

    c->class_ref = S(ref);
    c->organiser_unit = S(unit);
    c->title = S(title);
    c->kind = NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_UPGRADE;
    c->area = NHANLUC__V1__AREA__AREA_POLITICAL_THEORY;
    c->target_group = S("PLANNING_COMMITTEE");
    c->planning_term = S(planning_term);
    c->mode = NHANLUC__V1__CLASS_MODE__CLASS_MODE_FULL_TIME;
    c->start_date = S(start);
    c->end_date = S(end);
    c->sessions = sessions;
    c->planned_trainees = 40;
    c->status = (Nhanluc__V1__ClassStatus)CS_ENDED;
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TRAINING_CLASS;
    r->training_class = c;
    return r;
}

/* An enrolment; thesis < 0 = none, result 0 = none. */
static Nhanluc__V1__ImportRow *row_enrol(uint32_t line, const char *unit, const char *ref,
                                         const char *cadre, int status, int result, int attended,
                                         double thesis)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__EnrolmentRow *er = msg_new(&nhanluc__v1__enrolment_row__descriptor);
    Nhanluc__V1__Enrolment *e = msg_new(&nhanluc__v1__enrolment__descriptor);

    er->organiser_unit = S(unit);
    er->class_ref = S(ref);
    e->cadre_code = S(cadre);
    e->status = (Nhanluc__V1__EnrolmentStatus)status;
    e->result = (Nhanluc__V1__Result)result;
    e->attended = attended;
    e->absent_excused = 1;
    if (thesis >= 0) {
        e->thesis_score = msg_new(&nhanluc__v1__score__descriptor);
        e->thesis_score->value = thesis;
    }
    e->certificate_no = S(status == ES_COMPLETED ? "CC-0001" : "");
    er->enrolment = e;
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_ENROLMENT;
    r->enrolment = er;
    return r;
}

static Nhanluc__V1__ImportRow *row_ti(uint32_t line, const char *term, const char *unit,
                                      const char *start, const char *end)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__TermInstance *t = msg_new(&nhanluc__v1__term_instance__descriptor);

    t->term = S(term);
    t->unit = S(unit);
    t->start_date = S(start);
    t->end_date = S(end);
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TERM_INSTANCE;
    r->term_instance = t;
    return r;
}

static Nhanluc__V1__ImportRow *row_report(uint32_t line, const char *unit, int year, int status,
                                          const char *submitted, const char *approved,
                                          const char *reason)
{
    Nhanluc__V1__ImportRow *r = row_new(line);
    Nhanluc__V1__AnnualReport *m = msg_new(&nhanluc__v1__annual_report__descriptor);

    m->unit = S(unit);
    m->year = year;
    m->status = (Nhanluc__V1__ReportStatus)status;
    m->submitted_at = S(submitted);
    m->approved_at = S(approved);
    m->return_reason = S(reason);
    r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_REPORT;
    r->report = m;
    return r;
}

/* --- import and export helpers --- */

/* Imports rows[0..n) as batch `id` into d; r holds the result (call_done it). */
static void import(struct sf_db *d, const char *id, int dry_run, int skip,
                   Nhanluc__V1__ImportRow **rows, size_t n, struct sf_result *r)
{
    Nhanluc__V1__ImportRequest req = NHANLUC__V1__IMPORT_REQUEST__INIT;

    req.batch_id = S(id);
    req.dry_run = dry_run;
    req.skip_bad_rows = skip;
    req.rows = rows;
    req.n_rows = n;
    sf_call(d, IMPORT, &req.base, r);
}

static const Nhanluc__V1__ImportResponse *iresp(const struct sf_result *r)
{
    if (r->status != NL_OK)
        fail_msg("import failed: %d '%s'", r->status, r->msg);
    return (const Nhanluc__V1__ImportResponse *)r->resp;
}

/* Asserts the counts of an import response. */
static void expect_counts(const struct sf_result *r, int created, int updated, int unchanged,
                          int rejected)
{
    const Nhanluc__V1__ImportResponse *x = iresp(r);

    if (x->created != created || x->updated != updated || x->unchanged != unchanged ||
        x->rejected != rejected) {
        for (size_t i = 0; i < x->n_errors; i++)
            (void)fprintf(stderr, "  line %u %s: %s\n", x->errors[i]->line, x->errors[i]->field,
                          x->errors[i]->reason);
        fail_msg("counts %d/%d/%d/%d, want %d/%d/%d/%d", x->created, x->updated, x->unchanged,
                 x->rejected, created, updated, unchanged, rejected);
    }
    assert_int_equal(x->n_errors, (size_t)rejected);
}

/* Imports and asserts the counts in one step. */
static void import_expect(struct sf_db *d, const char *id, Nhanluc__V1__ImportRow **rows, size_t n,
                          int created, int updated, int unchanged)
{
    struct sf_result r;

    import(d, id, 0, 0, rows, n, &r);
    expect_counts(&r, created, updated, unchanged, 0);
    assert_false(iresp(&r)->replayed);
    sf_call_done(&r);
}

/* Every row of one export kind, read in pages of page_size; pages kept until dump_free. */
struct dump {
    struct sf_result pages[MAX_PAGES];
    size_t npages;
    Nhanluc__V1__ImportRow *rows[MAX_DUMP_ROWS];
    size_t n;
};

static void dump_kind(struct sf_db *d, int kind, int year, const char *unit, int page_size,
                      struct dump *out)
{
    const char *token = "";

    memset(out, 0, sizeof(*out));
    for (;;) {
        Nhanluc__V1__ExportRequest req = NHANLUC__V1__EXPORT_REQUEST__INIT;
        struct sf_result *r;
        const Nhanluc__V1__ExportResponse *x;

        assert_true(out->npages < MAX_PAGES);
        r = &out->pages[out->npages++];
        req.kind = (Nhanluc__V1__ExportKind)kind;
        req.year = year;
        req.unit = S(unit);
        req.page_size = page_size;
        req.page_token = S(token);
        sf_call(d, EXPORT, &req.base, r);
        if (r->status != NL_OK)
            fail_msg("export %d failed: %d '%s'", kind, r->status, r->msg);
        x = (const Nhanluc__V1__ExportResponse *)r->resp;
        assert_true(page_size == 0 || x->n_rows <= (size_t)page_size);
        for (size_t i = 0; i < x->n_rows; i++) {
            assert_true(out->n < MAX_DUMP_ROWS);
            assert_int_equal(x->rows[i]->line, 0);
            out->rows[out->n++] = x->rows[i];
        }
        if (x->next_page_token[0] == '\0')
            break;
        assert_true(x->n_rows > 0);
        token = x->next_page_token;
    }
}

static void dump_free(struct dump *dp)
{
    for (size_t i = 0; i < dp->npages; i++)
        sf_call_done(&dp->pages[i]);
    dp->npages = 0;
    dp->n = 0;
}

/* Asserts that two dumps hold the same rows in the same order (packed bytes equal). */
static void expect_same_dump(const struct dump *x, const struct dump *y)
{
    assert_int_equal(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        size_t lx = protobuf_c_message_get_packed_size(&x->rows[i]->base);
        size_t ly = protobuf_c_message_get_packed_size(&y->rows[i]->base);
        uint8_t *bx = malloc(lx + 1), *by = malloc(ly + 1);

        assert_non_null(bx);
        assert_non_null(by);
        protobuf_c_message_pack(&x->rows[i]->base, bx);
        protobuf_c_message_pack(&y->rows[i]->base, by);
        if (lx != ly || memcmp(bx, by, lx) != 0)
            fail_msg("row %zu differs", i);
        free(bx);
        free(by);
    }
}

/* --- the world --- */

static void world_units(struct sf_db *d)
{
    Nhanluc__V1__ImportRow *rows[] = {
        row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", ""),
        row_unit(3, "quan-a", "Quận A", DISTRICT, "thu-do", "", ""),
        row_unit(4, "quan-a", "Quận A mới", DISTRICT, "thu-do", "2020-01-01", ""),
        row_unit(5, "xa-1", "Phường 1", WARD, "quan-a", "", ""),
        row_unit(6, "xa-2", "Phường 2", WARD, "quan-a", "", ""),
        row_unit(7, "xa-moi", "Phường Mới", WARD, "quan-a", "2025-07-01", ""),
    };
    Nhanluc__V1__ImportRow *ev[] = {row_merge(2, "xa-1", "xa-2", "xa-moi", "2025-07-01")};

    import_expect(d, "units-1", rows, 6, 6, 0, 0);
    import_expect(d, "events-1", ev, 1, 1, 0, 0);
}

static void world_rest(struct sf_db *d)
{
    Nhanluc__V1__ImportRow *terms[] = {row_term(2, "2015-2020"), row_term(3, "2020-2025")};
    Nhanluc__V1__ImportRow *cadres[] = {
        row_cadre(2, "C1", 1975, "quan-a", "2019-01-01",
                  NHANLUC__V1__EDUCATION__EDUCATION_UNIVERSITY),
        row_cadre(3, "C1", 1975, "xa-1", "2024-01-01", NHANLUC__V1__EDUCATION__EDUCATION_MASTER),
        row_cadre(4, "C2", 1980, "quan-a", "2018-06-01", NHANLUC__V1__EDUCATION__EDUCATION_DOCTOR),
        row_cadre(5, "C3", 1990, NULL, "", 0),
    };
    Nhanluc__V1__ImportRow *classes[] = {
        row_class(2, "K1", "quan-a", "Bồi dưỡng\r\nnguồn cấp ủy", "2019-03-01", "2019-05-31", 20,
                  "2020-2025"),
        row_class(3, "K2", "xa-1", "Lớp tiếng Anh", "2024-09-01", "2024-12-20", 10, ""),
    };
    Nhanluc__V1__ImportRow *enrols[] = {
        row_enrol(2, "quan-a", "K1", "C1", ES_COMPLETED, R_GOOD, 18, 8.5),
        row_enrol(3, "quan-a", "K1", "C2", ES_ENROLLED, 0, 3, -1),
        row_enrol(4, "xa-1", "K2", "C1", ES_COMPLETED, R_GOOD, 9, -1),
    };

    import_expect(d, "terms-1", terms, 2, 2, 0, 0);
    /* C1's second version updates nothing of the cadre row but adds a version: CREATED. */
    import_expect(d, "cadres-1", cadres, 4, 4, 0, 0);
    import_expect(d, "classes-1", classes, 2, 2, 0, 0);
    import_expect(d, "enrolments-1", enrols, 3, 3, 0, 0);
}

/* --- tests: Import --- */

static void test_replay_by_batch_id(void **state)
{
    struct sf_result r1, r2, r3;
    Nhanluc__V1__ImportRow *rows[] = {
        row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", ""),
        row_unit(3, "quan-a", "Quận A", DISTRICT, "thu-do", "", ""),
    };
    Nhanluc__V1__ImportRow *later[] = {
        row_unit(2, "quan-a", "Quận A", DISTRICT, "thu-do", "", "2030-12-31")};

    (void)state;
    import(&g->a, "b-1", 0, 0, rows, 2, &r1);
    expect_counts(&r1, 2, 0, 0, 0);
    assert_false(iresp(&r1)->replayed);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM import_batch"), 1);

    /* Another batch changes quan-a after b-1; a replay of b-1 must not run it again. */
    import(&g->a, "b-2", 0, 0, later, 1, &r2);
    expect_counts(&r2, 0, 1, 0, 0);
    sf_call_done(&r2);
    long changes = query_num(&g->a, "SELECT COUNT(*) FROM unit_version WHERE valid_to IS NULL");

    import(&g->a, "b-1", 0, 0, rows, 2, &r3);
    expect_counts(&r3, 2, 0, 0, 0); /* the stored answer, not "unchanged" */
    assert_true(iresp(&r3)->replayed);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit_version WHERE valid_to IS NULL"),
                     changes);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM import_batch"), 2);
    sf_call_done(&r1);
    sf_call_done(&r3);
}

static void test_batch_id_reused_with_other_content(void **state)
{
    struct sf_result r;
    Nhanluc__V1__ImportRow *one[] = {row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", "")};
    Nhanluc__V1__ImportRow *two[] = {row_unit(2, "thu-do", "Hà Nội", CITY, "", "", "")};

    (void)state;
    import(&g->a, "b-1", 0, 0, one, 1, &r);
    expect_counts(&r, 1, 0, 0, 0);
    sf_call_done(&r);
    import(&g->a, "b-1", 0, 0, two, 1, &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "batch_id reused with different content");
    /* A different line number is different content too. */
    one[0]->line = 9;
    import(&g->a, "b-1", 0, 0, one, 1, &r);
    sf_expect_error(&r, NL_FAILED_PRECONDITION, "batch_id reused");
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit_version"), 1);
}

static void test_request_checks(void **state)
{
    struct sf_result r;
    Nhanluc__V1__ImportRow *mixed[] = {
        row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", ""),
        row_unit(3, "quan-a", "Quận A", DISTRICT, "thu-do", "", ""),
        row_term(4, "2020-2025"),
    };
    Nhanluc__V1__ImportRow *empty[] = {row_new(2)};
    char long_id[130];

    (void)state;
    import(&g->a, "mixed", 0, 0, mixed, 3, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "rows[2]: a batch holds one kind of row");
    import(&g->a, "empty", 0, 0, empty, 1, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "rows[0]: ");
    import(&g->a, "", 0, 0, mixed, 1, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "batch_id: required");
    import(&g->a, "tab\tid", 0, 0, mixed, 1, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "batch_id: ");
    memset(long_id, 'x', 129);
    long_id[129] = '\0';
    import(&g->a, long_id, 0, 0, mixed, 1, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "batch_id: ");
    long_id[128] = '\0'; /* 128 is the most */
    import(&g->a, long_id, 0, 0, mixed, 1, &r);
    expect_counts(&r, 1, 0, 0, 0);
    sf_call_done(&r);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM term"), 0);
}

static void test_too_many_rows(void **state)
{
    Nhanluc__V1__ImportRow **rows = nl_arena_alloc(&g->arena, MAX_ROWS * sizeof(*rows));
    Nhanluc__V1__ImportRow *root = row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", "");
    struct sf_result r;

    (void)state;
    assert_non_null(rows);
    for (size_t i = 0; i < MAX_ROWS; i++)
        rows[i] = root;
    import(&g->a, "big", 0, 0, rows, MAX_ROWS, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "rows: at most 5000 per batch");
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit"), 0);
    /* 5000 is allowed: the first creates, the rest replay. */
    import(&g->a, "big", 0, 0, rows, MAX_ROWS - 1, &r);
    expect_counts(&r, 1, 0, MAX_ROWS - 2, 0);
    sf_call_done(&r);
}

/* Rows 2 and 4 (lines 5 and 9) are bad; row 3 depends on row 1. */
static Nhanluc__V1__ImportRow **bad_batch(void)
{
    Nhanluc__V1__ImportRow **rows = nl_arena_alloc(&g->arena, 5 * sizeof(*rows));

    assert_non_null(rows);
    rows[0] = row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", "");
    rows[1] = row_unit(5, "Quan_A", "Quận A", DISTRICT, "thu-do", "", "");
    rows[2] = row_unit(7, "quan-b", "Quận B", DISTRICT, "thu-do", "", "");
    rows[3] = row_unit(9, "quan-c", "Quận C", DISTRICT, "khong-co", "", "");
    rows[4] = row_unit(11, "quan-d", "Quận D", DISTRICT, "thu-do", "2020-01-01", "2019-01-01");
    return rows;
}

static void expect_row_error(const struct sf_result *r, size_t i, uint32_t line, const char *field)
{
    const Nhanluc__V1__ImportResponse *x = iresp(r);

    assert_true(i < x->n_errors);
    assert_int_equal(x->errors[i]->line, line);
    assert_string_equal(x->errors[i]->field, field);
    assert_string_not_equal(x->errors[i]->reason, "");
    /* No value of the row in the reason. */
    assert_null(strstr(x->errors[i]->reason, "khong-co"));
    assert_null(strstr(x->errors[i]->reason, "Quan_A"));
}

static void test_all_or_nothing(void **state)
{
    struct sf_result r;

    (void)state;
    import(&g->a, "bad", 0, 0, bad_batch(), 5, &r);
    /* What would have happened: 2 created; every bad row reported with its line and field. */
    expect_counts(&r, 2, 0, 0, 3);
    expect_row_error(&r, 0, 5, "unit.code");
    expect_row_error(&r, 1, 9, "unit.parent");
    expect_row_error(&r, 2, 11, "unit.valid_to");
    sf_call_done(&r);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit"), 0);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM import_batch"), 0);
    /* Not remembered: fixed content may come back under the same id. */
    Nhanluc__V1__ImportRow *good[] = {row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", "")};
    import_expect(&g->a, "bad", good, 1, 1, 0, 0);
}

static void test_skip_bad_rows(void **state)
{
    struct sf_result r;

    (void)state;
    import(&g->a, "skip", 0, 1, bad_batch(), 5, &r);
    expect_counts(&r, 2, 0, 0, 3);
    expect_row_error(&r, 0, 5, "unit.code");
    sf_call_done(&r);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit"), 2);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit WHERE code = 'quan-b'"), 1);
    /* Remembered: the replay answers the same, errors included. */
    import(&g->a, "skip", 0, 1, bad_batch(), 5, &r);
    expect_counts(&r, 2, 0, 0, 3);
    assert_true(iresp(&r)->replayed);
    expect_row_error(&r, 1, 9, "unit.parent");
    sf_call_done(&r);
}

static void test_dry_run(void **state)
{
    struct sf_result r;
    Nhanluc__V1__ImportRow *rows[] = {
        row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", ""),
        row_unit(3, "quan-a", "Quận A", DISTRICT, "thu-do", "", ""),
        row_unit(4, "quan-a", "Quận A", DISTRICT, "thu-do", "", ""),
    };

    (void)state;
    import(&g->a, "dry", 1, 0, rows, 3, &r);
    expect_counts(&r, 2, 0, 1, 0);
    assert_false(iresp(&r)->replayed);
    sf_call_done(&r);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit"), 0);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM import_batch"), 0);
    /* A dry run with a bad row counts it and still writes nothing. */
    import(&g->a, "dry-bad", 1, 1, bad_batch(), 5, &r);
    expect_counts(&r, 2, 0, 0, 3);
    sf_call_done(&r);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM unit"), 0);
    /* The real run of the same batch. */
    import_expect(&g->a, "dry", rows, 3, 2, 0, 1);
    /* A dry run of a batch already imported reports it as imported. */
    import(&g->a, "dry", 1, 0, rows, 3, &r);
    assert_true(iresp(&r)->replayed);
    expect_counts(&r, 2, 0, 1, 0);
    sf_call_done(&r);
}

/* Outcomes per kind: the first import creates, a replay in a new batch is unchanged, an edit
 * updates. */
static void test_outcomes_per_kind(void **state)
{
    struct sf_result r;

    (void)state;
    world_units(&g->a);
    world_rest(&g->a);

    /* Units: the same rows again are unchanged; closing a current version is an update. */
    Nhanluc__V1__ImportRow *units[] = {
        row_unit(2, "thu-do", "Thành phố Hà Nội", CITY, "", "", ""),
        row_unit(3, "quan-a", "Quận A mới", DISTRICT, "thu-do", "2020-01-01", "2040-12-31"),
        row_unit(4, "xa-1", "Phường 1", WARD, "quan-a", "", "2025-06-30"),
    };
    import_expect(&g->a, "units-2", units, 3, 0, 1, 2);

    Nhanluc__V1__ImportRow *ev[] = {row_merge(5, "xa-1", "xa-2", "xa-moi", "2025-07-01")};
    import_expect(&g->a, "events-2", ev, 1, 0, 0, 1);

    Nhanluc__V1__ImportRow *terms[] = {row_term(2, "2015-2020")};
    import_expect(&g->a, "terms-2", terms, 1, 0, 0, 1);

    /* Term instances answer only `created`: an update shows in the change count. */
    Nhanluc__V1__ImportRow *ti1[] = {row_ti(2, "2020-2025", "quan-a", "2020-09-01", "2025-08-31")};
    Nhanluc__V1__ImportRow *ti2[] = {row_ti(2, "2020-2025", "quan-a", "2020-09-01", "2025-08-31")};
    Nhanluc__V1__ImportRow *ti3[] = {row_ti(2, "2020-2025", "quan-a", "2020-10-01", "2025-08-31")};
    import_expect(&g->a, "ti-1", ti1, 1, 1, 0, 0);
    import_expect(&g->a, "ti-2", ti2, 1, 0, 0, 1);
    import_expect(&g->a, "ti-3", ti3, 1, 0, 1, 0);

    Nhanluc__V1__ImportRow *cadres[] = {
        row_cadre(2, "C2", 1980, "quan-a", "2018-06-01", NHANLUC__V1__EDUCATION__EDUCATION_DOCTOR),
        row_cadre(3, "C1", 1975, "quan-a", "2019-01-01", NHANLUC__V1__EDUCATION__EDUCATION_MASTER),
        row_cadre(4, "C4", 1985, "quan-a", "2021-01-01", NHANLUC__V1__EDUCATION__EDUCATION_MASTER),
    };
    import_expect(&g->a, "cadres-2", cadres, 3, 1, 1, 1);

    Nhanluc__V1__ImportRow *classes[] = {
        row_class(2, "K1", "quan-a", "Bồi dưỡng\r\nnguồn cấp ủy", "2019-03-01", "2019-05-31", 20,
                  "2020-2025"),
        row_class(3, "K2", "xa-1", "Lớp tiếng Anh (sửa)", "2024-09-01", "2024-12-20", 10, ""),
        row_class(4, "K3", "quan-a", "Lớp mới", "2021-01-04", "2021-01-08", 5, ""),
    };
    import_expect(&g->a, "classes-2", classes, 3, 1, 1, 1);
    /* A class row of an import leaves the class's enrolments alone. */
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM enrolment"), 3);

    Nhanluc__V1__ImportRow *enrols[] = {
        row_enrol(2, "quan-a", "K1", "C1", ES_COMPLETED, R_GOOD, 18, 8.5),
        row_enrol(3, "quan-a", "K1", "C2", ES_ENROLLED, 0, 4, -1),
        row_enrol(4, "quan-a", "K3", "C4", ES_ENROLLED, 0, 0, -1),
    };
    import_expect(&g->a, "enrolments-2", enrols, 3, 1, 1, 1);
    assert_int_equal(query_num(&g->a, "SELECT attended FROM enrolment AS e JOIN cadre AS c"
                                      " ON c.id = e.cadre_id WHERE c.cadre_code = 'C2'"),
                     4);

    /* Rows of kinds whose handlers refuse them are row errors with the handler's field path. */
    Nhanluc__V1__ImportRow *bad[] = {
        row_enrol(7, "quan-a", "K9", "C1", ES_ENROLLED, 0, 0, -1),
        row_enrol(8, "quan-a", "K1", "C1", ES_ENROLLED, 0, 21, -1),
        row_enrol(9, "quan-a", "K1", "C9", ES_ENROLLED, 0, 1, -1),
        row_enrol(10, "quan-a", "K1", "C2", ES_ENROLLED, R_GOOD, 1, -1),
    };
    import(&g->a, "enrolments-bad", 0, 0, bad, 4, &r);
    expect_counts(&r, 0, 0, 0, 4);
    expect_row_error(&r, 0, 7, "row.class_ref");
    expect_row_error(&r, 1, 8, "row.enrolment.attended");
    expect_row_error(&r, 2, 9, "row.enrolment.cadre_code");
    expect_row_error(&r, 3, 10, "row.enrolment.result");
    sf_call_done(&r);
}

/*
 * reports.csv rows set a report as it stands, so an export of APPROVED and
 * RETURNED reports imports into a database that has none; states that no
 * transition could produce are refused with the field named.
 */
static void test_report_rows(void **state)
{
    struct sf_result r;

    (void)state;
    world_units(&g->a);
    Nhanluc__V1__ImportRow *ok[] = {
        row_report(2, "quan-a", 2019, 4, "2020-01-15", "2020-02-01", ""),
        row_report(3, "xa-1", 2019, 3, "2020-01-20", "", "Thiếu số liệu\nlớp K2"),
        row_report(4, "quan-a", 2020, 2, "2021-01-10T08:00:00Z", "", ""),
    };
    import_expect(&g->a, "reports-1", ok, 3, 3, 0, 0);
    assert_int_equal(query_num(&g->a, "SELECT status FROM report WHERE year = 2019 AND unit_id ="
                                      " (SELECT id FROM unit WHERE code = 'quan-a')"),
                     4);
    /* The same rows again: unchanged. */
    Nhanluc__V1__ImportRow *again[] = {
        row_report(2, "quan-a", 2019, 4, "2020-01-15", "2020-02-01", ""),
    };
    import_expect(&g->a, "reports-2", again, 1, 0, 0, 1);

    Nhanluc__V1__ImportRow *bad[] = {
        row_report(5, "quan-a", 2021, 4, "2022-01-10", "", ""),
        row_report(6, "quan-a", 2022, 3, "2023-01-10", "", ""),
        row_report(7, "quan-a", 2023, 2, "", "", ""),
        row_report(8, "quan-a", 2024, 2, "2025-01-10", "2025-01-11", ""),
    };
    import(&g->a, "reports-bad", 0, 0, bad, 4, &r);
    expect_counts(&r, 0, 0, 0, 4);
    expect_row_error(&r, 0, 5, "report.approved_at");
    expect_row_error(&r, 1, 6, "report.return_reason");
    expect_row_error(&r, 2, 7, "report.submitted_at");
    expect_row_error(&r, 3, 8, "report.approved_at");
    sf_call_done(&r);
}

/*
 * A rerun of an import into a year an approved report locks: rows that
 * change nothing pass as unchanged, a row that would change is refused.
 */
static void test_locked_year_rows(void **state)
{
    struct sf_result r;

    (void)state;
    world_units(&g->a);
    world_rest(&g->a);
    Nhanluc__V1__ImportRow *approved[] = {
        row_report(2, "quan-a", 2019, 4, "2020-01-15", "2020-02-01", ""),
    };
    import_expect(&g->a, "reports-1", approved, 1, 1, 0, 0);
    /* One batch holds one kind of row: classes, then enrolments. */
    Nhanluc__V1__ImportRow *classes[] = {
        row_class(2, "K1", "quan-a", "Bồi dưỡng\r\nnguồn cấp ủy", "2019-03-01", "2019-05-31", 20,
                  "2020-2025"),
    };
    import_expect(&g->a, "classes-2", classes, 1, 0, 0, 1);
    Nhanluc__V1__ImportRow *enrols[] = {
        row_enrol(2, "quan-a", "K1", "C1", ES_COMPLETED, R_GOOD, 18, 8.5),
    };
    import_expect(&g->a, "enrolments-2", enrols, 1, 0, 0, 1);
    Nhanluc__V1__ImportRow *changed[] = {
        row_enrol(3, "quan-a", "K1", "C2", ES_ENROLLED, 0, 4, -1),
    };
    import(&g->a, "changed", 0, 0, changed, 1, &r);
    expect_counts(&r, 0, 0, 0, 1);
    assert_int_equal(iresp(&r)->errors[0]->line, 3);
    assert_string_equal(iresp(&r)->errors[0]->reason,
                        "class is locked: the unit's report for 2019 is approved");
    sf_call_done(&r);
    assert_int_equal(query_num(&g->a, "SELECT SUM(attended) FROM enrolment"), 18 + 3 + 9);
}

static void test_upsert_enrolment(void **state)
{
    Nhanluc__V1__UpsertEnrolmentRequest req = NHANLUC__V1__UPSERT_ENROLMENT_REQUEST__INIT;
    const Nhanluc__V1__UpsertEnrolmentResponse *x;
    struct sf_result r;

    (void)state;
    world_units(&g->a);
    world_rest(&g->a);
    req.row = row_enrol(0, "xa-1", "K2", "C2", ES_COMPLETED, R_GOOD, 9, 7.25)->enrolment;
    sf_call(&g->a, UPSERT_ENROL, &req.base, &r);
    assert_int_equal(r.status, NL_OK);
    x = (const Nhanluc__V1__UpsertEnrolmentResponse *)r.resp;
    assert_int_equal(x->outcome, OUT_CREATED);
    assert_string_equal(x->row->class_ref, "K2");
    assert_string_equal(x->row->enrolment->cadre_code, "C2");
    assert_non_null(x->row->enrolment->thesis_score);
    sf_call_done(&r);
    sf_call(&g->a, UPSERT_ENROL, &req.base, &r);
    assert_int_equal(((const Nhanluc__V1__UpsertEnrolmentResponse *)r.resp)->outcome,
                     OUT_UNCHANGED);
    sf_call_done(&r);
    req.row->enrolment->attended = 8;
    sf_call(&g->a, UPSERT_ENROL, &req.base, &r);
    assert_int_equal(((const Nhanluc__V1__UpsertEnrolmentResponse *)r.resp)->outcome, OUT_UPDATED);
    sf_call_done(&r);

    req.row->enrolment->attended = 11;
    sf_call(&g->a, UPSERT_ENROL, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "row.enrolment.attended: ");
    req.row->enrolment->attended = 1;
    req.row->class_ref = S("K 2");
    sf_call(&g->a, UPSERT_ENROL, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "row.class_ref: ");
    req.row->class_ref = S("K2");
    req.row->organiser_unit = S("xa-2");
    sf_call(&g->a, UPSERT_ENROL, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "row.class_ref: no such class");
    req.row = NULL;
    sf_call(&g->a, UPSERT_ENROL, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "row: required");
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM enrolment"), 4);
}

/* Cadre code number i of the big class ("B0000".."B9999"), in the fixture's arena. */
static char *big_code(size_t i)
{
    char code[16];

    (void)snprintf(code, sizeof(code), "B%04zu", i);
    return S(code);
}

/*
 * A class of many trainees imported in two batches, the way `nhanluc import`
 * cuts enrolments.csv (issue 3's audit: each row used to read the whole
 * class): every row created; the same rows in new batches (new batch ids, so
 * no stored answer) all unchanged, writing nothing; one changed row updated
 * alone. The class's row count (schema 12, the size cap's figure) follows,
 * and once the class is full one more trainee is refused alone, named as the
 * row's field, and leaves the class as it was.
 */
static void test_big_class_two_batches(void **state)
{
    enum { N = 2000, HALF = 1200 };
    Nhanluc__V1__ImportRow **cadres = nl_arena_alloc(&g->arena, (N + 1) * sizeof(*cadres));
    Nhanluc__V1__ImportRow **rows = nl_arena_alloc(&g->arena, (N + 1) * sizeof(*rows));
    Nhanluc__V1__ImportRow *cls[] = {
        row_class(2, "BIG", "quan-a", "Lớp đông", "2021-03-01", "2021-05-31", 20, ""),
    };
    const char *count_sql = "SELECT COUNT(*) FROM enrolment AS e JOIN class AS c"
                            " ON c.id = e.class_id WHERE c.class_ref = 'BIG'";
    const char *n_rows_sql = "SELECT n_rows FROM class WHERE class_ref = 'BIG'";
    struct sf_result r;
    long attended;

    (void)state;
    assert_non_null(cadres);
    assert_non_null(rows);
    world_units(&g->a);
    import_expect(&g->a, "big-class", cls, 1, 1, 0, 0);
    for (size_t i = 0; i <= N; i++) {
        cadres[i] = row_cadre((uint32_t)i + 2, big_code(i), 1970 + (int)(i % 30), NULL, "", 0);
        rows[i] = row_enrol((uint32_t)i + 2, "quan-a", "BIG", big_code(i),
                            i % 7 == 0 ? ES_ENROLLED : ES_COMPLETED, i % 7 == 0 ? 0 : R_GOOD,
                            10 + (int)(i % 9), i % 2 ? 7.5 : -1);
    }
    import_expect(&g->a, "big-cadres", cadres, N + 1, N + 1, 0, 0);

    /* Two batches: every row new. */
    import_expect(&g->a, "big-1", rows, HALF, HALF, 0, 0);
    import_expect(&g->a, "big-2", rows + HALF, N - HALF, N - HALF, 0, 0);
    assert_int_equal(query_num(&g->a, count_sql), N);
    assert_int_equal(query_num(&g->a, n_rows_sql), N);
    assert_int_equal(query_num(&g->a, "SELECT COUNT(*) FROM enrolment WHERE thesis_score = 7.5"),
                     N / 2);

    /* The same rows again in new batches: all unchanged, nothing written. */
    long sums = query_num(&g->a, "SELECT SUM(attended) + COUNT(*) FROM enrolment");
    import_expect(&g->a, "big-1-again", rows, HALF, 0, 0, HALF);
    import_expect(&g->a, "big-2-again", rows + HALF, N - HALF, 0, 0, N - HALF);
    assert_int_equal(query_num(&g->a, "SELECT SUM(attended) + COUNT(*) FROM enrolment"), sums);
    assert_int_equal(query_num(&g->a, n_rows_sql), N);

    /* One changed row in the second batch: that row updated, the others unchanged. */
    attended = rows[HALF + 10]->enrolment->enrolment->attended;
    rows[HALF + 10]->enrolment->enrolment->attended = (int32_t)attended + 1;
    import_expect(&g->a, "big-2-changed", rows + HALF, N - HALF, 0, 1, N - HALF - 1);
    assert_int_equal(query_num(&g->a, "SELECT SUM(attended) + COUNT(*) FROM enrolment"), sums + 1);
    assert_int_equal(query_num(&g->a, "SELECT e.attended FROM enrolment AS e"
                                      " JOIN cadre AS c ON c.id = e.cadre_id"
                                      " WHERE c.cadre_code = 'B1210'"),
                     attended + 1);
    assert_int_equal(query_num(&g->a, n_rows_sql), N);

    /* Filled up to the cap by other means, one more trainee is refused alone. */
    sf_sql(g->a.rw, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                    " SELECT i + 1 FROM n WHERE i < 3000)"
                    " INSERT INTO cadre(cadre_code, sex, birth_year)"
                    " SELECT 'F' || i, 1, 1980 FROM n;"
                    "INSERT INTO enrolment(class_id, cadre_id, status)"
                    " SELECT (SELECT id FROM class WHERE class_ref = 'BIG'), id, 1"
                    " FROM cadre WHERE cadre_code LIKE 'F%';");
    assert_int_equal(query_num(&g->a, n_rows_sql), 5000);
    import(&g->a, "big-over", 0, 1, rows + N, 1, &r);
    expect_counts(&r, 0, 0, 0, 1);
    assert_int_equal(iresp(&r)->errors[0]->line, N + 2);
    assert_string_equal(iresp(&r)->errors[0]->field, "row.enrolment");
    assert_string_equal(iresp(&r)->errors[0]->reason, "a class holds at most 5000 enrolments");
    sf_call_done(&r);
    assert_int_equal(query_num(&g->a, count_sql), 5000);
    assert_int_equal(query_num(&g->a, n_rows_sql), 5000);
    /* ... while a trainee it holds may still change. */
    rows[1]->enrolment->enrolment->attended++;
    import_expect(&g->a, "big-full-change", rows, 3, 0, 1, 2);
}

/* --- tests: Export --- */

static void test_export_paging(void **state)
{
    struct dump all, paged;
    struct sf_result r;
    Nhanluc__V1__ExportRequest req = NHANLUC__V1__EXPORT_REQUEST__INIT;

    (void)state;
    world_units(&g->a);
    world_rest(&g->a);

    /* Pages of 2 give the same rows in the same order as one page. */
    dump_kind(&g->a, EXP_UNITS, 0, "", 0, &all);
    assert_int_equal(all.n, 6);
    assert_int_equal(all.npages, 1);
    dump_kind(&g->a, EXP_UNITS, 0, "", 2, &paged);
    assert_int_equal(paged.npages, 3);
    expect_same_dump(&all, &paged);
    /* Parents before children: every parent has a version listed earlier. */
    for (size_t i = 0; i < all.n; i++) {
        const Nhanluc__V1__Unit *u = all.rows[i]->unit;
        int seen = u->parent[0] == '\0';

        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(all.rows[j]->unit->code, u->parent) == 0;
        assert_true(seen);
    }
    /* Every version, with its dates: quan-a twice, xa-1 closed by the merge. */
    assert_string_equal(all.rows[0]->unit->code, "thu-do");
    assert_string_equal(all.rows[0]->unit->valid_from, "");
    assert_string_equal(all.rows[5]->unit->code, "xa-moi");
    for (size_t i = 0; i < all.n; i++) {
        if (strcmp(all.rows[i]->unit->code, "xa-1") == 0)
            assert_string_equal(all.rows[i]->unit->valid_to, "2025-06-30");
    }
    dump_free(&all);
    dump_free(&paged);

    /* Cadres: one row per profile version, and C3 without one; pages of 1. */
    dump_kind(&g->a, EXP_CADRES, 0, "", 1, &paged);
    assert_int_equal(paged.n, 4);
    assert_string_equal(paged.rows[0]->cadre->cadre->cadre_code, "C1");
    assert_string_equal(paged.rows[0]->cadre->profile->as_of, "2019-01-01");
    assert_string_equal(paged.rows[0]->cadre->profile->valid_to, "2023-12-31");
    assert_string_equal(paged.rows[1]->cadre->profile->as_of, "2024-01-01");
    assert_null(paged.rows[3]->cadre->profile);
    dump_free(&paged);

    /* Filters: year, and a unit's subtree in today's tree. */
    dump_kind(&g->a, EXP_CLASSES, 2019, "", 0, &paged);
    assert_int_equal(paged.n, 1);
    assert_string_equal(paged.rows[0]->training_class->class_ref, "K1");
    dump_free(&paged);
    dump_kind(&g->a, EXP_ENROL, 2024, "", 0, &paged);
    assert_int_equal(paged.n, 1);
    assert_string_equal(paged.rows[0]->enrolment->class_ref, "K2");
    dump_free(&paged);
    dump_kind(&g->a, EXP_UNITS, 0, "xa-moi", 0, &paged);
    assert_int_equal(paged.n, 1);
    dump_free(&paged);
    dump_kind(&g->a, EXP_EVENTS, 0, "xa-moi", 0, &paged);
    assert_int_equal(paged.n, 1);
    dump_free(&paged);

    /* Every kind's query runs, with both filters where they apply. */
    for (int k = EXP_UNITS; k <= EXP_TI; k++) {
        int year = k == EXP_CLASSES || k == EXP_ENROL ||
                           k == NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_REVIEWS ||
                           k == NHANLUC__V1__EXPORT_KIND__EXPORT_KIND_REPORTS
                       ? 2019
                       : 0;

        dump_kind(&g->a, k, 0, "", 0, &paged);
        dump_free(&paged);
        dump_kind(&g->a, k, year, k == EXP_TERMS ? "" : "quan-a", 0, &paged);
        dump_free(&paged);
    }

    /* Refusals. */
    req.kind = (Nhanluc__V1__ExportKind)EXP_UNITS;
    req.year = 2019;
    sf_call(&g->a, EXPORT, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "year: ");
    req.year = 0;
    req.page_size = 5001;
    sf_call(&g->a, EXPORT, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_size: ");
    req.page_size = 0;
    req.unit = S("khong-co");
    sf_call(&g->a, EXPORT, &req.base, &r);
    sf_expect_error(&r, NL_NOT_FOUND, "unit not found");
    req.unit = S("");
    req.page_token = S("bm90IGEgdG9rZW4=");
    sf_call(&g->a, EXPORT, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    req.kind = 0;
    req.page_token = S("");
    sf_call(&g->a, EXPORT, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "kind: required");

    /* A token of one kind is refused by another. */
    dump_kind(&g->a, EXP_UNITS, 0, "", 2, &paged);
    req.kind = (Nhanluc__V1__ExportKind)EXP_CADRES;
    req.page_token = ((Nhanluc__V1__ExportResponse *)paged.pages[0].resp)->next_page_token;
    sf_call(&g->a, EXPORT, &req.base, &r);
    sf_expect_error(&r, NL_INVALID_ARGUMENT, "page_token: invalid");
    dump_free(&paged);
}

/* The kinds of the round trip, in the order they import. */
static const int trip_kinds[] = {EXP_UNITS,   EXP_TERMS, EXP_EVENTS, EXP_CADRES,
                                 EXP_CLASSES, EXP_ENROL, EXP_TI};
#define NTRIP (sizeof(trip_kinds) / sizeof(trip_kinds[0]))

static void test_round_trip(void **state)
{
    struct dump a[NTRIP], b[NTRIP];
    Nhanluc__V1__ImportRow *ti[] = {row_ti(2, "2020-2025", "quan-a", "2020-09-01", "2025-08-31")};
    char id[32];

    (void)state;
    world_units(&g->a);
    world_rest(&g->a);
    import_expect(&g->a, "ti-1", ti, 1, 1, 0, 0);

    /* Export everything from a (small pages), import it into the empty b in order. */
    for (size_t k = 0; k < NTRIP; k++) {
        struct sf_result r;

        dump_kind(&g->a, trip_kinds[k], 0, "", 2, &a[k]);
        assert_true(a[k].n > 0);
        (void)snprintf(id, sizeof(id), "trip-%d", trip_kinds[k]);
        import(&g->b, id, 0, 0, a[k].rows, a[k].n, &r);
        /* Every row is new to b, except units' versions of a code already made... */
        expect_counts(&r, (int)a[k].n, 0, 0, 0);
        sf_call_done(&r);
    }
    /* ...and b exports exactly what a did. */
    for (size_t k = 0; k < NTRIP; k++) {
        dump_kind(&g->b, trip_kinds[k], 0, "", 0, &b[k]);
        expect_same_dump(&a[k], &b[k]);
    }
    /* Importing the export into the same database changes nothing. */
    for (size_t k = 0; k < NTRIP; k++) {
        struct sf_result r;

        (void)snprintf(id, sizeof(id), "again-%d", trip_kinds[k]);
        import(&g->a, id, 0, 0, a[k].rows, a[k].n, &r);
        expect_counts(&r, 0, 0, (int)a[k].n, 0);
        sf_call_done(&r);
    }
    for (size_t k = 0; k < NTRIP; k++) {
        struct dump again;

        dump_kind(&g->a, trip_kinds[k], 0, "", 0, &again);
        expect_same_dump(&a[k], &again);
        dump_free(&again);
        dump_free(&a[k]);
        dump_free(&b[k]);
    }
    assert_int_equal(query_num(&g->b, "SELECT COUNT(*) FROM unit_version"), 6);
    assert_int_equal(query_num(&g->b, "SELECT COUNT(*) FROM cadre_profile"), 3);
    assert_int_equal(query_num(&g->b, "SELECT COUNT(*) FROM enrolment WHERE thesis_score = 8.5"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_replay_by_batch_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_id_reused_with_other_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_bad_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outcomes_per_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_year_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert_enrolment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_class_two_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
