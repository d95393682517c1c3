#!/usr/bin/python3
"""Benchmark (prints, asserts nothing): seconds of MicroAST at 683x512 and
1024x768 through ns_stylize (microast-driver, best of 3 runs after one
warm-up, 2 threads) against the PyTorch reference (microast_ref.py, torch
2 threads, best of 3 after one warm-up), style at 512 px, and the CPU.

usage: bench_microast.py MICROAST_DRIVER
Exit 77 when torch or ../shared is absent."""

import os
import re
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
except ImportError as e:
    print("SKIP: needs torch and numpy (%s)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import microast_ref  # noqa: E402
import test_microast as T  # noqa: E402

torch.set_num_threads(2)


def main():
    driver = sys.argv[1]
    if not all(os.path.exists(os.path.join(T.MODEL, f))
               for f in microast_ref.FILES):
        print("SKIP: %s incomplete" % T.MODEL)
        sys.exit(77)
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True,
                         capture_output=True, text=True).stdout.strip()
    print(cpu)
    net = microast_ref.MicroAST(T.MODEL)
    style = T.style_image("the_scream.jpg", 512)
    with tempfile.TemporaryDirectory() as tmp:
        for (w, h) in [(683, 512), (1024, 768)]:
            content = T.image(os.path.join(T.IMAGES, "content",
                                           "golden_gate.jpg"), w, h)
            np.save(os.path.join(tmp, "c.npy"), content)
            np.save(os.path.join(tmp, "s.npy"), style)
            r = subprocess.run([driver, "run", T.MODEL, "microast", "1",
                                os.path.join(tmp, "c.npy"),
                                os.path.join(tmp, "o.npy"), "-r", "4",
                                "-t", "2", os.path.join(tmp, "s.npy")],
                               capture_output=True, text=True, check=True)
            ours = min(float(t) for t in
                       re.findall(r"time ([0-9.]+) s", r.stdout)[1:])
            c = torch.from_numpy(content)[None]
            s = torch.from_numpy(style)[None]
            times = []
            for _ in range(4):
                t0 = time.perf_counter()
                net(c, [s])
                times.append(time.perf_counter() - t0)
            print("microast %4dx%-4d  ours %.3f s   pytorch %.3f s   "
                  "(x%.1f)" % (w, h, ours, min(times[1:]),
                               min(times[1:]) / ours))


if __name__ == "__main__":
    main()
