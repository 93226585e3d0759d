"""Exact-geometry resampling of feature maps between strides."""
import math

import torch
from torch import Tensor


def stride_grid_size(size: int, stride: int) -> int:
    """Cells of a stride-``stride`` grid covering ``size`` input pixels.

    Cell i covers input pixels [stride * i, stride * (i + 1)); the grid is
    ceil(size / stride) cells long, so the last cell may overhang the input.
    """
    return math.ceil(size / stride)


def linear_resample_matrix(n_out: int,
                           n_in: int,
                           scale: float,
                           dtype: torch.dtype = torch.float32,
                           device: torch.device | str | None = None) -> Tensor:
    """Weights (n_out, n_in) of 1-D linear resampling by a fixed scale.

    Output cell i is centred at input index coordinate (i + 0.5) * scale -
    0.5 (cell centres of both grids aligned on the same pixel origin), with
    ``scale`` input cells per output cell. Upsampling (scale <= 1) is the
    usual half-pixel linear interpolation with the coordinate clamped to the
    border (what ``F.interpolate(..., align_corners=False)`` does).
    Downsampling (scale > 1) widens the triangle filter to ``scale`` input
    cells and renormalises at the borders (``antialias=True``), so no token
    is skipped. Unlike ``F.interpolate`` with an output size, the scale is
    exact whatever ``n_out`` is.

    Args:
        n_out (int): Output length.
        n_in (int): Input length.
        scale (float): Input cells per output cell (out stride / in stride).
        dtype (torch.dtype): Weight dtype. Defaults to float32.
        device (torch.device | str | None): Weight device. Defaults to None.

    Returns:
        Tensor: Row-stochastic weights (n_out, n_in).
    """
    kw = dict(dtype=dtype, device=device)
    centers = (torch.arange(n_out, **kw) + 0.5) * scale - 0.5
    support = max(scale, 1.0)
    if scale <= 1:
        centers = centers.clamp(0, n_in - 1)
    dist = torch.arange(n_in, **kw)[None, :] - centers[:, None]
    weights = (1 - dist.abs() / support).clamp(min=0)
    return weights / weights.sum(dim=1, keepdim=True)


def resample_to_stride(x: Tensor, in_stride: float, out_stride: float,
                       size: tuple[int, int]) -> Tensor:
    """Resample a stride-``in_stride`` map onto the stride-``out_stride``
    grid of the same input, with ``size`` output cells.

    Separable :func:`linear_resample_matrix` along both axes (two small
    matmuls).

    Args:
        x (Tensor): Map (B, C, h, w) whose cell (i, j) covers input pixels
            [in_stride * i, in_stride * (i + 1)) x [...].
        in_stride (float): Input pixels per cell of ``x``.
        out_stride (float): Input pixels per output cell.
        size (tuple[int, int]): Output (h', w').

    Returns:
        Tensor: Map (B, C, h', w').
    """
    if tuple(x.shape[-2:]) == tuple(size) and in_stride == out_stride:
        return x
    scale = out_stride / in_stride
    kw = dict(dtype=x.dtype, device=x.device)
    rows = linear_resample_matrix(size[0], x.shape[-2], scale, **kw)
    cols = linear_resample_matrix(size[1], x.shape[-1], scale, **kw)
    return rows @ (x @ cols.T)
