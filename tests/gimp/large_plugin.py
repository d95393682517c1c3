# Runs INSIDE gimp-console-3.0 (python-fu-eval), loaded by test-large.sh:
#   exec(open('large_plugin.py').read())
# Env: NS_TEST_CASE (large | refused), NS_LARGE_SIZE ("WxH", large only),
#      NS_IMAGES (../shared/images).  Any failed check raises, which makes
#      gimp-console exit non-zero.
#
# large:   a W x H 8-bit RGB layer made here (a gradient and shapes) is
#          rendered with the default method and memory-budget 2048; a new
#          W x H layer must appear and differ from the content.  The
#          plug-in's peak RSS (NS_PLUGIN_REPORT_RSS) is checked by the shell
#          script from GIMP's log.
# refused: a 4000x3000 layer with memory-budget 64 must be refused with a
#          clear error, the image unchanged.
import array
import hashlib
import os
import sys
import time

import gi
gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gimp, Gegl, Gio  # noqa: E402

PROC = 'plug-in-neural-style'
CASE = os.environ['NS_TEST_CASE']
IMAGES = os.environ['NS_IMAGES']
pdb = Gimp.get_pdb()


def log(*a):
    print('[%s]' % CASE, *a)
    sys.stdout.flush()


def check(cond, what):
    if not cond:
        raise AssertionError('%s: %s' % (CASE, what))
    log('ok:', what)


def rgb(r, g, b):
    c = Gegl.Color.new('black')
    c.set_rgba(r, g, b, 1.0)
    return c


def make_content(w, h):
    """An 8-bit RGB image: a diagonal gradient, an ellipse and a band,
    drawn at 1/8 of the size and scaled up (drawing at 8000x8000 takes
    minutes on a loaded machine)."""
    fw, fh = w, h
    w, h = max(w // 8, 64), max(h // 8, 64)
    img = Gimp.Image.new(w, h, Gimp.ImageBaseType.RGB)
    drw = Gimp.Layer.new(img, 'content', w, h, Gimp.ImageType.RGB_IMAGE,
                         100.0, Gimp.LayerMode.NORMAL)
    img.insert_layer(drw, None, 0)
    Gimp.context_set_foreground(rgb(0.9, 0.6, 0.1))
    Gimp.context_set_background(rgb(0.1, 0.2, 0.7))
    drw.edit_gradient_fill(Gimp.GradientType.LINEAR, 0.0, False, 1, 0.0,
                           False, 0, 0, w, h)
    img.select_ellipse(Gimp.ChannelOps.REPLACE, w * 0.2, h * 0.2, w * 0.4,
                       h * 0.35)
    Gimp.context_set_foreground(rgb(0.95, 0.95, 0.9))
    drw.edit_fill(Gimp.FillType.FOREGROUND)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, w * 0.55, h * 0.6, w * 0.35,
                         h * 0.08)
    Gimp.context_set_foreground(rgb(0.1, 0.1, 0.1))
    drw.edit_fill(Gimp.FillType.FOREGROUND)
    Gimp.Selection.none(img)
    Gimp.context_set_interpolation(Gimp.InterpolationType.LINEAR)
    img.scale(fw, fh)
    return img, drw


def load_style(rel, w, h):
    img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                         Gio.File.new_for_path(os.path.join(IMAGES, rel)))
    img.scale(w, h)
    return img, img.get_layers()[0]


def patch(drw, x, y, s=128):
    raw = drw.get_buffer().get(Gegl.Rectangle.new(x, y, s, s), 1.0,
                               "R'G'B'A float", Gegl.AbyssPolicy.NONE)
    return array.array('f', raw)


def fingerprint(drw):
    """Byte-exact pixels (own format, in bands) and geometry of a layer."""
    w, h = drw.get_width(), drw.get_height()
    buf = drw.get_buffer()
    sha = hashlib.sha256()
    for y in range(0, h, 256):
        sha.update(buf.get(Gegl.Rectangle.new(0, y, w, min(256, h - y)), 1.0,
                           None, Gegl.AbyssPolicy.NONE))
    return sha.hexdigest(), w, h, tuple(drw.get_offsets()[1:])


def run(img, drw, **args):
    proc = pdb.lookup_procedure(PROC)
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property('image', img)
    cfg.set_core_object_array('drawables', [drw])
    for k, v in args.items():
        cfg.set_property(k.replace('_', '-'), v)
    t0 = time.time()
    res = proc.run(cfg)
    secs = time.time() - t0
    status = res.index(0)
    layer = res.index(1) if status == Gimp.PDBStatusType.SUCCESS else None
    err = pdb.get_last_error() if status != Gimp.PDBStatusType.SUCCESS else ''
    log('run -> %s in %.1f s %r' % (status.value_nick, secs, err[:400]))
    return status, layer, err, secs


def case_large():
    w, h = (int(v) for v in os.environ['NS_LARGE_SIZE'].split('x'))
    t0 = time.time()
    img, drw = make_content(w, h)
    simg, sdrw = load_style('style/starry_night.jpg', 512, 405)
    log('made a %dx%d content in %.1f s' % (w, h, time.time() - t0))
    status, layer, err, secs = run(img, drw, style_layer=sdrw,
                                   memory_budget=2048)
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    log('RENDER_SECONDS %.1f' % secs)
    layers = img.get_layers()
    check(len(layers) == 2 and layers[0].get_id() == layer.get_id(),
          'one new layer, on top')
    check((layer.get_width(), layer.get_height()) == (w, h),
          'the new layer is %dx%d' % (w, h))
    # Patches over the image: the gradient, the ellipse, the band, corners.
    diffs = []
    for fx, fy in ((0.02, 0.02), (0.35, 0.35), (0.7, 0.62), (0.9, 0.9),
                   (0.5, 0.1), (0.1, 0.8)):
        x, y = int(fx * (w - 128)), int(fy * (h - 128))
        c, o = patch(drw, x, y), patch(layer, x, y)
        check(min(o[3::4]) > 0.999, 'opaque result at (%d, %d)' % (x, y))
        diffs.append(sum(abs(a - b) for i, (a, b) in enumerate(zip(c, o))
                         if i % 4 != 3) / (3 * 128 * 128))
    log('mean |result - content| per patch:',
        ' '.join('%.3f' % d for d in diffs))
    check(min(diffs) > 0.01, 'the result differs from the content everywhere')
    # A patch is not flat: the shallow levels add texture at full size.
    o = patch(layer, w // 3, h // 3)
    vals = [v for i, v in enumerate(o) if i % 4 == 0]
    m = sum(vals) / len(vals)
    sd = (sum((v - m) ** 2 for v in vals) / len(vals)) ** 0.5
    check(sd > 0.01, 'the result has texture (red sd %.3f)' % sd)


def case_refused():
    img, drw = make_content(4000, 3000)
    simg, sdrw = load_style('style/starry_night.jpg', 256, 203)
    before = (fingerprint(drw), [l.get_id() for l in img.get_layers()])
    status, layer, err, secs = run(img, drw, style_layer=sdrw,
                                   memory_budget=64)
    check(status == Gimp.PDBStatusType.EXECUTION_ERROR,
          'status EXECUTION_ERROR')
    check('memory budget' in err and 'MB' in err,
          'the message names the budget and the numbers')
    check('raise the budget' in err, 'the message says the fix')
    check(secs < 60, 'refused before rendering (%.1f s)' % secs)
    after = (fingerprint(drw), [l.get_id() for l in img.get_layers()])
    check(after == before, 'the image is unchanged (pixels and layers)')


CASES = {k[5:]: v for k, v in globals().items() if k.startswith('case_')}
if CASE not in CASES:
    raise SystemExit('unknown case %s (known: %s)' % (CASE, ' '.join(CASES)))
CASES[CASE]()
log('PASS')
