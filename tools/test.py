"""Evaluates a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

Each dataset is evaluated with its own protocol (range and crop from its
evaluation spec); several datasets in one run give one table row each and
one JSON file.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction

from da2zoe.evaluation.table import format_table
from da2zoe.utils.malloc import tune_malloc
from da2zoe.cli.runner_setup import build_runner, setup_launcher
from da2zoe.utils.seed_cli import SEED_DATASETS


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate a da2zoe model on benchmark sets')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint (any layout)')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument(
        '--datasets',
        nargs='+',
        choices=SEED_DATASETS,
        help='evaluate on these sets instead of the config\'s test set')
    for flag in ('nyu-csv', 'nyu-root', 'sunrgbd-json', 'sunrgbd-root',
                 'ibims-root', 'da2k-root', 'da2k-annotation', 'kitti-split',
                 'kitti-root'):
        parser.add_argument('--' + flag)
    parser.add_argument('--use-bfx-depth', action='store_true')
    parser.add_argument(
        '--flip', action='store_true', help='horizontal-flip TTA')
    parser.add_argument('--out-json', help='write the metrics as JSON here')
    parser.add_argument(
        '--out-dir', help='write predictions as 16-bit PNGs (millimetres)')
    parser.add_argument(
        '--show-dir', help='write image | GT | prediction | error panels')
    parser.add_argument('--batch-size', type=int)
    parser.add_argument('--num-workers', type=int)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override keys')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def _test_datasets(cfg: Config, args: argparse.Namespace) -> None:
    """Replaces the test set by the ``--datasets`` named on the CLI."""
    from da2zoe.datasets import build_seed_datasets
    names = ('nyu_csv', 'nyu_root', 'sunrgbd_json', 'sunrgbd_root',
             'ibims_root', 'da2k_root', 'da2k_annotation', 'kitti_split',
             'kitti_root')
    paths = {n: getattr(args, n) for n in names if getattr(args, n)}
    cfg.test_dataloader.dataset = build_seed_datasets(
        args.datasets,
        paths,
        pipeline=cfg.test_pipeline,
        use_bfx_depth=args.use_bfx_depth,
        ratios=None,
        test_mode=True)
    metrics = [dict(type='DepthMetric')]
    if 'da2k' in args.datasets:
        metrics.append(dict(type='DA2KMetric'))
    cfg.test_evaluator = metrics


def summary_table(metrics: dict, datasets=None) -> str:
    """One table for the whole run: a row per dataset, a column per metric.

    Args:
        metrics (dict): The evaluators' results: ``<dataset>/<metric>`` keys
            (several dense sets, DA-2K's ``da2k/acc``) and un-prefixed keys
            (a single dense set, or the mean over several).
        datasets (Sequence[str], optional): The ``--datasets`` names, to
            name the row of a single dense set.

    Returns:
        str: The table (per-scene DA-2K accuracies are left to the log).
    """
    rows, columns = {}, []
    for key, value in metrics.items():
        name, _, metric = key.rpartition('/')
        if metric.startswith('acc_'):
            continue  # DA-2K per scene: in DA2KMetric's own table
        rows.setdefault(name, {})[metric] = value
        if metric not in columns:
            columns.append(metric)
    plain = rows.pop('', None)
    if plain:
        if any(name != 'da2k' for name in rows):
            rows['mean'] = plain  # several dense sets: mean over datasets
        else:
            dense = [d for d in datasets or () if d != 'da2k']
            rows[dense[0] if len(dense) == 1 else 'test'] = plain
    order = list(datasets or ()) + ['test', 'mean']
    names = sorted(rows, key=lambda n: order.index(n) if n in order else
                   len(datasets or ()))
    rows = {name: rows[name] for name in names}
    table = [[name] + [values.get(m, '-') for m in columns]
             for name, values in rows.items()]
    return format_table(['dataset'] + columns, table)


def build_config(args: argparse.Namespace) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if cfg.get('test_dataloader') is None:
        if cfg.get('val_dataloader') is None:
            raise ValueError(f'{args.config} defines no test_dataloader')
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = cfg.val_evaluator
        cfg.test_cfg = cfg.get('val_cfg') or dict(type='TestLoop')
    if cfg.get('test_cfg') is None:
        cfg.test_cfg = dict(type='TestLoop')
    if args.datasets:
        _test_datasets(cfg, args)
    if args.batch_size is not None:
        cfg.test_dataloader.batch_size = args.batch_size
    if args.num_workers is not None:
        cfg.test_dataloader.num_workers = args.num_workers
        cfg.test_dataloader.persistent_workers = args.num_workers > 0
    if args.flip:
        cfg.model.setdefault('test_cfg', dict())['flip'] = True
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    # Weights come from CHECKPOINT alone (any layout, detected): not from
    # the config's pretrained entries, and not through a resume.
    cfg.model.pretrained = None
    cfg.model.setdefault('backbone', dict())['init_cfg'] = None
    cfg.load_from = None
    cfg.resume = False
    # Training-only settings are dropped so a test run builds nothing else.
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                'param_scheduler', 'val_dataloader', 'val_cfg',
                'val_evaluator'):
        cfg[key] = None
    hooks = cfg.setdefault('custom_hooks', [])
    hooks.append(dict(type='TestProgressHook'))
    if args.out_dir:
        hooks.append(dict(type='PredictionWriterHook', out_dir=args.out_dir))
    if args.show_dir:
        cfg.setdefault('default_hooks', dict())['visualization'] = dict(
            type='DepthVisualizationHook', draw=True,
            test_out_dir=args.show_dir, interval=1)
    return cfg


def main(argv=None) -> int:
    args = parse_args(argv)
    tune_malloc()  # keep activation pages between steps
    try:
        cfg = build_config(args)
    except (ValueError, KeyError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    setup_launcher(cfg)
    runner = build_runner(cfg)
    from da2zoe.checkpoint import load_pretrained
    load_pretrained(runner.model.module if hasattr(runner.model, 'module')
                    else runner.model, args.checkpoint, logger=runner.logger)
    metrics = runner.test()
    if runner.rank == 0 and metrics:
        runner.logger.info('\n' + summary_table(metrics, args.datasets))
    if args.out_json and runner.rank == 0:
        os.makedirs(osp.dirname(osp.abspath(args.out_json)), exist_ok=True)
        with open(args.out_json, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=2)
        runner.logger.info(f'metrics written to {args.out_json}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
