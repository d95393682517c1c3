#!/bin/bash
# Undo cannot be driven through the PDB (no undo procedure exists), so this
# test runs the GUI gimp-3.0 under Xvfb: it runs the plug-in on a displayed
# image with a selection, presses Ctrl+Z once in the image window (xdotool)
# and checks that the layer stack and the content are back as they were,
# i.e. the result layer and its mask were one undo group.
#   test-undo-gui.sh PLUGIN_BINARY
NS_PLUGIN=$1
source "$(dirname "$0")/gimp-test-lib.sh"
ns_need_shared
for t in xvfb-run xdotool gimp-3.0; do
  command -v $t >/dev/null || skip "$t not found (run inside the GIMP 3 chroot)"
done
if [ -z "${NS_IN_XVFB:-}" ]; then
  NS_IN_XVFB=1 exec xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi
ns_setup
export NS_MODELS_DIR=$NS_MODELS

py="exec(open('$TESTS_DIR/undo_gui.py').read())"
t0=$(date +%s%N)
NS_UNDO_STEP=run timeout "$GIMP_TIMEOUT" gimp-3.0 -n -s --quit \
  --batch-interpreter=python-fu-eval \
  -b "import os; os.environ['NS_UNDO_STEP'] = 'run'; $py" \
  -b "import os; os.environ['NS_UNDO_STEP'] = 'wait'; $py" \
  > "$WORK/gimp.log" 2>&1 &
gpid=$!
for _ in $(seq 600); do
  [ -f "$WORK/run-done" ] && break
  kill -0 $gpid 2>/dev/null || break
  sleep 0.2
done
[ -f "$WORK/run-done" ] || { filter_log "$WORK/gimp.log"; kill $gpid 2>/dev/null; die "the plug-in run did not finish"; }
echo "plug-in ran after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
wid=$(timeout 30 xdotool search --sync --onlyvisible --name ' layers?\) [0-9]+x[0-9]+' | head -1) || true
[ -n "$wid" ] || { for w in $(xdotool search --name . 2>/dev/null); do echo "window $w: $(xdotool getwindowname $w)"; done; kill $gpid; filter_log "$WORK/gimp.log"; die "no image window"; }
sleep 0.5
xdotool windowfocus --sync "$wid"
xdotool key ctrl+z
rc=0; wait $gpid || rc=$?
filter_log "$WORK/gimp.log"
[ -f "$WORK/undo-ok" ] || { import -window root "$WORK/screen.png" 2>/dev/null || true; die "undo check failed (gimp rc=$rc)"; }
echo "PASS: undo (gimp rc=$rc, $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
