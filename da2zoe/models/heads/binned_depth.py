"""Depth as the expectation of log-binomial bins, computed in row bands.

At the DPT geometry the ZoeDepth head's last step runs at the input
resolution: ``softmax(logC + k log p + (K-1-k) log(1-p)) / t`` over K bins,
the low-resolution bin centres resized (bilinear, ``align_corners=True``) to
that size, and their probability-weighted sum. Written as tensor ops this
materialises a dozen (B, K, H, W) tensors (100 MB each for vits at 392x518,
batch 2), and autograd keeps most of them for the backward. Here the same
arithmetic runs on bands of output rows that stay in cache, and the backward
recomputes each band from p, t and the resized centres, so the only
(B, K, H, W) tensor kept is the resized centres. Results equal the tensor-op
form to rounding.
"""
import torch
from torch import Tensor
from torch.nn import functional as F

# Bin elements per band: 2^19 float32 = 2 MiB, about one core's L2.
BAND_ELEMENTS = 2**19


def band_depth(p: Tensor, t: Tensor, centers: Tensor, log_coef: Tensor,
               k: Tensor, k_rest: Tensor, eps: float = 1e-4) -> Tensor:
    """Expected depth of one band, bins last: p, t (B, r, W, 1), centers
    (B, r, W, K), log_coef / k / k_rest (K,)."""
    y = (log_coef + k * p.clamp(eps, 1.0).log()
         + k_rest * (1 - p).clamp(eps, 1.0).log())
    probs = torch.softmax(y / t, dim=-1)
    return (probs * centers).sum(dim=-1, keepdim=True)


class _Banded(torch.autograd.Function):
    """``fn`` applied to row bands; the backward recomputes each band.

    ``tensors[:n_sliced]`` are (B, H, ...) and cut into bands of ``step``
    rows along dim 1; the rest are passed whole to every band (parameters,
    constants) and their gradients summed over bands. The forward's
    autocast state is re-entered for the recomputation.
    """

    @staticmethod
    def forward(ctx, fn, n_sliced: int, step: int, *tensors: Tensor
                ) -> Tensor:
        device = tensors[0].device.type
        ctx.fn, ctx.n_sliced, ctx.step = fn, n_sliced, step
        ctx.autocast = (device, torch.is_autocast_enabled(device),
                        torch.get_autocast_dtype(device))
        ctx.save_for_backward(*tensors)
        sliced, shared = tensors[:n_sliced], tensors[n_sliced:]
        out = None
        for sl in _bands(sliced[0].shape[1], step):
            band = fn(*(x[:, sl] for x in sliced), *shared)
            if out is None:
                out = band.new_empty(band.shape[0], sliced[0].shape[1],
                                     *band.shape[2:])
            out[:, sl] = band
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        tensors, n = ctx.saved_tensors, ctx.n_sliced
        needs = ctx.needs_input_grad[3:]
        grads = [None if not need else
                 torch.empty_like(x) if i < n else torch.zeros_like(x)
                 for i, (x, need) in enumerate(zip(tensors, needs))]
        shared = [x.detach().requires_grad_(need)
                  for x, need in zip(tensors[n:], needs[n:])]
        device, enabled, dtype = ctx.autocast
        for sl in _bands(tensors[0].shape[1], ctx.step):
            leaves = [x[:, sl].detach().requires_grad_(need)
                      for x, need in zip(tensors[:n], needs[:n])] + shared
            with torch.enable_grad(), torch.autocast(
                    device, dtype=dtype, enabled=enabled):
                out = ctx.fn(*leaves)
            wanted = [x for x, need in zip(leaves, needs) if need]
            parts = iter(torch.autograd.grad(out, wanted, grad[:, sl]))
            for i, total in enumerate(grads):
                if total is None:
                    continue
                if i < n:
                    total[:, sl] = next(parts)
                else:
                    total += next(parts)
        return (None, None, None, *grads)


def _bands(height: int, step: int):
    """Row slices of ``step`` rows covering ``height``."""
    for start in range(0, height, step):
        yield slice(start, min(start + step, height))


def band_rows(batch: int, width: int, bins: int) -> int:
    """Rows per band so that a band holds about ``BAND_ELEMENTS`` bins."""
    return max(1, BAND_ELEMENTS // (batch * width * bins))


def banded(fn, sliced: list[Tensor], shared: list[Tensor],
           step: int) -> Tensor:
    """``fn(*bands of sliced, *shared)`` over row bands, memory-light.

    Args:
        fn (Callable): Band function returning (B, r, ...); it must be
            differentiable and depend on the band only.
        sliced (list[Tensor]): (B, H, ...) tensors cut along dim 1.
        shared (list[Tensor]): Tensors every band gets whole.
        step (int): Rows per band.

    Returns:
        Tensor: The bands' outputs stacked along dim 1.
    """
    return _Banded.apply(fn, len(sliced), step, *sliced, *shared)


def bins_last(x: Tensor) -> Tensor:
    """(B, C, H, W) -> a (B, H, W, C) tensor with C contiguous."""
    return x.contiguous(memory_format=torch.channels_last).permute(0, 2, 3, 1)


def resized_bins_last(centers: Tensor, size: tuple, dtype: torch.dtype
                      ) -> Tensor:
    """Centres resized (bilinear, ``align_corners=True``) to ``size``,
    channels-last (its CPU kernels are about twice as fast there, backward
    included), as (B, H, W, K)."""
    centers = centers.to(dtype).contiguous(memory_format=torch.channels_last)
    if tuple(centers.shape[-2:]) != tuple(size):
        centers = F.interpolate(centers, size, mode='bilinear',
                                align_corners=True)
    return centers.permute(0, 2, 3, 1)


def bin_constants(log_coef: Tensor, dtype: torch.dtype) -> list[Tensor]:
    """``log_coef``, k and K-1-k as (K,) vectors in ``dtype``."""
    bins = log_coef.numel()
    k = torch.arange(bins, dtype=dtype, device=log_coef.device)
    return [log_coef.to(dtype).reshape(bins), k, (bins - 1.0) - k]


def binned_depth(p: Tensor, t: Tensor, centers: Tensor,
                 log_coef: Tensor, eps: float = 1e-4) -> Tensor:
    """Expected depth under log-binomial bin probabilities.

    Equal to ``(softmax((logC + k log p + (K-1-k) log(1-p)) / t, 1) *
    resize(centers)).sum(1)`` with p and 1 - p clamped to [eps, 1] and the
    centres resized bilinearly (``align_corners=True``) to p's size, but
    computed in row bands of about ``BAND_ELEMENTS`` bin values, bins
    last: the resize runs channels-last (its CPU kernels are about twice
    as fast there, backward included) and the softmax and the sum reduce
    over contiguous memory.

    Args:
        p (Tensor): Success probability (B, 1, H, W).
        t (Tensor): Temperature (B, 1, H, W).
        centers (Tensor): Bin centres (B, K, h, w), metres.
        log_coef (Tensor): ZoeDepth's log C(K-1, k), (1, K, 1, 1).
        eps (float): Clamp floor of p and 1 - p. Defaults to 1e-4.

    Returns:
        Tensor: Depth (B, 1, H, W).

    Raises:
        ValueError: When the shapes disagree.
    """
    bins = log_coef.numel()
    if p.shape != t.shape or p.shape[1] != 1 or centers.shape[1] != bins \
            or p.shape[0] != centers.shape[0]:
        raise ValueError(
            f'binned_depth needs p and t (B, 1, H, W) and centers '
            f'(B, {bins}, h, w); got p {tuple(p.shape)}, t '
            f'{tuple(t.shape)}, centers {tuple(centers.shape)}')
    height, width = p.shape[-2:]
    return banded(
        lambda p, t, c, *consts: band_depth(p, t, c, *consts, eps),
        [p.permute(0, 2, 3, 1), t.permute(0, 2, 3, 1),
         resized_bins_last(centers, (height, width), p.dtype)],
        bin_constants(log_coef, p.dtype),
        band_rows(p.shape[0], width, bins)).permute(0, 3, 1, 2)
