"""Does mixed precision train like float32? Compares the first N loss values.

``python tools/analysis_tools/amp_loss_curve.py CONFIG [--steps 50]
[--amp-dtype bfloat16] [--cfg-options ...] [--json PATH]``

Trains CONFIG twice from the same seed through ``tools/train.py``'s config
path (:mod:`da2zoe.cli.train`), once in float32 and once with ``--amp``
(bf16 autocast on a CPU), for ``--steps`` iterations each, and compares the
total loss step by step: the relative difference per step and that of the
``--smooth``-step moving averages (the curve one reads in a log). Both runs
see the same batches in the same order, so the difference is the arithmetic
alone (bf16 is used even where the CPU only emulates it: same numbers,
slower). Schedulers that count epochs are dropped (the run is shorter than an
epoch or a few); iteration-based ones such as a linear warm-up are kept.

Training from scratch is chaotic: two float32 runs that differ only in the
summation order of their kernels drift apart by percents within tens of
steps. ``--control-threads N`` adds a third, float32 run with N threads (a
different summation order, same everything else) whose distance from the
first is the noise floor the mixed-precision distance should be read
against.
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
from typing import List

import numpy as np
from mmengine.config import DictAction

from da2zoe.cli import train as train_cli
from da2zoe.cli.runner_setup import build_runner, setup_launcher


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Loss curves of float32 and mixed-precision training')
    parser.add_argument('config', help='training config')
    parser.add_argument('--steps', type=int, default=50,
                        help='training iterations per run (default 50)')
    parser.add_argument('--amp-dtype', default='auto',
                        choices=('auto', 'bfloat16', 'float16'),
                        help="tools/train.py's --amp-dtype (auto: bf16 on "
                        'CPUs)')
    parser.add_argument('--smooth', type=int, default=10,
                        help='moving-average window (default 10)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads')
    parser.add_argument('--control-threads', type=int, default=None,
                        help='also train in float32 with this many threads '
                        '(the float32-vs-float32 noise floor)')
    parser.add_argument('--work-dir', help='where the two runs write '
                        '(default: a temporary folder)')
    parser.add_argument('--json', help='write the curves and figures here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys (e.g. a data_root)')
    return parser.parse_args(argv)


def train_losses(train_tool, args, work_dir: str, amp: bool) -> List[float]:
    """Trains ``args.steps`` iterations; returns the total loss per step."""
    argv = [args.config, '--work-dir', work_dir]
    if amp:
        # --force: this tool measures bf16's arithmetic, which an AVX2-only
        # CPU emulates with the same results (slowly); without it train.py
        # would fall back to float32 there and the curves would be equal.
        argv += ['--amp', '--amp-dtype', args.amp_dtype, '--force']
    cfg = train_tool.build_config(train_tool.parse_args(argv))
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.steps)
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    cfg.param_scheduler = [
        s for s in schedulers if not s.get('by_epoch', True)] or None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=args.steps)
    cfg.default_hooks.checkpoint = None
    if cfg.get('visualizer'):  # one instance per run in this process
        cfg.visualizer.name = f'visualizer_{osp.basename(work_dir)}'
    setup_launcher(cfg)
    runner = build_runner(cfg)
    runner.train()
    history, _ = runner.message_hub.get_scalar('train/loss').data
    return [float(v) for v in history[-args.steps:]]


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` values (shorter at the start)."""
    sums = np.cumsum(np.insert(values, 0, 0.0))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def compare(fp32: List[float], amp: List[float], window: int) -> dict:
    """Relative differences of the raw and the smoothed curves."""
    a, b = np.asarray(fp32), np.asarray(amp)
    step = np.abs(b - a) / np.abs(a)
    smooth_a, smooth_b = moving_average(a, window), moving_average(b, window)
    smooth = np.abs(smooth_b - smooth_a) / np.abs(smooth_a)
    return dict(
        max_step_rel_diff=float(step.max()),
        mean_step_rel_diff=float(step.mean()),
        max_smoothed_rel_diff=float(smooth.max()),
        final_smoothed=dict(fp32=float(smooth_a[-1]),
                            amp=float(smooth_b[-1])))


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    train_tool = train_cli
    with tempfile.TemporaryDirectory() as tmp:
        root = args.work_dir or tmp
        fp32 = train_losses(train_tool, args, osp.join(root, 'fp32'), False)
        amp = train_losses(train_tool, args, osp.join(root, 'amp'), True)
        control = None
        if args.control_threads:
            threads = torch.get_num_threads()
            torch.set_num_threads(args.control_threads)
            control = train_losses(train_tool, args,
                                   osp.join(root, 'control'), False)
            torch.set_num_threads(threads)
    figures = compare(fp32, amp, args.smooth)
    print(f'{"step":>5} {"fp32":>10} {"amp":>10} {"rel diff":>9}')
    for i, (x, y) in enumerate(zip(fp32, amp), 1):
        print(f'{i:>5} {x:>10.5f} {y:>10.5f} {abs(y - x) / abs(x):>9.2%}')
    print(f"per step: max {figures['max_step_rel_diff']:.2%}, mean "
          f"{figures['mean_step_rel_diff']:.2%}; {args.smooth}-step moving "
          f"average: max {figures['max_smoothed_rel_diff']:.2%}")
    if control is not None:
        figures['control'] = compare(fp32, control, args.smooth)
        floor = figures['control']
        print(f'float32 with {args.control_threads} thread(s) against '
              f"float32: per step max {floor['max_step_rel_diff']:.2%}, mean "
              f"{floor['mean_step_rel_diff']:.2%}; moving average max "
              f"{floor['max_smoothed_rel_diff']:.2%}")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(figures, fp32=fp32, amp=amp, control=control,
                           steps=args.steps,
                           amp_dtype=args.amp_dtype, config=args.config),
                      f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
