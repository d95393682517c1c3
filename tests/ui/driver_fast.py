# Runs inside GIMP (python-fu-eval) for test-dialog-fast.sh: opens the test
# image with a hidden style layer, calls plug-in-neural-style once in
# INTERACTIVE mode (the shell test picks a fast style and presses OK) and
# reports whether one new layer came back that differs from the content.
import array
import os
import time

import gi
gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gimp, Gegl, Gio

work = os.environ['NS_UI_WORK']


def log(*args):
    print('[ui-fast]', *args, flush=True)


def load_file(name):
    return Gio.File.new_for_path(os.path.join(work, name))


def mean_rgb(drw):
    w, h = drw.get_width(), drw.get_height()
    px = array.array('f', drw.get_buffer().get(
        Gegl.Rectangle.new(0, 0, w, h), 1.0, "R'G'B'A float",
        Gegl.AbyssPolicy.NONE))
    n = len(px) // 4
    return [sum(px[4 * i + c] for i in range(n)) / n for c in range(3)]


img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, load_file('content.png'))
content = img.get_layers()[0]
style = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img,
                             load_file('style.png'))
img.insert_layer(style, None, 0)
style.set_visible(False)
proc = Gimp.get_pdb().lookup_procedure('plug-in-neural-style')

cfg = proc.create_config()
cfg.set_property('run-mode', Gimp.RunMode.INTERACTIVE)
cfg.set_property('image', img)
cfg.set_core_object_array('drawables', [content])
cfg.set_property('style-layer', style)
n0 = len(img.get_layers())
t0 = time.time()
res = proc.run(cfg)
status = res.index(0)
n1 = len(img.get_layers())
log('ok-run status=%s layers=%d->%d seconds=%.2f'
    % (status.value_nick, n0, n1, time.time() - t0))
if status == Gimp.PDBStatusType.SUCCESS and n1 == n0 + 1:
    a, b = mean_rgb(res.index(1)), mean_rgb(content)
    diff = sum(abs(x - y) for x, y in zip(a, b)) / 3
    log('mean difference from the content %.4f' % diff)
    if diff > 0.01:
        log('ok-run PASS')
img.delete()
