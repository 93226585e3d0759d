"""Depth as the expectation of log-binomial bins, in pixel bands, with an
analytic backward.

At the DPT geometry the ZoeDepth head's last step runs at the input
resolution: ``softmax((logC + k log p + (K-1-k) log(1-p)) / t)`` over K
bins, the low-resolution bin centres resized (bilinear,
``align_corners=True``) to that size, and their probability-weighted sum D.
Written as tensor ops this materialises a dozen (B, K, H, W) tensors (100 MB
each for vits at 392x518, batch 2), autograd keeps most of them, and its
backward walks them all again. Here pixels are laid out bins last, cut into
bands that stay in cache, and per band:

* forward: the logits are ONE matrix product, ``[log p, log(1-p), 1] / t``
  (P, 3) times the (3, K) basis ``[k; K-1-k; logC]``; a softmax; the dot
  product with the centres. Only D (and p, t) per pixel is kept.
* backward (from D, p, t and the centres, no autograd graph): with
  pi = softmax(z), dL/dc_k = g pi_k and dL/dz_k = g pi_k (c_k - D); the
  gradients of log p, log(1-p) and t are the three sums of dL/dz_k against
  the basis rows, again ONE matrix product ((P, K) times (K, 3)).

So a band costs about four passes over its (P, K) values forward and six
backward, where autograd's recomputation took about thirty. Results equal
the tensor-op form to rounding (float64 tests at 1e-12).
"""
import torch
from torch import Tensor
from torch.nn import functional as F

# Bin elements per band: 2^19 float32 = 2 MiB, about one core's L2.
BAND_ELEMENTS = 2**19


def bin_basis(log_coef: Tensor, dtype: torch.dtype) -> Tensor:
    """The (3, K) basis ``[k; K-1-k; logC]`` of the logits.

    Args:
        log_coef (Tensor): log C(K-1, k) of the K bins (any shape, K values).
        dtype (torch.dtype): Working dtype.

    Returns:
        Tensor: (3, K), so that ``[lp, l1p, 1] @ basis`` is the log-likelihood.
    """
    bins = log_coef.numel()
    k = torch.arange(bins, dtype=dtype, device=log_coef.device)
    return torch.stack((k, (bins - 1.0) - k, log_coef.to(dtype).reshape(bins)))


def band_pixels(bins: int) -> int:
    """Pixels per band so that a band holds about ``BAND_ELEMENTS`` bins."""
    return max(1, BAND_ELEMENTS // bins)


def pixel_bands(pixels: int, step: int):
    """Slices of ``step`` pixels covering ``pixels``."""
    for start in range(0, pixels, step):
        yield slice(start, min(start + step, pixels))


def _logits(p: Tensor, t: Tensor, basis: Tensor, eps: float
            ) -> tuple[Tensor, Tensor, Tensor]:
    """z = (logC + k log p + (K-1-k) log(1-p)) / t for p, t (P, 1); also
    the clamped logs."""
    log_p = p.clamp(eps, 1.0).log()
    log_q = (1 - p).clamp(eps, 1.0).log()
    inv_t = t.reciprocal()
    coeffs = torch.cat((log_p * inv_t, log_q * inv_t, inv_t), dim=1)
    return coeffs @ basis, log_p, log_q


def band_expectation(p: Tensor, t: Tensor, centers: Tensor, basis: Tensor,
                     eps: float = 1e-4) -> Tensor:
    """Expected depth of one band.

    Args:
        p (Tensor): Success probability (P, 1).
        t (Tensor): Temperature (P, 1).
        centers (Tensor): Bin centres (P, K).
        basis (Tensor): :func:`bin_basis` (3, K).
        eps (float): Clamp floor of p and 1 - p. Defaults to 1e-4.

    Returns:
        Tensor: D (P, 1).
    """
    probs = torch.softmax(_logits(p, t, basis, eps)[0], dim=1)
    return torch.linalg.vecdot(probs, centers).unsqueeze(1)


def band_expectation_grad(grad: Tensor, p: Tensor, t: Tensor,
                          centers: Tensor, depth: Tensor, basis: Tensor,
                          eps: float = 1e-4,
                          grad_centers: Tensor | None = None
                          ) -> tuple[Tensor, Tensor, Tensor]:
    """Gradients of :func:`band_expectation` for an output gradient.

    Args:
        grad (Tensor): dL/dD (P, 1).
        p, t, centers, basis, eps: As :func:`band_expectation`.
        depth (Tensor): Its output D (P, 1).
        grad_centers (Tensor, optional): (P, K) to write dL/dcenters into.

    Returns:
        tuple[Tensor, Tensor, Tensor]: dL/dp, dL/dt (P, 1) and dL/dcenters
        (P, K). The clamps pass the gradient where eps < p < 1 (resp.
        1 - p), as autograd's clamp does (not at the bounds).
    """
    z, log_p, log_q = _logits(p, t, basis, eps)
    grad_centers = torch.mul(torch.softmax(z, dim=1), grad,
                             **({} if grad_centers is None else
                                dict(out=grad_centers)))
    grad_z = (centers - depth).mul_(grad_centers)
    sums = grad_z @ basis.t()  # sum_k dL/dz_k [k, K-1-k, logC_k]
    inv_t = t.reciprocal()
    grad_t = -(sums[:, 2:3] + log_p * sums[:, 0:1]
               + log_q * sums[:, 1:2]) * inv_t.square()
    q = 1 - p
    # Divided by the clamped values: equal where the masks pass, finite
    # where they do not.
    grad_p = (sums[:, 0:1] * inv_t / p.clamp(eps, 1.0)
              * ((p > eps) & (p < 1))
              - sums[:, 1:2] * inv_t / q.clamp(eps, 1.0)
              * ((q > eps) & (q < 1)))
    return grad_p, grad_t, grad_centers


class _BinnedDepth(torch.autograd.Function):
    """:func:`band_expectation` over pixel bands of flat (N, .) tensors."""

    @staticmethod
    def forward(ctx, p: Tensor, t: Tensor, centers: Tensor, basis: Tensor,
                eps: float) -> Tensor:
        depth = p.new_empty(p.shape)
        for sl in pixel_bands(p.shape[0], band_pixels(basis.shape[1])):
            depth[sl] = band_expectation(p[sl], t[sl], centers[sl], basis,
                                         eps)
        ctx.save_for_backward(p, t, centers, basis, depth)
        ctx.eps = eps
        return depth

    @staticmethod
    def backward(ctx, grad: Tensor):
        p, t, centers, basis, depth = ctx.saved_tensors
        grads = [torch.empty_like(x) for x in (p, t, centers)]
        for sl in pixel_bands(p.shape[0], band_pixels(basis.shape[1])):
            for total, part in zip(grads, band_expectation_grad(
                    grad[sl], p[sl], t[sl], centers[sl], depth[sl], basis,
                    ctx.eps)):
                total[sl] = part
        return (*grads, None, None)


def flat_pixels(x: Tensor) -> Tensor:
    """(B, C, H, W) -> (B H W, C), channels contiguous (a copy unless
    ``x`` is channels-last already)."""
    return x.permute(0, 2, 3, 1).reshape(-1, x.shape[1])


def resized_flat_centers(centers: Tensor, size: tuple, dtype: torch.dtype
                         ) -> Tensor:
    """Centres resized (bilinear, ``align_corners=True``) to ``size``,
    channels-last (its CPU kernels are about twice as fast there, backward
    included), as (B H W, K)."""
    centers = centers.to(dtype).contiguous(memory_format=torch.channels_last)
    if tuple(centers.shape[-2:]) != tuple(size):
        centers = F.interpolate(centers, size, mode='bilinear',
                                align_corners=True)
    return flat_pixels(centers)


def unflatten_depth(depth: Tensor, like: Tensor) -> Tensor:
    """(B H W, 1) -> (B, 1, H, W) for the (B, C, H, W) tensor ``like``."""
    batch, _, height, width = like.shape
    return depth.view(batch, height, width, 1).permute(0, 3, 1, 2)


def binned_depth(p: Tensor, t: Tensor, centers: Tensor,
                 log_coef: Tensor, eps: float = 1e-4) -> Tensor:
    """Expected depth under log-binomial bin probabilities.

    Equal to ``(softmax((logC + k log p + (K-1-k) log(1-p)) / t, 1) *
    resize(centers)).sum(1)`` with p and 1 - p clamped to [eps, 1] and the
    centres resized bilinearly (``align_corners=True``) to p's size, but
    computed in pixel bands with the analytic backward of this module.

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
    depth = _BinnedDepth.apply(
        flat_pixels(p), flat_pixels(t),
        resized_flat_centers(centers, p.shape[-2:], p.dtype),
        bin_basis(log_coef, p.dtype), eps)
    return unflatten_depth(depth, p)
