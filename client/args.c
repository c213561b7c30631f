/*
 * args.c - pure parsing helpers of the nhanluc CLI: durations, server
 * addresses, enum names, term codes, subcommand options and the backoff cap.
 *
 * Everything here works on borrowed strings and caller buffers, allocates
 * nothing and touches no global state; the contracts are in args.h. Numbers
 * are parsed digit by digit with explicit overflow checks rather than with
 * strtoul, which accepts signs, spaces and "0x".
 */
#include "args.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int nl_duration_parse(const char *s, uint64_t *out_ms)
{
    uint64_t total = 0;
    const char *p = s;

    if (s == NULL || *s == '\0')
        return -1;
    while (*p != '\0') {
        uint64_t n = 0, mult;

        if (!is_digit(*p))
            return -1;
        while (is_digit(*p)) {
            uint64_t d = (uint64_t)(*p - '0');
            if (n > (UINT64_MAX - d) / 10)
                return -1;
            n = n * 10 + d;
            p++;
        }
        if (p[0] == 'm' && p[1] == 's') {
            mult = 1;
            p += 2;
        } else if (p[0] == 's') {
            mult = 1000;
            p++;
        } else if (p[0] == 'm') {
            mult = 60ull * 1000;
            p++;
        } else if (p[0] == 'h') {
            mult = 3600ull * 1000;
            p++;
        } else {
            return -1;
        }
        if (n > UINT64_MAX / mult)
            return -1;
        n *= mult;
        if (total > UINT64_MAX - n)
            return -1;
        total += n;
    }
    if (total == 0 || total > NL_DURATION_MAX_MS)
        return -1;
    *out_ms = total;
    return 0;
}

char *nl_duration_format(uint64_t ms, char *out, size_t len)
{
    if (len == 0)
        return out;
    if (ms != 0 && ms % 3600000 == 0)
        snprintf(out, len, "%lluh", (unsigned long long)(ms / 3600000));
    else if (ms != 0 && ms % 60000 == 0)
        snprintf(out, len, "%llum", (unsigned long long)(ms / 60000));
    else if (ms != 0 && ms % 1000 == 0)
        snprintf(out, len, "%llus", (unsigned long long)(ms / 1000));
    else
        snprintf(out, len, "%llums", (unsigned long long)ms);
    return out;
}

static int parse_port(const char *s, unsigned *port)
{
    unsigned long v = 0;
    size_t n = 0;

    for (; is_digit(s[n]); n++) {
        v = v * 10 + (unsigned long)(s[n] - '0');
        if (v > 65535)
            return -1;
    }
    if (n == 0 || s[n] != '\0' || v == 0)
        return -1;
    *port = (unsigned)v;
    return 0;
}

int nl_server_parse(const char *s, char host[NL_HOST_MAX], unsigned *port, char *err, size_t errlen)
{
    const char *h, *rest;
    size_t hlen;

    if (s == NULL || *s == '\0') {
        snprintf(err, errlen, "empty server address");
        return -1;
    }
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL) {
            snprintf(err, errlen, "missing ']' in '%s'", s);
            return -1;
        }
        h = s + 1;
        hlen = (size_t)(close - h);
        rest = close + 1;
        if (*rest != '\0' && *rest != ':') {
            snprintf(err, errlen, "unexpected text after ']' in '%s'", s);
            return -1;
        }
    } else {
        const char *colon = strchr(s, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL) {
            snprintf(err, errlen, "IPv6 addresses need brackets: '[%s]:%d'", s, NL_DEFAULT_PORT);
            return -1;
        }
        h = s;
        hlen = colon ? (size_t)(colon - s) : strlen(s);
        rest = colon ? colon : s + hlen;
    }
    if (hlen == 0) {
        snprintf(err, errlen, "missing host in '%s'", s);
        return -1;
    }
    if (hlen >= NL_HOST_MAX) {
        snprintf(err, errlen, "host name too long");
        return -1;
    }
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '[' || c == ']') {
            snprintf(err, errlen, "bad character in host of '%s'", s);
            return -1;
        }
    }
    if (*rest == ':') {
        if (parse_port(rest + 1, port) != 0) {
            snprintf(err, errlen, "bad port in '%s': expected 1..65535", s);
            return -1;
        }
    } else {
        *port = NL_DEFAULT_PORT;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    return 0;
}

/* Compares a user-typed name with an enum member name: case-blind, '-' = '_'. */
static int enum_name_eq(const char *typed, const char *name)
{
    for (; *typed != '\0' && *name != '\0'; typed++, name++) {
        char a = *typed == '-' ? '_' : lower(*typed);
        if (a != lower(*name))
            return 0;
    }
    return *typed == '\0' && *name == '\0';
}

int nl_enum_parse(const ProtobufCEnumDescriptor *desc, const char *s, int *out)
{
    if (s == NULL || *s == '\0')
        return -1;
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value != 0 && enum_name_eq(s, v->name)) {
            *out = v->value;
            return 0;
        }
    }
    return -1;
}

char *nl_enum_names(const ProtobufCEnumDescriptor *desc, char *out, size_t len)
{
    size_t used = 0;

    if (len == 0)
        return out;
    out[0] = '\0';
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0)
            continue;
        const char *sep = used ? ", " : "";
        size_t need = strlen(sep) + strlen(v->name);
        if (used + need + 1 > len)
            break;
        memcpy(out + used, sep, strlen(sep));
        used += strlen(sep);
        for (const char *p = v->name; *p != '\0'; p++)
            out[used++] = lower(*p);
        out[used] = '\0';
    }
    return out;
}

const char *nl_enum_name(const ProtobufCEnumDescriptor *desc, int v)
{
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(desc, v);
    return ev ? ev->name : NULL;
}

int nl_year_parse(const char *s, int *out)
{
    int v = 0;
    size_t n = 0;

    for (; is_digit(s[n]) && n < 5; n++)
        v = v * 10 + (s[n] - '0');
    if (n == 0 || n > 4 || s[n] != '\0' || v == 0)
        return -1;
    *out = v;
    return 0;
}

int nl_term_code_years(const char *code, int *start, int *end)
{
    char a[5], b[5];

    if (strlen(code) != 9 || code[4] != '-')
        return -1;
    memcpy(a, code, 4);
    a[4] = '\0';
    memcpy(b, code + 5, 4);
    b[4] = '\0';
    if (!is_digit(a[0]) || !is_digit(b[0]))
        return -1;
    if (nl_year_parse(a, start) != 0 || nl_year_parse(b, end) != 0)
        return -1;
    return 0;
}

static const struct nl_opt *find_opt(const struct nl_opt *opts, const char *name, size_t len)
{
    for (; opts->name != NULL; opts++)
        if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

int nl_opts_parse(int argc, char **argv, const struct nl_opt *opts, char **pos, int maxpos,
                  char *err, size_t errlen)
{
    static char flag_on[] = "1";
    int npos = 0, only_pos = 0;

    for (int i = 0; i < argc; i++) {
        char *a = argv[i];

        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && a[0] == '-' && a[1] != '\0') {
            char *name = a + (a[1] == '-' ? 2 : 1);
            char *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            const struct nl_opt *o = a[1] == '-' ? find_opt(opts, name, nlen) : NULL;

            if (o == NULL) {
                snprintf(err, errlen, "unknown option '%.*s'", (int)(nlen + (size_t)(name - a)), a);
                return -1;
            }
            if (!o->has_arg) {
                if (eq != NULL) {
                    snprintf(err, errlen, "option '--%s' takes no value", o->name);
                    return -1;
                }
                *o->value = flag_on;
            } else if (eq != NULL) {
                *o->value = eq + 1;
            } else if (i + 1 < argc) {
                *o->value = argv[++i];
            } else {
                snprintf(err, errlen, "option '--%s' needs a value", o->name);
                return -1;
            }
            continue;
        }
        if (npos >= maxpos) {
            snprintf(err, errlen, "unexpected argument '%s'", a);
            return -1;
        }
        pos[npos++] = a;
    }
    return npos;
}

uint64_t nl_backoff_cap_ms(unsigned attempt)
{
    const uint64_t max = 5ull * 60 * 1000;

    if (attempt == 0)
        attempt = 1;
    if (attempt > 20)
        return max;
    uint64_t v = 1000ull << (attempt - 1);
    return v < max ? v : max;
}

int nl_bool_parse(const char *s)
{
    static const char *const on[] = {"1", "true", "yes", "on"};
    static const char *const off[] = {"0", "false", "no", "off"};

    if (s == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
        if (strcasecmp(s, on[i]) == 0)
            return 1;
        if (strcasecmp(s, off[i]) == 0)
            return 0;
    }
    return -1;
}
