/*
 * buf.c - growable byte buffer with a hard cap on its length.
 *
 * Invariants: len <= max always; len <= cap; data is NULL exactly when cap is
 * 0. Every failing operation leaves len and the bytes below len unchanged, so
 * a caller can report E2BIG and keep using what it had. The allocation may be
 * one byte larger than max so that nl_buf_appendf() has room for the NUL that
 * vsnprintf() writes; that byte never counts in len.
 */
#include "buf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_ALLOC 64

void nl_buf_init(struct nl_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void nl_buf_release(struct nl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/*
 * Makes cap >= need (need may be max + 1 for a terminating NUL). Grows
 * geometrically but never allocates more than max + 1 unless need asks for it.
 */
static int buf_grow(struct nl_buf *b, size_t need)
{
    size_t limit = b->max < SIZE_MAX ? b->max + 1 : SIZE_MAX;
    size_t ncap;
    uint8_t *p;

    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : BUF_MIN_ALLOC;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    if (ncap > limit)
        ncap = limit;
    if (ncap < need)
        ncap = need;
    p = realloc(b->data, ncap);
    if (p == NULL)
        return NL_BUF_ENOMEM;
    b->data = p;
    b->cap = ncap;
    return 0;
}

int nl_buf_reserve(struct nl_buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        return NL_BUF_E2BIG;
    if (extra == 0)
        return 0;
    return buf_grow(b, b->len + extra);
}

int nl_buf_append(struct nl_buf *b, const void *p, size_t n)
{
    int rc;

    if (n == 0)
        return 0;
    rc = nl_buf_reserve(b, n);
    if (rc != 0)
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int nl_buf_append_str(struct nl_buf *b, const char *s)
{
    return nl_buf_append(b, s, strlen(s));
}

/*
 * Formats straight into the free space when it fits; otherwise measures,
 * grows and formats again. An encoding error from vsnprintf() is reported as
 * NL_BUF_ENOMEM, the only other failure the contract knows.
 */
int nl_buf_appendf(struct nl_buf *b, const char *fmt, ...)
{
    va_list ap;
    size_t room = b->cap - b->len;
    size_t n;
    int r;
    int rc;

    va_start(ap, fmt);
    r = vsnprintf(room ? (char *)b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (r < 0)
        return NL_BUF_ENOMEM;
    n = (size_t)r;
    if (n > b->max - b->len)
        return NL_BUF_E2BIG;
    if (n < room) {
        b->len += n;
        return 0;
    }
    rc = buf_grow(b, b->len + n + 1);
    if (rc != 0)
        return rc;
    va_start(ap, fmt);
    r = vsnprintf((char *)b->data + b->len, n + 1, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r != n)
        return NL_BUF_ENOMEM;
    b->len += n;
    return 0;
}

void nl_buf_consume(struct nl_buf *b, size_t n)
{
    assert(n <= b->len);
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

uint8_t *nl_buf_take(struct nl_buf *b, size_t *len)
{
    uint8_t *p = b->data;

    *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

/* ProtobufCBuffer.append: records the first failure and ignores the rest. */
static void pbuf_append(ProtobufCBuffer *base, size_t len, const uint8_t *data)
{
    struct nl_pbuf *pb = (struct nl_pbuf *)base;
    int rc;

    if (pb->err != 0)
        return;
    rc = nl_buf_append(pb->buf, data, len);
    if (rc != 0)
        pb->err = rc;
}

void nl_pbuf_init(struct nl_pbuf *pb, struct nl_buf *buf)
{
    pb->base.append = pbuf_append;
    pb->buf = buf;
    pb->err = 0;
}
