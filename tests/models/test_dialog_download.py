#!/usr/bin/env python3
"""The download bar inside GIMP (in the GIMP 3 chroot, under Xvfb): with
no model installed, the Neural Style dialog shows the bar; Download
(pressed by download-click.c, a GTK module) fetches cd16x from server.py
on 127.0.0.1 through the built-in manifest's URLs (NS_MODELS_BASE_URL),
the bar reports it installed, the dialog then renders its preview with
the new model, and dialog-check.c finds no accessibility problem with the
bar shown.

  test_dialog_download.py PLUGIN CLICK_MODULE CHECK_MODULE
"""
import configparser
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modtest import Checks, start_xvfb  # noqa: E402

plugin, click, check = (os.path.realpath(p) for p in sys.argv[1:4])
src = os.environ.get("NS_SOURCE_ROOT", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
shared = os.environ.get("NS_SHARED_DIR", "")
for tool in ("gimp-3.0", "Xvfb", "xdotool"):
    if not shutil.which(tool):
        print("SKIP: %s not found (run inside the GIMP 3 chroot)" % tool)
        sys.exit(77)
if not os.path.isfile(os.path.join(shared, "models", "cd16x", "enc5.pth")):
    print("SKIP: shared models not found (NS_SHARED_DIR=%s)" % shared)
    sys.exit(77)

c = Checks()
work = tempfile.mkdtemp(prefix="ns-dialog-download-")
www = os.path.join(work, "www")
# The upstream layout of cd16x, from the built-in manifest's URLs.
ini = configparser.ConfigParser(interpolation=None)
ini.read(os.path.join(src, "tools", "models", "manifest.ini"))
for group in ini.sections():
    if group.startswith("cd16x/"):
        url = ini[group]["url"]
        path = os.path.join(www, url.split("://", 1)[1].split("/", 1)[1])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copy(os.path.join(shared, "models", group), path)
here = os.path.dirname(os.path.abspath(__file__))
control = os.path.join(work, "control.json")
with open(control, "w") as f:
    f.write("{}")
portfile = os.path.join(work, "port")
server = subprocess.Popen([sys.executable, os.path.join(here, "server.py"),
                           www, control, os.path.join(work, "log"),
                           portfile])
xvfb, display = start_xvfb(1280, 800)
gimp = None
log_path = os.path.join(work, "gimp.log")
try:
    for _ in range(100):
        if os.path.exists(portfile):
            break
        time.sleep(0.05)
    port = open(portfile).read()
    profile = os.path.join(work, "profile")
    plugdir = os.path.join(work, "plug-ins", "neural-style")
    os.makedirs(profile)
    os.makedirs(plugdir)
    os.symlink(plugin, os.path.join(plugdir, "neural-style"))
    with open(os.path.join(profile, "gimprc"), "w") as f:
        f.write('(plug-in-path "${gimp_plug_in_dir}/plug-ins:%s")\n'
                "(show-welcome-dialog no)\n(check-updates no)\n"
                "(show-tips no)\n" % os.path.dirname(plugdir))
    subprocess.run([sys.executable, os.path.join(src, "tests", "ui",
                                                 "uicheck.py"), "prep",
                    os.path.join(shared, "images", "content", "tubingen.jpg"),
                    os.path.join(shared, "images", "style",
                                 "starry_night.jpg"), work], check=True)
    env = dict(os.environ, DISPLAY=":" + display, GIMP3_DIRECTORY=profile,
               NO_AT_BRIDGE="1", NS_DIALOG_DEBUG="1", NS_UI_WORK=work,
               GTK_MODULES=click + ":" + check,
               NS_STYLES_DIR=os.path.join(src, "styles"),
               NS_MODELS_BASE_URL="http://127.0.0.1:" + port)
    for var in ("NS_MODELS_DIR", "NS_MODELS_MANIFEST"):
        env.pop(var, None)
    log = open(log_path, "w")
    gimp = subprocess.Popen(
        ["gimp-3.0", "-n", "-s", "-c", "--quit",
         "--batch-interpreter=python-fu-eval", "-b",
         "exec(open('%s').read())" % os.path.join(src, "tests", "ui",
                                                 "driver.py")],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work,
        start_new_session=True)

    def wait_for(text, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if text in open(log_path, errors="replace").read():
                return True
            if gimp.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    shown = wait_for("ns-download-check: shown", 180)
    c.check(shown, "no model: the dialog shows the download bar")
    done = shown and wait_for("ns-download-check: status=", 120)
    text = open(log_path, errors="replace").read()
    status = [l for l in text.splitlines()
              if "ns-download-check: status=" in l]
    c.check(done and "cd16x model is installed" in (status or [""])[0],
            "Download: the bar says cd16x is installed", str(status))
    upd = [l for l in text.splitlines() if "progress updates=" in l]
    c.check(upd and int(upd[0].rsplit("=", 1)[1]) >= 2,
            "Download: the progress bar moved", str(upd))
    models = os.path.join(profile, "neural-style", "models")
    for n in ("enc1.pth", "dec5.pth"):
        got = os.path.join(models, "cd16x", n)
        same = os.path.exists(got) and open(got, "rb").read() == open(
            os.path.join(shared, "models", "cd16x", n), "rb").read()
        c.check(same, "Download: %s installed in the user's GIMP folder" % n)
    c.check(not os.path.exists(os.path.join(models, ".cd16x.part")),
            "Download: no staging folder left")
    wait_for("ns-dialog: preview-ready", 120)
    text = open(log_path, errors="replace").read()
    after = text.find("ns-download-check: status=")
    c.check(after >= 0 and text.find("ns-dialog: preview-ready", after) > 0,
            "after the install, the dialog renders its preview with the new "
            "model")
    a11y = [l for l in open(log_path, errors="replace").read().splitlines()
            if "ns-dialog-check: a11y" in l]
    c.check(a11y and "problems= none" in a11y[0],
            "with the bar shown: no mnemonic clash, every control has a "
            "tooltip", str(a11y))
finally:
    if gimp and gimp.poll() is None:
        subprocess.run(["xdotool", "key", "Escape"],
                       env=dict(os.environ, DISPLAY=":" + display))
        time.sleep(1)
    if gimp:
        try:
            os.killpg(gimp.pid, signal.SIGKILL)  # GIMP and its plug-ins
        except ProcessLookupError:
            pass
        gimp.wait()
    xvfb.terminate()
    xvfb.wait()
    server.terminate()
    server.wait()
    if c.failed:
        print("--- GIMP log (last lines)")
        print("\n".join(open(log_path, errors="replace").read()
                        .splitlines()[-40:]))
    shutil.rmtree(work, ignore_errors=True)
c.done()
