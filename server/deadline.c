/*
 * deadline.c - call deadlines: a binary min-heap of calls and one uv_timer
 * armed at the earliest.
 *
 * Every call has a deadline from its first HEADERS (the header phase gets the
 * handshake budget; then grpc-timeout, clamped, or the method's default).
 * When it passes, a running job gets its cancel flag (it does no more store
 * work) and the stream gets RST_STREAM(CANCEL): grpcio and grpc-js then report
 * DEADLINE_EXCEEDED (PROTOCOL.md 1.7). One timer for all calls keeps the cost
 * per call at two heap operations, not a uv_timer init/close.
 */
#include <stdint.h>
#include <stdlib.h>

#include "server_int.h"

static void heap_swap(struct nl_deadlines *h, size_t i, size_t j)
{
    struct nl_call *t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
    h->v[i]->heap_index = i;
    h->v[j]->heap_index = j;
}

static void heap_up(struct nl_deadlines *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->v[p]->deadline_ms <= h->v[i]->deadline_ms)
            break;
        heap_swap(h, i, p);
        i = p;
    }
}

static void heap_down(struct nl_deadlines *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l]->deadline_ms < h->v[m]->deadline_ms)
            m = l;
        if (r < h->n && h->v[r]->deadline_ms < h->v[m]->deadline_ms)
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void deadlines_fire(uv_timer_t *t);

/* Arms the timer for the root of the heap, or stops it when the heap is empty. */
static void rearm(struct nl_server *srv)
{
    struct nl_deadlines *h = &srv->deadlines;

    if (h->n == 0) {
        uv_timer_stop(&h->timer);
        return;
    }
    uint64_t now = nl_now_ms(), when = h->v[0]->deadline_ms;
    uv_timer_start(&h->timer, deadlines_fire, when > now ? when - now : 0, 0);
}

static struct nl_call *heap_pop_root(struct nl_deadlines *h)
{
    struct nl_call *call = h->v[0];

    h->n--;
    if (h->n > 0) {
        h->v[0] = h->v[h->n];
        h->v[0]->heap_index = 0;
        heap_down(h, 0);
    }
    call->heap_index = SIZE_MAX;
    return call;
}

static void deadlines_fire(uv_timer_t *t)
{
    struct nl_server *srv = t->data;
    struct nl_deadlines *h = &srv->deadlines;
    uint64_t now = nl_now_ms();

    while (h->n > 0 && h->v[0]->deadline_ms <= now) {
        struct nl_call *call = heap_pop_root(h);
        /* nl_dispatch_reset sets the job's cancel flag and sends RST_STREAM(CANCEL). */
        nl_dispatch_reset(call, NGHTTP2_CANCEL, NL_DEADLINE_EXCEEDED);
    }
    rearm(srv);
}

int nl_deadlines_init(struct nl_server *srv)
{
    struct nl_deadlines *h = &srv->deadlines;

    h->v = NULL;
    h->n = h->cap = 0;
    int rv = uv_timer_init(srv->loop, &h->timer);
    h->timer.data = srv;
    return rv;
}

void nl_deadlines_close(struct nl_server *srv)
{
    uv_timer_stop(&srv->deadlines.timer);
    uv_close((uv_handle_t *)&srv->deadlines.timer, NULL);
}

int nl_deadlines_add(struct nl_server *srv, struct nl_call *call, uint64_t deadline_ms)
{
    struct nl_deadlines *h = &srv->deadlines;

    if (call->heap_index != SIZE_MAX)
        nl_deadlines_remove(srv, call);
    if (h->n == h->cap) {
        size_t ncap = h->cap ? h->cap * 2 : 256;
        struct nl_call **v = realloc(h->v, ncap * sizeof(*v));
        if (v == NULL)
            return -1; /* the call runs without a timer; the client's own deadline still holds */
        h->v = v;
        h->cap = ncap;
    }
    call->deadline_ms = deadline_ms;
    call->heap_index = h->n;
    h->v[h->n++] = call;
    heap_up(h, call->heap_index);
    if (h->v[0] == call)
        rearm(srv);
    return 0;
}

void nl_deadlines_remove(struct nl_server *srv, struct nl_call *call)
{
    struct nl_deadlines *h = &srv->deadlines;
    size_t i = call->heap_index;

    if (i == SIZE_MAX)
        return;
    call->heap_index = SIZE_MAX;
    h->n--;
    if (i != h->n) {
        h->v[i] = h->v[h->n];
        h->v[i]->heap_index = i;
        heap_up(h, i);
        heap_down(h, h->v[i]->heap_index);
    }
    /* A removed root leaves the timer early at worst; the handler re-arms. */
}
