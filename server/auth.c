/*
 * auth.c - authentication of a call: the Bearer header parse, the
 * verification of a token against the stored credential, and the table of
 * failures per peer address that locks an address out (auth.h).
 *
 * The lockout table is a small fixed array scanned linearly: it holds only
 * addresses that failed recently, at most NL_LOCKOUT_SLOTS of them, so its
 * memory is bounded whatever a flood of addresses does. Times are monotonic
 * milliseconds passed in by the caller, so tests drive the clock.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../common/arena.h"
#include "auth.h"
#include "store.h"
#include "store_tokens.h"

void nl_lockout_addr(const char *peer, char *out, size_t outlen)
{
    const char *colon = strrchr(peer, ':');
    size_t n = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

    if (outlen == 0)
        return;
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, peer, n);
    out[n] = '\0';
}

static struct nl_lockout_slot *slot_find(struct nl_lockout *l, const char *addr)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->slot[i].addr, addr) == 0)
            return &l->slot[i];
    }
    return NULL;
}

/* A slot for a new address: a free one, else the oldest unlocked, else the oldest. */
static struct nl_lockout_slot *slot_take(struct nl_lockout *l, uint64_t now)
{
    struct nl_lockout_slot *old = NULL, *old_unlocked = NULL;

    if (l->n < NL_LOCKOUT_SLOTS)
        return &l->slot[l->n++];
    for (size_t i = 0; i < l->n; i++) {
        struct nl_lockout_slot *s = &l->slot[i];
        if (old == NULL || s->last_ms < old->last_ms)
            old = s;
        if (s->locked_until <= now && (old_unlocked == NULL || s->last_ms < old_unlocked->last_ms))
            old_unlocked = s;
    }
    return old_unlocked != NULL ? old_unlocked : old;
}

uint64_t nl_lockout_remaining(struct nl_lockout *l, const char *addr, uint64_t now)
{
    const struct nl_lockout_slot *s = slot_find(l, addr);

    return s != NULL && s->locked_until > now ? s->locked_until - now : 0;
}

int nl_lockout_fail(struct nl_lockout *l, const char *addr, uint64_t now)
{
    struct nl_lockout_slot *s = slot_find(l, addr);

    if (s == NULL) {
        s = slot_take(l, now);
        memset(s, 0, sizeof(*s));
        (void)snprintf(s->addr, sizeof(s->addr), "%s", addr);
    }
    if (s->locked_until > now)
        return 0;
    if (s->locked_until != 0 || s->failures == 0 || now - s->window_start >= NL_LOCKOUT_WINDOW_MS) {
        /* A lockout that ended, or a window that closed: start counting again. */
        s->locked_until = 0;
        s->failures = 0;
        s->window_start = now;
    }
    s->last_ms = now;
    if (++s->failures < NL_LOCKOUT_FAILURES)
        return 0;
    s->locked_until = now + NL_LOCKOUT_MS;
    return 1;
}

enum nl_auth_header nl_auth_bearer_parse(const char *value, size_t len, struct nl_token *t)
{
    static const char scheme[] = "bearer";
    size_t i = sizeof(scheme) - 1, j;

    if (len <= i || strncasecmp(value, scheme, i) != 0 || value[i] != ' ') {
        nl_token_wipe(t);
        return NL_AUTH_HDR_BAD;
    }
    for (j = i; j < len && value[j] == ' '; j++)
        ;
    return nl_token_parse(value + j, len - j, t) == 0 ? NL_AUTH_HDR_OK : NL_AUTH_HDR_BAD;
}

enum nl_status nl_auth_identify(struct nl_store *st, const struct nl_token *t,
                                const char *cert_unit, struct nl_identity *who,
                                enum nl_token_verdict *verdict, char *msg, size_t msglen)
{
    struct nl_token_rec rec;
    struct nl_arena arena;
    enum nl_status res;

    *verdict = NL_TOKEN_UNKNOWN;
    if (msglen > 0)
        msg[0] = '\0';
    nl_arena_init(&arena, 64u * 1024u);
    /* Constant-time comparison, an unknown id included (store_tokens.h). */
    res = nl_store_token_verify_cached(st, t, &rec, verdict, &arena);
    if (res != NL_OK) {
        (void)snprintf(msg, msglen, "cannot check the credential: %s", nl_store_errmsg(res));
        goto out;
    }
    if (*verdict != NL_TOKEN_VALID) {
        (void)snprintf(msg, msglen, "invalid credential (unknown, expired or revoked token)");
        res = NL_UNAUTHENTICATED;
        goto out;
    }
    if (rec.role == NL_ROLE_DISTRICT && cert_unit != NULL && cert_unit[0] != '\0' &&
        strcmp(cert_unit, rec.unit) != 0) {
        (void)snprintf(msg, msglen, "certificate and token name different units");
        res = NL_UNAUTHENTICATED;
        goto out;
    }
    who->role = rec.role;
    who->unit_id = rec.role == NL_ROLE_DISTRICT ? rec.unit_id : 0;
    who->may_write_targets = rec.role == NL_ROLE_CENTRAL && rec.may_write_targets;
    (void)snprintf(who->token_id, sizeof(who->token_id), "%s", rec.id);
out:
    nl_arena_release(&arena);
    return res;
}
