/*
 * svc_records.h - the handlers of nhanluc.v1.Records, one file per area:
 * rec_cadres.c (cadres and their profile versions) and rec_classes.c
 * (classes and enrolments). svc_records.c holds the method table.
 *
 * rec_party.c (committee memberships, seat quotas, the planning pool,
 * reviews), rec_reports.c (annual reports and the lock they put on classes)
 * and rec_import.c (bulk import and export of the CSV kinds).
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

/* rec_party.c */
enum nl_status nl_rec_upsert_committee_membership(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                                  ProtobufCMessage *resp);
enum nl_status nl_rec_list_committee_memberships(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                                 ProtobufCMessage *resp);
enum nl_status nl_rec_set_seat_quota(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage *resp);
enum nl_status nl_rec_list_seat_quotas(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                       ProtobufCMessage *resp);
enum nl_status nl_rec_upsert_planning_entry(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                            ProtobufCMessage *resp);
enum nl_status nl_rec_list_planning_entries(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                            ProtobufCMessage *resp);
enum nl_status nl_rec_upsert_review(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp);
enum nl_status nl_rec_list_reviews(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp);
/* rec_reports.c */
enum nl_status nl_rec_submit_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp);
enum nl_status nl_rec_return_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage *resp);
enum nl_status nl_rec_approve_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage *resp);
enum nl_status nl_rec_list_reports(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage *resp);
/*
 * rec_reports.c: sets a report exactly as an AnnualReport row says (req is a
 * Nhanluc__V1__AnnualReport, resp a ReportResponse), for the import of
 * reports.csv: the state is checked for consistency (times, reason), not
 * reached through transitions, so an export imports into an empty database.
 * Not a method of the service.
 */
enum nl_status nl_rec_put_report(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                 ProtobufCMessage *resp);

/* rec_import.c */
enum nl_status nl_rec_import(struct nl_ctx *ctx, const ProtobufCMessage *req,
                             ProtobufCMessage *resp);
enum nl_status nl_rec_export(struct nl_ctx *ctx, const ProtobufCMessage *req,
                             ProtobufCMessage *resp);
/* rec_classes.c */
enum nl_status nl_rec_upsert_enrolment(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                       ProtobufCMessage *resp);

#endif
