/*
 * config.h - the CLI's configuration file: defaults for the global options,
 * so that a district clerk's machine or a script needs no flags at all.
 *
 * Format (the server's, nhanlucd.conf): one "key = value" per line, blank
 * lines and lines starting with '#' ignored, spaces around key and value
 * trimmed. Keys: server, tls (yes/no), ca, cert, key, token-file, timeout,
 * output. A token itself is never read from here, only the name of a token
 * file (which nl_cli_prepare checks for mode 0600).
 *
 * Which file: --config FILE, else $NHANLUC_CONFIG, else
 * $XDG_CONFIG_HOME/nhanluc/config (default ~/.config/nhanluc/config). A file
 * named by --config or $NHANLUC_CONFIG must exist; the default one may not.
 * Precedence, highest first: command-line options, environment variables,
 * this file, built-in defaults (cli.h says which variable goes with which
 * option).
 */
#ifndef NL_CLI_CONFIG_H
#define NL_CLI_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"

#define NL_CLI_CONFIG_PATH_MAX 1024

/* What a config file set; a field not set is "" (strings) or 0 in its *_set flag. */
struct nl_cli_config {
    char path[NL_CLI_CONFIG_PATH_MAX]; /* the file read; "" when none was */
    char server[300];                  /* as written, "https://" prefix included */
    int tls_set, tls;                  /* tls = 0 or 1 when tls_set */
    char ca[NL_CLI_CONFIG_PATH_MAX], cert[NL_CLI_CONFIG_PATH_MAX], key[NL_CLI_CONFIG_PATH_MAX];
    char token_file[NL_CLI_CONFIG_PATH_MAX];
    int timeout_set;
    uint64_t timeout_ms;
    int output_set;
    enum nl_output output;
};

/*
 * The path of the default file into out: $XDG_CONFIG_HOME/nhanluc/config,
 * or $HOME/.config/nhanluc/config. Returns 0, or -1 when neither variable is
 * set or the path does not fit (no default file then).
 */
int nl_cli_config_default_path(char *out, size_t outlen);

/*
 * Reads the config file `path` into *c (zeroed first; c->path set when a
 * file was read). `required` = 0 lets a missing file pass as an empty
 * configuration. Every value is checked here (an address, a duration, an
 * output format, yes/no, a non-empty file name). Returns 0, or -1 with
 * "FILE:LINE: reason" (or "FILE: reason") in err.
 */
int nl_cli_config_load(struct nl_cli_config *c, const char *path, int required, char *err,
                       size_t errlen);

#endif
