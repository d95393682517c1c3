#!/bin/bash
# The plug-in under ASan+UBSan, inside the GIMP 3 chroot (a step of
# tools/run-tests.sh):
#   tests/gimp/run-asan.sh [BUILD_DIR]      (default build-chroot-asan)
# 1. builds only the plug-in with -Db_sanitize=address,undefined and the
#    sanitizer runtimes linked statically (GIMP itself is not instrumented,
#    so nothing needs LD_PRELOAD); the build dir is kept between runs;
# 2. runs every Python-Fu case of the gimp suite (check_plugin.py) against
#    it: the cases that need no environment hook one after the other in one
#    GIMP session (to keep the step short), the others (cancel, missing
#    model, acting during a run) in a session each, as test-python.sh does;
# 3. calls the procedure NS_REPEAT (20) times in one GIMP session
#    (repeat_plugin.py: AdaIN with cd16x on a 96x64 layer), alternating the
#    two outputs; GIMP's RSS must not
#    grow by more than NS_RSS_GROWTH_KB (8192) between call 5 and the last.
# Every plug-in process (a new one per call) runs with ASan, UBSan and
# LeakSanitizer at exit; any report fails the session it came from
# (gimp-test-lib.sh: ns_sanitizer_check).  Leaks of the GIMP libraries that
# happen once per process are suppressed by tests/gimp/lsan-plugin.supp,
# each with its reason; full allocation stacks (fast_unwind_on_malloc=0)
# so that the suppressions match on libgimp's frames.
# Results: one line per check, in meson's testlog.json format, in
# BUILD_DIR/asan-results.json (tools/run-tests.sh counts them).
# Env: NS_SHARED_DIR (models, images).  Exit 0 = all passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
B=${1:-build-chroot-asan}
export NS_SHARED_DIR=${NS_SHARED_DIR:-$(cd "$SRC/.." && pwd)/shared}
RESULTS=$SRC/$B/asan-results.json
t_start=$(date +%s)

if [ ! -f "$B/build.ninja" ]; then
  meson setup "$B" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized "-Dc_link_args=-static-libasan -static-libubsan" \
    || exit 1
fi
rm -f "$RESULTS"
ninja -C "$B" plugin/neural-style || exit 1
echo "build: $(( $(date +%s) - t_start )) s"

export NS_PLUGIN=$SRC/$B/plugin/neural-style NS_BUILD_ROOT=$SRC/$B
export NS_SOURCE_ROOT=$SRC
# Full stacks through GLib and libgimp (no frame pointers there), for the
# suppressions and the leak checks; 16 frames reach the plug-in's own.
export NS_ASAN_EXTRA=${NS_ASAN_EXTRA:-fast_unwind_on_malloc=0:malloc_context_size=16}
# One engine thread: frugal on a shared machine (OpenMP threads spinning
# on an oversubscribed machine multiplied the step's time).
export NS_GIMPRC_EXTRA="(num-processors 1)" OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
fail=0

# result NAME OK|FAIL SECONDS: one line of the results file.
result () {
  printf '{"name": "%s", "result": "%s", "duration": %s}\n' "$1" "$2" "$3" \
    >> "$RESULTS"
  echo "$2: $1 ($3 s)"
  [ "$2" = OK ] || fail=1
}

# --- the Python-Fu cases without an environment hook, in one session
plain="basic gray highbit selection mask indexed group closed_style no_style
       tiny text_layer u16 float_linear"
t0=$(date +%s)
log=$(
  source "$SRC/tests/gimp/gimp-test-lib.sh"
  ns_need_shared
  ns_setup
  export NS_MODELS_DIR=$NS_MODELS NS_CASES="$(echo $plain)"
  GIMP_TIMEOUT=900
  # check_plugin.py reads its case from NS_TEST_CASE when it is run.
  ns_gimp python "
import os, traceback
for c in os.environ['NS_CASES'].split():
    os.environ['NS_TEST_CASE'] = c
    try:
        exec(open('$TESTS_DIR/check_plugin.py').read(), {'__name__': 'check'})
    except BaseException:
        traceback.print_exc()
        print('[%s] FAILED' % c)
" 2>&1 || true
  [ "$RC" -eq 0 ] || echo "[session] gimp-console exited with $RC"
)
echo "$log"
t=$(( $(date +%s) - t0 ))
for c in $plain; do
  if grep -q "^\[$c\] PASS" <<<"$log"; then result "asan-gimp-python-$c" OK "$t"
  else result "asan-gimp-python-$c" FAIL "$t"; fi
done
if grep -q '^FAIL: \|^SKIP: \|^\[session\]' <<<"$log"; then
  result "asan-gimp-python-session" FAIL "$t"
else result "asan-gimp-python-session" OK "$t"; fi

# --- the cases with an environment hook, a session each (test-python.sh)
for c in cancel missing_model content_deleted_during_run \
         image_closed_during_run style_closed_during_run \
         style_deleted_during_run; do
  t0=$(date +%s)
  if GIMP_TIMEOUT=300 bash tests/gimp/test-python.sh "$NS_PLUGIN" "$c"; then
    result "asan-gimp-python-$c" OK $(( $(date +%s) - t0 ))
  else result "asan-gimp-python-$c" FAIL $(( $(date +%s) - t0 )); fi
done

# --- NS_REPEAT calls in one GIMP session
t0=$(date +%s)
if (
  source "$SRC/tests/gimp/gimp-test-lib.sh"
  ns_need_shared
  ns_setup
  export NS_MODELS_DIR=$NS_MODELS NS_REPEAT=${NS_REPEAT:-20}
  export NS_RSS_GROWTH_KB=${NS_RSS_GROWTH_KB:-8192}
  GIMP_TIMEOUT=900
  ns_gimp python "exec(open('$TESTS_DIR/repeat_plugin.py').read())"
  [ "$RC" -eq 0 ] || die "the repeat batch failed (rc=$RC)"
  grep -q '^\[repeat\] PASS' "$GIMP_LOG" || die "the repeat batch did not finish"
  n=$(grep -c '^\[repeat\] call ' "$GIMP_LOG")
  [ "$n" -eq "$NS_REPEAT" ] || die "$n calls made, expected $NS_REPEAT"
  # LeakSanitizer ran at the exit of the plug-in processes: it logs the
  # suppressions it used (print_suppressions=1) when it found libgimp's
  # leak (it can miss it in a process, when a stale stack word still
  # points at it: then it has nothing to say).
  s=$(grep -l 'Suppressions used' "$SAN_DIR"/asan.* 2>/dev/null | wc -l)
  [ "$s" -ge 1 ] || die "no LeakSanitizer output from any plug-in process"
  echo "PASS: $NS_REPEAT calls, no sanitizer report; LeakSanitizer applied" \
       "the suppressions in $s of the $NS_REPEAT plug-in processes"
); then result asan-gimp-repeat-20 OK $(( $(date +%s) - t0 ))
else result asan-gimp-repeat-20 FAIL $(( $(date +%s) - t0 )); fi

echo "run-asan.sh: $(( $(date +%s) - t_start )) s in total"
exit $fail
