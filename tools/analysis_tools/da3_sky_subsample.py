"""Effect of Depth Anything 3's random sky subsample against our exact rule.

``python tools/analysis_tools/da3_sky_subsample.py [--size 504 378]
[--draws 1000] [--weights SPEC] [--json OUT]``

Runs a DA3 mono network (by default the tiny golden one of
``tests/data/golden/da3_mono_tiny.npz``; ``--weights`` takes a released
snapshot, e.g. ``hf://depth-anything/DA3MONO-LARGE``, with the da3-vitl
arch) in float64 on a synthetic room rendered at ``--size``, then compares
the sky depth of :func:`~da2zoe.models.heads.sky_fill.fill_sky_depth`
(exact 0.99 quantile of all non-sky pixels) with the reference's
(``torch.randint`` subsample of 100,000 when there are more) over
``--draws`` draws. ``--sky-fraction`` overrides the network's sky score with
the top rows of the image (the tiny random network's own sky may not leave
more than 100,000 non-sky pixels, the only case where the two differ).
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch

from da2zoe.analysis.sky_subsample import sky_subsample_effect
from da2zoe.checkpoint import load_pretrained
from da2zoe.models.depthers.metric_depther import MetricDepther
from da2zoe.testing import render_scene
from da2zoe.testing.da3_snapshot import TINY_DA3_BACKBONE, TINY_DA3_HEAD

GOLDEN = (Path(__file__).resolve().parents[2] / 'tests' / 'data' / 'golden'
          / 'da3_mono_tiny.npz')
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, nargs=2, default=(504, 378),
                        metavar=('H', 'W'), help='multiples of 14')
    parser.add_argument('--draws', type=int, default=1000)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--scene', type=int, default=0)
    parser.add_argument('--sky-fraction', type=float, default=None)
    parser.add_argument('--weights', default=None,
                        help='a released DA3 mono snapshot (da3-vitl)')
    parser.add_argument('--json', default=None, help='write the figures')
    return parser.parse_args()


def build(weights: str | None) -> MetricDepther:
    """The network, float64, eval mode."""
    if weights is None:
        model = MetricDepther(backbone=TINY_DA3_BACKBONE, neck=None,
                              head=TINY_DA3_HEAD)
        with np.load(GOLDEN, allow_pickle=False) as data:
            weights = {k[len('param/'):]: torch.from_numpy(data[k])
                       for k in data.files if k.startswith('param/')}
    else:
        model = MetricDepther(backbone=dict(type='DINOv2', arch='da3-vitl'),
                              neck=None, head=dict(type='DA3DPTHead'))
    load_pretrained(model.double(), weights, strict=True)
    return model.eval()


def main() -> None:
    args = parse_args()
    height, width = args.size
    rgb = render_scene(args.scene, seed=args.seed, size=(height, width)).rgb
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].double() / 255
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(
        STD).view(1, 3, 1, 1)
    model = build(args.weights)
    with torch.no_grad():
        out = model.head(model.backbone(x), input_shape=(height, width))
    sky = out['sky']
    if args.sky_fraction is not None:
        sky = torch.zeros_like(sky)
        sky[..., :round(args.sky_fraction * height), :] = 1.0
    stats = sky_subsample_effect(out['head_depth'], sky, args.draws,
                                 args.seed)
    stats.update(size=[height, width],
                 weights=args.weights or 'golden tiny',
                 sky_source=('top rows' if args.sky_fraction is not None
                             else 'network'))
    for key, value in stats.items():
        print(f'{key:>20}: {value}')
    if args.json:
        Path(args.json).write_text(json.dumps(stats, indent=2))


if __name__ == '__main__':
    main()
