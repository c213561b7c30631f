/*
 * test_csvrows.c - unit tests of client/csvrows.c, the columns of the CSV
 * files of DOMAIN.md section 8 and their ImportRow fields: kind names, the
 * kind of a header (every kind, any order and case, the required-only
 * header, an unknown or incomplete header, no two kinds ever fitting one
 * header), the header check under --kind, each kind of cell (Vietnamese
 * labels per column, both date forms, booleans, whole numbers, scores with a
 * decimal comma, timestamps, ';' lists, terms' years from the code, cadres
 * without a profile) with its error path naming the column and never the
 * value, rows read from a real file (BOM, CRLF, physical lines), server
 * field paths mapped back to columns, and for every kind a fully filled
 * ImportRow written as CSV (cells and a real file with quoting) and read
 * back into the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvrows.h"

static char tmpdir[256];
static char path[512];
static char err[1024];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/nl_csvrows_XXXXXX", base != NULL ? base : "/tmp");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

static const char *write_file(const char *name, const char *data, size_t len)
{
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* The header names of kind k, in order. */
static size_t header_of(enum nl_csvkind k, const char **names, int required_only)
{
    size_t n = 0;
    for (size_t i = 0; i < nl_csvkind_ncols(k); i++)
        if (!required_only || nl_csvkind_col_required(k, i))
            names[n++] = nl_csvkind_col(k, i);
    return n;
}

/* --- kinds and headers ----------------------------------------------------------------- */

static void test_kind_names(void **state)
{
    (void)state;
    enum nl_csvkind k;
    for (int i = 0; i < NL_CSVKIND_COUNT; i++) {
        assert_int_equal(nl_csvkind_parse(nl_csvkind_name((enum nl_csvkind)i), &k), 0);
        assert_int_equal(k, i);
        assert_int_equal((int)nl_csvkind_export_kind(k), i + 1);
        assert_true(nl_csvkind_ncols(k) <= NL_CSVROWS_MAX_COLS);
    }
    assert_int_equal(nl_csvkind_parse("Unit-Events.CSV", &k), 0);
    assert_int_equal(k, NL_CSVKIND_UNIT_EVENTS);
    assert_int_equal(nl_csvkind_parse("enrolments.csv", &k), 0);
    assert_int_equal(k, NL_CSVKIND_ENROLMENTS);
    assert_int_equal(nl_csvkind_parse("Targets.csv", &k), 0);
    assert_int_equal(k, NL_CSVKIND_TARGETS);
    assert_int_equal(nl_csvkind_parse("target", &k), -1);
    assert_int_equal(nl_csvkind_parse(".csv", &k), -1);
    assert_int_equal(nl_csvkind_parse("", &k), -1);
    /* DOMAIN.md 8's column order. */
    assert_string_equal(nl_csvkind_col(NL_CSVKIND_CADRES, 0), "cadre_code");
    assert_string_equal(nl_csvkind_col(NL_CSVKIND_CADRES, 12), "as_of");
    assert_null(nl_csvkind_col(NL_CSVKIND_CADRES, 13));
    assert_string_equal(nl_csvkind_col(NL_CSVKIND_ENROLMENTS, 8), "thesis_score");
}

static void test_detect_every_kind(void **state)
{
    (void)state;
    const char *names[NL_CSVROWS_MAX_COLS], *rev[NL_CSVROWS_MAX_COLS];
    char upper[NL_CSVROWS_MAX_COLS][40];
    enum nl_csvkind k;

    for (int i = 0; i < NL_CSVKIND_COUNT; i++) {
        size_t n = header_of((enum nl_csvkind)i, names, 0);
        assert_int_equal(nl_csvkind_detect(names, n, &k, err, sizeof(err)), 0);
        assert_int_equal(k, i);
        /* Any order, any case, blanks around. */
        for (size_t c = 0; c < n; c++) {
            snprintf(upper[c], sizeof(upper[c]), " %s ", names[n - 1 - c]);
            for (char *p = upper[c]; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                    *p = (char)(*p - 'a' + 'A');
            rev[c] = upper[c];
        }
        assert_int_equal(nl_csvkind_detect(rev, n, &k, err, sizeof(err)), 0);
        assert_int_equal(k, i);
        /* Only the required columns. */
        n = header_of((enum nl_csvkind)i, names, 1);
        assert_int_equal(nl_csvkind_detect(names, n, &k, err, sizeof(err)), 0);
        assert_int_equal(k, i);
    }
}

/* A header fits kind A when req(A) <= header <= cols(A): no header may fit two kinds. */
static void test_no_header_fits_two_kinds(void **state)
{
    (void)state;
    for (int a = 0; a < NL_CSVKIND_COUNT; a++) {
        for (int b = a + 1; b < NL_CSVKIND_COUNT; b++) {
            const char *names[2 * NL_CSVROWS_MAX_COLS];
            size_t n = header_of((enum nl_csvkind)a, names, 1);
            n += header_of((enum nl_csvkind)b, names + n, 1);
            /* The union of both required sets, duplicates dropped. */
            size_t u = 0;
            for (size_t i = 0; i < n; i++) {
                size_t j = 0;
                while (j < u && strcmp(names[j], names[i]) != 0)
                    j++;
                if (j == u)
                    names[u++] = names[i];
            }
            enum nl_csvkind k;
            err[0] = '\0';
            if (nl_csvkind_detect(names, u, &k, err, sizeof(err)) != 0)
                assert_null(strstr(err, "more than one"));
        }
    }
}

static void test_detect_errors(void **state)
{
    (void)state;
    enum nl_csvkind k;
    const char *odd[] = {"ma_can_bo", "ho_ten", "gioi_tinh"};
    assert_int_equal(nl_csvkind_detect(odd, 3, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "ma_can_bo, ho_ten, gioi_tinh"));
    assert_non_null(strstr(err, "match no file kind"));

    /* cadres.csv without birth_year: named. */
    const char *cad[] = {"cadre_code", "full_name", "sex", "unit", "as_of"};
    assert_int_equal(nl_csvkind_detect(cad, 5, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cadres.csv"));
    assert_non_null(strstr(err, "\"birth_year\""));

    /* A known column set plus a stray column fits nothing. */
    const char *extra[] = {"code", "name", "kind", "parent", "ghi_chu"};
    assert_int_equal(nl_csvkind_detect(extra, 5, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "ghi_chu"));

    /* Under --kind: the column that is not the kind's, or the one missing. */
    assert_int_equal(nl_csvkind_check(extra, 5, NL_CSVKIND_UNITS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown column \"ghi_chu\""));
    assert_non_null(strstr(err, "valid_from"));
    const char *units[] = {"code", "kind"};
    assert_int_equal(nl_csvkind_check(units, 2, NL_CSVKIND_UNITS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "missing column \"name\""));
    assert_int_equal(nl_csvkind_check(units, 2, NL_CSVKIND_TERMS, err, sizeof(err)), 0);
}

/* --- cells ---------------------------------------------------------------------------- */

static struct nl_arena arena;

/* Parses a row of kind k from `cells` (NULL-padded to the kind's width). */
static int parse(enum nl_csvkind k, const char *const *cells, Nhanluc__V1__ImportRow **r)
{
    err[0] = '\0';
    return nl_csvrow_parse(k, cells, 7, &arena, r, err, sizeof(err));
}

static void test_cadre_labels(void **state)
{
    (void)state;
    Nhanluc__V1__ImportRow *r;
    nl_arena_init(&arena, 0);
    const char *cells[] = {
        "C001",      "Nguyễn Thị An",     "Nữ",      "1975",    "tay-ho",  "Bí thư",  "có",
        "cấp huyện", "DISTRICT_STANDING", "Thạc sĩ", "Cao cấp", "Cao cấp", "1/7/2025"};
    assert_int_equal(parse(NL_CSVKIND_CADRES, cells, &r), 0);
    assert_int_equal(r->line, 7);
    assert_int_equal(r->record_case, NHANLUC__V1__IMPORT_ROW__RECORD_CADRE);
    const Nhanluc__V1__Cadre *c = r->cadre->cadre;
    const Nhanluc__V1__CadreProfile *p = r->cadre->profile;
    assert_string_equal(c->cadre_code, "C001");
    assert_string_equal(c->full_name, "Nguyễn Thị An");
    assert_int_equal(c->sex, NHANLUC__V1__SEX__SEX_FEMALE);
    assert_int_equal(c->birth_year, 1975);
    assert_non_null(p);
    assert_string_equal(p->unit, "tay-ho");
    assert_string_equal(p->position_title, "Bí thư");
    assert_true(p->key_cadre);
    assert_int_equal(p->level, NHANLUC__V1__LEVEL__LEVEL_DISTRICT);
    assert_int_equal(p->mgmt_category, NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_DISTRICT_STANDING);
    assert_int_equal(p->education, NHANLUC__V1__EDUCATION__EDUCATION_MASTER);
    /* The same label, two columns, two values. */
    assert_int_equal(p->political_theory, NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_ADVANCED);
    assert_int_equal(p->state_mgmt, NHANLUC__V1__STATE_MGMT__STATE_MGMT_SENIOR);
    assert_string_equal(p->as_of, "2025-07-01");

    /* Booleans: x, empty. */
    const char *b3[] = {"C2", "", "male", "1980", "u", "", "x", "", "", "", "", "", "2020-01-01"};
    assert_int_equal(parse(NL_CSVKIND_CADRES, b3, &r), 0);
    assert_true(r->cadre->profile->key_cadre);
    assert_int_equal(r->cadre->cadre->sex, NHANLUC__V1__SEX__SEX_MALE);
    const char *b4[] = {"C2", "", "Nam", "1980", "u", "", "", "", "", "", "", "", "2020-01-01"};
    assert_int_equal(parse(NL_CSVKIND_CADRES, b4, &r), 0);
    assert_false(r->cadre->profile->key_cadre);
    assert_int_equal(r->cadre->profile->education, 0);

    /* Without as_of and without profile cells: the cadre alone. */
    const char *np[] = {"C3", "",   "FEMALE", "1990", NULL, NULL, NULL,
                        NULL, NULL, NULL,     NULL,   NULL, NULL};
    assert_int_equal(parse(NL_CSVKIND_CADRES, np, &r), 0);
    assert_null(r->cadre->profile);
    /* A profile cell without as_of is refused, naming as_of. */
    const char *na[] = {"C3", "", "FEMALE", "1990", "tay-ho", "", "", "", "", "", "", "", ""};
    assert_int_equal(parse(NL_CSVKIND_CADRES, na, &r), -1);
    assert_non_null(strstr(err, "column as_of"));
    assert_non_null(strstr(err, "unit"));
    nl_arena_release(&arena);
}

/* Every bad cell names its column and a reason, never the value. */
static void test_cell_errors(void **state)
{
    (void)state;
    static const struct {
        int col;
        const char *bad, *reason;
    } cases[] = {
        {2, "Zebra42", "unknown value (expected one of: MALE, FEMALE)"},
        {3, "19x0", "expected a whole number"},
        {3, "99999999999", "number out of range"},
        {3, "1980.5", "expected a whole number"},
        {6, "Zebra42", "expected a yes/no value"},
        {7, "Zebra42", "unknown value"},
        {9, "Zebra42", "unknown value"},
        {12, "31/02/2024", "expected a date YYYY-MM-DD or DD/MM/YYYY"},
        {12, "2024-13-01", "expected a date"},
        {12, "Zebra42", "expected a date"},
    };
    Nhanluc__V1__ImportRow *r;
    char want[64];

    nl_arena_init(&arena, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *cells[] = {"C1", "", "FEMALE", "1980", "u", "",          "",
                               "",   "", "",       "",     "",  "2020-01-01"};
        cells[cases[i].col] = cases[i].bad;
        assert_int_equal(parse(NL_CSVKIND_CADRES, cells, &r), -1);
        snprintf(want, sizeof(want),
                 "column %s: ", nl_csvkind_col(NL_CSVKIND_CADRES, (size_t)cases[i].col));
        assert_ptr_equal(strstr(err, want), err);
        assert_non_null(strstr(err, cases[i].reason));
        assert_null(strstr(err, cases[i].bad));
    }
    nl_arena_release(&arena);
}

static void test_other_cells(void **state)
{
    (void)state;
    Nhanluc__V1__ImportRow *r;
    nl_arena_init(&arena, 0);

    /* unit_events: sources and targets split on ';', blanks and empty pieces dropped. */
    const char *ev[] = {"Sáp nhập", "30/06/2025", " phuong-a ; phuong-b;;phuong-c ", "",
                        "Nghị quyết 1656/NQ-UBTVQH15\nngày 16/6/2025"};
    assert_int_equal(parse(NL_CSVKIND_UNIT_EVENTS, ev, &r), 0);
    const Nhanluc__V1__UnitEvent *e = r->unit_event;
    assert_int_equal(e->kind, NHANLUC__V1__UNIT_EVENT_KIND__MERGE);
    assert_string_equal(e->effective_date, "2025-06-30");
    assert_int_equal(e->n_sources, 3);
    assert_string_equal(e->sources[0], "phuong-a");
    assert_string_equal(e->sources[1], "phuong-b");
    assert_string_equal(e->sources[2], "phuong-c");
    assert_int_equal(e->n_targets, 0);
    assert_non_null(strchr(e->legal_basis, '\n'));

    /* terms: years from a YYYY-YYYY code when the row has none. */
    const char *t1[] = {"2020-2025", "PARTY_CONGRESS", "", ""};
    assert_int_equal(parse(NL_CSVKIND_TERMS, t1, &r), 0);
    assert_int_equal(r->term->start_year, 2020);
    assert_int_equal(r->term->end_year, 2025);
    assert_int_equal(r->term->kind, NHANLUC__V1__TERM_KIND__PARTY_CONGRESS);
    const char *t2[] = {"2021-2026", "HĐND", "2021", "2026"};
    assert_int_equal(parse(NL_CSVKIND_TERMS, t2, &r), 0);
    assert_int_equal(r->term->kind, NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL);

    /* enrolments: scores with '.' or ',', empty = no thesis; counts; labels of result. */
    const char *en[] = {"HBT/01", "hai-ba-trung", "C1",  "COMPLETED", "Giỏi", "9", "1",
                        "",       "8,5",          "CC-1"};
    assert_int_equal(parse(NL_CSVKIND_ENROLMENTS, en, &r), 0);
    const Nhanluc__V1__EnrolmentRow *er = r->enrolment;
    assert_string_equal(er->class_ref, "HBT/01");
    assert_string_equal(er->organiser_unit, "hai-ba-trung");
    assert_int_equal(er->enrolment->status,
                     NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED);
    assert_int_equal(er->enrolment->result, NHANLUC__V1__RESULT__RESULT_VERY_GOOD);
    assert_int_equal(er->enrolment->attended, 9);
    assert_int_equal(er->enrolment->absent_excused, 1);
    assert_int_equal(er->enrolment->absent_unexcused, 0);
    assert_non_null(er->enrolment->thesis_score);
    assert_true(er->enrolment->thesis_score->value == 8.5);
    en[8] = "";
    assert_int_equal(parse(NL_CSVKIND_ENROLMENTS, en, &r), 0);
    assert_null(r->enrolment->enrolment->thesis_score);
    en[8] = "8.5.1";
    assert_int_equal(parse(NL_CSVKIND_ENROLMENTS, en, &r), -1);
    assert_non_null(strstr(err, "column thesis_score: expected a number"));
    en[8] = "7";
    en[4] = "Zebra42";
    assert_int_equal(parse(NL_CSVKIND_ENROLMENTS, en, &r), -1);
    assert_non_null(strstr(err, "column result: unknown value"));
    assert_null(strstr(err, "Zebra42"));

    /* reports: a date in either form, or a timestamp passed through; anything else refused. */
    const char *rp[] = {"tay-ho", "2024", "Đã duyệt", "15/01/2025", "2025-02-01T09:30:00+07:00",
                        ""};
    assert_int_equal(parse(NL_CSVKIND_REPORTS, rp, &r), 0);
    assert_string_equal(r->report->submitted_at, "2025-01-15");
    assert_string_equal(r->report->approved_at, "2025-02-01T09:30:00+07:00");
    assert_int_equal(r->report->status, NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_APPROVED);
    rp[3] = "soon";
    assert_int_equal(parse(NL_CSVKIND_REPORTS, rp, &r), -1);
    assert_non_null(strstr(err, "column submitted_at: expected a date"));

    /* committee / planning / reviews: the enum of each column. */
    const char *cm[] = {"C1",         "tay-ho",     "2020-2025", "Ban Thường vụ",
                        "Phó Bí thư", "2020-10-01", ""};
    assert_int_equal(parse(NL_CSVKIND_COMMITTEE, cm, &r), 0);
    assert_int_equal(r->committee->body, NHANLUC__V1__BODY__BODY_STANDING_COMMITTEE);
    assert_int_equal(r->committee->role, NHANLUC__V1__BODY_ROLE__BODY_ROLE_DEPUTY_SECRETARY);
    const char *rv[] = {"C1", "2024", "HTTNV", "không", "KEEP", ""};
    assert_int_equal(parse(NL_CSVKIND_REVIEWS, rv, &r), 0);
    assert_int_equal(r->review->annual_rating, NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_GOOD);
    assert_false(r->review->meets_requirements);
    assert_int_equal(r->review->action, NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_KEEP);

    /* A column the file does not have reads as empty. */
    const char *un[] = {"tay-ho", "Quận Tây Hồ", "Quận", NULL, NULL, NULL};
    assert_int_equal(parse(NL_CSVKIND_UNITS, un, &r), 0);
    assert_int_equal(r->unit->kind, NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    assert_string_equal(r->unit->parent, "");
    assert_string_equal(r->unit->valid_from, "");
    nl_arena_release(&arena);
}

/* A cadres file as Excel writes it: BOM, CRLF, columns in another order, a multi-line cell. */
static void test_read_file(void **state)
{
    (void)state;
    static const char data[] = "\xef\xbb\xbf"
                               "Full_Name,cadre_code,sex,birth_year,as_of,unit,education\r\n"
                               "\"Trần Văn, Bình\",C1,Nam,1970,01/01/2020,tay-ho,Thạc sỹ\r\n"
                               "\"Lê\r\nThị Cúc\",C2,Nữ,1985,2020-01-01,tay-ho,UNIVERSITY\r\n"
                               "Phạm Dũng,C3,Nam,1980,2020-02-30,tay-ho,MASTER\r\n";
    struct nl_csvmap m;
    Nhanluc__V1__ImportRow *r;
    struct nl_csv *c =
        nl_csv_open(write_file("cadres.csv", data, sizeof(data) - 1), err, sizeof(err));

    assert_non_null(c);
    assert_int_equal(nl_csvmap_init(&m, c, -1, err, sizeof(err)), 0);
    assert_int_equal(m.kind, NL_CSVKIND_CADRES);
    nl_arena_init(&arena, 0);
    assert_int_equal(nl_csvrow_read(&m, c, 0, &arena, &r, err, sizeof(err)), 0);
    assert_int_equal(r->line, 2);
    assert_string_equal(r->cadre->cadre->full_name, "Trần Văn, Bình");
    assert_int_equal(r->cadre->profile->education, NHANLUC__V1__EDUCATION__EDUCATION_MASTER);
    assert_string_equal(r->cadre->profile->as_of, "2020-01-01");
    assert_int_equal(nl_csvrow_read(&m, c, 1, &arena, &r, err, sizeof(err)), 0);
    assert_int_equal(r->line, 3);
    assert_string_equal(r->cadre->cadre->full_name, "Lê\r\nThị Cúc");
    /* The third record starts on physical line 5 (the second spans lines 3-4). */
    assert_int_equal(nl_csvrow_read(&m, c, 2, &arena, &r, err, sizeof(err)), -1);
    char want[600];
    snprintf(want, sizeof(want), "%s:5: column as_of: expected a date", path);
    assert_ptr_equal(strstr(err, want), err);
    nl_arena_release(&arena);

    /* The same file under --kind units: its columns are not units'. */
    assert_int_equal(nl_csvmap_init(&m, c, NL_CSVKIND_UNITS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: unknown column"));
    nl_csv_free(c);

    /* An unknown header names its columns. */
    static const char odd[] = "ma,ten\r\nA,B\r\n";
    c = nl_csv_open(write_file("odd.csv", odd, sizeof(odd) - 1), err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(nl_csvmap_init(&m, c, -1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "odd.csv:1: the columns (ma, ten) match no file kind"));
    nl_csv_free(c);
    unlink(path);
    snprintf(path, sizeof(path), "%s/cadres.csv", tmpdir);
}

static void test_column_of_field(void **state)
{
    (void)state;
    assert_string_equal(nl_csvkind_column_of_field(NL_CSVKIND_ENROLMENTS, "enrolment.attended"),
                        "attended");
    assert_string_equal(
        nl_csvkind_column_of_field(NL_CSVKIND_ENROLMENTS, "enrolment.enrolment.thesis_score.value"),
        "thesis_score");
    assert_string_equal(nl_csvkind_column_of_field(NL_CSVKIND_CADRES, "cadre.profile.unit"),
                        "unit");
    assert_string_equal(nl_csvkind_column_of_field(NL_CSVKIND_UNIT_EVENTS, "unit_event.sources[2]"),
                        "sources");
    assert_string_equal(nl_csvkind_column_of_field(NL_CSVKIND_UNITS, "Code"), "code");
    assert_string_equal(nl_csvkind_column_of_field(NL_CSVKIND_TARGETS, "target.value"), "value");
    assert_null(nl_csvkind_column_of_field(NL_CSVKIND_CADRES, "cadre.profile"));
    assert_null(nl_csvkind_column_of_field(NL_CSVKIND_UNITS, ""));
    assert_null(nl_csvkind_column_of_field(NL_CSVKIND_UNITS, "unit"));
}

/* --- round trips ------------------------------------------------------------------------- */

static char *s(const char *x)
{
    return (char *)(uintptr_t)x;
}

static char src_a[] = "phuong-a", src_b[] = "phuong-b", tgt[] = "phuong-moi";
static char *srcs[] = {src_a, src_b};
static char *tgts[] = {tgt};

/* A fully filled row of kind k (every field non-default, text with commas, quotes, breaks). */
static void fill(enum nl_csvkind k, Nhanluc__V1__ImportRow *r, void *msgs)
{
    union {
        Nhanluc__V1__Unit unit;
        Nhanluc__V1__Term term;
        Nhanluc__V1__UnitEvent ev;
        struct {
            Nhanluc__V1__UpsertCadreRequest req;
            Nhanluc__V1__Cadre c;
            Nhanluc__V1__CadreProfile p;
        } cadre;
        Nhanluc__V1__TrainingClass cls;
        struct {
            Nhanluc__V1__EnrolmentRow row;
            Nhanluc__V1__Enrolment e;
            Nhanluc__V1__Score sc;
        } enr;
        Nhanluc__V1__CommitteeMembership cm;
        Nhanluc__V1__PlanningEntry pl;
        Nhanluc__V1__SeatQuota sq;
        Nhanluc__V1__Review rv;
        Nhanluc__V1__AnnualReport rp;
        Nhanluc__V1__TermInstance ti;
        Nhanluc__V1__Target tg;
    } *m = msgs;

    nhanluc__v1__import_row__init(r);
    r->line = 42;
    switch (k) {
    case NL_CSVKIND_UNITS:
        nhanluc__v1__unit__init(&m->unit);
        m->unit.code = s("tay-ho");
        m->unit.name = s("Quận \"Tây\" Hồ, Hà Nội");
        m->unit.kind = NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT;
        m->unit.parent = s("ha-noi");
        m->unit.valid_from = s("1995-10-28");
        m->unit.valid_to = s("2025-06-30");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_UNIT;
        r->unit = &m->unit;
        break;
    case NL_CSVKIND_TERMS:
        nhanluc__v1__term__init(&m->term);
        m->term.code = s("2021-2026");
        m->term.kind = NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL;
        m->term.start_year = 2021;
        m->term.end_year = 2026;
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TERM;
        r->term = &m->term;
        break;
    case NL_CSVKIND_UNIT_EVENTS:
        nhanluc__v1__unit_event__init(&m->ev);
        m->ev.kind = NHANLUC__V1__UNIT_EVENT_KIND__MERGE;
        m->ev.effective_date = s("2025-07-01");
        m->ev.n_sources = 2;
        m->ev.sources = srcs;
        m->ev.n_targets = 1;
        m->ev.targets = tgts;
        m->ev.legal_basis = s("NQ 1656/NQ-UBTVQH15,\r\nngày 16/6/2025");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_UNIT_EVENT;
        r->unit_event = &m->ev;
        break;
    case NL_CSVKIND_CADRES:
        nhanluc__v1__upsert_cadre_request__init(&m->cadre.req);
        nhanluc__v1__cadre__init(&m->cadre.c);
        nhanluc__v1__cadre_profile__init(&m->cadre.p);
        m->cadre.c.cadre_code = s("C-001");
        m->cadre.c.full_name = s("Nguyễn Thị \"An\"");
        m->cadre.c.sex = NHANLUC__V1__SEX__SEX_FEMALE;
        m->cadre.c.birth_year = 1975;
        m->cadre.p.unit = s("tay-ho");
        m->cadre.p.position_title = s("Phó Bí thư, Chủ tịch UBND");
        m->cadre.p.key_cadre = 1;
        m->cadre.p.level = NHANLUC__V1__LEVEL__LEVEL_DISTRICT;
        m->cadre.p.mgmt_category = NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_CITY_STANDING;
        m->cadre.p.education = NHANLUC__V1__EDUCATION__EDUCATION_DOCTOR;
        m->cadre.p.political_theory = NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_BACHELOR;
        m->cadre.p.state_mgmt = NHANLUC__V1__STATE_MGMT__STATE_MGMT_PRINCIPAL;
        m->cadre.p.as_of = s("2020-10-15");
        m->cadre.req.cadre = &m->cadre.c;
        m->cadre.req.profile = &m->cadre.p;
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_CADRE;
        r->cadre = &m->cadre.req;
        break;
    case NL_CSVKIND_CLASSES:
        nhanluc__v1__training_class__init(&m->cls);
        m->cls.class_ref = s("HBT-2019/QH-BCH-01");
        m->cls.organiser_unit = s("hai-ba-trung");
        m->cls.title = s("Lớp bồi dưỡng \"nguồn\" BCH,\nkhóa 1");
        m->cls.kind = NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_UPGRADE;
        m->cls.area = NHANLUC__V1__AREA__AREA_LEADERSHIP;
        m->cls.target_group = s("PLANNING_COMMITTEE");
        m->cls.planning_term = s("2020-2025");
        m->cls.mode = NHANLUC__V1__CLASS_MODE__CLASS_MODE_PART_TIME;
        m->cls.start_date = s("2019-03-04");
        m->cls.end_date = s("2019-04-26");
        m->cls.sessions = 10;
        m->cls.planned_trainees = 80;
        m->cls.status = NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_ENDED;
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TRAINING_CLASS;
        r->training_class = &m->cls;
        break;
    case NL_CSVKIND_ENROLMENTS:
        nhanluc__v1__enrolment_row__init(&m->enr.row);
        nhanluc__v1__enrolment__init(&m->enr.e);
        nhanluc__v1__score__init(&m->enr.sc);
        m->enr.row.class_ref = s("HBT-2019/QH-BCH-01");
        m->enr.row.organiser_unit = s("hai-ba-trung");
        m->enr.e.cadre_code = s("C-001");
        m->enr.e.status = NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_FAILED;
        m->enr.e.result = NHANLUC__V1__RESULT__RESULT_FAIL;
        m->enr.e.attended = 6;
        m->enr.e.absent_excused = 1;
        m->enr.e.absent_unexcused = 3;
        m->enr.sc.value = 4.75;
        m->enr.e.thesis_score = &m->enr.sc;
        m->enr.e.certificate_no = s("CC/2019-01");
        m->enr.row.enrolment = &m->enr.e;
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_ENROLMENT;
        r->enrolment = &m->enr.row;
        break;
    case NL_CSVKIND_COMMITTEE:
        nhanluc__v1__committee_membership__init(&m->cm);
        m->cm.cadre_code = s("C-001");
        m->cm.unit = s("tay-ho");
        m->cm.term = s("2020-2025");
        m->cm.body = NHANLUC__V1__BODY__BODY_STANDING_COMMITTEE;
        m->cm.role = NHANLUC__V1__BODY_ROLE__BODY_ROLE_SECRETARY;
        m->cm.start_date = s("2020-09-01");
        m->cm.end_date = s("2025-06-30");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_COMMITTEE;
        r->committee = &m->cm;
        break;
    case NL_CSVKIND_PLANNING:
        nhanluc__v1__planning_entry__init(&m->pl);
        m->pl.cadre_code = s("C-001");
        m->pl.unit = s("tay-ho");
        m->pl.term = s("2025-2030");
        m->pl.body_or_title = NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_CHAIR_PEOPLES_COMMITTEE;
        m->pl.added_on = s("2023-05-01");
        m->pl.removed_on = s("2024-05-01");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_PLANNING;
        r->planning = &m->pl;
        break;
    case NL_CSVKIND_SEATS:
        nhanluc__v1__seat_quota__init(&m->sq);
        m->sq.unit = s("tay-ho");
        m->sq.term = s("2025-2030");
        m->sq.body_or_title = NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_COMMITTEE;
        m->sq.seats = 39;
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_SEATS;
        r->seats = &m->sq;
        break;
    case NL_CSVKIND_REVIEWS:
        nhanluc__v1__review__init(&m->rv);
        m->rv.cadre_code = s("C-001");
        m->rv.year = 2024;
        m->rv.annual_rating = NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_NOT_COMPLETED;
        m->rv.meets_requirements = 1;
        m->rv.action = NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_FURTHER_TRAINING;
        m->rv.decision_ref = s("QĐ 12/QĐ-QU,\nngày 3/1/2025");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_REVIEW;
        r->review = &m->rv;
        break;
    case NL_CSVKIND_REPORTS:
        nhanluc__v1__annual_report__init(&m->rp);
        m->rp.unit = s("tay-ho");
        m->rp.year = 2024;
        m->rp.status = NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_RETURNED;
        m->rp.submitted_at = s("2025-01-10T08:00:00Z");
        m->rp.approved_at = s("2025-01-20");
        m->rp.return_reason = s("Thiếu số liệu, bổ sung");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_REPORT;
        r->report = &m->rp;
        break;
    case NL_CSVKIND_TERM_INSTANCES:
        nhanluc__v1__term_instance__init(&m->ti);
        m->ti.term = s("2020-2025");
        m->ti.unit = s("tay-ho");
        m->ti.start_date = s("2020-08-20");
        m->ti.end_date = s("2025-07-15");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TERM_INSTANCE;
        r->term_instance = &m->ti;
        break;
    case NL_CSVKIND_TARGETS:
        nhanluc__v1__target__init(&m->tg);
        m->tg.indicator = s("postgraduate_share");
        m->tg.op = s(">=");
        m->tg.value = s("22.5");
        m->tg.unit = s("tay-ho");
        m->tg.term = s("2015-2020");
        r->record_case = NHANLUC__V1__IMPORT_ROW__RECORD_TARGET;
        r->target = &m->tg;
        break;
    case NL_CSVKIND_COUNT:
        fail();
    }
}

/* The packed bytes of a message (malloc'd), their length in *len. */
static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(protobuf_c_message_pack(m, b), *len);
    return b;
}

static void assert_same(const Nhanluc__V1__ImportRow *a, const Nhanluc__V1__ImportRow *b)
{
    size_t la, lb;
    uint8_t *pa = pack(&a->base, &la), *pb = pack(&b->base, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    free(pa);
    free(pb);
}

static void test_round_trip_cells(void **state)
{
    (void)state;
    static uint8_t msgs[4096] __attribute__((aligned(16)));

    for (int i = 0; i < NL_CSVKIND_COUNT; i++) {
        enum nl_csvkind k = (enum nl_csvkind)i, got;
        Nhanluc__V1__ImportRow row, *back;
        const char *cells[NL_CSVROWS_MAX_COLS];

        memset(msgs, 0, sizeof(msgs));
        fill(k, &row, msgs);
        assert_int_equal(nl_csvkind_of_row(&row, &got), 0);
        assert_int_equal(got, k);
        nl_arena_init(&arena, 0);
        assert_int_equal(nl_csvrow_format(k, &row, &arena, cells), 0);
        for (size_t c = 0; c < nl_csvkind_ncols(k); c++)
            assert_true(cells[c][0] != '\0'); /* every column filled */
        assert_int_equal(nl_csvrow_parse(k, cells, 42, &arena, &back, err, sizeof(err)), 0);
        assert_same(&row, back);
        /* Another kind's row is refused. */
        assert_int_equal(
            nl_csvrow_format((enum nl_csvkind)((i + 1) % NL_CSVKIND_COUNT), &row, &arena, cells),
            -1);
        nl_arena_release(&arena);
    }
    /* Bare codes, true/false and the shortest score on the way out. */
    Nhanluc__V1__ImportRow row;
    const char *cells[NL_CSVROWS_MAX_COLS];
    memset(msgs, 0, sizeof(msgs));
    fill(NL_CSVKIND_ENROLMENTS, &row, msgs);
    nl_arena_init(&arena, 0);
    assert_int_equal(nl_csvrow_format(NL_CSVKIND_ENROLMENTS, &row, &arena, cells), 0);
    assert_string_equal(cells[3], "FAILED");
    assert_string_equal(cells[4], "FAIL");
    assert_string_equal(cells[8], "4.75");
    nl_arena_release(&arena);
    memset(msgs, 0, sizeof(msgs));
    fill(NL_CSVKIND_UNIT_EVENTS, &row, msgs);
    nl_arena_init(&arena, 0);
    assert_int_equal(nl_csvrow_format(NL_CSVKIND_UNIT_EVENTS, &row, &arena, cells), 0);
    assert_string_equal(cells[2], "phuong-a;phuong-b");
    nl_arena_release(&arena);
}

/* Every kind through a real file: header, quoting, CRLF, csvin, header detection. */
static void test_round_trip_file(void **state)
{
    (void)state;
    static uint8_t msgs[4096] __attribute__((aligned(16)));

    for (int i = 0; i < NL_CSVKIND_COUNT; i++) {
        enum nl_csvkind k = (enum nl_csvkind)i;
        Nhanluc__V1__ImportRow row, *back;
        struct nl_csvmap m;
        char name[64];

        memset(msgs, 0, sizeof(msgs));
        fill(k, &row, msgs);
        snprintf(name, sizeof(name), "%s.csv", nl_csvkind_name(k));
        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(nl_csvrow_write_header(f, k), 0);
        assert_int_equal(nl_csvrow_write(f, k, &row), 0);
        assert_int_equal(nl_csvrow_write(f, k, &row), 0);
        assert_int_equal(fclose(f), 0);

        struct nl_csv *c = nl_csv_open(path, err, sizeof(err));
        assert_non_null(c);
        assert_int_equal(nl_csv_rows(c), 2);
        assert_int_equal(nl_csvmap_init(&m, c, -1, err, sizeof(err)), 0);
        assert_int_equal(m.kind, k);
        nl_arena_init(&arena, 0);
        assert_int_equal(nl_csvrow_read(&m, c, 1, &arena, &back, err, sizeof(err)), 0);
        row.line = back->line; /* the physical line of the second record */
        assert_true(back->line >= 3);
        assert_same(&row, back);
        nl_arena_release(&arena);
        nl_csv_free(c);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_detect_every_kind),
        cmocka_unit_test(test_no_header_fits_two_kinds),
        cmocka_unit_test(test_detect_errors),
        cmocka_unit_test(test_cadre_labels),
        cmocka_unit_test(test_cell_errors),
        cmocka_unit_test(test_other_cells),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_column_of_field),
        cmocka_unit_test(test_round_trip_cells),
        cmocka_unit_test(test_round_trip_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
