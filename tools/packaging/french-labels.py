# Run by gimp-console's python-fu-eval (tools/packaging/check-french.sh):
# prints the labels GIMP registered for plug-in-neural-style, one per line,
# as "KIND<TAB>name<TAB>text", for the shell side to compare.
from gi.repository import Gimp

proc = Gimp.get_pdb().lookup_procedure("plug-in-neural-style")
if proc is None:
    print("NS-LABEL\tERROR\tnone\tplug-in-neural-style is not registered")
else:
    print("NS-LABEL\tMENU\tmenu\t" + (proc.get_menu_label() or ""))
    print("NS-LABEL\tBLURB\tblurb\t" + (proc.get_blurb() or ""))
    for spec in proc.get_arguments():
        print("NS-LABEL\tNICK\t%s\t%s" % (spec.name, spec.get_nick() or ""))
        print("NS-LABEL\tARGBLURB\t%s\t%s" % (spec.name, spec.get_blurb() or ""))
print("NS-LABELS-DONE")
