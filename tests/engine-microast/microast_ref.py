#!/usr/bin/python3
"""PyTorch reference for MicroAST (Wang et al., AAAI 2023), written for
this project after upstream's net_microAST.py and function.py
(github.com/EndyWon/MicroAST at 5a6c9050d8c408191cb9db12c697f3e4c7ebe137,
MIT): the same modules and key names, so upstream's state dicts load with
load_state_dict (strict).  Used at test time only; it reads the same
*_iter_160000.pth.tar files as the engine.

Beyond upstream's TestNet (one style), stylize() takes several styles with
weights: their codes (the AdaIN means and standard deviations of both
style features, the modulator's weights and biases) are mixed linearly,
as the engine documents.  The output is cropped to the content's size
(upstream returns 4 * ceil(ceil(n / 2) / 2) per side), blended with the
content by the engine's strength and clamped to [0, 1] as ns_stylize
does."""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F

FILES = ["content_encoder_iter_160000.pth.tar",
         "style_encoder_iter_160000.pth.tar",
         "modulator_iter_160000.pth.tar",
         "decoder_iter_160000.pth.tar"]


def calc_mean_std(feat, eps=1e-5):
    n, c = feat.shape[:2]
    var = feat.reshape(n, c, -1).var(dim=2) + eps  # unbiased, as upstream
    return (feat.reshape(n, c, -1).mean(dim=2).reshape(n, c, 1, 1),
            var.sqrt().reshape(n, c, 1, 1))


def adain_stats(content, s_mean, s_std):
    c_mean, c_std = calc_mean_std(content)
    return (content - c_mean) / c_std * s_std + s_mean


class ConvLayer(nn.Module):
    def __init__(self, cin, cout, k, stride, groups):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(k // 2)
        self.conv_layer = nn.Conv2d(cin, cout, k, stride, groups=groups)

    def forward(self, x):
        return self.conv_layer(self.reflection_pad(x))


class ResidualLayer(nn.Module):
    def __init__(self, c=64, k=3):
        super().__init__()
        self.conv1 = ConvLayer(c, c, k, 1, 1)
        self.relu = nn.ReLU()
        self.conv2 = ConvLayer(c, c, k, 1, 1)

    def forward(self, x, weight=None, bias=None, filter_mod=False):
        if filter_mod:
            x1 = self.conv1(x)
            x3 = self.relu(weight * x1 + bias * x)
            x4 = self.conv2(x3)
            return x + weight * x4 + bias * x3
        return x + self.conv2(self.relu(self.conv1(x)))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Sequential(
            ConvLayer(3, 16, 9, 1, 1), nn.ReLU(),
            ConvLayer(16, 32, 3, 2, 16), nn.ReLU(),
            ConvLayer(32, 32, 1, 1, 1), nn.ReLU(),
            ConvLayer(32, 64, 3, 2, 32), nn.ReLU(),
            ConvLayer(64, 64, 1, 1, 1), nn.ReLU(),
            ResidualLayer(64, 3))
        self.enc2 = nn.Sequential(ResidualLayer(64, 3))

    def forward(self, x):
        x1 = self.enc1(x)
        return [x1, self.enc2(x1)]


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.dec1 = ResidualLayer(64, 3)
        self.dec2 = ResidualLayer(64, 3)
        self.dec3 = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="bilinear"),
            ConvLayer(64, 32, 3, 1, 32), nn.ReLU(),
            ConvLayer(32, 32, 1, 1, 1), nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="bilinear"),
            ConvLayer(32, 16, 3, 1, 16), nn.ReLU(),
            ConvLayer(16, 16, 1, 1, 1), nn.ReLU(),
            ConvLayer(16, 3, 9, 1, 1))

    def forward(self, x, code, alpha):
        """CODE: (means[2], stds[2], weights[2], biases[2]) per style level
        (0: after enc1, 1: after enc2), as upstream's featMod / Modulator."""
        means, stds, w, b = code
        x1 = adain_stats(x[1], means[1], stds[1])
        x1 = alpha * x1 + (1 - alpha) * x[1]
        x2 = self.dec1(x1, w[1], b[1], filter_mod=True)
        x3 = adain_stats(x2, means[0], stds[0])
        x3 = alpha * x3 + (1 - alpha) * x2
        x4 = self.dec2(x3, w[0], b[0], filter_mod=True)
        return self.dec3(x4)


class Modulator(nn.Module):
    def __init__(self):
        super().__init__()
        for name in ["weight1", "bias1", "weight2", "bias2"]:
            setattr(self, name, nn.Sequential(ConvLayer(64, 64, 3, 1, 64),
                                              nn.AdaptiveAvgPool2d((1, 1))))

    def forward(self, x):
        return ([self.weight1(x[0]), self.weight2(x[1])],
                [self.bias1(x[0]), self.bias2(x[1])])


class MicroAST(nn.Module):
    def __init__(self, model_dir):
        super().__init__()
        self.content_encoder = Encoder()
        self.style_encoder = Encoder()
        self.modulator = Modulator()
        self.decoder = Decoder()
        for mod, f in zip([self.content_encoder, self.style_encoder,
                           self.modulator, self.decoder], FILES):
            mod.load_state_dict(torch.load(os.path.join(model_dir, f),
                                           map_location="cpu"))
        self.eval()

    def style_code(self, style):
        feats = self.style_encoder(style)
        w, b = self.modulator(feats)
        stats = [calc_mean_std(f) for f in feats]
        return ([s[0] for s in stats], [s[1] for s in stats], w, b)

    @torch.no_grad()
    def forward(self, content, styles, alpha=1.0, weights=None,
                strength=1.0):
        """CONTENT 1x3xHxW, STYLES a list of 1x3xhxw in [0,1].  ALPHA is
        upstream's (feature blend); STRENGTH the engine's (image blend with
        the content after the network, see engine/microast/microast.h)."""
        weights = weights or [1.0] * len(styles)
        total = float(sum(weights))
        code = None
        for s, wt in zip(styles, weights):
            c = self.style_code(s)
            k = wt / total
            if code is None:
                code = [[k * t for t in part] for part in c]
            else:
                code = [[a + k * t for a, t in zip(pa, pc)]
                        for pa, pc in zip(code, c)]
        out = self.decoder(self.content_encoder(content), code, alpha)
        h, w = content.shape[2:]
        out = out[:, :, :h, :w]
        return (strength * out + (1 - strength) * content).clamp(0, 1)
