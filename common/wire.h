/*
 * wire.h - the pure gRPC-over-HTTP/2 codecs shared by server and client.
 *
 * Length-prefixed message framing (encoder and incremental decoder),
 * grpc-timeout parsing and formatting, grpc-message percent encoding and the
 * base64 used by "-bin" metadata. No I/O, no allocation beyond what each
 * function's contract states; every function here is unit-tested and fuzzed.
 */
#ifndef NL_WIRE_H
#define NL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define NL_WIRE_PREFIX_LEN  5
#define NL_WIRE_MAX_MESSAGE (4u * 1024u * 1024u) /* default cap, both directions */

/* Writes the 5-byte prefix: flag byte (0 or 1) then big-endian length. */
void nl_wire_prefix_encode(uint8_t out[NL_WIRE_PREFIX_LEN], int compressed, uint32_t len);

/*
 * Incremental Length-Prefixed-Message decoder. DATA frame boundaries have no
 * relation to message boundaries: feed whatever arrives, in any split.
 */
struct nl_framer {
    size_t max; /* largest message accepted */
    uint8_t hdr[NL_WIRE_PREFIX_LEN];
    size_t hdr_len;      /* prefix bytes collected so far */
    uint8_t flag;        /* compressed flag of the current message */
    uint32_t msg_len;    /* length of the current message */
    uint8_t *msg;        /* owned; the current message body */
    size_t msg_got;      /* body bytes collected */
    int ready;           /* 1: a whole message waits for nl_framer_take() */
    unsigned long nmsgs; /* complete messages seen so far */
};

/* Return codes of nl_framer_feed(). */
enum nl_framer_rc {
    NL_FRAMER_MORE = 0,    /* all input consumed, no complete message yet */
    NL_FRAMER_MSG = 1,     /* a message is complete: take it before feeding again */
    NL_FRAMER_TOOBIG = -1, /* prefix announced more than `max`; nothing allocated */
    NL_FRAMER_NOMEM = -2,  /* could not allocate the announced length */
};

/* Initialises a decoder accepting messages of at most `max` bytes. */
void nl_framer_init(struct nl_framer *f, size_t max);

/* Frees a partially received message, if any. */
void nl_framer_release(struct nl_framer *f);

/*
 * Consumes bytes from `p` until a message completes or the input ends.
 * *consumed receives how many bytes were used (the rest must be fed again
 * after nl_framer_take()). The length check happens as soon as the prefix is
 * complete, before any allocation; exactly `length` bytes are allocated.
 * After TOOBIG or NOMEM the framer is unusable until nl_framer_release() +
 * nl_framer_init(). Feeding while a message is ready returns NL_FRAMER_MSG
 * and consumes nothing.
 */
int nl_framer_feed(struct nl_framer *f, const uint8_t *p, size_t len, size_t *consumed);

/*
 * Takes the completed message: returns its bytes (caller owns; free()) and
 * sets *len and *compressed. A zero-length message returns a non-NULL
 * 1-byte allocation with *len = 0 so that "a message" and "no message" stay
 * distinct. Returns NULL if no message is ready.
 */
uint8_t *nl_framer_take(struct nl_framer *f, size_t *len, int *compressed);

/* Returns 1 if a prefix or body is partially received (malformed at END_STREAM). */
int nl_framer_partial(const struct nl_framer *f);

/*
 * Parses a grpc-timeout value: 1-8 ASCII digits then exactly one unit byte
 * of H M S m u n, nothing else. On success stores the timeout in
 * milliseconds, rounded up (1n -> 1 ms, 0n -> 0 ms) and saturating at
 * UINT64_MAX, and returns 0. Returns -1 for anything malformed (empty, 9+
 * digits, sign, space, bad unit, trailing bytes).
 */
int nl_wire_timeout_parse(const char *s, size_t len, uint64_t *out_ms);

/*
 * Formats a timeout for the grpc-timeout header: "<ms>m" while it fits in 8
 * digits, else "<s>S" (rounded up), else "<min>M", else "99999999H".
 * `out` must hold 16 bytes; returns the length written (NUL-terminated).
 */
size_t nl_wire_timeout_format(uint64_t ms, char out[16]);

/*
 * grpc-message encoding: bytes 0x20-0x7E pass unchanged except '%'; every
 * other byte becomes "%XX" (upper-case hex). Appends to `out`. Returns 0 or
 * an NL_BUF_E* code.
 */
int nl_wire_pct_encode(struct nl_buf *out, const char *s, size_t len);

/*
 * Decodes percent-encoding; never fails on bad input: a '%' not followed by
 * two hex digits passes through literally. Appends to `out`. Returns 0 or an
 * NL_BUF_E* code.
 */
int nl_wire_pct_decode(struct nl_buf *out, const char *s, size_t len);

/* Appends standard base64 of `len` bytes, without padding. 0 or NL_BUF_E*. */
int nl_wire_b64_encode(struct nl_buf *out, const uint8_t *p, size_t len);

/*
 * Decodes standard base64, padded or unpadded, appending the bytes to `out`.
 * Returns 0, -1 for invalid input (out may hold a partial result: callers
 * discard it) or an NL_BUF_E* code.
 */
int nl_wire_b64_decode(struct nl_buf *out, const char *s, size_t len);

/*
 * Returns 1 if `ct` (length len) is a gRPC content-type: exactly
 * "application/grpc" or that followed by '+' or ';' and anything. Else 0.
 */
int nl_wire_is_grpc_content_type(const char *ct, size_t len);

#endif
