#!/bin/bash
# The batch examples, run as written:
#   test-batch.sh PLUGIN_BINARY readme   the Script-Fu and Python-Fu blocks of
#                                        README.md
#   test-batch.sh PLUGIN_BINARY folder   tools/batch/stylize-folder.sh
NS_PLUGIN=$1 case=$2
source "$(dirname "$0")/gimp-test-lib.sh"
ns_need_shared
ns_setup
export NS_MODELS_DIR=$NS_MODELS
command -v magick >/dev/null || skip "ImageMagick (magick) not found"
SRC=${NS_SOURCE_ROOT:-$TESTS_DIR/../..}

# make_image SRC OUT WxH: a small copy (tests must stay quick).
make_image () { magick "$1" -resize "$3!" "$2"; }
# check_result IN OUT: OUT exists, has IN's size and differs from IN.
check_result () {
  [ -s "$2" ] || die "$2 was not written"
  local a b
  a=$(magick identify -format '%w %h' "$1"); b=$(magick identify -format '%w %h' "$2")
  [ "$a" = "$b" ] || die "$2 is $b, expected $a"
  local mae
  mae=$(magick compare -metric MAE "$1" "$2" null: 2>&1 | sed -E 's/.*\((.*)\).*/\1/') || true
  awk -v m="$mae" 'BEGIN { exit !(m > 0.02) }' || die "$2 barely differs from $1 (MAE $mae)"
  echo "ok: $2 ($b, normalised MAE vs input $mae)"
}

# The fenced block that follows the marker <!-- test:NAME --> in the README.
readme_block () {
  awk -v m="<!-- test:$1 -->" '
    $0 == m { found = 1; next }
    found && /^```/ { if (inblock) exit; inblock = 1; next }
    inblock { print }' "$SRC/README.md"
}

case $case in
readme)
  mkdir -p "$WORK/rd"; cd "$WORK/rd"
  make_image "$NS_IMAGES/content/golden_gate.jpg" photo.jpg 96x64
  make_image "$NS_IMAGES/style/wave.jpg" style.jpg 64x64
  for lang in scriptfu python; do
    block=$(readme_block $lang)
    [ -n "$block" ] || die "no $lang block in README.md"
    rm -f photo-stylized.png
    echo "--- README $lang example"
    rc=0
    timeout "$GIMP_TIMEOUT" bash -c "$block" > $lang.log 2>&1 || rc=$?
    filter_log $lang.log
    [ "$rc" -eq 0 ] || die "README $lang example failed (rc=$rc)"
    check_result photo.jpg photo-stylized.png
  done
  ;;
folder)
  mkdir -p "$WORK/in" "$WORK/out"
  make_image "$NS_IMAGES/content/golden_gate.jpg" "$WORK/in/gate.jpg" 96x64
  make_image "$NS_IMAGES/content/flowers.jpg" "$WORK/in/flowers one.png" 80x80
  make_image "$NS_IMAGES/style/the_scream.jpg" "$WORK/scream.jpg" 64x64
  rc=0
  bash "$SRC/tools/batch/stylize-folder.sh" --style-size 64 --strength 0.9 \
    "$WORK/scream.jpg" "$WORK/in" "$WORK/out" > "$WORK/folder.log" 2>&1 || rc=$?
  filter_log "$WORK/folder.log"
  [ "$rc" -eq 0 ] || die "stylize-folder.sh failed (rc=$rc)"
  check_result "$WORK/in/gate.jpg" "$WORK/out/gate.png"
  check_result "$WORK/in/flowers one.png" "$WORK/out/flowers one.png"
  [ "$(ls "$WORK/out" | wc -l)" -eq 2 ] || die "expected 2 outputs"
  ;;
*) die "unknown case $case" ;;
esac
echo "PASS: batch $case"
