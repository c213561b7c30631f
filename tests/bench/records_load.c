/*
 * records_load.c - the load generator of tests/bench/records.sh: N client
 * threads, each with its own connection (client/rpc_client.h), submit
 * distinct training classes of T trainees through
 * /nhanluc.v1.Records/SubmitClass, one call at a time per thread, for a fixed
 * duration, and the latency of every call is recorded.
 *
 * Every call carries a new class_ref ("<tag>-<thread>-<seq>"), so every call
 * creates one class row and T enrolment rows (no replays). The trainees are T
 * distinct cadres "<prefix>00001".."<prefix>NNNNN" picked as a run of
 * consecutive codes (modulo --cadres) that moves with each call. A call
 * counts as good only when it answered OK with outcome CREATED and
 * enrolments_created == T; anything else is counted as failed, and its status
 * and message (never personal values: the load has none) are printed once.
 *
 * Prints one human line and one machine line (`result calls=... `) on
 * stdout. Exit: 0 every call good; 1 some call failed; 2 usage or setup.
 * A benchmark tool: CTest never runs it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nhanluc/v1/records.pb-c.h"
#include "rpc_client.h"
#include "status.h"

#define CALL_TIMEOUT_MS 30000
#define MAX_CLIENTS     256
#define MAX_TRAINEES    1000

struct opts {
    const char *server;
    const char *unit;
    const char *tag;
    const char *prefix;
    unsigned clients;
    unsigned trainees;
    unsigned cadres;
    unsigned progress; /* seconds between progress lines on stderr; 0 = none */
    double seconds;
};

struct worker {
    const struct opts *o;
    unsigned id;
    uint64_t end_ns;
    uint64_t *lat_us; /* one per call, grown as needed */
    size_t n, cap;
    uint64_t good, failed, retried;
    _Atomic uint64_t done; /* good calls so far, read by the progress reporter */
    int first_status;
    char first_msg[NL_RPC_MSG_MAX];
    pthread_t thread;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < (long)lo || v > (long)hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int record_latency(struct worker *w, uint64_t us)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4096;
        uint64_t *p = realloc(w->lat_us, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        w->lat_us = p;
        w->cap = cap;
    }
    w->lat_us[w->n++] = us;
    return 0;
}

/* Checks one reply; returns 1 when it is what a fresh class must give. */
static int reply_good(const ProtobufCMessage *resp, unsigned trainees)
{
    const Nhanluc__V1__SubmitClassResponse *r = (const Nhanluc__V1__SubmitClassResponse *)resp;
    return r->outcome == NHANLUC__V1__WRITE_OUTCOME__CREATED &&
           r->enrolments_created == (int32_t)trainees && r->enrolments_updated == 0 &&
           r->enrolments_unchanged == 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct opts *o = w->o;
    struct nl_rpc_client *c = nl_rpc_client_new(o->server);
    if (c == NULL) {
        w->failed++;
        w->first_status = NL_INTERNAL;
        (void)snprintf(w->first_msg, sizeof(w->first_msg), "cannot create a client");
        return NULL;
    }

    /* Request storage lives for the whole run; only the varying fields change. */
    char class_ref[64];
    char codes[MAX_TRAINEES][24];
    char certs[MAX_TRAINEES][24];
    Nhanluc__V1__Enrolment enr[MAX_TRAINEES];
    Nhanluc__V1__Enrolment *enrp[MAX_TRAINEES];
    Nhanluc__V1__Score score = NHANLUC__V1__SCORE__INIT;
    score.value = 8.5;

    Nhanluc__V1__TrainingClass tc = NHANLUC__V1__TRAINING_CLASS__INIT;
    tc.class_ref = class_ref;
    tc.organiser_unit = (char *)(uintptr_t)o->unit;
    tc.title = (char *)(uintptr_t) "Bồi dưỡng kiến thức quản lý nhà nước (benchmark)";
    tc.kind = NHANLUC__V1__TRAINING_KIND__TRAINING_KIND_UPGRADE;
    tc.area = NHANLUC__V1__AREA__AREA_STATE_MANAGEMENT;
    tc.target_group = (char *)(uintptr_t) "CIVIL_SERVANT";
    tc.mode = NHANLUC__V1__CLASS_MODE__CLASS_MODE_PART_TIME;
    tc.start_date = (char *)(uintptr_t) "2024-03-04";
    tc.end_date = (char *)(uintptr_t) "2024-04-26";
    tc.sessions = 12;
    tc.planned_trainees = (int32_t)o->trainees;
    tc.status = NHANLUC__V1__CLASS_STATUS__CLASS_STATUS_ENDED;

    for (unsigned i = 0; i < o->trainees; i++) {
        nhanluc__v1__enrolment__init(&enr[i]);
        enr[i].cadre_code = codes[i];
        enr[i].status = NHANLUC__V1__ENROLMENT_STATUS__ENROLMENT_STATUS_COMPLETED;
        enr[i].result = NHANLUC__V1__RESULT__RESULT_GOOD;
        enr[i].attended = 10 + (int32_t)(i % 3);
        enr[i].absent_excused = 12 - enr[i].attended;
        enr[i].absent_unexcused = 0;
        enr[i].thesis_score = (i % 2) ? &score : NULL;
        enr[i].certificate_no = certs[i];
        enrp[i] = &enr[i];
    }
    Nhanluc__V1__SubmitClassRequest req = NHANLUC__V1__SUBMIT_CLASS_REQUEST__INIT;
    req.training_class = &tc;
    req.n_enrolments = o->trainees;
    req.enrolments = enrp;

    char msg[NL_RPC_MSG_MAX];
    uint64_t seq = 0;
    while (now_ns() < w->end_ns) {
        (void)snprintf(class_ref, sizeof(class_ref), "%s-%u-%" PRIu64, o->tag, w->id, seq);
        /* A run of consecutive cadres, shifted per thread and per call. */
        uint64_t first = ((uint64_t)w->id * 7919u + seq * o->trainees) % o->cadres;
        for (unsigned i = 0; i < o->trainees; i++) {
            (void)snprintf(codes[i], sizeof(codes[i]), "%s%05" PRIu64, o->prefix,
                           (first + i) % o->cadres + 1);
            (void)snprintf(certs[i], sizeof(certs[i]), "CC-%u-%" PRIu64 "-%u", w->id, seq, i);
        }
        seq++;

        ProtobufCMessage *resp = NULL;
        uint64_t t0 = now_ns();
        enum nl_status st = nl_rpc_call(c, "/nhanluc.v1.Records/SubmitClass", &req.base,
                                        &nhanluc__v1__submit_class_response__descriptor, &resp,
                                        CALL_TIMEOUT_MS, msg, sizeof(msg));
        uint64_t t1 = now_ns();
        if (nl_rpc_client_attempts(c) > 1)
            w->retried++;
        int good = st == NL_OK && resp != NULL && reply_good(resp, o->trainees);
        if (good) {
            w->good++;
            atomic_store_explicit(&w->done, w->good, memory_order_relaxed);
        } else {
            if (w->failed == 0) {
                w->first_status = st;
                if (st == NL_OK)
                    (void)snprintf(w->first_msg, sizeof(w->first_msg),
                                   "OK but not a fresh class with %u enrolments created",
                                   o->trainees);
                else
                    (void)snprintf(w->first_msg, sizeof(w->first_msg), "%s", msg);
            }
            w->failed++;
        }
        if (resp != NULL)
            protobuf_c_message_free_unpacked(resp, NULL);
        if (record_latency(w, (t1 - t0) / 1000u) != 0) {
            w->failed++;
            break;
        }
    }
    nl_rpc_client_free(c);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array (p in 0..100). */
static uint64_t percentile(const uint64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

static void usage(void)
{
    fprintf(stderr,
            "usage: records_load --server HOST:PORT --unit CODE [--clients N] [--seconds S]\n"
            "                    [--trainees N] [--cadres N] [--prefix P] [--tag T]\n"
            "                    [--progress S]\n"
            "Submits distinct classes of N trainees (cadres P00001..) from concurrent\n"
            "clients for S seconds. Defaults: 16 clients, 30 s, 50 trainees, 2000 cadres,\n"
            "prefix B, tag bench. --progress S prints classes/s every S seconds on stderr.\n");
}

int main(int argc, char **argv)
{
    struct opts o = {.server = NULL,
                     .unit = NULL,
                     .tag = "bench",
                     .prefix = "B",
                     .clients = 16,
                     .trainees = 50,
                     .cadres = 2000,
                     .seconds = 30};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            usage();
            return 2;
        }
        int bad = 0;
        if (strcmp(a, "--server") == 0) {
            o.server = v;
        } else if (strcmp(a, "--unit") == 0) {
            o.unit = v;
        } else if (strcmp(a, "--tag") == 0) {
            o.tag = v;
        } else if (strcmp(a, "--prefix") == 0) {
            o.prefix = v;
        } else if (strcmp(a, "--clients") == 0) {
            bad = parse_uint(v, 1, MAX_CLIENTS, &o.clients);
        } else if (strcmp(a, "--trainees") == 0) {
            bad = parse_uint(v, 1, MAX_TRAINEES, &o.trainees);
        } else if (strcmp(a, "--progress") == 0) {
            bad = parse_uint(v, 0, 3600, &o.progress);
        } else if (strcmp(a, "--cadres") == 0) {
            bad = parse_uint(v, 1, 99999, &o.cadres);
        } else if (strcmp(a, "--seconds") == 0) {
            char *end;
            errno = 0;
            o.seconds = strtod(v, &end);
            bad = errno != 0 || end == v || *end != '\0' || !(o.seconds > 0) || o.seconds > 86400;
        } else {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "records_load: bad option %s %s\n", a, v);
            usage();
            return 2;
        }
        i++;
    }
    if (o.server == NULL || o.unit == NULL || o.trainees > o.cadres || strlen(o.tag) > 32 ||
        strlen(o.prefix) > 8) {
        usage();
        return 2;
    }

    struct worker *w = calloc(o.clients, sizeof(*w));
    if (w == NULL)
        return 2;
    uint64_t start = now_ns();
    uint64_t end = start + (uint64_t)(o.seconds * 1e9);
    unsigned started = 0;
    for (unsigned i = 0; i < o.clients; i++) {
        w[i].o = &o;
        w[i].id = i;
        w[i].end_ns = end;
        /* Room for the arrays of the request on the thread's stack. */
        pthread_attr_t attr;
        (void)pthread_attr_init(&attr);
        (void)pthread_attr_setstacksize(&attr, 8u << 20);
        int rc = pthread_create(&w[i].thread, &attr, worker_main, &w[i]);
        (void)pthread_attr_destroy(&attr);
        if (rc != 0) {
            fprintf(stderr, "records_load: pthread_create: %s\n", strerror(rc));
            break;
        }
        started++;
    }
    /* Progress: classes/s over each interval, to show how the rate moves as the tables grow. */
    if (o.progress > 0 && started == o.clients) {
        uint64_t last_ns = start, last_done = 0;
        for (;;) {
            uint64_t next = last_ns + (uint64_t)o.progress * 1000000000u;
            if (next > end)
                break;
            uint64_t t = now_ns();
            if (t < next) {
                struct timespec ts = {.tv_sec = (time_t)((next - t) / 1000000000u),
                                      .tv_nsec = (long)((next - t) % 1000000000u)};
                (void)nanosleep(&ts, NULL);
                continue;
            }
            uint64_t d = 0;
            for (unsigned i = 0; i < started; i++)
                d += atomic_load_explicit(&w[i].done, memory_order_relaxed);
            fprintf(stderr, "records_load: %5.0f s: %8" PRIu64 " classes, %6.0f classes/s\n",
                    (double)(t - start) / 1e9, d,
                    (double)(d - last_done) / ((double)(t - last_ns) / 1e9));
            last_ns = t;
            last_done = d;
        }
    }
    for (unsigned i = 0; i < started; i++)
        (void)pthread_join(w[i].thread, NULL);
    double elapsed = (double)(now_ns() - start) / 1e9;

    size_t n = 0;
    uint64_t good = 0, failed = 0, retried = 0;
    for (unsigned i = 0; i < started; i++) {
        n += w[i].n;
        good += w[i].good;
        failed += w[i].failed;
        retried += w[i].retried;
    }
    uint64_t *all = malloc((n ? n : 1) * sizeof(*all));
    if (all == NULL)
        return 2;
    size_t k = 0;
    for (unsigned i = 0; i < started; i++) {
        if (w[i].n)
            memcpy(all + k, w[i].lat_us, w[i].n * sizeof(*all));
        k += w[i].n;
    }
    qsort(all, n, sizeof(*all), cmp_u64);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += all[i];

    double cps = (double)good / elapsed;
    double p50 = (double)percentile(all, n, 50) / 1000.0;
    double p99 = (double)percentile(all, n, 99) / 1000.0;
    double pmax = n ? (double)all[n - 1] / 1000.0 : 0;
    double mean = n ? (double)sum / (double)n / 1000.0 : 0;
    printf("%u clients, %.1f s: %zu calls (%" PRIu64 " good, %" PRIu64 " failed, %" PRIu64
           " retried), %.0f classes/s, %.0f trainee rows/s, latency mean %.2f ms, "
           "p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           started, elapsed, n, good, failed, retried, cps, cps * o.trainees, mean, p50, p99, pmax);
    printf("result calls=%zu good=%" PRIu64 " failed=%" PRIu64 " retried=%" PRIu64
           " seconds=%.3f classes_per_s=%.1f rows_per_s=%.0f mean_ms=%.3f p50_ms=%.3f"
           " p99_ms=%.3f max_ms=%.3f\n",
           n, good, failed, retried, elapsed, cps, cps * o.trainees, mean, p50, p99, pmax);
    for (unsigned i = 0; i < started; i++) {
        if (w[i].failed) {
            fprintf(stderr, "records_load: client %u: %" PRIu64 " failed calls, first: %s: %s\n", i,
                    w[i].failed, nl_status_name(w[i].first_status), w[i].first_msg);
        }
        free(w[i].lat_us);
    }
    free(all);
    free(w);
    return (failed || started != o.clients) ? 1 : 0;
}
