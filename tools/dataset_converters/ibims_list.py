"""Write iBims-1's ``imagelist.txt`` (one name per line) for a release folder.

Names are the ``.mat`` files of the ``.mat`` release, or the PNGs of ``rgb/``
in the PNG release; ``IBimsDataset`` reads the list when present.

Usage::

    python tools/dataset_converters/ibims_list.py data/ibims/ibims1_core_mat
"""
import argparse
import glob
import os.path as osp
from typing import List, Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (default: ``sys.argv``) into this tool's options."""
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n')[0])
    parser.add_argument('root', help='ibims1_core_mat/ or ibims1_core_raw/')
    parser.add_argument(
        '--out', help='list to write (default: ROOT/imagelist.txt)')
    return parser.parse_args(argv)


def list_names(root: str) -> List[str]:
    """Image names of an iBims-1 release folder.

    Args:
        root (str): The release folder.

    Returns:
        list[str]: Sorted names without extension.
    """
    files = glob.glob(osp.join(root, '*.mat')) or glob.glob(
        osp.join(root, 'rgb', '*.png'))
    return sorted(osp.splitext(osp.basename(f))[0] for f in files)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Write the list and print its size."""
    args = parse_args(argv)
    names = list_names(args.root)
    if not names:
        raise SystemExit(f'no .mat files or rgb/*.png under {args.root!r}')
    out = args.out or osp.join(args.root, 'imagelist.txt')
    with open(out, 'w', encoding='utf-8') as handle:
        handle.write(''.join(f'{name}\n' for name in names))
    print(f'{out}: {len(names)} images')


if __name__ == '__main__':
    main()
