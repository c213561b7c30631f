/*
 * svc_health.c - grpc.health.v1.Health/Check (gRPC's health-checking protocol).
 *
 * Runs inline on the loop thread: it must answer while the writer is stuck on
 * a lock or an fsync. The serving state is "" (the whole server) and each
 * nhanluc.v1 service; all of them follow one flag, which turns NOT_SERVING at
 * drain start (and later on DATA_LOSS).
 */
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "method.h"

/* Loop thread only: written at drain start, read by Check. */
static int serving = 1;

static const char *const known_services[] = {
    "",
    "nhanluc.v1.Registry",
    "nhanluc.v1.Records",
};

void nl_health_set_serving(int on)
{
    serving = on != 0;
}

int nl_health_serving(void)
{
    return serving;
}

static enum nl_status svc_health_check(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                       ProtobufCMessage *resp_)
{
    const Grpc__Health__V1__HealthCheckRequest *req =
        (const Grpc__Health__V1__HealthCheckRequest *)req_;
    Grpc__Health__V1__HealthCheckResponse *resp = (Grpc__Health__V1__HealthCheckResponse *)resp_;
    const char *name = req->service != NULL ? req->service : "";

    for (size_t i = 0; i < sizeof(known_services) / sizeof(known_services[0]); i++) {
        if (strcmp(name, known_services[i]) == 0) {
            resp->status =
                serving ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                        : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
            return NL_OK;
        }
    }
    return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unknown service");
}

const struct nl_method nl_svc_health_methods[] = {
    {"/grpc.health.v1.Health/Check", &grpc__health__v1__health_check_request__descriptor,
     &grpc__health__v1__health_check_response__descriptor, svc_health_check,
     NL_M_INLINE | NL_M_PUBLIC},
};
const size_t nl_svc_health_method_count =
    sizeof(nl_svc_health_methods) / sizeof(nl_svc_health_methods[0]);
