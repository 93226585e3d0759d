"""KITTI from a BTS / ZoeDepth Eigen split file."""
from typing import Callable, List, Sequence, Union

from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from .base_depth_dataset import BaseDepthDataset
from .nyu import read_split_rows


@DATASETS.register_module()
class KITTIDataset(BaseDepthDataset):
    """KITTI Eigen split (projected LiDAR ground truth).

    Each line is ``rgb gt focal``; ``gt`` may be ``None`` (no ground truth):
    such lines are left out at load and counted in the log
    (:attr:`num_no_gt`). Decoding rule ``kitti_png``: 16-bit PNG, metres =
    ``v / 256``, zero invalid. Pipelines apply :class:`KBCrop` (bottom-centre
    352x1216) to image and depth. Evaluation: 1e-3..80 m, Garg crop.

    Args:
        split_file (str): The split file, relative to ``data_root`` unless
            absolute.
        data_root (str): The dataset folder.
        img_dir (str): Folder of the RGB paths (raw KITTI), relative to
            ``data_root`` or absolute. Default: 'raw'.
        depth_dir (str): Folder of the ground-truth paths (the annotated
            depth), relative to ``data_root`` or absolute. Default: 'gt'.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: :class:`BaseDepthDataset` arguments: ranges and
            ``eval_crop`` (defaults in ``SPEC``), ``on_bad_sample``,
            ``test_mode``, ``check_files``, ``dataset_name``, ...
    """

    DEPTH_DECODER = 'kitti_png'
    DATASET_NAME = 'kitti'
    SPEC = dict(
        min_depth=1e-3,
        max_depth=80.0,
        eval_min_depth=1e-3,
        eval_max_depth=80.0,
        eval_crop='garg')

    def __init__(self,
                 split_file: str,
                 data_root: str,
                 img_dir: str = 'raw',
                 depth_dir: str = 'gt',
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **base_args) -> None:
        self.img_dir = img_dir
        self.depth_dir = depth_dir
        self.num_no_gt = 0
        super().__init__(
            data_root=data_root,
            ann_file=split_file,
            pipeline=pipeline,
            **base_args)

    def load_rows(self) -> List[dict]:
        """Read the split file, leaving out lines without ground truth.

        Returns:
            list[dict]: ``img_path``, ``depth_path``, ``focal`` per line.
        """
        rows = read_split_rows(
            self, self.img_dir, self.depth_dir, missing_depth=('None', ))
        if self.num_no_gt:
            print_log(
                f'{self.dataset_name}: left out {self.num_no_gt} lines of '
                f'{self.ann_file} whose ground truth is None',
                logger='current')
        return rows
