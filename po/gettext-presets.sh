#!/bin/sh
# Stands in for xgettext and msgmerge in the gettext targets of
# po/meson.build, so that the .pot also holds the Name and Description of
# the bundled presets (styles/*.preset).  Those are key files, which
# xgettext reads (as its Desktop language) only when told, so they cannot
# be listed in POTFILES; their text is kept once, in styles/, and the
# dialog looks it up with g_dgettext.
#   as xgettext (target gimp-neural-style-pot): extract, then add them;
#   as msgmerge (target gimp-neural-style-update-po, which regenerates the
#   .pot with the plain xgettext first): add them, then merge.
set -eu
po=$(cd "$(dirname "$0")" && pwd)

add_presets () {
  (cd "$po/.." && xgettext --language=Desktop --keyword= --keyword=Name \
     --keyword=Description --from-code=UTF-8 --join-existing \
     -o "$po/gimp-neural-style.pot" styles/*.preset)
}

case ${1:-} in
  --package-name=*) xgettext "$@"; add_presets ;;
  *) add_presets; exec msgmerge "$@" ;;
esac
