/*
 * rec_reports.c - Records handlers for the annual training reports: submit,
 * return with a reason, approve (which locks the unit-year's classes), list.
 * Issue 3, in progress: these answer UNIMPLEMENTED until built.
 */
#include "svc_records.h"

enum nl_status nl_rec_submit_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_return_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_approve_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_list_reports(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}
