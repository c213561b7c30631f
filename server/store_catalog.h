/*
 * store_catalog.h - the target-group catalogue (DOMAIN.md 3: `target_group`
 * is "seeded, extendable by the administrator"), table `target_group(code,
 * label_vi)` of schema migration 1. A class names its target group by code
 * or by Vietnamese label; nl_store_target_group_id() is the one place that
 * resolves either.
 *
 * Strings of records are borrowed (input) or arena-owned (output).
 */
#ifndef NL_STORE_CATALOG_H
#define NL_STORE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct nl_target_group_rec {
    const char *code;     /* A-Z, 0-9, _ (validated by the caller) */
    const char *label_vi; /* NFC (normalised by the caller) */
};

/*
 * The id of the target group named by `text`: its code, ASCII
 * case-insensitively ("key_cadre"), or its label compared case-folded and in
 * NFC ("Cán bộ chủ chốt", typed composed or not; typed without any accent,
 * compared with the labels without theirs: "can bo chu chot"). *id = 0 when
 * none matches, when the text is not UTF-8, or when it is a label naming two
 * groups. Returns NL_OK or a store failure.
 */
enum nl_status nl_store_target_group_id(struct nl_store *st, const char *text, int64_t *id);

/*
 * Adds a target group inside a write transaction. The same code with the
 * same label: a replay, nothing written, *created = 0. The code taken with
 * another label, or the label (case-folded) already another code's:
 * NL_ALREADY_EXISTS with msg naming the field and the other code. A new
 * one: inserted, *created = 1. msg gets the message of any failure.
 */
enum nl_status nl_store_target_group_add(struct nl_store *st, const struct nl_target_group_rec *g,
                                         int *created, char *msg, size_t msglen);

/* Every target group by code: *rows, an arena array of *n (at most 10,000, else
 * RESOURCE_EXHAUSTED). */
enum nl_status nl_store_target_group_list(struct nl_store *st, struct nl_target_group_rec **rows,
                                          size_t *n, struct nl_arena *a);

#endif
