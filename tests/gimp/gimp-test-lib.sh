# Shared helpers for the headless GIMP tests (sourced, bash).
#
# Every test gets its own GIMP3_DIRECTORY, copied from a profile warmed once
# per build dir (GIMP queries all plug-ins on a cold start: ~5 s; a warm
# copy starts in ~1.5 s).  The plug-in is registered through a fixed
# plug-in folder in the build dir, so the warm pluginrc stays valid.
#
# Env (from meson): NS_PLUGIN (built binary), NS_BUILD_ROOT, NS_SHARED_DIR,
# NS_SOURCE_ROOT.

set -euo pipefail

GIMP_CONSOLE=${GIMP_CONSOLE:-gimp-console-3.0}
GIMP_TIMEOUT=${GIMP_TIMEOUT:-120}
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip () { echo "SKIP: $*"; exit 77; }
die () { echo "FAIL: $*"; exit 1; }

command -v "$GIMP_CONSOLE" >/dev/null \
  || skip "$GIMP_CONSOLE not found (run the GIMP tests inside the GIMP 3 chroot: tools/inchroot)"
[ -n "${NS_PLUGIN:-}" ] && [ -x "$NS_PLUGIN" ] || die "NS_PLUGIN is not an executable: ${NS_PLUGIN:-unset}"

# ../shared: models and images.
ns_need_shared () {
  local shared=${NS_SHARED_DIR:-}
  [ -n "$shared" ] && [ -d "$shared/models/cd16x" ] && [ -d "$shared/images" ] \
    || skip "shared models/images not found (NS_SHARED_DIR=${shared:-unset}); put ../shared beside the source"
  NS_MODELS=$(cd "$shared/models" && pwd)
  NS_IMAGES=$(cd "$shared/images" && pwd)
  export NS_MODELS NS_IMAGES
}

GIMP_STATE=$NS_BUILD_ROOT/tests/gimp/state
PLUGIN_ROOT=$GIMP_STATE/plug-ins
WARM=$GIMP_STATE/warm-profile

write_gimprc () {
  cat > "$1/gimprc" <<RC
(plug-in-path "\${gimp_plug_in_dir}/plug-ins:$PLUGIN_ROOT")
(check-updates no)
(show-welcome-dialog no)
(show-tips no)
RC
}

# Filter the harmless noise of a headless GIMP 3.0.4: "cannot open display"
# from the bundled test-sphere-v3 script, and gimp_wire_read () /
# "Broken pipe" messages when plug-ins are closed at --quit.
filter_log () {
  grep -v -e '^$' -e 'cannot open display' -e 'gimp_wire_read' -e 'Broken pipe' \
       -e 'test-sphere-v3' "$1" || true
}

ns_warm_profile () {
  mkdir -p "$GIMP_STATE"
  (
    flock 9  # (closed for GIMP: a hung plug-in must not keep the lock)
    mkdir -p "$PLUGIN_ROOT/neural-style"
    ln -sfn "$(realpath "$NS_PLUGIN")" "$PLUGIN_ROOT/neural-style/neural-style"
    # Re-warm when the plug-in was rebuilt (GIMP would re-query it in
    # every test otherwise).
    if [ ! -f "$WARM/.warm" ] || [ "$(realpath "$NS_PLUGIN")" -nt "$WARM/.warm" ]; then
      rm -rf "$WARM"; mkdir -p "$WARM"; write_gimprc "$WARM"
      GIMP3_DIRECTORY=$WARM timeout "$GIMP_TIMEOUT" "$GIMP_CONSOLE" -i --quit \
        --batch-interpreter=plug-in-script-fu-eval -b '(gimp-message "warm")' \
        > "$GIMP_STATE/warm.log" 2>&1 9>&- || { filter_log "$GIMP_STATE/warm.log"; exit 1; }
      touch "$WARM/.warm"
    fi
  ) 9>"$GIMP_STATE/lock" || die "could not warm a GIMP profile"
}

# ns_setup: a work dir + an isolated profile; sets WORK and GIMP3_DIRECTORY.
ns_setup () {
  ns_warm_profile
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/ns-gimp-test.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  cp -a "$WARM" "$WORK/profile"
  # More gimprc lines for this test's profile, e.g. "(num-processors 1)"
  # (run-asan.sh); GIMP reads them at its start.
  [ -z "${NS_GIMPRC_EXTRA:-}" ] || echo "$NS_GIMPRC_EXTRA" >> "$WORK/profile/gimprc"
  export GIMP3_DIRECTORY=$WORK/profile
  export NO_AT_BRIDGE=1
  export WORK
  ns_sanitizer_setup
}

# A plug-in built with -Db_sanitize=address,undefined (tests/gimp/run-asan.sh)
# writes its reports to $WORK/san/*.PID (GIMP passes the environment on to
# the plug-ins it starts; GIMP itself is not instrumented and ignores it).
# ns_gimp fails the test on any report.  The sanitizer runtimes are linked
# statically into the plug-in, so no LD_PRELOAD is needed.
ns_sanitizer_setup () {
  SAN_DIR=$WORK/san
  mkdir -p "$SAN_DIR"
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:log_path=$SAN_DIR/asan${NS_ASAN_EXTRA:+:$NS_ASAN_EXTRA}"
  export LSAN_OPTIONS="suppressions=$TESTS_DIR/lsan-plugin.supp:print_suppressions=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$SAN_DIR/ubsan"
}

# Fails when a sanitizer reported an error in any plug-in process: any
# ASan or UBSan report; any direct leak left after lsan-plugin.supp; any
# indirect leak with a frame of this project's code (../plugin/, ../ui/,
# ../engine/) other than the procedure's definition.  Tolerated, up to
# NS_LSAN_CYCLE_MAX bytes (16 KiB) per process: indirect leaks whose
# stacks are libgimp's and GLib's alone or the procedure's definition
# (ns_plug_in_create_procedure): the GimpPlugIn object and the procedure it
# holds reference each other and libgimp 3.0.4 does not break that cycle at
# exit.  A cycle has no direct root, so no suppression can name it (its
# blocks are allocated under gimp_main like everything else); the same
# 8 KB in every process, whatever the call did (also when refused before
# the plug-in allocates anything).
ns_sanitizer_check () {
  local f bad=0
  for f in "$SAN_DIR"/*; do
    [ -e "$f" ] || continue
    if grep -Eq 'ERROR: (AddressSanitizer|UndefinedBehavior)|runtime error' "$f" ||
       { grep -q 'ERROR: LeakSanitizer' "$f" && ! ns_lsan_only_cycle "$f"; }; then
      echo "--- sanitizer report $f"; cat "$f"; bad=1
    fi
  done
  [ "$bad" = 0 ] || die "the plug-in has sanitizer reports (above)"
}

# ns_lsan_only_cycle FILE: true when the leaks of FILE are only the
# tolerated libgimp cycle (above); says so.
ns_lsan_only_cycle () {
  python3 - "$1" "${NS_LSAN_CYCLE_MAX:-16384}" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
limit = int(sys.argv[2])
ours = re.compile(r'\.\./(plugin|ui|engine)/')
tolerated = 0
for block in re.split(r'\n\s*\n', text):
    m = re.match(r'\s*(Direct|Indirect) leak of (\d+) byte', block)
    if not m:
        continue
    if m.group(1) == 'Direct':
        sys.exit(1)
    if ours.search(block) and 'ns_plug_in_create_procedure' not in block:
        sys.exit(1)
    tolerated += int(m.group(2))
if tolerated > limit:
    print('%s: %d bytes of indirect leaks in the libgimp cycle, above %d'
          % (sys.argv[1], tolerated, limit))
    sys.exit(1)
print('(LeakSanitizer, %s: only the libgimp plug-in/procedure cycle, %d bytes)'
      % (sys.argv[1].rsplit('/', 1)[-1], tolerated))
PY
}

# ns_gimp INTERPRETER CODE: runs one batch; prints the filtered log; sets RC.
# INTERPRETER: scheme | python.
ns_gimp () {
  local interp=$1 code=$2 log
  log=$WORK/gimp-$RANDOM.log
  case $interp in
    scheme) interp=plug-in-script-fu-eval ;;
    python) interp=python-fu-eval ;;
  esac
  RC=0
  local t0; t0=$(date +%s%N)
  timeout "$GIMP_TIMEOUT" "$GIMP_CONSOLE" -i --quit --batch-interpreter="$interp" \
    -b "$code" > "$log" 2>&1 || RC=$?
  GIMP_LOG=$log
  echo "--- gimp ($1) rc=$RC in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  filter_log "$log"
  ns_sanitizer_check
}
