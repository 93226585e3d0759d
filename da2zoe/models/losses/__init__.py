from .dense_depth_loss import DenseDepthLoss
from .grad_l1_loss import GradL1Loss
from .metric_silog_loss import MetricSILogLoss
from .pair_ranking_loss import PairRankingLoss
from .silog_loss import SILogLoss
from .weighted_loss import WeightedLoss

__all__ = [
    'WeightedLoss', 'DenseDepthLoss', 'SILogLoss', 'GradL1Loss',
    'MetricSILogLoss', 'PairRankingLoss'
]
