"""Log-binomial bin probabilities, conditioned on features."""
import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

from .attractor import resize_bilinear_ac
from .binned_depth import (
    band_depth,
    band_rows,
    banded,
    bin_constants,
    bins_last,
    resized_bins_last,
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
        taken in row bands (:func:`.binned_depth.banded`): neither the
        (B, n_classes, h, w) probabilities nor the MLP's hidden maps at
        ``x``'s resolution are kept for the backward, which recomputes
        each band. Equal to :meth:`forward` followed by the sum, to
        rounding.

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
        cond_part = resize_bilinear_ac(
            F.conv2d(cond, conv1.weight[:, split:]), size)
        dtype = at_least_float32(cond_part).dtype
        shared = [conv1.weight[:, :split].flatten(1), conv1.bias,
                  conv2.weight.flatten(1), conv2.bias,
                  *bin_constants(
                      self.log_binomial_transform.log_coefficient(dtype),
                      dtype)]
        depth = banded(
            self._band_depth, [x.permute(0, 2, 3, 1), bins_last(cond_part),
                               resized_bins_last(centers, size, dtype)],
            shared, band_rows(x.shape[0], size[1], centers.shape[1]))
        return depth.permute(0, 3, 1, 2)

    def _band_depth(self, x: Tensor, cond_part: Tensor, centers: Tensor,
                    w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor,
                    log_coef: Tensor, k: Tensor, k_rest: Tensor) -> Tensor:
        """One band, channels last: the MLP, p and t, the bins' depth."""
        hidden = at_least_float32(F.linear(x, w1, b1)) + at_least_float32(
            cond_part)
        out = at_least_float32(
            self.mlp[3](F.linear(self.mlp[1](hidden), w2, b2)))
        out = out + self.p_eps
        p = out[..., 0:1] / (out[..., 0:1] + out[..., 1:2])
        t = out[..., 2:3] / (out[..., 2:3] + out[..., 3:4])
        t = (self.max_temp - self.min_temp) * t + self.min_temp
        return band_depth(p, t, centers, log_coef, k, k_rest)
