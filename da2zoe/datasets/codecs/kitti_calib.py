"""KITTI raw calibration: ``<date>/calib_cam_to_cam.txt``.

Each line is ``KEY: numbers``. A rectified camera ``0X`` (00, 01 grey, 02
left colour, 03 right colour) has ``P_rect_0X`` (its 3x4 projection matrix,
row-major: ``fx 0 cx tx / 0 fy cy ty / 0 0 1 tz``) and ``S_rect_0X``
(``width height`` of the rectified image, which the ``_sync`` images are).
"""
import os.path as osp
import re
from typing import Dict, Optional, Tuple

import numpy as np

#: The calibration file of a KITTI raw date folder.
KITTI_CALIB_NAME = 'calib_cam_to_cam.txt'
_CAMERA_DIR = re.compile(r'image_(\d\d)$')


def read_kitti_calib(path: str,
                     camera: str = '02'
                     ) -> Tuple[np.ndarray, Optional[Tuple[int, int]]]:
    """One rectified camera of a ``calib_cam_to_cam.txt``.

    Args:
        path: The file.
        camera: Camera number, ``'00'`` to ``'03'`` (``'02'``: the left
            colour camera of the Eigen split).

    Returns:
        The (3, 3) float64 intrinsics from ``P_rect_<camera>`` and the
        (height, width) of ``S_rect_<camera>`` they hold at (None when the
        file has no such line).

    Raises:
        ValueError: If the file cannot be read, lacks ``P_rect_<camera>``,
            or a value is not the numbers it should be (the message names
            the file and key).
    """
    try:
        with open(path) as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f'{path}: unreadable KITTI calibration '
                         f'({err})') from err
    entries: Dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        if sep:
            entries[key.strip()] = value
    p_key, s_key = f'P_rect_{camera}', f'S_rect_{camera}'
    if p_key not in entries:
        raise ValueError(f'{path}: no {p_key} (the rectified camera '
                         f'{camera}); keys: {sorted(entries)}')
    p = _numbers(path, p_key, entries[p_key], 12).reshape(3, 4)
    intrinsics = p[:, :3].copy()
    if not (intrinsics[0, 0] > 0 and intrinsics[1, 1] > 0
            and np.allclose(intrinsics[2], [0, 0, 1])
            and intrinsics[0, 1] == 0 and intrinsics[1, 0] == 0):
        raise ValueError(f'{path}: {p_key} is not a pinhole projection '
                         f'(fx, fy > 0, last row 0 0 1): {p.tolist()}')
    size = None
    if s_key in entries:
        width, height = _numbers(path, s_key, entries[s_key], 2)
        if not (width >= 1 and height >= 1):
            raise ValueError(f'{path}: {s_key} {width} {height} is not a '
                             'width and height')
        size = (int(round(height)), int(round(width)))
    return intrinsics, size


def _numbers(path: str, key: str, value: str, count: int) -> np.ndarray:
    """``count`` finite numbers of one line."""
    try:
        numbers = np.array([float(v) for v in value.split()], np.float64)
    except ValueError as err:
        raise ValueError(f'{path}: {key} is not numbers ({err})') from err
    if numbers.size != count or not np.isfinite(numbers).all():
        raise ValueError(f'{path}: {key} needs {count} finite numbers, got '
                         f'{value.strip()!r}')
    return numbers


def kitti_camera_of(img_path: str) -> str:
    """The camera number of a raw image path (``.../image_03/data/x.png``
    -> ``'03'``); ``'02'`` when the path names none."""
    folder = osp.dirname(osp.dirname(img_path))
    match = _CAMERA_DIR.search(osp.basename(folder))
    return match.group(1) if match else '02'


def find_kitti_calib(img_path: str, root: str) -> Optional[str]:
    """The ``calib_cam_to_cam.txt`` of an image's date folder.

    Looks in the image's folders from the nearest up to ``root`` (the date
    folder ``root/2011_09_26`` holds it in the raw release).

    Args:
        img_path: The image.
        root: The folder the search stops at (the split's image root).

    Returns:
        The file's path, or None when no folder up to ``root`` has one.
    """
    root = osp.abspath(root)
    folder = osp.dirname(osp.abspath(img_path))
    while True:
        candidate = osp.join(folder, KITTI_CALIB_NAME)
        if osp.isfile(candidate):
            return candidate
        parent = osp.dirname(folder)
        if folder == root or parent == folder or not folder.startswith(
                root):
            return None
        folder = parent
