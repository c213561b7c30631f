/*
 * store_targets.h - indicator targets (DOMAIN.md 4 "Targets and met"),
 * table `target` of schema migration 5. Key: (indicator, unit, term); the
 * unit "" names no unit. The term is a term code; the article's five
 * targets for 2015-2020 are seeded by the migration.
 *
 * Strings of records are borrowed (input) or arena-owned (output).
 */
#ifndef NL_STORE_TARGETS_H
#define NL_STORE_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct nl_target_rec {
    const char *indicator; /* a catalogue code (validated by the caller) */
    const char *op;        /* ">=", ">", "=", "<=", "<" */
    const char *value;     /* normalised decimal text: "35", "22.5" (validated by the caller) */
    const char *unit;      /* unit code; "" = no unit */
    const char *term;      /* term code */
};

/*
 * Sets a target inside a write transaction. The unit (when given) and the
 * term must exist (NL_INVALID_ARGUMENT "target.unit: no such unit" /
 * "target.term: no such term"; msg gets the message of any failure, and a
 * refused set writes nothing). A new key: inserted, *created = 1 and
 * *changed = 1. The same key with the same op and value: a replay, nothing
 * written (*created = 0, *changed = 0). Another op or value: updated
 * (*created = 0, *changed = 1). So *changed says whether the call wrote.
 */
enum nl_status nl_store_target_set(struct nl_store *st, const struct nl_target_rec *t, int *created,
                                   int *changed, char *msg, size_t msglen);

/*
 * Every target, filtered by indicator and term ("" = any), ordered by
 * indicator, term, unit ("" first). *rows is an arena array of *n; more
 * than 10,000 matching targets is NL_RESOURCE_EXHAUSTED.
 */
enum nl_status nl_store_target_list(struct nl_store *st, const char *indicator, const char *term,
                                    struct nl_target_rec **rows, size_t *n, struct nl_arena *a);

/*
 * nl_store_target_list for a caller confined to the scope rooted at unit id
 * `scope` (nl_auth_scope(); 0 = unconfined: every target, as above). A
 * confined caller sees only the targets that concern it: those naming no
 * unit, those naming a unit of its scope (its unit or one under it, the
 * standing tree of scope_auth.h), and those naming one of its ancestors in
 * the same tree (the city's, the province's). Targets of sibling or other
 * units are filtered out in SQL, before the row limit. Same order and
 * limit as nl_store_target_list.
 */
enum nl_status nl_store_target_list_scoped(struct nl_store *st, const char *indicator,
                                           const char *term, int64_t scope,
                                           struct nl_target_rec **rows, size_t *n,
                                           struct nl_arena *a);

/*
 * Deletes the target of that key (inside a write transaction); *deleted 0
 * when none (a unit code no unit has included: no target names it).
 */
enum nl_status nl_store_target_delete(struct nl_store *st, const char *indicator, const char *unit,
                                      const char *term, int *deleted);

/*
 * The target that applies to a value of `indicator` for unit `unit` (a
 * code) and term `term`: the one naming that unit, else the one naming no
 * unit (a target naming a unit never passes to the units under it). With
 * unit "" only the one naming no unit applies. *found = 0 when none
 * applies; else *out is filled (strings in `a`). Read-only: any
 * transaction.
 */
enum nl_status nl_store_target_find(struct nl_store *st, const char *indicator, const char *unit,
                                    const char *term, struct nl_target_rec *out, int *found,
                                    struct nl_arena *a);

#endif
