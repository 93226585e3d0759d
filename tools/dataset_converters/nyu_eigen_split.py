"""Write an Eigen-style ``rgb depth focal`` split file from a folder of pairs.

Pairs are found by name under ROOT (recursively): an RGB file
``<rgb-prefix><id><rgb-ext>`` pairs with ``<depth-prefix><id><depth-ext>`` in
the same folder (BTS naming by default: ``rgb_00045.jpg`` +
``sync_depth_00045.png``). Paths are written relative to ROOT, the folder
``NYUSplitDataset`` then takes as ``img_dir``.

Usage::

    python tools/dataset_converters/nyu_eigen_split.py data/nyu_eigen/sync \\
        --out data/nyu_eigen/my_train_files.txt --leading-slash
"""
import argparse
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

NYU_FOCAL = 518.8579


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (default: ``sys.argv``) into this tool's options."""
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n')[0])
    parser.add_argument('root', help='folder holding the pairs')
    parser.add_argument('--out', required=True, help='split file to write')
    parser.add_argument('--rgb-prefix', default='rgb_')
    parser.add_argument('--depth-prefix', default='sync_depth_')
    parser.add_argument('--rgb-ext', default='.jpg')
    parser.add_argument('--depth-ext', default='.png')
    parser.add_argument('--focal', type=float, default=NYU_FOCAL)
    parser.add_argument(
        '--leading-slash',
        action='store_true',
        help="start paths with '/' as BTS train lists do")
    return parser.parse_args(argv)


def find_pairs(root: str, rgb_prefix: str, depth_prefix: str, rgb_ext: str,
               depth_ext: str) -> Tuple[List[Tuple[str, str]], int]:
    """RGB/depth pairs under ``root`` by file name.

    Args:
        root (str): Folder to walk.
        rgb_prefix (str): RGB name prefix.
        depth_prefix (str): Depth name prefix.
        rgb_ext (str): RGB extension.
        depth_ext (str): Depth extension.

    Returns:
        tuple[list[tuple[str, str]], int]: Sorted relative pairs, and how many
        RGB files had no depth.
    """
    pairs, unpaired = [], 0
    for folder, _, names in os.walk(root):
        for name in names:
            if not (name.startswith(rgb_prefix) and name.endswith(rgb_ext)):
                continue
            frame = name[len(rgb_prefix):len(name) - len(rgb_ext)]
            depth = osp.join(folder, depth_prefix + frame + depth_ext)
            if not osp.isfile(depth):
                unpaired += 1
                continue
            pairs.append((osp.relpath(osp.join(folder, name), root),
                          osp.relpath(depth, root)))
    return sorted(pairs), unpaired


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Write the split file and print its size."""
    args = parse_args(argv)
    pairs, unpaired = find_pairs(args.root, args.rgb_prefix,
                                 args.depth_prefix, args.rgb_ext,
                                 args.depth_ext)
    if not pairs:
        raise SystemExit(f'no {args.rgb_prefix}*{args.rgb_ext} / '
                         f'{args.depth_prefix}*{args.depth_ext} pair under '
                         f'{args.root!r}')
    lead = '/' if args.leading_slash else ''
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as handle:
        for rgb, depth in pairs:
            handle.write(f'{lead}{rgb} {lead}{depth} {args.focal:.4f}\n')
    print(f'{args.out}: {len(pairs)} pairs'
          + (f' ({unpaired} RGB files without depth left out)'
             if unpaired else ''))


if __name__ == '__main__':
    main()
