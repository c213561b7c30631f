/*
 * date.h - calendar dates as nhanluc uses them: "YYYY-MM-DD" on the wire and
 * in SQLite (text that sorts as dates), days since 1970-01-01 in C.
 * Proleptic Gregorian calendar, years 0001..9999. Pure functions.
 */
#ifndef NL_DATE_H
#define NL_DATE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses exactly "YYYY-MM-DD" (len bytes, no NUL needed) into *days (days
 * since 1970-01-01, negative before). Checks the month and the day of the
 * month, leap years included. Returns 0, or -1 for anything else.
 */
int nl_date_parse(const char *s, size_t len, int32_t *days);

/*
 * Parses "YYYY-MM-DD" or "DD/MM/YYYY" (the form Excel exports in Vietnam;
 * one-digit day and month accepted: "1/7/2025"). Returns 0 or -1.
 */
int nl_date_parse_any(const char *s, size_t len, int32_t *days);

/* Writes "YYYY-MM-DD" and a NUL into out (11 bytes). */
void nl_date_format(int32_t days, char out[11]);

/* Days since 1970-01-01 of a year, month (1-12) and day (1-31); no range check. */
int32_t nl_date_from_ymd(int year, int month, int day);

/* Splits days into year, month (1-12) and day (1-31). */
void nl_date_to_ymd(int32_t days, int *year, int *month, int *day);

/* Today in UTC. */
int32_t nl_date_today(void);

#endif
