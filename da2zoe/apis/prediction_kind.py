"""What a model's prediction is: metric depth, relative depth or disparity.

The config says it where it says how the prediction is scored: a relative
model's ``DepthMetric`` aligns it to the ground truth (``align``), and a
disparity model sets ``pred_space='disparity'`` (DA-V2 relative: larger is
nearer). Outputs that claim metres (16-bit millimetre PNGs, point clouds)
are only made for metric depth.
"""
from typing import Any, Optional

METRIC, RELATIVE_DEPTH, DISPARITY = 'metric', 'relative_depth', 'disparity'


def prediction_kind(cfg: Optional[Any]) -> str:
    """``'metric'``, ``'relative_depth'`` or ``'disparity'`` for a config.

    Args:
        cfg (Config | dict, optional): The model's config (``model.cfg``);
            None or one without a test evaluator is metric.

    Returns:
        str: One of :data:`METRIC`, :data:`RELATIVE_DEPTH`,
        :data:`DISPARITY`.
    """
    evaluator = (cfg or {}).get('test_evaluator') or []
    items = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    metrics = [item for item in items if isinstance(item, dict)
               and item.get('type') == 'DepthMetric']
    if any(item.get('pred_space') == 'disparity' for item in metrics):
        return DISPARITY
    if any(item.get('align') for item in metrics):
        return RELATIVE_DEPTH
    return METRIC
