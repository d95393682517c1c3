# Runs INSIDE gimp-console-3.0 (python-fu-eval), loaded by test-fast.sh:
# the error cases of fast styles, presets by name and MicroAST (each a
# clear message and no new layer).  Env: NS_IMAGES (../shared/images);
# the plug-in sees NS_MODELS_DIR (fast/, microast/, cd16x/) and
# NS_STYLES_DIR (the source tree's styles/).
import os
import sys

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio  # noqa: E402

PROC = 'plug-in-neural-style'
IMAGES = os.environ['NS_IMAGES']
pdb = Gimp.get_pdb()


def log(*a):
    print('[fast-errors]', *a)
    sys.stdout.flush()


def check(cond, what):
    if not cond:
        raise AssertionError('fast-errors: %s' % what)
    log('ok:', what)


def load(rel, w, h):
    img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                         Gio.File.new_for_path(os.path.join(IMAGES, rel)))
    img.scale(w, h)
    img.undo_enable()
    return img


def run(img, drw, **args):
    proc = pdb.lookup_procedure(PROC)
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property('image', img)
    cfg.set_core_object_array('drawables', [drw])
    for k, v in args.items():
        cfg.set_property(k.replace('_', '-'), v)
    res = proc.run(cfg)
    status = res.index(0)
    err = pdb.get_last_error() if status != Gimp.PDBStatusType.SUCCESS else ''
    log('run', args, '->', status.value_nick, repr(err)[:400])
    return status, err


img = load('content/chicago.jpg', 64, 48)
drw = img.get_layers()[0]
simg = load('style/the_scream.jpg', 48, 48)
sdrw = simg.get_layers()[0]


def fails(what, needles, execution=False, **args):
    status, err = run(img, drw, **args)
    if execution:
        check(status == Gimp.PDBStatusType.EXECUTION_ERROR,
              what + ': an execution error')
    else:
        check(status == Gimp.PDBStatusType.CALLING_ERROR,
              what + ': a calling error')
    for n in needles:
        check(n in err, '%s: the message says %r' % (what, n))
    check(len(img.get_layers()) == 1, what + ': no new layer')


fails('unknown fast style', ['Unknown fast style "nosuch"', 'candy',
                             'mosaic', 'rain_princess'],
      fast_style='nosuch')
fails('unknown preset', ['Unknown preset "nosuch"', 'Candy', 'Mosaic',
                         'Painterly'],
      preset='nosuch')
fails('no style layer and no fast style', ['style-layer', 'fast-style'])
fails('method fast-style without a style', ['fast-style', 'candy'],
      method='fast-style')
fails('MicroAST model with another method', ['microast'], execution=True,
      style_layer=sdrw, method='adain', model='microast')
log('PASS')
