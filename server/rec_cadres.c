/*
 * rec_cadres.c - Records handlers for cadres and their profile versions:
 * UpsertCadre, GetCadre and ListCadres (records.proto).
 *
 * As in svc_registry.c each handler first checks the request alone
 * (INVALID_ARGUMENT naming the field path, never its value; names and titles
 * normalised to NFC into ctx->arena) and then calls the typed store API of
 * store_cadres.h. Handlers open no transactions: the writer runs UpsertCadre
 * inside a savepoint, the read pool the reads inside a read transaction.
 *
 * ListCadres page tokens are opaque: base64 of "c:" + the last cadre_code
 * returned; keyset paging ("cadre_code > last") stays stable while cadres
 * are added. A token is checked like any other input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../common/buf.h"
#include "../common/date.h"
#include "../common/text.h"
#include "../common/wire.h"
#include "nhanluc/v1/records.pb-c.h"
#include "scope_auth.h"
#include "store.h"
#include "store_cadres.h"
#include "svc_records.h"
#include "svc_util.h"

#define FULL_NAME_MAX     200
#define TITLE_MAX         200
#define BIRTH_YEAR_MIN    1940
#define BIRTH_MIN_AGE     16
#define PAGE_SIZE_DEFAULT 100
#define PAGE_SIZE_MAX     1000
#define TOKEN_PREFIX      "c:"
#define TOKEN_PREFIX_LEN  2
#define TOKEN_MAX         128 /* base64 of "c:" + 64 bytes is 88 characters */
#define DATE_LEN          10

static const char cadre_code_rule[] = "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'";
static const char unit_code_rule[] = "must be 1-64 characters of a-z, 0-9 and '-'";
static const char date_rule[] = "must be a date YYYY-MM-DD";

/*
 * Checks a required enum field: value 0 is "required", a value the
 * descriptor does not know is "unknown value". NL_OK or INVALID_ARGUMENT.
 */
static enum nl_status enum_check(struct nl_ctx *ctx, const ProtobufCEnumDescriptor *d, int v,
                                 const char *path)
{
    if (v == 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", path);
    if (v < 0 || protobuf_c_enum_descriptor_get_value(d, v) == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: unknown value", path);
    return NL_OK;
}

/* Normalises text field `path` to NFC within 0..max bytes into *out; INVALID_ARGUMENT else. */
static enum nl_status text_check(struct nl_ctx *ctx, const char *s, size_t max, const char *path,
                                 char **out)
{
    int rc = nl_text_nfc(ctx->arena, s, strlen(s), 0, max, out);

    switch (rc) {
    case NL_TEXT_OK:
        return NL_OK;
    case NL_TEXT_TOOLONG:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: must be at most %zu bytes", path, max);
    case NL_TEXT_NOMEM:
        return nl_svc_out_of_memory(ctx);
    default:
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: %s", path, nl_text_strerror(rc));
    }
}

/*
 * Parses a wire date (exactly YYYY-MM-DD) into its canonical text in the
 * arena (*out). NL_OK, or INVALID_ARGUMENT naming `path`.
 */
static enum nl_status date_check(struct nl_ctx *ctx, const char *s, const char *path,
                                 const char **out)
{
    int32_t days;
    char *buf;

    if (s[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: required", path);
    if (nl_date_parse(s, strlen(s), &days) != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "%s: %s", path, date_rule);
    buf = nl_arena_alloc(ctx->arena, DATE_LEN + 1);
    if (buf == NULL)
        return nl_svc_out_of_memory(ctx);
    nl_date_format(days, buf);
    *out = buf;
    return NL_OK;
}

/* --- messages --- */

static Nhanluc__V1__Cadre *cadre_msg(struct nl_ctx *ctx, const struct nl_cadre_rec *r)
{
    Nhanluc__V1__Cadre *c = nl_arena_alloc(ctx->arena, sizeof(*c));

    if (c == NULL)
        return NULL;
    nhanluc__v1__cadre__init(c);
    c->cadre_code = nl_svc_unconst(r->code);
    /*
     * Issue 5 (roles): full_name goes only to the cadre's own unit and the
     * administrator (DOMAIN.md section 6). A district sees only cadres of
     * its own units (scope_auth.h), so only central gets it empty.
     */
    c->full_name = nl_svc_unconst(nl_auth_sees_full_name(ctx) ? r->full_name : "");
    c->sex = (Nhanluc__V1__Sex)r->sex;
    c->birth_year = r->birth_year;
    return c;
}

static Nhanluc__V1__CadreProfile *profile_msg(struct nl_ctx *ctx,
                                              const struct nl_cadre_profile_rec *r)
{
    Nhanluc__V1__CadreProfile *p = nl_arena_alloc(ctx->arena, sizeof(*p));

    if (p == NULL)
        return NULL;
    nhanluc__v1__cadre_profile__init(p);
    p->unit = nl_svc_unconst(r->unit);
    p->position_title = nl_svc_unconst(r->position_title);
    p->key_cadre = r->key_cadre != 0;
    p->level = (Nhanluc__V1__Level)r->level;
    p->mgmt_category = (Nhanluc__V1__MgmtCategory)r->mgmt_category;
    p->education = (Nhanluc__V1__Education)r->education;
    p->political_theory = (Nhanluc__V1__PoliticalTheory)r->political_theory;
    p->state_mgmt = (Nhanluc__V1__StateMgmt)r->state_mgmt;
    p->as_of = nl_svc_unconst(r->valid_from);
    p->valid_to = nl_svc_unconst(r->valid_to);
    return p;
}

/* --- UpsertCadre --- */

/* Validates the cadre part of the request into *rec (NFC name in the arena). */
static enum nl_status cadre_check(struct nl_ctx *ctx, const Nhanluc__V1__Cadre *c,
                                  struct nl_cadre_rec *rec)
{
    enum nl_status st;
    char *name = NULL;
    int y, max_year;

    if (c == NULL)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "cadre: required");
    if (!nl_svc_cadre_code_valid(c->cadre_code, strlen(c->cadre_code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "cadre.cadre_code: %s", cadre_code_rule);
    st = text_check(ctx, c->full_name, FULL_NAME_MAX, "cadre.full_name", &name);
    if (st != NL_OK)
        return st;
    st = enum_check(ctx, &nhanluc__v1__sex__descriptor, (int)c->sex, "cadre.sex");
    if (st != NL_OK)
        return st;
    nl_date_to_ymd(nl_date_today(), &y, &(int){0}, &(int){0});
    max_year = y - BIRTH_MIN_AGE;
    if (c->birth_year < BIRTH_YEAR_MIN || c->birth_year > max_year)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "cadre.birth_year: must be %d-%d",
                             BIRTH_YEAR_MIN, max_year);
    rec->code = c->cadre_code;
    rec->full_name = name;
    rec->sex = (int)c->sex;
    rec->birth_year = c->birth_year;
    return NL_OK;
}

/* Validates a profile into *rec (NFC title and canonical as_of in the arena). */
static enum nl_status profile_check(struct nl_ctx *ctx, const Nhanluc__V1__CadreProfile *p,
                                    struct nl_cadre_profile_rec *rec)
{
    static const struct {
        const ProtobufCEnumDescriptor *desc;
        size_t off;
        const char *path;
    } enums[] = {
        {&nhanluc__v1__level__descriptor, offsetof(Nhanluc__V1__CadreProfile, level),
         "profile.level"},
        {&nhanluc__v1__mgmt_category__descriptor,
         offsetof(Nhanluc__V1__CadreProfile, mgmt_category), "profile.mgmt_category"},
        {&nhanluc__v1__education__descriptor, offsetof(Nhanluc__V1__CadreProfile, education),
         "profile.education"},
        {&nhanluc__v1__political_theory__descriptor,
         offsetof(Nhanluc__V1__CadreProfile, political_theory), "profile.political_theory"},
        {&nhanluc__v1__state_mgmt__descriptor, offsetof(Nhanluc__V1__CadreProfile, state_mgmt),
         "profile.state_mgmt"},
    };
    int vals[5];
    enum nl_status st;
    char *title = NULL;

    st = date_check(ctx, p->as_of, "profile.as_of", &rec->valid_from);
    if (st != NL_OK)
        return st;
    if (p->unit[0] == '\0')
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "profile.unit: required");
    if (!nl_svc_unit_code_valid(p->unit, strlen(p->unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "profile.unit: %s", unit_code_rule);
    st = text_check(ctx, p->position_title, TITLE_MAX, "profile.position_title", &title);
    if (st != NL_OK)
        return st;
    for (size_t i = 0; i < sizeof(enums) / sizeof(enums[0]); i++) {
        /* Every field here is a C enum of int size (protoc-c forces it). */
        memcpy(&vals[i], (const char *)p + enums[i].off, sizeof(int));
        st = enum_check(ctx, enums[i].desc, vals[i], enums[i].path);
        if (st != NL_OK)
            return st;
    }
    rec->unit = p->unit;
    rec->position_title = title;
    rec->key_cadre = p->key_cadre ? 1 : 0;
    rec->level = vals[0];
    rec->mgmt_category = vals[1];
    rec->education = vals[2];
    rec->political_theory = vals[3];
    rec->state_mgmt = vals[4];
    rec->valid_to = ""; /* output only: ignored on input */
    return NL_OK;
}

enum nl_status nl_rec_upsert_cadre(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                   ProtobufCMessage *resp_)
{
    const Nhanluc__V1__UpsertCadreRequest *req = (const Nhanluc__V1__UpsertCadreRequest *)req_;
    Nhanluc__V1__UpsertCadreResponse *resp = (Nhanluc__V1__UpsertCadreResponse *)resp_;
    struct nl_cadre_rec c, cout;
    struct nl_cadre_profile_rec p, pout;
    enum nl_status st;
    int outcome = 0;

    /* check */
    st = cadre_check(ctx, req->cadre, &c);
    if (st != NL_OK)
        return st;
    if (req->profile != NULL) {
        st = profile_check(ctx, req->profile, &p);
        if (st != NL_OK)
            return st;
    }

    /* proceed: a district writes only cadres of its units, into its units */
    if (req->profile != NULL) {
        st = nl_auth_write_unit(ctx, p.unit, "profile.unit");
        if (st != NL_OK)
            return st;
    }
    st = nl_auth_write_cadre(ctx, c.code, "cadre.cadre_code");
    if (st != NL_OK)
        return st;
    st = nl_store_cadre_upsert(ctx->store, &c, req->profile != NULL ? &p : NULL, &outcome, &cout,
                               &pout, ctx->arena, ctx->msg, sizeof(ctx->msg));
    if (st != NL_OK)
        return st;
    resp->cadre = cadre_msg(ctx, &cout);
    if (resp->cadre == NULL)
        return nl_svc_out_of_memory(ctx);
    if (req->profile != NULL) {
        resp->profile = profile_msg(ctx, &pout);
        if (resp->profile == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    resp->outcome = (Nhanluc__V1__WriteOutcome)outcome;
    return NL_OK;
}

/* --- GetCadre --- */

enum nl_status nl_rec_get_cadre(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                ProtobufCMessage *resp_)
{
    const Nhanluc__V1__GetCadreRequest *req = (const Nhanluc__V1__GetCadreRequest *)req_;
    Nhanluc__V1__GetCadreResponse *resp = (Nhanluc__V1__GetCadreResponse *)resp_;
    struct nl_cadre_profile_rec *rows = NULL;
    struct nl_cadre_rec c;
    size_t n = 0;
    enum nl_status st;

    if (!nl_svc_cadre_code_valid(req->cadre_code, strlen(req->cadre_code)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "cadre_code: %s", cadre_code_rule);

    /* Another unit's cadre reads as absent (scope_auth.h). */
    st = nl_auth_read_cadre(ctx, req->cadre_code, "cadre_code");
    if (st == NL_OK)
        st = nl_store_cadre_get(ctx->store, req->cadre_code, &c, &rows, &n, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "cadre not found");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    resp->cadre = cadre_msg(ctx, &c);
    if (resp->cadre == NULL)
        return nl_svc_out_of_memory(ctx);
    if (n > 0) {
        resp->profiles = nl_arena_alloc(ctx->arena, n * sizeof(*resp->profiles));
        if (resp->profiles == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            resp->profiles[i] = profile_msg(ctx, &rows[i]);
            if (resp->profiles[i] == NULL)
                return nl_svc_out_of_memory(ctx);
        }
        resp->n_profiles = n;
    }
    return NL_OK;
}

/* --- ListCadres --- */

/*
 * Decodes a page token into the last cadre_code of the previous page (in
 * the arena). An empty token is the first page (*after = ""). Returns 0, -1
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
    /* Any decoding failure, out of memory included, reads as an invalid token. */
    if (nl_wire_b64_decode(&b, tok, len) == 0 && b.len > TOKEN_PREFIX_LEN &&
        memcmp(b.data, TOKEN_PREFIX, TOKEN_PREFIX_LEN) == 0 &&
        nl_svc_cadre_code_valid((const char *)b.data + TOKEN_PREFIX_LEN,
                                b.len - TOKEN_PREFIX_LEN)) {
        char *s =
            nl_arena_strndup(a, (const char *)b.data + TOKEN_PREFIX_LEN, b.len - TOKEN_PREFIX_LEN);
        rc = s == NULL ? -2 : 0;
        if (s != NULL)
            *after = s;
    }
    nl_buf_release(&b);
    return rc;
}

/* The token that continues after `code`; NULL when out of memory. */
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

enum nl_status nl_rec_list_cadres(struct nl_ctx *ctx, const ProtobufCMessage *req_,
                                  ProtobufCMessage *resp_)
{
    const Nhanluc__V1__ListCadresRequest *req = (const Nhanluc__V1__ListCadresRequest *)req_;
    Nhanluc__V1__ListCadresResponse *resp = (Nhanluc__V1__ListCadresResponse *)resp_;
    struct nl_cadre_at_rec *rows = NULL;
    char today[DATE_LEN + 1];
    const char *after = "", *as_of = today;
    char *name = NULL;
    size_t limit, n = 0;
    enum nl_status st;
    int more = 0, trc;

    /* check */
    if (req->unit[0] != '\0' && !nl_svc_unit_code_valid(req->unit, strlen(req->unit)))
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "unit: %s", unit_code_rule);
    if (req->as_of[0] == '\0') {
        nl_date_format(nl_date_today(), today);
    } else {
        st = date_check(ctx, req->as_of, "as_of", &as_of);
        if (st != NL_OK)
            return st;
    }
    /* full_name is personal: the filter's value never reaches a message or a log line. */
    st = text_check(ctx, req->name, FULL_NAME_MAX, "name", &name);
    if (st != NL_OK)
        return st;
    if (req->page_size < 0 || req->page_size > PAGE_SIZE_MAX)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_size: must be 0-%d", PAGE_SIZE_MAX);
    limit = req->page_size == 0 ? PAGE_SIZE_DEFAULT : (size_t)req->page_size;
    trc = page_token_decode(ctx->arena, req->page_token, &after);
    if (trc == -2)
        return nl_svc_out_of_memory(ctx);
    if (trc != 0)
        return nl_ctx_errorf(ctx, NL_INVALID_ARGUMENT, "page_token: invalid");

    /* proceed: a district names only its own units and lists only its own cadres */
    if (req->unit[0] != '\0') {
        st = nl_auth_read_unit(ctx, req->unit, "unit");
        if (st == NL_NOT_FOUND)
            return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
        if (st != NL_OK)
            return st;
    }
    st = nl_store_cadre_list_scoped(ctx->store, nl_auth_scope(ctx), req->unit, as_of, name, after,
                                    limit, &rows, &n, &more, ctx->arena);
    if (st == NL_NOT_FOUND)
        return nl_ctx_errorf(ctx, NL_NOT_FOUND, "unit not found");
    if (st != NL_OK)
        return nl_svc_store_error(ctx, st);
    if (n > 0) {
        resp->cadres = nl_arena_alloc(ctx->arena, n * sizeof(*resp->cadres));
        if (resp->cadres == NULL)
            return nl_svc_out_of_memory(ctx);
        for (size_t i = 0; i < n; i++) {
            Nhanluc__V1__CadreAtDate *e = nl_arena_alloc(ctx->arena, sizeof(*e));
            if (e == NULL)
                return nl_svc_out_of_memory(ctx);
            nhanluc__v1__cadre_at_date__init(e);
            e->cadre = cadre_msg(ctx, &rows[i].cadre);
            e->profile = profile_msg(ctx, &rows[i].profile);
            if (e->cadre == NULL || e->profile == NULL)
                return nl_svc_out_of_memory(ctx);
            resp->cadres[i] = e;
        }
        resp->n_cadres = n;
    }
    if (more && n > 0) {
        resp->next_page_token = page_token_encode(ctx->arena, rows[n - 1].cadre.code);
        if (resp->next_page_token == NULL)
            return nl_svc_out_of_memory(ctx);
    }
    return NL_OK;
}
