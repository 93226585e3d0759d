"""The one least-squares fit of ``target ~ scale * source (+ shift)``.

Used by the relative-depth evaluation (:mod:`.alignment`), the temporal
metric's frame-to-frame alignment (:mod:`.temporal`) and
``da2zoe.apis.align.align_to_sparse`` (its IRLS rounds pass weights).

The closed form is computed about the weighted means: for float64 inputs
it agrees with ``np.linalg.lstsq`` on the design ``[source, 1]`` to about
1e-12 even when the source sits far from zero (disparities of distant
scenes, depths with a large offset), where the normal equations would
lose digits. It works on numpy arrays and torch tensors alike (only
``*``, ``-``, ``sum`` and ``float``).
"""
from typing import Any, Optional, Tuple

#: A source whose weighted variance is below this share of its mean square
#: is constant for the fit (relative spread < 1e-6, float32's noise level):
#: no unique scale and shift exists.
CONSTANT_SOURCE = 1e-12


def fit_scale_shift(source: Any,
                    target: Any,
                    weights: Optional[Any] = None,
                    shift: bool = True) -> Optional[Tuple[float, float]]:
    """Least-squares ``(scale, shift)`` of ``target ~ scale * source +
    shift`` (or ``scale * source`` with ``shift=False``).

    Args:
        source (np.ndarray | Tensor): (N, ) values to map, float64
            advised.
        target (np.ndarray | Tensor): (N, ) values to reach.
        weights (np.ndarray | Tensor, optional): (N, ) non-negative weight
            of each squared residual. Defaults to None (all 1).
        shift (bool): Fit a shift too. Defaults to True.

    Returns:
        tuple[float, float] | None: ``(scale, shift)`` (shift 0.0 when not
        fitted); None when the fit has no unique solution: no (weighted)
        point, or, with a shift, a constant source.
    """
    w = 1.0 if weights is None else weights
    total = float((w * (source * 0 + 1)).sum())
    if not total > 0:
        return None
    if not shift:
        energy = float((w * source * source).sum())
        if not energy > 0:
            return None
        return float((w * source * target).sum()) / energy, 0.0
    source_mean = float((w * source).sum()) / total
    target_mean = float((w * target).sum()) / total
    centred = source - source_mean
    spread = float((w * centred * centred).sum())
    if not spread > CONSTANT_SOURCE * float((w * source * source).sum()):
        return None
    scale = float((w * centred * (target - target_mean)).sum()) / spread
    return scale, target_mean - scale * source_mean
