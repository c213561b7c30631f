/*
 * svc_catalog.c - the Registry handlers of the target-group catalogue
 * (registry.proto CreateTargetGroup, ListTargetGroups; store_catalog.h).
 *
 * DOMAIN.md 3 seeds eight target groups and lets the administrator add more:
 * CreateTargetGroup (admin only, like every Registry write) checks the code's form
 * and the label's text, normalises the label to NFC and adds the pair; the
 * same pair again is a replay (created false). ListTargetGroups is for every
 * role: a district needs the codes to fill in its classes.csv.
 */
#include <string.h>

#include "nhanluc/v1/registry.pb-c.h"

#include "../common/text.h"
#include "store_catalog.h"
#include "svc_catalog.h"
#include "svc_util.h"

#define CODE_MAX  40
#define LABEL_MAX 200

/* 1 for 2..CODE_MAX of A-Z, 0-9 and _, starting with a letter. */
static int code_valid(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n > CODE_MAX || s[0] < 'A' || s[0] > 'Z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

enum nl_status nl_svc_catalog_create_target_group(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                                  ProtobufCMessage *resp_)
{
    const Nhanluc__V1__CreateTargetGroupRequest *req =
        (const Nhanluc__V1__CreateTargetGroupRequest *)req_;
    Nhanluc__V1__CreateTargetGroupResponse *resp = (Nhanluc__V1__CreateTargetGroupResponse *)resp_;
    const Nhanluc__V1__TargetGroup *g = req->target_group;
    struct nl_target_group_rec rec;
    Nhanluc__V1__TargetGroup *out;
    char *label = NULL;
    int created = 0, rc;
    enum nl_status st;

    if (g == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target_group: required");
    if (!code_valid(g->code))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "target_group.code: must be 2-%d of A-Z, 0-9 and _, starting with a "
                             "letter",
                             CODE_MAX);
    rc = nl_text_nfc(ctx->arena, g->label_vi, strlen(g->label_vi), 1, LABEL_MAX, &label);
    if (rc == NL_TEXT_NOMEM)
        return nl_svc_out_of_memory(ctx);
    if (rc == NL_TEXT_TOOLONG)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "target_group.label_vi: must be at most %d bytes", LABEL_MAX);
    if (rc != NL_TEXT_OK)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target_group.label_vi: %s",
                             nl_text_strerror(rc));
    rec.code = g->code;
    rec.label_vi = label;
    st = nl_store_target_group_add(ctx->store, &rec, &created, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    out = nl_arena_alloc(ctx->arena, sizeof(*out));
    if (out == NULL)
        return nl_svc_out_of_memory(ctx);
    nhanluc__v1__target_group__init(out);
    out->code = nl_svc_unconst(rec.code);
    out->label_vi = label;
    resp->target_group = out;
    resp->created = created != 0;
    return NL_OK;
}

enum nl_status nl_svc_catalog_list_target_groups(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                                 ProtobufCMessage *resp_)
{
    Nhanluc__V1__ListTargetGroupsResponse *resp = (Nhanluc__V1__ListTargetGroupsResponse *)resp_;
    struct nl_target_group_rec *rows = NULL;
    size_t n = 0;
    enum nl_status st;

    (void)req;
    st = nl_store_target_group_list(ctx->store, &rows, &n, ctx->arena);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n == 0)
        return NL_OK;
    resp->target_groups = nl_arena_alloc(ctx->arena, n * sizeof(*resp->target_groups));
    Nhanluc__V1__TargetGroup *g = nl_arena_alloc(ctx->arena, n * sizeof(*g));
    if (resp->target_groups == NULL || g == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        nhanluc__v1__target_group__init(&g[i]);
        g[i].code = nl_svc_unconst(rows[i].code);
        g[i].label_vi = nl_svc_unconst(rows[i].label_vi);
        resp->target_groups[i] = &g[i];
    }
    resp->n_target_groups = n;
    return NL_OK;
}
