from .da2k_metric import DA2KMetric
from .depth_metric import DepthMetric
from .ibims_metric import IBimsMetric

__all__ = ['DepthMetric', 'DA2KMetric', 'IBimsMetric']
