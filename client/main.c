/*
 * main.c - nhanluc, the command-line client of nhanlucd.
 *
 *   nhanluc [--server [https://]HOST:PORT] [--tls] [--ca FILE] [--cert FILE --key FILE]
 *           [--token TOKEN | --token-file FILE] [--timeout DUR] [--output table|json|csv]
 *           COMMAND [ARGS]
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
#include "cmd_admin.h"
#include "cmd_indicator.h"
#include "cmd_target.h"

static const struct nl_cli_cmd commands[] = {
    {.name = "admin",
     .fn = nl_cmd_admin,
     .usage = NL_CMD_ADMIN_USAGE,
     .summary = "manage tokens, the audit trail and backups"},
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
                 "       nhanluc unit list [--parent CODE] [--as-of DATE] [--name TEXT]\n"
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
                 "of --parent then (--name: names containing TEXT, any case; TEXT typed\n"
                 "without accents matches any accents);\n"
                 "history prints every version and event of a unit;\n"
                 "event records a merge, split, rename or dissolution effective on --date\n"
                 "(targets are created first with add --from DATE; a merge has one target).\n"
                 "The children of a merged, renamed or dissolved unit move under the target\n"
                 "(the parent for a dissolution); a split's children must be placed first\n"
                 "(add --parent TARGET --from DATE), else it exits 9. lineage lists the units\n"
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
        .name = "target-group",
        .fn = nl_cmd_target_group,
        .usage = "usage: nhanluc target-group add CODE LABEL\n"
                 "       nhanluc target-group list\n"
                 "\n"
                 "The catalogue of a class's target group (DOMAIN.md 3): eight seeded, more\n"
                 "added by an administrator. CODE: 2-40 of A-Z, 0-9 and _, starting with a\n"
                 "letter; LABEL: the Vietnamese label, unique. A class's target_group (in\n"
                 "class.json, classes.csv or class list --target-group) takes the code in any\n"
                 "case or the label.",
        .summary = "list the target groups of classes; add one (admin)",
    },
    {
        .name = "cadre",
        .fn = nl_cmd_cadre,
        .usage = "usage: nhanluc cadre set CODE --sex F|M|Nữ|Nam --born YEAR [--name NAME]\n"
                 "             [--unit UNIT --as-of DATE --title TITLE --key-cadre yes|no\n"
                 "              --level L --mgmt M --education E --theory T --state-mgmt S]\n"
                 "       nhanluc cadre show CODE\n"
                 "       nhanluc cadre list [--unit UNIT] [--as-of DATE] [--name TEXT]\n"
                 "\n"
                 "set creates or updates a cadre; with --as-of it records the profile valid\n"
                 "from that date (a new date opens a new version). Enum values: the code\n"
                 "(MASTER) or the Vietnamese label (\"Thạc sĩ\"). DATE: YYYY-MM-DD or DD/MM/YYYY.\n"
                 "show prints every profile version; list the cadres of UNIT and the units\n"
                 "under it on DATE (default today); --name keeps those whose name contains\n"
                 "TEXT, whatever its letter case (TEXT typed without accents: any accents).",
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
    {
        .name = "annual",
        .fn = nl_cmd_annual,
        .usage = "usage: nhanluc annual submit UNIT YEAR [--at DATE|TIMESTAMP]\n"
                 "       nhanluc annual return UNIT YEAR --reason TEXT\n"
                 "       nhanluc annual approve UNIT YEAR [--at DATE|TIMESTAMP]\n"
                 "       nhanluc annual list [--unit U] [--year Y] [--status S] [--as-of DATE]\n"
                 "\n"
                 "A unit's annual training report: submit it (again after a return), return\n"
                 "it with a reason, approve it. An approved report locks the unit's classes\n"
                 "ending in YEAR (class submit and cancel exit 9) until it is returned.\n"
                 "--at: YYYY-MM-DD, DD/MM/YYYY or an RFC 3339 timestamp (default now).\n"
                 "list: --unit takes the unit's subtree in the tree of --as-of, else of 31\n"
                 "December of each report's year (a past year keeps the units abolished\n"
                 "since); STATUS: DRAFT, SUBMITTED, RETURNED, APPROVED or the Vietnamese\n"
                 "label (\"Đã duyệt\").",
        .summary = "submit, return, approve and list annual training reports",
    },
    {
        .name = "import",
        .fn = nl_cmd_import,
        .usage = "usage: nhanluc import FILE [--kind KIND] [--dry-run] [--skip-bad-rows]\n"
                 "                      [--batch N]\n"
                 "\n"
                 "Imports one CSV file of DOMAIN.md section 8 (Excel \"CSV UTF-8\": BOM, CRLF,\n"
                 "quoted line breaks; enum codes or Vietnamese labels; dates YYYY-MM-DD or\n"
                 "DD/MM/YYYY). The kind comes from the header, or from --kind. All or nothing:\n"
                 "a bad row is reported as FILE:LINE: column NAME: reason and nothing is\n"
                 "written, unless --skip-bad-rows imports the other rows. The exit code is the\n"
                 "first refused row's status: 3 bad data, 5 an unknown record it names, 7\n"
                 "outside your units, 9 a unit-year locked by an approved report. --dry-run\n"
                 "checks every row with the server and writes nothing. Rows go in batches of\n"
                 "--batch rows (default 1000, at most 5000); if an import stops part-way, run\n"
                 "the same command again: committed batches replay as unchanged. Prints\n"
                 "created, updated, unchanged and rejected. Default --timeout: 10m.\n"
                 "KIND: units, terms, unit_events, cadres, classes, enrolments, committee,\n"
                 "planning, seats, reviews, reports, term_instances, targets.",
        .summary = "import a CSV file (units, cadres, classes, enrolments, ...)",
    },
    {
        .name = "export",
        .fn = nl_cmd_export,
        .usage = "usage: nhanluc export KIND [--year Y] [--unit U] [--bom]\n"
                 "\n"
                 "Writes the CSV file of KIND (DOMAIN.md section 8) to stdout: every version\n"
                 "row, bare codes, dates YYYY-MM-DD, CRLF, UTF-8 (with a BOM for Excel when\n"
                 "--bom), so that `nhanluc import` of it changes nothing. --year: classes,\n"
                 "enrolments, reviews and reports of that year; --unit: the unit and its\n"
                 "subtree, each row in the tree of its own day as the lists take it (a class's\n"
                 "end date, a term's last day, 31 December of a year). Default --timeout: 10m.\n"
                 "KIND: units, terms, unit_events, cadres, classes, enrolments, committee,\n"
                 "planning, seats, reviews, reports, term_instances, targets.",
        .summary = "export a CSV file that import reads back",
    },
    {
        .name = "committee",
        .fn = nl_cmd_committee,
        .usage = "usage: nhanluc committee add CADRE UNIT TERM --body B --role R --start DATE\n"
                 "                             [--end DATE]\n"
                 "       nhanluc committee list UNIT --term TERM [--subtree] [--as-of DATE]\n"
                 "\n"
                 "add records (or updates) CADRE's seat in UNIT's party body for TERM; the\n"
                 "same values again change nothing. B: COMMITTEE, STANDING_COMMITTEE (or\n"
                 "\"Ban Chấp hành\", \"Ban Thường vụ\"); R: SECRETARY, DEPUTY_SECRETARY,\n"
                 "STANDING_MEMBER, MEMBER (or \"Bí thư\", \"Ủy viên\"...). list prints UNIT's\n"
                 "members for TERM, with --subtree those of every unit under it in the tree\n"
                 "of --as-of, else of the term's last day (2020-2025: 2024-12-31), so a past\n"
                 "term keeps the units abolished since. DATE: YYYY-MM-DD or DD/MM/YYYY.",
        .summary = "add and list the members of party committees",
    },
    {
        .name = "seats",
        .fn = nl_cmd_seats,
        .usage = "usage: nhanluc seats set UNIT TERM BODY_OR_TITLE SEATS\n"
                 "       nhanluc seats list UNIT --term TERM [--subtree] [--as-of DATE]\n"
                 "\n"
                 "set records how many seats UNIT's body or title has for TERM.\n"
                 "BODY_OR_TITLE: COMMITTEE, STANDING_COMMITTEE, SECRETARY, DEPUTY_SECRETARY,\n"
                 "CHAIR_PEOPLES_COUNCIL, CHAIR_PEOPLES_COMMITTEE, VICE_CHAIR, DEPT_HEAD,\n"
                 "DEPT_DEPUTY, DIRECTOR, or the Vietnamese label (\"Chủ tịch UBND\").\n"
                 "list: --subtree in the tree of --as-of, else of the term's last day.",
        .summary = "set and list the seats of party bodies and titles",
    },
    {
        .name = "planning",
        .fn = nl_cmd_planning,
        .usage = "usage: nhanluc planning add CADRE UNIT TERM BODY_OR_TITLE --added DATE\n"
                 "                            [--removed DATE]\n"
                 "       nhanluc planning list UNIT --term TERM [--subtree] [--as-of DATE]\n"
                 "\n"
                 "add places CADRE in UNIT's planning pool for a body or title of TERM\n"
                 "(BODY_OR_TITLE as for seats); --removed takes them out. list prints the\n"
                 "pool (--subtree in the tree of --as-of, else of the term's last day) and\n"
                 "warns of breaches of the 3x3 rule (more than 3 candidates for a title, more\n"
                 "than 3 titles for a candidate, among entries active on that day):\n"
                 "on stderr, or with --output json as {\"entries\": [...], \"violations\": [...]}.",
        .summary = "add to and list the planning pool, with the 3x3 rule's breaches",
    },
    {
        .name = "review",
        .fn = nl_cmd_review,
        .usage = "usage: nhanluc review set CADRE YEAR --rating R --meets yes|no --action A\n"
                 "                          [--decision REF]\n"
                 "       nhanluc review list UNIT [--year YEAR] [--subtree] [--as-of DATE]\n"
                 "\n"
                 "set records CADRE's post-training review of YEAR. R: EXCELLENT, GOOD,\n"
                 "COMPLETED, NOT_COMPLETED (or HTXSNV, HTTNV, HTNV, KHTNV); A: KEEP,\n"
                 "REASSIGN, ROTATE, DISMISS, REMOVE_FROM_PLANNING, FURTHER_TRAINING\n"
                 "(or \"Điều chuyển\"...).\n"
                 "list prints the reviews of UNIT's cadres (the unit of their profile on\n"
                 "31 December of the review's year), with --subtree of every unit under it\n"
                 "in the tree of --as-of, else of that 31 December.",
        .summary = "set and list post-training reviews",
    },
    {
        .name = "indicator",
        .fn = nl_cmd_indicator,
        .usage = "usage: nhanluc indicator list\n"
                 "       nhanluc indicator show CODE [--unit U] [--own]\n"
                 "                              [--term T | --year Y | --from DATE --to DATE]\n"
                 "                              [--as-of DATE] [--by DIM] [--explain]\n"
                 "       nhanluc indicator compare CODE --term A --term B [--unit U] [--own]\n"
                 "       nhanluc indicator compare CODE --as-of D1 --as-of D2 [--unit U] [--own]\n"
                 "\n"
                 "list prints the catalogue: code, Vietnamese and English name, value kind,\n"
                 "targets, formula, population and the --by dimensions. show computes CODE\n"
                 "for U and the units under it (default: the city) over a period (a term\n"
                 "window, a year or FROM..TO; default: the term containing the date), with\n"
                 "stocks counted on --as-of (default: the period's last day); --own keeps\n"
                 "only U's own committee, pool and seats; --by DIM (unit, year, kind, area,\n"
                 "target_group, sex, education, political_theory, key_cadre, level,\n"
                 "mgmt_category) gives one row per group; --explain adds the filters,\n"
                 "period, date, term, units and counts behind the value. compare gives the\n"
                 "value for two terms or two dates and the change (points for percents).\n"
                 "JSON rows have exactly the keys code, unit, period, as_of, numerator,\n"
                 "denominator (null for counts), value (null when the denominator is 0),\n"
                 "target (null or {\"op\", \"value\"}), met (null, true or false), and with\n"
                 "--by group ({\"sex\": \"FEMALE\"}). show prints an array of rows; with\n"
                 "--explain the object {\"rows\": [...], \"explanation\": {...}}. compare\n"
                 "prints {\"rows\": [A, B], \"change\": N or null}, the exact change rounded\n"
                 "like the values; a table and CSV (a change column) show the difference of\n"
                 "the values shown, the table adding the exact one when it differs. In a\n"
                 "table, met is\n"
                 "\u2713 or \u2717; with CSV, the explanation goes to stderr. DATE: YYYY-MM-DD or\n"
                 "DD/MM/YYYY.",
        .summary = "the indicator catalogue, one indicator's value, two terms compared",
    },
    {
        .name = "report",
        .fn = nl_cmd_report,
        .usage =
            "usage: nhanluc report [--unit U] [--own] [--term T | --year Y |\n"
            "                      --from DATE --to DATE] [--as-of DATE]\n"
            "\n"
            "One page for the leadership: every catalogue indicator for U (default:\n"
            "the city) with its value, numerator/denominator, target and whether it is\n"
            "met, the units that have not reported, and the count of cadres with\n"
            "unexcused absences, listed (code, name, classes, sessions missed) unless the\n"
            "caller may not see names (a central token: the count only; a district sees\n"
            "the names of its own cadres). The unit's own dates for the term (term\n"
            "instance) are shown, never used for counting. JSON: {\"unit\", \"period\",\n"
            "\"as_of\", \"term\", \"unit_term_dates\" (\"START..END\" or null),\n"
            "\"indicators\": [rows as for indicator show], \"missing_reports\":\n"
            "[{\"unit\", \"year\"}], \"unexcused_absentees\": N, \"absentees\": [{\"cadre_code\",\n"
            "\"full_name\", \"classes\", \"sessions\"}] or null, \"absentees_truncated\"}; CSV:\n"
            "the indicator rows, an empty line, missing_report_unit,missing_report_year,\n"
            "and when listed an empty line and cadre_code,full_name,classes,sessions_missed.",
        .summary = "every indicator for a unit and period, targets met, missing reports",
    },
    {
        .name = "query",
        .fn = nl_cmd_query,
        .usage = "usage: nhanluc query --measure M [--filter FIELD=VALUE]... [--by DIM]\n"
                 "                     [--by DIM] [--unit U] [--own] [--term T | --year Y |\n"
                 "                     --from DATE --to DATE] [--as-of DATE]\n"
                 "\n"
                 "The general aggregate query: M is one of classes, planned_trainees,\n"
                 "enrolments, trainees, cadres, committee_members, pool_members, seats,\n"
                 "reviews; each --filter keeps the rows whose FIELD has VALUE (the same\n"
                 "field again: any of the values). FIELD: kind, area, target_group, sex,\n"
                 "education, political_theory, key_cadre, level, mgmt_category,\n"
                 "class_status, enrolment_status, body, year; VALUE: the code (UPGRADE, any\n"
                 "case) or the Vietnamese label (\"Nữ\"); target_group: its code or label\n"
                 "(accents optional); an unknown value exits 3. Like the indicators, the\n"
                 "query leaves out CANCELLED classes and WITHDREW enrolments unless a\n"
                 "class_status or enrolment_status filter names the statuses to count\n"
                 "(enrolment_status=WITHDREW counts the withdrawals). At most two --by\n"
                 "dimensions. JSON rows have the keys of indicator rows: code (the measure),\n"
                 "numerator = value, denominator, target and met null, group with --by.",
        .summary = "count a measure with filters, grouped by up to two dimensions",
    },
    {
        .name = "target",
        .fn = nl_cmd_target,
        .usage = "usage: nhanluc target set INDICATOR OP VALUE --term TERM [--unit UNIT]\n"
                 "       nhanluc target list [--indicator INDICATOR] [--term TERM]\n"
                 "       nhanluc target delete INDICATOR --term TERM [--unit UNIT]\n"
                 "\n"
                 "set records the target of INDICATOR for TERM (e.g. nhanluc target set\n"
                 "postgraduate_share '>=' 35 --term 2015-2020): OP is >=, >, =, <= or <\n"
                 "(quote it for the shell), VALUE a decimal in the indicator's unit with at\n"
                 "most 6 decimals (percent points for a share: at most 100). Without --unit\n"
                 "it applies to every unit that has no target of its own; a unit's target\n"
                 "never passes to the units under it. The same target again changes\n"
                 "nothing. list prints the targets; delete removes one (deleted: false when\n"
                 "there was none). INDICATOR: a code of `nhanluc indicator list`. JSON: unit\n"
                 "null for a target that names no unit.",
        .summary = "set, list and delete indicator targets",
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
    fputs("usage: nhanluc [--server [https://]HOST:PORT] [--tls] [--ca FILE]\n"
          "               [--cert FILE --key FILE] [--token TOKEN | --token-file FILE]\n"
          "               [--timeout DUR] [--output table|json|csv] COMMAND [ARGS]\n"
          "\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs(
        "  help      show this help, or a command's usage\n"
        "\n"
        "global options (before or after the command):\n"
        "  --server HOST:PORT  server address; default $NHANLUC_SERVER, else " NL_CLI_DEFAULT_SERVER
        "\n"
        "                      (https://HOST:PORT: TLS, as --tls does)\n"
        "  --tls               TLS 1.2+ (also when $NHANLUC_TLS is 1); the server's\n"
        "                      certificate must verify and name HOST\n"
        "  --ca FILE           CA certificates (PEM) to verify it; default $NHANLUC_CA, else\n"
        "                      the system's store\n"
        "  --cert FILE, --key FILE  client certificate and key (PEM); default $NHANLUC_CERT,\n"
        "                      $NHANLUC_KEY\n"
        "  --token TOKEN       bearer token; prefer --token-file or $NHANLUC_TOKEN (argv is\n"
        "                      visible to other users)\n"
        "  --token-file FILE   file holding the token, mode 0600 or stricter; default\n"
        "                      $NHANLUC_TOKEN, else the file $NHANLUC_TOKEN_FILE names\n"
        "  --timeout DUR       deadline of the whole command: 500ms, 5s, 2m, 1h (default 10s)\n"
        "  --output FORMAT     table, json or csv (default: table on a terminal, else json)\n"
        "  --config FILE       defaults for these options, `key = value` lines (server, tls,\n"
        "                      ca, cert, key, token-file, timeout, output); default\n"
        "                      $NHANLUC_CONFIG, else ~/.config/nhanluc/config if it exists.\n"
        "                      Options win over variables, variables over the file\n"
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
    fputs("\nglobal options: --server [https://]HOST:PORT, --tls, --ca FILE, --cert FILE,\n"
          "--key FILE, --token TOKEN, --token-file FILE, --timeout DUR,\n"
          "--output table|json|csv, --config FILE (see 'nhanluc help')\n",
          f);
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
    rc = nl_cli_load_config(&cli);
    if (rc == 0)
        rc = nl_cli_prepare(&cli);
    if (rc != 0) {
        free(rest);
        return rc;
    }
    nl_cli_start(&cli);
    rc = cmd->fn(&cli, nrest, rest);
    nl_cli_release(&cli);
    free(rest);
    return rc;
}
