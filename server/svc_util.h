/*
 * svc_util.h - small helpers every service handler file needs: the code
 * formats of DOMAIN.md, and the two errors any handler can meet.
 */
#ifndef NL_SVC_UTIL_H
#define NL_SVC_UTIL_H

#include <stddef.h>

#include "method.h"

#define NL_SVC_CODE_MAX 64 /* unit and cadre codes, bytes */

/* 1 if s[0..len) is a unit code: 1-64 bytes of a-z, 0-9 and '-'. */
int nl_svc_unit_code_valid(const char *s, size_t len);

/* 1 if s[0..len) is a cadre code: 1-64 bytes of A-Z, a-z, 0-9, '.', '_' and '-'. */
int nl_svc_cadre_code_valid(const char *s, size_t len);

/*
 * protobuf-c message fields are `char *` even when a response only borrows a
 * string: this drops the const without a cast (-Wcast-qual). The string must
 * outlive the response and is never written through.
 */
char *nl_svc_unconst(const char *s);

/* Sets "out of memory" and returns NL_RESOURCE_EXHAUSTED. */
enum nl_status nl_svc_out_of_memory(struct nl_ctx *ctx);

/*
 * Returns `st` with its client message: the one a store function already
 * wrote into ctx->msg (a field path, a rule), else nl_store_errmsg(st).
 */
enum nl_status nl_svc_store_error(struct nl_ctx *ctx, enum nl_status st);

#endif
