#!/bin/bash
# Installs what the project needs on a Debian 12 host (as root): compilers,
# meson, OpenBLAS (OpenMP variant), gdk-pixbuf for nstyle, PyTorch for the
# reference tests and benchmarks, clang for the fuzzer, debootstrap for the
# GIMP 3 chroot, oneDNN (2.x) for the convolutions, appstream and groff for
# the metainfo and man page checks, gettext (msgfmt) for the French test of
# nstyle.  Idempotent: installs only what is missing.
set -euo pipefail
PKGS="build-essential meson ninja-build pkg-config
      libopenblas-openmp-dev libgdk-pixbuf-2.0-dev zlib1g-dev libglib2.0-dev
      python3 python3-torch python3-numpy python3-pil python3-gi gir1.2-gdkpixbuf-2.0
      clang libclang-rt-14-dev libomp-dev clang-format
      libdnnl-dev appstream groff-base libsoup-3.0-dev
      debootstrap curl ca-certificates gettext"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup-host: installing$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
else
  echo "setup-host: all packages present"
fi
