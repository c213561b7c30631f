/*
 * store_indicators.h - what the indicator engine (ind_engine.c) reads from
 * the store: the whole unit history and the terms (small: loaded per call),
 * and the rows of one aggregate statement that the engine assembles from
 * trusted fragments (ind_catalog.c) with every value bound.
 *
 * Must run inside a read transaction (job.c opens one for NL_M_READ
 * handlers), so every statement of one computation sees one snapshot.
 */
#ifndef NL_STORE_INDICATORS_H
#define NL_STORE_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

#include "scope.h"
#include "store.h"

struct nl_ind_term {
    int64_t id;
    const char *code;
    int kind; /* TermKind: 1 PARTY_CONGRESS, 2 PEOPLES_COUNCIL */
    int start_year, end_year;
};

/* The unit history and the terms, all in the arena. */
struct nl_ind_world {
    struct nl_scope_tree tree;
    const struct nl_ind_term *terms; /* by start_year, code */
    size_t nterms;
};

/*
 * Loads every unit (id, code), unit version and event, and every term, into
 * *w (arrays in `a`). NL_OK or a mapped status (RESOURCE_EXHAUSTED when the
 * arena is full).
 */
enum nl_status nl_store_ind_world(struct nl_store *st, struct nl_ind_world *w, struct nl_arena *a);

/* A bound value of an assembled statement: an integer or text (borrowed). */
struct nl_ind_param {
    const char *text; /* non-NULL: bind this text; else bind `i` */
    int64_t i;
};

/* One result row: the group index, up to two dimension values, the sums. */
struct nl_ind_row {
    int64_t g;        /* column 0 */
    const char *k[2]; /* columns 1 and 2 as text ("" for NULL), in the arena */
    int64_t num, den; /* columns 3 and 4 (NULL reads 0) */
    int64_t x;        /* column 5 when the statement has one, else 0 */
};

/*
 * Prepares `sql` (text assembled by ind_engine.c from constant fragments;
 * parameters ?1..?np), binds `p`, and collects its rows (5 columns: g, k1,
 * k2, num, den, and optionally a sixth, x) into an arena array *rows of *n.
 * More than `max` rows is
 * NL_RESOURCE_EXHAUSTED. Honours the interrupt set by nl_store_set_interrupt.
 * A statement SQLite refuses to prepare is NL_INTERNAL (a bug of ours).
 */
enum nl_status nl_store_ind_run(struct nl_store *st, const char *sql, const struct nl_ind_param *p,
                                size_t np, size_t max, struct nl_ind_row **rows, size_t *n,
                                struct nl_arena *a);

/*
 * Distinct trainees: counts the distinct cadres among the counted
 * enrolments (status not WITHDREW) of `classes`, per group. Each input row
 * names one class: num = class id, den = its `rev` (schema 6), g and k[0]
 * its group. With `unexcused`, only enrolments with absent_unexcused > 0
 * count. *out gets one row per group (g, k[0]) in first-seen order, num =
 * the count (arena array of *nout).
 *
 * Each connection keeps, per class, the cadre ids of its counted
 * enrolments, valid while the class's rev is unchanged (every enrolment
 * write bumps it in the same transaction), so a warm count reads one index
 * entry per class instead of every enrolment. The cache holds at most
 * NL_TRAINEE_CACHE_BYTES and starts over beyond.
 */
#define NL_TRAINEE_CACHE_BYTES ((size_t)64 << 20)
enum nl_status nl_store_ind_distinct(struct nl_store *st, const struct nl_ind_row *classes,
                                     size_t n, int unexcused, struct nl_ind_row **out, size_t *nout,
                                     struct nl_arena *a);

/* What nl_store_ind_enrol_agg sums over the enrolments that pass. */
enum nl_enrol_measure {
    NL_EM_NONE = 0,   /* nothing: a count has no denominator */
    NL_EM_ENROLMENTS, /* enrolments */
    NL_EM_TRAINEES,   /* distinct cadres */
    NL_EM_UNEXCUSED,  /* distinct cadres with absent_unexcused > 0 */
    NL_EM_ATTENDED,   /* sum of attended */
    NL_EM_SESSIONS,   /* sum of attended + absent_excused + absent_unexcused */
    NL_EM_COMPLETED,  /* enrolments COMPLETED */
    NL_EM_ASSESSED,   /* enrolments COMPLETED or FAILED */
    NL_EM_VERY_GOOD,  /* enrolments COMPLETED with result EXCELLENT or VERY_GOOD */
};

/*
 * A trainee's attributes: the cadre's sex, and the rest from the profile
 * version valid on the class's end date (none: "no profile").
 */
enum nl_person_attr {
    NL_PA_SEX = 0,
    NL_PA_EDUCATION,
    NL_PA_POLITICAL_THEORY,
    NL_PA_KEY_CADRE,
    NL_PA_LEVEL,
    NL_PA_MGMT_CATEGORY,
    NL_PA_COUNT
};

struct nl_enrol_spec {
    int num, den;    /* enum nl_enrol_measure; den NL_EM_NONE for a count */
    int dim[2];      /* the attribute (enum nl_person_attr) grouped into k[i], or -1 */
    uint32_t status; /* the enrolment statuses that pass: bit s for EnrolmentStatus s */
    /* Per attribute, the values that pass: bit v + 1 for stored value v, bit 0 for no
     * profile; 0 = every value. */
    uint32_t allow[NL_PA_COUNT];
};

/*
 * Sums spec->num and spec->den over the enrolments of `classes` whose
 * status and attributes pass, per group: each input row names one class
 * (num = class id, den = its rev, x = its end date as the integer
 * YYYYMMDD) and its group (g, k[0], k[1]); a key column that spec->dim
 * fills is ignored in the input and holds, in the output, the attribute's
 * stored value as text ("2"), "" for no profile. *out (arena array of
 * *nout) gets one row per group with at least one enrolment that passed,
 * (g, k[0], k[1], num, den), ordered by g, then k[0] and k[1] ("" first,
 * numbers by value, text by bytes): the order of the SQL GROUP BY it
 * replaces.
 *
 * The per-connection cache above keeps, with the ids, each enrolment's
 * status, attendance, result and the trainee's attributes on the class's
 * end date (valid while the class's rev and end date are unchanged), and
 * reads the log of schema 11 (profile_change) first: the cached classes of
 * a cadre whose sex or profile versions changed are read again. Must run
 * inside a read transaction. NL_OK or a mapped status.
 */
enum nl_status nl_store_ind_enrol_agg(struct nl_store *st, const struct nl_ind_row *classes,
                                      size_t n, const struct nl_enrol_spec *spec,
                                      struct nl_ind_row **out, size_t *nout, struct nl_arena *a);

#endif
