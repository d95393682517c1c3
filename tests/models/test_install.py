#!/usr/bin/env python3
"""nstyle models end to end against server.py on 127.0.0.1: good files,
corrupt file, 404, truncated (resumed in the same run, and in a later
run), slow (interrupted), full disk (RLIMIT_FSIZE), offline install from a
folder, verify, a file without a known checksum, usage errors.  After
every failure the kind's folder is absent (or as it was) and no staging
folder is left, except an interrupted download kept for resuming.

  test_install.py NSTYLE
"""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from modtest import Checks, Mirror, listing  # noqa: E402

NSTYLE = sys.argv[1]
K = 1024
kinds = {
    "good": [("a.bin", 200 * K, "good"), ("b.bin", 60 * K, "good"),
             ("c.bin", 3 * K, "good")],
    "corrupt": [("a.bin", 50 * K, "good"), ("b.bin", 50 * K, "corrupt")],
    "missing": [("a.bin", 20 * K, "good"), ("gone.bin", 20 * K, "missing")],
    "trunc": [("t.bin", 300 * K, "good")],
    "slow": [("s.bin", 400 * K, "good")],
    "big": [("x.bin", 300 * K, "good")],
    "nosum": [("decoder.pth", 40 * K, "nosum")],
    "short": [("decoder.pth", 40 * K, "small")],
}
m = Mirror(kinds)
c = Checks()
dest = os.path.join(m.tmp, "models")


def run(*args, env=None, **kw):
    p = subprocess.run([NSTYLE, "models", *args, "--dest", dest],
                       env=env or m.env(), capture_output=True, text=True,
                       timeout=120, **kw)
    return p.returncode, p.stdout + p.stderr


def same(kind, name, root=None):
    path = os.path.join(root or dest, kind, name)
    try:
        return open(path, "rb").read() == m.data[(kind, name)]
    except OSError:
        return False


def clean(kind):
    """Neither KIND/ nor its staging folder is in DEST."""
    names = listing(dest) if os.path.isdir(dest) else []
    return not any(n == kind or n.startswith(kind + "/")
                   or n.startswith("." + kind + ".part") for n in names)


try:
    # list, usage
    rc, out = run("list")
    c.check(rc == 0 and "good" in out and "not installed" in out,
            "list: every kind, not installed", out)
    for args, what in ((("install",), "install without KIND"),
                       (("install", "nonsense"), "unknown kind"),
                       (("frobnicate",), "unknown command")):
        rc, out = run(*args)
        c.check(rc == 2, "usage error, exit 2: " + what, out)

    # a good kind, downloaded, then already there
    rc, out = run("install", "good")
    c.check(rc == 0, "install good: exit 0", out)
    c.check(all(same("good", n) for n in ("a.bin", "b.bin", "c.bin")),
            "install good: the files are byte for byte the served ones")
    c.check(not os.path.exists(os.path.join(dest, ".good.part")),
            "install good: no staging folder left")
    reqs = m.requests()
    c.check(len(reqs) == 3 and all(r[2] == "200" for r in reqs),
            "install good: three plain GETs through NS_MODELS_BASE_URL",
            str(reqs))
    rc, out = run("install", "good")
    c.check(rc == 0 and out.count("already present") == 3 and not m.requests(),
            "install good again: nothing fetched", out)

    # corrupt: checksum mismatch, nothing installed, nothing left
    rc, out = run("install", "corrupt")
    c.check(rc == 4 and "corrupt/b.bin: SHA-256 mismatch" in out,
            "corrupt: exit 4, mismatch named", out)
    c.check(clean("corrupt"), "corrupt: no corrupt/ (not even a.bin), no "
            "staging", str(listing(dest)))

    # 404
    rc, out = run("install", "missing")
    c.check(rc == 4 and "missing/gone.bin" in out and "404" in out,
            "404: exit 4, file and status named", out)
    c.check(clean("missing"), "404: nothing left", str(listing(dest)))
    m.requests()

    # truncated once: resumed with Range in the same run
    tpath = m.url_path("trunc", "t.bin")
    m.set_control({tpath: {"mode": "truncate-once", "at": 100 * K}})
    rc, out = run("install", "trunc")
    reqs = m.requests()
    c.check(rc == 0 and same("trunc", "t.bin"),
            "truncated once: installed whole", out)
    c.check(any(r[1] == "bytes=%d-" % (100 * K) and r[2] == "206"
                for r in reqs),
            "truncated once: resumed with Range: bytes=102400-", str(reqs))

    # truncated every time: error, part kept, resumed by the next run
    shutil.rmtree(os.path.join(dest, "trunc"))
    m.set_control({tpath: {"mode": "truncate", "at": 70 * K}})
    rc, out = run("install", "trunc")
    c.check(rc == 4 and "stopped after" in out and "resume" in out,
            "truncated: exit 4, says it can be resumed", out)
    c.check(not os.path.exists(os.path.join(dest, "trunc")),
            "truncated: no trunc/ folder")
    part = os.path.join(dest, ".trunc.part", "t.bin.part")
    have = os.path.getsize(part) if os.path.exists(part) else -1
    c.check(have > 0 and have % (70 * K) == 0,
            "truncated: partial download kept (%d bytes)" % have)
    m.requests()
    m.set_control({})
    rc, out = run("install", "trunc")
    reqs = m.requests()
    c.check(rc == 0 and same("trunc", "t.bin"), "resume run: installed", out)
    c.check(reqs and reqs[0][1] == "bytes=%d-" % have,
            "resume run: asked only for the missing bytes", str(reqs))
    c.check(not os.path.exists(os.path.join(dest, ".trunc.part")),
            "resume run: staging folder removed")

    # server ignoring Range: restarts from 0 and still gets it right
    shutil.rmtree(os.path.join(dest, "trunc"))
    m.set_control({tpath: {"mode": "truncate", "at": 50 * K}})
    run("install", "trunc")
    m.set_control({tpath: {"mode": "norange"}})
    rc, out = run("install", "trunc")
    c.check(rc == 0 and same("trunc", "t.bin"),
            "server ignoring Range: file right", out)
    m.set_control({})
    m.requests()

    # slow server, interrupted with SIGINT: quick exit 130, no slow/
    spath = m.url_path("slow", "s.bin")
    m.set_control({spath: {"mode": "slow", "delay": 0.05}})
    p = subprocess.Popen([NSTYLE, "models", "install", "slow", "--dest",
                          dest], env=m.env(), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    time.sleep(1.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out = p.communicate(timeout=30)[0]
    took = time.monotonic() - t0
    c.check(p.returncode == 130 and "cancelled" in out,
            "slow + Ctrl-C: exit 130, says cancelled", out)
    c.check(took < 2.0, "slow + Ctrl-C: stopped within 2 s (%.2f s)" % took)
    c.check(not os.path.exists(os.path.join(dest, "slow")),
            "slow + Ctrl-C: no slow/ folder")
    m.set_control({})
    rc, out = run("install", "slow")
    c.check(rc == 0 and same("slow", "s.bin") and "resuming" in out,
            "slow: the next run resumes and completes", out)

    # full disk: a 128 KiB file size limit (SIGXFSZ ignored: write fails
    # with EFBIG, as with ENOSPC)
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (128 * K, 128 * K))

    rc, out = run("install", "big", preexec_fn=limit)
    c.check(rc == 6 and "not enough disk space" in out,
            "file size limit: exit 6, says disk space", out)
    c.check(clean("big"), "file size limit: nothing left (no part either)",
            str(listing(dest)))

    # a real full disk, when a small tmpfs can be mounted here
    mnt = os.path.join(m.tmp, "small-fs")
    os.makedirs(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs",
                       mnt], capture_output=True).returncode == 0:
        try:
            p = subprocess.run([NSTYLE, "models", "install", "big", "--dest",
                                mnt], env=m.env(), capture_output=True,
                               text=True, timeout=60)
            out = p.stdout + p.stderr
            c.check(p.returncode == 6 and "free" in out,
                    "256 KiB tmpfs: exit 6 before downloading", out)
            c.check(listing(mnt) == [], "256 KiB tmpfs: nothing left",
                    str(listing(mnt)))
        finally:
            subprocess.run(["umount", mnt])
    else:
        print("note: cannot mount a tmpfs here (not root?); the full-disk "
              "case is covered by the file size limit above")

    # a file with no known checksum: accepted by size, sum recorded
    rc, out = run("install", "nosum")
    c.check(rc == 0 and "no SHA-256 is published" in out
            and same("nosum", "decoder.pth"),
            "no known sum: accepted by size, the user told", out)
    rec = os.path.join(dest, "nosum", ".ns-installed")
    c.check(os.path.exists(rec) and m.data[("nosum", "decoder.pth")] and
            __import__("hashlib").sha256(m.data[("nosum", "decoder.pth")])
            .hexdigest() in open(rec).read(),
            "no known sum: its SHA-256 recorded beside it")
    rc, out = run("install", "short")
    c.check(rc == 4 and clean("short"),
            "no known sum, file out of the size range: rejected", out)

    # verify
    rc, out = run("verify")
    c.check(rc == 0 and "All files verified" in out, "verify: all intact",
            out)
    with open(os.path.join(dest, "good", "b.bin"), "r+b") as f:
        f.seek(1000)
        f.write(b"\0\1\2")
    with open(os.path.join(dest, "nosum", "decoder.pth"), "r+b") as f:
        f.seek(10)
        f.write(b"\0\1\2")
    os.unlink(os.path.join(dest, "good", "c.bin"))
    rc, out = run("verify")
    c.check(rc == 4 and "good/b.bin: changed" in out
            and "good/c.bin: missing" in out
            and "nosum/decoder.pth: changed" in out,
            "verify: changed file, missing file, changed file without a "
            "published sum (against the recorded one)", out)
    rc, out = run("verify", "trunc")
    c.check(rc == 0, "verify KIND: only that kind", out)
    # install repairs the damaged kind
    rc, out = run("install", "good")
    c.check(rc == 0 and same("good", "b.bin") and same("good", "c.bin"),
            "install over a damaged kind repairs it", out)

    # offline install from a folder, both layouts
    src = os.path.join(m.tmp, "offline")
    os.makedirs(os.path.join(src, "good"))
    for n in ("a.bin", "b.bin", "c.bin"):
        open(os.path.join(src, "good", n), "wb").write(m.data[("good", n)])
    open(os.path.join(src, "t.bin"), "wb").write(m.data[("trunc", "t.bin")])
    shutil.rmtree(dest)
    m.requests()
    rc, out = run("install", "--from", src, "good")
    c.check(rc == 0 and same("good", "a.bin") and same("good", "c.bin"),
            "--from DIR KIND (DIR/KIND/FILE)", out)
    rc, out = run("install", "--from", src)
    c.check(rc == 0 and same("trunc", "t.bin")
            and "installed in" in out and not m.requests(),
            "--from DIR: every kind complete there (DIR/FILE), no network",
            out)
    rc, out = run("install", "--from", src, "corrupt")
    c.check(rc == 4 and "not found in" in out and clean("corrupt"),
            "--from DIR with a file missing: exit 4, nothing installed", out)
    open(os.path.join(src, "b.bin"), "wb").write(b"x" * (60 * K))
    os.unlink(os.path.join(src, "good", "b.bin"))
    shutil.rmtree(os.path.join(dest, "good"))
    rc, out = run("install", "--from", src, "good")
    c.check(rc == 4 and "SHA-256 mismatch" in out and clean("good"),
            "--from DIR with a wrong file: exit 4, nothing installed", out)
    rc, out = run("install", "--from", os.path.join(m.tmp, "nowhere"), "good")
    c.check(rc == 4 and "not a folder" in out, "--from a missing folder", out)
    # a broken manifest: a clear message, nothing done
    bad = os.path.join(m.tmp, "bad.ini")
    with open(bad, "w") as f:
        f.write("[kind x]\nlicense=MIT\n[x/a.bin]\nurl=http://h/a\n"
                "size=10\nsha256=nothex\nlicense=MIT\n")
    rc, out = run("list", env=m.env(NS_MODELS_MANIFEST=bad))
    c.check(rc == 4 and "Model manifest" in out and "[x/a.bin]" in out,
            "broken manifest: exit 4, the group named", out)
finally:
    m.close()

# The real manifest: every kind, and its sums against ../shared's files.
shared = os.environ.get("NS_SHARED_DIR", "")
env = dict(os.environ, LC_ALL="C")
env.pop("NS_MODELS_MANIFEST", None)
p = subprocess.run([NSTYLE, "models", "list", "--dest", "/nonexistent"],
                   env=env, capture_output=True, text=True)
counts = {l.split()[0]: re.search(r"(\d+) files", l).group(1)
          for l in p.stdout.splitlines()[1:]}
c.check(counts == {"cd16x": "10", "lst-r31": "2", "vgg19": "2", "fast": "6",
                   "microast": "4"},
        "built-in manifest: cd16x 10, lst-r31 2, vgg19 2, fast 6, "
        "microast 4 files", p.stdout + p.stderr)
models = os.path.join(shared, "models")
if os.path.isdir(os.path.join(models, "cd16x")):
    import tempfile
    d = tempfile.mkdtemp(prefix="ns-models-real-")
    try:
        for kind, src in (("cd16x", models), ("lst-r31", models),
                          ("microast", models),
                          ("fast", os.path.join(models, "fast-ncnn"))):
            p = subprocess.run([NSTYLE, "models", "install", "--from", src,
                                kind, "--dest", d], env=env,
                               capture_output=True, text=True)
            c.check(p.returncode == 0,
                    "built-in manifest: %s from %s, every sum right"
                    % (kind, src), p.stdout + p.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)
else:
    print("note: %s not found: the built-in sums are not checked against "
          "the shared model files" % models)
c.done()
