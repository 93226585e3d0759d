"""Does a canonical camera help metric depth on focal lengths it never saw?

Trains the tiny synthetic config on rooms rendered with a mix of focal
lengths, once as published (the head predicts metric depth) and once with
``model.camera=dict(canonical_focal=...)``, for several seeds, and evaluates
both on held-out rooms seen through a shorter and a longer focal length than
any in training (each evaluation sample carries its own focal, as
``tools/test.py`` does). Prints abs_rel and d1 as mean +- standard deviation
over the seeds and writes the table and every run's numbers as JSON::

    python tools/analysis_tools/canonical_camera_experiment.py \\
        --work-dir work_dirs/canonical_camera --seeds 0 1 2

The data are written by :func:`da2zoe.testing.synthetic_datasets.
write_synthetic` in the folder layout (``intrinsics.json`` per image).
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from da2zoe.apis import init_model
from da2zoe.evaluation.metrics.depth_metric import DepthMetric
from da2zoe.registry import DATASETS
from da2zoe.testing.synthetic_datasets import write_synthetic

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'da2zoe_tiny_synthetic.py')
VARIANTS = ('metric head', 'canonical camera')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).

    Returns:
        The parsed namespace.
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/canonical_camera')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--num-train', type=int, default=160)
    parser.add_argument('--num-test', type=int, default=32)
    parser.add_argument('--size', type=int, nargs=2, default=(112, 154),
                        metavar=('H', 'W'))
    parser.add_argument('--crop', type=int, default=112)
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--train-fx', type=float, nargs=2,
                        default=(90.0, 150.0), metavar=('LOW', 'HIGH'),
                        help='training focal range (pixels at --size)')
    parser.add_argument('--test-fx', type=float, nargs='+',
                        default=(65.0, 210.0),
                        help='held-out focal lengths, one test set each')
    parser.add_argument(
        '--canonical-focal', type=float, default=90.0,
        help='canonical focal in input pixels (default: the shortest '
        "training focal, so canonical labels stay inside the head's range)")
    return parser.parse_args(argv)


def make_data(args: argparse.Namespace) -> dict:
    """Writes the training mix and one test set per held-out focal."""
    roots = {}
    sets = [('train', 0, args.num_train, tuple(args.train_fx))]
    sets += [(f'fx{fx:g}', 100 + i, args.num_test, (fx, fx))
             for i, fx in enumerate(args.test_fx)]
    for name, seed, num, fx_range in sets:
        out = osp.join(args.work_dir, 'data', name)
        if not osp.isfile(osp.join(out, 'manifest.json')):
            write_synthetic(out, num, seed, tuple(args.size), ['folder'],
                            fx_range=fx_range)
        roots[name] = osp.join(out, 'folder')
    return roots


def folder_dataset(root: str, pipeline: list) -> dict:
    return dict(type='DepthFolderDataset', data_root=root, depth_scale=1e-3,
                pipeline=pipeline)


def write_config(args: argparse.Namespace, roots: dict, canonical: bool,
                 path: str) -> None:
    """The tiny config on the focal mix (with or without the camera)."""
    cfg = Config.fromfile(CONFIG)
    crop = args.crop
    cfg.train_pipeline[2]['min_size'] = crop
    cfg.train_pipeline[3]['crop_size'] = crop
    cfg.test_pipeline[2]['min_size'] = crop
    cfg.train_dataloader.dataset = folder_dataset(roots['train'],
                                                  cfg.train_pipeline)
    cfg.train_dataloader.persistent_workers = False
    cfg.val_dataloader.dataset = folder_dataset(
        roots[f'fx{args.test_fx[0]:g}'], cfg.test_pipeline)
    cfg.test_dataloader = cfg.val_dataloader
    if canonical:
        cfg.model.camera = dict(canonical_focal=args.canonical_focal)
    epochs = args.epochs
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs + 1
    cfg.param_scheduler[1].update(T_max=epochs, end=epochs)
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.dump(path)


def evaluate(model, root: str, pipeline: list) -> dict:
    """abs_rel, d1 (and the rest of DepthMetric) on one test folder."""
    dataset = DATASETS.build(folder_dataset(root, pipeline))
    loader = DataLoader(dataset, batch_size=8, collate_fn=pseudo_collate)
    metric = DepthMetric()
    with torch.no_grad():
        for batch in loader:
            metric.process(None, model.test_step(batch))
    return metric.compute_metrics(metric.results)


def run(args: argparse.Namespace, roots: dict, canonical: bool,
        seed: int) -> dict:
    """Trains one variant with one seed; returns its held-out metrics."""
    tag = f'{"canonical" if canonical else "metric"}_seed{seed}'
    work_dir = osp.join(args.work_dir, tag)
    result_file = osp.join(work_dir, 'heldout.json')
    if osp.isfile(result_file):
        with open(result_file) as file:
            return json.load(file)
    os.makedirs(work_dir, exist_ok=True)
    config = osp.join(work_dir, 'experiment_config.py')
    write_config(args, roots, canonical, config)
    start = time.perf_counter()
    subprocess.run([
        sys.executable, osp.join(REPO, 'tools', 'train.py'), config,
        '--work-dir', work_dir, '--cfg-options', f'randomness.seed={seed}'
    ], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    model = init_model(config, osp.join(work_dir, 'checkpoint_latest.pth'))
    cfg = Config.fromfile(config)
    result = {'train_seconds': seconds}
    for name in roots:
        result[name] = evaluate(model, roots[name], cfg.test_pipeline)
    with open(result_file, 'w') as file:
        json.dump(result, file, indent=1)
    return result


def table(args: argparse.Namespace, runs: dict) -> str:
    """Markdown table: mean +- std over seeds per variant and test set."""
    sets = ['train'] + [f'fx{fx:g}' for fx in args.test_fx]
    header = '| model | ' + ' | '.join(
        f'{s} abs_rel | {s} d1' for s in sets) + ' |'
    lines = [header, '|' + '---|' * (1 + 2 * len(sets))]
    for variant in VARIANTS:
        cells = []
        for name in sets:
            for key in ('abs_rel', 'd1'):
                values = np.array([r[name][key] for r in runs[variant]])
                cells.append(f'{values.mean():.3f} ± {values.std():.3f}')
        lines.append(f'| {variant} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    """Runs the whole experiment and prints the table."""
    args = parse_args(argv)
    roots = make_data(args)
    runs = {variant: [] for variant in VARIANTS}
    for seed in args.seeds:
        for variant in VARIANTS:
            result = run(args, roots, variant == VARIANTS[1], seed)
            runs[variant].append(result)
            print(f'{variant} seed {seed}: ' + ', '.join(
                f'{n} abs_rel {result[n]["abs_rel"]:.3f} d1 '
                f'{result[n]["d1"]:.3f}' for n in roots) +
                  f' ({result["train_seconds"]:.0f} s)', flush=True)
    text = table(args, runs)
    print(f'\ntrain fx {args.train_fx}, held-out fx {args.test_fx}, '
          f'canonical focal {args.canonical_focal}, seeds {args.seeds} '
          f'(mean ± std)\n{text}')
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as file:
        json.dump(dict(args=vars(args), runs=runs, table=text), file,
                  indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
