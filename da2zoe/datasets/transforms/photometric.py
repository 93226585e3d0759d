"""Photometric augmentation (colour only: depth is untouched)."""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from da2zoe.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PhotoMetricAug(BaseTransform):
    """ZoeDepth's colour augmentation: gamma, brightness, per-channel colour.

    With probability ``prob``: ``x = clip((x ** gamma) * brightness * colour,
    0, 1)`` on the image in [0, 1], each factor drawn uniformly from its
    range (one colour factor per channel). ZoeDepth uses brightness
    0.75..1.25 for NYU and 0.9..1.1 for KITTI. Computed as one 256-entry
    lookup table per channel on the uint8 image.

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        prob (float): Default: 0.5.
        gamma_range (tuple[float, float]): Default: (0.9, 1.1).
        brightness_range (tuple[float, float]): Default: (0.75, 1.25).
        color_range (tuple[float, float]): Default: (0.9, 1.1).
    """

    def __init__(self,
                 prob: float = 0.5,
                 gamma_range: Tuple[float, float] = (0.9, 1.1),
                 brightness_range: Tuple[float, float] = (0.75, 1.25),
                 color_range: Tuple[float, float] = (0.9, 1.1)) -> None:
        self.prob = prob
        self.gamma_range = tuple(gamma_range)
        self.brightness_range = tuple(brightness_range)
        self.color_range = tuple(color_range)

    def transform(self, results: dict) -> dict:
        """Augment one image (or not).

        Args:
            results (dict): The sample.

        Returns:
            dict: The sample.
        """
        if np.random.rand() >= self.prob:
            return results
        gamma = np.random.uniform(*self.gamma_range)
        brightness = np.random.uniform(*self.brightness_range)
        colors = np.random.uniform(*self.color_range, size=3)
        levels = (np.arange(256) / 255.0)**gamma * brightness
        table = np.clip(levels[:, None] * colors[None], 0, 1) * 255
        table = np.rint(table).astype(np.uint8).reshape(256, 1, 3)
        results['img'] = cv2.LUT(results['img'], table)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'gamma_range={self.gamma_range}, '
                f'brightness_range={self.brightness_range}, '
                f'color_range={self.color_range})')
