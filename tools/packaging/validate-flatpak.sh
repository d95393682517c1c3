#!/bin/bash
# Checks the Flatpak extension without flatpak-builder or Flathub (neither
# is reachable here):
#  1. the manifest is valid JSON in Flathub's form for GIMP plug-ins
#     (id, build-extension, runtime org.gimp.GIMP branch 3, prefix under
#     /app/extensions, plug-in folder under it, meson options that exist),
#     and every local file it names exists;
#  2. the AppStream metainfo passes `appstreamcli validate --no-net`
#     (addon extending org.gimp.GIMP, licences);
#  3. with --layout (inside the GIMP 3 chroot): the module's meson options
#     build and install the Flatpak layout: plug-in and its catalogues in
#     plug-ins/neural-style/, presets in share/, no CLI.
#   tools/packaging/validate-flatpak.sh [--layout]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
FP=$HERE/flatpak
ID=org.gimp.GIMP.Plugin.NeuralStyle
manifest=$FP/$ID.json
metainfo=$FP/$ID.metainfo.xml

python3 - "$manifest" "$SRC" <<'PY'
import json, os, re, sys
path, src = sys.argv[1], sys.argv[2]
m = json.load(open(path))
here = os.path.dirname(path)
errors = []
def need(cond, what):
    if not cond:
        errors.append(what)
need(m.get("id") == "org.gimp.GIMP.Plugin.NeuralStyle", "id")
need(os.path.basename(path) == m.get("id", "") + ".json", "file name = id.json")
need(m.get("build-extension") is True, "build-extension: true")
need(m.get("runtime") == "org.gimp.GIMP", "runtime org.gimp.GIMP")
need(m.get("branch") == "3", "branch 3 (GIMP 3 extension point)")
need(m.get("runtime-version") in ("stable", "3"), "runtime-version stable or 3")
need(str(m.get("sdk", "")).startswith("org.gnome.Sdk"), "sdk org.gnome.Sdk")
prefix = m.get("build-options", {}).get("prefix", "")
need(re.fullmatch(r"/app/extensions/[A-Za-z0-9]+", prefix or ""), "prefix /app/extensions/NAME")
opts = open(os.path.join(src, "meson_options.txt")).read()
known = set(re.findall(r"option\('([^']+)'", opts)) | {"prefix", "buildtype", "libdir"}
mods = {mod["name"]: mod for mod in m["modules"]}
need("gimp-neural-style" in mods, "module gimp-neural-style")
ns = mods.get("gimp-neural-style", {})
need(ns.get("buildsystem") == "meson", "meson module")
for o in ns.get("config-opts", []):
    name = o[2:].split("=")[0]
    need(o.startswith("-D") and name in known, f"meson option {o} exists")
need(f"-Dplugindir={prefix}/plug-ins" in ns.get("config-opts", []), "plug-in under ${FLATPAK_DEST}/plug-ins")
for mod in m["modules"]:
    for s in mod.get("sources", []):
        if "path" in s:
            p = os.path.normpath(os.path.join(here, s["path"]))
            need(os.path.exists(p), f"{mod['name']}: source path {s['path']} exists")
            if s["type"] == "git":
                need(os.path.exists(os.path.join(p, ".git")) or os.path.exists(os.path.join(p, "HEAD")),
                     f"{mod['name']}: {s['path']} is a git repository")
                root = p
        if s.get("type") in ("archive", "file") and "url" in s:
            need(re.fullmatch(r"[0-9a-f]{64}", s.get("sha256", "")), f"{mod['name']}: sha256 of {s['url']}")
# post-install runs in the meson build folder (_flatpak_build), one below
# the source root: ../X names a file of the source tree.
for cmd in ns.get("post-install", []):
    for f in re.findall(r"\.\./(\S+)", cmd):
        need(os.path.exists(os.path.join(src, f)), f"post-install file {f} exists")
    need("${FLATPAK_DEST}" in cmd, f"post-install installs under FLATPAK_DEST: {cmd}")
need(any("share/metainfo/org.gimp.GIMP.Plugin.NeuralStyle.metainfo.xml" in c
         for c in ns.get("post-install", [])), "metainfo installed as share/metainfo/ID.metainfo.xml")
if errors:
    print("FAIL: manifest:\n  " + "\n  ".join(errors)); sys.exit(1)
print(f"manifest: ok ({len(m['modules'])} modules, prefix {prefix})")
PY

if ! command -v appstreamcli >/dev/null; then
  # The chroot run (--layout) leaves the metainfo to the host run.
  [ "${1:-}" = --layout ] || { echo "FAIL: appstreamcli not found (Debian package appstream)"; exit 1; }
  echo "metainfo: not validated here (no appstreamcli; the host run does it)"
else
appstreamcli validate --no-net "$metainfo"
grep -q '<component type="addon">' "$metainfo" && grep -q "<extends>org.gimp.GIMP</extends>" "$metainfo" \
  && grep -q "<id>$ID</id>" "$metainfo" && grep -q '<project_license>GPL-3.0-or-later<' "$metainfo" \
  || { echo "FAIL: metainfo is not a GPL-3.0-or-later addon $ID extending org.gimp.GIMP"; exit 1; }
echo "metainfo: ok"
fi

[ "${1:-}" = --layout ] || exit 0
command -v gimp-console-3.0 >/dev/null || { echo "SKIP: --layout needs the GIMP 3 chroot"; exit 77; }
prefix=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['build-options']['prefix'])" "$manifest")
opts=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(' '.join(o for mod in m['modules'] if mod['name'] == 'gimp-neural-style' for o in mod['config-opts']))" "$manifest")
work=$(mktemp -d "${TMPDIR:-/tmp}/ns-flatpak.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086
meson setup "$work/build" "$SRC" --prefix="$prefix" $opts >/dev/null
nice ninja -C "$work/build" plugin/neural-style gimp-neural-style-gmo >/dev/null
meson install -C "$work/build" --no-rebuild --quiet --destdir "$work/dest" >/dev/null
d=$work/dest$prefix
fail=0
for f in plug-ins/neural-style/neural-style plug-ins/neural-style/locale/fr/LC_MESSAGES/gimp-neural-style.mo \
         share/gimp-neural-style/styles/painterly.preset; do
  [ -e "$d/$f" ] && echo "ok: \${FLATPAK_DEST}/$f" || { echo "FAIL: missing \${FLATPAK_DEST}/$f"; fail=1; }
done
[ ! -e "$d/bin/nstyle" ] || { echo "FAIL: the CLI is built (-Dcli=disabled ignored)"; fail=1; }
[ -z "$(find "$work/dest" -path "$work/dest$prefix" -prune -o -type f -print)" ] \
  || { echo "FAIL: files outside the prefix:"; find "$work/dest" -path "$work/dest$prefix" -prune -o -type f -print; fail=1; }
[ "$fail" = 0 ] && echo "flatpak layout: ok"
exit "$fail"
