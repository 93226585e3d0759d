"""Plots training curves from MMEngine's JSON scalar logs.

``python tools/analysis_tools/analyze_logs.py plot_curve LOG.json [LOG2.json
...] --keys loss loss_silog d1 --out curves.png [--legend run1 run2]``

A log is ``<work_dir>/<timestamp>/vis_data/scalars.json`` (or the
``<timestamp>.json`` beside it): one JSON object per line, training lines
with ``loss``, ``lr``, ``iter``, ``epoch``, ``step``, validation lines with
metric keys (often prefixed, e.g. ``nyu/d1``) and ``step``. A key matches
exactly or as the last part of a prefixed key (``d1`` matches ``nyu/d1`` and
``kitti/d1``). Every key gets its own panel (validation steps may count
epochs while training steps count iterations); every run is a line in it.
"""
import argparse
import json
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

X_KEYS = ('step', 'iter', 'epoch')

Series = Tuple[List[float], List[float]]


def load_log(path: str) -> List[dict]:
    """The JSON objects of a log, one per line; malformed lines are skipped.

    Args:
        path (str): Log file.

    Returns:
        list[dict]: The records in file order.
    """
    records = []
    with open(path, encoding='utf-8') as file:
        for line in file:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def matching_keys(records: Sequence[dict], key: str) -> List[str]:
    """Keys of the log equal to ``key`` or ending with ``/key``, in order."""
    found: Dict[str, None] = OrderedDict()
    for record in records:
        for name in record:
            if name == key or name.endswith('/' + key):
                found[name] = None
    return list(found)


def extract_series(records: Sequence[dict],
                   key: str,
                   x_key: str = 'auto') -> Dict[str, Series]:
    """``{full key: (x, y)}`` for every key of the log that ``key`` matches.

    Args:
        records (Sequence[dict]): From :func:`load_log`.
        key (str): A key, bare or prefixed.
        x_key (str): ``'step'``, ``'iter'``, ``'epoch'``, or ``'auto'``: the
            first of those each record has (else its index among the
            records holding the key).

    Returns:
        dict[str, tuple[list, list]]: The curves; empty when nothing matches.
    """
    curves = {}
    for name in matching_keys(records, key):
        xs, ys = [], []
        for index, record in enumerate(r for r in records if name in r):
            candidates = X_KEYS if x_key == 'auto' else (x_key, )
            x = next((record[k] for k in candidates if k in record), index)
            xs.append(float(x))
            ys.append(float(record[name]))
        curves[name] = (xs, ys)
    return curves


def default_legend(path: str) -> str:
    """The run folder for ``.../<run>/<timestamp>/vis_data/scalars.json``."""
    parts = osp.normpath(osp.abspath(path)).split(osp.sep)
    if parts[-1] == 'scalars.json' and len(parts) >= 4:
        return parts[-4]
    return osp.splitext(parts[-1])[0]


def plot_curve(logs: Sequence[str],
               keys: Sequence[str],
               out: str,
               legends: Optional[Sequence[str]] = None,
               x_key: str = 'auto',
               title: Optional[str] = None) -> List[str]:
    """Draws one panel per key with every run in it, saved to ``out``.

    Args:
        logs (Sequence[str]): Log files.
        keys (Sequence[str]): Keys to plot.
        out (str): Output picture (format from the extension).
        legends (Sequence[str], optional): One name per log; defaults to the
            run folder names.
        x_key (str): See :func:`extract_series`. Defaults to ``'auto'``.
        title (str, optional): Figure title.

    Returns:
        list[str]: Warnings (keys missing from some logs).

    Raises:
        ValueError: On a legend count mismatch, or a key in no log.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    legends = list(legends) if legends else [default_legend(p) for p in logs]
    if len(legends) != len(logs):
        raise ValueError(f'{len(legends)} legends for {len(logs)} logs')
    runs = [load_log(path) for path in logs]
    fig, axes = plt.subplots(
        len(keys), 1, figsize=(8, 3 * len(keys)), squeeze=False)
    warnings = []
    for key, axis in zip(keys, axes[:, 0]):
        drawn = 0
        for records, legend, path in zip(runs, legends, logs):
            curves = extract_series(records, key, x_key)
            if not curves:
                warnings.append(f'{key!r} not in {path}')
            for name, (xs, ys) in curves.items():
                label = legend if len(curves) == 1 else f'{legend}: {name}'
                axis.plot(xs, ys, label=label, marker='.' if len(xs) < 30
                          else None)
                drawn += 1
        if not drawn:
            plt.close(fig)
            available = sorted({k for r in runs for rec in r for k in rec})
            raise ValueError(f'key {key!r} is in none of the logs; keys: '
                             f'{available}')
        axis.set_title(key)
        axis.set_xlabel(x_key if x_key != 'auto' else 'step')
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize='small')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return warnings


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description='Analyse MMEngine JSON logs')
    commands = parser.add_subparsers(dest='command', required=True)
    curve = commands.add_parser('plot_curve', help='plot scalar curves')
    curve.add_argument('logs', nargs='+', help='JSON log files')
    curve.add_argument(
        '--keys', nargs='+', default=['loss'], help='keys to plot')
    curve.add_argument('--out', required=True, help='output picture')
    curve.add_argument('--legend', nargs='+', help='one name per log')
    curve.add_argument(
        '--xkey', choices=('auto', ) + X_KEYS, default='auto',
        help='x axis (auto: step, then iter, then epoch)')
    curve.add_argument('--title', help='figure title')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        warnings = plot_curve(args.logs, args.keys, args.out, args.legend,
                              args.xkey, args.title)
    except (OSError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    for warning in warnings:
        print(f'warning: {warning}', file=sys.stderr)
    print(f'saved {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
