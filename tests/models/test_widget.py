#!/usr/bin/env python3
"""The dialog's download bar (ui/ns-download.c) under its own Xvfb,
against server.py: a slow download completes with progress updates while
the GTK main loop keeps running; Stop cancels it, the kind's folder is
not created, and the next download resumes.

  test_widget.py DOWNLOAD_WIDGET
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modtest import Checks, Mirror, start_xvfb  # noqa: E402

WIDGET = sys.argv[1]
if not shutil.which("Xvfb"):
    print("SKIP: Xvfb not found (the widget test runs in the GIMP 3 chroot)")
    sys.exit(77)

K = 1024
m = Mirror({"good": [("a.bin", 300 * K, "good"), ("b.bin", 20 * K, "good")],
            "corrupt": [("a.bin", 30 * K, "corrupt")]})
c = Checks()
xvfb, display = start_xvfb()
gimp_dir = os.path.join(m.tmp, "gimp")
models = os.path.join(gimp_dir, "neural-style", "models")


def drive(kind, mode):
    env = m.env(DISPLAY=":" + display, NO_AT_BRIDGE="1")
    env.pop("NS_MODELS_DIR", None)
    p = subprocess.run([WIDGET, gimp_dir, kind, mode], env=env,
                       capture_output=True, text=True, timeout=120)
    line = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
    if not line:
        return {"raw": p.stdout + p.stderr}
    res = {"raw": line[0]}
    head, _, status = line[0][7:].partition(" status=")
    for kv in head.split():
        k, v = kv.split("=")
        res[k] = float(v)
    res["status"] = status
    return res


try:
    path = m.url_path("good", "a.bin")
    m.set_control({path: {"mode": "slow", "delay": 0.02}})
    t0 = time.monotonic()
    r = drive("good", "cancel")
    c.check(r.get("done") == 0 and "cancelled" in r.get("status", ""),
            "Stop: the bar says the download was cancelled", r["raw"])
    c.check(not os.path.exists(os.path.join(models, "good")),
            "Stop: no good/ folder")
    c.check(time.monotonic() - t0 < 8, "Stop: ends at once (%.1f s)"
            % (time.monotonic() - t0))
    m.requests()
    m.set_control({path: {"mode": "slow", "delay": 0.01}})
    r = drive("good", "ok")
    c.check(r.get("done") == 1 and "installed" in r.get("status", ""),
            "Download: the bar says the model is installed", r["raw"])
    c.check(r.get("updates", 0) >= 5,
            "Download: the progress bar moved (%d updates)"
            % r.get("updates", 0))
    c.check(0 < r.get("max_gap_ms", 1e9) < 250,
            "Download: GTK main loop never blocked over 250 ms (%.0f ms)"
            % r.get("max_gap_ms", -1))
    reqs = m.requests()
    c.check(any(q[1].startswith("bytes=") for q in reqs),
            "Download: resumed what the cancelled one fetched", str(reqs))
    for n in ("a.bin", "b.bin"):
        got = open(os.path.join(models, "good", n), "rb").read()
        c.check(got == m.data[("good", n)], "Download: good/%s intact" % n)
    r = drive("corrupt", "ok")
    c.check(r.get("done") == 0 and "SHA-256 mismatch" in r.get("status", ""),
            "Corrupt file: the bar shows the checksum error", r["raw"])
    c.check(not os.path.exists(os.path.join(models, "corrupt")),
            "Corrupt file: nothing installed")
finally:
    xvfb.terminate()
    xvfb.wait()
    m.close()
c.done()
