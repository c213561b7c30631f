/*
 * scope_auth.c - the handler side of the unit confinement rule
 * (scope_auth.h): who is confined, and the answers a handler gives for a
 * unit outside the caller's scope (NOT_FOUND on reads, PERMISSION_DENIED on
 * writes). The store side, the one query of the rule, is store_scope.c;
 * lists use NL_AUTH_SCOPE_SQL in their own statements.
 */
#include "scope_auth.h"
#include "svc_util.h"
#include "token.h"

int64_t nl_auth_scope(const struct nl_ctx *ctx)
{
    return nl_auth_confined(ctx) ? ctx->who->unit_id : 0;
}

int nl_auth_confined(const struct nl_ctx *ctx)
{
    return ctx->who != NULL && ctx->who->role == NL_ROLE_DISTRICT;
}

enum nl_status nl_auth_unit_allowed(struct nl_ctx *ctx, const char *unit, int *allowed)
{
    *allowed = 1;
    if (!nl_auth_confined(ctx))
        return NL_OK;
    *allowed = 0;
    return nl_store_scope_has_code(ctx->store, nl_auth_scope(ctx), unit != NULL ? unit : "",
                                   allowed);
}

enum nl_status nl_auth_unit_id_allowed(struct nl_ctx *ctx, int64_t unit_id, int *allowed)
{
    *allowed = 1;
    if (!nl_auth_confined(ctx))
        return NL_OK;
    *allowed = 0;
    return nl_store_scope_has(ctx->store, nl_auth_scope(ctx), unit_id, allowed);
}

enum nl_status nl_auth_read_unit(struct nl_ctx *ctx, const char *unit, const char *field)
{
    int allowed = 0;
    enum nl_status st = nl_auth_unit_allowed(ctx, unit, &allowed);

    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    return allowed ? NL_OK : nl_ctx_errorf(ctx, NL_NOT_FOUND, "%s: no such unit", field);
}

enum nl_status nl_auth_write_unit(struct nl_ctx *ctx, const char *unit, const char *field)
{
    int allowed = 0;
    enum nl_status st = nl_auth_unit_allowed(ctx, unit, &allowed);

    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    return allowed
               ? NL_OK
               : nl_ctx_errorf(ctx, NL_PERMISSION_DENIED, "%s: outside the caller's units", field);
}

/* *in and *exists for cadre `code` and the caller (unconfined: both 1 without a query). */
static enum nl_status cadre_in_scope(struct nl_ctx *ctx, const char *code, int *in, int *exists)
{
    *in = *exists = 1;
    if (!nl_auth_confined(ctx))
        return NL_OK;
    return nl_store_scope_has_cadre(ctx->store, nl_auth_scope(ctx), code, in, exists);
}

enum nl_status nl_auth_read_cadre(struct nl_ctx *ctx, const char *code, const char *field)
{
    int in = 0, exists = 0;
    enum nl_status st = cadre_in_scope(ctx, code, &in, &exists);

    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    return in || !exists ? NL_OK : nl_ctx_errorf(ctx, NL_NOT_FOUND, "%s: no such cadre", field);
}

enum nl_status nl_auth_write_cadre(struct nl_ctx *ctx, const char *code, const char *field)
{
    int in = 0, exists = 0;
    enum nl_status st = cadre_in_scope(ctx, code, &in, &exists);

    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    return in || !exists
               ? NL_OK
               : nl_ctx_errorf(ctx, NL_PERMISSION_DENIED, "%s: a cadre of another unit", field);
}

int nl_auth_sees_full_name(const struct nl_ctx *ctx)
{
    return ctx->who == NULL || ctx->who->role != NL_ROLE_CENTRAL;
}
