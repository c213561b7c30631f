/*
 * test_csvin.c - unit tests of client/csvin.c, the CSV reader under `nhanluc
 * import`: files as Excel's "CSV UTF-8" writes them (BOM, CRLF, quoted
 * commas, quotes and line breaks), the physical line of each record (also
 * after a multi-line cell and blank lines), the header in any order, ragged
 * rows, and the refusals (invalid UTF-8, NUL, UTF-16, malformed or
 * unterminated quotes, caps, empty file, a column named twice), each naming
 * file and line. Every file is written into a fresh mkdtemp directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvin.h"

static char tmpdir[256];
static char path[512];
static char err[512];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/nl_csvin_XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(tmpdir);
    return 0;
}

/* Writes len bytes to <tmpdir>/units.csv (overwriting) and returns its path. */
static const char *write_bytes(const char *data, size_t len)
{
    snprintf(path, sizeof(path), "%s/units.csv", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static struct nl_csv *open_str(const char *data)
{
    err[0] = '\0';
    return nl_csv_open(write_bytes(data, strlen(data)), err, sizeof(err));
}

/* Opening must fail with a message that contains every one of the given pieces. */
static void expect_error(const char *data, size_t len, const char *piece1, const char *piece2)
{
    err[0] = '\0';
    struct nl_csv *c = nl_csv_open(write_bytes(data, len), err, sizeof(err));
    if (c != NULL) {
        nl_csv_free(c);
        fail_msg("opened, expected an error with \"%s\"", piece1);
    }
    if (strstr(err, "units.csv") == NULL || strstr(err, piece1) == NULL ||
        (piece2 != NULL && strstr(err, piece2) == NULL))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, piece1, piece2 ? piece2 : "");
}

static void test_basic_lf(void **state)
{
    (void)state;
    struct nl_csv *c = open_str("code,name,kind\n"
                                "ba-dinh,Ba Đình,URBAN_DISTRICT\n"
                                "tay-ho,Tây Hồ,Quận\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_columns(c), 3);
    assert_int_equal(nl_csv_rows(c), 2);
    int code = nl_csv_column(c, "code"), name = nl_csv_column(c, "name");
    assert_int_equal(code, 0);
    assert_int_equal(name, 1);
    assert_string_equal(nl_csv_cell(c, 0, code), "ba-dinh");
    assert_string_equal(nl_csv_cell(c, 0, name), "Ba Đình");
    assert_string_equal(nl_csv_cell(c, 1, nl_csv_column(c, "kind")), "Quận");
    assert_int_equal(nl_csv_line(c, 0), 2);
    assert_int_equal(nl_csv_line(c, 1), 3);
    assert_string_equal(nl_csv_column_name(c, 2), "kind");
    assert_non_null(strstr(nl_csv_path(c), "units.csv"));
    /* out of range is "" / 0, never a crash */
    assert_string_equal(nl_csv_cell(c, 2, 0), "");
    assert_string_equal(nl_csv_cell(c, 0, 3), "");
    assert_string_equal(nl_csv_cell(c, 0, -1), "");
    assert_string_equal(nl_csv_cell(c, (size_t)-1, 0), "");
    assert_int_equal(nl_csv_line(c, 2), 0);
    assert_string_equal(nl_csv_column_name(c, 3), "");
    nl_csv_free(c);
}

/* Excel's "CSV UTF-8": BOM, CRLF; the BOM must not stick to the first header name. */
static void test_bom_crlf(void **state)
{
    (void)state;
    struct nl_csv *c = open_str("\xef\xbb\xbf"
                                "code,name\r\n"
                                "a,Phường A\r\n"
                                "b,Xã B");
    assert_non_null(c);
    assert_int_equal(nl_csv_column(c, "code"), 0);
    assert_string_equal(nl_csv_column_name(c, 0), "code");
    assert_int_equal(nl_csv_rows(c), 2);
    assert_string_equal(nl_csv_cell(c, 0, 1), "Phường A"); /* no '\r' left behind */
    assert_string_equal(nl_csv_cell(c, 1, 1), "Xã B");
    assert_int_equal(nl_csv_line(c, 0), 2);
    assert_int_equal(nl_csv_line(c, 1), 3);
    nl_csv_free(c);
}

/* Quoted comma, doubled quote and line breaks; the next record's line counts them. */
static void test_quoted(void **state)
{
    (void)state;
    struct nl_csv *c = open_str("code,name,legal_basis\r\n"
                                "a,\"Hà Nội, Việt Nam\",\"Nghị quyết \"\"số 1\"\"\r\ndòng 2\r\n"
                                "dòng 3\"\r\n"
                                "b,\"  spaced  \",   trimmed   \r\n"
                                "c,\"\",\"\"\"\"\r\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_rows(c), 3);
    assert_string_equal(nl_csv_cell(c, 0, 1), "Hà Nội, Việt Nam");
    assert_string_equal(nl_csv_cell(c, 0, 2), "Nghị quyết \"số 1\"\r\ndòng 2\r\ndòng 3");
    assert_int_equal(nl_csv_line(c, 0), 2);
    assert_int_equal(nl_csv_line(c, 1), 5); /* the record after the 3-line cell */
    assert_string_equal(nl_csv_cell(c, 1, 1), "  spaced  ");
    assert_string_equal(nl_csv_cell(c, 1, 2), "trimmed");
    assert_string_equal(nl_csv_cell(c, 2, 1), "");
    assert_string_equal(nl_csv_cell(c, 2, 2), "\"");
    assert_int_equal(nl_csv_line(c, 2), 6);
    nl_csv_free(c);

    /* the same with LF line ends, and a multi-line cell in the first column */
    c = open_str("legal_basis,code\n\"one\ntwo\n\nfour\",x\ny,z\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_rows(c), 2);
    assert_string_equal(nl_csv_cell(c, 0, 0), "one\ntwo\n\nfour");
    assert_int_equal(nl_csv_line(c, 0), 2);
    assert_int_equal(nl_csv_line(c, 1), 6);
    nl_csv_free(c);
}

static void test_header_order(void **state)
{
    (void)state;
    struct nl_csv *c = open_str(" Valid_From ,NAME,\"code \"\n"
                                "2020-01-01,Tây Hồ,tay-ho\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_column(c, "code"), 2);
    assert_int_equal(nl_csv_column(c, "name"), 1);
    assert_int_equal(nl_csv_column(c, "valid_from"), 0);
    assert_int_equal(nl_csv_column(c, "  VALID_FROM"), 0);
    assert_int_equal(nl_csv_column(c, "kind"), -1);
    assert_int_equal(nl_csv_column(c, ""), -1);
    assert_string_equal(nl_csv_cell(c, 0, nl_csv_column(c, "code")), "tay-ho");
    assert_string_equal(nl_csv_cell(c, 0, nl_csv_column(c, "kind")), "");

    static const char *const ok[] = {"code", "name", NULL};
    static const char *const missing[] = {"code", "kind", "name", NULL};
    assert_int_equal(nl_csv_require(c, ok, err, sizeof(err)), 0);
    assert_int_equal(nl_csv_require(c, missing, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "units.csv:1: missing column \"kind\""));
    nl_csv_free(c);

    /* Vietnamese header names match composed or decomposed */
    c = open_str("te\xcc\x82n\nx\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_column(c, "Tên"), 0);
    nl_csv_free(c);
}

static void test_empty(void **state)
{
    (void)state;
    expect_error("", 0, "empty file", NULL);
    expect_error("\xef\xbb\xbf", 3, "empty file", NULL);
    expect_error("\n\r\n\n", 4, "empty file", NULL);
    expect_error(",,,\n , ,\n", 9, "empty file", NULL);
}

static void test_header_only(void **state)
{
    (void)state;
    static const char *const files[] = {"code,name", "code,name\n", "code,name\r\n\r\n"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct nl_csv *c = open_str(files[i]);
        assert_non_null(c);
        assert_int_equal(nl_csv_rows(c), 0);
        assert_int_equal(nl_csv_columns(c), 2);
        assert_int_equal(nl_csv_column(c, "name"), 1);
        assert_string_equal(nl_csv_cell(c, 0, 0), "");
        nl_csv_free(c);
    }
}

/* Blank lines, lines of blanks and rows of empty cells are skipped; lines still count. */
static void test_blank_lines(void **state)
{
    (void)state;
    struct nl_csv *c = open_str("\n\ncode,name\n\na,A\n   \n,,\n\"\",\n\r\nb,B\n\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_rows(c), 2);
    assert_string_equal(nl_csv_cell(c, 0, 0), "a");
    assert_string_equal(nl_csv_cell(c, 1, 1), "B");
    assert_int_equal(nl_csv_line(c, 0), 5);
    assert_int_equal(nl_csv_line(c, 1), 10);
    nl_csv_free(c);
}

/* Line numbers are the same with and without a final newline. */
static void test_trailing_newline(void **state)
{
    (void)state;
    static const char *const files[] = {"code,name\na,A\nb,B", "code,name\na,A\nb,B\n",
                                        "code,name\r\na,A\r\nb,B\r\n", "code,name\ra,A\rb,B"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct nl_csv *c = open_str(files[i]);
        assert_non_null(c);
        assert_int_equal(nl_csv_rows(c), 2);
        assert_string_equal(nl_csv_cell(c, 1, 0), "b");
        assert_string_equal(nl_csv_cell(c, 1, 1), "B");
        assert_int_equal(nl_csv_line(c, 1), 3);
        nl_csv_free(c);
    }
}

static void test_ragged(void **state)
{
    (void)state;
    struct nl_csv *c = open_str("code,name,kind\n"
                                "a\n"
                                "b,B\n"
                                "c,C,WARD,,\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_rows(c), 3);
    assert_string_equal(nl_csv_cell(c, 0, 0), "a");
    assert_string_equal(nl_csv_cell(c, 0, 1), "");
    assert_string_equal(nl_csv_cell(c, 0, 2), "");
    assert_string_equal(nl_csv_cell(c, 1, 1), "B");
    assert_string_equal(nl_csv_cell(c, 1, 2), "");
    assert_string_equal(nl_csv_cell(c, 2, 2), "WARD");
    assert_string_equal(nl_csv_cell(c, 2, 3), "");
    nl_csv_free(c);

    /* A value beyond the header is the row's fault (nl_csv_extra_field), not the file's. */
    c = open_str("code,name\na,A\nb,B,surprise\n,,x\nd,D,,\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_rows(c), 4); /* ",,x" is kept: it is not blank */
    assert_int_equal(nl_csv_extra_field(c, 0), 0);
    assert_int_equal(nl_csv_extra_field(c, 1), 3);
    assert_string_equal(nl_csv_cell(c, 1, 1), "B");
    assert_int_equal(nl_csv_extra_field(c, 2), 3);
    assert_int_equal(nl_csv_line(c, 2), 4);
    assert_int_equal(nl_csv_extra_field(c, 3), 0); /* empty trailing cells are fine */
    assert_int_equal(nl_csv_extra_field(c, 9), 0);
    nl_csv_free(c);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* "Tây Hồ" in Windows-1258 bytes, as Excel's plain "CSV" would write it */
    static const char cp1258[] = "code,name\na,A\nb,T\xe2y H\xd2\n";
    expect_error(cp1258, sizeof(cp1258) - 1, "units.csv:3:", "column 2 (name)");
    expect_error(cp1258, sizeof(cp1258) - 1, "invalid UTF-8", NULL);
    /* a truncated sequence at the end of a cell, an overlong, a surrogate */
    static const char trunc[] = "code,name\na,\"Th\xe1\xba\"\n";
    expect_error(trunc, sizeof(trunc) - 1, "units.csv:2:", "invalid UTF-8");
    static const char overlong[] = "code\n\xc0\xaf\n";
    expect_error(overlong, sizeof(overlong) - 1, "units.csv:2: column 1 (code)", NULL);
    static const char surrogate[] = "code\n\xed\xa0\x80\n";
    expect_error(surrogate, sizeof(surrogate) - 1, "units.csv:2:", "invalid UTF-8");
    /* in the header: no name to give, the column number */
    static const char header[] = "code,n\xff\n";
    expect_error(header, sizeof(header) - 1, "units.csv:1: column 2:", "invalid UTF-8");
    static const char nul[] = "code,name\na,x\0y\n";
    expect_error(nul, sizeof(nul) - 1, "units.csv:2:", "NUL");
    static const char utf16[] = "\xff\xfe"
                                "c\0o\0d\0e\0\n\0";
    expect_error(utf16, sizeof(utf16) - 1, "UTF-16", NULL);
}

static void test_bad_quotes(void **state)
{
    (void)state;
    static const char unterminated[] = "code,name\na,A\nb,\"B\nmore\nstill more\n";
    expect_error(unterminated, sizeof(unterminated) - 1, "units.csv:3:", "unterminated");
    static const char inner[] = "code,name\na,A\nb,5\" screen\n";
    expect_error(inner, sizeof(inner) - 1, "units.csv:3:", "quote");
    static const char after[] = "code,name\na,\"A\"B\n";
    expect_error(after, sizeof(after) - 1, "units.csv:2:", "quote");
}

static void test_semicolon(void **state)
{
    (void)state;
    struct nl_csv *c = open_str("code;name;note\r\na;\"Hà Nội; 1\";x,y\r\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_columns(c), 3);
    assert_string_equal(nl_csv_cell(c, 0, 1), "Hà Nội; 1");
    assert_string_equal(nl_csv_cell(c, 0, 2), "x,y");
    nl_csv_free(c);
}

static void test_duplicate_header(void **state)
{
    (void)state;
    static const char dup[] = "\ncode,name,CODE \na,b,c\n";
    expect_error(dup, sizeof(dup) - 1, "units.csv:2:", "appears twice");
    /* unnamed trailing columns (Excel's ",,") are not duplicates */
    struct nl_csv *c = open_str("code,name,,\na,b,,\n");
    assert_non_null(c);
    assert_int_equal(nl_csv_columns(c), 4);
    nl_csv_free(c);
}

static void test_caps(void **state)
{
    (void)state;
    size_t n = NL_CSV_MAX_CELL;
    char *buf = malloc(n + 64);
    assert_non_null(buf);
    /* exactly at the cap: fine */
    memcpy(buf, "code\n", 5);
    memset(buf + 5, 'x', n);
    buf[5 + n] = '\n';
    struct nl_csv *c = nl_csv_open(write_bytes(buf, n + 6), err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(strlen(nl_csv_cell(c, 0, 0)), n);
    nl_csv_free(c);
    /* one byte more, quoted over two lines: the record's line is named */
    memcpy(buf, "code\n\"", 6);
    memset(buf + 6, 'x', n + 1);
    buf[6 + 10] = '\n';
    memcpy(buf + 7 + n, "\"\n", 2);
    expect_error(buf, n + 9, "units.csv:2:", "longer than");
    free(buf);

    /* too many columns */
    size_t cols = NL_CSV_MAX_COLUMNS + 1;
    buf = malloc(cols * 2 + 1);
    assert_non_null(buf);
    for (size_t i = 0; i < cols; i++) {
        buf[2 * i] = 'a';
        buf[2 * i + 1] = i + 1 < cols ? ',' : '\n';
    }
    expect_error(buf, cols * 2, "units.csv:1:", "columns");
    free(buf);

    /* a file over the cap (sparse: costs no disk) */
    write_bytes("code\n", 5);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)NL_CSV_MAX_FILE + 1), 0);
    close(fd);
    assert_null(nl_csv_open(path, err, sizeof(err)));
    assert_non_null(strstr(err, "larger than 256 MiB"));
}

static void test_no_file(void **state)
{
    (void)state;
    char p[600];
    snprintf(p, sizeof(p), "%s/absent.csv", tmpdir);
    assert_null(nl_csv_open(p, err, sizeof(err)));
    assert_non_null(strstr(err, "absent.csv"));
    assert_null(nl_csv_open(tmpdir, err, sizeof(err)));
    assert_non_null(strstr(err, "directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_lf),
        cmocka_unit_test(test_bom_crlf),
        cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_header_order),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_blank_lines),
        cmocka_unit_test(test_trailing_newline),
        cmocka_unit_test(test_ragged),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_bad_quotes),
        cmocka_unit_test(test_semicolon),
        cmocka_unit_test(test_duplicate_header),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_no_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
