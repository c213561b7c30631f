/*
 * store_cadres.h - the typed store API of the cadres area: cadres and their
 * versioned profiles (DOMAIN.md section 3; tables cadre and cadre_profile of
 * schema migration 3). Implemented in store_cadres.c, part of the store
 * module (store.h: errors, connections and transactions work as there).
 *
 * Dates are "YYYY-MM-DD" text. A profile version is valid from valid_from
 * (the `as_of` it was submitted with) to valid_to, its last day inclusive;
 * valid_to "" = current. Versions of one cadre never overlap: each ends the
 * day before the next one starts. Enum fields hold the proto enum values of
 * records.proto. Callers validate every field first (rec_cadres.c); these
 * functions trust formats and ranges and check only what needs the
 * database (the unit exists and is valid on as_of).
 */
#ifndef NL_STORE_CADRES_H
#define NL_STORE_CADRES_H

#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"
#include "store.h"

struct nl_store;

/* A cadre. Strings are borrowed (input) or arena-owned (output). */
struct nl_cadre_rec {
    const char *code;      /* cadre_code, [A-Za-z0-9._-]{1,64} */
    const char *full_name; /* NFC, 0..200 bytes; "" = none */
    int sex;               /* Nhanluc__V1__Sex, 1..2 */
    int birth_year;
};

/* One version of a cadre's profile. */
struct nl_cadre_profile_rec {
    const char *unit;           /* unit code */
    const char *position_title; /* NFC, 0..200 bytes */
    int key_cadre;              /* 0 or 1 */
    int level;                  /* Nhanluc__V1__Level */
    int mgmt_category;          /* Nhanluc__V1__MgmtCategory */
    int education;              /* Nhanluc__V1__Education */
    int political_theory;       /* Nhanluc__V1__PoliticalTheory */
    int state_mgmt;             /* Nhanluc__V1__StateMgmt */
    const char *valid_from;     /* the as_of of the version */
    const char *valid_to;       /* output: last day, "" = current; ignored on input */
};

/* A cadre with the profile version valid on some date (ListCadres). */
struct nl_cadre_at_rec {
    struct nl_cadre_rec cadre;
    struct nl_cadre_profile_rec profile;
};

/*
 * Upserts cadre `c` (key c->code) and, when `p` is not NULL, its profile
 * version keyed by (c->code, p->valid_from). Must run inside a write
 * transaction; on failure the caller rolls back (earlier statements of the
 * call may have written).
 *
 * The cadre: a new code inserts the row; an existing one gets sex,
 * birth_year and, when c->full_name is not empty, full_name from `c`
 * (an empty full_name keeps the stored one, so a profile update need not
 * repeat the name). The profile: a new valid_from inserts a version that
 * ends the day before the next later version (or is current) and closes
 * the previous version on the day before it; an existing valid_from with
 * different content is updated in place (its dates stay). Rows whose
 * content does not change are not written at all (updated_at stays).
 *
 * On NL_OK: *outcome is an enum nl_write_outcome, *cout the stored cadre
 * and, when p is not NULL, *pout the stored profile version with its
 * valid_to (strings in `a`). The unit of `p` must exist and have a version
 * valid on p->valid_from, else NL_INVALID_ARGUMENT with msg
 * "profile.unit: ...". Other failures: a mapped status with msg set.
 */
enum nl_status nl_store_cadre_upsert(struct nl_store *st, const struct nl_cadre_rec *c,
                                     const struct nl_cadre_profile_rec *p, int *outcome,
                                     struct nl_cadre_rec *cout, struct nl_cadre_profile_rec *pout,
                                     struct nl_arena *a, char *msg, size_t msglen);

/*
 * Reads cadre `code` into *out and every profile version, oldest first, into
 * the arena array *profiles of *n records (NULL and 0 when it has none).
 * NL_NOT_FOUND when no cadre has that code.
 */
enum nl_status nl_store_cadre_get(struct nl_store *st, const char *code, struct nl_cadre_rec *out,
                                  struct nl_cadre_profile_rec **profiles, size_t *n,
                                  struct nl_arena *a);

/*
 * Lists the cadres whose profile valid on `as_of` is at unit `unit` or at a
 * unit under it in the tree valid on `as_of` (unit "" = every cadre with a
 * profile valid then), each with that profile version, ordered by
 * cadre_code, those with a code > `after` ("" = from the start), only those
 * whose full_name contains `name` when name is non-NULL and non-empty (both
 * case-folded and in NFC, nl_text_fold(): letter case and composed or
 * decomposed input do not matter), at most `limit` rows (*more = 1 when
 * rows remain). A unit code that does not exist is NL_NOT_FOUND; a name
 * that is not UTF-8 NL_INVALID_ARGUMENT. *rows is an arena array of *n
 * records.
 */
enum nl_status nl_store_cadre_list(struct nl_store *st, const char *unit, const char *as_of,
                                   const char *name, const char *after, size_t limit,
                                   struct nl_cadre_at_rec **rows, size_t *n, int *more,
                                   struct nl_arena *a);

/*
 * nl_store_cadre_list confined to the cadres whose latest profile is at a
 * unit of the scope rooted at unit id `scope` (scope_auth.h; 0 =
 * unconfined), filtered inside the statement, before paging.
 */
enum nl_status nl_store_cadre_list_scoped(struct nl_store *st, int64_t scope, const char *unit,
                                          const char *as_of, const char *name, const char *after,
                                          size_t limit, struct nl_cadre_at_rec **rows, size_t *n,
                                          int *more, struct nl_arena *a);

#endif
