#!/bin/bash
# tests/lint.sh: the banned-function grep of STYLE.md section 8.
#
# Fails (exit 1) when any of our .c/.h files calls sprintf, strcpy, strcat,
# atoi or gets; the replacements are snprintf, memcpy with a known length,
# nl_buf_append, strtol. Build directories, generated code and the fuzz
# corpora are not ours and are skipped. Comments are not parsed: a banned
# name inside a comment or string also fails, so write around it.
#
#   tests/lint.sh            banned-function grep only
#   tests/lint.sh --format   additionally clang-format-14 --dry-run --Werror
#                            over the same files (deploy/test.sh runs this)
set -eu
cd "$(dirname "$0")/.."

format=0
case ${1:-} in
"") ;;
--format) format=1 ;;
*)
    echo "usage: tests/lint.sh [--format]" >&2
    exit 2
    ;;
esac

# Our sources: every tracked or untracked .c/.h outside build trees.
mapfile -t files < <(find . \( -path './build*' -o -path './.git' -o -path './var' \
    -o -path './tests/fuzz/corpus' \) -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print |
    sort)

status=0
if [ ${#files[@]} -gt 0 ]; then
    # \b before the name keeps snprintf, vsnprintf, fgets, strtol... out; the
    # \s*\( after it keeps the words in prose out unless followed by "(".
    banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|gets)\s*\('
    hits=""
    while IFS= read -r hit; do
        # Drop what one line shows to be comment: "// ...", "/* ... */",
        # "/* ..." and block-comment continuation lines " * ...".
        code=$(printf '%s\n' "${hit#*:*:}" |
            sed -E 's://.*$::; s:/\*.*\*/::g; s:/\*.*$::; s:^[[:space:]]*\*.*$::')
        if printf '%s\n' "$code" | grep -qE "$banned"; then
            hits="$hits$hit"$'\n'
        fi
    done < <(grep -HnE "$banned" "${files[@]}" || true)
    if [ -n "$hits" ]; then
        printf '%s' "$hits"
        echo "lint: banned function above (STYLE.md section 8): use snprintf, memcpy, strtol" >&2
        status=1
    fi
fi

if [ $format = 1 ] && [ ${#files[@]} -gt 0 ]; then
    cf=$(command -v clang-format-14 || command -v clang-format || true)
    if [ -z "$cf" ]; then
        echo "lint: clang-format-14 not installed (apt-get install clang-format-14)" >&2
        exit 1
    fi
    "$cf" --dry-run --Werror "${files[@]}" || status=1
fi

if [ $status = 0 ]; then
    echo "lint: ${#files[@]} files, no banned functions"
fi
exit $status
