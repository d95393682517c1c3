#!/bin/bash
# Installs gimp-neural-style_*.deb with apt into a fresh copy of the GIMP 3
# chroot and tests the INSTALLED plug-in: the Script-Fu test of tests/gimp
# (case "named": every method, with a model from ../shared), GIMP's French
# labels from the installed catalogues, nstyle --version, the files of the
# package.  The copy is an overlay over the chroot (a throw-away upper
# layer in a private mount namespace), so nothing is copied and nothing is
# left mounted or changed in the chroot, even if the test is killed.
#   tools/packaging/test-deb.sh [DEB]     (as root, on the host)
# Without DEB it builds one first (build-deb.sh).  Env: NS_CHROOT
# (default /srv/trixie), NS_SHARED_DIR (default ../shared).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CHROOT=${NS_CHROOT:-/srv/trixie}
[ "$(id -u)" = 0 ] || { echo "test-deb: run as root" >&2; exit 1; }
[ -x "$CHROOT/usr/bin/gimp-console-3.0" ] || { echo "SKIP: no GIMP 3 chroot at $CHROOT"; exit 77; }

if [ -z "${_NS_DEBTEST_NS:-}" ]; then
  deb=${1:-}
  if [ -z "$deb" ]; then
    "$HERE/build-deb.sh" "$SRC/build-deb" | tail -1
    deb=$(ls -t "$SRC"/build-deb/gimp-neural-style_*.deb | head -1)
  fi
  deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
  export _NS_DEBTEST_NS=1
  exec unshare --mount --propagation private "$0" "$deb"
fi

# --- in a private mount namespace: overlay = fresh copy of the chroot
deb=$1
shared=${NS_SHARED_DIR:-$(cd "$SRC/.." && pwd)/shared}
shared=$(cd "$shared" 2>/dev/null && pwd || echo "")
layer=$(mktemp -d "$(dirname "$CHROOT")/.ns-debtest.XXXXXX")   # same disk as the chroot
trap 'umount -l "$layer/root" 2>/dev/null || true; rm -rf "$layer"' EXIT
mkdir -p "$layer/upper" "$layer/work" "$layer/root"
mount -t overlay overlay -o "lowerdir=$CHROOT,upperdir=$layer/upper,workdir=$layer/work" "$layer/root"

binds=(-b "$(dirname "$deb"):/debs" -b "$SRC:/src")
[ -n "$shared" ] && binds+=(-b "$shared:/shared")
unset _NS_DEBTEST_NS
ROOT=$layer/root "$SRC/tools/inchroot" "${binds[@]}" bash -s "$(basename "$deb")" "${shared:+/shared}" <<'IN'
set -euo pipefail
deb=/debs/$1 shared=$2
t0=$(date +%s)
plugdir=$(pkg-config --variable=gimplibdir gimp-3.0)/plug-ins/neural-style
[ ! -e "$plugdir" ] || { echo "FAIL: the chroot copy already has $plugdir"; exit 1; }
echo "--- apt-get install $deb"
apt-get install -y -q "$deb" 2>&1 | grep -E 'Setting up gimp-neural-style|^E:|newly installed' \
  || { echo "FAIL: apt-get install"; exit 1; }
dpkg -s gimp-neural-style | grep -E '^(Version|Depends):'
fail=0
check () { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
check "plug-in in GIMP's folder ($plugdir)" '[ -x "$plugdir/neural-style" ]'
check "French catalogue beside it" '[ -f "$plugdir/locale/fr/LC_MESSAGES/gimp-neural-style.mo" ]'
check "German catalogue beside it" '[ -f "$plugdir/locale/de/LC_MESSAGES/gimp-neural-style.mo" ]'
check "presets" '[ "$(ls /usr/share/gimp-neural-style/styles/*.preset | wc -l)" -ge 7 ]'
check "nstyle runs" 'nstyle --version | grep -q "^nstyle "'
# The chroot's dpkg excludes /usr/share/man and /usr/share/doc (dpkg.cfg.d),
# so the man page is checked in the package itself.
check "man page in the package" 'dpkg-deb -c "$deb" | grep -q "usr/share/man/man1/nstyle.1.gz"'
check "nothing under /usr/local" '! dpkg -L gimp-neural-style | grep -q "^/usr/local"'

echo "--- French labels, installed plug-in"
/src/tools/packaging/check-french.sh system /src/po/fr.po || fail=1

echo "--- Script-Fu test (tests/gimp/test-scriptfu.sh named), installed plug-in"
if [ -z "$shared" ]; then
  echo "SKIP: ../shared not found: the Script-Fu run needs its models and images"
else
  # test-scriptfu.sh takes its profile from a warm copy in
  # $NS_BUILD_ROOT/tests/gimp/state/warm-profile; made here with GIMP's
  # default plug-in path only, so GIMP runs the plug-in it found in its
  # own folder (the link the library adds to its private folder is not
  # on that path).
  export NS_BUILD_ROOT=/tmp/debtest NS_SHARED_DIR=$shared NS_SOURCE_ROOT=/src OMP_NUM_THREADS=2
  warm=$NS_BUILD_ROOT/tests/gimp/state/warm-profile
  mkdir -p "$warm"
  printf '(check-updates no)\n(show-welcome-dialog no)\n(show-tips no)\n' > "$warm/gimprc"
  (cd /tmp && GIMP3_DIRECTORY=$warm NO_AT_BRIDGE=1 timeout 240 gimp-console-3.0 -i --quit \
     --batch-interpreter=plug-in-script-fu-eval -b '(gimp-message "warm")' > /tmp/warm.log 2>&1) \
    || { tail -20 /tmp/warm.log; echo "FAIL: GIMP did not start"; exit 1; }
  touch "$warm/.warm"
  check "GIMP registered the installed plug-in" \
    'grep -q "plug-in-def \"\${gimp_plug_in_dir}/plug-ins/neural-style/neural-style\"\|plug-in-def \"$plugdir/neural-style\"" "$warm/pluginrc"'
  grep -m1 'plug-in-def "[^"]*neural-style' "$warm/pluginrc" | sed 's/^ */  /'
  if bash /src/tests/gimp/test-scriptfu.sh "$plugdir/neural-style" named > /tmp/sf.log 2>&1; then
    grep -E '^(PASS|--- gimp)' /tmp/sf.log
  else
    cat /tmp/sf.log; echo "FAIL: Script-Fu test against the installed plug-in"; fail=1
  fi
fi

echo "--- apt-get remove"
apt-get remove -y -q gimp-neural-style >/dev/null 2>&1
check "removed cleanly" '[ ! -e "$plugdir" ] && ! command -v nstyle >/dev/null'
echo "in-chroot time: $(( $(date +%s) - t0 )) s"
[ "$fail" = 0 ] && echo "PASS: .deb installs and works" || { echo "FAIL: .deb test"; exit 1; }
IN
