"""KITTI from a BTS / ZoeDepth Eigen split file."""
from da2zoe.registry import DATASETS
from .base_depth_dataset import depth_spec
from .split_file_dataset import SplitFileDataset


@DATASETS.register_module()
class KITTIDataset(SplitFileDataset):
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
