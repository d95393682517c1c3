#!/bin/bash
# Fast styles, presets by name and MicroAST through the procedure, headless.
#   test-fast.sh PLUGIN_BINARY preset_candy | fast_mosaic | microast | errors
NS_PLUGIN=$1 case=$2
source "$(dirname "$0")/gimp-test-lib.sh"
ns_need_shared
ns_setup
[ -f "$NS_MODELS/fast-ncnn/transformer.param" ] \
  || skip "no fast styles in $NS_MODELS/fast-ncnn"
[ -d "$NS_MODELS/microast" ] || skip "no MicroAST model in $NS_MODELS/microast"
# The models where the plug-in looks them up (links, not copies): fast
# styles in <folder>/fast, as installed.
mkdir -p "$WORK/models"
ln -s "$NS_MODELS/fast-ncnn" "$WORK/models/fast"
ln -s "$NS_MODELS/microast" "$WORK/models/microast"
ln -s "$NS_MODELS/cd16x" "$WORK/models/cd16x"
export NS_MODELS_DIR=$WORK/models
# The bundled presets, from the source tree.
export NS_STYLES_DIR=$NS_SOURCE_ROOT/styles

# A 96x64 content layer at offsets (20, 30) of a 160x120 image; a 64x64
# style layer in a second image.  (differs a b): the mean absolute
# difference of two layers' red, green and blue histograms' means and
# deviations is above 0.02.
prologue="
(script-fu-use-v3)
(define img (gimp-file-load RUN-NONINTERACTIVE \"$NS_IMAGES/content/chicago.jpg\"))
(define drw (vector-ref (gimp-image-get-layers img) 0))
(define simg (gimp-file-load RUN-NONINTERACTIVE \"$NS_IMAGES/style/the_scream.jpg\"))
(define sdrw (vector-ref (gimp-image-get-layers simg) 0))
(gimp-image-undo-enable img)
(gimp-image-scale img 96 64)
(gimp-image-resize img 160 120 20 30)
(gimp-item-set-name drw \"content\")
(gimp-image-scale simg 64 64)
(define (check ok what) (if (not ok) (error (string-append \"CHECK FAILED: \" what))))
(define (hist d ch) (gimp-drawable-histogram d ch 0.0 1.0))
(define (diff-ch a b ch)
  (let ((ha (hist a ch)) (hb (hist b ch)))
    (+ (abs (- (list-ref ha 0) (list-ref hb 0)))
       (abs (- (list-ref ha 1) (list-ref hb 1))))))
(define (differs a b)
  (> (/ (+ (diff-ch a b HISTOGRAM-RED) (diff-ch a b HISTOGRAM-GREEN)
           (diff-ch a b HISTOGRAM-BLUE)) 3.0) 0.02))
(define (check-result lay what)
  (define layers (gimp-image-get-layers img))
  (check (= 2 (vector-length layers)) (string-append what \": two layers\"))
  (check (= (vector-ref layers 0) lay) (string-append what \": new layer on top\"))
  (check (= 96 (gimp-drawable-get-width lay)) (string-append what \": width\"))
  (check (= 64 (gimp-drawable-get-height lay)) (string-append what \": height\"))
  (check (equal? (gimp-drawable-get-offsets lay) '(20 30)) (string-append what \": offsets\"))
  (check (differs lay drw) (string-append what \": differs from the content\")))
"

case $case in
preset_candy)
  # The preset names the fast style: no style layer, no method.
  ns_gimp scheme "$prologue
(define lay (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
              #:drawables (vector drw) #:preset \"candy\"))
(check-result lay \"preset candy\")
(display \"FAST-OK\") (newline)"
  ;;
fast_mosaic)
  # fast-style with no style layer; an explicit strength wins over the
  # preset's, and a weaker blend stays closer to the content.
  ns_gimp scheme "$prologue
(define lay (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
              #:drawables (vector drw) #:fast-style \"mosaic\"))
(check-result lay \"fast-style mosaic\")
(define half (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
               #:drawables (vector drw) #:preset \"mosaic\" #:strength 0.3
               #:preserve-colors #t))
(check (< (diff-ch half drw HISTOGRAM-RED) (diff-ch lay drw HISTOGRAM-RED))
       \"strength 0.3 (explicit, over the preset's 1.0) stays closer to the content\")
(display \"FAST-OK\") (newline)"
  ;;
microast)
  ns_gimp scheme "$prologue
(define lay (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
              #:drawables (vector drw) #:style-layer sdrw #:method \"microast\"
              #:style-size 64))
(check-result lay \"method microast\")
(display \"FAST-OK\") (newline)"
  ;;
errors)
  ns_gimp python "exec(open('$TESTS_DIR/fast_plugin.py').read())"
  [ "$RC" -eq 0 ] || die "gimp-console exited with $RC"
  grep -q "^\[fast-errors\] PASS" "$GIMP_LOG" || die "the error cases did not all pass"
  echo "PASS: $case"
  exit 0
  ;;
*) die "unknown case $case" ;;
esac
[ "$RC" -eq 0 ] || die "Script-Fu batch failed (rc=$RC)"
grep -q FAST-OK "$GIMP_LOG" || die "Script-Fu batch did not finish"
echo "PASS: $case"
