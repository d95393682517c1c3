# Runs INSIDE gimp-console-3.0 (python-fu-eval), loaded by test-python.sh:
#   exec(open('check_plugin.py').read())
# Env: NS_TEST_CASE (which check), NS_IMAGES (../shared/images),
#      NS_MODELS (../shared/models; the plug-in itself sees NS_MODELS_DIR).
# Any failed check raises, which makes gimp-console exit non-zero.
import array
import hashlib
import os
import sys

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


def load(rel, w, h):
    img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                         Gio.File.new_for_path(os.path.join(IMAGES, rel)))
    img.scale(w, h)
    # Images loaded by a plug-in come with undo disabled; the plug-in
    # must work with undo on, as in the GUI.
    img.undo_enable()
    return img


def rgba(drw):
    """Pixels as a flat float array in R'G'B'A float."""
    w, h = drw.get_width(), drw.get_height()
    raw = drw.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0,
                               "R'G'B'A float", Gegl.AbyssPolicy.NONE)
    return array.array('f', raw)


def fingerprint(drw):
    """Byte-exact state of a layer: its pixels in its own format, its
    geometry and its attributes."""
    w, h = drw.get_width(), drw.get_height()
    buf = drw.get_buffer()
    raw = buf.get(Gegl.Rectangle.new(0, 0, w, h), 1.0, None,
                  Gegl.AbyssPolicy.NONE)
    attrs = (drw.get_name(), w, h, tuple(drw.get_offsets()[1:]),
             drw.get_opacity(), int(drw.get_mode()), drw.get_visible())
    return hashlib.sha256(raw).hexdigest(), attrs


def stats(px, alpha_min=0.5):
    """Per-channel mean and standard deviation over visible pixels."""
    out = []
    n = len(px) // 4
    for c in range(3):
        vals = [px[4 * i + c] for i in range(n) if px[4 * i + 3] >= alpha_min]
        m = sum(vals) / len(vals)
        v = sum((x - m) ** 2 for x in vals) / len(vals)
        out.append((m, v ** 0.5))
    return out


def style_distance(a, b):
    return sum(abs(a[c][0] - b[c][0]) + abs(a[c][1] - b[c][1]) for c in range(3))


def run(img, drw, **args):
    """Calls the procedure through the PDB; returns (status, layer, error)."""
    proc = pdb.lookup_procedure(PROC)
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property('image', img)
    cfg.set_core_object_array('drawables', [drw])
    for k, v in args.items():
        cfg.set_property(k.replace('_', '-'), v)
    res = proc.run(cfg)
    status = res.index(0)
    layer = res.index(1) if status == Gimp.PDBStatusType.SUCCESS else None
    err = pdb.get_last_error() if status != Gimp.PDBStatusType.SUCCESS else ''
    log('run ->', status.value_nick, repr(err)[:300])
    return status, layer, err


def content_with_alpha_and_offsets():
    """A 96x64 content layer at offsets (20, 30) of a 160x120 canvas, with
    a transparent, feathered ellipse; style 80x64 in another image."""
    img = load('content/chicago.jpg', 96, 64)
    img.resize(160, 120, 20, 30)
    drw = img.get_layers()[0]
    drw.set_name('content')
    drw.add_alpha()
    img.select_ellipse(Gimp.ChannelOps.REPLACE, 30, 40, 30, 24)
    Gimp.Selection.feather(img, 6.0)
    drw.edit_clear()
    Gimp.Selection.none(img)
    style_img = load('style/the_scream.jpg', 80, 64)
    return img, drw, style_img, style_img.get_layers()[0]


def layer_stack(img):
    return [l.get_id() for l in img.get_layers()]


# ------------------------------------------------------------------ cases

def case_basic():
    img, drw, simg, sdrw = content_with_alpha_and_offsets()
    before = (fingerprint(drw), fingerprint(sdrw), layer_stack(img))
    cpx = rgba(drw)
    check(min(cpx[3::4]) < 0.01 and 0.1 < max(a for a in cpx[3::4] if a < 0.99),
          'content has transparent and half-transparent pixels')
    check(Gimp.Image.undo_is_enabled(img), 'undo enabled before')

    status, layer, err = run(img, drw, style_layer=sdrw, method='cascade-adain',
                             model='cd16x', strength=1.0, style_size=64)
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    layers = img.get_layers()
    check(len(layers) == 2, '2 layers')
    check(layers[0].get_id() == layer.get_id() and layers[1].get_id() == drw.get_id(),
          'new layer directly above the content')
    check(layer.get_name() == 'content (stylized)',
          'name %r' % layer.get_name())
    check((layer.get_width(), layer.get_height()) == (96, 64), 'size 96x64')
    check(tuple(layer.get_offsets()[1:]) == (20, 30), 'offsets (20, 30)')
    check(layer.get_mask() is None, 'no layer mask without a selection')

    opx = rgba(layer)
    check(all(abs(a - b) < 1e-6 for a, b in zip(cpx[3::4], opx[3::4])),
          'alpha preserved exactly')
    n = len(cpx) // 4
    diff = sum(abs(cpx[i] - opx[i]) for i in range(len(cpx)) if i % 4 != 3) / (3 * n)
    check(diff > 0.03, 'pixels differ from the content (mean |diff| %.3f)' % diff)
    sst = stats(rgba(sdrw))
    dc, do = style_distance(stats(cpx), sst), style_distance(stats(opx), sst)
    check(do < 0.8 * dc,
          'colour statistics moved toward the style (%.3f -> %.3f)' % (dc, do))

    after = (fingerprint(drw), fingerprint(sdrw))
    check(after == before[:2], 'content and style unchanged byte for byte')
    check(Gimp.Image.undo_is_enabled(img), 'undo still enabled')


def case_gray():
    img = load('content/golden_gate.jpg', 96, 64)
    img.convert_grayscale()
    drw = img.get_layers()[0]
    simg = load('style/wave.jpg', 64, 64)
    fp = fingerprint(drw)
    status, layer, err = run(img, drw, style_layer=simg.get_layers()[0],
                             model='cd16x', style_size=64)
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    check(layer.is_gray(), 'grayscale result on a grayscale image')
    check(not layer.has_alpha(), 'no alpha added (content had none)')
    opx, cpx = rgba(layer), rgba(drw)
    check(all(opx[i] == opx[i + 1] == opx[i + 2] for i in range(0, len(opx), 4)),
          'result is grey (R = G = B)')
    diff = sum(abs(a - b) for a, b in zip(cpx, opx)) / len(cpx)
    check(diff > 0.01, 'pixels changed (%.3f)' % diff)
    check(fingerprint(drw) == fp, 'content unchanged')


def case_highbit():
    img = load('content/flowers.jpg', 64, 48)
    img.convert_precision(Gimp.Precision.FLOAT_NON_LINEAR)
    drw = img.get_layers()[0]
    simg = load('style/starry_night.jpg', 64, 48)
    status, layer, err = run(img, drw, style_layer=simg.get_layers()[0],
                             model='cd16x', style_size=64)
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    px = rgba(layer)
    off_grid = sum(1 for i, v in enumerate(px)
                   if i % 4 != 3 and abs(v * 255 - round(v * 255)) > 0.01)
    check(off_grid > len(px) // 4, 'float precision kept (%d of %d values off '
          'the 8-bit grid)' % (off_grid, 3 * len(px) // 4))


def case_selection():
    img, drw, simg, sdrw = content_with_alpha_and_offsets()
    fp = fingerprint(drw)
    # image coords (60, 50, 40, 30) = layer coords (40, 20, 40, 30)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 60, 50, 40, 30)
    inside = lambda x, y: 40 <= x < 80 and 20 <= y < 50  # noqa: E731

    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x',
                             style_size=64, output='new-layer')
    check(status == Gimp.PDBStatusType.SUCCESS, 'new-layer: success (%s)' % err)
    mask = layer.get_mask()
    check(mask is not None, 'new-layer: the result has a layer mask')
    mw = mask.get_width()
    mraw = mask.get_buffer().get(Gegl.Rectangle.new(0, 0, mw, mask.get_height()),
                                 1.0, 'Y float', Gegl.AbyssPolicy.NONE)
    m = array.array('f', mraw)
    bad = sum(1 for i, v in enumerate(m)
              if abs(v - (1.0 if inside(i % mw, i // mw) else 0.0)) > 1e-6)
    check(bad == 0, 'new-layer: mask = selection (%d wrong pixels)' % bad)

    img.remove_layer(layer)  # else GIMP renames the copy "... #1"
    status, copy, err = run(img, drw, style_layer=sdrw, model='cd16x',
                            style_size=64, output='selection-on-copy')
    check(status == Gimp.PDBStatusType.SUCCESS, 'copy: success (%s)' % err)
    check(copy.get_name() == 'content (stylized)', 'copy: name')
    check(img.get_layers()[0].get_id() == copy.get_id()
          and img.get_layers()[1].get_id() == drw.get_id(),
          'copy: directly above the content')
    cpx, opx = rgba(drw), rgba(copy)
    w = drw.get_width()
    out_diff = in_diff = 0
    for i in range(len(cpx) // 4):
        d = sum(abs(cpx[4 * i + c] - opx[4 * i + c]) for c in range(4))
        if inside(i % w, i // w):
            in_diff += d > 0.02
        else:
            out_diff += d > 0
    check(out_diff == 0, 'copy: pixels outside the selection unchanged')
    check(in_diff > 0.5 * 40 * 30, 'copy: pixels inside changed (%d)' % in_diff)
    check(fingerprint(drw) == fp, 'content unchanged')


def case_mask():
    img, drw, simg, sdrw = content_with_alpha_and_offsets()
    # A channel of the same image: white in image rect (60, 50, 40, 30),
    # i.e. layer rect (40, 20, 40, 30).
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 60, 50, 40, 30)
    chan = Gimp.Selection.save(img)
    Gimp.Selection.none(img)
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x',
                             style_size=64, mask=chan)
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    check(layer.get_mask() is None, 'no layer mask (no selection)')
    cpx, opx = rgba(drw), rgba(layer)
    w = drw.get_width()
    inside = lambda x, y: 40 <= x < 80 and 20 <= y < 50  # noqa: E731
    # The engine blends in feature space (mask 0 = the content's own
    # features, re-decoded), so black areas come back close to, not
    # exactly as, the original.
    d_in = d_out = n_in = n_out = 0
    for i in range(len(cpx) // 4):
        if cpx[4 * i + 3] < 0.5:
            continue  # (nearly) transparent: colour is meaningless
        d = sum(abs(cpx[4 * i + c] - opx[4 * i + c]) for c in range(3)) / 3
        x, y = i % w, i // w
        if inside(x, y):
            d_in += d
            n_in += 1
        elif not (34 <= x < 86 and 14 <= y < 56):  # away from the edge
            d_out += d
            n_out += 1
    d_in, d_out = d_in / n_in, d_out / n_out
    check(d_out < 0.5 * d_in and d_in > 0.05,
          'styled where the mask is white (mean diff %.3f), close to the '
          'original where black (%.3f)' % (d_in, d_out))

    other = load('style/wave.jpg', 50, 50)
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x',
                             mask=other.get_layers()[0])
    check(status == Gimp.PDBStatusType.CALLING_ERROR and 'mask' in err,
          'a mask of another size from another image: CALLING_ERROR')


def case_cancel():
    # NS_PLUGIN_CANCEL_AT makes the plug-in cancel the engine at 30 %.
    img, drw, simg, sdrw = content_with_alpha_and_offsets()
    before = (fingerprint(drw), layer_stack(img))
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x')
    check(status == Gimp.PDBStatusType.CANCEL, 'status CANCEL')
    check((fingerprint(drw), layer_stack(img)) == before,
          'image left exactly as it was')


def case_missing_model():
    img, drw, simg, sdrw = content_with_alpha_and_offsets()
    before = layer_stack(img)
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x')
    check(status == Gimp.PDBStatusType.EXECUTION_ERROR, 'status EXECUTION_ERROR')
    for part in ('enc1.pth', os.environ['NS_MODELS_DIR'] + '/cd16x',
                 Gimp.directory() + '/neural-style/models/cd16x',
                 'nstyle models install cd16x'):
        check(part in err, 'message names %r' % part)
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x',
                             model_dir='/nonexistent/models')
    check(status == Gimp.PDBStatusType.EXECUTION_ERROR
          and '/nonexistent/models' in err, 'bad model-dir: EXECUTION_ERROR naming it')
    status, layer, err = run(img, drw, style_layer=sdrw, model='vgg19',
                             model_dir=os.environ['NS_MODELS'] + '/cd16x')
    check(status == Gimp.PDBStatusType.EXECUTION_ERROR
          and 'vgg_normalised.pth' in err,
          'wrong model in model-dir: the engine names the missing file')
    check(layer_stack(img) == before, 'no layer added')


def case_indexed():
    img = load('content/flowers.jpg', 64, 48)
    img.convert_indexed(Gimp.ConvertDitherType.NONE, Gimp.ConvertPaletteType.GENERATE,
                        16, False, False, '')
    drw = img.get_layers()[0]
    simg = load('style/wave.jpg', 64, 48)
    status, layer, err = run(img, drw, style_layer=simg.get_layers()[0])
    check(status == Gimp.PDBStatusType.CALLING_ERROR, 'status CALLING_ERROR')
    check('indexed' in err and 'RGB' in err, 'message explains (%s)' % err)
    check(len(img.get_layers()) == 1, 'no layer added')


def case_group():
    img = load('content/flowers.jpg', 64, 48)
    group = Gimp.GroupLayer.new(img, 'group')
    img.insert_layer(group, None, 0)
    simg = load('style/wave.jpg', 64, 48)
    status, layer, err = run(img, group, style_layer=simg.get_layers()[0])
    check(status == Gimp.PDBStatusType.CALLING_ERROR and 'group' in err,
          'layer group refused with CALLING_ERROR')


def case_closed_style():
    img, drw, simg, sdrw = content_with_alpha_and_offsets()
    simg.delete()
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x')
    # GIMP rejects the dead ID before the plug-in runs (the Script-Fu test
    # checks the message); here: the status and an untouched image.
    check(status == Gimp.PDBStatusType.CALLING_ERROR, 'status CALLING_ERROR')
    check(len(img.get_layers()) == 1, 'no layer added')


def case_tiny():
    # The engine refuses images below its minimum size: a caller error,
    # reported with the engine's message.
    img = load('content/flowers.jpg', 64, 48)
    tiny = Gimp.Layer.new(img, 'tiny', 8, 8, Gimp.ImageType.RGBA_IMAGE, 100.0,
                          Gimp.LayerMode.NORMAL)
    img.insert_layer(tiny, None, 0)
    simg = load('style/wave.jpg', 64, 48)
    status, layer, err = run(img, tiny, style_layer=simg.get_layers()[0],
                             model='cd16x')
    check(status == Gimp.PDBStatusType.CALLING_ERROR and '8x8' in err,
          'an 8x8 layer: CALLING_ERROR with the engine message')
    check(len(img.get_layers()) == 2, 'no layer added')


def case_no_style():
    img, drw, simg, sdrw = content_with_alpha_and_offsets()
    status, layer, err = run(img, drw, model='cd16x')
    check(status == Gimp.PDBStatusType.CALLING_ERROR and 'style' in err,
          'missing style-layer: CALLING_ERROR naming it')



# ------------------------------------------------- bad-input matrix (issue 12)

def two_layer_content(w=256, h=192):
    """An image with a background and a 'content' layer above it (so the
    image keeps a layer when the content is deleted), and a style image
    with two layers; big enough that the engine reports progress several
    times before it finishes."""
    img = load('content/golden_gate.jpg', w, h)
    bg = img.get_layers()[0]
    bg.set_name('bg')
    drw = bg.copy()
    img.insert_layer(drw, None, 0)
    drw.set_name('content')
    simg = load('style/wave.jpg', 128, 128)
    extra = simg.get_layers()[0].copy()
    simg.insert_layer(extra, None, 1)
    return img, bg, drw, simg, simg.get_layers()[0]


def check_styled(img, drw, layer, sdrw_stats):
    layers = img.get_layers()
    check(layers[0].get_id() == layer.get_id(), 'result on top')
    cpx, opx = rgba(drw), rgba(layer)
    diff = sum(abs(a - b) for a, b in zip(cpx, opx)) / len(cpx)
    check(diff > 0.02, 'result differs from the content (%.3f)' % diff)
    dc = style_distance(stats(cpx), sdrw_stats)
    do = style_distance(stats(opx), sdrw_stats)
    check(do < dc, 'colours moved toward the style (%.3f -> %.3f)' % (dc, do))


def case_content_deleted_during_run():
    # NS_PLUGIN_TEST_ACTION=delete-content@0.2 (test-python.sh)
    img, bg, drw, simg, sdrw = two_layer_content()
    bg_fp = fingerprint(bg)
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x')
    check(not drw.is_valid(), 'the content layer was deleted during the run')
    check(status == Gimp.PDBStatusType.EXECUTION_ERROR, 'status EXECUTION_ERROR')
    check('deleted during the run' in err, 'message says so')
    check([l.get_id() for l in img.get_layers()] == [bg.get_id()],
          'nothing added: only the background is left')
    check(fingerprint(bg) == bg_fp, 'the other layer unchanged')


def case_image_closed_during_run():
    # NS_PLUGIN_TEST_ACTION=close-image@0.2.  GIMP keeps an image closed
    # during a call alive until the call returns (the call's arguments
    # hold it; its ID stays valid and listed), so the plug-in cannot see
    # the close: it writes into the doomed image, which GIMP frees right
    # after.  Checked: no crash, nothing left behind.
    img, bg, drw, simg, sdrw = two_layer_content()
    n_images = len(Gimp.get_images())
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x')
    check(status in (Gimp.PDBStatusType.SUCCESS,
                     Gimp.PDBStatusType.EXECUTION_ERROR),
          'the call returned normally (%s)' % status.value_nick)
    check(not img.is_valid() and not drw.is_valid(),
          'the image is gone after the call')
    check(len(Gimp.get_images()) == n_images - 1, 'no image left behind')
    check(simg.is_valid() and len(simg.get_layers()) == 2,
          'the style image is untouched')


def style_gone_during_run(what):
    img, bg, drw, simg, sdrw = two_layer_content()
    sst = stats(rgba(sdrw))
    before = fingerprint(drw)
    status, layer, err = run(img, drw, style_layer=sdrw, model='cd16x')
    check(not sdrw.is_valid(), 'the style layer is gone (%s)' % what)
    # The style's pixels were read before the run: the result stands.
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    check(len(img.get_layers()) == 3, 'one layer added')
    check_styled(img, drw, layer, sst)
    check(fingerprint(drw) == before, 'content unchanged')


def case_style_closed_during_run():
    # NS_PLUGIN_TEST_ACTION=close-style@0.2
    style_gone_during_run('its image was closed')


def case_style_deleted_during_run():
    # NS_PLUGIN_TEST_ACTION=delete-style@0.2
    style_gone_during_run('deleted from its image')


def case_text_layer():
    img = load('content/flowers.jpg', 96, 64)
    text = Gimp.TextLayer.new(img, 'Neural', Gimp.context_get_font(), 40.0,
                              Gimp.Unit.pixel())
    img.insert_layer(text, None, 0)
    simg = load('style/wave.jpg', 64, 64)
    before = fingerprint(text)
    status, layer, err = run(img, text, style_layer=simg.get_layers()[0],
                             model='cd16x', style_size=64)
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    check(len(img.get_layers()) == 3, 'one layer added')
    check(not layer.is_text_layer(), 'the result is a pixel layer')
    check(text.is_text_layer() and text.get_text() == 'Neural',
          'the text layer is still editable text')
    check(fingerprint(text) == before, 'text layer unchanged')
    check(all(abs(a - b) < 1e-6 for a, b in zip(rgba(text)[3::4], rgba(layer)[3::4])),
          'alpha of the text kept')


def precision_case(precision, fmt, step):
    """Runs on an image of PRECISION; reads the result in FMT and counts
    values off the 8-bit grid (STEP = one 8-bit level in FMT's units)."""
    img = load('content/flowers.jpg', 64, 48)
    img.convert_precision(precision)
    drw = img.get_layers()[0]
    simg = load('style/starry_night.jpg', 64, 48)
    before = fingerprint(drw)
    status, layer, err = run(img, drw, style_layer=simg.get_layers()[0],
                             model='cd16x', style_size=64)
    check(status == Gimp.PDBStatusType.SUCCESS, 'success (%s)' % err)
    check(img.get_precision() == precision, 'image precision unchanged')
    w, h = layer.get_width(), layer.get_height()
    raw = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, fmt,
                                 Gegl.AbyssPolicy.NONE)
    px = array.array('H' if 'u16' in fmt else 'f', raw)
    off = sum(1 for i, v in enumerate(px)
              if i % 4 != 3 and abs(v / step - round(v / step)) > 0.01)
    check(off > len(px) // 4, 'result keeps the precision (%d of %d values '
          'off the 8-bit grid)' % (off, 3 * len(px) // 4))
    check(fingerprint(drw) == before, 'content unchanged')
    check(len(img.get_layers()) == 2, 'one layer added')


def case_u16():
    precision_case(Gimp.Precision.U16_NON_LINEAR, "R'G'B'A u16", 257.0)


def case_float_linear():
    precision_case(Gimp.Precision.FLOAT_LINEAR, 'RGBA float', 1.0 / 255)


CASES = {k[5:]: v for k, v in globals().items() if k.startswith('case_')}
if CASE not in CASES:
    raise SystemExit('unknown case %s (known: %s)' % (CASE, ' '.join(CASES)))
CASES[CASE]()
log('PASS')
