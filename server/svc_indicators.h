/*
 * svc_indicators.h - the handlers of nhanluc.v1.Indicators (indicators.proto).
 * svc_indicators.c holds the method table; ind_handlers.c the computations
 * (catalogue, show, compare, report, query) over ind_engine.h; ind_targets.c
 * the targets (set, list, delete) over store_targets.h.
 *
 * Each handler has the nl_handler_fn contract of method.h.
 */
#ifndef NL_SVC_INDICATORS_H
#define NL_SVC_INDICATORS_H

#include "method.h"

/* ind_handlers.c */
enum nl_status nl_ind_list(struct nl_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *resp);
enum nl_status nl_ind_show(struct nl_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *resp);
enum nl_status nl_ind_compare(struct nl_ctx *ctx, const ProtobufCMessage *req,
                              ProtobufCMessage *resp);
enum nl_status nl_ind_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                             ProtobufCMessage *resp);
enum nl_status nl_ind_query(struct nl_ctx *ctx, const ProtobufCMessage *req,
                            ProtobufCMessage *resp);

/* ind_targets.c */
enum nl_status nl_ind_set_target(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                 ProtobufCMessage *resp);
enum nl_status nl_ind_list_targets(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp);
enum nl_status nl_ind_delete_target(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp);

#endif
