"""How a model's predictions are scored, written into evaluator configs.

A relative model's config says, on its ``DepthMetric``, what it predicts
(``pred_space``) and how predictions are fitted to the ground truth
(``align``, ``min_align_pixels``). When a test set is swapped (``tools/test.py
--datasets``, ``compare_models.py``) the new evaluators must be told the same,
and not only the dense ones: DA-2K's ordinal accuracy needs no fit but must
know which way is nearer (a disparity model puts the nearer point higher).
"""
from typing import Any, List, Mapping

DENSE_KEYS = ('align', 'pred_space', 'min_align_pixels')
ORDINAL_KEYS = ('pred_space', )
KEYS_OF_METRIC = {'DepthMetric': DENSE_KEYS, 'DA2KMetric': ORDINAL_KEYS}


def metric_configs(evaluator: Any) -> List[dict]:
    """The metric config dicts of an evaluator config (a dict or a list).

    Args:
        evaluator (dict | list[dict] | None): ``test_evaluator`` or alike.
    """
    if evaluator is None:
        return []
    items = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    return [item for item in items if isinstance(item, dict)]


def apply_scoring_settings(evaluator: Any, settings: Mapping) -> int:
    """Writes ``settings`` into every metric config that reads them.

    ``DepthMetric`` takes ``align``, ``pred_space`` and ``min_align_pixels``;
    ``DA2KMetric`` takes ``pred_space``. Keys whose value is None are left
    as the config has them.

    Args:
        evaluator (dict | list[dict]): The evaluator config, changed in
            place.
        settings (Mapping): Some of :data:`DENSE_KEYS`.

    Returns:
        int: How many ``DepthMetric`` configs were written (a caller that
        asked for an alignment can refuse an evaluator without one).
    """
    dense = 0
    for item in metric_configs(evaluator):
        keys = KEYS_OF_METRIC.get(item.get('type'), ())
        item.update({key: settings[key] for key in keys
                     if settings.get(key) is not None})
        dense += item.get('type') == 'DepthMetric'
    return dense
