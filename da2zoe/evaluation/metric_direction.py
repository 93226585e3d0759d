"""Which way each reported metric is better: errors lower, accuracies
higher.

A metric's direction comes from its name after any ``<dataset>/`` prefix,
so ``'nyu/d1'`` and ``'d1'`` agree. Used by the comparison table's
best-per-column mark and by the checkpoint hook's ``save_best`` rule.
"""
from typing import Optional

#: Errors: depth (functional.METRIC_NAMES), iBims-1 (boundary errors in
#: pixels, the fractions of too-far / too-near pixels, planarity and
#: orientation errors) and the temporal flicker.
LOWER_IS_BETTER = ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10',
                   'silog', 'silog_da2', 'dbe_acc', 'dbe_comp', 'dde_m',
                   'dde_p', 'pe_plan', 'pe_orie', 'flicker', 'flicker_gt')
#: Accuracies: the delta thresholds, iBims-1's correctly ordered fraction
#: and DA-2K's pair accuracy (``acc``, ``acc_<subset>``).
HIGHER_IS_BETTER = ('d1', 'd2', 'd3', 'dde_0', 'acc')


def direction(metric: str) -> Optional[str]:
    """``'lower'``, ``'higher'`` or None for a metric key.

    Args:
        metric (str): A key such as ``'abs_rel'`` or ``'nyu/d1'``.
    """
    name = metric.rpartition('/')[2]
    if name in LOWER_IS_BETTER:
        return 'lower'
    if name in HIGHER_IS_BETTER or name.startswith('acc_'):
        return 'higher'
    return None
