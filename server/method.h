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
#include "token.h"

struct nl_store;

/*
 * Flags of a row: where it runs, and its rule (who may call it once calls
 * are authenticated, `auth = required`). A row names its rule explicitly:
 * NL_M_PUBLIC, or one or more of the role bits. A row with neither is a
 * build mistake that nl_method_table_check() refuses at start-up, and
 * nl_method_allows() denies it anyway (default deny).
 */
enum nl_method_flags {
    NL_M_READ = 1 << 0,     /* runs on the read pool with a read-only connection */
    NL_M_WRITE = 1 << 1,    /* runs on the writer thread inside a group-commit savepoint */
    NL_M_INLINE = 1 << 2,   /* runs on the loop thread at dispatch (no store) */
    NL_M_PUBLIC = 1 << 3,   /* callable without a credential (Health/Check only) */
    NL_M_HEAVY = 1 << 4,    /* a read that aggregates (milliseconds): batched alone */
    NL_M_ADMIN = 1 << 5,    /* the admin role may call it */
    NL_M_CENTRAL = 1 << 6,  /* the central role may call it */
    NL_M_DISTRICT = 1 << 7, /* the district role may call it (unit scope: in the handler) */
    NL_M_TARGETS = 1 << 8,  /* a central token granted target writes may call it */
    NL_M_PERSON = 1 << 9,   /* a read of person-level records: audited (audit.h) */
};
/* Every authenticated role (reads). */
#define NL_M_ANY_ROLE (NL_M_ADMIN | NL_M_CENTRAL | NL_M_DISTRICT)
/* The bits that make up a rule. */
#define NL_M_RULE (NL_M_PUBLIC | NL_M_ANY_ROLE | NL_M_TARGETS)

/*
 * Who is calling (issue 5), built from the `authorization` header (verified
 * against the stored credential by nl_job_run) and the connection's TLS
 * client certificate. Role NL_ROLE_NONE: no credential was checked, either
 * because authentication is off (`auth = off`: every method is open and the
 * handler must not scope by unit) or because the method is public. With
 * `auth = required` a non-public handler always sees a verified role.
 * Roles are enum nl_role of token.h (= Nhanluc__V1__Role values).
 */
#define NL_ROLE_NONE 0
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
    /* The caller (borrowed, never NULL from nl_job_run); scope district calls by who->unit_id. */
    const struct nl_identity *who;
    char msg[256]; /* message for a non-OK status; set with nl_ctx_errorf */
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
extern const struct nl_method nl_svc_admin_methods[];
extern const size_t nl_svc_admin_method_count;

/*
 * Looks up a :path (len bytes, case-sensitive) in every service table.
 * Returns the row (static) or NULL for an unknown method.
 */
const struct nl_method *nl_method_find(const char *path, size_t len);

/*
 * Checks that every method of every protoc-c service descriptor we serve has
 * a row with matching input/output descriptors, and that every row names a
 * rule (NL_M_RULE bits) and, unless public, runs with a store (not
 * NL_M_INLINE: its credential is verified against the store). Returns 0, or
 * -1 after logging the first bad method (a build mistake; refuse to start).
 */
int nl_method_table_check(void);

/*
 * The role rule of row `m` for caller `who` (borrowed): 1 when it may call
 * the method, else 0. Public rows allow everyone; otherwise admin needs
 * NL_M_ADMIN, district NL_M_DISTRICT, central NL_M_CENTRAL or NL_M_TARGETS
 * with who->may_write_targets; NL_ROLE_NONE and unknown roles are denied,
 * as is a row without a rule. Pure; unit scope is not checked here.
 */
int nl_method_allows(const struct nl_method *m, const struct nl_identity *who);

/* Health: the serving status of "" and each service (svc_health.c). Loop thread only. */
void nl_health_set_serving(int serving);
int nl_health_serving(void);

#endif
