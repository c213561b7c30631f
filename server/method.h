/*
 * method.h - the method table: what a gRPC :path means to nhanlucd.
 *
 * Each svc_<service>.c holds one const table of rows, one per RPC of its
 * proto service. dispatch.c looks a :path up here, runs the generic checks
 * and hands the call to the row's handler on the right thread. Handlers never
 * see libuv or nghttp2, so tests call them directly on a store.
 */
#ifndef NL_METHOD_H
#define NL_METHOD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "../common/arena.h"
#include "../common/status.h"

struct nl_store;

enum nl_method_flags {
    NL_M_READ = 1 << 0,   /* runs on the read pool with a read-only connection */
    NL_M_WRITE = 1 << 1,  /* runs on the writer thread inside a group-commit savepoint */
    NL_M_INLINE = 1 << 2, /* runs on the loop thread at dispatch (no store) */
    NL_M_PUBLIC = 1 << 3, /* callable without a credential (Health/Check only) */
    NL_M_HEAVY = 1 << 4,  /* a read that aggregates (milliseconds): batched alone */
};

/*
 * Who is calling (issue 5), built by dispatch from the `authorization`
 * header and the connection's TLS client certificate. Role NONE: the call
 * carried no credential (allowed only where authentication is off or the
 * method is public).
 */
enum nl_role { NL_ROLE_NONE = 0, NL_ROLE_ADMIN = 1, NL_ROLE_CENTRAL = 2, NL_ROLE_DISTRICT = 3 };
struct nl_identity {
    int role;              /* enum nl_role (= Nhanluc__V1__Role values) */
    int64_t unit_id;       /* district: the token's unit; else 0 */
    int may_write_targets; /* central tokens granted target writes */
    char token_id[16];     /* "" without a token */
    char cert_fp[65];      /* the client certificate's SHA-256, "" for none */
    char peer[64];         /* the remote address, for the audit trail and lockouts */
};

/* What a handler gets besides its request. */
struct nl_ctx {
    struct nl_store *store;   /* borrowed; NULL for NL_M_INLINE methods */
    struct nl_arena *arena;   /* borrowed; response strings and arrays live here */
    const atomic_int *cancel; /* non-zero: the caller went away; stop early */
    uint64_t deadline_ms;     /* monotonic (uv_hrtime() / 1e6); 0 = none */
    char msg[256];            /* message for a non-OK status; set with nl_ctx_errorf */
};

/*
 * A handler: reads `req` (borrowed, unpacked by protoc-c), fills `resp`
 * (already initialised with its descriptor's init; arrays and strings must
 * point into ctx->arena or static storage) and returns a status. On a non-OK
 * status it sets ctx->msg (field path, never a field value) and `resp` is
 * ignored.
 */
typedef enum nl_status (*nl_handler_fn)(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                        ProtobufCMessage *resp);

struct nl_method {
    const char *path; /* "/nhanluc.v1.Registry/GetUnit" */
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
    nl_handler_fn handler;
    unsigned flags; /* enum nl_method_flags */
};

/* printf into ctx->msg; returns `st` so handlers can `return nl_ctx_errorf(...)`. */
enum nl_status nl_ctx_errorf(struct nl_ctx *ctx, enum nl_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Method tables of the services (defined in svc_<service>.c). */
extern const struct nl_method nl_svc_registry_methods[];
extern const size_t nl_svc_registry_method_count;
extern const struct nl_method nl_svc_records_methods[];
extern const size_t nl_svc_records_method_count;
extern const struct nl_method nl_svc_indicators_methods[];
extern const size_t nl_svc_indicators_method_count;
extern const struct nl_method nl_svc_health_methods[];
extern const size_t nl_svc_health_method_count;

/*
 * Looks up a :path (len bytes, case-sensitive) in every service table.
 * Returns the row (static) or NULL for an unknown method.
 */
const struct nl_method *nl_method_find(const char *path, size_t len);

/*
 * Checks that every method of every protoc-c service descriptor we serve has
 * a row with matching input/output descriptors. Returns 0, or -1 after
 * logging the first method without a row (a build mistake; refuse to start).
 */
int nl_method_table_check(void);

/* Health: the serving status of "" and each service (svc_health.c). Loop thread only. */
void nl_health_set_serving(int serving);
int nl_health_serving(void);

#endif
