"""KITTI from a BTS / ZoeDepth Eigen split file."""
import logging
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from .base_depth_dataset import depth_spec
from .codecs.kitti_calib import (
    KITTI_CALIB_NAME,
    find_kitti_calib,
    kitti_camera_of,
    read_kitti_calib,
)
from .split_file_dataset import SplitFileDataset

#: Relative difference of a split file's focal and the calibration's fx
#: that is logged (the split files round fx to 4 decimals).
FOCAL_MISMATCH = 1e-3


@DATASETS.register_module()
class KITTIDataset(SplitFileDataset):
    """KITTI Eigen split (projected LiDAR ground truth).

    Each line is ``rgb gt focal``; ``gt`` may be ``None`` (no ground truth):
    such lines are left out at load and counted in the log
    (:attr:`num_no_gt`). Decoding rule ``kitti_png``: 16-bit PNG, metres =
    ``v / 256``, zero invalid. Pipelines apply :class:`KBCrop` (bottom-centre
    352x1216) to image and depth. Evaluation: 1e-3..80 m, Garg crop.

    Camera: the date folder's ``calib_cam_to_cam.txt`` (found from the
    image's folder up to ``img_dir``; ``P_rect_0X`` of the path's
    ``image_0X`` camera gives fx, fy, cx, cy at ``S_rect_0X``, scaled to
    the image when its size differs). Where a date folder has none, the
    split file's focal with the principal point at the image centre (logged
    once with the count); a focal that disagrees with the calibration is
    logged, the calibration is used.

    Args:
        split_file (str): The split file, relative to ``data_root`` unless
            absolute.
        data_root (str): The dataset folder.
        img_dir (str, optional): Folder of the RGB paths (raw KITTI),
            relative to ``data_root`` or absolute. Default: 'raw'.
        depth_dir (str, optional): Folder of the ground-truth paths (the
            annotated depth), relative to ``data_root`` or absolute.
            Default: 'gt'.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: See :class:`BaseDepthDataset` (ranges and
            ``eval_crop`` default to ``SPEC``).
    """

    DEPTH_DECODER = 'kitti_png'
    DATASET_NAME = 'kitti'
    SPEC = depth_spec(max_depth=80.0, eval_crop='garg')
    IMG_DIR = 'raw'
    DEPTH_DIR = 'gt'
    MISSING_DEPTH = ('None', )

    def load_rows(self) -> List[dict]:
        """Parse the split file and give each row its calibrated camera.

        Returns:
            list[dict]: ``img_path``, ``depth_path``, ``focal`` (and
            ``camera``, ``camera_size`` where a calibration file exists).

        Raises:
            ValueError: If a calibration file is unreadable or lacks the
                camera (names the file and key).
        """
        rows = super().load_rows()
        root = self.join(self.img_dir)
        found: Dict[str, Optional[str]] = {}
        calibs: Dict[Tuple[str, str], tuple] = {}
        fallback, mismatch = [], []
        for row in rows:
            folder = osp.dirname(row['img_path'])
            if folder not in found:
                found[folder] = find_kitti_calib(row['img_path'], root)
            path = found[folder]
            if path is None:
                fallback.append(row['img_path'])
                continue
            camera = kitti_camera_of(row['img_path'])
            if (path, camera) not in calibs:
                calibs[path, camera] = read_kitti_calib(path, camera)
            matrix, size = calibs[path, camera]
            row.update(camera=matrix.tolist(), camera_size=size)
            focal = row.get('focal')
            if focal is not None and abs(focal - matrix[0, 0]) > (
                    FOCAL_MISMATCH * matrix[0, 0]):
                mismatch.append((row['img_path'], focal, path, matrix[0, 0]))
        self._log_cameras(rows, fallback, mismatch)
        return rows

    def _log_cameras(self, rows: List[dict], fallback: List[str],
                     mismatch: List[tuple]) -> None:
        """One warning for the rows without a calibration file, one for
        focal lengths the calibration contradicts."""
        if fallback:
            print_log(
                f'{self.dataset_name}: {len(fallback)} of {len(rows)} images '
                f'have no {KITTI_CALIB_NAME} in their date folder (first: '
                f'{fallback[0]}): they use the split file\'s focal with the '
                'principal point at the image centre',
                logger='current', level=logging.WARNING)
        if mismatch:
            name, focal, path, fx = mismatch[0]
            print_log(
                f'{self.dataset_name}: {len(mismatch)} split-file focal '
                f'lengths disagree with their calibration (first: {name} '
                f'{focal:g} vs {path} fx {fx:g}); the calibration is used',
                logger='current', level=logging.WARNING)
