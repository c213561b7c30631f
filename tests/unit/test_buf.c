/*
 * test_buf.c - unit tests of the small common/ pieces: nl_buf (cap, consume,
 * take, appendf, the protobuf-c adaptor), nl_arena (alignment, zeroing, cap,
 * strdup), nl_status (names, HTTP mapping) and nl_log (line format, level
 * filter, truncation, errno suffix).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "log.h"
#include "status.h"

#include "grpc/health/v1/health.pb-c.h"

/* ---- nl_buf ---- */

static void test_buf_init_empty(void **state)
{
    struct nl_buf b;

    (void)state;
    nl_buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 100);
    assert_int_equal(nl_buf_reserve(&b, 0), 0);
    assert_int_equal(nl_buf_append(&b, NULL, 0), 0);
    assert_int_equal(b.len, 0);
    nl_buf_release(&b);
    assert_null(b.data);
}

static void test_buf_cap(void **state)
{
    struct nl_buf b;

    (void)state;
    nl_buf_init(&b, 8);
    assert_int_equal(nl_buf_append(&b, "abcde", 5), 0);
    assert_int_equal(nl_buf_append(&b, "fgh", 3), 0); /* exactly the cap */
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "abcdefgh", 8);

    /* One byte more: refused, the buffer keeps length and bytes. */
    assert_int_equal(nl_buf_append(&b, "i", 1), NL_BUF_E2BIG);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "abcdefgh", 8);
    assert_int_equal(nl_buf_append_str(&b, "x"), NL_BUF_E2BIG);
    assert_int_equal(nl_buf_reserve(&b, 1), NL_BUF_E2BIG);
    assert_int_equal(nl_buf_reserve(&b, SIZE_MAX), NL_BUF_E2BIG);
    assert_int_equal(b.len, 8);

    /* A refused append that would have fitted partly adds nothing either. */
    nl_buf_consume(&b, 4);
    assert_int_equal(nl_buf_append(&b, "12345", 5), NL_BUF_E2BIG);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "efgh", 4);
    nl_buf_release(&b);

    /* A zero cap refuses every byte. */
    nl_buf_init(&b, 0);
    assert_int_equal(nl_buf_append(&b, "a", 1), NL_BUF_E2BIG);
    assert_null(b.data);
    nl_buf_release(&b);
}

static void test_buf_growth(void **state)
{
    struct nl_buf b;
    size_t last_cap = 0;
    int grows = 0;

    (void)state;
    nl_buf_init(&b, 1u << 20);
    for (int i = 0; i < 100000; i++) {
        uint8_t c = (uint8_t)(i * 7);

        assert_int_equal(nl_buf_append(&b, &c, 1), 0);
        if (b.cap != last_cap) {
            grows++;
            last_cap = b.cap;
        }
    }
    assert_int_equal(b.len, 100000);
    assert_true(b.cap >= b.len);
    /* Geometric growth: a handful of reallocations, not one per append. */
    assert_in_range(grows, 1, 20);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(b.data[i], (uint8_t)(i * 7));
    nl_buf_release(&b);

    /* Growth never allocates past the cap (plus a NUL slot). */
    nl_buf_init(&b, 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(nl_buf_append(&b, "z", 1), 0);
    assert_true(b.cap <= 101);
    nl_buf_release(&b);
}

static void test_buf_consume(void **state)
{
    struct nl_buf b;

    (void)state;
    nl_buf_init(&b, 64);
    assert_int_equal(nl_buf_append_str(&b, "hello, world"), 0);
    nl_buf_consume(&b, 0);
    assert_int_equal(b.len, 12);
    nl_buf_consume(&b, 7);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "world", 5);
    assert_int_equal(nl_buf_append_str(&b, "!"), 0);
    assert_memory_equal(b.data, "world!", 6);
    nl_buf_consume(&b, 6);
    assert_int_equal(b.len, 0);
    /* Consuming frees room under the cap again. */
    for (int i = 0; i < 64; i++)
        assert_int_equal(nl_buf_append(&b, "q", 1), 0);
    assert_int_equal(nl_buf_append(&b, "q", 1), NL_BUF_E2BIG);
    nl_buf_consume(&b, 1);
    assert_int_equal(nl_buf_append(&b, "r", 1), 0);
    assert_int_equal(b.data[63], 'r');
    nl_buf_release(&b);
}

static void test_buf_take(void **state)
{
    struct nl_buf b;
    uint8_t *p;
    size_t len = 99;

    (void)state;
    nl_buf_init(&b, 32);
    p = nl_buf_take(&b, &len);
    assert_null(p);
    assert_int_equal(len, 0);

    assert_int_equal(nl_buf_append_str(&b, "owned"), 0);
    p = nl_buf_take(&b, &len);
    assert_non_null(p);
    assert_int_equal(len, 5);
    assert_memory_equal(p, "owned", 5);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 32);

    /* The buffer is reusable and independent of the taken bytes. */
    assert_int_equal(nl_buf_append_str(&b, "again"), 0);
    assert_memory_equal(b.data, "again", 5);
    assert_memory_equal(p, "owned", 5);
    free(p);
    nl_buf_release(&b);
    assert_int_equal(b.max, 32);
    assert_int_equal(nl_buf_append_str(&b, "reuse"), 0);
    nl_buf_release(&b);
}

static void test_buf_appendf(void **state)
{
    struct nl_buf b;
    char big[300];

    (void)state;
    nl_buf_init(&b, 1000);
    assert_int_equal(nl_buf_appendf(&b, "%d-%s", 42, "x"), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "42-x", 4);
    assert_int_equal(nl_buf_appendf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 4);

    /* Longer than the free space: grows and formats again. */
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(nl_buf_appendf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 4 + 301);
    assert_int_equal(b.data[4], '[');
    assert_int_equal(b.data[5 + 298], 'A');
    assert_int_equal(b.data[304], ']');
    nl_buf_release(&b);

    /* Refused over the cap, buffer unchanged; exactly the cap is fine. */
    nl_buf_init(&b, 10);
    assert_int_equal(nl_buf_append_str(&b, "abc"), 0);
    assert_int_equal(nl_buf_appendf(&b, "%s", "12345678"), NL_BUF_E2BIG);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "abc", 3);
    assert_int_equal(nl_buf_appendf(&b, "%07d", 1234), 0);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "abc0001234", 10);
    assert_int_equal(nl_buf_appendf(&b, "%c", 'z'), NL_BUF_E2BIG);
    assert_int_equal(nl_buf_appendf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 10);
    nl_buf_release(&b);

    /* A first append that fills the cap exactly from an empty buffer. */
    nl_buf_init(&b, 5);
    assert_int_equal(nl_buf_appendf(&b, "%s", "12345"), 0);
    assert_memory_equal(b.data, "12345", 5);
    nl_buf_release(&b);
}

static void test_pbuf_pack(void **state)
{
    Grpc__Health__V1__HealthCheckRequest req;
    Grpc__Health__V1__HealthCheckRequest *back;
    char svc[] = "nhanluc.v1.Registry";
    uint8_t direct[64];
    size_t want;
    struct nl_buf b;
    struct nl_pbuf pb;

    (void)state;
    grpc__health__v1__health_check_request__init(&req);
    req.service = svc;
    want = grpc__health__v1__health_check_request__get_packed_size(&req);
    assert_true(want > strlen(svc) && want <= sizeof(direct));
    assert_int_equal(grpc__health__v1__health_check_request__pack(&req, direct), want);

    /* Appends after what the buffer already holds (e.g. a reserved prefix). */
    nl_buf_init(&b, 1024);
    assert_int_equal(nl_buf_append(&b, "PFX", 3), 0);
    nl_pbuf_init(&pb, &b);
    assert_int_equal(grpc__health__v1__health_check_request__pack_to_buffer(&req, &pb.base), want);
    assert_int_equal(pb.err, 0);
    assert_int_equal(b.len, 3 + want);
    assert_memory_equal(b.data + 3, direct, want);

    back = grpc__health__v1__health_check_request__unpack(NULL, b.len - 3, b.data + 3);
    assert_non_null(back);
    assert_string_equal(back->service, svc);
    grpc__health__v1__health_check_request__free_unpacked(back, NULL);
    nl_buf_release(&b);

    /* Over the cap: err reports E2BIG and the bytes never pass the cap. */
    nl_buf_init(&b, want - 1);
    nl_pbuf_init(&pb, &b);
    grpc__health__v1__health_check_request__pack_to_buffer(&req, &pb.base);
    assert_int_equal(pb.err, NL_BUF_E2BIG);
    assert_true(b.len < want);
    nl_buf_release(&b);
}

/* ---- nl_arena ---- */

static void test_arena_alignment(void **state)
{
    struct nl_arena a;
    unsigned char *prev[64];
    size_t sizes[64];

    (void)state;
    nl_arena_init(&a, 0);
    for (size_t i = 0; i < 64; i++) {
        sizes[i] = (i * 37) % 2000; /* includes 0 and sizes above a quarter chunk */
        prev[i] = nl_arena_alloc(&a, sizes[i]);
        assert_non_null(prev[i]);
        assert_int_equal((uintptr_t)prev[i] % _Alignof(max_align_t), 0);
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(prev[i][k], 0); /* zeroed */
        memset(prev[i], (int)i + 1, sizes[i]);
    }
    /* No allocation overwrote another. */
    for (size_t i = 0; i < 64; i++) {
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(prev[i][k], (unsigned char)(i + 1));
    }
    assert_true(a.used > 0);
    nl_arena_release(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
}

static void test_arena_zero_size_unique(void **state)
{
    struct nl_arena a;
    void *p;
    void *q;

    (void)state;
    nl_arena_init(&a, 0);
    p = nl_arena_alloc(&a, 0);
    q = nl_arena_alloc(&a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    nl_arena_release(&a);
}

static void test_arena_big_then_small(void **state)
{
    struct nl_arena a;
    unsigned char *big;
    unsigned char *small;

    (void)state;
    nl_arena_init(&a, 0);
    small = nl_arena_alloc(&a, 10);
    big = nl_arena_alloc(&a, 100000);
    assert_non_null(small);
    assert_non_null(big);
    memset(big, 0xAB, 100000);
    for (int i = 0; i < 200; i++) {
        unsigned char *p = nl_arena_alloc(&a, 16);

        assert_non_null(p);
        assert_int_equal(p[0], 0);
        memset(p, 0xCD, 16);
    }
    assert_int_equal(big[0], 0xAB);
    assert_int_equal(big[99999], 0xAB);
    nl_arena_release(&a);
}

static void test_arena_strdup(void **state)
{
    struct nl_arena a;
    const char *src = "Qu\xe1\xba\xadn Ho\xc3\xa0n Ki\xe1\xba\xbfm";
    char *s;
    char *t;
    char *e;

    (void)state;
    nl_arena_init(&a, 0);
    s = nl_arena_strdup(&a, src);
    assert_non_null(s);
    assert_ptr_not_equal(s, src);
    assert_string_equal(s, src);

    t = nl_arena_strndup(&a, "abcdef", 3);
    assert_non_null(t);
    assert_string_equal(t, "abc");

    /* Copies exactly len bytes, even past an embedded NUL. */
    t = nl_arena_strndup(&a, "ab\0cd", 5);
    assert_non_null(t);
    assert_memory_equal(t, "ab\0cd", 6);

    e = nl_arena_strdup(&a, "");
    assert_non_null(e);
    assert_string_equal(e, "");
    nl_arena_release(&a);
}

static void test_arena_cap(void **state)
{
    struct nl_arena a;
    int n = 0;

    (void)state;
    nl_arena_init(&a, 256);
    for (int i = 0; i < 1000; i++) {
        if (nl_arena_alloc(&a, 10) == NULL)
            break;
        n++;
    }
    assert_true(n > 0 && n < 1000);
    assert_true(a.used <= 256);
    assert_null(nl_arena_alloc(&a, 10));
    assert_null(nl_arena_strdup(&a, "over the cap"));
    assert_null(nl_arena_alloc(&a, 257));
    assert_null(nl_arena_alloc(&a, SIZE_MAX));
    nl_arena_release(&a);

    /* Released: the budget is back. */
    assert_non_null(nl_arena_alloc(&a, 200));
    assert_null(nl_arena_alloc(&a, 100));
    nl_arena_release(&a);
}

/* ---- nl_status ---- */

static void test_status_names(void **state)
{
    static const char *const names[NL_STATUS_COUNT] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    };

    (void)state;
    for (int i = 0; i < NL_STATUS_COUNT; i++)
        assert_string_equal(nl_status_name(i), names[i]);
    assert_string_equal(nl_status_name(NL_RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
    assert_string_equal(nl_status_name(-1), "UNKNOWN");
    assert_string_equal(nl_status_name(NL_STATUS_COUNT), "UNKNOWN");
    assert_string_equal(nl_status_name(1000), "UNKNOWN");
}

static void test_status_from_http(void **state)
{
    static const struct {
        int http;
        enum nl_status want;
    } cases[] = {
        {400, NL_INTERNAL},      {401, NL_UNAUTHENTICATED}, {403, NL_PERMISSION_DENIED},
        {404, NL_UNIMPLEMENTED}, {429, NL_UNAVAILABLE},     {502, NL_UNAVAILABLE},
        {503, NL_UNAVAILABLE},   {504, NL_UNAVAILABLE},     {200, NL_UNKNOWN},
        {405, NL_UNKNOWN},       {415, NL_UNKNOWN},         {500, NL_UNKNOWN},
        {0, NL_UNKNOWN},         {-1, NL_UNKNOWN},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(nl_status_from_http(cases[i].http), cases[i].want);
}

/* ---- nl_log ---- */

/*
 * Runs `fn` with stderr redirected to a temporary file and returns what was
 * written (malloc'ed, NUL-terminated).
 */
static char *capture_stderr(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    int saved;
    long size;
    char *out;

    assert_non_null(tmp);
    saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    fn();
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);

    assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
    size = ftell(tmp);
    assert_true(size >= 0);
    rewind(tmp);
    out = calloc(1, (size_t)size + 1);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)size, tmp), (size_t)size);
    (void)fclose(tmp);
    return out;
}

static void log_basic(void)
{
    nl_log_set_level(NL_LOG_INFO);
    nl_log_info("conn=%d call=%d hello", 3, 7);
    nl_log_debug("not shown %d", 1);
    nl_log_error("bad %s", "thing");
    nl_log(NL_LOG_WARN, "two\nlines");
}

static void test_log_format(void **state)
{
    regex_t re;
    char *out;

    (void)state;
    out = capture_stderr(log_basic);
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                             "INFO conn=3 call=7 hello\n"
                             "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                             "ERROR bad thing\n"
                             "[0-9-]{10}T[0-9:.]{12}Z WARN two\\?lines\n$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    if (regexec(&re, out, 0, NULL, 0) != 0)
        fail_msg("unexpected log output: '%s'", out);
    regfree(&re);
    free(out);
}

static void log_levels(void)
{
    nl_log_set_level(NL_LOG_DEBUG);
    nl_log_debug("dbg %d", 1);
    nl_log_set_level(NL_LOG_ERROR);
    nl_log_info("hidden");
    nl_log_warnx("hidden");
    nl_log_error("shown");
    nl_log_set_level(NL_LOG_INFO);
}

static void test_log_levels(void **state)
{
    enum nl_log_level lv;
    char *out;

    (void)state;
    out = capture_stderr(log_levels);
    assert_non_null(strstr(out, "Z DEBUG dbg 1\n"));
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "Z ERROR shown\n"));
    free(out);

    assert_int_equal(nl_log_level_parse("error", &lv), 0);
    assert_int_equal(lv, NL_LOG_ERROR);
    assert_int_equal(nl_log_level_parse("warn", &lv), 0);
    assert_int_equal(lv, NL_LOG_WARN);
    assert_int_equal(nl_log_level_parse("info", &lv), 0);
    assert_int_equal(lv, NL_LOG_INFO);
    assert_int_equal(nl_log_level_parse("debug", &lv), 0);
    assert_int_equal(lv, NL_LOG_DEBUG);
    assert_int_equal(nl_log_level_parse("verbose", &lv), -1);
    assert_int_equal(nl_log_level_parse("", &lv), -1);
    nl_log_set_level(NL_LOG_WARN);
    assert_true(nl_log_enabled(NL_LOG_ERROR));
    assert_true(nl_log_enabled(NL_LOG_WARN));
    assert_false(nl_log_enabled(NL_LOG_INFO));
    nl_log_set_level(NL_LOG_INFO);
}

static void log_long_and_errno(void)
{
    static char longtext[3000];

    memset(longtext, 'x', sizeof(longtext) - 1);
    nl_log_info("%s", longtext);
    errno = ENOENT;
    nl_log_warn("cannot open '%s'", "a.db");
    assert_int_equal(errno, ENOENT); /* preserved */
    errno = EACCES;
    nl_log_warn("%s", longtext);
}

static void test_log_truncate_errno(void **state)
{
    char want[256];
    char *out;
    char *line2;
    char *line3;
    char *text;
    size_t suffix;

    (void)state;
    out = capture_stderr(log_long_and_errno);
    line2 = strchr(out, '\n');
    assert_non_null(line2);
    line2++;
    line3 = strchr(line2, '\n');
    assert_non_null(line3);
    line3++;

    /* Line 1: the text is cut at exactly 1 KiB. */
    text = strstr(out, " INFO ");
    assert_non_null(text);
    text += 6;
    assert_int_equal((size_t)(line2 - 1 - text), 1024);

    /* Line 2: ": strerror(errno)" appended. */
    (void)snprintf(want, sizeof(want), " WARN cannot open 'a.db': %s\n", strerror(ENOENT));
    assert_memory_equal(strstr(line2, " WARN "), want, strlen(want));

    /* Line 3: long text cut so that the errno suffix survives within 1 KiB. */
    text = strstr(line3, " WARN ");
    assert_non_null(text);
    text += 6;
    (void)snprintf(want, sizeof(want), ": %s\n", strerror(EACCES));
    suffix = strlen(want);
    assert_int_equal(strlen(text), 1024 + 1);
    assert_memory_equal(text + strlen(text) - suffix, want, suffix);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_init_empty),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_buf_growth),
        cmocka_unit_test(test_buf_consume),
        cmocka_unit_test(test_buf_take),
        cmocka_unit_test(test_buf_appendf),
        cmocka_unit_test(test_pbuf_pack),
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_zero_size_unique),
        cmocka_unit_test(test_arena_big_then_small),
        cmocka_unit_test(test_arena_strdup),
        cmocka_unit_test(test_arena_cap),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_status_from_http),
        cmocka_unit_test(test_log_format),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_log_truncate_errno),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
