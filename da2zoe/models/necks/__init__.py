from .adapter_fusion_neck import AdapterFusionNeck
from .dpt_neck import DPTNeck
from .fusion_blocks import FeatureFusionBlock, ResidualConvUnit
from .pyramid_fusion import PyramidFusion
from .stride_resample import (
    linear_resample_matrix,
    resample_to_stride,
    stride_grid_size,
)
from .token_adapter import TokenAdapter

__all__ = [
    'AdapterFusionNeck', 'DPTNeck', 'FeatureFusionBlock', 'ResidualConvUnit',
    'PyramidFusion', 'TokenAdapter', 'linear_resample_matrix',
    'resample_to_stride', 'stride_grid_size'
]
