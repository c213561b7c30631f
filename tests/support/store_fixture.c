/*
 * store_fixture.c - the shared fixture of the store and handler unit tests
 * (see store_fixture.h): temporary store directories, the call helper that
 * runs a packed request through nl_job_run inside the writer's or a reader's
 * transaction and unpacks the reply, and the raw-SQL helpers over the
 * test-only store hooks. Test-only code; failures inside a test go through
 * cmocka's assertions so they fail the running test.
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

#include "../../common/date.h"
#include "../../common/wire.h"
#include "../../server/job.h"
#include "../../server/method.h"
#include "../../server/store.h"
#include "store_fixture.h"

int sf_db_dir(struct sf_db *d, const char *name)
{
    memset(d, 0, sizeof(*d));
    (void)snprintf(d->dir, sizeof(d->dir), "/tmp/nl-test-%s-XXXXXX", name);
    if (mkdtemp(d->dir) == NULL) {
        d->dir[0] = '\0';
        return -1;
    }
    (void)snprintf(d->path, sizeof(d->path), "%s/nl.db", d->dir);
    return 0;
}

int sf_db_open(struct sf_db *d, const char *name)
{
    char err[512];

    if (sf_db_dir(d, name) != 0)
        return -1;
    if (nl_store_open(d->path, NL_STORE_READWRITE, &d->rw, err, sizeof(err)) != NL_OK ||
        nl_store_open(d->path, NL_STORE_READONLY, &d->ro, err, sizeof(err)) != NL_OK) {
        (void)fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    return 0;
}

int sf_db_close(struct sf_db *d)
{
    static const char *const files[] = {"nl.db", "nl.db-wal", "nl.db-shm", "nl.db-journal"};
    char p[192];

    nl_store_close(d->ro);
    nl_store_close(d->rw);
    d->ro = NULL;
    d->rw = NULL;
    if (d->dir[0] == '\0')
        return 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        (void)snprintf(p, sizeof(p), "%s/%s", d->dir, files[i]);
        (void)unlink(p);
    }
    return rmdir(d->dir);
}

int sf_setup(void **state, const char *name, struct sf_db **cur)
{
    struct sf_db *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return -1;
    if (sf_db_open(d, name) != 0) {
        (void)sf_db_close(d);
        free(d);
        return -1;
    }
    *state = d;
    if (cur != NULL)
        *cur = d;
    return 0;
}

int sf_teardown(void **state)
{
    struct sf_db *d = *state;
    int rc = sf_db_close(d);

    free(d);
    *state = NULL;
    return rc;
}

char *sf_unconst(const char *s)
{
    char *p;

    memcpy(&p, &s, sizeof(p));
    return p;
}

void sf_write_begin(struct nl_store *st)
{
    assert_int_equal(nl_store_begin_write(st), NL_OK);
    assert_int_equal(nl_store_savepoint(st), NL_OK);
}

void sf_write_end(struct nl_store *st, enum nl_status res)
{
    if (res == NL_OK)
        assert_int_equal(nl_store_savepoint_release(st), NL_OK);
    else
        assert_int_equal(nl_store_savepoint_rollback(st), NL_OK);
    assert_int_equal(nl_store_commit(st), NL_OK);
}

void sf_call(struct sf_db *d, const char *path, const ProtobufCMessage *req, struct sf_result *r)
{
    const struct nl_method *m = nl_method_find(path, strlen(path));
    size_t len;
    uint8_t *in;
    struct nl_job *job;

    memset(r, 0, sizeof(*r));
    assert_non_null(m);
    assert_ptr_equal(m->input, req->descriptor);
    r->m = m;
    len = protobuf_c_message_get_packed_size(req);
    in = malloc(len > 0 ? len : 1);
    assert_non_null(in);
    assert_int_equal(protobuf_c_message_pack(req, in), len);
    job = nl_job_new(m, in, len, 0);
    assert_non_null(job);

    if (m->flags & NL_M_WRITE) {
        sf_write_begin(d->rw);
        nl_job_run(job, d->rw);
        sf_write_end(d->rw, job->status);
    } else {
        assert_true(m->flags & NL_M_READ);
        assert_int_equal(nl_store_begin_read(d->ro), NL_OK);
        nl_job_run(job, d->ro);
        assert_int_equal(nl_store_end_read(d->ro), NL_OK);
    }

    r->status = job->status;
    (void)snprintf(r->msg, sizeof(r->msg), "%s", job->msg);
    if (job->status == NL_OK) {
        assert_true(job->out.len >= NL_WIRE_PREFIX_LEN);
        assert_int_equal(job->out.data[0], 0);
        uint32_t n = (uint32_t)job->out.data[1] << 24 | (uint32_t)job->out.data[2] << 16 |
                     (uint32_t)job->out.data[3] << 8 | job->out.data[4];
        assert_int_equal(n, job->out.len - NL_WIRE_PREFIX_LEN);
        r->resp = protobuf_c_message_unpack(m->output, NULL, n, job->out.data + NL_WIRE_PREFIX_LEN);
        assert_non_null(r->resp);
    } else {
        assert_string_not_equal(r->msg, "");
    }
    nl_job_free(job);
}

void sf_call_done(struct sf_result *r)
{
    if (r->resp != NULL)
        protobuf_c_message_free_unpacked(r->resp, NULL);
    r->resp = NULL;
}

void sf_expect_error(const struct sf_result *r, enum nl_status st, const char *prefix)
{
    if (r->status != st || strncmp(r->msg, prefix, strlen(prefix)) != 0)
        fail_msg("got %d '%s', want %d '%s...'", r->status, r->msg, st, prefix);
}

int sf_this_year(void)
{
    int y, m, d;

    nl_date_to_ymd(nl_date_today(), &y, &m, &d);
    return y;
}

#ifdef NL_TEST_HOOKS
int sf_setup_sql(void **state, const char *name, struct sf_db **cur, const char *seed)
{
    if (sf_setup(state, name, cur) != 0)
        return -1;
    if (nl_store_test_exec((*(struct sf_db **)state)->rw, seed) != NL_OK) {
        (void)fprintf(stderr, "setup: cannot create the test world\n");
        (void)sf_teardown(state);
        return -1;
    }
    return 0;
}

void sf_sql(struct nl_store *st, const char *text)
{
    assert_int_equal(nl_store_test_exec(st, text), NL_OK);
}

const char *sf_sql_text(struct nl_store *st, const char *text)
{
    static char out[256];

    assert_int_equal(nl_store_test_query(st, text, out, sizeof(out)), NL_OK);
    return out;
}

long sf_sql_long(struct nl_store *st, const char *text)
{
    return strtol(sf_sql_text(st, text), NULL, 10);
}

void sf_query_text(struct nl_store *st, const char *text, char *out, size_t len)
{
    assert_int_equal(nl_store_test_query(st, text, out, len), NL_OK);
}
#endif
