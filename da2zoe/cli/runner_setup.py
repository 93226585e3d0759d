"""Shared set-up of MMEngine runners for ``tools/train.py`` and ``test.py``."""
import argparse
import functools
import itertools
import logging
import os
import sys
from typing import Callable, Optional, Tuple, Type

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import FlexibleRunner, Runner

from da2zoe.analysis.malloc import tune_malloc
from da2zoe.checkpoint import register_safe_globals
from da2zoe.cli.config_errors import one_line_config_errors
from da2zoe.cli.preflight import config_path_error
from da2zoe.cli.weight_sources import weight_lines
from da2zoe.engine.runner import DepthRunner


def resolve_dist_backend(cfg: Config) -> str:
    """Replaces ``env_cfg.dist_cfg.backend='auto'`` by nccl or gloo.

    Args:
        cfg (Config): The config, modified in place.

    Returns:
        str: The backend in use.
    """
    env_cfg = cfg.setdefault('env_cfg', dict())
    dist_cfg = env_cfg.setdefault('dist_cfg', dict())
    backend = dist_cfg.get('backend', 'auto')
    if backend == 'auto':
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        dist_cfg['backend'] = backend
    return backend


def unpad_eval_samplers(cfg: Config) -> None:
    """Evaluates every sample exactly once under distributed runs.

    MMEngine's ``DefaultSampler`` pads each rank's share with duplicates
    (``round_up=True``) and ``collect_results`` truncates the gathered
    results to the dataset size to drop them again. That only works when a
    metric stores exactly one result per sample: ``DepthMetric`` skips
    DA-2K samples and ``DA2KMetric`` skips dense ones, so with several
    datasets the duplicates survived (e.g. DA-2K pairs counted twice). The
    validation and test samplers therefore do not pad (ranks may get one
    sample less; evaluation loops need no collective per iteration). A
    sampler config that sets ``round_up`` itself is left alone.

    Args:
        cfg (Config): The config, modified in place.
    """
    for key in ('val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if not loader:
            continue
        sampler = loader.get('sampler')
        if isinstance(sampler, dict) and sampler.get('type') in (
                'DefaultSampler', 'mmengine.DefaultSampler'):
            sampler.setdefault('round_up', False)


def setup_launcher(cfg: Config) -> None:
    """Prepares distributed training, including CPU-only machines.

    MMEngine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and its
    DDP wrapper passes ``device_ids=[LOCAL_RANK]``; both fail without a GPU.
    On a CPU-only machine the gloo process group is therefore initialised
    here, before the Runner (which then skips its own initialisation), and
    DDP is built with ``device_ids=None``. Unused-parameter detection is
    on by default, and evaluation samplers do not pad
    (:func:`unpad_eval_samplers`).

    Args:
        cfg (Config): The config, modified in place.
    """
    backend = resolve_dist_backend(cfg)
    unpad_eval_samplers(cfg)
    if cfg.get('launcher', 'none') == 'none':
        return
    # DINOv2's ``mask_token`` is kept for checkpoint compatibility but never
    # used in the forward pass: with a trained encoder, DDP without unused
    # parameter detection stops at the second iteration ("Expected to have
    # finished reduction in the prior iteration"). Detection is on unless
    # the config says otherwise (top-level ``find_unused_parameters``, read
    # by MMEngine when ``model_wrapper_cfg`` is not set).
    if cfg.get('find_unused_parameters') is None:
        cfg.find_unused_parameters = True
    if backend == 'gloo' and not torch.cuda.is_available():
        if not dist.is_initialized():
            dist.init_process_group(backend='gloo')
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel',
            find_unused_parameters=cfg.find_unused_parameters)
        wrapper['device_ids'] = None
        wrapper.setdefault('broadcast_buffers', False)
        cfg.model_wrapper_cfg = wrapper


def close_process_group(wait: bool) -> None:
    """Destroys the process group while the interpreter is still whole.

    A process that exits with its gloo group alive can abort while Python
    shuts down ("terminate called without an active exception", exit -6):
    gloo's worker threads still hold work objects when the interpreter is
    torn down (pytorch/pytorch#179291). Seen in CI on a rank of
    ``tools/dist_test.sh`` after the metrics were written.

    Args:
        wait (bool): Meet the other ranks first (a barrier), so that no
            rank closes while another still talks to it. False on an error
            path, where a rank may never reach the barrier.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if wait:
        dist.barrier()
    dist.destroy_process_group()


def closes_process_group(main: Callable[..., int]) -> Callable[..., int]:
    """Wraps a tool's ``main``: the process group is destroyed on return.

    Exit status 0 waits for every rank (:func:`close_process_group`); a
    failure or an exception does not.

    Args:
        main (Callable): ``main(argv) -> exit status``.

    Returns:
        Callable: The wrapped ``main``.
    """

    @functools.wraps(main)
    def wrapped(*args, **kwargs) -> int:
        try:
            status = main(*args, **kwargs)
        except BaseException:
            close_process_group(wait=False)
            raise
        close_process_group(wait=status == 0)
        return status

    return wrapped


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--launcher`` and ``--local-rank`` (set by older launchers).

    Args:
        parser (argparse.ArgumentParser): A tool's parser.
    """
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def export_local_rank(args: argparse.Namespace) -> None:
    """Sets ``LOCAL_RANK`` from ``--local-rank`` unless the launcher did.

    Args:
        args (argparse.Namespace): Parsed arguments with ``local_rank``.
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)


def runner_from_args(
        args: argparse.Namespace,
        build_config: Callable[[argparse.Namespace], Config],
        errors: Tuple[Type[Exception], ...],
        announce: Optional[Callable[[Config], None]] = None
) -> Optional[Runner]:
    """Tunes malloc, builds the config from ``args``, then the runner.

    Args:
        args (argparse.Namespace): The tool's parsed arguments.
        build_config (Callable): The tool's ``args -> Config``.
        errors (tuple[type, ...]): Errors of a bad flag or config: printed
            as one line instead of a traceback.
        announce (Callable, optional): Called with the resolved config
            before the runner is built, i.e. before MMEngine logs the
            environment and the whole config (hundreds of lines).

    Returns:
        Runner | None: The runner, or None after printing the error.
    """
    tune_malloc()  # keep activation pages between steps
    error = config_path_error(args.config)
    if error:
        print(f'error: {error}', file=sys.stderr)
        return None
    try:
        cfg = build_config(args)
    except errors as err:
        print(f'error: {err}', file=sys.stderr)
        return None
    if announce is not None:
        announce(cfg)
    setup_launcher(cfg)
    with one_line_config_errors(cfg):
        return build_runner(cfg)


_BUILDS = itertools.count()  # runners built in this process


def build_runner(cfg: Config) -> Runner:
    """Builds the runner after registering the checkpoint allow list.

    MMEngine names the logger, message hub and visualizer of a run
    ``<config>_<timestamp>`` and hands an existing instance back for a
    name already used: a second runner built in the same process within
    the same second would log into the first run's handlers and file. So
    every runner after the first gets ``experiment_name=<config>_<n>``
    (every rank counts alike, the name stays rank-consistent).

    Args:
        cfg (Config): The resolved config.
    """
    register_safe_globals()
    built = next(_BUILDS)
    if built and cfg.get('experiment_name') is None:
        stem = os.path.splitext(os.path.basename(cfg.filename or 'run'))[0]
        cfg.experiment_name = f'{stem}_{built}'
    if cfg.get('strategy') is not None:  # e.g. FSDP (da2zoe.engine)
        # FlexibleRunner builds the strategy before it sets the scope.
        DefaultScope.get_instance(
            'da2zoe_strategy', scope_name=cfg.get('default_scope', 'da2zoe'))
        return FlexibleRunner.from_cfg(cfg)
    return DepthRunner.from_cfg(cfg)


def _describe_model(cfg: Config) -> list:
    model = cfg.model
    lines = []
    backbone = model.get('backbone', {})
    lines.append(f'encoder: {backbone.get("type")} {backbone.get("arch")} '
                 f'({"frozen" if backbone.get("frozen", False) else "trained"}'
                 ')')
    neck = model.get('neck')
    necks = neck if isinstance(neck, list) else [neck]
    lines.append('neck: ' + (' -> '.join(str(n.get('type')) for n in necks)
                             if neck else "none (the head reads the "
                             "encoder's levels)"))
    head = model.get('head', {})
    if 'n_bins' in head:
        lines.append(
            f'head: {head.get("type")} n_bins={head.get("n_bins")} '
            f'bins={head.get("bin_centers_type")} '
            f'range={head.get("min_depth")}..{head.get("max_depth")} m '
            f'attractors={head.get("n_attractors")} '
            f'{head.get("attractor_type")}/{head.get("attractor_kind")}')
    else:
        lines.append(f'head: {head.get("type")}')
    if model.get('camera'):
        lines.append(f'camera: {model.camera}')
    losses = ', '.join(f'{loss.get("type")} x{loss.get("loss_weight", 1.0)}'
                       for loss in model.get('losses', []))
    lines.append(f'losses: {losses}')
    return lines  # the weights: weight_lines, at the end


def key_choices_text(cfg: Config) -> str:
    """The resolved config's key choices, one line each.

    Args:
        cfg (Config): The resolved config.

    Returns:
        str: ``da2zoe run:`` and the lines, the weights (and the
        random-frozen-encoder banner, if any) last.
    """
    lines = _describe_model(cfg)
    optim = cfg.get('optim_wrapper', {})
    opt = optim.get('optimizer', {})
    lines.append(
        f'optimiser: {opt.get("type")} lr={opt.get("lr")} '
        f'wd={opt.get("weight_decay")} wrapper={optim.get("type")} '
        f'clip={optim.get("clip_grad")} '
        f'encoder_lr_factor='
        f'{optim.get("paramwise_cfg", {}).get("encoder_lr_factor")} '
        f'accumulate={optim.get("accumulative_counts", 1)}')
    sched = cfg.get('param_scheduler')
    scheds = sched if isinstance(sched, list) else [sched]
    lines.append('schedule: ' + ', '.join(
        str({k: v for k, v in s.items()}) for s in scheds if s))
    train_cfg = cfg.get('train_cfg', {})
    loader = cfg.get('train_dataloader', {})
    dataset = loader.get('dataset', {})
    lines.append(f'data: {dataset.get("type")} '
                 f'batch={loader.get("batch_size")}'
                 f' workers={loader.get("num_workers")} '
                 f'epochs={train_cfg.get("max_epochs")} '
                 f'validate={cfg.get("val_dataloader") is not None}')
    lines.append(f'work_dir: {cfg.work_dir} resume={cfg.get("resume")} '
                 f'load_from={cfg.get("load_from")} '
                 f'world_size={os.environ.get("WORLD_SIZE", 1)}')
    for flag in cfg.get('applied_flags', []):
        lines.append(f'flag: {flag}')
    lines += weight_lines(cfg)  # the banner, if any, last
    return 'da2zoe run:\n  ' + '\n  '.join(lines)


def print_key_choices(cfg: Config) -> None:
    """Prints the key choices on rank 0 (before any runner exists).

    Args:
        cfg (Config): The resolved config.
    """
    if os.environ.get('RANK', '0') == '0':
        print(key_choices_text(cfg), flush=True)


def log_to_files(logger: logging.Logger, text: str) -> None:
    """Writes ``text`` to the logger's log files only, not the console.

    Args:
        logger (logging.Logger): E.g. ``runner.logger``.
        text (str): The message (INFO).
    """
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, text,
                               None, None)
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
