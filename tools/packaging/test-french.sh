#!/bin/bash
# meson test (suite gimp): installs the build into a scratch DESTDIR and
# checks that GIMP, started in French, shows the plug-in's French labels,
# the catalogues being where the plug-in's set_i18n looks (a "locale"
# folder beside the installed binary).
#   test-french.sh BUILD_ROOT PLUGIN_INSTALL_DIR PO_FILE
set -euo pipefail
build=$1 plugdir=$2 po=$3
HERE=$(cd "$(dirname "$0")" && pwd)
command -v gimp-console-3.0 >/dev/null || { echo "SKIP: gimp-console-3.0 not found (run inside the GIMP 3 chroot)"; exit 77; }
dest=$(mktemp -d "${TMPDIR:-/tmp}/ns-fr-dest.XXXXXX")
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >/dev/null
inst=$dest$plugdir
[ -x "$inst/neural-style" ] || { echo "FAIL: no plug-in at $inst/neural-style"; exit 1; }
for l in $(grep -v '^#' "$(dirname "$po")/LINGUAS"); do
  [ -f "$inst/locale/$l/LC_MESSAGES/gimp-neural-style.mo" ] \
    || { echo "FAIL: catalogue $l not beside the plug-in ($inst/locale)"; exit 1; }
done
echo "catalogues: $(cd "$inst/locale" && echo */LC_MESSAGES/*.mo)"
exec "$HERE/check-french.sh" "$(dirname "$inst")" "$po"
