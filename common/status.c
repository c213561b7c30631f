/*
 * status.c - names of the 17 gRPC status codes and the HTTP-to-gRPC mapping
 * clients apply to responses that carry no grpc-status.
 *
 * Both are pure table lookups; the name table is indexed by the numeric code,
 * which the gRPC specification fixes forever.
 */
#include "status.h"

static const char *const status_names[NL_STATUS_COUNT] = {
    [NL_OK] = "OK",
    [NL_CANCELLED] = "CANCELLED",
    [NL_UNKNOWN] = "UNKNOWN",
    [NL_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
    [NL_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
    [NL_NOT_FOUND] = "NOT_FOUND",
    [NL_ALREADY_EXISTS] = "ALREADY_EXISTS",
    [NL_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [NL_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
    [NL_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
    [NL_ABORTED] = "ABORTED",
    [NL_OUT_OF_RANGE] = "OUT_OF_RANGE",
    [NL_UNIMPLEMENTED] = "UNIMPLEMENTED",
    [NL_INTERNAL] = "INTERNAL",
    [NL_UNAVAILABLE] = "UNAVAILABLE",
    [NL_DATA_LOSS] = "DATA_LOSS",
    [NL_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *nl_status_name(int status)
{
    if (status < 0 || status >= NL_STATUS_COUNT)
        return "UNKNOWN";
    return status_names[status];
}

enum nl_status nl_status_from_http(int http_status)
{
    switch (http_status) {
    case 400:
        return NL_INTERNAL;
    case 401:
        return NL_UNAUTHENTICATED;
    case 403:
        return NL_PERMISSION_DENIED;
    case 404:
        return NL_UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
        return NL_UNAVAILABLE;
    default:
        return NL_UNKNOWN;
    }
}
