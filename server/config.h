/*
 * config.h - nhanlucd's settings: one table of rows (name, type, bounds,
 * default, offset), read from flags and from a `key = value` file.
 *
 * The struct is filled once at start-up and never changes afterwards.
 */
#ifndef NL_CONFIG_H
#define NL_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "../common/log.h"

struct nl_config {
    char listen[256];              /* "HOST:PORT"; port 0 picks one */
    char db[1024];                 /* SQLite file path */
    enum nl_log_level log_level;   /* stderr verbosity */
    unsigned threads;              /* read-pool threads (UV_THREADPOOL_SIZE) */
    unsigned max_message;          /* bytes per request/response message */
    unsigned max_streams;          /* SETTINGS_MAX_CONCURRENT_STREAMS */
    unsigned header_list_max;      /* bytes per header block, counted as name+value+32 */
    unsigned header_fields_max;    /* fields per header block */
    unsigned conn_input_max;       /* request bytes buffered per connection */
    unsigned out_high_water;       /* output bytes queued per connection before we stop pulling */
    unsigned handshake_timeout_ms; /* connection preface + first SETTINGS */
    unsigned idle_timeout_ms;      /* no streams for this long -> GOAWAY */
    unsigned drain_timeout_ms;     /* SIGTERM: in-flight calls get this long */
    unsigned read_deadline_ms;     /* default deadline of read calls without grpc-timeout */
    unsigned write_deadline_ms;    /* default deadline of write calls without grpc-timeout */
    unsigned max_deadline_ms;      /* any client deadline is clamped to this */
    unsigned read_queue_max;       /* read jobs waiting or running, server-wide */
    unsigned read_batch_max;   /* read jobs per pool hand-off (0 = no limit; 1 = one hop a call) */
    unsigned write_queue_max;  /* write jobs queued for the writer thread */
    unsigned group_commit_max; /* jobs per write transaction */
    unsigned group_commit_wait_ms;  /* wait this long for more jobs after the first (0 = none) */
    unsigned misbehaviour_max;      /* protocol abuse events per 10 s before GOAWAY */
    unsigned server_input_max;      /* request bytes buffered, all connections (MiB) */
    unsigned write_stall_ms;        /* output pending without progress this long -> close */
    char tls_cert[1024];            /* PEM certificate chain; "" = no TLS (h2c) */
    char tls_key[1024];             /* PEM private key of tls_cert */
    char tls_client_ca[1024];       /* PEM CA(s): client certificates required; "" = not asked */
    unsigned insecure_listen;       /* 1: h2c allowed off loopback (a switch, no value) */
    char auth[16];                  /* "required" (default) or "off": tokens and roles */
    char backup_dir[1024];          /* "" = "backups" beside the db; "off" = no backups at all */
    unsigned backup_interval_s;     /* between scheduled backups; 0 = only at shutdown/on request */
    unsigned backup_keep_daily;     /* retention: newest backup of this many days */
    unsigned backup_keep_weekly;    /* ... and of this many ISO weeks */
    unsigned audit_denial_window_s; /* denials per source, identity, method aggregated this long */
    /*
     * Rate limits (RELIABILITY.md 5.4, ratelimit.h): rates in events per
     * second (0 = that limit is off), bursts in events. conn_*: new
     * connections per source address, checked right after accept;
     * rate_district / rate_central: calls per verified token of that role
     * (admin tokens are never limited). They apply to peers other than
     * loopback unless rate_limit_loopback is set.
     */
    unsigned conn_rate, conn_burst;
    unsigned rate_district, rate_district_burst;
    unsigned rate_central, rate_central_burst;
    unsigned rate_limit_loopback; /* 1: loopback peers are limited too (a switch) */
};

/* Fills every field with its default. */
void nl_config_defaults(struct nl_config *cfg);

/*
 * Parses argv (flags --name VALUE or --name=VALUE; --config FILE loads a file
 * at that point, later flags win). Returns 0 when the server should run,
 * 1 when it printed --help or --version and should exit 0, -1 on a usage
 * error (message already printed to `err`, exit 64).
 */
int nl_config_parse_args(struct nl_config *cfg, int argc, char **argv, FILE *out, FILE *err);

/*
 * Loads `key = value` lines ('#' comments, blank lines) from `path`. Returns
 * 0, or -1 after printing "FILE:LINE: reason" to `err`.
 */
int nl_config_load_file(struct nl_config *cfg, const char *path, FILE *err);

/*
 * Checks cross-field rules: the address parses; --tls-cert and --tls-key go
 * together and --tls-client-ca needs them; without TLS the listen address
 * must be loopback unless insecure_listen is set. Files are not opened here
 * (the TLS context loads them: tls.h). Returns 0 or -1 after printing the
 * reason to `err`.
 */
int nl_config_validate(const struct nl_config *cfg, FILE *err);

/*
 * 1 when argv word `arg` ("--name" without "=") is a switch, which takes no
 * value (--insecure-listen), else 0. main.c uses it to pair flags with values.
 */
int nl_config_is_switch(const char *arg);

/*
 * Splits "HOST:PORT" or "[V6]:PORT" into host (NUL-terminated, hostlen
 * bytes) and port. Returns 0 or -1 if malformed.
 */
int nl_config_split_hostport(const char *s, char *host, size_t hostlen, int *port);

#endif
