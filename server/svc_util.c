/*
 * svc_util.c - see svc_util.h.
 */
#include <string.h>

#include "store.h"
#include "svc_util.h"

static int code_chars(const char *s, size_t len, int cadre)
{
    if (len == 0 || len > NL_SVC_CODE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (cadre)
            ok = ok || (c >= 'A' && c <= 'Z') || c == '.' || c == '_';
        if (!ok)
            return 0;
    }
    return 1;
}

int nl_svc_unit_code_valid(const char *s, size_t len)
{
    return code_chars(s, len, 0);
}

int nl_svc_cadre_code_valid(const char *s, size_t len)
{
    return code_chars(s, len, 1);
}

char *nl_svc_unconst(const char *s)
{
    char *p;

    memcpy(&p, &s, sizeof(p));
    return p;
}

enum nl_status nl_svc_out_of_memory(struct nl_ctx *ctx)
{
    return nl_ctx_errorf(ctx, NL_RESOURCE_EXHAUSTED, "out of memory");
}

enum nl_status nl_svc_store_error(struct nl_ctx *ctx, enum nl_status st)
{
    if (ctx->msg[0] != '\0')
        return st;
    return nl_ctx_errorf(ctx, st, "%s", nl_store_errmsg(st));
}
