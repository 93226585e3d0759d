"""Datasets listed by a BTS / ZoeDepth ``rgb depth [focal]`` split file."""
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple, Union

from mmengine.logging import print_log

from .base_depth_dataset import BaseDepthDataset
from .list_readers import read_rows


class SplitFileDataset(BaseDepthDataset):
    """Base of the Eigen-split datasets (NYU, KITTI).

    Each line is ``rgb depth [focal]``; a leading '/' on a path (BTS train
    lists) is stripped. Paths are relative to ``data_root/img_dir`` (RGB)
    and ``data_root/depth_dir`` (depth). Lines whose depth entry is one of
    :attr:`MISSING_DEPTH` (KITTI's ``None``) have no ground truth: they are
    left out, counted in :attr:`num_no_gt` and logged.

    Args:
        split_file (str): The split file, relative to ``data_root`` unless
            absolute.
        data_root (str): The dataset folder.
        img_dir (str, optional): Folder of the RGB paths, relative to
            ``data_root`` (or absolute). Default: :attr:`IMG_DIR`.
        depth_dir (str, optional): Folder of the depth paths. Default:
            :attr:`DEPTH_DIR`, or ``img_dir`` when that is None.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: See :class:`BaseDepthDataset`.
    """

    IMG_DIR: str = ''
    DEPTH_DIR: Optional[str] = None
    MISSING_DEPTH: Tuple[str, ...] = ()

    def __init__(self,
                 split_file: str,
                 data_root: str,
                 img_dir: Optional[str] = None,
                 depth_dir: Optional[str] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **base_args) -> None:
        self.img_dir = self.IMG_DIR if img_dir is None else img_dir
        depth_dir = self.DEPTH_DIR if depth_dir is None else depth_dir
        self.depth_dir = self.img_dir if depth_dir is None else depth_dir
        self.num_no_gt = 0
        super().__init__(data_root, split_file, pipeline, **base_args)

    def load_rows(self) -> List[dict]:
        """Parse the split file, leaving out lines without ground truth.

        Returns:
            list[dict]: ``img_path``, ``depth_path``, ``focal`` per line.
        """
        img_root, depth_root = self.join(self.img_dir), self.join(
            self.depth_dir)
        rows, bad = [], []
        self.num_no_gt = 0
        for line_no, fields in read_rows(self.ann_file):
            if len(fields) not in (2, 3):
                bad.append((f'{self.ann_file}:{line_no}',
                            f'expected "rgb depth [focal]", got {fields}'))
                continue
            if fields[1] in self.MISSING_DEPTH:
                self.num_no_gt += 1
                continue
            try:
                focal = float(fields[2]) if len(fields) == 3 else None
            except ValueError:
                bad.append((f'{self.ann_file}:{line_no}',
                            f'focal {fields[2]!r} is not a number'))
                continue
            rows.append(
                dict(img_path=osp.join(img_root, fields[0].lstrip('/')),
                     depth_path=osp.join(depth_root, fields[1].lstrip('/')),
                     focal=focal))
        self.report_bad_rows(bad)
        if self.num_no_gt:
            print_log(
                f'{self.dataset_name}: left out {self.num_no_gt} lines of '
                f'{self.ann_file} whose ground truth is '
                f'{" / ".join(self.MISSING_DEPTH)}',
                logger='current')
        return rows
