/*
 * labels.c - the enum fields of DOMAIN.md section 3 as people write them:
 * bare codes, prefixed proto names and Vietnamese labels, one table per field.
 *
 * Each table row ties a proto enum value (the generated constant, so a change
 * of the .proto breaks the build here) to its bare DOMAIN.md code and to the
 * Vietnamese labels that mean it in that field. Labels are written in the
 * table already folded (lower case, NFC) so that parsing folds only its input:
 * the input is trimmed, normalised to NFC, case-folded by utf8proc (which knows
 * Đ/đ and the accented capitals) and its inner runs of blanks collapse to one
 * space. Codes compare ASCII-case-insensitively, with '-' or ' ' accepted for
 * '_' ("below-university"), bare or behind the field's wire prefix
 * ("EDUCATION_MASTER"). The *_UNSPECIFIED values are never accepted.
 */
#include "labels.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "nhanluc/v1/records.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"

/* Longest input considered; no code or label comes near it. */
#define LABEL_MAX_INPUT   256
#define LABEL_MAX_ALIASES 8

struct label_value {
    int value;
    const char *code;                          /* bare DOMAIN.md code */
    const char *labels[LABEL_MAX_ALIASES + 1]; /* folded Vietnamese labels, NULL-ended */
};

struct label_field {
    const char *name;   /* the column / field name */
    const char *prefix; /* the wire prefix of the enum's names ("EDUCATION_"), or "" */
    const char *choices;
    const struct label_value *values;
    size_t n;
};

/* --- the tables (labels: lower case, NFC) -------------------------------- */

static const struct label_value unit_kind_values[] = {
    {NHANLUC__V1__UNIT_KIND__CITY, "CITY", {"thành phố", "thành ủy", "thành uỷ", NULL}},
    {NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT, "URBAN_DISTRICT", {"quận", NULL}},
    {NHANLUC__V1__UNIT_KIND__RURAL_DISTRICT, "RURAL_DISTRICT", {"huyện", NULL}},
    {NHANLUC__V1__UNIT_KIND__TOWN, "TOWN", {"thị xã", NULL}},
    {NHANLUC__V1__UNIT_KIND__AFFILIATED_COMMITTEE,
     "AFFILIATED_COMMITTEE",
     {"đảng bộ trực thuộc", NULL}},
    {NHANLUC__V1__UNIT_KIND__WARD, "WARD", {"phường", NULL}},
    {NHANLUC__V1__UNIT_KIND__COMMUNE, "COMMUNE", {"xã", NULL}},
    {NHANLUC__V1__UNIT_KIND__TOWNSHIP, "TOWNSHIP", {"thị trấn", NULL}},
};

static const struct label_value term_kind_values[] = {
    {NHANLUC__V1__TERM_KIND__PARTY_CONGRESS,
     "PARTY_CONGRESS",
     {"đại hội đảng", "nhiệm kỳ đại hội đảng", NULL}},
    {NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL,
     "PEOPLES_COUNCIL",
     {"hđnd", "hội đồng nhân dân", "nhiệm kỳ hđnd", "nhiệm kỳ hội đồng nhân dân", NULL}},
};

static const struct label_value unit_event_kind_values[] = {
    {NHANLUC__V1__UNIT_EVENT_KIND__MERGE, "MERGE", {"sáp nhập", "sát nhập", NULL}},
    {NHANLUC__V1__UNIT_EVENT_KIND__SPLIT, "SPLIT", {"chia tách", NULL}},
    {NHANLUC__V1__UNIT_EVENT_KIND__RENAME, "RENAME", {"đổi tên", NULL}},
    {NHANLUC__V1__UNIT_EVENT_KIND__DISSOLVE, "DISSOLVE", {"giải thể", NULL}},
};

static const struct label_value sex_values[] = {
    {NHANLUC__V1__SEX__SEX_MALE, "MALE", {"nam", NULL}},
    {NHANLUC__V1__SEX__SEX_FEMALE, "FEMALE", {"nữ", NULL}},
};

static const struct label_value level_values[] = {
    {NHANLUC__V1__LEVEL__LEVEL_CITY, "CITY", {"thành phố", "cấp thành phố", NULL}},
    {NHANLUC__V1__LEVEL__LEVEL_DISTRICT, "DISTRICT", {"cấp huyện", "cấp quận", "huyện", NULL}},
    {NHANLUC__V1__LEVEL__LEVEL_COMMUNE, "COMMUNE", {"cấp xã", "xã", NULL}},
};

static const struct label_value mgmt_category_values[] = {
    {NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_CITY_STANDING,
     "CITY_STANDING",
     {"diện btv thành ủy quản lý", "diện btv thành uỷ quản lý", "diện btv thành ủy",
      "diện btv thành uỷ", "diện ban thường vụ thành ủy quản lý",
      "diện ban thường vụ thành uỷ quản lý", NULL}},
    {NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_DISTRICT_STANDING,
     "DISTRICT_STANDING",
     {"diện btv quận/huyện ủy quản lý", "diện btv quận/huyện uỷ quản lý",
      "diện btv quận ủy quản lý", "diện btv quận uỷ quản lý", "diện btv huyện ủy quản lý",
      "diện btv huyện uỷ quản lý", "diện btv thị ủy quản lý", "diện btv thị uỷ quản lý", NULL}},
    {NHANLUC__V1__MGMT_CATEGORY__MGMT_CATEGORY_OTHER, "OTHER", {"khác", NULL}},
};

static const struct label_value education_values[] = {
    {NHANLUC__V1__EDUCATION__EDUCATION_BELOW_UNIVERSITY,
     "BELOW_UNIVERSITY",
     {"dưới đại học", "cao đẳng", "trung cấp", NULL}},
    {NHANLUC__V1__EDUCATION__EDUCATION_UNIVERSITY,
     "UNIVERSITY",
     {"đại học", "cử nhân", "kỹ sư", "kĩ sư", NULL}},
    {NHANLUC__V1__EDUCATION__EDUCATION_MASTER,
     "MASTER",
     {"thạc sĩ", "thạc sỹ", "ths", "ths.", NULL}},
    {NHANLUC__V1__EDUCATION__EDUCATION_DOCTOR,
     "DOCTOR",
     {"tiến sĩ", "tiến sỹ", "ts", "ts.", "tiến sĩ khoa học", "tiến sỹ khoa học", NULL}},
};

static const struct label_value political_theory_values[] = {
    {NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_NONE, "NONE", {"không", "chưa có", NULL}},
    {NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_ELEMENTARY, "ELEMENTARY", {"sơ cấp", NULL}},
    {NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_INTERMEDIATE,
     "INTERMEDIATE",
     {"trung cấp", NULL}},
    {NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_ADVANCED, "ADVANCED", {"cao cấp", NULL}},
    {NHANLUC__V1__POLITICAL_THEORY__POLITICAL_THEORY_BACHELOR, "BACHELOR", {"cử nhân", NULL}},
};

static const struct label_value state_mgmt_values[] = {
    {NHANLUC__V1__STATE_MGMT__STATE_MGMT_NONE, "NONE", {"không", "chưa có", NULL}},
    {NHANLUC__V1__STATE_MGMT__STATE_MGMT_OFFICER, "OFFICER", {"chuyên viên", NULL}},
    {NHANLUC__V1__STATE_MGMT__STATE_MGMT_PRINCIPAL,
     "PRINCIPAL",
     {"chuyên viên chính", "chính", NULL}},
    {NHANLUC__V1__STATE_MGMT__STATE_MGMT_SENIOR,
     "SENIOR",
     {"chuyên viên cao cấp", "cao cấp", NULL}},
};

static const struct label_value training_kind_values[] = {
    {NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_DEGREE, "DEGREE", {"đào tạo", NULL}},
    {NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_UPGRADE, "UPGRADE", {"bồi dưỡng", NULL}},
    {NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_BRIEFING, "BRIEFING", {"tập huấn", NULL}},
};

static const struct label_value area_values[] = {
    {NHANLUC__V1__AREA__AREA_POLITICAL_THEORY,
     "POLITICAL_THEORY",
     {"lý luận chính trị", "lí luận chính trị", "llct", NULL}},
    {NHANLUC__V1__AREA__AREA_STATE_MANAGEMENT,
     "STATE_MANAGEMENT",
     {"quản lý nhà nước", "quản lí nhà nước", "qlnn", NULL}},
    {NHANLUC__V1__AREA__AREA_LEADERSHIP,
     "LEADERSHIP",
     {"lãnh đạo, quản lý", "lãnh đạo quản lý", "lãnh đạo, quản lí", "lãnh đạo quản lí",
      "kỹ năng lãnh đạo, quản lý", "kỹ năng lãnh đạo quản lý", NULL}},
    {NHANLUC__V1__AREA__AREA_PROFESSIONAL,
     "PROFESSIONAL",
     {"chuyên môn, nghiệp vụ", "chuyên môn nghiệp vụ", "chuyên môn", "nghiệp vụ", NULL}},
    {NHANLUC__V1__AREA__AREA_DEFENCE_SECURITY,
     "DEFENCE_SECURITY",
     {"quốc phòng, an ninh", "quốc phòng an ninh", "quốc phòng - an ninh", NULL}},
    {NHANLUC__V1__AREA__AREA_FOREIGN_LANGUAGE, "FOREIGN_LANGUAGE", {"ngoại ngữ", NULL}},
    {NHANLUC__V1__AREA__AREA_IT, "IT", {"tin học", "công nghệ thông tin", "cntt", NULL}},
    {NHANLUC__V1__AREA__AREA_MASS_MOBILISATION,
     "MASS_MOBILISATION",
     {"dân vận", "công tác dân vận", NULL}},
    {NHANLUC__V1__AREA__AREA_OTHER, "OTHER", {"khác", NULL}},
};

static const struct label_value class_mode_values[] = {
    {NHANLUC__V1__CLASS_MODE__CLASS_MODE_FULL_TIME, "FULL_TIME", {"tập trung", NULL}},
    {NHANLUC__V1__CLASS_MODE__CLASS_MODE_PART_TIME,
     "PART_TIME",
     {"tại chức", "vừa làm vừa học", "không tập trung", NULL}},
    {NHANLUC__V1__CLASS_MODE__CLASS_MODE_ONLINE, "ONLINE", {"trực tuyến", NULL}},
};

static const struct label_value class_status_values[] = {
    {NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_PLANNED, "PLANNED", {"kế hoạch", "dự kiến", NULL}},
    {NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_RUNNING,
     "RUNNING",
     {"đang học", "đang diễn ra", "đang mở", NULL}},
    {NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_ENDED,
     "ENDED",
     {"kết thúc", "đã kết thúc", "bế giảng", "đã bế giảng", NULL}},
    {NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_CANCELLED,
     "CANCELLED",
     {"hủy", "huỷ", "đã hủy", "đã huỷ", NULL}},
};

static const struct label_value enrolment_status_values[] = {
    {NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_ENROLLED,
     "ENROLLED",
     {"đang học", "đăng ký", "đăng kí", "đã đăng ký", "đã đăng kí", NULL}},
    {NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED,
     "COMPLETED",
     {"hoàn thành", "đã hoàn thành", "tốt nghiệp", NULL}},
    {NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_FAILED,
     "FAILED",
     {"không đạt", "không hoàn thành", NULL}},
    {NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_WITHDREW,
     "WITHDREW",
     {"bỏ học", "thôi học", "rút", NULL}},
};

static const struct label_value result_values[] = {
    {NHANLUC__V1__RESULT__RESULT_EXCELLENT, "EXCELLENT", {"xuất sắc", NULL}},
    {NHANLUC__V1__RESULT__RESULT_VERY_GOOD, "VERY_GOOD", {"giỏi", NULL}},
    {NHANLUC__V1__RESULT__RESULT_GOOD, "GOOD", {"khá", NULL}},
    {NHANLUC__V1__RESULT__RESULT_AVERAGE, "AVERAGE", {"trung bình", NULL}},
    {NHANLUC__V1__RESULT__RESULT_FAIL, "FAIL", {"không đạt", NULL}},
};

static const struct label_value body_values[] = {
    {NHANLUC__V1__BODY__BODY_COMMITTEE,
     "COMMITTEE",
     {"ban chấp hành", "cấp ủy", "cấp uỷ", "bch", NULL}},
    {NHANLUC__V1__BODY__BODY_STANDING_COMMITTEE,
     "STANDING_COMMITTEE",
     {"ban thường vụ", "btv", NULL}},
};

static const struct label_value body_role_values[] = {
    {NHANLUC__V1__BODY_ROLE__BODY_ROLE_SECRETARY, "SECRETARY", {"bí thư", NULL}},
    {NHANLUC__V1__BODY_ROLE__BODY_ROLE_DEPUTY_SECRETARY, "DEPUTY_SECRETARY", {"phó bí thư", NULL}},
    {NHANLUC__V1__BODY_ROLE__BODY_ROLE_STANDING_MEMBER,
     "STANDING_MEMBER",
     {"ủy viên ban thường vụ", "uỷ viên ban thường vụ", "ủy viên btv", "uỷ viên btv", NULL}},
    {NHANLUC__V1__BODY_ROLE__BODY_ROLE_MEMBER,
     "MEMBER",
     {"ủy viên", "uỷ viên", "ủy viên ban chấp hành", "uỷ viên ban chấp hành", NULL}},
};

static const struct label_value body_or_title_values[] = {
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_COMMITTEE,
     "COMMITTEE",
     {"ban chấp hành", "cấp ủy", "cấp uỷ", "bch", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_STANDING_COMMITTEE,
     "STANDING_COMMITTEE",
     {"ban thường vụ", "btv", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_SECRETARY, "SECRETARY", {"bí thư", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_DEPUTY_SECRETARY,
     "DEPUTY_SECRETARY",
     {"phó bí thư", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_CHAIR_PEOPLES_COUNCIL,
     "CHAIR_PEOPLES_COUNCIL",
     {"chủ tịch hđnd", "chủ tịch hội đồng nhân dân", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_CHAIR_PEOPLES_COMMITTEE,
     "CHAIR_PEOPLES_COMMITTEE",
     {"chủ tịch ubnd", "chủ tịch ủy ban nhân dân", "chủ tịch uỷ ban nhân dân", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_VICE_CHAIR,
     "VICE_CHAIR",
     {"phó chủ tịch hđnd, ubnd", "phó chủ tịch hđnd", "phó chủ tịch ubnd", "phó chủ tịch",
      "phó chủ tịch hội đồng nhân dân", "phó chủ tịch ủy ban nhân dân",
      "phó chủ tịch uỷ ban nhân dân", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_DEPT_HEAD,
     "DEPT_HEAD",
     {"trưởng phòng, ban", "trưởng phòng", "trưởng ban", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_DEPT_DEPUTY,
     "DEPT_DEPUTY",
     {"phó phòng, ban", "phó phòng", "phó ban", "phó trưởng phòng", "phó trưởng ban", NULL}},
    {NHANLUC__V1__BODY_OR_TITLE__BODY_OR_TITLE_DIRECTOR,
     "DIRECTOR",
     {"giám đốc sở và tương đương", "giám đốc sở", "giám đốc", NULL}},
};

static const struct label_value annual_rating_values[] = {
    {NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_EXCELLENT,
     "EXCELLENT",
     {"htxsnv", "hoàn thành xuất sắc nhiệm vụ", NULL}},
    {NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_GOOD,
     "GOOD",
     {"httnv", "hoàn thành tốt nhiệm vụ", NULL}},
    {NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_COMPLETED,
     "COMPLETED",
     {"htnv", "hoàn thành nhiệm vụ", NULL}},
    {NHANLUC__V1__ANNUAL_RATING__ANNUAL_RATING_NOT_COMPLETED,
     "NOT_COMPLETED",
     {"khtnv", "không hoàn thành nhiệm vụ", NULL}},
};

static const struct label_value review_action_values[] = {
    {NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_KEEP,
     "KEEP",
     {"giữ nguyên", "giữ nguyên vị trí", "tiếp tục bố trí", NULL}},
    {NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_REASSIGN, "REASSIGN", {"điều chuyển", NULL}},
    {NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_ROTATE, "ROTATE", {"luân chuyển", NULL}},
    {NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_DISMISS, "DISMISS", {"miễn nhiệm", NULL}},
    {NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_REMOVE_FROM_PLANNING,
     "REMOVE_FROM_PLANNING",
     {"đưa ra khỏi quy hoạch", "đưa khỏi quy hoạch", "rút khỏi quy hoạch", NULL}},
    {NHANLUC__V1__REVIEW_ACTION__REVIEW_ACTION_FURTHER_TRAINING,
     "FURTHER_TRAINING",
     {"tiếp tục đào tạo", "đào tạo thêm", "bồi dưỡng thêm", "đào tạo, bồi dưỡng thêm",
      "tiếp tục đào tạo, bồi dưỡng", NULL}},
};

static const struct label_value report_status_values[] = {
    {NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_DRAFT, "DRAFT", {"nháp", NULL}},
    {NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_SUBMITTED, "SUBMITTED", {"đã gửi", NULL}},
    {NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_RETURNED, "RETURNED", {"trả lại", NULL}},
    {NHANLUC__V1__REPORT_STATUS__REPORT_STATUS_APPROVED, "APPROVED", {"đã duyệt", NULL}},
};

/* The empty text is false too (nl_label_parse handles it before the table). */
static const struct label_value bool_values[] = {
    {1, "true", {"1", "yes", "có", "x", NULL}},
    {0, "false", {"0", "no", "không", NULL}},
};

#define FIELD(name, prefix, choices, tab)                                                          \
    {                                                                                              \
        name, prefix, choices, tab, sizeof(tab) / sizeof(tab[0])                                   \
    }

/* Indexed by enum nl_field; the choices strings list the codes in table order. */
static const struct label_field fields[NL_F_COUNT] = {
    [NL_F_UNIT_KIND] = FIELD("kind", "",
                             "CITY, URBAN_DISTRICT, RURAL_DISTRICT, TOWN, AFFILIATED_COMMITTEE, "
                             "WARD, COMMUNE, TOWNSHIP",
                             unit_kind_values),
    [NL_F_TERM_KIND] = FIELD("kind", "", "PARTY_CONGRESS, PEOPLES_COUNCIL", term_kind_values),
    [NL_F_UNIT_EVENT_KIND] =
        FIELD("kind", "", "MERGE, SPLIT, RENAME, DISSOLVE", unit_event_kind_values),
    [NL_F_SEX] = FIELD("sex", "SEX_", "MALE, FEMALE", sex_values),
    [NL_F_LEVEL] = FIELD("level", "LEVEL_", "CITY, DISTRICT, COMMUNE", level_values),
    [NL_F_MGMT_CATEGORY] = FIELD("mgmt_category", "MGMT_CATEGORY_",
                                 "CITY_STANDING, DISTRICT_STANDING, OTHER", mgmt_category_values),
    [NL_F_EDUCATION] = FIELD("education", "EDUCATION_",
                             "BELOW_UNIVERSITY, UNIVERSITY, MASTER, DOCTOR", education_values),
    [NL_F_POLITICAL_THEORY] =
        FIELD("political_theory", "POLITICAL_THEORY_",
              "NONE, ELEMENTARY, INTERMEDIATE, ADVANCED, BACHELOR", political_theory_values),
    [NL_F_STATE_MGMT] =
        FIELD("state_mgmt", "STATE_MGMT_", "NONE, OFFICER, PRINCIPAL, SENIOR", state_mgmt_values),
    [NL_F_TRAINING_KIND] =
        FIELD("kind", "TRAINING_KIND_", "DEGREE, UPGRADE, BRIEFING", training_kind_values),
    [NL_F_AREA] = FIELD("area", "AREA_",
                        "POLITICAL_THEORY, STATE_MANAGEMENT, LEADERSHIP, PROFESSIONAL, "
                        "DEFENCE_SECURITY, FOREIGN_LANGUAGE, IT, MASS_MOBILISATION, OTHER",
                        area_values),
    [NL_F_CLASS_MODE] =
        FIELD("mode", "CLASS_MODE_", "FULL_TIME, PART_TIME, ONLINE", class_mode_values),
    [NL_F_CLASS_STATUS] =
        FIELD("status", "CLASS_STATUS_", "PLANNED, RUNNING, ENDED, CANCELLED", class_status_values),
    [NL_F_ENROLMENT_STATUS] =
        FIELD("status", "ENROLMENT_STATUS_", "ENROLLED, COMPLETED, FAILED, WITHDREW",
              enrolment_status_values),
    [NL_F_RESULT] =
        FIELD("result", "RESULT_", "EXCELLENT, VERY_GOOD, GOOD, AVERAGE, FAIL", result_values),
    [NL_F_BODY] = FIELD("body", "BODY_", "COMMITTEE, STANDING_COMMITTEE", body_values),
    [NL_F_BODY_ROLE] =
        FIELD("role", "BODY_ROLE_", "SECRETARY, DEPUTY_SECRETARY, STANDING_MEMBER, MEMBER",
              body_role_values),
    [NL_F_BODY_OR_TITLE] =
        FIELD("body_or_title", "BODY_OR_TITLE_",
              "COMMITTEE, STANDING_COMMITTEE, SECRETARY, DEPUTY_SECRETARY, "
              "CHAIR_PEOPLES_COUNCIL, CHAIR_PEOPLES_COMMITTEE, VICE_CHAIR, DEPT_HEAD, "
              "DEPT_DEPUTY, DIRECTOR",
              body_or_title_values),
    [NL_F_ANNUAL_RATING] = FIELD("annual_rating", "ANNUAL_RATING_",
                                 "EXCELLENT, GOOD, COMPLETED, NOT_COMPLETED", annual_rating_values),
    [NL_F_REVIEW_ACTION] = FIELD("action", "REVIEW_ACTION_",
                                 "KEEP, REASSIGN, ROTATE, DISMISS, REMOVE_FROM_PLANNING, "
                                 "FURTHER_TRAINING",
                                 review_action_values),
    [NL_F_REPORT_STATUS] = FIELD("status", "REPORT_STATUS_", "DRAFT, SUBMITTED, RETURNED, APPROVED",
                                 report_status_values),
    [NL_F_BOOL] = FIELD("boolean", "", "true, false", bool_values),
};

/* --- matching ------------------------------------------------------------ */

static const struct label_field *field_of(enum nl_field f)
{
    if ((int)f < 0 || f >= NL_F_COUNT)
        return NULL;
    return &fields[f];
}

/* Blank: ASCII space or tab, or U+00A0 (Excel keeps no-break spaces). Returns its length. */
static size_t blank_len(const char *s, size_t len)
{
    if (len >= 1 && (s[0] == ' ' || s[0] == '\t'))
        return 1;
    if (len >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
        return 2;
    return 0;
}

/*
 * Folds `in` (NUL-terminated) into out[outlen]: NFC, case-folded, outer
 * blanks trimmed, inner runs of blanks as one ' '. Returns 0, or -1 when the
 * text is not valid UTF-8 or too long to be any label.
 */
static int fold(const char *in, char *out, size_t outlen)
{
    size_t len = strlen(in);
    if (len > LABEL_MAX_INPUT)
        return -1;
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &m,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    if (r < 0)
        return -1;
    const char *s = (const char *)m;
    size_t n = (size_t)r, o = 0, i = 0;
    int pending_space = 0;
    while (i < n) {
        size_t b = blank_len(s + i, n - i);
        if (b > 0) {
            pending_space = o > 0;
            i += b;
            continue;
        }
        if (o + 2 >= outlen) {
            free(m);
            return -1;
        }
        if (pending_space)
            out[o++] = ' ';
        pending_space = 0;
        out[o++] = s[i++];
    }
    out[o] = '\0';
    free(m);
    return 0;
}

/* A character of a code as compared: ASCII upper case, '-' and ' ' standing for '_'. */
static char code_char(char c)
{
    if (c >= 'a' && c <= 'z')
        return (char)(c - 'a' + 'A');
    if (c == '-' || c == ' ')
        return '_';
    return c;
}

/* Whether folded text equals a code, compared with code_char(). */
static int code_eq(const char *text, const char *code)
{
    for (; *text != '\0' && *code != '\0'; text++, code++) {
        if (code_char(*text) != code_char(*code))
            return 0;
    }
    return *text == '\0' && *code == '\0';
}

/* Whether folded text begins with the field's wire prefix; returns the rest or NULL. */
static const char *strip_prefix(const char *text, const char *prefix)
{
    size_t i;
    if (prefix[0] == '\0')
        return NULL;
    for (i = 0; prefix[i] != '\0'; i++) {
        if (code_char(text[i]) != prefix[i])
            return NULL;
    }
    return text + i;
}

int nl_label_parse(enum nl_field f, const char *text, int *value)
{
    const struct label_field *fd = field_of(f);
    char buf[LABEL_MAX_INPUT * 2 + 8];
    if (fd == NULL || text == NULL || fold(text, buf, sizeof(buf)) != 0)
        return -1;
    if (buf[0] == '\0') {
        if (f != NL_F_BOOL)
            return -1;
        *value = 0;
        return 0;
    }
    const char *rest = strip_prefix(buf, fd->prefix);
    for (size_t i = 0; i < fd->n; i++) {
        const struct label_value *v = &fd->values[i];
        int hit = code_eq(buf, v->code) || (rest != NULL && code_eq(rest, v->code));
        for (size_t k = 0; !hit && v->labels[k] != NULL; k++)
            hit = strcmp(buf, v->labels[k]) == 0;
        if (hit) {
            *value = v->value;
            return 0;
        }
    }
    return -1;
}

const char *nl_label_code(enum nl_field f, int value)
{
    const struct label_field *fd = field_of(f);
    if (fd == NULL)
        return NULL;
    for (size_t i = 0; i < fd->n; i++) {
        if (fd->values[i].value == value)
            return fd->values[i].code;
    }
    return NULL;
}

const char *nl_label_choices(enum nl_field f)
{
    const struct label_field *fd = field_of(f);
    return fd != NULL ? fd->choices : "";
}

const char *nl_label_field_name(enum nl_field f)
{
    const struct label_field *fd = field_of(f);
    return fd != NULL ? fd->name : "";
}
