/*
 * ind_handlers.c - ListIndicators, ShowIndicator, CompareIndicator,
 * GetReport and Query of nhanluc.v1.Indicators: request checks, then the
 * engine (ind_engine.h), then the response messages (in ctx->arena).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nhanluc/v1/indicators.pb-c.h"
#include "ind_engine.h"
#include "scope_auth.h"
#include "svc_indicators.h"
#include "svc_util.h"

#define TEXT_MAX             64   /* term codes, filter fields, dimension names */
#define VALUE_MAX            200  /* a filter value: a target group's label is catalogue data */
#define REPORT_ABSENTEES_MAX 1000 /* cadres listed in a report (the count is always whole) */

/* 1 when s has at most `max` bytes and no control character. */
static int text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int short_text(const char *s)
{
    return text_ok(s, TEXT_MAX);
}

/* Checks a Selection's shapes (the engine checks the meaning); fills *ask. */
static enum nl_status check_selection(struct nl_ctx *ctx, const Nhanluc__V1__Selection *s,
                                      struct nl_ind_ask *ask)
{
    if (s == NULL) { /* not sent: every field empty */
        *ask = (struct nl_ind_ask){"", 0, "", 0, "", "", ""};
        return NL_OK;
    }
    if (s->unit[0] != '\0' && !nl_svc_unit_code_valid(s->unit, strlen(s->unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "selection.unit: a unit code is [a-z0-9-], 1-64 bytes");
    if (!short_text(s->term) || !short_text(s->from) || !short_text(s->to) || !short_text(s->as_of))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "selection: term and dates are short text without control characters");
    ask->unit = s->unit;
    ask->own = s->own;
    ask->term = s->term;
    ask->year = s->year;
    ask->from = s->from;
    ask->to = s->to;
    ask->as_of = s->as_of;
    return NL_OK;
}

static enum nl_status open_env(struct nl_ctx *ctx, struct nl_ind_env *e)
{
    enum nl_status st = nl_ind_env_open(e, ctx->store, ctx->arena, ctx->msg, sizeof(ctx->msg));
    return st == NL_OK ? NL_OK : nl_svc_store_error(ctx, st);
}

/*
 * The unit confinement of a district (scope_auth.h): a selection without a
 * unit asks about the district's own unit; a unit outside its scope reads
 * as absent (NOT_FOUND, the engine's own message for an unknown unit).
 */
static enum nl_status confine_ask(struct nl_ctx *ctx, struct nl_ind_env *e, struct nl_ind_ask *ask)
{
    enum nl_status st;

    if (!nl_auth_confined(ctx))
        return NL_OK;
    if (ask->unit[0] == '\0') {
        const char *code = nl_scope_code(&e->w.tree, nl_auth_scope(ctx));
        if (code == NULL)
            return nl_ctx_errorf(ctx, NL_NOT_FOUND, "selection.unit: no such unit");
        ask->unit = code;
        return NL_OK;
    }
    st = nl_auth_read_unit(ctx, ask->unit, "selection.unit");
    return st == NL_NOT_FOUND ? nl_ctx_errorf(ctx, st, "selection.unit: no such unit") : st;
}

/* The engine's status: its own message when it set one, else the store's. */
static enum nl_status engine_error(struct nl_ctx *ctx, enum nl_status st)
{
    if (ctx->msg[0] != '\0')
        return st;
    return nl_svc_store_error(ctx, st);
}

static Nhanluc__V1__Target *target_msg(struct nl_ctx *ctx, const struct nl_target_rec *t)
{
    Nhanluc__V1__Target *m = nl_arena_alloc(ctx->arena, sizeof(*m));
    if (m == NULL)
        return NULL;
    nhanluc__v1__target__init(m);
    m->indicator = nl_svc_unconst(t->indicator);
    m->op = nl_svc_unconst(t->op);
    m->value = nl_svc_unconst(t->value);
    m->unit = nl_svc_unconst(t->unit);
    m->term = nl_svc_unconst(t->term);
    return m;
}

static Nhanluc__V1__IndicatorValue *value_msg(struct nl_ctx *ctx, const struct nl_ind_sel *sel,
                                              const struct nl_ind_value *v)
{
    Nhanluc__V1__IndicatorValue *m = nl_arena_alloc(ctx->arena, sizeof(*m));
    if (m == NULL || (v->has_value && v->value == NULL) || v->unit == NULL)
        return NULL; /* out of memory while computing: the caller answers RESOURCE_EXHAUSTED */
    nhanluc__v1__indicator_value__init(m);
    m->code = nl_svc_unconst(v->def->code);
    m->unit = nl_svc_unconst(v->unit);
    m->period = nl_svc_unconst(sel->period != NULL ? sel->period : "");
    m->as_of = nl_svc_unconst(sel->as_of);
    m->numerator = v->num;
    m->has_denominator = v->has_den;
    m->denominator = v->has_den ? v->den : 0;
    m->has_value = v->has_value;
    m->value = nl_svc_unconst(v->has_value ? v->value : "");
    m->met = (Nhanluc__V1__Met)v->met;
    m->value_kind = (Nhanluc__V1__ValueKind)v->def->value_kind;
    m->term = nl_svc_unconst(sel->term != NULL ? sel->term->code : "");
    if (v->has_target && (m->target = target_msg(ctx, &v->target)) == NULL)
        return NULL;
    size_t ng = v->dim[0] != 0;
    if (ng > 0) {
        m->group = nl_arena_alloc(ctx->arena, ng * sizeof(*m->group));
        Nhanluc__V1__GroupValue *gv = nl_arena_alloc(ctx->arena, ng * sizeof(*gv));
        if (m->group == NULL || gv == NULL)
            return NULL;
        nhanluc__v1__group_value__init(gv);
        gv->dimension = nl_svc_unconst(nl_ind_dim_name(v->dim[0]));
        gv->value = nl_svc_unconst(v->group[0]);
        m->group[0] = gv;
        m->n_group = 1;
    }
    return m;
}

static char **strv(struct nl_ctx *ctx, const char **v, size_t n)
{
    char **out = nl_arena_alloc(ctx->arena, (n + 1) * sizeof(*out));
    for (size_t i = 0; out != NULL && i < n; i++)
        out[i] = nl_svc_unconst(v[i]);
    return out;
}

enum nl_status nl_ind_list(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                           ProtobufCMessage *resp_)
{
    Nhanluc__V1__ListIndicatorsResponse *resp = (Nhanluc__V1__ListIndicatorsResponse *)resp_;
    size_t n;
    const struct nl_ind_def *cat = nl_ind_catalog(&n);

    (void)req_;
    resp->indicators = nl_arena_alloc(ctx->arena, n * sizeof(*resp->indicators));
    if (resp->indicators == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        Nhanluc__V1__IndicatorDef *d = nl_arena_alloc(ctx->arena, sizeof(*d));
        struct nl_target_rec *t = NULL;
        size_t nt = 0;
        if (d == NULL)
            return nl_svc_out_of_memory(ctx);
        nhanluc__v1__indicator_def__init(d);
        d->code = nl_svc_unconst(cat[i].code);
        d->name_vi = nl_svc_unconst(cat[i].name_vi);
        d->name_en = nl_svc_unconst(cat[i].name_en);
        d->formula = nl_svc_unconst(cat[i].formula);
        d->population = nl_svc_unconst(cat[i].population);
        d->value_kind = (Nhanluc__V1__ValueKind)cat[i].value_kind;
        /* A district sees the targets that apply to it (store_targets.h), like ListTargets. */
        enum nl_status st = nl_store_target_list_scoped(ctx->store, cat[i].code, "",
                                                        nl_auth_scope(ctx), &t, &nt, ctx->arena);
        if (st != NL_OK)
            return nl_svc_store_error(ctx, st);
        if (nt > 0) {
            d->targets = nl_arena_alloc(ctx->arena, nt * sizeof(*d->targets));
            if (d->targets == NULL)
                return nl_svc_out_of_memory(ctx);
            for (size_t k = 0; k < nt; k++)
                if ((d->targets[k] = target_msg(ctx, &t[k])) == NULL)
                    return nl_svc_out_of_memory(ctx);
            d->n_targets = nt;
        }
        const char *dims[NL_DIM_COUNT];
        size_t nd = 0;
        for (unsigned b = 0; b < NL_DIM_COUNT; b++)
            if (cat[i].dims & (1u << b))
                dims[nd++] = nl_ind_dim_name(1u << b);
        if ((d->dimensions = strv(ctx, dims, nd)) == NULL)
            return nl_svc_out_of_memory(ctx);
        d->n_dimensions = nd;
        resp->indicators[i] = d;
    }
    resp->n_indicators = n;
    return NL_OK;
}

static enum nl_status find_def(struct nl_ctx *ctx, const char *code, const struct nl_ind_def **def)
{
    *def = short_text(code) ? nl_ind_find(code) : NULL;
    if (*def == NULL)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "code: no such indicator (see ListIndicators)");
    return NL_OK;
}

enum nl_status nl_ind_show(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                           ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ShowIndicatorRequest *req = (const Nhanluc__V1__ShowIndicatorRequest *)req_;
    Nhanluc__V1__ShowIndicatorResponse *resp = (Nhanluc__V1__ShowIndicatorResponse *)resp_;
    const struct nl_ind_def *def;
    struct nl_ind_ask ask;
    struct nl_ind_env e;
    struct nl_ind_sel sel;
    struct nl_ind_value *v = NULL;
    struct nl_ind_explain ex;
    size_t n = 0;
    unsigned by = 0;
    enum nl_status st;

    /* check */
    if ((st = find_def(ctx, req->code, &def)) != NL_OK ||
        (st = check_selection(ctx, req->selection, &ask)) != NL_OK)
        return st;
    if (req->by[0] != '\0' && (!short_text(req->by) || (by = nl_ind_dim_parse(req->by)) == 0))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "by: unknown dimension");

    /* proceed */
    if ((st = open_env(ctx, &e)) != NL_OK || (st = confine_ask(ctx, &e, &ask)) != NL_OK)
        return st;
    if ((st = nl_ind_resolve(&e, &ask, &sel)) != NL_OK ||
        (st = nl_ind_compute(&e, def, &sel, by, &v, &n, req->explain ? &ex : NULL)) != NL_OK)
        return engine_error(ctx, st);
    resp->values = nl_arena_alloc(ctx->arena, (n + 1) * sizeof(*resp->values));
    if (resp->values == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++)
        if ((resp->values[i] = value_msg(ctx, &sel, &v[i])) == NULL)
            return nl_svc_out_of_memory(ctx);
    resp->n_values = n;
    if (req->explain) {
        Nhanluc__V1__Explanation *x = nl_arena_alloc(ctx->arena, sizeof(*x));
        if (x == NULL)
            return nl_svc_out_of_memory(ctx);
        nhanluc__v1__explanation__init(x);
        x->filters = strv(ctx, ex.filters, ex.nfilters);
        x->n_filters = ex.nfilters;
        x->units = strv(ctx, ex.units, ex.nunits);
        x->n_units = ex.nunits;
        x->counts = strv(ctx, ex.counts, ex.ncounts);
        x->n_counts = ex.ncounts;
        x->period = nl_svc_unconst(sel.period != NULL ? sel.period : "");
        x->as_of = nl_svc_unconst(sel.as_of);
        x->term = nl_svc_unconst(sel.term != NULL ? sel.term->code : "");
        if (x->filters == NULL || x->units == NULL || x->counts == NULL)
            return nl_svc_out_of_memory(ctx);
        resp->explanation = x;
    }
    return NL_OK;
}

/* One side of a comparison: the selection with a term or a date. */
static enum nl_status compare_side(struct nl_ctx *ctx, struct nl_ind_env *e,
                                   const struct nl_ind_def *def, struct nl_ind_ask ask,
                                   const char *term, const char *as_of, struct nl_ind_sel *sel,
                                   struct nl_ind_value **v)
{
    size_t n = 0;
    enum nl_status st;

    ask.term = term;
    ask.as_of = as_of;
    if ((st = nl_ind_resolve(e, &ask, sel)) != NL_OK ||
        (st = nl_ind_compute(e, def, sel, 0, v, &n, NULL)) != NL_OK)
        return engine_error(ctx, st);
    return n == 1 ? NL_OK : nl_ctx_errorf(ctx, NL_INTERNAL, "internal error");
}

enum nl_status nl_ind_compare(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                              ProtobufCMessage *resp_)
{
    const Nhanluc__V1__CompareIndicatorRequest *req =
        (const Nhanluc__V1__CompareIndicatorRequest *)req_;
    Nhanluc__V1__CompareIndicatorResponse *resp = (Nhanluc__V1__CompareIndicatorResponse *)resp_;
    const struct nl_ind_def *def;
    struct nl_ind_ask ask;
    struct nl_ind_env e;
    struct nl_ind_sel sa, sb;
    struct nl_ind_value *va = NULL, *vb = NULL;
    enum nl_status st;
    int terms = req->term_a[0] != '\0' || req->term_b[0] != '\0';
    int dates = req->as_of_a[0] != '\0' || req->as_of_b[0] != '\0';

    /* check */
    if ((st = find_def(ctx, req->code, &def)) != NL_OK ||
        (st = check_selection(ctx, req->selection, &ask)) != NL_OK)
        return st;
    if (ask.term[0] != '\0' || ask.year != 0 || ask.from[0] != '\0' || ask.to[0] != '\0' ||
        ask.as_of[0] != '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "selection: only unit and own; the terms or dates go in term_a/term_b "
                             "or as_of_a/as_of_b");
    if (terms == dates)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "term_a: give term_a and term_b, or as_of_a and as_of_b");
    if (terms && (req->term_a[0] == '\0' || req->term_b[0] == '\0'))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required with the other term",
                             req->term_a[0] == '\0' ? "term_a" : "term_b");
    if (dates && (req->as_of_a[0] == '\0' || req->as_of_b[0] == '\0'))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required with the other date",
                             req->as_of_a[0] == '\0' ? "as_of_a" : "as_of_b");
    if (!short_text(req->term_a) || !short_text(req->term_b) || !short_text(req->as_of_a) ||
        !short_text(req->as_of_b))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term_a: short text expected");

    /* proceed */
    if ((st = open_env(ctx, &e)) != NL_OK || (st = confine_ask(ctx, &e, &ask)) != NL_OK)
        return st;
    if ((st = compare_side(ctx, &e, def, ask, req->term_a, req->as_of_a, &sa, &va)) != NL_OK ||
        (st = compare_side(ctx, &e, def, ask, req->term_b, req->as_of_b, &sb, &vb)) != NL_OK)
        return st;
    if ((resp->a = value_msg(ctx, &sa, va)) == NULL || (resp->b = value_msg(ctx, &sb, vb)) == NULL)
        return nl_svc_out_of_memory(ctx);
    const char *ch = nl_ind_change(&e, va, vb);
    resp->has_change = ch != NULL;
    resp->change = nl_svc_unconst(ch != NULL ? ch : "");
    return NL_OK;
}

/*
 * The cadres behind the report's unexcused_absentees, for a caller who may
 * see names (issue 4; scope_auth.h: not central). A district's report covers
 * its own units, but a class of its units may hold another unit's cadre:
 * such a name stays empty (full_name goes to the cadre's own unit only).
 */
static enum nl_status report_absentees(struct nl_ctx *ctx, struct nl_ind_env *e,
                                       const struct nl_ind_sel *sel,
                                       Nhanluc__V1__GetReportResponse *resp)
{
    struct nl_ind_absentee *a = NULL;
    size_t n = 0;
    int truncated = 0;
    enum nl_status st;

    if (!nl_auth_sees_full_name(ctx))
        return NL_OK; /* count only */
    if ((st = nl_ind_absentees(e, sel, REPORT_ABSENTEES_MAX, &a, &n, &truncated)) != NL_OK)
        return engine_error(ctx, st);
    resp->absentees_listed = 1;
    resp->absentees_truncated = truncated != 0;
    resp->absentees = nl_arena_alloc(ctx->arena, (n + 1) * sizeof(*resp->absentees));
    Nhanluc__V1__Absentee *m = nl_arena_alloc(ctx->arena, (n + 1) * sizeof(*m));
    if (resp->absentees == NULL || m == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        int own = 1;
        if (nl_auth_confined(ctx) && a[i].full_name[0] != '\0') {
            int exists = 0;
            st = nl_store_scope_has_cadre(ctx->store, nl_auth_scope(ctx), a[i].cadre_code, &own,
                                          &exists);
            if (st != NL_OK)
                return nl_svc_store_error(ctx, st);
        }
        nhanluc__v1__absentee__init(&m[i]);
        m[i].cadre_code = nl_svc_unconst(a[i].cadre_code);
        m[i].full_name = nl_svc_unconst(own ? a[i].full_name : "");
        m[i].classes = a[i].classes;
        m[i].sessions = a[i].sessions;
        resp->absentees[i] = &m[i];
    }
    resp->n_absentees = n;
    return NL_OK;
}

enum nl_status nl_ind_report(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                             ProtobufCMessage *resp_)
{
    const Nhanluc__V1__GetReportRequest *req = (const Nhanluc__V1__GetReportRequest *)req_;
    Nhanluc__V1__GetReportResponse *resp = (Nhanluc__V1__GetReportResponse *)resp_;
    struct nl_ind_ask ask;
    struct nl_ind_env e;
    struct nl_ind_sel sel;
    enum nl_status st;
    size_t ncat, nv = 0;
    const struct nl_ind_def *cat = nl_ind_catalog(&ncat);

    if ((st = check_selection(ctx, req->selection, &ask)) != NL_OK)
        return st;
    if ((st = open_env(ctx, &e)) != NL_OK || (st = confine_ask(ctx, &e, &ask)) != NL_OK)
        return st;
    if ((st = nl_ind_resolve(&e, &ask, &sel)) != NL_OK)
        return engine_error(ctx, st);
    resp->unit = nl_svc_unconst(sel.unit);
    resp->period = nl_svc_unconst(sel.period != NULL ? sel.period : "");
    resp->as_of = nl_svc_unconst(sel.as_of);
    resp->term = nl_svc_unconst(sel.term != NULL ? sel.term->code : "");
    resp->unit_term_dates = nl_svc_unconst("");
    if (sel.term != NULL) {
        const char *from = NULL, *to = NULL;
        int found = 0;
        st = nl_store_term_instance_get(ctx->store, sel.term->id, sel.unit_id, &from, &to, &found,
                                        ctx->arena);
        if (st != NL_OK)
            return nl_svc_store_error(ctx, st);
        if (found) {
            size_t len = strlen(from) + strlen(to) + 3;
            char *t = nl_arena_alloc(ctx->arena, len);
            if (t == NULL)
                return nl_svc_out_of_memory(ctx);
            (void)snprintf(t, len, "%s..%s", from, to);
            resp->unit_term_dates = t;
        }
    }
    resp->values = nl_arena_alloc(ctx->arena, ncat * sizeof(*resp->values));
    if (resp->values == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < ncat; i++) {
        struct nl_ind_value *v = NULL;
        size_t n = 0;
        ctx->msg[0] = '\0';
        st = nl_ind_compute(&e, &cat[i], &sel, 0, &v, &n, NULL);
        if (st == NL_FAILED_PRECONDITION)
            continue; /* no period or term applies to this one: left out of the page */
        if (st != NL_OK)
            return engine_error(ctx, st);
        if (strcmp(cat[i].code, "unexcused_absentees") == 0 && n == 1)
            resp->unexcused_absentees = v[0].num;
        if (n == 1 && (resp->values[nv++] = value_msg(ctx, &sel, &v[0])) == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    ctx->msg[0] = '\0';
    resp->n_values = nv;
    if (sel.has_period) {
        struct nl_ind_missing *m = NULL;
        size_t nm = 0;
        if ((st = nl_ind_missing_reports(&e, &sel, &m, &nm)) != NL_OK)
            return engine_error(ctx, st);
        resp->missing_reports = nl_arena_alloc(ctx->arena, (nm + 1) * sizeof(void *));
        if (resp->missing_reports == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < nm; i++) {
            Nhanluc__V1__MissingReport *r = nl_arena_alloc(ctx->arena, sizeof(*r));
            if (r == NULL)
                return nl_svc_out_of_memory(ctx);
            nhanluc__v1__missing_report__init(r);
            r->unit = nl_svc_unconst(m[i].unit);
            r->year = m[i].year;
            resp->missing_reports[i] = r;
        }
        resp->n_missing_reports = nm;
        if ((st = report_absentees(ctx, &e, &sel, resp)) != NL_OK)
            return st;
    }
    return NL_OK;
}

enum nl_status nl_ind_query(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                            ProtobufCMessage *resp_)
{
    const Nhanluc__V1__QueryRequest *req = (const Nhanluc__V1__QueryRequest *)req_;
    Nhanluc__V1__QueryResponse *resp = (Nhanluc__V1__QueryResponse *)resp_;
    struct nl_ind_ask ask;
    struct nl_ind_env e;
    struct nl_ind_sel sel;
    struct nl_ind_filter *f;
    struct nl_ind_qrow *rows = NULL;
    size_t n = 0;
    enum nl_status st;
    char yfrom[11], yto[11];
    long ymin = 0, ymax = 0;

    /* check */
    if (!short_text(req->measure))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "measure: unknown");
    if ((st = check_selection(ctx, req->selection, &ask)) != NL_OK)
        return st;
    if (req->n_filters > 64 || req->n_by > 2)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s",
                             req->n_by > 2 ? "by: at most two dimensions" : "filters: at most 64");
    f = nl_arena_alloc(ctx->arena, (req->n_filters + 1) * sizeof(*f));
    if (f == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < req->n_filters; i++) {
        if (!short_text(req->filters[i]->field) || !text_ok(req->filters[i]->value, VALUE_MAX))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "filters[%zu]: short text expected", i);
        f[i].field = req->filters[i]->field;
        f[i].value = req->filters[i]->value;
        if (strcmp(f[i].field, "year") == 0) {
            char *end;
            long y = strtol(f[i].value, &end, 10);
            if (*end == '\0' && y >= 1900 && y <= 9998) {
                ymin = ymin == 0 || y < ymin ? y : ymin;
                ymax = y > ymax ? y : ymax;
            }
        }
    }
    for (size_t i = 0; i < req->n_by; i++)
        if (!short_text(req->by[i]))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "by[%zu]: unknown dimension", i);
    /* A year filter without a period asks about those years. */
    if (ymin != 0 && ask.term[0] == '\0' && ask.year == 0 && ask.from[0] == '\0' &&
        ask.to[0] == '\0') {
        snprintf(yfrom, sizeof(yfrom), "%04ld-01-01", ymin);
        snprintf(yto, sizeof(yto), "%04ld-12-31", ymax);
        ask.from = yfrom;
        ask.to = yto;
    }

    /* proceed */
    if ((st = open_env(ctx, &e)) != NL_OK || (st = confine_ask(ctx, &e, &ask)) != NL_OK)
        return st;
    if ((st = nl_ind_resolve(&e, &ask, &sel)) != NL_OK ||
        (st = nl_ind_aggregate(&e, req->measure, &sel, f, req->n_filters,
                               (const char *const *)req->by, req->n_by, &rows, &n)) != NL_OK)
        return engine_error(ctx, st);
    resp->measure = nl_svc_unconst(req->measure);
    resp->unit = nl_svc_unconst(sel.unit);
    resp->period = nl_svc_unconst(sel.period != NULL ? sel.period : "");
    resp->as_of = nl_svc_unconst(sel.as_of);
    resp->term = nl_svc_unconst(sel.term != NULL ? sel.term->code : "");
    resp->rows = nl_arena_alloc(ctx->arena, (n + 1) * sizeof(*resp->rows));
    if (resp->rows == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        Nhanluc__V1__QueryRow *r = nl_arena_alloc(ctx->arena, sizeof(*r));
        if (r == NULL)
            return nl_svc_out_of_memory(ctx);
        nhanluc__v1__query_row__init(r);
        r->value = rows[i].value;
        if (req->n_by > 0) {
            r->group = nl_arena_alloc(ctx->arena, req->n_by * sizeof(*r->group));
            if (r->group == NULL)
                return nl_svc_out_of_memory(ctx);
            for (size_t d = 0; d < req->n_by; d++) {
                Nhanluc__V1__GroupValue *gv = nl_arena_alloc(ctx->arena, sizeof(*gv));
                if (gv == NULL)
                    return nl_svc_out_of_memory(ctx);
                nhanluc__v1__group_value__init(gv);
                gv->dimension = req->by[d];
                gv->value = nl_svc_unconst(rows[i].group[d]);
                r->group[d] = gv;
            }
            r->n_group = req->n_by;
        }
        resp->rows[i] = r;
    }
    resp->n_rows = n;
    return NL_OK;
}
