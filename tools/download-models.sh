#!/bin/sh
# Downloads the pretrained weights GIMP Neural Style uses: a thin wrapper
# over `nstyle models install`, the one installer (tools/models/), whose
# manifest (tools/models/manifest.ini) holds every URL, size and SHA-256.
#
# usage: download-models.sh [--kind KIND|all] [--dest DIR] [--from DIR]
#
# KIND: cd16x, lst-r31, vgg19, fast, microast or all (the default)
# (`nstyle models list` describes them).  DIR defaults to the first folder
# nstyle and the plug-in search for models (as `nstyle --print-model-dirs`
# prints them: $NS_MODELS_DIR when set, else the neural-style/models
# folder of the user's GIMP folder).  --from DIR installs from files
# already on this machine instead of downloading.  Each kind is fetched
# into a hidden staging folder, verified, and only then moved to
# DIR/KIND: a failed download leaves no half-written model (an
# interrupted one is resumed by the next run).  nstyle is looked for in
# $NSTYLE, then the build folders of this source tree, then PATH.
# NS_MODELS_BASE_URL replaces the upstream hosts (a mirror with the same
# paths; http://, https:// or file://).
set -u

here=$(cd "$(dirname "$0")" && pwd)
kind=all
dest=
from=

usage ()
{
  sed -n '6,23s/^# \{0,1\}//p' "$0"
}

# An nstyle that has the models command (see the usage above).
find_nstyle ()
{
  if [ -n "${NSTYLE:-}" ]; then
    echo "$NSTYLE"
    return
  fi
  for exe in "$here/../build/tools/nstyle/nstyle" "$here"/../build*/tools/nstyle/nstyle \
             "$(command -v nstyle 2>/dev/null)"; do
    if [ -x "$exe" ] && "$exe" models list --dest /nonexistent >/dev/null 2>&1; then
      echo "$exe"
      return
    fi
  done
}

while [ $# -gt 0 ]; do
  case $1 in
    --kind) [ $# -ge 2 ] || { usage >&2; exit 2; }; kind=$2; shift 2 ;;
    --kind=*) kind=${1#--kind=}; shift ;;
    --dest) [ $# -ge 2 ] || { usage >&2; exit 2; }; dest=$2; shift 2 ;;
    --dest=*) dest=${1#--dest=}; shift ;;
    --from) [ $# -ge 2 ] || { usage >&2; exit 2; }; from=$2; shift 2 ;;
    --from=*) from=${1#--from=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "download-models: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case $kind in
  ''|*/*|.*) echo "download-models: invalid kind '$kind'" >&2; exit 2 ;;
esac

nstyle=$(find_nstyle)
if [ -z "$nstyle" ] || [ ! -x "$nstyle" ]; then
  echo "download-models: no nstyle with the 'models' command found${nstyle:+ ($nstyle)};" >&2
  echo "  build it first (meson setup build && ninja -C build), or set NSTYLE." >&2
  echo "  (--dest DIR only chooses where models go; the download itself needs nstyle.)" >&2
  exit 2
fi
if [ -z "$dest" ]; then
  # The folder list is the engine's (ns_model_dirs): not spelled here.
  dest=$("$nstyle" --print-model-dirs | head -n 1)
  if [ -z "$dest" ]; then
    echo "download-models: $nstyle --print-model-dirs printed nothing; pass --dest DIR" >&2
    exit 2
  fi
fi
exec "$nstyle" models install "$kind" --dest "$dest" ${from:+--from "$from"}
