"""The seed script's command-line flags, as shortcuts into a da2zoe config.

``train_da2_zoe.py`` users know these flags; ``tools/train.py`` accepts them
next to the OpenMMLab ones. Every flag defaults to ``None`` (not given) so the
config's value stands unless the user asks otherwise; the table of flags and
keys is in ``docs/seed_flags.md``.
"""
import argparse
import copy
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config

from da2zoe.structures.patch_grid import check_multiple_of_14

ENCODERS = ('vits', 'vitb', 'vitl', 'vitg')
SEED_DATASETS = ('nyu', 'sunrgbd', 'ibims', 'da2k', 'kitti')
LOSS_FLAGS = {
    'silog_weight': 'SILogLoss',
    'grad_weight': 'GradL1Loss',
    'metric_silog_weight': 'MetricSILogLoss',
}


class ConfigConflictError(ValueError):
    """A command-line flag contradicts the config or another flag."""


def add_seed_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the seed script's flags to ``parser`` (all default to None).

    Args:
        parser (argparse.ArgumentParser): The parser of ``tools/train.py``.
    """
    model = parser.add_argument_group('model (seed flags)')
    model.add_argument('--encoder', choices=ENCODERS)
    model.add_argument('--n-bins', type=int)
    model.add_argument(
        '--bin-centers-type',
        choices=('normed', 'softplus', 'hybrid1', 'hybrid2'))
    model.add_argument('--min-depth', type=float)
    model.add_argument('--max-depth', type=float)
    model.add_argument('--n-attractors', type=int, nargs='+')
    model.add_argument('--attractor-type', choices=('inv', 'exp'))
    model.add_argument(
        '--train-encoder',
        action='store_true',
        default=None,
        help='train the encoder (frozen otherwise)')
    model.add_argument(
        '--encoder-lr-factor',
        type=float,
        help='encoder lr = lr / factor (seed default 10)')
    model.add_argument(
        '--pretrained-checkpoint',
        help='weights to start from: DA-V2, DINOv2, DA-V1 or da2zoe '
        'checkpoints (layout detected)')

    train = parser.add_argument_group('training (seed flags)')
    train.add_argument('--batch-size', type=int)
    train.add_argument('--num-epochs', type=int)
    train.add_argument('--lr', type=float)
    train.add_argument('--weight-decay', type=float)
    train.add_argument('--lr-step-size', type=int)
    train.add_argument('--lr-gamma', type=float)
    train.add_argument('--max-grad-norm', type=float)
    train.add_argument('--silog-weight', type=float)
    train.add_argument('--grad-weight', type=float)
    train.add_argument('--metric-silog-weight', type=float)
    train.add_argument(
        '--accumulate',
        type=int,
        help='gradient accumulation: update every N iterations')

    data = parser.add_argument_group('data (seed flags)')
    data.add_argument('--datasets', nargs='+', choices=SEED_DATASETS)
    data.add_argument(
        '--dataset-ratios',
        type=float,
        nargs='+',
        help='sampling ratio per entry of --datasets')
    data.add_argument(
        '--target-size',
        type=int,
        help='training crop size, a multiple of 14 (default 392)')
    data.add_argument('--num-workers', type=int)
    data.add_argument('--nyu-csv')
    data.add_argument('--nyu-root')
    data.add_argument('--sunrgbd-json')
    data.add_argument('--sunrgbd-root')
    data.add_argument(
        '--use-bfx-depth', action='store_true', default=None)
    data.add_argument('--ibims-root')
    data.add_argument('--da2k-root')
    data.add_argument('--da2k-annotation')
    data.add_argument('--kitti-split')
    data.add_argument('--kitti-root')

    out = parser.add_argument_group('outputs (seed flags)')
    out.add_argument('--save-dir', help='checkpoint directory')
    out.add_argument('--log-dir', help='TensorBoard directory')
    out.add_argument(
        '--validate',
        action='store_true',
        default=None,
        help='run the validation loop every epoch')


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

    Training pipelines get ``RandomCrop(crop_size=size)`` and
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
            if transform.get('type') == 'RandomCrop':
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
                'RandomCrop/KeepAspectResize in its training pipeline')
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
    """Builds ``--datasets`` into the training dataset config."""
    paths = dict(
        nyu_csv=args.nyu_csv, nyu_root=args.nyu_root,
        sunrgbd_json=args.sunrgbd_json, sunrgbd_root=args.sunrgbd_root,
        ibims_root=args.ibims_root, da2k_root=args.da2k_root,
        da2k_annotation=args.da2k_annotation,
        kitti_split=args.kitti_split, kitti_root=args.kitti_root)
    given = {k: v for k, v in paths.items() if v is not None}
    if args.datasets is None:
        if given or args.use_bfx_depth:
            raise ConfigConflictError(
                f'dataset paths {sorted(given)} were given without '
                '--datasets; name the datasets to train on')
        return
    from da2zoe.datasets import build_seed_datasets
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
    if cfg.get('val_dataloader') is None or cfg.get('test_pipeline') is None:
        return
    val_paths = held_out_paths(given)
    val_names = [n for n in args.datasets if n != 'da2k' and all(
        val_paths.get(k) for k in _required_flags(n))]
    if val_names:
        val = build_seed_datasets(
            val_names,
            val_paths,
            pipeline=copy.deepcopy(cfg.test_pipeline),
            use_bfx_depth=bool(args.use_bfx_depth),
            ratios=None,
            test_mode=True)
        put('--datasets', 'val_dataloader.dataset', val)


def _required_flags(name: str) -> tuple:
    from da2zoe.datasets.seed_datasets import SEED_DATASETS as TABLE
    return TABLE[name][2]


def held_out_paths(paths: Dict[str, str]) -> Dict[str, str]:
    """Evaluation lists next to the training lists the seed flags name.

    The seed's flags name training lists only. For validation, a list whose
    file name says ``train`` is swapped for its ``test`` (or ``val``)
    sibling when that file exists (``nyu2_train.csv`` -> ``nyu2_test.csv``,
    ``sunrgbd_train.json`` -> ``sunrgbd_test.json``); a dataset without one
    is left out of validation rather than validated on its training data.
    Roots (``--*-root``) are kept. iBims-1 is a test set: its root is kept.

    Args:
        paths (dict): Seed path flags (``nyu_csv``, ``nyu_root``, ...).

    Returns:
        dict: The paths to validate on.
    """
    import os.path as osp
    held_out = {}
    for key, value in paths.items():
        if key.endswith('_root') or key == 'da2k_annotation':
            held_out[key] = value
            continue
        folder, name = osp.split(value)
        root = paths.get(key.rsplit('_', 1)[0] + '_root', '')
        for word in ('test', 'val'):
            candidate = osp.join(folder, name.replace('train', word))
            if 'train' in name and (osp.isfile(candidate) or osp.isfile(
                    osp.join(root, candidate))):
                held_out[key] = candidate
                break
    return held_out
