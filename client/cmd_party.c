/*
 * cmd_party.c - `nhanluc committee|seats|planning|review`: party bodies, seat
 * quotas, the planning pool and post-training reviews (nhanluc.v1.Records
 * UpsertCommitteeMembership, ListCommitteeMemberships, SetSeatQuota,
 * ListSeatQuotas, UpsertPlanningEntry, ListPlanningEntries, UpsertReview,
 * ListReviews).
 *
 *   committee add CADRE UNIT TERM --body B --role R --start D [--end D]
 *   committee list UNIT --term T [--subtree] [--as-of D]
 *   seats set UNIT TERM BODY_OR_TITLE SEATS
 *   seats list UNIT --term T [--subtree] [--as-of D]
 *   planning add CADRE UNIT TERM BODY_OR_TITLE --added D [--removed D]
 *   planning list UNIT --term T [--subtree] [--as-of D]
 *   review set CADRE YEAR --rating R --meets yes|no --action A [--decision REF]
 *   review list UNIT [--year Y] [--subtree] [--as-of D]
 *
 * --subtree takes the units under UNIT in the tree of one day (DOMAIN.md 3):
 * --as-of D, else for committee, seats and planning the last day of the
 * term's window (term A-B: 31 Dec of B-1), for reviews 31 December of each
 * review's year; so a past term still lists the units abolished since.
 * planning's 3x3 breaches count the entries active on that day.
 *
 * Enum values are read as labels.h reads them (the bare code, the wire name
 * or the Vietnamese label); output uses the bare codes. A value the CLI
 * cannot read as its type is a usage error (64); range and existence checks
 * are the server's (INVALID_ARGUMENT, 3, naming the field). The lists follow
 * next_page_token to the end with pages of 1000 and print every row at once.
 * `planning list` also reports the breaches of the 3x3 rule the server found
 * (first page): as warnings on stderr in table and CSV output, and in JSON
 * as the "violations" member of one object {"entries": [...], "violations":
 * [...]}. They are information, not an error: the exit code stays 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nhanluc/v1/records.pb-c.h"

#include "args.h"
#include "cli.h"
#include "date.h"
#include "labels.h"

#define PARTY_PAGE_SIZE 1000
#define PARTY_MAX_PAGES 100000 /* 100 million rows: a guard against a looping server */
#define NUM_LEN         16

/* --- shared helpers --- */

/* The bare code of an enum value, or its number when this CLI does not know it. */
static const char *code_text(enum nl_field f, int v, char *num, size_t len)
{
    const char *c = nl_label_code(f, v);

    if (c != NULL)
        return c;
    if (v == 0)
        return "";
    (void)snprintf(num, len, "%d", v);
    return num;
}

static const char *outcome_text(Nhanluc__V1__WriteOutcome o, char *num, size_t len)
{
    return nl_cli_enum_text(&nhanluc__v1__write_outcome__descriptor, (int)o, num, len);
}

/* Parses enum option --`opt` of `cmd sub`; NL_EXIT_USAGE after a usage error. */
static int label_opt(const char *cmd, const char *sub, const char *opt, enum nl_field f,
                     const char *s, int *out)
{
    if (nl_label_parse(f, s, out) == 0)
        return 0;
    return nl_cli_usage_error(cmd, "%s %s: unknown %s '%s' (expected one of: %s)", cmd, sub, opt, s,
                              nl_label_choices(f));
}

/* A date in YYYY-MM-DD or DD/MM/YYYY into out as YYYY-MM-DD; NL_EXIT_USAGE after an error. */
static int date_opt(const char *cmd, const char *sub, const char *opt, const char *s, char out[11])
{
    int32_t days;

    if (nl_date_parse_any(s, strlen(s), &days) == 0) {
        nl_date_format(days, out);
        return 0;
    }
    return nl_cli_usage_error(cmd, "%s %s: bad %s '%s' (expected YYYY-MM-DD or DD/MM/YYYY)", cmd,
                              sub, opt, s);
}

/* A whole number 0..INT32_MAX in decimal digits; -1 otherwise. */
static int count_parse(const char *s, int *out)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > INT32_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

/*
 * Parses the words of a list subcommand: UNIT, --term T (required when
 * `need_term`), --year Y (when `with_year`), --subtree, --as-of D (into
 * as_of, YYYY-MM-DD) into req. NL_EXIT_USAGE after a usage error, else 0.
 */
static int list_args(const char *cmd, int argc, char **argv, int need_term, int with_year,
                     Nhanluc__V1__ListPartyRecordsRequest *req, char as_of[11])
{
    char *term = NULL, *year = NULL, *subtree = NULL, *day = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {
        {"term", 1, &term}, {"subtree", 0, &subtree},
        {"as-of", 1, &day}, {with_year ? "year" : NULL, 1, &year},
        {NULL, 0, NULL},
    };
    int n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err)), y;

    nhanluc__v1__list_party_records_request__init(req);
    if (n < 0)
        return nl_cli_usage_error(cmd, "%s list: %s", cmd, err);
    if (n < 1)
        return nl_cli_usage_error(cmd, "%s list: missing UNIT", cmd);
    if (need_term && term == NULL)
        return nl_cli_usage_error(cmd, "%s list: missing --term", cmd);
    req->unit = pos[0];
    if (term != NULL)
        req->term = term;
    if (year != NULL) {
        if (nl_year_parse(year, &y) != 0)
            return nl_cli_usage_error(cmd, "%s list: bad --year '%s' (expected a year)", cmd, year);
        req->year = y;
    }
    if (day != NULL) {
        int rc = date_opt(cmd, "list", "--as-of", day, as_of);
        if (rc != 0)
            return rc;
        req->as_of = as_of;
    }
    req->subtree = subtree != NULL;
    req->page_size = PARTY_PAGE_SIZE;
    return 0;
}

/* One list RPC: its path and reply type, and how to read a reply. */
struct pager {
    const char *path;
    const ProtobufCMessageDescriptor *resp_desc;
    /* Adds the rows of reply m to r; 0 or an exit code. */
    int (*add_rows)(struct nl_records *r, const ProtobufCMessage *m);
    /* The reply's next_page_token. */
    char *(*next)(const ProtobufCMessage *m);
};

/*
 * Runs a list to its end, every row into r. With keep_first not NULL the
 * first reply is handed to the caller there (the caller frees it); every
 * other reply is freed once the next request no longer borrows its token.
 * Returns 0 or the exit code of the failure it reported.
 */
static int list_all(struct nl_cli *cli, const struct pager *pg,
                    Nhanluc__V1__ListPartyRecordsRequest *req, struct nl_records *r,
                    ProtobufCMessage **keep_first)
{
    ProtobufCMessage *prev = NULL, *first = NULL;
    int rc = 0;

    for (unsigned page = 0;; page++) {
        ProtobufCMessage *m = NULL;
        char *next;

        if (page == PARTY_MAX_PAGES) {
            rc = nl_cli_fail(NL_INTERNAL, "server kept returning pages");
            break;
        }
        rc = nl_cli_call_or_fail(cli, pg->path, &req->base, pg->resp_desc, &m);
        if (rc != 0)
            break;
        if (page == 0)
            first = m;
        rc = pg->add_rows(r, m);
        next = pg->next(m);
        if (rc == 0 && next[0] != '\0' && strcmp(next, req->page_token) == 0)
            rc = nl_cli_fail(NL_INTERNAL, "server returned the same page token twice");
        if (prev != NULL && (prev != first || keep_first == NULL))
            protobuf_c_message_free_unpacked(prev, NULL);
        prev = m;
        if (rc != 0 || next[0] == '\0')
            break;
        req->page_token = next;
    }
    if (prev != NULL && (prev != first || keep_first == NULL))
        protobuf_c_message_free_unpacked(prev, NULL);
    if (keep_first != NULL)
        *keep_first = first;
    return rc;
}

/* --- committee --- */

#define NCOLS_MEMBER 7
static const struct nl_col member_cols[] = {
    {"cadre_code", NL_COL_STR}, {"unit", NL_COL_STR},    {"term", NL_COL_STR},
    {"body", NL_COL_STR},       {"role", NL_COL_STR},    {"start_date", NL_COL_STR},
    {"end_date", NL_COL_STR},   {"outcome", NL_COL_STR},
};

struct member_row {
    char num[2][NUM_LEN];
    const char *v[NCOLS_MEMBER + 1];
};

static const char *const *member_row(struct member_row *row,
                                     const Nhanluc__V1__CommitteeMembership *m, const char *outcome)
{
    row->v[0] = m->cadre_code;
    row->v[1] = m->unit;
    row->v[2] = m->term;
    row->v[3] = code_text(NL_F_BODY, (int)m->body, row->num[0], NUM_LEN);
    row->v[4] = code_text(NL_F_BODY_ROLE, (int)m->role, row->num[1], NUM_LEN);
    row->v[5] = m->start_date;
    row->v[6] = m->end_date;
    row->v[7] = outcome;
    return row->v;
}

static int committee_add(struct nl_cli *cli, int argc, char **argv)
{
    char *body = NULL, *role = NULL, *start = NULL, *end = NULL, *pos[3], err[256];
    char sdate[11], edate[11], num[NUM_LEN];
    const struct nl_opt opts[] = {
        {"body", 1, &body}, {"role", 1, &role}, {"start", 1, &start},
        {"end", 1, &end},   {NULL, 0, NULL},
    };
    Nhanluc__V1__UpsertCommitteeMembershipRequest req;
    Nhanluc__V1__CommitteeMembership m;
    ProtobufCMessage *reply;
    struct member_row row;
    int v, rc, n = nl_opts_parse(argc, argv, opts, pos, 3, err, sizeof(err));

    nhanluc__v1__upsert_committee_membership_request__init(&req);
    nhanluc__v1__committee_membership__init(&m);
    if (n < 0)
        return nl_cli_usage_error("committee", "committee add: %s", err);
    if (n < 3)
        return nl_cli_usage_error("committee", "committee add: missing %s",
                                  n == 0   ? "CADRE"
                                  : n == 1 ? "UNIT"
                                           : "TERM");
    if (body == NULL || role == NULL || start == NULL)
        return nl_cli_usage_error("committee", "committee add: missing %s",
                                  body == NULL   ? "--body"
                                  : role == NULL ? "--role"
                                                 : "--start");
    m.cadre_code = pos[0];
    m.unit = pos[1];
    m.term = pos[2];
    if ((rc = label_opt("committee", "add", "--body", NL_F_BODY, body, &v)) != 0)
        return rc;
    m.body = (Nhanluc__V1__Body)v;
    if ((rc = label_opt("committee", "add", "--role", NL_F_BODY_ROLE, role, &v)) != 0)
        return rc;
    m.role = (Nhanluc__V1__BodyRole)v;
    if ((rc = date_opt("committee", "add", "--start", start, sdate)) != 0)
        return rc;
    m.start_date = sdate;
    if (end != NULL) {
        if ((rc = date_opt("committee", "add", "--end", end, edate)) != 0)
            return rc;
        m.end_date = edate;
    }
    req.membership = &m;

    rc =
        nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/UpsertCommitteeMembership", &req.base,
                            &nhanluc__v1__upsert_committee_membership_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    Nhanluc__V1__UpsertCommitteeMembershipResponse *resp =
        (Nhanluc__V1__UpsertCommitteeMembershipResponse *)reply;
    if (resp->membership == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no membership");
    else
        rc = nl_cli_print_row(
            cli, member_cols, NCOLS_MEMBER + 1,
            member_row(&row, resp->membership, outcome_text(resp->outcome, num, sizeof(num))));
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static int member_add_rows(struct nl_records *r, const ProtobufCMessage *m)
{
    const Nhanluc__V1__ListCommitteeMembershipsResponse *resp =
        (const Nhanluc__V1__ListCommitteeMembershipsResponse *)m;
    struct member_row row;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < resp->n_memberships; i++)
        rc = nl_cli_add_row(r, member_row(&row, resp->memberships[i], ""));
    return rc;
}

static char *member_next(const ProtobufCMessage *m)
{
    return ((const Nhanluc__V1__ListCommitteeMembershipsResponse *)m)->next_page_token;
}

static const struct pager member_pager = {
    "/nhanluc.v1.Records/ListCommitteeMemberships",
    &nhanluc__v1__list_committee_memberships_response__descriptor,
    member_add_rows,
    member_next,
};

/* A list whose every reply has only rows: prints them all. */
static int list_print(struct nl_cli *cli, const char *cmd, const struct pager *pg,
                      const struct nl_col *cols, size_t ncols, int need_term, int with_year,
                      int argc, char **argv)
{
    Nhanluc__V1__ListPartyRecordsRequest req;
    struct nl_records r;
    char as_of[11];
    int rc = list_args(cmd, argc, argv, need_term, with_year, &req, as_of);

    if (rc != 0)
        return rc;
    nl_records_init(&r, cols, ncols);
    rc = list_all(cli, pg, &req, &r, NULL);
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

static int committee_list(struct nl_cli *cli, int argc, char **argv)
{
    return list_print(cli, "committee", &member_pager, member_cols, NCOLS_MEMBER, 1, 0, argc, argv);
}

/* --- seats --- */

#define NCOLS_QUOTA 4
static const struct nl_col quota_cols[] = {
    {"unit", NL_COL_STR},  {"term", NL_COL_STR},    {"body_or_title", NL_COL_STR},
    {"seats", NL_COL_INT}, {"outcome", NL_COL_STR},
};

struct quota_row {
    char num[NUM_LEN], seats[NUM_LEN];
    const char *v[NCOLS_QUOTA + 1];
};

static const char *const *quota_row(struct quota_row *row, const Nhanluc__V1__SeatQuota *q,
                                    const char *outcome)
{
    row->v[0] = q->unit;
    row->v[1] = q->term;
    row->v[2] = code_text(NL_F_BODY_OR_TITLE, (int)q->body_or_title, row->num, NUM_LEN);
    (void)snprintf(row->seats, sizeof(row->seats), "%d", (int)q->seats);
    row->v[3] = row->seats;
    row->v[4] = outcome;
    return row->v;
}

static int seats_set(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[4], err[256], num[NUM_LEN];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__SetSeatQuotaRequest req;
    Nhanluc__V1__SeatQuota q;
    ProtobufCMessage *reply;
    struct quota_row row;
    int v, rc, n = nl_opts_parse(argc, argv, opts, pos, 4, err, sizeof(err));
    static const char *const names[] = {"UNIT", "TERM", "BODY_OR_TITLE", "SEATS"};

    nhanluc__v1__set_seat_quota_request__init(&req);
    nhanluc__v1__seat_quota__init(&q);
    if (n < 0)
        return nl_cli_usage_error("seats", "seats set: %s", err);
    if (n < 4)
        return nl_cli_usage_error("seats", "seats set: missing %s", names[n]);
    q.unit = pos[0];
    q.term = pos[1];
    if ((rc = label_opt("seats", "set", "BODY_OR_TITLE", NL_F_BODY_OR_TITLE, pos[2], &v)) != 0)
        return rc;
    q.body_or_title = (Nhanluc__V1__BodyOrTitle)v;
    if (count_parse(pos[3], &v) != 0)
        return nl_cli_usage_error("seats", "seats set: bad SEATS '%s' (expected a whole number)",
                                  pos[3]);
    q.seats = v;
    req.quota = &q;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/SetSeatQuota", &req.base,
                             &nhanluc__v1__set_seat_quota_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    Nhanluc__V1__SetSeatQuotaResponse *resp = (Nhanluc__V1__SetSeatQuotaResponse *)reply;
    if (resp->quota == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no quota");
    else
        rc = nl_cli_print_row(
            cli, quota_cols, NCOLS_QUOTA + 1,
            quota_row(&row, resp->quota, outcome_text(resp->outcome, num, sizeof(num))));
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static int quota_add_rows(struct nl_records *r, const ProtobufCMessage *m)
{
    const Nhanluc__V1__ListSeatQuotasResponse *resp =
        (const Nhanluc__V1__ListSeatQuotasResponse *)m;
    struct quota_row row;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < resp->n_quotas; i++)
        rc = nl_cli_add_row(r, quota_row(&row, resp->quotas[i], ""));
    return rc;
}

static char *quota_next(const ProtobufCMessage *m)
{
    return ((const Nhanluc__V1__ListSeatQuotasResponse *)m)->next_page_token;
}

static const struct pager quota_pager = {
    "/nhanluc.v1.Records/ListSeatQuotas",
    &nhanluc__v1__list_seat_quotas_response__descriptor,
    quota_add_rows,
    quota_next,
};

static int seats_list(struct nl_cli *cli, int argc, char **argv)
{
    return list_print(cli, "seats", &quota_pager, quota_cols, NCOLS_QUOTA, 1, 0, argc, argv);
}

/* --- planning --- */

#define NCOLS_PLAN 6
static const struct nl_col plan_cols[] = {
    {"cadre_code", NL_COL_STR},    {"unit", NL_COL_STR},     {"term", NL_COL_STR},
    {"body_or_title", NL_COL_STR}, {"added_on", NL_COL_STR}, {"removed_on", NL_COL_STR},
    {"outcome", NL_COL_STR},
};

struct plan_row {
    char num[NUM_LEN];
    const char *v[NCOLS_PLAN + 1];
};

static const char *const *plan_row(struct plan_row *row, const Nhanluc__V1__PlanningEntry *e,
                                   const char *outcome)
{
    row->v[0] = e->cadre_code;
    row->v[1] = e->unit;
    row->v[2] = e->term;
    row->v[3] = code_text(NL_F_BODY_OR_TITLE, (int)e->body_or_title, row->num, NUM_LEN);
    row->v[4] = e->added_on;
    row->v[5] = e->removed_on;
    row->v[6] = outcome;
    return row->v;
}

static int planning_add(struct nl_cli *cli, int argc, char **argv)
{
    char *added = NULL, *removed = NULL, *pos[4], err[256], adate[11], rdate[11], num[NUM_LEN];
    const struct nl_opt opts[] = {{"added", 1, &added}, {"removed", 1, &removed}, {NULL, 0, NULL}};
    static const char *const names[] = {"CADRE", "UNIT", "TERM", "BODY_OR_TITLE"};
    Nhanluc__V1__UpsertPlanningEntryRequest req;
    Nhanluc__V1__PlanningEntry e;
    ProtobufCMessage *reply;
    struct plan_row row;
    int v, rc, n = nl_opts_parse(argc, argv, opts, pos, 4, err, sizeof(err));

    nhanluc__v1__upsert_planning_entry_request__init(&req);
    nhanluc__v1__planning_entry__init(&e);
    if (n < 0)
        return nl_cli_usage_error("planning", "planning add: %s", err);
    if (n < 4)
        return nl_cli_usage_error("planning", "planning add: missing %s", names[n]);
    if (added == NULL)
        return nl_cli_usage_error("planning", "planning add: missing --added");
    e.cadre_code = pos[0];
    e.unit = pos[1];
    e.term = pos[2];
    if ((rc = label_opt("planning", "add", "BODY_OR_TITLE", NL_F_BODY_OR_TITLE, pos[3], &v)) != 0)
        return rc;
    e.body_or_title = (Nhanluc__V1__BodyOrTitle)v;
    if ((rc = date_opt("planning", "add", "--added", added, adate)) != 0)
        return rc;
    e.added_on = adate;
    if (removed != NULL) {
        if ((rc = date_opt("planning", "add", "--removed", removed, rdate)) != 0)
            return rc;
        e.removed_on = rdate;
    }
    req.entry = &e;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/UpsertPlanningEntry", &req.base,
                             &nhanluc__v1__upsert_planning_entry_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    Nhanluc__V1__UpsertPlanningEntryResponse *resp =
        (Nhanluc__V1__UpsertPlanningEntryResponse *)reply;
    if (resp->entry == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no entry");
    else
        rc = nl_cli_print_row(
            cli, plan_cols, NCOLS_PLAN + 1,
            plan_row(&row, resp->entry, outcome_text(resp->outcome, num, sizeof(num))));
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static int plan_add_rows(struct nl_records *r, const ProtobufCMessage *m)
{
    const Nhanluc__V1__ListPlanningEntriesResponse *resp =
        (const Nhanluc__V1__ListPlanningEntriesResponse *)m;
    struct plan_row row;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < resp->n_entries; i++)
        rc = nl_cli_add_row(r, plan_row(&row, resp->entries[i], ""));
    return rc;
}

static char *plan_next(const ProtobufCMessage *m)
{
    return ((const Nhanluc__V1__ListPlanningEntriesResponse *)m)->next_page_token;
}

static const struct pager plan_pager = {
    "/nhanluc.v1.Records/ListPlanningEntries",
    &nhanluc__v1__list_planning_entries_response__descriptor,
    plan_add_rows,
    plan_next,
};

#define NCOLS_VIOLATION 5
static const struct nl_col violation_cols[] = {
    {"unit", NL_COL_STR},       {"term", NL_COL_STR},  {"body_or_title", NL_COL_STR},
    {"cadre_code", NL_COL_STR}, {"count", NL_COL_INT},
};

/* The violations of the first reply as records (the JSON "violations" member). */
static int violation_records(const Nhanluc__V1__ListPlanningEntriesResponse *resp,
                             struct nl_records *r)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < resp->n_violations; i++) {
        const Nhanluc__V1__PlanningViolation *v = resp->violations[i];
        char num[NUM_LEN], count[NUM_LEN];
        const char *row[NCOLS_VIOLATION];

        (void)snprintf(count, sizeof(count), "%d", (int)v->count);
        row[0] = v->unit;
        row[1] = v->term;
        row[2] = code_text(NL_F_BODY_OR_TITLE, (int)v->body_or_title, num, sizeof(num));
        row[3] = v->cadre_code;
        row[4] = count;
        rc = nl_cli_add_row(r, row);
    }
    return rc;
}

/* Prints each violation as a warning line on stderr (table and CSV output). */
static void violation_warnings(const Nhanluc__V1__ListPlanningEntriesResponse *resp)
{
    for (size_t i = 0; i < resp->n_violations; i++) {
        const Nhanluc__V1__PlanningViolation *v = resp->violations[i];
        char num[NUM_LEN];
        char *unit = nl_output_clean(v->unit, strlen(v->unit), 0);
        char *term = nl_output_clean(v->term, strlen(v->term), 0);
        char *cadre = nl_output_clean(v->cadre_code, strlen(v->cadre_code), 0);

        if (unit == NULL || term == NULL || cadre == NULL)
            fputs("nhanluc: warning: a planning rule violation (out of memory)\n", stderr);
        else if (cadre[0] != '\0')
            fprintf(stderr,
                    "nhanluc: warning: %s %s: cadre %s is planned for %d titles (at most 3)\n",
                    unit, term, cadre, (int)v->count);
        else
            fprintf(stderr, "nhanluc: warning: %s %s: %s has %d candidates (at most 3)\n", unit,
                    term, code_text(NL_F_BODY_OR_TITLE, (int)v->body_or_title, num, sizeof(num)),
                    (int)v->count);
        free(unit);
        free(term);
        free(cadre);
    }
    if (resp->violations_truncated)
        fprintf(stderr, "nhanluc: warning: more planning rule violations than the %zu shown\n",
                resp->n_violations);
}

/* Writes records `r` as JSON into a parsed jansson value (*out); 0 or -1. */
static int records_json(const struct nl_records *r, json_t **out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = -1;

    if (f == NULL)
        return -1;
    if (nl_output_write(f, NL_OUTPUT_JSON, r, 0) == 0 && fclose(f) == 0) {
        *out = json_loadb(text, len, 0, NULL);
        rc = *out != NULL ? 0 : -1;
    } else {
        (void)fclose(f);
    }
    free(text);
    return rc;
}

/*
 * {"entries": [...], "violations": [...], "violations_truncated": false} on
 * the CLI's output (truncated: the server listed its maximum, there are more).
 */
static int print_planning_json(struct nl_cli *cli, const struct nl_records *entries,
                               const struct nl_records *violations, int truncated)
{
    json_t *doc = json_object(), *e = NULL, *v = NULL;
    int rc = NL_EXIT_IO;

    if (doc == NULL || records_json(entries, &e) != 0 || records_json(violations, &v) != 0 ||
        json_object_set_new(doc, "entries", e) != 0) {
        json_decref(doc);
        json_decref(e);
        json_decref(v);
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    }
    if (json_object_set_new(doc, "violations", v) != 0 ||
        json_object_set_new(doc, "violations_truncated", json_boolean(truncated)) != 0) {
        json_decref(doc);
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    }
    if (json_dumpf(doc, cli->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
        fputc('\n', cli->out) != EOF && fflush(cli->out) == 0)
        rc = 0;
    else if (errno != EPIPE)
        fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
    json_decref(doc);
    return rc;
}

static int planning_list(struct nl_cli *cli, int argc, char **argv)
{
    Nhanluc__V1__ListPartyRecordsRequest req;
    ProtobufCMessage *first = NULL;
    struct nl_records r, vr;
    char as_of[11];
    int rc = list_args("planning", argc, argv, 1, 0, &req, as_of);

    if (rc != 0)
        return rc;
    nl_records_init(&r, plan_cols, NCOLS_PLAN);
    nl_records_init(&vr, violation_cols, NCOLS_VIOLATION);
    rc = list_all(cli, &plan_pager, &req, &r, &first);
    if (rc == 0 && first != NULL) {
        const Nhanluc__V1__ListPlanningEntriesResponse *resp =
            (const Nhanluc__V1__ListPlanningEntriesResponse *)first;
        if (cli->output == NL_OUTPUT_JSON) {
            rc = violation_records(resp, &vr);
            if (rc == 0)
                rc = print_planning_json(cli, &r, &vr, resp->violations_truncated);
        } else {
            rc = nl_cli_print(cli, &r, 0);
            violation_warnings(resp);
        }
    }
    if (first != NULL)
        protobuf_c_message_free_unpacked(first, NULL);
    nl_records_release(&r);
    nl_records_release(&vr);
    return rc;
}

/* --- review --- */

#define NCOLS_REVIEW 6
static const struct nl_col review_cols[] = {
    {"cadre_code", NL_COL_STR},    {"year", NL_COL_INT},
    {"annual_rating", NL_COL_STR}, {"meets_requirements", NL_COL_BOOL},
    {"action", NL_COL_STR},        {"decision_ref", NL_COL_STR},
    {"outcome", NL_COL_STR},
};

struct review_row {
    char num[2][NUM_LEN], year[NUM_LEN];
    const char *v[NCOLS_REVIEW + 1];
};

static const char *const *review_row(struct review_row *row, const Nhanluc__V1__Review *r,
                                     const char *outcome)
{
    row->v[0] = r->cadre_code;
    (void)snprintf(row->year, sizeof(row->year), "%d", (int)r->year);
    row->v[1] = row->year;
    row->v[2] = code_text(NL_F_ANNUAL_RATING, (int)r->annual_rating, row->num[0], NUM_LEN);
    row->v[3] = r->meets_requirements ? "true" : "false";
    row->v[4] = code_text(NL_F_REVIEW_ACTION, (int)r->action, row->num[1], NUM_LEN);
    row->v[5] = r->decision_ref;
    row->v[6] = outcome;
    return row->v;
}

static int review_set(struct nl_cli *cli, int argc, char **argv)
{
    char *rating = NULL, *meets = NULL, *action = NULL, *decision = NULL, *pos[2], err[256],
         num[NUM_LEN];
    const struct nl_opt opts[] = {
        {"rating", 1, &rating},     {"meets", 1, &meets}, {"action", 1, &action},
        {"decision", 1, &decision}, {NULL, 0, NULL},
    };
    Nhanluc__V1__UpsertReviewRequest req;
    Nhanluc__V1__Review r;
    ProtobufCMessage *reply;
    struct review_row row;
    int v, rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__upsert_review_request__init(&req);
    nhanluc__v1__review__init(&r);
    if (n < 0)
        return nl_cli_usage_error("review", "review set: %s", err);
    if (n < 2)
        return nl_cli_usage_error("review", "review set: missing %s", n == 0 ? "CADRE" : "YEAR");
    if (rating == NULL || meets == NULL || action == NULL)
        return nl_cli_usage_error("review", "review set: missing %s",
                                  rating == NULL  ? "--rating"
                                  : meets == NULL ? "--meets"
                                                  : "--action");
    r.cadre_code = pos[0];
    if (nl_year_parse(pos[1], &v) != 0)
        return nl_cli_usage_error("review", "review set: bad YEAR '%s' (expected a year)", pos[1]);
    r.year = v;
    if ((rc = label_opt("review", "set", "--rating", NL_F_ANNUAL_RATING, rating, &v)) != 0)
        return rc;
    r.annual_rating = (Nhanluc__V1__AnnualRating)v;
    /* --meets must say yes or no: an empty value is no answer. */
    if (meets[0] == '\0')
        return nl_cli_usage_error("review", "review set: empty --meets (expected yes or no)");
    if ((rc = label_opt("review", "set", "--meets", NL_F_BOOL, meets, &v)) != 0)
        return rc;
    r.meets_requirements = v != 0;
    if ((rc = label_opt("review", "set", "--action", NL_F_REVIEW_ACTION, action, &v)) != 0)
        return rc;
    r.action = (Nhanluc__V1__ReviewAction)v;
    if (decision != NULL)
        r.decision_ref = decision;
    req.review = &r;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/UpsertReview", &req.base,
                             &nhanluc__v1__upsert_review_response__descriptor, &reply);
    if (rc != 0)
        return rc;
    Nhanluc__V1__UpsertReviewResponse *resp = (Nhanluc__V1__UpsertReviewResponse *)reply;
    if (resp->review == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no review");
    else
        rc = nl_cli_print_row(
            cli, review_cols, NCOLS_REVIEW + 1,
            review_row(&row, resp->review, outcome_text(resp->outcome, num, sizeof(num))));
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

static int review_add_rows(struct nl_records *r, const ProtobufCMessage *m)
{
    const Nhanluc__V1__ListReviewsResponse *resp = (const Nhanluc__V1__ListReviewsResponse *)m;
    struct review_row row;
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < resp->n_reviews; i++)
        rc = nl_cli_add_row(r, review_row(&row, resp->reviews[i], ""));
    return rc;
}

static char *review_next(const ProtobufCMessage *m)
{
    return ((const Nhanluc__V1__ListReviewsResponse *)m)->next_page_token;
}

static const struct pager review_pager = {
    "/nhanluc.v1.Records/ListReviews",
    &nhanluc__v1__list_reviews_response__descriptor,
    review_add_rows,
    review_next,
};

static int review_list(struct nl_cli *cli, int argc, char **argv)
{
    return list_print(cli, "review", &review_pager, review_cols, NCOLS_REVIEW, 0, 1, argc, argv);
}

/* --- the commands --- */

static const struct nl_cli_sub committee_subs[] = {
    {"add", committee_add},
    {"list", committee_list},
    {NULL, NULL},
};

static const struct nl_cli_sub seats_subs[] = {
    {"set", seats_set},
    {"list", seats_list},
    {NULL, NULL},
};

static const struct nl_cli_sub planning_subs[] = {
    {"add", planning_add},
    {"list", planning_list},
    {NULL, NULL},
};

static const struct nl_cli_sub review_subs[] = {
    {"set", review_set},
    {"list", review_list},
    {NULL, NULL},
};

int nl_cmd_committee(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "committee", committee_subs, "add or list", argc, argv);
}

int nl_cmd_seats(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "seats", seats_subs, "set or list", argc, argv);
}

int nl_cmd_planning(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "planning", planning_subs, "add or list", argc, argv);
}

int nl_cmd_review(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "review", review_subs, "set or list", argc, argv);
}
