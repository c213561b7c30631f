/*
 * ind_targets.c - SetTarget, ListTargets and DeleteTarget of
 * nhanluc.v1.Indicators. NOT BUILT YET: the handlers answer UNIMPLEMENTED.
 */
#include "svc_indicators.h"

enum nl_status nl_ind_set_target(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                 ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "targets are not built yet");
}

enum nl_status nl_ind_list_targets(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "targets are not built yet");
}

enum nl_status nl_ind_delete_target(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "targets are not built yet");
}
