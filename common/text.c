/*
 * text.c - validation and NFC normalisation of text fields (libutf8proc).
 *
 * nl_text_nfc() first walks the input with utf8proc_iterate(), which rejects
 * malformed, overlong and surrogate sequences, and refuses C0 controls, DEL
 * and C1 controls; nothing else is special (line breaks are controls too).
 * Only then does utf8proc_map() compose to NFC, and the length bounds are
 * checked on its output, which is copied into the caller's arena.
 *
 * nl_text_fold() maps text to its case-folded NFC for caseless matching
 * (name search), nl_text_fold_bare() to the same without accents; their
 * results are malloc'd so that SQLite can own them.
 */
#include "text.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <utf8proc.h>

/* C0 controls, DEL and the C1 controls U+0080..U+009F. */
static int is_control(utf8proc_int32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Returns NL_TEXT_OK, NL_TEXT_BADUTF8 or NL_TEXT_CONTROL for the first problem found. */
static int text_check(const uint8_t *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);

        if (n <= 0)
            return NL_TEXT_BADUTF8;
        if (is_control(cp))
            return NL_TEXT_CONTROL;
        i += (size_t)n;
    }
    return NL_TEXT_OK;
}

int nl_text_nfc(struct nl_arena *a, const char *s, size_t len, size_t min_len, size_t max_len,
                char **out)
{
    const uint8_t *in = (const uint8_t *)s;
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t r;
    size_t nlen;
    int rc;

    *out = NULL;
    if (len > (size_t)(SSIZE_MAX / 8))
        return NL_TEXT_TOOLONG;
    rc = text_check(in, len);
    if (rc != NL_TEXT_OK)
        return rc;
    /*
     * NFC never shrinks text below a third of its bytes (U+212A KELVIN SIGN
     * becomes 'K', a Hangul L+V+T sequence one syllable), so an input over
     * 4 * max_len is too long without paying for the normalisation.
     */
    if (max_len < SIZE_MAX / 4 && len > 4 * max_len)
        return NL_TEXT_TOOLONG;

    if (len > 0) {
        r = utf8proc_map(in, (utf8proc_ssize_t)len, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (r < 0) {
            free(nfc);
            if (r == UTF8PROC_ERROR_NOMEM)
                return NL_TEXT_NOMEM;
            if (r == UTF8PROC_ERROR_OVERFLOW)
                return NL_TEXT_TOOLONG;
            return NL_TEXT_BADUTF8;
        }
        nlen = (size_t)r;
    } else {
        nlen = 0;
    }

    if (nlen < min_len) {
        rc = NL_TEXT_EMPTY;
        goto out;
    }
    if (nlen > max_len) {
        rc = NL_TEXT_TOOLONG;
        goto out;
    }
    *out = nl_arena_strndup(a, nlen > 0 ? (const char *)nfc : "", nlen);
    rc = *out != NULL ? NL_TEXT_OK : NL_TEXT_NOMEM;
out:
    free(nfc);
    return rc;
}

/* utf8proc_map of s with `opts` into *out (malloc'd) and *outlen; an nl_text_rc. */
static int fold_map(const char *s, size_t len, int opts, char **out, size_t *outlen)
{
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t r;

    *out = NULL;
    *outlen = 0;
    if (len == 0) {
        *out = calloc(1, 1);
        return *out != NULL ? NL_TEXT_OK : NL_TEXT_NOMEM;
    }
    if (len > (size_t)(SSIZE_MAX / 8))
        return NL_TEXT_TOOLONG;
    r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &folded,
                     (utf8proc_option_t)opts);
    if (r < 0) {
        free(folded);
        if (r == UTF8PROC_ERROR_NOMEM)
            return NL_TEXT_NOMEM;
        if (r == UTF8PROC_ERROR_OVERFLOW)
            return NL_TEXT_TOOLONG;
        return NL_TEXT_BADUTF8;
    }
    *out = (char *)folded;
    *outlen = (size_t)r;
    return NL_TEXT_OK;
}

int nl_text_fold(const char *s, size_t len, char **out, size_t *outlen)
{
    return fold_map(s, len, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD, out, outlen);
}

int nl_text_fold_bare(const char *s, size_t len, char **out, size_t *outlen)
{
    int rc = fold_map(s, len,
                      UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK,
                      out, outlen);
    size_t w = 0;

    if (rc != NL_TEXT_OK)
        return rc;
    /* đ (C4 91) has no decomposition: it is the letter d with a stroke. */
    for (size_t r = 0; r < *outlen; r++) {
        if ((unsigned char)(*out)[r] == 0xC4 && r + 1 < *outlen &&
            (unsigned char)(*out)[r + 1] == 0x91) {
            (*out)[w++] = 'd';
            r++;
        } else {
            (*out)[w++] = (*out)[r];
        }
    }
    (*out)[w] = '\0';
    *outlen = w;
    return NL_TEXT_OK;
}

const char *nl_text_strerror(int rc)
{
    switch (rc) {
    case NL_TEXT_OK:
        return "is valid";
    case NL_TEXT_EMPTY:
        return "is empty or too short";
    case NL_TEXT_TOOLONG:
        return "is too long";
    case NL_TEXT_BADUTF8:
        return "is not valid UTF-8";
    case NL_TEXT_CONTROL:
        return "contains a control character";
    case NL_TEXT_NOMEM:
        return "could not be stored: out of memory";
    default:
        return "is not valid text";
    }
}

size_t nl_text_width(const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t len = strlen(s);
    size_t i = 0;
    size_t width = 0;

    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);

        if (n <= 0) {
            width += 1;
            i += 1;
            continue;
        }
        int w = utf8proc_charwidth(cp);

        if (w > 0)
            width += (size_t)w;
        i += (size_t)n;
    }
    return width;
}

int nl_text_nfc_lines(struct nl_arena *a, const char *s, size_t len, size_t min_len, size_t max_len,
                      unsigned flags, char **out)
{
    size_t used = 0, i = 0;
    char *buf;

    if (memchr(s, '\n', len) == NULL && memchr(s, '\r', len) == NULL)
        return nl_text_nfc(a, s, len, min_len, max_len, out);
    /* The result never grows past max_len: every copy below is checked first. */
    if (max_len == SIZE_MAX)
        return NL_TEXT_TOOLONG;
    buf = nl_arena_alloc(a, max_len + 1);
    if (buf == NULL)
        return NL_TEXT_NOMEM;
    while (i < len) {
        size_t seg = 0;

        while (i + seg < len && s[i + seg] != '\r' && s[i + seg] != '\n')
            seg++;
        if (seg > 0) {
            char *line = NULL;
            int rc = nl_text_nfc(a, s + i, seg, 0, max_len, &line);
            size_t ll;

            if (rc != NL_TEXT_OK)
                return rc;
            ll = strlen(line);
            if (used + ll > max_len)
                return NL_TEXT_TOOLONG;
            memcpy(buf + used, line, ll);
            used += ll;
            i += seg;
        }
        while (i < len && (s[i] == '\r' || s[i] == '\n')) {
            if (used + 1 > max_len)
                return NL_TEXT_TOOLONG;
            buf[used++] = s[i++];
        }
    }
    buf[used] = '\0';
    if (used < min_len || ((flags & NL_TEXT_BLANK_IS_EMPTY) && strspn(buf, "\r\n") == used))
        return NL_TEXT_EMPTY;
    *out = buf;
    return NL_TEXT_OK;
}
