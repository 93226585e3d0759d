"""Flicker and abs_rel of a model on a synthetic moving-camera walk, with
and without temporal smoothing.

``python tools/analysis_tools/temporal_consistency.py CONFIG CHECKPOINT
[--strength 0.5] [--frames 16] [--size 168 224] [--scenes 0 1 2]``
"""
import argparse

import numpy as np

from da2zoe.apis import inference, init_model
from da2zoe.apis.temporal import TemporalSmoother
from da2zoe.evaluation.temporal import temporal_flicker
from da2zoe.testing.synthetic_sequence import render_sequence


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(allow_abbrev=False,
                                     description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--strength', type=float, nargs='+',
                        default=[0.5])
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--size', type=int, nargs=2, default=(168, 224))
    parser.add_argument('--scenes', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--seed', type=int, default=1000)
    return parser.parse_args()


def abs_rel(depths, gts) -> float:
    """Mean over frames of the per-frame abs_rel."""
    return float(np.mean([np.mean(np.abs(d - g) / g)
                          for d, g in zip(depths, gts)]))


def main() -> None:
    args = parse_args()
    model = init_model(args.config, args.checkpoint)
    rows = {s: [] for s in [0.0, *args.strength]}
    for scene in args.scenes:
        walk = render_sequence(scene, args.seed, tuple(args.size),
                               args.frames)
        raw = inference(model, walk.rgb, rgb=True)
        for strength in rows:
            smoother = TemporalSmoother(strength)
            out = [smoother(d, im) for d, im in zip(raw, walk.rgb)]
            flicker = temporal_flicker(out, walk.rgb, walk.depth)
            rows[strength].append((flicker['flicker'], flicker['flicker_gt'],
                                   abs_rel(out, walk.depth)))
    floor = np.mean([temporal_flicker(w.depth, w.rgb)['flicker'] for w in [
        render_sequence(s, args.seed, tuple(args.size), args.frames)
        for s in args.scenes]])
    print(f'{len(args.scenes)} walks x {args.frames} frames at '
          f'{args.size[0]}x{args.size[1]}; ground-truth flicker (real '
          f'motion) {floor:.4f}')
    print(f'{"smoothing":>10} {"flicker":>9} {"flicker_gt":>11} '
          f'{"abs_rel":>8}')
    for strength, values in rows.items():
        f, fg, ar = np.mean(values, axis=0)
        print(f'{strength:>10.2f} {f:>9.4f} {fg:>11.4f} {ar:>8.4f}')


if __name__ == '__main__':
    main()
