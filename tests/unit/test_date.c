/*
 * test_date.c - calendar dates: both input forms, calendar validity (leap
 * years), formatting, and the day arithmetic over a long range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "date.h"

static int32_t parse(const char *s)
{
    int32_t d = INT32_MIN;
    assert_int_equal(nl_date_parse_any(s, strlen(s), &d), 0);
    return d;
}

static void test_known_days(void **state)
{
    char buf[11];

    (void)state;
    assert_int_equal(parse("1970-01-01"), 0);
    assert_int_equal(parse("1970-01-02"), 1);
    assert_int_equal(parse("1969-12-31"), -1);
    assert_int_equal(parse("2000-03-01") - parse("2000-02-28"), 2); /* 2000 is leap */
    assert_int_equal(parse("1900-03-01") - parse("1900-02-28"), 1); /* 1900 is not */
    assert_int_equal(parse("2025-07-01"), 20270);
    nl_date_format(20270, buf);
    assert_string_equal(buf, "2025-07-01");
}

static void test_both_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("01/07/2025"), parse("2025-07-01"));
    assert_int_equal(parse("1/7/2025"), parse("2025-07-01"));
    assert_int_equal(parse("31/12/2019"), parse("2019-12-31"));
    assert_int_equal(parse("29/02/2024"), parse("2024-02-29"));
}

static void test_invalid(void **state)
{
    static const char *const bad[] = {
        "",           "2025-7-01",   "2025-07-1",   "2025/07/01", "2025-13-01",
        "2025-00-10", "2025-02-29",  "2023-02-29",  "1900-02-29", "2025-04-31",
        "0000-01-01", "2025-07-01x", " 2025-07-01", "32/01/2025", "1/13/2025",
        "1//2025",    "/1/2025",     "1/1/25",      "001/1/2025", "1/1/20255",
        "29/2/2023",  "x",           "2025-0a-01",
    };
    int32_t d;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (nl_date_parse_any(bad[i], strlen(bad[i]), &d) == 0)
            fail_msg("accepted '%s'", bad[i]);
    }
    /* The strict form refuses D/M/Y. */
    assert_int_equal(nl_date_parse("01/07/2025", 10, &d), -1);
}

static void test_round_trip_range(void **state)
{
    char buf[11];
    int32_t d, back;

    (void)state;
    /* Every day from 1600 to 2400: format then parse gives the same day, and days are
     * consecutive. Bounded: about 292,000 iterations. */
    int32_t from = parse("1600-01-01"), to = parse("2400-12-31");
    for (d = from; d <= to; d++) {
        nl_date_format(d, buf);
        assert_int_equal(nl_date_parse(buf, 10, &back), 0);
        assert_int_equal(back, d);
    }
    assert_int_equal(to - from + 1, 801 * 365 + 195); /* 195 leap days in 1600..2400 */
}

static void test_today(void **state)
{
    (void)state;
    assert_true(nl_date_today() > parse("2025-01-01"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days), cmocka_unit_test(test_both_forms),
        cmocka_unit_test(test_invalid),    cmocka_unit_test(test_round_trip_range),
        cmocka_unit_test(test_today),
    };
    return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
