from .attractor import AttractorLayer, attractor_delta, attractor_pull
from .dpt_metric_head import DPTMetricHead
from .log_binomial import ConditionalLogBinomial, LogBinomial
from .projector import Projector
from .seed_bin_regressor import SeedBinRegressor
from .zoedepth_head import ZoeDepthHead

__all__ = [
    'AttractorLayer', 'attractor_delta', 'attractor_pull', 'DPTMetricHead',
    'ConditionalLogBinomial', 'LogBinomial', 'Projector', 'SeedBinRegressor',
    'ZoeDepthHead'
]
