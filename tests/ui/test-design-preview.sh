#!/bin/bash
# The preview is the result (issue 9): inside the GIMP 3 chroot, under its
# own Xvfb:
#   test-design-preview.sh PLUGIN_BINARY
# GIMP opens a content larger than the design size (long side
# $NS_DESIGN_TEST_LONG, default 2400; design size 1024) and calls
# plug-in-neural-style interactively (tests/ui/design_driver.py).  With
# NS_DIALOG_DEBUG=1 and NS_DIALOG_DUMP the dialog prints its passes and
# saves what it shows.  Checked:
#   - the request asks for an exact pass at the design stage's size
#     (1024 px long side) and a quick pass first; the settled preview was
#     rendered at that size;
#   - the settled preview equals the same settings rendered by the
#     procedure with max-size 1024 (the design stage alone), shrunk to the
#     preview's size: >= 35 dB PSNR; the quick pass is further from it and
#     differs from the settled preview;
#   - the settled preview is close to the full result (design stage +
#     full-size detail) shrunk alike: >= 25 dB (issue 9's target), and
#     closer than the quick pass;
#   - a strength change gives a quick pass and then an exact one again.
# Times of both passes are printed (the figures in the report).
set -uo pipefail

skip () { echo "SKIP: $*"; exit 77; }
fail () { echo "FAIL: $*"; [ -f "${LOG:-}" ] && tail -40 "$LOG"; exit 1; }

for tool in gimp-3.0 Xvfb xdotool python3; do
  command -v $tool >/dev/null \
    || skip "$tool not found (run the ui tests inside the GIMP 3 chroot: tools/inchroot)"
done

plugin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
shared=${NS_SHARED_DIR:-}
[ -n "$shared" ] && [ -f "$shared/models/cd16x/enc5.pth" ] \
  && [ -f "$shared/images/content/tubingen.jpg" ] \
  || skip "shared models/images not found (NS_SHARED_DIR=${shared:-unset})"
long=${NS_DESIGN_TEST_LONG:-2400}
out=${NS_BUILD_ROOT:-$PWD}/tests/ui/out-design
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/ns-ui-design.XXXXXX")
gpid=; xpid=
cleanup () {
  [ -n "$gpid" ] && kill "$gpid" 2>/dev/null
  [ -n "$xpid" ] && kill "$xpid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$work/display" \
  2>"$work/xvfb.log" &
xpid=$!
for ((i = 0; i < 100; i++)); do
  [ -s "$work/display" ] && break
  sleep 0.05
done
[ -s "$work/display" ] || { cat "$work/xvfb.log"; fail "Xvfb did not start"; }
export DISPLAY=:$(head -1 "$work/display")

mkdir -p "$work/plug-ins/neural-style" "$work/profile" "$work/dump"
ln -s "$plugin" "$work/plug-ins/neural-style/neural-style"
cat > "$work/profile/gimprc" <<RC
(plug-in-path "\${gimp_plug_in_dir}/plug-ins:$work/plug-ins")
(show-welcome-dialog no)
(check-updates no)
(show-tips no)
RC
export GIMP3_DIRECTORY=$work/profile NO_AT_BRIDGE=1 NS_DIALOG_DEBUG=1
export NS_DIALOG_DUMP=$work/dump
export NS_MODELS_DIR=$(cd "$shared/models" && pwd)
export NS_STYLES_DIR=$(cd "$here/../../styles" && pwd)
export NS_UI_WORK=$work
python3 "$here/design_compare.py" prep "$shared/images/content/tubingen.jpg" \
  "$shared/images/style/starry_night.jpg" "$work" "$long" || fail "prep"

LOG=$out/gimp-design.log
timeout 600 gimp-3.0 -n -s -c --quit --batch-interpreter=python-fu-eval \
  -b "exec(open('$here/design_driver.py').read())" > "$LOG" 2>&1 &
gpid=$!

wait_log () {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ "$(grep -c -- "$1" "$LOG" 2>/dev/null)" -ge "$2" ] && return 0
    kill -0 "$gpid" 2>/dev/null || return 1
    grep -q 'Plug-in crashed' "$LOG" && return 1
    sleep 0.1
  done
  return 1
}
field () { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2"; }
psnr () { python3 "$here/design_compare.py" psnr "$@"; }
ge () { python3 -c "import sys; sys.exit(0 if $1 >= $2 else 1)"; }

# --- 1. the first preview: a quick pass, then the design stage
wait_log 'ns-dialog: preview-ready' 1 300 || fail "no settled preview"
req=$(grep -m1 'ns-dialog: request gen=' "$LOG")
quick=$(grep -m1 'ns-dialog: preview-quick' "$LOG")
ready=$(grep -m1 'ns-dialog: preview-ready' "$LOG")
echo "$req"; echo "$quick"; echo "$ready"
[ -n "$quick" ] || fail "no quick pass before the exact one"
exact=$(field exact "$req")
[ "$(field refine "$req")" = 1 ] || fail "the request did not refine"
[ "${exact%x*}" = 1024 ] || [ "${exact#*x}" = 1024 ] \
  || fail "the exact pass is not at the design size (exact=$exact)"
[ "$(field image "$ready")" = "$exact" ] \
  || fail "the settled preview was rendered at $(field image "$ready"), not $exact"
[ "$(field gen "$quick")" = "$(field gen "$ready")" ] || fail "passes of different requests"
[ -f "$work/dump/preview-exact.png" ] && [ -f "$work/dump/preview-quick.png" ] \
  || fail "the dialog did not dump its preview"
cp "$work/dump/preview-exact.png" "$out/preview-exact.png"
cp "$work/dump/preview-quick.png" "$out/preview-quick.png"
echo "first preview: layers read in $(field read_ms "$req") ms; quick pass" \
  "$(field since_request_ms "$quick") ms, exact pass" \
  "$(field since_request_ms "$ready") ms after the request"

# --- 2. a strength change: a quick pass again, then the exact one
sleep 0.5
wid=$(xdotool search --name '^Neural Style Transfer$' 2>/dev/null | head -1)
[ -n "$wid" ] || fail "no dialog window"
xdotool windowfocus --sync "$wid"
nq=$(grep -c 'ns-dialog: preview-quick' "$LOG")
nr=$(grep -c 'ns-dialog: preview-ready' "$LOG")
xdotool key alt+g; sleep 0.2
xdotool key ctrl+a; xdotool type --delay 50 "0.5"; xdotool key Tab
wait_log 'ns-dialog: preview-ready .*strength=0.500' 1 120 \
  || fail "no settled preview after the strength change"
q2=$(grep 'ns-dialog: preview-quick .*strength=0.500' "$LOG" | tail -1)
r2=$(grep 'ns-dialog: preview-ready .*strength=0.500' "$LOG" | tail -1)
echo "$q2"; echo "$r2"
[ -n "$q2" ] || fail "no quick pass after the strength change"
echo "strength change: quick pass $(field since_request_ms "$q2") ms" \
  "(compute $(field compute_ms "$q2") ms), exact pass" \
  "$(field since_request_ms "$r2") ms (compute $(field compute_ms "$r2") ms)"
xdotool key Escape

# --- 3. the procedure's renders, compared at the preview's size
wait_log '\[design\] done' 1 400 || fail "the procedure's renders did not finish"
grep '\[design\]' "$LOG"
size=$(field size "$(grep -m1 '\[design\] render design' "$LOG")")
[ -n "$size" ] || fail "the design-stage render failed"
rsize=$(field size "$(grep -m1 '\[design\] render result' "$LOG")")
[ -n "$rsize" ] || fail "the full render failed"
w=${size%x*}; h=${size#*x}
e_d=$(psnr "$out/preview-exact.png" "$work/design.rgb" $w $h)
q_d=$(psnr "$out/preview-quick.png" "$work/design.rgb" $w $h)
e_r=$(psnr "$out/preview-exact.png" "$work/result.rgb" $w $h)
q_r=$(psnr "$out/preview-quick.png" "$work/result.rgb" $w $h)
e_q=$(psnr "$out/preview-exact.png" "$out/preview-quick.png")
echo "PSNR at the preview's size: settled preview vs design stage $e_d dB," \
  "vs full result $e_r dB; quick pass vs design stage $q_d dB, vs full" \
  "result $q_r dB; settled vs quick $e_q dB"
ge "$e_d" 35 || fail "the settled preview is not the design stage ($e_d dB < 35)"
ge "$e_r" 25 || fail "the settled preview is far from the result ($e_r dB < 25)"
ge "$e_d" "$q_d + 3" || fail "the quick pass is as close as the settled one"
ge "$e_r" "$q_r" || fail "the quick pass is closer to the result than the settled one"
ge 40 "$e_q" || fail "the settled preview does not differ from the quick pass"

rc=0; wait "$gpid" || rc=$?; gpid=
[ "$rc" -eq 0 ] || fail "gimp exited with $rc"
echo "PASS"
