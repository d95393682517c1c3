#!/bin/bash
# The project's test command (README "Run the tests"; .ci/run calls it).
#   tools/run-tests.sh [--quick]
# 0. the C sources conform to .clang-format (tools/check-format.sh)
# 1. host build (gcc 12, -Werror), all host suites
# 2. host build under ASan+UBSan, engine suites
# 3. the fuzzers (weight loader from memory and from a file, model loading)
#    for NS_FUZZ_SECONDS in total, growing a cache outside the tree
# 4. the GIMP 3 chroot (built or reused by tools/setup-trixie-chroot.sh): engine build with gcc 14 (-Werror), plug-in and UI suites
#    and the plug-in under ASan+UBSan (tests/gimp/run-asan.sh; skipped by --quick, NS_SKIP_ASAN=1)
# 5. the .deb built in the chroot and tested installed; the Flatpak manifest and metainfo validated
# Ends with one line "N passed, N failed, N skipped".
# Env: NS_SHARED_DIR (default ../shared), NS_CHROOT (default /srv/trixie),
#      NS_FUZZ_SECONDS (default 300), NS_SKIP_CHROOT=1, NS_SKIP_ASAN=1.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
export NS_SHARED_DIR=${NS_SHARED_DIR:-$(cd "$SRC/.." && pwd)/shared}
CHROOT=${NS_CHROOT:-/srv/trixie}
FUZZ_SECONDS=${NS_FUZZ_SECONDS:-300}
QUICK=0; [ "${1:-}" = "--quick" ] && QUICK=1
RESULTS=$(mktemp -d)
extra_fail=0
log() { printf '\n=== %s\n' "$*"; }

# A failed step outside meson: said now, and named again in the summary.
step_failed() { echo "$1"; echo "$1" >> "$RESULTS/failed-steps.txt"; extra_fail=$((extra_fail+1)); }

# meson test writes meson-logs/testlog.json; copy it for the final count.
collect() { cp "$1/meson-logs/testlog.json" "$RESULTS/$2.json" 2>/dev/null || true; }

host_suites="engine-io engine-nn engine-style engine-gatys engine-fast engine-microast cli models"
suite_args() { for s in $1; do printf -- '--suite %s ' "$s"; done; }

log "format check (clang-format 14)"
if tools/check-format.sh; then echo ok > "$RESULTS/format.ok"
else step_failed "format check FAILED"; fi

log "host build (gcc, -Werror)"
if meson setup --wipe build-ci -Dwerror=true -Dplugin=disabled -Ddnnl=enabled >/dev/null 2>&1 ||
   meson setup build-ci -Dwerror=true -Dplugin=disabled -Ddnnl=enabled; then
  if ninja -C build-ci; then
    meson test -C build-ci --print-errorlogs $(suite_args "$host_suites") --num-processes 1
    collect build-ci host
  else step_failed "host build FAILED"; fi
else step_failed "host configure FAILED"; fi

if [ "$QUICK" = 0 ] && [ "${NS_SKIP_ASAN:-0}" != 1 ]; then
  log "host build under ASan+UBSan"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export LSAN_OPTIONS=suppressions=$SRC/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  if { meson setup --wipe build-asan -Dplugin=disabled -Db_sanitize=address,undefined -Db_lundef=false \
         -Dbuildtype=debugoptimized -Ddnnl=disabled >/dev/null 2>&1 ||
       meson setup build-asan -Dplugin=disabled -Db_sanitize=address,undefined -Db_lundef=false \
         -Dbuildtype=debugoptimized -Ddnnl=disabled; } && ninja -C build-asan; then
    meson test -C build-asan --print-errorlogs $(suite_args "engine-io engine-nn engine-style engine-gatys engine-fast engine-microast") \
      --num-processes 1 --timeout-multiplier 4
    collect build-asan asan
  else step_failed "ASan build FAILED"; fi
fi

if [ "$QUICK" = 0 ] && [ -x tests/fuzz/run-fuzz.sh ]; then
  log "fuzzing the weight loader for ${FUZZ_SECONDS}s"
  if tests/fuzz/run-fuzz.sh "$FUZZ_SECONDS"; then echo "fuzz: ok"; echo ok > "$RESULTS/fuzz.ok"
  else step_failed "fuzz: FAILED"; fi
fi

if [ "${NS_SKIP_CHROOT:-0}" != 1 ]; then
  log "GIMP 3 chroot ($CHROOT): engine with gcc 14, plug-in, dialog"
  bash tools/setup-trixie-chroot.sh "$CHROOT" || echo "chroot setup FAILED"
  if [ -x "$CHROOT/usr/bin/gimp-console-3.0" ]; then
    parent=$(cd "$SRC/.." && pwd)
    shared_real=$(cd "$NS_SHARED_DIR" 2>/dev/null && pwd || echo "")
    binds=(-b "$parent:$parent")
    if [ -n "$shared_real" ] && [ "${shared_real#$parent/}" = "$shared_real" ]; then
      binds+=(-b "$shared_real:$shared_real")
    fi
    tools/inchroot "${binds[@]}" bash -c "
      cd '$SRC' && export NS_SHARED_DIR='$NS_SHARED_DIR' &&
      { meson setup --wipe build-chroot-ci -Dwerror=true -Ddnnl=enabled >/dev/null 2>&1 || meson setup build-chroot-ci -Dwerror=true -Ddnnl=enabled; } &&
      ninja -C build-chroot-ci &&
      meson test -C build-chroot-ci --print-errorlogs --suite gimp --suite ui --suite models --suite engine-io --suite engine-nn --suite engine-style --num-processes 1
    " || true
    if [ -f build-chroot-ci/meson-logs/testlog.json ]; then collect build-chroot-ci chroot
    else step_failed "chroot build FAILED"; fi

    # The plug-in built with ASan+UBSan (its own build dir, kept between
    # runs): every Python-Fu case, then 20 calls in one GIMP session with
    # LeakSanitizer and a bound on GIMP's RSS growth; one result per check.
    if [ "$QUICK" = 0 ] && [ "${NS_SKIP_ASAN:-0}" != 1 ]; then
      log "the plug-in under ASan+UBSan in the chroot (tests/gimp/run-asan.sh)"
      rm -f build-chroot-asan/asan-results.json
      tools/inchroot "${binds[@]}" bash -c "
        cd '$SRC' && export NS_SHARED_DIR='$NS_SHARED_DIR' &&
        bash tests/gimp/run-asan.sh build-chroot-asan"; rc=$?
      if [ -s build-chroot-asan/asan-results.json ]; then
        cp build-chroot-asan/asan-results.json "$RESULTS/chroot-asan.json"
        # A failure the results do not show (the script cut short).
        if [ $rc != 0 ] && ! grep -q '"FAIL"' build-chroot-asan/asan-results.json; then
          step_failed "plug-in ASan step FAILED (rc=$rc)"
        fi
      else step_failed "plug-in ASan build FAILED"; fi
    fi

    # The engine suites already ran above: the package build skips them.
    log ".deb: built in the chroot, installed into a fresh overlay copy, installed plug-in tested"
    DEB_BUILD_OPTIONS=nocheck tools/packaging/test-deb.sh; rc=$?
    if [ $rc = 0 ]; then echo ok > "$RESULTS/deb.ok"
    elif [ $rc != 77 ]; then step_failed ".deb test FAILED"; fi

    log "Flatpak manifest, AppStream metainfo, Flatpak install layout"
    if tools/packaging/validate-flatpak.sh &&
       tools/inchroot "${binds[@]}" bash -c "cd '$SRC' && tools/packaging/validate-flatpak.sh --layout"; then
      echo ok > "$RESULTS/flatpak.ok"
    else step_failed "flatpak validation FAILED"; fi
  else
    step_failed "chroot missing at $CHROOT: run tools/setup-trixie-chroot.sh"
  fi
fi

log "summary"
python3 - "$RESULTS" "$extra_fail" <<'PY'
import json, os, sys
d, extra = sys.argv[1], int(sys.argv[2])
p = f = s = 0
for name in sorted(os.listdir(d)):
    path = os.path.join(d, name)
    if name.endswith('.ok'):
        p += 1; continue
    if name == 'failed-steps.txt':
        for line in open(path):
            print('FAILED step: ' + line.strip())
        continue
    for line in open(path):
        r = json.loads(line)
        res = r.get('result')
        if res in ('OK', 'EXPECTEDFAIL'): p += 1
        elif res == 'SKIP': s += 1
        else:
            f += 1; print(f"FAILED: {name[:-5]}: {r.get('name')} ({res})")
            # Why, in the summary itself: CI reports show only the end.
            out = (r.get('stdout') or '').splitlines()
            why = [l for l in out if l.startswith(('FAIL', 'not ok', 'ERROR'))]
            for l in (why[:8] or out[-8:]):
                print('    ' + l[:300])
f += extra
print(f"{p} passed, {f} failed, {s} skipped")
sys.exit(1 if f else 0)
PY
