/*
 * rec_party.c - Records handlers for committee memberships, seat quotas, the
 * planning pool and post-training reviews.
 * Issue 3, in progress: these answer UNIMPLEMENTED until built.
 */
#include "svc_records.h"

enum nl_status nl_rec_upsert_committee_membership(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                                  ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_list_committee_memberships(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                                 ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_set_seat_quota(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_list_seat_quotas(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                       ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_upsert_planning_entry(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                            ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_list_planning_entries(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                            ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_upsert_review(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

enum nl_status nl_rec_list_reviews(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}
