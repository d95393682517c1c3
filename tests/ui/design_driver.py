# Runs inside GIMP (python-fu-eval) for test-design-preview.sh: opens a
# content larger than the design size with a hidden style layer, calls
# plug-in-neural-style INTERACTIVELY (the shell test watches the preview,
# changes the strength and presses Escape), then renders the same default
# settings non-interactively twice: with max-size = the design size (the
# design stage alone, what the preview must show) and as is (the full
# result); both layers are written as raw RGB u8 for the comparison.
import os
import time

import gi
gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gimp, Gegl, Gio

work = os.environ['NS_UI_WORK']


def log(*args):
    print('[design]', *args, flush=True)


def load_file(name):
    return Gio.File.new_for_path(os.path.join(work, name))


img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, load_file('content.png'))
content = img.get_layers()[0]
style = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img,
                             load_file('style.png'))
img.insert_layer(style, None, 0)
style.set_visible(False)
proc = Gimp.get_pdb().lookup_procedure('plug-in-neural-style')


def config(mode, **args):
    cfg = proc.create_config()
    cfg.set_property('run-mode', mode)
    cfg.set_property('image', img)
    cfg.set_core_object_array('drawables', [content])
    cfg.set_property('style-layer', style)
    for k, v in args.items():
        cfg.set_property(k.replace('_', '-'), v)
    return cfg


t0 = time.time()
res = proc.run(config(Gimp.RunMode.INTERACTIVE))
log('dialog-run status=%s seconds=%.2f' % (res.index(0).value_nick,
                                           time.time() - t0))

for name, args in (('design', {'max_size': 1024}), ('result', {})):
    before = set(l.get_id() for l in img.get_layers())
    t0 = time.time()
    res = proc.run(config(Gimp.RunMode.NONINTERACTIVE, **args))
    new = [l for l in img.get_layers() if l.get_id() not in before]
    if res.index(0) != Gimp.PDBStatusType.SUCCESS or len(new) != 1:
        log('render %s FAILED status=%s' % (name, res.index(0).value_nick))
        continue
    layer = new[0]
    w, h = layer.get_width(), layer.get_height()
    raw = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0,
                                 "R'G'B' u8", Gegl.AbyssPolicy.NONE)
    with open(os.path.join(work, name + '.rgb'), 'wb') as f:
        f.write(bytes(raw))
    log('render %s size=%dx%d seconds=%.2f' % (name, w, h, time.time() - t0))
log('done')
img.delete()
