#!/bin/bash
# One command on a fresh Debian 12 machine (as root, or with sudo):
# installs the dependencies, builds nstyle (and, with --gimp, the GIMP 3
# plug-in inside a Debian 13 chroot), makes sure the cd16x model is present
# (downloaded with SHA-256 checks, or taken from $NS_MODELS_DIR), and
# stylizes a sample.
#   tools/quickstart.sh [--gimp] [CONTENT STYLE [OUTPUT]]
# Defaults: ../shared/images/content/tubingen.jpg, ../shared/images/style/starry_night.jpg,
# output stylized.png.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
WITH_GIMP=0
if [ "${1:-}" = "--gimp" ]; then WITH_GIMP=1; shift; fi
CONTENT=${1:-$SRC/../shared/images/content/tubingen.jpg}
STYLE=${2:-$SRC/../shared/images/style/starry_night.jpg}
OUT=${3:-stylized.png}

bash tools/setup-host.sh
meson setup build -Dplugin=disabled >/dev/null 2>&1 || meson setup --reconfigure build -Dplugin=disabled >/dev/null
ninja -C build tools/nstyle/nstyle

# Models: an existing $NS_MODELS_DIR/cd16x (e.g. a copy you made), else the
# user's GIMP folder, where tools/download-models.sh puts verified files:
# the first folder nstyle searches.
if [ -z "${NS_MODELS_DIR:-}" ] && [ -f "$SRC/../shared/models/cd16x/enc5.pth" ]; then
  export NS_MODELS_DIR=$SRC/../shared/models     # the project's test models
fi
MODELS=$(./build/tools/nstyle/nstyle --print-model-dirs | head -n 1)
if [ ! -f "$MODELS/cd16x/dec1.pth" ]; then
  bash tools/download-models.sh --kind cd16x --dest "$MODELS"
fi

if [ ! -f "$CONTENT" ] || [ ! -f "$STYLE" ]; then
  echo "quickstart: sample images not found; run: tools/quickstart.sh CONTENT.jpg STYLE.jpg" >&2
  exit 2
fi
./build/tools/nstyle/nstyle -c "$CONTENT" -s "$STYLE" --model "$MODELS/cd16x" --size 512 -o "$OUT"

if [ "$WITH_GIMP" = 1 ]; then
  bash tools/setup-trixie-chroot.sh /srv/trixie
  tools/inchroot -b "$SRC:$SRC" bash -c "cd '$SRC' && { meson setup build-gimp >/dev/null 2>&1 || true; } && ninja -C build-gimp plugin/neural-style"
  echo "quickstart: plug-in built at build-gimp/plugin/neural-style; to install it see README, \"The plug-in\""
fi
