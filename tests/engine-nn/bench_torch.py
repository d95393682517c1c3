#!/usr/bin/env python3
"""PyTorch reference timings for bench-conv: the same conv shapes (reflection
pad + conv + ReLU) and canonical AdaIN (VGG-19 to relu4_1 on content and
style + decoder) at SIZE x SIZE with THREADS threads.

usage: /usr/bin/python3 bench_torch.py [SIZE [THREADS [REPEATS [net]]]]
("net": only the whole network, not each layer)
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

size = int(sys.argv[1]) if len(sys.argv) > 1 else 512
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
net_only = len(sys.argv) > 4 and sys.argv[4] == "net"
torch.set_num_threads(threads)

ENC = [(3, 3, 1, 1), (3, 64, 3, 1), (64, 64, 3, 1), "pool", (64, 128, 3, 2),
       (128, 128, 3, 2), "pool", (128, 256, 3, 4), (256, 256, 3, 4),
       (256, 256, 3, 4), (256, 256, 3, 4), "pool", (256, 512, 3, 8)]
DEC = [(512, 256, 3, 8), "up", (256, 256, 3, 4), (256, 256, 3, 4),
       (256, 256, 3, 4), (256, 128, 3, 4), "up", (128, 128, 3, 2),
       (128, 64, 3, 2), "up", (64, 64, 3, 1), (64, 3, 3, 1)]


def seq(spec, last_relu=True):
    layers = []
    for i, s in enumerate(spec):
        if s == "pool":
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        elif s == "up":
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
        else:
            if s[2] == 3:
                layers.append(nn.ReflectionPad2d(1))
            layers.append(nn.Conv2d(s[0], s[1], s[2]))
            if s[2] == 3 and (last_relu or i < len(spec) - 1):
                layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def best(fn):
    t = 1e9
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


with torch.no_grad():
    print("%-24s %10s %8s %9s" % ("conv (cin->cout k @HxW)", "GFLOP", "ms",
                                  "GFLOP/s"))
    for part, spec in () if net_only else (("enc", ENC), ("dec", DEC)):
        for s in spec:
            if isinstance(s, str):
                continue
            hw = size // s[3]
            m = seq([s])
            x = torch.rand(1, s[0], hw, hw)
            t = best(lambda: m(x))
            gf = 2.0 * s[0] * s[1] * s[2] * s[2] * hw * hw * 1e-9
            print("%-24s %10.2f %8.1f %9.1f" % (
                "%s %d->%d %dx%d @%d" % (part, s[0], s[1], s[2], s[2], hw),
                gf, t * 1e3, gf / t))
    enc, dec = seq(ENC), seq(DEC, last_relu=False)
    x = torch.rand(1, 3, size, size)

    def adain():
        fc = enc(x)
        fs = enc(x)
        return dec(fc + 0 * fs)

    def enc_dec():
        return dec(enc(x))

    for _ in range(reps):
        t0 = time.perf_counter()
        adain()
        t1 = time.perf_counter()
        c0 = time.process_time()
        enc_dec()
        print("AdaIN (2 enc + dec) %.3f s; enc + dec CPU time %.3f s"
              % (t1 - t0, time.process_time() - c0))
    print("canonical AdaIN at %dx%d, %d threads (torch %s): best %.3f s"
          % (size, size, threads, torch.__version__, best(adain)))
