#!/bin/sh
# Downloads the pretrained weights GIMP Neural Style uses and checks their
# SHA-256 against tools/models.sha256.
#
# usage: download-models.sh [--kind cd16x|lst-r31|vgg19|all] [--dest DIR]
#
# DIR defaults to the first folder nstyle and the plug-in search for models
# (as `nstyle --print-model-dirs` prints them: $NS_MODELS_DIR when set, else
# the neural-style/models folder of the user's GIMP folder).  nstyle is
# looked for in $NSTYLE, then the build folders of this source tree, then
# PATH; without one, give --dest.
# Files land in DIR/cd16x/enc1.pth.., DIR/lst-r31/vgg_r31.pth..,
# DIR/vgg19/vgg_normalised.pth + decoder.pth.  Each file is fetched to a
# temporary name, verified, then renamed; a file with a wrong sum is
# deleted.  NS_MODELS_BASE_URL replaces both upstream hosts
# (https://raw.githubusercontent.com for repository files,
# https://github.com for release assets), e.g. a file:// mirror with the
# same paths (used by the tests).
set -u

here=$(cd "$(dirname "$0")" && pwd)
sums="$here/models.sha256"
kind=all
dest=

usage ()
{
  sed -n '4,19s/^# \{0,1\}//p' "$0"
}

# The nstyle to ask where models go (see the usage above).
find_nstyle ()
{
  if [ -n "${NSTYLE:-}" ]; then
    echo "$NSTYLE"
    return
  fi
  for exe in "$here/../build/tools/nstyle/nstyle" "$here"/../build*/tools/nstyle/nstyle; do
    if [ -x "$exe" ]; then
      echo "$exe"
      return
    fi
  done
  command -v nstyle
}

while [ $# -gt 0 ]; do
  case $1 in
    --kind) [ $# -ge 2 ] || { usage >&2; exit 2; }; kind=$2; shift 2 ;;
    --kind=*) kind=${1#--kind=}; shift ;;
    --dest) [ $# -ge 2 ] || { usage >&2; exit 2; }; dest=$2; shift 2 ;;
    --dest=*) dest=${1#--dest=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "download-models: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case $kind in
  cd16x|lst-r31|vgg19|all) ;;
  *) echo "download-models: unknown kind '$kind' (cd16x, lst-r31, vgg19 or all)" >&2; exit 2 ;;
esac

# Upstream locations (see ../shared/models/MODELS.md in the development tree).
CD_REPO=MingSun-Tse/Collaborative-Distillation/4a269dc90020721ef9b279b2926c62f5bcd6d209
LST_REPO=sunayana-981/LinearStyleTransfer/62f4a3f3169549134fc72c9c2cda094ae4be552b
ADAIN_RELEASE=naoto0804/pytorch-AdaIN/releases/download/v0.0.0
RAW_BASE=${NS_MODELS_BASE_URL:-https://raw.githubusercontent.com}
REL_BASE=${NS_MODELS_BASE_URL:-https://github.com}

# "destination url" lines for KIND.
files_for ()
{
  case $1 in
    cd16x)
      for n in 1 2 3 4 5; do
        echo "cd16x/enc$n.pth $RAW_BASE/$CD_REPO/trained_models/wct_se_16x_new/${n}SE.pth"
      done
      for n in 1 2 3 4 5; do
        echo "cd16x/dec$n.pth $RAW_BASE/$CD_REPO/trained_models/wct_se_16x_new_sd/${n}SD.pth"
      done ;;
    lst-r31)
      echo "lst-r31/vgg_r31.pth $RAW_BASE/$LST_REPO/models/vgg_r31.pth"
      echo "lst-r31/dec_r31.pth $RAW_BASE/$LST_REPO/models/dec_r31.pth" ;;
    vgg19)
      echo "vgg19/vgg_normalised.pth $REL_BASE/$ADAIN_RELEASE/vgg_normalised.pth"
      echo "vgg19/decoder.pth $REL_BASE/$ADAIN_RELEASE/decoder.pth" ;;
    all)
      files_for cd16x; files_for lst-r31; files_for vgg19 ;;
  esac
}

sha256_of ()
{
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

expected_sum ()
{
  [ -r "$sums" ] || return 0
  awk -v f="$1" '$1 !~ /^#/ && $2 == f { print $1; exit }' "$sums"
}

fetch ()
{
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    echo "download-models: neither curl nor wget is installed" >&2
    return 1
  fi
}

# Verifies FILE as REL; prints why not and returns 1 when it fails.
verify ()
{
  want=$(expected_sum "$2")
  if [ ! -s "$1" ]; then
    echo "error: $2: downloaded file is empty" >&2
    return 1
  fi
  if [ -z "$want" ]; then
    echo "note: $2: no known SHA-256 for this file; only checked that it is not empty"
    return 0
  fi
  got=$(sha256_of "$1")
  if [ "$got" != "$want" ]; then
    echo "error: $2: SHA-256 mismatch (expected $want, got $got)" >&2
    return 1
  fi
  return 0
}

if [ -z "$dest" ]; then
  # The folder list is the engine's (ns_model_dirs): not spelled here.
  nstyle=$(find_nstyle)
  if [ -z "$nstyle" ] || [ ! -x "$nstyle" ]; then
    echo "download-models: nstyle not found${nstyle:+ ($nstyle)}, so the models folder is unknown;" >&2
    echo "  build it (meson setup build && ninja -C build) or pass --dest DIR" >&2
    exit 2
  fi
  dest=$("$nstyle" --print-model-dirs | head -n 1)
  if [ -z "$dest" ]; then
    echo "download-models: $nstyle --print-model-dirs printed nothing; pass --dest DIR" >&2
    exit 2
  fi
fi

failed=0
list=$(files_for "$kind")
echo "Downloading $kind weights into $dest"
echo "$list" | {
  while read -r rel url; do
    out="$dest/$rel"
    if [ -f "$out" ] && [ -n "$(expected_sum "$rel")" ] \
       && [ "$(sha256_of "$out")" = "$(expected_sum "$rel")" ]; then
      echo "ok: $rel (already present, checksum verified)"
      continue
    fi
    mkdir -p "$(dirname "$out")" || { failed=1; continue; }
    tmp="$out.part.$$"
    rm -f "$tmp"
    if ! fetch "$url" "$tmp"; then
      echo "error: $rel: download failed from $url" >&2
      rm -f "$tmp"
      failed=1
      continue
    fi
    if ! verify "$tmp" "$rel"; then
      echo "error: $rel: deleted the downloaded file" >&2
      rm -f "$tmp"
      failed=1
      continue
    fi
    mv -f "$tmp" "$out" || { rm -f "$tmp"; failed=1; continue; }
    echo "ok: $rel"
  done
  exit $failed
}
status=$?
if [ $status -ne 0 ]; then
  echo "download-models: some files failed (see above)" >&2
  exit 1
fi
echo "All $kind weights are in $dest"
