/*
 * store_party.h - the typed store API of the party area: committee
 * memberships, seat quotas, the planning pool and post-training reviews
 * (DOMAIN.md section 3; tables committee_membership, seat_quota,
 * planning_entry and review of schema migration 4). Implemented in
 * store_party.c, part of the store module (store.h: errors, connections and
 * transactions work as there).
 *
 * Keys (records.proto): a membership is (cadre, unit, term, body); a quota
 * (unit, term, body_or_title); a planning entry (cadre, unit, term,
 * body_or_title); a review (cadre, year). Every write is an upsert: a new key
 * inserts (NL_WRITE_CREATED), the same key with other content updates
 * (NL_WRITE_UPDATED), the same content writes nothing at all
 * (NL_WRITE_UNCHANGED, updated_at stays).
 *
 * Dates are "YYYY-MM-DD" text; an end_date / removed_on "" means still
 * active (NULL in the table). Enum fields hold records.proto values. Callers
 * validate every field first (rec_party.c: formats, enum ranges, date order,
 * seats >= 0, the review year); these functions check only what needs the
 * database, and refuse with NL_INVALID_ARGUMENT and a message naming the
 * field path, never a value: the cadre exists ("<msg>.cadre_code: no such
 * cadre"), the unit exists ("<msg>.unit: no such unit") and, for memberships
 * and planning entries, has a version valid on start_date / added_on, the
 * term exists ("<msg>.term: no such term"). A refused write writes nothing.
 */
#ifndef NL_STORE_PARTY_H
#define NL_STORE_PARTY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"

struct nl_store;

/* Titles (not bodies) among BodyOrTitle values: the Politburo 3x3 rule counts these. */
#define NL_PARTY_TITLE_MIN     3    /* BODY_OR_TITLE_SECRETARY */
#define NL_PARTY_TITLE_MAX     10   /* BODY_OR_TITLE_DIRECTOR */
#define NL_PARTY_RULE_LIMIT    3    /* at most 3 candidates per title, 3 titles per candidate */
#define NL_PARTY_VIOLATION_MAX 1000 /* most violations one list reports (in list order) */

/* Strings are borrowed (input) or arena-owned (output). */
struct nl_membership_rec {
    const char *cadre_code;
    const char *unit; /* unit code */
    const char *term; /* term code */
    int body;         /* Nhanluc__V1__Body, 1..2 */
    int role;         /* Nhanluc__V1__BodyRole, 1..4 */
    const char *start_date;
    const char *end_date; /* "" = still a member */
};

struct nl_seat_quota_rec {
    const char *unit;
    const char *term;
    int body_or_title; /* Nhanluc__V1__BodyOrTitle, 1..10 */
    int seats;         /* >= 0 */
};

struct nl_planning_rec {
    const char *cadre_code;
    const char *unit;
    const char *term;
    int body_or_title; /* Nhanluc__V1__BodyOrTitle, 1..10 */
    const char *added_on;
    const char *removed_on; /* "" = still in the pool */
};

struct nl_review_rec {
    const char *cadre_code;
    int year;
    int annual_rating;        /* Nhanluc__V1__AnnualRating, 1..4 */
    int meets_requirements;   /* 0 or 1 */
    int action;               /* Nhanluc__V1__ReviewAction, 1..6 */
    const char *decision_ref; /* NFC, 0..300 bytes, line breaks allowed */
};

/* One breach of the 3x3 rule at one unit and term. */
struct nl_planning_violation_rec {
    const char *unit;
    const char *term;
    const char *cadre_code; /* set (body_or_title 0): this cadre has `count` > 3 titles */
    int body_or_title;      /* set (cadre_code ""): this title has `count` > 3 candidates */
    int count;
};

/*
 * Upserts, inside a write transaction. On NL_OK *outcome is an enum
 * nl_write_outcome. On failure msg holds the client message (see above)
 * and nothing was written by the call.
 */
enum nl_status nl_store_membership_upsert(struct nl_store *st, const struct nl_membership_rec *m,
                                          int *outcome, char *msg, size_t msglen);
enum nl_status nl_store_seat_quota_set(struct nl_store *st, const struct nl_seat_quota_rec *q,
                                       int *outcome, char *msg, size_t msglen);
enum nl_status nl_store_planning_upsert(struct nl_store *st, const struct nl_planning_rec *p,
                                        int *outcome, char *msg, size_t msglen);
enum nl_status nl_store_review_upsert(struct nl_store *st, const struct nl_review_rec *r,
                                      int *outcome, char *msg, size_t msglen);

/*
 * SQL: the subtree of a unit over time, the one definition of "the units
 * under U in the tree valid on day D" that the lists of store_party.c and
 * store_reports.c and the unit filter of the export (store_import.c) share.
 * (It belongs in store_int.h, which this area does not own.)
 *
 * NL_SUBTREE_CTE(name, root, walk) is one recursive CTE (the statement
 * says WITH RECURSIVE) `name`(unit_id, lo, hi): the unit id expression
 * `root` on every day, and, while the SQL condition `walk` holds (e.g. "?2"
 * for a subtree flag, "1" always), every unit under it, each with a span of
 * days lo..hi ("YYYY-MM-DD", inclusive) on which it stands under `root` in
 * the tree valid that day: the intersection of the versions on its path
 * (unit_version, valid_to NULL = current). A unit under root on day D has a
 * row with lo <= D <= hi; spans only narrow, so UNION ends even on a cycle.
 * MATERIALIZED: computed once per statement, not once per row that a
 * correlated NL_SUBTREE_ON asks about (SQLite 3.35+).
 *
 * NL_SUBTREE_ON(name, col, day): true when unit id expression `col` is in
 * `name` on day `day` (a "YYYY-MM-DD" expression, which may depend on the
 * row: a class's end_date, 31 Dec of a report's year). NL_SUBTREE_DURING:
 * on some day of from..to (versioned rows: a unit or profile version).
 */
#define NL_SUBTREE_CTE(name, root, walk)                                                           \
    " " name "(unit_id, lo, hi) AS MATERIALIZED (SELECT " root ", '0001-01-01', '9999-12-31'"      \
    " UNION SELECT v.unit_id, max(v.valid_from, s.lo),"                                            \
    " min(COALESCE(v.valid_to, '9999-12-31'), s.hi)"                                               \
    " FROM " name " AS s JOIN unit_version AS v ON v.parent_id = s.unit_id"                        \
    " WHERE (" walk ") AND v.valid_from <= s.hi AND COALESCE(v.valid_to, '9999-12-31') >= s.lo) "
#define NL_SUBTREE_ON(name, col, day)                                                              \
    " EXISTS(SELECT 1 FROM " name " AS nl_t WHERE nl_t.unit_id = " col " AND " day                 \
    " BETWEEN nl_t.lo AND nl_t.hi) "
#define NL_SUBTREE_DURING(name, col, from, to)                                                     \
    " EXISTS(SELECT 1 FROM " name " AS nl_t WHERE nl_t.unit_id = " col " AND nl_t.lo <= " to       \
    " AND nl_t.hi >= " from ") "

/*
 * What a list covers: unit `unit` (required) and, with subtree, every unit
 * under it in the tree valid on day D; `term` (required for memberships,
 * quotas and planning entries; ignored by reviews); `year` (reviews only; 0
 * = every year). D is `as_of` ("YYYY-MM-DD") when not "", else for the term
 * lists the last day of the term's window (term A-B: 31 Dec of B - 1, from
 * the term row's end_year), for reviews 31 Dec of each review's year. D is
 * also the day on which planning entries count as active for the
 * violations. `scope` confines the rows to the units of a caller's scope
 * (scope_auth.h: a unit id, 0 = unconfined), inside the statement, before
 * the LIMIT.
 */
struct nl_party_scope {
    const char *unit;
    int subtree;
    const char *term;
    int year;
    const char *as_of;
    int64_t scope;
};

/*
 * The keyset position of a list: rows strictly after it come next; all
 * zero / "" = from the start. Its meaning per list (the list order):
 * memberships (unit, k1 = body, k2 = role, cadre_code); quotas (unit, k1 =
 * body_or_title); planning entries (unit, k1 = body_or_title, cadre_code);
 * reviews (k1 = year, cadre_code).
 */
struct nl_party_key {
    const char *unit;
    int k1;
    int k2;
    const char *cadre_code;
};

/*
 * The lists. Each returns at most `limit` rows after `after` in its order
 * (*rows an arena array of *n, *more = 1 when rows remain). A unit or term
 * that does not exist is NL_NOT_FOUND with msg "unit not found" / "term not
 * found". Reviews belong to the unit of the cadre's profile valid on 31
 * December of the review's year (DOMAIN.md 3); a cadre without a profile
 * then has its reviews listed under no unit.
 */
enum nl_status nl_store_membership_list(struct nl_store *st, const struct nl_party_scope *sc,
                                        const struct nl_party_key *after, size_t limit,
                                        struct nl_membership_rec **rows, size_t *n, int *more,
                                        struct nl_arena *a, char *msg, size_t msglen);
enum nl_status nl_store_seat_quota_list(struct nl_store *st, const struct nl_party_scope *sc,
                                        const struct nl_party_key *after, size_t limit,
                                        struct nl_seat_quota_rec **rows, size_t *n, int *more,
                                        struct nl_arena *a, char *msg, size_t msglen);
enum nl_status nl_store_planning_list(struct nl_store *st, const struct nl_party_scope *sc,
                                      const struct nl_party_key *after, size_t limit,
                                      struct nl_planning_rec **rows, size_t *n, int *more,
                                      struct nl_arena *a, char *msg, size_t msglen);
enum nl_status nl_store_review_list(struct nl_store *st, const struct nl_party_scope *sc,
                                    const struct nl_party_key *after, size_t limit,
                                    struct nl_review_rec **rows, size_t *n, int *more,
                                    struct nl_arena *a, char *msg, size_t msglen);

/*
 * The breaches of the Politburo rule among the planning entries of the
 * scope's units and term that are active on the scope's day D (added_on <=
 * D, removed_on empty or after D), counting titles only (BodyOrTitle
 * NL_PARTY_TITLE_MIN..MAX; the bodies are pools, not titles): one per
 * (unit, title) with more than 3 candidates and one per (unit, cadre) with
 * more than 3 titles, ordered by unit, then the title breaches by title,
 * then the cadre breaches by cadre_code; at most NL_PARTY_VIOLATION_MAX
 * (*truncated = 1 when more exist). NL_NOT_FOUND as for the lists.
 */
enum nl_status nl_store_planning_violations(struct nl_store *st, const struct nl_party_scope *sc,
                                            struct nl_planning_violation_rec **rows, size_t *n,
                                            int *truncated, struct nl_arena *a, char *msg,
                                            size_t msglen);

#endif
