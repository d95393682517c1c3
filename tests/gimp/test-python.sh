#!/bin/bash
# Python-Fu test: runs check_plugin.py case CASE inside gimp-console-3.0.
#   test-python.sh PLUGIN_BINARY CASE
NS_PLUGIN=$1 case=$2
source "$(dirname "$0")/gimp-test-lib.sh"
ns_need_shared
ns_setup
export NS_TEST_CASE=$case
export NS_MODELS_DIR=$NS_MODELS
case $case in
  missing_model) export NS_MODELS_DIR=$WORK/no-models; mkdir -p "$NS_MODELS_DIR" ;;
  cancel)        export NS_PLUGIN_CANCEL_AT=0.3 ;;
  # The plug-in itself deletes/closes at 20 % of the run, as a user could.
  content_deleted_during_run) export NS_PLUGIN_TEST_ACTION=delete-content@0.2 ;;
  image_closed_during_run)    export NS_PLUGIN_TEST_ACTION=close-image@0.2 ;;
  style_closed_during_run)    export NS_PLUGIN_TEST_ACTION=close-style@0.2 ;;
  style_deleted_during_run)   export NS_PLUGIN_TEST_ACTION=delete-style@0.2 ;;
esac
ns_gimp python "exec(open('$TESTS_DIR/check_plugin.py').read())"
[ "$RC" -eq 0 ] || die "gimp-console exited with $RC"
grep -q "^\[$case\] PASS" "$GIMP_LOG" || die "case $case did not report PASS"
if [ -n "${NS_PLUGIN_TEST_ACTION:-}" ]; then
  grep -q "NS_PLUGIN_TEST_ACTION ${NS_PLUGIN_TEST_ACTION%@*} at .*: done" "$GIMP_LOG" \
    || die "the test action did not run during the engine run"
fi
echo "PASS: $case"
