/*
 * cmd_target.h - `nhanluc target` (cmd_target.c): set, list and delete the
 * indicator targets through nhanluc.v1.Indicators.
 */
#ifndef NL_CMD_TARGET_H
#define NL_CMD_TARGET_H

#include "cli.h"

/* The command of main.c's table: argv[0] is "target"; returns the exit code. */
int nl_cmd_target(struct nl_cli *cli, int argc, char **argv);

#endif
