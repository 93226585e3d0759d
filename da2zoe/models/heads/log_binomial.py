"""Log-binomial bin probabilities, conditioned on features."""
import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

from .attractor import resize_bilinear_ac
from .binned_depth import (
    band_expectation,
    band_expectation_grad,
    band_pixels,
    bin_basis,
    flat_pixels,
    pixel_bands,
    resized_flat_centers,
    unflatten_depth,
)
from .precision import at_least_float32


def log_binomial_coefficient(n: Tensor,
                             k: Tensor,
                             eps: float = 1e-7) -> Tensor:
    """ZoeDepth's Stirling approximation of log C(n, k).

    n log n - k log k - (n - k) log(n - k + eps), with n and k offset by
    ``eps`` first.

    Args:
        n (Tensor): n (broadcastable with ``k``).
        k (Tensor): k.
        eps (float): Offset. Defaults to 1e-7.

    Returns:
        Tensor: The approximation, broadcast shape of ``n`` and ``k``.
    """
    n = n + eps
    k = k + eps
    return n * n.log() - k * k.log() - (n - k) * (n - k + eps).log()


class LogBinomial(BaseModule):
    """Softmax over bins of a binomial log-likelihood with temperature.

    y_k = logC(K-1, k) + k log p + (K-1-k) log(1-p) for k = 0..K-1, with p
    and 1 - p clamped to [eps, 1]; probabilities = softmax_k(y / t).

    Buffers keep ZoeDepth's names and types: ``k_idx`` (1, K, 1, 1) int64 and
    ``K_minus_1`` (1, 1, 1, 1) float. The reference adds 1e-7 to the int64
    ``k_idx``, which silently computes the Stirling term in torch's default
    dtype (float32) even in a float64 model (golden quirk 15); here both
    buffers are cast to the dtype of ``p`` (at least float32), so a float64
    model is float64 throughout.

    Args:
        n_classes (int): Number of bins K. Defaults to 256.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 n_classes: int = 256,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.n_classes = n_classes
        self.register_buffer('k_idx',
                             torch.arange(n_classes).view(1, -1, 1, 1))
        self.register_buffer('K_minus_1',
                             torch.tensor([n_classes - 1.0]).view(1, 1, 1, 1))

    def log_coefficient(self, dtype: torch.dtype) -> Tensor:
        """log C(K-1, k) of every bin, (1, K, 1, 1), computed in ``dtype``.
        """
        return log_binomial_coefficient(self.K_minus_1.to(dtype),
                                        self.k_idx.to(dtype))

    def forward(self, p: Tensor, t: Tensor | float = 1.0,
                eps: float = 1e-4) -> Tensor:
        """Bin probabilities.

        Args:
            p (Tensor): Success probability (B, h, w) or (B, 1, h, w).
            t (Tensor | float): Temperature, broadcastable to (B, 1, h, w).
                Defaults to 1.
            eps (float): Clamp floor of p and 1 - p. Defaults to 1e-4.

        Returns:
            Tensor: Probabilities (B, K, h, w), summing to 1 over bins.
        """
        if p.ndim == 3:
            p = p.unsqueeze(1)
        p = at_least_float32(p)
        k = self.k_idx.to(p.dtype)
        n = self.K_minus_1.to(p.dtype)
        y = (log_binomial_coefficient(n, k)
             + k * p.clamp(eps, 1.0).log()
             + (n - k) * (1 - p).clamp(eps, 1.0).log())
        return torch.softmax(y / t, dim=1)


class ConditionalLogBinomial(BaseModule):
    """Log-binomial probabilities whose p and temperature come from features.

    [x, cond] (x first) -> 1x1 conv (``mlp.0``) -> GELU -> 1x1 conv to 4
    channels (``mlp.2``) -> Softplus; p = (o0 + e) / ((o0 + e) + (o1 + e)),
    t likewise from o2, o3 (e = ``p_eps``), t = (max_temp - min_temp) t +
    min_temp; then :class:`LogBinomial`. ZoeDepth's layer and names.

    Args:
        in_channels (int): Channels of ``x``.
        condition_dim (int): Channels of ``cond``.
        n_classes (int): Number of bins. Defaults to 256.
        bottleneck_factor (int): Hidden width is
            (in_channels + condition_dim) // bottleneck_factor. Defaults to 2.
        p_eps (float): Offset of the ratio terms. Defaults to 1e-4.
        max_temp (float): Highest temperature. Defaults to 50.
        min_temp (float): Lowest temperature. Defaults to 1e-7.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 condition_dim: int,
                 n_classes: int = 256,
                 bottleneck_factor: int = 2,
                 p_eps: float = 1e-4,
                 max_temp: float = 50.0,
                 min_temp: float = 1e-7,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.p_eps = p_eps
        self.max_temp = max_temp
        self.min_temp = min_temp
        self.log_binomial_transform = LogBinomial(n_classes)
        hidden = (in_channels + condition_dim) // bottleneck_factor
        self.mlp = nn.Sequential(
            nn.Conv2d(in_channels + condition_dim, hidden, 1),
            nn.GELU(),
            nn.Conv2d(hidden, 4, 1),
            nn.Softplus(),
        )

    def probability_and_temperature(self, x: Tensor,
                                    cond: Tensor) -> tuple[Tensor, Tensor]:
        """p (B, h, w) and temperature (B, 1, h, w) for features and cond.

        A ``cond`` of another size than ``x`` is resized to it (bilinear,
        ``align_corners=True``, ZoeDepth's convention) AFTER its part of
        the first 1x1 convolution: per-pixel linear maps commute with a
        resize whose weights sum to one, so this equals resizing ``cond``
        first and convolving the concatenation (to rounding), at a fraction
        of the cost when ``x`` is at the input resolution (DPT geometry).
        """
        if tuple(cond.shape[-2:]) == tuple(x.shape[-2:]):
            hidden = self.mlp[0](torch.cat((x, cond), dim=1))
        else:
            conv = self.mlp[0]
            split = x.shape[1]
            cond_part = F.conv2d(cond, conv.weight[:, split:])
            hidden = at_least_float32(F.conv2d(
                x, conv.weight[:, :split], conv.bias)) + at_least_float32(
                    resize_bilinear_ac(cond_part, x.shape[-2:]))
        out = at_least_float32(self.mlp[1:](hidden))
        out = out + self.p_eps
        p = out[:, 0] / (out[:, 0] + out[:, 1])
        t = out[:, 2:3] / (out[:, 2:3] + out[:, 3:4])
        t = (self.max_temp - self.min_temp) * t + self.min_temp
        return p, t

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        """Bin probabilities.

        Args:
            x (Tensor): Features (B, C, h, w).
            cond (Tensor): Condition, e.g. the bin embedding (B, E, h, w).

        Returns:
            Tensor: Probabilities (B, n_classes, h, w).
        """
        p, t = self.probability_and_temperature(x, cond)
        return self.log_binomial_transform(p, t)

    def expected_depth(self, x: Tensor, cond: Tensor,
                       centers: Tensor) -> Tensor:
        """Probability-weighted sum of the bin centres, the whole layer
        taken in pixel bands with an analytic backward
        (:class:`_BandedConditionalDepth`): neither the (B, n_classes, h, w)
        probabilities nor the MLP's hidden maps at ``x``'s resolution are
        kept for the backward. Equal to :meth:`forward` followed by the sum,
        to rounding.

        Args:
            x (Tensor): Features (B, C, h, w).
            cond (Tensor): Condition (B, E, h', w'), resized like
                :meth:`probability_and_temperature` does.
            centers (Tensor): Bin centres (B, n_classes, h'', w''), resized
                to (h, w) bilinearly (``align_corners=True``).

        Returns:
            Tensor: Depth (B, 1, h, w).
        """
        conv1, conv2 = self.mlp[0], self.mlp[2]
        split = x.shape[1]
        size = x.shape[-2:]
        # Resized channels-last (faster CPU kernels), so the flat view is
        # free.
        cond_part = resize_bilinear_ac(
            F.conv2d(cond, conv1.weight[:, split:]).contiguous(
                memory_format=torch.channels_last), size)
        dtype = at_least_float32(cond_part[:1, :1, :1, :1]).dtype
        basis = bin_basis(
            self.log_binomial_transform.log_coefficient(dtype), dtype)
        depth = _BandedConditionalDepth.apply(
            self, flat_pixels(x), flat_pixels(cond_part),
            resized_flat_centers(centers, size, dtype),
            conv1.weight[:, :split].flatten(1), conv1.bias,
            conv2.weight.flatten(1), conv2.bias, basis)
        return unflatten_depth(depth, x)

    def _hidden(self, x: Tensor, cond_part: Tensor, w1: Tensor, b1: Tensor
                ) -> tuple[Tensor, Tensor]:
        """The first 1x1 convolution of one band, before and after GELU
        (a 16-bit ``cond_part`` is promoted inside the addition)."""
        hidden = torch.add(at_least_float32(F.linear(x, w1, b1)), cond_part)
        return hidden, self.mlp[1](hidden)

    def _ratios(self, scores: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Softplus outputs (+ ``p_eps``), p and t from the (P, 4) scores
        of the second 1x1 convolution."""
        out = self.mlp[3](scores) + self.p_eps
        p = out[:, 0:1] / (out[:, 0:1] + out[:, 1:2])
        t = out[:, 2:3] / (out[:, 2:3] + out[:, 3:4])
        t = (self.max_temp - self.min_temp) * t + self.min_temp
        return out, p, t

    def _score_grad(self, grad_p: Tensor, grad_t: Tensor, out: Tensor,
                    scores: Tensor) -> Tensor:
        """dL/dscores (P, 4) from dL/dp and dL/dt (P, 1) through
        :meth:`_ratios`."""
        o0, o1, o2, o3 = out.unbind(1)
        grad_p, grad_t = grad_p.squeeze(1), grad_t.squeeze(1)
        sum_p = (o0 + o1).square()
        grad_t = grad_t * (self.max_temp - self.min_temp) / (o2 + o3).square()
        grad_out = torch.stack(
            (grad_p * o1 / sum_p, -grad_p * o0 / sum_p, grad_t * o3,
             -grad_t * o2), dim=1)
        softplus = self.mlp[3]
        return torch.ops.aten.softplus_backward(grad_out, scores,
                                                softplus.beta,
                                                softplus.threshold)


class _BandedConditionalDepth(torch.autograd.Function):
    """:meth:`ConditionalLogBinomial.expected_depth` over pixel bands.

    Inputs are flat, channels last: x (N, C), the embedding's share of the
    first convolution cond (N, E'), centres (N, K), the two convolutions'
    weights as matrices, the logits' basis. Per band the MLP runs under the
    caller's autocast and the bins in full precision
    (:func:`.binned_depth.band_expectation`); the forward keeps the first
    convolution's output (in place of the condition, the same size), the
    second one's scores and D per pixel. The backward takes every gradient
    by hand: the bins' (:func:`.binned_depth.band_expectation_grad`), then
    through p and t, softplus, the second convolution, GELU and the first.
    """

    @staticmethod
    def forward(ctx, layer: ConditionalLogBinomial, x: Tensor, cond: Tensor,
                centers: Tensor, w1: Tensor, b1: Tensor, w2: Tensor,
                b2: Tensor, basis: Tensor) -> Tensor:
        device = x.device.type
        ctx.layer = layer
        pixels = x.shape[0]
        keep = any(ctx.needs_input_grad)
        hidden = scores = depth = None
        for sl in pixel_bands(pixels, band_pixels(basis.shape[1])):
            band_hidden, act = layer._hidden(x[sl], cond[sl], w1, b1)
            band_scores = at_least_float32(F.linear(act, w2, b2))
            with torch.autocast(device, enabled=False):
                _, p, t = layer._ratios(band_scores)
                band_depth = band_expectation(p, t, centers[sl], basis)
            if depth is None:
                depth = band_depth.new_empty(pixels, 1)
                if keep:
                    hidden = band_hidden.new_empty(pixels,
                                                   band_hidden.shape[1])
                    scores = band_scores.new_empty(pixels,
                                                   band_scores.shape[1])
            depth[sl] = band_depth
            if keep:
                hidden[sl], scores[sl] = band_hidden, band_scores
        if not keep:
            return depth
        ctx.save_for_backward(x, hidden, centers, w1, w2, basis, scores,
                              depth)
        return depth

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, hidden, centers, w1, w2, basis, scores, depth = ctx.saved_tensors
        layer = ctx.layer
        need = ctx.needs_input_grad[1:8]
        dtype = scores.dtype
        grad_x, grad_cond, grad_centers = (
            torch.empty(v.shape[0], c, dtype=v.dtype, device=v.device)
            if n else None for v, c, n in zip(
                (x, hidden, centers),
                (x.shape[1], hidden.shape[1], centers.shape[1]), need[:3]))
        w1_, w2_ = w1.to(dtype), w2.to(dtype)
        param_grads = [
            torch.zeros(shape, dtype=dtype, device=x.device) if n else None
            for shape, n in zip((w1.shape, w1.shape[:1], w2.shape,
                                 w2.shape[:1]), need[3:])]
        gelu = layer.mlp[1].approximate
        for sl in pixel_bands(x.shape[0], band_pixels(basis.shape[1])):
            band_hidden, band_scores = hidden[sl], scores[sl]
            out, p, t = layer._ratios(band_scores)
            grad_p, grad_t, band_grad_centers = band_expectation_grad(
                grad[sl].to(dtype), p, t, centers[sl], depth[sl], basis)
            if grad_centers is not None:
                grad_centers[sl] = band_grad_centers
            grad_scores = layer._score_grad(grad_p, grad_t, out, band_scores)
            grad_hidden = torch.ops.aten.gelu_backward(
                grad_scores @ w2_, band_hidden, approximate=gelu)
            for total, part in zip(param_grads, (
                    lambda: grad_hidden.t() @ x[sl].to(dtype),
                    lambda: grad_hidden.sum(0),
                    lambda: grad_scores.t() @ layer.mlp[1](band_hidden),
                    lambda: grad_scores.sum(0))):
                if total is not None:
                    total += part()
            if grad_x is not None:
                grad_x[sl] = grad_hidden @ w1_
            if grad_cond is not None:
                grad_cond[sl] = grad_hidden
        param_grads = [None if g is None else g.to(w.dtype)
                       for g, w in zip(param_grads, (w1, w1, w2, w2))]
        return (None, grad_x, grad_cond, grad_centers, *param_grads, None)
