/*
 * tls.c - TLS for the CLI through OpenSSL 3 memory BIOs (PROTOCOL.md §5,
 * client side).
 *
 * One SSL_CTX per rpc client (TLS_client_method, TLS 1.2 minimum, ALPN
 * "h2", SSL_VERIFY_PEER against the given CA file or the system store, the
 * optional client certificate); one SSL per connection in connect state,
 * with a memory rbio fed from the socket and a memory wbio drained into the
 * caller's output buffer after every SSL call. The peer's name is checked
 * by OpenSSL during the handshake (SSL_set1_host for DNS names,
 * X509_VERIFY_PARAM_set1_ip_asc for addresses), so a certificate for another
 * host fails the handshake exactly like one from an unknown CA.
 *
 * Failures are sorted for the retry logic: anything the peer or its
 * certificate decided (verification, alerts, protocol errors, no ALPN h2)
 * is NL_CTLS_FATAL and would only repeat; a session the peer closed is
 * NL_CTLS_LOST. Messages name the server and OpenSSL's reason; they never
 * hold key material.
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct nl_ctls_ctx {
    SSL_CTX *ssl_ctx; /* owned (one reference) */
};

struct nl_ctls {
    SSL *ssl;  /* owned; owns rbio and wbio */
    BIO *rbio; /* borrowed from ssl: ciphertext in */
    BIO *wbio; /* borrowed from ssl: ciphertext out */
    char host[256];
    int is_ip;
    int cert_requested; /* the server asked for a client certificate we do not have */
};

static const unsigned char ALPN_H2[] = {2, 'h', '2'};

/* OpenSSL's reason for the oldest queued error, or `dflt`; clears the queue. */
static const char *ssl_reason(char *buf, size_t len, const char *dflt)
{
    unsigned long e = ERR_get_error();
    const char *r;

    if (e == 0) {
        snprintf(buf, len, "%s", dflt);
    } else {
        r = ERR_reason_error_string(e);
        if (r != NULL)
            snprintf(buf, len, "%s", r);
        else
            ERR_error_string_n(e, buf, len);
    }
    ERR_clear_error();
    return buf;
}

/* Fails with "<what> 'file': <strerror>" when `path` cannot be opened for reading. */
static int check_readable(const char *what, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        snprintf(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

/*
 * Called by OpenSSL when the server asks for a client certificate and none is
 * configured: remember it (for the message when the server then hangs up) and
 * go on without one.
 */
static int on_cert_request(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    struct nl_ctls *t = SSL_get_app_data(ssl);

    (void)x509;
    (void)pkey;
    if (t != NULL)
        t->cert_requested = 1;
    return 0;
}

struct nl_ctls_ctx *nl_ctls_ctx_new(const struct nl_ctls_config *cfg, char *err, size_t errlen)
{
    struct nl_ctls_ctx *c = calloc(1, sizeof(*c));
    char why[NL_CTLS_ERR_MAX];
    SSL_CTX *ctx;

    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        snprintf(err, errlen, "cannot set up TLS: %s", ssl_reason(why, sizeof(why), "?"));
        free(c);
        return NULL;
    }
    c->ssl_ctx = ctx;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        snprintf(err, errlen, "cannot set up TLS: %s", ssl_reason(why, sizeof(why), "?"));
        goto fail;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* A full write per SSL_write: the memory wbio always takes everything. */
    SSL_CTX_clear_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
    /* Note the reversed convention: 0 is success. */
    if (SSL_CTX_set_alpn_protos(ctx, ALPN_H2, sizeof(ALPN_H2)) != 0) {
        snprintf(err, errlen, "cannot set up TLS ALPN: %s", ssl_reason(why, sizeof(why), "?"));
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_client_cert_cb(ctx, on_cert_request);
    if (cfg->ca_file != NULL) {
        if (check_readable("the CA file", cfg->ca_file, err, errlen) != 0)
            goto fail;
        if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
            snprintf(err, errlen, "cannot load CA certificates from '%s': %s", cfg->ca_file,
                     ssl_reason(why, sizeof(why), "no certificate found"));
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(err, errlen, "cannot load the system's CA certificates: %s",
                 ssl_reason(why, sizeof(why), "?"));
        goto fail;
    }
    if (cfg->cert_file != NULL) {
        if (check_readable("the certificate file", cfg->cert_file, err, errlen) != 0 ||
            (cfg->key_file != NULL && check_readable("the key file", cfg->key_file, err, errlen)))
            goto fail;
        if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
            snprintf(err, errlen, "cannot load the certificate from '%s': %s", cfg->cert_file,
                     ssl_reason(why, sizeof(why), "?"));
            goto fail;
        }
        const char *key = cfg->key_file != NULL ? cfg->key_file : cfg->cert_file;
        if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
            ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
            snprintf(err, errlen, "cannot load the private key from '%s': %s", key,
                     ssl_reason(why, sizeof(why), "?"));
            goto fail;
        }
        /* A key of another certificate loads, and fails here (or above, as a mismatch). */
        if (ERR_peek_last_error() != 0 || SSL_CTX_check_private_key(ctx) != 1) {
            ERR_clear_error();
            snprintf(err, errlen, "the key in '%s' does not belong to the certificate in '%s'", key,
                     cfg->cert_file);
            goto fail;
        }
    }
    return c;
fail:
    SSL_CTX_free(ctx);
    free(c);
    return NULL;
}

void nl_ctls_ctx_free(struct nl_ctls_ctx *c)
{
    if (c == NULL)
        return;
    SSL_CTX_free(c->ssl_ctx);
    free(c);
}

struct nl_ctls *nl_ctls_new(struct nl_ctls_ctx *ctx, const char *host)
{
    struct nl_ctls *t = calloc(1, sizeof(*t));
    unsigned char addr[16];
    size_t hlen = strlen(host);

    if (t == NULL || hlen == 0 || hlen >= sizeof(t->host)) {
        free(t);
        return NULL;
    }
    memcpy(t->host, host, hlen + 1);
    t->is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
    ERR_clear_error();
    t->ssl = SSL_new(ctx->ssl_ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL)
        goto fail;
    /* An empty memory BIO reads as "retry", not EOF. */
    BIO_set_mem_eof_return(t->rbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio); /* the SSL owns both from here */
    SSL_set_app_data(t->ssl, t);
    SSL_set_connect_state(t->ssl);
    if (t->is_ip) {
        /* No SNI for addresses (RFC 6066 §3); the IP subjectAltName must match. */
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) != 1)
            goto fail_ssl;
    } else {
        if (SSL_set_tlsext_host_name(t->ssl, host) != 1 || SSL_set1_host(t->ssl, host) != 1)
            goto fail_ssl;
        SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    return t;
fail:
    BIO_free(t->rbio);
    BIO_free(t->wbio);
fail_ssl:
    ERR_clear_error();
    SSL_free(t->ssl);
    free(t);
    return NULL;
}

int nl_ctls_cert_requested(const struct nl_ctls *t)
{
    return t->cert_requested;
}

void nl_ctls_free(struct nl_ctls *t)
{
    if (t == NULL)
        return;
    SSL_free(t->ssl);
    free(t);
}

int nl_ctls_feed(struct nl_ctls *t, const uint8_t *data, size_t n)
{
    while (n > 0) {
        int chunk = n > INT_MAX ? INT_MAX : (int)n;
        int w = BIO_write(t->rbio, data, chunk);
        if (w <= 0)
            return -1;
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Moves everything OpenSSL produced into `out`. Returns 0, or -1 when out is full. */
static int drain(struct nl_ctls *t, struct nl_buf *out)
{
    size_t pending = BIO_ctrl_pending(t->wbio);

    if (pending == 0)
        return 0;
    if (nl_buf_reserve(out, pending) != 0)
        return -1;
    int n = BIO_read(t->wbio, out->data + out->len, (int)pending);
    if (n > 0)
        out->len += (size_t)n;
    return 0;
}

/* The reason a failed SSL call gives, as a message about `who`. */
static enum nl_ctls_result failure(struct nl_ctls *t, int ret, const char *who, const char *stage,
                                   char *err, size_t errlen)
{
    char why[NL_CTLS_ERR_MAX];
    int e = SSL_get_error(t->ssl, ret);
    long vr = SSL_get_verify_result(t->ssl);

    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        snprintf(err, errlen, "%s closed the TLS session", who);
        return NL_CTLS_LOST;
    }
    if (e == SSL_ERROR_SSL && vr != X509_V_OK) {
        ERR_clear_error();
        if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
            snprintf(err, errlen, "cannot verify the certificate of %s: %s (it is not for '%s')",
                     who, X509_verify_cert_error_string(vr), t->host);
        else
            snprintf(err, errlen, "cannot verify the certificate of %s: %s", who,
                     X509_verify_cert_error_string(vr));
        return NL_CTLS_FATAL;
    }
    if (e == SSL_ERROR_SYSCALL) {
        /* Memory BIOs make no system calls: the stream ended inside a record. */
        ERR_clear_error();
        snprintf(err, errlen, "%s ended the TLS stream unexpectedly", who);
        return NL_CTLS_LOST;
    }
    snprintf(err, errlen, "TLS %s with %s failed: %s%s", stage, who,
             ssl_reason(why, sizeof(why), "unknown error"),
             t->cert_requested ? " (it asked for a client certificate: give --cert and --key)"
                               : "");
    return NL_CTLS_FATAL;
}

enum nl_ctls_result nl_ctls_handshake(struct nl_ctls *t, struct nl_buf *out, const char *who,
                                      char *err, size_t errlen)
{
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;

    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    /* Send what it produced even on failure: the alert tells the server why. */
    if (drain(t, out) != 0) {
        snprintf(err, errlen, "TLS output to %s too large", who);
        return NL_CTLS_LOST;
    }
    if (r != 1) {
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return NL_CTLS_AGAIN;
        return failure(t, r, who, "handshake", err, errlen);
    }
    SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
    if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
        snprintf(err, errlen, "%s did not agree to HTTP/2 over TLS (ALPN h2): not a gRPC server?",
                 who);
        return NL_CTLS_FATAL;
    }
    return NL_CTLS_DONE;
}

long nl_ctls_read(struct nl_ctls *t, uint8_t *buf, size_t len, struct nl_buf *out, const char *who,
                  char *err, size_t errlen)
{
    int want = len > INT_MAX ? INT_MAX : (int)len;

    ERR_clear_error();
    int r = SSL_read(t->ssl, buf, want);
    enum nl_ctls_result res = NL_CTLS_AGAIN;
    if (r <= 0) {
        int e = SSL_get_error(t->ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            res = failure(t, r, who, "read", err, errlen);
    }
    /* Tickets, KeyUpdate replies and alerts go out after every SSL call. */
    if (drain(t, out) != 0 && res == NL_CTLS_AGAIN) {
        snprintf(err, errlen, "TLS output to %s too large", who);
        return NL_CTLS_LOST;
    }
    if (r > 0)
        return r;
    return res == NL_CTLS_AGAIN ? 0 : (long)res;
}

int nl_ctls_write(struct nl_ctls *t, const uint8_t *data, size_t n, struct nl_buf *out, char *err,
                  size_t errlen)
{
    char why[NL_CTLS_ERR_MAX];

    while (n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        ERR_clear_error();
        int w = SSL_write(t->ssl, data, chunk);
        if (w <= 0) {
            snprintf(err, errlen, "TLS write failed: %s",
                     ssl_reason(why, sizeof(why), "unknown error"));
            (void)drain(t, out);
            return -1;
        }
        data += w;
        n -= (size_t)w;
        if (drain(t, out) != 0) {
            snprintf(err, errlen, "output buffer full");
            return -1;
        }
    }
    return 0;
}
