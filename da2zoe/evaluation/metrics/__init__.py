from .da2k_metric import DA2KMetric
from .depth_metric import DepthMetric

__all__ = ['DepthMetric', 'DA2KMetric']
