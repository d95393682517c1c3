#!/usr/bin/python3
"""Writes vgg_normalised.pth and decoder.pth with RANDOM weights of the
real shapes, in naoto0804/pytorch-AdaIN's layout (nn.Sequential keys) and
PyTorch's legacy (non-zip) serialisation, like the published files.

The canonical files are 80 MB and not redistributable here; random weights
time the same, which is all the benchmark needs.

  make_random_vgg19.py OUTDIR [--seed N]

Prints "ok 0 0" on success (the answer line ns-bench reads).
"""
import argparse
import os
import sys

import torch
import torch.nn as nn


def vgg_normalised():
    # Exactly pytorch-AdaIN net.py's `vgg`, to relu5_4.
    def block(cin, cout):
        return [nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(cin, cout, (3, 3)),
                nn.ReLU()]

    def pool():
        return [nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True)]

    layers = [nn.Conv2d(3, 3, (1, 1))]
    layers += block(3, 64) + block(64, 64) + pool()
    layers += block(64, 128) + block(128, 128) + pool()
    layers += block(128, 256) + block(256, 256) + block(256, 256) \
        + block(256, 256) + pool()
    layers += block(256, 512) + block(512, 512) + block(512, 512) \
        + block(512, 512) + pool()
    layers += block(512, 512) + block(512, 512) + block(512, 512) \
        + block(512, 512)
    return nn.Sequential(*layers)


def decoder():
    # Exactly pytorch-AdaIN net.py's `decoder`.
    def block(cin, cout, relu=True):
        m = [nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(cin, cout, (3, 3))]
        return m + [nn.ReLU()] if relu else m

    up = [nn.Upsample(scale_factor=2, mode='nearest')]
    layers = block(512, 256) + up
    layers += block(256, 256) + block(256, 256) + block(256, 256) \
        + block(256, 128) + up
    layers += block(128, 128) + block(128, 64) + up
    layers += block(64, 64) + block(64, 3, relu=False)
    return nn.Sequential(*layers)


def randomise(net, gen):
    # He-scaled normal weights keep activations O(1) through 20+ layers.
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen)
                               * (2.0 / fan_in) ** 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.01)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('outdir')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    gen = torch.Generator().manual_seed(a.seed)
    vgg, dec = vgg_normalised(), decoder()
    randomise(vgg, gen)
    randomise(dec, gen)
    os.makedirs(a.outdir, exist_ok=True)
    torch.save(vgg.state_dict(), os.path.join(a.outdir, 'vgg_normalised.pth'),
               _use_new_zipfile_serialization=False)
    torch.save(dec.state_dict(), os.path.join(a.outdir, 'decoder.pth'),
               _use_new_zipfile_serialization=False)
    print('ok 0 0')
    return 0


if __name__ == '__main__':
    sys.exit(main())
