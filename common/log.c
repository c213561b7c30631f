/*
 * log.c - timestamped log lines on stderr.
 *
 * Each line is "YYYY-MM-DDTHH:MM:SS.mmmZ LEVEL text\n" in UTC and goes out
 * with a single write(2); a line is at most about 1.1 KiB, well under
 * PIPE_BUF, so lines from different threads never interleave even on a pipe.
 * The text is cut at 1 KiB (on a UTF-8 character boundary when it is valid
 * UTF-8) and control bytes in it are replaced by '?', so one call is always
 * exactly one line and caller text cannot forge other lines. The level is an
 * atomic, the only shared state. errno is preserved across every call.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_TEXT_MAX 1024

static atomic_int log_level = NL_LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
static const char *const level_parse_names[] = {"error", "warn", "info", "debug"};

void nl_log_set_level(enum nl_log_level level)
{
    atomic_store(&log_level, (int)level);
}

int nl_log_enabled(enum nl_log_level level)
{
    return (int)level <= atomic_load(&log_level);
}

int nl_log_level_parse(const char *name, enum nl_log_level *out)
{
    for (size_t i = 0; i < sizeof(level_parse_names) / sizeof(level_parse_names[0]); i++) {
        if (strcmp(name, level_parse_names[i]) == 0) {
            *out = (enum nl_log_level)i;
            return 0;
        }
    }
    return -1;
}

/*
 * Formats and writes one line. errnum >= 0 appends ": strerror(errnum)",
 * which is kept even when the caller's text has to be cut to make room.
 */
__attribute__((format(printf, 3, 0))) static void log_emit(enum nl_log_level level, int errnum,
                                                           const char *fmt, va_list ap)
{
    char line[64 + LOG_TEXT_MAX + 2];
    char text[LOG_TEXT_MAX + 2];
    char suffix[128];
    char ebuf[96];
    size_t suffix_len = 0;
    size_t text_len;
    size_t limit;
    size_t n;
    struct timespec ts;
    struct tm tm;
    int r;

    if (errnum >= 0) {
        /* The XSI strerror_r: thread-safe, unlike strerror for unknown codes. */
        if (strerror_r(errnum, ebuf, sizeof(ebuf)) != 0)
            (void)snprintf(ebuf, sizeof(ebuf), "errno %d", errnum);
        r = snprintf(suffix, sizeof(suffix), ": %s", ebuf);
        if (r > 0)
            suffix_len = (size_t)r < sizeof(suffix) ? (size_t)r : sizeof(suffix) - 1;
    }

    r = vsnprintf(text, sizeof(text), fmt, ap);
    text_len = r < 0 ? 0 : (size_t)r;
    if (text_len > sizeof(text) - 1)
        text_len = sizeof(text) - 1;
    limit = LOG_TEXT_MAX - suffix_len;
    if (text_len > limit) {
        /* text[limit] is the first byte dropped: do not split a character. */
        size_t cut = limit;

        for (int i = 0; i < 3 && cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80; i++)
            cut--;
        if (((unsigned char)text[cut] & 0xC0) == 0x80)
            cut = limit;
        text_len = cut;
    }
    for (size_t i = 0; i < text_len; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c < 0x20 || c == 0x7F)
            text[i] = '?';
    }
    if (suffix_len > 0) {
        memcpy(text + text_len, suffix, suffix_len);
        text_len += suffix_len;
    }

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        ts.tv_sec = 0;
        ts.tv_nsec = 0;
    }
    if (gmtime_r(&ts.tv_sec, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    r = snprintf(line + n, sizeof(line) - n, ".%03dZ %s ", (int)(ts.tv_nsec / 1000000),
                 level_names[level]);
    if (r > 0)
        n += (size_t)r;
    if (text_len > sizeof(line) - n - 1)
        text_len = sizeof(line) - n - 1;
    memcpy(line + n, text, text_len);
    n += text_len;
    line[n++] = '\n';

    while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR) {
    }
}

static enum nl_log_level clamp_level(enum nl_log_level level)
{
    if ((int)level < (int)NL_LOG_ERROR)
        return NL_LOG_ERROR;
    if ((int)level > (int)NL_LOG_DEBUG)
        return NL_LOG_DEBUG;
    return level;
}

void nl_log(enum nl_log_level level, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    if (!nl_log_enabled(level))
        return;
    va_start(ap, fmt);
    log_emit(clamp_level(level), -1, fmt, ap);
    va_end(ap);
    errno = saved;
}

void nl_log_warn(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    if (!nl_log_enabled(NL_LOG_WARN))
        return;
    va_start(ap, fmt);
    log_emit(NL_LOG_WARN, saved, fmt, ap);
    va_end(ap);
    errno = saved;
}

_Noreturn void nl_fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    log_emit(NL_LOG_ERROR, saved, fmt, ap);
    va_end(ap);
    exit(1);
}

_Noreturn void nl_fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_emit(NL_LOG_ERROR, -1, fmt, ap);
    va_end(ap);
    exit(1);
}
