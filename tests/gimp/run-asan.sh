#!/bin/bash
# The plug-in under ASan+UBSan, inside the GIMP 3 chroot (CI step):
#   tests/gimp/run-asan.sh [BUILD_DIR]      (default build-chroot-asan)
# 1. builds only the plug-in with -Db_sanitize=address,undefined and the
#    sanitizer runtimes linked statically (GIMP itself is not instrumented,
#    so nothing needs LD_PRELOAD);
# 2. runs the Python-Fu cases of the gimp suite against it (every plug-in
#    path: success, each refusal, cancel, acting during a run); each test
#    fails on any sanitizer report of any plug-in process
#    (gimp-test-lib.sh: ns_sanitizer_check);
# 3. calls the procedure NS_REPEAT (20) times in one GIMP session
#    (repeat_plugin.py): each call must end with LeakSanitizer having run
#    and reported nothing (leaks of GLib/GIMP one-time setup are suppressed
#    by tests/gimp/lsan-plugin.supp, which print_suppressions shows per
#    process), and GIMP's RSS must not grow by more than NS_RSS_GROWTH_KB
#    between call 5 and the last.
# Env: NS_SHARED_DIR (models, images).  Exit 0 = all passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
B=${1:-build-chroot-asan}
export NS_SHARED_DIR=${NS_SHARED_DIR:-$(cd "$SRC/.." && pwd)/shared}

if [ ! -f "$B/build.ninja" ]; then
  meson setup "$B" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized "-Dc_link_args=-static-libasan -static-libubsan" \
    || exit 1
fi
ninja -C "$B" plugin/neural-style || exit 1

cases="basic gray highbit selection mask cancel missing-model indexed group
       closed-style no-style tiny content-deleted-during-run
       image-closed-during-run style-closed-during-run style-deleted-during-run
       text-layer u16 float-linear"
tests=(); for c in $cases; do tests+=("gimp-python-$c"); done
fail=0
meson test -C "$B" --no-rebuild --print-errorlogs --num-processes 1 \
  --timeout-multiplier 3 "${tests[@]}" || fail=1

# --- 20 calls in one GIMP session
NS_PLUGIN=$B/plugin/neural-style NS_BUILD_ROOT=$SRC/$B
export NS_PLUGIN NS_BUILD_ROOT
(
  source "$SRC/tests/gimp/gimp-test-lib.sh"
  ns_need_shared
  ns_setup
  export NS_MODELS_DIR=$NS_MODELS NS_REPEAT=${NS_REPEAT:-20}
  export GIMP_TIMEOUT=${GIMP_TIMEOUT:-900}
  ns_gimp python "exec(open('$TESTS_DIR/repeat_plugin.py').read())"
  [ "$RC" -eq 0 ] || die "the repeat batch failed (rc=$RC)"
  grep -q '^\[repeat\] PASS' "$GIMP_LOG" || die "the repeat batch did not finish"
  grep '^\[repeat\] GIMP RSS after' "$GIMP_LOG"
  # One log per plug-in process, each showing LSan ran at its exit.
  n=$(grep -l 'Suppressions used' "$SAN_DIR"/asan.* 2>/dev/null | wc -l)
  [ "$n" -ge "$NS_REPEAT" ] \
    || die "LeakSanitizer ran in $n plug-in processes, expected $NS_REPEAT"
  echo "PASS: $NS_REPEAT calls, LeakSanitizer clean in each of $n plug-in processes"
) || fail=1
exit $fail
