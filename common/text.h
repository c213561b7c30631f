/*
 * text.h - validation and Unicode normalisation of text fields.
 *
 * Vietnamese arrives composed or decomposed depending on the input method;
 * nhanluc stores and compares NFC (libutf8proc does the normalisation).
 */
#ifndef NL_TEXT_H
#define NL_TEXT_H

#include <stddef.h>

#include "arena.h"

/* Return codes of nl_text_nfc(). */
enum nl_text_rc {
    NL_TEXT_OK = 0,
    NL_TEXT_EMPTY = -1,   /* empty while min_len > 0 */
    NL_TEXT_TOOLONG = -2, /* NFC result longer than max_len bytes */
    NL_TEXT_BADUTF8 = -3, /* not valid UTF-8 */
    NL_TEXT_CONTROL = -4, /* contains a control character (C0, DEL, C1) */
    NL_TEXT_NOMEM = -5,
};

/*
 * Validates `s` (len bytes, need not be NUL-terminated) as UTF-8 without
 * control characters, normalises it to NFC and copies the result into the
 * arena (*out, NUL-terminated, owned by the arena). Length bounds apply to
 * the NFC bytes: min_len..max_len. Returns an nl_text_rc.
 */
int nl_text_nfc(struct nl_arena *a, const char *s, size_t len, size_t min_len, size_t max_len,
                char **out);

/* Flags of nl_text_nfc_lines(). */
enum nl_text_lines_flags {
    NL_TEXT_BLANK_IS_EMPTY = 1 << 0, /* text of line breaks only is NL_TEXT_EMPTY */
};

/*
 * Like nl_text_nfc() for text that may hold line breaks (a title, a legal
 * basis, a reason): each line between CR and LF bytes is validated and
 * normalised to NFC, the breaks are kept as sent. min_len and max_len bound
 * the whole result in bytes; with NL_TEXT_BLANK_IS_EMPTY a result of line
 * breaks only is NL_TEXT_EMPTY. *out is NUL-terminated in the arena.
 * Returns an nl_text_rc.
 */
int nl_text_nfc_lines(struct nl_arena *a, const char *s, size_t len, size_t min_len, size_t max_len,
                      unsigned flags, char **out);

/*
 * Folds `s` (len bytes, need not be NUL-terminated) for caseless matching:
 * Unicode case folding, then NFC (utf8proc: CASEFOLD | COMPOSE | STABLE).
 * Two texts that differ only in composed/decomposed form or in letter case
 * ("Thanh Trì", "THANH TRI" + U+0300, "Đ"/"đ") fold to the same bytes, so a
 * folded query is a substring of a folded name when the name contains it.
 * Accents are kept: "tri" does not match "trì" (nl_text_fold_bare drops them). Controls are not
 * refused (validate with nl_text_nfc() first where that matters). On NL_TEXT_OK *out is a
 * NUL-terminated malloc'd string the caller frees with free(), and *outlen its length in bytes;
 * otherwise *out is NULL. Returns NL_TEXT_OK, NL_TEXT_BADUTF8, NL_TEXT_TOOLONG (input too large to
 * map) or NL_TEXT_NOMEM.
 */
int nl_text_fold(const char *s, size_t len, char **out, size_t *outlen);

/*
 * nl_text_fold() without the accents: case folding, canonical decomposition
 * with every combining mark stripped, and đ (U+0111, the fold of Đ) read as
 * d, so "Thanh Trì", "THANH TRI" and "thanh tri" all give "thanh tri". For
 * a query typed without accents (its bare fold equals its fold): it then
 * matches a name whatever the name's accents. Same ownership and returns as
 * nl_text_fold().
 */
int nl_text_fold_bare(const char *s, size_t len, char **out, size_t *outlen);

/* A short English reason for an nl_text_rc ("is not valid UTF-8"), static. */
const char *nl_text_strerror(int rc);

/*
 * Display width in terminal columns of a UTF-8 string (combining marks 0,
 * wide CJK 2); invalid bytes count 1. For table output.
 */
size_t nl_text_width(const char *s);

#endif
