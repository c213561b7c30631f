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
 *
 * Transport and credentials (nl_cli_prepare) are settled once, before the
 * command runs: options beat environment variables, TLS comes from --tls,
 * an https:// server or NHANLUC_TLS, and the bearer token from --token,
 * --token-file, NHANLUC_TOKEN or NHANLUC_TOKEN_FILE. A token file readable
 * by group or others is refused like ssh refuses such a private key. The
 * token itself is never printed: every message names its source instead.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <uv.h>

#include "args.h"

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

/* Takes an "https://" or "http://" prefix off `s`; *scheme: 1, 0, or -1 for none. */
static const char *strip_scheme(const char *s, int *scheme)
{
    *scheme = -1;
    if (strncmp(s, "https://", 8) == 0) {
        *scheme = 1;
        return s + 8;
    }
    if (strncmp(s, "http://", 7) == 0) {
        *scheme = 0;
        return s + 7;
    }
    return s;
}

void nl_cli_init(struct nl_cli *cli, const char *env_server, int stdout_tty)
{
    memset(cli, 0, sizeof(*cli));
    cli->scheme = -1;
    if (env_server != NULL && *env_server != '\0') {
        cli->server = strip_scheme(env_server, &cli->scheme);
        cli->server_set = 1;
    } else
        cli->server = NL_CLI_DEFAULT_SERVER;
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
    static const char *const valued[] = {"--server", "--timeout",    "--output",
                                         "--ca",     "--cert",       "--key",
                                         "--token",  "--token-file", "--config"};
    const int nvalued = (int)(sizeof(valued) / sizeof(valued[0]));
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
        if (strcmp(a, "--tls") == 0) {
            cli->tls_flag = 1;
            continue;
        }
        for (int k = 0; k < nvalued; k++)
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
            int scheme;
            const char *addr = strip_scheme(v, &scheme);
            if (nl_server_parse(addr, host, &port, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "bad --server '%s': %s", v, why);
                return -1;
            }
            cli->server = addr;
            cli->scheme = scheme;
            cli->server_set = 1;
        } else if (which == 8) {
            if (*v == '\0') {
                snprintf(err, errlen, "option '--config' needs a non-empty value");
                return -1;
            }
            cli->config_file = v;
        } else if (which >= 3) {
            /* The token is never echoed, not even when it is empty. */
            if (*v == '\0') {
                snprintf(err, errlen, "option '%s' needs a non-empty value", valued[which]);
                return -1;
            }
            const char **slot[] = {&cli->ca_file, &cli->cert_file, &cli->key_file, &cli->token,
                                   &cli->token_file};
            *slot[which - 3] = v;
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
            cli->output_set = 1;
        }
    }
    return nrest;
}

/* The value of environment variable `name`, or NULL when unset or empty. */
static const char *env(const char *name)
{
    const char *v = getenv(name);

    return (v != NULL && *v != '\0') ? v : NULL;
}

/*
 * Reads the token from file `path`, checked as nl_cli_prepare() says, into a
 * new string. Returns it (the caller wipes and frees it), or NULL with the
 * reason, naming the file, in err.
 */
static char *read_token_file(const char *path, char *err, size_t errlen)
{
    char buf[NL_CLI_TOKEN_FILE_MAX + 1];
    struct stat st;
    size_t len = 0;
    char *tok = NULL;
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "cannot open token file '%s': %s", path, strerror(errno));
        return NULL;
    }
    /* fstat on the open file: what is checked is what is read. */
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat token file '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "token file '%s' is not a regular file", path);
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, errlen,
                 "token file '%s' has mode %04o: group and others may access it; it must be "
                 "0600 or stricter (chmod 600 '%s')",
                 path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot read token file '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof(buf)) {
            snprintf(err, errlen, "token file '%s' is larger than %d bytes", path,
                     NL_CLI_TOKEN_FILE_MAX);
            goto out;
        }
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (len == 0) {
        snprintf(err, errlen, "token file '%s' is empty", path);
        goto out;
    }
    if (memchr(buf, '\n', len) != NULL || memchr(buf, '\0', len) != NULL) {
        snprintf(err, errlen, "token file '%s' must hold the token alone on one line", path);
        goto out;
    }
    tok = malloc(len + 1);
    if (tok == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    memcpy(tok, buf, len);
    tok[len] = '\0';
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);
    return tok;
}

/* Prints "nhanluc: <err>" without a usage hint; returns NL_EXIT_USAGE. */
static int setup_error(const char *err)
{
    fprintf(stderr, "nhanluc: %s\n", err);
    return NL_EXIT_USAGE;
}

int nl_cli_load_config(struct nl_cli *cli)
{
    char path[NL_CLI_CONFIG_PATH_MAX], err[NL_CLI_CONFIG_PATH_MAX + 512];
    const char *named = cli->config_file != NULL ? cli->config_file : env("NHANLUC_CONFIG");
    struct nl_cli_config *c = &cli->config;

    if (named != NULL) {
        if (nl_cli_config_load(c, named, 1, err, sizeof(err)) != 0)
            return setup_error(err);
    } else if (nl_cli_config_default_path(path, sizeof(path)) == 0) {
        if (nl_cli_config_load(c, path, 0, err, sizeof(err)) != 0)
            return setup_error(err);
    }
    if (c->server[0] != '\0' && !cli->server_set)
        cli->server = strip_scheme(c->server, &cli->scheme);
    if (c->timeout_set && !cli->timeout_set) {
        cli->timeout_ms = c->timeout_ms;
        cli->timeout_set = 1;
    }
    if (c->output_set && !cli->output_set)
        cli->output = c->output;
    return 0;
}

/* The config file's value of a file key, or NULL when it set none. */
static const char *config_file_value(const char *v)
{
    return v[0] != '\0' ? v : NULL;
}

int nl_cli_prepare(struct nl_cli *cli)
{
    struct nl_rpc_opts o;
    char err[NL_RPC_MSG_MAX];
    char *file_token = NULL;
    const char *tls_env = env("NHANLUC_TLS");
    int tls;

    if (cli->rpc != NULL)
        return 0;
    memset(&o, 0, sizeof(o));
    if (cli->scheme == 0 && cli->tls_flag)
        return nl_cli_usage_error(NULL, "--tls conflicts with the http:// server '%s'",
                                  cli->server);
    if (cli->scheme >= 0) {
        tls = cli->scheme;
    } else if (cli->tls_flag) {
        tls = 1;
    } else {
        tls = tls_env == NULL ? 0 : nl_bool_parse(tls_env);
        if (tls < 0)
            return nl_cli_usage_error(NULL, "bad NHANLUC_TLS '%s': expected 1 or 0", tls_env);
        if (tls_env == NULL && cli->config.tls_set)
            tls = cli->config.tls;
    }
    if (!tls && (cli->ca_file != NULL || cli->cert_file != NULL || cli->key_file != NULL))
        return nl_cli_usage_error(NULL, "--ca, --cert and --key are for TLS: add --tls or give "
                                        "the server as https://HOST:PORT");
    if (tls) {
        o.tls = 1;
        o.ca_file = cli->ca_file != NULL ? cli->ca_file : env("NHANLUC_CA");
        o.cert_file = cli->cert_file != NULL ? cli->cert_file : env("NHANLUC_CERT");
        o.key_file = cli->key_file != NULL ? cli->key_file : env("NHANLUC_KEY");
        if (o.ca_file == NULL)
            o.ca_file = config_file_value(cli->config.ca);
        if (o.cert_file == NULL && o.key_file == NULL) {
            o.cert_file = config_file_value(cli->config.cert);
            o.key_file = config_file_value(cli->config.key);
        }
        if ((o.cert_file == NULL) != (o.key_file == NULL))
            return nl_cli_usage_error(NULL, "a client certificate needs its key: give both "
                                            "--cert and --key (or NHANLUC_CERT and NHANLUC_KEY)");
    }
    if (cli->token != NULL && cli->token_file != NULL)
        return nl_cli_usage_error(NULL, "give --token or --token-file, not both");
    if (cli->token != NULL) {
        o.token = cli->token;
    } else if (cli->token_file != NULL) {
        file_token = read_token_file(cli->token_file, err, sizeof(err));
        if (file_token == NULL)
            return setup_error(err);
        o.token = file_token;
    } else if (env("NHANLUC_TOKEN") != NULL) {
        o.token = env("NHANLUC_TOKEN");
    } else if (env("NHANLUC_TOKEN_FILE") != NULL) {
        file_token = read_token_file(env("NHANLUC_TOKEN_FILE"), err, sizeof(err));
        if (file_token == NULL)
            return setup_error(err);
        o.token = file_token;
    } else if (cli->config.token_file[0] != '\0') {
        file_token = read_token_file(cli->config.token_file, err, sizeof(err));
        if (file_token == NULL)
            return setup_error(err);
        o.token = file_token;
    }
    cli->rpc = nl_rpc_client_new_opts(cli->server, &o, err, sizeof(err));
    if (file_token != NULL) {
        OPENSSL_cleanse(file_token, strlen(file_token));
        free(file_token);
    }
    return cli->rpc != NULL ? 0 : setup_error(err);
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
    if (cli->rpc == NULL && nl_cli_prepare(cli) != 0) {
        /* nl_cli_prepare printed why; main() normally runs it before any command. */
        snprintf(msg, msglen, "cannot set up a client for '%s'", cli->server);
        return NL_FAILED_PRECONDITION;
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

int nl_cli_pages(struct nl_cli *cli, const char *path, ProtobufCMessage *req, char **page_token,
                 const ProtobufCMessageDescriptor *resp_desc, unsigned long max_pages,
                 nl_cli_page_fn on_page, void *ud)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(resp_desc, "next_page_token");
    ProtobufCMessage *prev = NULL;
    int rc = 0;

    if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return nl_cli_fail(NL_INTERNAL, "not a paged reply");
    for (unsigned long page = 0;; page++) {
        ProtobufCMessage *m;
        char *next;

        if (page == max_pages) {
            rc = nl_cli_fail(NL_INTERNAL, "server kept returning pages");
            break;
        }
        rc = nl_cli_call_or_fail(cli, path, req, resp_desc, &m);
        if (rc != 0)
            break;
        rc = on_page(m, page, ud);
        memcpy(&next, (const char *)m + f->offset, sizeof(next));
        if (rc == 0 && next[0] != '\0' && strcmp(next, *page_token) == 0)
            rc = nl_cli_fail(NL_INTERNAL, "server returned the same page token twice");
        /* The request borrows its token from the previous reply: free that one now. */
        if (prev != NULL)
            protobuf_c_message_free_unpacked(prev, NULL);
        prev = m;
        if (rc != 0 || next[0] == '\0')
            break;
        *page_token = next;
    }
    if (prev != NULL)
        protobuf_c_message_free_unpacked(prev, NULL);
    return rc;
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
