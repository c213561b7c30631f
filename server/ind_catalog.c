/*
 * ind_catalog.c - the indicator catalogue of DOMAIN.md section 4.
 *
 * One row per indicator: names, words for the formula and the population,
 * and the SQL fragments ind_engine.c assembles. Enum numbers are the
 * records.proto values (education MASTER = 3, UNIVERSITY = 2; political
 * theory INTERMEDIATE = 3, ADVANCED = 4, BACHELOR = 5; sex FEMALE = 2;
 * mgmt_category CITY_STANDING = 1; unit kind WARD = 6, COMMUNE = 7,
 * TOWNSHIP = 8; enrolment COMPLETED = 2, FAILED = 3; result EXCELLENT = 1,
 * VERY_GOOD = 2; annual rating EXCELLENT = 1, GOOD = 2; review action
 * REASSIGN = 2, ROTATE = 3, DISMISS = 4). nl_distinct() is store.c's
 * bitmap count of distinct row ids.
 */
#include <string.h>

#include "ind_catalog.h"

#define FLOW_DIMS   (NL_DIM_UNIT | NL_DIM_YEAR | NL_DIM_KIND | NL_DIM_AREA | NL_DIM_TARGET_GROUP)
#define PERSON_DIMS NL_DIM_PERSON
#define CLASS_POP   "classes not CANCELLED organised in the unit's subtree, by end date in the period"
#define ENROL_POP   "enrolments (not WITHDREW) of those classes"
#define POOL_POP    "COMMITTEE planning pool of the unit's subtree (--own: its own), term, on the date"
#define MEMBER_POP  "COMMITTEE members of the unit's subtree (--own: its own), term, on the date"

static const struct nl_ind_def catalog[] = {
    {"classes", "số lớp", "classes", "count of classes not CANCELLED", CLASS_POP, NL_IND_COUNT,
     NL_BASE_CLASS, NL_BASE_CLASS, NULL, "COUNT(*)", NULL, FLOW_DIMS, NULL, NULL, 0},
    {"enrolments", "lượt học viên", "enrolments", "count of enrolments (not WITHDREW)", ENROL_POP,
     NL_IND_COUNT, NL_BASE_ENROL, NL_BASE_ENROL, NULL, "COUNT(*)", NULL, FLOW_DIMS | PERSON_DIMS,
     "SUM(c.n_enrol)", NULL, 0},
    {"trainees", "số người học", "distinct trainees", "distinct cadres among counted enrolments",
     ENROL_POP, NL_IND_COUNT, NL_BASE_ENROL, NL_BASE_ENROL, NULL, "nl_distinct(e.cadre_id)", NULL,
     FLOW_DIMS | PERSON_DIMS, NULL, NULL, 1},
    {"attendance_rate", "chuyên cần", "attendance rate",
     "sum attended / sum (attended + absent_excused + absent_unexcused)", ENROL_POP, NL_IND_PERCENT,
     NL_BASE_ENROL, NL_BASE_ENROL, NULL, "SUM(e.attended)",
     "SUM(e.attended + e.absent_excused + e.absent_unexcused)", FLOW_DIMS | PERSON_DIMS,
     "SUM(c.n_attended)", "SUM(c.n_sessions)", 0},
    {"unexcused_absentees", "người vắng không phép", "unexcused absentees",
     "distinct cadres with absent_unexcused > 0", ENROL_POP, NL_IND_COUNT, NL_BASE_ENROL,
     NL_BASE_ENROL, NULL, "nl_distinct(CASE WHEN e.absent_unexcused > 0 THEN e.cadre_id END)", NULL,
     FLOW_DIMS | PERSON_DIMS, NULL, NULL, 2},
    {"completion_rate", "tỷ lệ hoàn thành", "completion rate", "COMPLETED / (COMPLETED + FAILED)",
     ENROL_POP, NL_IND_PERCENT, NL_BASE_ENROL, NL_BASE_ENROL, NULL, "SUM(e.status = 2)",
     "SUM(e.status IN (2, 3))", FLOW_DIMS | PERSON_DIMS, "SUM(c.n_completed)",
     "SUM(c.n_completed + c.n_failed)", 0},
    {"very_good_rate", "tốt nghiệp loại giỏi trở lên", "very good or excellent",
     "COMPLETED with result EXCELLENT or VERY_GOOD / COMPLETED", ENROL_POP, NL_IND_PERCENT,
     NL_BASE_ENROL, NL_BASE_ENROL, NULL, "SUM(e.status = 2 AND e.result IN (1, 2))",
     "SUM(e.status = 2)", FLOW_DIMS | PERSON_DIMS, "SUM(c.n_very_good)", "SUM(c.n_completed)", 0},
    {"plan_fulfilment", "thực hiện kế hoạch", "plan fulfilment",
     "counted enrolments / sum planned_trainees of counted classes", CLASS_POP, NL_IND_PERCENT,
     NL_BASE_ENROL, NL_BASE_CLASS, NULL, "COUNT(*)", "SUM(c.planned_trainees)", FLOW_DIMS,
     "SUM(c.n_enrol)", "SUM(c.planned_trainees)", 0},
    {"postgraduate_share", "trình độ sau đại học", "postgraduate share",
     "education MASTER or above / cadres", "cadres with mgmt_category CITY_STANDING on the date",
     NL_IND_PERCENT, NL_BASE_CADRE, NL_BASE_CADRE, "p.mgmt_category = 1", "SUM(p.education >= 3)",
     "COUNT(*)", NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"advanced_theory_share", "LLCT cao cấp, cử nhân", "advanced political theory share",
     "political_theory ADVANCED or BACHELOR / cadres",
     "cadres with mgmt_category CITY_STANDING on the date", NL_IND_PERCENT, NL_BASE_CADRE,
     NL_BASE_CADRE, "p.mgmt_category = 1", "SUM(p.political_theory >= 4)", "COUNT(*)",
     NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"key_commune_theory_share", "chủ chốt cấp xã có LLCT trung cấp trở lên",
     "key commune-level cadres with intermediate theory or above",
     "political_theory INTERMEDIATE or above / key cadres",
     "key cadres of WARD, COMMUNE and TOWNSHIP units on the date", NL_IND_PERCENT, NL_BASE_CADRE,
     NL_BASE_CADRE, "p.key_cadre = 1 AND uv.kind IN (6, 7, 8)", "SUM(p.political_theory >= 3)",
     "COUNT(*)", NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"key_ward_university_share", "chủ chốt phường, thị trấn có đại học",
     "key ward and township cadres with a university degree",
     "education UNIVERSITY or above / key cadres",
     "key cadres of WARD and TOWNSHIP units on the date", NL_IND_PERCENT, NL_BASE_CADRE,
     NL_BASE_CADRE, "p.key_cadre = 1 AND uv.kind IN (6, 8)", "SUM(p.education >= 2)", "COUNT(*)",
     NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"key_commune_university_share", "chủ chốt xã có đại học",
     "key commune cadres with a university degree", "education UNIVERSITY or above / key cadres",
     "key cadres of COMMUNE units on the date", NL_IND_PERCENT, NL_BASE_CADRE, NL_BASE_CADRE,
     "p.key_cadre = 1 AND uv.kind = 7", "SUM(p.education >= 2)", "COUNT(*)",
     NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"committee_women_share", "tỷ lệ nữ trong cấp ủy", "women in party committees",
     "female members / members", MEMBER_POP, NL_IND_PERCENT, NL_BASE_COMMITTEE, NL_BASE_COMMITTEE,
     "m.body = 1", "SUM(k.sex = 2)", "COUNT(*)", NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"committee_university_share", "cấp ủy viên có đại học trở lên",
     "committee members with a university degree or above",
     "education UNIVERSITY or above / members", MEMBER_POP, NL_IND_PERCENT, NL_BASE_COMMITTEE,
     NL_BASE_COMMITTEE, "m.body = 1", "SUM(p.education >= 2)", "COUNT(*)",
     NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"planning_coefficient", "hệ số quy hoạch", "planning coefficient",
     "distinct pool members / seats", POOL_POP " and its COMMITTEE seats", NL_IND_COEFF,
     NL_BASE_POOL, NL_BASE_SEATS, "pe.body_or_title = 1", "COUNT(*)",
     "SUM(CASE WHEN q.body_or_title = 1 THEN q.seats ELSE 0 END)", NL_DIM_UNIT, NULL, NULL, 0},
    {"planning_masters_share", "thạc sĩ trở lên trong nguồn quy hoạch",
     "master's or above in the planning pool", "education MASTER or above / pool members", POOL_POP,
     NL_IND_PERCENT, NL_BASE_POOL, NL_BASE_POOL, "pe.body_or_title = 1", "SUM(p.education >= 3)",
     "COUNT(*)", NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"planning_theory_share", "LLCT cao cấp, cử nhân trong nguồn",
     "advanced political theory in the planning pool",
     "political_theory ADVANCED or BACHELOR / pool members", POOL_POP, NL_IND_PERCENT, NL_BASE_POOL,
     NL_BASE_POOL, "pe.body_or_title = 1", "SUM(p.political_theory >= 4)", "COUNT(*)",
     NL_DIM_UNIT | PERSON_DIMS, NULL, NULL, 0},
    {"planning_women_share", "nữ trong nguồn quy hoạch", "women in the planning pool",
     "female / pool members", POOL_POP, NL_IND_PERCENT, NL_BASE_POOL, NL_BASE_POOL,
     "pe.body_or_title = 1", "SUM(k.sex = 2)", "COUNT(*)", NL_DIM_UNIT | PERSON_DIMS, NULL, NULL,
     0},
    {"planning_overload", "vượt quy định 3 người/chức danh, 3 chức danh/người",
     "planning-rule violations",
     "titles with more than 3 candidates + cadres with more than 3 titles, per unit and term",
     "planning entries for titles of the unit's subtree, term, on the date", NL_IND_COUNT,
     NL_BASE_OVERLOAD, NL_BASE_OVERLOAD, NULL, "COUNT(*)", NULL, NL_DIM_UNIT, NULL, NULL, 0},
    {"post_training_good_share", "chất lượng sau đào tạo", "good or excellent after training",
     "annual_rating EXCELLENT or GOOD / reviews",
     "reviews of the period's years, by the cadre's unit on 31 Dec", NL_IND_PERCENT, NL_BASE_REVIEW,
     NL_BASE_REVIEW, NULL, "SUM(r.annual_rating IN (1, 2))", "COUNT(*)",
     NL_DIM_UNIT | NL_DIM_YEAR | PERSON_DIMS, NULL, NULL, 0},
    {"reassignment_rate", "tỷ lệ bố trí lại", "reassignment rate",
     "action REASSIGN, ROTATE or DISMISS / reviews",
     "reviews of the period's years, by the cadre's unit on 31 Dec", NL_IND_PERCENT, NL_BASE_REVIEW,
     NL_BASE_REVIEW, NULL, "SUM(r.action IN (2, 3, 4))", "COUNT(*)",
     NL_DIM_UNIT | NL_DIM_YEAR | PERSON_DIMS, NULL, NULL, 0},
    {"report_completeness", "báo cáo đúng hạn", "annual reports on time",
     "SUBMITTED or APPROVED reports submitted by 31 Jan of the next year / units expected",
     "units other than CITY valid on 31 Dec of each year of the period", NL_IND_PERCENT,
     NL_BASE_REPORT, NL_BASE_REPORT, NULL,
     "SUM(rp.status IN (2, 4) AND substr(rp.submitted_at, 1, 10) <= (rp.year + 1) || '-01-31')",
     "COUNT(*)", NL_DIM_UNIT | NL_DIM_YEAR, NULL, NULL, 0},
};

static const char *const dim_names[NL_DIM_COUNT] = {
    "unit",         "year",  "kind",          "area",
    "target_group", "sex",   "education",     "political_theory",
    "key_cadre",    "level", "mgmt_category",
};

const struct nl_ind_def *nl_ind_catalog(size_t *n)
{
    *n = sizeof(catalog) / sizeof(catalog[0]);
    return catalog;
}

const struct nl_ind_def *nl_ind_find(const char *code)
{
    for (size_t i = 0; i < sizeof(catalog) / sizeof(catalog[0]); i++)
        if (strcmp(catalog[i].code, code) == 0)
            return &catalog[i];
    return NULL;
}

const char *nl_ind_dim_name(unsigned dim)
{
    for (unsigned i = 0; i < NL_DIM_COUNT; i++)
        if (dim == 1u << i)
            return dim_names[i];
    return NULL;
}

unsigned nl_ind_dim_parse(const char *name)
{
    for (unsigned i = 0; i < NL_DIM_COUNT; i++)
        if (strcmp(dim_names[i], name) == 0)
            return 1u << i;
    return 0;
}
