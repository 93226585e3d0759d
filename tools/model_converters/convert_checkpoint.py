"""Convert a checkpoint of any known layout to a da2zoe checkpoint.

Accepts Depth Anything V2 (relative and metric), Depth Anything V1 metric
(ZoeDepth format), Depth Anything 3 mono, DINOv2 hub weights, the
transformers layouts, DA-V2 training checkpoints (``{'model': ...}`` with
``module.`` keys) and MMEngine / da2zoe checkpoints, from a ``.pth`` /
``.safetensors`` file, a Hugging Face snapshot folder or ``hf://``; the
layout is detected from the keys. Writes
``{'state_dict': ..., 'meta': {'source_layout': ..., 'source_file': ...}}``,
or a ``.safetensors`` file when DST ends so, atomically
(:func:`da2zoe.checkpoint.convert_file.convert_checkpoint_file`).

Example:
    python tools/model_converters/convert_checkpoint.py \\
        depth_anything_v2_vitl.pth checkpoints/da2_vitl_da2zoe.pth
"""
import argparse
import sys

from da2zoe.checkpoint import UnsafeCheckpointError, resave_trusted_checkpoint
from da2zoe.checkpoint.convert_file import convert_checkpoint_file


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False,
        description='Convert a Depth Anything / DINOv2 / training checkpoint '
        'to a da2zoe checkpoint (layout detected from the keys).')
    parser.add_argument(
        'src', help='checkpoint to convert: a file, a Hugging Face snapshot '
        'folder or hf://<owner>/<repo>[/<file>]')
    parser.add_argument(
        'dst', help='da2zoe checkpoint to write (.safetensors: safetensors, '
        'otherwise a torch file)')
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
    try:
        summary = convert_checkpoint_file(args.src, args.dst)
    except (OSError, ValueError, UnsafeCheckpointError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(summary)
    if args.print_mapping:
        for old, new in summary.renames:
            print(f'{old} -> {new}')
    print(f'saved {len(summary.renames)} tensors to {args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
