#!/bin/bash
# One command on a fresh Debian 12 machine (as root, or with sudo):
# installs the dependencies (tools/setup-host.sh), builds nstyle, makes sure
# the cd16x model is present (`nstyle models install cd16x`: downloaded
# with SHA-256 checks, unless $NS_MODELS_DIR or ../shared/models holds it)
# and stylizes a sample.  With --gimp it then also builds the Debian 13
# chroot with GIMP 3 (tools/setup-trixie-chroot.sh), installs the plug-in
# and the model into that GIMP's profile and checks that GIMP registers it.
#   tools/quickstart.sh [--gimp] [CONTENT STYLE [OUTPUT]]
# Defaults: ../shared/images/content/tubingen.jpg and
# ../shared/images/style/starry_night.jpg when present, else the drawn
# docs/images/scene.png and docs/images/swirls.png; output stylized.png.
# Under sudo, everything but the package installation and the chroot runs
# as the user who called sudo: build/, the output and the model (in that
# user's GIMP folder) are theirs.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
CHROOT=${NS_CHROOT:-/srv/trixie}
WITH_GIMP=0
if [ "${1:-}" = "--gimp" ]; then WITH_GIMP=1; shift; fi
if [ $# -ge 2 ]; then
  CONTENT=$1 STYLE=$2
elif [ -f "$SRC/../shared/images/content/tubingen.jpg" ] && [ -f "$SRC/../shared/images/style/starry_night.jpg" ]; then
  CONTENT=$SRC/../shared/images/content/tubingen.jpg STYLE=$SRC/../shared/images/style/starry_night.jpg
else
  CONTENT=$SRC/docs/images/scene.png STYLE=$SRC/docs/images/swirls.png
fi
OUT=${3:-stylized.png}

# The user who ran sudo, if any: the build, the model and the output are theirs.
AS_USER=
if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  AS_USER=$SUDO_USER
fi
run () {
  if [ -n "$AS_USER" ]; then
    sudo -u "$AS_USER" -H env ${NS_MODELS_DIR:+"NS_MODELS_DIR=$NS_MODELS_DIR"} \
      ${NS_MODELS_BASE_URL:+"NS_MODELS_BASE_URL=$NS_MODELS_BASE_URL"} "$@"
  else
    "$@"
  fi
}

bash tools/setup-host.sh
run bash -c 'meson setup build -Dplugin=disabled >/dev/null 2>&1 || meson setup --reconfigure build -Dplugin=disabled >/dev/null'
run ninja -C build tools/nstyle/nstyle
NSTYLE=$SRC/build/tools/nstyle/nstyle

# Models: an existing $NS_MODELS_DIR/cd16x (e.g. a copy you made), else the
# project's test models beside the tree, else the user's GIMP folder (the
# first folder nstyle and the plug-in search), where `nstyle models
# install` puts verified files.
if [ -z "${NS_MODELS_DIR:-}" ] && [ -f "$SRC/../shared/models/cd16x/enc5.pth" ]; then
  export NS_MODELS_DIR=$SRC/../shared/models     # the project's test models
fi
MODELS=$(run "$NSTYLE" --print-model-dirs | head -n 1)
have_cd16x () {
  for f in enc1 enc2 enc3 enc4 enc5 dec1 dec2 dec3 dec4 dec5; do
    [ -f "$MODELS/cd16x/$f.pth" ] || return 1
  done
}
if ! have_cd16x; then
  run "$NSTYLE" models install cd16x --dest "$MODELS"
fi

if [ ! -f "$CONTENT" ] || [ ! -f "$STYLE" ]; then
  echo "quickstart: $CONTENT or $STYLE not found; run: tools/quickstart.sh CONTENT.jpg STYLE.jpg" >&2
  exit 2
fi
run "$NSTYLE" -c "$CONTENT" -s "$STYLE" --model "$MODELS/cd16x" --size 512 -o "$OUT"
echo "quickstart: $OUT written (nstyle is build/tools/nstyle/nstyle; the model is in $MODELS/cd16x)"

if [ "$WITH_GIMP" = 1 ]; then
  bash tools/setup-trixie-chroot.sh "$CHROOT"
  # The chroot's GIMP runs as its root user: the plug-in goes into that
  # user's plug-in folder (README, "The plug-in from source (meson)"), the
  # model into its GIMP folder, both inside the chroot.
  ROOT=$CHROOT tools/inchroot -b "$SRC:$SRC" bash -c "cd '$SRC' &&
    { meson setup build-gimp -Duser_install=true >/dev/null 2>&1 ||
      meson setup --reconfigure build-gimp -Duser_install=true >/dev/null; } &&
    ninja -C build-gimp install >/dev/null"
  "$NSTYLE" models install --from "$MODELS" cd16x -q \
    --dest "$CHROOT/root/.config/GIMP/3.0/neural-style/models"
  # GIMP 3 in the chroot must list the procedure.
  if ROOT=$CHROOT tools/inchroot env NO_AT_BRIDGE=1 timeout 300 gimp-console-3.0 -i --quit \
       --batch-interpreter=python-fu-eval \
       -b "from gi.repository import Gimp; print('quickstart: GIMP', Gimp.version(), 'has plug-in-neural-style:', Gimp.get_pdb().procedure_exists('plug-in-neural-style'))" \
       2>/dev/null | grep 'has plug-in-neural-style: True'; then
    echo "quickstart: the plug-in is installed in the GIMP 3 of $CHROOT (Filters > Artistic > Neural Style Transfer...)"
  else
    echo "quickstart: GIMP 3 in $CHROOT does not list plug-in-neural-style (see README, \"The plug-in is not in the Filters menu\")" >&2
    exit 1
  fi
fi
