#!/bin/bash
# tests/bench/import.sh: bulk import of enrolments through `nhanluc import`, in
# two class shapes of the same 50,000 rows: 10 classes of 5,000 trainees (the
# most a class may hold) and 500 classes of 100. Issue 3 promises that a
# 50,000-row enrolments file imports in under a minute; an audit found the
# cost per row growing with the class size, so both shapes are timed. A
# benchmark, not a test: CTest never runs it. What it measures and the
# figures: tests/bench/README.md.
#
# Builds nothing: it uses the binaries of a release build (NL_BENCH_BUILD).
# For each shape, on a fresh server (its own temporary database, --auth off,
# 127.0.0.1 with a port the kernel picks) it creates a city and a district
# with the CLI, generates classes.csv, cadres.csv (one cadre per enrolment) and
# enrolments.csv (deterministic: the same files every run), imports cadres,
# classes and enrolments in that order, then imports enrolments.csv once more
# with another --batch (so no batch id matches a committed batch and every row
# is checked again: all unchanged), and prints seconds, rows/s and the
# server's CPU time per row of each import. The server is stopped with SIGTERM
# by its PID; it must exit 0 and answer OK only, each import's summary must
# count what the files hold (enrolments: all created, then all unchanged), and
# the database must hold every class with all its trainees, else exit 1.
#
# Environment:
#   NL_BENCH_BUILD=build-release   build directory holding server/nhanlucd and client/nhanluc
#   NL_BENCH_SHAPES="10x5000 500x100"   the shapes to run, CLASSESxTRAINEES each
#   NL_BENCH_BATCH=1000     rows per import batch (nhanluc import --batch; its default)
#   NL_BENCH_DIR=DIR        where the temporary directory goes (default /tmp)
#   NL_BENCH_STRICT=1       exit 3 when an enrolments import takes 60 s or more
#   NL_BENCH_KEEP=1         keep the temporary directory (CSV files, databases, logs)
# Exit: 0 done; 1 a correctness check failed; 2 setup failed; 3 strict and missed.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."

BUILD=${NL_BENCH_BUILD:-build-release}
SHAPES=${NL_BENCH_SHAPES:-10x5000 500x100}
BATCH=${NL_BENCH_BATCH:-1000}
REPLAY_BATCH=$((BATCH > 1 ? BATCH - 1 : 2))
AIM_S=60

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

SERVER=$BUILD/server/nhanlucd
CLI=$BUILD/client/nhanluc
for b in "$SERVER" "$CLI"; do
    [ -x "$b" ] || die "no $b (build it: cmake -S . -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C $BUILD nhanlucd nhanluc)"
done
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
[ "$btype" = Release ] ||
    say "WARNING: $BUILD is a '$btype' build, not Release; figures are not comparable"
if grep -q '^NL_SANITIZE:.*=.\+' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    say "WARNING: $BUILD is built with sanitizers; figures are not comparable"
fi
command -v python3 >/dev/null || die "python3 not found (reads the import summaries)"

tmp=$(mktemp -d "${NL_BENCH_DIR:-/tmp}/nhanluc-import-bench.XXXXXX")
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
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME: nhanlucd on a fresh database $tmp/NAME.db; sets $server_pid, $addr.
start_server() {
    local name=$1 port="" i
    : >"$tmp/$name.out"
    "$SERVER" --listen 127.0.0.1:0 --db "$tmp/$name.db" --log-level info --auth off \
        --backup-dir off </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" &
    server_pid=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            tail -n 20 "$tmp/$name.err" >&2
            server_pid=""
            die "nhanlucd exited during startup"
        fi
        port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/$name.out" | head -n 1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || die "no 'listening on' line from nhanlucd within 10 s"
    addr=127.0.0.1:$port
}

# stop_server NAME: SIGTERM to $server_pid, bounded wait, exit 0 and OK-only answers required.
stop_server() {
    local name=$1 rc=0 i line bad
    local -a pairs
    kill -TERM "$server_pid"
    for ((i = 0; i < 600; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$server_pid" 2>/dev/null && die "nhanlucd did not exit within 60 s of SIGTERM" 1
    wait "$server_pid" || rc=$?
    server_pid=""
    [ $rc = 0 ] || {
        tail -n 20 "$tmp/$name.err" >&2
        die "nhanlucd ($name) exited with code $rc after SIGTERM" 1
    }
    line=$(grep 'calls by status:' "$tmp/$name.err" | tail -n 1 || true)
    [ -n "$line" ] || die "no 'calls by status:' line in the server log ($name)" 1
    read -ra pairs <<<"${line#*calls by status:}"
    bad=$(printf '%s\n' "${pairs[@]}" | grep -v '^OK=' || true)
    [ -z "$bad" ] || die "server ($name) answered non-OK statuses: ${line#*calls by status:}" 1
}

# cpu_ticks: user + system clock ticks of the server so far.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$server_pid/stat"
}

# gen SHAPE CLASSES TRAINEES: the three CSV files of a shape in $tmp/SHAPE/. Trainee j of
# class i is cadre B(i * TRAINEES + j): every row a different cadre.
gen() {
    local dir=$tmp/$1 classes=$2 trainees=$3
    mkdir -p "$dir"
    awk -v n=$((classes * trainees)) 'BEGIN {
        print "cadre_code,full_name,sex,birth_year,unit,position_title,key_cadre,level," \
              "mgmt_category,education,political_theory,state_mgmt,as_of"
        for (i = 1; i <= n; i++)
            printf "B%06d,Cán bộ %d,%s,%d,bench-district,Chuyên viên,%s,DISTRICT,OTHER," \
                   "UNIVERSITY,INTERMEDIATE,OFFICER,2020-01-01\n", i, i,
                   (i % 2 ? "MALE" : "FEMALE"), 1960 + i % 40, (i % 10 ? "" : "x")
    }' >"$dir/cadres.csv"
    awk -v n="$classes" -v t="$trainees" 'BEGIN {
        print "class_ref,organiser_unit,title,kind,area,target_group,mode,start_date," \
              "end_date,sessions,planned_trainees,status"
        for (i = 1; i <= n; i++)
            printf "K-%04d,bench-district,Lớp bồi dưỡng %d,UPGRADE,IT,CIVIL_SERVANT,FULL_TIME," \
                   "2021-03-01,2021-%02d-%02d,20,%d,ENDED\n", i, i, 4 + i % 8, 1 + i % 28, t
    }' >"$dir/classes.csv"
    awk -v n="$classes" -v t="$trainees" 'BEGIN {
        print "class_ref,organiser_unit,cadre_code,status,result,attended,absent_excused," \
              "absent_unexcused,thesis_score,certificate_no"
        for (i = 1; i <= n; i++)
            for (j = 1; j <= t; j++) {
                k = (i - 1) * t + j
                if (k % 20 == 0)
                    printf "K-%04d,bench-district,B%06d,WITHDREW,,2,0,0,,\n", i, k
                else if (k % 10 == 0)
                    printf "K-%04d,bench-district,B%06d,FAILED,FAIL,12,4,4,,\n", i, k
                else
                    printf "K-%04d,bench-district,B%06d,COMPLETED,%s,%d,%d,0,%s,C%04d/%05d\n",
                           i, k, (k % 3 ? "GOOD" : "VERY_GOOD"), 18 + k % 3, 2 - k % 3,
                           (k % 2 ? "8.5" : ""), i, j
            }
    }' >"$dir/enrolments.csv"
}

# import SHAPE FILE LABEL ROWS WANT BATCH: imports FILE in batches of BATCH rows, checks the
# summary's created / unchanged count against ROWS (WANT "created" or "unchanged"), and
# appends "SHAPE LABEL rows seconds cpu_seconds" to $tmp/results.
import() {
    local shape=$1 file=$2 label=$3 rows=$4 want=$5 batch=$6 t0 t1 c0 c1 got
    c0=$(cpu_ticks)
    t0=$(date +%s.%N)
    "$CLI" --server "$addr" --output json --timeout 10m import "$tmp/$shape/$file" \
        --batch "$batch" >"$tmp/$shape/$label.json" 2>"$tmp/$shape/$label.err" || {
        cat "$tmp/$shape/$label.err" >&2
        die "nhanluc import $file ($shape) failed" 1
    }
    t1=$(date +%s.%N)
    c1=$(cpu_ticks)
    got=$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["rows"], s["created"], s["updated"], s["unchanged"], s["rejected"])' \
        "$tmp/$shape/$label.json")
    case $want in
    created) [ "$got" = "$rows $rows 0 0 0" ] ;;
    unchanged) [ "$got" = "$rows 0 0 $rows 0" ] ;;
    esac || die "import $file ($shape, $label): rows created updated unchanged rejected =" \
        "$got; expected $rows all $want" 1
    awk -v s="$shape" -v l="$label" -v r="$rows" -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" \
        -v hz="$(getconf CLK_TCK)" 'BEGIN {
        printf "%s %s %d %.2f %.2f\n", s, l, r, b - a, c / hz }' >>"$tmp/results"
    say "$shape $label: $(tail -n 1 "$tmp/results" | awk '{ print $3 " rows in " $4 " s" }')"
}

: >"$tmp/results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for shape in $SHAPES; do
    classes=${shape%x*}
    trainees=${shape#*x}
    [[ "$classes" =~ ^[0-9]+$ && "$trainees" =~ ^[0-9]+$ && "$trainees" -le 5000 ]] ||
        die "bad shape '$shape' (CLASSESxTRAINEES, at most 5000 trainees)"
    rows=$((classes * trainees))
    say "shape $shape: $classes classes x $trainees trainees = $rows enrolments"
    gen "$shape" "$classes" "$trainees"
    start_server "$shape"
    "$CLI" --server "$addr" unit add bench-city "Thành phố Benchmark" --kind city >/dev/null ||
        die "nhanluc unit add bench-city failed" 1
    "$CLI" --server "$addr" unit add bench-district "Quận Benchmark" --kind urban_district \
        --parent bench-city >/dev/null || die "nhanluc unit add bench-district failed" 1
    import "$shape" cadres.csv cadres "$rows" created "$BATCH"
    import "$shape" classes.csv classes "$classes" created "$BATCH"
    import "$shape" enrolments.csv enrolments "$rows" created "$BATCH"
    # Another --batch gives other batch ids: no batch replays a stored answer, every row
    # goes through its handler again and is found unchanged.
    import "$shape" enrolments.csv replay "$rows" unchanged "$REPLAY_BATCH"
    stop_server "$shape"
    # The database holds every row: each class with its trainees.
    if command -v sqlite3 >/dev/null; then
        in_db=$(sqlite3 "$tmp/$shape.db" "SELECT count(*) FROM class; SELECT count(*) FROM
            (SELECT class_id FROM enrolment GROUP BY class_id HAVING count(*) = $trainees);
            SELECT count(*) FROM enrolment;" | tr '\n' ' ')
        [ "$in_db" = "$classes $classes $rows " ] ||
            die "database ($shape) holds classes, full classes, enrolments = $in_db;" \
                "expected $classes $classes $rows" 1
    fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------
echo
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "nhanlucd import benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($cpu)," \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- \
    server common client 2>/dev/null || echo ' (server, common or client modified)')"
echo "nhanluc import --batch $BATCH, replay --batch $REPLAY_BATCH (each: a dry pass over every" \
    "row, then the real batches);" \
    "load average $load_before before, $load_after after"
printf '%-9s %-11s %7s %9s %9s %12s %14s\n' shape file rows seconds rows/s "server CPU s" \
    "CPU us per row"
verdict=met
while read -r shape label rows secs cpu_s; do
    printf '%-9s %-11s %7d %9.2f %9.0f %12.2f %14.0f\n' "$shape" "$label" "$rows" "$secs" \
        "$(awk -v r="$rows" -v s="$secs" 'BEGIN { print (s > 0 ? r / s : 0) }')" "$cpu_s" \
        "$(awk -v r="$rows" -v c="$cpu_s" 'BEGIN { print c * 1e6 / r }')"
    if [ "$label" = enrolments ] &&
        ! awk -v s="$secs" -v a="$AIM_S" 'BEGIN { exit !(s < a) }'; then
        verdict=MISSED
    fi
done <"$tmp/results"
echo "aim: every enrolments import (created) under $AIM_S s: $verdict"
echo "every call answered OK; every summary counted the files' rows"
if [ "$verdict" = MISSED ] && [ "${NL_BENCH_STRICT:-0}" = 1 ]; then
    exit 3
fi
exit 0
