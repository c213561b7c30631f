/*
 * rec_cadres.c - Records handlers for cadres and their profile versions.
 * Issue 3, in progress: these answer UNIMPLEMENTED until built.
 */
#include "svc_records.h"

enum nl_status nl_rec_upsert_cadre(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_get_cadre(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_list_cadres(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}
