"""Convert a checkpoint of any known layout to a da2zoe checkpoint.

Accepts Depth Anything V2 (relative and metric), Depth Anything V1 metric
(ZoeDepth format), DINOv2 hub weights, DA-V2 training checkpoints
(``{'model': ...}`` with ``module.`` keys) and MMEngine / da2zoe checkpoints;
the layout is detected from the keys. Writes
``{'state_dict': ..., 'meta': {'source_layout': ..., 'source_file': ...}}``
atomically (temp file in the target folder, then ``os.replace``).

Example:
    python tools/model_converters/convert_checkpoint.py \\
        depth_anything_v2_vitl.pth checkpoints/da2_vitl_da2zoe.pth
"""
import argparse
import os
import sys
import tempfile
from typing import Any

import torch

from da2zoe.checkpoint import (
    ConversionSummary,
    convert_state_dict,
    load_checkpoint_file,
    resave_trusted_checkpoint,
)


def save_atomic(obj: Any, path: str) -> None:
    """``torch.save`` to a temp file beside ``path``, then rename over it.

    A crash mid-write leaves any previous ``path`` intact.

    Args:
        obj (Any): What to save.
        path (str): Destination file.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(path)}.', suffix='.tmp')
    os.close(fd)
    try:
        torch.save(obj, tmp_path)
        os.replace(tmp_path, path)
    except BaseException:
        os.remove(tmp_path)
        raise


def convert_checkpoint(src: str, dst: str) -> ConversionSummary:
    """Reads ``src`` safely, renames its keys and saves a da2zoe checkpoint.

    Args:
        src (str): Source checkpoint file.
        dst (str): Output file.

    Returns:
        ConversionSummary: Detected layout and the key mapping.
    """
    converted, layout, summary = convert_state_dict(load_checkpoint_file(src))
    save_atomic(
        dict(
            state_dict=converted,
            meta=dict(source_layout=layout, source_file=src)), dst)
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Convert a Depth Anything / DINOv2 / training checkpoint '
        'to a da2zoe checkpoint (layout detected from the keys).')
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='da2zoe checkpoint to write')
    parser.add_argument(
        '--print-mapping',
        action='store_true',
        help='also print every key as "source key -> da2zoe key"')
    parser.add_argument(
        '--trusted',
        action='store_true',
        help='SRC is a file you trust that the weights-only loader refuses '
        '(e.g. written by MMEngine\'s own CheckpointHook): unpickle it once '
        '(this runs its code) and rewrite it, whole and resumable, as a '
        'weights-only DST')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.trusted:
        resave_trusted_checkpoint(args.src, args.dst)
        print(f'rewrote trusted {args.src} as weights-only {args.dst}')
        return 0
    summary = convert_checkpoint(args.src, args.dst)
    print(summary)
    if args.print_mapping:
        for old, new in summary.renames:
            print(f'{old} -> {new}')
    print(f'saved {len(summary.renames)} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
