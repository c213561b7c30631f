/*
 * svc_registry.c - nhanluc.v1.Registry: the reporting tree (units) and terms.
 *
 * Each handler is split in two, as in OpenSMTPD's command table: a *check*
 * that only looks at the request and answers INVALID_ARGUMENT naming the
 * field path (never its value), and a *proceed* that calls the store. Names
 * are normalised to NFC in the check, so a decomposed Vietnamese name is
 * stored, compared and returned composed. Handlers open no transactions:
 * readers run inside the read pool's nl_store_begin_read/end_read, writers
 * inside a savepoint of the writer's batch transaction. Response strings and
 * arrays live in ctx->arena.
 *
 * ListUnits page tokens are opaque to clients: base64 of "u:" + the last
 * code returned. Keyset paging ("code > last") keeps pages stable while units
 * are added, and a token is checked like any other input. A unit has at most
 * one version on a day, so a page of the tree "as of" a date is keyed by code
 * alone (the client sends the same as_of with every page).
 *
 * Unit history (DOMAIN.md 3 and 5): CreateUnit with a valid_from adds a
 * version to the unit's timeline, RecordUnitEvent records a MERGE, SPLIT,
 * RENAME or DISSOLVE and applies it to the versions, GetUnitHistory and
 * GetLineage read them back, SetTermInstance upserts a unit's term dates.
 * The rules on stored data live in store_units.c; the checks here are those
 * a request can fail on its own.
 */
#include <stdint.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/date.h"
#include "../common/text.h"
#include "../common/wire.h"
#include "method.h"
#include "svc_catalog.h"
#include "svc_util.h"
#include "nhanluc/v1/registry.pb-c.h"
#include "scope_auth.h"
#include "store.h"

#define UNIT_NAME_MAX     200
#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX     1000
#define TERM_YEAR_MIN     1945
#define TERM_YEAR_MAX     2100
#define TOKEN_PREFIX      "u:"
#define TOKEN_PREFIX_LEN  2
#define TOKEN_MAX         128  /* base64 of "u:" + 64 bytes is 88 characters */
#define EVENT_UNITS_MAX   1000 /* sources, and targets, of one event */
#define LEGAL_BASIS_MAX   1000

static const char code_rule[] = "must be 1-64 characters of a-z, 0-9 and '-'";
static const char date_rule[] = "must be a date YYYY-MM-DD";

/* 1 if s is exactly a valid "YYYY-MM-DD". */
static int date_valid(const char *s)
{
    int32_t d;

    return nl_date_parse(s, strlen(s), &d) == 0;
}

/* A response Unit in the arena, pointing at arena (or store-arena) strings. */
static Nhanluc__V1__Unit *unit_msg(struct nl_ctx *ctx, const struct nl_unit_rec *r)
{
    Nhanluc__V1__Unit *u = nl_arena_alloc(ctx->arena, sizeof(*u));

    if (u == NULL)
        return NULL;
    nhanluc__v1__unit__init(u);
    u->code = nl_svc_unconst(r->code);
    u->name = nl_svc_unconst(r->name);
    u->kind = (Nhanluc__V1__UnitKind)r->kind;
    u->parent = nl_svc_unconst(r->parent);
    u->valid_from = nl_svc_unconst(r->valid_from != NULL ? r->valid_from : "");
    u->valid_to = nl_svc_unconst(r->valid_to != NULL ? r->valid_to : "");
    return u;
}

static Nhanluc__V1__Term *term_msg(struct nl_ctx *ctx, const struct nl_term_rec *r)
{
    Nhanluc__V1__Term *t = nl_arena_alloc(ctx->arena, sizeof(*t));

    if (t == NULL)
        return NULL;
    nhanluc__v1__term__init(t);
    t->code = nl_svc_unconst(r->code);
    t->kind = (Nhanluc__V1__TermKind)r->kind;
    t->start_year = r->start_year;
    t->end_year = r->end_year;
    return t;
}

/* --- CreateUnit --- */

/* Validates the unit and fills *rec; the name is NFC in ctx->arena. */
static enum nl_status create_unit_check(struct nl_ctx *ctx, const Nhanluc__V1__Unit *u,
                                        struct nl_unit_rec *rec)
{
    char *name = NULL;
    int rc;

    if (u == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: required");
    if (!nl_svc_unit_code_valid(u->code, strlen(u->code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.code: %s", code_rule);

    rc = nl_text_nfc(ctx->arena, u->name, strlen(u->name), 1, UNIT_NAME_MAX, &name);
    switch (rc) {
    case NL_TEXT_OK:
        break;
    case NL_TEXT_EMPTY:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.name: required");
    case NL_TEXT_TOOLONG:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.name: must be at most %d bytes",
                             UNIT_NAME_MAX);
    case NL_TEXT_NOMEM:
        return nl_svc_out_of_memory(ctx);
    default:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.name: %s", nl_text_strerror(rc));
    }

    if (u->kind <= NHANLUC__V1__UNIT_KIND__UNIT_KIND_UNSPECIFIED ||
        protobuf_c_enum_descriptor_get_value(&nhanluc__v1__unit_kind__descriptor, (int)u->kind) ==
            NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.kind: unknown kind");

    if (u->kind == NHANLUC__V1__UNIT_KIND__CITY) {
        if (u->parent[0] != '\0')
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.parent: a CITY has no parent");
    } else {
        if (u->parent[0] == '\0')
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "unit.parent: required for every kind but CITY");
        if (!nl_svc_unit_code_valid(u->parent, strlen(u->parent)))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.parent: %s", code_rule);
        if (strcmp(u->parent, u->code) == 0)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "unit.parent: a unit cannot be its own parent");
    }

    if (u->valid_from[0] != '\0' && !date_valid(u->valid_from))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.valid_from: %s", date_rule);
    if (u->valid_to[0] != '\0') {
        if (!date_valid(u->valid_to))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.valid_to: %s", date_rule);
        if (strcmp(u->valid_to, u->valid_from) < 0)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "unit.valid_to: must not be before unit.valid_from");
    }

    rec->code = u->code;
    rec->name = name;
    rec->kind = (int)u->kind;
    rec->parent = u->parent;
    rec->valid_from = u->valid_from;
    rec->valid_to = u->valid_to;
    return NL_OK;
}

static enum nl_status svc_registry_create_unit(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                               ProtobufCMessage *resp_)
{
    const Nhanluc__V1__CreateUnitRequest *req = (const Nhanluc__V1__CreateUnitRequest *)req_;
    Nhanluc__V1__CreateUnitResponse *resp = (Nhanluc__V1__CreateUnitResponse *)resp_;
    struct nl_unit_rec rec = {NULL, NULL, 0, NULL, NULL, NULL};
    struct nl_unit_rec stored;
    enum nl_status st;
    int created = 0;

    st = create_unit_check(ctx, req->unit, &rec);
    if (st != NL_OK)
        return st;

    st = nl_store_unit_create(ctx->store, &rec, &created, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return st;
    /* The version as stored: its valid_to may come from the timeline or an event. */
    st = nl_store_unit_version_get(ctx->store, rec.code, rec.valid_from, &stored, ctx->arena);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st == NL_NOT_FOUND ? NL_INTERNAL : st);
    resp->unit = unit_msg(ctx, &stored);
    if (resp->unit == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->created = created != 0;
    return NL_OK;
}

/* --- GetUnit --- */

static enum nl_status svc_registry_get_unit(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                            ProtobufCMessage *resp_)
{
    const Nhanluc__V1__GetUnitRequest *req = (const Nhanluc__V1__GetUnitRequest *)req_;
    Nhanluc__V1__GetUnitResponse *resp = (Nhanluc__V1__GetUnitResponse *)resp_;
    struct nl_unit_rec rec;
    enum nl_status st;

    if (!nl_svc_unit_code_valid(req->code, strlen(req->code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "code: %s", code_rule);

    st = nl_auth_read_unit(ctx, req->code, "code");
    if (st == NL_OK)
        st = nl_store_unit_get(ctx->store, req->code, &rec, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->unit = unit_msg(ctx, &rec);
    if (resp->unit == NULL)
        return nl_svc_out_of_memory(ctx);
    return NL_OK;
}

/* --- ListUnits --- */

/*
 * Decodes a page token into the last code of the previous page (in the
 * arena). An empty token is the first page (*after = ""). Returns 0 or -1
 * for a token this server did not make, -2 when out of memory.
 */
static int page_token_decode(struct nl_arena *a, const char *tok, const char **after)
{
    struct nl_buf b;
    size_t len = strlen(tok);
    int rc = -1;

    *after = "";
    if (len == 0)
        return 0;
    if (len > TOKEN_MAX)
        return -1;
    nl_buf_init(&b, TOKEN_MAX);
    /*
     * wire.h gives -1 both for invalid input and NL_BUF_ENOMEM, so any
     * failure reads as an invalid token (the buffer is at most 128 bytes).
     */
    if (nl_wire_b64_decode(&b, tok, len) == 0 && b.len > TOKEN_PREFIX_LEN &&
        memcmp(b.data, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0 &&
        nl_svc_unit_code_valid((const char *)b.data + TOKEN_PREFIX_LEN, b.len - TOKEN_PREFIX_LEN)) {
        char *s =
            nl_arena_strndup(a, (const char *)b.data + TOKEN_PREFIX_LEN, b.len - TOKEN_PREFIX_LEN);
        if (s == NULL) {
            rc = -2;
        } else {
            *after = s;
            rc = 0;
        }
    }
    nl_buf_release(&b);
    return rc;
}

/* Encodes the token that continues after `code`; NULL when out of memory. */
static char *page_token_encode(struct nl_arena *a, const char *code)
{
    struct nl_buf raw, enc;
    char *tok = NULL;

    nl_buf_init(&raw, TOKEN_MAX);
    nl_buf_init(&enc, TOKEN_MAX);
    if (nl_buf_append(&raw, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0 &&
        nl_buf_append_str(&raw, code) == 0 && nl_wire_b64_encode(&enc, raw.data, raw.len) == 0)
        tok = nl_arena_strndup(a, (const char *)enc.data, enc.len);
    nl_buf_release(&raw);
    nl_buf_release(&enc);
    return tok;
}

static enum nl_status svc_registry_list_units(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                              ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListUnitsRequest *req = (const Nhanluc__V1__ListUnitsRequest *)req_;
    Nhanluc__V1__ListUnitsResponse *resp = (Nhanluc__V1__ListUnitsResponse *)resp_;
    struct nl_unit_rec *rows = NULL;
    struct nl_unit_rec parent;
    const char *after = "";
    char *name = NULL;
    size_t limit, n = 0;
    enum nl_status st;
    int more = 0, nrc;

    /* check */
    if (req->parent[0] != '\0' && !nl_svc_unit_code_valid(req->parent, strlen(req->parent)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "parent: %s", code_rule);
    /* The filter is matched folded; its value never reaches a message or a log line. */
    nrc = nl_text_nfc(ctx->arena, req->name, strlen(req->name), 0, UNIT_NAME_MAX, &name);
    if (nrc == NL_TEXT_NOMEM)
        return nl_svc_out_of_memory(ctx);
    if (nrc == NL_TEXT_TOOLONG)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "name: must be at most %d bytes",
                             UNIT_NAME_MAX);
    if (nrc != NL_TEXT_OK)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "name: %s", nl_text_strerror(nrc));
    if (req->page_size < 0 || req->page_size > PAGE_SIZE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0-%d", PAGE_SIZE_MAX);
    limit = req->page_size == 0 ? PAGE_SIZE_DEFAULT : (size_t)req->page_size;
    int trc = page_token_decode(ctx->arena, req->page_token, &after);
    if (trc == -2)
        return nl_svc_out_of_memory(ctx);
    if (trc != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_token: invalid");
    if (req->as_of[0] != '\0' && !date_valid(req->as_of))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "as_of: %s", date_rule);

    /* proceed */
    if (req->parent[0] != '\0') {
        /* Listing the children of a unit that does not exist is a mistake, not an empty tree. */
        st = nl_auth_read_unit(ctx, req->parent, "parent");
        if (st == NL_OK)
            st = nl_store_unit_get(ctx->store, req->parent, &parent, ctx->arena);
        if (st == NL_NOT_FOUND)
            return nl_ctx_errorf(ctx, NL_NOT_FOUND, "parent unit not found");
        if (st != NL_OK)
            return nl_svc_store_error(ctx, st);
    }
    /* A district lists its own units only: filtered in the statement, before paging. */
    st = nl_store_unit_list_scoped(ctx->store, nl_auth_scope(ctx), req->parent, req->as_of, name,
                                   after, limit, &rows, &n, &more, ctx->arena);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);

    if (n > 0) {
        resp->units = nl_arena_alloc(ctx->arena, n * sizeof(Nhanluc__V1__Unit *));
        if (resp->units == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->units[i] = unit_msg(ctx, &rows[i]);
            if (resp->units[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_units = n;
    }
    if (more && n > 0) {
        resp->next_page_token = page_token_encode(ctx->arena, rows[n - 1].code);
        if (resp->next_page_token == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    return NL_OK;
}

/* --- CreateTerm --- */

/* Parses 4 ASCII digits; -1 if any is not a digit. */
static int year4(const char *s)
{
    int y = 0;

    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        y = y * 10 + (s[i] - '0');
    }
    return y;
}

static enum nl_status create_term_check(struct nl_ctx *ctx, const Nhanluc__V1__Term *t,
                                        struct nl_term_rec *rec)
{
    int start, end;

    if (t == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term: required");
    if (strlen(t->code) != 9 || t->code[4] != '-' || (start = year4(t->code)) < 0 ||
        (end = year4(t->code + 5)) < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term.code: must be YYYY-YYYY");
    if (start < TERM_YEAR_MIN || end > TERM_YEAR_MAX || start >= end)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "term.code: years must be increasing and within %d-%d", TERM_YEAR_MIN,
                             TERM_YEAR_MAX);
    if (t->kind <= NHANLUC__V1__TERM_KIND__TERM_KIND_UNSPECIFIED ||
        protobuf_c_enum_descriptor_get_value(&nhanluc__v1__term_kind__descriptor, (int)t->kind) ==
            NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term.kind: unknown kind");
    if (t->start_year != 0 && t->start_year != start)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term.start_year: must match term.code");
    if (t->end_year != 0 && t->end_year != end)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "term.end_year: must match term.code");

    rec->code = t->code;
    rec->kind = (int)t->kind;
    rec->start_year = start;
    rec->end_year = end;
    return NL_OK;
}

static enum nl_status svc_registry_create_term(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                               ProtobufCMessage *resp_)
{
    const Nhanluc__V1__CreateTermRequest *req = (const Nhanluc__V1__CreateTermRequest *)req_;
    Nhanluc__V1__CreateTermResponse *resp = (Nhanluc__V1__CreateTermResponse *)resp_;
    struct nl_term_rec rec = {NULL, 0, 0, 0};
    enum nl_status st;
    int created = 0;

    st = create_term_check(ctx, req->term, &rec);
    if (st != NL_OK)
        return st;

    st = nl_store_term_create(ctx->store, &rec, &created, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return st;
    resp->term = term_msg(ctx, &rec);
    if (resp->term == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->created = created != 0;
    return NL_OK;
}

/* --- ListTerms --- */

static enum nl_status svc_registry_list_terms(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                              ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListTermsRequest *req = (const Nhanluc__V1__ListTermsRequest *)req_;
    Nhanluc__V1__ListTermsResponse *resp = (Nhanluc__V1__ListTermsResponse *)resp_;
    struct nl_term_rec *rows = NULL;
    size_t n = 0;
    enum nl_status st;

    if (req->kind != NHANLUC__V1__TERM_KIND__TERM_KIND_UNSPECIFIED &&
        protobuf_c_enum_descriptor_get_value(&nhanluc__v1__term_kind__descriptor, (int)req->kind) ==
            NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "kind: unknown kind");

    st = nl_store_term_list(ctx->store, (int)req->kind, &rows, &n, ctx->arena);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n > 0) {
        resp->terms = nl_arena_alloc(ctx->arena, n * sizeof(Nhanluc__V1__Term *));
        if (resp->terms == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->terms[i] = term_msg(ctx, &rows[i]);
            if (resp->terms[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_terms = n;
    }
    return NL_OK;
}

/* --- GetUnitHistory --- */

/* A response UnitEvent in the arena. */
static Nhanluc__V1__UnitEvent *event_msg(struct nl_ctx *ctx, const struct nl_unit_event_rec *r)
{
    Nhanluc__V1__UnitEvent *e = nl_arena_alloc(ctx->arena, sizeof(*e));

    if (e == NULL)
        return NULL;
    nhanluc__v1__unit_event__init(e);
    e->kind = (Nhanluc__V1__UnitEventKind)r->kind;
    e->effective_date = nl_svc_unconst(r->effective_date);
    e->legal_basis = nl_svc_unconst(r->legal_basis);
    if (r->nsources > 0) {
        e->sources = nl_arena_alloc(ctx->arena, r->nsources * sizeof(char *));
        if (e->sources == NULL)
            return NULL;
        for (size_t i = 0; i < r->nsources; i++)
            e->sources[i] = nl_svc_unconst(r->sources[i]);
        e->n_sources = r->nsources;
    }
    if (r->ntargets > 0) {
        e->targets = nl_arena_alloc(ctx->arena, r->ntargets * sizeof(char *));
        if (e->targets == NULL)
            return NULL;
        for (size_t i = 0; i < r->ntargets; i++)
            e->targets[i] = nl_svc_unconst(r->targets[i]);
        e->n_targets = r->ntargets;
    }
    return e;
}

static enum nl_status svc_registry_get_unit_history(struct nl_ctx *ctx,
                                                    const ProtobufCMessage *req_,
                                                    ProtobufCMessage *resp_)
{
    const Nhanluc__V1__GetUnitHistoryRequest *req =
        (const Nhanluc__V1__GetUnitHistoryRequest *)req_;
    Nhanluc__V1__GetUnitHistoryResponse *resp = (Nhanluc__V1__GetUnitHistoryResponse *)resp_;
    struct nl_unit_rec *vers = NULL;
    struct nl_unit_event_rec *evs = NULL;
    size_t nv = 0, ne = 0;
    enum nl_status st;

    if (!nl_svc_unit_code_valid(req->code, strlen(req->code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "code: %s", code_rule);
    st = nl_auth_read_unit(ctx, req->code, "code");
    if (st == NL_OK)
        st = nl_store_unit_history(ctx->store, req->code, &vers, &nv, &evs, &ne, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (nv > 0) {
        resp->versions = nl_arena_alloc(ctx->arena, nv * sizeof(Nhanluc__V1__Unit *));
        if (resp->versions == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < nv; i++) {
            resp->versions[i] = unit_msg(ctx, &vers[i]);
            if (resp->versions[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_versions = nv;
    }
    if (ne > 0) {
        resp->events = nl_arena_alloc(ctx->arena, ne * sizeof(Nhanluc__V1__UnitEvent *));
        if (resp->events == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < ne; i++) {
            resp->events[i] = event_msg(ctx, &evs[i]);
            if (resp->events[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_events = ne;
    }
    return NL_OK;
}

/* --- RecordUnitEvent --- */

/*
 * Checks a list of unit codes of an event ("sources" or "targets"); `other`
 * (n_other codes) must not share any.
 */
static enum nl_status event_codes_check(struct nl_ctx *ctx, const char *field, char **codes,
                                        size_t n, char **other, size_t n_other)
{
    if (n > EVENT_UNITS_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.%s: at most %d units", field,
                             EVENT_UNITS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!nl_svc_unit_code_valid(codes[i], strlen(codes[i])))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.%s[%zu]: %s", field, i,
                                 code_rule);
        for (size_t j = 0; j < i; j++)
            if (strcmp(codes[i], codes[j]) == 0)
                return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.%s[%zu]: repeats a unit",
                                     field, i);
        for (size_t j = 0; j < n_other; j++)
            if (strcmp(codes[i], other[j]) == 0)
                return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.%s[%zu]: is also a source",
                                     field, i);
    }
    return NL_OK;
}

/* Validates the event's shape and fills *rec; the legal basis is NFC in ctx->arena. */
static enum nl_status record_event_check(struct nl_ctx *ctx, const Nhanluc__V1__UnitEvent *e,
                                         struct nl_unit_event_rec *rec)
{
    char *basis = NULL;
    enum nl_status st;
    int rc;

    if (e == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event: required");
    if (e->kind <= NHANLUC__V1__UNIT_EVENT_KIND__UNIT_EVENT_KIND_UNSPECIFIED ||
        e->kind > NHANLUC__V1__UNIT_EVENT_KIND__DISSOLVE)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.kind: unknown kind");
    if (!date_valid(e->effective_date))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.effective_date: %s", date_rule);
    if (e->n_sources == 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.sources: required");
    switch (e->kind) {
    case NHANLUC__V1__UNIT_EVENT_KIND__MERGE:
        /*
         * DOMAIN.md 3: a MERGE opens (or continues) the target. Into several
         * units it is a split of the merged whole: lineage would credit the
         * sources' history to every target and count it twice.
         */
        if (e->n_targets != 1)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "event.targets: a MERGE has exactly one target (several: record "
                                 "a MERGE, then a SPLIT)");
        break;
    case NHANLUC__V1__UNIT_EVENT_KIND__SPLIT:
        if (e->n_sources != 1)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "event.sources: a SPLIT has exactly one source");
        if (e->n_targets == 0)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.targets: required for a SPLIT");
        break;
    case NHANLUC__V1__UNIT_EVENT_KIND__RENAME:
        if (e->n_sources != 1)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "event.sources: a RENAME has exactly one source");
        if (e->n_targets != 1)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "event.targets: a RENAME has exactly one target");
        break;
    default: /* DISSOLVE */
        if (e->n_sources != 1)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "event.sources: a DISSOLVE has exactly one source");
        if (e->n_targets != 0)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "event.targets: a DISSOLVE has no targets");
        break;
    }
    st = event_codes_check(ctx, "sources", e->sources, e->n_sources, NULL, 0);
    if (st == NL_OK)
        st = event_codes_check(ctx, "targets", e->targets, e->n_targets, e->sources, e->n_sources);
    if (st != NL_OK)
        return st;

    rc = nl_text_nfc_lines(ctx->arena, e->legal_basis, strlen(e->legal_basis), 0, LEGAL_BASIS_MAX,
                           0, &basis);
    switch (rc) {
    case NL_TEXT_OK:
        break;
    case NL_TEXT_TOOLONG:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "event.legal_basis: must be at most %d bytes", LEGAL_BASIS_MAX);
    case NL_TEXT_NOMEM:
        return nl_svc_out_of_memory(ctx);
    default:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "event.legal_basis: %s",
                             nl_text_strerror(rc));
    }

    rec->kind = (int)e->kind;
    rec->effective_date = e->effective_date;
    rec->sources = (const char *const *)e->sources;
    rec->nsources = e->n_sources;
    rec->targets = (const char *const *)e->targets;
    rec->ntargets = e->n_targets;
    rec->legal_basis = basis;
    return NL_OK;
}

static enum nl_status svc_registry_record_unit_event(struct nl_ctx *ctx,
                                                     const ProtobufCMessage *req_,
                                                     ProtobufCMessage *resp_)
{
    const Nhanluc__V1__RecordUnitEventRequest *req =
        (const Nhanluc__V1__RecordUnitEventRequest *)req_;
    Nhanluc__V1__RecordUnitEventResponse *resp = (Nhanluc__V1__RecordUnitEventResponse *)resp_;
    struct nl_unit_event_rec rec, out;
    enum nl_status st;
    int created = 0;

    memset(&rec, 0, sizeof(rec));
    st = record_event_check(ctx, req->event, &rec);
    if (st != NL_OK)
        return st;
    st = nl_store_unit_event_record(ctx->store, &rec, &out, &created, ctx->msg, sizeof(ctx->msg),
                                    ctx->arena);
    if (st != NL_OK)
        return st;
    resp->event = event_msg(ctx, &out);
    if (resp->event == NULL)
        return nl_svc_out_of_memory(ctx);
    resp->created = created != 0;
    return NL_OK;
}

/* --- GetLineage --- */

static enum nl_status svc_registry_get_lineage(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                               ProtobufCMessage *resp_)
{
    const Nhanluc__V1__GetLineageRequest *req = (const Nhanluc__V1__GetLineageRequest *)req_;
    Nhanluc__V1__GetLineageResponse *resp = (Nhanluc__V1__GetLineageResponse *)resp_;
    struct nl_lineage_step *steps = NULL;
    size_t n = 0;
    enum nl_status st;

    if (!nl_svc_unit_code_valid(req->code, strlen(req->code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "code: %s", code_rule);
    if (req->direction != NHANLUC__V1__LINEAGE_DIRECTION__SUCCESSORS &&
        req->direction != NHANLUC__V1__LINEAGE_DIRECTION__PREDECESSORS)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "direction: must be SUCCESSORS or PREDECESSORS");
    st = nl_auth_read_unit(ctx, req->code, "code");
    if (st == NL_OK)
        st = nl_store_unit_lineage(ctx->store, req->code,
                                   req->direction == NHANLUC__V1__LINEAGE_DIRECTION__SUCCESSORS
                                       ? NL_LINEAGE_SUCCESSORS
                                       : NL_LINEAGE_PREDECESSORS,
                                   &steps, &n, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st == NL_RESOURCE_EXHAUSTED)
        return nl_ctx_errorf(ctx, st, "lineage: more than %d steps", NL_LINEAGE_MAX_STEPS);
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n == 0)
        return NL_OK;
    resp->steps = nl_arena_alloc(ctx->arena, n * sizeof(Nhanluc__V1__LineageStep *));
    if (resp->steps == NULL)
        return nl_svc_out_of_memory(ctx);
    for (size_t i = 0; i < n; i++) {
        Nhanluc__V1__LineageStep *m = nl_arena_alloc(ctx->arena, sizeof(*m));
        if (m == NULL)
            return nl_svc_out_of_memory(ctx);
        nhanluc__v1__lineage_step__init(m);
        m->code = nl_svc_unconst(steps[i].code);
        m->via_code = nl_svc_unconst(steps[i].via_code);
        m->kind = (Nhanluc__V1__UnitEventKind)steps[i].kind;
        m->effective_date = nl_svc_unconst(steps[i].effective_date);
        resp->steps[i] = m;
    }
    resp->n_steps = n;
    return NL_OK;
}

/* --- SetTermInstance --- */

static enum nl_status svc_registry_set_term_instance(struct nl_ctx *ctx,
                                                     const ProtobufCMessage *req_,
                                                     ProtobufCMessage *resp_)
{
    const Nhanluc__V1__SetTermInstanceRequest *req =
        (const Nhanluc__V1__SetTermInstanceRequest *)req_;
    Nhanluc__V1__SetTermInstanceResponse *resp = (Nhanluc__V1__SetTermInstanceResponse *)resp_;
    const Nhanluc__V1__TermInstance *ti = req->instance;
    struct nl_term_instance_rec rec;
    Nhanluc__V1__TermInstance *out;
    enum nl_status st;
    int created = 0;

    if (ti == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "instance: required");
    if (strlen(ti->term) != 9 || ti->term[4] != '-' || year4(ti->term) < 0 ||
        year4(ti->term + 5) < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "instance.term: must be YYYY-YYYY");
    if (!nl_svc_unit_code_valid(ti->unit, strlen(ti->unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "instance.unit: %s", code_rule);
    if (!date_valid(ti->start_date))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "instance.start_date: %s", date_rule);
    if (!date_valid(ti->end_date))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "instance.end_date: %s", date_rule);
    if (strcmp(ti->end_date, ti->start_date) < 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                             "instance.end_date: must not be before instance.start_date");

    rec.term = ti->term;
    rec.unit = ti->unit;
    rec.start_date = ti->start_date;
    rec.end_date = ti->end_date;
    st = nl_store_term_instance_set(ctx->store, &rec, &created, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return st;
    out = nl_arena_alloc(ctx->arena, sizeof(*out));
    if (out == NULL)
        return nl_svc_out_of_memory(ctx);
    nhanluc__v1__term_instance__init(out);
    out->term = ti->term;
    out->unit = ti->unit;
    out->start_date = ti->start_date;
    out->end_date = ti->end_date;
    resp->instance = out;
    resp->created = created != 0;
    return NL_OK;
}

const struct nl_method nl_svc_registry_methods[] = {
    {"/nhanluc.v1.Registry/CreateUnit", &nhanluc__v1__create_unit_request__descriptor,
     &nhanluc__v1__create_unit_response__descriptor, svc_registry_create_unit,
     NL_M_WRITE | NL_M_ADMIN},
    {"/nhanluc.v1.Registry/GetUnit", &nhanluc__v1__get_unit_request__descriptor,
     &nhanluc__v1__get_unit_response__descriptor, svc_registry_get_unit, NL_M_READ | NL_M_ANY_ROLE},
    {"/nhanluc.v1.Registry/ListUnits", &nhanluc__v1__list_units_request__descriptor,
     &nhanluc__v1__list_units_response__descriptor, svc_registry_list_units,
     NL_M_READ | NL_M_ANY_ROLE},
    {"/nhanluc.v1.Registry/CreateTerm", &nhanluc__v1__create_term_request__descriptor,
     &nhanluc__v1__create_term_response__descriptor, svc_registry_create_term,
     NL_M_WRITE | NL_M_ADMIN},
    {"/nhanluc.v1.Registry/ListTerms", &nhanluc__v1__list_terms_request__descriptor,
     &nhanluc__v1__list_terms_response__descriptor, svc_registry_list_terms,
     NL_M_READ | NL_M_ANY_ROLE},
    {"/nhanluc.v1.Registry/GetUnitHistory", &nhanluc__v1__get_unit_history_request__descriptor,
     &nhanluc__v1__get_unit_history_response__descriptor, svc_registry_get_unit_history,
     NL_M_READ | NL_M_ANY_ROLE},
    {"/nhanluc.v1.Registry/RecordUnitEvent", &nhanluc__v1__record_unit_event_request__descriptor,
     &nhanluc__v1__record_unit_event_response__descriptor, svc_registry_record_unit_event,
     NL_M_WRITE | NL_M_ADMIN},
    {"/nhanluc.v1.Registry/GetLineage", &nhanluc__v1__get_lineage_request__descriptor,
     &nhanluc__v1__get_lineage_response__descriptor, svc_registry_get_lineage,
     NL_M_READ | NL_M_ANY_ROLE},
    {"/nhanluc.v1.Registry/SetTermInstance", &nhanluc__v1__set_term_instance_request__descriptor,
     &nhanluc__v1__set_term_instance_response__descriptor, svc_registry_set_term_instance,
     NL_M_WRITE | NL_M_ADMIN},
    /* The target-group catalogue (svc_catalog.c). */
    {"/nhanluc.v1.Registry/CreateTargetGroup",
     &nhanluc__v1__create_target_group_request__descriptor,
     &nhanluc__v1__create_target_group_response__descriptor, nl_svc_catalog_create_target_group,
     NL_M_WRITE | NL_M_ADMIN},
    {"/nhanluc.v1.Registry/ListTargetGroups", &nhanluc__v1__list_target_groups_request__descriptor,
     &nhanluc__v1__list_target_groups_response__descriptor, nl_svc_catalog_list_target_groups,
     NL_M_READ | NL_M_ANY_ROLE},
};
const size_t nl_svc_registry_method_count =
    sizeof(nl_svc_registry_methods) / sizeof(nl_svc_registry_methods[0]);
