# Runs inside GIMP (python-fu-eval), started by tools/docs/screenshots.sh:
# opens scene.png, adds swirls.png as a hidden layer, calls
# plug-in-neural-style INTERACTIVELY once (the shell script takes the
# screenshots and presses OK or Escape) and, after OK, saves the image
# (the new layer over the photo) as result.png.
import os

import gi
gi.require_version('Gimp', '3.0')
from gi.repository import Gimp, Gio

work = os.environ['NS_DOCS_WORK']


def path(name):
    return Gio.File.new_for_path(os.path.join(work, name))


img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, path('scene.png'))
content = img.get_layers()[0]
style = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, img, path('swirls.png'))
img.insert_layer(style, None, 0)
style.set_visible(False)
proc = Gimp.get_pdb().lookup_procedure('plug-in-neural-style')
cfg = proc.create_config()
cfg.set_property('run-mode', Gimp.RunMode.INTERACTIVE)
cfg.set_property('image', img)
cfg.set_core_object_array('drawables', [content])
cfg.set_property('style-layer', style)
res = proc.run(cfg)
status = res.index(0)
print('[docs] status=%s layers=%d' % (status.value_nick, len(img.get_layers())),
      flush=True)
if status == Gimp.PDBStatusType.SUCCESS:
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, img, path('result.png'), None)
    print('[docs] saved result.png', flush=True)
img.delete()
