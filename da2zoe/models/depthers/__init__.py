from .metric_depther import MetricDepther

__all__ = ['MetricDepther']
