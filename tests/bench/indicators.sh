#!/bin/bash
# tests/bench/indicators.sh: the read path of the indicator engine at city
# scale. Generates (once; cached) a city of 130 units, 200,000 cadres and
# 2,000,000 enrolments over the terms 2015-2020 and 2020-2025
# (tests/bench/gen_city.py), starts the release nhanlucd on a copy of it, and
# times GetReport for the city and for one district, ShowIndicator --by unit,
# every catalogue indicator for the city, and a Query with two group-by
# dimensions through the real server (tests/bench/ind_load.py, grpcio, one
# call at a time); then the flow indicators and queries grouped by a
# trainee's attribute (sex, education, theory: the per-class cache of
# enrolments with the trainees' attributes, checked against SQL); then the
# shutdown backup of that database and its
# `nhanlucd --restore` (RELIABILITY.md 6). A benchmark, not a test: CTest never runs it. What it
# measures, the aims and the figures: tests/bench/README.md.
#
# Generation: nhanlucd is started once on an empty database so that it
# creates the schema itself, stopped with SIGTERM, and gen_city.py fills the
# file with SQL. The result is kept in BUILD/bench-indicators/, keyed by the
# hash of gen_city.py and the schema version of server/store.h; a later run
# with the same key skips generation.
#
# Environment:
#   NL_BENCH_N=30           timed calls per call (after the warm-up calls)
#   NL_BENCH_WARMUP=1       warm-up calls per call (the pool's threads each keep a cache:
#                           NL_BENCH_WARMUP=4 measures a server whose threads are all warm)
#   NL_BENCH_CALL_SECONDS=60  stop timing a call after this many seconds (at least 3 calls)
#   NL_BENCH_TERM=2020-2025 term of the reports and indicators
#   NL_BENCH_UNIT=dist-01   the district of the second report (dist-01 holds the 2022 merge)
#   NL_BENCH_YEAR=2019      the year of the Query
#   NL_BENCH_ONLY=TEXT      time only the calls whose name contains TEXT
#   NL_BENCH_PYTHON=/usr/bin/python3  the Python with grpcio (python3-grpcio)
#   NL_BENCH_REGEN=1        generate the data set again even if cached
#   NL_BENCH_BUILD=build-release   build directory to use
#   NL_BENCH_NO_BUILD=1     use the binaries in the build directory as they are
#   NL_BENCH_STRICT=1       exit 3 when an aim is missed
#   NL_BENCH_KEEP=1         keep the temporary directory (database copy, server log)
#   NL_BENCH_BACKUP=1       time the shutdown backup of the city database and its
#                           --restore (0: backups off)
# Exit: 0 done; 1 a call failed, an answer was wrong or the server misbehaved;
# 2 setup failed; 3 strict and an aim missed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

N=${NL_BENCH_N:-30}
CALL_SECONDS=${NL_BENCH_CALL_SECONDS:-60}
TERM_CODE=${NL_BENCH_TERM:-2020-2025}
UNIT=${NL_BENCH_UNIT:-dist-01}
YEAR=${NL_BENCH_YEAR:-2019}
BUILD=${NL_BENCH_BUILD:-build-release}
RSS_AIM_MIB=256

say() { printf 'bench: %s\n' "$*" >&2; }
# die MESSAGE [CODE]: exit CODE (default 2, setup failure).
die() {
    if [ "${2:-2}" = 1 ]; then
        printf 'bench: FAILED: %s\n' "$1" >&2
    else
        printf 'bench: %s\n' "$1" >&2
    fi
    exit "${2:-2}"
}

# Debian's python3, which has python3-grpcio (a pyenv python3 first on PATH may not).
PYTHON=${NL_BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || die "$PYTHON not found (set NL_BENCH_PYTHON)"
"$PYTHON" -c 'import grpc, google.protobuf' 2>/dev/null ||
    die "python3 grpc/protobuf not found (apt-get install python3-grpcio python3-protobuf)"
command -v grpc_python_plugin >/dev/null ||
    die "grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)"

# --- build ----------------------------------------------------------------------
if [ "${NL_BENCH_NO_BUILD:-0}" != 1 ]; then
    gen=()
    [ -f "$BUILD/CMakeCache.txt" ] || gen=(-G Ninja)
    cmake -S . -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" --target nhanlucd >/dev/null ||
        die "build failed: cmake --build $BUILD --target nhanlucd"
fi
SERVER=$BUILD/server/nhanlucd
[ -x "$SERVER" ] || die "no $SERVER"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[ "$btype" = Release ] ||
    say "WARNING: $BUILD is a '$btype' build, not Release; figures are not comparable"
if grep -q '^NL_SANITIZE:.*=.\+' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    say "WARNING: $BUILD is built with sanitizers; figures are not comparable"
fi

tmp=$(mktemp -d /tmp/nhanluc-ind-bench.XXXXXX)
server_pid=""
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${NL_BENCH_KEEP:-0}" = 1 ]; then
        say "kept $tmp"
    else
        rm -rf "$tmp"
    fi
    if [ -n "${gen_dir:-}" ]; then
        rm -rf "$gen_dir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server DB LOG STARTUP_S [BACKUP_DIR]: starts nhanlucd on DB, sets $server_pid
# and $addr. Backups (at shutdown only) go to BACKUP_DIR when given, else are off.
start_server() {
    local db=$1 log=$2 limit=$3 bdir=${4:-off} port="" i
    "$SERVER" --listen 127.0.0.1:0 --db "$db" --log-level info --auth off --backup-dir "$bdir" \
        --backup-interval-s 0 </dev/null >"$log.out" 2>"$log.err" &
    server_pid=$!
    for ((i = 0; i < limit * 10; i++)); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            tail -n 20 "$log.err" >&2
            server_pid=""
            die "nhanlucd exited during startup"
        fi
        port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$log.out" | head -n 1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || die "no 'listening on' line from nhanlucd within $limit s"
    addr=127.0.0.1:$port
}

# stop_server LOG: SIGTERM to the server started above, bounded wait, exit 0 required.
stop_server() {
    local log=$1 rc=0 i
    kill -TERM "$server_pid"
    for ((i = 0; i < 600; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && die "nhanlucd did not exit within 60 s of SIGTERM" 1
    wait "$server_pid" || rc=$?
    server_pid=""
    [ $rc = 0 ] || {
        tail -n 20 "$log.err" >&2
        die "nhanlucd exited with code $rc after SIGTERM" 1
    }
}

# --- the data set: cached by generator hash and schema version -----------------
schema=$(sed -n 's/^#define NL_STORE_SCHEMA_VERSION \([0-9]*\).*/\1/p' server/store.h)
[ -n "$schema" ] || die "no NL_STORE_SCHEMA_VERSION in server/store.h"
key=$(sha256sum tests/bench/gen_city.py | cut -c1-16)-s$schema
cache=$BUILD/bench-indicators
city_db=$cache/city-$key.db
mkdir -p "$cache"
if [ "${NL_BENCH_REGEN:-0}" = 1 ] || [ ! -f "$city_db" ]; then
    say "generating the data set into $city_db"
    gen_dir=$(mktemp -d "$cache/gen.XXXXXX")
    t0=$(date +%s.%N)
    start_server "$gen_dir/city.db" "$gen_dir/schema" 60
    stop_server "$gen_dir/schema"
    "$PYTHON" tests/bench/gen_city.py "$gen_dir/city.db" >&2 ||
        die "gen_city.py failed" 1
    [ ! -s "$gen_dir/city.db-wal" ] || die "gen_city.py left a WAL behind"
    rm -f "$gen_dir/city.db-wal" "$gen_dir/city.db-shm"
    mv "$gen_dir/city.db" "$city_db"
    find "$cache" -maxdepth 1 -name 'city-*.db' ! -name "city-$key.db" -delete
    rm -rf "$gen_dir"
    gen_dir=""
    gen_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    say "data set generated in $gen_s s (schema by nhanlucd, rows by gen_city.py)"
    gen_note="generated in $gen_s s"
else
    say "reusing the cached data set $city_db (key $key)"
    gen_note="cached"
fi

# --- the run: a copy of the data set, so the cache stays as generated -----------
cp "$city_db" "$tmp/city.db"
t0=$(date +%s.%N)
bdir=off
[ "${NL_BENCH_BACKUP:-1}" = 0 ] || bdir=$tmp/backups
start_server "$tmp/city.db" "$tmp/server" 600 "$bdir"
start_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
rss_start_kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status")
say "nhanlucd pid $server_pid on $addr, listening after $start_s s" \
    "(RSS $((rss_start_kb / 1024)) MiB)"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
load_rc=0
"$PYTHON" tests/bench/ind_load.py --server "$addr" --db "$tmp/city.db" --n "$N" \
    --warmup "${NL_BENCH_WARMUP:-1}" \
    --seconds "$CALL_SECONDS" --term "$TERM_CODE" --unit "$UNIT" --year "$YEAR" \
    ${NL_BENCH_ONLY:+"--only=$NL_BENCH_ONLY"} >"$tmp/load.out" 2>"$tmp/load.err" || load_rc=$?

# The flow indicators grouped by a trainee's attribute, and queries by unit and sex: timed
# with ind_load.py's Bench (same warm-up, n, aims), then checked against SQL on the same file.
grouped_rc=0
"$PYTHON" - "$addr" "$tmp/city.db" "$N" "${NL_BENCH_WARMUP:-1}" "$CALL_SECONDS" "$TERM_CODE" \
    "${NL_BENCH_ONLY:-}" >"$tmp/grouped.out" 2>"$tmp/grouped.err" <<'PYEOF' || grouped_rc=$?
import argparse, sqlite3, sys
sys.path.insert(0, "tests/bench")
import ind_load  # noqa: E402

server, db, n, warmup, seconds, term, only = sys.argv[1:8]
args = argparse.Namespace(server=server, n=int(n), warmup=int(warmup), seconds=float(seconds),
                          term=term, only=only or None)
b = ind_load.Bench(args)
pb, st = b.pb, b.stub
sel = pb.Selection(term=term)
shows = [("trainees", "sex"), ("enrolments", "education"), ("attendance_rate", "sex"),
         ("completion_rate", "political_theory"), ("unexcused_absentees", "key_cadre"),
         ("very_good_rate", "level")]
got = {}
for code, by in shows:
    name = "ShowIndicator %s --by %s" % (code, by)
    if args.only is None or args.only in name:
        got[(code, by)] = b.time_call(name, st.ShowIndicator,
                                      pb.ShowIndicatorRequest(code=code, selection=sel, by=by),
                                      ind_load.INDICATOR_AIM_MS)
queries = [("trainees", [], ["unit", "sex"]), ("enrolments", [("education", "MASTER")], ["unit"]),
           ("enrolments", [("enrolment_status", "WITHDREW")], ["sex"])]
for measure, filters, by in queries:
    name = "Query %s %s by %s" % (measure, " ".join("%s=%s" % f for f in filters), ",".join(by))
    if args.only is None or args.only in name:
        req = pb.QueryRequest(measure=measure, selection=sel, by=by,
                              filters=[pb.QueryFilter(field=f, value=v) for f, v in filters])
        got[(measure, tuple(filters))] = b.time_call(name, st.Query, req, None)

# Against SQL: every group of three grouped answers (the city: every unit is under it).
start, end = term.split("-")
lo, hi = "%s-01-01" % start, "%d-12-31" % (int(end) - 1)
EDU = {1: "BELOW_UNIVERSITY", 2: "UNIVERSITY", 3: "MASTER", 4: "DOCTOR", None: "UNKNOWN"}
THEORY = {1: "NONE", 2: "ELEMENTARY", 3: "INTERMEDIATE", 4: "ADVANCED", 5: "BACHELOR",
          None: "UNKNOWN"}
SEX = {1: "MALE", 2: "FEMALE"}
FROM = (" FROM class c JOIN enrolment e ON e.class_id = c.id JOIN cadre k ON k.id = e.cadre_id"
        " LEFT JOIN cadre_profile p ON p.cadre_id = e.cadre_id AND p.valid_from <= c.end_date"
        " AND (p.valid_to IS NULL OR p.valid_to >= c.end_date)"
        " WHERE c.status != 4 AND e.status != 4 AND c.end_date BETWEEN ? AND ?")
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
checks = [(("trainees", "sex"),
           "SELECT k.sex, count(DISTINCT e.cadre_id), 0" + FROM + " GROUP BY 1", SEX),
          (("enrolments", "education"), "SELECT p.education, count(*), 0" + FROM + " GROUP BY 1",
           EDU),
          (("completion_rate", "political_theory"),
           "SELECT p.political_theory, sum(e.status = 2), sum(e.status IN (2, 3))" + FROM +
           " GROUP BY 1", THEORY)]
bad = 0
for key, sql, names in checks:
    resp = got.get(key)
    if resp is None:
        continue
    want = {names[r[0]]: (r[1], r[2]) for r in con.execute(sql, (lo, hi))}
    have = {v.group[0].value: (v.numerator, v.denominator) for v in resp.values}
    ok = have == want
    bad += not ok
    print("check %-40s server %s, SQL %s: %s" % ("%s --by %s" % key, sorted(have.items()),
                                                  sorted(want.items()), "ok" if ok else "WRONG"))
con.close()
missed = sum(v == "MISSED" for row in b.rows for v in b.verdicts(row))
print("missed %d" % missed)
b.channel.close()
sys.exit(1 if bad or b.failed else 0)
PYEOF

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
hwm_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status")
rss_kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status")
stop_server "$tmp/server"
line=$(grep 'calls by status:' "$tmp/server.err" | tail -n 1 || true)
counts=${line#*calls by status:}

# --- the shutdown backup (RELIABILITY.md 6, F14: < 10 s per 100 MB) and its restore ---
backup_note="backups off (NL_BENCH_BACKUP=0)"
if [ "$bdir" != off ]; then
    bline=$(grep -E 'INFO backup .* \(shutdown\): ' "$tmp/server.err" | tail -n 1 || true)
    [ -n "$bline" ] || die "no shutdown backup in the server log" 1
    bfile=$(sed -n 's/.*INFO backup \(.*\) (shutdown): .*/\1/p' <<<"$bline")
    bbytes=$(sed -n 's/.*(shutdown): \([0-9]*\) bytes.*/\1/p' <<<"$bline")
    bsecs=$(sed -n 's/.*, \([0-9.]*\) s$/\1/p' <<<"$bline")
    mkdir "$tmp/restored"
    t0=$(date +%s.%N)
    "$SERVER" --db "$tmp/restored/city.db" --restore "$bfile" >"$tmp/restore.out" \
        2>"$tmp/restore.err" || { cat "$tmp/restore.err" >&2; die "--restore failed" 1; }
    rsecs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    per100=$(awk -v s="$bsecs" -v b="$bbytes" 'BEGIN { printf "%.2f", s * 100e6 / b }')
    bverdict=$(awk -v p="$per100" 'BEGIN { print (p < 10 ? "ok" : "MISSED") }')
    [ "$bverdict" = ok ] || missed_backup=1
    backup_note=$(printf 'shutdown backup (VACUUM INTO, fsync, integrity_check, SHA-256): %d MB in %s s = %s s per 100 MB (aim < 10 s: %s); --restore (verify, copy, fsync): %s s' \
        "$((bbytes / 1000000))" "$bsecs" "$per100" "$bverdict" "$rsecs")
fi

# --- report -------------------------------------------------------------------
echo
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "nhanlucd indicator benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($cpu)," \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- \
    server common 2>/dev/null || echo ' (server or common modified)')"
echo "data set: 130 units, 200,000 cadres, 2,000,000 enrolments ($gen_note;" \
    "$(du -m "$tmp/city.db" | cut -f1) MB); nhanlucd listening $start_s s after start"
echo "term $TERM_CODE, district $UNIT, query year $YEAR; ${NL_BENCH_WARMUP:-1} warm-up call(s), then up to $N" \
    "timed calls per call (at most $CALL_SECONDS s each), one at a time"
echo "load average (1, 5, 15 min) before the calls: $load_before; after: $load_after" \
    "(other processes share the CPUs: compare figures at a low load only)"
cat "$tmp/load.out"
echo "grouped by a trainee's attribute:"
grep -v '^missed ' "$tmp/grouped.out" || true
hwm_verdict=ok
missed=$(sed -n 's/^missed \([0-9]*\)$/\1/p' "$tmp/load.out")
gmissed=$(sed -n 's/^missed \([0-9]*\)$/\1/p' "$tmp/grouped.out")
missed=$((${missed:-0} + ${gmissed:-0}))
echo "missed $missed (all calls)"
if [ "$hwm_kb" -ge $((RSS_AIM_MIB * 1024)) ]; then
    hwm_verdict=MISSED
    missed=$((${missed:-0} + 1))
fi
[ -z "${missed_backup:-}" ] || missed=$((${missed:-0} + 1))
printf '%s %.1f MiB (aim < %d MiB: %s); RSS after start %.1f MiB, at the end %.1f MiB\n' \
    'server peak RSS (VmHWM)' \
    "$(awk -v k="$hwm_kb" 'BEGIN { print k / 1024 }')" "$RSS_AIM_MIB" "$hwm_verdict" \
    "$(awk -v k="$rss_start_kb" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
echo "server calls by status:${counts:- (no line)}"
echo "$backup_note"
if [ "$load_rc" != 0 ]; then
    cat "$tmp/load.err" >&2
    die "ind_load.py exited $load_rc: a call failed or an answer was wrong" 1
fi
if [ "$grouped_rc" != 0 ]; then
    cat "$tmp/grouped.err" >&2
    die "the grouped calls exited $grouped_rc: a call failed or an answer was wrong" 1
fi
read -ra pairs <<<"$counts"
bad=$(printf '%s\n' "${pairs[@]}" | grep -v '^OK=' || true)
[ -z "$bad" ] || die "server answered non-OK statuses:$counts" 1
if [ "${missed:-0}" != 0 ] && [ "${NL_BENCH_STRICT:-0}" = 1 ]; then
    exit 3
fi
exit 0
