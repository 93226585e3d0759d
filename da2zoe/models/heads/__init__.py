from .attractor import AttractorLayer, attractor_delta, attractor_pull
from .da3_dpt_head import DA3DPTHead
from .dpt_metric_head import DPTMetricHead
from .dpt_relative_head import DPTRelativeHead
from .log_binomial import ConditionalLogBinomial, LogBinomial
from .projector import Projector
from .seed_bin_regressor import SeedBinRegressor
from .sky_fill import fill_sky_depth
from .zoedepth_head import ZoeDepthHead

__all__ = [
    'AttractorLayer', 'attractor_delta', 'attractor_pull', 'DA3DPTHead',
    'DPTMetricHead', 'DPTRelativeHead', 'ConditionalLogBinomial',
    'LogBinomial', 'Projector', 'SeedBinRegressor', 'ZoeDepthHead',
    'fill_sky_depth'
]
