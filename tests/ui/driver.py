# Runs inside GIMP (python-fu-eval): opens the test image with a hidden
# style layer, calls plug-in-neural-style twice in INTERACTIVE mode (the
# shell test presses OK the first time, Escape the second) and reports.
import os
import time

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio

work = os.environ['NS_UI_WORK']


def log(*args):
    print('[ui]', *args, flush=True)


def load_file(name):
    return Gio.File.new_for_path(os.path.join(work, name))


img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, load_file('content.png'))
content = img.get_layers()[0]
style = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img,
                             load_file('style.png'))
img.insert_layer(style, None, 0)
style.set_visible(False)
proc = Gimp.get_pdb().lookup_procedure('plug-in-neural-style')


def run(tag):
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
    log(tag, 'status=%s layers=%d->%d seconds=%.2f'
        % (status.value_nick, n0, n1, time.time() - t0))
    return status, n0, n1


status, n0, n1 = run('ok-run')
if status == Gimp.PDBStatusType.SUCCESS and n1 == n0 + 1:
    log('ok-run PASS')
status, n0, n1 = run('cancel-run')
if status == Gimp.PDBStatusType.CANCEL and n1 == n0:
    log('cancel-run PASS')
img.delete()
