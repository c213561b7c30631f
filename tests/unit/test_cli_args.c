/*
 * test_cli_args.c - unit tests of the CLI's pure parts: duration parsing and
 * formatting, --server addresses, enum names, term codes, the subcommand
 * option parser, global options in any position, the backoff cap, and the
 * three output formats (CSV quoting, table alignment with Vietnamese text in
 * composed and decomposed form, JSON shape read back with jansson).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nhanluc/v1/registry.pb-c.h"

#include "args.h"
#include "cli.h"
#include "output.h"
#include "text.h"

/* ---- durations ---- */

static void test_duration_good(void **state)
{
    static const struct {
        const char *s;
        uint64_t ms;
    } cases[] = {
        {"5s", 5000},     {"500ms", 500},
        {"2m", 120000},   {"1h", 3600000},
        {"1m30s", 90000}, {"1ms", 1},
        {"0m5s", 5000},   {"168h", 7ull * 24 * 3600000},
        {"007s", 7000},   {"1h1m1s1ms", 3661001},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t ms = 0;
        assert_int_equal(nl_duration_parse(cases[i].s, &ms), 0);
        assert_int_equal(ms, cases[i].ms);
    }
}

static void test_duration_bad(void **state)
{
    static const char *const bad[] = {
        "",
        "5",
        "s",
        "ms",
        "-5s",
        "+5s",
        "5 s",
        " 5s",
        "5s ",
        "5x",
        "5sx",
        "0s",
        "0ms",
        "1.5s",
        "5S",
        "5H",
        "5sec",
        "1d",
        "169h",
        "10081m",
        "99999999999999999999s",
        "18446744073709551615ms",
        "18446744073709551615h",
        "1s-1s",
        "0x10s",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t ms = 42;
        if (nl_duration_parse(bad[i], &ms) != -1)
            fail_msg("accepted bad duration '%s'", bad[i]);
        assert_int_equal(ms, 42); /* untouched on failure */
    }
    assert_int_equal(nl_duration_parse(NULL, &(uint64_t){0}), -1);
}

static void test_duration_format(void **state)
{
    char b[32];
    (void)state;
    assert_string_equal(nl_duration_format(500, b, sizeof(b)), "500ms");
    assert_string_equal(nl_duration_format(5000, b, sizeof(b)), "5s");
    assert_string_equal(nl_duration_format(120000, b, sizeof(b)), "2m");
    assert_string_equal(nl_duration_format(3600000, b, sizeof(b)), "1h");
    assert_string_equal(nl_duration_format(1500, b, sizeof(b)), "1500ms");
    assert_string_equal(nl_duration_format(90000, b, sizeof(b)), "90s");
    assert_string_equal(nl_duration_format(0, b, sizeof(b)), "0ms");
    /* Round trip: what we print parses back to the same value. */
    for (uint64_t ms = 1; ms < 5000000; ms = ms * 3 + 7) {
        uint64_t back = 0;
        assert_int_equal(nl_duration_parse(nl_duration_format(ms, b, sizeof(b)), &back), 0);
        assert_int_equal(back, ms);
    }
    assert_string_equal(nl_duration_format(1500, b, 3), "15"); /* truncated, terminated */
}

/* ---- server addresses ---- */

static void test_server_parse(void **state)
{
    char host[NL_HOST_MAX], err[128];
    unsigned port = 0;
    (void)state;

    assert_int_equal(nl_server_parse("127.0.0.1:50051", host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 50051);
    assert_int_equal(nl_server_parse("[::1]:8080", host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8080);
    assert_int_equal(nl_server_parse("localhost", host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, NL_DEFAULT_PORT);
    assert_int_equal(nl_server_parse("[fe80::1%lo]", host, &port, err, sizeof(err)), 0);
    assert_string_equal(host, "fe80::1%lo");
    assert_int_equal(nl_server_parse("db.example:65535", host, &port, err, sizeof(err)), 0);
    assert_int_equal(port, 65535);

    static const char *const bad[] = {
        "",      "::1",     "::1:50051", "host:0", "host:65536",
        "host:", ":50051",  "[::1",      "[::1]x", "[]:1",
        "a b:1", "host:5x", "host:-1",   "u@h:1",  "host:99999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (nl_server_parse(bad[i], host, &port, err, sizeof(err)) != -1)
            fail_msg("accepted bad server '%s'", bad[i]);
        assert_true(err[0] != '\0');
    }
    nl_server_parse("::1", host, &port, err, sizeof(err));
    assert_non_null(strstr(err, "[::1]:50051"));

    char longhost[NL_HOST_MAX + 8];
    memset(longhost, 'a', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = '\0';
    assert_int_equal(nl_server_parse(longhost, host, &port, err, sizeof(err)), -1);
}

/* ---- enums, years, term codes ---- */

static void test_enum_parse(void **state)
{
    const ProtobufCEnumDescriptor *d = &nhanluc__v1__unit_kind__descriptor;
    int v = -1;
    (void)state;

    assert_int_equal(nl_enum_parse(d, "city", &v), 0);
    assert_int_equal(v, NHANLUC__V1__UNIT_KIND__CITY);
    assert_int_equal(nl_enum_parse(d, "URBAN_DISTRICT", &v), 0);
    assert_int_equal(v, NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    assert_int_equal(nl_enum_parse(d, "Urban-District", &v), 0);
    assert_int_equal(v, NHANLUC__V1__UNIT_KIND__URBAN_DISTRICT);
    assert_int_equal(nl_enum_parse(d, "township", &v), 0);
    assert_int_equal(v, NHANLUC__V1__UNIT_KIND__TOWNSHIP);
    v = 99;
    assert_int_equal(nl_enum_parse(d, "unit_kind_unspecified", &v), -1);
    assert_int_equal(nl_enum_parse(d, "", &v), -1);
    assert_int_equal(nl_enum_parse(d, "cit", &v), -1);
    assert_int_equal(nl_enum_parse(d, "cityx", &v), -1);
    assert_int_equal(nl_enum_parse(d, "urban district", &v), -1);
    assert_int_equal(v, 99);
    assert_int_equal(nl_enum_parse(&nhanluc__v1__term_kind__descriptor, "peoples_council", &v), 0);
    assert_int_equal(v, NHANLUC__V1__TERM_KIND__PEOPLES_COUNCIL);

    char names[256];
    assert_string_equal(nl_enum_names(&nhanluc__v1__term_kind__descriptor, names, sizeof(names)),
                        "party_congress, peoples_council");
    nl_enum_names(d, names, sizeof(names));
    assert_non_null(strstr(names, "city, urban_district, rural_district"));
    assert_null(strstr(names, "unspecified"));
    nl_enum_names(d, names, 12); /* truncates at a whole name */
    assert_string_equal(names, "city");

    assert_string_equal(nl_enum_name(d, 2), "URBAN_DISTRICT");
    assert_null(nl_enum_name(d, 77));
}

static void test_years(void **state)
{
    int s = 0, e = 0;
    (void)state;

    assert_int_equal(nl_term_code_years("2020-2025", &s, &e), 0);
    assert_int_equal(s, 2020);
    assert_int_equal(e, 2025);
    static const char *const bad[] = {"2020-25",    "2020_2025", "abcd-efgh", "2020-2025x",
                                      "-2020-2025", "20202-025", "",          "0000-2025"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (nl_term_code_years(bad[i], &s, &e) != -1)
            fail_msg("accepted bad term code '%s'", bad[i]);
    assert_int_equal(nl_year_parse("2016", &s), 0);
    assert_int_equal(s, 2016);
    assert_int_equal(nl_year_parse("12345", &s), -1);
    assert_int_equal(nl_year_parse("20x0", &s), -1);
    assert_int_equal(nl_year_parse("", &s), -1);
    assert_int_equal(nl_year_parse("-1", &s), -1);
}

/* ---- subcommand options ---- */

static void test_opts_parse(void **state)
{
    char *kind = NULL, *parent = NULL, *flag = NULL, *pos[3], err[128];
    const struct nl_opt opts[] = {
        {"kind", 1, &kind}, {"parent", 1, &parent}, {"dry-run", 0, &flag}, {NULL, 0, NULL}};
    char a0[] = "tay-ho", a1[] = "--kind=urban_district", a2[] = "Quận Tây Hồ", a3[] = "--parent",
         a4[] = "ha-noi", a5[] = "--dry-run";
    char *argv1[] = {a0, a1, a2, a3, a4, a5};
    (void)state;

    assert_int_equal(nl_opts_parse(6, argv1, opts, pos, 3, err, sizeof(err)), 2);
    assert_string_equal(pos[0], "tay-ho");
    assert_string_equal(pos[1], "Quận Tây Hồ");
    assert_string_equal(kind, "urban_district");
    assert_string_equal(parent, "ha-noi");
    assert_string_equal(flag, "1");

    char b0[] = "--", b1[] = "--kind", b2[] = "-x";
    char *argv2[] = {b0, b1, b2};
    kind = NULL;
    assert_int_equal(nl_opts_parse(3, argv2, opts, pos, 3, err, sizeof(err)), 2);
    assert_string_equal(pos[0], "--kind");
    assert_string_equal(pos[1], "-x");
    assert_null(kind);

    char c0[] = "--colour";
    char *argv3[] = {c0};
    assert_int_equal(nl_opts_parse(1, argv3, opts, pos, 3, err, sizeof(err)), -1);
    assert_string_equal(err, "unknown option '--colour'");
    char c1[] = "--kind";
    char *argv4[] = {c1};
    assert_int_equal(nl_opts_parse(1, argv4, opts, pos, 3, err, sizeof(err)), -1);
    assert_string_equal(err, "option '--kind' needs a value");
    char c2[] = "-k";
    char *argv5[] = {c2};
    assert_int_equal(nl_opts_parse(1, argv5, opts, pos, 3, err, sizeof(err)), -1);
    assert_string_equal(err, "unknown option '-k'");
    char c3[] = "--dry-run=yes";
    char *argv6[] = {c3};
    assert_int_equal(nl_opts_parse(1, argv6, opts, pos, 3, err, sizeof(err)), -1);
    char d0[] = "a", d1[] = "b";
    char *argv7[] = {d0, d1};
    assert_int_equal(nl_opts_parse(2, argv7, opts, pos, 1, err, sizeof(err)), -1);
    assert_string_equal(err, "unexpected argument 'b'");
    /* A lone "-" is a positional word (stdin by convention). */
    char e0[] = "-";
    char *argv8[] = {e0};
    assert_int_equal(nl_opts_parse(1, argv8, opts, pos, 1, err, sizeof(err)), 1);
}

/* ---- global options ---- */

static void test_globals(void **state)
{
    struct nl_cli cli;
    char *rest[16], err[256];
    char p[] = "nhanluc", a[] = "unit", b[] = "list", c[] = "--output", d[] = "csv",
         e[] = "--timeout=500ms", f[] = "--parent", g[] = "x", h[] = "--server", i[] = "[::1]:9",
         j[] = "--", k[] = "--output";
    char *argv[] = {p, h, i, a, b, c, d, e, f, g, j, k};
    (void)state;

    nl_cli_init(&cli, "example:1", 1);
    assert_string_equal(cli.server, "example:1");
    assert_int_equal(cli.output, NL_OUTPUT_TABLE);
    assert_int_equal(cli.timeout_ms, 10000);
    assert_false(cli.timeout_set);
    int n = nl_cli_parse_globals(&cli, 12, argv, rest, err, sizeof(err));
    assert_int_equal(n, 6);
    assert_string_equal(rest[0], "unit");
    assert_string_equal(rest[1], "list");
    assert_string_equal(rest[2], "--parent");
    assert_string_equal(rest[3], "x");
    assert_string_equal(rest[4], "--");
    assert_string_equal(rest[5], "--output"); /* after "--": not a global option */
    assert_int_equal(cli.output, NL_OUTPUT_CSV);
    assert_int_equal(cli.timeout_ms, 500);
    assert_true(cli.timeout_set);
    assert_string_equal(cli.server, "[::1]:9");
    /* "--timeout 10s" names the default, and still counts as given (import/export keep it). */
    char t10a[] = "--timeout", t10b[] = "10s";
    char *argv10[] = {p, t10a, t10b, a};
    nl_cli_init(&cli, NULL, 0);
    assert_int_equal(nl_cli_parse_globals(&cli, 4, argv10, rest, err, sizeof(err)), 1);
    assert_int_equal(cli.timeout_ms, NL_CLI_DEFAULT_TIMEOUT);
    assert_true(cli.timeout_set);

    nl_cli_init(&cli, "", 0);
    assert_string_equal(cli.server, NL_CLI_DEFAULT_SERVER);
    assert_int_equal(cli.output, NL_OUTPUT_JSON);
    nl_cli_init(&cli, NULL, 0);
    assert_string_equal(cli.server, NL_CLI_DEFAULT_SERVER);

    char t1[] = "--timeout", t2[] = "5";
    char *bad1[] = {p, t1, t2};
    assert_int_equal(nl_cli_parse_globals(&cli, 3, bad1, rest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bad --timeout '5'"));
    char *bad2[] = {p, a, t1};
    assert_int_equal(nl_cli_parse_globals(&cli, 3, bad2, rest, err, sizeof(err)), -1);
    assert_string_equal(err, "option '--timeout' needs a value");
    char o1[] = "--output=xml";
    char *bad3[] = {p, o1};
    assert_int_equal(nl_cli_parse_globals(&cli, 2, bad3, rest, err, sizeof(err)), -1);
    char s1[] = "--server=::1";
    char *bad4[] = {p, s1};
    assert_int_equal(nl_cli_parse_globals(&cli, 2, bad4, rest, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bad --server"));
    /* --servers is not --server: it is left for the command to reject. */
    char s2[] = "--servers", q[] = "-h", v[] = "--version";
    char *argv2[] = {p, s2, q, v};
    nl_cli_init(&cli, NULL, 0);
    assert_int_equal(nl_cli_parse_globals(&cli, 4, argv2, rest, err, sizeof(err)), 1);
    assert_string_equal(rest[0], "--servers");
    assert_true(cli.help);
    assert_true(cli.version);
}

static void test_backoff_cap(void **state)
{
    (void)state;
    assert_int_equal(nl_backoff_cap_ms(1), 1000);
    assert_int_equal(nl_backoff_cap_ms(2), 2000);
    assert_int_equal(nl_backoff_cap_ms(3), 4000);
    assert_int_equal(nl_backoff_cap_ms(9), 256000);
    assert_int_equal(nl_backoff_cap_ms(10), 300000);
    assert_int_equal(nl_backoff_cap_ms(64), 300000);
    assert_int_equal(nl_backoff_cap_ms(UINT32_MAX), 300000);
}

/* ---- output ---- */

/* Renders records into a malloc'd string. */
static char *render(enum nl_output fmt, const struct nl_records *r, int single)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);

    assert_non_null(f);
    assert_int_equal(nl_output_write(f, fmt, r, single), 0);
    assert_int_equal(fclose(f), 0);
    return s;
}

static const struct nl_col unit_cols[] = {
    {"code", NL_COL_STR}, {"name", NL_COL_STR}, {"kind", NL_COL_STR}, {"parent", NL_COL_STR}};

static void test_output_parse(void **state)
{
    enum nl_output o = NL_OUTPUT_TABLE;
    (void)state;
    assert_int_equal(nl_output_parse("json", &o), 0);
    assert_int_equal(o, NL_OUTPUT_JSON);
    assert_int_equal(nl_output_parse("CSV", &o), 0);
    assert_int_equal(o, NL_OUTPUT_CSV);
    assert_int_equal(nl_output_parse("Table", &o), 0);
    assert_int_equal(o, NL_OUTPUT_TABLE);
    assert_int_equal(nl_output_parse("xml", &o), -1);
    assert_int_equal(nl_output_parse("", &o), -1);
    assert_int_equal(nl_output_parse("jsonl", &o), -1);
    assert_int_equal(o, NL_OUTPUT_TABLE);
}

static void test_csv_field(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"Quận Tây Hồ", "Quận Tây Hồ"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"line\nbreak", "\"line\nbreak\""},
        {"cr\r", "\"cr\r\""},
        {"\"", "\"\"\"\""},
        {"tab\there", "tab\there"},
        {" lead", " lead"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        assert_int_equal(nl_csv_field(f, cases[i].in), 0);
        fclose(f);
        assert_string_equal(s, cases[i].out);
        free(s);
    }
}

static void test_csv_records(void **state)
{
    struct nl_records r;
    const char *r1[] = {"tay-ho", "Quận Tây Hồ", "URBAN_DISTRICT", "ha-noi"};
    const char *r2[] = {"x", "A, \"B\"\nC", "WARD", NULL};
    (void)state;

    nl_records_init(&r, unit_cols, 4);
    assert_int_equal(nl_records_add(&r, r1), 0);
    assert_int_equal(nl_records_add(&r, r2), 0);
    char *s = render(NL_OUTPUT_CSV, &r, 0);
    assert_string_equal(s, "code,name,kind,parent\r\n"
                           "tay-ho,Quận Tây Hồ,URBAN_DISTRICT,ha-noi\r\n"
                           "x,\"A, \"\"B\"\"\nC\",WARD,\r\n");
    free(s);
    nl_records_release(&r);
    /* An empty list still has its header. */
    s = render(NL_OUTPUT_CSV, &r, 0);
    assert_string_equal(s, "code,name,kind,parent\r\n");
    free(s);
}

/* Display column where `needle` starts in `line`. */
static size_t column_of(const char *line, const char *needle)
{
    const char *at = strstr(line, needle);
    assert_non_null(at);
    char *prefix = strndup(line, (size_t)(at - line));
    size_t w = nl_text_width(prefix);
    free(prefix);
    return w;
}

static void test_table_vietnamese(void **state)
{
    struct nl_records r;
    /* The same name composed (NFC) and decomposed (NFD): equal display widths. */
    const char *nfc = "Quận Tây Hồ";
    const char *nfd = "Qua\xcc\xa3\xcc\x82n Ta\xcc\x82y Ho\xcc\x82\xcc\x80";
    const char *rows[][4] = {
        {"tay-ho", nfc, "URBAN_DISTRICT", "ha-noi"},
        {"tay-ho-nfd", nfd, "URBAN_DISTRICT", "ha-noi"},
        {"thanh-tri", "Huyện Thanh Trì", "RURAL_DISTRICT", "ha-noi"},
        {"ha-noi", "Thành phố Hà Nội", "CITY", ""},
        {"p", "Phường Đông Ngạc", "WARD", "bac-tu-liem"},
    };
    (void)state;

    assert_int_equal(nl_text_width(nfc), nl_text_width(nfd));
    nl_records_init(&r, unit_cols, 4);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(nl_records_add(&r, rows[i]), 0);
    char *s = render(NL_OUTPUT_TABLE, &r, 0);

    char *save = NULL, *line = strtok_r(s, "\n", &save);
    assert_non_null(line);
    assert_int_equal(strncmp(line, "CODE", 4), 0);
    size_t name_col = column_of(line, "NAME"), kind_col = column_of(line, "KIND"),
           parent_col = column_of(line, "PARENT");
    assert_int_equal(name_col, strlen("tay-ho-nfd") + 2);
    assert_int_equal(kind_col, name_col + nl_text_width("Thành phố Hà Nội") + 2);
    assert_int_equal(parent_col, kind_col + strlen("URBAN_DISTRICT") + 2);
    size_t nlines = 1;
    for (line = strtok_r(NULL, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const struct nl_records *rr = &r;
        size_t i = nlines - 1;
        assert_int_equal(column_of(line, rr->cells[i * 4 + 1]), name_col);
        assert_int_equal(column_of(line, rr->cells[i * 4 + 2]), kind_col);
        if (rr->cells[i * 4 + 3][0] != '\0')
            assert_int_equal(column_of(line, rr->cells[i * 4 + 3]), parent_col);
        assert_true(line[strlen(line) - 1] != ' '); /* no trailing blanks */
        nlines++;
    }
    assert_int_equal(nlines, 6);
    free(s);
    nl_records_release(&r);
}

static void test_table_cleans_controls(void **state)
{
    struct nl_records r;
    static const struct nl_col cols[] = {{"a", NL_COL_STR}, {"ok", NL_COL_BOOL}};
    const char *row[] = {"x\x1b[31my\nz", "true"};
    const char *row2[] = {"w", "false"};
    (void)state;

    nl_records_init(&r, cols, 2);
    assert_int_equal(nl_records_add(&r, row), 0);
    assert_int_equal(nl_records_add(&r, row2), 0);
    char *s = render(NL_OUTPUT_TABLE, &r, 0);
    assert_string_equal(s, "A          OK\n"
                           "x?[31my?z  yes\n"
                           "w          no\n");
    free(s);
    nl_records_release(&r);
}

static void test_json_shape(void **state)
{
    static const struct nl_col cols[] = {{"code", NL_COL_STR},
                                         {"kind", NL_COL_STR},
                                         {"start_year", NL_COL_INT},
                                         {"end_year", NL_COL_INT},
                                         {"created", NL_COL_BOOL}};
    const char *r1[] = {"2020-2025", "PARTY_CONGRESS", "2020", "2025", "true"};
    const char *r2[] = {"Hà Nội \"2\"", "PEOPLES_COUNCIL", "2021", "2026", "false"};
    struct nl_records r;
    json_error_t jerr;
    (void)state;

    nl_records_init(&r, cols, 5);
    assert_int_equal(nl_records_add(&r, r1), 0);
    assert_int_equal(nl_records_add(&r, r2), 0);
    char *s = render(NL_OUTPUT_JSON, &r, 0);
    json_t *doc = json_loads(s, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(doc);
    assert_true(json_is_array(doc));
    assert_int_equal(json_array_size(doc), 2);
    json_t *o = json_array_get(doc, 1);
    assert_string_equal(json_string_value(json_object_get(o, "code")), "Hà Nội \"2\"");
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "PEOPLES_COUNCIL");
    assert_true(json_is_integer(json_object_get(o, "start_year")));
    assert_int_equal(json_integer_value(json_object_get(o, "end_year")), 2026);
    assert_true(json_is_false(json_object_get(o, "created")));
    assert_true(json_is_true(json_object_get(json_array_get(doc, 0), "created")));
    /* Keys come out in proto field order. */
    const char *k = strstr(s, "\"code\""), *k2 = strstr(s, "\"kind\""),
               *k3 = strstr(s, "\"start_year\"");
    assert_true(k < k2 && k2 < k3);
    /* Exactly one document: nothing but the newline after it. */
    assert_string_equal(s + strlen(s) - 2, "]\n");
    json_decref(doc);
    free(s);

    /* A single record is one object. */
    nl_records_release(&r);
    assert_int_equal(nl_records_add(&r, r1), 0);
    s = render(NL_OUTPUT_JSON, &r, 1);
    doc = json_loads(s, 0, &jerr);
    assert_non_null(doc);
    assert_true(json_is_object(doc));
    assert_int_equal(json_object_size(doc), 5);
    json_decref(doc);
    free(s);

    /* An empty list is []. */
    nl_records_release(&r);
    s = render(NL_OUTPUT_JSON, &r, 0);
    assert_string_equal(s, "[]\n");
    free(s);
}

static void test_clean(void **state)
{
    char *s;
    (void)state;

    s = nl_output_clean("a\xff"
                        "b",
                        3, 1);
    assert_string_equal(s, "a\xEF\xBF\xBD"
                           "b");
    free(s);
    s = nl_output_clean("Đ\x07\x7f\xc2\x9b!", 7, 0);
    assert_string_equal(s, "Đ??"
                           "?!"); /* split: "??!" would be a trigraph */
    free(s);
    s = nl_output_clean("tab\tnl\n", 7, 1);
    assert_string_equal(s, "tab\tnl\n");
    free(s);
    s = nl_output_clean("\xe1\xbb", 2, 0); /* truncated 3-byte sequence */
    assert_string_equal(s, "\xEF\xBF\xBD\xEF\xBF\xBD");
    free(s);
    s = nl_output_clean("", 0, 0);
    assert_string_equal(s, "");
    free(s);

    /* Records repair invalid UTF-8 so that JSON output never fails. */
    struct nl_records r;
    static const struct nl_col cols[] = {{"v", NL_COL_STR}};
    const char *row[] = {"bad\xc3"};
    nl_records_init(&r, cols, 1);
    assert_int_equal(nl_records_add(&r, row), 0);
    char *out = render(NL_OUTPUT_JSON, &r, 1);
    assert_non_null(strstr(out, "bad\xEF\xBF\xBD"));
    free(out);
    nl_records_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_good),    cmocka_unit_test(test_duration_bad),
        cmocka_unit_test(test_duration_format),  cmocka_unit_test(test_server_parse),
        cmocka_unit_test(test_enum_parse),       cmocka_unit_test(test_years),
        cmocka_unit_test(test_opts_parse),       cmocka_unit_test(test_globals),
        cmocka_unit_test(test_backoff_cap),      cmocka_unit_test(test_output_parse),
        cmocka_unit_test(test_csv_field),        cmocka_unit_test(test_csv_records),
        cmocka_unit_test(test_table_vietnamese), cmocka_unit_test(test_table_cleans_controls),
        cmocka_unit_test(test_json_shape),       cmocka_unit_test(test_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
