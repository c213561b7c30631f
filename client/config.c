/*
 * config.c - reading the CLI's configuration file (config.h).
 *
 * A table names each key once with where its value goes and how it is
 * checked, as the server's settings table does; errors name the file and
 * line, and no value is echoed for the key-file kinds beyond its name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "config.h"

#define LINE_MAX_LEN 4096

enum key_kind { K_SERVER, K_TLS, K_FILE, K_TIMEOUT, K_OUTPUT };

struct key {
    const char *name;
    enum key_kind kind;
    size_t offset; /* K_FILE: the char array in struct nl_cli_config */
};

static const struct key keys[] = {
    {"server", K_SERVER, 0},
    {"tls", K_TLS, 0},
    {"ca", K_FILE, offsetof(struct nl_cli_config, ca)},
    {"cert", K_FILE, offsetof(struct nl_cli_config, cert)},
    {"key", K_FILE, offsetof(struct nl_cli_config, key)},
    {"token-file", K_FILE, offsetof(struct nl_cli_config, token_file)},
    {"timeout", K_TIMEOUT, 0},
    {"output", K_OUTPUT, 0},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int nl_cli_config_default_path(char *out, size_t outlen)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;

    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/nhanluc/config", xdg);
    else if (home != NULL && home[0] != '\0')
        n = snprintf(out, outlen, "%s/.config/nhanluc/config", home);
    else
        return -1;
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

/* Sets key k from value v. Returns 0, or -1 with the reason in why. */
static int set_key(struct nl_cli_config *c, const struct key *k, const char *v, char *why,
                   size_t whylen)
{
    char host[NL_HOST_MAX];
    unsigned port;
    int b;

    if (v[0] == '\0') {
        snprintf(why, whylen, "'%s' needs a value", k->name);
        return -1;
    }
    switch (k->kind) {
    case K_SERVER: {
        const char *addr = v;
        char reason[160];
        if (strncmp(addr, "https://", 8) == 0)
            addr += 8;
        else if (strncmp(addr, "http://", 7) == 0)
            addr += 7;
        if (strlen(v) >= sizeof(c->server) ||
            nl_server_parse(addr, host, &port, reason, sizeof(reason)) != 0) {
            snprintf(why, whylen, "bad server '%.200s': %s", v,
                     strlen(v) >= sizeof(c->server) ? "too long" : reason);
            return -1;
        }
        snprintf(c->server, sizeof(c->server), "%s", v);
        return 0;
    }
    case K_TLS:
        if ((b = nl_bool_parse(v)) < 0) {
            snprintf(why, whylen, "bad tls '%.40s': expected yes or no", v);
            return -1;
        }
        c->tls_set = 1;
        c->tls = b;
        return 0;
    case K_FILE: {
        char *dst = (char *)c + k->offset;
        if (strlen(v) >= NL_CLI_CONFIG_PATH_MAX) {
            snprintf(why, whylen, "'%s' is too long", k->name);
            return -1;
        }
        snprintf(dst, NL_CLI_CONFIG_PATH_MAX, "%s", v);
        return 0;
    }
    case K_TIMEOUT:
        if (nl_duration_parse(v, &c->timeout_ms) != 0) {
            snprintf(why, whylen,
                     "bad timeout '%.40s': expected a duration such as 500ms, 5s, 2m or 1h", v);
            return -1;
        }
        c->timeout_set = 1;
        return 0;
    case K_OUTPUT:
        if (nl_output_parse(v, &c->output) != 0) {
            snprintf(why, whylen, "bad output '%.40s': expected table, json or csv", v);
            return -1;
        }
        c->output_set = 1;
        return 0;
    }
    return -1;
}

int nl_cli_config_load(struct nl_cli_config *c, const char *path, int required, char *err,
                       size_t errlen)
{
    char line[LINE_MAX_LEN + 2], why[400];
    FILE *f;
    int lineno = 0, rv = 0;

    memset(c, 0, sizeof(*c));
    f = fopen(path, "r");
    if (f == NULL) {
        if (!required && errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read config file '%s': %s", path, strerror(errno));
        return -1;
    }
    snprintf(c->path, sizeof(c->path), "%s", path);
    while (rv == 0 && fgets(line, sizeof(line), f) != NULL) {
        char *s, *eq, *name, *value;
        const struct key *k = NULL;

        lineno++;
        if (strlen(line) > LINE_MAX_LEN && line[strlen(line) - 1] != '\n') {
            snprintf(err, errlen, "%s:%d: line longer than %d bytes", path, lineno, LINE_MAX_LEN);
            rv = -1;
            break;
        }
        s = trim(line);
        if (s[0] == '\0' || s[0] == '#')
            continue;
        eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            rv = -1;
            break;
        }
        *eq = '\0';
        name = trim(s);
        value = trim(eq + 1);
        for (size_t i = 0; i < NKEYS; i++)
            if (strcmp(name, keys[i].name) == 0)
                k = &keys[i];
        if (k == NULL) {
            snprintf(err, errlen,
                     "%s:%d: unknown key '%.64s' (keys: server, tls, ca, cert, key, token-file, "
                     "timeout, output)",
                     path, lineno, name);
            rv = -1;
        } else if (set_key(c, k, value, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
            rv = -1;
        }
    }
    if (rv == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read config file '%s': %s", path, strerror(errno));
        rv = -1;
    }
    fclose(f);
    return rv;
}
