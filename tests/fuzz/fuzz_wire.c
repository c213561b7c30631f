/*
 * fuzz_wire.c - libFuzzer target for common/wire.c (RELIABILITY.md D3, D5).
 *
 * Input layout: byte 0 picks the framer's cap, bytes 1-4 seed the chunking,
 * the rest is the payload. The payload is fed to the framer in chunks whose
 * sizes come from the seed and every decoded message is checked against a
 * simple whole-buffer reference parse (same lengths, same bytes, any
 * non-zero flag reported as compressed, nothing over the cap, TOOBIG exactly
 * where the reference sees an oversize prefix, partial state at the end).
 * The same payload then goes through grpc-timeout parsing (compared with a
 * reference grammar, and format/parse round trip), percent encoding
 * (decode(encode(x)) == x, decode never fails), base64 (decode(encode(x)) ==
 * x) and the content-type rule. Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            (void)fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const size_t caps[8] = {0, 1, 5, 64, 1000, 65536, NL_WIRE_MAX_MESSAGE, NL_WIRE_MAX_MESSAGE};

/* One message as the reference parser sees it. */
struct ref_msg {
    size_t off; /* body offset in the payload */
    uint32_t len;
    int compressed;
};

enum ref_end { REF_CLEAN, REF_PARTIAL, REF_TOOBIG };

/*
 * Whole-buffer parse: fills up to `max_out` messages, returns their count
 * and how the payload ends.
 */
static size_t ref_parse(const uint8_t *p, size_t n, size_t cap, struct ref_msg *out, size_t max_out,
                        enum ref_end *end)
{
    size_t pos = 0;
    size_t count = 0;

    *end = REF_CLEAN;
    while (pos < n) {
        uint32_t len;

        if (n - pos < NL_WIRE_PREFIX_LEN) {
            *end = REF_PARTIAL;
            break;
        }
        len = (uint32_t)p[pos + 1] << 24 | (uint32_t)p[pos + 2] << 16 | (uint32_t)p[pos + 3] << 8 |
              (uint32_t)p[pos + 4];
        if (len > cap) {
            *end = REF_TOOBIG;
            break;
        }
        if (n - pos - NL_WIRE_PREFIX_LEN < len) {
            *end = REF_PARTIAL;
            break;
        }
        CHECK(count < max_out);
        out[count].off = pos + NL_WIRE_PREFIX_LEN;
        out[count].len = len;
        out[count].compressed = p[pos] != 0;
        count++;
        pos += NL_WIRE_PREFIX_LEN + len;
    }
    return count;
}

static uint32_t split_next(uint32_t *s)
{
    uint32_t x = *s;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void fuzz_framer(const uint8_t *p, size_t n, size_t cap, uint32_t seed)
{
    /* Every message takes at least 5 bytes, so n / 5 + 1 bounds the count. */
    size_t max_msgs = n / NL_WIRE_PREFIX_LEN + 1;
    struct ref_msg *ref = malloc(max_msgs * sizeof(*ref));
    enum ref_end end;
    size_t nref;
    size_t got = 0;
    size_t pos = 0;
    int stopped = 0;
    struct nl_framer f;

    CHECK(ref != NULL);
    nref = ref_parse(p, n, cap, ref, max_msgs, &end);
    nl_framer_init(&f, cap);
    while (pos < n && !stopped) {
        uint32_t r = split_next(&seed);
        size_t chunk = (r & 3) == 0 ? (r >> 2) % 1024 : (r >> 2) % 8;
        size_t off = 0;

        if (chunk > n - pos)
            chunk = n - pos;
        for (;;) {
            size_t used = 0;
            int rc = nl_framer_feed(&f, p + pos + off, chunk - off, &used);

            CHECK(used <= chunk - off);
            off += used;
            if (rc == NL_FRAMER_MORE) {
                CHECK(off == chunk);
                break;
            }
            if (rc == NL_FRAMER_TOOBIG) {
                CHECK(end == REF_TOOBIG && got == nref);
                CHECK(f.msg == NULL);
                stopped = 1;
                break;
            }
            if (rc == NL_FRAMER_NOMEM) {
                stopped = 1; /* legal under memory pressure; nothing to compare */
                break;
            }
            CHECK(rc == NL_FRAMER_MSG);
            {
                size_t len = 0;
                int comp = -1;
                uint8_t *m = nl_framer_take(&f, &len, &comp);

                CHECK(m != NULL);
                CHECK(len <= cap);
                CHECK(got < nref);
                CHECK(len == ref[got].len);
                CHECK(comp == ref[got].compressed);
                CHECK(len == 0 || memcmp(m, p + ref[got].off, len) == 0);
                free(m);
                got++;
            }
            if (off == chunk)
                break;
        }
        pos += chunk;
    }
    if (!stopped) {
        CHECK(got == nref);
        CHECK(end != REF_TOOBIG);
        CHECK(nl_framer_partial(&f) == (end == REF_PARTIAL));
        CHECK(f.nmsgs == nref);
    }
    nl_framer_release(&f);
    free(ref);
}

/* The grpc-timeout grammar, spelled out independently of wire.c. */
static int ref_timeout_ok(const uint8_t *p, size_t n)
{
    if (n < 2 || n > 9)
        return 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
    }
    switch (p[n - 1]) {
    case 'H':
    case 'M':
    case 'S':
    case 'm':
    case 'u':
    case 'n':
        return 1;
    default:
        return 0;
    }
}

static void fuzz_timeout(const uint8_t *p, size_t n)
{
    const uint64_t top = 99999999ull * 3600000ull;
    uint64_t ms = 0;
    uint64_t back = 0;
    uint64_t v = 0;
    char out[16];
    size_t len;
    int rc = nl_wire_timeout_parse((const char *)p, n, &ms);

    CHECK(rc == 0 || rc == -1);
    CHECK((rc == 0) == ref_timeout_ok(p, n));
    if (rc == 0) {
        CHECK(ms <= top);
        len = nl_wire_timeout_format(ms, out);
        CHECK(len == strlen(out));
        CHECK(nl_wire_timeout_parse(out, len, &back) == 0);
        CHECK(back >= ms);
    }

    /* Any 64-bit value formats to something parseable. */
    memcpy(&v, p, n < sizeof(v) ? n : sizeof(v));
    len = nl_wire_timeout_format(v, out);
    CHECK(len >= 2 && len <= 9 && len == strlen(out));
    CHECK(nl_wire_timeout_parse(out, len, &back) == 0);
    CHECK(v > top || back >= v);
}

static void fuzz_pct(const uint8_t *p, size_t n)
{
    struct nl_buf enc;
    struct nl_buf dec;

    nl_buf_init(&enc, SIZE_MAX);
    nl_buf_init(&dec, SIZE_MAX);
    CHECK(nl_wire_pct_encode(&enc, (const char *)p, n) == 0);
    for (size_t i = 0; i < enc.len; i++)
        CHECK(enc.data[i] >= 0x20 && enc.data[i] <= 0x7E);
    CHECK(nl_wire_pct_decode(&dec, (const char *)enc.data, enc.len) == 0);
    CHECK(dec.len == n);
    CHECK(n == 0 || memcmp(dec.data, p, n) == 0);

    /* Decoding arbitrary bytes never fails and never grows them. */
    nl_buf_release(&dec);
    CHECK(nl_wire_pct_decode(&dec, (const char *)p, n) == 0);
    CHECK(dec.len <= n);
    nl_buf_release(&enc);
    nl_buf_release(&dec);
}

static void fuzz_b64(const uint8_t *p, size_t n)
{
    struct nl_buf enc;
    struct nl_buf dec;
    int rc;

    nl_buf_init(&enc, SIZE_MAX);
    nl_buf_init(&dec, SIZE_MAX);
    CHECK(nl_wire_b64_encode(&enc, p, n) == 0);
    CHECK(enc.len == (n * 4 + 2) / 3);
    CHECK(nl_wire_b64_decode(&dec, (const char *)enc.data, enc.len) == 0);
    CHECK(dec.len == n);
    CHECK(n == 0 || memcmp(dec.data, p, n) == 0);

    /* Arbitrary input: valid or -1, never more than 3 bytes per 4 chars. */
    nl_buf_release(&dec);
    rc = nl_wire_b64_decode(&dec, (const char *)p, n);
    CHECK(rc == 0 || rc == -1);
    CHECK(dec.len <= n * 3 / 4);
    nl_buf_release(&enc);
    nl_buf_release(&dec);
}

static void fuzz_content_type(const uint8_t *p, size_t n)
{
    static const char base[] = "application/grpc";
    int want = n >= 16 && memcmp(p, base, 16) == 0 && (n == 16 || p[16] == '+' || p[16] == ';');

    CHECK(nl_wire_is_grpc_content_type((const char *)p, n) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *payload;
    size_t n;
    size_t cap;
    uint32_t seed;

    if (size < 5)
        return 0;
    cap = caps[data[0] & 7];
    seed = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 8 | data[4];
    seed ^= 0x9E3779B9u; /* xorshift needs a non-zero state; all-zero seeds are common */
    if (seed == 0)
        seed = 1;
    payload = data + 5;
    n = size - 5;

    fuzz_framer(payload, n, cap, seed);
    fuzz_timeout(payload, n);
    fuzz_pct(payload, n);
    fuzz_b64(payload, n);
    fuzz_content_type(payload, n);
    return 0;
}
