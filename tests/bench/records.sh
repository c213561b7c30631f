#!/bin/bash
# tests/bench/records.sh: the write path of nhanlucd. 16 concurrent clients
# submit distinct classes of 50 trainees (nhanluc.v1.Records/SubmitClass) for
# 30 s, with the server's synchronous=FULL, first with group commit (the
# default --group-commit-max) and then without it (--group-commit-max 1: one
# transaction and one fsync per call). A benchmark, not a test: CTest never
# runs it. What it measures and the figures: tests/bench/README.md.
#
# Each run uses a fresh server and database, on the disk of the repository
# (never tmpfs: an fsync there costs nothing and the figures would lie). Setup
# goes through the CLI: the city, one district, 2,000 cadres imported from a
# generated cadres.csv. The load is tests/bench/records_load (built with the
# release build). At the end of each run the server is stopped with SIGTERM;
# it must exit 0 and its "calls by status:" line must show OK only, else exit 1.
#
# Environment:
#   NL_BENCH_SECONDS=30     seconds of load per run
#   NL_BENCH_CLIENTS=16     concurrent clients (threads, one connection each)
#   NL_BENCH_TRAINEES=50    trainees (enrolments) per class
#   NL_BENCH_CADRES=2000    cadres imported before the load
#   NL_BENCH_PROGRESS=5     seconds per interval of the classes/s series printed per run
#   NL_BENCH_GROUP=50       --group-commit-max of the first run (the server's default)
#   NL_BENCH_ONLY_GROUP=1   skip the run without group commit
#   NL_BENCH_DIR=DIR        where the database goes (default: a temp dir in /tmp, or in
#                           the build dir when /tmp is tmpfs)
#   NL_BENCH_BUILD=build-release   build directory to use
#   NL_BENCH_NO_BUILD=1     use the binaries in the build directory as they are
#   NL_BENCH_STRICT=1       exit 3 when the aim (1,500 classes/s) is missed
#   NL_BENCH_KEEP=1         keep the temporary directory (logs, databases)
#   NL_BENCH_PERF=S         record `perf record -g` of the server for S seconds in the
#                           middle of the group-commit run (kept as DIR/perf.data)
# Exit: 0 done; 1 a correctness check failed; 2 setup failed; 3 strict and missed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

SECONDS_RUN=${NL_BENCH_SECONDS:-30}
CLIENTS=${NL_BENCH_CLIENTS:-16}
TRAINEES=${NL_BENCH_TRAINEES:-50}
CADRES=${NL_BENCH_CADRES:-2000}
GROUP=${NL_BENCH_GROUP:-50}
BUILD=${NL_BENCH_BUILD:-build-release}
PROGRESS=${NL_BENCH_PROGRESS:-5}
AIM=1500

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

# --- build ----------------------------------------------------------------------
if [ "${NL_BENCH_NO_BUILD:-0}" != 1 ]; then
    gen=()
    [ -f "$BUILD/CMakeCache.txt" ] || gen=(-G Ninja)
    cmake -S . -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" --target nhanlucd nhanluc records_load >/dev/null ||
        die "build failed: cmake --build $BUILD --target nhanlucd nhanluc records_load"
fi
SERVER=$BUILD/server/nhanlucd
CLI=$BUILD/client/nhanluc
LOAD=$BUILD/tests/bench/records_load
for b in "$SERVER" "$CLI" "$LOAD"; do
    [ -x "$b" ] || die "no $b"
done
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[ "$btype" = Release ] ||
    say "WARNING: $BUILD is a '$btype' build, not Release; figures are not comparable"
if grep -q '^NL_SANITIZE:.*=.\+' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    say "WARNING: $BUILD is built with sanitizers; figures are not comparable"
fi

# --- where the database goes: a real disk, never tmpfs ---------------------------
fstype() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }
if [ -n "${NL_BENCH_DIR:-}" ]; then
    mkdir -p "$NL_BENCH_DIR"
    tmp=$(mktemp -d "$NL_BENCH_DIR/records-bench.XXXXXX")
elif [ "$(fstype /tmp)" = tmpfs ] || [ "$(fstype /tmp)" = ramfs ]; then
    tmp=$(mktemp -d "$PWD/$BUILD/records-bench.XXXXXX")
else
    tmp=$(mktemp -d /tmp/nhanluc-records-bench.XXXXXX)
fi
fs=$(fstype "$tmp")
case $fs in tmpfs | ramfs)
    rm -rf "$tmp"
    die "$tmp is on $fs; set NL_BENCH_DIR to a directory on a disk" ;;
esac
# stat -f names ext4 "ext2/ext3"; df -T gives the mounted type.
fs=$(df -PT "$tmp" | awk 'NR == 2 { print $2 }')
dev=$(df -P "$tmp" | awk 'NR == 2 { print $1 }')
say "database directory $tmp ($fs on $dev)"

server_pid=""
perf_pid=""
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    if [ -n "$perf_pid" ] && kill -0 "$perf_pid" 2>/dev/null; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
    fi
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${NL_BENCH_KEEP:-0}" = 1 ] || [ -n "${NL_BENCH_PERF:-}" ]; then
        say "kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the cadres file: CADRES cadres B00001.. in the district --------------------
awk -v n="$CADRES" 'BEGIN {
    print "cadre_code,full_name,sex,birth_year,unit,position_title,key_cadre,level," \
          "mgmt_category,education,political_theory,state_mgmt,as_of"
    for (i = 1; i <= n; i++)
        printf "B%05d,Cán bộ %d,%s,%d,bench-district,Chuyên viên,%s,DISTRICT,OTHER," \
               "UNIVERSITY,INTERMEDIATE,OFFICER,2020-01-01\n", i, i,
               (i % 2 ? "MALE" : "FEMALE"), 1960 + i % 40, (i % 10 ? "" : "x")
}' >"$tmp/cadres.csv"

# start_server NAME ARGS...: starts nhanlucd on a fresh database, sets $addr.
start_server() {
    local name=$1 port=""
    shift
    "$SERVER" --listen 127.0.0.1:0 --db "$tmp/$name.db" --log-level info --auth off --backup-dir off "$@" \
        </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
    server_pid=$!
    for _ in $(seq 100); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$tmp/$name.err" >&2
            die "nhanlucd exited during startup"
        fi
        port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/$name.out" | head -n 1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || die "no 'listening on' line from nhanlucd within 10 s"
    addr=127.0.0.1:$port
}

# stop_server NAME: SIGTERM, wait, check exit 0 and OK-only; sets $hwm_kb $counts
# $ok_count.
stop_server() {
    local name=$1 rc=0 line bad
    hwm_kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$server_pid/status")
    kill -TERM "$server_pid"
    for _ in $(seq 450); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && die "nhanlucd did not exit within 45 s of SIGTERM" 1
    wait "$server_pid" || rc=$?
    server_pid=""
    [ $rc = 0 ] || {
        tail -n 20 "$tmp/$name.err" >&2
        die "nhanlucd ($name) exited with code $rc after SIGTERM" 1
    }
    line=$(grep 'calls by status:' "$tmp/$name.err" | tail -n 1 || true)
    [ -n "$line" ] || die "no 'calls by status:' line in the server log ($name)" 1
    counts=${line#*calls by status:}
    local -a pairs
    read -ra pairs <<<"$counts"
    bad=$(printf '%s\n' "${pairs[@]}" | grep -v '^OK=' || true)
    [ -z "$bad" ] || die "server ($name) answered non-OK statuses:$counts" 1
    ok_count=$(printf '%s\n' "${pairs[@]}" | sed -n 's/^OK=//p')
}

# run NAME GROUP_MAX: one full run; appends "name group calls/s rows/s p50 p99 max
# calls hwm_kb" to $tmp/results.
run() {
    local name=$1 group=$2 out r calls good failed
    say "run '$name': --group-commit-max $group, $CLIENTS clients, $SECONDS_RUN s," \
        "classes of $TRAINEES"
    start_server "$name" --group-commit-max "$group"
    "$CLI" --server "$addr" unit add bench-city "Thành phố Benchmark" --kind city >/dev/null ||
        die "nhanluc unit add bench-city failed" 1
    "$CLI" --server "$addr" unit add bench-district "Quận Benchmark" --kind urban_district \
        --parent bench-city >/dev/null || die "nhanluc unit add bench-district failed" 1
    "$CLI" --server "$addr" --timeout 2m import "$tmp/cadres.csv" >"$tmp/$name.import" ||
        die "nhanluc import cadres.csv failed: $(cat "$tmp/$name.import")" 1

    if [ -n "${NL_BENCH_PERF:-}" ] && [ "$name" = group ]; then
        command -v perf >/dev/null || die "NL_BENCH_PERF set but perf not found"
        (
            sleep "$(awk -v s="$SECONDS_RUN" -v p="$NL_BENCH_PERF" 'BEGIN {
                d = (s - p) / 2; print (d > 0 ? d : 0) }')"
            exec perf record -g -o "$tmp/perf.data" -p "$server_pid" -- sleep "$NL_BENCH_PERF"
        ) >"$tmp/perf.out" 2>&1 &
        perf_pid=$!
    fi
    out=$tmp/$name.load
    "$LOAD" --server "$addr" --unit bench-district --clients "$CLIENTS" \
        --seconds "$SECONDS_RUN" --trainees "$TRAINEES" --cadres "$CADRES" --tag "$name" \
        --progress "$PROGRESS" >"$out" 2>"$out.err" || {
        cat "$out" "$out.err" >&2
        stop_server "$name" || true
        die "records_load ($name): some calls failed" 1
    }
    if [ -n "$perf_pid" ]; then
        wait "$perf_pid" || say "perf record failed: $(tail -n 3 "$tmp/perf.out")"
        perf_pid=""
    fi
    say "$(head -n 1 "$out")"
    stop_server "$name"
    r=$(sed -n 's/^result //p' "$out")
    [ -n "$r" ] || die "no result line from records_load ($name)" 1
    # key=value pairs -> variables (local to this function; seconds= is not used)
    local calls_ good_ failed_ retried_ classes_per_s_ rows_per_s_ mean_ms_ p50_ms_
    local p99_ms_ max_ms_ kv
    for kv in $r; do
        printf -v "${kv%%=*}_" '%s' "${kv#*=}"
    done
    calls=$calls_ good=$good_ failed=$failed_
    if [ "$failed" != 0 ] || [ "$good" != "$calls" ]; then
        die "records_load ($name): $failed failed" 1
    fi
    # Every acknowledged class is in the database with all its trainees.
    if command -v sqlite3 >/dev/null; then
        local in_db
        in_db=$(sqlite3 "$tmp/$name.db" "SELECT count(*) FROM class; SELECT count(*) FROM enrolment;" |
            tr '\n' ' ')
        [ "$in_db" = "$calls $((calls * TRAINEES)) " ] ||
            die "database ($name) holds classes, enrolments = $in_db; expected $calls" \
                "$((calls * TRAINEES))" 1
    fi
    # The server saw exactly: 2 unit adds, the import's calls, and the load's calls
    # (plus retries, which the load reports).
    [ "${ok_count:-0}" -ge "$calls" ] ||
        die "server counted OK=${ok_count:-0} < $calls calls ($name)" 1
    echo "$name $group $classes_per_s_ $rows_per_s_ $p50_ms_ $p99_ms_ $max_ms_ $calls" \
        "$hwm_kb $retried_ $mean_ms_" >>"$tmp/results"
    # "records_load:     5 s:    11234 classes,   2247 classes/s" -> "2247"
    sed -n 's/^records_load: .* \([0-9]*\) classes\/s$/\1/p' "$out.err" | tr '\n' ' ' \
        >"$tmp/$name.series"
}

: >"$tmp/results"
run group "$GROUP"
[ "${NL_BENCH_ONLY_GROUP:-0}" = 1 ] || run nogroup 1

# --- what synchronous=FULL costs on this disk ------------------------------------
# One fsync (fdatasync) of a small write, timed: SQLite in WAL mode with
# synchronous=FULL syncs the WAL at every commit.
fsync_ms=$(dd if=/dev/zero of="$tmp/fsync.probe" bs=4k count=200 oflag=dsync 2>&1 |
    sed -n 's/.* copied, \([0-9.]*\) s.*/\1/p' | awk '{ if ($1 > 0) printf "%.3f", $1 / 200 * 1000 }')
rm -f "$tmp/fsync.probe"

# --- report -------------------------------------------------------------------
echo
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "nhanlucd records benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($cpu)," \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- \
    server common 2>/dev/null || echo ' (server or common modified)')"
echo "SubmitClass, $CLIENTS clients, $SECONDS_RUN s per run, $TRAINEES trainees per class," \
    "synchronous=FULL, journal_mode=WAL; database on $fs ($dev), $tmp"
[ -n "$fsync_ms" ] && echo "one 4 KiB write + fdatasync on that disk (dd oflag=dsync): $fsync_ms ms"
printf '%-26s %9s %11s %13s %8s %8s %8s %9s %9s\n' run calls classes/s "trainee rows/s" \
    "p50 ms" "p99 ms" "max ms" "peak RSS" retried
while read -r name group cps rps p50 p99 pmax calls hwm retried _; do
    label="group commit (max $group)"
    [ "$name" = nogroup ] && label="no group commit (max 1)"
    printf '%-26s %9s %11.0f %13.0f %8s %8s %8s %7.1fMi %9s\n' "$label" "$calls" "$cps" "$rps" \
        "$p50" "$p99" "$pmax" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$retried"
done <"$tmp/results"
while read -r name _; do
    [ -s "$tmp/$name.series" ] &&
        echo "$name: classes/s per ${PROGRESS} s as the tables grow: $(cat "$tmp/$name.series")"
done <"$tmp/results"
g_cps=$(awk '$1 == "group" { print $3 }' "$tmp/results")
n_cps=$(awk '$1 == "nogroup" { print $3 }' "$tmp/results")
if [ -n "$n_cps" ]; then
    awk -v g="$g_cps" -v n="$n_cps" 'BEGIN {
        if (n > 0) printf "group commit buys x%.1f classes/s\n", g / n }'
fi
verdict=met
awk -v g="$g_cps" -v a="$AIM" 'BEGIN { exit !(g + 0 >= a) }' || verdict=MISSED
echo "aim >= $AIM classes/s ($((AIM * 50)) trainee rows/s at 50 per class) with group commit:" \
    "$verdict ($(printf '%.0f' "$g_cps") classes/s)"
echo "every call answered OK (server 'calls by status:' lines checked)"
if [ "$verdict" = MISSED ] && [ "${NL_BENCH_STRICT:-0}" = 1 ]; then
    exit 3
fi
exit 0
