"""The seed script's flags written into a da2zoe config.

``train_da2_zoe.py`` users know these flags; ``tools/train.py`` accepts them
next to the OpenMMLab ones (:mod:`da2zoe.cli.seed_flags` defines them). Each
given flag writes its config key; ``--datasets`` writes the training set and
the held-out validation and test sets, so the config a run saves evaluates
that run's data.
"""
import argparse
import copy
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config

from da2zoe.cli.seed_flags import dataset_paths
from da2zoe.datasets.seed_datasets import (
    build_seed_datasets,
    held_out_names,
    held_out_paths,
    seed_evaluators,
)
from da2zoe.structures.patch_grid import check_multiple_of_14

LOSS_FLAGS = {
    'silog_weight': 'SILogLoss',
    'grad_weight': 'GradL1Loss',
    'metric_silog_weight': 'MetricSILogLoss',
}


class ConfigConflictError(ValueError):
    """A command-line flag contradicts the config or another flag."""


def _set(cfg: Config, key: str, value: Any, applied: list,
         flag: str, cfg_options: Dict[str, Any]) -> None:
    """Writes ``value`` at dotted ``key``, refusing --cfg-options clashes."""
    if key in cfg_options and cfg_options[key] != value:
        raise ConfigConflictError(
            f'{flag} {value!r} contradicts --cfg-options '
            f'{key}={cfg_options[key]!r}; give only one of them')
    *parents, leaf = key.split('.')
    node = cfg
    for name in parents:
        if node.get(name) is None:
            node[name] = dict()
        node = node[name]
    node[leaf] = value  # replaces, never merges into, an existing dict
    applied.append((flag, key, value))


def _losses(cfg: Config) -> List[dict]:
    return cfg.model.get('losses', [])


def _pipelines(dataset: dict) -> List[list]:
    """Every pipeline list inside a (possibly nested) dataset config."""
    found = []
    if not isinstance(dataset, dict):
        return found
    if isinstance(dataset.get('pipeline'), list):
        found.append(dataset['pipeline'])
    for key in ('dataset', 'datasets'):
        inner = dataset.get(key)
        for item in inner if isinstance(inner, list) else [inner]:
            found.extend(_pipelines(item))
    return found


def set_train_crop_size(cfg: Config, size: int) -> int:
    """Sets the training crop and the keep-aspect resize bound to ``size``.

    Training pipelines get ``DepthRandomCrop(crop_size=size)`` and
    ``KeepAspectResize(min_size=size)``; evaluation pipelines get the same
    resize bound so the model sees the scale it was trained at.

    Args:
        cfg (Config): The config, modified in place.
        size (int): The crop side, a multiple of 14.

    Returns:
        int: How many training transforms were changed.
    """
    changed = 0
    train = [cfg.get('train_pipeline') or []]
    train += _pipelines(cfg.train_dataloader.dataset)
    evaluation = [cfg.get('test_pipeline') or []]
    for loader in ('val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is not None:
            evaluation += _pipelines(cfg[loader].dataset)
    for pipeline in train:
        for transform in pipeline:
            if transform.get('type') == 'DepthRandomCrop':
                transform['crop_size'] = size
                changed += 1
            elif transform.get('type') == 'KeepAspectResize':
                transform['min_size'] = size
                changed += 1
    for pipeline in evaluation:
        for transform in pipeline:
            if transform.get('type') == 'KeepAspectResize':
                transform['min_size'] = size
    return changed


def apply_seed_arguments(cfg: Config,
                         args: argparse.Namespace,
                         config_path: str = 'the config',
                         cfg_options: Optional[Dict[str, Any]] = None
                         ) -> List[Tuple[str, str, Any]]:
    """Writes every given seed flag into ``cfg``.

    Args:
        cfg (Config): The loaded config, modified in place.
        args (argparse.Namespace): Parsed arguments of ``tools/train.py``.
        config_path (str): Config file name used in error messages.
        cfg_options (dict, optional): The ``--cfg-options`` given; a flag
            that sets the same key to another value is an error.

    Returns:
        list[tuple]: ``(flag, key, value)`` of every applied flag.

    Raises:
        ConfigConflictError: A flag contradicts the config or another flag.
    """
    opts = dict(cfg_options or {})
    applied: List[Tuple[str, str, Any]] = []

    def put(flag, key, value):
        _set(cfg, key, value, applied, flag, opts)

    if args.encoder is not None:
        arch = cfg.model.backbone.get('arch')
        if arch != args.encoder:
            raise ConfigConflictError(
                f'--encoder {args.encoder} contradicts {config_path} '
                f'(model.backbone.arch={arch!r}); use '
                f'configs/da2zoe_{args.encoder}_*.py or drop --encoder')
    head_flags = dict(
        n_bins='n_bins', bin_centers_type='bin_centers_type',
        min_depth='min_depth', max_depth='max_depth',
        n_attractors='n_attractors', attractor_type='attractor_type')
    for attr, key in head_flags.items():
        value = getattr(args, attr)
        if value is not None:
            put('--' + attr.replace('_', '-'), f'model.head.{key}', value)
    if args.train_encoder:
        put('--train-encoder', 'model.backbone.frozen', False)
    if args.pretrained_checkpoint is not None:
        put('--pretrained-checkpoint', 'model.pretrained',
            args.pretrained_checkpoint)
    if args.encoder_lr_factor is not None:
        if args.encoder_lr_factor <= 0:
            raise ValueError('--encoder-lr-factor must be positive')
        put('--encoder-lr-factor',
            'optim_wrapper.paramwise_cfg.encoder_lr_factor',
            args.encoder_lr_factor)

    if args.lr is not None:
        put('--lr', 'optim_wrapper.optimizer.lr', args.lr)
    if args.weight_decay is not None:
        put('--weight-decay', 'optim_wrapper.optimizer.weight_decay',
            args.weight_decay)
    if args.max_grad_norm is not None:
        put('--max-grad-norm', 'optim_wrapper.clip_grad',
            dict(max_norm=args.max_grad_norm, norm_type=2)
            if args.max_grad_norm > 0 else None)
    if args.accumulate is not None:
        put('--accumulate', 'optim_wrapper.accumulative_counts',
            args.accumulate)
    if args.num_epochs is not None:
        put('--num-epochs', 'train_cfg.max_epochs', args.num_epochs)
    _apply_step_lr(cfg, args, applied)
    _apply_loss_weights(cfg, args, applied)

    _apply_data(cfg, args, put)
    if args.batch_size is not None:
        put('--batch-size', 'train_dataloader.batch_size', args.batch_size)
    if args.num_workers is not None:
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader'):
            if cfg.get(loader) is not None:
                put('--num-workers', f'{loader}.num_workers',
                    args.num_workers)
                cfg[loader]['persistent_workers'] = args.num_workers > 0
    if args.target_size is not None:
        check_multiple_of_14(args.target_size, '--target-size')
        if set_train_crop_size(cfg, args.target_size) == 0:
            raise ConfigConflictError(
                f'--target-size {args.target_size}: {config_path} has no '
                'DepthRandomCrop/KeepAspectResize in its training pipeline')
        applied.append(('--target-size', 'train crop', args.target_size))

    if args.save_dir is not None:
        put('--save-dir', 'default_hooks.checkpoint.save_dir', args.save_dir)
    if args.log_dir is not None:
        backends = cfg.visualizer.get('vis_backends', [])
        for backend in backends:
            if backend.get('type') == 'TensorboardVisBackend':
                backend['save_dir'] = args.log_dir
        applied.append(('--log-dir', 'TensorboardVisBackend.save_dir',
                        args.log_dir))
    return applied


def _apply_step_lr(cfg: Config, args: argparse.Namespace,
                   applied: list) -> None:
    if args.lr_step_size is None and args.lr_gamma is None:
        return
    schedulers = cfg.get('param_scheduler')
    schedulers = schedulers if isinstance(schedulers, list) else [schedulers]
    steps = [s for s in schedulers if s and s.get('type') == 'StepLR']
    if not steps:
        names = [s.get('type') for s in schedulers if s]
        raise ConfigConflictError(
            f'--lr-step-size/--lr-gamma need a StepLR schedule but the '
            f'config uses {names}; pick a config with the seed schedule')
    for sched in steps:
        if args.lr_step_size is not None:
            sched['step_size'] = args.lr_step_size
        if args.lr_gamma is not None:
            sched['gamma'] = args.lr_gamma
    applied.append(('--lr-step-size/--lr-gamma', 'param_scheduler.StepLR',
                    (args.lr_step_size, args.lr_gamma)))


def _apply_loss_weights(cfg: Config, args: argparse.Namespace,
                        applied: list) -> None:
    for attr, loss_type in LOSS_FLAGS.items():
        weight = getattr(args, attr)
        if weight is None:
            continue
        losses = _losses(cfg)
        matches = [loss for loss in losses if loss.get('type') == loss_type]
        if matches:
            for loss in matches:
                loss['loss_weight'] = weight
        elif weight > 0:
            losses.append(dict(type=loss_type, loss_weight=weight))
            cfg.model.losses = losses
        applied.append(('--' + attr.replace('_', '-'),
                        f'model.losses[{loss_type}].loss_weight', weight))


def _apply_data(cfg: Config, args: argparse.Namespace, put) -> None:
    """Builds ``--datasets`` into the training and evaluation datasets.

    The training set reads the given lists; validation and testing read
    their held-out siblings (:func:`held_out_paths`) with the config's
    ``test_pipeline`` and the table's evaluators.
    """
    given = dataset_paths(args)
    if args.datasets is None:
        if given or args.use_bfx_depth:
            raise ConfigConflictError(
                f'dataset paths {sorted(given)} were given without '
                '--datasets; name the datasets to train on')
        return
    pipeline = copy.deepcopy(cfg.get('train_pipeline'))
    if pipeline is None:
        raise ConfigConflictError(
            '--datasets needs a `train_pipeline` in the config')
    dataset = build_seed_datasets(
        args.datasets,
        given,
        pipeline=pipeline,
        use_bfx_depth=bool(args.use_bfx_depth),
        ratios=args.dataset_ratios,
        test_mode=False)
    put('--datasets', 'train_dataloader.dataset', dataset)
    if cfg.get('test_pipeline') is None:
        return
    eval_paths = held_out_paths(given)
    eval_names = held_out_names(args.datasets, eval_paths)
    if not eval_names:
        return
    for split in ('val', 'test'):
        if cfg.get(f'{split}_dataloader') is None:
            continue
        put('--datasets', f'{split}_dataloader.dataset',
            build_seed_datasets(
                eval_names,
                eval_paths,
                pipeline=copy.deepcopy(cfg.test_pipeline),
                use_bfx_depth=bool(args.use_bfx_depth),
                ratios=None,
                test_mode=True))
        put('--datasets', f'{split}_evaluator', seed_evaluators(eval_names))
