#!/bin/bash
# Starts gimp-console in French and checks that plug-in-neural-style
# registered French labels (menu label, blurb, every argument's nick and
# blurb) taken from po/fr.po.  Used by test-french.sh (build installed into
# a DESTDIR) and test-deb.sh (the plug-in installed by the .deb).
#   check-french.sh PLUGIN_PATH_DIR|system PO_FILE
# PLUGIN_PATH_DIR: a plug-ins folder holding neural-style/neural-style,
# added to GIMP's plug-in path; "system": GIMP's own folders only.
# Exit 0 pass, 1 fail, 77 skip (no gimp-console, no French locale data).
set -euo pipefail
where=$1 po=$2
HERE=$(cd "$(dirname "$0")" && pwd)
skip () { echo "SKIP: $*"; exit 77; }
die () { echo "FAIL: $*"; exit 1; }
command -v gimp-console-3.0 >/dev/null || skip "gimp-console-3.0 not found (run inside the GIMP 3 chroot)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ns-fr.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/profile" "$work/loc"

# gettext ignores LANGUAGE under the C and C.UTF-8 locales, so a French
# locale is needed: the system's, or one compiled here from the locales
# package's sources (no root needed: LOCPATH).
if ! locale -a 2>/dev/null | grep -qix 'fr_FR.utf8'; then
  [ -f /usr/share/i18n/locales/fr_FR ] || skip "no fr_FR locale and no locale sources (install the locales package)"
  localedef -i fr_FR -f UTF-8 "$work/loc/fr_FR.UTF-8" >/dev/null 2>&1 || true
  [ -d "$work/loc/fr_FR.UTF-8" ] || die "localedef could not build fr_FR.UTF-8"
  export LOCPATH=$work/loc
fi

path='${gimp_plug_in_dir}/plug-ins'
[ "$where" = system ] || path="$path:$where"
cat > "$work/profile/gimprc" <<RC
(plug-in-path "$path")
(check-updates no)
(show-welcome-dialog no)
RC

rc=0
(cd "$work" && LANG=fr_FR.UTF-8 LANGUAGE=fr GIMP3_DIRECTORY=$work/profile NO_AT_BRIDGE=1 \
  timeout "${GIMP_TIMEOUT:-240}" gimp-console-3.0 -i --quit --batch-interpreter=python-fu-eval \
  -b "exec(open('$HERE/french-labels.py').read())") > "$work/log" 2>&1 || rc=$?
grep -q NS-LABELS-DONE "$work/log" || { tail -20 "$work/log"; die "GIMP did not run the label dump (rc=$rc)"; }
grep -m1 'plug-in-def "[^"]*neural-style' "$work/profile/pluginrc" | sed 's/^ */registered from: /' || true

# Every label of ours must be a French msgstr of po/fr.po (GIMP's own
# arguments run-mode, image, drawables come from GIMP's catalogue).
python3 - "$po" "$work/log" <<'PY'
import re, sys
po, log = sys.argv[1], sys.argv[2]
def unq(s):
    return bytes(s, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
text = open(po, encoding="utf-8").read()
fr = {}
for m in re.finditer(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text + "\n", re.M):
    mid = "".join(unq(x) for x in re.findall(r'"(.*)"', m.group(1)))
    mstr = "".join(unq(x) for x in re.findall(r'"(.*)"', m.group(2)))
    if mid:
        fr[mid] = mstr
french = set(v for v in fr.values() if v)
ours, bad = 0, []
for line in open(log, encoding="utf-8", errors="replace"):
    if not line.startswith("NS-LABEL\t"):
        continue
    kind, name, label = line.rstrip("\n").split("\t", 3)[1:]
    if kind == "ERROR":
        sys.exit("FAIL: " + label)
    if name in ("run-mode", "image", "drawables"):
        continue
    ours += 1
    if label not in french or (label in fr and fr[label] != label):
        bad.append(f"{kind} {name}: {label!r}")
print(f"{ours} labels of plug-in-neural-style checked in French")
if ours < 30:
    sys.exit(f"FAIL: only {ours} labels registered")
if bad:
    sys.exit("FAIL: not French:\n  " + "\n  ".join(bad))
menu = fr.get("Neural Style Transfer...")
print("menu label:", menu)
PY
echo "PASS: French labels"
