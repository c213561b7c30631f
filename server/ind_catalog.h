/*
 * ind_catalog.h - the indicator catalogue of DOMAIN.md section 4, as data.
 *
 * Each indicator is a numerator and (unless it is a count) a denominator,
 * both aggregates over one base population of records: counted classes,
 * counted enrolments, cadre profiles valid on the stock date, committee
 * members or pool members of a term active on that date, seats, reviews of
 * the period's years, or the annual reports expected in it. The SQL
 * fragments are trusted constant text of this file (never a client value);
 * ind_engine.c places them into one statement per computation, with the
 * table aliases that ind_engine.h lists for each base.
 */
#ifndef NL_IND_CATALOG_H
#define NL_IND_CATALOG_H

#include <stddef.h>

/* What a row of the population is (selects the FROM clause and the date rules). */
enum nl_ind_base {
    NL_BASE_CLASS = 1,     /* counted classes (not CANCELLED) of the period: flow */
    NL_BASE_ENROL = 2,     /* counted enrolments (not WITHDREW) of counted classes: flow */
    NL_BASE_CADRE = 3,     /* cadre profiles valid on D: stock */
    NL_BASE_COMMITTEE = 4, /* committee memberships of the term active on D: stock */
    NL_BASE_POOL = 5,      /* planning entries of the term active on D: stock */
    NL_BASE_SEATS = 6,     /* seat quotas of the term */
    NL_BASE_REVIEW = 7,    /* reviews of the period's years */
    NL_BASE_REPORT = 8,    /* units expected to report in the period's years */
    NL_BASE_OVERLOAD = 9,  /* planning-rule violations of the term on D */
};

/* Group-by dimensions (bit values, so a definition lists the ones it accepts). */
enum nl_ind_dim {
    NL_DIM_UNIT = 1u << 0,
    NL_DIM_YEAR = 1u << 1,
    NL_DIM_KIND = 1u << 2,
    NL_DIM_AREA = 1u << 3,
    NL_DIM_TARGET_GROUP = 1u << 4,
    NL_DIM_SEX = 1u << 5,
    NL_DIM_EDUCATION = 1u << 6,
    NL_DIM_POLITICAL_THEORY = 1u << 7,
    NL_DIM_KEY_CADRE = 1u << 8,
    NL_DIM_LEVEL = 1u << 9,
    NL_DIM_MGMT_CATEGORY = 1u << 10,
};
#define NL_DIM_COUNT 11
/* The dimensions that are attributes of a person (read from cadre and profile rows). */
#define NL_DIM_PERSON                                                                              \
    (NL_DIM_SEX | NL_DIM_EDUCATION | NL_DIM_POLITICAL_THEORY | NL_DIM_KEY_CADRE | NL_DIM_LEVEL |   \
     NL_DIM_MGMT_CATEGORY)

/* Nhanluc__V1__ValueKind values. */
#define NL_IND_COUNT   1
#define NL_IND_PERCENT 2
#define NL_IND_COEFF   3

struct nl_ind_def {
    const char *code;
    const char *name_vi;
    const char *name_en;
    const char *formula;    /* numerator / denominator in words */
    const char *population; /* the default population in words */
    int value_kind;         /* NL_IND_* */
    int base;               /* enum nl_ind_base of the numerator */
    int den_base;           /* enum nl_ind_base of the denominator (= base, or SEATS) */
    const char *where;      /* SQL condition selecting the population; NULL = all */
    const char *num;        /* SQL aggregate of the numerator over the population */
    const char *den;        /* SQL aggregate of the denominator; NULL for counts */
    unsigned dims;          /* enum nl_ind_dim bits accepted by --by */
    /*
     * The same numerator and denominator over NL_BASE_CLASS from the sums
     * each class keeps of its counted enrolments (schema 6); NULL when the
     * indicator needs the enrolments themselves. Used unless grouped by a
     * person's attribute.
     */
    const char *class_num, *class_den;
    /*
     * 1: the numerator is the distinct trainees of the counted enrolments,
     * 2: those of them with unexcused absences; counted through the store's
     * per-class trainee cache (store_indicators.h) unless grouped by a
     * person's attribute. 0: an aggregate.
     */
    int distinct;
};

/* The catalogue in its published order; *n gets its length. Static. */
const struct nl_ind_def *nl_ind_catalog(size_t *n);

/* The definition of `code` (exact, lower case), or NULL when unknown. Static. */
const struct nl_ind_def *nl_ind_find(const char *code);

/* The name of a dimension bit ("unit", "target_group"), or NULL. Static. */
const char *nl_ind_dim_name(unsigned dim);

/* The bit of a dimension name, or 0 when unknown. */
unsigned nl_ind_dim_parse(const char *name);

#endif
