/*
 * test_text.c - unit tests of common/text.c: NFC normalisation of
 * Vietnamese typed composed or decomposed, rejection of invalid UTF-8,
 * control characters, empty and over-long input with the right code, and
 * terminal display width; case folding for name search.
 *
 * C hex escapes swallow every following hex digit, so a hex letter right
 * after an escape is itself written as an escape ("\xc4\x90\x61" for "Đa").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "text.h"

/* Composed (NFC) forms. */
#define HA_NOI_NFC    "H\xc3\xa0 N\xe1\xbb\x99i" /* "Hà Nội" */
#define THANH_TRI_NFC "Thanh Tr\xc3\xac"         /* "Thanh Trì" */
#define HOAN_KIEM_NFC                                                                              \
    "\xc4\x90\xe1\xba\xa3ng b\xe1\xbb\x99 Qu\xe1\xba\xad"                                          \
    "n Ho\xc3\xa0n Ki\xe1\xba\xbfm" /* "Đảng bộ Quận Hoàn Kiếm" */

/* Decomposed (NFD) forms: base letters followed by combining marks. */
#define HA_NOI_NFD    "Ha\xcc\x80 No\xcc\xa3\xcc\x82i"
#define THANH_TRI_NFD "Thanh Tri\xcc\x80"
#define HOAN_KIEM_NFD                                                                              \
    "\xc4\x90\x61\xcc\x89ng bo\xcc\xa3\xcc\x82 Qua\xcc\xa3\xcc\x82n Hoa\xcc\x80n "                 \
    "Kie\xcc\x82\xcc\x81m"

static int nfc(struct nl_arena *a, const char *s, size_t len, size_t min, size_t max, char **out)
{
    *out = (char *)a; /* any non-NULL value: failures must reset it */
    return nl_text_nfc(a, s, len, min, max, out);
}

static void expect_nfc(const char *in, size_t len, const char *want)
{
    struct nl_arena a;
    char *out;

    nl_arena_init(&a, 0);
    assert_int_equal(nfc(&a, in, len, 1, 200, &out), NL_TEXT_OK);
    assert_non_null(out);
    assert_ptr_not_equal(out, in);
    assert_string_equal(out, want);
    nl_arena_release(&a);
}

static void test_nfc_composes(void **state)
{
    (void)state;
    expect_nfc(THANH_TRI_NFD, strlen(THANH_TRI_NFD), THANH_TRI_NFC);
    expect_nfc(HA_NOI_NFD, strlen(HA_NOI_NFD), HA_NOI_NFC);
    expect_nfc(HOAN_KIEM_NFD, strlen(HOAN_KIEM_NFD), HOAN_KIEM_NFC);
    /* Marks in the other canonical order compose to the same letter. */
    expect_nfc("No\xcc\x82\xcc\xa3i", 7, "N\xe1\xbb\x99i");
    /* Partly composed input ("ê" + acute) ends up fully composed. */
    expect_nfc("Ki\xc3\xaa\xcc\x81m", 7, "Ki\xe1\xba\xbfm");
}

static void test_nfc_composed_unchanged(void **state)
{
    (void)state;
    expect_nfc(THANH_TRI_NFC, strlen(THANH_TRI_NFC), THANH_TRI_NFC);
    expect_nfc(HA_NOI_NFC, strlen(HA_NOI_NFC), HA_NOI_NFC);
    expect_nfc(HOAN_KIEM_NFC, strlen(HOAN_KIEM_NFC), HOAN_KIEM_NFC);
    expect_nfc("plain ASCII 123", 15, "plain ASCII 123");
    /* No-break space (U+00A0) and a non-character are not controls. */
    expect_nfc("a\xc2\xa0\x62", 4, "a\xc2\xa0\x62");
    expect_nfc("\xef\xbf\xbe", 3, "\xef\xbf\xbe");
    /* Only `len` bytes are read: no NUL needed. */
    expect_nfc("abcdef", 3, "abc");
}

static void expect_rc(const char *in, size_t len, size_t min, size_t max, int want)
{
    struct nl_arena a;
    char *out;
    int rc;

    nl_arena_init(&a, 0);
    rc = nfc(&a, in, len, min, max, &out);
    if (rc != want)
        fail_msg("input of %zu bytes: got %d, want %d", len, rc, want);
    assert_null(out);
    nl_arena_release(&a);
}

static void test_nfc_bad_utf8(void **state)
{
    static const char *const bad[] = {
        "\xff",             /* never valid */
        "abc\xc3",          /* truncated sequence */
        "\xc3(",            /* bad continuation */
        "\x80",             /* lone continuation */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xed\xa0\x80",     /* UTF-16 surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "ok \xe1\xba",      /* cut inside a Vietnamese letter */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_rc(bad[i], strlen(bad[i]), 1, 100, NL_TEXT_BADUTF8);
}

static void test_nfc_control(void **state)
{
    static const char *const ctl[] = {
        /* C0, DEL, then U+0080 (first C1), U+0085 (NEL), U+009F (last C1) */
        "a\nb", "line\r", "\t", "\x1b[31m", "\x7f", "x\x01", "\xc2\x80", "\xc2\x85", "\xc2\x9f",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++)
        expect_rc(ctl[i], strlen(ctl[i]), 1, 100, NL_TEXT_CONTROL);
    /* An embedded NUL counts when it is inside len. */
    expect_rc("ab\0cd", 5, 1, 100, NL_TEXT_CONTROL);
}

static void test_nfc_lengths(void **state)
{
    struct nl_arena a;
    char *out;

    (void)state;
    expect_rc("", 0, 1, 100, NL_TEXT_EMPTY);
    expect_rc("ab", 2, 3, 100, NL_TEXT_EMPTY);
    expect_rc("abcdef", 6, 1, 5, NL_TEXT_TOOLONG);
    expect_rc(HA_NOI_NFC, strlen(HA_NOI_NFC), 1, strlen(HA_NOI_NFC) - 1, NL_TEXT_TOOLONG);

    nl_arena_init(&a, 0);
    /* Empty is fine when the minimum is 0. */
    assert_int_equal(nfc(&a, "", 0, 0, 10, &out), NL_TEXT_OK);
    assert_string_equal(out, "");
    /* Exactly max_len bytes is fine. */
    assert_int_equal(nfc(&a, "abcde", 5, 5, 5, &out), NL_TEXT_OK);
    assert_string_equal(out, "abcde");
    /* Bounds apply to the NFC bytes: 3 decomposed bytes compose into 2. */
    assert_int_equal(nfc(&a, "i\xcc\x80", 3, 1, 2, &out), NL_TEXT_OK);
    assert_string_equal(out, "\xc3\xac");
    nl_arena_release(&a);

    /* Far too long input is refused (without normalising it). */
    {
        static char big[5000];

        memset(big, 'a', sizeof(big));
        expect_rc(big, sizeof(big), 1, 100, NL_TEXT_TOOLONG);
        expect_rc(big, sizeof(big), 1, 4999, NL_TEXT_TOOLONG);
        /* Invalid bytes win over length: the caller learns the real problem. */
        big[10] = '\x01';
        expect_rc(big, sizeof(big), 1, 100, NL_TEXT_CONTROL);
    }
}

static void test_nfc_nomem(void **state)
{
    struct nl_arena a;
    char *out;

    (void)state;
    nl_arena_init(&a, 16); /* too small for the copy */
    assert_int_equal(nfc(&a, HOAN_KIEM_NFD, strlen(HOAN_KIEM_NFD), 1, 100, &out), NL_TEXT_NOMEM);
    assert_null(out);
    nl_arena_release(&a);
}

static void test_strerror(void **state)
{
    static const int codes[] = {NL_TEXT_EMPTY, NL_TEXT_TOOLONG, NL_TEXT_BADUTF8, NL_TEXT_CONTROL,
                                NL_TEXT_NOMEM};

    (void)state;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *s = nl_text_strerror(codes[i]);

        assert_non_null(s);
        assert_true(strlen(s) > 0);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(s, nl_text_strerror(codes[k]));
    }
    assert_non_null(strstr(nl_text_strerror(NL_TEXT_BADUTF8), "UTF-8"));
    assert_non_null(strstr(nl_text_strerror(NL_TEXT_CONTROL), "control"));
    assert_non_null(nl_text_strerror(12345));
}

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(nl_text_width(HA_NOI_NFC), 6);
    assert_int_equal(nl_text_width(HA_NOI_NFD), 6); /* combining marks are 0 */
    assert_int_equal(nl_text_width(HOAN_KIEM_NFC), 22);
    assert_int_equal(nl_text_width("abc"), 3);
    assert_int_equal(nl_text_width(""), 0);
    assert_int_equal(nl_text_width("\xe4\xb8\xad\xe6\x96\x87"), 4); /* two wide CJK */
    assert_int_equal(nl_text_width("a\xff\x62"), 3); /* an invalid byte is 1 column */
    assert_int_equal(nl_text_width("\xe1\xba"), 2);  /* a cut sequence: 1 per byte */
}

/* Multi-line text: each line to NFC, breaks kept, bounds on the whole, blank handling. */
static void test_nfc_lines(void **state)
{
    struct nl_arena a;
    char *out = NULL;
    /* "Quyết định" with the decomposed e-circumflex-acute, two lines, CRLF. */
    static const char in[] = "Quy\x65\xcc\x82\xcc\x81t \xc4\x91\xe1\xbb\x8bnh\r\nS\xe1\xbb\x91 12";
    static const char want[] = "Quy\xe1\xba\xbft \xc4\x91\xe1\xbb\x8bnh\r\nS\xe1\xbb\x91 12";

    (void)state;
    nl_arena_init(&a, 0);
    assert_int_equal(nl_text_nfc_lines(&a, in, strlen(in), 1, 100, 0, &out), NL_TEXT_OK);
    assert_string_equal(out, want);
    /* No break: the same as nl_text_nfc. */
    assert_int_equal(nl_text_nfc_lines(&a, "abc", 3, 1, 100, 0, &out), NL_TEXT_OK);
    assert_string_equal(out, "abc");
    /* The bound is on the whole result, breaks included. */
    assert_int_equal(nl_text_nfc_lines(&a, "ab\ncd", 5, 0, 4, 0, &out), NL_TEXT_TOOLONG);
    assert_int_equal(nl_text_nfc_lines(&a, "ab\ncd", 5, 0, 5, 0, &out), NL_TEXT_OK);
    /* Other control characters are still refused, in any line. */
    assert_int_equal(nl_text_nfc_lines(&a, "ab\ncd\t", 6, 0, 50, 0, &out), NL_TEXT_CONTROL);
    /* Breaks only: text, unless NL_TEXT_BLANK_IS_EMPTY. */
    assert_int_equal(nl_text_nfc_lines(&a, "\r\n", 2, 1, 50, 0, &out), NL_TEXT_OK);
    assert_int_equal(nl_text_nfc_lines(&a, "\r\n", 2, 0, 50, NL_TEXT_BLANK_IS_EMPTY, &out),
                     NL_TEXT_EMPTY);
    assert_int_equal(nl_text_nfc_lines(&a, "", 0, 1, 50, 0, &out), NL_TEXT_EMPTY);
    nl_arena_release(&a);
}

/* nl_text_fold(s) as a string; fails the test unless it is NL_TEXT_OK. The caller frees. */
static char *fold(const char *s)
{
    char sentinel[1] = {0};
    char *out = sentinel; /* any non-NULL value: the call must set it */
    size_t len = 99;

    assert_int_equal(nl_text_fold(s, strlen(s), &out, &len), NL_TEXT_OK);
    assert_non_null(out);
    assert_int_equal(len, strlen(out));
    return out;
}

static void expect_fold(const char *in, const char *want)
{
    char *out = fold(in);
    char *again = fold(out);

    assert_string_equal(out, want);
    assert_string_equal(again, out); /* folding folded text changes nothing */
    free(again);
    free(out);
}

/* Case folding + NFC: what a name search compares. */
static void test_fold(void **state)
{
    static const char thanh_tri[] = "thanh tr\xc3\xac";
    static const char hoan_kiem[] =
        "\xc4\x91\xe1\xba\xa3ng b\xe1\xbb\x99 qu\xe1\xba\xadn ho\xc3\xa0n ki\xe1\xba\xbfm";
    char sentinel[1] = {0}; /* *out must be reset from this on failure */
    char *out = NULL, *a, *b;
    size_t len = 99;

    (void)state;
    /* Composed, decomposed, upper case, upper decomposed: one folded form. */
    expect_fold(THANH_TRI_NFC, thanh_tri);
    expect_fold(THANH_TRI_NFD, thanh_tri);
    expect_fold("THANH TR\xc3\x8c", thanh_tri);  /* "THANH TRÌ" */
    expect_fold("THANH TRI\xcc\x80", thanh_tri); /* upper case, decomposed */
    expect_fold("thanh tri\xcc\x80", thanh_tri); /* lower case, decomposed */
    expect_fold("tHaNh Tr\xc3\xac", thanh_tri);
    /* "Đ" and "đ" are one letter to a search; so are the toned capitals. */
    expect_fold("\xc4\x90", "\xc4\x91");
    expect_fold("\xc4\x91", "\xc4\x91");
    expect_fold(HOAN_KIEM_NFC, hoan_kiem);
    expect_fold(HOAN_KIEM_NFD, hoan_kiem);
    expect_fold("\xc4\x90\xe1\xba\xa2NG B\xe1\xbb\x98 QU\xe1\xba\xacN HO\xc3\x80N KI\xe1\xba\xbeM",
                hoan_kiem); /* "ĐẢNG BỘ QUẬN HOÀN KIẾM" */
    expect_fold("plain ASCII 123", "plain ascii 123");
    expect_fold("", "");

    /* A decomposed upper-case part of a name is a substring of the folded name. */
    a = fold(HA_NOI_NFC);
    b = fold("NO\xcc\xa3\xcc\x82I"); /* "NỘI", decomposed */
    assert_non_null(strstr(a, b));
    free(b);
    /* Accents are not dropped: "tri" is not "trì". */
    b = fold("TRI");
    free(a);
    a = fold(THANH_TRI_NFC);
    assert_null(strstr(a, b));
    free(a);
    free(b);

    /* Only `len` bytes are read. */
    assert_int_equal(nl_text_fold("ABCDEF", 3, &out, &len), NL_TEXT_OK);
    assert_string_equal(out, "abc");
    assert_int_equal(len, 3);
    free(out);
    /* Controls are not the fold's business: validation is nl_text_nfc's. */
    expect_fold("A\tB", "a\tb");
    /* Invalid UTF-8 is refused with *out NULL. */
    out = sentinel;
    assert_int_equal(nl_text_fold("a\xff", 2, &out, &len), NL_TEXT_BADUTF8);
    assert_null(out);
    out = sentinel;
    assert_int_equal(nl_text_fold("\xe1\xba", 2, &out, &len), NL_TEXT_BADUTF8);
    assert_null(out);
}

/* nl_text_fold_bare(in) must be `want`. */
static void expect_bare(const char *in, const char *want)
{
    char *out = NULL;
    size_t len = 99;

    assert_int_equal(nl_text_fold_bare(in, strlen(in), &out, &len), NL_TEXT_OK);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    free(out);
}

/* Without accents: what a query typed without diacritics is compared with. */
static void test_fold_bare(void **state)
{
    char *out = NULL;
    size_t len = 0;

    (void)state;
    expect_bare(THANH_TRI_NFC, "thanh tri");
    expect_bare(THANH_TRI_NFD, "thanh tri");
    expect_bare("THANH TR\xc3\x8c", "thanh tri");
    expect_bare(HOAN_KIEM_NFC, "dang bo quan hoan kiem"); /* đ is d */
    expect_bare(HOAN_KIEM_NFD, "dang bo quan hoan kiem");
    expect_bare("\xc4\x90\xc3\x94NG", "dong"); /* "ĐÔNG" */
    expect_bare("plain ASCII 123", "plain ascii 123");
    expect_bare("", "");
    /* A query without accents folds the same both ways; one with accents does not. */
    char *a = NULL, *b = NULL;
    size_t la, lb;
    assert_int_equal(nl_text_fold("Tay Ho", 6, &a, &la), NL_TEXT_OK);
    assert_int_equal(nl_text_fold_bare("Tay Ho", 6, &b, &lb), NL_TEXT_OK);
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(nl_text_fold_bare("a\xff", 2, &out, &len), NL_TEXT_BADUTF8);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nfc_composes), cmocka_unit_test(test_nfc_composed_unchanged),
        cmocka_unit_test(test_nfc_bad_utf8), cmocka_unit_test(test_nfc_control),
        cmocka_unit_test(test_nfc_lengths),  cmocka_unit_test(test_nfc_nomem),
        cmocka_unit_test(test_strerror),     cmocka_unit_test(test_width),
        cmocka_unit_test(test_nfc_lines),    cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_bare),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
