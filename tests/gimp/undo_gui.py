# Runs INSIDE gimp-3.0 (GUI, under Xvfb) as two python-fu-eval batch
# commands, driven by test-undo-gui.sh:
#   NS_UNDO_STEP=run   load, show, run the plug-in, write $WORK/run-done
#   NS_UNDO_STEP=wait  wait (GIMP's UI stays live) until Ctrl+Z, sent by the
#                      shell with xdotool, has removed the result; check
import array, hashlib, json, os, time
import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gegl, Gio

WORK = os.environ['WORK']
STATE = os.path.join(WORK, 'undo-state.json')


def fingerprint(drw):
    w, h = drw.get_width(), drw.get_height()
    raw = drw.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, None,
                               Gegl.AbyssPolicy.NONE)
    return [hashlib.sha256(raw).hexdigest(), drw.get_name(), w, h,
            list(drw.get_offsets()[1:])]


def say(*a):
    print('[undo]', *a, flush=True)


if os.environ['NS_UNDO_STEP'] == 'run':
    load = lambda p: Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                                    Gio.File.new_for_path(p))
    img = load(os.environ['NS_IMAGES'] + '/content/chicago.jpg')
    img.scale(96, 64)
    img.resize(160, 120, 20, 30)
    drw = img.get_layers()[0]
    drw.set_name('content')
    drw.add_alpha()
    style = load(os.environ['NS_IMAGES'] + '/style/the_scream.jpg')
    style.scale(64, 64)
    img.select_rectangle(Gimp.ChannelOps.REPLACE, 60, 50, 40, 30)
    img.undo_enable()
    img.clean_all()
    Gimp.Display.new(img)
    before = {'image': img.get_id(), 'layers': [l.get_id() for l in img.get_layers()],
              'content': fingerprint(drw)}
    proc = Gimp.get_pdb().lookup_procedure('plug-in-neural-style')
    cfg = proc.create_config()
    cfg.set_property('run-mode', Gimp.RunMode.NONINTERACTIVE)
    cfg.set_property('image', img)
    cfg.set_core_object_array('drawables', [drw])
    cfg.set_property('style-layer', style.get_layers()[0])
    cfg.set_property('model', 'cd16x')
    cfg.set_property('style-size', 64)
    res = proc.run(cfg)
    assert res.index(0) == Gimp.PDBStatusType.SUCCESS, Gimp.get_pdb().get_last_error()
    layer = res.index(1)
    assert layer.get_mask() is not None, 'expected a layer mask (selection)'
    assert len(img.get_layers()) == 2
    Gimp.displays_flush()
    json.dump(before, open(STATE, 'w'))
    open(os.path.join(WORK, 'run-done'), 'w').write('1')
    say('plug-in ran: 2 layers, result masked by the selection')
else:
    before = json.load(open(STATE))
    img = Gimp.Image.get_by_id(before['image'])
    t0 = time.time()
    while time.time() - t0 < 30:
        ids = [l.get_id() for l in img.get_layers()]
        if ids == before['layers']:
            break
        time.sleep(0.2)
    assert ids == before['layers'], 'undo did not restore the layer stack: %r' % ids
    assert fingerprint(img.get_layers()[0]) == before['content'], 'content changed'
    say('one Ctrl+Z restored the layer stack and the content')
    open(os.path.join(WORK, 'undo-ok'), 'w').write('1')
    img.clean_all()
