/*
 * arena.c - bump allocator for one request's short-lived data.
 *
 * Memory comes from a chain of calloc'ed chunks, newest first; a request is
 * served from the head chunk when it fits, else from a new chunk. Requests
 * larger than a quarter of the default chunk get a chunk of their own that is
 * linked behind the head, so the head keeps serving small requests. Every
 * size is rounded up to the alignment of max_align_t, which both aligns each
 * pointer and makes n = 0 return a distinct pointer. Bytes are handed out
 * once and chunks are zeroed at birth, so allocations need no memset.
 * `used` counts the rounded sizes and is what the cap limits.
 */
#include "arena.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN      (_Alignof(max_align_t))
#define ARENA_CHUNK_SIZE 4096u

struct nl_arena_chunk {
    struct nl_arena_chunk *next;
    size_t size; /* bytes in data[] */
    size_t off;  /* bytes of data[] handed out */
    max_align_t data[];
};

void nl_arena_init(struct nl_arena *a, size_t max)
{
    a->head = NULL;
    a->used = 0;
    a->max = max;
}

void nl_arena_release(struct nl_arena *a)
{
    struct nl_arena_chunk *c = a->head;

    while (c != NULL) {
        struct nl_arena_chunk *next = c->next;

        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}

static struct nl_arena_chunk *chunk_new(size_t size)
{
    struct nl_arena_chunk *c;

    if (size > SIZE_MAX - sizeof(*c))
        return NULL;
    c = calloc(1, sizeof(*c) + size);
    if (c == NULL)
        return NULL;
    c->size = size;
    c->off = 0;
    return c;
}

void *nl_arena_alloc(struct nl_arena *a, size_t n)
{
    struct nl_arena_chunk *c = a->head;
    size_t rn;
    unsigned char *p;

    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    rn = n == 0 ? ARENA_ALIGN : (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (a->max != 0 && rn > a->max - a->used)
        return NULL;

    if (c == NULL || c->size - c->off < rn) {
        if (rn > ARENA_CHUNK_SIZE / 4) {
            /* A big request gets its own chunk; the head keeps its room. */
            c = chunk_new(rn);
            if (c == NULL)
                return NULL;
            if (a->head == NULL) {
                a->head = c;
                c->next = NULL;
            } else {
                c->next = a->head->next;
                a->head->next = c;
            }
        } else {
            c = chunk_new(ARENA_CHUNK_SIZE);
            if (c == NULL)
                return NULL;
            c->next = a->head;
            a->head = c;
        }
    }
    p = (unsigned char *)c->data + c->off;
    c->off += rn;
    a->used += rn;
    return p;
}

char *nl_arena_strndup(struct nl_arena *a, const char *s, size_t len)
{
    char *p;

    if (len == SIZE_MAX)
        return NULL;
    p = nl_arena_alloc(a, len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *nl_arena_strdup(struct nl_arena *a, const char *s)
{
    return nl_arena_strndup(a, s, strlen(s));
}
