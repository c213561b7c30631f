/*
 * labels.h - the enum fields of DOMAIN.md section 3 as people write them.
 *
 * On the wire enum values carry their type's prefix (EDUCATION_MASTER, see
 * records.proto); the CLI's flags and the CSV files accept the bare DOMAIN.md
 * code ("MASTER"), that prefixed name, or a Vietnamese label ("Thạc sĩ",
 * "thạc sỹ"), matched case-insensitively and after NFC. A label belongs to
 * its field: "Cao cấp" is ADVANCED as political_theory and SENIOR as
 * state_mgmt. Output always uses the bare code.
 */
#ifndef NL_LABELS_H
#define NL_LABELS_H

enum nl_field {
    NL_F_UNIT_KIND,        /* Nhanluc__V1__UnitKind */
    NL_F_TERM_KIND,        /* Nhanluc__V1__TermKind */
    NL_F_UNIT_EVENT_KIND,  /* Nhanluc__V1__UnitEventKind */
    NL_F_SEX,              /* Nhanluc__V1__Sex */
    NL_F_LEVEL,            /* Nhanluc__V1__Level */
    NL_F_MGMT_CATEGORY,    /* Nhanluc__V1__MgmtCategory */
    NL_F_EDUCATION,        /* Nhanluc__V1__Education */
    NL_F_POLITICAL_THEORY, /* Nhanluc__V1__PoliticalTheory */
    NL_F_STATE_MGMT,       /* Nhanluc__V1__StateMgmt */
    NL_F_TRAINING_KIND,    /* Nhanluc__V1__TrainingKind */
    NL_F_AREA,             /* Nhanluc__V1__Area */
    NL_F_CLASS_MODE,       /* Nhanluc__V1__ClassMode */
    NL_F_CLASS_STATUS,     /* Nhanluc__V1__ClassStatus */
    NL_F_ENROLMENT_STATUS, /* Nhanluc__V1__EnrolmentStatus */
    NL_F_RESULT,           /* Nhanluc__V1__Result */
    NL_F_BODY,             /* Nhanluc__V1__Body */
    NL_F_BODY_ROLE,        /* Nhanluc__V1__BodyRole */
    NL_F_BODY_OR_TITLE,    /* Nhanluc__V1__BodyOrTitle */
    NL_F_ANNUAL_RATING,    /* Nhanluc__V1__AnnualRating */
    NL_F_REVIEW_ACTION,    /* Nhanluc__V1__ReviewAction */
    NL_F_REPORT_STATUS,    /* Nhanluc__V1__ReportStatus */
    NL_F_BOOL,             /* 0 or 1: true/false, 1/0, yes/no, có/không, x/empty */
    NL_F_COUNT
};

/*
 * Parses `text` (NUL-terminated, surrounding spaces ignored) for field `f`.
 * Returns 0 and sets *value to the proto enum value (0/1 for NL_F_BOOL), or -1
 * when the text names no value of that field. An empty text is -1 except for
 * NL_F_BOOL, where it means 0.
 */
int nl_label_parse(enum nl_field f, const char *text, int *value);

/* The bare DOMAIN.md code of a value ("MASTER"); static; NULL if unknown. */
const char *nl_label_code(enum nl_field f, int value);

/* The accepted codes, comma-separated, for error messages; static. */
const char *nl_label_choices(enum nl_field f);

/* The field's name as DOMAIN.md and the CSV headers write it ("education"); static. */
const char *nl_label_field_name(enum nl_field f);

#endif
