"""Depth-aware transforms (registered in ``da2zoe.registry.TRANSFORMS``)."""
from .array_loading import LoadRGBFromNDArray
from .crops import KBCrop, NYUBorderCrop
from .formatting import PackDepthInputs
from .geometric import (
    DepthRandomCrop,
    DepthRandomFlip,
    KeepAspectResize,
    RandomRotate,
)
from .loading import LoadDepth, LoadRGB
from .longest_side_resize import LongestSideResize
from .photometric import PhotoMetricAug

__all__ = [
    'LoadRGB', 'LoadRGBFromNDArray', 'LoadDepth', 'KeepAspectResize',
    'LongestSideResize',
    'DepthRandomCrop', 'DepthRandomFlip', 'RandomRotate', 'PhotoMetricAug',
    'NYUBorderCrop', 'KBCrop', 'PackDepthInputs'
]
