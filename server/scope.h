/*
 * scope.h - which units' records count for a unit, on which days
 * (DOMAIN.md 4 "Scope" and 5 "Lineage").
 *
 * Pure computation over the unit history held in memory (struct
 * nl_scope_tree, loaded by store_indicators.c): no SQLite, no I/O, so every
 * rule is unit-tested directly. Dates are day numbers (common/date.h).
 *
 * A scope is a list of intervals (unit, from, to, group): "records of unit
 * `unit` dated within [from, to] count, in group `group`". A flow record
 * (a class) is dated by its end date, a stock by the stock date D. Within
 * one group the intervals of a unit never overlap (nl_scope_normalise), so
 * joining records against them counts each record at most once per group.
 */
#ifndef NL_SCOPE_H
#define NL_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#define NL_SCOPE_FOREVER 2932896   /* 9999-12-31: the end of a current version */
#define NL_SCOPE_ALWAYS  (-719162) /* 0001-01-01: "since always" */
#define NL_SCOPE_MAX_IVS 200000    /* a bound on any scope's size (RESOURCE_EXHAUSTED beyond) */

struct nl_scope_version {
    int64_t unit_id;
    int64_t parent_id; /* 0 = none */
    int kind;          /* UnitKind value */
    int32_t from, to;  /* inclusive; to = NL_SCOPE_FOREVER when current */
};

struct nl_scope_event {
    int kind; /* UnitEventKind: 1 MERGE, 2 SPLIT, 3 RENAME, 4 DISSOLVE */
    int32_t date;
    const int64_t *sources;
    size_t nsources;
    const int64_t *targets;
    size_t ntargets;
};

/* The whole unit history. Arrays borrowed by the functions below. */
struct nl_scope_tree {
    const struct nl_scope_version *v; /* sorted by (unit_id, from) */
    size_t nv;
    const struct nl_scope_event *ev;
    size_t nev;
    const char *const *code; /* code[i] of unit id ids[i] */
    const int64_t *ids;      /* sorted ascending */
    size_t nunits;
};

struct nl_scope_iv {
    int64_t unit_id;
    int32_t from, to;
    int group;
    int64_t via; /* 0: in the unit's own tree; else the unit whose lineage brought it */
};

/* A growable list of intervals; zero-initialise, free with nl_scope_free. */
struct nl_scope {
    struct nl_scope_iv *iv;
    size_t n, cap;
    int overflow; /* set when NL_SCOPE_MAX_IVS was reached: the scope is incomplete */
};

void nl_scope_free(struct nl_scope *s);

/* The code of unit `id`, or NULL when the tree has no such unit. Borrowed from the tree. */
const char *nl_scope_code(const struct nl_scope_tree *t, int64_t id);

/* 1 when unit `id` has a version valid on `day`; *kind gets its kind (may be NULL). */
int nl_scope_valid_on(const struct nl_scope_tree *t, int64_t id, int32_t day, int *kind);

/*
 * Appends to `s` the flow scope of unit `u` within [from, to], in group
 * `group`: u and every unit under it in the tree valid on each day, and,
 * through lineage, the same for every source of a MERGE or RENAME whose
 * target is u (transitively), limited to the days before that event. A SPLIT
 * attributes nothing to its targets. Returns 0, or -1 when out of memory.
 */
int nl_scope_flow(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to, int group,
                  struct nl_scope *s);

/*
 * Appends the stock scope of unit `u` on `day`: u and every unit under it in
 * the tree valid that day; when u is not valid that day, its MERGE and RENAME
 * predecessors (transitively) that are, each with the units under it. With
 * `own`, the units themselves without those under them. Returns 0 or -1.
 */
int nl_scope_stock(const struct nl_scope_tree *t, int64_t u, int32_t day, int own, int group,
                   struct nl_scope *s);

/*
 * Appends the scope of unit `u` split into the rows of "--by unit"
 * (DOMAIN.md 4): kids[0..nk-1] are the children of u (nl_scope_children),
 * row i is kids[i]'s part and row nk is u's own. A record of a unit on day d
 * goes to the row of the child of u that holds the unit in the tree of day d;
 * u's own records and everything that reaches u only through lineage go to
 * row nk. Flow (stock = 0): over [from, to], lineage as nl_scope_flow. Stock
 * (stock = 1, from = to = the day): as nl_scope_stock without `own`; when u
 * is not valid that day, its predecessors all go to row nk. Every (unit, day)
 * of u's flow or stock scope lands in exactly one row, so the rows add up to
 * the whole. A child in kids that holds nothing gets no interval. Returns 0,
 * or -1 when out of memory (s->overflow as for the others).
 */
int nl_scope_rows(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to, int stock,
                  const int64_t *kids, size_t nk, struct nl_scope *s);

/*
 * Sorts `s` by (group, unit, from) and merges the overlapping or adjacent
 * intervals of one unit in one group (keeping the first `via`).
 */
void nl_scope_normalise(struct nl_scope *s);

/*
 * The units with a version that names `u` as parent on some day of
 * [from, to] (from = to: the children on that day), each once, by code:
 * *out is a malloc'd array of *n ids (free() it). Returns 0 or -1.
 */
int nl_scope_children(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to,
                      int64_t **out, size_t *n);

/* The root CITY unit valid on `day` (kind 1, no parent), or 0 when none. */
int64_t nl_scope_city(const struct nl_scope_tree *t, int32_t day);

#endif
