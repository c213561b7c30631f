/*
 * ind_engine.h - the indicator engine of DOMAIN.md section 4: resolves what
 * a request asks about (unit, period, stock date, term), builds the scope
 * (scope.h), assembles one aggregate statement per population from the
 * catalogue's fragments (ind_catalog.h), and turns the exact counts into
 * values, targets and `met`. Proto-free: ind_handlers.c maps requests and
 * responses.
 *
 * Everything an answer holds is allocated in the environment's arena.
 */
#ifndef NL_IND_ENGINE_H
#define NL_IND_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ind_catalog.h"
#include "store_indicators.h"
#include "store_targets.h"

/* One computation's context: the store, the arena, the history, a message buffer. */
struct nl_ind_env {
    struct nl_store *st; /* borrowed; inside a read transaction */
    struct nl_arena *a;  /* borrowed */
    struct nl_ind_world w;
    char *msg; /* client message of a failure: a field path, never a value */
    size_t msglen;
};

/* Loads the unit history and the terms. NL_OK or a mapped status. */
enum nl_status nl_ind_env_open(struct nl_ind_env *e, struct nl_store *st, struct nl_arena *a,
                               char *msg, size_t msglen);

/* What the caller asked (Selection of indicators.proto); strings borrowed, "" = not given. */
struct nl_ind_ask {
    const char *unit;
    int own;
    const char *term;
    int year; /* 0 = not given */
    const char *from, *to, *as_of;
};

/* What it resolves to. */
struct nl_ind_sel {
    int64_t unit_id;
    const char *unit; /* its code */
    int own;
    int has_period;                 /* 0: no flow period could be found (no term contains D) */
    int32_t pfrom, pto;             /* the flow window, inclusive */
    int year_from, year_to;         /* years whose 31 Dec lies in the window (reviews, reports) */
    const char *period;             /* "2015-2020", "2019", "2019-01-01..2019-06-30" */
    int32_t d;                      /* the stock date */
    const char *as_of;              /* its text */
    const struct nl_ind_term *term; /* term-scoped populations and targets; NULL when none */
    int term_given;                 /* 1: from the request's term */
};

/*
 * Resolves `ask` with DOMAIN.md 4's rules: at most one of term, year,
 * from + to (both) — else NL_INVALID_ARGUMENT naming "selection.<field>";
 * dates must parse; an unknown term or unit is NL_NOT_FOUND
 * ("selection.term" / "selection.unit"); no unit = the CITY root valid on D
 * (NL_FAILED_PRECONDITION when there is none). D = as_of, else the last day
 * of the period, else today. Without a period, the flow period is the
 * PARTY_CONGRESS term whose window contains D; the term is `term`, else that
 * same term.
 */
enum nl_status nl_ind_resolve(struct nl_ind_env *e, const struct nl_ind_ask *ask,
                              struct nl_ind_sel *out);

/* Null-able `met`: Nhanluc__V1__Met values. */
#define NL_MET_NULL 0
#define NL_MET_YES  1
#define NL_MET_NO   2

struct nl_ind_value {
    const struct nl_ind_def *def;
    const char *unit;     /* the unit of the row: the asked unit, or the group's unit */
    unsigned dim[2];      /* grouped dimensions (0 = none) */
    const char *group[2]; /* their values: codes ("FEMALE"), unit codes, years */
    int64_t num, den;
    int has_den, has_value;
    const char *value; /* rounded decimal text, or NULL */
    int has_target;
    struct nl_target_rec target;
    int met; /* NL_MET_* */
};

/* What is behind a value (ShowIndicator --explain). Arrays in the arena. */
struct nl_ind_explain {
    const char **filters;
    size_t nfilters;
    const char **units; /* "code from..to", "(lineage of X)" marked */
    size_t nunits;
    const char **counts;
    size_t ncounts;
};

/*
 * Computes indicator `def` for `sel`: one row, or with `by` (a dimension bit
 * the definition accepts, else NL_INVALID_ARGUMENT "by") one row per group;
 * by unit = one row per child of the unit on the stock date (each holding
 * its subtree, through lineage for flows) plus the unit itself when it has
 * records of its own. Targets and `met` are set per row. With `ex`
 * non-NULL, fills the explanation. NL_FAILED_PRECONDITION when the
 * indicator needs a period or a term and none applies.
 */
enum nl_status nl_ind_compute(struct nl_ind_env *e, const struct nl_ind_def *def,
                              const struct nl_ind_sel *sel, unsigned by, struct nl_ind_value **rows,
                              size_t *n, struct nl_ind_explain *ex);

/*
 * The change b - a of two values of one indicator, exact, rounded like the
 * values, signed ("+27.6", "-0.48", "+0"). NULL when either value is null.
 */
const char *nl_ind_change(struct nl_ind_env *e, const struct nl_ind_value *a,
                          const struct nl_ind_value *b);

/* The expected units without a SUBMITTED or APPROVED report, per year of sel's period. */
struct nl_ind_missing {
    const char *unit;
    int year;
};
enum nl_status nl_ind_missing_reports(struct nl_ind_env *e, const struct nl_ind_sel *sel,
                                      struct nl_ind_missing **rows, size_t *n);

/*
 * The cadres behind the unexcused_absentees count of sel (counted
 * enrolments of the period with absent_unexcused > 0, in the unit's flow
 * scope), by cadre_code, at most `max` of them (*truncated = 1 when there
 * are more): their full_name ("" when none is stored; the caller decides who
 * may see it), the classes with such absences and the sessions missed.
 * Arena-owned (e->a).
 */
struct nl_ind_absentee {
    const char *cadre_code, *full_name;
    int64_t classes, sessions;
};
enum nl_status nl_ind_absentees(struct nl_ind_env *e, const struct nl_ind_sel *sel, size_t max,
                                struct nl_ind_absentee **out, size_t *nout, int *truncated);

/*
 * The general aggregate query: a filter field=value. A value is a bare
 * code in any letter case ("female"), true/false for key_cadre, a year, or
 * for target_group its code (any case) or Vietnamese label (case and
 * composed/decomposed forms ignored).
 */
struct nl_ind_filter {
    const char *field;
    const char *value;
};
struct nl_ind_qrow {
    const char *group[2];
    int64_t value;
};
#define NL_IND_QUERY_MAX_ROWS 10000
/*
 * Counts `measure` (classes, planned_trainees, enrolments, trainees, cadres,
 * committee_members, pool_members, seats, reviews) over sel's scope and
 * period or date, with the filters (one field given twice = either value)
 * and up to two dimensions `by`. Flows count what the indicators count
 * (classes not CANCELLED, enrolments not WITHDREW) unless a class_status or
 * enrolment_status filter names the statuses to count instead, so
 * class_status=CANCELLED counts the cancelled classes and
 * enrolment_status=WITHDREW the withdrawals. An unknown measure, field,
 * dimension or value, or one that does not apply to the measure, is
 * NL_INVALID_ARGUMENT naming "measure", "filters[i].field",
 * "filters[i].value" (quoting the value) or "by[i]". Rows ordered by group
 * values.
 */
enum nl_status nl_ind_aggregate(struct nl_ind_env *e, const char *measure,
                                const struct nl_ind_sel *sel, const struct nl_ind_filter *f,
                                size_t nf, const char *const *by, size_t nby,
                                struct nl_ind_qrow **rows, size_t *n);

#endif
