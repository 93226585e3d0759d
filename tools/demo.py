"""The zero-download demo: synthetic rooms -> training -> evaluation.

1. Renders procedural rooms with exact metric depth (``make_synthetic.py``).
2. Trains the tiny config ``configs/da2zoe_tiny_synthetic.py`` from scratch
   with ``tools/train.py`` (the same code path as a real run).
3. Evaluates on held-out rooms the trained model, its own untrained start
   and a constant-depth baseline (the median training depth), prints the
   three rows, and writes a colourised depth picture.

Usage: ``python tools/demo.py [--epochs N] [--out DIR]`` (or ``bash
tools/demo.sh``, which also sets up the environment). Exits non-zero if the
trained model does not beat both baselines on d1 and abs_rel.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import set_random_seed
from torch.utils.data import DataLoader

from da2zoe.checkpoint import load_pretrained
from da2zoe.cli.cpu_load import adapt_to_cpu_load
from da2zoe.evaluation.metrics.depth_metric import DepthMetric
from da2zoe.registry import DATASETS, MODELS
from da2zoe.visualization.depth_visualizer import make_depth_panels, write_rgb

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'da2zoe_tiny_synthetic.py')
SCENES, SIZE = 240, (168, 224)
SHOWN = ('d1', 'abs_rel', 'rmse', 'silog')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=osp.join(REPO, 'work_dirs', 'demo'))
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument(
        '--seed', type=int, default=0,
        help='seed of the untrained start and of training (the README '
        'reports the spread over seeds 0, 1, 2)')
    parser.add_argument(
        '--threads', type=int, default=None,
        help='torch threads (default: all CPUs, fewer when others are busy)')
    return parser.parse_args()


def make_data(out: str) -> str:
    """Writes the synthetic NYU-layout rooms once; returns their root."""
    data = osp.join(out, 'data')
    if not osp.isfile(osp.join(data, 'nyu', 'data', 'nyu2_test.csv')):
        subprocess.run([
            sys.executable,
            osp.join(REPO, 'tools', 'dataset_converters', 'make_synthetic.py'),
            '--out', data, '--num', str(SCENES), '--size', str(SIZE[0]),
            str(SIZE[1]), '--formats', 'nyu_csv', '--seed', '0'
        ], check=True)
    return osp.join(data, 'nyu')


def save_untrained_start(cfg: Config, path: str, seed: int) -> None:
    """Initialises the model once and saves it: training starts from it."""
    set_random_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict()}, path)


def train(work_dir: str, data_root: str, init: str, epochs: int,
          seed: int) -> str:
    """Runs tools/train.py on the demo config; returns the last checkpoint."""
    subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'train.py'), CONFIG, '--work-dir', work_dir,
        '--pretrained-checkpoint', init, '--cfg-options',
        f'train_dataloader.dataset.data_root={data_root}',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        f'param_scheduler.1.T_max={epochs}', f'param_scheduler.1.end={epochs}',
        f'default_hooks.checkpoint.interval={epochs}',
        f'randomness.seed={seed}'
    ], check=True)
    return osp.join(work_dir, 'checkpoint_latest.pth')


def predictions(model, loader) -> list:
    """Data samples of the whole loader with ``pred_depth`` filled."""
    samples = []
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            samples += model(**data, mode='predict')
    return samples


def evaluate(samples: list) -> dict:
    """DepthMetric over the samples, silenced (the demo prints its own)."""
    metric = DepthMetric()
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def constant_baseline(samples: list, depth: float) -> list:
    out = []
    for sample in samples:
        sample = sample.clone()
        sample.pred_depth = torch.full_like(sample.gt_depth, depth)
        out.append(sample)
    return out


def median_train_depth(cfg: Config) -> float:
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    values = []
    for i in range(0, len(dataset), 4):
        sample = dataset[i]['data_samples']
        values.append(sample.gt_depth[sample.gt_mask].numpy())
    return float(np.median(np.concatenate(values)))


def save_picture(model, samples: list, path: str) -> None:
    sample = samples[0]
    image = cv2.imread(sample.img_path)[..., ::-1]
    panels = make_depth_panels(image, sample.pred_depth[0].numpy(),
                               sample.gt_depth[0].numpy(),
                               sample.gt_mask[0].numpy())
    write_rgb(path, panels)  # raises OSError naming the file


def main() -> int:
    args = parse_args()
    # Sets OMP_* for the training subprocess, which loads torch afresh.
    note = adapt_to_cpu_load(args.threads)
    if note:
        print(note, flush=True)
    torch.set_num_threads(
        int(os.environ.get('OMP_NUM_THREADS', 0)) or args.threads
        or torch.get_num_threads())
    os.makedirs(args.out, exist_ok=True)
    start = time.time()
    data_root = make_data(args.out)
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    init = osp.join(args.out, 'untrained.pth')
    save_untrained_start(cfg, init, args.seed)
    checkpoint = train(
        osp.join(args.out, 'work'), data_root, init, args.epochs, args.seed)

    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    loader = DataLoader(test_set, batch_size=4, collate_fn=pseudo_collate)
    rows = {}
    model = MODELS.build(cfg.model).eval()
    load_pretrained(model, init)
    untrained = predictions(model, loader)
    rows['untrained start'] = evaluate(untrained)
    constant = median_train_depth(cfg)
    rows[f'constant {constant:.2f} m'] = evaluate(
        constant_baseline(untrained, constant))
    load_pretrained(model, checkpoint)
    trained = predictions(model, loader)
    rows['trained'] = evaluate(trained)

    print(f'\nheld-out synthetic rooms: {len(test_set)} images')
    print(f'{"model":<20}' + ''.join(f'{m:>10}' for m in SHOWN))
    for name, values in rows.items():
        print(f'{name:<20}' + ''.join(f'{values[m]:>10.4f}' for m in SHOWN))
    picture = osp.join(args.out, 'demo_depth.png')
    save_picture(model, trained, picture)
    print(f'image | ground truth | prediction | abs-rel error: {picture}')
    print(f'demo finished in {time.time() - start:.0f} s')

    best = rows['trained']
    beaten = all(best['d1'] > row['d1'] and best['abs_rel'] < row['abs_rel']
                 for name, row in rows.items() if name != 'trained')
    if not beaten:
        print('the trained model did not beat both baselines', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
