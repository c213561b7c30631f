#!/bin/bash
# deploy/run.sh: build nhanluc and run nhanlucd on 127.0.0.1:50051 with the
# database in ./var/nhanluc.db, the first of the README's two commands.
#
# Steps: Debian packages (deploy/deps.sh run) -> release build in build-release/
# -> start nhanlucd in the background -> wait (at most 10 s) until
# `nhanluc health` answers -> on the first start, load the demo data set
# (deploy/demo/README.md) with `nhanluc import` -> show what the database
# holds through the CLI ->
# stream the server log until Ctrl-C. Ctrl-C (or SIGTERM to this script) is
# forwarded to the server as SIGTERM, which drains and exits; this script exits
# with the server's exit code.
#
# Environment: NL_RUN_LISTEN (default 127.0.0.1:50051), NL_RUN_DB (default
# ./var/nhanluc.db), NL_RUN_LOG_LEVEL (default info), NL_RUN_DEMO (0: no demo
# data on a first start).
#
# nhanlucd requires a token on every call: on the first start this script
# makes an admin token with `nhanlucd --bootstrap-admin` and keeps it in
# $DB.admin-token (mode 0600); its own CLI calls use it (NHANLUC_TOKEN_FILE).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

LISTEN=${NL_RUN_LISTEN:-127.0.0.1:50051}
DB=${NL_RUN_DB:-./var/nhanluc.db}
LOG_LEVEL=${NL_RUN_LOG_LEVEL:-info}
BUILD=build-release
LOG=var/nhanlucd.log
HOST=${LISTEN%:*}
PORT=${LISTEN##*:}

say() { printf 'run: %s\n' "$*"; }
die() {
    printf 'run: %s\n' "$*" >&2
    exit 1
}

./deploy/deps.sh run

# --- build ------------------------------------------------------------------
gen=()
[ -f "$BUILD/CMakeCache.txt" ] || gen=(-G Ninja)
cmake -S . -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --target nhanlucd nhanluc nl_protoset
SERVER=$PWD/$BUILD/server/nhanlucd
CLI=$PWD/$BUILD/client/nhanluc
[ -x "$SERVER" ] || die "build produced no $SERVER"
[ -x "$CLI" ] || die "build produced no $CLI"
export NHANLUC_SERVER=$LISTEN
TOKEN_FILE=$DB.admin-token
nl() { NHANLUC_TOKEN_FILE=$TOKEN_FILE "$CLI" --server "$LISTEN" "$@"; }

# --- start --------------------------------------------------------------------
mkdir -p var "$(dirname "$DB")"
# Something already answering on the port? Then nhanlucd could not bind it.
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
    die "port $PORT on $HOST is already in use (another nhanlucd?); stop that process" \
        "or set NL_RUN_LISTEN=127.0.0.1:OTHERPORT"
fi

: >"$LOG"
# The admin token this script (and you) call with; made once, kept beside the database.
if [ ! -s "$TOKEN_FILE" ]; then
    force=()
    [ -e "$DB" ] && force=(--force) # an older database may hold an admin token already
    (umask 077 && "$SERVER" --db "$DB" --bootstrap-admin --name run.sh "${force[@]}" \
        >"$TOKEN_FILE.tmp" 2>>"$LOG") || die "nhanlucd --bootstrap-admin failed (see $LOG)"
    mv "$TOKEN_FILE.tmp" "$TOKEN_FILE"
    say "admin token made: $TOKEN_FILE (mode 0600)"
fi
# setsid: the server gets its own process group, so a Ctrl-C reaches only this
# script, which then sends the server exactly one SIGTERM.
setsid "$SERVER" --listen "$LISTEN" --db "$DB" --log-level "$LOG_LEVEL" \
    </dev/null >>"$LOG" 2>&1 &
server_pid=$!

stop_server() {
    say "stopping nhanlucd (pid $server_pid)"
    kill -TERM "$server_pid" 2>/dev/null || true
}
signalled=0
trap 'signalled=1; stop_server' INT TERM
trap 'kill -TERM "$server_pid" 2>/dev/null || true' EXIT

# Startup failure: show the log and exit with the server's code.
startup_failed() {
    local rc=0
    wait "$server_pid" || rc=$?
    trap - EXIT
    echo "run: nhanlucd exited during startup with code $rc; its log ($LOG):" >&2
    sed 's/^/    /' "$LOG" >&2
    if grep -qiE 'address already in use|EADDRINUSE' "$LOG"; then
        echo "run: port $PORT on $HOST is already in use;" \
            "stop the other process or set NL_RUN_LISTEN" >&2
    fi
    exit $((rc == 0 ? 1 : rc))
}

# Ready = the "listening on" line is out and `nhanluc health` answers, within
# 10 s in all. Each health call is bounded too: the CLI retries UNAVAILABLE
# with backoff, which could outlast our budget.
ready=0
SECONDS=0
while [ $SECONDS -lt 10 ] && [ $signalled = 0 ]; do
    kill -0 "$server_pid" 2>/dev/null || startup_failed
    if grep -q '^listening on ' "$LOG" && timeout 3 "$CLI" --server "$LISTEN" health \
        >/dev/null 2>&1; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ $signalled = 1 ]; then
    rc=0
    wait "$server_pid" || rc=$?
    trap - EXIT
    exit "$rc"
fi
if [ $ready = 0 ]; then
    kill -0 "$server_pid" 2>/dev/null || startup_failed
    echo "run: nhanlucd did not answer 'nhanluc health' within 10 s; its log ($LOG):" >&2
    sed 's/^/    /' "$LOG" >&2
    stop_server
    wait "$server_pid" || true
    trap - EXIT
    exit 1
fi

# === demo data, then the listing and the city report ==========================
# Every step runs through "$CLI" (function nl), so it exercises the real API.

# --- demo data (issue 3) ------------------------------------------------------
# On the first start only (the database holds no unit), deploy/demo/gen_demo.py
# writes the demo data set (deploy/demo/README.md) into a temp dir and every
# file goes in with `nhanluc import`, in dependency order: the same path a
# district office uses. A marker file next to the database stays until every
# file is in, so a load that was cut (Ctrl-C, a crash) is finished on the next
# start; imports are idempotent, so rows already in count as unchanged.
# NL_RUN_DEMO=0 skips the demo on a first start.
DEMO_FILES=(units terms unit_events term_instances cadres classes enrolments committee seats
    planning reviews reports targets)
DEMO_MARK="$DB.demo-loading"
demo_tmp=

# load_demo: 0 = loaded (or not needed), 1 = failed, 2 = interrupted by a signal.
load_demo() {
    local units kind out rc imp
    if [ ! -e "$DEMO_MARK" ]; then
        [ "${NL_RUN_DEMO:-1}" != 0 ] || return 0
        units=$(NHANLUC_TOKEN_FILE=$TOKEN_FILE timeout 30 "$CLI" --server "$LISTEN" \
            --output csv export units) || {
            say "demo: cannot tell whether the database is empty (nhanluc export units failed)"
            return 1
        }
        # header only = no unit at all
        [ "$(printf '%s\n' "$units" | grep -c .)" -le 1 ] || return 0
        : >"$DEMO_MARK"
        say "demo: first start, loading the demo data set (deploy/demo/README.md)"
    else
        say "demo: finishing the demo load that an earlier start began"
    fi
    demo_tmp=$(mktemp -d "${TMPDIR:-/tmp}/nhanluc-demo.XXXXXX")
    /usr/bin/python3 deploy/demo/gen_demo.py "$demo_tmp" || {
        say "demo: gen_demo.py failed"
        return 1
    }
    printf 'run: demo: %-19s %6s %7s %7s %9s %8s\n' file rows created updated unchanged \
        rejected
    for kind in "${DEMO_FILES[@]}"; do
        # in the background, so a Ctrl-C or SIGTERM is handled at once
        rc=0
        NHANLUC_TOKEN_FILE=$TOKEN_FILE "$CLI" --server "$LISTEN" --output csv import \
            "$demo_tmp/$kind.csv" \
            >"$demo_tmp/out" 2>&1 &
        imp=$!
        wait "$imp" || rc=$?
        if [ $signalled = 1 ]; then
            kill -TERM "$imp" 2>/dev/null || true
            wait "$imp" 2>/dev/null || true
            return 2
        fi
        out=$(cat "$demo_tmp/out")
        if [ $rc -ne 0 ]; then
            printf '%s\n' "$out" >&2
            say "demo: nhanluc import $kind.csv failed with exit code $rc"
            return 1
        fi
        # the summary's CSV row: file,kind,rows,created,updated,unchanged,rejected,dry_run
        # (fields counted from the end: the file name may hold a comma)
        printf '%s\n' "$out" | tail -n 1 | awk -F, '{
            printf "run: demo: %-19s %6s %7s %7s %9s %8s\n", $(NF-6) ".csv",
                $(NF-5), $(NF-4), $(NF-3), $(NF-2), $(NF-1) }'
    done
    rm -f "$DEMO_MARK"
    say "demo: loaded; try: NHANLUC_TOKEN_FILE=$TOKEN_FILE $CLI --server $LISTEN" \
        "class list --unit tay-ho --term 2015-2020"
    return 0
}
demo_rc=0
load_demo || demo_rc=$?
[ -z "$demo_tmp" ] || rm -rf "$demo_tmp"
if [ $demo_rc = 1 ]; then
    say "demo: not (fully) loaded; the server runs on; the next start tries again"
fi
if [ $signalled = 1 ]; then
    rc=0
    wait "$server_pid" || rc=$?
    trap - EXIT
    exit "$rc"
fi
# ==============================================================================

# show TITLE CMD...: run a listing through the CLI, say so if it is empty.
show() {
    local title=$1 out rc=0 rows
    shift
    out=$(nl --output table "$@" 2>&1) || rc=$?
    echo
    echo "== $title"
    if [ $rc -ne 0 ]; then
        printf '%s\n' "$out"
        echo "(nhanluc $* failed with exit code $rc)"
        return 0
    fi
    # Empty: no output, or a header line only.
    rows=$(printf '%s\n' "$out" | grep -c . || true)
    if [ "$rows" -le 1 ]; then
        [ "$rows" -eq 1 ] && printf '%s\n' "$out"
        echo "(none yet; add some with: $CLI $1 add ...)"
    else
        printf '%s\n' "$out"
    fi
}
echo
say "database $DB holds:"
show terms term list
# The leadership's page (issue 4): every indicator of the city for term 2020-2025.
show "city report, term 2020-2025" report --term 2020-2025
echo
say "server running on $LISTEN (pid $server_pid, log $LOG), Ctrl-C to stop"
say "try: export NHANLUC_TOKEN_FILE=$TOKEN_FILE; $CLI --server $LISTEN report --year 2019"

# Stream the log from here on; tail ends by itself when the server exits.
tail -n 0 --pid="$server_pid" -f "$LOG" &
tail_pid=$!

# `wait` returns early when a trapped signal arrives; wait again until the
# server itself has exited, and keep its exit code.
# (127 = already reaped by the previous wait: keep the code that wait gave.)
rc=0
while :; do
    signalled=0
    prev=$rc
    rc=0
    wait "$server_pid" || rc=$?
    if [ $rc = 127 ] && ! kill -0 "$server_pid" 2>/dev/null; then
        rc=$prev
        break
    fi
    [ $signalled = 1 ] || break
done
trap - EXIT INT TERM
wait "$tail_pid" 2>/dev/null || true
say "nhanlucd exited with code $rc"
exit "$rc"
