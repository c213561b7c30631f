/*
 * test_labels.c - unit tests of client/labels.c: every value of every enum
 * field, taken from the generated protobuf-c descriptors (not from the table
 * under test), parses from its bare code and its prefixed wire name in any
 * case and formats back to the bare code; the Vietnamese labels of DOMAIN.md
 * parse composed and decomposed (NFD), upper and lower case, with stray
 * blanks; a label belongs to its field ("Cao cấp"); unknown text, the
 * UNSPECIFIED values and invalid UTF-8 are refused; the booleans; and the
 * choices strings list exactly the codes that parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "nhanluc/v1/records.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"

#include "labels.h"

/* The proto enum behind each field (NL_F_BOOL has none). */
static const ProtobufCEnumDescriptor *field_enum(enum nl_field f)
{
    switch (f) {
    case NL_F_UNIT_KIND:
        return &nhanluc__v1__unit_kind__descriptor;
    case NL_F_TERM_KIND:
        return &nhanluc__v1__term_kind__descriptor;
    case NL_F_UNIT_EVENT_KIND:
        return &nhanluc__v1__unit_event_kind__descriptor;
    case NL_F_SEX:
        return &nhanluc__v1__sex__descriptor;
    case NL_F_LEVEL:
        return &nhanluc__v1__level__descriptor;
    case NL_F_MGMT_CATEGORY:
        return &nhanluc__v1__mgmt_category__descriptor;
    case NL_F_EDUCATION:
        return &nhanluc__v1__education__descriptor;
    case NL_F_POLITICAL_THEORY:
        return &nhanluc__v1__political_theory__descriptor;
    case NL_F_STATE_MGMT:
        return &nhanluc__v1__state_mgmt__descriptor;
    case NL_F_TRAINING_KIND:
        return &nhanluc__v1__training_kind__descriptor;
    case NL_F_AREA:
        return &nhanluc__v1__area__descriptor;
    case NL_F_CLASS_MODE:
        return &nhanluc__v1__class_mode__descriptor;
    case NL_F_CLASS_STATUS:
        return &nhanluc__v1__class_status__descriptor;
    case NL_F_ENROLMENT_STATUS:
        return &nhanluc__v1__enrolment_status__descriptor;
    case NL_F_RESULT:
        return &nhanluc__v1__result__descriptor;
    case NL_F_BODY:
        return &nhanluc__v1__body__descriptor;
    case NL_F_BODY_ROLE:
        return &nhanluc__v1__body_role__descriptor;
    case NL_F_BODY_OR_TITLE:
        return &nhanluc__v1__body_or_title__descriptor;
    case NL_F_ANNUAL_RATING:
        return &nhanluc__v1__annual_rating__descriptor;
    case NL_F_REVIEW_ACTION:
        return &nhanluc__v1__review_action__descriptor;
    case NL_F_REPORT_STATUS:
        return &nhanluc__v1__report_status__descriptor;
    default:
        return NULL;
    }
}

/*
 * The wire prefix of an enum: its value 0 is named PREFIX_UNSPECIFIED, and a
 * value carries the prefix only when its name starts with it (UnitKind's
 * CITY does not). Writes the prefix into buf.
 */
static void enum_prefix(const ProtobufCEnumDescriptor *d, char *buf, size_t len)
{
    const char *zero = d->values[0].name;
    size_t n = strlen(zero) - strlen("UNSPECIFIED");
    assert_int_equal(d->values[0].value, 0);
    assert_string_equal(zero + n, "UNSPECIFIED");
    assert_true(n < len);
    memcpy(buf, zero, n);
    buf[n] = '\0';
}

static const char *bare_code(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(name, prefix, n) == 0 ? name + n : name;
}

static void ascii_lower(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    }
}

static int parse(enum nl_field f, const char *text)
{
    int v = -12345;
    if (nl_label_parse(f, text, &v) != 0)
        return -1;
    assert_int_not_equal(v, -12345);
    return v;
}

/* Every code of every field: bare, prefixed, lower case, and back. */
static void test_every_code(void **state)
{
    (void)state;
    for (int f = 0; f < NL_F_COUNT; f++) {
        const ProtobufCEnumDescriptor *d = field_enum((enum nl_field)f);
        if (d == NULL)
            continue;
        char prefix[64], buf[128];
        enum_prefix(d, prefix, sizeof(prefix));
        assert_true(d->n_values >= 3);
        for (unsigned i = 1; i < d->n_values; i++) {
            const char *name = d->values[i].name;
            const char *code = bare_code(name, prefix);
            int want = d->values[i].value;
            assert_int_equal(parse((enum nl_field)f, code), want);
            assert_int_equal(parse((enum nl_field)f, name), want);
            snprintf(buf, sizeof(buf), "%s", code);
            ascii_lower(buf);
            assert_int_equal(parse((enum nl_field)f, buf), want);
            snprintf(buf, sizeof(buf), "%s", name);
            ascii_lower(buf);
            assert_int_equal(parse((enum nl_field)f, buf), want);
            snprintf(buf, sizeof(buf), "  %s\t", code);
            assert_int_equal(parse((enum nl_field)f, buf), want);
            assert_non_null(nl_label_code((enum nl_field)f, want));
            assert_string_equal(nl_label_code((enum nl_field)f, want), code);
            /* the choices name it */
            assert_non_null(strstr(nl_label_choices((enum nl_field)f), code));
        }
        /* UNSPECIFIED is no value, bare or prefixed, and has no code. */
        assert_int_equal(parse((enum nl_field)f, d->values[0].name), -1);
        assert_int_equal(parse((enum nl_field)f, "UNSPECIFIED"), -1);
        assert_null(nl_label_code((enum nl_field)f, 0));
        assert_null(nl_label_code((enum nl_field)f, (int)d->n_values + 7));
    }
}

/* Spellings with '-' or ' ' for '_' are the same code. */
static void test_code_separators(void **state)
{
    (void)state;
    assert_int_equal(parse(NL_F_EDUCATION, "below-university"),
                     NHANLUC__V1__EDUCATION__EDUCATION_BELOW_UNIVERSITY);
    assert_int_equal(parse(NL_F_EDUCATION, "Below University"),
                     NHANLUC__V1__EDUCATION__EDUCATION_BELOW_UNIVERSITY);
    assert_int_equal(parse(NL_F_UNIT_KIND, "urban-district"),
                     NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    assert_int_equal(parse(NL_F_RESULT, "very good"), NHANLUC__V1__RESULT__RESULT_VERY_GOOD);
    /* a prefix belongs to its field */
    assert_int_equal(parse(NL_F_STATE_MGMT, "POLITICAL_THEORY_NONE"), -1);
    assert_int_equal(parse(NL_F_EDUCATION, "EDUCATION_"), -1);
    assert_int_equal(parse(NL_F_EDUCATION, "EDUCATION"), -1);
}

struct label_case {
    enum nl_field f;
    const char *text; /* as DOMAIN.md or a district office writes it, NFC */
    int value;
};

static const struct label_case label_cases[] = {
    {NL_F_SEX, "Nam", NHANLUC__V1__SEX__SEX_MALE},
    {NL_F_SEX, "Nữ", NHANLUC__V1__SEX__SEX_FEMALE},
    {NL_F_LEVEL, "thành phố", NHANLUC__V1__LEVEL__LEVEL_CITY},
    {NL_F_LEVEL, "cấp huyện", NHANLUC__V1__LEVEL__LEVEL_DISTRICT},
    {NL_F_LEVEL, "cấp xã", NHANLUC__V1__LEVEL__LEVEL_COMMUNE},
    {NL_F_MGMT_CATEGORY, "diện BTV Thành ủy quản lý",
     NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_CITY_STANDING},
    {NL_F_MGMT_CATEGORY, "Diện BTV Thành uỷ quản lý",
     NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_CITY_STANDING},
    {NL_F_MGMT_CATEGORY, "diện BTV Quận/Huyện ủy quản lý",
     NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_DISTRICT_STANDING},
    {NL_F_MGMT_CATEGORY, "diện BTV Huyện ủy quản lý",
     NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_DISTRICT_STANDING},
    {NL_F_MGMT_CATEGORY, "Khác", NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_OTHER},
    {NL_F_EDUCATION, "Dưới đại học", NHANLUC__V1__EDUCATION__EDUCATION_BELOW_UNIVERSITY},
    {NL_F_EDUCATION, "Đại học", NHANLUC__V1__EDUCATION__EDUCATION_UNIVERSITY},
    {NL_F_EDUCATION, "Thạc sĩ", NHANLUC__V1__EDUCATION__EDUCATION_MASTER},
    {NL_F_EDUCATION, "thạc sỹ", NHANLUC__V1__EDUCATION__EDUCATION_MASTER},
    {NL_F_EDUCATION, "Tiến sĩ", NHANLUC__V1__EDUCATION__EDUCATION_DOCTOR},
    {NL_F_EDUCATION, "Tiến sỹ", NHANLUC__V1__EDUCATION__EDUCATION_DOCTOR},
    {NL_F_POLITICAL_THEORY, "Không", NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_NONE},
    {NL_F_POLITICAL_THEORY, "Sơ cấp", NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_ELEMENTARY},
    {NL_F_POLITICAL_THEORY, "Trung cấp",
     NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_INTERMEDIATE},
    {NL_F_POLITICAL_THEORY, "Cao cấp", NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_ADVANCED},
    {NL_F_POLITICAL_THEORY, "Cử nhân", NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_BACHELOR},
    {NL_F_STATE_MGMT, "Không", NHANLUC__V1__STATE_MGMT__STATE_MGMT_NONE},
    {NL_F_STATE_MGMT, "Chuyên viên", NHANLUC__V1__STATE_MGMT__STATE_MGMT_OFFICER},
    {NL_F_STATE_MGMT, "Chuyên viên chính", NHANLUC__V1__STATE_MGMT__STATE_MGMT_PRINCIPAL},
    {NL_F_STATE_MGMT, "Chuyên viên cao cấp", NHANLUC__V1__STATE_MGMT__STATE_MGMT_SENIOR},
    {NL_F_STATE_MGMT, "Cao cấp", NHANLUC__V1__STATE_MGMT__STATE_MGMT_SENIOR},
    {NL_F_UNIT_KIND, "Thành phố", NHANLUC__V1__UNIT_KIND__CITY},
    {NL_F_UNIT_KIND, "Quận", NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT},
    {NL_F_UNIT_KIND, "Huyện", NHANLUC__V1__UNIT_KIND__RURAL_DISTRICT},
    {NL_F_UNIT_KIND, "Thị xã", NHANLUC__V1__UNIT_KIND__TOWN},
    {NL_F_UNIT_KIND, "Đảng bộ trực thuộc", NHANLUC__V1__UNIT_KIND__AFFILIATED_COMMITTEE},
    {NL_F_UNIT_KIND, "Phường", NHANLUC__V1__UNIT_KIND__WARD},
    {NL_F_UNIT_KIND, "Xã", NHANLUC__V1__UNIT_KIND__COMMUNE},
    {NL_F_UNIT_KIND, "Thị trấn", NHANLUC__V1__UNIT_KIND__TOWNSHIP},
    {NL_F_UNIT_EVENT_KIND, "Sáp nhập", NHANLUC__V1__UNIT_EVENT_KIND__MERGE},
    {NL_F_UNIT_EVENT_KIND, "Chia tách", NHANLUC__V1__UNIT_EVENT_KIND__SPLIT},
    {NL_F_UNIT_EVENT_KIND, "Đổi tên", NHANLUC__V1__UNIT_EVENT_KIND__RENAME},
    {NL_F_UNIT_EVENT_KIND, "Giải thể", NHANLUC__V1__UNIT_EVENT_KIND__DISSOLVE},
    {NL_F_TERM_KIND, "Đại hội Đảng", NHANLUC__V1__TERM_KIND__PARTY_CONGRESS},
    {NL_F_TERM_KIND, "HĐND", NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL},
    {NL_F_TRAINING_KIND, "Đào tạo", NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_DEGREE},
    {NL_F_TRAINING_KIND, "Bồi dưỡng", NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_UPGRADE},
    {NL_F_TRAINING_KIND, "Tập huấn", NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_BRIEFING},
    {NL_F_AREA, "Lý luận chính trị", NHANLUC__V1__AREA__AREA_POLITICAL_THEORY},
    {NL_F_AREA, "Quản lý nhà nước", NHANLUC__V1__AREA__AREA_STATE_MANAGEMENT},
    {NL_F_AREA, "Lãnh đạo, quản lý", NHANLUC__V1__AREA__AREA_LEADERSHIP},
    {NL_F_AREA, "Chuyên môn, nghiệp vụ", NHANLUC__V1__AREA__AREA_PROFESSIONAL},
    {NL_F_AREA, "Quốc phòng, an ninh", NHANLUC__V1__AREA__AREA_DEFENCE_SECURITY},
    {NL_F_AREA, "Ngoại ngữ", NHANLUC__V1__AREA__AREA_FOREIGN_LANGUAGE},
    {NL_F_AREA, "Tin học", NHANLUC__V1__AREA__AREA_IT},
    {NL_F_AREA, "Dân vận", NHANLUC__V1__AREA__AREA_MASS_MOBILISATION},
    {NL_F_AREA, "Khác", NHANLUC__V1__AREA__AREA_OTHER},
    {NL_F_CLASS_MODE, "Tập trung", NHANLUC__V1__CLASS_MODE__CLASS_MODE_FULL_TIME},
    {NL_F_CLASS_MODE, "Tại chức", NHANLUC__V1__CLASS_MODE__CLASS_MODE_PART_TIME},
    {NL_F_CLASS_MODE, "Vừa làm vừa học", NHANLUC__V1__CLASS_MODE__CLASS_MODE_PART_TIME},
    {NL_F_CLASS_MODE, "Trực tuyến", NHANLUC__V1__CLASS_MODE__CLASS_MODE_ONLINE},
    {NL_F_CLASS_STATUS, "Kế hoạch", NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_PLANNED},
    {NL_F_CLASS_STATUS, "Đang học", NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_RUNNING},
    {NL_F_CLASS_STATUS, "Đã kết thúc", NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_ENDED},
    {NL_F_CLASS_STATUS, "Đã hủy", NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_CANCELLED},
    {NL_F_ENROLMENT_STATUS, "Đang học", NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED},
    {NL_F_ENROLMENT_STATUS, "Hoàn thành",
     NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED},
    {NL_F_ENROLMENT_STATUS, "Không đạt", NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_FAILED},
    {NL_F_ENROLMENT_STATUS, "Bỏ học", NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_WITHDREW},
    {NL_F_RESULT, "Xuất sắc", NHANLUC__V1__RESULT__RESULT_EXCELLENT},
    {NL_F_RESULT, "Giỏi", NHANLUC__V1__RESULT__RESULT_VERY_GOOD},
    {NL_F_RESULT, "Khá", NHANLUC__V1__RESULT__RESULT_GOOD},
    {NL_F_RESULT, "Trung bình", NHANLUC__V1__RESULT__RESULT_AVERAGE},
    {NL_F_RESULT, "Không đạt", NHANLUC__V1__RESULT__RESULT_FAIL},
    {NL_F_BODY, "Ban Chấp hành", NHANLUC__V1__BODY__BODY_COMMITTEE},
    {NL_F_BODY, "Cấp uỷ", NHANLUC__V1__BODY__BODY_COMMITTEE},
    {NL_F_BODY, "Ban Thường vụ", NHANLUC__V1__BODY__BODY_STANDING_COMMITTEE},
    {NL_F_BODY_ROLE, "Bí thư", NHANLUC__V1__BODY_ROLE__BODY_ROLE_SECRETARY},
    {NL_F_BODY_ROLE, "Phó Bí thư", NHANLUC__V1__BODY_ROLE__BODY_ROLE_DEPUTY_SECRETARY},
    {NL_F_BODY_ROLE, "Ủy viên Ban Thường vụ", NHANLUC__V1__BODY_ROLE__BODY_ROLE_STANDING_MEMBER},
    {NL_F_BODY_ROLE, "Uỷ viên", NHANLUC__V1__BODY_ROLE__BODY_ROLE_MEMBER},
    {NL_F_BODY_OR_TITLE, "Chủ tịch HĐND",
     NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_CHAIR_PEOPLES_COUNCIL},
    {NL_F_BODY_OR_TITLE, "Chủ tịch UBND",
     NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_CHAIR_PEOPLES_COMMITTEE},
    {NL_F_BODY_OR_TITLE, "Phó Chủ tịch HĐND, UBND",
     NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_VICE_CHAIR},
    {NL_F_BODY_OR_TITLE, "Trưởng phòng, ban", NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_DEPT_HEAD},
    {NL_F_BODY_OR_TITLE, "Phó phòng, ban", NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_DEPT_DEPUTY},
    {NL_F_BODY_OR_TITLE, "Giám đốc sở và tương đương",
     NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_DIRECTOR},
    {NL_F_BODY_OR_TITLE, "Ban Thường vụ",
     NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_STANDING_COMMITTEE},
    {NL_F_ANNUAL_RATING, "HTXSNV", NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_EXCELLENT},
    {NL_F_ANNUAL_RATING, "Hoàn thành tốt nhiệm vụ", NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_GOOD},
    {NL_F_ANNUAL_RATING, "HTNV", NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_COMPLETED},
    {NL_F_ANNUAL_RATING, "Không hoàn thành nhiệm vụ",
     NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_NOT_COMPLETED},
    {NL_F_REVIEW_ACTION, "Điều chuyển", NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_REASSIGN},
    {NL_F_REVIEW_ACTION, "Luân chuyển", NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_ROTATE},
    {NL_F_REVIEW_ACTION, "Miễn nhiệm", NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_DISMISS},
    {NL_F_REVIEW_ACTION, "Đưa ra khỏi quy hoạch",
     NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_REMOVE_FROM_PLANNING},
};

/* utf8proc_map with `opts`, or per code point upper/lower case (case 1/2); malloc'ed. */
static char *transform(const char *s, utf8proc_option_t opts, int kase)
{
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)strlen(s), &m,
                                      opts | UTF8PROC_STABLE);
    assert_true(r >= 0);
    if (kase == 0)
        return (char *)m;
    char *out = malloc((size_t)r * 4 + 1);
    assert_non_null(out);
    size_t o = 0;
    for (utf8proc_ssize_t i = 0; i < r;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(m + i, r - i, &cp);
        assert_true(n > 0);
        cp = kase == 1 ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
        o += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out + o);
        i += n;
    }
    out[o] = '\0';
    free(m);
    return out;
}

static void check_label(enum nl_field f, const char *text, int want)
{
    int got = parse(f, text);
    if (got != want)
        fail_msg("field %s: \"%s\" parsed as %d, want %d", nl_label_field_name(f), text, got, want);
}

/* The labels: composed, decomposed, upper, lower, upper NFD, padded with blanks. */
static void test_labels_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(label_cases) / sizeof(label_cases[0]); i++) {
        const struct label_case *c = &label_cases[i];
        char *nfd = transform(c->text, UTF8PROC_DECOMPOSE, 0);
        char *upper = transform(c->text, UTF8PROC_COMPOSE, 1);
        char *lower = transform(c->text, UTF8PROC_COMPOSE, 2);
        char *upper_nfd = transform(upper, UTF8PROC_DECOMPOSE, 0);
        char padded[256];
        snprintf(padded, sizeof(padded), " \t%s \xc2\xa0", c->text);

        check_label(c->f, c->text, c->value);
        check_label(c->f, nfd, c->value);
        check_label(c->f, upper, c->value);
        check_label(c->f, lower, c->value);
        check_label(c->f, upper_nfd, c->value);
        check_label(c->f, padded, c->value);
        free(nfd);
        free(upper);
        free(lower);
        free(upper_nfd);
    }
}

/* The decomposed form spelled out, so the NFD path is known to be taken. */
static void test_labels_nfd_literal(void **state)
{
    (void)state;
    /* "Thạc sĩ" as a+U+0323 and i+U+0303, "Nữ" as u+U+031B+U+0303 */
    assert_int_equal(parse(NL_F_EDUCATION, "Tha\xcc\xa3"
                                           "c si\xcc\x83"),
                     NHANLUC__V1__EDUCATION__EDUCATION_MASTER);
    assert_int_equal(parse(NL_F_SEX, "Nu\xcc\x9b\xcc\x83"), NHANLUC__V1__SEX__SEX_FEMALE);
    /* the other order of the combining marks is the same text after normalisation */
    assert_int_equal(parse(NL_F_SEX, "NU\xcc\x83\xcc\x9b"), NHANLUC__V1__SEX__SEX_FEMALE);
}

/* Inner runs of blanks count as one space; a label is not a prefix match. */
static void test_labels_spacing(void **state)
{
    (void)state;
    assert_int_equal(parse(NL_F_STATE_MGMT, "Chuyên   viên \t chính"),
                     NHANLUC__V1__STATE_MGMT__STATE_MGMT_PRINCIPAL);
    assert_int_equal(parse(NL_F_STATE_MGMT, "Chuyênviên"), -1);
    assert_int_equal(parse(NL_F_EDUCATION, "Thạc"), -1);
    assert_int_equal(parse(NL_F_EDUCATION, "Thạc sĩ x"), -1);
    /* tone marks matter: "Thác sĩ" is no label */
    assert_int_equal(parse(NL_F_EDUCATION, "Thác sĩ"), -1);
}

/* A label belongs to its field. */
static void test_labels_per_field(void **state)
{
    (void)state;
    assert_int_equal(parse(NL_F_POLITICAL_THEORY, "Cao cấp"),
                     NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_ADVANCED);
    assert_int_equal(parse(NL_F_STATE_MGMT, "Cao cấp"), NHANLUC__V1__STATE_MGMT__STATE_MGMT_SENIOR);
    assert_int_equal(parse(NL_F_EDUCATION, "Cao cấp"), -1);
    assert_int_equal(parse(NL_F_POLITICAL_THEORY, "Thạc sĩ"), -1);
    assert_int_equal(parse(NL_F_SEX, "Thạc sĩ"), -1);
    assert_int_equal(parse(NL_F_RESULT, "Không đạt"), NHANLUC__V1__RESULT__RESULT_FAIL);
    assert_int_equal(parse(NL_F_ENROLMENT_STATUS, "Không đạt"),
                     NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_FAILED);
    /* the same code in two fields */
    assert_int_equal(parse(NL_F_LEVEL, "CITY"), NHANLUC__V1__LEVEL__LEVEL_CITY);
    assert_int_equal(parse(NL_F_UNIT_KIND, "CITY"), NHANLUC__V1__UNIT_KIND__CITY);
    assert_int_equal(parse(NL_F_LEVEL, "WARD"), -1);
    assert_int_equal(parse(NL_F_RESULT, "FAILED"), -1);
    assert_int_equal(parse(NL_F_ENROLMENT_STATUS, "FAIL"), -1);
}

static void test_unknown(void **state)
{
    static const char *const bad[] = {
        "",         " ",          "MASTERS", "Thạc sĩ.",
        "master x", "-",          "_MASTER", "EDUCATION__MASTER",
        "\xff\xfe", "Th\xe1\xba", "3",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int v = 77;
        if (nl_label_parse(NL_F_EDUCATION, bad[i], &v) != -1)
            fail_msg("\"%s\" parsed", bad[i]);
        assert_int_equal(v, 77);
    }
    /* a numeric wire value is not a code */
    assert_int_equal(parse(NL_F_SEX, "1"), -1);
    /* very long input is refused, not truncated into a match */
    char longbuf[1200];
    memset(longbuf, ' ', sizeof(longbuf) - 1);
    memcpy(longbuf + 600, "MASTER", 6);
    longbuf[sizeof(longbuf) - 1] = '\0';
    assert_int_equal(parse(NL_F_EDUCATION, longbuf), -1);
    /* out-of-range fields */
    assert_int_equal(parse(NL_F_COUNT, "MASTER"), -1);
    assert_null(nl_label_code(NL_F_COUNT, 1));
}

static void test_bool(void **state)
{
    static const struct {
        const char *text;
        int value;
    } cases[] = {
        {"true", 1},  {"TRUE", 1},  {"True", 1},  {"1", 1},          {"yes", 1}, {"YES", 1},
        {"có", 1},    {"Có", 1},    {"CÓ", 1},    {"co\xcc\x81", 1}, {"x", 1},   {"X", 1},
        {" x ", 1},   {"false", 0}, {"FALSE", 0}, {"0", 0},          {"no", 0},  {"No", 0},
        {"không", 0}, {"Không", 0}, {"KHÔNG", 0}, {"", 0},           {"  ", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int v = -1;
        if (nl_label_parse(NL_F_BOOL, cases[i].text, &v) != 0)
            fail_msg("\"%s\" is no boolean", cases[i].text);
        assert_int_equal(v, cases[i].value);
    }
    assert_int_equal(parse(NL_F_BOOL, "2"), -1);
    assert_int_equal(parse(NL_F_BOOL, "maybe"), -1);
    assert_int_equal(parse(NL_F_BOOL, "xx"), -1);
    assert_string_equal(nl_label_code(NL_F_BOOL, 1), "true");
    assert_string_equal(nl_label_code(NL_F_BOOL, 0), "false");
    assert_null(nl_label_code(NL_F_BOOL, 2));
}

/* Every token of every choices string parses in its field, and the count matches the enum. */
static void test_choices(void **state)
{
    (void)state;
    for (int f = 0; f < NL_F_COUNT; f++) {
        const char *choices = nl_label_choices((enum nl_field)f);
        const ProtobufCEnumDescriptor *d = field_enum((enum nl_field)f);
        assert_non_null(choices);
        assert_true(choices[0] != '\0');
        char buf[512];
        snprintf(buf, sizeof(buf), "%s", choices);
        unsigned n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            if (parse((enum nl_field)f, tok) < 0)
                fail_msg("field %d: choice \"%s\" does not parse", f, tok);
            n++;
        }
        if (d != NULL)
            assert_int_equal(n, d->n_values - 1);
        else
            assert_int_equal(n, 2);
        assert_true(nl_label_field_name((enum nl_field)f)[0] != '\0');
    }
    assert_string_equal(nl_label_field_name(NL_F_EDUCATION), "education");
    assert_string_equal(nl_label_field_name(NL_F_POLITICAL_THEORY), "political_theory");
    assert_string_equal(nl_label_field_name(NL_F_STATE_MGMT), "state_mgmt");
    assert_string_equal(nl_label_field_name(NL_F_MGMT_CATEGORY), "mgmt_category");
    assert_string_equal(nl_label_field_name(NL_F_CLASS_MODE), "mode");
    assert_string_equal(nl_label_field_name(NL_F_ENROLMENT_STATUS), "status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code),     cmocka_unit_test(test_code_separators),
        cmocka_unit_test(test_labels_forms),   cmocka_unit_test(test_labels_nfd_literal),
        cmocka_unit_test(test_labels_spacing), cmocka_unit_test(test_labels_per_field),
        cmocka_unit_test(test_unknown),        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_choices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
