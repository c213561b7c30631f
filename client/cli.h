/*
 * cli.h - what the nhanluc subcommands share: global options, the command
 * and subcommand table rows, error reporting in git style, the call helper
 * and the printing of records.
 *
 * Exit codes: the gRPC status of the failing call (0 OK, 3, 4, 5, 14, ...),
 * NL_EXIT_USAGE for a usage error, NL_EXIT_IO when stdout cannot be written.
 */
#ifndef NL_CLI_H
#define NL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "output.h"
#include "rpc_client.h"
#include "config.h"
#include "status.h"

#define NL_EXIT_USAGE 64 /* sysexits EX_USAGE */
#define NL_EXIT_IO    74 /* sysexits EX_IOERR */

#define NL_CLI_DEFAULT_SERVER  "127.0.0.1:50051"
#define NL_CLI_DEFAULT_TIMEOUT (10u * 1000u)

struct nl_cli {
    const char *server;      /* borrowed (argv, environment or the default), without its scheme */
    int scheme;              /* the server's prefix: -1 none, 0 "http://", 1 "https://" */
    int tls_flag;            /* --tls given */
    const char *ca_file;     /* --ca FILE (borrowed) or NULL */
    const char *cert_file;   /* --cert FILE (borrowed) or NULL */
    const char *key_file;    /* --key FILE (borrowed) or NULL */
    const char *token;       /* --token TOKEN (borrowed) or NULL; never printed */
    const char *token_file;  /* --token-file FILE (borrowed) or NULL */
    const char *config_file; /* --config FILE (borrowed) or NULL */
    int server_set;          /* --server given or $NHANLUC_SERVER set: the config's yields */
    int output_set;          /* --output given */
    struct nl_cli_config config; /* the config file's values (config.h); zero when none */
    uint64_t timeout_ms;         /* --timeout: covers the whole command */
    int timeout_set;             /* --timeout was given (even if it names the default) */
    enum nl_output output;
    int help;                  /* --help / -h seen */
    int version;               /* --version seen */
    uint64_t deadline;         /* monotonic ms; set by nl_cli_start() */
    struct nl_rpc_client *rpc; /* owned; created by the first call */
    FILE *out;                 /* borrowed: where records go (stdout) */
};

/* One subcommand: git's commands[], tmux's cmd_entry. */
struct nl_cli_cmd {
    const char *name;
    /* argv[0] is the command name; returns the exit code. */
    int (*fn)(struct nl_cli *cli, int argc, char **argv);
    const char *usage;   /* "usage: ..." lines, no final newline */
    const char *summary; /* one line for `nhanluc help` */
    /* Optional enum whose accepted names the help lists ("KIND: city, ..."). */
    const char *enum_label;
    const ProtobufCEnumDescriptor *enum_desc;
};

/*
 * Sets the defaults: server = `env_server` when non-empty (NHANLUC_SERVER;
 * an "https://" or "http://" prefix is taken off and noted in scheme) else
 * NL_CLI_DEFAULT_SERVER, timeout 10 s, output table when `stdout_tty` else
 * json, out = stdout, no TLS options, no token.
 */
void nl_cli_init(struct nl_cli *cli, const char *env_server, int stdout_tty);

/*
 * Takes the global options (--server, --timeout, --output, --ca, --cert,
 * --key, --token, --token-file, as "--opt VALUE" or "--opt=VALUE"; --tls,
 * --help/-h, --version) from anywhere in argv[1..argc-1]
 * up to a "--", and copies every other word, in order, into rest[] (borrowed
 * pointers; room for argc entries). Returns the number of words in rest, or
 * -1 with a one-line reason in err (unknown global value, bad duration, bad
 * address, missing value).
 */
int nl_cli_parse_globals(struct nl_cli *cli, int argc, char **argv, char **rest, char *err,
                         size_t errlen);

/*
 * Reads the config file (config.h: --config FILE, else $NHANLUC_CONFIG, else
 * the default path) into cli->config and applies its server, timeout and
 * output where neither an option nor an environment variable set them (its
 * tls, ca, cert, key and token-file are read by nl_cli_prepare). Returns 0,
 * or NL_EXIT_USAGE after printing the reason (file and line).
 */
int nl_cli_load_config(struct nl_cli *cli);

/* Token files larger than this are refused (a token is one short line). */
#define NL_CLI_TOKEN_FILE_MAX 4096

/*
 * Settles transport and credentials from the options and the environment,
 * and creates cli->rpc with them (files are read now):
 *  - TLS when the server is "https://..." or --tls is given or NHANLUC_TLS is
 *    1/true/yes/on (else the config's `tls`); "http://..." means h2c (and
 *    conflicts with --tls).
 *  - With TLS: --ca/--cert/--key, else NHANLUC_CA/NHANLUC_CERT/NHANLUC_KEY,
 *    else the config's ca/cert/key; no CA means the system's store; a
 *    certificate needs its key. Without TLS, --ca/--cert/--key are a usage
 *    error (the variables and the config's keys are ignored).
 *  - The token: --token, else --token-file FILE, else NHANLUC_TOKEN, else
 *    the file NHANLUC_TOKEN_FILE names, else the config's token-file; giving both --token and
 * --token-file is a usage error. A token file must be a regular file that group and others cannot
 * read or write (mode 0600 or stricter) holding the token on one line (a final newline is allowed),
 * at most NL_CLI_TOKEN_FILE_MAX bytes. Returns 0; or NL_EXIT_USAGE after printing the reason, which
 * names the file and its mode but never the token (with the 'nhanluc help' hint for a conflict of
 * options). A second call does nothing.
 */
int nl_cli_prepare(struct nl_cli *cli);

/* Starts the command's clock: the deadline is now + timeout. */
void nl_cli_start(struct nl_cli *cli);

/* Frees what the CLI state owns (the rpc client). */
void nl_cli_release(struct nl_cli *cli);

/*
 * Prints "nhanluc: <message>" and the hint "see 'nhanluc help <cmd>'" on
 * stderr (the hint names plain 'nhanluc help' when cmd is NULL). Returns
 * NL_EXIT_USAGE.
 */
int nl_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "nhanluc: <msg> (<STATUS_NAME>)" on stderr; returns `st` as exit code. */
int nl_cli_fail(enum nl_status st, const char *msg);

/*
 * Calls `path` within what is left of the command's deadline (see
 * nl_rpc_call for the contract of req, resp and msg). A local deadline expiry
 * reports the whole --timeout ("deadline exceeded after 10s").
 */
enum nl_status nl_cli_call(struct nl_cli *cli, const char *path, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                           char *msg, size_t msglen);

/*
 * nl_cli_call() for a command's one step: on NL_OK returns 0 and *resp holds
 * the reply (the caller frees it with protobuf_c_message_free_unpacked); on
 * failure reports it as nl_cli_fail() does, leaves *resp NULL and returns the
 * status as exit code.
 */
int nl_cli_call_or_fail(struct nl_cli *cli, const char *path, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp);

/*
 * Runs a paged list to its end: calls `path` with `req`, hands each reply to
 * on_page (page 0, 1, ...; the reply is borrowed for the call), then asks
 * again with *page_token (the request's page_token field) set to the reply's
 * next_page_token, until that is empty. A server that repeats a token or
 * returns more than max_pages pages is an INTERNAL failure. Every reply is
 * freed here, each once the next request no longer borrows its token.
 * Returns 0, or the exit code of the failure reported (by the call or by
 * on_page, which returns 0 or an exit code).
 */
typedef int (*nl_cli_page_fn)(const ProtobufCMessage *resp, unsigned long page, void *ud);
int nl_cli_pages(struct nl_cli *cli, const char *path, ProtobufCMessage *req, char **page_token,
                 const ProtobufCMessageDescriptor *resp_desc, unsigned long max_pages,
                 nl_cli_page_fn on_page, void *ud);

/*
 * Writes records in the chosen format (single: one record, a JSON object).
 * Returns 0, or prints an error and returns NL_EXIT_IO.
 */
int nl_cli_print(struct nl_cli *cli, const struct nl_records *r, int single);

/*
 * Appends `row` (r->ncols values) to r. Returns 0, or reports "out of memory"
 * as nl_cli_fail(NL_INTERNAL, ..) does and returns that exit code.
 */
int nl_cli_add_row(struct nl_records *r, const char *const *row);

/*
 * Prints one record, `row` under the first `ncols` of `cols`, as
 * nl_cli_print(.., single = 1) does. Returns 0 or the exit code of the
 * failure it reported (out of memory, NL_EXIT_IO).
 */
int nl_cli_print_row(struct nl_cli *cli, const struct nl_col *cols, size_t ncols,
                     const char *const *row);

/*
 * The name of value `v` of enum `desc` ("URBAN_DISTRICT"), or, when this CLI
 * does not know the value (a newer server), its decimal number written into
 * num (numlen bytes). Returns a static name or `num`.
 */
const char *nl_cli_enum_text(const ProtobufCEnumDescriptor *desc, int v, char *num, size_t numlen);

/*
 * Parses the value `s` of option --`opt` of command `cmd` as a name of enum
 * `desc` (see nl_enum_parse). Returns 0 and stores the value in *out, or
 * prints "<cmd>: unknown --<opt> '<s>' (expected one of: ...)" as a usage
 * error and returns NL_EXIT_USAGE.
 */
int nl_cli_enum_opt(const char *cmd, const char *opt, const ProtobufCEnumDescriptor *desc,
                    const char *s, int *out);

/* One subcommand of a command ("add" of "unit"): a row of a {NULL}-ended table. */
struct nl_cli_sub {
    const char *name;
    /* argv holds the words after the subcommand name; returns the exit code. */
    int (*fn)(struct nl_cli *cli, int argc, char **argv);
};

/*
 * Runs the subcommand of command `cmd` that argv[1] names, from `subs`, with
 * the words after it. `names` lists the subcommands for the error when argv[1]
 * is missing ("add or list"). Returns the subcommand's exit code, or
 * NL_EXIT_USAGE after a usage error when argv[1] is missing or unknown.
 */
int nl_cli_dispatch(struct nl_cli *cli, const char *cmd, const struct nl_cli_sub *subs,
                    const char *names, int argc, char **argv);

/* The subcommands (cmd_*.c). */
int nl_cmd_health(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_unit(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_term(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_target_group(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_cadre(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_class(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_committee(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_seats(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_planning(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_review(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_import(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_export(struct nl_cli *cli, int argc, char **argv);
int nl_cmd_annual(struct nl_cli *cli, int argc, char **argv);

#endif
