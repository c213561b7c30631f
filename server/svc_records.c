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
        NL_M_WRITE),
    ROW("GetCadre", get_cadre_request, get_cadre_response, nl_rec_get_cadre, NL_M_READ),
    ROW("ListCadres", list_cadres_request, list_cadres_response, nl_rec_list_cadres, NL_M_READ),
    ROW("SubmitClass", submit_class_request, submit_class_response, nl_rec_submit_class,
        NL_M_WRITE),
    ROW("GetClass", get_class_request, get_class_response, nl_rec_get_class, NL_M_READ),
    ROW("ListClasses", list_classes_request, list_classes_response, nl_rec_list_classes, NL_M_READ),
    ROW("CancelClass", cancel_class_request, cancel_class_response, nl_rec_cancel_class,
        NL_M_WRITE),
};
const size_t nl_svc_records_method_count =
    sizeof(nl_svc_records_methods) / sizeof(nl_svc_records_methods[0]);
