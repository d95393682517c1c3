#!/bin/bash
# The README's five fast styles on one (generated) photo, with times:
#   tools/docs/fast-styles.sh NSTYLE [FAST_MODEL_DIR]
# Draws the scene (make-images.py), runs each fast style with 2 threads,
# prints wall time and peak RSS per style, and writes
# docs/images/fast-styles.png (photo + five results, 256 px tiles).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nstyle=$1
models=${2:-$here/../../../shared/models/fast-ncnn}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$here/make-images.py" "$work" >/dev/null
lscpu | grep 'Model name'
for s in candy mosaic pointilism rain_princess udnie; do
  /usr/bin/time -f "$s: %e s, peak RSS %M KB" "$nstyle" -q -t 2 -c "$work/scene.png" \
    --fast-style "$s" --model "$models" -o "$work/$s.png"
done
/usr/bin/python3 - "$work" "$here/../../docs/images/fast-styles.png" <<'PY'
import sys
from PIL import Image, ImageDraw
work, dest = sys.argv[1:3]
names = ['scene', 'candy', 'mosaic', 'pointilism', 'rain_princess', 'udnie']
W, H = 256, 192
out = Image.new('RGB', (W * 3, (H + 18) * 2), 'white')
d = ImageDraw.Draw(out)
for i, n in enumerate(names):
    im = Image.open('%s/%s.png' % (work, n)).convert('RGB').resize((W, H), Image.LANCZOS)
    x, y = (i % 3) * W, (i // 3) * (H + 18)
    out.paste(im, (x, y + 18))
    d.text((x + 4, y + 3), 'photo' if n == 'scene' else n, fill='black')
out.quantize(colors=256, method=Image.MEDIANCUT).save(dest, optimize=True)
print('wrote', dest)
PY
