/*
 * store_import.h - the typed store API of bulk import and export (DOMAIN.md
 * section 8): the import_batch table of schema migration 4, which keeps the
 * response of every committed Records.Import batch under its batch_id, and
 * the queries of Records.Export, which read every CSV kind back in an order
 * that imports again. Implemented in store_import.c, part of the store module
 * (store.h: errors, connections and transactions work as there).
 *
 * Export rows reuse the records of the other areas (store.h,
 * store_cadres.h, store_classes.h); the party and report kinds have small
 * records of their own here. Dates are "YYYY-MM-DD" text; "" = none. Enum
 * fields hold the proto enum values of records.proto and registry.proto.
 */
#ifndef NL_STORE_IMPORT_H
#define NL_STORE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"
#include "store.h"
#include "store_cadres.h"
#include "store_classes.h"
#include "store_targets.h"

struct nl_store;

#define NL_IMPORT_HASH_LEN 32 /* SHA-256 */

/*
 * Looks batch `batch_id` up. NL_OK: *hash (NL_IMPORT_HASH_LEN bytes) is the
 * hash of the request that made it and *resp / *len the packed
 * ImportResponse stored for it (arena copies). NL_NOT_FOUND when no batch has
 * the id. Otherwise a mapped status.
 */
enum nl_status nl_store_import_batch_get(struct nl_store *st, const char *batch_id,
                                         uint8_t hash[NL_IMPORT_HASH_LEN], uint8_t **resp,
                                         size_t *len, struct nl_arena *a);

/*
 * Stores the packed response `resp` (len bytes) of batch `batch_id` with the
 * request hash, inside the caller's write transaction. NL_ALREADY_EXISTS when
 * the id is taken (the caller looked it up first); NL_OK or a mapped status.
 */
enum nl_status nl_store_import_batch_put(struct nl_store *st, const char *batch_id,
                                         const uint8_t hash[NL_IMPORT_HASH_LEN],
                                         const uint8_t *resp, size_t len);

/*
 * The number of rows the connection has inserted, updated or deleted since it
 * was opened (sqlite3_total_changes64). The import compares it around a
 * handler whose response only says `created`, to tell UPDATED from
 * UNCHANGED.
 */
int64_t nl_store_change_count(struct nl_store *st);

/* What Export reads; the values of Nhanluc__V1__ExportKind. */
enum nl_export_kind {
    NL_EXPORT_UNITS = 1,
    NL_EXPORT_TERMS = 2,
    NL_EXPORT_UNIT_EVENTS = 3,
    NL_EXPORT_CADRES = 4,
    NL_EXPORT_CLASSES = 5,
    NL_EXPORT_ENROLMENTS = 6,
    NL_EXPORT_COMMITTEE = 7,
    NL_EXPORT_PLANNING = 8,
    NL_EXPORT_SEATS = 9,
    NL_EXPORT_REVIEWS = 10,
    NL_EXPORT_REPORTS = 11,
    NL_EXPORT_TERM_INSTANCES = 12,
    NL_EXPORT_TARGETS = 13,
    NL_EXPORT_LAST = NL_EXPORT_TARGETS, /* the highest kind */
};

/*
 * A position in the export order of one kind: the sort key of the last row
 * of a page. Each kind uses some of the parts (the others stay "" and 0); all
 * "" and 0 = the start. Text parts never hold '|' (codes and dates only).
 */
struct nl_export_key {
    const char *t1, *t2, *t3;
    int64_t n1, n2;
};

/* Records of the kinds whose areas have none of their own here. */
struct nl_export_committee {
    const char *cadre_code, *unit, *term;
    int body, role;
    const char *start_date, *end_date;
};

struct nl_export_planning {
    const char *cadre_code, *unit, *term;
    int body_or_title;
    const char *added_on, *removed_on;
};

struct nl_export_seats {
    const char *unit, *term;
    int body_or_title, seats;
};

struct nl_export_review {
    const char *cadre_code;
    int year, annual_rating, meets_requirements, action;
    const char *decision_ref;
};

struct nl_export_report {
    const char *unit;
    int year, status;
    const char *submitted_at, *approved_at, *return_reason;
};

/* One exported row: `r` holds the member of `kind`; `key` is its position. */
struct nl_export_row {
    int kind; /* enum nl_export_kind */
    union {
        struct nl_unit_rec unit; /* a version; valid_from "" = since always */
        struct nl_term_rec term;
        struct nl_unit_event_rec event; /* sources and targets sorted */
        struct {
            struct nl_cadre_rec cadre;
            int has_profile; /* 0: a cadre without any profile version */
            struct nl_cadre_profile_rec profile;
        } cadre;
        struct nl_class_rec cls;
        struct {
            const char *organiser_unit, *class_ref;
            struct nl_enrolment_rec e;
        } enrolment;
        struct nl_export_committee committee;
        struct nl_export_planning planning;
        struct nl_export_seats seats;
        struct nl_export_review review;
        struct nl_export_report report;
        struct nl_term_instance_rec term_instance;
        struct nl_target_rec target; /* unit "" = no unit */
    } r;
    struct nl_export_key key;
};

/* The filters of an export; "" and 0 = none. */
struct nl_export_filter {
    const char *unit;  /* the unit and every unit under it in the tree of each row's own day
                          (store_import.c: the day its list uses) */
    int year;          /* classes, enrolments: the year of the class's end_date;
                          reviews, reports: their year; ignored by the other kinds */
    const char *today; /* "YYYY-MM-DD": a target's day when its term is unknown */
    int64_t scope;     /* the caller's scope root (nl_auth_scope; 0 = unconfined): a confined
                          caller's rows stay within its units as they stand today */
};

/*
 * Reads the rows of `kind` after `after` (NULL or all ""/0 = from the start)
 * in the kind's export order, at most `limit` of them (*more = 1 when rows
 * remain); *rows is an arena array of *n rows (strings in `a`).
 *
 * Orders (each imports back in order): units, every version, by (valid_from,
 * depth of the unit in the tree of that day, code), so a parent comes before
 * its children; terms by code; unit events by (effective_date, recording
 * order); cadres by (cadre_code, profile valid_from), one row per profile
 * version (a cadre without one: one row without profile); classes by
 * (end_date, organiser code, class_ref); enrolments by class, then cadre,
 * in recording order; committee and planning in recording order; seats by
 * (unit, term, body_or_title); reviews by (year, cadre_code); reports by
 * (year, unit); term instances by (term, unit); targets by (indicator,
 * term, unit code, "" first).
 *
 * Unit filter: the rows whose unit (organiser, profile unit, the unit
 * itself, any unit of an event, the unit of the cadre's profile on 31 Dec of
 * a review's year, the unit a target names) is f->unit or under it in the
 * tree valid on f->today (so a target naming no unit is left out). An
 * f->unit no unit has is NL_NOT_FOUND. Terms take no filter.
 */
enum nl_status nl_store_export(struct nl_store *st, int kind, const struct nl_export_filter *f,
                               const struct nl_export_key *after, size_t limit,
                               struct nl_export_row **rows, size_t *n, int *more,
                               struct nl_arena *a);

#endif
