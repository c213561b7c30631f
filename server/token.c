/*
 * token.c - bearer token primitives (token.h): random generation, the text
 * form `nl_<id>_<secret>`, its strict parser, the SHA-256 of the secret and
 * the constant-time comparison of digests.
 *
 * The secret is 32 bytes; in base64url without padding that is 43
 * characters, the last carrying 4 bits and 2 zero bits. The parser refuses
 * a non-zero tail, so every secret has exactly one spelling and a token
 * text maps to one secret and back. Every buffer that held a secret is
 * cleansed before it is abandoned on the paths here; the caller owns the
 * rest (struct nl_token and the formatted text).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <uv.h>

#include "token.h"

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char HEX[] = "0123456789abcdef";

_Static_assert(NL_TOKEN_SECRET_LEN == (NL_TOKEN_SECRET_BYTES * 8 + 5) / 6,
               "base64url length of the secret");
_Static_assert(NL_TOKEN_ID_LEN == 12, "48-bit id");

int nl_token_generate(struct nl_token *t)
{
    unsigned char raw[NL_TOKEN_ID_LEN / 2];

    if (RAND_bytes(raw, (int)sizeof(raw)) != 1 ||
        RAND_bytes(t->secret, (int)sizeof(t->secret)) != 1) {
        nl_token_wipe(t);
        return -1;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        t->id[2 * i] = HEX[raw[i] >> 4];
        t->id[2 * i + 1] = HEX[raw[i] & 0x0f];
    }
    t->id[NL_TOKEN_ID_LEN] = '\0';
    return 0;
}

/* base64url of the 32 secret bytes into out[NL_TOKEN_SECRET_LEN], no padding, no NUL. */
static void secret_encode(const unsigned char *in, char *out)
{
    size_t i = 0, o = 0;

    for (; i + 3 <= NL_TOKEN_SECRET_BYTES; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64URL[(v >> 18) & 63];
        out[o++] = B64URL[(v >> 12) & 63];
        out[o++] = B64URL[(v >> 6) & 63];
        out[o++] = B64URL[v & 63];
    }
    /* 32 = 3 * 10 + 2: two bytes left, 16 bits in three characters. */
    unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
    out[o++] = B64URL[(v >> 18) & 63];
    out[o++] = B64URL[(v >> 12) & 63];
    out[o] = B64URL[(v >> 6) & 63];
}

/* The 6-bit value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes exactly NL_TOKEN_SECRET_LEN characters into 32 bytes. 0, or -1 if malformed. */
static int secret_decode(const char *in, unsigned char *out)
{
    unsigned long acc = 0;
    int bits = 0;
    size_t o = 0;

    for (size_t i = 0; i < NL_TOKEN_SECRET_LEN; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned long)v) & 0xffffUL;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* 43 * 6 = 258 bits: 2 left over, which a canonical encoding leaves zero. */
    if (o != NL_TOKEN_SECRET_BYTES || bits != 2 || (acc & 3) != 0)
        return -1;
    return 0;
}

int nl_token_format(const struct nl_token *t, char *out, size_t outlen)
{
    if (outlen < NL_TOKEN_TEXT_LEN + 1) {
        if (outlen > 0)
            out[0] = '\0';
        return -1;
    }
    memcpy(out, NL_TOKEN_PREFIX, NL_TOKEN_PREFIX_LEN);
    memcpy(out + NL_TOKEN_PREFIX_LEN, t->id, NL_TOKEN_ID_LEN);
    out[NL_TOKEN_PREFIX_LEN + NL_TOKEN_ID_LEN] = '_';
    secret_encode(t->secret, out + NL_TOKEN_PREFIX_LEN + NL_TOKEN_ID_LEN + 1);
    out[NL_TOKEN_TEXT_LEN] = '\0';
    return 0;
}

/* 1 if the n bytes at s are lower-case hex digits. */
static int all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    }
    return 1;
}

int nl_token_id_valid(const char *id)
{
    return id != NULL && strlen(id) == NL_TOKEN_ID_LEN && all_hex(id, NL_TOKEN_ID_LEN);
}

int nl_token_parse(const char *text, size_t len, struct nl_token *t)
{
    const char *id;

    if (text == NULL || len != NL_TOKEN_TEXT_LEN) {
        nl_token_wipe(t);
        return -1;
    }
    id = text + NL_TOKEN_PREFIX_LEN;
    if (memcmp(text, NL_TOKEN_PREFIX, NL_TOKEN_PREFIX_LEN) != 0 || !all_hex(id, NL_TOKEN_ID_LEN) ||
        id[NL_TOKEN_ID_LEN] != '_' || secret_decode(id + NL_TOKEN_ID_LEN + 1, t->secret) != 0) {
        nl_token_wipe(t);
        return -1;
    }
    memcpy(t->id, id, NL_TOKEN_ID_LEN);
    t->id[NL_TOKEN_ID_LEN] = '\0';
    return 0;
}

/*
 * SHA-256 fetched once: OpenSSL 3's SHA256() looks the algorithm up in its
 * provider store at every call, which was most of a token check's cost.
 */
static EVP_MD *sha256_md;
static uv_once_t sha256_once = UV_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void nl_token_hash(const unsigned char *secret, unsigned char *out)
{
    unsigned len = 0;

    uv_once(&sha256_once, sha256_fetch);
    if (sha256_md == NULL ||
        EVP_Digest(secret, NL_TOKEN_SECRET_BYTES, out, &len, sha256_md, NULL) != 1 ||
        len != NL_TOKEN_HASH_BYTES)
        (void)SHA256(secret, NL_TOKEN_SECRET_BYTES, out);
}

int nl_token_secret_matches(const unsigned char *secret, const unsigned char *stored)
{
    unsigned char h[NL_TOKEN_HASH_BYTES];
    int same;

    nl_token_hash(secret, h);
    same = CRYPTO_memcmp(h, stored, NL_TOKEN_HASH_BYTES) == 0;
    OPENSSL_cleanse(h, sizeof(h));
    return same;
}

void nl_token_wipe(struct nl_token *t)
{
    OPENSSL_cleanse(t, sizeof(*t));
}

void nl_token_wipe_text(char *text, size_t len)
{
    OPENSSL_cleanse(text, len);
}

int nl_token_time_now(char *out, size_t outlen)
{
    /* Every authenticated call asks: the date and time part is formatted once a second. */
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local char day[24];
    struct timespec ts;
    struct tm tm;
    long ms;

    if (outlen > 0)
        out[0] = '\0';
    if (outlen < NL_TOKEN_TIME_LEN + 1 || clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return -1;
    if (ts.tv_sec != cached_sec) {
        if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
            strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) != 19)
            return -1;
        cached_sec = ts.tv_sec;
    }
    ms = ts.tv_nsec / 1000000L;
    memcpy(out, day, 19);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    out[24] = '\0';
    return 0;
}

enum nl_token_verdict nl_token_check(const struct nl_token *t, const unsigned char *stored,
                                     const char *expires_at, const char *revoked_at,
                                     const char *now)
{
    /* An unknown id is compared against a digest no secret has (in practice), at the same cost. */
    static const unsigned char none[NL_TOKEN_HASH_BYTES];
    int match = nl_token_secret_matches(t->secret, stored != NULL ? stored : none);

    return nl_token_verdict_of(stored != NULL, match, expires_at, revoked_at, now);
}

enum nl_token_verdict nl_token_verdict_of(int found, int match, const char *expires_at,
                                          const char *revoked_at, const char *now)
{
    char clock[NL_TOKEN_TIME_LEN + 1];

    if (!found)
        return NL_TOKEN_UNKNOWN;
    if (!match)
        return NL_TOKEN_BAD_SECRET;
    if (revoked_at != NULL && revoked_at[0] != '\0')
        return NL_TOKEN_REVOKED;
    if (now == NULL) {
        if (nl_token_time_now(clock, sizeof(clock)) != 0)
            return NL_TOKEN_EXPIRED;
        now = clock;
    }
    if (expires_at == NULL || strcmp(expires_at, now) <= 0)
        return NL_TOKEN_EXPIRED;
    return NL_TOKEN_VALID;
}

const char *nl_token_verdict_name(enum nl_token_verdict v)
{
    switch (v) {
    case NL_TOKEN_VALID:
        return "valid";
    case NL_TOKEN_MALFORMED:
        return "malformed";
    case NL_TOKEN_UNKNOWN:
        return "unknown id";
    case NL_TOKEN_BAD_SECRET:
        return "wrong secret";
    case NL_TOKEN_REVOKED:
        return "revoked";
    case NL_TOKEN_EXPIRED:
        return "expired";
    }
    return "unknown verdict";
}

const char *nl_role_name(int role)
{
    switch (role) {
    case NL_ROLE_ADMIN:
        return "admin";
    case NL_ROLE_CENTRAL:
        return "central";
    case NL_ROLE_DISTRICT:
        return "district";
    default:
        return "";
    }
}

int nl_role_parse(const char *name)
{
    for (int r = NL_ROLE_ADMIN; r <= NL_ROLE_DISTRICT; r++) {
        if (name != NULL && strcmp(name, nl_role_name(r)) == 0)
            return r;
    }
    return 0;
}
