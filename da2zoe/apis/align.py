"""Aligning a depth prediction to a few known depths (LiDAR, a tape measure).

``align_to_sparse`` fits ``depth ~ scale * pred (+ shift)`` on the pixels
where the true depth is known. The fit is robust by default: iteratively
reweighted least squares with Tukey's biweight on residuals relative to the
known depth, started from the median ratio, so a few wrong points (a LiDAR
return through a window, a mistyped distance) do not move it.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from da2zoe.evaluation.least_squares import fit_scale_shift

#: Tukey's biweight constant in units of the residuals' robust spread.
TUKEY_C = 4.685


@dataclass(frozen=True)
class Alignment:
    """The fitted map ``aligned = scale * pred + shift``.

    Args:
        scale: Multiplicative factor.
        shift: Additive offset in metres (0 for a scale-only fit).
        num_points: Known depths used.
        num_inliers: Points with non-zero final weight.
    """

    scale: float
    shift: float
    num_points: int
    num_inliers: int


def sparse_from_points(points: np.ndarray,
                       shape: Tuple[int, int]) -> np.ndarray:
    """A sparse depth map (0 = unknown) from ``(row, col, depth)`` points.

    Args:
        points (np.ndarray): (N, 3) rows of ``row, col, depth`` (pixels of
            the prediction's grid, rounded to the nearest pixel).
        shape (tuple[int, int]): (H, W) of the prediction.

    Returns:
        np.ndarray: (H, W) float64.

    Raises:
        ValueError: If the array is not (N, 3) or a point is off the image.
    """
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f'points: expected (N, 3) rows of row, col, depth; '
                         f'got shape {points.shape}')
    rows = np.rint(points[:, 0]).astype(np.int64)
    cols = np.rint(points[:, 1]).astype(np.int64)
    outside = (rows < 0) | (rows >= shape[0]) | (cols < 0) | (cols >= shape[1])
    if outside.any():
        raise ValueError(f'points: {int(outside.sum())} lie outside the '
                         f'{shape[0]}x{shape[1]} prediction, e.g. '
                         f'{points[outside][0].tolist()}')
    sparse = np.zeros(shape, np.float64)
    sparse[rows, cols] = points[:, 2]
    return sparse


def align_to_sparse(pred: np.ndarray,
                    sparse: np.ndarray,
                    shift: bool = False,
                    robust: bool = True,
                    iterations: int = 20) -> Tuple[np.ndarray, Alignment]:
    """Fits one scale (and optionally a shift) of ``pred`` to known depths.

    Args:
        pred (np.ndarray): (H, W) predicted depth in metres.
        sparse (np.ndarray): (H, W) known depth, 0 / NaN where unknown; or
            (N, 3) ``row, col, depth`` points (see
            :func:`sparse_from_points`).
        shift (bool): Fit ``scale * pred + shift`` (needs 2 points) instead
            of ``scale * pred``. Defaults to False.
        robust (bool): Down-weight outliers (Tukey IRLS). Defaults to True.
        iterations (int): Most reweighting rounds. Defaults to 20.

    Returns:
        tuple[np.ndarray, Alignment]: The aligned float32 (H, W) depth and
        the fit.

    Raises:
        ValueError: If shapes disagree or there are too few known depths.
    """
    pred = np.asarray(pred, np.float64)
    if pred.ndim != 2:
        raise ValueError(f'pred: expected (H, W), got shape {pred.shape}')
    sparse = np.asarray(sparse, np.float64)
    if sparse.ndim == 2 and sparse.shape[1] == 3 and sparse.shape != \
            pred.shape:
        sparse = sparse_from_points(sparse, pred.shape)
    if sparse.shape != pred.shape:
        raise ValueError(f'sparse depth {sparse.shape} does not match the '
                         f'prediction {pred.shape}')
    known = np.isfinite(sparse) & (sparse > 0) & np.isfinite(pred) & (pred > 0)
    target, source = sparse[known], pred[known]
    needed = 2 if shift else 1
    if len(target) < needed:
        raise ValueError(f'align_to_sparse: {len(target)} known depths, need '
                         f'at least {needed} (shift={shift})')
    weights = np.ones_like(target)
    fit = _fit(source, target, weights, shift)
    if fit is None:
        raise ValueError(f'align_to_sparse: the prediction is constant on '
                         f'the {len(target)} known depths; no scale and '
                         'shift fit them')
    scale, offset = fit
    if robust:
        scale = float(np.median(target / source)) if not shift else scale
        offset = 0.0 if not shift else offset
        for _ in range(iterations):
            # Relative residuals: a metre off at 20 m counts like 5 cm at 1 m.
            residual = (scale * source + offset - target) / target
            spread = 1.4826 * np.median(np.abs(residual)) + 1e-12
            u = residual / (TUKEY_C * spread)
            new = np.where(np.abs(u) < 1, (1 - u**2)**2, 0.0)
            if new.sum() < needed:
                break
            new_fit = _fit(source, target, new, shift)
            if new_fit is None:
                break
            converged = np.allclose(new_fit, (scale, offset), rtol=1e-10,
                                    atol=1e-12)
            weights, (scale, offset) = new, new_fit
            if converged:
                break
    aligned = (scale * pred + offset).astype(np.float32)
    return aligned, Alignment(
        float(scale), float(offset), int(len(target)),
        int((weights > 0).sum()))


def _fit(source: np.ndarray, target: np.ndarray, weights: np.ndarray,
         shift: bool) -> Optional[Tuple[float, float]]:
    """Weighted least squares of ``target ~ scale * source (+ shift)``,
    each residual relative to its target (weights ``w / target^2``);
    None when the points do not determine it."""
    return fit_scale_shift(source, target, weights / target**2, shift)


def load_sparse(path: str, shape: Tuple[int, int]) -> np.ndarray:
    """Reads known depths for ``tools/infer.py --align-sparse``.

    Args:
        path (str): A ``.npy`` (H, W) sparse depth map in metres (0 =
            unknown) or (N, 3) points, or a text file of ``row col depth``
            lines (``#`` comments, commas or spaces).
        shape (tuple[int, int]): (H, W) of the prediction.

    Returns:
        np.ndarray: (H, W) sparse depth.

    Raises:
        ValueError: If the file is unreadable or does not fit (named).
    """
    try:
        if path.endswith('.npy'):
            data = np.load(path, allow_pickle=False)
        else:
            with open(path) as file:
                text = file.read().replace(',', ' ')
            data = np.loadtxt(text.splitlines(), ndmin=2)
    except (OSError, ValueError) as err:
        raise ValueError(f'{path}: unreadable known depths ({err})') from err
    try:
        if data.shape == tuple(shape):
            return data.astype(np.float64)
        return sparse_from_points(data, shape)
    except ValueError as err:
        raise ValueError(f'{path}: {err}') from err
