/*
 * rec_classes.c - Records handlers for classes and their enrolments.
 * Issue 3, in progress: these answer UNIMPLEMENTED until built.
 */
#include "svc_records.h"

enum nl_status nl_rec_submit_class(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_get_class(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_list_classes(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_cancel_class(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}
