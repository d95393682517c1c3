#!/usr/bin/python3
"""Time and memory of nstyle by layer size (issue 9): prints, never asserts.

  tools/bench/size-bench.py build/tools/nstyle/nstyle [--shared DIR]
      [--budget MB] [--sizes 1155x866,4000x3000,6000x4000,8000x8000]
      [--format png|jpg] [--method cascade-adain]

For each size a content is made from SHARED/images/content/tubingen.jpg
(scaled with GdkPixbuf, written as PNG in a scratch folder) and stylized
with SHARED/images/style/starry_night.jpg and SHARED/models/cd16x at
--memory-budget MB.  Per size: wall seconds, the engine's part (nstyle's
"stylization" time; the rest is decoding, encoding, loading), the peak
resident memory of that nstyle process alone (os.wait4), and the plan from
nstyle's summary line (design size, tile, planned MB); then the time and
peak RSS of each engine stage in the order run (nstyle's progress bar,
read through a pseudo-terminal), which shows where the time goes.  Issue 9's targets,
on 2 cores: 8000x8000 within 2.2 GiB and 60 s; 4000x3000 within 10 s.
Figures taken while other jobs run are loaded: the load average is
printed before and after each run."""
import argparse
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf  # noqa: E402


def cpu_model():
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith('Model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown'


def load_avg():
    return '%.2f' % os.getloadavg()[0]


def run(cmd):
    """-> (exit code, stderr, wall seconds, peak RSS MiB, stages) of CMD
    alone.  stderr is a terminal so that nstyle draws its progress bar,
    which names the engine's stage: STAGES lists (name, seconds spent,
    peak RSS MiB seen while in it), RSS sampled from /proc every 50 ms."""
    master, slave = pty.openpty()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave,
                         stdin=subprocess.DEVNULL)
    os.close(slave)
    text, stages, cur = b'', [], None
    status = usage = None
    while status is None:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b''
            text += chunk
            for seg in chunk.split(b'\r'):
                m = re.search(rb'\]\s+\d+%  (.{24}) ', seg)
                if m:
                    name = m.group(1).decode(errors='replace').strip()
                    if not cur or cur[0] != name:
                        cur = [name, time.monotonic(), 0.0]
                        stages.append(cur)
        rss = 0.0
        try:
            with open('/proc/%d/status' % p.pid) as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        rss = int(line.split()[1]) / 1024.0
        except OSError:
            pass
        if cur:
            cur[2] = max(cur[2], rss)
        pid, st, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            status, usage = st, ru
    t = time.monotonic() - t0
    try:
        while True:
            chunk = os.read(master, 65536)
            if not chunk:
                break
            text += chunk
    except OSError:
        pass
    os.close(master)
    out = []
    for i, (name, start, peak) in enumerate(stages):
        end = stages[i + 1][1] if i + 1 < len(stages) else t0 + t
        out.append((name, end - start, peak))
    return (os.waitstatus_to_exitcode(status),
            text.decode(errors='replace'), t, usage.ru_maxrss / 1024.0, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('nstyle')
    ap.add_argument('--shared', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', '..',
        'shared'))
    ap.add_argument('--budget', type=int, default=2048)
    ap.add_argument('--sizes', default='1155x866,4000x3000,6000x4000,'
                    '8000x8000')
    ap.add_argument('--format', default='png', choices=('png', 'jpg'))
    ap.add_argument('--method', default='cascade-adain')
    a = ap.parse_args()

    model = os.path.join(a.shared, 'models', 'cd16x')
    content = os.path.join(a.shared, 'images', 'content', 'tubingen.jpg')
    style = os.path.join(a.shared, 'images', 'style', 'starry_night.jpg')
    for p in (model, content, style):
        if not os.path.exists(p):
            print('size-bench: %s not found (--shared DIR)' % p)
            return 77
    tmp = tempfile.mkdtemp(prefix='size-bench-')
    print('CPU: %s, %d cores; nstyle %s; method %s, cd16x, starry_night, '
          '--memory-budget %d, output .%s'
          % (cpu_model(), os.cpu_count(), a.nstyle, a.method, a.budget,
             a.format))
    print('%-10s %6s %8s %8s %9s %-28s %s' % (
        'size', 'MP', 'wall s', 'engine s', 'peak MiB', 'plan',
        'load before/after'))
    try:
        src = GdkPixbuf.Pixbuf.new_from_file(content)
        for size in a.sizes.split(','):
            w, h = (int(v) for v in size.split('x'))
            cpath = os.path.join(tmp, 'content.png')
            src.scale_simple(w, h, GdkPixbuf.InterpType.BILINEAR).savev(
                cpath, 'png', [], [])
            out = os.path.join(tmp, 'out.' + a.format)
            before = load_avg()
            rc, se, t, rss, stages = run([a.nstyle, '-c', cpath, '-s', style,
                                  '--model', model, '-m', a.method,
                                  '--memory-budget', str(a.budget), '-o',
                                  out])
            after = load_avg()
            se = se.replace('\r', '\n')
            m = re.search(r'design (\d+x\d+), tiles (\d+), (\d+) of', se)
            plan = ('design %s, tiles %s, %s MB' % m.groups() if m
                    else 'one pass (no tiles)')
            e = re.search(r'stylization ([\d.]+) s', se)
            if rc != 0:
                plan = 'FAILED (exit %d): %s' % (rc, se.strip()[-200:])
            print('%-10s %6.1f %8.1f %8s %9.0f %-28s %s/%s' % (
                size, w * h / 1e6, t, e.group(1) if e else '-', rss, plan,
                before, after))
            print('           stages (s, peak MiB): ' + '; '.join(
                '%s %.1f s %.0f' % st for st in stages))
            sys.stdout.flush()
            os.unlink(cpath)
            if os.path.exists(out):
                os.unlink(out)
    finally:
        shutil.rmtree(tmp, True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
