/*
 * main.c - nhanluc, the command-line client of nhanlucd.
 *
 *   nhanluc [--server HOST:PORT] [--timeout DUR] [--output table|json|csv] COMMAND [ARGS]
 *
 * One table of subcommands (git's commands[], tmux's cmd_table[]); global
 * options are taken from anywhere on the line first, then the command runs
 * with the remaining words. The exit code is the gRPC status of the call that
 * failed (0 on success), 64 for a usage error, 74 when stdout fails.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grpc/health/v1/health.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"

#include "args.h"
#include "cli.h"

static const struct nl_cli_cmd commands[] = {
    {
        .name = "health",
        .fn = nl_cmd_health,
        .usage = "usage: nhanluc health [SERVICE]\n"
                 "\n"
                 "Asks grpc.health.v1.Health/Check whether the server (or SERVICE, e.g.\n"
                 "nhanluc.v1.Registry) is serving. Exits 0 only when it is SERVING.",
        .summary = "check that the server is serving",
    },
    {
        .name = "unit",
        .fn = nl_cmd_unit,
        .usage = "usage: nhanluc unit add CODE NAME --kind KIND [--parent CODE] [--from DATE]\n"
                 "                        [--to DATE]\n"
                 "       nhanluc unit list [--parent CODE] [--as-of DATE]\n"
                 "       nhanluc unit show CODE\n"
                 "       nhanluc unit history CODE\n"
                 "       nhanluc unit event merge|split|rename|dissolve --date DATE\n"
                 "                          --from CODE[,CODE...] [--to CODE[,CODE...]]\n"
                 "                          [--basis TEXT]\n"
                 "       nhanluc unit lineage CODE [--back]\n"
                 "\n"
                 "add creates a unit, or a new version of it valid from --from (default:\n"
                 "since always), or reports that the same version already existed; list\n"
                 "prints the tree valid on --as-of (default today), or the direct children\n"
                 "of --parent then; history prints every version and event of a unit;\n"
                 "event records a merge, split, rename or dissolution effective on --date\n"
                 "(targets are created first with add --from DATE); lineage lists the units\n"
                 "descending from CODE, or with --back those it descends from.\n"
                 "DATE: YYYY-MM-DD or DD/MM/YYYY.",
        .summary = "add, list and show units, their history and lineage",
        .enum_label = "KIND",
        .enum_desc = &nhanluc__v1__unit_kind__descriptor,
    },
    {
        .name = "term",
        .fn = nl_cmd_term,
        .usage = "usage: nhanluc term add CODE --kind KIND [--start YEAR --end YEAR]\n"
                 "       nhanluc term list [--kind KIND]\n"
                 "       nhanluc term instance TERM UNIT --start DATE --end DATE\n"
                 "\n"
                 "A CODE of the form YYYY-YYYY gives the years; --start and --end override it.\n"
                 "instance sets a unit's own congress dates for a term (DATE: YYYY-MM-DD or\n"
                 "DD/MM/YYYY).",
        .summary = "add and list party-congress and people's-council terms",
        .enum_label = "KIND",
        .enum_desc = &nhanluc__v1__term_kind__descriptor,
    },
    {
        .name = "cadre",
        .fn = nl_cmd_cadre,
        .usage = "usage: nhanluc cadre set CODE --sex F|M|Nữ|Nam --born YEAR [--name NAME]\n"
                 "             [--unit UNIT --as-of DATE --title TITLE --key-cadre yes|no\n"
                 "              --level L --mgmt M --education E --theory T --state-mgmt S]\n"
                 "       nhanluc cadre show CODE\n"
                 "       nhanluc cadre list [--unit UNIT] [--as-of DATE]\n"
                 "\n"
                 "set creates or updates a cadre; with --as-of it records the profile valid\n"
                 "from that date (a new date opens a new version). Enum values: the code\n"
                 "(MASTER) or the Vietnamese label (\"Thạc sĩ\"). DATE: YYYY-MM-DD or DD/MM/YYYY.\n"
                 "show prints every profile version; list the cadres of UNIT and the units\n"
                 "under it on DATE (default today).",
        .summary = "set, show and list cadres and their profile versions",
    },
    {
        .name = "class",
        .fn = nl_cmd_class,
        .usage = "usage: nhanluc class submit FILE.json\n"
                 "       nhanluc class show UNIT CLASS_REF\n"
                 "       nhanluc class list [--unit U] [--term T] [--year Y] [--kind K]\n"
                 "                          [--area A] [--target-group G] [--status S]\n"
                 "       nhanluc class cancel UNIT CLASS_REF\n"
                 "\n"
                 "submit sends one class with its trainees from a JSON document\n"
                 "{\"class\": {...}, \"enrolments\": [{...}, ...]} (the shape `class show\n"
                 "--output json` prints): created, updated or unchanged, and trainees not\n"
                 "listed stay. Enum values: the code (UPGRADE) or the Vietnamese label;\n"
                 "dates YYYY-MM-DD or DD/MM/YYYY. list: --unit takes the unit's subtree as\n"
                 "of each class's end date, --term T the classes ending in its window.\n"
                 "Exit 64 for malformed JSON, 3 for a bad value (both name FILE:LINE:COL).",
        .summary = "submit, show, list and cancel training classes with their trainees",
    },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct nl_cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_main_help(FILE *f)
{
    fputs("usage: nhanluc [--server HOST:PORT] [--timeout DUR] [--output table|json|csv]\n"
          "               COMMAND [ARGS]\n"
          "\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs(
        "  help     show this help, or a command's usage\n"
        "\n"
        "global options (before or after the command):\n"
        "  --server HOST:PORT  server address; default $NHANLUC_SERVER, else " NL_CLI_DEFAULT_SERVER
        "\n"
        "  --timeout DUR       deadline of the whole command: 500ms, 5s, 2m, 1h (default 10s)\n"
        "  --output FORMAT     table, json or csv (default: table on a terminal, else json)\n"
        "  --help, --version\n"
        "\n"
        "The exit code is the gRPC status of a failed call (0 on success), 64 for a\n"
        "usage error. See 'nhanluc help COMMAND' for a command's usage.\n",
        f);
}

static void print_command_help(FILE *f, const struct nl_cli_cmd *cmd)
{
    char names[256];

    fprintf(f, "%s\n", cmd->usage);
    if (cmd->enum_desc != NULL)
        fprintf(f, "\n%s: %s\n", cmd->enum_label,
                nl_enum_names(cmd->enum_desc, names, sizeof(names)));
    fputs("\nglobal options: --server HOST:PORT, --timeout DUR, --output table|json|csv\n", f);
}

/* `nhanluc help [COMMAND]` and `--help`. */
static int help(int argc, char **argv)
{
    const struct nl_cli_cmd *cmd;

    if (argc < 1 || strcmp(argv[0], "help") == 0) {
        print_main_help(stdout);
        return 0;
    }
    cmd = find_command(argv[0]);
    if (cmd == NULL)
        return nl_cli_usage_error(NULL, "unknown command '%s'", argv[0]);
    print_command_help(stdout, cmd);
    return 0;
}

int main(int argc, char **argv)
{
    struct nl_cli cli;
    char err[512];
    char **rest;
    int nrest, rc;

    /* A server that closes mid-write must give EPIPE, not kill the CLI. */
    signal(SIGPIPE, SIG_IGN);
    nl_cli_init(&cli, getenv("NHANLUC_SERVER"), isatty(STDOUT_FILENO));
    rest = calloc((size_t)argc + 1, sizeof(char *));
    if (rest == NULL) {
        fputs("nhanluc: out of memory\n", stderr);
        return NL_INTERNAL;
    }
    nrest = nl_cli_parse_globals(&cli, argc, argv, rest, err, sizeof(err));
    if (nrest < 0) {
        free(rest);
        return nl_cli_usage_error(NULL, "%s", err);
    }
    if (cli.version) {
        printf("nhanluc %s\n", NL_VERSION);
        free(rest);
        return 0;
    }
    if (cli.help) {
        rc = help(nrest, rest);
        free(rest);
        return rc;
    }
    if (nrest == 0) {
        print_main_help(stderr);
        free(rest);
        return NL_EXIT_USAGE;
    }
    if (strcmp(rest[0], "help") == 0) {
        rc = help(nrest - 1, rest + 1);
        free(rest);
        return rc;
    }
    const struct nl_cli_cmd *cmd = find_command(rest[0]);
    if (cmd == NULL) {
        rc = nl_cli_usage_error(NULL, "unknown command '%s'", rest[0]);
        free(rest);
        return rc;
    }
    nl_cli_start(&cli);
    rc = cmd->fn(&cli, nrest, rest);
    nl_cli_release(&cli);
    free(rest);
    return rc;
}
