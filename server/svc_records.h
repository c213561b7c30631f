/*
 * svc_records.h - the handlers of nhanluc.v1.Records, one file per area:
 * rec_cadres.c (cadres and their profile versions) and rec_classes.c
 * (classes and enrolments). svc_records.c holds the method table.
 *
 * Each handler has the nl_handler_fn contract of method.h: validation first
 * (INVALID_ARGUMENT naming the field path, never a value), then store work.
 */
#ifndef NL_SVC_RECORDS_H
#define NL_SVC_RECORDS_H

#include "method.h"

enum nl_status nl_rec_upsert_cadre(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp);
enum nl_status nl_rec_get_cadre(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                ProtobufCMessage *resp);
enum nl_status nl_rec_list_cadres(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage *resp);
enum nl_status nl_rec_submit_class(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp);
enum nl_status nl_rec_get_class(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                ProtobufCMessage *resp);
enum nl_status nl_rec_list_classes(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp);
enum nl_status nl_rec_cancel_class(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp);

#endif
