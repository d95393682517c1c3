#!/bin/bash
# GUI test of the dialog's fast styles, inside the GIMP 3 chroot, under its
# own Xvfb:  test-dialog-fast.sh PLUGIN_BINARY CHECK_MODULE
# The dialog opens on a layer with a style layer; the gallery shows one
# thumbnail per installed fast style; the keyboard picks the
# first installed fast style (Alt+Q, Down): the style layer's widgets turn
# insensitive, the preview runs the style's network (method fast-style);
# the mnemonics still do not clash (CHECK_MODULE, dialog-check.c); OK adds
# one layer that differs from the content (tests/ui/driver_fast.py).
set -uo pipefail

skip () { echo "SKIP: $*"; exit 77; }
fail () { echo "FAIL: $*"; [ -f "${LOG:-}" ] && tail -40 "$LOG"; exit 1; }

for tool in gimp-3.0 Xvfb xdotool python3; do
  command -v $tool >/dev/null \
    || skip "$tool not found (run the ui tests inside the GIMP 3 chroot: tools/inchroot)"
done

plugin=$(realpath "$1")
check_module=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
shared=${NS_SHARED_DIR:-}
[ -n "$shared" ] && [ -f "$shared/models/cd16x/enc5.pth" ] \
  && [ -f "$shared/models/fast-ncnn/transformer.param" ] \
  && [ -f "$shared/images/content/tubingen.jpg" ] \
  || skip "shared models (cd16x, fast-ncnn)/images not found (NS_SHARED_DIR=${shared:-unset})"
out=${NS_BUILD_ROOT:-$PWD}/tests/ui/out
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/ns-ui-fast.XXXXXX")
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

mkdir -p "$work/plug-ins/neural-style" "$work/profile" "$work/models"
ln -s "$plugin" "$work/plug-ins/neural-style/neural-style"
cat > "$work/profile/gimprc" <<RC
(plug-in-path "\${gimp_plug_in_dir}/plug-ins:$work/plug-ins")
(show-welcome-dialog no)
(check-updates no)
(show-tips no)
RC
# The models where the plug-in looks them up (links, not copies).
shared_models=$(cd "$shared/models" && pwd)
ln -s "$shared_models/fast-ncnn" "$work/models/fast"
ln -s "$shared_models/cd16x" "$work/models/cd16x"
export GIMP3_DIRECTORY=$work/profile NO_AT_BRIDGE=1 NS_DIALOG_DEBUG=1
export GTK_MODULES=$check_module
export NS_MODELS_DIR=$work/models
export NS_STYLES_DIR=$(cd "$here/../../styles" && pwd)
export NS_UI_WORK=$work
python3 "$here/uicheck.py" prep "$shared/images/content/tubingen.jpg" \
  "$shared/images/style/starry_night.jpg" "$work" || fail "prep"

LOG=$out/gimp-ui-fast.log
timeout 300 gimp-3.0 -n -s -c --quit --batch-interpreter=python-fu-eval \
  -b "exec(open('$here/driver_fast.py').read())" > "$LOG" 2>&1 &
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
wait_log 'ns-dialog: preview-ready' 1 120 || fail "no preview was rendered"
wait_log 'ns-dialog-check: presets' 1 20 || fail "the dialog check did not run"
grep -m1 'ns-dialog-check: a11y' "$LOG"
grep -q 'ns-dialog-check: a11y .*problems=.*Quick style' "$LOG" \
  && fail "the fast style's mnemonic clashes"
grep -q 'ns-dialog-check: presets loaded=[1-9][0-9]* invalid=0' "$LOG" || fail "presets"
grep -q 'ns-dialog: fast-style="" style-layer-sensitive=1' "$LOG" \
  || fail "the style layer is not the default"

# --- the gallery: each installed style on a thumbnail of the layer
wait_log 'ns-dialog: fast-thumbnail' 5 60 \
  || fail "the gallery did not render a thumbnail for each fast style"
grep 'ns-dialog: fast-thumbnail' "$LOG" | tr '\n' ' '; echo
command -v import >/dev/null && import -window "$wid" "$out/dialog-fast-gallery.png"

# --- the first fast style, by keyboard
n=$(grep -c 'ns-dialog: preview-ready' "$LOG")
xdotool windowfocus --sync "$wid"
xdotool key alt+q; sleep 0.2; xdotool key Down
wait_log 'ns-dialog: fast-style="candy" style-layer-sensitive=0' 1 10 \
  || fail "choosing a fast style did not make the style layer insensitive"
wait_log 'ns-dialog: request .*method=5 .*candy.bin' 1 20 \
  || fail "the preview did not ask for the fast style"
grep 'ns-dialog: request .*method=5' "$LOG" | tail -1
wait_log 'ns-dialog: preview-ready' $((n + 1)) 60 || fail "no preview of the fast style"
line=$(grep 'ns-dialog: preview-ready' "$LOG" | tail -1)
echo "fast style preview: $line"
# The preview is the newest request's (the fast style's).
g=$(field gen "$(grep 'ns-dialog: request .*method=5' "$LOG" | tail -1)")
[ "$(field gen "$line")" -ge "$g" ] || fail "the preview is not the fast style's"
grep -q 'ns-dialog: preview-failed' "$LOG" && fail "a preview failed"

# --- OK renders the fast style into a new layer
xdotool key alt+o
wait_log '\[ui-fast\] ok-run' 1 180 || fail "the OK run did not finish"
grep '\[ui-fast\]' "$LOG"
wait_log '\[ui-fast\] ok-run PASS' 1 10 || fail "OK did not add one stylized layer"

rc=0; wait "$gpid" || rc=$?; gpid=
[ "$rc" -eq 0 ] || fail "gimp exited with $rc"
echo "PASS"
