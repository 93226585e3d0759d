#!/usr/bin/env bash
# Writes the README's example pictures into docs/images/ and prints its
# comparison table, from a demo run (tools/demo.py --out DEMO): the first
# held-out room through tools/infer.py --vis, and the untrained start vs the
# trained model through tools/analysis_tools/compare_models.py. PNGs are
# recompressed losslessly.
# Usage: bash tools/misc/make_vis_examples.sh [DEMO_DIR] [CHECKPOINT]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEMO="${1:-$ROOT/work_dirs/demo}"
CKPT="${2:-$DEMO/work/checkpoint_latest.pth}"
PY="$ROOT/.venv/bin/python"
CFG="$ROOT/configs/da2zoe_tiny_synthetic.py"
TEST="$DEMO/data/nyu/data/nyu2_test"
ROOM="$(ls "$TEST" | grep '_colors.png$' | head -n 1)"
ROOM="${ROOM%_colors.png}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
cd "$ROOT"
"$PY" tools/infer.py "$CFG" "$CKPT" "$TEST/${ROOM}_colors.png" \
    --gt "$TEST/${ROOM}_depth.png" --vis overlay,error,anaglyph \
    --save color --out-dir "$OUT/infer"
"$PY" tools/analysis_tools/compare_models.py \
    "untrained=$CFG:$DEMO/untrained.pth" "trained=$CFG:$CKPT" \
    --dataset "$CFG" --show 1 --out-dir "$OUT/compare" \
    --cfg-options "test_dataloader.dataset.data_root=$DEMO/data/nyu"
mkdir -p docs/images
"$PY" - "$OUT" "$ROOM" <<'PYEOF'
import sys
from pathlib import Path

import cv2

out, room = Path(sys.argv[1]), sys.argv[2]
pictures = {f'vis_{kind}.png': out / 'infer' / f'{room}_colors_{kind}.png'
            for kind in ('overlay', 'error', 'anaglyph')}
pictures['vis_depth.png'] = out / 'infer' / f'{room}_colors_depth_color.png'
pictures['compare_panel.png'] = next((out / 'compare' / 'panels').glob('*'))
for name, source in pictures.items():
    image = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    target = Path('docs/images') / name
    if not cv2.imwrite(str(target), image, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f'could not write {target}')
    print(target, target.stat().st_size, 'bytes')
PYEOF
cat "$OUT/compare/comparison.md"
