/*
 * test_config.c - nhanlucd's settings: defaults, flags, config files, and
 * the rules that refuse a bad setting before the server starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../server/config.h"

/* argv strings are never written; -Wwrite-strings wants the cast spelled out. */
#define S(lit) ((char *)(uintptr_t)(lit))

static int parse(struct nl_config *cfg, char **argv, int argc, char *errbuf, size_t errlen)
{
    FILE *out = fopen("/dev/null", "w");
    FILE *err = fmemopen(errbuf, errlen, "w");
    int rv;

    assert_non_null(out);
    assert_non_null(err);
    rv = nl_config_parse_args(cfg, argc, argv, out, err);
    fclose(err);
    fclose(out);
    return rv;
}

static void test_defaults(void **state)
{
    struct nl_config cfg;

    (void)state;
    nl_config_defaults(&cfg);
    assert_string_equal(cfg.listen, "127.0.0.1:50051");
    assert_int_equal(cfg.max_message, 4u << 20);
    assert_int_equal(cfg.max_streams, 100);
    assert_int_equal(cfg.header_list_max, 8192);
    assert_int_equal(cfg.header_fields_max, 64);
    assert_int_equal(cfg.drain_timeout_ms, 30000);
    assert_int_equal(cfg.max_deadline_ms, 300000);
    assert_int_equal(cfg.log_level, NL_LOG_INFO);
}

static void test_flags(void **state)
{
    struct nl_config cfg;
    char err[512] = "";
    char *argv[] = {S("nhanlucd"),    S("--listen"), S("127.0.0.1:0"),   S("--db=/tmp/x.db"),
                    S("--log-level"), S("debug"),    S("--max-streams"), S("10")};

    (void)state;
    nl_config_defaults(&cfg);
    assert_int_equal(parse(&cfg, argv, 8, err, sizeof(err)), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:0");
    assert_string_equal(cfg.db, "/tmp/x.db");
    assert_int_equal(cfg.log_level, NL_LOG_DEBUG);
    assert_int_equal(cfg.max_streams, 10);
}

static void test_bad_flags(void **state)
{
    struct nl_config cfg;
    char err[512];
    char *unknown[] = {S("nhanlucd"), S("--nope"), S("1")};
    char *range[] = {S("nhanlucd"), S("--max-streams"), S("0")};
    char *notnum[] = {S("nhanlucd"), S("--max-streams"), S("12x")};
    char *missing[] = {S("nhanlucd"), S("--db")};
    char *level[] = {S("nhanlucd"), S("--log-level"), S("loud")};

    (void)state;
    nl_config_defaults(&cfg);
    memset(err, 0, sizeof(err));
    assert_int_equal(parse(&cfg, unknown, 3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown option '--nope'"));
    memset(err, 0, sizeof(err));
    assert_int_equal(parse(&cfg, range, 3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'max-streams' must be a number from 1 to 1000"));
    assert_int_equal(parse(&cfg, notnum, 3, err, sizeof(err)), -1);
    memset(err, 0, sizeof(err));
    assert_int_equal(parse(&cfg, missing, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(parse(&cfg, level, 3, err, sizeof(err)), -1);
    assert_int_equal(cfg.max_streams, 100); /* nothing changed by refused flags */
}

static void test_help_version(void **state)
{
    struct nl_config cfg;
    char err[64];
    char *help[] = {S("nhanlucd"), S("--help")};
    char *version[] = {S("nhanlucd"), S("--version")};

    (void)state;
    nl_config_defaults(&cfg);
    assert_int_equal(parse(&cfg, help, 2, err, sizeof(err)), 1);
    assert_int_equal(parse(&cfg, version, 2, err, sizeof(err)), 1);
}

static void test_config_file(void **state)
{
    char path[] = "/tmp/nl-config-XXXXXX";
    int fd = mkstemp(path);
    struct nl_config cfg;
    char err[512] = "";

    (void)state;
    assert_true(fd >= 0);
    const char text[] = "# sample\n\nlisten = 127.0.0.1:6000\n  db=/var/lib/x.db  \n"
                        "log-level = warn\r\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    nl_config_defaults(&cfg);
    char *argv[] = {S("nhanlucd"), S("--config"), path, S("--listen"), S("127.0.0.1:7000")};
    assert_int_equal(parse(&cfg, argv, 5, err, sizeof(err)), 0);
    assert_string_equal(cfg.listen, "127.0.0.1:7000"); /* later flags win */
    assert_string_equal(cfg.db, "/var/lib/x.db");
    assert_int_equal(cfg.log_level, NL_LOG_WARN);

    /* A bad line names the file and the line. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("listen = 127.0.0.1:1\nthreads = many\n", f);
    fclose(f);
    FILE *e = fmemopen(err, sizeof(err), "w");
    assert_int_equal(nl_config_load_file(&cfg, path, e), -1);
    fclose(e);
    char want[64];
    snprintf(want, sizeof(want), "%s:2:", path);
    assert_non_null(strstr(err, want));
    unlink(path);

    memset(err, 0, sizeof(err));
    e = fmemopen(err, sizeof(err), "w");
    assert_int_equal(nl_config_load_file(&cfg, "/nonexistent/nhanlucd.conf", e), -1);
    fclose(e);
    assert_non_null(strstr(err, "cannot open config"));
}

static void test_validate_loopback_only(void **state)
{
    struct nl_config cfg;
    char err[512];
    static const char *const ok[] = {"127.0.0.1:0", "127.1.2.3:50051", "[::1]:50051",
                                     "localhost:1"};
    static const char *const bad[] = {"0.0.0.0:50051", "10.0.0.1:1",      "[::]:1", "host:1",
                                      "127.0.0.1",     "127.0.0.1:70000", ":1"};

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        nl_config_defaults(&cfg);
        snprintf(cfg.listen, sizeof(cfg.listen), "%s", ok[i]);
        FILE *e = fmemopen(err, sizeof(err), "w");
        assert_int_equal(nl_config_validate(&cfg, e), 0);
        fclose(e);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        nl_config_defaults(&cfg);
        snprintf(cfg.listen, sizeof(cfg.listen), "%s", bad[i]);
        memset(err, 0, sizeof(err));
        FILE *e = fmemopen(err, sizeof(err), "w");
        assert_int_equal(nl_config_validate(&cfg, e), -1);
        fclose(e);
        assert_true(strlen(err) > 0);
    }
}

/* A config (defaults + listen + TLS files) checked by nl_config_validate: its return. */
static int validate_with(const char *listen, const char *cert, const char *key, const char *ca,
                         unsigned insecure)
{
    struct nl_config cfg;
    char err[512];

    nl_config_defaults(&cfg);
    snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen);
    snprintf(cfg.tls_cert, sizeof(cfg.tls_cert), "%s", cert);
    snprintf(cfg.tls_key, sizeof(cfg.tls_key), "%s", key);
    snprintf(cfg.tls_client_ca, sizeof(cfg.tls_client_ca), "%s", ca);
    cfg.insecure_listen = insecure;
    FILE *e = fmemopen(err, sizeof(err), "w");
    int rv = nl_config_validate(&cfg, e);
    fclose(e);
    return rv;
}

static void test_tls_settings(void **state)
{
    struct nl_config cfg;
    char err[512];

    (void)state;
    /* Off loopback: TLS or --insecure-listen, else refused. */
    assert_int_equal(validate_with("10.0.0.1:1", "", "", "", 0), -1);
    assert_int_equal(validate_with("10.0.0.1:1", "", "", "", 1), 0);
    assert_int_equal(validate_with("[::]:1", "s.crt", "s.key", "", 0), 0);
    assert_int_equal(validate_with("0.0.0.0:1", "s.crt", "s.key", "ca.crt", 0), 0);
    /* Half a pair, or a client CA without a pair: refused even on loopback. */
    assert_int_equal(validate_with("127.0.0.1:0", "s.crt", "", "", 0), -1);
    assert_int_equal(validate_with("127.0.0.1:0", "", "s.key", "", 0), -1);
    assert_int_equal(validate_with("127.0.0.1:0", "", "", "ca.crt", 0), -1);
    assert_int_equal(validate_with("127.0.0.1:0", "s.crt", "s.key", "", 0), 0);

    /* --insecure-listen is a switch: it does not take the next argument as its value. */
    char *argv[] = {S("nhanlucd"), S("--insecure-listen"), S("--db"),
                    S("x.db"),     S("--tls-cert"),        S("a.crt")};
    nl_config_defaults(&cfg);
    assert_int_equal(cfg.insecure_listen, 0);
    assert_int_equal(parse(&cfg, argv, 6, err, sizeof(err)), 0);
    assert_int_equal(cfg.insecure_listen, 1);
    assert_string_equal(cfg.db, "x.db");
    assert_string_equal(cfg.tls_cert, "a.crt");
    char *off[] = {S("nhanlucd"), S("--insecure-listen=no")};
    assert_int_equal(parse(&cfg, off, 2, err, sizeof(err)), 0);
    assert_int_equal(cfg.insecure_listen, 0);
    char *bad[] = {S("nhanlucd"), S("--insecure-listen=2")};
    assert_int_equal(parse(&cfg, bad, 2, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "must be yes or no"));
    assert_int_equal(nl_config_is_switch("--insecure-listen"), 1);
    assert_int_equal(nl_config_is_switch("--insecure-listen=yes"), 0);
    assert_int_equal(nl_config_is_switch("--tls-cert"), 0);
    assert_int_equal(nl_config_is_switch("--nope"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_flags),
        cmocka_unit_test(test_bad_flags),    cmocka_unit_test(test_help_version),
        cmocka_unit_test(test_config_file),  cmocka_unit_test(test_validate_loopback_only),
        cmocka_unit_test(test_tls_settings),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
