"""A user's own RGB-D data: an ``rgb/`` and a ``depth/`` folder."""
import json
import logging
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from da2zoe.structures.camera import CameraLike, parse_intrinsics
from .base_depth_dataset import BaseDepthDataset
from .codecs import opencv_reads_exr

#: Camera file in ``data_root``: one camera for every image, or one per
#: relative stem (``{"scene/0001": {"fx": 500, "fy": 500, "cx": 319.5,
#: "cy": 239.5}, ...}``).
INTRINSICS_FILE = 'intrinsics.json'

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
DEPTH_SUFFIXES = ('.png', '.npy', '.tif', '.tiff', '.exr', '.pfm')


@DATASETS.register_module()
class DepthFolderDataset(BaseDepthDataset):
    """RGB images and depth maps in two folders, matched by file stem.

    ``rgb/scene/0001.jpg`` pairs with ``depth/scene/0001.<ext>`` (sub-folders
    are walked; the relative stem must match). Decoding rule ``scaled``:
    metres = stored value * ``depth_scale``, whatever the file holds: 8- or
    16-bit PNG, float or integer TIFF (read with OpenCV's
    ``IMREAD_UNCHANGED``), float ``.npy``, or ``.exr`` when this OpenCV build
    has OpenEXR (checked at start; the pip wheels lack it, convert EXR to
    ``.npy``/``.tiff`` then). Zero, negative, NaN and inf are invalid. There
    is no default scale: a 16-bit millimetre PNG needs ``depth_scale=1e-3``,
    a float metre map ``1.0``; check with ``tools/misc/browse_dataset.py``.

    Args:
        data_root (str): Folder holding the two folders.
        depth_scale (float): Metres per stored unit.
        img_dir (str): RGB folder, relative to ``data_root``. Default: 'rgb'.
        depth_dir (str): Depth folder, relative to ``data_root``.
            Default: 'depth'.
        focal (float, optional): Focal length in pixels (principal point
            at the centre) for images ``intrinsics.json`` does not name.
            Default: None.
        intrinsics (optional): The same as a full camera (``(fx, fy, cx,
            cy)``, 3x3, or a dict; see :func:`~da2zoe.structures.camera.
            parse_intrinsics`); it wins over ``focal``. Default: None.

    Cameras: ``data_root/intrinsics.json`` holds one camera (a dict with
    ``fx`` [``fy cx cy``], 4 numbers or a 3x3 matrix) for all images, or a
    dict from relative stem to camera; an image it does not name uses
    ``intrinsics`` / ``focal`` and otherwise has no camera (logged).
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: See :class:`BaseDepthDataset`.
    """

    DEPTH_DECODER = 'scaled'
    DATASET_NAME = 'folder'

    def __init__(self,
                 data_root: str,
                 depth_scale: float,
                 img_dir: str = 'rgb',
                 depth_dir: str = 'depth',
                 focal: Optional[float] = None,
                 intrinsics: Optional[CameraLike] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **base_args) -> None:
        if not depth_scale > 0:
            raise ValueError(f'depth_scale={depth_scale}: must be > 0')
        self.img_dir = img_dir
        self.depth_dir = depth_dir
        self.default_camera = intrinsics if intrinsics is not None else focal
        if self.default_camera is not None:
            parse_intrinsics(self.default_camera, (1, 1),
                             'DepthFolderDataset.intrinsics/focal')
        super().__init__(data_root, '', pipeline, **base_args)
        self.sample_spec.update(
            depth_scale=float(depth_scale), camera=self.default_camera)

    def load_rows(self) -> List[dict]:
        """Pair the two folders by relative stem.

        Returns:
            list[dict]: ``img_path`` and ``depth_path`` per pair.

        Raises:
            FileNotFoundError: If a folder is missing.
            RuntimeError: If EXR depth is present but OpenCV cannot read it.
        """
        images = _files_by_stem(self.join(self.img_dir), IMAGE_SUFFIXES)
        depths = _files_by_stem(self.join(self.depth_dir), DEPTH_SUFFIXES)
        if any(path.endswith('.exr') for path in depths.values()) and \
                not opencv_reads_exr():
            raise RuntimeError(
                f'{self.dataset_name}: {self.join(self.depth_dir)!r} holds '
                '.exr depth but this OpenCV build has no OpenEXR support; '
                'convert the maps to .npy or float .tiff')
        unmatched = sorted(set(images) ^ set(depths))
        if unmatched:
            print_log(
                f'{self.dataset_name}: {len(unmatched)} files have no partner '
                f'in the other folder, e.g. {unmatched[:3]}',
                logger='current',
                level=logging.WARNING)
        stems = sorted(set(images) & set(depths))
        cameras = self._read_cameras(stems)
        rows = []
        for stem in stems:
            row = dict(img_path=images[stem], depth_path=depths[stem])
            if cameras.get(stem) is not None:
                row['camera'] = cameras[stem]
            rows.append(row)
        return rows

    def _read_cameras(self, stems: List[str]) -> Dict[str, CameraLike]:
        """Per-stem cameras from ``intrinsics.json`` (empty without it).

        Args:
            stems (list[str]): The dataset's relative stems.

        Returns:
            dict: Stem -> camera, validated.

        Raises:
            ValueError: If the file is not JSON or a camera is invalid (the
                file and key are named).
        """
        path = self.join(INTRINSICS_FILE)
        if not osp.isfile(path):
            if self.default_camera is None:
                print_log(
                    f'{self.dataset_name}: no {path!r} and no intrinsics / '
                    'focal given: samples have no camera',
                    logger='current')
            return {}
        try:
            with open(path) as file:
                table = json.load(file)
        except (OSError, ValueError) as err:
            raise ValueError(f'{path}: unreadable ({err})') from err
        single = not isinstance(table, dict) or 'fx' in table
        cameras = {stem: table for stem in stems} if single else table
        for key, camera in cameras.items():
            parse_intrinsics(camera, (1, 1), f'{path}: {key!r}')
        missing = [stem for stem in stems if stem not in cameras]
        if missing:
            fallback = 'intrinsics / focal' if (
                self.default_camera is not None) else 'no camera'
            print_log(
                f'{self.dataset_name}: {len(missing)} images have no entry '
                f'in {path!r} ({fallback}), e.g. {missing[:3]}',
                logger='current', level=logging.WARNING)
        return cameras


def _files_by_stem(folder: str, suffixes: Sequence[str]) -> Dict[str, str]:
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder not found: {folder!r}')
    found = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            stem, suffix = osp.splitext(name)
            if suffix.lower() in suffixes:
                rel = osp.relpath(osp.join(parent, stem), folder)
                found[rel] = osp.join(parent, name)
    return found
