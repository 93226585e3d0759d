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
from .precision import at_least_float32, run_with_float32_tail


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
        out = run_with_float32_tail(self.mlp[1:], hidden)
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
        dtype = torch.promote_types(x.dtype, torch.float32)
        # The embedding's share of the first convolution and its bias at
        # the low resolution (both commute with the resize), resized in the
        # working precision, channels-last (faster CPU kernels; the flat
        # view is then free).
        cond_part = resize_bilinear_ac(
            F.conv2d(cond, conv1.weight[:, split:], conv1.bias).to(
                dtype, memory_format=torch.channels_last), size)
        basis = bin_basis(
            self.log_binomial_transform.log_coefficient(dtype), dtype)
        depth = _BandedConditionalDepth.apply(
            self, flat_pixels(x).to(dtype), flat_pixels(cond_part),
            resized_flat_centers(centers, size, dtype),
            conv1.weight[:, :split].flatten(1).to(dtype),
            conv2.weight.flatten(1).to(dtype), conv2.bias.to(dtype), basis)
        return unflatten_depth(depth, x)

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

    Inputs are flat, channels last, all in the working precision (float32,
    or float64), whatever the autocast: x (N, C), the embedding's share of
    the first convolution plus its bias, cond (N, E'), centres (N, K), the
    first convolution's x-share w1 (E', C), the second one's w2 (4, E') and
    b2, the logits' basis. Per band: hidden = cond + x w1^T (one ``addmm``),
    GELU, scores = b2 + act w2^T, p and t, the bins
    (:func:`.binned_depth.band_expectation`). The forward keeps hidden (in
    place of cond, the same size), the scores and D per pixel; the
    backward takes every gradient by hand: the bins'
    (:func:`.binned_depth.band_expectation_grad`), then through p and t,
    softplus, the second convolution, GELU and the first, each written
    into its slice of the result.
    """

    @staticmethod
    def forward(ctx, layer: ConditionalLogBinomial, x: Tensor, cond: Tensor,
                centers: Tensor, w1: Tensor, w2: Tensor, b2: Tensor,
                basis: Tensor) -> Tensor:
        ctx.layer = layer
        pixels = x.shape[0]
        keep = any(ctx.needs_input_grad)
        depth = x.new_empty(pixels, 1)
        hidden = x.new_empty(cond.shape) if keep else None
        scores = x.new_empty(pixels, w2.shape[0]) if keep else None
        with torch.autocast(x.device.type, enabled=False):
            for sl in pixel_bands(pixels, band_pixels(basis.shape[1])):
                band_hidden = torch.addmm(
                    cond[sl], x[sl], w1.t(),
                    **(dict(out=hidden[sl]) if keep else {}))
                band_scores = torch.addmm(
                    b2, layer.mlp[1](band_hidden), w2.t(),
                    **(dict(out=scores[sl]) if keep else {}))
                _, p, t = layer._ratios(band_scores)
                depth[sl] = band_expectation(p, t, centers[sl], basis)
        if keep:
            ctx.save_for_backward(x, hidden, centers, w1, w2, basis, scores,
                                  depth)
        return depth

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, hidden, centers, w1, w2, basis, scores, depth = ctx.saved_tensors
        layer = ctx.layer
        need_x, need_cond, need_centers, need_w1, need_w2, need_b2 = \
            ctx.needs_input_grad[1:7]
        grad_x = torch.empty_like(x) if need_x else None
        grad_cond = torch.empty_like(hidden) if need_cond else None
        grad_centers = torch.empty_like(centers) if need_centers else None
        grad_w1 = torch.zeros_like(w1) if need_w1 else None
        grad_w2 = torch.zeros_like(w2) if need_w2 else None
        grad_b2 = x.new_zeros(w2.shape[0]) if need_b2 else None
        gelu = layer.mlp[1].approximate
        for sl in pixel_bands(x.shape[0], band_pixels(basis.shape[1])):
            band_hidden, band_scores = hidden[sl], scores[sl]
            out, p, t = layer._ratios(band_scores)
            grad_p, grad_t, _ = band_expectation_grad(
                grad[sl].to(x.dtype), p, t, centers[sl], depth[sl], basis,
                grad_centers=None if grad_centers is None else
                grad_centers[sl])
            grad_scores = layer._score_grad(grad_p, grad_t, out, band_scores)
            grad_act = grad_scores @ w2
            if grad_cond is None:
                grad_hidden = torch.ops.aten.gelu_backward(
                    grad_act, band_hidden, approximate=gelu)
            else:  # dL/dcond is dL/dhidden: written into its slice
                grad_hidden = torch.ops.aten.gelu_backward.grad_input(
                    grad_act, band_hidden, approximate=gelu,
                    grad_input=grad_cond[sl])
            if grad_w1 is not None:
                grad_w1.addmm_(grad_hidden.t(), x[sl])
            if grad_w2 is not None:
                grad_w2.addmm_(grad_scores.t(), layer.mlp[1](band_hidden))
            if grad_b2 is not None:
                grad_b2 += grad_scores.sum(0)
            if grad_x is not None:
                torch.mm(grad_hidden, w1, out=grad_x[sl])
        return (None, grad_x, grad_cond, grad_centers, grad_w1, grad_w2,
                grad_b2, None)
