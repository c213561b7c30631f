/*
 * cli.c - global options, error reporting, the call helper and the record
 * printing the subcommands share, so that each cmd_*.c holds only what is
 * its own: its options, its request and the row of its reply.
 *
 * Global options may stand before or after the command name (git allows
 * neither, but scripts write `nhanluc unit list --output csv`), so they are
 * taken out of argv first and everything else keeps its order for the
 * command. One deadline covers the whole command, paging included: every
 * call gets what is left of it.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <uv.h>

#include "args.h"

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

void nl_cli_init(struct nl_cli *cli, const char *env_server, int stdout_tty)
{
    memset(cli, 0, sizeof(*cli));
    cli->server = (env_server != NULL && *env_server != '\0') ? env_server : NL_CLI_DEFAULT_SERVER;
    cli->timeout_ms = NL_CLI_DEFAULT_TIMEOUT;
    cli->output = stdout_tty ? NL_OUTPUT_TABLE : NL_OUTPUT_JSON;
    cli->out = stdout;
}

/* Matches "--name" or "--name=value"; sets *inline_value for the latter. */
static int match_opt(const char *arg, const char *name, const char **inline_value)
{
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '\0') {
        *inline_value = NULL;
        return 1;
    }
    if (arg[n] == '=') {
        *inline_value = arg + n + 1;
        return 1;
    }
    return 0;
}

int nl_cli_parse_globals(struct nl_cli *cli, int argc, char **argv, char **rest, char *err,
                         size_t errlen)
{
    static const char *const valued[] = {"--server", "--timeout", "--output"};
    int nrest = 0, done = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int which = -1;

        if (!done && strcmp(a, "--") == 0) {
            done = 1;
            rest[nrest++] = argv[i];
            continue;
        }
        if (done) {
            rest[nrest++] = argv[i];
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli->help = 1;
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            cli->version = 1;
            continue;
        }
        for (int k = 0; k < 3; k++)
            if (match_opt(a, valued[k], &v))
                which = k;
        if (which < 0) {
            rest[nrest++] = argv[i];
            continue;
        }
        if (v == NULL) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "option '%s' needs a value", valued[which]);
                return -1;
            }
            v = argv[++i];
        }
        if (which == 0) {
            char host[NL_HOST_MAX], why[160];
            unsigned port;
            if (nl_server_parse(v, host, &port, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "bad --server '%s': %s", v, why);
                return -1;
            }
            cli->server = v;
        } else if (which == 1) {
            if (nl_duration_parse(v, &cli->timeout_ms) != 0) {
                snprintf(err, errlen,
                         "bad --timeout '%s': expected a duration such as 500ms, 5s, 2m or 1h", v);
                return -1;
            }
            cli->timeout_set = 1;
        } else {
            if (nl_output_parse(v, &cli->output) != 0) {
                snprintf(err, errlen, "bad --output '%s': expected table, json or csv", v);
                return -1;
            }
        }
    }
    return nrest;
}

void nl_cli_start(struct nl_cli *cli)
{
    cli->deadline = now_ms() + cli->timeout_ms;
}

void nl_cli_release(struct nl_cli *cli)
{
    nl_rpc_client_free(cli->rpc);
    cli->rpc = NULL;
}

int nl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("nhanluc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd != NULL)
        fprintf(stderr, "\nsee 'nhanluc help %s'\n", cmd);
    else
        fputs("\nsee 'nhanluc help'\n", stderr);
    return NL_EXIT_USAGE;
}

int nl_cli_fail(enum nl_status st, const char *msg)
{
    fprintf(stderr, "nhanluc: %s (%s)\n", (msg && *msg) ? msg : "call failed", nl_status_name(st));
    return (int)st;
}

enum nl_status nl_cli_call(struct nl_cli *cli, const char *path, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                           char *msg, size_t msglen)
{
    char dl[32];
    uint64_t now = now_ms();
    enum nl_status st;

    *resp = NULL;
    if (cli->rpc == NULL) {
        cli->rpc = nl_rpc_client_new(cli->server);
        if (cli->rpc == NULL) {
            snprintf(msg, msglen, "cannot set up a client for '%s'", cli->server);
            return NL_INTERNAL;
        }
    }
    if (now >= cli->deadline) {
        st = NL_DEADLINE_EXCEEDED;
    } else {
        st = nl_rpc_call(cli->rpc, path, req, resp_desc, resp, cli->deadline - now, msg, msglen);
        /* 50 ms of slack: timers and the monotonic clock round differently. */
        if (st != NL_DEADLINE_EXCEEDED || now_ms() + 50 < cli->deadline)
            return st;
    }
    /* The local deadline ran out: name the whole --timeout, not its remainder. */
    snprintf(msg, msglen, "deadline exceeded after %s",
             nl_duration_format(cli->timeout_ms, dl, sizeof(dl)));
    return st;
}

int nl_cli_call_or_fail(struct nl_cli *cli, const char *path, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp)
{
    char msg[NL_RPC_MSG_MAX];
    enum nl_status st = nl_cli_call(cli, path, req, resp_desc, resp, msg, sizeof(msg));

    return st == NL_OK ? 0 : nl_cli_fail(st, msg);
}

int nl_cli_print(struct nl_cli *cli, const struct nl_records *r, int single)
{
    if (nl_output_write(cli->out, cli->output, r, single) != 0 || fflush(cli->out) != 0) {
        if (errno != EPIPE)
            fprintf(stderr, "nhanluc: cannot write output: %s\n", strerror(errno));
        return NL_EXIT_IO;
    }
    return 0;
}

int nl_cli_add_row(struct nl_records *r, const char *const *row)
{
    return nl_records_add(r, row) == 0 ? 0 : nl_cli_fail(NL_INTERNAL, "out of memory");
}

int nl_cli_print_row(struct nl_cli *cli, const struct nl_col *cols, size_t ncols,
                     const char *const *row)
{
    struct nl_records r;
    int rc;

    nl_records_init(&r, cols, ncols);
    rc = nl_cli_add_row(&r, row);
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 1);
    nl_records_release(&r);
    return rc;
}

const char *nl_cli_enum_text(const ProtobufCEnumDescriptor *desc, int v, char *num, size_t numlen)
{
    const char *name = nl_enum_name(desc, v);

    if (name != NULL)
        return name;
    snprintf(num, numlen, "%d", v);
    return num;
}

int nl_cli_enum_opt(const char *cmd, const char *opt, const ProtobufCEnumDescriptor *desc,
                    const char *s, int *out)
{
    char names[256];

    if (nl_enum_parse(desc, s, out) == 0)
        return 0;
    return nl_cli_usage_error(cmd, "%s: unknown --%s '%s' (expected one of: %s)", cmd, opt, s,
                              nl_enum_names(desc, names, sizeof(names)));
}

int nl_cli_dispatch(struct nl_cli *cli, const char *cmd, const struct nl_cli_sub *subs,
                    const char *names, int argc, char **argv)
{
    if (argc < 2)
        return nl_cli_usage_error(cmd, "%s: missing subcommand (%s)", cmd, names);
    for (const struct nl_cli_sub *sub = subs; sub->name != NULL; sub++)
        if (strcmp(argv[1], sub->name) == 0)
            return sub->fn(cli, argc - 2, argv + 2);
    return nl_cli_usage_error(cmd, "%s: unknown subcommand '%s'", cmd, argv[1]);
}
