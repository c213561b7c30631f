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
 * are added, and a token is checked like any other input.
 */
#include <stdint.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/text.h"
#include "../common/wire.h"
#include "method.h"
#include "nhanluc/v1/registry.pb-c.h"
#include "store.h"

#define UNIT_CODE_MAX     64
#define UNIT_NAME_MAX     200
#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX     1000
#define TERM_YEAR_MIN     1945
#define TERM_YEAR_MAX     2100
#define TOKEN_PREFIX      "u:"
#define TOKEN_PREFIX_LEN  2
#define TOKEN_MAX         128 /* base64 of "u:" + 64 bytes is 88 characters */

static const char code_rule[] = "must be 1-64 characters of a-z, 0-9 and '-'";

/* 1 if s is 1..64 bytes of [a-z0-9-]. */
static int code_valid(const char *s, size_t len)
{
    if (len == 0 || len > UNIT_CODE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

/* Fills ctx->msg for a store status that came without a message of its own. */
static enum nl_status store_error(struct nl_ctx *ctx, enum nl_status st)
{
    return nl_ctx_errorf(ctx, st, "%s", nl_store_errmsg(st));
}

/*
 * protoc-c declares string fields char * although packing only reads them;
 * this hands it our const strings without a qualifier-dropping cast.
 */
static char *unconst(const char *s)
{
    char *p;

    memcpy(&p, &s, sizeof(p));
    return p;
}

/* A response Unit in the arena, pointing at arena (or store-arena) strings. */
static Nhanluc__V1__Unit *unit_msg(struct nl_ctx *ctx, const struct nl_unit_rec *r)
{
    Nhanluc__V1__Unit *u = nl_arena_alloc(ctx->arena, sizeof(*u));

    if (u == NULL)
        return NULL;
    nhanluc__v1__unit__init(u);
    u->code = unconst(r->code);
    u->name = unconst(r->name);
    u->kind = (Nhanluc__V1__UnitKind)r->kind;
    u->parent = unconst(r->parent);
    return u;
}

static Nhanluc__V1__Term *term_msg(struct nl_ctx *ctx, const struct nl_term_rec *r)
{
    Nhanluc__V1__Term *t = nl_arena_alloc(ctx->arena, sizeof(*t));

    if (t == NULL)
        return NULL;
    nhanluc__v1__term__init(t);
    t->code = unconst(r->code);
    t->kind = (Nhanluc__V1__TermKind)r->kind;
    t->start_year = r->start_year;
    t->end_year = r->end_year;
    return t;
}

static enum nl_status out_of_memory(struct nl_ctx *ctx)
{
    return nl_ctx_errorf(ctx, NL_RESOURCE_EXHAUSTED, "out of memory");
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
    if (!code_valid(u->code, strlen(u->code)))
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
        return out_of_memory(ctx);
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
        if (!code_valid(u->parent, strlen(u->parent)))
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit.parent: %s", code_rule);
        if (strcmp(u->parent, u->code) == 0)
            return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT,
                                 "unit.parent: a unit cannot be its own parent");
    }

    rec->code = u->code;
    rec->name = name;
    rec->kind = (int)u->kind;
    rec->parent = u->parent;
    return NL_OK;
}

static enum nl_status svc_registry_create_unit(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                               ProtobufCMessage *resp_)
{
    const Nhanluc__V1__CreateUnitRequest *req = (const Nhanluc__V1__CreateUnitRequest *)req_;
    Nhanluc__V1__CreateUnitResponse *resp = (Nhanluc__V1__CreateUnitResponse *)resp_;
    struct nl_unit_rec rec = {NULL, NULL, 0, NULL};
    enum nl_status st;
    int created = 0;

    st = create_unit_check(ctx, req->unit, &rec);
    if (st != NL_OK)
        return st;

    st = nl_store_unit_create(ctx->store, &rec, &created, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return st;
    /* The stored row equals rec (inserted now, or identical on replay). */
    resp->unit = unit_msg(ctx, &rec);
    if (resp->unit == NULL)
        return out_of_memory(ctx);
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

    if (!code_valid(req->code, strlen(req->code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "code: %s", code_rule);

    st = nl_store_unit_get(ctx->store, req->code, &rec, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st != NL_OK)
        return store_error(ctx, st);
    resp->unit = unit_msg(ctx, &rec);
    if (resp->unit == NULL)
        return out_of_memory(ctx);
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
        code_valid((const char *)b.data + TOKEN_PREFIX_LEN, b.len - TOKEN_PREFIX_LEN)) {
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
    size_t limit, n = 0;
    enum nl_status st;
    int more = 0;

    /* check */
    if (req->parent[0] != '\0' && !code_valid(req->parent, strlen(req->parent)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "parent: %s", code_rule);
    if (req->page_size < 0 || req->page_size > PAGE_SIZE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0-%d", PAGE_SIZE_MAX);
    limit = req->page_size == 0 ? PAGE_SIZE_DEFAULT : (size_t)req->page_size;
    int trc = page_token_decode(ctx->arena, req->page_token, &after);
    if (trc == -2)
        return out_of_memory(ctx);
    if (trc != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_token: invalid");

    /* proceed */
    if (req->parent[0] != '\0') {
        /* Listing the children of a unit that does not exist is a mistake, not an empty tree. */
        st = nl_store_unit_get(ctx->store, req->parent, &parent, ctx->arena);
        if (st == NL_NOT_FOUND)
            return nl_ctx_errorf(ctx, NL_NOT_FOUND, "parent unit not found");
        if (st != NL_OK)
            return store_error(ctx, st);
    }
    st = nl_store_unit_list(ctx->store, req->parent, after, limit, &rows, &n, &more, ctx->arena);
    if (st != NL_OK)
        return store_error(ctx, st);

    if (n > 0) {
        resp->units = nl_arena_alloc(ctx->arena, n * sizeof(Nhanluc__V1__Unit *));
        if (resp->units == NULL)
            return out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->units[i] = unit_msg(ctx, &rows[i]);
            if (resp->units[i] == NULL)
                return out_of_memory(ctx);
        }
        resp->n_units = n;
    }
    if (more && n > 0) {
        resp->next_page_token = page_token_encode(ctx->arena, rows[n - 1].code);
        if (resp->next_page_token == NULL)
            return out_of_memory(ctx);
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
        return out_of_memory(ctx);
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
        return store_error(ctx, st);
    if (n > 0) {
        resp->terms = nl_arena_alloc(ctx->arena, n * sizeof(Nhanluc__V1__Term *));
        if (resp->terms == NULL)
            return out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->terms[i] = term_msg(ctx, &rows[i]);
            if (resp->terms[i] == NULL)
                return out_of_memory(ctx);
        }
        resp->n_terms = n;
    }
    return NL_OK;
}

/* Issue 3, in progress: the unit-history methods answer UNIMPLEMENTED until built. */
static enum nl_status svc_registry_not_built(struct nl_ctx *ctx, const ProtobufCMessage *req,
                                             ProtobufCMessage *resp)
{
    (void)req;
    (void)resp;
    return nl_ctx_errorf(ctx, NL_UNIMPLEMENTED, "not built yet");
}

const struct nl_method nl_svc_registry_methods[] = {
    {"/nhanluc.v1.Registry/CreateUnit", &nhanluc__v1__create_unit_request__descriptor,
     &nhanluc__v1__create_unit_response__descriptor, svc_registry_create_unit, NL_M_WRITE},
    {"/nhanluc.v1.Registry/GetUnit", &nhanluc__v1__get_unit_request__descriptor,
     &nhanluc__v1__get_unit_response__descriptor, svc_registry_get_unit, NL_M_READ},
    {"/nhanluc.v1.Registry/ListUnits", &nhanluc__v1__list_units_request__descriptor,
     &nhanluc__v1__list_units_response__descriptor, svc_registry_list_units, NL_M_READ},
    {"/nhanluc.v1.Registry/CreateTerm", &nhanluc__v1__create_term_request__descriptor,
     &nhanluc__v1__create_term_response__descriptor, svc_registry_create_term, NL_M_WRITE},
    {"/nhanluc.v1.Registry/ListTerms", &nhanluc__v1__list_terms_request__descriptor,
     &nhanluc__v1__list_terms_response__descriptor, svc_registry_list_terms, NL_M_READ},
    {"/nhanluc.v1.Registry/GetUnitHistory", &nhanluc__v1__get_unit_history_request__descriptor,
     &nhanluc__v1__get_unit_history_response__descriptor, svc_registry_not_built, NL_M_READ},
    {"/nhanluc.v1.Registry/RecordUnitEvent", &nhanluc__v1__record_unit_event_request__descriptor,
     &nhanluc__v1__record_unit_event_response__descriptor, svc_registry_not_built, NL_M_WRITE},
    {"/nhanluc.v1.Registry/GetLineage", &nhanluc__v1__get_lineage_request__descriptor,
     &nhanluc__v1__get_lineage_response__descriptor, svc_registry_not_built, NL_M_READ},
    {"/nhanluc.v1.Registry/SetTermInstance", &nhanluc__v1__set_term_instance_request__descriptor,
     &nhanluc__v1__set_term_instance_response__descriptor, svc_registry_not_built, NL_M_WRITE},
};
const size_t nl_svc_registry_method_count =
    sizeof(nl_svc_registry_methods) / sizeof(nl_svc_registry_methods[0]);
