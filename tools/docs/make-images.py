#!/usr/bin/python3
"""Draws the README's test pictures procedurally (no third-party images):
  make-images.py OUTDIR
writes OUTDIR/scene.png (a house on hills under a sun, 640x480) and
OUTDIR/swirls.png (bold swirling strokes, 512x512).  Deterministic: the
same PIL version gives the same pixels (fixed random seed)."""
import math
import random
import sys

from PIL import Image, ImageDraw, ImageFilter


def lerp(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def scene(path, w=640, h=480):
    img = Image.new('RGB', (w, h))
    d = ImageDraw.Draw(img)
    # sky: deep blue at the top to pale near the horizon
    for y in range(h):
        d.line([(0, y), (w, y)], fill=lerp((40, 90, 190), (200, 225, 245), min(1, y / (h * 0.62))))
    # sun with a soft glow
    sx, sy = 500, 95
    glow = Image.new('L', (w, h), 0)
    ImageDraw.Draw(glow).ellipse([sx - 90, sy - 90, sx + 90, sy + 90], fill=150)
    glow = glow.filter(ImageFilter.GaussianBlur(30))
    img.paste(Image.new('RGB', (w, h), (255, 230, 150)), (0, 0), glow)
    d.ellipse([sx - 42, sy - 42, sx + 42, sy + 42], fill=(255, 215, 60))
    # clouds
    for cx, cy, s in ((130, 80, 1.0), (300, 130, 0.7)):
        for dx, dy, r in ((0, 0, 30), (32, -12, 34), (66, 0, 28), (34, 10, 30)):
            d.ellipse([cx + s * (dx - r), cy + s * (dy - r), cx + s * (dx + r), cy + s * (dy + r)],
                      fill=(250, 250, 252))
    # hills: far, then near
    def hill(base, amp, freq, phase, colour):
        pts = [(0, h)]
        for x in range(0, w + 1, 4):
            pts.append((x, base - amp * math.sin(freq * x / w * math.pi + phase)))
        pts.append((w, h))
        d.polygon(pts, fill=colour)
    hill(330, 60, 1.6, 0.3, (90, 150, 90))
    hill(380, 45, 2.2, 2.0, (60, 130, 50))
    hill(430, 25, 1.3, 1.0, (80, 160, 60))
    # a path
    d.polygon([(300, h), (380, h), (330, 385), (318, 385)], fill=(200, 175, 120))
    # house: walls, roof, door, windows, chimney
    hx, hy, hw, hh = 220, 270, 190, 120
    d.rectangle([hx + 140, hy - 95, hx + 162, hy - 30], fill=(140, 60, 50))
    d.rectangle([hx, hy, hx + hw, hy + hh], fill=(235, 215, 170), outline=(90, 60, 40), width=3)
    d.polygon([(hx - 20, hy + 2), (hx + hw // 2, hy - 85), (hx + hw + 20, hy + 2)],
              fill=(180, 50, 40), outline=(90, 30, 20))
    d.rectangle([hx + 80, hy + 50, hx + 112, hy + hh], fill=(110, 70, 40), outline=(60, 40, 20), width=2)
    for wx in (hx + 22, hx + 138):
        d.rectangle([wx, hy + 30, wx + 34, hy + 64], fill=(150, 200, 235), outline=(255, 255, 255), width=3)
        d.line([(wx + 17, hy + 30), (wx + 17, hy + 64)], fill=(255, 255, 255), width=2)
        d.line([(wx, hy + 47), (wx + 34, hy + 47)], fill=(255, 255, 255), width=2)
    # a tree
    d.rectangle([505, 300, 520, 390], fill=(100, 65, 35))
    for ox, oy, r in ((512, 280, 45), (485, 300, 32), (540, 300, 32), (512, 250, 34)):
        d.ellipse([ox - r, oy - r, ox + r, oy + r], fill=(40, 110, 45))
    # flowers
    rnd = random.Random(7)
    for _ in range(60):
        x, y = rnd.randrange(0, w), rnd.randrange(410, h)
        d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=rnd.choice([(240, 80, 80), (250, 220, 70), (255, 255, 255)]))
    img.save(path, optimize=True)


def swirls(path, n=512):
    img = Image.new('RGB', (n, n), (20, 35, 90))
    d = ImageDraw.Draw(img)
    rnd = random.Random(42)
    centres = [(150, 160, 1), (370, 300, -1), (120, 410, 1), (420, 90, -1)]
    palette = [(30, 60, 150), (50, 100, 200), (90, 150, 230), (240, 210, 60),
               (250, 240, 160), (230, 120, 40), (20, 30, 70), (120, 190, 220)]

    def field(x, y):
        vx = vy = 0.0
        for cx, cy, s in centres:
            dx, dy = x - cx, y - cy
            r2 = dx * dx + dy * dy + 400
            vx += s * -dy / r2 * 4000
            vy += s * dx / r2 * 4000
        vx += 0.6  # a slow drift so strokes do not only circle
        m = math.hypot(vx, vy) or 1
        return vx / m, vy / m

    for layer, (count, width, length) in enumerate(((500, 14, 60), (1400, 8, 40), (1500, 4, 26))):
        for _ in range(count):
            x, y = rnd.uniform(-20, n + 20), rnd.uniform(-20, n + 20)
            dist = min(math.hypot(x - cx, y - cy) for cx, cy, _ in centres)
            colour = palette[rnd.randrange(3, 6)] if dist < 55 and rnd.random() < 0.8 \
                else palette[rnd.choice([0, 1, 2, 6, 7, 1, 2])]
            pts = [(x, y)]
            for _ in range(int(length / 4)):
                vx, vy = field(x, y)
                x, y = x + 4 * vx, y + 4 * vy
                pts.append((x, y))
            d.line(pts, fill=colour, width=width, joint='curve')
    img = img.filter(ImageFilter.SMOOTH)
    img.save(path, optimize=True)


if __name__ == '__main__':
    out = sys.argv[1] if len(sys.argv) > 1 else '.'
    scene(out + '/scene.png')
    swirls(out + '/swirls.png')
