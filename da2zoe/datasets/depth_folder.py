"""A user's own RGB-D data: an ``rgb/`` and a ``depth/`` folder."""
import logging
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from .base_depth_dataset import BaseDepthDataset
from .codecs import opencv_reads_exr

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
        focal (float, optional): Focal length in pixels. Default: None.
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
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **base_args) -> None:
        if not depth_scale > 0:
            raise ValueError(f'depth_scale={depth_scale}: must be > 0')
        self.img_dir = img_dir
        self.depth_dir = depth_dir
        super().__init__(data_root, '', pipeline, **base_args)
        self.sample_spec.update(depth_scale=float(depth_scale), focal=focal)

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
        return [
            dict(img_path=images[stem], depth_path=depths[stem])
            for stem in sorted(set(images) & set(depths))
        ]


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
