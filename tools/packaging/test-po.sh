#!/bin/bash
# meson test (suite gimp): the French catalogue covers every message of
# the sources listed in po/POTFILES and of the presets (extracted afresh
# here with po/meson.build's keywords, engine messages included), with no fuzzy or
# untranslated entry; the coverage line at the top of de.po matches de.po.
#   test-po.sh SOURCE_ROOT
set -euo pipefail
src=$1
command -v xgettext >/dev/null && command -v msgmerge >/dev/null \
  || { echo "SKIP: gettext tools not found"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ns-po.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$src"
xgettext --package-name=gimp-neural-style --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --keyword=ns_fail:3 --flag=ns_fail:3:c-format \
  --keyword=ns_input_fail:3 --flag=ns_input_fail:3:c-format \
  --keyword=fail_line:2 --flag=fail_line:2:c-format \
  --keyword=ns_error_prefix:2 --flag=ns_error_prefix:2:c-format \
  --files-from=po/POTFILES -o "$work/fresh.pot"
xgettext --language=Desktop --keyword= --keyword=Name --keyword=Description \
  --from-code=UTF-8 --join-existing -o "$work/fresh.pot" styles/*.preset
total=$(grep -c '^msgid ' "$work/fresh.pot"); total=$((total - 1))
msgmerge --quiet --no-fuzzy-matching po/fr.po "$work/fresh.pot" -o "$work/fr.po"
missing=$(msgattrib --untranslated --no-obsolete "$work/fr.po" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete po/fr.po | grep -c '^msgid ' || true)
if [ "$missing" -gt 0 ]; then
  echo "FAIL: $((missing - 1)) of $total messages have no French translation:"
  msgattrib --untranslated --no-obsolete "$work/fr.po" | grep -A1 '^msgid ' | grep -v '^msgid ""$' | head -40
  echo "(update with: ninja -C BUILD gimp-neural-style-update-po, then translate po/fr.po)"
  exit 1
fi
[ "$fuzzy" -eq 0 ] || { echo "FAIL: po/fr.po has fuzzy entries"; exit 1; }
msgfmt -c -o /dev/null po/fr.po
echo "fr: $total of $total messages translated, none fuzzy"

# de.po: "Coverage: N of M messages translated" must describe the file.
stats=$(msgfmt --statistics -o /dev/null po/de.po 2>&1)
n=$(echo "$stats" | sed -n 's/^\([0-9]*\) translated.*/\1/p')
m=$(( $(grep -c '^msgid ' po/de.po) - 1 ))
grep -q "^# Coverage: $n of $m messages translated" po/de.po \
  || { echo "FAIL: de.po's coverage line does not say '$n of $m' ($stats)"; exit 1; }
echo "de: $n of $m translated (as its header says)"
