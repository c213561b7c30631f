/*
 * log.h - log lines on stderr: "2026-11-27T16:50:00.123Z INFO conn=3 call=7 text".
 *
 * Callers put the connection and call ids in the text (by convention
 * "conn=N call=N" first). Never log personal field values, SQL text or file
 * paths supplied by clients. Thread-safe: each line is written with one
 * write(2).
 */
#ifndef NL_LOG_H
#define NL_LOG_H

enum nl_log_level { NL_LOG_ERROR = 0, NL_LOG_WARN = 1, NL_LOG_INFO = 2, NL_LOG_DEBUG = 3 };

/* Sets the most verbose level printed (default NL_LOG_INFO). */
void nl_log_set_level(enum nl_log_level level);

/* Returns 1 if lines at `level` are printed. */
int nl_log_enabled(enum nl_log_level level);

/*
 * Parses "error", "warn", "info" or "debug" into *out. Returns 0, or -1 for
 * an unknown name.
 */
int nl_log_level_parse(const char *name, enum nl_log_level *out);

/* Writes one line at `level`. The text is truncated at 1 KiB. */
void nl_log(enum nl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like nl_log at WARN, appending ": strerror(errno)" (OpenSMTPD's log_warn). */
void nl_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs at ERROR with ": strerror(errno)" appended, then exits 1. */
_Noreturn void nl_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Logs at ERROR, then exits 1. */
_Noreturn void nl_fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define nl_log_error(...) nl_log(NL_LOG_ERROR, __VA_ARGS__)
#define nl_log_warnx(...) nl_log(NL_LOG_WARN, __VA_ARGS__)
#define nl_log_info(...)  nl_log(NL_LOG_INFO, __VA_ARGS__)
#define nl_log_debug(...)                                                                          \
    do {                                                                                           \
        if (nl_log_enabled(NL_LOG_DEBUG))                                                          \
            nl_log(NL_LOG_DEBUG, __VA_ARGS__);                                                     \
    } while (0)

#endif
