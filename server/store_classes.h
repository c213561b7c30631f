/*
 * store_classes.h - the typed store API of the training area: classes and
 * their enrolments (DOMAIN.md section 3; tables target_group, class and
 * enrolment of schema migration 3). Implemented in store_classes.c, part of
 * the store module (store.h: errors, connections and transactions work as
 * there).
 *
 * Keys: a class is (organiser unit, class_ref); an enrolment is (class,
 * cadre). Dates are "YYYY-MM-DD" text. Enum fields hold the proto enum
 * values of records.proto. Callers validate every field first
 * (rec_classes.c: formats, ranges, the attendance sum, no cadre twice); these
 * functions trust that and check only what needs the database: the organiser
 * unit exists and is valid on both dates, the target group and the planning
 * term exist, every cadre exists. Such a refusal is NL_INVALID_ARGUMENT with
 * a message naming the field path ("training_class.organiser_unit: ...",
 * "enrolments[3].cadre_code: ...") and never a value.
 */
#ifndef NL_STORE_CLASSES_H
#define NL_STORE_CLASSES_H

#include <stddef.h>
#include <stdint.h>

#include "../common/arena.h"
#include "../common/status.h"

struct nl_store;

/* Most enrolments one class holds (and one request may carry). */
#define NL_CLASS_MAX_ENROLMENTS 5000

/* A class. Strings are borrowed (input) or arena-owned (output). */
struct nl_class_rec {
    const char *class_ref;      /* [A-Za-z0-9._/-]{1,64} */
    const char *organiser_unit; /* unit code */
    const char *title;          /* NFC, 1..300 bytes, line breaks allowed */
    int kind;                   /* Nhanluc__V1__TrainingKind, 1..3 */
    int area;                   /* Nhanluc__V1__Area, 1..9 */
    const char *target_group;   /* a code of the target_group table */
    const char *planning_term;  /* a term code, "" = none */
    int mode;                   /* Nhanluc__V1__ClassMode, 1..3 */
    const char *start_date;     /* YYYY-MM-DD, <= end_date */
    const char *end_date;       /* YYYY-MM-DD */
    int sessions;               /* >= 1 */
    int planned_trainees;       /* >= 0 */
    int status;                 /* Nhanluc__V1__ClassStatus, 1..4 */
};

/* One cadre in one class. */
struct nl_enrolment_rec {
    const char *cadre_code;
    int status; /* Nhanluc__V1__EnrolmentStatus, 1..4 */
    int result; /* Nhanluc__V1__Result, 0 = none (only COMPLETED/FAILED have one) */
    int attended;
    int absent_excused;
    int absent_unexcused;
    int has_thesis;             /* 0: no thesis (thesis_score ignored) */
    double thesis_score;        /* 0..10 */
    const char *certificate_no; /* NFC, 0..64 bytes */
};

/* What nl_store_class_submit did. Outcomes are enum nl_write_outcome values. */
struct nl_class_submit_res {
    int outcome; /* of the class row: CREATED, UPDATED or UNCHANGED */
    int enrolments_created;
    int enrolments_updated;
    int enrolments_unchanged;
};

/* A row of nl_store_class_list: the class and how many enrolments it has. */
struct nl_class_summary_rec {
    struct nl_class_rec cls;
    int enrolments;
};

/* The filters of nl_store_class_list; 0 or "" = no filter. */
struct nl_class_filter {
    const char *unit;         /* organiser unit or under it (tree of each class's end_date) */
    const char *end_from;     /* end_date >= this ("" = no bound) */
    const char *end_to;       /* end_date <= this ("" = no bound) */
    int kind;                 /* Nhanluc__V1__TrainingKind */
    int area;                 /* Nhanluc__V1__Area */
    const char *target_group; /* a target_group code */
    int status;               /* Nhanluc__V1__ClassStatus */
    int64_t scope;            /* only organisers in this unit id's scope (scope_auth.h); 0 = all */
};

/* Position in the list order (end_date, organiser code, class_ref); all "" = the start. */
struct nl_class_key {
    const char *end_date;
    const char *organiser_unit;
    const char *class_ref;
};

/*
 * Upserts class `c` by (c->organiser_unit, c->class_ref), then each of the
 * `n` enrolments `e` (n <= NL_CLASS_MAX_ENROLMENTS, no cadre twice) by
 * (class, cadre), in order. Enrolments the class has and `e` does not list
 * stay as they are; a CANCELLED class keeps its enrolments. Rows whose
 * content does not change are not written (an exact replay writes nothing;
 * updated_at stays). Must run inside a write transaction; on failure the
 * caller rolls back (earlier statements of the call may have written).
 *
 * Every reference is checked before anything is written: NL_INVALID_ARGUMENT
 * with msg "training_class.organiser_unit: ..." (no such unit, or no version
 * of it valid on start_date or on end_date), "training_class.target_group:
 * ...", "training_class.planning_term: ...", "enrolments[i].cadre_code: no
 * such cadre". A class that would hold more than NL_CLASS_MAX_ENROLMENTS is
 * NL_FAILED_PRECONDITION ("enrolments: ..."). While an APPROVED annual
 * report locks the class's unit-year (its stored or its submitted end_date),
 * a row that would change is NL_FAILED_PRECONDITION "class is locked: ..."
 * (the caller rolls back) and an exact replay passes as unchanged. On NL_OK
 * *res says what was done. `a` holds scratch memory. Other failures: a
 * mapped status, msg set.
 */
enum nl_status nl_store_class_submit(struct nl_store *st, const struct nl_class_rec *c,
                                     const struct nl_enrolment_rec *e, size_t n,
                                     struct nl_class_submit_res *res, struct nl_arena *a, char *msg,
                                     size_t msglen);

/*
 * Reads class (unit, class_ref) into *out and its enrolments, ordered by
 * cadre_code, into the arena array *rows of *n records (NULL and 0 when it
 * has none). NL_NOT_FOUND when no such class exists.
 */
enum nl_status nl_store_class_get(struct nl_store *st, const char *unit, const char *class_ref,
                                  struct nl_class_rec *out, struct nl_enrolment_rec **rows,
                                  size_t *n, struct nl_arena *a);

/*
 * Reads class (unit, class_ref) into *out (strings in `a`) without its
 * enrolments: one keyed lookup, whatever the class holds (the per-row path
 * of an enrolments import). NL_NOT_FOUND when no such class exists.
 */
enum nl_status nl_store_class_head(struct nl_store *st, const char *unit, const char *class_ref,
                                   struct nl_class_rec *out, struct nl_arena *a);

/*
 * Lists the classes matching `f`, ordered by (end_date, organiser code,
 * class_ref), those after `after` (NULL or all "" = from the start), at most
 * `limit` rows (1..1000; *more = 1 when rows remain). f->unit matches a class
 * organised by that unit or by a unit under it in the tree valid on the
 * class's end_date (unit_version parents). A f->unit that does not exist is
 * NL_NOT_FOUND; f->target_group outside the catalogue is NL_INVALID_ARGUMENT.
 * *rows is an arena array of *n records.
 */
enum nl_status nl_store_class_list(struct nl_store *st, const struct nl_class_filter *f,
                                   const struct nl_class_key *after, size_t limit,
                                   struct nl_class_summary_rec **rows, size_t *n, int *more,
                                   struct nl_arena *a);

/*
 * Sets the status of class (unit, class_ref) to CANCELLED; its enrolments
 * stay. *outcome = NL_WRITE_UPDATED, or NL_WRITE_UNCHANGED when it already
 * was (nothing written). *out receives the stored class (strings in `a`).
 * NL_NOT_FOUND when no such class exists. Must run inside a write
 * transaction.
 */
enum nl_status nl_store_class_cancel(struct nl_store *st, const char *unit, const char *class_ref,
                                     struct nl_class_rec *out, int *outcome, struct nl_arena *a);

/*
 * The window of term `code` on end dates: "A-01-01" .. "(B-1)-12-31" for a
 * term of years A..B, written into from/to (11 bytes each). NL_NOT_FOUND
 * when no term has that code.
 */
enum nl_status nl_store_class_term_window(struct nl_store *st, const char *code, char from[11],
                                          char to[11]);

#endif
