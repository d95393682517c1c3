#!/bin/bash
# The README's pictures, from procedurally drawn images only (no image of
# ../shared appears in them):
#   sudo tools/docs/screenshots.sh [BUILD_DIR]
# On the host (Debian 12, python3-pil): draws scene.png and
# swirls.png (tools/docs/make-images.py), then, inside the GIMP 3 chroot
# (tools/inchroot), builds the plug-in in BUILD_DIR (default build-docs)
# and opens the real dialog under Xvfb three times, as tests/ui does:
#   1. with a model: waits for the live preview, screenshots the dialog,
#      opens Advanced, screenshots again, presses OK; GIMP saves the result;
#   2. with no model installed (empty NS_MODELS_DIR): the Download panel;
#   3. in French (LANG=fr_FR.UTF-8 LANGUAGE=fr, catalogue beside the plug-in).
# Writes docs/images/*.png (palette PNGs, each checked to be <= 200 KB;
# ImageMagick of the chroot).  NS_DOCS_KEEP=1 keeps the work folder in /tmp.
# If the tree does not build, the plug-in built before in BUILD_DIR is used
# (with a warning).
# Models: $NS_MODELS_DIR, else ../shared/models, else the user's GIMP
# folder (cd16x is enough).  Needs xdotool, Xvfb, ImageMagick in the chroot
# (tools/setup-trixie-chroot.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

# images WORK: docs/images/*.png from the screenshots and pictures in WORK
# (ImageMagick of the chroot: the host may have none)
images () {
  local work=$1
  out=$src/docs/images
  mkdir -p "$out"
  # dialog screenshots: as taken (GTK has few colours), palette PNGs
  for s in dialog advanced no-model fr; do
    convert "$work/shot-$s.png" -strip -colors 256 "PNG8:$out/dialog-$s.png"
  done
  mv "$out/dialog-dialog.png" "$out/dialog.png"
  # no model: only the Download panel at the top matters
  convert "$work/shot-no-model.png" -crop x128+0+0 +repage -strip -colors 256 \
    "PNG8:$out/dialog-no-model.png"
  # before / after: the photo, the painting (small) and GIMP's result
  convert "$work/scene.png" -resize 320x "$work/a.png"
  convert "$work/swirls.png" -resize 160x160 "$work/b.png"
  convert "$work/result.png" -resize 320x "$work/c.png"
  convert "$work/scene.png" -strip -colors 256 "PNG8:$out/scene.png"
  convert "$work/swirls.png" -resize 256x256 -strip -colors 256 "PNG8:$out/swirls.png"
  convert -background white "$work/a.png" \
    \( "$work/b.png" -gravity center -background white -extent 176x240 \) "$work/c.png" \
    +append -strip -colors 256 "PNG8:$out/before-after.png"
  ok=1
  for f in "$out"/*.png; do
    n=$(stat -c %s "$f")
    printf '%-40s %7d bytes  %s\n' "${f#"$src"/}" "$n" "$(identify -format '%wx%h' "$f")"
    [ "$n" -le 204800 ] || { echo "  larger than 200 KB" >&2; ok=0; }
  done
  [ $ok = 1 ]
}

if [ "${1:-}" = --inside ]; then
  shift
  build=$1 work=$2 models=$3
  skip () { echo "screenshots: $*" >&2; exit 1; }
  for t in gimp-3.0 Xvfb xdotool import msgfmt; do
    command -v $t >/dev/null || skip "$t not found in the chroot"
  done
  cd "$src"
  [ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release >/dev/null
  if ! nice ninja -C "$build" plugin/neural-style > "$work/build.log" 2>&1; then
    tail -20 "$work/build.log" >&2
    [ -x "$build/plugin/neural-style" ] || skip "the plug-in does not build"
    echo "screenshots: the build failed; using the plug-in built before" >&2
  fi
  plugin=$(realpath "$build/plugin/neural-style")

  # Our own X server (1280x800), started again if it went away between runs
  xpid=; gpid=
  trap '[ -n "$gpid" ] && kill $gpid 2>/dev/null; [ -n "$xpid" ] && kill $xpid 2>/dev/null; true' EXIT
  xstart () {
    [ -n "$xpid" ] && kill -0 "$xpid" 2>/dev/null && return 0
    rm -f "$work/display"
    Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp 5>"$work/display" 2>>"$work/xvfb.log" &
    xpid=$!
    for ((i = 0; i < 100; i++)); do [ -s "$work/display" ] && break; sleep 0.05; done
    [ -s "$work/display" ] || skip "Xvfb did not start"
    DISPLAY=:$(head -1 "$work/display"); export DISPLAY
  }
  export NO_AT_BRIDGE=1 NS_DIALOG_DEBUG=1 NS_DOCS_WORK=$work
  export NS_STYLES_DIR=$src/styles

  # start NAME: a fresh profile and plug-in folder, GIMP running driver.py
  start () {
    local name=$1
    xstart
    rm -rf "${work:?}/$name"; mkdir -p "$work/$name/plug-ins/neural-style" "$work/$name/profile"
    ln -s "$plugin" "$work/$name/plug-ins/neural-style/neural-style"
    if [ "$name" = fr ]; then   # where set_i18n looks: locale/ beside the plug-in
      mkdir -p "$work/fr/plug-ins/neural-style/locale/fr/LC_MESSAGES"
      msgfmt -o "$work/fr/plug-ins/neural-style/locale/fr/LC_MESSAGES/gimp-neural-style.mo" \
        "$src/po/fr.po"
    fi
    cat > "$work/$name/profile/gimprc" <<RC
(plug-in-path "\${gimp_plug_in_dir}/plug-ins:$work/$name/plug-ins")
(show-welcome-dialog no)
(check-updates no)
(show-tips no)
RC
    log=$work/$name.log
    GIMP3_DIRECTORY=$work/$name/profile timeout 300 gimp-3.0 -n -s -c --quit \
      --batch-interpreter=python-fu-eval \
      -b "exec(open('$here/driver.py').read())" > "$log" 2>&1 &
    gpid=$!
  }
  wait_log () {   # PATTERN SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do
      grep -q -- "$1" "$log" 2>/dev/null && return 0
      kill -0 "$gpid" 2>/dev/null || return 1
      sleep 0.1
    done
    return 1
  }
  find_dialog () {  # TITLE
    local i w
    for ((i = 0; i < 600; i++)); do
      w=$(xdotool search --name "^$1\$" 2>/dev/null | head -1)
      [ -n "$w" ] && { echo "$w"; return 0; }
      kill -0 "$gpid" 2>/dev/null || return 1
      sleep 0.2
    done
    return 1
  }
  finish () {
    local rc=0
    wait "$gpid" || rc=$?; gpid=
    [ $rc -eq 0 ] || { tail -30 "$log"; skip "GIMP exited with $rc"; }
  }
  preview_drawn () {
    wait_log 'ns-dialog: preview-ready' 180 || { tail -30 "$log"; skip "no preview"; }
    local g
    g=$(grep -m1 'ns-dialog: preview-ready' "$log" | sed -n 's/.* gen=\([^ ]*\).*/\1/p')
    wait_log "ns-dialog: drawn preview gen=$g" 30 || skip "preview not drawn"
    sleep 0.5
  }

  # 1. with a model: preview, Advanced, OK
  NS_MODELS_DIR=$models start en
  wid=$(find_dialog 'Neural Style Transfer') || { tail -30 "$log"; skip "no dialog"; }
  preview_drawn
  import -window "$wid" "$work/shot-dialog.png"
  xdotool windowfocus --sync "$wid"; xdotool key alt+a; sleep 1
  import -window "$wid" "$work/shot-advanced.png"
  xdotool key alt+o
  wait_log '\[docs\] saved result.png' 300 || { tail -30 "$log"; skip "OK gave no result"; }
  finish

  # 2. no model installed: the Download panel
  mkdir -p "$work/no-models"
  NS_MODELS_DIR=$work/no-models start none
  wid=$(find_dialog 'Neural Style Transfer') || { tail -30 "$log"; skip "no dialog"; }
  wait_log 'ns-dialog: mapped' 60 || true
  sleep 8   # no preview to wait for: let GTK draw everything
  import -window "$wid" "$work/shot-no-model.png"
  xdotool windowfocus --sync "$wid"; xdotool key Escape
  finish

  # 3. French
  loc=$work/loc
  if ! locale -a 2>/dev/null | grep -qix 'fr_FR.utf8'; then
    mkdir -p "$loc"; localedef -i fr_FR -f UTF-8 "$loc/fr_FR.UTF-8" >/dev/null 2>&1 || true
    export LOCPATH=$loc
  fi
  LANG=fr_FR.UTF-8 LANGUAGE=fr NS_MODELS_DIR=$models start fr
  wid=$(find_dialog 'Transfert de style neuronal') || { tail -30 "$log"; skip "no French dialog"; }
  preview_drawn
  import -window "$wid" "$work/shot-fr.png"
  xdotool windowfocus --sync "$wid"; xdotool key Escape
  finish
  chmod -R a+rwX "$work"
  images "$work"
  exit 0
fi

build=${1:-build-docs}
models=${NS_MODELS_DIR:-}
if [ -z "$models" ]; then
  for m in "$src/../shared/models" "${XDG_CONFIG_HOME:-$HOME/.config}/GIMP/3.0/neural-style/models"; do
    [ -f "$m/cd16x/enc5.pth" ] && { models=$(cd "$m" && pwd); break; }
  done
fi
[ -n "$models" ] && [ -f "$models/cd16x/enc5.pth" ] \
  || { echo "screenshots: no cd16x model (set NS_MODELS_DIR; nstyle models install cd16x)" >&2; exit 1; }
work=$(mktemp -d /tmp/ns-docs.XXXXXX)
if [ -n "${NS_DOCS_KEEP:-}" ]; then echo "work folder kept: $work"; else trap 'rm -rf "$work"' EXIT; fi
/usr/bin/python3 "$here/make-images.py" "$work"
# One bind mount for the source, one for the models, one for the work folder
"$src/tools/inchroot" -b "$src:$src" -b "$models:$models" -b "$work:$work" \
  bash "$here/screenshots.sh" --inside "$build" "$work" "$models"

