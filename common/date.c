/*
 * date.c - see date.h. Day counting uses the well-known civil-from-days
 * arithmetic on 400-year eras (146,097 days each), so it needs no tables and
 * no time zone.
 */
#include <time.h>

#include "date.h"

int32_t nl_date_from_ymd(int year, int month, int day)
{
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;                         /* [0, 399] */
    int mp = (month + 9) % 12;                       /* March = 0 */
    int doy = (153 * mp + 2) / 5 + day - 1;          /* [0, 365] */
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
    return (int32_t)(era * 146097 + doe - 719468);
}

void nl_date_to_ymd(int32_t days, int *year, int *month, int *day)
{
    int32_t z = days + 719468;
    int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    int32_t doe = z - era * 146097;
    int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int32_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

static int days_in_month(int year, int month)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : dim[month - 1];
}

/* Reads `n` digits (exactly) at s into *v. Returns 0 or -1. */
static int digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

static int make(int y, int m, int d, int32_t *days)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *days = nl_date_from_ymd(y, m, d);
    return 0;
}

int nl_date_parse(const char *s, size_t len, int32_t *days)
{
    int y, m, d;

    if (len != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) != 0 ||
        digits(s + 5, 2, &m) != 0 || digits(s + 8, 2, &d) != 0)
        return -1;
    return make(y, m, d, days);
}

int nl_date_parse_any(const char *s, size_t len, int32_t *days)
{
    size_t i = 0, start;
    int d, m, y;

    if (nl_date_parse(s, len, days) == 0)
        return 0;
    /* D/M/YYYY with one- or two-digit day and month. */
    start = i;
    while (i < len && s[i] != '/')
        i++;
    if (i - start < 1 || i - start > 2 || i == len || digits(s + start, i - start, &d) != 0)
        return -1;
    start = ++i;
    while (i < len && s[i] != '/')
        i++;
    if (i - start < 1 || i - start > 2 || i == len || digits(s + start, i - start, &m) != 0)
        return -1;
    start = ++i;
    if (len - start != 4 || digits(s + start, 4, &y) != 0)
        return -1;
    return make(y, m, d, days);
}

void nl_date_format(int32_t days, char out[11])
{
    int y, m, d;

    nl_date_to_ymd(days, &y, &m, &d);
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

int32_t nl_date_today(void)
{
    time_t t = time(NULL);

    return (int32_t)(t / 86400);
}
