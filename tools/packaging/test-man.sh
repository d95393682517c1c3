#!/bin/bash
# meson test (suite cli): docs/nstyle.1 renders with groff without a
# warning (-ww: all warnings) and documents every long option that
# `nstyle --help-all` lists, and the exit codes of its EXIT STATUS.
#   test-man.sh MANPAGE NSTYLE
set -euo pipefail
man=$1 nstyle=$2
command -v groff >/dev/null || { echo "SKIP: groff not found"; exit 77; }
err=$(groff -ww -man -Tutf8 "$man" 2>&1 >/dev/null)
[ -z "$err" ] || { echo "FAIL: groff warnings:"; echo "$err"; exit 1; }
text=$(groff -man -Tutf8 -P-cbou "$man" 2>/dev/null)
help=$("$nstyle" --help-all)
missing=""
opts=$(echo "$help" | grep -E '^ +(-[a-zA-Z], )?--[a-z]' | grep -oE -- '--[a-z][a-z-]+' | sort -u)
for opt in $opts; do
  grep -qF -- "$opt" <<<"$text" || missing="$missing $opt"
done
[ -z "$missing" ] || { echo "FAIL: options of nstyle --help-all missing from the man page:$missing"; exit 1; }
# Exit codes: the numbers in --help-all's EXIT STATUS paragraph.
codes=$(echo "$help" | sed -n '/^EXIT STATUS/,/^$/p' | grep -oE '\b[0-9]+ ' | tr -d ' ' | sort -u)
for c in $codes; do
  grep -qE "^ +$c( |$)" <<<"$text" || missing="$missing $c"
done
[ -z "$missing" ] || { echo "FAIL: exit codes missing from the man page:$missing"; exit 1; }
echo "PASS: $(echo $opts | wc -w) options and exit codes $(echo $codes) documented"
