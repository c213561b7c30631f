/*
 * tls.h - the CLI's side of TLS: an OpenSSL 3 client context (TLS >= 1.2,
 * ALPN "h2", peer verification) and a per-connection memory-BIO adapter
 * that rpc_client.c puts between nghttp2 and the socket (PROTOCOL.md §5).
 *
 * No sockets and no libuv here: ciphertext from the socket goes in with
 * nl_ctls_feed(); ciphertext to send comes out into a struct nl_buf that the
 * caller writes. Every call that can make OpenSSL produce output (handshake,
 * read, write) drains it into that buffer before returning, so nothing is
 * ever left behind in the write BIO (TLS 1.3 tickets, KeyUpdate, alerts).
 */
#ifndef NL_CTLS_H
#define NL_CTLS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Size that always holds a whole error message of this module. */
#define NL_CTLS_ERR_MAX 256

/* What to trust and what to present. Every field is borrowed. */
struct nl_ctls_config {
    const char *ca_file;   /* PEM CA certificates; NULL: the system store */
    const char *cert_file; /* PEM client certificate chain; NULL: none */
    const char *key_file;  /* PEM private key of cert_file; with cert_file */
};

struct nl_ctls_ctx; /* one per client: the SSL_CTX */
struct nl_ctls;     /* one per connection: SSL with memory BIOs */

/*
 * Builds a client context from `cfg`: TLS 1.2 minimum, no renegotiation or
 * compression, ALPN "h2", peer verification against cfg->ca_file (or the
 * system's default store), and the client certificate and key when given
 * (checked to match). Reads the files now. Returns the context (free with
 * nl_ctls_ctx_free), or NULL with a one-line reason naming the file in err
 * (errlen bytes).
 */
struct nl_ctls_ctx *nl_ctls_ctx_new(const struct nl_ctls_config *cfg, char *err, size_t errlen);

/* Frees the context. Connections made from it hold their own reference. NULL is a no-op. */
void nl_ctls_ctx_free(struct nl_ctls_ctx *ctx);

/*
 * Starts a client connection to `host` (a DNS name or an IP address, no
 * brackets): SNI for a DNS name, and the certificate must name `host` (DNS
 * subjectAltName for a name, IP subjectAltName for an address). Nothing is
 * produced yet: call nl_ctls_handshake(). Returns NULL when out of memory or
 * when OpenSSL refuses the host name.
 */
struct nl_ctls *nl_ctls_new(struct nl_ctls_ctx *ctx, const char *host);

/*
 * 1 when the server asked for a client certificate during the handshake and
 * none was configured (we went on without one), else 0. A TLS 1.3 server that
 * requires one then closes the connection after the handshake, often
 * without an alert: this tells that apart from a server that went away.
 */
int nl_ctls_cert_requested(const struct nl_ctls *t);

/* Frees the connection state (no close_notify is produced). NULL is a no-op. */
void nl_ctls_free(struct nl_ctls *t);

/* Results of nl_ctls_handshake() and nl_ctls_read(). */
enum nl_ctls_result {
    NL_CTLS_DONE = 0,   /* handshake complete and ALPN "h2" agreed */
    NL_CTLS_AGAIN = 1,  /* needs more input from the peer */
    NL_CTLS_FATAL = -1, /* a TLS failure that another attempt would repeat
                           (certificate, alert, protocol): err says why */
    NL_CTLS_LOST = -2,  /* the peer closed the TLS session or the stream
                           ended mid-record: err says so; worth a retry */
};

/*
 * Appends `n` bytes received from the socket (borrowed) to the TLS input.
 * Returns 0, or -1 when out of memory.
 */
int nl_ctls_feed(struct nl_ctls *t, const uint8_t *data, size_t n);

/*
 * Advances the handshake with what was fed, appending whatever must be sent
 * to `out`. Returns NL_CTLS_DONE once the handshake is complete, the peer's
 * certificate verified and "h2" selected by ALPN; NL_CTLS_AGAIN while more
 * input is needed; NL_CTLS_FATAL with a reason in err (errlen bytes): a
 * certificate that does not verify ("cannot verify the certificate of
 * <who>: <reason>"), no ALPN h2, an alert or a protocol error; NL_CTLS_LOST
 * when out of memory for `out`. `who` names the server in messages.
 */
enum nl_ctls_result nl_ctls_handshake(struct nl_ctls *t, struct nl_buf *out, const char *who,
                                      char *err, size_t errlen);

/*
 * After the handshake: decrypts what was fed into buf (len bytes). Returns
 * the number of plaintext bytes (> 0), 0 when no whole record is available
 * (NL_CTLS_AGAIN: feed more), or NL_CTLS_FATAL / NL_CTLS_LOST (the peer's
 * close_notify or a stream that ended mid-record) as a negative value with a
 * reason in err. Anything OpenSSL must send in reply is appended to `out`.
 */
long nl_ctls_read(struct nl_ctls *t, uint8_t *buf, size_t len, struct nl_buf *out, const char *who,
                  char *err, size_t errlen);

/*
 * Encrypts `n` plaintext bytes (borrowed, n > 0) and appends the records to
 * `out`. Returns 0, or -1 with a reason in err (a TLS error, or `out` full).
 */
int nl_ctls_write(struct nl_ctls *t, const uint8_t *data, size_t n, struct nl_buf *out, char *err,
                  size_t errlen);

#endif
