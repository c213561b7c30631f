/*
 * cmd_admin.h - `nhanluc admin` (cmd_admin.c): credentials and the audit
 * trail through nhanluc.v1.Admin (token create, list, revoke; audit list,
 * verify; backup create, list).
 */
#ifndef NL_CMD_ADMIN_H
#define NL_CMD_ADMIN_H

#include "cli.h"

/* The usage text of main.c's table row. */
#define NL_CMD_ADMIN_USAGE                                                                         \
    "usage: nhanluc admin token create --role ROLE [--unit UNIT] --name NAME [--days DAYS]\n"      \
    "                                  [--targets]\n"                                              \
    "       nhanluc admin token list\n"                                                            \
    "       nhanluc admin token revoke ID\n"                                                       \
    "       nhanluc admin audit list [--after SEQ] [--limit N]\n"                                  \
    "       nhanluc admin audit verify [--anchor SEQ:HASH] [--backups]\n"                          \
    "       nhanluc admin backup create\n"                                                         \
    "       nhanluc admin backup list\n"                                                           \
    "\n"                                                                                           \
    "create makes a token and prints it alone on stdout, once: the server keeps\n"                 \
    "only a hash of it. ROLE: admin, central or district (a district token names\n"                \
    "its --unit). --days: lifetime (default 90, at most 3650). --targets grants a\n"               \
    "central token target writes. list prints every token without its secret;\n"                   \
    "revoke ends one (ID: its 12 hex digits).\n"                                                   \
    "audit list prints the audit trail after SEQ (default: from the start), at\n"                  \
    "most N entries (default 100); audit verify walks its hash chain and fails\n"                  \
    "(exit 15) naming the first broken entry. The chain alone cannot show entries\n"               \
    "removed from its end: --anchor SEQ:HASH (a head kept elsewhere, from the\n"                   \
    "start-up log or a backup's manifest) and --backups (the head in every\n"                      \
    "backup's manifest) check that too.\n"                                                         \
    "backup create has the server take a verified backup now (default --timeout\n"                 \
    "30m) and prints it; backup list prints the server's backups, newest first\n"                  \
    "(restore one with the server stopped: nhanlucd --db PATH --restore FILE)."

/* The command of main.c's table: argv[0] is "admin"; returns the exit code. */
int nl_cmd_admin(struct nl_cli *cli, int argc, char **argv);

#endif
