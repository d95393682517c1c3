#!/bin/sh
# Builds the .pth fuzz target with clang + libFuzzer (ASan, UBSan) from the
# sources directly and runs it for SECONDS (default 60) over a copy of the
# seed corpus.  Exit status: 0 = no crash, 1 = crash (input kept and its
# path printed), 2 = could not build, 77 = no clang.
# usage: tests/fuzz/run-fuzz.sh [SECONDS]
set -u
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cc=${CLANG:-}
if [ -z "$cc" ]; then
  for c in clang-14 clang clang-15 clang-16 clang-17 clang-18; do
    if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
  done
fi
if [ -z "$cc" ]; then
  echo "fuzz_pth: SKIP, clang not found"; exit 77
fi

work=$(mktemp -d /tmp/ns-fuzz-XXXXXX) || exit 2
keep=0
cleanup () { [ $keep -eq 1 ] || rm -rf "$work"; }
trap cleanup EXIT INT TERM

# The loader alone, as engine/meson.build builds ns-io: no OpenMP, no BLAS.
if ! "$cc" -g -O1 -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
     -I"$root/engine" "$root/engine/core.c" "$root"/engine/io/*.c \
     "$here/fuzz_pth.c" -lm -o "$work/fuzz_pth" 2> "$work/build.log"; then
  cat "$work/build.log" >&2
  echo "fuzz_pth: build failed"; exit 2
fi

mkdir -p "$work/corpus" "$work/artifacts"
cp "$here"/corpus/* "$work/corpus/"
seeds=$(ls "$work/corpus" | wc -l)
# One job on a shared 2-core machine; 64 KiB inputs are plenty for a state
# dict; 1 GiB RSS is far above what a legit small input may use.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
ASAN_OPTIONS=detect_leaks=1 \
"$work/fuzz_pth" -max_total_time="$secs" -max_len=65536 -timeout=10 \
  -rss_limit_mb=1024 -print_final_stats=1 -dict="$here/pth.dict" \
  -artifact_prefix="$work/artifacts/" "$work/corpus" > "$work/log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1)
final=$(ls "$work/corpus" | wc -l)
if [ $rc -ne 0 ]; then
  keep=1
  tail -60 "$work/log" >&2
  echo "fuzz_pth: CRASH after ${execs:-?} executions; inputs in $work/artifacts/ (log $work/log)"
  exit 1
fi
echo "fuzz_pth: ${secs}s, ${execs:-?} executions (${speed:-?} exec/s), $cov, corpus $seeds -> $final, no crash"
