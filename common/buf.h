/*
 * buf.h - growable byte buffer with a hard size cap (curl's dynbuf idea).
 *
 * A struct nl_buf is transparent: it lives on the stack or inside another
 * struct. nl_buf_init() allocates nothing; the buffer owns `data` from the
 * first append until nl_buf_release() or nl_buf_take().
 */
#ifndef NL_BUF_H
#define NL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Negative codes returned by nl_buf_* functions. */
#define NL_BUF_ENOMEM (-1) /* allocation failed; buffer unchanged */
#define NL_BUF_E2BIG  (-2) /* the result would exceed the cap; buffer unchanged */

struct nl_buf {
    uint8_t *data; /* owned; NULL until the first reserve */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
    size_t max;    /* hard cap on len; never exceeded */
};

/* Initialises an empty buffer whose length may never exceed `max` bytes. */
void nl_buf_init(struct nl_buf *b, size_t max);

/* Frees the contents; the buffer is left empty and reusable (same cap). */
void nl_buf_release(struct nl_buf *b);

/*
 * Makes room for `extra` more bytes after len. Returns 0, NL_BUF_ENOMEM or
 * NL_BUF_E2BIG. Growth is geometric.
 */
int nl_buf_reserve(struct nl_buf *b, size_t extra);

/* Appends `n` bytes (borrowed). Returns 0, NL_BUF_ENOMEM or NL_BUF_E2BIG. */
int nl_buf_append(struct nl_buf *b, const void *p, size_t n);

/* Appends a NUL-terminated string without its NUL. Same returns as append. */
int nl_buf_append_str(struct nl_buf *b, const char *s);

/* printf-style append; the result is not NUL-terminated in len. Same returns. */
int nl_buf_appendf(struct nl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drops the first `n` bytes (n <= len), moving the rest to the front. */
void nl_buf_consume(struct nl_buf *b, size_t n);

/*
 * Transfers ownership of the bytes to the caller (free() them) and leaves the
 * buffer empty. *len receives the length. Returns NULL when nothing was ever
 * allocated (len 0).
 */
uint8_t *nl_buf_take(struct nl_buf *b, size_t *len);

/*
 * A ProtobufCBuffer that appends to an nl_buf, for
 * protobuf_c_message_pack_to_buffer(). After packing, check `err`: 0 or the
 * first NL_BUF_E* that occurred (the packed bytes are then incomplete).
 */
struct nl_pbuf {
    ProtobufCBuffer base;
    struct nl_buf *buf; /* borrowed */
    int err;
};

/* Initialises `pb` to append into `buf` (borrowed; must outlive pb). */
void nl_pbuf_init(struct nl_pbuf *pb, struct nl_buf *buf);

#endif
