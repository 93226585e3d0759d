"""The seed script's command-line flags (``train_da2_zoe.py``).

Every flag defaults to ``None`` (not given) so the config's value stands
unless the user asks otherwise. The dataset flags are generated from the
table of seed datasets (:data:`da2zoe.datasets.seed_datasets.SEED_DATASETS`),
for ``tools/train.py`` and ``tools/test.py`` alike; the table of flags and
config keys is in ``docs/seed_flags.md``.
"""
import argparse
from typing import Dict

from da2zoe.datasets.seed_datasets import SEED_DATASETS, SEED_NAMES

ENCODERS = ('vits', 'vitb', 'vitl', 'vitg')


def _flag(key: str) -> str:
    return '--' + key.replace('_', '-')


def add_dataset_arguments(group: argparse._ActionsContainer,
                          datasets_help: str) -> None:
    """Adds ``--datasets``, every path flag and every switch of the table.

    Args:
        group (argparse._ActionsContainer): A parser or argument group.
        datasets_help (str): Help of ``--datasets`` (what the tool does with
            the named sets).
    """
    group.add_argument(
        '--datasets', nargs='+', choices=SEED_NAMES, help=datasets_help)
    for entry in SEED_DATASETS:
        for path in entry.paths:
            group.add_argument(
                _flag(path.key),
                help=f'{entry.type}.{path.arg} (defaults: '
                f'{entry.config_base})')
        if entry.switch is not None:
            group.add_argument(
                _flag(entry.switch),
                action='store_true',
                default=None,
                help=f'{entry.type}.{entry.switch}')


def dataset_paths(args: argparse.Namespace) -> Dict[str, str]:
    """The path flags that were given, keyed by flag name (``nyu_csv``).

    Args:
        args (argparse.Namespace): Parsed arguments with the table's flags.

    Returns:
        dict: ``{key: value}`` of every given path flag.
    """
    keys = [p.key for entry in SEED_DATASETS for p in entry.paths]
    return {k: getattr(args, k) for k in keys if getattr(args, k) is not None}


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
    add_dataset_arguments(
        data, 'train on these sets; their held-out lists become the '
        'validation and test sets')
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

    out = parser.add_argument_group('outputs (seed flags)')
    out.add_argument('--save-dir', help='checkpoint directory')
    out.add_argument('--log-dir', help='TensorBoard directory')
    out.add_argument(
        '--validate',
        action='store_true',
        default=None,
        help='run the validation loop every epoch')
