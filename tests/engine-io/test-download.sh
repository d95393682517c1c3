#!/bin/sh
# tools/download-models.sh against a file:// mirror built in /tmp from
# copies of the shared weight files (this machine reaches no GitHub): good
# files are stored and verified, a corrupted one is rejected and deleted.
set -u
root=${NS_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${NS_SHARED_DIR:-$root/../shared}
script="$root/tools/download-models.sh"
models="$shared/models"

if ! command -v curl >/dev/null 2>&1; then
  echo "SKIP: curl is not installed (file:// needs curl)"; exit 77
fi
for f in cd16x/enc1.pth cd16x/dec5.pth lst-r31/vgg_r31.pth lst-r31/dec_r31.pth; do
  if [ ! -f "$models/$f" ]; then
    echo "SKIP: $models/$f not found (shared test data)"; exit 77
  fi
done

tmp=$(mktemp -d /tmp/ns-download-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
fail () { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

CD=$tmp/mirror/MingSun-Tse/Collaborative-Distillation/4a269dc90020721ef9b279b2926c62f5bcd6d209/trained_models
LST=$tmp/mirror/sunayana-981/LinearStyleTransfer/62f4a3f3169549134fc72c9c2cda094ae4be552b/models
REL=$tmp/mirror/naoto0804/pytorch-AdaIN/releases/download/v0.0.0
mkdir -p "$CD/wct_se_16x_new" "$CD/wct_se_16x_new_sd" "$LST" "$REL"
for n in 1 2 3 4 5; do
  cp "$models/cd16x/enc$n.pth" "$CD/wct_se_16x_new/${n}SE.pth"
  cp "$models/cd16x/dec$n.pth" "$CD/wct_se_16x_new_sd/${n}SD.pth"
done
cp "$models/lst-r31/vgg_r31.pth" "$models/lst-r31/dec_r31.pth" "$LST/"
export NS_MODELS_BASE_URL="file://$tmp/mirror"
dest=$tmp/dest

# 1. Good files.
sh "$script" --kind cd16x --dest "$dest" > "$tmp/log1" 2>&1 || { cat "$tmp/log1"; fail "cd16x download failed"; }
sh "$script" --kind lst-r31 --dest "$dest" > "$tmp/log2" 2>&1 || { cat "$tmp/log2"; fail "lst-r31 download failed"; }
for n in 1 2 3 4 5; do
  cmp -s "$dest/cd16x/enc$n.pth" "$models/cd16x/enc$n.pth" || fail "cd16x/enc$n.pth differs"
  cmp -s "$dest/cd16x/dec$n.pth" "$models/cd16x/dec$n.pth" || fail "cd16x/dec$n.pth differs"
done
cmp -s "$dest/lst-r31/vgg_r31.pth" "$models/lst-r31/vgg_r31.pth" || fail "vgg_r31.pth differs"
cmp -s "$dest/lst-r31/dec_r31.pth" "$models/lst-r31/dec_r31.pth" || fail "dec_r31.pth differs"
ls "$dest"/*/*.part.* >/dev/null 2>&1 && fail "temporary files left behind"

# 2. Again: nothing to fetch.
sh "$script" --kind cd16x --dest "$dest" > "$tmp/log3" 2>&1 || fail "second run failed"
[ "$(grep -c 'already present' "$tmp/log3")" = 10 ] || { cat "$tmp/log3"; fail "second run re-downloaded"; }

# 3. A corrupted upstream file is rejected, deleted, and the run fails.
printf 'X' | dd of="$CD/wct_se_16x_new/3SE.pth" bs=1 seek=100 conv=notrunc 2>/dev/null
rm -f "$dest/cd16x/enc3.pth"
if sh "$script" --kind cd16x --dest "$dest" > "$tmp/log4" 2>&1; then
  fail "corrupted enc3 accepted"
fi
grep -q 'cd16x/enc3.pth: SHA-256 mismatch' "$tmp/log4" || { cat "$tmp/log4"; fail "no mismatch message"; }
[ -e "$dest/cd16x/enc3.pth" ] && fail "corrupted file kept"
ls "$dest"/cd16x/*.part.* >/dev/null 2>&1 && fail "temporary file kept"
# An installed file that went bad is fetched again (the upstream copy
# repaired first: a kind installs only when every file is right).
cp "$models/cd16x/enc3.pth" "$CD/wct_se_16x_new/3SE.pth"
printf 'Y' | dd of="$dest/cd16x/enc1.pth" bs=1 seek=10 conv=notrunc 2>/dev/null
sh "$script" --kind cd16x --dest "$dest" > "$tmp/log5" 2>&1
cmp -s "$dest/cd16x/enc1.pth" "$models/cd16x/enc1.pth" || fail "damaged enc1.pth not repaired"

# 4. vgg19: vgg_normalised.pth has a known sum (a fake is rejected);
#    decoder.pth has none: it is checked by its size range.
head -c 4096 /dev/urandom > "$REL/vgg_normalised.pth"
head -c 4096 /dev/urandom > "$REL/decoder.pth"
if sh "$script" --kind vgg19 --dest "$dest" > "$tmp/log6" 2>&1; then
  fail "fake vgg_normalised.pth accepted"
fi
grep -q 'vgg19/vgg_normalised.pth: SHA-256 mismatch' "$tmp/log6" || fail "no vgg mismatch message"
[ -e "$dest/vgg19/vgg_normalised.pth" ] && fail "fake vgg_normalised.pth kept"
# A kind with a bad file is not installed at all (decoder.pth, whose
# checksum is unknown, is size-checked: these 4 KiB are refused too).
[ -e "$dest/vgg19" ] && fail "vgg19 half-installed"

# 5. A missing upstream file and a bad option.
rm -f "$LST/dec_r31.pth" "$dest/lst-r31/dec_r31.pth"
if sh "$script" --kind lst-r31 --dest "$dest" > "$tmp/log8" 2>&1; then
  fail "missing file not reported"
fi
grep -q 'lst-r31/dec_r31.pth: download failed' "$tmp/log8" || { cat "$tmp/log8"; fail "no download-failed message"; }
sh "$script" --kind nonsense > /dev/null 2>&1 && fail "bad --kind accepted"

# 6. Without --dest: the first folder nstyle searches (nstyle
#    --print-model-dirs), so downloads land where nstyle and the plug-in
#    look; without an nstyle, a clear error and nothing fetched.
nstyle=${NS_BUILD_ROOT:-$root/build}/tools/nstyle/nstyle
if [ -x "$nstyle" ]; then
  cp "$models/lst-r31/dec_r31.pth" "$LST/"
  NSTYLE=$nstyle NS_MODELS_DIR=$tmp/envdest sh "$script" --kind lst-r31 > "$tmp/log9" 2>&1 \
    || { cat "$tmp/log9"; fail "download into \$NS_MODELS_DIR failed"; }
  cmp -s "$tmp/envdest/lst-r31/dec_r31.pth" "$models/lst-r31/dec_r31.pth" \
    || fail "no download into \$NS_MODELS_DIR (nstyle's first folder)"
  user=$(env -u NS_MODELS_DIR -u GIMP3_DIRECTORY -u XDG_CONFIG_HOME HOME="$tmp/home" "$nstyle" --print-model-dirs | head -n 1)
  [ "$user" = "$tmp/home/.config/GIMP/3.0/neural-style/models" ] \
    || fail "nstyle's user folder is '$user'"
  env -u NS_MODELS_DIR -u GIMP3_DIRECTORY -u XDG_CONFIG_HOME HOME="$tmp/home" NSTYLE=$nstyle \
    sh "$script" --kind lst-r31 > "$tmp/log10" 2>&1 || { cat "$tmp/log10"; fail "download into the user folder failed"; }
  cmp -s "$user/lst-r31/vgg_r31.pth" "$models/lst-r31/vgg_r31.pth" \
    || fail "no download into the user's GIMP folder"
else
  echo "note: $nstyle not built; skipping the default-destination checks"
fi
if NSTYLE=$tmp/no-nstyle sh "$script" --kind lst-r31 > "$tmp/log11" 2>&1; then
  fail "ran without nstyle and without --dest"
fi
grep -q -- '--dest' "$tmp/log11" || { cat "$tmp/log11"; fail "no advice to pass --dest"; }
[ -e "$tmp/no-nstyle" ] && fail "something was created without a destination"

cat "$tmp/log4"
if [ $fails -ne 0 ]; then
  echo "$fails check(s) failed"; exit 1
fi
echo "download-models.sh: all checks passed"
