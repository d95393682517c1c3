"""Helpers of the installer tests: a mirror of small files served by
server.py on 127.0.0.1 and the manifest describing them."""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
UPSTREAM = "https://example.invalid"  # replaced by NS_MODELS_BASE_URL


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Mirror:
    """KINDS: {kind: [(name, size, how)]}, HOW one of "good", "corrupt"
    (served bytes differ from the manifest's sum), "missing" (not on the
    server), "nosum" (manifest gives a size range, no sum), "small"
    (nosum, but smaller than the range)."""

    def __init__(self, kinds):
        self.tmp = tempfile.mkdtemp(prefix="ns-models-test-")
        self.root = os.path.join(self.tmp, "www")
        self.control = os.path.join(self.tmp, "control.json")
        self.log = os.path.join(self.tmp, "requests.log")
        self.manifest = os.path.join(self.tmp, "manifest.ini")
        self.data = {}
        rnd = random.Random(13)
        lines = []
        for kind, files in kinds.items():
            lines += ["[kind %s]" % kind, "description=test kind %s" % kind,
                      "license=MIT", ""]
            for name, size, how in files:
                data = bytes(rnd.getrandbits(8) for _ in range(size))
                self.data[(kind, name)] = data
                rel = "repo/0123abc/%s/%s" % (kind, name)
                served = data
                if how == "corrupt":
                    served = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
                if how == "small":
                    served = data[: size // 2]
                if how != "missing":
                    path = os.path.join(self.root, rel)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "wb") as f:
                        f.write(served)
                lines += ["[%s/%s]" % (kind, name),
                          "url=%s/%s" % (UPSTREAM, rel)]
                if how in ("nosum", "small"):
                    lines += ["size-min=%d" % (size - 10),
                              "size-max=%d" % (size + 10)]
                else:
                    lines += ["size=%d" % size, "sha256=%s" % sha256(data)]
                lines += ["license=MIT", ""]
        with open(self.manifest, "w") as f:
            f.write("\n".join(lines))
        self.set_control({})
        portfile = os.path.join(self.tmp, "port")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "server.py"), self.root,
             self.control, self.log, portfile])
        for _ in range(200):
            if os.path.exists(portfile):
                break
            time.sleep(0.05)
        with open(portfile) as f:
            self.port = int(f.read())
        self.base = "http://127.0.0.1:%d" % self.port

    def url_path(self, kind, name):
        return "/repo/0123abc/%s/%s" % (kind, name)

    def set_control(self, rules):
        with open(self.control + ".tmp", "w") as f:
            json.dump(rules, f)
        os.rename(self.control + ".tmp", self.control)

    def requests(self):
        """[(path, range, status)] so far; clears the log."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            out = [tuple(l.split()) for l in f if l.strip()]
        os.unlink(self.log)
        return out

    def env(self, **extra):
        env = dict(os.environ)
        env["NS_MODELS_BASE_URL"] = self.base
        env["NS_MODELS_MANIFEST"] = self.manifest
        env["LC_ALL"] = "C"
        env.pop("LANGUAGE", None)
        env.update(extra)
        return env

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s%s" % (what, ("\n     " + detail) if detail else ""))
        return cond

    def done(self):
        if self.failed:
            print("%d check(s) failed" % self.failed)
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)


def listing(root):
    """Every path below ROOT (relative), for 'nothing half-written'."""
    out = []
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def start_xvfb(width=800, height=600):
    """Our own Xvfb on a display no other test session uses (lock files
    in /tmp are per chroot session but X's abstract sockets are shared:
    an Xvfb that finds its display taken exits, and we try another).
    Returns (process, display number as a string)."""
    for display in [str(random.randint(200, 900)) for _ in range(10)]:
        xvfb = subprocess.Popen(["Xvfb", ":" + display, "-screen", "0",
                                 "%dx%dx24" % (width, height), "-nolisten",
                                 "tcp"], stderr=subprocess.DEVNULL)
        for _ in range(100):
            if xvfb.poll() is not None or os.path.exists(
                    "/tmp/.X11-unix/X" + display):
                break
            time.sleep(0.05)
        time.sleep(0.3)
        if xvfb.poll() is None:
            return xvfb, display
    raise RuntimeError("no Xvfb could start")
