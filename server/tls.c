/*
 * tls.c - the OpenSSL 3 side of nhanlucd's TLS: the server context (files,
 * versions, ALPN, client certificates) and one SSL per connection driven
 * through two memory BIOs (tls.h says who calls what).
 *
 * Input ciphertext is written into the read BIO; SSL_do_handshake and
 * SSL_read consume it. Whatever OpenSSL writes into the write BIO is moved
 * into the caller's output buffer right after every SSL call, SSL_read
 * included (alerts, key updates), so the write BIO never holds bytes across
 * calls and the caller's high-water mark counts all the ciphertext.
 *
 * Renegotiation: SSL_OP_NO_RENEGOTIATION makes OpenSSL answer a TLS 1.2
 * renegotiation ClientHello with a no_renegotiation warning; the info
 * callback sees that alert (and any handshake restart after the first one on
 * TLS 1.2) and the next nl_tls_read() reports an error, so the connection
 * closes instead of carrying on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../common/log.h"
#include "tls.h"

#define UNIT_URN     "urn:nhanluc:unit:"
#define UNIT_MAX     64
#define ALPN_H2      "h2"
#define ALPN_H2_WIRE "\x02h2"

struct nl_tls_ctx {
    SSL_CTX *ssl;
};

struct nl_tls {
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl; rbio: ciphertext in, wbio: ciphertext out */
    unsigned done : 1, failed : 1, reneg : 1, bye : 1, alpn_refused : 1;
};

/* The reason of the last OpenSSL error, one line, no key material. */
static void tls_reason(char *why, size_t whylen, const char *what)
{
    unsigned long e = ERR_peek_error(); /* the first: the root cause */
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

    if (r != NULL)
        snprintf(why, whylen, "%s: %s", what, r);
    else if (e != 0)
        snprintf(why, whylen, "%s: OpenSSL error %lx", what, e);
    else
        snprintf(why, whylen, "%s", what);
    ERR_clear_error();
}

/* Encrypted keys are refused rather than asked for on a terminal. */
static int tls_no_password(char *buf, int size, int rwflag, void *ud)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)ud;
    return -1;
}

static int tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                           const unsigned char *in, unsigned inlen, void *ud)
{
    struct nl_tls *t = SSL_get_app_data(ssl);
    unsigned char *sel = NULL;
    unsigned char sellen = 0;

    (void)ud;
    /* Our list first: SSL_select_next_proto then picks from the client's list. */
    if (SSL_select_next_proto(&sel, &sellen, (const unsigned char *)ALPN_H2_WIRE,
                              sizeof(ALPN_H2_WIRE) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED &&
        sellen == 2 && memcmp(sel, ALPN_H2, 2) == 0) {
        *out = sel;
        *outlen = sellen;
        return SSL_TLSEXT_ERR_OK;
    }
    if (t != NULL)
        t->alpn_refused = 1;
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol: a gRPC-only port */
}

static void tls_info(const SSL *ssl, int where, int ret)
{
    struct nl_tls *t = SSL_get_app_data(ssl);

    if (t == NULL)
        return;
    /* OpenSSL refusing a renegotiation (SSL_OP_NO_RENEGOTIATION) sends this warning. */
    if ((where & SSL_CB_WRITE_ALERT) && (ret & 0xff) == SSL_AD_NO_RENEGOTIATION)
        t->reneg = 1;
    /* A second handshake on TLS 1.2 (TLS 1.3 uses this event for post-handshake messages). */
    if ((where & SSL_CB_HANDSHAKE_START) && t->done && SSL_version(ssl) <= TLS1_2_VERSION)
        t->reneg = 1;
}

/* Opens `path` once to give the operator errno's reason before OpenSSL's. */
static int tls_readable(const char *path, const char *what, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        snprintf(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

static int tls_load_key(SSL_CTX *ssl, const struct nl_config *cfg, char *err, size_t errlen)
{
    char why[256];
    EVP_PKEY *key = NULL;
    FILE *f = fopen(cfg->tls_key, "r");

    if (f == NULL) {
        snprintf(err, errlen, "cannot read TLS key '%s': %s", cfg->tls_key, strerror(errno));
        return -1;
    }
    key = PEM_read_PrivateKey(f, NULL, tls_no_password, NULL);
    fclose(f);
    if (key == NULL) {
        tls_reason(why, sizeof(why), "not a PEM private key");
        snprintf(err, errlen, "cannot load TLS key '%s': %s", cfg->tls_key, why);
        return -1;
    }
    int ok = SSL_CTX_use_PrivateKey(ssl, key) == 1 && SSL_CTX_check_private_key(ssl) == 1;
    EVP_PKEY_free(key);
    if (!ok) {
        ERR_clear_error();
        snprintf(err, errlen, "TLS key '%s' does not belong to the certificate '%s'", cfg->tls_key,
                 cfg->tls_cert);
        return -1;
    }
    return 0;
}

static int tls_load_client_ca(SSL_CTX *ssl, const char *path, char *err, size_t errlen)
{
    char why[256];

    if (tls_readable(path, "TLS client CA", err, errlen) != 0)
        return -1;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path);
    if (names == NULL || sk_X509_NAME_num(names) == 0 ||
        SSL_CTX_load_verify_locations(ssl, path, NULL) != 1) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        tls_reason(why, sizeof(why), "no PEM certificate");
        snprintf(err, errlen, "cannot load TLS client CA '%s': %s", path, why);
        return -1;
    }
    SSL_CTX_set_client_CA_list(ssl, names); /* takes names */
    SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_verify_depth(ssl, 4);
    return 0;
}

/* Logs what the context serves, and warns about a certificate near or past its end. */
static void tls_log_cert(SSL_CTX *ssl, const struct nl_config *cfg)
{
    X509 *crt = SSL_CTX_get0_certificate(ssl);
    char subject[256] = "?";
    int days = 0, secs = 0;

    if (crt == NULL)
        return;
    X509_NAME_oneline(X509_get_subject_name(crt), subject, sizeof(subject));
    if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(crt)) == 1) {
        if (days < 0 || (days == 0 && secs <= 0))
            nl_log_warnx("TLS certificate '%s' has expired: clients will refuse it", cfg->tls_cert);
        else if (days < 30)
            nl_log_warnx("TLS certificate '%s' expires in %d day(s)", cfg->tls_cert, days);
    }
    nl_log_info("TLS: certificate %s (%s), ALPN h2, TLS 1.2+, %s", cfg->tls_cert, subject,
                cfg->tls_client_ca[0] ? "client certificates required" : "no client certificates");
}

int nl_tls_ctx_new(const struct nl_config *cfg, struct nl_tls_ctx **out, char *err, size_t errlen)
{
    struct nl_tls_ctx *ctx = calloc(1, sizeof(*ctx));
    char why[256];

    *out = NULL;
    if (ctx == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    ERR_clear_error();
    ctx->ssl = SSL_CTX_new(TLS_server_method());
    if (ctx->ssl == NULL) {
        tls_reason(why, sizeof(why), "SSL_CTX_new");
        snprintf(err, errlen, "cannot set up TLS: %s", why);
        goto fail;
    }
    SSL_CTX *s = ctx->ssl;
    SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
    SSL_CTX_set_options(s, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_clear_options(s, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    /* TLS 1.2: forward-secret AEAD suites only (TLS 1.3 suites are all of that kind). */
    if (SSL_CTX_set_cipher_list(s, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
        tls_reason(why, sizeof(why), "cipher list");
        snprintf(err, errlen, "cannot set up TLS: %s", why);
        goto fail;
    }
    SSL_CTX_set_num_tickets(s, 0);
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_id_context(s, (const unsigned char *)"nhanlucd", 8);
    /* Idle connections give their record buffers back. */
    SSL_CTX_set_mode(s, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(s, tls_no_password);
    SSL_CTX_set_alpn_select_cb(s, tls_alpn_select, NULL);
    SSL_CTX_set_info_callback(s, tls_info);

    if (tls_readable(cfg->tls_cert, "TLS certificate", err, errlen) != 0)
        goto fail;
    if (SSL_CTX_use_certificate_chain_file(s, cfg->tls_cert) != 1) {
        tls_reason(why, sizeof(why), "not a PEM certificate chain");
        snprintf(err, errlen, "cannot load TLS certificate '%s': %s", cfg->tls_cert, why);
        goto fail;
    }
    if (tls_load_key(s, cfg, err, errlen) != 0)
        goto fail;
    if (cfg->tls_client_ca[0] != '\0' && tls_load_client_ca(s, cfg->tls_client_ca, err, errlen))
        goto fail;
    tls_log_cert(s, cfg);
    *out = ctx;
    return 0;
fail:
    ERR_clear_error();
    nl_tls_ctx_free(ctx);
    return -1;
}

void nl_tls_ctx_free(struct nl_tls_ctx *ctx)
{
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

struct nl_tls *nl_tls_new(struct nl_tls_ctx *ctx)
{
    struct nl_tls *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->ssl = SSL_new(ctx->ssl);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        SSL_free(t->ssl);
        free(t);
        ERR_clear_error();
        return NULL;
    }
    /* An empty BIO means "more later", not end of file. */
    BIO_set_mem_eof_return(t->rbio, -1);
    BIO_set_mem_eof_return(t->wbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_app_data(t->ssl, t);
    SSL_set_accept_state(t->ssl);
    return t;
}

void nl_tls_free(struct nl_tls *t)
{
    if (t == NULL)
        return;
    SSL_free(t->ssl); /* frees both BIOs */
    free(t);
}

int nl_tls_put(struct nl_tls *t, const uint8_t *p, size_t len)
{
    while (len > 0) {
        int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
        int n = BIO_write(t->rbio, p, chunk);
        if (n <= 0) {
            ERR_clear_error();
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Moves everything OpenSSL wrote for the peer into `out`. 0, or -1 when `out` cannot take it. */
static int tls_drain(struct nl_tls *t, struct nl_buf *out)
{
    size_t pending;

    while ((pending = BIO_ctrl_pending(t->wbio)) > 0) {
        if (nl_buf_reserve(out, pending) != 0)
            return -1;
        int n = BIO_read(t->wbio, out->data + out->len,
                         (int)(pending < (1u << 30) ? pending : 1u << 30));
        if (n <= 0)
            return -1;
        out->len += (size_t)n;
    }
    return 0;
}

/* The reason an SSL call failed with `err` (SSL_get_error), one line. */
static void tls_call_reason(struct nl_tls *t, int err, char *why, size_t whylen)
{
    long vr;

    if (err == SSL_ERROR_SSL && (vr = SSL_get_verify_result(t->ssl)) != X509_V_OK) {
        ERR_clear_error();
        snprintf(why, whylen, "certificate verify failed (%s)", X509_verify_cert_error_string(vr));
        return;
    }
    if (t->alpn_refused) {
        ERR_clear_error();
        snprintf(why, whylen, "the client offered ALPN without h2");
        return;
    }
    if (err == SSL_ERROR_SSL)
        tls_reason(why, whylen, "protocol error");
    else
        tls_reason(why, whylen, err == SSL_ERROR_SYSCALL ? "peer closed mid-record" : "error");
}

int nl_tls_handshake(struct nl_tls *t, struct nl_buf *out, char *why, size_t whylen)
{
    if (t->failed) {
        snprintf(why, whylen, "the connection already failed");
        return NL_TLS_ERROR;
    }
    if (t->done)
        return NL_TLS_DONE;
    ERR_clear_error();
    int rv = SSL_do_handshake(t->ssl);
    int err = rv == 1 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, rv);
    if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ) {
        tls_call_reason(t, err, why, whylen);
        t->failed = 1;
        (void)tls_drain(t, out); /* the alert, if any */
        return NL_TLS_ERROR;
    }
    if (tls_drain(t, out) != 0) {
        snprintf(why, whylen, "output buffer full");
        t->failed = 1;
        return NL_TLS_ERROR;
    }
    if (rv != 1)
        return NL_TLS_AGAIN;
    t->done = 1;
    return NL_TLS_DONE;
}

ssize_t nl_tls_read(struct nl_tls *t, uint8_t *buf, size_t cap, struct nl_buf *out, int *clean,
                    char *why, size_t whylen)
{
    *clean = 0;
    if (t->failed || !t->done) {
        snprintf(why, whylen, "the connection is not ready");
        return -1;
    }
    ERR_clear_error();
    int n = SSL_read(t->ssl, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
    int err = n > 0 ? SSL_ERROR_NONE : SSL_get_error(t->ssl, n);
    if (t->reneg) {
        t->failed = 1;
        ERR_clear_error();
        (void)tls_drain(t, out);
        snprintf(why, whylen, "the client asked for a renegotiation");
        return -1;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
        *clean = 1;
        (void)tls_drain(t, out);
        snprintf(why, whylen, "the client sent close_notify");
        return -1;
    }
    if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ) {
        tls_call_reason(t, err, why, whylen);
        t->failed = 1;
        (void)tls_drain(t, out);
        return -1;
    }
    if (tls_drain(t, out) != 0) {
        snprintf(why, whylen, "output buffer full");
        t->failed = 1;
        return -1;
    }
    return n > 0 ? n : 0;
}

int nl_tls_write(struct nl_tls *t, const uint8_t *p, size_t len, struct nl_buf *out, char *why,
                 size_t whylen)
{
    if (t->failed || !t->done) {
        snprintf(why, whylen, "the connection is not ready");
        return -1;
    }
    while (len > 0) {
        int chunk = len > (1u << 20) ? 1 << 20 : (int)len;
        ERR_clear_error();
        int n = SSL_write(t->ssl, p, chunk);
        if (n <= 0) {
            tls_call_reason(t, SSL_get_error(t->ssl, n), why, whylen);
            t->failed = 1;
            return -1;
        }
        if (tls_drain(t, out) != 0) {
            snprintf(why, whylen, "output buffer full");
            t->failed = 1;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void nl_tls_shutdown(struct nl_tls *t, struct nl_buf *out)
{
    if (t->failed || !t->done || t->bye)
        return;
    t->bye = 1;
    ERR_clear_error();
    (void)SSL_shutdown(t->ssl);
    ERR_clear_error();
    (void)tls_drain(t, out);
}

int nl_tls_alpn_h2(const struct nl_tls *t)
{
    const unsigned char *p = NULL;
    unsigned len = 0;

    if (!t->done)
        return 0;
    SSL_get0_alpn_selected(t->ssl, &p, &len);
    return p != NULL && len == 2 && memcmp(p, ALPN_H2, 2) == 0;
}

/* 1 when s[0..n) is a unit code: 1-64 of [a-z0-9-]. */
static int tls_unit_ok(const unsigned char *s, size_t n)
{
    if (n == 0 || n > UNIT_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    }
    return 1;
}

/* The unit of the certificate's urn:nhanluc:unit: URIs into unit ("" unless exactly one). */
static void tls_cert_unit(X509 *crt, char *unit, size_t unitlen)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(crt, NID_subject_alt_name, NULL, NULL);
    const size_t plen = sizeof(UNIT_URN) - 1;
    int conflict = 0;

    unit[0] = '\0';
    if (names == NULL) {
        ERR_clear_error();
        return;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type != GEN_URI)
            continue;
        const unsigned char *s = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
        int n = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
        if (s == NULL || n < 0 || (size_t)n < plen || memcmp(s, UNIT_URN, plen) != 0)
            continue;
        size_t ulen = (size_t)n - plen;
        if (!tls_unit_ok(s + plen, ulen) || ulen >= unitlen) {
            conflict = 1;
            continue;
        }
        if (unit[0] != '\0' && (strlen(unit) != ulen || memcmp(unit, s + plen, ulen) != 0))
            conflict = 1;
        memcpy(unit, s + plen, ulen);
        unit[ulen] = '\0';
    }
    GENERAL_NAMES_free(names);
    if (conflict)
        unit[0] = '\0';
}

void nl_tls_peer_cert(const struct nl_tls *t, char *fp, size_t fplen, char *unit, size_t unitlen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    fp[0] = '\0';
    unit[0] = '\0';
    if (!t->done || fplen < 65 || unitlen < 1)
        return;
    X509 *crt = SSL_get0_peer_certificate(t->ssl);
    if (crt == NULL || SSL_get_verify_result(t->ssl) != X509_V_OK)
        return;
    if (X509_digest(crt, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32) {
        ERR_clear_error();
        return;
    }
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(fp + 2 * i, 3, "%02x", md[i]);
    tls_cert_unit(crt, unit, unitlen);
}

void nl_tls_describe(const struct nl_tls *t, char *s, size_t len)
{
    snprintf(s, len, "%s %s", SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl));
}
