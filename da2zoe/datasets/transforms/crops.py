"""Fixed, dataset-specific windows: NYU's border and KITTI's KB crop."""
import numpy as np
from mmcv.transforms import BaseTransform

from da2zoe.registry import TRANSFORMS
from ..bad_sample import BadSampleError
from ..codecs import nyu_valid_window
from .gt_geometry import crop_gt, gt_shape, require_same_grid


@TRANSFORMS.register_module()
class NYUBorderCrop(BaseTransform):
    """Keep the NYU border (rows 7:474, cols 7:632 of 480x640, scaled to the
    current size) out of training and evaluation.

    ``mode='mask'`` marks the border invalid in ``gt_mask`` on the GT grid
    (safe anywhere, evaluation included: the image keeps its size and the
    Eigen crop window stays aligned). ``mode='crop'`` cuts image and GT to
    the window (training only: place it before any resize).

    Required keys: ``img``, ``gt_mask``. Modified keys: ``gt_mask`` (mask), or
    ``img``, GT maps, ``img_shape``, ``intrinsics`` (crop).

    Args:
        mode (str): 'mask' or 'crop'. Default: 'mask'.
    """

    def __init__(self, mode: str = 'mask') -> None:
        if mode not in ('mask', 'crop'):
            raise ValueError(f"mode={mode!r}: expected 'mask' or 'crop'")
        self.mode = mode

    def transform(self, results: dict) -> dict:
        """Mask or crop the border of one sample.

        Args:
            results (dict): The sample.

        Returns:
            dict: The sample.
        """
        if self.mode == 'crop':
            require_same_grid(results, 'NYUBorderCrop')
            top, bottom, left, right = nyu_valid_window(
                results['img'].shape[:2])
            crop_gt(results, top, left, bottom - top, right - left)
            return results
        top, bottom, left, right = nyu_valid_window(gt_shape(results))
        inside = np.zeros(results['gt_mask'].shape, bool)
        inside[top:bottom, left:right] = True
        results['gt_mask'] = results['gt_mask'] & inside
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(mode={self.mode!r})'


@TRANSFORMS.register_module()
class KBCrop(BaseTransform):
    """KITTI benchmark crop: the bottom-centre 352x1216 window of image and
    ground truth (before any resize).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``, GT maps,
    ``pairs``, ``intrinsics``.

    Args:
        height (int): Default: 352.
        width (int): Default: 1216.
    """

    def __init__(self, height: int = 352, width: int = 1216) -> None:
        self.height = height
        self.width = width

    def transform(self, results: dict) -> dict:
        """Crop one sample.

        Args:
            results (dict): The sample.

        Returns:
            dict: The cropped sample.

        Raises:
            BadSampleError: If the image is smaller than the window.
        """
        require_same_grid(results, 'KBCrop')
        img_h, img_w = results['img'].shape[:2]
        if img_h < self.height or img_w < self.width:
            raise BadSampleError(
                results.get('img_path', '<image>'),
                f'{img_h}x{img_w} is smaller than the KB crop '
                f'{self.height}x{self.width}')
        top, left = img_h - self.height, (img_w - self.width) // 2
        crop_gt(results, top, left, self.height, self.width)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(height={self.height}, '
                f'width={self.width})')
