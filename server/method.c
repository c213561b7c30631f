/*
 * method.c - the :path lookup over every service's method table, and the
 * start-up check that the tables cover the protoc-c service descriptors.
 *
 * Tables are small (a handful of rows per service), so lookup is a linear
 * scan with a length check first; it runs once per call on the loop thread.
 * The role rule of a row (nl_method_allows) is here too, so "who may call
 * what" is read from the tables in one place.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "grpc/health/v1/health.pb-c.h"
#include "method.h"
#include "nhanluc/v1/admin.pb-c.h"
#include "nhanluc/v1/indicators.pb-c.h"
#include "nhanluc/v1/records.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"

struct service {
    const ProtobufCServiceDescriptor *desc;
    const struct nl_method *rows;
    const size_t *count;
};

static const struct service services[] = {
    {&grpc__health__v1__health__descriptor, nl_svc_health_methods, &nl_svc_health_method_count},
    {&nhanluc__v1__registry__descriptor, nl_svc_registry_methods, &nl_svc_registry_method_count},
    {&nhanluc__v1__records__descriptor, nl_svc_records_methods, &nl_svc_records_method_count},
    {&nhanluc__v1__indicators__descriptor, nl_svc_indicators_methods,
     &nl_svc_indicators_method_count},
    {&nhanluc__v1__admin__descriptor, nl_svc_admin_methods, &nl_svc_admin_method_count},
};

enum nl_status nl_ctx_errorf(struct nl_ctx *ctx, enum nl_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
    va_end(ap);
    return st;
}

const struct nl_method *nl_method_find(const char *path, size_t len)
{
    for (size_t s = 0; s < sizeof(services) / sizeof(services[0]); s++) {
        for (size_t i = 0; i < *services[s].count; i++) {
            const struct nl_method *m = &services[s].rows[i];
            if (strlen(m->path) == len && memcmp(m->path, path, len) == 0)
                return m;
        }
    }
    return NULL;
}

int nl_method_table_check(void)
{
    char path[256];

    for (size_t s = 0; s < sizeof(services) / sizeof(services[0]); s++) {
        const ProtobufCServiceDescriptor *sd = services[s].desc;
        for (unsigned i = 0; i < sd->n_methods; i++) {
            const ProtobufCMethodDescriptor *md = &sd->methods[i];
            snprintf(path, sizeof(path), "/%s/%s", sd->name, md->name);
            const struct nl_method *m = nl_method_find(path, strlen(path));
            /* Server-streaming methods (Health/Watch) have no row yet; protoc-c 1.4
             * does not mark streaming, so they are listed here by name. */
            if (m == NULL && strcmp(path, "/grpc.health.v1.Health/Watch") == 0)
                continue;
            if (m == NULL) {
                nl_log_error("method table: no row for %s", path);
                return -1;
            }
            if (m->input != md->input || m->output != md->output) {
                nl_log_error("method table: row for %s has the wrong message types", path);
                return -1;
            }
            if ((m->flags & NL_M_RULE) == 0) {
                nl_log_error("method table: row for %s names no role rule", path);
                return -1;
            }
            if ((m->flags & NL_M_INLINE) && !(m->flags & NL_M_PUBLIC)) {
                nl_log_error("method table: %s runs inline but needs a credential", path);
                return -1;
            }
        }
    }
    return 0;
}

int nl_method_allows(const struct nl_method *m, const struct nl_identity *who)
{
    unsigned f = m->flags;

    if (f & NL_M_PUBLIC)
        return 1;
    switch (who->role) {
    case NL_ROLE_ADMIN:
        return (f & NL_M_ADMIN) != 0;
    case NL_ROLE_CENTRAL:
        return (f & NL_M_CENTRAL) != 0 || ((f & NL_M_TARGETS) != 0 && who->may_write_targets);
    case NL_ROLE_DISTRICT:
        return (f & NL_M_DISTRICT) != 0;
    default:
        return 0;
    }
}
