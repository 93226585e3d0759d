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


def _band_depth(p: Tensor, t: Tensor, centers: Tensor, log_coef: Tensor,
                k: Tensor, k_rest: Tensor, eps: float) -> Tensor:
    """Expected depth of one band, bins last: p, t (B, r, W, 1), centers
    (B, r, W, K), log_coef / k / k_rest (K,)."""
    y = (log_coef + k * p.clamp(eps, 1.0).log()
         + k_rest * (1 - p).clamp(eps, 1.0).log())
    probs = torch.softmax(y / t, dim=-1)
    return (probs * centers).sum(dim=-1, keepdim=True)


class _BinnedDepth(torch.autograd.Function):
    """Band-wise forward; backward recomputes each band under autograd."""

    @staticmethod
    def forward(ctx, p: Tensor, t: Tensor, centers: Tensor,
                log_coef: Tensor, k: Tensor, k_rest: Tensor,
                eps: float) -> Tensor:
        ctx.save_for_backward(p, t, centers, log_coef, k, k_rest)
        ctx.eps = eps
        out = p.new_empty(p.shape)
        for sl in _bands(centers):
            out[:, sl] = _band_depth(p[:, sl], t[:, sl], centers[:, sl],
                                     log_coef, k, k_rest, eps)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        p, t, centers, log_coef, k, k_rest = ctx.saved_tensors
        needs = ctx.needs_input_grad[:3]
        grads = [torch.empty_like(x) if need else None
                 for x, need in zip((p, t, centers), needs)]
        for sl in _bands(centers):
            leaves = [x[:, sl].detach().requires_grad_(need)
                      for x, need in zip((p, t, centers), needs)]
            with torch.enable_grad():
                depth = _band_depth(*leaves, log_coef, k, k_rest, ctx.eps)
            wanted = [x for x, need in zip(leaves, needs) if need]
            parts = iter(torch.autograd.grad(depth, wanted, grad[:, sl]))
            for total in grads:
                if total is not None:
                    total[:, sl] = next(parts)
        return (*grads, None, None, None, None)


def _bands(centers: Tensor):
    """Row slices of about ``BAND_ELEMENTS`` bin values each."""
    batch, height, width, bins = centers.shape
    step = max(1, BAND_ELEMENTS // (batch * width * bins))
    for start in range(0, height, step):
        yield slice(start, min(start + step, height))


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
    centers = centers.to(p.dtype).contiguous(
        memory_format=torch.channels_last)
    if tuple(centers.shape[-2:]) != tuple(p.shape[-2:]):
        centers = F.interpolate(centers, p.shape[-2:], mode='bilinear',
                                align_corners=True)
    k = torch.arange(bins, dtype=p.dtype, device=p.device)
    depth = _BinnedDepth.apply(
        p.permute(0, 2, 3, 1), t.permute(0, 2, 3, 1),
        centers.permute(0, 2, 3, 1), log_coef.to(p.dtype).reshape(bins), k,
        (bins - 1.0) - k, eps)
    return depth.permute(0, 3, 1, 2)
