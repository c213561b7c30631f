/*
 * arena.h - a bump allocator for one request's short-lived data.
 *
 * Handlers and the store allocate response strings and repeated fields here;
 * everything goes at once with nl_arena_release(). Not thread-safe: one arena
 * belongs to one job on one thread at a time.
 */
#ifndef NL_ARENA_H
#define NL_ARENA_H

#include <stddef.h>

struct nl_arena_chunk;

struct nl_arena {
    struct nl_arena_chunk *head; /* owned chain of chunks, newest first */
    size_t used;                 /* bytes handed out, for budgets */
    size_t max;                  /* cap on `used`; 0 = unlimited */
};

/* Initialises an empty arena; allocates nothing. max = 0 means no cap. */
void nl_arena_init(struct nl_arena *a, size_t max);

/* Frees every chunk; the arena is empty and reusable. */
void nl_arena_release(struct nl_arena *a);

/*
 * Returns `n` bytes aligned for any type, zeroed, owned by the arena; NULL
 * when out of memory or over the cap. n = 0 returns a valid unique pointer.
 */
void *nl_arena_alloc(struct nl_arena *a, size_t n);

/* Copies `len` bytes of `s` plus a NUL into the arena. NULL on failure. */
char *nl_arena_strndup(struct nl_arena *a, const char *s, size_t len);

/* Copies a NUL-terminated string into the arena. NULL on failure. */
char *nl_arena_strdup(struct nl_arena *a, const char *s);

#endif
