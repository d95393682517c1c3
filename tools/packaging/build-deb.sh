#!/bin/bash
# Builds the Debian package gimp-neural-style_<version>_<arch>.deb with
# debhelper + meson, inside the Debian 13 chroot (GIMP 3.0 lives there).
#   tools/packaging/build-deb.sh [OUTDIR]        (default OUTDIR: build-deb/)
# On the host (as root) it re-runs itself in the chroot (tools/inchroot,
# ROOT=$NS_CHROOT, default /srv/trixie); inside a Debian 13 system with the
# build dependencies (see debian/control) it builds directly.
# Needs in the chroot: debhelper dpkg-dev (plus the usual build packages).
# Env: NS_DEB_MAINTAINER="Name <mail>" (the Maintainer field),
#      DEB_BUILD_OPTIONS=nocheck (skip the engine suites run during the build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OUT=$(mkdir -p "${1:-$SRC/build-deb}" && cd "${1:-$SRC/build-deb}" && pwd)

if ! pkg-config --exists gimp-3.0 2>/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "build-deb: run as root (enters the chroot)" >&2; exit 1; }
  parent=$(cd "$SRC/.." && pwd)
  binds=(-b "$parent:$parent")
  case $OUT/ in "$parent"/*) ;; *) binds+=(-b "$OUT:$OUT") ;; esac
  ROOT=${NS_CHROOT:-/srv/trixie} exec "$SRC/tools/inchroot" "${binds[@]}" \
    env DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-}" NS_DEB_MAINTAINER="${NS_DEB_MAINTAINER:-}" \
    bash "$HERE/build-deb.sh" "$OUT"
fi

command -v dh >/dev/null && command -v dpkg-buildpackage >/dev/null \
  || { echo "build-deb: install debhelper and dpkg-dev" >&2; exit 1; }

version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SRC/meson.build" | head -1)
[ -n "$version" ] || { echo "build-deb: no version in meson.build" >&2; exit 1; }
maint=${NS_DEB_MAINTAINER:-GIMP Neural Style authors <gimp-neural-style@localhost>}

# Build from a clean copy of the tree: no build folders, no VCS data.
work=$(mktemp -d "${TMPDIR:-/tmp}/ns-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkg=$work/gimp-neural-style-$version
mkdir -p "$pkg"
tar -C "$SRC" --exclude=./.git --exclude='./build*' --exclude='./_build*' \
  --exclude=./tests/out --exclude=./tools/packaging/debian -cf - . | tar -C "$pkg" -xf -
cp -r "$HERE/debian" "$pkg/debian"
sed -i "s|@MAINTAINER@|$maint|" "$pkg/debian/control"
# Native package: the version is the project's; the date that of meson.build
# (so two builds of one tree give the same changelog).
cat > "$pkg/debian/changelog" <<CL
gimp-neural-style ($version) unstable; urgency=medium

  * Built from the project's source tree by tools/packaging/build-deb.sh.

 -- $maint  $(date -R -u -d "@$(stat -c %Y "$SRC/meson.build")")
CL

(cd "$pkg" && nice dpkg-buildpackage -b -us -uc --no-sign -j"$(nproc)") > "$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; echo "build-deb: dpkg-buildpackage failed" >&2; exit 1; }
grep -E '^(Ok:|[0-9]+/[0-9]+ )|dpkg-deb: building' "$work/build.log" || true
arch=$(dpkg --print-architecture)
deb=gimp-neural-style_${version}_${arch}.deb
cp "$work/$deb" "$OUT/$deb"
echo "build-deb: $OUT/$deb"
