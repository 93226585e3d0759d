"""The position-embedding resize, written for graph exporters.

``F.interpolate(..., scale_factor=s, mode='bicubic')`` with a factor that
depends on the input size cannot be exported with dynamic shapes: the
dynamo exporter fixes the example's output size into the graph and the
TorchScript exporter refuses traced factors. Here the same bicubic resize is
gathers and weighted sums of tensors whose sizes follow the input, so the
graph is valid for every size. Eager code keeps calling ``F.interpolate``
(this form equals it in exact arithmetic, not bit for bit: float32 results
agree to ~1e-6 relative, float64 to ~1e-14).
"""
import math

import torch
from torch import Tensor

# PyTorch's (and ONNX Resize's default) cubic convolution coefficient.
CUBIC_A = -0.75


def is_exporting() -> bool:
    """True while ``torch.export`` / ``torch.onnx.export`` traces a model."""
    return (torch.compiler.is_exporting() or torch.onnx.is_in_onnx_export()
            or torch.jit.is_tracing())


def _cubic_weights(t: Tensor) -> Tensor:
    """The 4 taps (4, n) of PyTorch's cubic convolution at fractions t."""
    a = CUBIC_A

    def near(x: Tensor) -> Tensor:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Tensor) -> Tensor:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return torch.stack([far(t + 1), near(t), near(1 - t), far(2 - t)])


def _resize_axis(x: Tensor, dim: int, out_len, in_per_out) -> Tensor:
    """Bicubic resampling of ``x`` along ``dim`` (half-pixel centres, no
    antialias, border taps clamped: PyTorch's ``align_corners=False``).

    Args:
        x (Tensor): Input, float.
        dim (int): Axis to resample (negative).
        out_len (int | SymInt): Output length.
        in_per_out (Tensor): Input cells per output cell (1 /
            scale_factor), a 0-dim tensor.

    Returns:
        Tensor: ``x`` with ``out_len`` entries along ``dim``.
    """
    in_len = x.shape[dim]
    dst = torch.arange(out_len, dtype=x.dtype, device=x.device)
    src = (dst + 0.5) * in_per_out - 0.5
    base = src.floor()
    weights = _cubic_weights(src - base)  # (4, out_len)
    taps = base.long()[None] + torch.arange(
        -1, 3, device=x.device)[:, None]
    taps = taps.clamp(0, in_len - 1)
    picked = x.index_select(dim, taps.flatten())
    shape = list(x.shape)
    shape[dim:dim + 1 if dim != -1 else None] = [4, out_len]
    picked = picked.reshape(shape)
    view = [1] * len(shape)
    view[dim - 1], view[dim] = 4, out_len
    return (picked * weights.reshape(view)).sum(dim - 1)


def pos_embed_for_grid_traceable(pos_embed: Tensor,
                                 grid_size: tuple,
                                 offset: float = 0.1) -> Tensor:
    """:func:`~.pos_embed.pos_embed_for_grid` for exporters (float32).

    The same rule with no size-dependent Python branch or factor: the
    sampling step ``M / (h + offset)`` is computed in the graph, and on the
    stored ``M x M`` grid it is 1, which makes the bicubic taps exactly
    (0, 1, 0, 0), i.e. the reference's "no resize" case. ``offset=0`` is
    the output-size rule of transformers
    (:func:`~.pos_embed_by_size.pos_embed_for_grid_by_size`).

    Args:
        pos_embed (Tensor): Stored embedding (1, 1 + M*M, D), class entry
            first, M*M a square.
        grid_size (tuple): Patch grid (h, w), ints or symbolic ints.
        offset (float): Interpolation offset. Defaults to 0.1 (DINOv2).

    Returns:
        Tensor: (1, 1 + h*w, D), class entry unchanged and first.
    """
    h, w = grid_size
    side = math.isqrt(pos_embed.shape[1] - 1)
    dims = pos_embed.shape[-1]
    patch_pos = pos_embed[:, 1:].reshape(1, side, side, dims)
    patch_pos = patch_pos.permute(0, 3, 1, 2).to(torch.float32)
    # Grid lengths as tensors (exact in float32 below 2**24 patches), so
    # the "stored grid" test is a graph op, not a branch on the example.
    rows = patch_pos.new_ones(h).sum()
    cols = patch_pos.new_ones(w).sum()
    stored = (rows == side) & (cols == side)
    one = patch_pos.new_ones(())
    step_h = torch.where(stored, one, side / (rows + offset))
    step_w = torch.where(stored, one, side / (cols + offset))
    patch_pos = _resize_axis(patch_pos, -2, h, step_h)
    patch_pos = _resize_axis(patch_pos, -1, w, step_w)
    patch_pos = patch_pos.permute(0, 2, 3, 1).reshape(1, h * w, dims)
    return torch.cat([pos_embed[:, :1], patch_pos.to(pos_embed.dtype)],
                     dim=1)
