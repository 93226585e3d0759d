"""Write the seed's SUN RGB-D JSON lists from the official folder tree.

Every folder holding ``image/*.jpg`` and ``depth/*.png`` is one frame (e.g.
``kv1/NYUdata/NYU0001``); its ``depth_bfx/*.png`` and ``intrinsics.txt`` are
listed when present. Paths are relative to ROOT, as ``SUNRGBDDataset``
expects with ``data_root=ROOT``.

Usage::

    # one list of every frame
    python tools/dataset_converters/sunrgbd_json.py data/sunrgbd
    # the official train/test split (SUNRGBDtoolbox/traintestSUNRGBD)
    python tools/dataset_converters/sunrgbd_json.py data/sunrgbd \\
        --split-mat SUNRGBDtoolbox/traintestSUNRGBD/allsplit.mat
"""
import argparse
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``argv`` (default: ``sys.argv``) into this tool's options."""
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n')[0])
    parser.add_argument('root', help='the SUN RGB-D folder (holds kv1/ ...)')
    parser.add_argument(
        '--out-dir', help='where the JSON files go (default: ROOT)')
    parser.add_argument(
        '--split-mat',
        help='allsplit.mat of the SUN RGB-D toolbox: write '
        'sunrgbd_train.json and sunrgbd_test.json')
    parser.add_argument(
        '--without-bfx', action='store_true', help='leave depth_bfx out')
    parser.add_argument(
        '--with-intrinsics',
        action='store_true',
        help='list each frame\'s intrinsics.txt')
    return parser.parse_args(argv)


def _only_file(folder: str, pattern: str) -> Optional[str]:
    found = sorted(glob.glob(osp.join(folder, pattern)))
    return found[0] if found else None


def find_frames(root: str, with_bfx: bool = True,
                with_intrinsics: bool = False) -> List[Dict[str, str]]:
    """Every frame folder under ``root``, as a JSON entry.

    Args:
        root (str): The SUN RGB-D folder.
        with_bfx (bool): List ``depth_bfx`` where present. Default: True.
        with_intrinsics (bool): List ``intrinsics.txt``. Default: False.

    Returns:
        list[dict[str, str]]: ``image``, ``depth`` (``depth_bfx``,
        ``intrinsics``) relative to ``root``, sorted by frame.
    """
    entries = []
    for folder, dirs, _ in os.walk(root):
        if 'image' not in dirs or 'depth' not in dirs:
            continue
        image = _only_file(osp.join(folder, 'image'), '*.jpg')
        depth = _only_file(osp.join(folder, 'depth'), '*.png')
        if image is None or depth is None:
            continue
        entry = dict(image=image, depth=depth)
        bfx = _only_file(osp.join(folder, 'depth_bfx'), '*.png')
        if with_bfx and bfx:
            entry['depth_bfx'] = bfx
        intrinsics = osp.join(folder, 'intrinsics.txt')
        if with_intrinsics and osp.isfile(intrinsics):
            entry['intrinsics'] = intrinsics
        entries.append({k: osp.relpath(v, root) for k, v in entry.items()})
    return sorted(entries, key=lambda e: e['image'])


def frame_key(path: str) -> str:
    """A frame's path from ``kv1/``/``kv2/``/... on, for split matching.

    Args:
        path (str): An absolute toolbox path or a path relative to ROOT.

    Returns:
        str: The part after ``SUNRGBD/`` without slashes at the ends.
    """
    path = path.replace('\\', '/')
    if 'SUNRGBD/' in path:
        path = path.split('SUNRGBD/', 1)[1]
    return path.strip('/')


def load_split(split_mat: str) -> Dict[str, str]:
    """Frame key -> 'train' / 'test' from the toolbox's ``allsplit.mat``.

    Args:
        split_mat (str): The ``.mat`` file (``alltrain``, ``alltest``).

    Returns:
        dict[str, str]: The split of each listed frame.
    """
    from scipy.io import loadmat
    mat = loadmat(split_mat, squeeze_me=True)
    split = {}
    for key, name in (('alltrain', 'train'), ('alltest', 'test')):
        for path in mat[key]:
            split[frame_key(str(path))] = name
    return split


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Write the JSON list(s) and print what was written."""
    args = parse_args(argv)
    entries = find_frames(args.root, not args.without_bfx,
                          args.with_intrinsics)
    if not entries:
        raise SystemExit(f'no frame (image/ + depth/ folders) under '
                         f'{args.root!r}')
    out_dir = args.out_dir or args.root
    os.makedirs(out_dir, exist_ok=True)
    if args.split_mat:
        split = load_split(args.split_mat)
        lists = dict(train=[], test=[])
        unlisted = 0
        for entry in entries:
            name = split.get(frame_key(osp.dirname(osp.dirname(
                entry['image']))))
            if name is None:
                unlisted += 1
            else:
                lists[name].append(entry)
        if unlisted:
            print(f'{unlisted} frames are in neither split (left out)')
    else:
        lists = dict(all=entries)
    for name, items in lists.items():
        path = osp.join(out_dir, f'sunrgbd_{name}.json')
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(items, handle, indent=1)
        with_bfx = sum('depth_bfx' in e for e in items)
        print(f'{path}: {len(items)} frames ({with_bfx} with depth_bfx)')


if __name__ == '__main__':
    main()
