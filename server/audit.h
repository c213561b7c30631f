/*
 * audit.h - what nhanlucd writes into the audit trail (store_audit.h) and
 * when (issue 5; RELIABILITY.md security section).
 *
 * Audited: every write job the writer took, in the batch's transaction. A
 * successful write's entry goes inside its own savepoint, before RELEASE:
 * when it cannot be appended the write is rolled back and answered
 * UNAVAILABLE (a write that cannot be audited does not happen). A failed
 * write's entry follows its rolled-back savepoint, with its status; a job
 * dropped while queued (CANCELLED, DEADLINE_EXCEEDED) gets one too. Also:
 * every read of a method flagged NL_M_PERSON; every denial
 * (UNAUTHENTICATED, PERMISSION_DENIED, the lockout's RESOURCE_EXHAUSTED);
 * a write or person-level read refused RESOURCE_EXHAUSTED for a full
 * queue. Reads and refusals finish on the loop thread: their entries are
 * queued to the writer (nl_writer_audit), which appends them in its next
 * transaction; refusals pass through audit_agg.h first, which writes the
 * first of each source, token, method and reason per window and one
 * summary for the rest. Local administrative actions: nl_store_audit_local.
 *
 * An entry names the request's record keys only: the values of fields whose
 * name is on a fixed allow-list (unit codes, class refs, cadre codes, years,
 * terms...), found anywhere in the request. No other field, so no full_name,
 * title, free text or search text, is ever copied.
 */
#ifndef NL_AUDIT_H
#define NL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "../common/status.h"
#include "method.h"
#include "store_audit.h"

#define NL_AUDIT_KEYS_LEN  384  /* keys text with its NUL; longer lists end in " ..." */
#define NL_AUDIT_QUEUE_MAX 8192 /* entries waiting for the writer; beyond: dropped and counted */

/*
 * Writes the record keys of `req` (borrowed, unpacked) into out[outlen] as
 * "name=value" words separated by spaces, in field order, descending into
 * sub-messages and repeated fields. Only allow-listed field names; each
 * value at most 64 bytes with every byte outside [A-Za-z0-9._/:-] shown as
 * '?'. When full, the text ends with " ..." ("" for no key; NUL-terminated
 * whenever outlen > 0).
 */
void nl_audit_keys(const ProtobufCMessage *req, char *out, size_t outlen);

/*
 * 1 when a finished read (or a refused call of any kind) must be audited
 * from the loop thread: the row is NL_M_PERSON, or `st` is a denial. Write
 * jobs that ran are audited by the writer itself.
 */
int nl_audit_wanted(const struct nl_method *m, enum nl_status st);

/* An entry queued for the writer, owning its strings. */
struct nl_audit_item {
    struct nl_audit_item *next; /* queue link */
    char at[32];
    char token_id[16];
    char role[16];
    int64_t unit_id;
    char cert_fp[65];
    char peer[64];
    char method[128];
    char keys[NL_AUDIT_KEYS_LEN];
    char outcome[32];
};

/*
 * Fills *r to append the entry of a call of `method` by `who` (borrowed,
 * may be NULL: nobody identified) with record keys `keys` (may be NULL) and
 * outcome `st`, timed now: strings point into *it (which the caller owns and
 * keeps alive while r is used). Thread-safe.
 */
void nl_audit_item_fill(struct nl_audit_item *it, const char *method, const struct nl_identity *who,
                        const char *keys, enum nl_status st);

/* *r borrowing the strings of *it, for nl_store_audit_append. */
void nl_audit_item_rec(const struct nl_audit_item *it, struct nl_audit_rec *r);

#endif
