/*
 * test_units.c - units with history in the store (store_units.c): the
 * migration of a schema-1 database, versions in a timeline, the tree as of a
 * date, lifecycle events (merge, split, rename, dissolve) and their replay,
 * the children of the units an event closes (moved under the parent or the
 * target, or a SPLIT refused), history, lineage and term instances.
 *
 * Each write runs the way the writer runs a job: BEGIN IMMEDIATE, SAVEPOINT,
 * the store call, RELEASE (or ROLLBACK TO on failure), COMMIT. Stores live in
 * a temporary directory removed in teardown. The migration test builds its
 * schema-1 database with SQLite directly (the text of migration 1), since
 * nl_store_open would migrate it at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "../support/store_fixture.h"

enum { CITY = 1, URBAN = 2, RURAL = 3, WARD = 6, COMMUNE = 7 };
enum { MERGE = 1, SPLIT = 2, RENAME = 3, DISSOLVE = 4 };

struct fx {
    struct sf_db db; /* only db.rw is opened */
    struct nl_arena arena;
};

static struct fx *g;

static int setup_dir(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));

    if (fx == NULL)
        return -1;
    if (sf_db_dir(&fx->db, "units") != 0) {
        free(fx);
        return -1;
    }
    nl_arena_init(&fx->arena, 0);
    g = fx;
    *state = fx;
    return 0;
}

/* A fixture with an open, empty store. */
static int setup(void **state)
{
    char err[512];

    if (setup_dir(state) != 0)
        return -1;
    if (nl_store_open(g->db.path, NL_STORE_READWRITE, &g->db.rw, err, sizeof(err)) != NL_OK) {
        (void)fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    int rc = sf_db_close(&fx->db);

    nl_arena_release(&fx->arena);
    free(fx);
    g = NULL;
    return rc;
}

/* --- write helpers: one job each --- */

static void job_begin(void)
{
    sf_write_begin(g->db.rw);
}

static void job_end(enum nl_status res)
{
    sf_write_end(g->db.rw, res);
}

static char msg[256];

/* CreateUnit of one version; *created (may be NULL) and msg tell the outcome. */
static enum nl_status put(const char *code, const char *name, int kind, const char *parent,
                          const char *from, const char *to, int *created)
{
    struct nl_unit_rec u = {code, name, kind, parent, from, to};
    int c = -1;
    enum nl_status res;

    job_begin();
    res = nl_store_unit_create(g->db.rw, &u, &c, msg, sizeof(msg));
    job_end(res);
    if (created != NULL)
        *created = c;
    return res;
}

static void put_ok(const char *code, const char *name, int kind, const char *parent,
                   const char *from, const char *to)
{
    int created = 0;
    enum nl_status res = put(code, name, kind, parent, from, to, &created);

    if (res != NL_OK)
        fail_msg("put %s from '%s': %d %s", code, from, res, msg);
    assert_int_equal(created, 1);
}

/* Splits "a,b,c" into out[] (pointers into buf); returns the count. */
static size_t split(const char *list, char *buf, size_t buflen, const char **out, size_t max)
{
    size_t n = 0;

    (void)snprintf(buf, buflen, "%s", list);
    if (buf[0] == '\0')
        return 0;
    for (char *p = buf; n < max;) {
        char *c = strchr(p, ',');
        out[n++] = p;
        if (c == NULL)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static struct nl_unit_event_rec last_event;

/* RecordUnitEvent; sources and targets as "a,b". */
static enum nl_status event(int kind, const char *date, const char *sources, const char *targets,
                            const char *basis, int *created)
{
    static char sbuf[256], tbuf[256];
    const char *src[16], *dst[16];
    struct nl_unit_event_rec ev = {kind, date, src, 0, dst, 0, basis};
    int c = -1;
    enum nl_status res;

    ev.nsources = split(sources, sbuf, sizeof(sbuf), src, 16);
    ev.ntargets = split(targets, tbuf, sizeof(tbuf), dst, 16);
    job_begin();
    res = nl_store_unit_event_record(g->db.rw, &ev, &last_event, &c, msg, sizeof(msg), &g->arena);
    job_end(res);
    if (created != NULL)
        *created = c;
    return res;
}

static void event_ok(int kind, const char *date, const char *sources, const char *targets)
{
    int created = 0;
    enum nl_status res = event(kind, date, sources, targets, "", &created);

    if (res != NL_OK)
        fail_msg("event %d %s: %d %s", kind, date, res, msg);
    assert_int_equal(created, 1);
}

/* --- read helpers --- */

/* The version of `code` starting on `from`, failing the test when absent. */
static struct nl_unit_rec version(const char *code, const char *from)
{
    struct nl_unit_rec r;
    enum nl_status res = nl_store_unit_version_get(g->db.rw, code, from, &r, &g->arena);

    if (res != NL_OK)
        fail_msg("version %s from '%s': %d", code, from, res);
    return r;
}

/* "code,code,..." of the tree on `as_of` (children of parent when non-empty). */
static const char *tree(const char *parent, const char *as_of)
{
    static char out[1024];
    struct nl_unit_rec *rows;
    size_t n, off = 0;
    int more;

    assert_int_equal(
        nl_store_unit_list(g->db.rw, parent, as_of, NULL, "", 1000, &rows, &n, &more, &g->arena),
        NL_OK);
    assert_int_equal(more, 0);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        off +=
            (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", i > 0 ? "," : "", rows[i].code);
    return out;
}

/* Lineage as "code<via:kind:date;..." */
static const char *lineage(const char *code, int direction)
{
    static char out[1024];
    struct nl_lineage_step *steps;
    size_t n, off = 0;

    assert_int_equal(nl_store_unit_lineage(g->db.rw, code, direction, &steps, &n, &g->arena),
                     NL_OK);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s<%s:%d:%s", i > 0 ? ";" : "",
                                steps[i].code, steps[i].via_code, steps[i].kind,
                                steps[i].effective_date);
    return out;
}

/* "from..to" of every version of code, oldest first, ";"-separated ("" shown as "-"). */
static const char *timeline(const char *code)
{
    static char out[1024];
    struct nl_unit_rec *v;
    struct nl_unit_event_rec *e;
    size_t nv, ne, off = 0;

    assert_int_equal(nl_store_unit_history(g->db.rw, code, &v, &nv, &e, &ne, &g->arena), NL_OK);
    out[0] = '\0';
    for (size_t i = 0; i < nv; i++)
        off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s..%s@%s", i > 0 ? ";" : "",
                                v[i].valid_from[0] ? v[i].valid_from : "-",
                                v[i].valid_to[0] ? v[i].valid_to : "-",
                                v[i].parent[0] ? v[i].parent : "-");
    return out;
}

static void query(const char *sql, const char *want)
{
    char got[512];

    assert_int_equal(nl_store_test_query(g->db.rw, sql, got, sizeof(got)), NL_OK);
    if (strcmp(got, want) != 0)
        fail_msg("%s = '%s', want '%s'", sql, got, want);
}

/* A snapshot of every version row, to show that a call changed nothing. */
static char *versions_dump(void)
{
    char *out = malloc(4096);

    assert_non_null(out);
    assert_int_equal(nl_store_test_query(g->db.rw,
                                         "SELECT group_concat(x, ';') FROM (SELECT v.id || ':' ||"
                                         " u.code || ':' || v.name || ':' || v.kind || ':' ||"
                                         " COALESCE(v.parent_id, '') || ':' || v.valid_from ||"
                                         " ':' || COALESCE(v.valid_to, '') AS x FROM unit_version"
                                         " AS v JOIN unit AS u ON u.id = v.unit_id ORDER BY v.id)",
                                         out, 4096),
                     NL_OK);
    return out;
}

/* --- migration --- */

/* Migration 1 exactly as released: the schema-1 database a site may hold. */
static const char v1_schema[] =
    "CREATE TABLE unit("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  kind INTEGER NOT NULL CHECK(kind BETWEEN 1 AND 8),"
    "  parent_id INTEGER REFERENCES unit(id),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ");"
    "CREATE INDEX unit_parent ON unit(parent_id, code);"
    "CREATE TABLE term("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL CHECK(kind IN (1, 2)),"
    "  start_year INTEGER NOT NULL,"
    "  end_year INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  CHECK(start_year < end_year)"
    ");"
    "PRAGMA user_version = 1;";

static void test_migration_from_v1(void **state)
{
    char err[512];
    sqlite3 *db = NULL;
    struct nl_unit_rec r;
    (void)state;

    assert_int_equal(sqlite3_open(g->db.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA foreign_keys = ON; BEGIN;", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, v1_schema, NULL, NULL, NULL), SQLITE_OK);
    /* Ids out of code order, a three-level tree, and a created_at to keep. */
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO unit(id, code, name, kind, parent_id, created_at) VALUES"
                     " (7, 'ha-noi', 'Hà Nội', 1, NULL, '2024-01-02T03:04:05.000Z'),"
                     " (3, 'tay-ho', 'Tây Hồ', 2, 7, '2024-01-02T03:04:06.000Z'),"
                     " (5, 'buoi', 'Bưởi', 6, 3, '2024-01-02T03:04:07.000Z'),"
                     " (9, 'thanh-tri', 'Thanh Trì', 3, 7, '2024-01-02T03:04:08.000Z');"
                     "INSERT INTO term(code, kind, start_year, end_year)"
                     " VALUES ('2020-2025', 1, 2020, 2025);"
                     "COMMIT;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    assert_int_equal(nl_store_open(g->db.path, NL_STORE_READWRITE, &g->db.rw, err, sizeof(err)),
                     NL_OK);
    assert_int_equal(nl_store_schema_version(g->db.rw), NL_STORE_SCHEMA_VERSION);
    assert_true(NL_STORE_SCHEMA_VERSION >= 3); /* later migrations leave units alone */

    /* Every unit is one version valid since always, with its parent and identity. */
    query("SELECT count(*) FROM unit", "4");
    query("SELECT count(*) FROM unit_version WHERE valid_from = '0001-01-01' AND valid_to IS NULL",
          "4");
    query("SELECT group_concat(u.code || '=' || u.id || '<' || COALESCE(p.code, '-'), ',') FROM"
          " (SELECT * FROM unit_version ORDER BY unit_id) AS v JOIN unit AS u ON u.id = v.unit_id"
          " LEFT JOIN unit AS p ON p.id = v.parent_id",
          "tay-ho=3<ha-noi,buoi=5<tay-ho,ha-noi=7<-,thanh-tri=9<ha-noi");
    query("SELECT created_at FROM unit WHERE code = 'buoi'", "2024-01-02T03:04:07.000Z");
    assert_int_equal(nl_store_unit_get(g->db.rw, "buoi", &r, &g->arena), NL_OK);
    assert_string_equal(r.name, "Bưởi");
    assert_int_equal(r.kind, WARD);
    assert_string_equal(r.parent, "tay-ho");
    assert_string_equal(r.valid_from, "");
    assert_string_equal(r.valid_to, "");
    assert_string_equal(tree("tay-ho", "2024-06-01"), "buoi");
    assert_string_equal(tree("", "1900-01-01"), "buoi,ha-noi,tay-ho,thanh-tri");

    /* The self-reference survived the rebuild: it names the new unit table, and holds. */
    query("SELECT count(*) FROM sqlite_schema WHERE name = 'unit_v1' OR sql LIKE '%unit_v1%'", "0");
    query("SELECT group_concat(\"from\" || '>' || \"table\" || '.' || \"to\", ',') FROM"
          " (SELECT * FROM pragma_foreign_key_list('unit_version') ORDER BY \"from\")",
          "parent_id>unit.id,unit_id>unit.id");
    query("SELECT count(*) FROM pragma_foreign_key_check", "0");
    assert_int_not_equal(nl_store_test_exec(g->db.rw,
                                            "INSERT INTO unit_version(unit_id, name, kind,"
                                            " parent_id, valid_from) VALUES"
                                            " (5, 'X', 6, 999, '2030-01-01')"),
                         NL_OK);
    query("SELECT count(*) FROM term", "1");

    /* And the migrated tree takes new versions like any other. */
    put_ok("buoi", "Phường Bưởi", WARD, "ha-noi", "2025-07-01", "");
    assert_string_equal(timeline("buoi"), "-..2025-06-30@tay-ho;2025-07-01..-@ha-noi");
}

/* --- versions --- */

static void test_version_timeline(void **state)
{
    struct nl_unit_rec r;
    int created = -1;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("thanh-tri", "Huyện Thanh Trì", RURAL, "ha-noi", "", "");
    r = version("thanh-tri", "");
    assert_string_equal(r.valid_from, "");
    assert_string_equal(r.valid_to, "");

    /* A later version closes the current one the day before. */
    put_ok("thanh-tri", "Xã Thanh Trì", COMMUNE, "ha-noi", "2025-07-01", "");
    assert_string_equal(timeline("thanh-tri"), "-..2025-06-30@ha-noi;2025-07-01..-@ha-noi");
    /* One in between ends the day before the next and closes the one before it. */
    put_ok("thanh-tri", "Huyện Thanh Trì mới", RURAL, "ha-noi", "2010-01-01", "");
    assert_string_equal(timeline("thanh-tri"),
                        "-..2009-12-31@ha-noi;2010-01-01..2025-06-30@ha-noi;2025-07-01..-@ha-noi");
    assert_int_equal(nl_store_unit_get(g->db.rw, "thanh-tri", &r, &g->arena), NL_OK);
    assert_string_equal(r.name, "Xã Thanh Trì");
    assert_int_equal(r.kind, COMMUNE);
    assert_string_equal(r.valid_from, "2025-07-01");

    /* Replay of a version: nothing changes. */
    char *before = versions_dump();
    assert_int_equal(
        put("thanh-tri", "Huyện Thanh Trì mới", RURAL, "ha-noi", "2010-01-01", "", &created),
        NL_OK);
    assert_int_equal(created, 0);
    assert_int_equal(put("thanh-tri", "Huyện Thanh Trì mới", RURAL, "ha-noi", "2010-01-01",
                         "2025-06-30", &created),
                     NL_OK);
    assert_int_equal(created, 0);
    /* Same key, other content: a conflict, naming the field and never the value. */
    assert_int_equal(put("thanh-tri", "Other", RURAL, "ha-noi", "2010-01-01", "", &created),
                     NL_ALREADY_EXISTS);
    assert_int_equal(created, 0);
    assert_non_null(strstr(msg, "unit.code:"));
    assert_null(strstr(msg, "Other"));
    assert_int_equal(put("thanh-tri", "Huyện Thanh Trì mới", RURAL, "ha-noi", "2010-01-01",
                         "2024-12-31", &created),
                     NL_ALREADY_EXISTS);
    assert_non_null(strstr(msg, "unit.valid_to:"));
    /* A version whose valid_to reaches into the next one. */
    assert_int_equal(put("thanh-tri", "T", RURAL, "ha-noi", "2000-01-01", "2010-01-01", &created),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "unit.valid_to: reaches into the next version of the unit");
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* A current version closed by a later import; an empty valid_to never reopens it. */
    assert_int_equal(
        put("thanh-tri", "Xã Thanh Trì", COMMUNE, "ha-noi", "2025-07-01", "2030-12-31", &created),
        NL_OK);
    assert_int_equal(created, 0);
    assert_int_equal(
        put("thanh-tri", "Xã Thanh Trì", COMMUNE, "ha-noi", "2025-07-01", "", &created), NL_OK);
    assert_string_equal(version("thanh-tri", "2025-07-01").valid_to, "2030-12-31");
    assert_string_equal(tree("", "2031-01-01"), "ha-noi");
    assert_string_equal(tree("", "2030-12-31"), "ha-noi,thanh-tri");

    /* A unit known to have ended, created with both dates. */
    put_ok("dong-da", "Đống Đa cũ", URBAN, "ha-noi", "2000-01-01", "2008-07-31");
    assert_int_equal(nl_store_unit_get(g->db.rw, "dong-da", &r, &g->arena), NL_OK);
    assert_string_equal(r.valid_to, "2008-07-31");
    assert_string_equal(tree("ha-noi", "2005-05-05"), "dong-da,thanh-tri");
    assert_string_equal(tree("ha-noi", "2008-08-01"), "thanh-tri");
    assert_string_equal(tree("ha-noi", "1999-12-31"), "thanh-tri");
}

static void test_version_parent_rules(void **state)
{
    int created = -1;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("dong-da", "Đống Đa", URBAN, "ha-noi", "2000-01-01", "2008-07-31");
    put_ok("tay-ho", "Tây Hồ", URBAN, "ha-noi", "", "");
    put_ok("buoi", "Bưởi", WARD, "tay-ho", "", "");

    assert_int_equal(put("x", "X", WARD, "nowhere", "", "", &created), NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "unit.parent: no such unit");
    /* The parent must be valid on valid_from (since always included). */
    assert_int_equal(put("x", "X", WARD, "dong-da", "2010-01-01", "", &created),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "unit.parent: not valid on unit.valid_from");
    assert_int_equal(put("x", "X", WARD, "dong-da", "", "", &created), NL_INVALID_ARGUMENT);
    put_ok("x", "X", WARD, "dong-da", "2001-01-01", "2008-07-31");
    /* A unit under its own descendant: refused. */
    assert_int_equal(put("tay-ho", "Tây Hồ", URBAN, "buoi", "2020-01-01", "", &created),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "unit.parent: would make the unit its own ancestor");
    assert_string_equal(timeline("tay-ho"), "-..-@ha-noi");
    assert_string_equal(timeline("x"), "2001-01-01..2008-07-31@dong-da");

    /* A unit can be re-established after a gap; the gap stays. */
    put_ok("x", "X mới", WARD, "tay-ho", "2020-01-01", "");
    assert_string_equal(timeline("x"), "2001-01-01..2008-07-31@dong-da;2020-01-01..-@tay-ho");
    assert_string_equal(tree("tay-ho", "2019-06-01"), "buoi");
    assert_string_equal(tree("tay-ho", "2020-06-01"), "buoi,x");

    int valid = -1;
    assert_int_equal(nl_store_unit_valid_on(g->db.rw, "x", "2010-01-01", &valid), NL_OK);
    assert_int_equal(valid, 0);
    assert_int_equal(nl_store_unit_valid_on(g->db.rw, "x", "2008-07-31", &valid), NL_OK);
    assert_int_equal(valid, 1);
    assert_int_equal(nl_store_unit_valid_on(g->db.rw, "nowhere", "2008-07-31", &valid),
                     NL_NOT_FOUND);
}

/* --- events --- */

/* ha-noi > thanh-tri > xa-a, xa-b (since always); xa-ab under ha-noi from 2025-07-01. */
static void merge_world(void)
{
    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("thanh-tri", "Huyện Thanh Trì", RURAL, "ha-noi", "", "");
    put_ok("xa-a", "Xã A", COMMUNE, "thanh-tri", "", "");
    put_ok("xa-b", "Xã B", COMMUNE, "thanh-tri", "", "");
    put_ok("xa-ab", "Xã AB", COMMUNE, "ha-noi", "2025-07-01", "");
}

static void test_merge_as_of_and_replay(void **state)
{
    struct nl_unit_rec r;
    int created = -1;
    (void)state;

    merge_world();
    assert_string_equal(tree("", "2025-06-30"), "ha-noi,thanh-tri,xa-a,xa-b");
    assert_string_equal(tree("", "2025-07-01"), "ha-noi,thanh-tri,xa-a,xa-ab,xa-b");

    assert_int_equal(
        event(MERGE, "2025-07-01", "xa-b,xa-a", "xa-ab", "Nghị quyết 1656/NQ-UBTVQH15", &created),
        NL_OK);
    assert_int_equal(created, 1);
    assert_int_equal(last_event.kind, MERGE);
    assert_int_equal(last_event.nsources, 2);
    assert_string_equal(last_event.sources[0], "xa-a");
    assert_string_equal(last_event.sources[1], "xa-b");
    assert_string_equal(last_event.targets[0], "xa-ab");

    /* Before the merge the sources are in the tree; from its date, the target. */
    assert_string_equal(tree("", "2025-06-30"), "ha-noi,thanh-tri,xa-a,xa-b");
    assert_string_equal(tree("", "2025-07-01"), "ha-noi,thanh-tri,xa-ab");
    assert_string_equal(tree("thanh-tri", "2025-06-30"), "xa-a,xa-b");
    assert_string_equal(tree("thanh-tri", "2025-07-01"), "");
    assert_string_equal(tree("ha-noi", "2025-07-01"), "thanh-tri,xa-ab");
    assert_string_equal(timeline("xa-a"), "-..2025-06-30@thanh-tri");
    assert_int_equal(nl_store_unit_get(g->db.rw, "xa-a", &r, &g->arena), NL_OK);
    assert_string_equal(r.valid_to, "2025-06-30");

    /* Replay, in any order of the codes: created = 0, nothing changes. */
    char *before = versions_dump();
    assert_int_equal(
        event(MERGE, "2025-07-01", "xa-a,xa-b", "xa-ab", "Nghị quyết 1656/NQ-UBTVQH15", &created),
        NL_OK);
    assert_int_equal(created, 0);
    assert_string_equal(last_event.legal_basis, "Nghị quyết 1656/NQ-UBTVQH15");
    assert_int_equal(last_event.nsources, 2);
    assert_int_equal(last_event.ntargets, 1);
    /* The same key with another legal basis is a conflict with the recorded event. */
    assert_int_equal(event(MERGE, "2025-07-01", "xa-a,xa-b", "xa-ab", "khác", &created),
                     NL_FAILED_PRECONDITION);
    assert_string_equal(msg, "event.legal_basis: differs from the recorded event");
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);
    query("SELECT count(*) FROM unit_event", "1");
    query("SELECT count(*) FROM unit_event_unit", "3");
    query("SELECT event_key FROM unit_event", "MERGE|2025-07-01|xa-a,xa-b|xa-ab");
}

static void test_event_already_reflected(void **state)
{
    int created = -1;
    (void)state;

    /* Version rows imported with their closures first (an export), then the event. */
    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("xa-c", "Xã C", COMMUNE, "ha-noi", "", "2025-06-30");
    put_ok("xa-d", "Xã D", COMMUNE, "ha-noi", "", "2025-06-30");
    put_ok("xa-cd", "Xã CD", COMMUNE, "ha-noi", "2025-07-01", "");
    char *before = versions_dump();
    assert_int_equal(event(MERGE, "2025-07-01", "xa-c,xa-d", "xa-cd", "", &created), NL_OK);
    assert_int_equal(created, 1);
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* Re-importing a version row never clears the valid_to an event set. */
    put_ok("xa-e", "Xã E", COMMUNE, "ha-noi", "", "");
    event_ok(MERGE, "2025-07-01", "xa-e", "xa-cd");
    assert_int_equal(put("xa-e", "Xã E", COMMUNE, "ha-noi", "", "", &created), NL_OK);
    assert_int_equal(created, 0);
    assert_string_equal(timeline("xa-e"), "-..2025-06-30@ha-noi");
    /* Nor does a version inserted before the closure: it ends where the unit ended. */
    put_ok("xa-e", "Xã E mới", COMMUNE, "ha-noi", "2020-01-01", "");
    assert_string_equal(timeline("xa-e"), "-..2019-12-31@ha-noi;2020-01-01..2025-06-30@ha-noi");
    assert_string_equal(tree("", "2025-07-01"), "ha-noi,xa-cd");
}

static void test_event_checks(void **state)
{
    int created = -1;
    (void)state;

    merge_world();
    put_ok("late", "Late", COMMUNE, "ha-noi", "2025-08-01", "");
    char *before = versions_dump();

    assert_int_equal(event(MERGE, "2025-07-01", "xa-a,nowhere", "xa-ab", "", &created),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "event.sources[1]: no such unit");
    assert_int_equal(created, 0);
    assert_int_equal(event(MERGE, "2025-07-01", "late", "xa-ab", "", &created),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "event.sources[0]: not valid the day before event.effective_date");
    assert_int_equal(event(MERGE, "2025-07-01", "xa-a", "nowhere", "", &created),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "event.targets[0]: no such unit");
    assert_int_equal(event(MERGE, "2025-07-01", "xa-a", "late", "", &created), NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "event.targets[0]: not valid on event.effective_date");
    /* xa-ab only exists from 2025-07-01: a merge into it a day early is refused. */
    assert_int_equal(event(MERGE, "2025-06-30", "xa-a", "xa-ab", "", &created),
                     NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "event.targets[0]: not valid on event.effective_date");
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);
    query("SELECT count(*) FROM unit_event", "0");

    /* A source with a version from the date on cannot close then. */
    put_ok("xa-f", "Xã F", COMMUNE, "ha-noi", "", "");
    put_ok("xa-f", "Xã F mới", COMMUNE, "ha-noi", "2026-01-01", "");
    assert_int_equal(event(DISSOLVE, "2025-09-01", "xa-f", "", "", &created),
                     NL_FAILED_PRECONDITION);
    assert_string_equal(msg, "event.sources[0]: has versions from event.effective_date on");
    /* A unit without a parent cannot be dissolved while it has children. */
    assert_int_equal(event(DISSOLVE, "2025-09-01", "ha-noi", "", "", &created),
                     NL_FAILED_PRECONDITION);
    assert_string_equal(msg, "event.sources[0]: has children and no parent to move them to");
    query("SELECT count(*) FROM unit_event", "0");
}

static void test_dissolve_moves_children(void **state)
{
    int created = -1;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("quan-x", "Quận X", URBAN, "ha-noi", "", "");
    put_ok("quan-y", "Quận Y", URBAN, "ha-noi", "", "");
    put_ok("w1", "Phường 1", WARD, "quan-x", "", "");
    put_ok("w2", "Phường 2", WARD, "quan-x", "", "2025-06-30"); /* ended before */
    put_ok("w3", "Phường 3", WARD, "quan-x", "", "");
    put_ok("w3", "Phường 3", WARD, "quan-y", "2025-07-01", ""); /* already elsewhere */
    put_ok("w4", "Phường 4", WARD, "quan-x", "2025-07-01", ""); /* opens that very day */
    assert_string_equal(tree("quan-x", "2025-06-30"), "w1,w2,w3");

    assert_int_equal(event(DISSOLVE, "2025-07-01", "quan-x", "", "NQ 01", &created), NL_OK);
    assert_int_equal(created, 1);
    assert_int_equal(last_event.ntargets, 0);
    assert_string_equal(timeline("quan-x"), "-..2025-06-30@ha-noi");
    assert_string_equal(timeline("w1"), "-..2025-06-30@quan-x;2025-07-01..-@ha-noi");
    assert_string_equal(timeline("w2"), "-..2025-06-30@quan-x");
    assert_string_equal(timeline("w3"), "-..2025-06-30@quan-x;2025-07-01..-@quan-y");
    assert_string_equal(timeline("w4"), "2025-07-01..-@ha-noi");
    assert_string_equal(version("w1", "2025-07-01").name, "Phường 1");
    assert_int_equal(version("w1", "2025-07-01").kind, WARD);
    assert_string_equal(tree("quan-x", "2025-06-30"), "w1,w2,w3");
    assert_string_equal(tree("quan-x", "2025-07-01"), "");
    assert_string_equal(tree("ha-noi", "2025-07-01"), "quan-y,w1,w4");
    assert_string_equal(tree("quan-y", "2025-07-01"), "w3");

    /* Replay changes nothing. */
    char *before = versions_dump();
    assert_int_equal(event(DISSOLVE, "2025-07-01", "quan-x", "", "NQ 01", &created), NL_OK);
    assert_int_equal(created, 0);
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/*
 * ha-noi > r-old (2010..) > r-old-x, r-old-y, r-old-z (ended 2022-06-30);
 * r-new under ha-noi from 2023-01-01. r-old-y already has a version under
 * ha-noi from 2023-01-01 (placed elsewhere by a version row).
 */
static void rename_world(void)
{
    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("r-old", "Huyện Cũ", RURAL, "ha-noi", "2010-01-01", "");
    put_ok("r-old-x", "Xã X", COMMUNE, "r-old", "2010-01-01", "");
    put_ok("r-old-y", "Xã Y", COMMUNE, "r-old", "2010-01-01", "");
    put_ok("r-old-z", "Xã Z", COMMUNE, "r-old", "2010-01-01", "2022-06-30");
    put_ok("r-new", "Thị xã Mới", RURAL, "ha-noi", "2023-01-01", "");
    put_ok("r-old-y", "Phường Y", WARD, "ha-noi", "2023-01-01", "");
}

static void test_rename_moves_children(void **state)
{
    int created = -1;
    (void)state;

    rename_world();
    assert_int_equal(event(RENAME, "2023-01-01", "r-old", "r-new", "QĐ 1", &created), NL_OK);
    assert_int_equal(created, 1);
    assert_string_equal(timeline("r-old"), "2010-01-01..2022-12-31@ha-noi");
    /* The child still under r-old on the date moves under r-new; every version is kept. */
    assert_string_equal(timeline("r-old-x"), "2010-01-01..2022-12-31@r-old;2023-01-01..-@r-new");
    assert_string_equal(version("r-old-x", "2023-01-01").name, "Xã X");
    assert_int_equal(version("r-old-x", "2023-01-01").kind, COMMUNE);
    /* One already placed elsewhere by a version row, one ended before: left as they are. */
    assert_string_equal(timeline("r-old-y"), "2010-01-01..2022-12-31@r-old;2023-01-01..-@ha-noi");
    assert_string_equal(timeline("r-old-z"), "2010-01-01..2022-06-30@r-old");
    assert_string_equal(tree("r-new", "2023-06-01"), "r-old-x");
    assert_string_equal(tree("r-old", "2022-12-31"), "r-old-x,r-old-y");
    /* The city's subtree still holds the child on and after the date. */
    assert_string_equal(tree("", "2023-06-01"), "ha-noi,r-new,r-old-x,r-old-y");

    /* Replay changes nothing. */
    char *before = versions_dump();
    assert_int_equal(event(RENAME, "2023-01-01", "r-old", "r-new", "QĐ 1", &created), NL_OK);
    assert_int_equal(created, 0);
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* Re-importing the child's original row changes nothing either. */
    assert_int_equal(put("r-old-x", "Xã X", COMMUNE, "r-old", "2010-01-01", "", &created), NL_OK);
    assert_int_equal(created, 0);
    assert_string_equal(timeline("r-old-x"), "2010-01-01..2022-12-31@r-old;2023-01-01..-@r-new");
}

/* A version of the child starting on the date that still names the source only changes parent. */
static void test_rename_child_version_on_the_date(void **state)
{
    (void)state;

    rename_world();
    put_ok("r-old-x", "Xã X mới", COMMUNE, "r-old", "2023-01-01", "");
    event_ok(RENAME, "2023-01-01", "r-old", "r-new");
    assert_string_equal(timeline("r-old-x"), "2010-01-01..2022-12-31@r-old;2023-01-01..-@r-new");
    assert_string_equal(version("r-old-x", "2023-01-01").name, "Xã X mới");
}

static void test_merge_moves_children_of_every_source(void **state)
{
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("q-a", "Quận A", URBAN, "ha-noi", "", "");
    put_ok("q-b", "Quận B", URBAN, "ha-noi", "", "");
    put_ok("q-ab", "Quận AB", URBAN, "ha-noi", "2020-01-01", "");
    put_ok("w-a1", "Phường A1", WARD, "q-a", "", "");
    put_ok("w-a2", "Phường A2", WARD, "q-a", "", "2030-12-31"); /* a known end is kept */
    put_ok("w-b1", "Phường B1", WARD, "q-b", "", "");
    put_ok("w-b1-t", "Tổ B1", WARD, "w-b1", "", ""); /* a grandchild moves with its parent */

    event_ok(MERGE, "2020-01-01", "q-b,q-a", "q-ab");
    assert_string_equal(timeline("w-a1"), "-..2019-12-31@q-a;2020-01-01..-@q-ab");
    assert_string_equal(timeline("w-a2"), "-..2019-12-31@q-a;2020-01-01..2030-12-31@q-ab");
    assert_string_equal(timeline("w-b1"), "-..2019-12-31@q-b;2020-01-01..-@q-ab");
    assert_string_equal(timeline("w-b1-t"), "-..-@w-b1");
    assert_string_equal(tree("q-ab", "2020-01-01"), "w-a1,w-a2,w-b1");
    assert_string_equal(tree("q-a", "2020-01-01"), "");
    assert_string_equal(tree("", "2020-01-01"), "ha-noi,q-ab,w-a1,w-a2,w-b1,w-b1-t");
    assert_string_equal(tree("", "2019-12-31"), "ha-noi,q-a,q-b,w-a1,w-a2,w-b1,w-b1-t");
}

/* A source under another source closes with it; its own children go to the target. */
static void test_merge_source_under_source(void **state)
{
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("d", "Huyện D", RURAL, "ha-noi", "", "");
    put_ok("x", "Xã X", COMMUNE, "d", "", "");
    put_ok("x-1", "Thôn 1", COMMUNE, "x", "", "");
    put_ok("t", "Thị xã T", URBAN, "ha-noi", "2025-07-01", "");
    event_ok(MERGE, "2025-07-01", "d,x", "t");
    assert_string_equal(timeline("x"), "-..2025-06-30@d");
    assert_string_equal(timeline("x-1"), "-..2025-06-30@x;2025-07-01..-@t");
    assert_string_equal(tree("", "2025-07-01"), "ha-noi,t,x-1");
}

static void test_split_with_attached_child_is_refused(void **state)
{
    int created = -1;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("s", "Huyện S", RURAL, "ha-noi", "", "");
    put_ok("s1", "Huyện S1", RURAL, "ha-noi", "2021-01-01", "");
    put_ok("s2", "Huyện S2", RURAL, "ha-noi", "2021-01-01", "");
    put_ok("s-b", "Xã B", COMMUNE, "s", "", "");
    put_ok("s-a", "Xã A", COMMUNE, "s", "", "");
    put_ok("s-c", "Xã C", COMMUNE, "s", "", "2020-12-31"); /* ended before: not in the way */
    char *before = versions_dump();

    assert_int_equal(event(SPLIT, "2021-01-01", "s", "s1,s2", "", &created),
                     NL_FAILED_PRECONDITION);
    assert_int_equal(created, 0);
    assert_string_equal(msg, "event.sources[0]: unit 's-a' is still under it on"
                             " event.effective_date; place its children under one of the"
                             " targets first (a version row from that date)");
    /* A MERGE into several targets cannot tell where the children go either. */
    assert_int_equal(event(MERGE, "2021-01-01", "s", "s1,s2", "", &created),
                     NL_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "unit 's-a' is still under it"));
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);
    query("SELECT count(*) FROM unit_event", "0");

    /* Once the user has placed the children, the split goes through and moves nothing. */
    put_ok("s-a", "Xã A", COMMUNE, "s1", "2021-01-01", "");
    assert_int_equal(event(SPLIT, "2021-01-01", "s", "s1,s2", "", &created),
                     NL_FAILED_PRECONDITION);
    assert_non_null(strstr(msg, "unit 's-b' is still under it"));
    put_ok("s-b", "Xã B", COMMUNE, "s2", "2021-01-01", "");
    event_ok(SPLIT, "2021-01-01", "s", "s1,s2");
    assert_string_equal(timeline("s"), "-..2020-12-31@ha-noi");
    assert_string_equal(timeline("s-a"), "-..2020-12-31@s;2021-01-01..-@s1");
    assert_string_equal(timeline("s-b"), "-..2020-12-31@s;2021-01-01..-@s2");
    assert_string_equal(tree("", "2021-01-01"), "ha-noi,s-a,s-b,s1,s2");
    /* Only the source's own closure was written: no version was added. */
    query("SELECT count(*) FROM unit_version", "9");
}

/* A target that is, or lies under, a child of a source would become its own ancestor. */
static void test_merge_into_own_child_is_refused(void **state)
{
    int created = -1;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("d", "Huyện D", RURAL, "ha-noi", "", "");
    put_ok("x", "Xã X", COMMUNE, "d", "", "");
    put_ok("x-1", "Thôn 1", COMMUNE, "x", "", "");
    char *before = versions_dump();
    assert_int_equal(event(RENAME, "2025-07-01", "d", "x", "", &created), NL_FAILED_PRECONDITION);
    assert_string_equal(msg, "event.targets[0]: lies under event.sources[0] on"
                             " event.effective_date");
    assert_int_equal(event(MERGE, "2025-07-01", "d", "x-1", "", &created), NL_FAILED_PRECONDITION);
    assert_string_equal(msg, "event.targets[0]: lies under event.sources[0] on"
                             " event.effective_date");
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);
    query("SELECT count(*) FROM unit_event", "0");
    /* A ward merged into its own parent is fine: its children go to the parent. */
    event_ok(MERGE, "2025-07-01", "x", "d");
    assert_string_equal(timeline("x-1"), "-..2025-06-30@x;2025-07-01..-@d");
}

/* An export imported back: version rows that reflect the moves, then the event: no change. */
static void test_moved_children_already_reflected(void **state)
{
    int created = -1;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("r-old", "Huyện Cũ", RURAL, "ha-noi", "2010-01-01", "2022-12-31");
    put_ok("r-new", "Thị xã Mới", RURAL, "ha-noi", "2023-01-01", "");
    put_ok("r-old-x", "Xã X", COMMUNE, "r-old", "2010-01-01", "2022-12-31");
    put_ok("r-old-x", "Xã X", COMMUNE, "r-new", "2023-01-01", "");
    char *before = versions_dump();
    assert_int_equal(event(RENAME, "2023-01-01", "r-old", "r-new", "", &created), NL_OK);
    assert_int_equal(created, 1);
    char *after = versions_dump();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void test_rename_split_lineage(void **state)
{
    struct nl_unit_rec *v;
    struct nl_unit_event_rec *e;
    struct nl_lineage_step *steps;
    size_t nv, ne, n;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("a", "A", COMMUNE, "ha-noi", "", "");
    put_ok("b", "B", COMMUNE, "ha-noi", "", "");
    put_ok("c", "C", COMMUNE, "ha-noi", "", "");
    put_ok("ab", "AB", COMMUNE, "ha-noi", "2020-01-01", "");
    put_ok("abc", "ABC", WARD, "ha-noi", "2025-07-01", "");
    put_ok("c1", "C1", COMMUNE, "ha-noi", "2021-01-01", "");
    put_ok("c2", "C2", COMMUNE, "ha-noi", "2021-01-01", "");

    event_ok(MERGE, "2020-01-01", "a,b", "ab");
    event_ok(RENAME, "2025-07-01", "ab", "abc");
    event_ok(SPLIT, "2021-01-01", "c", "c2,c1");
    assert_string_equal(timeline("ab"), "2020-01-01..2025-06-30@ha-noi");
    assert_string_equal(timeline("c"), "-..2020-12-31@ha-noi");
    assert_string_equal(tree("", "2024-01-01"), "ab,c1,c2,ha-noi");
    assert_string_equal(tree("", "2025-07-01"), "abc,c1,c2,ha-noi");

    /* Lineage both ways over the two chained events, breadth-first. */
    assert_string_equal(lineage("a", NL_LINEAGE_SUCCESSORS),
                        "ab<a:1:2020-01-01;abc<ab:3:2025-07-01");
    assert_string_equal(lineage("abc", NL_LINEAGE_PREDECESSORS),
                        "ab<abc:3:2025-07-01;a<ab:1:2020-01-01;b<ab:1:2020-01-01");
    assert_string_equal(lineage("abc", NL_LINEAGE_SUCCESSORS), "");
    assert_string_equal(lineage("a", NL_LINEAGE_PREDECESSORS), "");
    /* A SPLIT's targets descend from the source, but take none of its history. */
    assert_string_equal(lineage("c", NL_LINEAGE_SUCCESSORS), "c1<c:2:2021-01-01;c2<c:2:2021-01-01");
    assert_string_equal(lineage("c1", NL_LINEAGE_PREDECESSORS), "");
    assert_int_equal(
        nl_store_unit_lineage(g->db.rw, "nowhere", NL_LINEAGE_SUCCESSORS, &steps, &n, &g->arena),
        NL_NOT_FOUND);

    /* History of ab: its one version and both events naming it, by date. */
    assert_int_equal(nl_store_unit_history(g->db.rw, "ab", &v, &nv, &e, &ne, &g->arena), NL_OK);
    assert_int_equal(nv, 1);
    assert_string_equal(v[0].name, "AB");
    assert_string_equal(v[0].valid_from, "2020-01-01");
    assert_string_equal(v[0].valid_to, "2025-06-30");
    assert_int_equal(ne, 2);
    assert_int_equal(e[0].kind, MERGE);
    assert_int_equal(e[0].nsources, 2);
    assert_string_equal(e[0].sources[0], "a");
    assert_string_equal(e[0].sources[1], "b");
    assert_int_equal(e[0].ntargets, 1);
    assert_string_equal(e[0].targets[0], "ab");
    assert_int_equal(e[1].kind, RENAME);
    assert_string_equal(e[1].effective_date, "2025-07-01");
    assert_string_equal(e[1].targets[0], "abc");
    assert_int_equal(nl_store_unit_history(g->db.rw, "c2", &v, &nv, &e, &ne, &g->arena), NL_OK);
    assert_int_equal(ne, 1);
    assert_int_equal(e[0].ntargets, 2);
    assert_string_equal(e[0].targets[0], "c1");
    assert_int_equal(nl_store_unit_history(g->db.rw, "nowhere", &v, &nv, &e, &ne, &g->arena),
                     NL_NOT_FOUND);
}

static void test_lineage_cycle_is_bounded(void **state)
{
    (void)state;

    /* a -> b (rename), later b -> a (rename back): the walk visits each unit once. */
    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("a", "A", COMMUNE, "ha-noi", "", "");
    put_ok("b", "B", COMMUNE, "ha-noi", "2010-01-01", "");
    event_ok(RENAME, "2010-01-01", "a", "b");
    put_ok("a", "A lại", COMMUNE, "ha-noi", "2020-01-01", "");
    event_ok(RENAME, "2020-01-01", "b", "a");
    assert_string_equal(lineage("a", NL_LINEAGE_SUCCESSORS), "b<a:3:2010-01-01");
    assert_string_equal(lineage("b", NL_LINEAGE_PREDECESSORS), "a<b:3:2010-01-01");
    assert_string_equal(timeline("a"), "-..2009-12-31@ha-noi;2020-01-01..-@ha-noi");
}

/* --- term instances --- */

static void test_term_instance(void **state)
{
    struct nl_term_rec t = {"2020-2025", 1, 2020, 2025};
    struct nl_term_instance_rec ti = {"2020-2025", "thanh-tri", "2020-08-15", "2025-07-20"};
    enum nl_status res;
    int created = -1;
    (void)state;

    put_ok("ha-noi", "Hà Nội", CITY, "", "", "");
    put_ok("thanh-tri", "Thanh Trì", RURAL, "ha-noi", "", "");
    job_begin();
    assert_int_equal(nl_store_term_create(g->db.rw, &t, &created, msg, sizeof(msg)), NL_OK);
    job_end(NL_OK);

    job_begin();
    res = nl_store_term_instance_set(g->db.rw, &ti, &created, msg, sizeof(msg));
    job_end(res);
    assert_int_equal(res, NL_OK);
    assert_int_equal(created, 1);
    query("SELECT start_date || '..' || end_date FROM term_instance", "2020-08-15..2025-07-20");

    job_begin();
    res = nl_store_term_instance_set(g->db.rw, &ti, &created, msg, sizeof(msg));
    job_end(res);
    assert_int_equal(res, NL_OK);
    assert_int_equal(created, 0);

    ti.end_date = "2025-09-30";
    job_begin();
    res = nl_store_term_instance_set(g->db.rw, &ti, &created, msg, sizeof(msg));
    job_end(res);
    assert_int_equal(res, NL_OK);
    assert_int_equal(created, 0);
    query("SELECT count(*) || ':' || start_date || '..' || end_date FROM term_instance",
          "1:2020-08-15..2025-09-30");

    ti.term = "2015-2020";
    job_begin();
    res = nl_store_term_instance_set(g->db.rw, &ti, &created, msg, sizeof(msg));
    job_end(res);
    assert_int_equal(res, NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "instance.term: no such term");
    ti.term = "2020-2025";
    ti.unit = "nowhere";
    job_begin();
    res = nl_store_term_instance_set(g->db.rw, &ti, &created, msg, sizeof(msg));
    job_end(res);
    assert_int_equal(res, NL_INVALID_ARGUMENT);
    assert_string_equal(msg, "instance.unit: no such unit");
    query("SELECT count(*) FROM term_instance", "1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migration_from_v1, setup_dir, teardown),
        cmocka_unit_test_setup_teardown(test_version_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_parent_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_as_of_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_already_reflected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dissolve_moves_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_moves_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_child_version_on_the_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_moves_children_of_every_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_source_under_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_with_attached_child_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_into_own_child_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moved_children_already_reflected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_split_lineage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lineage_cycle_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_term_instance, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
