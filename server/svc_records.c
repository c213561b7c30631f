/*
 * svc_records.c - the method table of nhanluc.v1.Records (records.proto).
 * The handlers live in rec_cadres.c and rec_classes.c.
 */
#include "nhanluc/v1/records.pb-c.h"
#include "svc_records.h"

#define ROW(method, req, resp, fn, flags)                                                          \
    {                                                                                              \
        "/nhanluc.v1.Records/" method, &nhanluc__v1__##req##__descriptor,                          \
            &nhanluc__v1__##resp##__descriptor, fn, flags                                          \
    }

const struct nl_method nl_svc_records_methods[] = {
    ROW("UpsertCadre", upsert_cadre_request, upsert_cadre_response, nl_rec_upsert_cadre,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("GetCadre", get_cadre_request, get_cadre_response, nl_rec_get_cadre,
        NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("ListCadres", list_cadres_request, list_cadres_response, nl_rec_list_cadres,
        NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("SubmitClass", submit_class_request, submit_class_response, nl_rec_submit_class,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("GetClass", get_class_request, get_class_response, nl_rec_get_class,
        NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("ListClasses", list_classes_request, list_classes_response, nl_rec_list_classes,
        NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("CancelClass", cancel_class_request, cancel_class_response, nl_rec_cancel_class,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("UpsertCommitteeMembership", upsert_committee_membership_request,
        upsert_committee_membership_response, nl_rec_upsert_committee_membership,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("ListCommitteeMemberships", list_party_records_request, list_committee_memberships_response,
        nl_rec_list_committee_memberships, NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("SetSeatQuota", set_seat_quota_request, set_seat_quota_response, nl_rec_set_seat_quota,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("ListSeatQuotas", list_party_records_request, list_seat_quotas_response,
        nl_rec_list_seat_quotas, NL_M_READ | NL_M_ANY_ROLE),
    ROW("UpsertPlanningEntry", upsert_planning_entry_request, upsert_planning_entry_response,
        nl_rec_upsert_planning_entry, NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("ListPlanningEntries", list_party_records_request, list_planning_entries_response,
        nl_rec_list_planning_entries, NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("UpsertReview", upsert_review_request, upsert_review_response, nl_rec_upsert_review,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("ListReviews", list_party_records_request, list_reviews_response, nl_rec_list_reviews,
        NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("SubmitReport", submit_report_request, report_response, nl_rec_submit_report,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("ReturnReport", return_report_request, report_response, nl_rec_return_report,
        NL_M_WRITE | NL_M_ADMIN | NL_M_CENTRAL),
    ROW("ApproveReport", approve_report_request, report_response, nl_rec_approve_report,
        NL_M_WRITE | NL_M_ADMIN | NL_M_CENTRAL),
    ROW("ListReports", list_reports_request, list_reports_response, nl_rec_list_reports,
        NL_M_READ | NL_M_ANY_ROLE),
    ROW("UpsertEnrolment", upsert_enrolment_request, upsert_enrolment_response,
        nl_rec_upsert_enrolment, NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("Import", import_request, import_response, nl_rec_import,
        NL_M_WRITE | NL_M_ADMIN | NL_M_DISTRICT),
    ROW("Export", export_request, export_response, nl_rec_export,
        NL_M_READ | NL_M_PERSON | NL_M_ANY_ROLE),
};
const size_t nl_svc_records_method_count =
    sizeof(nl_svc_records_methods) / sizeof(nl_svc_records_methods[0]);
