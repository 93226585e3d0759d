"""Evaluation from the command line: ``tools/test.py CONFIG CHECKPOINT``.

Each dataset is evaluated with its own protocol (range and crop from its
evaluation spec); several datasets in one run give one table row each and
one JSON file (``metrics`` and the ``protocol`` record: checkpoint and its
sha256, config, per dataset range, crop and input rule, flip, SILog
definition, library versions). The config a training run saved (its test
set is that run's held-out data) evaluates as it is.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

from mmengine.config import Config, DictAction

from da2zoe.checkpoint import UnsafeCheckpointError, load_pretrained
from da2zoe.cli.config_errors import one_line_config_errors
from da2zoe.cli.runner_setup import (
    add_launcher_arguments,
    closes_process_group,
    export_local_rank,
    runner_from_args,
)
from da2zoe.cli.seed_flags import add_dataset_arguments, dataset_paths
from da2zoe.datasets.seed_datasets import build_seed_datasets, seed_evaluators
from da2zoe.evaluation.alignment import ALIGNMENTS, MIN_ALIGN_PIXELS
from da2zoe.evaluation.protocol import protocol_record, protocol_summary
from da2zoe.evaluation.scoring_settings import apply_scoring_settings
from da2zoe.evaluation.table import format_table
from da2zoe.models.depthers.feature_blocks import check_feature_blocks


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parses the flags of ``tools/test.py``.

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Evaluate a da2zoe model on benchmark sets')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint (any layout)')
    parser.add_argument('--work-dir', help='where logs go')
    add_dataset_arguments(
        parser, 'evaluate on these sets instead of the config\'s test set')
    parser.add_argument(
        '--flip', action='store_true', help='horizontal-flip TTA')
    parser.add_argument('--out-json', help='write the metrics as JSON here')
    parser.add_argument(
        '--out-dir', help='write predictions as 16-bit PNGs (millimetres)')
    parser.add_argument(
        '--show-dir', help='write image | GT | prediction | error panels')
    parser.add_argument(
        '--process-res', type=int,
        help='Depth Anything 3 configs: longest side of the network input '
        "(sets every LongestSideResize; default the config's, 504)")
    parser.add_argument(
        '--align', choices=[a for a in ALIGNMENTS if a],
        help='relative models only: fit each prediction to its GT first '
        '(median scale, or least-squares scale and shift in depth or in '
        'disparity); default: the '
        "config's DepthMetric align (none for metric models)")
    parser.add_argument('--batch-size', type=int)
    parser.add_argument('--num-workers', type=int)
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override keys')
    add_launcher_arguments(parser)
    args = parser.parse_args(argv)
    export_local_rank(args)
    return args


def _test_datasets(cfg: Config, args: argparse.Namespace) -> None:
    """Replaces the test set by the ``--datasets`` named on the CLI."""
    cfg.test_dataloader.dataset = build_seed_datasets(
        args.datasets,
        dataset_paths(args),
        pipeline=cfg.test_pipeline,
        use_bfx_depth=bool(args.use_bfx_depth),
        ratios=None,
        test_mode=True)
    cfg.test_evaluator = seed_evaluators(args.datasets)


def _depth_metrics(evaluator) -> list:
    """The ``DepthMetric`` configs of an evaluator config (dict or list)."""
    items = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    return [e for e in items
            if isinstance(e, dict) and e.get('type') == 'DepthMetric']


def _config_align(evaluator) -> Optional[str]:
    """The alignment the config's test evaluator asks for, if any."""
    aligns = {m.get('align') for m in _depth_metrics(evaluator)} - {None}
    return aligns.pop() if len(aligns) == 1 else None


def _config_setting(evaluator, key: str, default):
    """The ``key`` every ``DepthMetric`` of the evaluator shares.

    Raises:
        ValueError: If two of them differ (one run scores one kind of
            prediction under one rule).
    """
    values = {m.get(key, default) for m in _depth_metrics(evaluator)}
    if len(values) > 1:
        raise ValueError(f'test_evaluator: the DepthMetrics disagree on '
                         f'{key} ({sorted(map(str, values))}); set one')
    return values.pop() if values else default


def _set_scoring(evaluator, settings: dict, align_flag: bool) -> None:
    """Writes :func:`_alignment_settings` into the test evaluator: every
    ``DepthMetric``, and ``pred_space`` into a ``DA2KMetric``.

    Raises:
        ValueError: If ``--align`` was given and no ``DepthMetric`` can
            take it.
    """
    if not apply_scoring_settings(evaluator, settings) and align_flag:
        raise ValueError(f"--align {settings['align']}: the test evaluator "
                         'has no DepthMetric')


def _alignment_settings(evaluator) -> dict:
    """The protocol record's ``align``, ``pred_space`` and
    ``min_align_pixels``, from the test evaluator's ``DepthMetric``."""
    return dict(
        align=_config_align(evaluator),
        pred_space=_config_setting(evaluator, 'pred_space', 'depth'),
        min_align_pixels=_config_setting(evaluator, 'min_align_pixels',
                                         MIN_ALIGN_PIXELS))


def _set_process_res(cfg: Config, value: int) -> None:
    """Sets ``process_res`` of every ``LongestSideResize`` of the test set.

    Raises:
        ValueError: If the value is not positive or no pipeline has one.
    """
    if value <= 0:
        raise ValueError(f'--process-res {value}: must be > 0')
    found = []

    def visit(node) -> None:
        if isinstance(node, dict):
            if node.get('type') == 'LongestSideResize':
                node['process_res'] = value
                found.append(node)
            for child in node.values():
                visit(child)
        elif isinstance(node, (list, tuple)):
            for child in node:
                visit(child)

    visit(cfg.get('test_pipeline'))
    visit(cfg.test_dataloader.dataset)
    if not found:
        raise ValueError(f'--process-res {value}: {cfg.filename} has no '
                         'LongestSideResize in its test pipeline (only the '
                         'Depth Anything 3 configs take it)')


def summary_table(metrics: dict,
                  datasets: Optional[Sequence[str]] = None) -> str:
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
    """Loads the config and turns it into a test-only one.

    Args:
        args (argparse.Namespace): Output of :func:`parse_args`.
    """
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
    # How the model's predictions are scored is the config's (or the
    # flag's), whatever the test set: --datasets replaces the evaluator.
    settings = _alignment_settings(cfg.get('test_evaluator'))
    settings['align'] = args.align or settings['align']
    if args.datasets:
        _test_datasets(cfg, args)
    if settings['align'] or settings['pred_space'] != 'depth':
        _set_scoring(cfg.test_evaluator, settings, bool(args.align))
    if args.process_res is not None:
        _set_process_res(cfg, args.process_res)
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
    cfg.model.init_cfg = None
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


@closes_process_group
def main(argv: Optional[List[str]] = None) -> int:
    """Evaluates; returns the exit status (2 on a bad flag or config).

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.
    """
    args = parse_args(argv)
    runner = runner_from_args(args, build_config,
                              (ValueError, KeyError, FileNotFoundError))
    if runner is None:
        return 2
    model = runner.model.module if hasattr(runner.model,
                                           'module') else runner.model
    try:
        result = load_pretrained(model, args.checkpoint,
                                 logger=runner.logger)
    except (OSError, ValueError, UnsafeCheckpointError) as err:
        # Missing, unsafe or unusable weights (an any-view DA3 model, a
        # truncated file, an unknown layout, a shape mismatch): one line.
        runner.logger.error(str(err))
        print(f'error: {err}', file=sys.stderr)
        return 2
    check_feature_blocks(model, result, repr(args.checkpoint), runner.logger)
    with one_line_config_errors(runner.cfg):  # datasets build lazily
        metrics = runner.test()
    if runner.rank != 0:
        return 0
    dataset = runner.test_loop.dataloader.dataset
    record = protocol_record(args.config, args.checkpoint,
                             runner.cfg.model.to_dict(),
                             getattr(dataset, 'datasets', [dataset]),
                             **_alignment_settings(runner.cfg.test_evaluator))
    if metrics:
        runner.logger.info('\n' + protocol_summary(record) + '\n' +
                           summary_table(metrics, args.datasets))
    if args.out_json:
        os.makedirs(osp.dirname(osp.abspath(args.out_json)), exist_ok=True)
        with open(args.out_json, 'w') as f:
            json.dump(dict(metrics={k: float(v) for k, v in metrics.items()},
                           protocol=record), f, indent=2)
        runner.logger.info(f'metrics written to {args.out_json}')
    return 0
