#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz_ncnn into DIR (default corpus-ncnn/
beside this script): tiny ncnn graphs (.param text, a NUL, the .bin) with
every layer type the reader knows, fp16 and fp32 weight tags, an array
parameter, and a .param without a .bin.  Standard library only."""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus-ncnn")
os.makedirs(out, exist_ok=True)


def conv_bin(n_out, n_in, k, fp16=True, bias=True):
    n = n_out * n_in * k * k
    vals = [((i * 37) % 17 - 8) / 16.0 for i in range(n)]
    if fp16:
        b = struct.pack("<I", 0x01306B47) + struct.pack("<%de" % n, *vals)
        b += b"\0" * (-len(b) % 4)
    else:
        b = struct.pack("<I", 0) + struct.pack("<%df" % n, *vals)
    if bias:
        b += struct.pack("<%df" % n_out, *[0.5] * n_out)
    return b


def norm_bin(c):
    return struct.pack("<%df" % (2 * c), *([1.0] * c + [0.0] * c))


seeds = {
    "tiny-fp16": ("""7767517
9 10
Input            in   0 1 in 0=8 1=8 2=3
Padding          pad  1 1 in p 0=1 1=1 2=1 3=1 4=2
Convolution      c1   1 1 p c1 0=2 1=3 3=2 5=1 6=54
InstanceNorm     n1   1 1 c1 n1 0=2 1=1.000000e-05
ReLU             r1   1 1 n1 r1
Split            s    1 2 r1 a b
BinaryOp         add  2 1 a b sum 0=0
Interp           up   1 1 sum up 0=1 1=2.000000e+00 2=2.000000e+00
Convolution      out  1 1 up out 0=3 1=1 5=1 6=6
""", conv_bin(2, 3, 3) + norm_bin(2) + conv_bin(3, 2, 1)),
    "fp32-nobias": ("""7767517
2 2
Input        in  0 1 in
Convolution  c   1 1 in c 0=1 1=1 5=0 6=3
""", conv_bin(1, 3, 1, fp16=False, bias=False)),
    "array-param": ("""7767517
3 3
Input         in  0 1 in
InstanceNorm  n   1 1 in n 0=3 1=1e-3 2=0
ReLU          r   1 1 n r 0=0.0 -23305=3,1,2.5,3
""", b""),
}

for name, (param, binary) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(param.encode() + b"\0" + binary)
with open(os.path.join(out, "param-only"), "wb") as f:
    f.write(seeds["tiny-fp16"][0].encode())
print("wrote %d seeds to %s" % (len(seeds) + 1, out))
