"""Depth-aware transforms (registered in ``da2zoe.registry.TRANSFORMS``)."""
from .crops import KBCrop, NYUBorderCrop
from .formatting import PackDepthInputs
from .geometric import (KeepAspectResize, RandomCrop, RandomFlip,
                        RandomRotate)
from .loading import LoadDepth, LoadRGB
from .photometric import PhotoMetricAug

__all__ = [
    'LoadRGB', 'LoadDepth', 'KeepAspectResize', 'RandomCrop', 'RandomFlip',
    'RandomRotate', 'PhotoMetricAug', 'NYUBorderCrop', 'KBCrop',
    'PackDepthInputs'
]
