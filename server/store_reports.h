/*
 * store_reports.h - the typed store API of the annual training reports and
 * the lock an approved report puts on its unit-year's classes (DOMAIN.md
 * section 3; table `report` of schema migration 4). Implemented in
 * store_reports.c, part of the store module (store.h: errors, connections
 * and transactions work as there).
 *
 * Key: (unit, year). Status values are Nhanluc__V1__ReportStatus (1 DRAFT,
 * 2 SUBMITTED, 3 RETURNED, 4 APPROVED). Times are "YYYY-MM-DD" or an RFC 3339
 * timestamp "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)", stored as
 * nl_report_time_norm() writes them; "" = none.
 *
 * The lock: while the report of (organiser unit, year of a class's
 * end_date) is APPROVED, that class takes no write (SubmitClass, CancelClass,
 * UpsertEnrolment, an import row); a RETURNED report unlocks it. Writers of
 * classes and enrolments call nl_store_report_class_check() (or
 * nl_store_report_locked()) before they write.
 */
#ifndef NL_STORE_REPORTS_H
#define NL_STORE_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"

struct nl_store;

#define NL_REPORT_YEAR_MIN   1945
#define NL_REPORT_REASON_MAX 1000
#define NL_REPORT_TIME_MAX   40 /* bytes of a normalised time, with the NUL */

#define NL_REPORT_DRAFT     1
#define NL_REPORT_SUBMITTED 2
#define NL_REPORT_RETURNED  3
#define NL_REPORT_APPROVED  4

/* A report. Strings are borrowed (input) or arena-owned (output); "" = none. */
struct nl_report_rec {
    const char *unit; /* unit code */
    int year;
    int status; /* NL_REPORT_* */
    const char *submitted_at;
    const char *approved_at;
    const char *return_reason; /* NFC, line breaks allowed; kept after a resubmission */
};

/* The filters of nl_store_report_list; 0 or "" = no filter. */
struct nl_report_filter {
    const char *unit;  /* the unit and every unit under it in the tree of as_of */
    const char *as_of; /* "YYYY-MM-DD"; "" or NULL = 31 December of each report's year */
    int year;
    int status;
    int64_t scope; /* only units in this unit id's scope (scope_auth.h); 0 = all */
};

/* Position in the list order (year, unit code); year 0 = the start. */
struct nl_report_key {
    int year;
    const char *unit;
};

/*
 * Checks `in` as a date "YYYY-MM-DD" or an RFC 3339 timestamp (seconds
 * required, 1-9 fraction digits, 'T' and 'Z' in either case, an offset within
 * +-23:59) and writes its normal form (upper-case 'T' and 'Z', otherwise as
 * sent) into out (NL_REPORT_TIME_MAX bytes). Returns 0, or -1 for anything
 * else (including ""). Pure; for handlers and the import.
 */
int nl_report_time_norm(const char *in, char out[NL_REPORT_TIME_MAX]);

/* The bare name of a status ("APPROVED"); "NONE" for 0, "UNKNOWN" otherwise. Static. */
const char *nl_report_status_name(int status);

/*
 * SubmitReport for (unit, year), inside a write transaction. `at` is a
 * normalised time, or "" for now (UTC, "YYYY-MM-DDTHH:MM:SSZ").
 * - no report: one is created SUBMITTED at `at`; *outcome NL_WRITE_CREATED;
 * - DRAFT or RETURNED: becomes SUBMITTED at `at` (NL_WRITE_UPDATED; a
 *   return_reason stays as the last return's);
 * - SUBMITTED: `at` "" or equal to the stored time is a replay
 *   (NL_WRITE_UNCHANGED, nothing written); another `at` corrects the time
 *   (NL_WRITE_UPDATED);
 * - APPROVED: NL_FAILED_PRECONDITION "report is approved".
 * A unit code no unit has is NL_INVALID_ARGUMENT "unit: no such unit". *out
 * receives the stored report (strings in `a`). msg gets the client message of
 * any failure (field path or state, never a value).
 */
enum nl_status nl_store_report_submit(struct nl_store *st, const char *unit, int year,
                                      const char *at, struct nl_report_rec *out, int *outcome,
                                      struct nl_arena *a, char *msg, size_t msglen);

/*
 * ReturnReport: SUBMITTED or APPROVED -> RETURNED with `reason` (validated
 * NFC by the caller); approved_at is cleared, and returning an APPROVED
 * report unlocks its classes (DOMAIN.md 3). A RETURNED report with the same
 * reason is a replay (NL_WRITE_UNCHANGED). Any other state (DRAFT, RETURNED
 * with another reason) is NL_FAILED_PRECONDITION "report is <STATE>, not
 * SUBMITTED or APPROVED"; no report is NL_NOT_FOUND "report not found"; no
 * unit as for submit. Otherwise as nl_store_report_submit.
 */
enum nl_status nl_store_report_return(struct nl_store *st, const char *unit, int year,
                                      const char *reason, struct nl_report_rec *out, int *outcome,
                                      struct nl_arena *a, char *msg, size_t msglen);

/*
 * ApproveReport: SUBMITTED -> APPROVED at `at` ("" = now). An APPROVED report
 * is a replay whatever `at` says (NL_WRITE_UNCHANGED, the stored time kept).
 * DRAFT or RETURNED is NL_FAILED_PRECONDITION "report is <STATE>, not
 * SUBMITTED"; no report NL_NOT_FOUND "report not found".
 */
enum nl_status nl_store_report_approve(struct nl_store *st, const char *unit, int year,
                                       const char *at, struct nl_report_rec *out, int *outcome,
                                       struct nl_arena *a, char *msg, size_t msglen);

/*
 * Sets report `r` as given (status 1..4, times normalised or "", reason NFC;
 * all checked by the caller), for the import of reports.csv: inserted
 * (NL_WRITE_CREATED), identical (NL_WRITE_UNCHANGED, nothing written) or
 * overwritten (NL_WRITE_UPDATED). No state rule applies. Unit missing:
 * NL_INVALID_ARGUMENT "unit: no such unit". Inside a write transaction.
 */
enum nl_status nl_store_report_put(struct nl_store *st, const struct nl_report_rec *r, int *outcome,
                                   char *msg, size_t msglen);

/*
 * Lists the reports matching `f` ordered by (year, unit code), those after
 * `after` (NULL or year 0 = from the start), at most `limit` rows (*more = 1
 * when rows remain). *rows is an arena array of *n records. f->unit naming
 * no unit is NL_NOT_FOUND.
 */
enum nl_status nl_store_report_list(struct nl_store *st, const struct nl_report_filter *f,
                                    const struct nl_report_key *after, size_t limit,
                                    struct nl_report_rec **rows, size_t *n, int *more,
                                    struct nl_arena *a);

/*
 * *locked = 1 when unit `unit_code` has an APPROVED report for `year`, else
 * 0 (also when no unit has the code). NL_OK or a mapped status.
 */
enum nl_status nl_store_report_locked(struct nl_store *st, const char *unit_code, int year,
                                      int *locked);

/*
 * The lock check of a write to class (unit_code, class_ref): refuses when an
 * APPROVED report locks the year of the stored class's end_date (if the class
 * exists) or the year of `new_end_date` ("YYYY-MM-DD"; NULL or "" = only the
 * stored one), with NL_FAILED_PRECONDITION and msg "class is locked: the
 * unit's report for YEAR is approved" (the earlier year when both are
 * locked). NL_OK when neither is locked, or a mapped status. One query; call
 * it before writing anything.
 */
enum nl_status nl_store_report_class_check(struct nl_store *st, const char *unit_code,
                                           const char *class_ref, const char *new_end_date,
                                           char *msg, size_t msglen);

#endif
