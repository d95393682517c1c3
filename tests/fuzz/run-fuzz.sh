#!/bin/sh
# Builds the fuzz targets (clang, libFuzzer, ASan + UBSan, through meson
# with -Dfuzz=true) and fuzzes each from its committed corpus plus the
# cache that earlier runs grew, for SECONDS in total (default 300):
#   fuzz_pth       25%  ns_weights_load_pth_mem      corpus/, seeds/pth/
#   fuzz_pth_file  25%  ns_weights_load_pth (mmap)   corpus/, seeds/pth/
#   fuzz_model     35%  ns_model_load (shape checks) corpus-model/, seeds/model/
#   fuzz_ncnn      15%  ncnn .param + .bin reader    corpus-ncnn/ (hand-made
#                       seeds from make-ncnn-seeds.py)
# (seeds/: written by make-corpus.py with PyTorch; corpus*/: minimised.)
# Any crash, leak (LeakSanitizer), timeout (-timeout=10 s per input) or
# out-of-memory (-rss_limit_mb=2048) fails the run; the input is kept and
# its path printed.  New inputs are merged (-merge=1: only those adding
# coverage) into the cache, $NS_FUZZ_CACHE (default
# /var/cache/gimp-neural-style-fuzz), so the corpus grows across runs.
# Prints per target: executions, edges (cov) and features (ft) reached.
#
# Minimising the cache into the committed corpora (then commit them):
#   tests/fuzz/run-fuzz.sh --minimise
# New seeds from PyTorch (tiny random models, real key layouts):
#   tests/fuzz/make-corpus.py tests/fuzz/seeds   (then --minimise)
#
# usage: tests/fuzz/run-fuzz.sh [SECONDS | --minimise]
# Exit status: 0 = no failure, 1 = a failure, 2 = could not build,
# 77 = no clang.  Env: NS_FUZZ_CACHE, NS_FUZZ_BUILD (default
# build-ci-fuzz in the source tree), CC (default clang).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${NS_FUZZ_CACHE:-/var/cache/gimp-neural-style-fuzz}
build=${NS_FUZZ_BUILD:-$root/build-ci-fuzz}
mode=fuzz
secs=300
case "${1:-}" in
  --minimise|--minimize) mode=minimise ;;
  "") ;;
  *) secs=$1 ;;
esac
cc=${CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz: SKIP, $cc not found"; exit 77
fi

work=$(mktemp -d /tmp/ns-fuzz-XXXXXX) || exit 2
keep=0
cleanup () { [ $keep -eq 1 ] || rm -rf "$work"; }
trap cleanup EXIT INT TERM
if [ ! -f "$build/build.ninja" ]; then
  CC=$cc meson setup "$build" "$root" -Dfuzz=true -Dplugin=disabled \
    -Dcli=disabled -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dc_args=-fsanitize=fuzzer-no-link \
    > "$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; echo "fuzz: meson setup failed"; exit 2; }
fi
if ! nice ninja -C "$build" tests/fuzz/fuzz_pth tests/fuzz/fuzz_pth_file \
     tests/fuzz/fuzz_model tests/fuzz/fuzz_ncnn > "$work/ninja.log" 2>&1; then
  tail -40 "$work/ninja.log" >&2; echo "fuzz: build failed"; exit 2
fi

mkdir -p "$cache" || { echo "fuzz: cannot create $cache"; exit 2; }

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
common="-rss_limit_mb=2048 -timeout=10 -dict=$here/pth.dict"
fail=0

# target:corpus:seeds:max_len:share of SECONDS (percent)
targets="fuzz_pth:corpus:pth:65536:25 fuzz_pth_file:corpus:pth:65536:25 fuzz_model:corpus-model:model:131072:35 fuzz_ncnn:corpus-ncnn:../corpus-ncnn:65536:15"

if [ $mode = minimise ]; then
  for t in $targets; do
    name=${t%%:*}; rest=${t#*:}; corpus=${rest%%:*}; rest=${rest#*:}
    seeds=${rest%%:*}
    mkdir -p "$cache/$name" "$work/$corpus.min"
    # The seeds first, so they are kept when they tie.
    "$build/tests/fuzz/$name" -merge=1 $common "$work/$corpus.min" \
      "$here/seeds/$seeds" "$here/$corpus" "$cache/$name" \
      > "$work/$name.merge.log" 2>&1 ||
      { tail -20 "$work/$name.merge.log"; echo "fuzz: $name merge failed"; exit 1; }
  done
  for c in corpus corpus-model corpus-ncnn; do
    [ -d "$work/$c.min" ] || continue
    rm -f "$here/$c"/*
    # Both loader targets share corpus/: the union of their minimised sets.
    cp "$work/$c.min"/* "$here/$c/"
    echo "fuzz: $c: $(ls "$here/$c" | wc -l) files, $(du -sk "$here/$c" | cut -f1) KiB"
  done
  exit 0
fi

for t in $targets; do
  name=${t%%:*}; rest=${t#*:}; corpus=${rest%%:*}; rest=${rest#*:}
  seeds=${rest%%:*}; rest=${rest#*:}; maxlen=${rest%%:*}; share=${rest#*:}
  tsecs=$((secs * share / 100)); [ $tsecs -ge 1 ] || tsecs=1
  bin="$build/tests/fuzz/$name"
  mkdir -p "$cache/$name" "$work/$name.new" "$work/$name.art"
  cached=$(ls "$cache/$name" | wc -l)
  # New inputs go to the first folder; the others are read.
  "$bin" -max_total_time=$tsecs -max_len=$maxlen $common \
    -print_final_stats=1 -artifact_prefix="$work/$name.art/" \
    "$work/$name.new" "$cache/$name" "$here/$corpus" "$here/seeds/$seeds" \
    > "$work/$name.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$name.log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$work/$name.log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*')
  ft=$(echo "$last" | grep -o 'ft: [0-9]*')
  if [ $rc -ne 0 ]; then
    keep=1; fail=1
    tail -60 "$work/$name.log" >&2
    echo "fuzz: $name FAILED (crash, leak, timeout or out-of-memory) after ${execs:-?} executions; input in $work/$name.art/ (log $work/$name.log)"
    continue
  fi
  "$bin" -merge=1 $common "$cache/$name" "$work/$name.new" \
    > "$work/$name.merge.log" 2>&1 || echo "fuzz: $name: merging into $cache failed (not fatal)"
  echo "fuzz: $name ${tsecs}s, ${execs:-?} executions (${speed:-?}/s), $cov, $ft, cache $cached -> $(ls "$cache/$name" | wc -l) inputs, no failure"
done
exit $fail
