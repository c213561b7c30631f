/*
 * tls.h - nhanlucd's TLS: OpenSSL 3 through memory BIOs, no socket I/O.
 *
 * The caller (conn.c) owns the socket. Ciphertext read from it is handed in
 * with nl_tls_put(); every function that can make OpenSSL produce bytes for
 * the peer (handshake records, alerts, sealed application data) appends them
 * to the caller's output buffer before returning, so the network BIO is
 * always empty between calls and output order is preserved.
 *
 * Policy (PROTOCOL.md 5): TLS 1.2 or later; ALPN "h2" only (a client that
 * offers ALPN without h2 fails the handshake with no_application_protocol;
 * one that offers no ALPN completes it and nl_tls_alpn_h2() says 0: the
 * caller closes); no renegotiation (refused, and an attempt is reported as
 * an error so the caller closes); no session resumption (tickets and the
 * session cache are off: every connection makes a full handshake, so a
 * client certificate is verified on each one and there are no ticket keys
 * to rotate). With cfg->tls_client_ca a client certificate signed by one of
 * those CAs is required and verified (chain, dates, purpose sslclient).
 *
 * Loop thread only (the OpenSSL error queue is per thread).
 */
#ifndef NL_TLS_H
#define NL_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/buf.h"
#include "config.h"

struct nl_tls_ctx; /* one per server: the SSL_CTX */
struct nl_tls;     /* one per connection: the SSL and its two memory BIOs */

/* nl_tls_handshake() results. */
#define NL_TLS_AGAIN 0    /* needs more input from the peer */
#define NL_TLS_DONE  1    /* handshake complete */
#define NL_TLS_ERROR (-1) /* failed; send what was appended to out, then close */

/*
 * Builds the server context from cfg->tls_cert, tls_key and tls_client_ca
 * (the last optional), loading and checking every file now: a file that
 * cannot be read or parsed, or a key that does not belong to the
 * certificate, fails with a one-line reason naming the file (never any key
 * material). Logs one info line describing what it serves. Returns 0 and
 * sets *out (caller frees with nl_tls_ctx_free), or -1 after writing the
 * reason to err.
 */
int nl_tls_ctx_new(const struct nl_config *cfg, struct nl_tls_ctx **out, char *err, size_t errlen);

/* Frees the context (connections hold their own references). NULL is a no-op. */
void nl_tls_ctx_free(struct nl_tls_ctx *ctx);

/* A new server-side TLS connection of `ctx`, or NULL when out of memory. */
struct nl_tls *nl_tls_new(struct nl_tls_ctx *ctx);

/* Frees the connection's SSL and BIOs. NULL is a no-op. */
void nl_tls_free(struct nl_tls *t);

/* Queues `len` bytes of ciphertext from the peer (copied). 0, or -1 when out of memory. */
int nl_tls_put(struct nl_tls *t, const uint8_t *p, size_t len);

/*
 * Advances the handshake with the queued input, appending what must be sent
 * to `out`. Returns NL_TLS_AGAIN, NL_TLS_DONE or NL_TLS_ERROR (the reason,
 * one line, in why). After NL_TLS_DONE the input may hold application data:
 * read it with nl_tls_read().
 */
int nl_tls_handshake(struct nl_tls *t, struct nl_buf *out, char *why, size_t whylen);

/*
 * Decrypts queued input into buf (cap bytes; 16 KiB holds any record).
 * Appends any bytes OpenSSL must send (alerts, key updates) to `out`.
 * Returns the number of plaintext bytes (> 0), 0 when more input is needed,
 * or -1 when the connection must close: an error, a renegotiation attempt,
 * or the peer's close_notify (*clean set to 1 in that case only); the reason
 * is in why.
 */
ssize_t nl_tls_read(struct nl_tls *t, uint8_t *buf, size_t cap, struct nl_buf *out, int *clean,
                    char *why, size_t whylen);

/*
 * Encrypts `len` bytes (len > 0) and appends the records to `out`. Returns 0,
 * or -1 (reason in why): out of memory, `out` over its cap, or the
 * connection already failed.
 */
int nl_tls_write(struct nl_tls *t, const uint8_t *p, size_t len, struct nl_buf *out, char *why,
                 size_t whylen);

/*
 * Appends a close_notify alert to `out`, once, if the handshake completed
 * and nothing failed; otherwise does nothing.
 */
void nl_tls_shutdown(struct nl_tls *t, struct nl_buf *out);

/* 1 when the completed handshake selected ALPN "h2", else 0. */
int nl_tls_alpn_h2(const struct nl_tls *t);

/*
 * The verified client certificate of a completed handshake: its SHA-256
 * over the DER in lower-case hex (fp, at least 65 bytes) and the UNIT of its
 * one subjectAltName URI urn:nhanluc:unit:UNIT (unit, at least 65 bytes;
 * UNIT is 1-64 of [a-z0-9-]). Both "" without a verified certificate; unit
 * "" when the certificate names no unit, a malformed one, or two different
 * ones.
 */
void nl_tls_peer_cert(const struct nl_tls *t, char *fp, size_t fplen, char *unit, size_t unitlen);

/* "TLSv1.3 TLS_AES_128_GCM_SHA256" of a completed handshake, for logs. */
void nl_tls_describe(const struct nl_tls *t, char *s, size_t len);

#endif
