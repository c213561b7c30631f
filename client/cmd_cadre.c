/*
 * cmd_cadre.c - `nhanluc cadre set|show|list`: cadres and their versioned
 * profiles (nhanluc.v1.Records UpsertCadre, GetCadre, ListCadres).
 *
 * Enum flags take what a district office writes (labels.h): the bare code
 * ("MASTER"), the wire name ("EDUCATION_MASTER") or the Vietnamese label
 * ("Thạc sĩ"); --sex also takes F and M. Output uses the bare codes. A value
 * the CLI cannot read as its type (an unknown label, a year that is not a
 * number, a date in neither YYYY-MM-DD nor DD/MM/YYYY) is a usage error
 * (64); range and existence checks are the server's (INVALID_ARGUMENT, 3,
 * naming the field). `cadre list` (filters --unit, --as-of, --name: part
 * of the full name, any case, composed or not) follows next_page_token to
 * the end with pages of 1000 and prints every row at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nhanluc/v1/records.pb-c.h"

#include "args.h"
#include "cli.h"
#include "date.h"
#include "labels.h"

#define CADRE_PAGE_SIZE 1000
#define CADRE_MAX_PAGES 100000 /* 100 million rows: a guard against a looping server */
#define NCOLS_CADRE     4
#define NCOLS_PROFILE   10

/* The cadre's columns, then the profile's, then the outcome of a write. */
static const struct nl_col cadre_cols[] = {
    {"cadre_code", NL_COL_STR},
    {"full_name", NL_COL_STR},
    {"sex", NL_COL_STR},
    {"birth_year", NL_COL_INT},
    {"unit", NL_COL_STR},
    {"position_title", NL_COL_STR},
    {"key_cadre", NL_COL_BOOL},
    {"level", NL_COL_STR},
    {"mgmt_category", NL_COL_STR},
    {"education", NL_COL_STR},
    {"political_theory", NL_COL_STR},
    {"state_mgmt", NL_COL_STR},
    {"as_of", NL_COL_STR},
    {"valid_to", NL_COL_STR},
    {"outcome", NL_COL_STR},
};
/* The cadre's columns and the outcome, for a write without a profile. */
static const struct nl_col cadre_only_cols[] = {
    {"cadre_code", NL_COL_STR}, {"full_name", NL_COL_STR}, {"sex", NL_COL_STR},
    {"birth_year", NL_COL_INT}, {"outcome", NL_COL_STR},
};

/* A cadre (and maybe a profile) as a row of cadre_cols; numbers live in the struct. */
struct cadre_row {
    char year[16];
    char num[6][16]; /* enum values this CLI does not know, as numbers */
    const char *v[NCOLS_CADRE + NCOLS_PROFILE + 1];
};

/* The bare code of an enum value, or its number when this CLI does not know it. */
static const char *code_text(enum nl_field f, int v, char *num, size_t len)
{
    const char *c = nl_label_code(f, v);

    if (c != NULL)
        return c;
    if (v == 0)
        return "";
    (void)snprintf(num, len, "%d", v);
    return num;
}

/* Fills row->v: cadre `c`, profile `p` (NULL: empty profile columns), then `outcome`. */
static const char *const *cadre_row(struct cadre_row *row, const Nhanluc__V1__Cadre *c,
                                    const Nhanluc__V1__CadreProfile *p, const char *outcome)
{
    size_t i = 0;

    row->v[i++] = c->cadre_code;
    row->v[i++] = c->full_name;
    row->v[i++] = code_text(NL_F_SEX, (int)c->sex, row->num[0], sizeof(row->num[0]));
    (void)snprintf(row->year, sizeof(row->year), "%d", (int)c->birth_year);
    row->v[i++] = row->year;
    if (p != NULL) {
        row->v[i++] = p->unit;
        row->v[i++] = p->position_title;
        row->v[i++] = p->key_cadre ? "true" : "false";
        row->v[i++] = code_text(NL_F_LEVEL, (int)p->level, row->num[1], sizeof(row->num[1]));
        row->v[i++] =
            code_text(NL_F_MGMT_CATEGORY, (int)p->mgmt_category, row->num[2], sizeof(row->num[2]));
        row->v[i++] =
            code_text(NL_F_EDUCATION, (int)p->education, row->num[3], sizeof(row->num[3]));
        row->v[i++] = code_text(NL_F_POLITICAL_THEORY, (int)p->political_theory, row->num[4],
                                sizeof(row->num[4]));
        row->v[i++] =
            code_text(NL_F_STATE_MGMT, (int)p->state_mgmt, row->num[5], sizeof(row->num[5]));
        row->v[i++] = p->as_of;
        row->v[i++] = p->valid_to;
    } else {
        for (size_t k = 0; k < NCOLS_PROFILE; k++)
            row->v[i++] = "";
    }
    row->v[i] = outcome;
    return row->v;
}

static const char *outcome_text(Nhanluc__V1__WriteOutcome o, char *num, size_t len)
{
    return nl_cli_enum_text(&nhanluc__v1__write_outcome__descriptor, (int)o, num, len);
}

/*
 * Parses the value of --`opt` for enum field `f` into *out. Returns 0, or
 * reports a usage error listing the choices and returns NL_EXIT_USAGE.
 */
static int label_opt(const char *sub, const char *opt, enum nl_field f, const char *s, int *out)
{
    if (nl_label_parse(f, s, out) == 0)
        return 0;
    return nl_cli_usage_error("cadre", "cadre %s: unknown --%s '%s' (expected one of: %s)", sub,
                              opt, s, nl_label_choices(f));
}

/* --sex: F and M, then whatever labels.h reads (FEMALE, Nữ, nam...). */
static int sex_opt(const char *s, int *out)
{
    if (strcmp(s, "F") == 0 || strcmp(s, "f") == 0) {
        *out = NHANLUC__V1__SEX__SEX_FEMALE;
        return 0;
    }
    if (strcmp(s, "M") == 0 || strcmp(s, "m") == 0) {
        *out = NHANLUC__V1__SEX__SEX_MALE;
        return 0;
    }
    if (nl_label_parse(NL_F_SEX, s, out) == 0)
        return 0;
    return nl_cli_usage_error("cadre", "cadre set: unknown --sex '%s' (expected F, M, %s)", s,
                              nl_label_choices(NL_F_SEX));
}

/* A date in YYYY-MM-DD or DD/MM/YYYY into out as YYYY-MM-DD; NL_EXIT_USAGE after an error. */
static int date_opt(const char *sub, const char *opt, const char *s, char out[11])
{
    int32_t days;

    if (nl_date_parse_any(s, strlen(s), &days) == 0) {
        nl_date_format(days, out);
        return 0;
    }
    return nl_cli_usage_error(
        "cadre", "cadre %s: bad --%s '%s' (expected YYYY-MM-DD or DD/MM/YYYY)", sub, opt, s);
}

static int cadre_set(struct nl_cli *cli, int argc, char **argv)
{
    char *sex = NULL, *born = NULL, *name = NULL, *unit = NULL, *as_of = NULL, *title = NULL,
         *key = NULL, *level = NULL, *mgmt = NULL, *edu = NULL, *theory = NULL, *state = NULL;
    const struct nl_opt opts[] = {
        {"sex", 1, &sex},       {"born", 1, &born},     {"name", 1, &name},
        {"unit", 1, &unit},     {"as-of", 1, &as_of},   {"title", 1, &title},
        {"key-cadre", 1, &key}, {"level", 1, &level},   {"mgmt", 1, &mgmt},
        {"education", 1, &edu}, {"theory", 1, &theory}, {"state-mgmt", 1, &state},
        {NULL, 0, NULL},
    };
    /* The profile's enum flags, in the order of the fields they fill. */
    const struct {
        const char *opt;
        enum nl_field f;
        char *const *s; /* filled by nl_opts_parse */
    } enums[] = {
        {"level", NL_F_LEVEL, &level},           {"mgmt", NL_F_MGMT_CATEGORY, &mgmt},
        {"education", NL_F_EDUCATION, &edu},     {"theory", NL_F_POLITICAL_THEORY, &theory},
        {"state-mgmt", NL_F_STATE_MGMT, &state},
    };
    int ev[5] = {0, 0, 0, 0, 0};
    char *pos[1], err[256], date[11], num[16];
    Nhanluc__V1__UpsertCadreRequest req;
    Nhanluc__V1__Cadre cadre;
    Nhanluc__V1__CadreProfile profile;
    ProtobufCMessage *m;
    struct cadre_row row;
    int v, rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));
    int with_profile = 0;

    nhanluc__v1__upsert_cadre_request__init(&req);
    nhanluc__v1__cadre__init(&cadre);
    nhanluc__v1__cadre_profile__init(&profile);
    if (n < 0)
        return nl_cli_usage_error("cadre", "cadre set: %s", err);
    if (n < 1)
        return nl_cli_usage_error("cadre", "cadre set: missing CODE");
    if (sex == NULL || born == NULL)
        return nl_cli_usage_error("cadre", "cadre set: missing %s",
                                  sex == NULL ? "--sex" : "--born");
    cadre.cadre_code = pos[0];
    if ((rc = sex_opt(sex, &v)) != 0)
        return rc;
    cadre.sex = (Nhanluc__V1__Sex)v;
    if (nl_year_parse(born, &v) != 0)
        return nl_cli_usage_error("cadre", "cadre set: bad --born '%s' (expected a year)", born);
    cadre.birth_year = v;
    if (name != NULL)
        cadre.full_name = name;
    req.cadre = &cadre;

    /* Any profile flag sends a profile; the server names what is missing. */
    with_profile = unit != NULL || as_of != NULL || title != NULL || key != NULL;
    for (size_t i = 0; i < 5; i++) {
        if (*enums[i].s == NULL)
            continue;
        with_profile = 1;
        if ((rc = label_opt("set", enums[i].opt, enums[i].f, *enums[i].s, &ev[i])) != 0)
            return rc;
    }
    if (with_profile) {
        if (unit != NULL)
            profile.unit = unit;
        if (title != NULL)
            profile.position_title = title;
        if (as_of != NULL) {
            if ((rc = date_opt("set", "as-of", as_of, date)) != 0)
                return rc;
            profile.as_of = date;
        }
        if (key != NULL) {
            if ((rc = label_opt("set", "key-cadre", NL_F_BOOL, key, &v)) != 0)
                return rc;
            profile.key_cadre = v != 0;
        }
        profile.level = (Nhanluc__V1__Level)ev[0];
        profile.mgmt_category = (Nhanluc__V1__MgmtCategory)ev[1];
        profile.education = (Nhanluc__V1__Education)ev[2];
        profile.political_theory = (Nhanluc__V1__PoliticalTheory)ev[3];
        profile.state_mgmt = (Nhanluc__V1__StateMgmt)ev[4];
        req.profile = &profile;
    }

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/UpsertCadre", &req.base,
                             &nhanluc__v1__upsert_cadre_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__UpsertCadreResponse *resp = (Nhanluc__V1__UpsertCadreResponse *)m;
    if (resp->cadre == NULL) {
        rc = nl_cli_fail(NL_INTERNAL, "server returned no cadre");
    } else {
        const char *o = outcome_text(resp->outcome, num, sizeof(num));
        const char *const *vals = cadre_row(&row, resp->cadre, resp->profile, o);
        if (resp->profile != NULL) {
            rc = nl_cli_print_row(cli, cadre_cols, NCOLS_CADRE + NCOLS_PROFILE + 1, vals);
        } else {
            const char *only[NCOLS_CADRE + 1];
            memcpy(only, vals, NCOLS_CADRE * sizeof(*only));
            only[NCOLS_CADRE] = o;
            rc = nl_cli_print_row(cli, cadre_only_cols, NCOLS_CADRE + 1, only);
        }
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int cadre_show(struct nl_cli *cli, int argc, char **argv)
{
    char *pos[1], err[256];
    const struct nl_opt opts[] = {{NULL, 0, NULL}};
    Nhanluc__V1__GetCadreRequest req;
    ProtobufCMessage *m;
    struct nl_records r;
    struct cadre_row row;
    int rc, n = nl_opts_parse(argc, argv, opts, pos, 1, err, sizeof(err));

    nhanluc__v1__get_cadre_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("cadre", "cadre show: %s", err);
    if (n < 1)
        return nl_cli_usage_error("cadre", "cadre show: missing CODE");
    req.cadre_code = pos[0];

    rc = nl_cli_call_or_fail(cli, "/nhanluc.v1.Records/GetCadre", &req.base,
                             &nhanluc__v1__get_cadre_response__descriptor, &m);
    if (rc != 0)
        return rc;
    Nhanluc__V1__GetCadreResponse *resp = (Nhanluc__V1__GetCadreResponse *)m;
    if (resp->cadre == NULL) {
        protobuf_c_message_free_unpacked(m, NULL);
        return nl_cli_fail(NL_INTERNAL, "server returned no cadre");
    }
    /* One row per profile version, oldest first; a cadre without any: one row. */
    nl_records_init(&r, cadre_cols, NCOLS_CADRE + NCOLS_PROFILE);
    if (resp->n_profiles == 0)
        rc = nl_cli_add_row(&r, cadre_row(&row, resp->cadre, NULL, ""));
    for (size_t i = 0; rc == 0 && i < resp->n_profiles; i++)
        rc = nl_cli_add_row(&r, cadre_row(&row, resp->cadre, resp->profiles[i], ""));
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

/* One page of ListCadres into the records (nl_cli_page_fn). */
static int cadre_page(const ProtobufCMessage *m, unsigned long page, void *ud)
{
    const Nhanluc__V1__ListCadresResponse *resp = (const Nhanluc__V1__ListCadresResponse *)m;
    struct cadre_row row;
    int rc = 0;

    (void)page;
    for (size_t i = 0; rc == 0 && i < resp->n_cadres; i++) {
        const Nhanluc__V1__CadreAtDate *e = resp->cadres[i];
        if (e->cadre == NULL)
            rc = nl_cli_fail(NL_INTERNAL, "server returned a row without a cadre");
        else
            rc = nl_cli_add_row(ud, cadre_row(&row, e->cadre, e->profile, ""));
    }
    return rc;
}

static int cadre_list(struct nl_cli *cli, int argc, char **argv)
{
    char *unit = NULL, *as_of = NULL, *name = NULL, *pos[1], err[256], date[11];
    const struct nl_opt opts[] = {
        {"unit", 1, &unit}, {"as-of", 1, &as_of}, {"name", 1, &name}, {NULL, 0, NULL}};
    Nhanluc__V1__ListCadresRequest req;
    struct nl_records r;
    int rc = 0, n = nl_opts_parse(argc, argv, opts, pos, 0, err, sizeof(err));

    nhanluc__v1__list_cadres_request__init(&req);
    if (n < 0)
        return nl_cli_usage_error("cadre", "cadre list: %s", err);
    if (unit != NULL)
        req.unit = unit;
    if (name != NULL)
        req.name = name; /* matched by the server ignoring case and composition */
    if (as_of != NULL) {
        if ((rc = date_opt("list", "as-of", as_of, date)) != 0)
            return rc;
        req.as_of = date;
    }
    req.page_size = CADRE_PAGE_SIZE;
    nl_records_init(&r, cadre_cols, NCOLS_CADRE + NCOLS_PROFILE);

    rc = nl_cli_pages(cli, "/nhanluc.v1.Records/ListCadres", &req.base, &req.page_token,
                      &nhanluc__v1__list_cadres_response__descriptor, CADRE_MAX_PAGES, cadre_page,
                      &r);
    if (rc == 0)
        rc = nl_cli_print(cli, &r, 0);
    nl_records_release(&r);
    return rc;
}

static const struct nl_cli_sub cadre_subs[] = {
    {"set", cadre_set},
    {"show", cadre_show},
    {"list", cadre_list},
    {NULL, NULL},
};

int nl_cmd_cadre(struct nl_cli *cli, int argc, char **argv)
{
    return nl_cli_dispatch(cli, "cadre", cadre_subs, "set, show or list", argc, argv);
}
