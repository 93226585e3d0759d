"""Training from the command line: ``python tools/train.py CONFIG [options]``.

Takes the OpenMMLab flags (``--work-dir``, ``--resume [PATH]``, ``--amp``,
``--cfg-options``, ``--launcher``) and every flag of the seed script
``train_da2_zoe.py`` as a shortcut into the config (docs/seed_flags.md). At
the end it prints the config the run saved and the ``tools/test.py`` command
that evaluates its best (or latest) checkpoint on that run's test data.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction

from da2zoe.analysis.cpu import choose_bf16
from da2zoe.checkpoint import DiskFullError, UnsafeCheckpointError
from da2zoe.checkpoint.pretrained import LAYOUT_ERRORS
from da2zoe.cli.config_errors import one_line_config_errors
from da2zoe.cli.resume_check import RESUME_OR_NEW, latest_checkpoint
from da2zoe.cli.run_summary import report_saved_config
from da2zoe.cli.runner_setup import (
    add_launcher_arguments,
    closes_process_group,
    export_local_rank,
    key_choices_text,
    log_to_files,
    print_key_choices,
    runner_from_args,
)
from da2zoe.cli.seed_config import ConfigConflictError, apply_seed_arguments
from da2zoe.cli.seed_flags import add_seed_arguments
from da2zoe.cli.weight_sources import drop_config_weights
from da2zoe.engine.hooks.skipped_samples_hook import TooManyBadSamplesError
from da2zoe.engine.runner import CheckpointMismatchError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parses the OpenMMLab and seed flags of ``tools/train.py``.

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.
    """
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Train a da2zoe metric depth model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume from PATH, or from the latest checkpoint of the work '
        'dir when no path is given (an error when there is none; '
        f'{RESUME_OR_NEW}: the latest if any, else a new run)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: bf16 autocast on CPUs, fp16/bf16 on GPUs')
    parser.add_argument(
        '--amp-dtype',
        choices=('auto', 'bfloat16', 'float16'),
        default='auto',
        help='autocast dtype with --amp (auto: bf16 on CPUs and on GPUs '
        'that support it, fp16 with loss scaling otherwise)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='with --amp: use bf16 even on a CPU without native bf16 '
        '(AVX2 only), where it is emulated and several times slower; '
        'without --force such a CPU trains in float32')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_cfg.max_epochs=2')
    add_launcher_arguments(parser)
    add_seed_arguments(parser)
    args = parser.parse_args(argv)
    export_local_rank(args)
    return args


def build_config(args: argparse.Namespace) -> Config:
    """Loads the config and applies every flag; conflicts raise.

    Args:
        args (argparse.Namespace): Output of :func:`parse_args`.
    """
    cfg = Config.fromfile(args.config)
    cfg_options = dict(args.cfg_options or {})
    applied = apply_seed_arguments(
        cfg, args, config_path=args.config, cfg_options=cfg_options)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not cfg.model.get('losses', True):  # e.g. da2-relative_*: evaluation
        raise ValueError(
            f'{args.config}: model.losses is empty, so this config can only '
            'evaluate (tools/test.py); add losses (e.g. SILogLoss) to train')
    cfg.launcher = args.launcher

    if args.work_dir is not None:
        if args.save_dir is not None and \
                osp.abspath(args.save_dir) != osp.abspath(args.work_dir):
            # Both are honoured: checkpoints in --save-dir, logs in the work
            # dir. Say so, since the seed had no work dir.
            print(f'checkpoints go to --save-dir {args.save_dir}, logs to '
                  f'--work-dir {args.work_dir}')
        cfg.work_dir = args.work_dir
    elif args.save_dir is not None:
        cfg.work_dir = args.save_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = latest_checkpoint(cfg.work_dir)
    elif args.resume == RESUME_OR_NEW:
        cfg.resume = True  # MMEngine: latest if any, else a new run
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume: no checkpoint {args.resume}')
        cfg.resume = True
        cfg.load_from = args.resume

    replaced = drop_config_weights(cfg)
    if replaced:
        applied.append(('weights', 'init_cfg', replaced))

    if args.amp and not _amp_pays(args):
        applied.append(('--amp', 'optim_wrapper.type',
                        'unchanged (float32: no native bf16 on this CPU)'))
    elif args.amp:
        wrapper = cfg.optim_wrapper
        if wrapper.get('type') not in (None, 'OptimWrapper',
                                       'DepthOptimWrapper',
                                       'DepthAmpOptimWrapper'):
            raise ConfigConflictError(
                f'--amp contradicts optim_wrapper.type={wrapper.type!r} '
                f'in {args.config}')
        wrapper.type = 'DepthAmpOptimWrapper'
        wrapper.dtype = args.amp_dtype
        applied.append(('--amp', 'optim_wrapper.type',
                        f'DepthAmpOptimWrapper({args.amp_dtype})'))

    # Each epoch's workers get their own reproducible augmentation stream
    # (the dataset bases say so; a config of its own may not).
    cfg.train_dataloader.setdefault('worker_init_fn',
                                    dict(type='da2zoe.seed_worker_from_torch'))
    validate = args.validate or cfg.get('validate', False)
    if not validate:
        cfg.val_dataloader = None
        cfg.val_cfg = None
        cfg.val_evaluator = None
    cfg.applied_flags = [f'{flag} -> {key} = {value!r}'
                         for flag, key, value in applied]
    return cfg


def _amp_pays(args: argparse.Namespace) -> bool:
    """False (after saying why) where ``--amp`` would run emulated bf16.

    Args:
        args (argparse.Namespace): Output of :func:`parse_args`.
    """
    if args.amp_dtype == 'float16' or torch.cuda.is_available():
        return True  # a GPU run, or the wrapper's own CPU fp16 error
    use, message = choose_bf16('--amp', 'cpu', force=args.force)
    if message:
        print(message, file=sys.stderr)
    return use


@closes_process_group
def main(argv: Optional[List[str]] = None) -> int:
    """Trains; returns the exit status (2 on a bad flag or config).

    Args:
        argv (list[str], optional): Arguments; ``sys.argv[1:]`` if None.
    """
    args = parse_args(argv)
    runner = runner_from_args(
        args, build_config,
        (ConfigConflictError, ValueError, FileNotFoundError),
        announce=print_key_choices)  # first: before MMEngine's config dump
    if runner is None:
        return 2
    log_to_files(runner.logger, key_choices_text(runner.cfg))
    try:
        with one_line_config_errors(runner.cfg):  # datasets build lazily
            runner.train()
    except (CheckpointMismatchError, FileNotFoundError, UnsafeCheckpointError,
            TooManyBadSamplesError, DiskFullError, *LAYOUT_ERRORS) as err:
        # Missing or unusable weights (the resolver names the file / repo
        # and where to get it; a layout error what the file is), data
        # (missing, or too much of it bad) or no room for a checkpoint:
        # one line, not a traceback.
        runner.logger.error(str(err))
        print(f'error: {err}', file=sys.stderr)
        return 2
    report_saved_config(runner)
    return 0
