#!/bin/bash
# deploy/test.sh: the whole test suite, the second of the README's two
# commands and what CI runs (.ci/run).
#
# Steps: Debian packages (deploy/deps.sh test) -> tests/lint.sh -> the clang
# libFuzzer targets in build-fuzz/ (corpus replay + a short fuzzing run) -> build build/
# (RelWithDebInfo, -Werror) and build-asan/ (Debug, -Werror, ASan + UBSan) ->
# CTest in build/, then CTest in build-asan/. Exits non-zero if anything
# failed. CTest's own summary of the last suite run is the last output.
#
# Environment: NL_FUZZ_SECONDS (fuzzing per target, default 30), NL_CTEST_J
# (parallel tests, default 2), NL_TEST_KEEP_GOING=1 (run the ASan suite even
# when the normal one failed), NL_CTEST_ARGS (extra ctest arguments, e.g.
# "-L unit" or "-R wire").
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

J=${NL_CTEST_J:-2}
# shellcheck disable=SC2206 # word splitting of NL_CTEST_ARGS is intended
extra=(${NL_CTEST_ARGS:-})

./deploy/deps.sh test
./tests/lint.sh --format

# configure DIR ARGS...: generator only on first configure, so an existing
# Make tree keeps working.
configure() {
    local dir=$1
    shift
    local gen=()
    [ -f "$dir/CMakeCache.txt" ] || gen=(-G Ninja)
    cmake -S . -B "$dir" "${gen[@]}" "$@"
}

# The libFuzzer targets (clang-14): replay the committed corpora through
# libFuzzer itself and fuzz each target for NL_FUZZ_SECONDS (default 30).
configure build-fuzz -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNL_WERROR=ON -DNL_FUZZ=ON -DNL_FUZZ_SECONDS="${NL_FUZZ_SECONDS:-30}"
cmake --build build-fuzz --target fuzz_wire fuzz_session
echo
echo "=== ctest: build-fuzz/ (clang libFuzzer, ASan + UBSan) ==="
(cd build-fuzz && ctest --output-on-failure -j "$J" -R '^fuzz_(run|short)_' </dev/null) || exit $?

configure build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNL_WERROR=ON -DNL_SANITIZE=
cmake --build build
configure build-asan -DCMAKE_BUILD_TYPE=Debug -DNL_WERROR=ON -DNL_SANITIZE=address,undefined
cmake --build build-asan

rc_normal=0
echo
echo "=== ctest: build/ (RelWithDebInfo) ==="
(cd build && ctest --output-on-failure -j "$J" "${extra[@]}" </dev/null) || rc_normal=$?
if [ $rc_normal -ne 0 ] && [ "${NL_TEST_KEEP_GOING:-0}" != 1 ]; then
    # Stop here so that the last summary on screen is the failing one.
    exit $rc_normal
fi

rc_asan=0
echo
note=""
[ $rc_normal -eq 0 ] || note=" (build/ FAILED above)"
echo "=== ctest: build-asan/ (Debug, ASan + UBSan)$note ==="
(cd build-asan && ctest --output-on-failure -j "$J" "${extra[@]}" </dev/null) || rc_asan=$?

[ $rc_normal -eq 0 ] || exit $rc_normal
exit $rc_asan
