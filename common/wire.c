/*
 * wire.c - the pure codecs of gRPC over HTTP/2 (PROTOCOL.md 1.2-1.5).
 *
 * The framer is a small state machine over struct nl_framer: collect the
 * 5-byte prefix, check the announced length against the cap (before any
 * allocation, so a hostile prefix costs nothing), allocate exactly that many
 * bytes (1 for an empty message, so "a message" stays distinguishable from
 * "none") and collect the body. The state after TOOBIG or NOMEM is "prefix
 * complete, no body buffer, nothing ready", which the normal path never
 * reaches, so later feeds keep reporting the error without extra fields.
 *
 * The text codecs compute their exact output size first and reserve it in
 * one step, so an NL_BUF_E* failure leaves the output buffer unchanged and
 * an output that fits the cap exactly is never refused.
 */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nl_wire_prefix_encode(uint8_t out[NL_WIRE_PREFIX_LEN], int compressed, uint32_t len)
{
    out[0] = compressed ? 1 : 0;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
}

/* ---- framer ---- */

void nl_framer_init(struct nl_framer *f, size_t max)
{
    memset(f, 0, sizeof(*f));
    f->max = max;
}

void nl_framer_release(struct nl_framer *f)
{
    free(f->msg);
    f->msg = NULL;
    f->msg_got = 0;
    f->ready = 0;
}

/* Marks the current message complete. */
static int framer_done(struct nl_framer *f)
{
    f->ready = 1;
    f->nmsgs++;
    return NL_FRAMER_MSG;
}

int nl_framer_feed(struct nl_framer *f, const uint8_t *p, size_t len, size_t *consumed)
{
    size_t i = 0;
    size_t n;

    *consumed = 0;
    if (f->ready)
        return NL_FRAMER_MSG;
    if (f->hdr_len == NL_WIRE_PREFIX_LEN && f->msg == NULL)
        return f->msg_len > f->max ? NL_FRAMER_TOOBIG : NL_FRAMER_NOMEM;

    if (f->hdr_len < NL_WIRE_PREFIX_LEN) {
        n = NL_WIRE_PREFIX_LEN - f->hdr_len;
        if (n > len)
            n = len;
        if (n > 0)
            memcpy(f->hdr + f->hdr_len, p, n);
        f->hdr_len += n;
        i += n;
        if (f->hdr_len < NL_WIRE_PREFIX_LEN) {
            *consumed = i;
            return NL_FRAMER_MORE;
        }
        f->flag = f->hdr[0];
        f->msg_len = (uint32_t)f->hdr[1] << 24 | (uint32_t)f->hdr[2] << 16 |
                     (uint32_t)f->hdr[3] << 8 | (uint32_t)f->hdr[4];
        f->msg_got = 0;
        *consumed = i;
        if (f->msg_len > f->max)
            return NL_FRAMER_TOOBIG;
        f->msg = malloc(f->msg_len > 0 ? f->msg_len : 1);
        if (f->msg == NULL)
            return NL_FRAMER_NOMEM;
        if (f->msg_len == 0)
            return framer_done(f);
    }

    n = f->msg_len - f->msg_got;
    if (n > len - i)
        n = len - i;
    if (n > 0) {
        memcpy(f->msg + f->msg_got, p + i, n);
        f->msg_got += n;
        i += n;
    }
    *consumed = i;
    if (f->msg_got == f->msg_len)
        return framer_done(f);
    return NL_FRAMER_MORE;
}

uint8_t *nl_framer_take(struct nl_framer *f, size_t *len, int *compressed)
{
    uint8_t *m;

    if (!f->ready)
        return NULL;
    m = f->msg;
    *len = f->msg_len;
    *compressed = f->flag != 0;
    f->msg = NULL;
    f->msg_got = 0;
    f->msg_len = 0;
    f->hdr_len = 0;
    f->flag = 0;
    f->ready = 0;
    return m;
}

int nl_framer_partial(const struct nl_framer *f)
{
    return !f->ready && f->hdr_len > 0;
}

/* ---- grpc-timeout ---- */

#define TIMEOUT_MAX_DIGITS 8
#define TIMEOUT_MAX_VALUE  99999999u

/* a * b, saturating at UINT64_MAX. */
static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    if (b != 0 && a > UINT64_MAX / b)
        return UINT64_MAX;
    return a * b;
}

/* ceil(a / b) without overflow. */
static uint64_t div_up(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

int nl_wire_timeout_parse(const char *s, size_t len, uint64_t *out_ms)
{
    uint64_t v = 0;
    size_t digits;

    if (len < 2 || len > TIMEOUT_MAX_DIGITS + 1)
        return -1;
    digits = len - 1;
    for (size_t i = 0; i < digits; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    switch (s[digits]) {
    case 'H':
        *out_ms = mul_sat(v, 3600000u);
        break;
    case 'M':
        *out_ms = mul_sat(v, 60000u);
        break;
    case 'S':
        *out_ms = mul_sat(v, 1000u);
        break;
    case 'm':
        *out_ms = v;
        break;
    case 'u':
        *out_ms = div_up(v, 1000u);
        break;
    case 'n':
        *out_ms = div_up(v, 1000000u);
        break;
    default:
        return -1;
    }
    return 0;
}

size_t nl_wire_timeout_format(uint64_t ms, char out[16])
{
    uint64_t v = ms;
    char unit = 'm';
    int r;

    if (v > TIMEOUT_MAX_VALUE) {
        v = div_up(ms, 1000u);
        unit = 'S';
    }
    if (v > TIMEOUT_MAX_VALUE) {
        v = div_up(ms, 60000u);
        unit = 'M';
    }
    if (v > TIMEOUT_MAX_VALUE) {
        v = TIMEOUT_MAX_VALUE;
        unit = 'H';
    }
    r = snprintf(out, 16, "%llu%c", (unsigned long long)v, unit);
    return r > 0 ? (size_t)r : 0;
}

/*
 * The first half of every text codec: reserves the exact output size `need`
 * in one step and returns where to write it (the caller then adds `need` to
 * out->len). Returns NULL with *rc = 0 when need is 0 (nothing to write), or
 * NULL with *rc = the NL_BUF_E* code, `out` unchanged.
 */
static uint8_t *out_reserve(struct nl_buf *out, size_t need, int *rc)
{
    *rc = 0;
    if (need == 0)
        return NULL;
    *rc = nl_buf_reserve(out, need);
    if (*rc != 0)
        return NULL;
    return out->data + out->len;
}

/* ---- percent encoding (grpc-message) ---- */

static const char hex_upper[] = "0123456789ABCDEF";

static int pct_plain(unsigned char c)
{
    return c >= 0x20 && c <= 0x7E && c != '%';
}

/* Returns 0-15 for a hex digit (either case), else -1. */
static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int nl_wire_pct_encode(struct nl_buf *out, const char *s, size_t len)
{
    const unsigned char *in = (const unsigned char *)s;
    size_t need = 0;
    uint8_t *w;
    int rc;

    for (size_t i = 0; i < len; i++) {
        size_t k = pct_plain(in[i]) ? 1 : 3;

        if (need > SIZE_MAX - k)
            return NL_BUF_E2BIG;
        need += k;
    }
    w = out_reserve(out, need, &rc);
    if (w == NULL)
        return rc;
    for (size_t i = 0; i < len; i++) {
        if (pct_plain(in[i])) {
            *w++ = in[i];
        } else {
            *w++ = '%';
            *w++ = (uint8_t)hex_upper[in[i] >> 4];
            *w++ = (uint8_t)hex_upper[in[i] & 0x0F];
        }
    }
    out->len += need;
    return 0;
}

/* Length of a valid escape at s[i] (3), or 0 when s[i] is taken literally. */
static size_t pct_escape_at(const unsigned char *s, size_t len, size_t i)
{
    if (s[i] == '%' && len - i >= 3 && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0)
        return 3;
    return 0;
}

int nl_wire_pct_decode(struct nl_buf *out, const char *s, size_t len)
{
    const unsigned char *in = (const unsigned char *)s;
    size_t need = 0;
    uint8_t *w;
    int rc;

    for (size_t i = 0; i < len; need++)
        i += pct_escape_at(in, len, i) ? 3 : 1;
    w = out_reserve(out, need, &rc);
    if (w == NULL)
        return rc;
    for (size_t i = 0; i < len;) {
        if (pct_escape_at(in, len, i)) {
            *w++ = (uint8_t)(hex_value(in[i + 1]) << 4 | hex_value(in[i + 2]));
            i += 3;
        } else {
            *w++ = in[i++];
        }
    }
    out->len += need;
    return 0;
}

/* ---- base64 (-bin metadata) ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Returns 0-63 for a standard base64 character, else -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int nl_wire_b64_encode(struct nl_buf *out, const uint8_t *p, size_t len)
{
    size_t full = len / 3;
    size_t rest = len % 3;
    size_t need;
    uint8_t *w;
    int rc;

    if (full > (SIZE_MAX - 3) / 4)
        return NL_BUF_E2BIG;
    need = full * 4 + (rest ? rest + 1 : 0);
    w = out_reserve(out, need, &rc);
    if (w == NULL)
        return rc;
    for (size_t i = 0; i < full; i++, p += 3) {
        uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

        *w++ = (uint8_t)b64_alphabet[v >> 18];
        *w++ = (uint8_t)b64_alphabet[(v >> 12) & 0x3F];
        *w++ = (uint8_t)b64_alphabet[(v >> 6) & 0x3F];
        *w++ = (uint8_t)b64_alphabet[v & 0x3F];
    }
    if (rest > 0) {
        uint32_t v = (uint32_t)p[0] << 16 | (rest == 2 ? (uint32_t)p[1] << 8 : 0);

        *w++ = (uint8_t)b64_alphabet[v >> 18];
        *w++ = (uint8_t)b64_alphabet[(v >> 12) & 0x3F];
        if (rest == 2)
            *w++ = (uint8_t)b64_alphabet[(v >> 6) & 0x3F];
    }
    out->len += need;
    return 0;
}

/*
 * Padding is accepted only when it completes a 4-character group; a final
 * group of 1 character can never be valid. Non-zero unused bits in the last
 * character are ignored, as most decoders do.
 */
int nl_wire_b64_decode(struct nl_buf *out, const char *s, size_t len)
{
    const unsigned char *in = (const unsigned char *)s;
    size_t pad = 0;
    size_t body;
    size_t need;
    uint8_t *w;
    uint32_t acc = 0;
    int bits = 0;
    int rc;

    while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
        pad++;
    if (pad > 0 && len % 4 != 0)
        return -1;
    body = len - pad;
    if (body % 4 == 1)
        return -1;
    need = body / 4 * 3 + (body % 4 == 0 ? 0 : body % 4 - 1);
    for (size_t i = 0; i < body; i++) {
        if (b64_value(in[i]) < 0)
            return -1;
    }
    w = out_reserve(out, need, &rc);
    if (w == NULL)
        return rc;
    for (size_t i = 0; i < body; i++) {
        acc = acc << 6 | (uint32_t)b64_value(in[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *w++ = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    out->len += need;
    return 0;
}

/* ---- content-type ---- */

int nl_wire_is_grpc_content_type(const char *ct, size_t len)
{
    static const char base[] = "application/grpc";
    const size_t blen = sizeof(base) - 1;

    if (len < blen || memcmp(ct, base, blen) != 0)
        return 0;
    return len == blen || ct[blen] == '+' || ct[blen] == ';';
}
