"""Write procedural synthetic RGB-D scenes in every on-disk dataset format
the toolbox reads.

Usage::

    python tools/dataset_converters/make_synthetic.py --out data/synthetic \\
        --num 50
    python tools/dataset_converters/make_synthetic.py --out /tmp/syn --num 6 \\
        --size 120 160 --kitti-size 64 208 --formats nyu_csv sunrgbd

The layout of each format under ``--out`` (``nyu/``, ``nyu_eigen/``,
``sunrgbd/``, ``ibims/``, ``da2k/``, ``kitti/``, ``folder/`` +
``folder_npy/``) and of ``manifest.json`` is documented in
:mod:`da2zoe.testing.synthetic_datasets`. Scenes are rendered by
:func:`da2zoe.testing.synthetic_scenes.render_scene`, so the true depth of any
written file can be re-rendered from the manifest's seed, index and size.

``--fx-range LOW HIGH`` gives every NYU-like scene its own focal length
(pixels at ``--size``, drawn log-uniformly), written into each format's
camera (``nyu_csv``, which assumes NYU's calibration, cannot take it)::

    python tools/dataset_converters/make_synthetic.py --out /tmp/zoom \\
        --num 60 --size 112 154 --formats folder --fx-range 80 160

KITTI scenes are rendered at ``--kitti-size`` (default 376x1232) with KITTI
intrinsics; below 352x1216 the bottom-centre KITTI crop does not apply.
"""
from __future__ import annotations

import argparse
import time

from da2zoe.testing.synthetic_datasets import (
    FORMATS,
    KITTI_DEFAULT_SIZE,
    write_synthetic,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: arguments (default: ``sys.argv[1:]``).

    Returns:
        The parsed namespace.
    """
    # The summary is the first paragraph (two lines); argparse rewraps it.
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--num', type=int, required=True, help='number of scenes')
    parser.add_argument('--seed', type=int, default=0, help='scene seed')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(480, 640),
        metavar=('H', 'W'),
        help='image size of every format but KITTI')
    parser.add_argument(
        '--kitti-size',
        type=int,
        nargs=2,
        default=KITTI_DEFAULT_SIZE,
        metavar=('H', 'W'),
        help='image size of the KITTI scenes')
    parser.add_argument(
        '--formats',
        nargs='+',
        choices=FORMATS,
        default=list(FORMATS),
        help='formats to write (default: all)')
    parser.add_argument(
        '--fx-range',
        type=float,
        nargs=2,
        metavar=('LOW', 'HIGH'),
        help='focal length range in pixels at --size (default: NYU\'s '
        'calibration for every scene)')
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Write the requested formats and print a one-line summary per format."""
    args = parse_args(argv)
    start = time.perf_counter()
    manifest = write_synthetic(args.out, args.num, args.seed, tuple(args.size),
                               args.formats, tuple(args.kitti_size),
                               fx_range=args.fx_range and tuple(args.fx_range))
    for name, section in manifest['formats'].items():
        print(f'{name:10s} {len(section["entries"]):5d} scenes -> '
              f'{args.out}/{section["root"]}')
    print(f'wrote {args.out}/manifest.json in '
          f'{time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
