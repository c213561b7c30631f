/*
 * scope.c - the units whose records count for a unit (scope.h): subtrees in
 * the tree of each day, lineage through MERGE and RENAME, the stock rule for
 * a unit that did not exist yet. The history is small (hundreds of
 * versions), so walks are linear scans over the version array; every walk is
 * bounded by NL_SCOPE_MAX_IVS.
 */
#include <stdlib.h>
#include <string.h>

#include "scope.h"

#define MAX_DEPTH 64 /* lineage chains longer than this are cut (a cycle guard) */

void nl_scope_free(struct nl_scope *s)
{
    free(s->iv);
    memset(s, 0, sizeof(*s));
}

static int push(struct nl_scope *s, int64_t unit, int32_t from, int32_t to, int group, int64_t via)
{
    if (s->n == s->cap) {
        if (s->cap >= NL_SCOPE_MAX_IVS) {
            s->overflow = 1;
            return 0;
        }
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct nl_scope_iv *iv = realloc(s->iv, cap * sizeof(*iv));
        if (iv == NULL)
            return -1;
        s->iv = iv;
        s->cap = cap;
    }
    s->iv[s->n++] = (struct nl_scope_iv){unit, from, to, group, via};
    return 0;
}

const char *nl_scope_code(const struct nl_scope_tree *t, int64_t id)
{
    size_t lo = 0, hi = t->nunits;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->ids[mid] == id)
            return t->code[mid];
        if (t->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int nl_scope_valid_on(const struct nl_scope_tree *t, int64_t id, int32_t day, int *kind)
{
    for (size_t i = 0; i < t->nv; i++) {
        const struct nl_scope_version *v = &t->v[i];
        if (v->unit_id == id && v->from <= day && day <= v->to) {
            if (kind != NULL)
                *kind = v->kind;
            return 1;
        }
    }
    return 0;
}

/*
 * The rows of "--by unit" while a subtree is walked: the children of the
 * asked unit, each its own row; NULL when the walk has one group.
 */
struct rows {
    int64_t u;
    const int64_t *kids;
    size_t nk;
};

/* The row of child `id` of the asked unit, or -1 when it is not in the list. */
static int row_of(const struct rows *r, int64_t id)
{
    for (size_t i = 0; i < r->nk; i++)
        if (r->kids[i] == id)
            return (int)i;
    return -1;
}

/*
 * Appends u's own intervals within [from, to], then breadth-first the
 * intervals of every version whose parent is an appended unit, intersected
 * with the parent's interval. A unit has one parent on a day, so the walk
 * appends each (unit, day) once; `own` stops after u itself. A child
 * interval takes its parent's group, except with `r`, where the children of
 * r->u take their own rows.
 */
static int subtree(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to, int own,
                   int group, int64_t via, const struct rows *r, struct nl_scope *s)
{
    size_t first = s->n;

    for (size_t i = 0; i < t->nv; i++) {
        const struct nl_scope_version *v = &t->v[i];
        if (v->unit_id != u)
            continue;
        int32_t f = v->from > from ? v->from : from, e = v->to < to ? v->to : to;
        if (f <= e && push(s, u, f, e, group, via) != 0)
            return -1;
    }
    if (own)
        return 0;
    for (size_t k = first; k < s->n && !s->overflow; k++) {
        struct nl_scope_iv p = s->iv[k];
        for (size_t i = 0; i < t->nv; i++) {
            const struct nl_scope_version *v = &t->v[i];
            if (v->parent_id != p.unit_id || v->unit_id == p.unit_id)
                continue;
            int32_t f = v->from > p.from ? v->from : p.from, e = v->to < p.to ? v->to : p.to;
            int g = p.group;
            if (r != NULL && p.unit_id == r->u && (g = row_of(r, v->unit_id)) < 0)
                g = (int)r->nk; /* a child the caller did not list: the unit's own row */
            if (f <= e && push(s, v->unit_id, f, e, g, via) != 0)
                return -1;
        }
    }
    return 0;
}

static int is_target(const struct nl_scope_event *ev, int64_t u)
{
    for (size_t i = 0; i < ev->ntargets; i++)
        if (ev->targets[i] == u)
            return 1;
    return 0;
}

/* The lineage part of a flow scope: sources of MERGE/RENAME events into u, before the event. */
static int lineage_flow(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to,
                        int group, int64_t via, int depth, struct nl_scope *s)
{
    if (depth >= MAX_DEPTH)
        return 0;
    for (size_t i = 0; i < t->nev && !s->overflow; i++) {
        const struct nl_scope_event *ev = &t->ev[i];
        if ((ev->kind != 1 && ev->kind != 3) || !is_target(ev, u))
            continue;
        int32_t end = ev->date - 1 < to ? ev->date - 1 : to;
        if (end < from)
            continue;
        for (size_t j = 0; j < ev->nsources; j++) {
            if (subtree(t, ev->sources[j], from, end, 0, group, via, NULL, s) != 0 ||
                lineage_flow(t, ev->sources[j], from, end, group, via, depth + 1, s) != 0)
                return -1;
        }
    }
    return 0;
}

int nl_scope_flow(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to, int group,
                  struct nl_scope *s)
{
    if (from > to)
        return 0;
    if (subtree(t, u, from, to, 0, group, 0, NULL, s) != 0)
        return -1;
    return lineage_flow(t, u, from, to, group, u, 0, s);
}

/* Predecessors of u valid on day (transitively through MERGE and RENAME), with their subtrees. */
static int lineage_stock(const struct nl_scope_tree *t, int64_t u, int32_t day, int own, int group,
                         int64_t via, int depth, struct nl_scope *s)
{
    if (depth >= MAX_DEPTH)
        return 0;
    for (size_t i = 0; i < t->nev && !s->overflow; i++) {
        const struct nl_scope_event *ev = &t->ev[i];
        if ((ev->kind != 1 && ev->kind != 3) || !is_target(ev, u))
            continue;
        for (size_t j = 0; j < ev->nsources; j++) {
            int64_t src = ev->sources[j];
            int rc = nl_scope_valid_on(t, src, day, NULL)
                         ? subtree(t, src, day, day, own, group, via, NULL, s)
                         : lineage_stock(t, src, day, own, group, via, depth + 1, s);
            if (rc != 0)
                return -1;
        }
    }
    return 0;
}

int nl_scope_stock(const struct nl_scope_tree *t, int64_t u, int32_t day, int own, int group,
                   struct nl_scope *s)
{
    if (nl_scope_valid_on(t, u, day, NULL))
        return subtree(t, u, day, day, own, group, 0, NULL, s);
    return lineage_stock(t, u, day, own, group, u, 0, s);
}

static int iv_cmp(const void *a, const void *b)
{
    const struct nl_scope_iv *x = a, *y = b;

    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->unit_id != y->unit_id)
        return x->unit_id < y->unit_id ? -1 : 1;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return 0;
}

void nl_scope_normalise(struct nl_scope *s)
{
    size_t w = 0;

    if (s->n == 0)
        return;
    qsort(s->iv, s->n, sizeof(*s->iv), iv_cmp);
    for (size_t r = 1; r < s->n; r++) {
        struct nl_scope_iv *last = &s->iv[w], *cur = &s->iv[r];
        if (cur->group == last->group && cur->unit_id == last->unit_id &&
            (int64_t)cur->from <= (int64_t)last->to + 1) {
            if (cur->to > last->to)
                last->to = cur->to;
        } else {
            s->iv[++w] = *cur;
        }
    }
    s->n = w + 1;
}

int nl_scope_children(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to,
                      int64_t **out, size_t *n)
{
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < t->nv; i++) {
        const struct nl_scope_version *v = &t->v[i];
        if (v->parent_id != u || v->unit_id == u || v->from > to || from > v->to)
            continue;
        if (*n > 0 && (*out)[*n - 1] == v->unit_id)
            continue; /* another version of the same child: versions are sorted by unit */
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *p = realloc(*out, cap * sizeof(*p));
            if (p == NULL) {
                free(*out);
                *out = NULL;
                *n = 0;
                return -1;
            }
            *out = p;
        }
        (*out)[(*n)++] = v->unit_id;
    }
    /* By code: insertion sort, the lists are short (a parent's children). */
    for (size_t i = 1; i < *n; i++) {
        int64_t id = (*out)[i];
        const char *c = nl_scope_code(t, id);
        size_t j = i;
        while (j > 0 && strcmp(nl_scope_code(t, (*out)[j - 1]), c) > 0) {
            (*out)[j] = (*out)[j - 1];
            j--;
        }
        (*out)[j] = id;
    }
    return 0;
}

/*
 * Appends to `s` the days of `l` not covered by cover[0..nc-1] (intervals of
 * any group, sorted by unit then from, not overlapping within a unit).
 * Returns 0 or -1.
 */
static int push_uncovered(struct nl_scope *s, const struct nl_scope_iv *l,
                          const struct nl_scope_iv *cover, size_t nc)
{
    int64_t cur = l->from;

    for (size_t i = 0; i < nc && cur <= l->to; i++) {
        const struct nl_scope_iv *c = &cover[i];
        if (c->unit_id != l->unit_id || c->to < cur || c->from > l->to)
            continue;
        if (c->from > cur && push(s, l->unit_id, (int32_t)cur, c->from - 1, l->group, l->via) != 0)
            return -1;
        if ((int64_t)c->to + 1 > cur)
            cur = (int64_t)c->to + 1;
    }
    if (cur <= l->to && push(s, l->unit_id, (int32_t)cur, l->to, l->group, l->via) != 0)
        return -1;
    return 0;
}

/* Orders intervals by (unit, from), whatever their group: the cover of push_uncovered. */
static int iv_cmp_unit(const void *a, const void *b)
{
    const struct nl_scope_iv *x = a, *y = b;

    if (x->unit_id != y->unit_id)
        return x->unit_id < y->unit_id ? -1 : 1;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return 0;
}

int nl_scope_rows(const struct nl_scope_tree *t, int64_t u, int32_t from, int32_t to, int stock,
                  const int64_t *kids, size_t nk, struct nl_scope *s)
{
    const struct rows r = {u, kids, nk};
    int self = (int)nk;
    struct nl_scope lin = {0}, tree = {0};
    int rc = -1;

    if (from > to)
        return 0;
    if (stock && !nl_scope_valid_on(t, u, from, NULL))
        return lineage_stock(t, u, from, 0, self, u, 0, s);
    if (subtree(t, u, from, to, 0, self, 0, &r, &tree) != 0 ||
        (!stock && lineage_flow(t, u, from, to, self, u, 0, &lin) != 0))
        goto done;
    /*
     * Lineage that reaches days the tree already holds (a source that was
     * under u) would count those records twice across rows: only the days
     * the tree does not hold go to u's own row.
     */
    nl_scope_normalise(&lin);
    if (tree.n > 0)
        qsort(tree.iv, tree.n, sizeof(*tree.iv), iv_cmp_unit);
    for (size_t i = 0; i < tree.n; i++)
        if (push(s, tree.iv[i].unit_id, tree.iv[i].from, tree.iv[i].to, tree.iv[i].group,
                 tree.iv[i].via) != 0)
            goto done;
    for (size_t i = 0; i < lin.n; i++)
        if (push_uncovered(s, &lin.iv[i], tree.iv, tree.n) != 0)
            goto done;
    rc = 0;
done:
    if (tree.overflow || lin.overflow)
        s->overflow = 1;
    nl_scope_free(&tree);
    nl_scope_free(&lin);
    return rc;
}

int64_t nl_scope_city(const struct nl_scope_tree *t, int32_t day)
{
    for (size_t i = 0; i < t->nv; i++) {
        const struct nl_scope_version *v = &t->v[i];
        if (v->kind == 1 && v->parent_id == 0 && v->from <= day && day <= v->to)
            return v->unit_id;
    }
    return 0;
}
