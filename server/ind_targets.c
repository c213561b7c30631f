/*
 * ind_targets.c - SetTarget, ListTargets and DeleteTarget of
 * nhanluc.v1.Indicators: the targets of DOMAIN.md 4 ("Targets and met") as
 * data the administrator keeps, over store_targets.h.
 *
 * Each handler first checks the request alone (INVALID_ARGUMENT naming the
 * field path, never its value), then calls the store, which checks what
 * needs the database (the unit and the term exist). Handlers open no
 * transactions. A target:
 * - indicator: a catalogue code (ind_catalog.h), exact and lower case;
 * - op: one of ">=", ">", "=", "<=", "<";
 * - value: a non-negative decimal in the indicator's unit (percent points
 *   for a PERCENT indicator, which must be at most 100): digits, optionally
 *   a '.' and 1-6 more digits, below 1,000,000,000 (so it is exact as a
 *   double of 15 significant digits and as an integer of millionths). No
 *   sign, exponent, blank or decimal comma; ".5" and "5." are refused (write
 *   "0.5", "5"). It is stored normalised: leading zeros of the integer part
 *   and trailing zeros of the decimals go ("080" -> "80", "35.0" -> "35",
 *   "22.50" -> "22.5"), so "35" and "35.0" are the same target (a replay);
 * - unit: "" (every unit without a target of its own) or a unit code;
 * - term: a term code YYYY-YYYY, required.
 * SetTarget answers the stored target with created / changed (a replay:
 * both false). DeleteTarget of a key without a target answers deleted =
 * false, not an error. ListTargets of a district (scope_auth.h) lists only
 * the targets that concern it: no unit, its units, or its ancestors.
 */
#include <string.h>

#include "ind_catalog.h"
#include "nhanluc/v1/indicators.pb-c.h"
#include "scope_auth.h"
#include "store.h"
#include "store_targets.h"
#include "svc_indicators.h"
#include "svc_util.h"

#define TERM_CODE_LEN  9
#define VALUE_INT_MAX  9 /* digits before the point, leading zeros aside */
#define VALUE_FRAC_MAX 6 /* digits after it */
#define VALUE_TEXT_MAX 64

static const char unit_code_rule[] = "must be 1-64 characters of a-z, 0-9 and '-'";
static const char term_code_rule[] = "must be a term code YYYY-YYYY";
static const char value_rule[] =
    "must be a non-negative decimal below 1000000000 with at most 6 decimals, like 35 or 22.5";

/* 1 if s has the shape of a term code: YYYY-YYYY. */
static int term_code_valid(const char *s)
{
    if (strlen(s) != TERM_CODE_LEN || s[4] != '-')
        return 0;
    for (int i = 0; i < TERM_CODE_LEN; i++)
        if (i != 4 && !(s[i] >= '0' && s[i] <= '9'))
            return 0;
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * Normalises decimal text `s` (the rule of the file comment) into out
 * (outlen bytes). Returns 0, or -1 when s is not such a decimal.
 */
static int decimal_normalise(const char *s, char *out, size_t outlen)
{
    const char *ip = s, *fp = NULL;
    size_t ilen = 0, flen = 0, len;

    while (is_digit(s[ilen]))
        ilen++;
    if (ilen == 0)
        return -1;
    if (s[ilen] == '.') {
        fp = s + ilen + 1;
        while (is_digit(fp[flen]))
            flen++;
        if (flen == 0 || fp[flen] != '\0')
            return -1;
    } else if (s[ilen] != '\0') {
        return -1;
    }
    while (ilen > 1 && ip[0] == '0') {
        ip++;
        ilen--;
    }
    while (flen > 0 && fp[flen - 1] == '0')
        flen--;
    if (ilen > VALUE_INT_MAX || flen > VALUE_FRAC_MAX)
        return -1;
    len = ilen + (flen > 0 ? 1 + flen : 0);
    if (len + 1 > outlen)
        return -1;
    memcpy(out, ip, ilen);
    if (flen > 0) {
        out[ilen] = '.';
        memcpy(out + ilen + 1, fp, flen);
    }
    out[len] = '\0';
    return 0;
}

/* 1 if normalised decimal text v is greater than 100. */
static int above_hundred(const char *v)
{
    size_t ilen = strcspn(v, ".");

    if (ilen != 3)
        return ilen > 3;
    return strncmp(v, "100", 3) > 0 || (strncmp(v, "100", 3) == 0 && v[3] == '.');
}

static int op_valid(const char *op)
{
    static const char *const ops[] = {">=", ">", "=", "<=", "<"};

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(op, ops[i]) == 0)
            return 1;
    return 0;
}

/* The indicator field `field`: required, a catalogue code. */
static enum nl_status indicator_check(struct nl_ctx *ctx, const char *code, const char *field,
                                      const struct nl_ind_def **def)
{
    if (code[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", field);
    *def = nl_ind_find(code);
    if (*def == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "%s: not an indicator of the catalogue (see ListIndicators)", field);
    return NL_OK;
}

/* The unit and term fields of a key: unit "" or a unit code; term (required when `need_term`). */
static enum nl_status key_check(struct nl_ctx *ctx, const char *unit, const char *term,
                                int need_term, const char *unit_field, const char *term_field)
{
    if (unit != NULL && unit[0] != '\0' && !nl_svc_unit_code_valid(unit, strlen(unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: %s", unit_field, unit_code_rule);
    if (term[0] == '\0') {
        if (need_term)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", term_field);
        return NL_OK;
    }
    if (!term_code_valid(term))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: %s", term_field, term_code_rule);
    return NL_OK;
}

/* A Target message of record r in the arena (strings borrowed); NULL when out of memory. */
static Nhanluc__V1__Target *target_msg(struct nl_ctx *ctx, const struct nl_target_rec *r)
{
    Nhanluc__V1__Target *t = nl_arena_alloc(ctx->arena, sizeof(*t));

    if (t == NULL)
        return NULL;
    nhanluc__v1__target__init(t);
    t->indicator = nl_svc_unconst(r->indicator);
    t->op = nl_svc_unconst(r->op);
    t->value = nl_svc_unconst(r->value);
    t->unit = nl_svc_unconst(r->unit);
    t->term = nl_svc_unconst(r->term);
    return t;
}

enum nl_status nl_ind_set_target(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                 ProtobufCMessage *resp_)
{
    const Nhanluc__V1__SetTargetRequest *req = (const Nhanluc__V1__SetTargetRequest *)req_;
    Nhanluc__V1__SetTargetResponse *resp = (Nhanluc__V1__SetTargetResponse *)resp_;
    const Nhanluc__V1__Target *t = req->target;
    const struct nl_ind_def *def = NULL;
    struct nl_target_rec rec;
    char value[VALUE_TEXT_MAX];
    int created = 0, changed = 0;
    enum nl_status st;

    /* check */
    if (t == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target: required");
    st = indicator_check(ctx, t->indicator, "target.indicator", &def);
    if (st != NL_OK)
        return st;
    if (t->op[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target.op: required");
    if (!op_valid(t->op))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target.op: must be one of >=, >, =, <=, <");
    if (t->value[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target.value: required");
    if (decimal_normalise(t->value, value, sizeof(value)) != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "target.value: %s", value_rule);
    if (def->value_kind == NL_IND_PERCENT && above_hundred(value))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "target.value: a percent indicator's target is at most 100");
    st = key_check(ctx, t->unit, t->term, 1, "target.unit", "target.term");
    if (st != NL_OK)
        return st;
    rec.indicator = def->code;
    rec.op = t->op;
    rec.value = nl_arena_strdup(ctx->arena, value);
    rec.unit = t->unit;
    rec.term = t->term;
    if (rec.value == NULL)
        return nl_svc_out_of_memory(ctx);

    /* proceed */
    st = nl_store_target_set(ctx->store, &rec, &created, &changed, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->target = target_msg(ctx, &rec);
    if (resp->target == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->created = created != 0;
    resp->changed = changed != 0;
    return NL_OK;
}

enum nl_status nl_ind_list_targets(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                   ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListTargetsRequest *req = (const Nhanluc__V1__ListTargetsRequest *)req_;
    Nhanluc__V1__ListTargetsResponse *resp = (Nhanluc__V1__ListTargetsResponse *)resp_;
    const struct nl_ind_def *def = NULL;
    struct nl_target_rec *rows = NULL;
    size_t n = 0;
    enum nl_status st;

    /* check */
    if (req->indicator[0] != '\0') {
        st = indicator_check(ctx, req->indicator, "indicator", &def);
        if (st != NL_OK)
            return st;
    }
    st = key_check(ctx, NULL, req->term, 0, "unit", "term");
    if (st != NL_OK)
        return st;

    /* proceed */
    st = nl_store_target_list_scoped(ctx->store, req->indicator, req->term, nl_auth_scope(ctx),
                                     &rows, &n, ctx->arena);
    if (st == NL_RESOURCE_EXHAUSTED)
        return nl_ctx_errorf(ctx, st, "too many targets: filter by indicator or term");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n == 0)
        return NL_OK;
    resp->targets = nl_arena_alloc(ctx->arena, n * sizeof(*resp->targets));
    if (resp->targets == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        resp->targets[i] = target_msg(ctx, &rows[i]);
        if (resp->targets[i] == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    resp->n_targets = n;
    return NL_OK;
}

enum nl_status nl_ind_delete_target(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                    ProtobufCMessage *resp_)
{
    const Nhanluc__V1__DeleteTargetRequest *req = (const Nhanluc__V1__DeleteTargetRequest *)req_;
    Nhanluc__V1__DeleteTargetResponse *resp = (Nhanluc__V1__DeleteTargetResponse *)resp_;
    const struct nl_ind_def *def = NULL;
    int deleted = 0;
    enum nl_status st;

    /* check */
    st = indicator_check(ctx, req->indicator, "indicator", &def);
    if (st == NL_OK)
        st = key_check(ctx, req->unit, req->term, 1, "unit", "term");
    if (st != NL_OK)
        return st;

    /* proceed */
    st = nl_store_target_delete(ctx->store, def->code, req->unit, req->term, &deleted);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->deleted = deleted != 0;
    return NL_OK;
}
