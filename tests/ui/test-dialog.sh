#!/bin/bash
# GUI test of the dialog, inside the GIMP 3 chroot, under its own Xvfb
# (1280x800):
#   test-dialog.sh PLUGIN_BINARY CHECK_MODULE
# GIMP opens a test image (../shared content + a hidden style layer) and
# calls plug-in-neural-style interactively (tests/ui/driver.py).  With
# NS_DIALOG_DEBUG=1 the dialog prints preview geometry and timings.  The
# test checks: the dialog opens; its preview area (cut from a screenshot)
# is a rendered, non-blank image that differs from the plain content
# (shown by "Show the original"); a strength change typed on the keyboard
# updates it; OK adds a layer; Escape (Cancel) during a preview closes at
# once and leaves the image unchanged; no mnemonic clash, every control
# has a tooltip, presets load, the dialog fits 1280x800 (these last ones
# by CHECK_MODULE, dialog-check.c, a GTK module loaded with GTK_MODULES).
# Screenshots go to $NS_BUILD_ROOT/tests/ui/out (never into docs/: they
# show ../shared images; tools/docs/screenshots.sh makes the README's from
# generated pictures).
set -uo pipefail

skip () { echo "SKIP: $*"; exit 77; }
fail () { echo "FAIL: $*"; [ -f "${LOG:-}" ] && tail -40 "$LOG"; exit 1; }

for tool in gimp-3.0 Xvfb xdotool import python3; do
  command -v $tool >/dev/null \
    || skip "$tool not found (run the ui tests inside the GIMP 3 chroot: tools/inchroot)"
done

plugin=$(realpath "$1")
check_module=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
shared=${NS_SHARED_DIR:-}
[ -n "$shared" ] && [ -f "$shared/models/cd16x/enc5.pth" ] \
  && [ -f "$shared/images/content/tubingen.jpg" ] \
  || skip "shared models/images not found (NS_SHARED_DIR=${shared:-unset})"
out=${NS_BUILD_ROOT:-$PWD}/tests/ui/out
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/ns-ui-test.XXXXXX")
gpid=; xpid=
cleanup () {
  [ -n "$gpid" ] && kill "$gpid" 2>/dev/null
  [ -n "$xpid" ] && kill "$xpid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Our own X server (1280x800).  -displayfd lets Xvfb pick a free display:
# xvfb-run -a decides by lock files in /tmp, which each chroot session has
# its own of, while X's abstract sockets are shared.
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$work/display" \
  2>"$work/xvfb.log" &
xpid=$!
for ((i = 0; i < 100; i++)); do
  [ -s "$work/display" ] && break
  sleep 0.05
done
[ -s "$work/display" ] || { cat "$work/xvfb.log"; fail "Xvfb did not start"; }
export DISPLAY=:$(head -1 "$work/display")
echo "Xvfb on $DISPLAY"

mkdir -p "$work/plug-ins/neural-style" "$work/profile"
ln -s "$plugin" "$work/plug-ins/neural-style/neural-style"
cat > "$work/profile/gimprc" <<RC
(plug-in-path "\${gimp_plug_in_dir}/plug-ins:$work/plug-ins")
(show-welcome-dialog no)
(check-updates no)
(show-tips no)
RC
export GIMP3_DIRECTORY=$work/profile NO_AT_BRIDGE=1 NS_DIALOG_DEBUG=1
export GTK_MODULES=$check_module
export NS_MODELS_DIR=$(cd "$shared/models" && pwd)
export NS_STYLES_DIR=$(cd "$here/../../styles" && pwd)
export NS_UI_WORK=$work
python3 "$here/uicheck.py" prep "$shared/images/content/tubingen.jpg" \
  "$shared/images/style/starry_night.jpg" "$work" || fail "prep"

LOG=$out/gimp-ui.log
t0=$(date +%s%N)
ms () { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
timeout 300 gimp-3.0 -n -s -c --quit --batch-interpreter=python-fu-eval \
  -b "exec(open('$here/driver.py').read())" > "$LOG" 2>&1 &
gpid=$!

# wait_log PATTERN COUNT SECONDS: until PATTERN occurs COUNT times.
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

# --- 1. the dialog opens and shows a rendered preview
# find_dialog SECONDS: the dialog's window id, failing early on a crash.
find_dialog () {
  local i w
  for ((i = 0; i < $1 * 5; i++)); do
    w=$(xdotool search --name '^Neural Style Transfer$' 2>/dev/null | head -1)
    [ -n "$w" ] && { echo "$w"; return 0; }
    grep -q 'Plug-in crashed' "$LOG" && return 1
    kill -0 "$gpid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
wid=$(find_dialog 120) || fail "the dialog did not appear"
echo "dialog appeared after $(ms) ms"
wait_log 'ns-dialog: preview-ready' 1 120 || fail "no preview was rendered"
g=$(field gen "$(grep -m1 'ns-dialog: preview-ready' "$LOG")")
wait_log "ns-dialog: drawn preview gen=$g" 1 20 || fail "the preview was not drawn"
sleep 0.3
echo "first preview after $(ms) ms: $(grep -m1 'ns-dialog: preview-ready' "$LOG")"
wait_log 'ns-dialog-check: presets' 1 20 || fail "the dialog check did not run"
grep -m1 'ns-dialog-check: a11y' "$LOG"
grep -m1 'ns-dialog-check: presets' "$LOG"
grep -q 'ns-dialog-check: a11y .*problems= none' "$LOG" || fail "accessibility check"
grep -q 'ns-dialog-check: presets loaded=[1-9][0-9]* invalid=0' "$LOG" || fail "presets"
mapped=$(grep -m1 'ns-dialog: mapped' "$LOG")
size=$(field xid-size "$mapped")
IFS=',x' read -r cx cy cw ch <<<"$(field compare "$mapped")"
echo "dialog size: $size"
[ "${size%x*}" -le 1280 ] && [ "${size#*x}" -le 800 ] || fail "dialog larger than 1280x800"
largest=$(field largest "$(grep -m1 'ns-dialog-check: a11y' "$LOG")")
echo "dialog size with the Gatys rows and Advanced open: $largest"
[ "${largest%x*}" -le 1280 ] && [ "${largest#*x}" -le 800 ] \
  || fail "the dialog with every row shown is larger than 1280x800"

line=$(grep 'ns-dialog: preview-ready' "$LOG" | tail -1)
area=$(field area "$line"); s1=$(field strength "$line")
IFS=',x' read -r ax ay aw ah <<<"$area"
import -window "$wid" "$out/dialog-1.png"
python3 "$here/uicheck.py" crop "$out/dialog-1.png" $ax $ay $aw $ah "$out/preview-1.png" \
  || fail "crop"

# --- 2. "Show the original" shows the plain content in the same place
# (the button has no mnemonic: all letters are taken; click it)
n=$(grep -c 'ns-dialog: drawn' "$LOG")
xdotool mousemove --window "$wid" $((cx + cw / 2)) $((cy + ch / 2)) click 1
wait_log 'ns-dialog: drawn original' 1 20 || fail "the original was not drawn"
sleep 0.3
import -window "$wid" "$out/dialog-orig.png"
xdotool click 1
wait_log 'ns-dialog: drawn' $((n + 2)) 20 || fail "the preview was not drawn again"
xdotool windowfocus --sync "$wid"
python3 "$here/uicheck.py" crop "$out/dialog-orig.png" $ax $ay $aw $ah "$out/original.png"
d_orig=$(python3 "$here/uicheck.py" stats "$out/original.png" "$work/content.png")
d_style=$(python3 "$here/uicheck.py" stats "$out/preview-1.png" "$out/original.png")
sd=$(python3 "$here/uicheck.py" stats "$out/preview-1.png")
echo "strength $s1: preview stddev=$sd, |preview-original|=$d_style; |original-content.png|=$d_orig"
python3 -c "import sys; sys.exit(0 if $d_orig < 0.03 else 1)" \
  || fail "the preview area does not show the content when comparing"
python3 -c "import sys; sys.exit(0 if $sd > 0.05 else 1)" || fail "the preview is blank"
python3 -c "import sys; sys.exit(0 if $d_style > 0.05 else 1)" \
  || fail "the preview does not differ from the plain content"

# --- 3. a strength change (typed) updates the preview
n=$(grep -c 'ns-dialog: preview-ready' "$LOG")
xdotool key alt+g; sleep 0.2
xdotool key ctrl+a; xdotool type --delay 50 "0.25"; xdotool key Tab
wait_log 'ns-dialog: preview-ready' $((n + 1)) 60 || fail "no preview after the strength change"
line=$(grep 'ns-dialog: preview-ready' "$LOG" | tail -1)
g=$(field gen "$line")
wait_log "ns-dialog: drawn preview gen=$g" 1 20 || fail "the new preview was not drawn"
sleep 0.3
echo "after the strength change: $line"
[ "$(field strength "$line")" = "0.250" ] || fail "strength did not change to 0.25"
import -window "$wid" "$out/dialog-2.png"
python3 "$here/uicheck.py" crop "$out/dialog-2.png" $ax $ay $aw $ah "$out/preview-2.png"
d12=$(python3 "$here/uicheck.py" stats "$out/preview-2.png" "$out/preview-1.png")
d2o=$(python3 "$here/uicheck.py" stats "$out/preview-2.png" "$out/original.png")
echo "strength 0.25: |preview2-preview1|=$d12, |preview2-original|=$d2o"
python3 -c "import sys; sys.exit(0 if $d12 > 0.01 and $d2o < $d_style else 1)" \
  || fail "the strength change did not update the preview as expected"

cp "$out/dialog-1.png" "$out/dialog.png"

# --- 4. OK renders and adds a layer
xdotool key alt+o
wait_log '\[ui\] ok-run' 1 180 || fail "the OK run did not finish"
grep '\[ui\] ok-run' "$LOG"
grep -q '\[ui\] ok-run PASS' "$LOG" || fail "OK did not add exactly one layer"
grep 'ns-dialog: closed' "$LOG" | head -1

# --- 5. Escape while the first preview computes: closes at once, no change
wait_log 'ns-dialog: mapped' 2 120 || fail "the second dialog did not appear"
wid2=$(find_dialog 60) || fail "the second dialog did not appear"
xdotool windowfocus --sync "$wid2"
# The values of the OK run persist (GimpProcedureConfig): strength 0.25.
wait_log 'ns-dialog: request gen=1 ' 2 30 || fail "the second dialog made no preview request"
line=$(grep 'ns-dialog: request gen=1 ' "$LOG" | sed -n 2p); echo "second dialog: $line"
[ "$(field strength "$line")" = "0.250" ] || fail "the strength of the OK run was not kept"
# A preset sets its arguments ("Texture only (keep colours)", the one
# before the last: the fast-style presets sort after most).
xdotool key alt+p; sleep 0.2; xdotool key End; sleep 0.5; xdotool key Up
wait_log 'ns-dialog: preset-applied name="Texture only' 1 10 \
  || fail "choosing a preset did nothing"
line=$(grep 'ns-dialog: preset-applied name="Texture only' "$LOG" | tail -1)
echo "$line"
grep -q 'preset-applied name="Texture only (keep colours)" strength=0.900 preserve-colors=1' \
  <<<"$line" || fail "the preset did not set its values"
# The Gatys rows appear only for that method (fourth in the list: MicroAST
# and the fast style follow it).
xdotool key alt+m; sleep 0.2; xdotool key Home; sleep 0.3
xdotool key Down Down Down
wait_log 'ns-dialog: method=3 gatys-visible=1' 1 10 \
  || fail "choosing Gatys did not show its rows"
grep -m1 'ns-dialog: method=3' "$LOG"
sleep 0.3
import -window "$wid2" "$out/dialog-gatys.png"
tc=$(date +%s%N)
xdotool key Escape
for ((i = 0; i < 100; i++)); do
  xdotool search --name '^Neural Style Transfer$' >/dev/null 2>&1 || break
  sleep 0.02
done
close_ms=$(( ($(date +%s%N) - tc) / 1000000 ))
echo "Escape closed the dialog after $close_ms ms"
wait_log '\[ui\] cancel-run' 1 60 || fail "the cancelled run did not return"
grep '\[ui\] cancel-run' "$LOG"
grep 'ns-dialog: closed' "$LOG" | tail -1
grep -q '\[ui\] cancel-run PASS' "$LOG" || fail "Cancel changed the image or did not report CANCEL"
[ "$close_ms" -lt 1000 ] || fail "Cancel took $close_ms ms to close the dialog"

rc=0; wait "$gpid" || rc=$?; gpid=
echo "gimp exited rc=$rc after $(ms) ms"
[ "$rc" -eq 0 ] || fail "gimp exited with $rc"
echo "PASS: screenshots in $out"
