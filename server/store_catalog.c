/*
 * store_catalog.c - the target-group catalogue (store_catalog.h).
 *
 * Part of the store module (store_int.h): statements are static strings
 * prepared once per connection. Labels are compared through nl_fold() (the
 * connection's case-folding NFC function, store.c), so a label typed in any
 * case or form finds its group (typed without accents: nl_fold_bare); codes
 * with NOCASE, which folds ASCII, all a code may hold. The catalogue is a few dozen rows, so the
 * scans below cost nothing.
 */
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_catalog.h"
#include "store_int.h"

#define CATALOGUE_LIST_MAX 10000

/*
 * ?1 the text, ?2 the text folded (nl_store_bind_folded). By code (any case)
 * first; else by label, folded as the name searches fold (NL_STORE_NAME_HAS):
 * a text typed without accents is compared with the labels without theirs.
 * Two rows: a label matching more than one group.
 */
static const char SQL_TG_FIND[] =
    "SELECT id, code = ?1 COLLATE NOCASE FROM target_group WHERE code = ?1 COLLATE NOCASE"
    " OR " NL_STORE_FOLD_AS("label_vi", "?2") " = ?2 ORDER BY 2 DESC, id LIMIT 2";
static const char SQL_TG_BY_CODE[] = "SELECT label_vi FROM target_group WHERE code = ?1";
static const char SQL_TG_BY_LABEL[] =
    "SELECT code FROM target_group WHERE nl_fold(label_vi) = nl_fold(?1) LIMIT 1";
static const char SQL_TG_INSERT[] = "INSERT INTO target_group(code, label_vi) VALUES (?1, ?2)";
static const char SQL_TG_LIST[] = "SELECT code, label_vi FROM target_group ORDER BY code";

enum nl_status nl_store_target_group_id(struct nl_store *st, const char *text, int64_t *id)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TG_FIND, &res);
    int row = 0;
    int64_t first = 0;

    *id = 0;
    if (s == NULL)
        return res;
    if (nl_store_bind_text(s, 1, text) != SQLITE_OK)
        res = nl_store_bind_fail(st, "bind target group");
    if (res == NL_OK)
        res = nl_store_bind_folded(st, s, 2, text);
    if (res == NL_INVALID_ARGUMENT)
        res = NL_OK; /* not UTF-8: names no group */
    else if (res == NL_OK && (res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        first = sqlite3_column_int64(s, 0);
        if (!sqlite3_column_int(s, 1) && (res = nl_store_step_once(st, s, &row)) == NL_OK && row)
            first = 0; /* a label that names two groups names none */
    }
    nl_store_stmt_done(s);
    if (res == NL_OK)
        *id = first;
    return res;
}

enum nl_status nl_store_target_group_add(struct nl_store *st, const struct nl_target_group_rec *g,
                                         int *created, char *msg, size_t msglen)
{
    sqlite3_stmt *s = NULL;
    int row = 0;
    enum nl_status res;

    *created = 0;
    nl_store_fmt_msg(msg, msglen, "%s", "");
    res = nl_store_find_by_code(st, SQL_TG_BY_CODE, g->code, "bind target group code", &s, &row);
    if (res == NL_OK && row) {
        int same = nl_store_col_eq(s, 0, g->label_vi);
        nl_store_stmt_done(s);
        if (same)
            return NL_OK; /* a replay */
        nl_store_fmt_msg(msg, msglen,
                         "target_group.code: already in the catalogue with another label");
        return NL_ALREADY_EXISTS;
    }
    nl_store_stmt_done(s);
    if (res != NL_OK)
        goto out;
    res = nl_store_find_by_code(st, SQL_TG_BY_LABEL, g->label_vi, "bind target group label", &s,
                                &row);
    if (res == NL_OK && row) {
        char code[64];
        const unsigned char *c = sqlite3_column_text(s, 0);
        (void)snprintf(code, sizeof(code), "%s", c != NULL ? (const char *)c : "");
        nl_store_stmt_done(s);
        nl_store_fmt_msg(msg, msglen, "target_group.label_vi: already the label of %s", code);
        return NL_ALREADY_EXISTS;
    }
    nl_store_stmt_done(s);
    if (res != NL_OK)
        goto out;
    s = nl_store_stmt(st, SQL_TG_INSERT, &res);
    if (s == NULL)
        goto out;
    if (nl_store_bind_text(s, 1, g->code) != SQLITE_OK ||
        nl_store_bind_text(s, 2, g->label_vi) != SQLITE_OK) {
        res = nl_store_bind_fail(st, "bind target group");
        nl_store_stmt_done(s);
        goto out;
    }
    res = nl_store_step_write(st, s);
    nl_store_stmt_done(s);
    if (res == NL_OK)
        *created = 1;
out:
    nl_store_default_msg(res, msg, msglen);
    return res;
}

static enum nl_status copy_tg(sqlite3_stmt *s, void *out, struct nl_arena *a)
{
    struct nl_target_group_rec *g = out;

    g->code = nl_store_col_text(s, 0, a);
    g->label_vi = nl_store_col_text(s, 1, a);
    return g->code != NULL && g->label_vi != NULL ? NL_OK : NL_RESOURCE_EXHAUSTED;
}

enum nl_status nl_store_target_group_list(struct nl_store *st, struct nl_target_group_rec **rows,
                                          size_t *n, struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = nl_store_stmt(st, SQL_TG_LIST, &res);
    void *out = NULL;

    *rows = NULL;
    *n = 0;
    if (s == NULL)
        return res;
    res =
        nl_store_collect_rows(st, s, copy_tg, sizeof(**rows), CATALOGUE_LIST_MAX, &out, n, NULL, a);
    nl_store_stmt_done(s);
    *rows = out;
    return res;
}
