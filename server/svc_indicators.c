/*
 * svc_indicators.c - the method table of nhanluc.v1.Indicators
 * (indicators.proto). The handlers live in ind_handlers.c and ind_targets.c.
 */
#include "nhanluc/v1/indicators.pb-c.h"
#include "svc_indicators.h"

#define ROW(method, req, resp, fn, flags)                                                          \
    {                                                                                              \
        "/nhanluc.v1.Indicators/" method, &nhanluc__v1__##req##__descriptor,                       \
            &nhanluc__v1__##resp##__descriptor, fn, flags                                          \
    }

const struct nl_method nl_svc_indicators_methods[] = {
    ROW("ListIndicators", list_indicators_request, list_indicators_response, nl_ind_list,
        NL_M_READ | NL_M_ANY_ROLE),
    ROW("ShowIndicator", show_indicator_request, show_indicator_response, nl_ind_show,
        NL_M_READ | NL_M_HEAVY | NL_M_ANY_ROLE),
    ROW("CompareIndicator", compare_indicator_request, compare_indicator_response, nl_ind_compare,
        NL_M_READ | NL_M_HEAVY | NL_M_ANY_ROLE),
    /* NL_M_PERSON: the report names the cadres with unexcused absences (audited). */
    ROW("GetReport", get_report_request, get_report_response, nl_ind_report,
        NL_M_READ | NL_M_HEAVY | NL_M_PERSON | NL_M_ANY_ROLE),
    ROW("Query", query_request, query_response, nl_ind_query,
        NL_M_READ | NL_M_HEAVY | NL_M_ANY_ROLE),
    ROW("SetTarget", set_target_request, set_target_response, nl_ind_set_target,
        NL_M_WRITE | NL_M_ADMIN | NL_M_TARGETS),
    ROW("ListTargets", list_targets_request, list_targets_response, nl_ind_list_targets,
        NL_M_READ | NL_M_ANY_ROLE),
    ROW("DeleteTarget", delete_target_request, delete_target_response, nl_ind_delete_target,
        NL_M_WRITE | NL_M_ADMIN | NL_M_TARGETS),
};
const size_t nl_svc_indicators_method_count =
    sizeof(nl_svc_indicators_methods) / sizeof(nl_svc_indicators_methods[0]);
