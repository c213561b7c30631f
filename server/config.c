/*
 * config.c - the settings table and its two readers: command-line flags and
 * `key = value` files.
 *
 * Each row names a setting once (flag `--key`, file `key`), with its type,
 * bounds, default and where it lives in struct nl_config, so adding a
 * setting is one row (Redis's static_configs[]).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "config.h"

/* OPT_SWITCH: a flag without a value (`--name`), `name = yes|no` in a file. */
enum opt_type { OPT_STR, OPT_UINT, OPT_LEVEL, OPT_SWITCH };

struct opt {
    const char *name;
    enum opt_type type;
    size_t offset;
    size_t size;       /* OPT_STR: buffer size */
    unsigned long min; /* OPT_UINT bounds */
    unsigned long max;
    unsigned long def;
    const char *sdef;
    const char *help;
};

/* One row per line reads better than what the formatter makes of these. */
/* clang-format off */
#define STR(f, d, h) \
    {#f, OPT_STR, offsetof(struct nl_config, f), sizeof(((struct nl_config *)0)->f), 0, 0, 0, d, h}
#define UINT(k, f, lo, hi, d, h) {k, OPT_UINT, offsetof(struct nl_config, f), 0, lo, hi, d, NULL, h}
#define PATH(k, f, h) \
    {k, OPT_STR, offsetof(struct nl_config, f), sizeof(((struct nl_config *)0)->f), 0, 0, 0, "", h}
#define SWITCH(k, f, h) {k, OPT_SWITCH, offsetof(struct nl_config, f), 0, 0, 1, 0, NULL, h}
/* clang-format on */

static const struct opt opts[] = {
    STR(listen, "127.0.0.1:50051", "address to listen on, HOST:PORT (port 0 picks one)"),
    STR(db, "./var/nhanluc.db", "SQLite database file (created if absent)"),
    {"log-level", OPT_LEVEL, offsetof(struct nl_config, log_level), 0, 0, 0, NL_LOG_INFO, NULL,
     "error, warn, info or debug"},
    UINT("threads", threads, 0, 64, 0, "read-pool threads (0 = number of CPUs, at least 2)"),
    UINT("max-message", max_message, 1024, 64u << 20, 4u << 20, "largest message in bytes"),
    UINT("max-streams", max_streams, 1, 1000, 100, "concurrent streams per connection"),
    UINT("header-list-max", header_list_max, 1024, 65536, 8192, "header block bytes per request"),
    UINT("header-fields-max", header_fields_max, 8, 1000, 64, "header fields per request"),
    UINT("conn-input-max", conn_input_max, 1u << 20, 1u << 30, 16u << 20,
         "request bytes buffered per connection"),
    UINT("out-high-water", out_high_water, 16384, 64u << 20, 1u << 20,
         "output bytes queued per connection"),
    UINT("handshake-timeout-ms", handshake_timeout_ms, 100, 600000, 10000,
         "time for the client preface"),
    UINT("idle-timeout-ms", idle_timeout_ms, 100, 86400000, 300000, "idle connection lifetime"),
    UINT("drain-timeout-ms", drain_timeout_ms, 0, 600000, 30000, "graceful drain limit"),
    UINT("read-deadline-ms", read_deadline_ms, 10, 3600000, 30000,
         "deadline of read calls without grpc-timeout"),
    UINT("write-deadline-ms", write_deadline_ms, 10, 3600000, 60000,
         "deadline of write calls without grpc-timeout"),
    UINT("max-deadline-ms", max_deadline_ms, 10, 86400000, 300000, "clamp for client deadlines"),
    UINT("read-queue-max", read_queue_max, 1, 1000000, 4096, "read jobs queued or running"),
    UINT("read-batch-max", read_batch_max, 0, 100000, 0,
         "read jobs per pool hand-off (0 = no limit, 1 = one pool hop per call)"),
    UINT("write-queue-max", write_queue_max, 1, 100000, 200, "write jobs queued"),
    UINT("group-commit-max", group_commit_max, 1, 10000, 50, "write jobs per transaction"),
    UINT("group-commit-wait-ms", group_commit_wait_ms, 0, 1000, 0,
         "extra wait for more write jobs per transaction"),
    UINT("misbehaviour-max", misbehaviour_max, 1, 100000, 100,
         "protocol abuse events per 10 s before GOAWAY"),
    UINT("server-input-max", server_input_max, 1u << 20, 4095u << 20, 256u << 20,
         "request bytes buffered over all connections"),
    UINT("write-stall-ms", write_stall_ms, 100, 3600000, 30000,
         "close a connection whose output makes no progress this long"),
    PATH("tls-cert", tls_cert, "serve TLS with this PEM certificate chain (with --tls-key)"),
    PATH("tls-key", tls_key, "PEM private key of --tls-cert"),
    PATH("tls-client-ca", tls_client_ca,
         "require client certificates signed by these PEM CA certificates"),
    SWITCH("insecure-listen", insecure_listen,
           "allow cleartext HTTP/2 (no TLS) on a non-loopback address"),
    STR(auth, "required", "required (every call but Health/Check needs a token), or off"),
    PATH("backup-dir", backup_dir,
         "backup directory; none: backups/ beside the database; off: no backups"),
    UINT("backup-interval-s", backup_interval_s, 0, 30u * 86400, 6u * 3600,
         "seconds between backups (0 = only at shutdown and on request)"),
    UINT("backup-keep-daily", backup_keep_daily, 1, 3650, 14, "keep the newest backup of N days"),
    UINT("backup-keep-weekly", backup_keep_weekly, 0, 520, 8, "and the newest of N ISO weeks"),
    UINT("audit-denial-window-s", audit_denial_window_s, 1, 3600, 60,
         "window in which repeated refused calls are counted, not each audited"),
    UINT("conn-rate", conn_rate, 0, 1000000, 20,
         "new connections per second per source address (0 = no limit)"),
    UINT("conn-burst", conn_burst, 1, 1000000, 100, "burst of new connections per address"),
    UINT("rate-district", rate_district, 0, 1000000, 20,
         "calls per second per district token (0 = no limit)"),
    UINT("rate-district-burst", rate_district_burst, 1, 1000000, 100,
         "burst of calls per district token"),
    UINT("rate-central", rate_central, 0, 1000000, 50,
         "calls per second per central token (0 = no limit)"),
    UINT("rate-central-burst", rate_central_burst, 1, 1000000, 200,
         "burst of calls per central token"),
    SWITCH("rate-limit-loopback", rate_limit_loopback,
           "apply the rate limits to loopback peers too"),
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void nl_config_defaults(struct nl_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NOPTS; i++) {
        char *field = (char *)cfg + opts[i].offset;
        switch (opts[i].type) {
        case OPT_STR:
            snprintf(field, opts[i].size, "%s", opts[i].sdef);
            break;
        case OPT_UINT:
            *(unsigned *)(void *)field = (unsigned)opts[i].def;
            break;
        case OPT_LEVEL:
            *(enum nl_log_level *)(void *)field = NL_LOG_INFO;
            break;
        case OPT_SWITCH:
            *(unsigned *)(void *)field = (unsigned)opts[i].def;
            break;
        }
    }
}

static const struct opt *opt_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++) {
        if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
            return &opts[i];
    }
    return NULL;
}

/* Sets one option from text. Returns 0 or -1 with a reason in why. */
static int opt_set(struct nl_config *cfg, const struct opt *o, const char *value, char *why,
                   size_t whylen)
{
    char *field = (char *)cfg + o->offset;

    switch (o->type) {
    case OPT_STR:
        if (strlen(value) >= o->size) {
            snprintf(why, whylen, "value of '%s' is too long", o->name);
            return -1;
        }
        snprintf(field, o->size, "%s", value);
        return 0;
    case OPT_LEVEL:
        if (nl_log_level_parse(value, (enum nl_log_level *)(void *)field) != 0) {
            snprintf(why, whylen, "'%s' must be error, warn, info or debug", o->name);
            return -1;
        }
        return 0;
    case OPT_SWITCH: {
        static const char *const yes[] = {"1", "yes", "true", "on"};
        static const char *const no[] = {"0", "no", "false", "off"};
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
                *(unsigned *)(void *)field = strcmp(value, yes[i]) == 0;
                return 0;
            }
        }
        snprintf(why, whylen, "'%s' must be yes or no", o->name);
        return -1;
    }
    case OPT_UINT: {
        char *end;
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || value[0] == '-' || v < o->min ||
            v > o->max) {
            snprintf(why, whylen, "'%s' must be a number from %lu to %lu", o->name, o->min, o->max);
            return -1;
        }
        *(unsigned *)(void *)field = (unsigned)v;
        return 0;
    }
    }
    return -1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: nhanlucd [--listen HOST:PORT] [--db PATH] [--config FILE] [options]\n"
               "\n"
               "Serves nhanluc's gRPC API over an embedded SQLite file: TLS with --tls-cert\n"
               "and --tls-key; without them cleartext h2c, on loopback addresses only\n"
               "unless --insecure-listen is given.\n"
               "Once listening it prints 'listening on HOST:PORT' on stdout.\n"
               "SIGTERM or SIGINT drains in-flight calls and exits 0.\n\noptions:\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char def[64];
        if (opts[i].type == OPT_SWITCH) {
            fprintf(f, "  --%-22s %s (off unless given)\n", opts[i].name, opts[i].help);
            continue;
        }
        if (opts[i].type == OPT_STR)
            snprintf(def, sizeof(def), "%s", opts[i].sdef[0] ? opts[i].sdef : "none");
        else if (opts[i].type == OPT_LEVEL)
            snprintf(def, sizeof(def), "info");
        else
            snprintf(def, sizeof(def), "%lu", opts[i].def);
        fprintf(f, "  --%-22s %s (default %s)\n", opts[i].name, opts[i].help, def);
    }
    fprintf(f, "  --%-22s %s\n", "config FILE", "read `key = value` lines; same keys as the flags");
    fprintf(f, "  --%-22s %s\n", "help", "print this help");
    fprintf(f, "  --%-22s %s\n", "version", "print the version");
}

int nl_config_parse_args(struct nl_config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    char why[256];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(out);
            return 1;
        }
        if (strcmp(a, "--version") == 0) {
            fprintf(out, "nhanlucd %s\n", NL_VERSION);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(err, "nhanlucd: unexpected argument '%s'\n(see 'nhanlucd --help')\n", a);
            return -1;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = NULL;
        const struct opt *o = opt_find(name, nlen);
        if (o != NULL && o->type == OPT_SWITCH && eq == NULL) {
            value = "yes";
        } else if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(err, "nhanlucd: option '--%.*s' needs a value\n", (int)nlen, name);
            return -1;
        }
        if (nlen == 6 && memcmp(name, "config", 6) == 0) {
            if (nl_config_load_file(cfg, value, err) != 0)
                return -1;
            continue;
        }
        if (o == NULL) {
            fprintf(err, "nhanlucd: unknown option '--%.*s'\n(see 'nhanlucd --help')\n", (int)nlen,
                    name);
            return -1;
        }
        if (opt_set(cfg, o, value, why, sizeof(why)) != 0) {
            fprintf(err, "nhanlucd: %s\n", why);
            return -1;
        }
    }
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int nl_config_load_file(struct nl_config *cfg, const char *path, FILE *err)
{
    char line[2048], why[256];
    unsigned lineno = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        fprintf(err, "nhanlucd: cannot open config '%s': %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            fprintf(err, "%s:%u: expected 'key = value'\n", path, lineno);
            goto fail;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        const struct opt *o = opt_find(key, strlen(key));
        if (o == NULL) {
            fprintf(err, "%s:%u: unknown key '%s'\n", path, lineno, key);
            goto fail;
        }
        if (opt_set(cfg, o, value, why, sizeof(why)) != 0) {
            fprintf(err, "%s:%u: %s\n", path, lineno, why);
            goto fail;
        }
    }
    fclose(f);
    return 0;
fail:
    fclose(f);
    return -1;
}

int nl_config_is_switch(const char *arg)
{
    if (strncmp(arg, "--", 2) != 0 || strchr(arg, '=') != NULL)
        return 0;
    const struct opt *o = opt_find(arg + 2, strlen(arg + 2));
    return o != NULL && o->type == OPT_SWITCH;
}

int nl_config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

int nl_config_validate(const struct nl_config *cfg, FILE *err)
{
    char host[256];
    int port;
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    int loopback = 1;

    if (strcmp(cfg->auth, "off") != 0 && strcmp(cfg->auth, "required") != 0) {
        fprintf(err, "nhanlucd: 'auth' must be off or required\n");
        return -1;
    }
    if (nl_config_split_hostport(cfg->listen, host, sizeof(host), &port) != 0) {
        fprintf(err, "nhanlucd: listen address '%s' is not HOST:PORT\n", cfg->listen);
        return -1;
    }
    if (uv_ip4_addr(host, port, &a4) == 0) {
        loopback = (ntohl(a4.sin_addr.s_addr) >> 24) == 127;
    } else if (uv_ip6_addr(host, port, &a6) == 0) {
        loopback = strcmp(host, "::1") == 0;
    } else if (strcmp(host, "localhost") != 0) {
        fprintf(err, "nhanlucd: listen host '%s' is not an IP address\n", host);
        return -1;
    }
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
        fprintf(err, "nhanlucd: --tls-cert and --tls-key go together (got only %s)\n",
                cfg->tls_cert[0] ? "--tls-cert" : "--tls-key");
        return -1;
    }
    if (cfg->tls_client_ca[0] != '\0' && cfg->tls_cert[0] == '\0') {
        fprintf(err, "nhanlucd: --tls-client-ca needs --tls-cert and --tls-key\n");
        return -1;
    }
    /* Cleartext h2c is for loopback only (PROTOCOL.md 5) unless the operator insists. */
    if (!loopback && cfg->tls_cert[0] == '\0' && !cfg->insecure_listen) {
        fprintf(err,
                "nhanlucd: refusing to listen on '%s': cleartext HTTP/2 is served on loopback only "
                "(127.0.0.0/8, ::1); give --tls-cert and --tls-key to serve TLS, or "
                "--insecure-listen to serve cleartext there anyway\n",
                cfg->listen);
        return -1;
    }
    if (cfg->db[0] == '\0') {
        fprintf(err, "nhanlucd: --db must not be empty\n");
        return -1;
    }
    return 0;
}
