/*
 * test_wire.c - unit tests of common/wire.c: the length-prefixed message
 * framer in every split of its input, grpc-timeout parsing and formatting,
 * grpc-message percent encoding, base64 for -bin metadata and the
 * content-type rule. Random splits use a fixed-seed xorshift generator, so a
 * failure reproduces exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wire.h"

/* ---- helpers ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

struct spec {
    uint32_t len;
    int flag;
};

static uint8_t body_byte(size_t msg, size_t k)
{
    return (uint8_t)(msg * 61 + k * 31 + (k >> 8));
}

/* Appends the framed messages of `specs` to `out`. */
static void build_stream(struct nl_buf *out, const struct spec *specs, size_t n)
{
    for (size_t m = 0; m < n; m++) {
        uint8_t pfx[NL_WIRE_PREFIX_LEN];

        nl_wire_prefix_encode(pfx, specs[m].flag, specs[m].len);
        assert_int_equal(nl_buf_append(out, pfx, sizeof(pfx)), 0);
        for (size_t k = 0; k < specs[m].len; k++) {
            uint8_t c = body_byte(m, k);

            assert_int_equal(nl_buf_append(out, &c, 1), 0);
        }
    }
}

enum split_mode { SPLIT_BYTES, SPLIT_RANDOM, SPLIT_WHOLE };

static size_t next_chunk(enum split_mode mode, size_t left)
{
    size_t n;

    switch (mode) {
    case SPLIT_BYTES:
        n = 1;
        break;
    case SPLIT_RANDOM:
        /* Mostly tiny chunks (empty ones included), sometimes large ones. */
        n = (rng_next() & 1) ? rng_next() % 9 : rng_next() % 4097;
        break;
    default:
        n = left;
        break;
    }
    return n < left ? n : left;
}

/*
 * Feeds `stream` to a fresh framer in chunks chosen by `mode` and checks that
 * exactly the messages of `specs` come out, in order, with their flags.
 */
static void run_framer(const uint8_t *stream, size_t len, const struct spec *specs, size_t n,
                       enum split_mode mode)
{
    struct nl_framer f;
    size_t pos = 0;
    size_t got = 0;
    int guard = 0;

    nl_framer_init(&f, NL_WIRE_MAX_MESSAGE);
    while (pos < len) {
        size_t chunk = next_chunk(mode, len - pos);
        size_t off = 0;

        assert_true(++guard < 10000000);
        for (;;) {
            size_t used = 99;
            int rc = nl_framer_feed(&f, stream + pos + off, chunk - off, &used);

            assert_true(used <= chunk - off);
            off += used;
            if (rc == NL_FRAMER_MORE) {
                assert_int_equal(off, chunk);
                break;
            }
            assert_int_equal(rc, NL_FRAMER_MSG);
            assert_false(nl_framer_partial(&f));
            {
                size_t mlen = 12345;
                int comp = -1;
                uint8_t *m = nl_framer_take(&f, &mlen, &comp);

                assert_non_null(m);
                assert_true(got < n);
                assert_int_equal(mlen, specs[got].len);
                assert_int_equal(comp, specs[got].flag);
                for (size_t k = 0; k < mlen; k++) {
                    if (m[k] != body_byte(got, k))
                        fail_msg("message %zu byte %zu differs", got, k);
                }
                free(m);
                got++;
            }
            if (off == chunk)
                break;
        }
        pos += chunk;
    }
    assert_int_equal(got, n);
    assert_int_equal(f.nmsgs, n);
    assert_false(nl_framer_partial(&f));
    nl_framer_release(&f);
}

static const struct spec mixed[] = {
    {0, 0}, {1, 0}, {5, 1}, {300, 0}, {0, 0}, {0, 1}, {70000, 0}, {2, 0}, {4, 1}, {0, 0},
};
#define NMIXED (sizeof(mixed) / sizeof(mixed[0]))

/* ---- framer ---- */

static void test_prefix_encode(void **state)
{
    uint8_t p[NL_WIRE_PREFIX_LEN];

    (void)state;
    nl_wire_prefix_encode(p, 0, 0x01020304u);
    assert_memory_equal(p, "\x00\x01\x02\x03\x04", 5);
    nl_wire_prefix_encode(p, 1, 0xFFFFFFFFu);
    assert_memory_equal(p, "\x01\xff\xff\xff\xff", 5);
    nl_wire_prefix_encode(p, 7, 5); /* any non-zero means compressed: flag byte 1 */
    assert_memory_equal(p, "\x01\x00\x00\x00\x05", 5);
}

static void test_framer_byte_by_byte(void **state)
{
    struct nl_buf s;

    (void)state;
    nl_buf_init(&s, SIZE_MAX);
    build_stream(&s, mixed, NMIXED);
    run_framer(s.data, s.len, mixed, NMIXED, SPLIT_BYTES);
    nl_buf_release(&s);
}

static void test_framer_random_splits(void **state)
{
    struct nl_buf s;

    (void)state;
    nl_buf_init(&s, SIZE_MAX);
    build_stream(&s, mixed, NMIXED);
    rng_state = 0x9E3779B97F4A7C15ull;
    for (int iter = 0; iter < 400; iter++)
        run_framer(s.data, s.len, mixed, NMIXED, SPLIT_RANDOM);
    nl_buf_release(&s);
}

static void test_framer_one_chunk(void **state)
{
    static const struct spec several[] = {{3, 0}, {10, 0}, {1, 1}, {7, 0}};
    struct nl_buf s;

    (void)state;
    nl_buf_init(&s, SIZE_MAX);
    build_stream(&s, several, 4);
    run_framer(s.data, s.len, several, 4, SPLIT_WHOLE);
    nl_buf_release(&s);

    nl_buf_init(&s, SIZE_MAX);
    build_stream(&s, mixed, NMIXED);
    run_framer(s.data, s.len, mixed, NMIXED, SPLIT_WHOLE);
    nl_buf_release(&s);
}

static void test_framer_zero_length(void **state)
{
    static const uint8_t zero[] = {0, 0, 0, 0, 0};
    struct nl_framer f;
    size_t used;
    size_t len = 99;
    int comp = -1;
    uint8_t *m;

    (void)state;
    nl_framer_init(&f, NL_WIRE_MAX_MESSAGE);
    assert_null(nl_framer_take(&f, &len, &comp)); /* nothing yet */
    assert_int_equal(nl_framer_feed(&f, zero, sizeof(zero), &used), NL_FRAMER_MSG);
    assert_int_equal(used, 5);
    m = nl_framer_take(&f, &len, &comp);
    assert_non_null(m); /* "a message", distinct from "no message" */
    assert_int_equal(len, 0);
    assert_int_equal(comp, 0);
    free(m);
    assert_null(nl_framer_take(&f, &len, &comp));
    assert_false(nl_framer_partial(&f));
    assert_int_equal(f.nmsgs, 1);
    nl_framer_release(&f);
}

static void test_framer_toobig(void **state)
{
    /* A prefix claiming 2 GiB, followed by a few body bytes. */
    static const uint8_t huge[] = {0, 0x80, 0, 0, 0, 'a', 'b', 'c'};
    static const uint8_t over[] = {0, 0, 0, 0, 17};
    static const uint8_t exact[] = {0, 0, 0, 0, 16};
    struct nl_framer f;
    size_t used;

    (void)state;
    nl_framer_init(&f, NL_WIRE_MAX_MESSAGE);
    assert_int_equal(nl_framer_feed(&f, huge, sizeof(huge), &used), NL_FRAMER_TOOBIG);
    assert_int_equal(used, NL_WIRE_PREFIX_LEN);
    assert_null(f.msg); /* checked before any allocation */
    /* The framer stays failed until re-initialised. */
    assert_int_equal(nl_framer_feed(&f, huge + 5, 3, &used), NL_FRAMER_TOOBIG);
    assert_int_equal(used, 0);
    assert_null(f.msg);
    nl_framer_release(&f);

    /* The check fires the moment the prefix completes, byte by byte too. */
    nl_framer_init(&f, NL_WIRE_MAX_MESSAGE);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(nl_framer_feed(&f, huge + i, 1, &used), NL_FRAMER_MORE);
        assert_int_equal(used, 1);
    }
    assert_int_equal(nl_framer_feed(&f, huge + 4, 1, &used), NL_FRAMER_TOOBIG);
    assert_null(f.msg);
    nl_framer_release(&f);

    /* The cap is inclusive. */
    nl_framer_init(&f, 16);
    assert_int_equal(nl_framer_feed(&f, over, sizeof(over), &used), NL_FRAMER_TOOBIG);
    assert_null(f.msg);
    nl_framer_release(&f);
    nl_framer_init(&f, 16);
    assert_int_equal(nl_framer_feed(&f, exact, sizeof(exact), &used), NL_FRAMER_MORE);
    assert_non_null(f.msg);
    nl_framer_release(&f);
}

static void test_framer_partial(void **state)
{
    static const uint8_t two[] = {0, 0, 0, 0, 3, 'x', 'y', 'z', 1, 0, 0, 0, 2, 'p', 'q'};
    struct nl_framer f;
    size_t used;
    size_t len;
    int comp;
    uint8_t *m;

    (void)state;
    nl_framer_init(&f, NL_WIRE_MAX_MESSAGE);
    assert_false(nl_framer_partial(&f));
    assert_int_equal(nl_framer_feed(&f, two, 0, &used), NL_FRAMER_MORE);
    assert_false(nl_framer_partial(&f));

    /* A partial prefix... */
    assert_int_equal(nl_framer_feed(&f, two, 3, &used), NL_FRAMER_MORE);
    assert_int_equal(used, 3);
    assert_true(nl_framer_partial(&f));
    /* ...a complete prefix and a partial body... */
    assert_int_equal(nl_framer_feed(&f, two + 3, 3, &used), NL_FRAMER_MORE);
    assert_true(nl_framer_partial(&f));
    /* ...the rest of the first message plus all of the second. */
    assert_int_equal(nl_framer_feed(&f, two + 6, sizeof(two) - 6, &used), NL_FRAMER_MSG);
    assert_int_equal(used, 2);
    assert_false(nl_framer_partial(&f)); /* complete, waiting to be taken */

    /* Feeding while a message is ready consumes nothing. */
    assert_int_equal(nl_framer_feed(&f, two + 8, sizeof(two) - 8, &used), NL_FRAMER_MSG);
    assert_int_equal(used, 0);

    m = nl_framer_take(&f, &len, &comp);
    assert_non_null(m);
    assert_int_equal(len, 3);
    assert_int_equal(comp, 0);
    assert_memory_equal(m, "xyz", 3);
    free(m);

    assert_int_equal(nl_framer_feed(&f, two + 8, sizeof(two) - 8, &used), NL_FRAMER_MSG);
    assert_int_equal(used, 7);
    m = nl_framer_take(&f, &len, &comp);
    assert_non_null(m);
    assert_int_equal(len, 2);
    assert_int_equal(comp, 1); /* compressed flag reported */
    assert_memory_equal(m, "pq", 2);
    free(m);
    assert_int_equal(f.nmsgs, 2);

    /* A body cut short and then released is freed (leak checkers watch). */
    assert_int_equal(nl_framer_feed(&f, two, 6, &used), NL_FRAMER_MORE);
    assert_true(nl_framer_partial(&f));
    nl_framer_release(&f);
}

static void test_framer_flag_values(void **state)
{
    static const uint8_t odd[] = {0x80, 0, 0, 0, 1, 'k'};
    struct nl_framer f;
    size_t used;
    size_t len;
    int comp = 0;
    uint8_t *m;

    (void)state;
    /* Any non-zero flag byte is reported as compressed, never as identity. */
    nl_framer_init(&f, 10);
    assert_int_equal(nl_framer_feed(&f, odd, sizeof(odd), &used), NL_FRAMER_MSG);
    m = nl_framer_take(&f, &len, &comp);
    assert_non_null(m);
    assert_int_equal(comp, 1);
    free(m);
    nl_framer_release(&f);
}

/* ---- grpc-timeout ---- */

static int parse(const char *s, uint64_t *ms)
{
    *ms = 0xDEADBEEF;
    return nl_wire_timeout_parse(s, strlen(s), ms);
}

static void test_timeout_parse_units(void **state)
{
    static const struct {
        const char *in;
        uint64_t ms;
    } ok[] = {
        {"1H", 3600000},
        {"2M", 120000},
        {"5S", 5000},
        {"5010m", 5010},
        {"301m", 301},
        {"2978m", 2978},
        {"1000u", 1},
        {"1001u", 2},
        {"1u", 1},
        {"0u", 0},
        {"1n", 1},
        {"0n", 0},
        {"1000000n", 1},
        {"1000001n", 2},
        {"0S", 0},
        {"0m", 0},
        {"0H", 0},
        {"99999999m", 99999999},
        {"00000001S", 1000},
        {"12345678n", 13},
        {"99999999u", 100000},
        {"99999999S", 99999999000ull},
        {"99999999M", 5999999940000ull},
        /* The largest value: 8 digits of hours, far below UINT64_MAX. */
        {"99999999H", 359999996400000ull},
    };
    uint64_t ms;

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (parse(ok[i].in, &ms) != 0)
            fail_msg("'%s' refused", ok[i].in);
        if (ms != ok[i].ms)
            fail_msg("'%s' gave %llu", ok[i].in, (unsigned long long)ms);
    }
    /* The length is honoured: no NUL needed, bytes after it ignored. */
    assert_int_equal(nl_wire_timeout_parse("5Sxyz", 2, &ms), 0);
    assert_int_equal(ms, 5000);
}

static void test_timeout_parse_bad(void **state)
{
    static const char *const bad[] = {
        "",    "m",   "S",   "H",     "100000000m", "000000001m", "123456789S", "+5S", "-5S",
        " 5S", "5 S", "5S ", "5s",    "5h",         "5x",         "5",          "55",  "5Sx",
        "5SS", "5mm", "S5",  "0x10m", "1.5S",       "5\tS",       "\xd9\xa5S",
    };
    uint64_t ms = 7;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (nl_wire_timeout_parse(bad[i], strlen(bad[i]), &ms) != -1)
            fail_msg("'%s' accepted", bad[i]);
    }
    /* An embedded NUL is a bad byte, not an end. */
    assert_int_equal(nl_wire_timeout_parse("5\0S", 3, &ms), -1);
    assert_int_equal(nl_wire_timeout_parse("5S\0", 3, &ms), -1);
}

static void check_format(uint64_t ms, const char *want)
{
    char out[16];
    size_t n = nl_wire_timeout_format(ms, out);

    if (strcmp(out, want) != 0 || n != strlen(want))
        fail_msg("format(%llu) = '%s' (%zu), want '%s'", (unsigned long long)ms, out, n, want);
}

static void test_timeout_format(void **state)
{
    (void)state;
    check_format(0, "0m");
    check_format(1, "1m");
    check_format(30000, "30000m");
    check_format(99999999, "99999999m");         /* last value in ms */
    check_format(100000000, "100000S");          /* first value in s */
    check_format(100000001, "100001S");          /* rounded up */
    check_format(99999999000ull, "99999999S");   /* last value in s */
    check_format(99999999001ull, "1666667M");    /* first value in min, rounded up */
    check_format(5999999940000ull, "99999999M"); /* last value in min */
    check_format(5999999940001ull, "99999999H"); /* saturates */
    check_format(UINT64_MAX, "99999999H");
}

static void test_timeout_round_trip(void **state)
{
    const uint64_t top = 99999999ull * 3600000ull;
    char out[16];
    uint64_t back;
    int seen[4] = {0, 0, 0, 0};

    (void)state;
    rng_state = 12345;
    for (int i = 0; i < 20000; i++) {
        /* Spread values over every magnitude up to 99999999H. */
        unsigned shift = (unsigned)(rng_next() % 64);
        uint64_t v = rng_next() >> shift;
        size_t n;

        if (v > top)
            v %= top + 1;
        n = nl_wire_timeout_format(v, out);
        assert_true(n >= 2 && n <= 9);
        assert_int_equal(nl_wire_timeout_parse(out, n, &back), 0);
        if (back < v)
            fail_msg("%llu -> '%s' -> %llu", (unsigned long long)v, out, (unsigned long long)back);
        /* Rounded up by less than one unit of the chosen scale. */
        switch (out[n - 1]) {
        case 'm':
            assert_true(back == v);
            seen[0]++;
            break;
        case 'S':
            assert_true(back - v < 1000);
            seen[1]++;
            break;
        case 'M':
            assert_true(back - v < 60000);
            seen[2]++;
            break;
        default:
            /* Past 99999999M the format saturates at the largest value. */
            assert_true(v > 5999999940000ull);
            assert_true(back == top);
            seen[3]++;
            break;
        }
    }
    for (int u = 0; u < 4; u++)
        assert_true(seen[u] > 100); /* every scale was exercised */
}

/* ---- percent encoding ---- */

static void pct_enc(const char *s, size_t len, const char *want)
{
    struct nl_buf b;

    nl_buf_init(&b, 4096);
    assert_int_equal(nl_wire_pct_encode(&b, s, len), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    nl_buf_release(&b);
}

static void pct_dec(const char *s, const char *want, size_t want_len)
{
    struct nl_buf b;

    nl_buf_init(&b, 4096);
    assert_int_equal(nl_wire_pct_decode(&b, s, strlen(s)), 0);
    assert_int_equal(b.len, want_len);
    if (want_len > 0)
        assert_memory_equal(b.data, want, want_len);
    nl_buf_release(&b);
}

static void test_pct_vietnamese(void **state)
{
    /* "Đảng bộ Quận Hoàn Kiếm", composed UTF-8 */
    static const char vi[] = "\xc4\x90\xe1\xba\xa3ng b\xe1\xbb\x99 Qu\xe1\xba\xad"
                             "n Ho\xc3\xa0n Ki\xe1\xba\xbfm";
    static const char enc[] = "%C4%90%E1%BA%A3ng b%E1%BB%99 Qu%E1%BA%ADn Ho%C3%A0n Ki%E1%BA%BFm";

    (void)state;
    pct_enc(vi, strlen(vi), enc);
    pct_dec(enc, vi, strlen(vi));
}

static void test_pct_specials(void **state)
{
    (void)state;
    pct_enc("%", 1, "%25");
    pct_enc("100% sure", 9, "100%25 sure");
    pct_enc("\x00\x01\n\x1f\x7f\x80\xff", 7, "%00%01%0A%1F%7F%80%FF");
    pct_enc(" ~plain ASCII!", 14, " ~plain ASCII!");
    pct_enc("", 0, "");
    pct_dec("%25", "%", 1);
    pct_dec("%00%0a%7F", "\x00\n\x7f", 3);
    pct_dec("%c4%90", "\xc4\x90", 2); /* lower-case hex accepted */
    pct_dec("", "", 0);
}

static void test_pct_bad_escapes(void **state)
{
    (void)state;
    /* Never fails: bad escapes pass through literally. */
    pct_dec("%", "%", 1);
    pct_dec("%4", "%4", 2);
    pct_dec("%zz", "%zz", 3);
    pct_dec("%4g", "%4g", 3);
    pct_dec("%g4", "%g4", 3);
    pct_dec("a%", "a%", 2);
    pct_dec("%%41", "%A", 2);
    pct_dec("50%%", "50%%", 4);
    pct_dec("%41%", "A%", 2);
}

static void test_pct_round_trip_and_cap(void **state)
{
    char all[256];
    struct nl_buf e;
    struct nl_buf d;

    (void)state;
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    nl_buf_init(&e, 4096);
    nl_buf_init(&d, 4096);
    assert_int_equal(nl_wire_pct_encode(&e, all, sizeof(all)), 0);
    /* 95 printable bytes minus '%' pass, the other 162 grow to 3 bytes. */
    assert_int_equal(e.len, 94 + 162 * 3);
    assert_int_equal(nl_wire_pct_decode(&d, (const char *)e.data, e.len), 0);
    assert_int_equal(d.len, 256);
    assert_memory_equal(d.data, all, 256);
    nl_buf_release(&e);
    nl_buf_release(&d);

    /* Over the cap: E2BIG, the output is left as it was. */
    nl_buf_init(&e, 8);
    assert_int_equal(nl_buf_append(&e, "ab", 2), 0);
    assert_int_equal(nl_wire_pct_encode(&e, "\x01\x02", 2), 0); /* exactly 8 */
    assert_int_equal(e.len, 8);
    assert_int_equal(nl_wire_pct_encode(&e, "x", 1), NL_BUF_E2BIG);
    assert_int_equal(e.len, 8);
    assert_memory_equal(e.data, "ab%01%02", 8);
    nl_buf_consume(&e, 8);
    assert_int_equal(nl_wire_pct_encode(&e, "\x01\x02\x03", 3), NL_BUF_E2BIG);
    assert_int_equal(e.len, 0);
    assert_int_equal(nl_wire_pct_decode(&e, "%41%42%43", 9), 0);
    assert_int_equal(e.len, 3);
    nl_buf_release(&e);
}

/* ---- base64 ---- */

static void b64_ok(const char *in, const char *raw, size_t raw_len)
{
    struct nl_buf b;

    nl_buf_init(&b, 4096);
    if (nl_wire_b64_decode(&b, in, strlen(in)) != 0)
        fail_msg("'%s' refused", in);
    assert_int_equal(b.len, raw_len);
    if (raw_len > 0)
        assert_memory_equal(b.data, raw, raw_len);
    nl_buf_release(&b);
}

static void test_b64_vectors(void **state)
{
    /* RFC 4648 section 10, encoded unpadded and decoded in both forms. */
    static const struct {
        const char *raw;
        const char *padded;
        const char *unpadded;
    } v[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };
    struct nl_buf b;

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        nl_buf_init(&b, 64);
        assert_int_equal(nl_wire_b64_encode(&b, (const uint8_t *)v[i].raw, strlen(v[i].raw)), 0);
        assert_int_equal(b.len, strlen(v[i].unpadded));
        if (b.len > 0)
            assert_memory_equal(b.data, v[i].unpadded, b.len);
        nl_buf_release(&b);
        b64_ok(v[i].padded, v[i].raw, strlen(v[i].raw));
        b64_ok(v[i].unpadded, v[i].raw, strlen(v[i].raw));
    }
    /* '+' and '/' are the standard alphabet's last two characters. */
    b64_ok("+/8", "\xfb\xff", 2);
    b64_ok("+/8=", "\xfb\xff", 2);
}

static void test_b64_invalid(void **state)
{
    static const char *const bad[] = {
        "Z",     "Zm9vY", "Zg=", "Zg===",  "Z===", "====", "=",     "Zg==Zg==",
        "Zm9v!", "Zm 9v", "-_8", "Zm9v\n", "Zg=a", "Z=g=", "Zm=9v", "Zm9vY===",
    };
    struct nl_buf b;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        nl_buf_init(&b, 64);
        if (nl_wire_b64_decode(&b, bad[i], strlen(bad[i])) != -1)
            fail_msg("'%s' accepted", bad[i]);
        nl_buf_release(&b);
    }
    nl_buf_init(&b, 64);
    assert_int_equal(nl_wire_b64_decode(&b, "Zm\0v", 4), -1);
    nl_buf_release(&b);
}

static void test_b64_round_trip(void **state)
{
    uint8_t all[256];
    struct nl_buf e;
    struct nl_buf d;

    (void)state;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)(255 - i);
    for (size_t n = 0; n <= sizeof(all); n++) {
        nl_buf_init(&e, 1024);
        nl_buf_init(&d, 1024);
        assert_int_equal(nl_wire_b64_encode(&e, all, n), 0);
        assert_int_equal(e.len, (n * 4 + 2) / 3);
        assert_int_equal(nl_wire_b64_decode(&d, (const char *)e.data, e.len), 0);
        assert_int_equal(d.len, n);
        if (n > 0)
            assert_memory_equal(d.data, all, n);
        nl_buf_release(&e);
        nl_buf_release(&d);
    }
    /* Over the cap: E2BIG, nothing appended. */
    nl_buf_init(&e, 3);
    assert_int_equal(nl_wire_b64_encode(&e, all, 3), NL_BUF_E2BIG);
    assert_int_equal(e.len, 0);
    assert_int_equal(nl_wire_b64_decode(&e, "Zm9vYg", 6), NL_BUF_E2BIG);
    assert_int_equal(e.len, 0);
    assert_int_equal(nl_wire_b64_decode(&e, "Zm9v", 4), 0);
    assert_memory_equal(e.data, "foo", 3);
    nl_buf_release(&e);
}

/* ---- content-type ---- */

static void test_content_type(void **state)
{
    static const struct {
        const char *ct;
        int ok;
    } cases[] = {
        {"application/grpc", 1},      {"application/grpc+proto", 1},
        {"application/grpc+json", 1}, {"application/grpc;charset=x", 1},
        {"application/grpc+", 1},     {"application/grpcx", 0},
        {"application/grp", 0},       {"application/json", 0},
        {"application/grpc-web", 0},  {"text/application/grpc", 0},
        {" application/grpc", 0},     {"", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (nl_wire_is_grpc_content_type(cases[i].ct, strlen(cases[i].ct)) != cases[i].ok)
            fail_msg("'%s' misjudged", cases[i].ct);
    }
    /* Only `len` bytes count. */
    assert_int_equal(nl_wire_is_grpc_content_type("application/grpcx", 16), 1);
    assert_int_equal(nl_wire_is_grpc_content_type("application/grpc", 15), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_encode),        cmocka_unit_test(test_framer_byte_by_byte),
        cmocka_unit_test(test_framer_random_splits), cmocka_unit_test(test_framer_one_chunk),
        cmocka_unit_test(test_framer_zero_length),   cmocka_unit_test(test_framer_toobig),
        cmocka_unit_test(test_framer_partial),       cmocka_unit_test(test_framer_flag_values),
        cmocka_unit_test(test_timeout_parse_units),  cmocka_unit_test(test_timeout_parse_bad),
        cmocka_unit_test(test_timeout_format),       cmocka_unit_test(test_timeout_round_trip),
        cmocka_unit_test(test_pct_vietnamese),       cmocka_unit_test(test_pct_specials),
        cmocka_unit_test(test_pct_bad_escapes),      cmocka_unit_test(test_pct_round_trip_and_cap),
        cmocka_unit_test(test_b64_vectors),          cmocka_unit_test(test_b64_invalid),
        cmocka_unit_test(test_b64_round_trip),       cmocka_unit_test(test_content_type),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
