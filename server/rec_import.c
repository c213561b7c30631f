/*
 * rec_import.c - Records.Import and Records.Export: the CSV kinds of DOMAIN.md
 * section 8 in batches, through the same validation as the single-record
 * methods.
 * Issue 3, in progress: these answer UNIMPLEMENTED until built.
 */
#include "svc_records.h"

enum nl_status nl_rec_import(struct nl_ctx *ctx, const ProtobufCMessage *req,
                             ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_export(struct nl_ctx *ctx, const ProtobufCMessage *req,
                             ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}
