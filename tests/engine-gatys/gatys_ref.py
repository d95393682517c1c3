#!/usr/bin/python3
"""PyTorch reference for the Gatys engine (tests and benchmark).

Builds the same feature network as engine/gatys/featnet.c (the VGG table
of engine/nn/vgg.c) from the model files and computes the same objective
(see engine/gatys/gatys.h):
  content = |F - Fc|^2 / |Fc|^2
  style   = sum_l (1/L) |G_l - S_l|^2 / |S_l|^2,  G = F F^T / (H W)
  tv      = (sum of squared x and y neighbour differences) / (C H W)
  total   = cw * content + sw * style + tvw * tv

  gatys_ref.py grad KIND MODEL_FILE DIR CW SW TVW
      reads DIR/{x,content,style}.npy (3 x H x W float32), writes
      DIR/ref_loss.npy [total, content, style, tv] and DIR/ref_grad.npy
      (float64 autograd).
  gatys_ref.py bench KIND MODEL_FILE DIR ITERS HISTORY
      times torch.optim.LBFGS (no line search, from the content) on
      DIR/{content,style}.npy with cw 1, sw 100, tvw 0; prints one line
      "torch S_PER_EVAL EVALS SECONDS TOTAL STYLE".
  gatys_ref.py mkvgg OUT
      writes a vgg_normalised.pth-shaped file (legacy format, keys 0..42,
      i.e. up to conv5_1) with the real input layer and He-initialised
      random convolutions (seed 0).
KIND: cd16x (enc5.pth with the conv*_aux heads) or vgg19 (vgg_normalised.pth
layout) or lst (vgg_r31.pth).
"""
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def layers(kind):
    if kind == 'cd16x':
        ops = ['conv0', 'conv11', 'conv12', 'P', 'conv21', 'conv22', 'P',
               'conv31', 'conv32', 'conv33', 'conv34', 'P', 'conv41',
               'conv42', 'conv43', 'conv44', 'P', 'conv51']
        style = [(1, 'conv11_aux'), (4, 'conv21_aux'), (7, 'conv31_aux'),
                 (12, 'conv41_aux'), (17, 'conv51_aux')]
        content = (7, 'conv31_aux')
        ceil = False
    elif kind == 'vgg19':
        ops = ['0', '2', '5', 'P', '9', '12', 'P', '16', '19', '22', '25',
               'P', '29', '32', '35', '38', 'P', '42']
        style = [(1, None), (4, None), (7, None), (12, None), (17, None)]
        content = (13, None)
        ceil = True
    else:
        ops = ['conv1', 'conv2', 'conv3', 'P', 'conv4', 'conv5', 'P', 'conv6']
        style = [(1, None), (4, None), (7, None)]
        content = (7, None)
        ceil = False
    return ops, style, content, ceil


class Net:
    def __init__(self, kind, path, dtype):
        sd = torch.load(path, map_location='cpu')
        if 'model' in sd:
            sd = sd['model']
        self.w = {k: v.to(dtype) for k, v in sd.items()
                  if torch.is_tensor(v)}
        self.ops, self.style, self.content, self.ceil = layers(kind)
        self.last = max([t[0] for t in self.style] + [self.content[0]])

    def conv(self, x, key, relu=True):
        w = self.w[key + '.weight']
        b = self.w.get(key + '.bias')
        if w.shape[-1] == 3:
            x = F.pad(x, (1, 1, 1, 1), mode='reflect')
        x = F.conv2d(x, w, b)
        return F.relu(x) if relu else x

    def taps(self, img):
        """Features at the style taps and the content tap."""
        x = img.unsqueeze(0)
        acts = []
        for i, op in enumerate(self.ops[:self.last + 1]):
            if op == 'P':
                x = F.max_pool2d(x, 2, 2, ceil_mode=self.ceil)
            else:
                x = self.conv(x, op, relu=(i != 0))
            acts.append(x)
        cache = {}

        def tap(t):
            if t not in cache:
                op, head = t
                cache[t] = (self.conv(acts[op], head) if head
                            else acts[op])[0]
            return cache[t]
        return [tap(t) for t in self.style], tap(self.content)


def gram(f):
    c = f.shape[0]
    f = f.reshape(c, -1)
    return f @ f.t() / f.shape[1]


class Objective:
    def __init__(self, net, content, styles, cw, sw, tvw):
        self.net, self.cw, self.sw, self.tvw = net, cw, sw, tvw
        with torch.no_grad():
            _, self.fc = net.taps(content)
            grams = None
            for s in styles:
                g = [gram(f) for f in net.taps(s)[0]]
                grams = g if grams is None else [a + b for a, b in
                                                 zip(grams, g)]
            self.s = [g / len(styles) for g in grams]

    def __call__(self, x):
        fs, fc = self.net.taps(x)
        lc = ((fc - self.fc) ** 2).sum() / (self.fc ** 2).sum()
        ls = sum(((gram(f) - s) ** 2).sum() / (s ** 2).sum()
                 for f, s in zip(fs, self.s)) / len(fs)
        c, h, w = x.shape
        tv = (((x[:, :, 1:] - x[:, :, :-1]) ** 2).sum()
              + ((x[:, 1:, :] - x[:, :-1, :]) ** 2).sum()) / (c * h * w)
        total = self.cw * lc + self.sw * ls + self.tvw * tv
        return total, lc, ls, tv


def cmd_grad(kind, path, d, cw, sw, tvw):
    dt = torch.float64
    net = Net(kind, path, dt)
    load = lambda n: torch.from_numpy(np.load(f'{d}/{n}.npy')).to(dt)
    obj = Objective(net, load('content'), [load('style')], cw, sw, tvw)
    x = load('x').requires_grad_(True)
    total, lc, ls, tv = obj(x)
    total.backward()
    np.save(f'{d}/ref_loss.npy', np.array(
        [total.item(), cw * lc.item(), sw * ls.item(), tvw * tv.item()],
        dtype=np.float32))
    np.save(f'{d}/ref_grad.npy', x.grad.numpy().astype(np.float32))


def cmd_bench(kind, path, d, iters, history):
    torch.set_num_threads(2)
    net = Net(kind, path, torch.float32)
    load = lambda n: torch.from_numpy(np.load(f'{d}/{n}.npy'))
    content, style = load('content'), load('style')
    obj = Objective(net, content, [style], 1.0, 100.0, 0.0)
    x = content.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=iters, history_size=history,
                            tolerance_grad=0, tolerance_change=0)
    evals = [0]

    def closure():
        opt.zero_grad()
        total = obj(x)[0]
        total.backward()
        evals[0] += 1
        return total
    t0 = time.perf_counter()
    opt.step(closure)
    dt = time.perf_counter() - t0
    with torch.no_grad():
        total, lc, ls, tv = obj(x)
    print(f'torch {dt / evals[0]:.5f} {evals[0]} {dt:.3f} {total.item():.7g} '
          f'{100 * ls.item():.7g}')


def cmd_mkvgg(out):
    torch.manual_seed(0)
    # Up to conv5_1 (key 42), all the Gatys losses read: conv5_2..5_4
    # would only make the file 28 MB larger.
    widths = [64, 64, 'P', 128, 128, 'P', 256, 256, 256, 256, 'P',
              512, 512, 512, 512, 'P', 512]
    sd = {}
    w0 = torch.zeros(3, 3, 1, 1)
    for o, i in ((0, 2), (1, 1), (2, 0)):
        w0[o, i] = 255.0
    sd['0.weight'] = w0
    sd['0.bias'] = torch.tensor([-103.939, -116.779, -123.68])
    idx, cin = 2, 3
    for w in widths:
        if w == 'P':
            idx += 1
            continue
        std = (2.0 / (cin * 9)) ** 0.5
        sd[f'{idx}.weight'] = torch.randn(w, cin, 3, 3) * std
        sd[f'{idx}.bias'] = torch.zeros(w)
        cin = w
        idx += 3
    torch.save(sd, out, _use_new_zipfile_serialization=False)


def main():
    if sys.argv[1] == 'grad':
        cmd_grad(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]),
                 float(sys.argv[6]), float(sys.argv[7]))
    elif sys.argv[1] == 'bench':
        cmd_bench(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
                  int(sys.argv[6]))
    else:
        cmd_mkvgg(sys.argv[2])


if __name__ == '__main__':
    main()
