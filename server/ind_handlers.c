/*
 * ind_handlers.c - ListIndicators, ShowIndicator, CompareIndicator,
 * GetReport and Query of nhanluc.v1.Indicators. NOT BUILT YET: the handlers
 * answer UNIMPLEMENTED.
 */
#include "svc_indicators.h"

#define STUB(fn)                                                                                   \
    enum nl_status fn(struct nl_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *resp)     \
    {                                                                                              \
        (void)req;                                                                                 \
        (void)resp;                                                                                \
        return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "indicators are not built yet");               \
    }

STUB(nl_ind_list)
STUB(nl_ind_show)
STUB(nl_ind_compare)
STUB(nl_ind_report)
STUB(nl_ind_query)
