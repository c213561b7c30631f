/*
 * test_audit.c - the audit trail: the hash chain of store_audit.h on a real
 * store file, and the record keys of audit.h.
 *
 * The chain is appended through the store API in write transactions, then
 * checked: verify finds it intact, list pages it by seq, every link and
 * hash recomputes. The triggers refuse UPDATE and DELETE. Then, as an
 * attacker with the file would, raw SQL drops the triggers and edits a row
 * (verify names it: hash mismatch), re-hashes the edited row so that it is
 * self-consistent (verify names the next one: prev mismatch), or deletes a
 * row (verify names the missing seq: a gap). The keys of a request carry
 * record keys and never a personal value (full_name, a name search).
 *
 * The writer (writer.h) on the same store, driven by a libuv loop: a write
 * whose audit entry cannot be appended (a test trigger refuses it) does not
 * happen and answers UNAVAILABLE, with its failure entry; jobs cancelled or
 * past their deadline before the writer takes them get an entry with that
 * outcome; the chain verifies after each. The entry of a local
 * administrative action (nhanlucd --bootstrap-admin) goes into the
 * caller's transaction and only there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <uv.h>

#include "../../server/audit.h"
#include "../../server/job.h"
#include "../../server/method.h"
#include "../../server/store_audit.h"
#include "../../server/writer.h"
#include "../support/store_fixture.h"
#include "nhanluc/v1/records.pb-c.h"
#include "nhanluc/v1/registry.pb-c.h"
#include "store.h"

static struct sf_db *g; /* the current fixture */

static const char SEED[] = "INSERT INTO unit(id, code) VALUES (1, 'hn'), (2, 'tay-ho');";

#define N_ENTRIES 6

static int setup(void **state)
{
    return sf_setup_sql(state, "audit", &g, SEED);
}

static char *unconst(const char *s)
{
    return sf_unconst(s);
}

/* Appends entry i (1-based) in its own write transaction; entry 2 names unit id 2. */
static void append(int i)
{
    char keys[64], peer[32];
    struct nl_audit_rec r;
    struct nl_arena a;

    memset(&r, 0, sizeof(r));
    (void)snprintf(keys, sizeof(keys), "unit=tay-ho year=%d", 2020 + i);
    (void)snprintf(peer, sizeof(peer), "127.0.0.1:%d", 40000 + i);
    r.at = "2024-05-01T10:00:00.000Z";
    r.token_id = i % 2 ? "0123456789ab" : "";
    r.role = i % 2 ? "district" : "";
    r.unit_id = i == 2 ? 2 : 0;
    r.cert_fp = "";
    r.peer = peer;
    r.method = "/nhanluc.v1.Records/UpsertCadre";
    r.keys = keys;
    r.outcome = i == 3 ? "PERMISSION_DENIED" : "OK";
    nl_arena_init(&a, 1u << 16);
    assert_int_equal(nl_store_begin_write(g->rw), NL_OK);
    assert_int_equal(nl_store_audit_append(g->rw, &r, &a), NL_OK);
    assert_int_equal(nl_store_commit(g->rw), NL_OK);
    assert_int_equal(r.seq, i);
    if (i == 2)
        assert_string_equal(r.unit, "tay-ho");
    nl_arena_release(&a);
}

static void append_all(void)
{
    for (int i = 1; i <= N_ENTRIES; i++)
        append(i);
}

static void verify(struct nl_store *st, struct nl_audit_check *chk)
{
    assert_int_equal(nl_store_begin_read(st), NL_OK);
    assert_int_equal(nl_store_audit_verify(st, chk), NL_OK);
    assert_int_equal(nl_store_end_read(st), NL_OK);
}

static void test_empty_chain(void **state)
{
    struct nl_audit_check chk;
    unsigned char h[NL_AUDIT_HASH_BYTES], zero[NL_AUDIT_HASH_BYTES] = {0};
    int64_t seq = -1;

    (void)state;
    verify(g->ro, &chk);
    assert_int_equal(chk.checked, 0);
    assert_int_equal(chk.broken_seq, 0);
    assert_int_equal(nl_store_audit_head(g->ro, &seq, h), NL_OK);
    assert_int_equal(seq, 0);
    assert_memory_equal(h, zero, sizeof(h));
}

static void test_chain_intact_and_linked(void **state)
{
    struct nl_audit_rec *rows;
    struct nl_audit_check chk;
    unsigned char prev[NL_AUDIT_HASH_BYTES] = {0}, h[NL_AUDIT_HASH_BYTES], head[32];
    struct nl_arena a;
    size_t n;
    int more;
    int64_t seq;

    (void)state;
    append_all();
    verify(g->ro, &chk);
    assert_int_equal(chk.checked, N_ENTRIES);
    assert_int_equal(chk.broken_seq, 0);
    assert_string_equal(chk.reason, "");
    assert_int_equal(chk.head_seq, N_ENTRIES);
    assert_int_equal(nl_store_audit_head(g->ro, &seq, head), NL_OK);
    assert_int_equal(seq, N_ENTRIES);
    assert_memory_equal(head, chk.head_hash, sizeof(head));

    nl_arena_init(&a, 1u << 20);
    assert_int_equal(nl_store_audit_list(g->ro, 0, 100, &rows, &n, &more, &a), NL_OK);
    assert_int_equal(n, N_ENTRIES);
    assert_int_equal(more, 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].seq, (int64_t)i + 1);
        /* The genesis link is 32 zero bytes; each next one is the previous hash. */
        assert_memory_equal(rows[i].prev_hash, prev, sizeof(prev));
        assert_int_equal(nl_audit_hash(rows[i].prev_hash, &rows[i], h), 0);
        assert_memory_equal(h, rows[i].hash, sizeof(h));
        memcpy(prev, rows[i].hash, sizeof(prev));
    }
    assert_string_equal(rows[1].unit, "tay-ho");
    assert_string_equal(rows[0].unit, "");
    assert_string_equal(rows[2].outcome, "PERMISSION_DENIED");
    assert_string_equal(rows[4].keys, "unit=tay-ho year=2025");

    /* Paging by seq. */
    assert_int_equal(nl_store_audit_list(g->ro, 0, 2, &rows, &n, &more, &a), NL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(more, 1);
    assert_int_equal(rows[1].seq, 2);
    assert_int_equal(nl_store_audit_list(g->ro, 4, 2, &rows, &n, &more, &a), NL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(more, 0);
    assert_int_equal(rows[0].seq, 5);
    assert_int_equal(nl_store_audit_list(g->ro, N_ENTRIES, 2, &rows, &n, &more, &a), NL_OK);
    assert_int_equal(n, 0);
    nl_arena_release(&a);
}

/* The encoding is unambiguous: moving bytes from one field to the next changes the hash. */
static void test_hash_encoding_unambiguous(void **state)
{
    unsigned char zero[NL_AUDIT_HASH_BYTES] = {0}, h1[32], h2[32], h3[32];
    struct nl_audit_rec a, b;

    (void)state;
    memset(&a, 0, sizeof(a));
    a.seq = 7;
    a.method = "/x/Y";
    a.keys = "unit=a";
    b = a;
    b.method = "/x/Yunit=a";
    b.keys = "";
    assert_int_equal(nl_audit_hash(zero, &a, h1), 0);
    assert_int_equal(nl_audit_hash(zero, &b, h2), 0);
    assert_memory_not_equal(h1, h2, 32);
    b = a;
    b.seq = 8;
    assert_int_equal(nl_audit_hash(zero, &b, h3), 0);
    assert_memory_not_equal(h1, h3, 32);
    /* And it depends on prev. */
    h2[0] = 1;
    assert_int_equal(nl_audit_hash(h2, &a, h3), 0);
    assert_memory_not_equal(h1, h3, 32);
}

static void test_triggers_refuse_update_and_delete(void **state)
{
    struct nl_audit_check chk;

    (void)state;
    append_all();
    assert_int_not_equal(nl_store_test_exec(g->rw, "UPDATE audit SET keys = 'x' WHERE seq = 2"),
                         NL_OK);
    assert_int_not_equal(nl_store_test_exec(g->rw, "DELETE FROM audit WHERE seq = 2"), NL_OK);
    assert_int_not_equal(nl_store_test_exec(g->rw, "DELETE FROM audit"), NL_OK);
    assert_int_equal(sf_sql_long(g->rw, "SELECT count(*) FROM audit"), N_ENTRIES);
    assert_string_equal(sf_sql_text(g->rw, "SELECT keys FROM audit WHERE seq = 2"),
                        "unit=tay-ho year=2022");
    verify(g->ro, &chk);
    assert_int_equal(chk.broken_seq, 0);
}

static void test_edited_row_is_named(void **state)
{
    struct nl_audit_check chk;

    (void)state;
    append_all();
    sf_sql(g->rw, "DROP TRIGGER audit_no_update");
    sf_sql(g->rw, "UPDATE audit SET outcome = 'OK' WHERE seq = 3");
    verify(g->ro, &chk);
    assert_int_equal(chk.broken_seq, 3);
    assert_string_equal(chk.reason, NL_AUDIT_MISMATCH);
    assert_int_equal(chk.checked, 3);
}

/* An attacker who recomputes the edited row's hash breaks the next row's link instead. */
static void test_rehashed_row_breaks_the_next_link(void **state)
{
    struct nl_audit_rec *rows;
    struct nl_audit_check chk;
    unsigned char h[NL_AUDIT_HASH_BYTES];
    char hex[2 * NL_AUDIT_HASH_BYTES + 1], sql[256];
    struct nl_arena a;
    size_t n;
    int more;

    (void)state;
    append_all();
    sf_sql(g->rw, "DROP TRIGGER audit_no_update");
    sf_sql(g->rw, "UPDATE audit SET outcome = 'OK' WHERE seq = 3");
    nl_arena_init(&a, 1u << 20);
    assert_int_equal(nl_store_audit_list(g->rw, 2, 1, &rows, &n, &more, &a), NL_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].outcome, "OK");
    assert_int_equal(nl_audit_hash(rows[0].prev_hash, &rows[0], h), 0);
    nl_arena_release(&a);
    nl_audit_hex(h, hex);
    (void)snprintf(sql, sizeof(sql), "UPDATE audit SET hash = X'%s' WHERE seq = 3", hex);
    sf_sql(g->rw, sql);
    verify(g->ro, &chk);
    assert_int_equal(chk.broken_seq, 4);
    assert_string_equal(chk.reason, NL_AUDIT_PREV);
}

static void test_deleted_rows_are_named(void **state)
{
    struct nl_audit_check chk;

    (void)state;
    append_all();
    sf_sql(g->rw, "DROP TRIGGER audit_no_delete");
    sf_sql(g->rw, "DELETE FROM audit WHERE seq = 4");
    verify(g->ro, &chk);
    assert_int_equal(chk.broken_seq, 4);
    assert_string_equal(chk.reason, NL_AUDIT_GAP);
    /* The first entry gone: seq 1 is named. */
    sf_sql(g->rw, "DELETE FROM audit WHERE seq = 1");
    verify(g->ro, &chk);
    assert_int_equal(chk.broken_seq, 1);
    assert_string_equal(chk.reason, NL_AUDIT_GAP);
}

static void test_keys_hold_record_keys_only(void **state)
{
    Nhanluc__V1__UpsertCadreRequest up;
    Nhanluc__V1__Cadre cadre;
    Nhanluc__V1__CadreProfile prof;
    Nhanluc__V1__ListCadresRequest list;
    char keys[NL_AUDIT_KEYS_LEN];

    (void)state;
    nhanluc__v1__upsert_cadre_request__init(&up);
    nhanluc__v1__cadre__init(&cadre);
    nhanluc__v1__cadre_profile__init(&prof);
    cadre.cadre_code = unconst("HK-001");
    cadre.full_name = unconst("Nguyen Thi Hoa");
    cadre.birth_year = 1980;
    prof.unit = unconst("tay-ho");
    prof.position_title = unconst("Secretary Hoa");
    prof.as_of = unconst("2020-07-01");
    up.cadre = &cadre;
    up.profile = &prof;
    nl_audit_keys(&up.base, keys, sizeof(keys));
    assert_non_null(strstr(keys, "cadre_code=HK-001"));
    assert_non_null(strstr(keys, "unit=tay-ho"));
    assert_non_null(strstr(keys, "as_of=2020-07-01"));
    assert_null(strstr(keys, "Hoa"));
    assert_null(strstr(keys, "Nguyen"));
    assert_null(strstr(keys, "1980"));
    assert_null(strstr(keys, "Secretary"));

    /* A name search is not a key; odd bytes in a key field never pass through. */
    nhanluc__v1__list_cadres_request__init(&list);
    list.unit = unconst("t\xe1y ho\n");
    list.name = unconst("Hoa");
    nl_audit_keys(&list.base, keys, sizeof(keys));
    assert_string_equal(keys, "unit=t?y?ho?");
}

static void test_keys_cut_when_long(void **state)
{
    Nhanluc__V1__ImportRequest imp;
    Nhanluc__V1__ImportRow rows[100], *prow[100];
    Nhanluc__V1__Review rev[100];
    char codes[100][16], keys[NL_AUDIT_KEYS_LEN];

    (void)state;
    nhanluc__v1__import_request__init(&imp);
    imp.batch_id = unconst("b-1");
    for (int i = 0; i < 100; i++) {
        nhanluc__v1__import_row__init(&rows[i]);
        nhanluc__v1__review__init(&rev[i]);
        (void)snprintf(codes[i], sizeof(codes[i]), "C%03d", i);
        rev[i].cadre_code = codes[i];
        rev[i].year = 2024;
        rows[i].line = (uint32_t)i + 2;
        rows[i].record_case = NHANLUC__V1__IMPORT_ROW__RECORD_REVIEW;
        rows[i].review = &rev[i];
        prow[i] = &rows[i];
    }
    imp.rows = prow;
    imp.n_rows = 100;
    nl_audit_keys(&imp.base, keys, sizeof(keys));
    assert_true(strncmp(keys, "batch_id=b-1 cadre_code=C000 year=2024", 38) == 0);
    assert_true(strlen(keys) < sizeof(keys));
    assert_non_null(strstr(keys, " ..."));
    assert_string_equal(keys + strlen(keys) - 4, " ...");
    assert_null(strstr(keys, "C099"));
}

/* --- the writer --- */

#define CREATE_TERM "/nhanluc.v1.Registry/CreateTerm"
#define WAIT_ROUNDS 200 /* 50 ms wake-ups: at most 10 s for a batch */

/* A writer on g's read-write connection (which it takes over) and its loop. */
struct wtest {
    uv_loop_t loop;
    uv_timer_t tick;
    struct nl_writer *w;
    struct nl_job *done[8];
    unsigned ndone;
};

static void wt_done(struct nl_job *job, void *ud)
{
    struct wtest *t = ud;

    assert_true(t->ndone < sizeof(t->done) / sizeof(t->done[0]));
    t->done[t->ndone++] = job;
}

static void wt_tick(uv_timer_t *h)
{
    (void)h; /* only wakes the loop up, so the wait below stays bounded */
}

static void wt_start(struct wtest *t)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(uv_loop_init(&t->loop), 0);
    assert_int_equal(uv_timer_init(&t->loop, &t->tick), 0);
    assert_int_equal(uv_timer_start(&t->tick, wt_tick, 50, 50), 0);
    t->w = nl_writer_start(&t->loop, g->rw, 16, 50, 0, wt_done, t);
    g->rw = NULL; /* the writer owns and closes it */
    assert_non_null(t->w);
}

static void wt_stop(struct wtest *t)
{
    for (unsigned i = 0; i < t->ndone; i++)
        nl_job_free(t->done[i]);
    nl_writer_stop(t->w);
    uv_close((uv_handle_t *)&t->tick, NULL);
    assert_int_equal(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
    nl_writer_free(t->w);
    assert_int_equal(uv_loop_close(&t->loop), 0);
}

/* A CreateTerm job for term `code` (a party congress term), peer 127.0.0.1:5000. */
static struct nl_job *term_job(const char *code, uint64_t deadline_ms)
{
    const struct nl_method *m = nl_method_find(CREATE_TERM, strlen(CREATE_TERM));
    Nhanluc__V1__CreateTermRequest req;
    Nhanluc__V1__Term term;
    struct nl_job *job;
    uint8_t *buf;
    size_t n;

    assert_non_null(m);
    nhanluc__v1__create_term_request__init(&req);
    nhanluc__v1__term__init(&term);
    term.code = unconst(code);
    term.kind = NHANLUC__V1__TERM_KIND__PARTY_CONGRESS;
    req.term = &term;
    n = protobuf_c_message_get_packed_size(&req.base);
    buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(&req.base, buf), n);
    job = nl_job_new(m, buf, n, deadline_ms);
    assert_non_null(job);
    (void)snprintf(job->who.peer, sizeof(job->who.peer), "127.0.0.1:5000");
    return job;
}

/* Submits the job and runs the loop until it completed (bounded). */
static struct nl_job *wt_run(struct wtest *t, struct nl_job *job)
{
    unsigned want = t->ndone + 1;

    assert_int_equal(nl_writer_submit(t->w, job), 0);
    for (int i = 0; i < WAIT_ROUNDS && t->ndone < want; i++)
        (void)uv_run(&t->loop, UV_RUN_ONCE);
    assert_int_equal(t->ndone, want);
    assert_ptr_equal(t->done[want - 1], job);
    return job;
}

/* The chain verifies (on the reader's connection) and holds `entries` entries. */
static void assert_chain(int64_t entries)
{
    struct nl_audit_check chk;

    verify(g->ro, &chk);
    assert_int_equal(chk.broken_seq, 0);
    assert_string_equal(chk.reason, "");
    assert_int_equal(chk.checked, entries);
}

/* The field `col` of audit entry `seq`. */
static const char *entry(int seq, const char *col)
{
    char sql[128];

    (void)snprintf(sql, sizeof(sql), "SELECT %s FROM audit WHERE seq = %d", col, seq);
    return sf_sql_text(g->ro, sql);
}

static void test_unauditable_write_does_not_happen(void **state)
{
    struct wtest t;
    struct nl_job *j;

    (void)state;
    /* Two entries already, then the trail refuses the OK entry of term 2020-2025 only. */
    append(1);
    append(2);
    sf_sql(g->rw, "CREATE TRIGGER test_audit_refuse BEFORE INSERT ON audit"
                  " WHEN NEW.outcome = 'OK' AND NEW.keys LIKE '%code=2020-2025%'"
                  " BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END");
    wt_start(&t);

    j = wt_run(&t, term_job("2020-2025", 0));
    assert_int_equal(j->status, NL_UNAVAILABLE);
    assert_string_equal(j->msg, "audit trail unavailable, retry");
    assert_int_equal(j->out.len, 0);
    /* Not written; its failure entry is, linked to the stored head. */
    assert_int_equal(sf_sql_long(g->ro, "SELECT count(*) FROM term WHERE code = '2020-2025'"), 0);
    assert_chain(3);
    assert_string_equal(entry(3, "method"), CREATE_TERM);
    assert_string_equal(entry(3, "outcome"), "UNAVAILABLE");
    assert_non_null(strstr(entry(3, "keys"), "code=2020-2025"));
    assert_string_equal(entry(3, "peer"), "127.0.0.1:5000");

    /* The next write follows the head that is really stored. */
    j = wt_run(&t, term_job("2025-2030", 0));
    assert_int_equal(j->status, NL_OK);
    assert_int_equal(sf_sql_long(g->ro, "SELECT count(*) FROM term WHERE code = '2025-2030'"), 1);
    assert_chain(4);
    assert_string_equal(entry(4, "outcome"), "OK");
    assert_non_null(strstr(entry(4, "keys"), "code=2025-2030"));

    /* Its replay is OK again (idempotent), the refused one still refused. */
    j = wt_run(&t, term_job("2020-2025", 0));
    assert_int_equal(j->status, NL_UNAVAILABLE);
    assert_chain(5);
    wt_stop(&t);
    assert_int_equal(sf_sql_long(g->ro, "SELECT count(*) FROM term WHERE code = '2020-2025'"), 0);
}

static void test_unauditable_failure_entry_is_lost_not_the_server(void **state)
{
    struct wtest t;
    struct nl_job *j;

    (void)state;
    /* Every entry refused: the write does not happen, and nothing else does either. */
    sf_sql(g->rw, "CREATE TRIGGER test_audit_refuse BEFORE INSERT ON audit"
                  " BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END");
    wt_start(&t);
    j = wt_run(&t, term_job("2020-2025", 0));
    assert_int_equal(j->status, NL_UNAVAILABLE);
    wt_stop(&t);
    assert_int_equal(sf_sql_long(g->ro, "SELECT count(*) FROM term WHERE code = '2020-2025'"), 0);
    assert_chain(0);
}

static void test_jobs_that_never_ran_are_audited(void **state)
{
    struct wtest t;
    struct nl_job *j;

    (void)state;
    wt_start(&t);
    /* A deadline already past when the writer takes the job (monotonic ms 1). */
    j = term_job("2020-2025", 1);
    j->auth = 1;
    (void)snprintf(j->token.id, sizeof(j->token.id), "0123456789ab");
    j = wt_run(&t, j);
    assert_int_equal(j->status, NL_DEADLINE_EXCEEDED);
    assert_chain(1);
    assert_string_equal(entry(1, "method"), CREATE_TERM);
    assert_string_equal(entry(1, "outcome"), "DEADLINE_EXCEEDED");
    assert_string_equal(entry(1, "token_id"), "0123456789ab");
    assert_string_equal(entry(1, "role"), ""); /* never verified */
    assert_string_equal(entry(1, "keys"), ""); /* never read */
    assert_string_equal(entry(1, "peer"), "127.0.0.1:5000");

    /* Cancelled while queued. */
    j = term_job("2025-2030", 0);
    atomic_store(&j->cancel, 1);
    j = wt_run(&t, j);
    assert_int_equal(j->status, NL_CANCELLED);
    assert_chain(2);
    assert_string_equal(entry(2, "outcome"), "CANCELLED");
    assert_string_equal(entry(2, "token_id"), "");

    /* A write that ran follows them. */
    j = wt_run(&t, term_job("2030-2035", 0));
    assert_int_equal(j->status, NL_OK);
    assert_chain(3);
    wt_stop(&t);
    assert_int_equal(sf_sql_long(g->ro, "SELECT count(*) FROM term WHERE code IN"
                                        " ('2020-2025', '2025-2030', '2030-2035')"),
                     1);
}

static void test_local_action_entry(void **state)
{
    struct nl_arena a;

    (void)state;
    nl_arena_init(&a, 1u << 16);
    /* Outside a transaction nothing is written. */
    assert_int_equal(nl_store_audit_local(g->rw, NL_AUDIT_BOOTSTRAP, "00aa11bb22cc", &a),
                     NL_FAILED_PRECONDITION);
    assert_int_equal(sf_sql_long(g->rw, "SELECT count(*) FROM audit"), 0);
    /* Rolled back with the caller's transaction. */
    assert_int_equal(nl_store_begin_write(g->rw), NL_OK);
    assert_int_equal(nl_store_audit_local(g->rw, NL_AUDIT_BOOTSTRAP, "00aa11bb22cc", &a), NL_OK);
    assert_int_equal(nl_store_rollback(g->rw), NL_OK);
    assert_int_equal(sf_sql_long(g->rw, "SELECT count(*) FROM audit"), 0);
    /* Committed with it. */
    append(1);
    assert_int_equal(nl_store_begin_write(g->rw), NL_OK);
    assert_int_equal(nl_store_audit_local(g->rw, NL_AUDIT_BOOTSTRAP, "00aa11bb22cc", &a), NL_OK);
    assert_int_equal(nl_store_commit(g->rw), NL_OK);
    nl_arena_release(&a);
    assert_chain(2);
    assert_string_equal(entry(2, "method"), "nhanlucd --bootstrap-admin");
    assert_string_equal(entry(2, "role"), "");
    assert_string_equal(entry(2, "unit"), "");
    assert_string_equal(entry(2, "token_id"), "00aa11bb22cc");
    assert_string_equal(entry(2, "peer"), "local");
    assert_string_equal(entry(2, "keys"), "token=00aa11bb22cc");
    assert_string_equal(entry(2, "outcome"), "OK");
    assert_int_equal(strlen(entry(2, "at")), strlen("2024-05-01T10:00:00.000Z"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_chain, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_chain_intact_and_linked, setup, sf_teardown),
        cmocka_unit_test(test_hash_encoding_unambiguous),
        cmocka_unit_test_setup_teardown(test_triggers_refuse_update_and_delete, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_edited_row_is_named, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_rehashed_row_breaks_the_next_link, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_deleted_rows_are_named, setup, sf_teardown),
        cmocka_unit_test(test_keys_hold_record_keys_only),
        cmocka_unit_test(test_keys_cut_when_long),
        cmocka_unit_test_setup_teardown(test_unauditable_write_does_not_happen, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_unauditable_failure_entry_is_lost_not_the_server,
                                        setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_jobs_that_never_ran_are_audited, setup, sf_teardown),
        cmocka_unit_test_setup_teardown(test_local_action_entry, setup, sf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
