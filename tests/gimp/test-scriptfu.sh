#!/bin/bash
# Script-Fu v3 tests (named arguments), headless.
#   test-scriptfu.sh PLUGIN_BINARY named | bad_strength | closed_style
NS_PLUGIN=$1 case=$2
source "$(dirname "$0")/gimp-test-lib.sh"
ns_need_shared
ns_setup
export NS_MODELS_DIR=$NS_MODELS

# A 96x64 "content" layer at offsets (20, 30) of a 160x120 image; a 64x64
# style layer in a second image.
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
"

case $case in
named)
  ns_gimp scheme "$prologue
(define lay (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
              #:drawables (vector drw) #:style-layer sdrw
              #:method \"cascade-adain\" #:model \"cd16x\" #:model-dir \"\"
              #:strength 0.8 #:preserve-colors #f #:style-size 64 #:max-size 0
              #:output \"new-layer\" #:seed 7
              #:iterations 10 #:content-weight 1.0 #:style-weight 1000.0
              #:tv-weight 0.001 #:scales 1 #:init \"content\"))
(define layers (gimp-image-get-layers img))
(check (= 2 (vector-length layers)) \"two layers\")
(check (= (vector-ref layers 0) lay) \"new layer on top\")
(check (= (vector-ref layers 1) drw) \"content below\")
(check (equal? (gimp-item-get-name lay) \"content (stylized)\") \"name\")
(check (= 96 (gimp-drawable-get-width lay)) \"width\")
(check (= 64 (gimp-drawable-get-height lay)) \"height\")
(check (equal? (gimp-drawable-get-offsets lay) '(20 30)) \"offsets\")
; defaults: only the required arguments
(define lay2 (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
               #:drawables (vector drw) #:style-layer sdrw #:style-size 64))
(check (= 3 (vector-length (gimp-image-get-layers img))) \"second call with defaults\")
; the other methods and options, on the same content
(define lay3 (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
               #:drawables (vector drw) #:style-layer sdrw #:method \"wct\"
               #:preserve-colors #t #:max-size 48 #:style-size 64
               #:output \"selection-on-copy\"))
(define lay4 (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
               #:drawables (vector drw) #:style-layer sdrw #:method \"adain\"
               #:style-size 64 #:strength 0.5))
(define lay5 (plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
               #:drawables (vector drw) #:style-layer sdrw #:method \"gatys\"
               #:style-size 64 #:iterations 5 #:scales 1 #:init \"noise\" #:seed 3))
(check (= 6 (vector-length (gimp-image-get-layers img))) \"wct, adain and gatys calls\")
(gimp-image-delete img) (gimp-image-delete simg)
(display \"SCRIPTFU-NAMED-OK\") (newline)"
  [ "$RC" -eq 0 ] || die "Script-Fu batch failed (rc=$RC)"
  grep -q SCRIPTFU-NAMED-OK "$GIMP_LOG" || die "Script-Fu batch did not finish"
  ;;
bad_strength)
  ns_gimp scheme "$prologue
(plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
  #:drawables (vector drw) #:style-layer sdrw #:strength 1.5)"
  [ "$RC" -ne 0 ] || die "strength 1.5 was accepted"
  # Script-Fu checks the declared range itself (GIMP's PDB would too):
  # "argument 10 in call to plug-in-neural-style has value 1.500000 out of
  # range: 0.000000 to 1.000000".
  grep -Eq "plug-in-neural-style.*1\.5.*out of range|invalid input arguments.*strength" "$GIMP_LOG" \
    || die "no range error reported for strength"
  ;;
closed_style)
  ns_gimp scheme "$prologue
(gimp-image-delete simg)
(plug-in-neural-style #:run-mode RUN-NONINTERACTIVE #:image img
  #:drawables (vector drw) #:style-layer sdrw)"
  [ "$RC" -ne 0 ] || die "a style layer of a closed image was accepted"
  grep -Eq "invalid input arguments|invalid ID" "$GIMP_LOG" || die "no calling error reported"
  grep -q "style-layer" "$GIMP_LOG" || die "message does not name 'style-layer'"
  ;;
*) die "unknown case $case" ;;
esac
echo "PASS: $case"
