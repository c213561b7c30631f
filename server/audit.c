/*
 * audit.c - the content of audit entries (audit.h): the record keys of a
 * request, read through protobuf-c's reflection with a fixed allow-list of
 * field names, the rule of which finished calls the loop audits, and the
 * queued entry that carries a call's identity to the writer.
 *
 * The allow-list is the safety of the trail: a field is copied only when its
 * name says it is a record key, and its value is reduced to a short run of
 * code characters, so neither a personal value nor a forged "key" carrying
 * text (a name typed into cadre_code) ends up in the table or the log.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "token.h"

#define KEY_VALUE_MAX 64
#define KEYS_DEPTH    4

/* Field names whose values are record keys, never personal values. */
static const char *const key_names[] = {
    "unit",    "organiser_unit", "parent",    "code", "cadre_code",     "class_ref",
    "year",    "term",           "batch_id",  "id",   "kind",           "as_of",
    "sources", "targets",        "indicator", "role", "effective_date", "valid_from",
};

struct keys_out {
    char *buf;
    size_t len, cap;
    int full;
};

static int key_name_allowed(const char *name)
{
    for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
        if (strcmp(name, key_names[i]) == 0)
            return 1;
    return 0;
}

static int key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '/' || c == ':' || c == '-';
}

/* Appends " name=value" (value sanitised); marks the output full when it does not fit. */
static void keys_put(struct keys_out *o, const char *name, const char *value)
{
    static const char more[] = " ...";
    char word[160];
    size_t n = 0, vlen = strlen(value);
    int w;

    if (o->full)
        return;
    w = snprintf(word, sizeof(word), "%s%s=", o->len > 0 ? " " : "", name);
    if (w < 0 || (size_t)w >= sizeof(word))
        return;
    n = (size_t)w;
    for (size_t i = 0; i < vlen && i < KEY_VALUE_MAX && n + 1 < sizeof(word); i++)
        word[n++] = key_char((unsigned char)value[i]) ? value[i] : '?';
    word[n] = '\0';
    if (o->len + n + sizeof(more) > o->cap) {
        /* Room is kept for the marker: " ..." always fits once the text is cut. */
        if (o->len + sizeof(more) <= o->cap) {
            memcpy(o->buf + o->len, more, sizeof(more));
            o->len += sizeof(more) - 1;
        }
        o->full = 1;
        return;
    }
    memcpy(o->buf + o->len, word, n + 1);
    o->len += n;
}

static void keys_msg(struct keys_out *o, const ProtobufCMessage *msg, int depth);

/* One value of field f at `p` (an element of a repeated field or the field itself). */
static void keys_value(struct keys_out *o, const ProtobufCFieldDescriptor *f, const void *p,
                       int depth)
{
    char num[32];

    switch (f->type) {
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        if (sub != NULL)
            keys_msg(o, sub, depth + 1);
        return;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        if (s != NULL && s[0] != '\0' && key_name_allowed(f->name))
            keys_put(o, f->name, s);
        return;
    }
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        int32_t v;
        memcpy(&v, p, sizeof(v));
        if (v == 0 || !key_name_allowed(f->name))
            return;
        if (f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_FIXED32)
            (void)snprintf(num, sizeof(num), "%lu", (unsigned long)(uint32_t)v);
        else
            (void)snprintf(num, sizeof(num), "%ld", (long)v);
        keys_put(o, f->name, num);
        return;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t v;
        memcpy(&v, p, sizeof(v));
        if (v == 0 || !key_name_allowed(f->name))
            return;
        (void)snprintf(num, sizeof(num), "%lld", (long long)v);
        keys_put(o, f->name, num);
        return;
    }
    case PROTOBUF_C_TYPE_ENUM: {
        int v;
        memcpy(&v, p, sizeof(v));
        if (v == 0 || !key_name_allowed(f->name))
            return;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        if (ev != NULL) {
            keys_put(o, f->name, ev->name);
        } else {
            (void)snprintf(num, sizeof(num), "%d", v);
            keys_put(o, f->name, num);
        }
        return;
    }
    default:
        return; /* bool, float, bytes...: never keys */
    }
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4; /* 32-bit ints, enums, bools (protobuf_c_boolean), floats */
    }
}

static void keys_msg(struct keys_out *o, const ProtobufCMessage *msg, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const char *base = (const char *)msg;

    if (depth > KEYS_DEPTH)
        return;
    for (unsigned i = 0; i < d->n_fields && !o->full; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;

        if (f->type != PROTOBUF_C_TYPE_MESSAGE && !key_name_allowed(f->name))
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            const char *arr;
            memcpy(&n, base + f->quantifier_offset, sizeof(n));
            memcpy(&arr, p, sizeof(arr));
            for (size_t k = 0; arr != NULL && k < n && !o->full; k++)
                keys_value(o, f, arr + k * elem_size(f), depth);
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + f->quantifier_offset, sizeof(which));
            if (which != f->id)
                continue;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0 &&
                   f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
            protobuf_c_boolean has;
            memcpy(&has, base + f->quantifier_offset, sizeof(has));
            if (!has)
                continue;
        }
        keys_value(o, f, p, depth);
    }
}

void nl_audit_keys(const ProtobufCMessage *req, char *out, size_t outlen)
{
    struct keys_out o = {out, 0, outlen, 0};

    if (outlen == 0)
        return;
    out[0] = '\0';
    if (req != NULL)
        keys_msg(&o, req, 0);
}

int nl_audit_wanted(const struct nl_method *m, enum nl_status st)
{
    if (st == NL_UNAUTHENTICATED || st == NL_PERMISSION_DENIED)
        return 1;
    return m != NULL && (m->flags & NL_M_PERSON) != 0;
}

void nl_audit_item_fill(struct nl_audit_item *it, const char *method, const struct nl_identity *who,
                        const char *keys, enum nl_status st)
{
    memset(it, 0, sizeof(*it));
    if (nl_token_time_now(it->at, sizeof(it->at)) != 0)
        (void)snprintf(it->at, sizeof(it->at), "unknown");
    if (who != NULL) {
        (void)snprintf(it->token_id, sizeof(it->token_id), "%s", who->token_id);
        (void)snprintf(it->role, sizeof(it->role), "%s", nl_role_name(who->role));
        it->unit_id = who->unit_id;
        (void)snprintf(it->cert_fp, sizeof(it->cert_fp), "%s", who->cert_fp);
        (void)snprintf(it->peer, sizeof(it->peer), "%s", who->peer);
    }
    (void)snprintf(it->method, sizeof(it->method), "%s", method != NULL ? method : "");
    (void)snprintf(it->keys, sizeof(it->keys), "%s", keys != NULL ? keys : "");
    (void)snprintf(it->outcome, sizeof(it->outcome), "%s", nl_status_name(st));
}

void nl_audit_item_rec(const struct nl_audit_item *it, struct nl_audit_rec *r)
{
    memset(r, 0, sizeof(*r));
    r->at = it->at;
    r->token_id = it->token_id;
    r->role = it->role;
    r->unit_id = it->unit_id;
    r->unit = "";
    r->cert_fp = it->cert_fp;
    r->peer = it->peer;
    r->method = it->method;
    r->keys = it->keys;
    r->outcome = it->outcome;
}
