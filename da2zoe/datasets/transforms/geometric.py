"""Depth-aware geometric transforms: image, GT maps, pairs and intrinsics move
together; depth and masks are only ever resampled with nearest neighbour."""
from typing import Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from da2zoe.registry import TRANSFORMS
from da2zoe.structures.patch_grid import check_multiple_of_14, keep_aspect_size
from .gt_geometry import (
    apply_to_gt_maps,
    as_cv2,
    crop_gt,
    require_same_grid,
    resize_ground_truth,
    transform_pairs,
    update_intrinsics,
)

IMAGE_INTERPOLATIONS = dict(
    bicubic=cv2.INTER_CUBIC, bilinear=cv2.INTER_LINEAR, area=cv2.INTER_AREA)


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)


@TRANSFORMS.register_module()
class KeepAspectResize(BaseTransform):
    """Resize keeping the aspect ratio, sides a multiple of 14 (DA-V2 rule).

    The image is resampled bicubically; ground truth (depth, masks, pairs,
    intrinsics) by nearest neighbour, never blended across depth edges or
    holes. In evaluation pipelines set ``resize_gt=False``: only the model's
    input is resized and the metric sees the native-resolution GT.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``, GT maps,
    ``pairs``, ``intrinsics``, ``focal``. Added keys: ``scale_factor``.

    Args:
        min_size (int | tuple[int, int]): Lower bound of the shorter side
            (int) or of (H, W); multiples of 14.
        resize_gt (bool): Resize the ground truth too. Default: True.
        interpolation (str): Image resampling: 'bicubic', 'bilinear' or
            'area'. Default: 'bicubic'.
    """

    def __init__(self,
                 min_size: Union[int, Sequence[int]],
                 resize_gt: bool = True,
                 interpolation: str = 'bicubic') -> None:
        self.min_size = _pair(
            check_multiple_of_14(min_size, 'KeepAspectResize.min_size'))
        if interpolation not in IMAGE_INTERPOLATIONS:
            raise ValueError(f'interpolation={interpolation!r}: expected one '
                             f'of {sorted(IMAGE_INTERPOLATIONS)}')
        self.resize_gt = resize_gt
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        """Resize one sample.

        Args:
            results (dict): The sample.

        Returns:
            dict: The resized sample.
        """
        height, width = results['img'].shape[:2]
        results['img'] = self._resize_image(results)
        new_h, new_w = results['img'].shape[:2]
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (new_w / width, new_h / height)
        if self.resize_gt:
            resize_ground_truth(results, new_h, new_w)
        return results

    def _resize_image(self, results: dict) -> np.ndarray:
        """The sample's image at the rule's size (subclasses change it)."""
        height, width = results['img'].shape[:2]
        new_h, new_w = keep_aspect_size((height, width), self.min_size)
        return cv2.resize(
            results['img'], (new_w, new_h),
            interpolation=IMAGE_INTERPOLATIONS[self.interpolation])

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(min_size={self.min_size}, '
                f'resize_gt={self.resize_gt}, '
                f'interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class DepthRandomCrop(BaseTransform):
    """Random crop of image and ground truth to a multiple-of-14 size.

    An image smaller than the crop is padded with zeros (depth 0, invalid).
    Pairs are shifted; pairs with a point outside the crop are dropped.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``, GT maps,
    ``pairs``, ``intrinsics``.

    Args:
        crop_size (int | tuple[int, int]): (H, W) or one side; multiples of
            14 (384 is refused with "use 378 or 392").
    """

    def __init__(self, crop_size: Union[int, Sequence[int]]) -> None:
        self.crop_size = _pair(
            check_multiple_of_14(crop_size, 'DepthRandomCrop.crop_size'))

    @cache_randomness
    def _draw_corner(self, height: int, width: int) -> Tuple[int, int]:
        """The crop's random (top, left) in an image of that size."""
        crop_h, crop_w = self.crop_size
        top = np.random.randint(0, max(height - crop_h, 0) + 1)
        left = np.random.randint(0, max(width - crop_w, 0) + 1)
        return top, left

    def transform(self, results: dict) -> dict:
        """Crop one sample.

        Args:
            results (dict): The sample.

        Returns:
            dict: The cropped sample.
        """
        require_same_grid(results, 'DepthRandomCrop')
        top, left = self._draw_corner(*results['img'].shape[:2])
        crop_gt(results, top, left, *self.crop_size)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(crop_size={self.crop_size})'


@TRANSFORMS.register_module()
class DepthRandomFlip(BaseTransform):
    """Horizontal flip of image, ground truth, pair columns and intrinsics.

    Unlike mmcv's ``RandomFlip`` (image, boxes, segmentation), it flips the
    depth maps, masks, DA-2K pairs and the principal point too.

    Required keys: ``img``. Modified keys: ``img``, GT maps, ``pairs``,
    ``intrinsics``. Added keys: ``flip``, ``flip_direction``.

    Args:
        prob (float): Flip probability. Default: 0.5.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob={prob}: expected 0..1')
        self.prob = prob

    @cache_randomness
    def _draw_flip(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        """Flip one sample (or not).

        Args:
            results (dict): The sample.

        Returns:
            dict: The sample.
        """
        flip = self._draw_flip()
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if not flip:
            return results
        require_same_grid(results, 'DepthRandomFlip')
        width = results['img'].shape[1]
        results['img'] = cv2.flip(results['img'], 1)
        apply_to_gt_maps(results, as_cv2(lambda m: cv2.flip(m, 1)))
        transform_pairs(results, lambda p: p * (1, -1) + (0, width - 1),
                        results['img'].shape[:2])
        update_intrinsics(results, flip_width=width)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class RandomRotate(BaseTransform):
    """Small random rotation about the image centre (ZoeDepth: +-2.5 deg).

    The image is resampled bilinearly, depth and masks by nearest neighbour;
    pixels from outside the original image are black and invalid. Pairs are
    rotated; pairs with a point leaving the image are dropped. Intrinsics are
    left unchanged (a small in-plane rotation).

    Required keys: ``img``. Modified keys: ``img``, GT maps, ``pairs``.
    Added keys: ``rotate_degree``.

    Args:
        max_degree (float): Angle drawn uniformly in +-max_degree.
            Default: 2.5.
        prob (float): Probability of rotating. Default: 0.5.
    """

    def __init__(self, max_degree: float = 2.5, prob: float = 0.5) -> None:
        if max_degree < 0 or not 0 <= prob <= 1:
            raise ValueError(f'max_degree={max_degree}, prob={prob}: '
                             'expected max_degree >= 0 and prob in 0..1')
        self.max_degree = max_degree
        self.prob = prob

    @cache_randomness
    def _draw_degree(self) -> Optional[float]:
        """The angle, or None when this sample is not rotated."""
        if np.random.rand() >= self.prob:
            return None
        return float(np.random.uniform(-self.max_degree, self.max_degree))

    def transform(self, results: dict) -> dict:
        """Rotate one sample (or not).

        Args:
            results (dict): The sample.

        Returns:
            dict: The sample.
        """
        degree = self._draw_degree()
        if degree is None:
            results['rotate_degree'] = 0.0
            return results
        require_same_grid(results, 'RandomRotate')
        results['rotate_degree'] = degree
        height, width = results['img'].shape[:2]
        matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2),
                                         degree, 1.0)

        def warp(array: np.ndarray, flags: int) -> np.ndarray:
            return cv2.warpAffine(
                array,
                matrix, (width, height),
                flags=flags,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=0)

        results['img'] = warp(results['img'], cv2.INTER_LINEAR)
        apply_to_gt_maps(results,
                         as_cv2(lambda m: warp(m, cv2.INTER_NEAREST)))

        def rotate_points(points: np.ndarray) -> np.ndarray:
            xy1 = np.stack([points[:, 1], points[:, 0],
                            np.ones(len(points))], 1)
            moved = xy1 @ matrix.T
            return moved[:, ::-1]

        transform_pairs(results, rotate_points, (height, width))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(max_degree={self.max_degree}, '
                f'prob={self.prob})')
