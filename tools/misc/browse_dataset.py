"""Preview a dataset config after its pipeline and print depth statistics.

Writes ``<out>/<index>_<name>.png`` = image | depth (the toolbox's colours,
:func:`da2zoe.visualization.colorize_depth`: turbo, blue near, red far,
invalid pixels grey; labelled, with a colour bar) |
valid mask, and prints, per dataset, the min / median / max
of valid depth in metres and the valid fraction: a wrong decoding rule or
``depth_scale`` shows at once (NYU should read ~0.5..10 m, KITTI ~1..80 m).

Usage::

    python tools/misc/browse_dataset.py configs/_base_/datasets/nyu.py \\
        --split train --out work_dirs/browse --num 8
"""
import argparse
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.config import Config, DictAction

from da2zoe.registry import DATASETS
from da2zoe.visualization import colorize_depth, depth_range, draw_colorbar
from da2zoe.visualization.colorbar import label_panel
from da2zoe.visualization.depth_visualizer import write_rgb

LOADERS = dict(train='train_dataloader', val='val_dataloader',
               test='test_dataloader')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (default: ``sys.argv``) into this tool's options."""
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a config with *_dataloader entries')
    parser.add_argument('--split', choices=sorted(LOADERS), default='train')
    parser.add_argument('--out', help='folder for the preview PNGs')
    parser.add_argument('--num', type=int, default=8,
                        help='samples to look at')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. train_dataloader.dataset.'
        'data_root=/data/nyu')
    return parser.parse_args(argv)


def preview(sample: dict) -> np.ndarray:
    """image | depth | mask side by side, on the ground truth's grid.

    Args:
        sample (dict): A packed sample (``inputs``, ``data_samples``).

    Returns:
        np.ndarray: (H, 3W, 3) uint8 RGB.
    """
    data = sample['data_samples']
    depth = data.gt_depth[0].numpy()
    valid = data.gt_mask[0].numpy()
    image = sample['inputs'].permute(1, 2, 0).numpy()
    if image.shape[:2] != depth.shape:  # evaluation: input resized only
        image = cv2.resize(image, depth.shape[::-1],
                           interpolation=cv2.INTER_AREA)
    mask = np.repeat(valid[..., None].astype(np.uint8) * 255, 3, axis=2)
    for r1, c1, r2, c2 in data.pairs.tolist():  # DA-2K: green near, red far
        cv2.line(image, (c1, r1), (c2, r2), (255, 255, 255), 1)
        cv2.circle(image, (c1, r1), 3, (0, 255, 0), -1)
        cv2.circle(image, (c2, r2), 3, (255, 0, 0), -1)
    if valid.any():
        vmin, vmax = depth_range(depth, valid)
        colours = draw_colorbar(
            colorize_depth(depth, vmin, vmax, invalid_mask=~valid), vmin,
            vmax)
    else:  # DA-2K: pairs only, no depth to scale a bar
        colours = colorize_depth(depth, invalid_mask=~valid)
    return np.concatenate([
        label_panel(image, 'image'),
        label_panel(colours, 'ground truth (blue near, red far)'),
        label_panel(mask, 'valid mask')
    ], axis=1)


def summarize(stats: Dict[str, List[np.ndarray]],
              fractions: Dict[str, List[float]]) -> List[str]:
    """One line per dataset: valid depth min / median / max, valid share.

    Args:
        stats (dict[str, list[np.ndarray]]): Valid depths per dataset.
        fractions (dict[str, list[float]]): Valid share per sample.

    Returns:
        list[str]: The lines.
    """
    lines = []
    for name in sorted(fractions):
        valid = np.concatenate(stats[name]) if stats[name] else np.zeros(0)
        share = float(np.mean(fractions[name]))
        if len(valid):
            line = (f'{name:>10s}: valid depth min {valid.min():.3f} m, '
                    f'median {np.median(valid):.3f} m, max {valid.max():.3f}'
                    f' m; valid fraction {share:.3f}')
            if not 0.1 <= np.median(valid) <= 100:
                line += '  <-- suspicious scale: check the decoding rule'
        else:
            line = f'{name:>10s}: no valid depth (pairs only?)'
        lines.append(line + f' ({len(fractions[name])} samples)')
    return lines


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    """Write previews and print the statistics.

    Returns:
        list[str]: The statistics lines.
    """
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset = DATASETS.build(cfg[LOADERS[args.split]]['dataset'])
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    stats, fractions = defaultdict(list), defaultdict(list)
    count = min(args.num, len(dataset))
    for index in np.linspace(0, len(dataset) - 1, count).astype(int):
        sample = dataset[int(index)]
        data = sample['data_samples']
        name = data.metainfo.get('dataset_name', 'dataset')
        valid = data.gt_mask[0].numpy()
        stats[name].append(data.gt_depth[0].numpy()[valid])
        fractions[name].append(float(valid.mean()))
        if args.out:
            path = osp.join(args.out, f'{index:06d}_{name}.png')
            write_rgb(path, preview(sample))  # OSError names the file
    lines = summarize(stats, fractions)
    print('\n'.join(lines))
    skipped = getattr(dataset, 'num_skipped', 0)
    if skipped:
        print(f'{skipped} bad samples were skipped (see the warnings above)')
    return lines


if __name__ == '__main__':
    main()
