#!/bin/bash
# Checks that every tracked C file conforms to .clang-format (GNU style, as
# GIMP).  Uses clang-format 14 (Debian 12's): other versions format some
# constructs differently, so the check runs on the host only.
#   tools/check-format.sh         list the files that differ, exit 1 if any
#   tools/check-format.sh --fix   reformat them in place
set -uo pipefail
cd "$(dirname "$0")/.."
CF=${CLANG_FORMAT:-clang-format}
command -v "$CF" >/dev/null || { echo "check-format: $CF not found" >&2; exit 1; }
ver=$("$CF" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
[ "$ver" = 14 ] || echo "check-format: warning: clang-format $ver, the tree is formatted with 14" >&2
bad=0
while IFS= read -r f; do
  [ -f "$f" ] || continue
  if [ "${1:-}" = --fix ]; then "$CF" -i "$f"; continue; fi
  if ! "$CF" "$f" | cmp -s - "$f"; then
    echo "not formatted: $f (run tools/check-format.sh --fix)"; bad=$((bad+1))
  fi
done < <(git ls-files -co --exclude-standard '*.c' '*.h')
[ "$bad" = 0 ] && echo "check-format: all C files conform to .clang-format"
[ "$bad" = 0 ]
