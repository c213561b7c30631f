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
 * What a list covers: unit `unit` (required) and, with subtree, every unit
 * under it in the tree valid on `today` ("YYYY-MM-DD"); `term` (required for
 * memberships, quotas and planning entries; ignored by reviews); `year`
 * (reviews only; 0 = every year). `today` is also the date on which planning
 * entries count as active for the violations.
 */
struct nl_party_scope {
    const char *unit;
    int subtree;
    const char *term;
    int year;
    const char *today;
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
 * scope's units and term that are active on sc->today (added_on <= today,
 * removed_on empty or after today), counting titles only (BodyOrTitle
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
