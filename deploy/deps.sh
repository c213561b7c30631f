#!/bin/bash
# deploy/deps.sh: the one list of Debian 12 packages nhanluc needs, and the
# check that they are installed.
#
#   deploy/deps.sh run     packages to build and run nhanlucd and nhanluc
#   deploy/deps.sh test    the above plus what the test suite needs
#
# Checks each package with dpkg-query. Nothing missing: prints nothing, exits 0.
# Something missing: as root, runs `apt-get update` and `apt-get install -y
# --no-install-recommends ...`; otherwise prints the one `sudo apt-get install`
# line to run and exits 1. It also checks that libnghttp2-14 carries the fix
# for CVE-2026-27135 (PROTOCOL.md section 0) and exits 1 if it does not.
#
# Environment (for testing this script and for unusual machines):
#   NL_DEPS_EXTRA="pkg ..."      extra package names to require
#   NL_DEPS_DRY_RUN=1            print the apt-get commands instead of running them
#   NL_DEPS_NGHTTP2_MIN=VERSION  minimum libnghttp2-14 version (default below)
#   NL_ALLOW_OLD_NGHTTP2=1       warn instead of failing on an old libnghttp2-14
#   NL_SKIP_DEPS=1               skip every check (not a Debian machine, own builds)
# Package lists are whitespace-separated words on purpose: split them unquoted.
# shellcheck disable=SC2086,SC2116
set -eu

BUILD_PKGS="cmake ninja-build gcc clang-14 pkg-config libuv1-dev libnghttp2-dev libsqlite3-dev
libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libcmocka-dev libssl-dev libutf8proc-dev
libjansson-dev libcsv-dev grpc-proto python3"
TEST_PKGS="python3 python3-grpcio python3-protobuf protobuf-compiler-grpc nghttp2-client valgrind
libclang-rt-14-dev python3-h2 sqlite3 clang-format-14 openssl"
NGHTTP2_PKG=libnghttp2-14
NGHTTP2_MIN=${NL_DEPS_NGHTTP2_MIN:-1.52.0-1+deb12u3}

say() { printf 'deps: %s\n' "$*" >&2; }

usage() {
    echo "usage: deploy/deps.sh run|test" >&2
    exit 2
}

[ $# -eq 1 ] || usage
case $1 in
run) want="$BUILD_PKGS" ;;
test) want="$BUILD_PKGS $TEST_PKGS" ;;
*) usage ;;
esac
want="$want ${NL_DEPS_EXTRA:-}"

if [ "${NL_SKIP_DEPS:-0}" = 1 ]; then
    exit 0
fi
if ! command -v dpkg-query >/dev/null 2>&1; then
    say "dpkg-query not found: this is not a Debian system"
    say "install the equivalents of: $(echo $want)"
    say "then rerun with NL_SKIP_DEPS=1"
    exit 1
fi

# installed PKG: true when dpkg says the package is fully installed.
installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=""
for p in $want; do
    installed "$p" || missing="$missing $p"
done
missing=${missing# }

# nghttp2_version() does not show the Debian revision, so ask dpkg. An old
# revision is upgraded along with the missing packages when we are root.
nghttp2_ok() {
    local v
    v=$(dpkg-query -W -f='${Version}' "$NGHTTP2_PKG" 2>/dev/null) || return 1
    [ -n "$v" ] && dpkg --compare-versions "$v" ge "$NGHTTP2_MIN"
}
upgrade=""
if installed "$NGHTTP2_PKG" && ! nghttp2_ok; then
    upgrade=$NGHTTP2_PKG
fi

run() {
    if [ "${NL_DEPS_DRY_RUN:-0}" = 1 ]; then
        echo "would run: $*"
    else
        "$@"
    fi
}

todo=$(echo $missing $upgrade)
if [ -n "$todo" ]; then
    if [ -n "$missing" ]; then
        say "missing Debian packages: $missing"
    fi
    if [ -n "$upgrade" ]; then
        say "$NGHTTP2_PKG is older than $NGHTTP2_MIN and lacks the CVE-2026-27135 fix"
    fi
    if [ "$(id -u)" -ne 0 ]; then
        say "run this, then try again:"
        echo "sudo apt-get update && sudo apt-get install -y --no-install-recommends $todo"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    run apt-get update
    run apt-get install -y --no-install-recommends $todo
    if [ "${NL_DEPS_DRY_RUN:-0}" != 1 ]; then
        still=""
        for p in $missing; do
            installed "$p" || still="$still $p"
        done
        if [ -n "$still" ]; then
            say "still missing after apt-get install:$still"
            exit 1
        fi
    fi
fi

# libnghttp2-14 comes in with libnghttp2-dev, so it is installed by now unless
# this is a dry run.
if [ "${NL_DEPS_DRY_RUN:-0}" != 1 ] && ! nghttp2_ok; then
    have=$(dpkg-query -W -f='${Version}' "$NGHTTP2_PKG" 2>/dev/null || true)
    say "$NGHTTP2_PKG ${have:-(not installed)} is older than $NGHTTP2_MIN"
    say "that revision lacks the fix for CVE-2026-27135 (PROTOCOL.md section 0);"
    say "enable bookworm-security in /etc/apt/sources.list(.d) and run"
    say "  apt-get update && apt-get install $NGHTTP2_PKG"
    if [ "${NL_ALLOW_OLD_NGHTTP2:-0}" = 1 ]; then
        say "continuing anyway because NL_ALLOW_OLD_NGHTTP2=1"
    else
        exit 1
    fi
fi
exit 0
