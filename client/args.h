/*
 * args.h - pure parsing helpers of the nhanluc CLI.
 *
 * Durations (--timeout), server addresses (--server), protobuf enum names
 * (--kind), term codes ("2020-2025"), a small long-option parser for
 * subcommands and the retry backoff cap. No I/O and no global state, so every
 * function here is unit-tested (tests/unit/test_cli_args.c).
 */
#ifndef NL_ARGS_H
#define NL_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Largest --timeout accepted: 7 days. */
#define NL_DURATION_MAX_MS (7ull * 24 * 3600 * 1000)

/*
 * Parses a duration: one or more <digits><unit> groups, unit one of ms, s, m,
 * h ("500ms", "5s", "2m", "1h", "1m30s"). The total must be 1 ms ..
 * NL_DURATION_MAX_MS. Stores milliseconds in *out_ms and returns 0; returns -1
 * for anything else (empty, no unit, unknown unit, sign, space, zero,
 * overflow), leaving *out_ms unchanged.
 */
int nl_duration_parse(const char *s, uint64_t *out_ms);

/*
 * A yes/no word, any case: 1 for 1, true, yes, on; 0 for 0, false, no, off;
 * -1 for anything else (NULL included).
 */
int nl_bool_parse(const char *s);

/*
 * Formats milliseconds the short way a user would type them: "1h", "2m",
 * "5s" when exact, else "1500ms". Writes at most `len` bytes including the
 * NUL and returns `out`.
 */
char *nl_duration_format(uint64_t ms, char *out, size_t len);

/* Largest host part accepted by nl_server_parse (DNS names are <= 253). */
#define NL_HOST_MAX 256

/* Default port when --server names only a host. */
#define NL_DEFAULT_PORT 50051

/*
 * Splits "HOST:PORT", "[IPv6]:PORT", "HOST" or "[IPv6]" into host (without
 * brackets, NUL-terminated, at most NL_HOST_MAX bytes with the NUL) and port
 * (1..65535; NL_DEFAULT_PORT when absent). A bare IPv6 address without
 * brackets is refused because its last group would read as a port. Returns 0,
 * or -1 with a short reason in `err` (errlen bytes).
 */
int nl_server_parse(const char *s, char host[NL_HOST_MAX], unsigned *port, char *err,
                    size_t errlen);

/*
 * Looks up a protobuf enum value by name, ignoring case and treating '-' as
 * '_' ("urban_district", "Urban-District" -> URBAN_DISTRICT). Value 0 (the
 * *_UNSPECIFIED member) is never accepted. Returns 0 and stores the value, or
 * -1.
 */
int nl_enum_parse(const ProtobufCEnumDescriptor *desc, const char *s, int *out);

/*
 * Writes the accepted names of an enum in lower case, comma-separated
 * ("city, urban_district, ..."), skipping value 0. Truncates to fit; returns
 * `out`.
 */
char *nl_enum_names(const ProtobufCEnumDescriptor *desc, char *out, size_t len);

/*
 * Returns the name of enum value `v` ("URBAN_DISTRICT"), or NULL when the
 * descriptor has no such value (a newer server). The string is static.
 */
const char *nl_enum_name(const ProtobufCEnumDescriptor *desc, int v);

/*
 * Parses a year: 1-4 digits, 1..9999, nothing else. Returns 0 or -1.
 */
int nl_year_parse(const char *s, int *out);

/*
 * Splits a term code of the form "YYYY-YYYY" into its years. Returns 0, or -1
 * when the code has any other shape.
 */
int nl_term_code_years(const char *code, int *start, int *end);

/* One long option of a subcommand: --name VALUE, --name=VALUE or a flag. */
struct nl_opt {
    const char *name; /* without the leading "--" */
    int has_arg;      /* 1: takes a value; 0: a flag */
    char **value;     /* receives the value (borrowed from argv), or "1" for a flag */
};

/*
 * Parses argv[0..argc-1] (the words after the subcommand name): long options
 * from `opts` (terminated by a {NULL} row) anywhere, "--" ends options, every
 * other word is positional and is appended to pos[] (borrowed pointers) up to
 * `maxpos`. Returns the number of positional words, or -1 with a one-line
 * reason in `err` (unknown option, missing value, too many arguments). A
 * repeated option keeps its last value.
 */
int nl_opts_parse(int argc, char **argv, const struct nl_opt *opts, char **pos, int maxpos,
                  char *err, size_t errlen);

/*
 * The cap of the full-jitter backoff before retry `attempt` (1 = the wait
 * after the first failure): min(1 s * 2^(attempt-1), 5 min), in ms.
 */
uint64_t nl_backoff_cap_ms(unsigned attempt);

#endif
