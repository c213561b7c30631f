/*
 * scope_auth.h - the unit confinement of a caller (issue 5, RELIABILITY.md
 * 5 "roles"): which units' records a district token may read and write.
 * The one rule every handler applies; the role rule of a method is
 * nl_method_allows() (method.h), applied before the handler runs.
 *
 * The rule. A caller is confined when it is a district (ctx->who->role
 * NL_ROLE_DISTRICT): its scope is its unit U and every unit under U in the
 * "standing tree", where each unit stands under the parent of its latest
 * version that started on or before today (UTC): the tree valid today,
 * with a unit that has ended (merged, dissolved) kept where it last stood,
 * so a district keeps the history of its own communes. Every other caller
 * (admin, central, or NL_ROLE_NONE with `auth = off`) is unconfined.
 * A record belongs to the unit it names (a class to its organiser, a
 * cadre to the unit of its current profile, a party record, a quota or a
 * report to its unit), and is in scope when that unit is.
 *
 * What a handler answers for a confined caller:
 * - a record or unit named by key outside the scope: NOT_FOUND, with the
 *   same message as an absent one (existence is not leaked);
 * - a write naming a unit outside the scope: PERMISSION_DENIED;
 * - a list: filtered by NL_AUTH_SCOPE_SQL inside its statement, before
 *   LIMIT, so pages never carry or count another unit's rows.
 * full_name of a cadre goes to unconfined callers other than central, and
 * to a district (which only ever sees cadres of its scope).
 *
 * Functions run on the thread that holds ctx->store, inside its
 * transaction (like every handler).
 */
#ifndef NL_SCOPE_AUTH_H
#define NL_SCOPE_AUTH_H

#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"
#include "method.h"

/*
 * SQL: true when unit id expression `col` is in the scope rooted at the
 * unit id bound as parameter `param` ("?9"); a bound 0 means unconfined
 * (always true). Every list statement of a confinable read ANDs it into its
 * WHERE clause and binds nl_auth_scope(ctx). `param` may appear elsewhere
 * in the statement; the subquery does not depend on the row, so SQLite
 * computes the scope once per execution.
 */
#define NL_AUTH_SCOPE_SQL(col, param)                                                              \
    " (" param " = 0 OR " col " IN (WITH RECURSIVE nl_scope(id) AS (SELECT " param                 \
    " UNION SELECT sv.unit_id FROM unit_version AS sv JOIN nl_scope ON sv.parent_id = nl_scope.id" \
    " WHERE sv.valid_from = (SELECT max(sw.valid_from) FROM unit_version AS sw"                    \
    " WHERE sw.unit_id = sv.unit_id AND sw.valid_from <= date('now'))) SELECT id FROM nl_scope)) "

/*
 * SQL: the unit id a cadre belongs to, for cadre id expression `cadre`: the
 * unit of its latest profile version (NULL for a cadre without a profile,
 * which then is in no district's scope).
 */
#define NL_AUTH_CADRE_UNIT_SQL(cadre)                                                              \
    "(SELECT cp.unit_id FROM cadre_profile AS cp WHERE cp.cadre_id = " cadre                       \
    " ORDER BY cp.valid_from DESC LIMIT 1)"

/* The root unit id of the caller's scope: who->unit_id for a district, else 0 (unconfined). */
int64_t nl_auth_scope(const struct nl_ctx *ctx);

/* 1 when the caller is confined to a scope (a district), else 0. */
int nl_auth_confined(const struct nl_ctx *ctx);

/*
 * Whether unit id `unit_id` is in the scope rooted at unit id `root`
 * (root 0: always). *in = 1 or 0. The store's status when it could not
 * answer. Store side of the rule (store_scope.c).
 */
enum nl_status nl_store_scope_has(struct nl_store *st, int64_t root, int64_t unit_id, int *in);

/*
 * Like nl_store_scope_has for unit code `code`: *in = 0 also when no unit
 * has the code, so callers cannot tell "absent" from "not yours".
 */
enum nl_status nl_store_scope_has_code(struct nl_store *st, int64_t root, const char *code,
                                       int *in);

/*
 * Whether cadre `code` belongs to a unit of the scope rooted at `root`
 * (root 0: any cadre): *exists = 1 when a cadre has the code, *in = 1 when
 * it exists and its unit (NL_AUTH_CADRE_UNIT_SQL) is in the scope.
 */
enum nl_status nl_store_scope_has_cadre(struct nl_store *st, int64_t root, const char *code,
                                        int *in, int *exists);

/* The code of unit id `id` into *code (in `a`); NL_NOT_FOUND when no unit has the id. */
enum nl_status nl_store_unit_code_of(struct nl_store *st, int64_t id, const char **code,
                                     struct nl_arena *a);

/*
 * The rule as a handler asks it: may the caller read/write records of unit
 * `unit` (a code)? *allowed = 1 for an unconfined caller without a query,
 * else whether the unit is in the caller's scope (0 for an unknown code).
 */
enum nl_status nl_auth_unit_allowed(struct nl_ctx *ctx, const char *unit, int *allowed);

/* nl_auth_unit_allowed by unit id. */
enum nl_status nl_auth_unit_id_allowed(struct nl_ctx *ctx, int64_t unit_id, int *allowed);

/*
 * Handler shortcuts. nl_auth_read_unit: NL_OK when the caller may read unit
 * `unit`, else NL_NOT_FOUND with ctx->msg "<field>: no such unit" (what the
 * handlers answer for an absent unit). nl_auth_write_unit: NL_OK, else
 * NL_PERMISSION_DENIED with "<field>: outside the caller's units". Either
 * returns a store status (ctx->msg set) when the store could not answer.
 */
enum nl_status nl_auth_read_unit(struct nl_ctx *ctx, const char *unit, const char *field);
enum nl_status nl_auth_write_unit(struct nl_ctx *ctx, const char *unit, const char *field);

/*
 * The same for a cadre (it belongs to the unit of its latest profile).
 * nl_auth_read_cadre: NL_OK when the caller may read cadre `code` or no
 * cadre has it (the handler's own lookup answers), else NL_NOT_FOUND with
 * "<field>: no such cadre". nl_auth_write_cadre: NL_OK for a new code or a
 * cadre of the caller's units, else NL_PERMISSION_DENIED "<field>: a cadre
 * of another unit". A cadre without a profile is in no district's scope.
 */
enum nl_status nl_auth_read_cadre(struct nl_ctx *ctx, const char *code, const char *field);
enum nl_status nl_auth_write_cadre(struct nl_ctx *ctx, const char *code, const char *field);

/* 1 when cadres' full_name may be returned to the caller (not central), else 0. */
int nl_auth_sees_full_name(const struct nl_ctx *ctx);

#endif
