/*
 * svc_catalog.h - the Registry handlers of the target-group catalogue
 * (svc_catalog.c), listed in svc_registry.c's method table.
 */
#ifndef NL_SVC_CATALOG_H
#define NL_SVC_CATALOG_H

#include <protobuf-c/protobuf-c.h>

#include "method.h"

/*
 * CreateTargetGroup: checks the code (2-40 of A-Z, 0-9, _, a letter first)
 * and the label (text, NFC, 1-200 bytes) and adds the pair
 * (nl_store_target_group_add: created false for a replay, ALREADY_EXISTS for
 * a taken code or label). Strings of the response live in ctx->arena.
 */
enum nl_status nl_svc_catalog_create_target_group(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                                  ProtobufCMessage *resp);

/* ListTargetGroups: every target group by code, into ctx->arena. */
enum nl_status nl_svc_catalog_list_target_groups(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                                 ProtobufCMessage *resp);

#endif
