#!/bin/bash
# Stylize every image of a folder with one style, headless, in one GIMP run.
#
#   stylize-folder.sh [OPTIONS] STYLE_IMAGE INPUT_DIR OUTPUT_DIR
#
# Options (passed to plug-in-neural-style):
#   --method M        cascade-adain (default) | wct | adain | gatys
#   --model K         auto (default) | cd16x | vgg19 | lst-r31
#   --model-dir DIR   folder holding the model files (default: looked up)
#   --strength S      0..1 (default 1.0)
#   --style-size N    long side of the style, pixels (default 512)
#   --max-size N      work at most at this size, then upscale (default 0 = full)
#   --preserve-colors keep the content's colours
#   --format EXT      output format: png (default), jpg, tif, webp ...
# Env: GIMP (default gimp-console-3.0), GIMP_TIMEOUT seconds (default 3600).
#
# Each INPUT_DIR/*.{jpg,jpeg,png,tif,tiff,webp} becomes OUTPUT_DIR/<name>.<EXT>
# (the image with the stylized layer on top, flattened on export).  Needs
# the plug-in installed (meson install, or -Duser_install=true) and a model
# (tools/download-models.sh --kind cd16x, or NS_MODELS_DIR).
set -euo pipefail

method=cascade-adain model=auto model_dir= strength=1.0 style_size=512
max_size=0 preserve='#f' ext=png
usage () { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --method) method=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --model-dir) model_dir=$2; shift 2 ;;
    --strength) strength=$2; shift 2 ;;
    --style-size) style_size=$2; shift 2 ;;
    --max-size) max_size=$2; shift 2 ;;
    --preserve-colors) preserve='#t'; shift ;;
    --format) ext=${2#.}; shift 2 ;;
    -h|--help) usage 0 ;;
    --) shift; break ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 3 ] || usage
style=$1 in_dir=$2 out_dir=$3
[ -f "$style" ] || { echo "style image not found: $style" >&2; exit 1; }
[ -d "$in_dir" ] || { echo "input folder not found: $in_dir" >&2; exit 1; }
mkdir -p "$out_dir"
case $strength in ''|*[!0-9.]*) echo "bad --strength $strength" >&2; exit 2 ;; esac
case $strength in *.*) ;; *) strength=$strength.0 ;; esac   # Script-Fu wants a real
for n in "$style_size" "$max_size"; do
  case $n in ''|*[!0-9]*) echo "bad size $n" >&2; exit 2 ;; esac
done

# A Scheme string literal.
scm_str () { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

calls=""
count=0
shopt -s nullglob nocaseglob
for f in "$in_dir"/*.{jpg,jpeg,png,tif,tiff,webp}; do
  name=$(basename "${f%.*}")
  calls+="(stylize $(scm_str "$(realpath "$f")") $(scm_str "$(realpath "$out_dir")/$name.$ext"))
"
  count=$((count + 1))
done
shopt -u nullglob nocaseglob
[ "$count" -gt 0 ] || { echo "no images in $in_dir" >&2; exit 1; }

script="
(script-fu-use-v3)
(define style-img (gimp-file-load RUN-NONINTERACTIVE $(scm_str "$(realpath "$style")")))
(define style-layer (vector-ref (gimp-image-get-layers style-img) 0))
(define (stylize in out)
  (let* ((img (gimp-file-load RUN-NONINTERACTIVE in))
         (drw (vector-ref (gimp-image-get-layers img) 0)))
    (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
      #:drawables (vector drw) #:style-layer style-layer
      #:method $(scm_str "$method") #:model $(scm_str "$model")
      #:model-dir $(scm_str "$model_dir") #:strength $strength
      #:preserve-colors $preserve #:style-size $style_size #:max-size $max_size)
    (gimp-file-save RUN-NONINTERACTIVE img out -1)
    (gimp-image-delete img)
    (gimp-message (string-append \"stylized \" out))))
$calls(gimp-image-delete style-img)
"

echo "stylizing $count image(s) from $in_dir into $out_dir ($method, strength $strength)"
exec timeout "${GIMP_TIMEOUT:-3600}" "${GIMP:-gimp-console-3.0}" -i --quit \
  --batch-interpreter=plug-in-script-fu-eval -b "$script"
