/*
 * test_tokens.c - credentials: the token primitives of token.h (generate,
 * format, the strict parser, SHA-256 of the secret, the verdict with its
 * constant-time comparison, the clock text) and the stored credentials of
 * store_tokens.h (create, find, verify, list, revoke, admin_exists) on a
 * real store file, with the table's own CHECKs.
 *
 * The secret-at-rest rule is checked on the file's bytes: after a
 * checkpoint, neither the database nor its WAL holds any issued token's
 * text, its secret part or its raw secret bytes, while the SHA-256 of each
 * secret and each token id are found there (so the search does see the
 * rows). Units are inserted with raw SQL through the test-only store hooks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../server/store_tokens.h"
#include "../../server/token.h"
#include "../support/store_fixture.h"
#include "store.h"

static struct sf_db *g; /* the current fixture */

/* City hn with district d1 under it. */
static const char SEED[] = "INSERT INTO unit(id, code) VALUES (1, 'hn'), (2, 'd1');"
                           "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from)"
                           " VALUES (1, 'Hà Nội', 1, NULL, '0001-01-01'),"
                           " (2, 'Quận Một', 2, 1, '0001-01-01');";

static int setup(void **state)
{
    return sf_setup_sql(state, "tokens", &g, SEED);
}

#define sql(text)      sf_sql(g->rw, (text))
#define sql_text(text) sf_sql_text(g->rw, (text))
#define sql_long(text) sf_sql_long(g->rw, (text))

/* The 32 bytes 0..31, their base64url (Python's urlsafe_b64encode, '=' stripped) and SHA-256. */
static const char KAT_B64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
static const char KAT_SHA256[] = "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd";

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* --- the primitives --- */

static void test_generate_format_parse(void **state)
{
    struct nl_token a, b, p;
    char ta[NL_TOKEN_TEXT_LEN + 1], tb[NL_TOKEN_TEXT_LEN + 1];

    (void)state;
    assert_int_equal(nl_token_generate(&a), 0);
    assert_int_equal(nl_token_generate(&b), 0);
    assert_int_equal(nl_token_format(&a, ta, sizeof(ta)), 0);
    assert_int_equal(nl_token_format(&b, tb, sizeof(tb)), 0);
    assert_int_equal(strlen(ta), 59);
    assert_memory_equal(ta, "nl_", 3);
    assert_true(nl_token_id_valid(a.id));
    assert_memory_equal(ta + 3, a.id, 12);
    assert_int_equal(ta[15], '_');
    for (size_t i = 16; i < 59; i++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", ta[i]));
    /* Two draws differ in id and in secret. */
    assert_string_not_equal(a.id, b.id);
    assert_memory_not_equal(a.secret, b.secret, sizeof(a.secret));
    assert_string_not_equal(ta, tb);

    assert_int_equal(nl_token_parse(ta, strlen(ta), &p), 0);
    assert_string_equal(p.id, a.id);
    assert_memory_equal(p.secret, a.secret, sizeof(a.secret));

    /* A buffer one byte short is refused and left empty. */
    assert_int_equal(nl_token_format(&a, tb, NL_TOKEN_TEXT_LEN), -1);
    assert_string_equal(tb, "");

    nl_token_wipe(&a);
    for (size_t i = 0; i < sizeof(a.secret); i++)
        assert_int_equal(a.secret[i], 0);
}

static void test_known_answers(void **state)
{
    struct nl_token t, p;
    char text[NL_TOKEN_TEXT_LEN + 1], want[80], hex[65];
    unsigned char h[NL_TOKEN_HASH_BYTES];

    (void)state;
    memcpy(t.id, "0123456789ab", 13);
    for (unsigned i = 0; i < sizeof(t.secret); i++)
        t.secret[i] = (unsigned char)i;
    assert_int_equal(nl_token_format(&t, text, sizeof(text)), 0);
    (void)snprintf(want, sizeof(want), "nl_0123456789ab_%s", KAT_B64);
    assert_string_equal(text, want);
    assert_int_equal(nl_token_parse(text, strlen(text), &p), 0);
    assert_memory_equal(p.secret, t.secret, sizeof(t.secret));

    nl_token_hash(t.secret, h);
    to_hex(h, sizeof(h), hex);
    assert_string_equal(hex, KAT_SHA256);
    assert_int_equal(nl_token_secret_matches(t.secret, h), 1);

    /* All ones: the canonical last character is '8'; '9' and '_' set the unused bits. */
    memset(t.secret, 0xff, sizeof(t.secret));
    assert_int_equal(nl_token_format(&t, text, sizeof(text)), 0);
    assert_int_equal(text[58], '8');
    assert_int_equal(nl_token_parse(text, 59, &p), 0);
    text[58] = '9';
    assert_int_equal(nl_token_parse(text, 59, &p), -1);
    text[58] = '_';
    assert_int_equal(nl_token_parse(text, 59, &p), -1);
}

/* nl_token_parse of a NUL-terminated text must refuse it. */
static void refuse(const char *text)
{
    struct nl_token t;

    memset(&t, 0x5a, sizeof(t));
    if (nl_token_parse(text, strlen(text), &t) != -1)
        fail_msg("accepted '%s'", text);
    /* A refused parse leaves nothing of a secret behind. */
    for (size_t i = 0; i < sizeof(t.secret); i++)
        assert_int_equal(t.secret[i], 0);
}

static void test_parse_refuses_malformed(void **state)
{
    char good[80], bad[96];
    struct nl_token t;

    (void)state;
    (void)snprintf(good, sizeof(good), "nl_0123456789ab_%s", KAT_B64);
    assert_int_equal(nl_token_parse(good, strlen(good), &t), 0);

    /* Wrong prefix. */
    refuse(good + 3);
    (void)snprintf(bad, sizeof(bad), "NL_0123456789ab_%s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nt_0123456789ab_%s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nlt_0123456789ab_%s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nl-0123456789ab_%s", KAT_B64);
    refuse(bad);
    /* Short, long, upper-case and non-hex ids; a missing separator. */
    (void)snprintf(bad, sizeof(bad), "nl_0123456789a_%s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nl_0123456789a_A%s", KAT_B64);
    refuse(bad); /* right total length, the separator one place early */
    (void)snprintf(bad, sizeof(bad), "nl_0123456789abc_%s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nl_0123456789AB_%s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nl_0123456789ag_%s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nl_0123456789ab-%s", KAT_B64);
    refuse(bad);
    /* Secret too short or too long. */
    (void)snprintf(bad, sizeof(bad), "nl_0123456789ab_%.42s", KAT_B64);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "nl_0123456789ab_%sA", KAT_B64);
    refuse(bad);
    /* Characters outside base64url: standard base64's + and /, padding, space, non-ASCII. */
    static const char *const outside[] = {"+", "/", "=", " ", ".", "\xc3"};
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        memcpy(bad, good, sizeof(good));
        bad[20] = outside[i][0];
        refuse(bad);
    }
    /* Trailing or leading garbage, a Bearer prefix left on. */
    (void)snprintf(bad, sizeof(bad), "%s\n", good);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "%s ", good);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "%sx", good);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), " %s", good);
    refuse(bad);
    (void)snprintf(bad, sizeof(bad), "Bearer %s", good);
    refuse(bad);
    refuse("");
    /* The length is what counts: an embedded NUL, a prefix of a good token, NULL. */
    memcpy(bad, good, sizeof(good));
    bad[30] = '\0';
    assert_int_equal(nl_token_parse(bad, 59, &t), -1);
    assert_int_equal(nl_token_parse(good, 58, &t), -1);
    assert_int_equal(nl_token_parse(good, 60, &t), -1);
    assert_int_equal(nl_token_parse(NULL, 59, &t), -1);
}

static void test_check_verdicts(void **state)
{
    static const char EXP[] = "2030-01-01T00:00:00.000Z";
    struct nl_token t;
    unsigned char h[NL_TOKEN_HASH_BYTES];

    (void)state;
    assert_int_equal(nl_token_generate(&t), 0);
    nl_token_hash(t.secret, h);
    assert_int_equal(nl_token_check(&t, h, EXP, "", "2029-12-31T23:59:59.999Z"), NL_TOKEN_VALID);
    assert_int_equal(nl_token_check(&t, h, EXP, NULL, "2020-01-01T00:00:00.000Z"), NL_TOKEN_VALID);
    /* Expiry is exclusive: at expires_at the token is expired. */
    assert_int_equal(nl_token_check(&t, h, EXP, "", EXP), NL_TOKEN_EXPIRED);
    assert_int_equal(nl_token_check(&t, h, "2000-01-01T00:00:00.000Z", "", NULL), NL_TOKEN_EXPIRED);
    assert_int_equal(nl_token_check(&t, h, EXP, "2025-01-01T00:00:00.000Z", "2026-01-01"),
                     NL_TOKEN_REVOKED);
    assert_int_equal(nl_token_check(&t, NULL, EXP, "", "2026-01-01"), NL_TOKEN_UNKNOWN);
    /* One flipped bit of the secret, or of the stored hash, is a wrong secret. */
    for (size_t i = 0; i < sizeof(t.secret); i += 7) {
        t.secret[i] ^= 0x01;
        assert_int_equal(nl_token_check(&t, h, EXP, "", "2026-01-01"), NL_TOKEN_BAD_SECRET);
        t.secret[i] ^= 0x01;
    }
    h[31] ^= 0x80;
    assert_int_equal(nl_token_check(&t, h, EXP, "", "2026-01-01"), NL_TOKEN_BAD_SECRET);
    /* A wrong secret is reported as such even when the credential is also revoked. */
    assert_int_equal(nl_token_check(&t, h, EXP, "2025-01-01", "2026-01-01"), NL_TOKEN_BAD_SECRET);
    assert_string_equal(nl_token_verdict_name(NL_TOKEN_BAD_SECRET), "wrong secret");
}

static void test_roles_and_clock(void **state)
{
    char now[NL_TOKEN_TIME_LEN + 1], before[64], after[64];

    (void)state;
    assert_int_equal(nl_role_parse("admin"), NL_ROLE_ADMIN);
    assert_int_equal(nl_role_parse("central"), NL_ROLE_CENTRAL);
    assert_int_equal(nl_role_parse("district"), NL_ROLE_DISTRICT);
    assert_int_equal(nl_role_parse("Admin"), 0);
    assert_int_equal(nl_role_parse(""), 0);
    assert_int_equal(nl_role_parse(NULL), 0);
    assert_string_equal(nl_role_name(NL_ROLE_DISTRICT), "district");
    assert_string_equal(nl_role_name(0), "");
    assert_string_equal(nl_role_name(4), "");

    /* The clock text has SQLite's form and falls between two SQLite readings. */
    sf_query_text(g->rw, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", before, sizeof(before));
    assert_int_equal(nl_token_time_now(now, sizeof(now)), 0);
    sf_query_text(g->rw, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')", after, sizeof(after));
    assert_int_equal(strlen(now), NL_TOKEN_TIME_LEN);
    assert_int_equal(strlen(before), NL_TOKEN_TIME_LEN);
    assert_true(strcmp(before, now) <= 0);
    assert_true(strcmp(now, after) <= 0);
    assert_int_equal(nl_token_time_now(now, NL_TOKEN_TIME_LEN), -1);
    assert_string_equal(now, "");
}

/* --- the store --- */

/* One create in its own write job. text gets the token; *out the row (strings in the arena). */
static enum nl_status create(int role, const char *unit, const char *name, unsigned ttl, char *text,
                             struct nl_token_rec *out, char *msg, size_t msglen, struct nl_arena *a)
{
    struct nl_token_req req = {role, unit, name, ttl, 0};
    enum nl_status res;

    sf_write_begin(g->rw);
    res = nl_store_token_create(g->rw, &req, text, NL_TOKEN_TEXT_LEN + 1, out, msg, msglen, a);
    sf_write_end(g->rw, res);
    return res;
}

static void create_ok(int role, const char *unit, const char *name, unsigned ttl, char *text,
                      struct nl_token_rec *out, struct nl_arena *a)
{
    char msg[256];
    enum nl_status res = create(role, unit, name, ttl, text, out, msg, sizeof(msg), a);

    if (res != NL_OK)
        fail_msg("create %s: %d %s", name, res, msg);
}

/* Verifies text on the read-only connection in a read transaction, as a reader would. */
static enum nl_token_verdict verify(const char *text, const char *now, struct nl_token_rec *out,
                                    struct nl_arena *a)
{
    enum nl_token_verdict v = NL_TOKEN_VALID;

    assert_int_equal(nl_store_begin_read(g->ro), NL_OK);
    assert_int_equal(nl_store_token_verify(g->ro, text, strlen(text), now, &v, out, a), NL_OK);
    assert_int_equal(nl_store_end_read(g->ro), NL_OK);
    return v;
}

/* nl_store_token_verify_cached of `text` on the fixture's connection. */
static enum nl_token_verdict verify_cached(const char *text, struct nl_arena *a)
{
    enum nl_token_verdict v = NL_TOKEN_MALFORMED;
    struct nl_token_rec rec;
    struct nl_token t;

    assert_int_equal(nl_token_parse(text, strlen(text), &t), 0);
    assert_int_equal(nl_store_token_verify_cached(g->rw, &t, &rec, &v, a), NL_OK);
    nl_token_wipe(&t);
    return v;
}

/*
 * The per-connection check remembers the secret it verified, and nothing it
 * did not: the same token again is valid; a wrong secret under the same id
 * is not taken for it; a revocation, and an expiry written behind its back
 * (with nl_store_tokens_changed), end it at once; an unknown id is unknown.
 */
static void test_verify_cached_remembers_only_verified_secrets(void **state)
{
    char text[NL_TOKEN_TEXT_LEN + 1], wrong[NL_TOKEN_TEXT_LEN + 1], q[256];
    struct nl_token_rec rec;
    struct nl_arena a;
    int revoked = 0;

    (void)state;
    nl_arena_init(&a, 1u << 20);
    create_ok(NL_ROLE_CENTRAL, "", "office", 0, text, &rec, &a);
    /* The same id with the last secret character changed (still base64url, 43 chars). */
    memcpy(wrong, text, sizeof(wrong));
    wrong[NL_TOKEN_TEXT_LEN - 1] = wrong[NL_TOKEN_TEXT_LEN - 1] == 'A' ? 'E' : 'A';
    assert_int_equal(verify_cached(wrong, &a), NL_TOKEN_BAD_SECRET); /* before any success */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(verify_cached(text, &a), NL_TOKEN_VALID);
        assert_int_equal(verify_cached(wrong, &a), NL_TOKEN_BAD_SECRET);
    }
    /* Expired behind the cache's back: stale once told. */
    (void)snprintf(q, sizeof(q),
                   "UPDATE auth_token SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = '%s'",
                   rec.id);
    sql(q);
    nl_store_tokens_changed();
    assert_int_equal(verify_cached(text, &a), NL_TOKEN_EXPIRED);
    (void)snprintf(q, sizeof(q),
                   "UPDATE auth_token SET expires_at = '2999-01-01T00:00:00.000Z' WHERE id = '%s'",
                   rec.id);
    sql(q);
    nl_store_tokens_changed();
    assert_int_equal(verify_cached(text, &a), NL_TOKEN_VALID);
    /* Revoked through the store: the next check says so. */
    assert_int_equal(nl_store_begin_write(g->rw), NL_OK);
    assert_int_equal(nl_store_token_revoke(g->rw, rec.id, &revoked), NL_OK);
    assert_int_equal(nl_store_commit(g->rw), NL_OK);
    assert_true(revoked);
    assert_int_equal(verify_cached(text, &a), NL_TOKEN_REVOKED);
    assert_int_equal(verify_cached(wrong, &a), NL_TOKEN_BAD_SECRET);
    /* Unknown id. */
    memcpy(wrong, text, sizeof(wrong));
    memcpy(wrong + 3, "000000000000", 12);
    assert_int_equal(verify_cached(wrong, &a), NL_TOKEN_UNKNOWN);
    nl_arena_release(&a);
}

static void test_create_and_verify(void **state)
{
    char text[NL_TOKEN_TEXT_LEN + 1], msg[256];
    struct nl_token_rec rec, got;
    struct nl_token t;
    unsigned char h[NL_TOKEN_HASH_BYTES], want[NL_TOKEN_HASH_BYTES];
    struct nl_arena a;
    int found = 0;

    (void)state;
    nl_arena_init(&a, 1u << 20);
    create_ok(NL_ROLE_DISTRICT, "d1", "Cle\xcc\x81rk", 0, text, &rec, &a);
    assert_int_equal(nl_token_parse(text, strlen(text), &t), 0);
    assert_string_equal(rec.id, t.id);
    assert_int_equal(rec.role, NL_ROLE_DISTRICT);
    assert_string_equal(rec.unit, "d1");
    assert_int_equal(rec.unit_id, 2);
    assert_string_equal(rec.name, "Cl\xc3\xa9rk"); /* stored in NFC */
    assert_string_equal(rec.revoked_at, "");
    /* Expires 90 days after creation, to the millisecond. */
    (void)snprintf(msg, sizeof(msg),
                   "SELECT (julianday(expires_at) - julianday(created_at)) * 86400000"
                   " FROM auth_token WHERE id = '%s'",
                   rec.id);
    assert_int_equal(sql_long(msg), 90L * 86400000L);

    /* The row holds SHA-256 of the secret, found by id. */
    assert_int_equal(nl_store_token_find(g->rw, rec.id, &got, h, &found, &a), NL_OK);
    assert_true(found);
    nl_token_hash(t.secret, want);
    assert_memory_equal(h, want, sizeof(h));
    assert_string_equal(got.expires_at, rec.expires_at);
    assert_string_equal(got.unit, "d1");

    assert_int_equal(verify(text, NULL, &got, &a), NL_TOKEN_VALID);
    assert_string_equal(got.id, rec.id);
    assert_int_equal(got.role, NL_ROLE_DISTRICT);
    assert_int_equal(got.unit_id, 2);
    assert_string_equal(got.name, rec.name);

    /* Admin and central tokens carry no unit; a ttl of 1 day is honoured. */
    create_ok(NL_ROLE_CENTRAL, "", "central office", 1, text, &rec, &a);
    assert_int_equal(rec.role, NL_ROLE_CENTRAL);
    assert_int_equal(rec.unit_id, 0);
    assert_string_equal(rec.unit, "");
    (void)snprintf(msg, sizeof(msg),
                   "SELECT (julianday(expires_at) - julianday(created_at)) * 86400000"
                   " FROM auth_token WHERE id = '%s'",
                   rec.id);
    assert_int_equal(sql_long(msg), 86400000L);
    assert_int_equal(verify(text, NULL, &got, &a), NL_TOKEN_VALID);
    create_ok(NL_ROLE_ADMIN, NULL, "root", 0, text, &rec, &a);
    assert_int_equal(verify(text, NULL, &got, &a), NL_TOKEN_VALID);
    assert_int_equal(got.role, NL_ROLE_ADMIN);
    assert_int_equal(sql_long("SELECT count(*) FROM auth_token"), 3);

    /* Unknown ids and malformed ids are simply not found. */
    assert_int_equal(nl_store_token_find(g->rw, "000000000000", &got, h, &found, &a), NL_OK);
    assert_false(found);
    assert_int_equal(nl_store_token_find(g->rw, "' OR 1=1 --", &got, h, &found, &a), NL_OK);
    assert_false(found);
    nl_token_wipe(&t);
    nl_arena_release(&a);
}

static void test_create_refusals_write_nothing(void **state)
{
    static const struct {
        int role;
        const char *unit, *name;
        unsigned ttl;
        const char *prefix;
    } cases[] = {
        {0, "", "x", 0, "token.role: "},
        {4, "", "x", 0, "token.role: "},
        {NL_ROLE_DISTRICT, "", "x", 0, "token.unit: "},
        {NL_ROLE_DISTRICT, NULL, "x", 0, "token.unit: "},
        {NL_ROLE_ADMIN, "d1", "x", 0, "token.unit: "},
        {NL_ROLE_CENTRAL, "hn", "x", 0, "token.unit: "},
        {NL_ROLE_DISTRICT, "nowhere", "x", 0, "token.unit: no such unit"},
        {NL_ROLE_ADMIN, "", "", 0, "token.name: "},
        {NL_ROLE_ADMIN, "", NULL, 0, "token.name: "},
        {NL_ROLE_ADMIN, "", "tab\there", 0, "token.name: "},
        {NL_ROLE_ADMIN, "", "bad \xff utf8", 0, "token.name: "},
        {NL_ROLE_ADMIN, "", "x", NL_TOKEN_TTL_DAYS_MAX + 1, "token.ttl_days: "},
    };
    char text[NL_TOKEN_TEXT_LEN + 1], msg[256], longname[NL_TOKEN_NAME_MAX + 2];
    struct nl_token_rec rec;
    struct nl_arena a;

    (void)state;
    nl_arena_init(&a, 1u << 20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(text, 'x', sizeof(text));
        assert_int_equal(create(cases[i].role, cases[i].unit, cases[i].name, cases[i].ttl, text,
                                &rec, msg, sizeof(msg), &a),
                         NL_INVALID_ARGUMENT);
        if (strncmp(msg, cases[i].prefix, strlen(cases[i].prefix)) != 0)
            fail_msg("case %zu: message '%s', want '%s...'", i, msg, cases[i].prefix);
        assert_string_equal(text, "");
    }
    memset(longname, 'n', sizeof(longname));
    longname[NL_TOKEN_NAME_MAX + 1] = '\0';
    assert_int_equal(create(NL_ROLE_ADMIN, "", longname, 0, text, &rec, msg, sizeof(msg), &a),
                     NL_INVALID_ARGUMENT);
    assert_int_equal(sql_long("SELECT count(*) FROM auth_token"), 0);
    longname[NL_TOKEN_NAME_MAX] = '\0';
    create_ok(NL_ROLE_ADMIN, "", longname, NL_TOKEN_TTL_DAYS_MAX, text, &rec, &a);
    assert_int_equal(sql_long("SELECT count(*) FROM auth_token"), 1);
    nl_arena_release(&a);
}

static void test_verify_refuses(void **state)
{
    char text[NL_TOKEN_TEXT_LEN + 1], other[NL_TOKEN_TEXT_LEN + 1], forged[NL_TOKEN_TEXT_LEN + 1];
    char q[256], revoked_at[64];
    struct nl_token_rec rec, rec2, got;
    struct nl_token t;
    struct nl_arena a;
    int revoked = -1;

    (void)state;
    nl_arena_init(&a, 1u << 20);
    create_ok(NL_ROLE_DISTRICT, "d1", "clerk", 0, text, &rec, &a);
    create_ok(NL_ROLE_ADMIN, "", "boss", 0, other, &rec2, &a);
    assert_int_equal(verify(text, NULL, &got, &a), NL_TOKEN_VALID);

    /* The right id with another secret (here: the admin token's secret). */
    memcpy(forged, text, 16);
    memcpy(forged + 16, other + 16, NL_TOKEN_SECRET_LEN + 1);
    assert_int_equal(verify(forged, NULL, &got, &a), NL_TOKEN_BAD_SECRET);
    assert_string_equal(got.id, rec.id);
    assert_int_equal(got.role, 0);
    assert_null(got.unit);
    /* One character of the secret changed. */
    memcpy(forged, text, sizeof(text));
    forged[30] = forged[30] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(forged, NULL, &got, &a), NL_TOKEN_BAD_SECRET);
    /* An id no credential has, with a valid secret. */
    memcpy(forged, text, sizeof(text));
    memcpy(forged + 3, rec.id[0] == '0' ? "111111111111" : "000000000000", 12);
    assert_int_equal(verify(forged, NULL, &got, &a), NL_TOKEN_UNKNOWN);
    /* Malformed text never reaches the store. */
    assert_int_equal(verify("nl_garbage", NULL, &got, &a), NL_TOKEN_MALFORMED);
    (void)snprintf(forged, sizeof(forged), "%.58s", text);
    assert_int_equal(verify(forged, NULL, &got, &a), NL_TOKEN_MALFORMED);

    /* Expiry: at a later time, and with expires_at moved into the past. */
    assert_int_equal(verify(text, "2999-01-01T00:00:00.000Z", &got, &a), NL_TOKEN_EXPIRED);
    assert_int_equal(verify(text, rec.expires_at, &got, &a), NL_TOKEN_EXPIRED);
    assert_int_equal(verify(text, rec.created_at, &got, &a), NL_TOKEN_VALID);
    (void)snprintf(q, sizeof(q),
                   "UPDATE auth_token SET expires_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ',"
                   " 'now', '-1 second') WHERE id = '%s'",
                   rec.id);
    sql(q);
    assert_int_equal(verify(text, NULL, &got, &a), NL_TOKEN_EXPIRED);
    assert_int_equal(verify(other, NULL, &got, &a), NL_TOKEN_VALID);

    /* Revocation. */
    sf_write_begin(g->rw);
    assert_int_equal(nl_store_token_revoke(g->rw, rec2.id, &revoked), NL_OK);
    sf_write_end(g->rw, NL_OK);
    assert_int_equal(revoked, 1);
    assert_int_equal(verify(other, NULL, &got, &a), NL_TOKEN_REVOKED);
    (void)snprintf(q, sizeof(q), "SELECT revoked_at FROM auth_token WHERE id = '%s'", rec2.id);
    sf_query_text(g->rw, q, revoked_at, sizeof(revoked_at));
    assert_int_equal(strlen(revoked_at), NL_TOKEN_TIME_LEN);
    /* Revoking again changes nothing, the first time stays. */
    sf_write_begin(g->rw);
    assert_int_equal(nl_store_token_revoke(g->rw, rec2.id, &revoked), NL_OK);
    sf_write_end(g->rw, NL_OK);
    assert_int_equal(revoked, 0);
    assert_string_equal(sql_text(q), revoked_at);
    sf_write_begin(g->rw);
    assert_int_equal(nl_store_token_revoke(g->rw, "abcdefabcdef", &revoked), NL_NOT_FOUND);
    assert_int_equal(nl_store_token_revoke(g->rw, "not an id", &revoked), NL_NOT_FOUND);
    sf_write_end(g->rw, NL_NOT_FOUND);

    /* The verify path wipes the parsed secret; the caller's text stays as it was. */
    assert_int_equal(nl_token_parse(other, strlen(other), &t), 0);
    assert_string_equal(t.id, rec2.id);
    nl_token_wipe(&t);
    nl_arena_release(&a);
}

static void test_list(void **state)
{
    char text[NL_TOKEN_TEXT_LEN + 1], ids[3][NL_TOKEN_ID_LEN + 1];
    struct nl_token_rec rec, *rows = NULL;
    struct nl_arena a;
    size_t n = 99;
    int revoked = 0;

    (void)state;
    nl_arena_init(&a, 1u << 20);
    assert_int_equal(nl_store_token_list(g->ro, &rows, &n, &a), NL_OK);
    assert_int_equal(n, 0);
    create_ok(NL_ROLE_ADMIN, "", "first", 0, text, &rec, &a);
    memcpy(ids[0], rec.id, sizeof(ids[0]));
    create_ok(NL_ROLE_DISTRICT, "d1", "second", 0, text, &rec, &a);
    memcpy(ids[1], rec.id, sizeof(ids[1]));
    create_ok(NL_ROLE_CENTRAL, "", "third", 0, text, &rec, &a);
    memcpy(ids[2], rec.id, sizeof(ids[2]));
    /* Creation times may tie within a millisecond; make the order certain. */
    sql("UPDATE auth_token SET created_at = '2020-01-0' || "
        "(CASE name WHEN 'first' THEN 1 WHEN 'second' THEN 2 ELSE 3 END) || 'T00:00:00.000Z'");
    sf_write_begin(g->rw);
    assert_int_equal(nl_store_token_revoke(g->rw, ids[0], &revoked), NL_OK);
    sf_write_end(g->rw, NL_OK);

    assert_int_equal(nl_store_token_list(g->ro, &rows, &n, &a), NL_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(rows[i].id, ids[i]);
    assert_string_equal(rows[0].name, "first");
    assert_int_equal(rows[0].role, NL_ROLE_ADMIN);
    assert_string_not_equal(rows[0].revoked_at, "");
    assert_string_equal(rows[1].unit, "d1");
    assert_int_equal(rows[1].role, NL_ROLE_DISTRICT);
    assert_string_equal(rows[1].revoked_at, "");
    assert_int_equal(rows[2].role, NL_ROLE_CENTRAL);
    assert_string_equal(rows[2].unit, "");
    assert_string_equal(rows[2].created_at, "2020-01-03T00:00:00.000Z");
    nl_arena_release(&a);
}

static void test_admin_exists(void **state)
{
    char text[NL_TOKEN_TEXT_LEN + 1];
    struct nl_token_rec rec;
    struct nl_arena a;
    int exists = -1, revoked = 0;

    (void)state;
    nl_arena_init(&a, 1u << 20);
    assert_int_equal(nl_store_token_admin_exists(g->ro, NULL, &exists), NL_OK);
    assert_false(exists);
    create_ok(NL_ROLE_CENTRAL, "", "c", 0, text, &rec, &a);
    create_ok(NL_ROLE_DISTRICT, "d1", "d", 0, text, &rec, &a);
    assert_int_equal(nl_store_token_admin_exists(g->ro, NULL, &exists), NL_OK);
    assert_false(exists);
    create_ok(NL_ROLE_ADMIN, "", "a", 0, text, &rec, &a);
    assert_int_equal(nl_store_token_admin_exists(g->ro, NULL, &exists), NL_OK);
    assert_true(exists);
    /* Expired at a later time: it no longer counts. */
    assert_int_equal(nl_store_token_admin_exists(g->ro, rec.expires_at, &exists), NL_OK);
    assert_false(exists);
    sf_write_begin(g->rw);
    assert_int_equal(nl_store_token_revoke(g->rw, rec.id, &revoked), NL_OK);
    sf_write_end(g->rw, NL_OK);
    assert_int_equal(nl_store_token_admin_exists(g->ro, NULL, &exists), NL_OK);
    assert_false(exists);
    nl_arena_release(&a);
}

static void test_schema_checks(void **state)
{
    static const char *const bad[] = {
        /* district without a unit; admin or central with one */
        "INSERT INTO auth_token(id, secret_sha256, role, unit_id, name)"
        " VALUES ('aaaaaaaaaaaa', randomblob(32), 'district', NULL, 'x')",
        "INSERT INTO auth_token(id, secret_sha256, role, unit_id, name)"
        " VALUES ('aaaaaaaaaaaa', randomblob(32), 'admin', 1, 'x')",
        "INSERT INTO auth_token(id, secret_sha256, role, unit_id, name)"
        " VALUES ('aaaaaaaaaaaa', randomblob(32), 'central', 2, 'x')",
        /* an unknown role, a unit that does not exist */
        "INSERT INTO auth_token(id, secret_sha256, role, name)"
        " VALUES ('aaaaaaaaaaaa', randomblob(32), 'root', 'x')",
        "INSERT INTO auth_token(id, secret_sha256, role, unit_id, name)"
        " VALUES ('aaaaaaaaaaaa', randomblob(32), 'district', 99, 'x')",
        /* a hash that is not 32 bytes, or is text */
        "INSERT INTO auth_token(id, secret_sha256, role, name)"
        " VALUES ('aaaaaaaaaaaa', randomblob(31), 'admin', 'x')",
        "INSERT INTO auth_token(id, secret_sha256, role, name)"
        " VALUES ('aaaaaaaaaaaa', '0123456789abcdef0123456789abcdef', 'admin', 'x')",
        /* ids of another shape */
        "INSERT INTO auth_token(id, secret_sha256, role, name)"
        " VALUES ('AAAAAAAAAAAA', randomblob(32), 'admin', 'x')",
        "INSERT INTO auth_token(id, secret_sha256, role, name)"
        " VALUES ('aaaaaaaaaaa', randomblob(32), 'admin', 'x')",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (nl_store_test_exec(g->rw, bad[i]) == NL_OK)
            fail_msg("accepted: %s", bad[i]);
    }
    assert_int_equal(sql_long("SELECT count(*) FROM auth_token"), 0);
    /* The defaults: created now, expires in 90 days, not revoked. */
    sql("INSERT INTO auth_token(id, secret_sha256, role, name)"
        " VALUES ('aaaaaaaaaaaa', randomblob(32), 'admin', 'x')");
    assert_int_equal(sql_long("SELECT round(julianday(expires_at) - julianday(created_at))"
                              " FROM auth_token"),
                     90);
    assert_int_equal(sql_long("SELECT revoked_at IS NULL FROM auth_token"), 1);
}

/* Appends the bytes of file `path` (absent: nothing) to *buf of *len. */
static void slurp(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char chunk[65536];
    size_t n;

    if (f == NULL)
        return;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        unsigned char *p = realloc(*buf, *len + n);
        assert_non_null(p);
        memcpy(p + *len, chunk, n);
        *buf = p;
        *len += n;
    }
    assert_int_equal(ferror(f), 0);
    (void)fclose(f);
}

/* 1 if the n bytes of needle occur in hay. */
static int contains(const unsigned char *hay, size_t hlen, const void *needle, size_t n)
{
    for (size_t i = 0; n > 0 && i + n <= hlen; i++) {
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    }
    return 0;
}

static void test_no_secret_in_the_database_file(void **state)
{
    enum { N = 6 };
    char texts[N][NL_TOKEN_TEXT_LEN + 1], path[256];
    struct nl_token_rec rec;
    struct nl_token t;
    unsigned char h[NL_TOKEN_HASH_BYTES], *bytes = NULL;
    struct nl_arena a;
    size_t len = 0;

    (void)state;
    nl_arena_init(&a, 1u << 20);
    for (int i = 0; i < N; i++) {
        create_ok(i % 3 + 1, i % 3 + 1 == NL_ROLE_DISTRICT ? "d1" : "", "dump", 0, texts[i], &rec,
                  &a);
    }
    /* Once in the WAL, once checkpointed into the main file: read both, both times. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            assert_int_equal(nl_store_checkpoint(g->rw), NL_OK);
        free(bytes);
        bytes = NULL;
        len = 0;
        slurp(g->path, &bytes, &len);
        (void)snprintf(path, sizeof(path), "%s-wal", g->path);
        slurp(path, &bytes, &len);
        assert_true(len > 0);
        for (int i = 0; i < N; i++) {
            assert_int_equal(nl_token_parse(texts[i], strlen(texts[i]), &t), 0);
            nl_token_hash(t.secret, h);
            /* What must be there: the id and the hash (the search sees the rows). */
            assert_true(contains(bytes, len, t.id, NL_TOKEN_ID_LEN));
            assert_true(contains(bytes, len, h, sizeof(h)));
            /* What must not: the token text, its secret part, the raw secret. */
            assert_false(contains(bytes, len, texts[i], NL_TOKEN_TEXT_LEN));
            assert_false(contains(bytes, len, texts[i] + 16, NL_TOKEN_SECRET_LEN));
            assert_false(contains(bytes, len, texts[i] + 16, 16));
            assert_false(contains(bytes, len, t.secret, sizeof(t.secret)));
            assert_false(contains(bytes, len, t.secret, 16));
            nl_token_wipe(&t);
        }
    }
    free(bytes);
    nl_arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_format_parse),
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_parse_refuses_malformed),
        cmocka_unit_test(test_check_verdicts),
        cmocka_unit_test_setup_teardown(test_roles_and_clock, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_create_and_verify, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_create_refusals_write_nothing, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_verify_refuses, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_admin_exists, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_schema_checks, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_no_secret_in_the_database_file, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_verify_cached_remembers_only_verified_secrets, setup,
                                        sf_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
