/*
 * cmd_unit.c - `nhanluc unit add|list|show|history|event|lineage`: the units
 * of the reporting tree and their history (nhanluc.v1.Registry CreateUnit,
 * ListUnits, GetUnit, GetUnitHistory, RecordUnitEvent, GetLineage).
 *
 * `unit list` follows next_page_token to the end with pages of 1000 and
 * prints all rows at once (the table needs every width first); all pages
 * share the command's one deadline and the same --as-of and --name (the
 * server matches names ignoring case and composed/decomposed input). Enum
 * values print as their proto names ("URBAN_DISTRICT", "MERGE"), or as the number when
 * this CLI is older than the server and does not know the name. Dates are
 * typed YYYY-MM-DD or DD/MM/YYYY and sent as YYYY-MM-DD; a valid_from of ""
 * means "since always" and a valid_to of "" means "current".
 *
 * `unit add` prints valid_from and valid_to when --from or --to was given;
 * `unit show` and `unit list` keep their four columns (code, name, kind,
 * parent) and `unit history` shows every version with its dates.
 *
 * `unit history` prints one timeline: the versions (record VERSION, from
 * valid_from to valid_to) and the events naming the unit (record MERGE,
 * SPLIT, RENAME or DISSOLVE, on effective_date), in date order with an
 * event before the version it opens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nhanluc/v1/registry.pb-c.h"

#include "../common/date.h"
#include "args.h"
#include "cli.h"

#define UNIT_PAGE_SIZE  1000
#define UNIT_MAX_PAGES  100000 /* 100 million rows: a guard against a looping server */
#define EVENT_UNITS_MAX 1000   /* codes in one --from or --to */

/* The columns of `unit show` and `unit list`. */
static const struct nl_col unit_cols[] = {
    {"code", NL_COL_STR},
    {"name", NL_COL_STR},
    {"kind", NL_COL_STR},
    {"parent", NL_COL_STR},
};

/*
 * The columns of `unit add`: the version, its dates when --from or --to was
 * given (the undated form keeps the columns scripts already read), and
 * whether it was new.
 */
static const struct nl_col unit_add_undated_cols[] = {
    {"code", NL_COL_STR},   {"name", NL_COL_STR},     {"kind", NL_COL_STR},
    {"parent", NL_COL_STR}, {"created", NL_COL_BOOL},
};
static const struct nl_col unit_add_cols[] = {
    {"code", NL_COL_STR},     {"name", NL_COL_STR},       {"kind", NL_COL_STR},
    {"parent", NL_COL_STR},   {"valid_from", NL_COL_STR}, {"valid_to", NL_COL_STR},
    {"created", NL_COL_BOOL},
};

/* A unit as a row of unit_cols (4 columns) or unit_add_cols (7). */
struct unit_row {
    char kind[16]; /* the kind's number when this CLI does not know its name */
    const char *v[7];
};

static const char *const *unit_row(struct unit_row *row, const Nhanluc__V1__Unit *u, int created)
{
    row->v[0] = u->code;
    row->v[1] = u->name;
    row->v[2] = nl_cli_enum_text(&nhanluc__v1__unit_kind__descriptor, (int)u->kind, row->kind,
                                 sizeof(row->kind));
    row->v[3] = u->parent;
    row->v[4] = u->valid_from;
    row->v[5] = u->valid_to;
    row->v[6] = created > 0 ? "true" : "false";
    return row->v;
}

/*
 * Parses the value of --`opt` of `sub` ("unit add") as a date in either
 * form into out (YYYY-MM-DD). Returns 0, or reports a usage error and
 * returns its exit code.
 */
static int date_opt(const char *cmd, const char *sub, const char *opt, const char *s, char out[11])
{
    int32_t d;

    if (nl_date_parse_any(s, strlen(s), &d) != 0)
        return nl_cli_usage_error(cmd,
                                  "%s: bad --%s '%s': expected a date YYYY-MM-DD or "
                                  "DD/MM/YYYY",
                                  sub, opt, s);
    nl_date_format(d, out);
    return 0;
}

static int unit_add(struct nl_cli *cli, int argc, char **argv)
{
    char *kind = NULL, *parent = NULL, *from = NULL, *to = NULL, *pos[2], err[256];
    char from_buf[11], to_buf[11];
    const struct nl_opt opts[] = {{"kind", 1, &kind},
                                  {"parent", 1, &parent},
                                  {"from", 1, &from},
                                  {"to", 1, &to},
                                  {NULL, 0, NULL}};
    Nhanluc__V1__Unit unit;
    Nhanluc__V1__CreateUnitRequest req;
    ProtobufCMessage *m;
    struct unit_row row;
    int k, rc, n = nl_opts_parse(argc, argv, opts, pos, 2, err, sizeof(err));

    nhanluc__v1__unit__init(&unit);
    nhanluc__v1__create_unit_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit add: %s", err);
    if (n < 2)
        return nl_cli_usage_error("unit", "unit add: missing %s",
                                  n == 0 ? "CODE and NAME" : "NAME");
    if (kind == NULL)
        return nl_cli_usage_error("unit", "unit add: missing --kind");
    rc = nl_cli_enum_opt("unit", "kind", &nhanluc__v1__unit_kind__descriptor, kind, &k);
    if (rc != 0)
        return rc;
    if (from != NULL && (rc = date_opt("unit", "unit add", "from", from, from_buf)) != 0)
        return rc;
    if (to != NULL && (rc = date_opt("unit", "unit add", "to", to, to_buf)) != 0)
        return rc;
    unit.code = pos[0];
    unit.name = pos[1];
    unit.kind = (Nhanluc__V1__UnitKind)k;
    if (parent != NULL)
        unit.parent = parent;
    if (from != NULL)
        unit.valid_from = from_buf;
    if (to != NULL)
        unit.valid_to = to_buf;
    req.unit = &unit;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/CreateUnit", &req.base,
                             &nhanluc__v1__create_unit_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__CreateUnitResponse *resp = (Nhanluc__V1__CreateUnitResponse *)m;
    if (resp->unit == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no unit");
    } else if (from != NULL || to != NULL) {
        rc = nl_cli_print_row(cli, unit_add_cols, 7,
                              unit_row(&row, resp->unit, resp->created ? 1 : 0));
    } else {
        const char *const *v = unit_row(&row, resp->unit, resp->created ? 1 : 0);
        const char *undated[5] = {v[0], v[1], v[2], v[3], v[6]};
        rc = nl_cli_print_row(cli, unit_add_undated_cols, 5, undated);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int unit_show(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__GetUnitRequest req;
    ProtobufCMessage *m;
    struct unit_row row;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__get_unit_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit show: %s", err);
    if (n < 1)
        return nl_cli_usage_error("unit", "unit show: missing CODE");
    req.code = pos[0];

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/GetUnit", &req.base,
                             &nhanluc__v1__get_unit_response__descriptor, &m);
    if (rc != 0)
        return rc;
    const Nhanluc__V1__Unit *u = ((Nhanluc__V1__GetUnitResponse *)m)->unit;
    if (u == NULL)
        rc = nl_cli_fail(NL_INTERNAL, "server returned no unit");
    else
        rc = nl_cli_print_row(cli, unit_cols, 4, unit_row(&row, u, -1));
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* One page of ListUnits into the records (nl_cli_page_fn). */
static int unit_page(const ProtobufCMessage *m, unsigned long page, void *ud)
{
    const Nhanluc__V1__ListUnitsResponse *resp = (const Nhanluc__V1__ListUnitsResponse *)m;
    struct unit_row row;
    int rc = 0;

    (void)page;
    for (size_t i = 0; rc == 0 && i < resp->n_units; i++)
        rc = nl_cli_add_row(ud, unit_row(&row, resp->units[i], -1));
    return rc;
}

static int unit_list(struct nl_cli *cli, int argc, char **argv)
{
    char *parent = NULL, *as_of = NULL, *name = NULL, *pos[1], err[256], as_of_buf[11];
    const struct nl_opt opts[] = {
        {"parent", 1, &parent}, {"as-of", 1, &as_of}, {"name", 1, &name}, {NULL, 0, NULL}};
    Nhanluc__V1__ListUnitsRequest req;
    struct nl_records r;
    int rc = 0, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_units_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit list: %s", err);
    if (parent != NULL)
        req.parent = parent;
    if (name != NULL)
        req.name = name;
    if (as_of != NULL) {
        rc = date_opt("unit", "unit list", "as-of", as_of, as_of_buf);
        if (rc != 0)
            return rc;
        req.as_of = as_of_buf;
    }
    req.page_size = UNIT_PAGE_SIZE;
    nl_records_init(&r, unit_cols, 4);

    rc = nl_cli_pages(cli, "/nhanluc.v1.Registry/ListUnits", &req.base, &req.page_token,
                      &nhanluc__v1__list_units_response__descriptor, UNIT_MAX_PAGES, unit_page, &r);
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

/* --- history --- */

static const struct nl_col history_cols[] = {
    {"record", NL_COL_STR},         {"valid_from", NL_COL_STR}, {"valid_to", NL_COL_STR},
    {"name", NL_COL_STR},           {"kind", NL_COL_STR},       {"parent", NL_COL_STR},
    {"effective_date", NL_COL_STR}, {"sources", NL_COL_STR},    {"targets", NL_COL_STR},
    {"legal_basis", NL_COL_STR},
};

/* Joins n codes with ',' into a malloc'd string; NULL when out of memory. */
static char *join_codes(char **codes, size_t n)
{
    size_t len = 1, off = 0;
    char *s;

    for (size_t i = 0; i < n; i++)
        len += strlen(codes[i]) + 1;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(codes[i]);
        if (i > 0)
            s[off++] = ',';
        memcpy(s + off, codes[i], l);
        off += l;
    }
    s[off] = '\0';
    return s;
}

/* An event's cells as text: the codes joined with ','. */
struct event_text {
    char num[16]; /* the kind's number when this CLI does not know its name */
    const char *kind;
    char *sources, *targets; /* malloc'd */
};

/* Fills *t from e. Returns 0, or reports "out of memory" and returns its exit code. */
static int event_text(struct event_text *t, const Nhanluc__V1__UnitEvent *e)
{
    t->kind = nl_cli_enum_text(&nhanluc__v1__unit_event_kind__descriptor, (int)e->kind, t->num,
                               sizeof(t->num));
    t->sources = join_codes(e->sources, e->n_sources);
    t->targets = join_codes(e->targets, e->n_targets);
    if (t->sources == NULL || t->targets == NULL)
        return nl_cli_fail(NL_INTERNAL, "out of memory");
    return 0;
}

static void event_text_free(struct event_text *t)
{
    free(t->sources);
    free(t->targets);
}

/* Adds an event as a history row. */
static int add_event_row(struct nl_records *r, const Nhanluc__V1__UnitEvent *e)
{
    struct event_text t;
    int rc = event_text(&t, e);

    if (rc == 0) {
        const char *v[10] = {
            t.kind, "", "", "", "", "", e->effective_date, t.sources, t.targets, e->legal_basis};
        rc = nl_cli_add_row(r, v);
    }
    event_text_free(&t);
    return rc;
}

static int add_version_row(struct nl_records *r, const Nhanluc__V1__Unit *u)
{
    char num[16];
    const char *v[10] = {
        "VERSION",
        u->valid_from,
        u->valid_to,
        u->name,
        nl_cli_enum_text(&nhanluc__v1__unit_kind__descriptor, (int)u->kind, num, sizeof(num)),
        u->parent,
        "",
        "",
        "",
        ""};

    return nl_cli_add_row(r, v);
}

static int unit_history(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__GetUnitHistoryRequest req;
    ProtobufCMessage *m;
    struct nl_records r;
    size_t iv = 0, ie = 0;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__get_unit_history_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit history: %s", err);
    if (n < 1)
        return nl_cli_usage_error("unit", "unit history: missing CODE");
    req.code = pos[0];

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/GetUnitHistory", &req.base,
                             &nhanluc__v1__get_unit_history_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__GetUnitHistoryResponse *resp = (Nhanluc__V1__GetUnitHistoryResponse *)m;
    nl_records_init(&r, history_cols, 10);
    /* Merge the two date-ordered lists; on one date the event comes first. */
    while (rc == 0 && (iv < resp->n_versions || ie < resp->n_events)) {
        int take_event = iv == resp->n_versions ||
                         (ie < resp->n_events && strcmp(resp->events[ie]->effective_date,
                                                        resp->versions[iv]->valid_from) <= 0);
        if (take_event)
            rc = add_event_row(&r, resp->events[ie++]);
        else
            rc = add_version_row(&r, resp->versions[iv++]);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* --- events --- */

static const struct nl_col event_cols[] = {
    {"kind", NL_COL_STR},    {"effective_date", NL_COL_STR}, {"sources", NL_COL_STR},
    {"targets", NL_COL_STR}, {"legal_basis", NL_COL_STR},    {"created", NL_COL_BOOL},
};

/*
 * Splits a comma-separated list of codes in place (`s` is modified) into a
 * malloc'd array (*out, *n). Empty items are kept, for the server to refuse
 * by position. Returns 0, or -1 when there are too many or memory runs out.
 */
static int split_codes(char *s, char ***out, size_t *n)
{
    size_t cap = 1;
    char **v;

    for (const char *p = s; *p != '\0'; p++)
        cap += *p == ',';
    if (cap > EVENT_UNITS_MAX)
        return -1;
    v = calloc(cap, sizeof(*v));
    if (v == NULL)
        return -1;
    *n = 0;
    for (char *p = s;;) {
        char *comma = strchr(p, ',');
        v[(*n)++] = p;
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    *out = v;
    return 0;
}

static int unit_event(struct nl_cli *cli, int argc, char **argv)
{
    char *date = NULL, *from = NULL, *to = NULL, *basis = NULL, *pos[1], err[256], date_buf[11];
    const struct nl_opt opts[] = {{"date", 1, &date},
                                  {"from", 1, &from},
                                  {"to", 1, &to},
                                  {"basis", 1, &basis},
                                  {NULL, 0, NULL}};
    Nhanluc__V1__UnitEvent ev;
    Nhanluc__V1__RecordUnitEventRequest req;
    ProtobufCMessage *m = NULL;
    int k, rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__unit_event__init(&ev);
    nhanluc__v1__record_unit_event_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit event: %s", err);
    if (n < 1)
        return nl_cli_usage_error("unit", "unit event: missing KIND (merge, split, rename or "
                                          "dissolve)");
    if (nl_enum_parse(&nhanluc__v1__unit_event_kind__descriptor, pos[0], &k) != 0)
        return nl_cli_usage_error("unit",
                                  "unit event: unknown KIND '%s' (expected merge, split, rename "
                                  "or dissolve)",
                                  pos[0]);
    if (date == NULL)
        return nl_cli_usage_error("unit", "unit event: missing --date");
    if (from == NULL)
        return nl_cli_usage_error("unit", "unit event: missing --from");
    rc = date_opt("unit", "unit event", "date", date, date_buf);
    if (rc != 0)
        return rc;
    ev.kind = (Nhanluc__V1__UnitEventKind)k;
    ev.effective_date = date_buf;
    if (basis != NULL)
        ev.legal_basis = basis;
    if (split_codes(from, &ev.sources, &ev.n_sources) != 0 ||
        (to != NULL && split_codes(to, &ev.targets, &ev.n_targets) != 0)) {
        free(ev.sources);
        return nl_cli_usage_error("unit",
                                  "unit event: too many codes in --from or --to (at "
                                  "most %d)",
                                  EVENT_UNITS_MAX);
    }
    req.event = &ev;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/RecordUnitEvent", &req.base,
                             &nhanluc__v1__record_unit_event_response__descriptor, &m);
    free(ev.sources);
    free(ev.targets);
    if (rc != 0)
        return rc;
    Nhanluc__V1__RecordUnitEventResponse *resp = (Nhanluc__V1__RecordUnitEventResponse *)m;
    if (resp->event == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no event");
    } else {
        const Nhanluc__V1__UnitEvent *e = resp->event;
        struct event_text t;

        rc = event_text(&t, e);
        if (rc == 0) {
            const char *v[6] = {t.kind,    e->effective_date, t.sources,
                                t.targets, e->legal_basis,    resp->created ? "true" : "false"};
            rc = nl_cli_print_row(cli, event_cols, 6, v);
        }
        event_text_free(&t);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* --- lineage --- */

static const struct nl_col lineage_cols[] = {
    {"code", NL_COL_STR},
    {"via_code", NL_COL_STR},
    {"kind", NL_COL_STR},
    {"effective_date", NL_COL_STR},
};

static int unit_lineage(struct nl_cli *cli, int argc, char **argv)
{
    char *back = NULL, *pos[1], err[256];
    const struct nl_opt opts[] = {{"back", 0, &back}, {NULL, 0, NULL}};
    Nhanluc__V1__GetLineageRequest req;
    ProtobufCMessage *m;
    struct nl_records r;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__get_lineage_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("unit", "unit lineage: %s", err);
    if (n < 1)
        return nl_cli_usage_error("unit", "unit lineage: missing CODE");
    req.code = pos[0];
    req.direction = back != NULL ? NHANLUC__V1__LINEAGE_DIRECTION__PREDECESSORS
                                 : NHANLUC__V1__LINEAGE_DIRECTION__SUCCESSORS;

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Registry/GetLineage", &req.base,
                             &nhanluc__v1__get_lineage_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__GetLineageResponse *resp = (Nhanluc__V1__GetLineageResponse *)m;
    nl_records_init(&r, lineage_cols, 4);
    for (size_t i = 0; rc == 0 && i < resp->n_steps; i++) {
        const Nhanluc__V1__LineageStep *s = resp->steps[i];
        char num[16];
        const char *v[4] = {s->code, s->via_code,
                            nl_cli_enum_text(&nhanluc__v1__unit_event_kind__descriptor,
                                             (int)s->kind, num, sizeof(num)),
                            s->effective_date};
        rc = nl_cli_add_row(&r, v);
    }
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static const struct nl_cli_sub unit_subs[] = {
    {"add", unit_add},     {"list", unit_list},
    {"show", unit_show},   {"history", unit_history},
    {"event", unit_event}, {"lineage", unit_lineage},
    {NULL, NULL},
};

int nl_cmd_unit(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "unit", unit_subs, "add, list, show, history, event or lineage",
                           argc, argv);
}
