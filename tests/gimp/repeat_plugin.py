# Runs INSIDE gimp-console-3.0 (python-fu-eval), loaded by run-asan.sh:
# calls plug-in-neural-style NS_REPEAT times (default 20) in one GIMP
# session, removing each result, and records GIMP's resident memory after
# every call.  Every call starts a new plug-in process, whose leaks the
# sanitizer reports at its exit (checked by the shell); what can grow
# across calls is GIMP itself, so its RSS is what is bounded here.
# Env: NS_IMAGES, NS_REPEAT, NS_RSS_GROWTH_KB (bound between call 5 and
# the last; the first calls fill GIMP's caches; default 8192).
import os
import sys
import time

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio  # noqa: E402

N = int(os.environ.get('NS_REPEAT', '20'))
BOUND_KB = int(os.environ.get('NS_RSS_GROWTH_KB', '8192'))
IMAGES = os.environ['NS_IMAGES']
GIMP_PID = os.getppid()  # python-fu-eval is a plug-in started by GIMP


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS for %d' % pid)


def load(rel, w, h):
    img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                         Gio.File.new_for_path(os.path.join(IMAGES, rel)))
    img.scale(w, h)
    img.undo_enable()
    return img


img = load('content/chicago.jpg', 96, 64)
drw = img.get_layers()[0]
simg = load('style/the_scream.jpg', 64, 64)
proc = Gimp.get_pdb().lookup_procedure('plug-in-neural-style')
rss = []
for i in range(N):
    t0 = time.monotonic()
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property('image', img)
    cfg.set_core_object_array('drawables', [drw])
    cfg.set_property('style-layer', simg.get_layers()[0])
    cfg.set_property('model', 'cd16x')
    # single level: the cascade runs in the cases of check_plugin.py
    cfg.set_property('method', 'adain')
    cfg.set_property('style-size', 64)
    # alternate the two outputs so both write paths are repeated
    cfg.set_property('output', 'new-layer' if i % 2 == 0 else 'selection-on-copy')
    res = proc.run(cfg)
    if res.index(0) != Gimp.PDBStatusType.SUCCESS:
        raise AssertionError('call %d failed: %s' % (i + 1, Gimp.get_pdb().get_last_error()))
    img.remove_layer(res.index(1))
    if len(img.get_layers()) != 1:
        raise AssertionError('call %d left layers behind' % (i + 1))
    rss.append(rss_kb(GIMP_PID))
    print('[repeat] call %2d: %.1f s, GIMP RSS %d kB'
          % (i + 1, time.monotonic() - t0, rss[-1]))
    sys.stdout.flush()

base = rss[min(4, N - 1)]
growth = rss[-1] - base
print('[repeat] GIMP RSS after call 1: %d kB, call %d: %d kB, call %d: %d kB; '
      'growth %+d kB (bound %d kB)' % (rss[0], min(5, N), base, N, rss[-1],
                                       growth, BOUND_KB))
if growth > BOUND_KB:
    raise AssertionError('GIMP RSS grew by %d kB over calls %d-%d (bound %d kB)'
                         % (growth, min(5, N), N, BOUND_KB))
print('[repeat] PASS')
