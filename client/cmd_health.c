/*
 * cmd_health.c - `nhanluc health [SERVICE]`: grpc.health.v1.Health/Check.
 *
 * Prints the serving status and exits 0 only when it is SERVING; any other
 * serving status exits UNAVAILABLE (14) with a message, so scripts and
 * service managers can use the exit code alone. A failed call exits with its
 * own status (NOT_FOUND for an unknown service name).
 */
#include <stdio.h>

#include "grpc/health/v1/health.pb-c.h"

#include "args.h"
#include "cli.h"

static const struct nl_col health_cols[] = {
    {"service", NL_COL_STR},
    {"status", NL_COL_STR},
};

int nl_cmd_health(struct nl_cli *cli, int argc, char **argv)
{
    static const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Grpc__Health__V1__HealthCheckRequest req;
    Grpc__Health__V1__HealthCheckResponse *resp = NULL;
    ProtobufCMessage *m;
    char *pos[1] = {NULL}, err[256], msg[NL_RPC_MSG_MAX], num[16];
    int n, rc;

    grpc__health__v1__health_check_request__init(&req);
    n = nl_opts_parse(argc - 1, argv + 1, opts, pos, 1, err, sizeof(err));
    if (n < 0)
        return nl_cli_usage_error("health", "health: %s", err);
    if (n == 1)
        req.service = pos[0];

    rc = nl_cli_call_or_fail(cli, "/grpc.health.v1.Health/Check", &req.base,
                             &grpc__health__v1__health_check_response__descriptor, &m);
    if (rc != 0)
        return rc;
    resp = (Grpc__Health__V1__HealthCheckResponse *)m;

    const char *name =
        nl_cli_enum_text(&grpc__health__v1__health_check_response__serving_status__descriptor,
                         (int)resp->status, num, sizeof(num));
    int serving = resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;

    if (cli->output == NL_OUTPUT_TABLE) {
        rc = fprintf(cli->out, "%s\n", name) < 0 || fflush(cli->out) != 0 ? NL_EXIT_IO : 0;
    } else {
        const char *row[2] = {req.service, name};
        rc = nl_cli_print_row(cli, health_cols, 2, row);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    if (rc != 0)
        return rc;
    if (!serving) {
        if (req.service[0] == '\0')
            snprintf(msg, sizeof(msg), "server is %s", name);
        else
            snprintf(msg, sizeof(msg), "service '%s' is %s", req.service, name);
        return nl_cli_fail(NL_UNAVAILABLE, msg);
    }
    return 0;
}
