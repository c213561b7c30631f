/*
 * status.h - the one status vocabulary of nhanluc.
 *
 * The 17 gRPC status codes, used on the wire (grpc-status), in log lines and
 * as the CLI's exit code. Numeric values are the gRPC codes and never change.
 */
#ifndef NL_STATUS_H
#define NL_STATUS_H

enum nl_status {
    NL_OK = 0,
    NL_CANCELLED = 1,
    NL_UNKNOWN = 2,
    NL_INVALID_ARGUMENT = 3,
    NL_DEADLINE_EXCEEDED = 4,
    NL_NOT_FOUND = 5,
    NL_ALREADY_EXISTS = 6,
    NL_PERMISSION_DENIED = 7,
    NL_RESOURCE_EXHAUSTED = 8,
    NL_FAILED_PRECONDITION = 9,
    NL_ABORTED = 10,
    NL_OUT_OF_RANGE = 11,
    NL_UNIMPLEMENTED = 12,
    NL_INTERNAL = 13,
    NL_UNAVAILABLE = 14,
    NL_DATA_LOSS = 15,
    NL_UNAUTHENTICATED = 16,
};

#define NL_STATUS_COUNT 17

/*
 * Returns the canonical upper-case name ("INVALID_ARGUMENT") of a status, or
 * "UNKNOWN" for a value outside 0..16. The string is static.
 */
const char *nl_status_name(int status);

/*
 * Maps an HTTP status of a response that carried no grpc-status to a gRPC
 * status, as gRPC's http-grpc-status-mapping says: 400 INTERNAL,
 * 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED,
 * 429/502/503/504 UNAVAILABLE, anything else UNKNOWN. Clients only; the server
 * never uses it in reverse.
 */
enum nl_status nl_status_from_http(int http_status);

#endif
