"""Attractor layer: moves bin centres towards predicted attractor points."""
import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.autograd.function import once_differentiable
from torch.nn import functional as F

from .precision import at_least_float32, run_with_float32_tail

# What the reference layers really use: they never pass their own alpha/gamma
# to the attractor function, whose defaults are these (golden quirk 10).
REFERENCE_ALPHA = 300.0
REFERENCE_GAMMA = 2.0
ATTRACTOR_TYPES = ('inv', 'exp')
ATTRACTOR_KINDS = ('sum', 'mean')


def _abs_pow(dx: Tensor, gamma: float) -> Tensor:
    """|dx|^gamma; one multiply for the usual gamma = 2 (same bits)."""
    return dx.square() if gamma == 2 else dx.abs().pow(gamma)


def attractor_pull(dx: Tensor, alpha: float, gamma: float,
                   attractor_type: str) -> Tensor:
    """Shift of a bin centre towards an attractor at signed distance ``dx``.

    ``inv``: dx / (1 + alpha |dx|^gamma); ``exp``: exp(-alpha |dx|^gamma) dx.
    The reference's ``inv`` uses dx^gamma without the absolute value; the two
    are bit-identical for the even gamma it always runs with (2), and only
    the form with ``|dx|`` is a pull towards the attractor for odd gamma.

    Args:
        dx (Tensor): Attractor position minus bin centre.
        alpha (float): Strength.
        gamma (float): Exponent.
        attractor_type (str): ``'inv'`` or ``'exp'``.

    Returns:
        Tensor: The shift, same shape as ``dx``.
    """
    magnitude = alpha * _abs_pow(dx, gamma)
    if attractor_type == 'inv':
        return dx / (1 + magnitude)
    return torch.exp(-magnitude) * dx


def attractor_pull_slope(dx: Tensor, alpha: float, gamma: float,
                         attractor_type: str) -> Tensor:
    """Derivative of :func:`attractor_pull` with respect to ``dx``."""
    magnitude = alpha * _abs_pow(dx, gamma)
    if attractor_type == 'inv':
        return (1 + (1 - gamma) * magnitude) / (1 + magnitude).square()
    return torch.exp(-magnitude) * (1 - gamma * magnitude)


def _fused_inverse_square(attractor_type: str, gamma: float) -> bool:
    """Whether the pulls take the fused passes of the usual inv / gamma 2."""
    return attractor_type == 'inv' and gamma == 2


class _LoopedAttractorDelta(torch.autograd.Function):
    """Sum of the pulls of every attractor, one attractor at a time.

    Identical math to materialising the (B, n_attractors, n_bins, h, w)
    tensor of pulls and reducing it, but forward and backward only ever hold
    (B, n_bins, h, w) temporaries: the backward saves the attractors and the
    centres and recomputes the slopes, instead of autograd keeping every
    per-attractor intermediate alive. With ``residual`` the result is
    ``centers + delta`` (the layer's new centres, one pass less).

    The usual ``inv`` pull with gamma 2 takes fused passes over reused
    buffers (every config and released checkpoint uses it): forward
    dx = a - c, d = 1 + alpha dx^2 (``addcmul``), delta += w dx / d
    (``addcdiv_``), three passes per attractor where the generic form takes
    six; backward with r = 1 / d the slope is (1 - alpha dx^2) / d^2 =
    2 r^2 - r, so -slope = ``addcmul(r, r, r, value=-2)``, six passes where
    the generic form takes eleven. The mean's 1 / n is applied per
    attractor (w), not after the sum: equal to rounding.
    """

    @staticmethod
    def forward(ctx, attractors: Tensor, centers: Tensor, alpha: float,
                gamma: float, attractor_type: str, mean: bool,
                residual: bool = False) -> Tensor:
        n = attractors.shape[1]
        weight = 1.0 / n if mean else 1.0
        if _fused_inverse_square(attractor_type, gamma):
            out = centers.clone() if residual else torch.zeros_like(centers)
            dx, den = torch.empty_like(centers), torch.empty_like(centers)
            one = centers.new_ones(())
            for i in range(n):
                torch.sub(attractors[:, i:i + 1], centers, out=dx)
                torch.addcmul(one, dx, dx, value=alpha, out=den)
                out.addcdiv_(dx, den, value=weight)
        else:
            out = torch.zeros_like(centers)
            for i in range(n):
                out += attractor_pull(attractors[:, i:i + 1] - centers,
                                      alpha, gamma, attractor_type)
            if mean:
                out /= n
            if residual:
                out += centers
        ctx.save_for_backward(attractors, centers)
        ctx.options = (alpha, gamma, attractor_type, mean, residual)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor) -> tuple:
        attractors, centers = ctx.saved_tensors
        alpha, gamma, attractor_type, mean, residual = ctx.options
        n = attractors.shape[1]
        grad_attractors = torch.empty_like(attractors)
        grad_centers = (grad_out.clone() if residual else
                        torch.zeros_like(centers))
        if _fused_inverse_square(attractor_type, gamma):
            weight = 1.0 / n if mean else 1.0
            dx, recip = torch.empty_like(centers), torch.empty_like(centers)
            neg_slope = torch.empty_like(centers)
            one = centers.new_ones(())
            for i in range(n):
                torch.sub(attractors[:, i:i + 1], centers, out=dx)
                torch.addcmul(one, dx, dx, value=alpha, out=recip)
                recip.reciprocal_()
                torch.addcmul(recip, recip, recip, value=-2, out=neg_slope)
                neg_slope.mul_(grad_out)  # -dL/ddx / weight
                torch.sum(neg_slope, dim=1, out=grad_attractors[:, i])
                grad_centers.add_(neg_slope, alpha=weight)
            grad_attractors.mul_(-weight)
            return grad_attractors, grad_centers, None, None, None, None, None
        if mean:
            grad_out = grad_out / n
        for i in range(n):
            grad_dx = grad_out * attractor_pull_slope(
                attractors[:, i:i + 1] - centers, alpha, gamma,
                attractor_type)
            grad_attractors[:, i] = grad_dx.sum(dim=1)
            grad_centers -= grad_dx
        return grad_attractors, grad_centers, None, None, None, None, None


def attractor_delta(attractors: Tensor,
                    centers: Tensor,
                    alpha: float,
                    gamma: float,
                    attractor_type: str,
                    kind: str,
                    memory_efficient: bool = True,
                    residual: bool = False) -> Tensor:
    """Total shift of every bin centre by a set of attractors.

    Args:
        attractors (Tensor): Attractor positions (B, n_attractors, h, w).
        centers (Tensor): Bin centres (B, n_bins, h, w).
        alpha (float): Strength.
        gamma (float): Exponent.
        attractor_type (str): ``'inv'`` or ``'exp'``.
        kind (str): ``'sum'`` or ``'mean'`` over the attractors.
        memory_efficient (bool): Loop over attractors (bounded memory, also
            in backward) instead of materialising the 5-D tensor of pulls.
            Same values up to summation order. Defaults to True.
        residual (bool): Return the moved centres, ``centers`` plus the
            shift. Defaults to False.

    Returns:
        Tensor: Shift (B, n_bins, h, w), or the moved centres.
    """
    if memory_efficient:
        return _LoopedAttractorDelta.apply(attractors, centers, alpha, gamma,
                                           attractor_type, kind == 'mean',
                                           residual)
    pulls = attractor_pull(
        attractors.unsqueeze(2) - centers.unsqueeze(1), alpha, gamma,
        attractor_type)
    delta = pulls.mean(dim=1) if kind == 'mean' else pulls.sum(dim=1)
    return centers + delta if residual else delta


def resize_bilinear_ac(x: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize with ``align_corners=True`` (ZoeDepth's convention);
    a no-op when ``x`` already has ``size``."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size, mode='bilinear', align_corners=True)


class AttractorLayer(BaseModule):
    """One attractor level of the ZoeDepth head.

    The bin embedding of this level plus the previous level's embedding
    (bilinearly resized, ``align_corners=True``) goes through a 1x1-conv MLP
    (``_net.0``, ``_net.2``) predicting ``n_attractors`` points per pixel. The
    previous centres are resized to this level the same way and every centre
    c_k moves by the sum (``kind='sum'``) or mean (``'mean'``) over
    attractors a of pull(A_a - c_k) (:func:`attractor_pull`).

    ``normed=True`` (ZoeDepth ``AttractorLayer``) works on centres in [0, 1]:
    the MLP ends in ReLU with 2 * n_attractors channels, + 1e-3, and the
    attractor positions are the RAW first member of each channel pair
    (channels 0, 2, 4, ...); the reference computes a pair normalisation and
    discards it (golden quirk 12). This is always reproduced, since released
    weights were trained with it: the odd channels are unused. The new
    centres are returned as they are and, mapped to metres
    ((max - min) c + min), sorted along the bins and clipped to [min, max].
    ``normed=False`` (``AttractorLayerUnnormed``): Softplus, n_attractors
    channels, centres in metres, returned twice.

    Strength: the reference layers never pass alpha/gamma on, so they always
    pull with alpha 300, gamma 2 (golden quirk 10). This layer honours the
    configured values unless ``strength_quirk=True``, which reproduces 300 / 2
    whatever is configured (use it for released ZoeDepth / DA-V1 weights).

    Args:
        in_channels (int): Bin-embedding channels.
        n_bins (int): Number of bins. Defaults to 16.
        n_attractors (int): Attractor points per pixel. Defaults to 16.
        mlp_dim (int): Hidden width. Defaults to 128.
        min_depth (float): Lower depth bound in metres. Defaults to 1e-3.
        max_depth (float): Upper depth bound in metres. Defaults to 10.
        alpha (float): Attractor strength. Defaults to 300.
        gamma (float): Attractor exponent. Defaults to 2.
        kind (str): ``'sum'`` or ``'mean'``. Defaults to ``'sum'``.
        attractor_type (str): ``'inv'`` or ``'exp'``. Defaults to ``'exp'``.
        normed (bool): Centres in [0, 1] (True) or in metres (False).
            Defaults to True.
        strength_quirk (bool): Ignore ``alpha`` / ``gamma`` and use 300 / 2
            like the reference. Defaults to False.
        memory_efficient (bool): See :func:`attractor_delta`.
            Defaults to True.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    attractor_eps = 1e-3

    def __init__(self,
                 in_channels: int,
                 n_bins: int = 16,
                 n_attractors: int = 16,
                 mlp_dim: int = 128,
                 min_depth: float = 1e-3,
                 max_depth: float = 10.0,
                 alpha: float = 300.0,
                 gamma: float = 2.0,
                 kind: str = 'sum',
                 attractor_type: str = 'exp',
                 normed: bool = True,
                 strength_quirk: bool = False,
                 memory_efficient: bool = True,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if attractor_type not in ATTRACTOR_TYPES:
            raise ValueError(f'attractor_type must be one of '
                             f'{ATTRACTOR_TYPES}, got {attractor_type!r}')
        if kind not in ATTRACTOR_KINDS:
            raise ValueError(f'attractor kind must be one of '
                             f'{ATTRACTOR_KINDS}, got {kind!r}')
        self.n_attractors = n_attractors
        self.min_depth = min_depth
        self.max_depth = max_depth
        self.alpha = REFERENCE_ALPHA if strength_quirk else alpha
        self.gamma = REFERENCE_GAMMA if strength_quirk else gamma
        self.kind = kind
        self.attractor_type = attractor_type
        self.normed = normed
        self.memory_efficient = memory_efficient
        out_channels = 2 * n_attractors if normed else n_attractors
        self._net = nn.Sequential(
            nn.Conv2d(in_channels, mlp_dim, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(mlp_dim, out_channels, 1),
            nn.ReLU(inplace=True) if normed else nn.Softplus(),
        )

    def forward(
            self,
            x: Tensor,
            b_prev: Tensor,
            prev_b_embedding: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Refine the previous level's bin centres.

        Args:
            x (Tensor): Bin embedding of this level (B, E, h, w).
            b_prev (Tensor): Previous centres (B, n_bins, h', w'), in [0, 1]
                for ``normed`` layers, in metres otherwise.
            prev_b_embedding (Tensor | None): Previous level's embedding
                (B, E, h'', w''), added to ``x`` after resizing.

        Returns:
            tuple[Tensor, Tensor]: The new centres in the input's space
            (unsorted; what the next level consumes) and the centres in
            metres (sorted and clipped for ``normed``; the same tensor
            otherwise), both (B, n_bins, h, w).
        """
        if prev_b_embedding is not None:
            x = x + resize_bilinear_ac(prev_b_embedding, x.shape[-2:])
        attractors = run_with_float32_tail(self._net, x)
        if self.normed:
            attractors = (attractors + self.attractor_eps)[:, 0::2]
        b_prev = resize_bilinear_ac(at_least_float32(b_prev),
                                    attractors.shape[-2:])
        b_new = attractor_delta(
            attractors, b_prev, self.alpha, self.gamma, self.attractor_type,
            self.kind, self.memory_efficient, residual=True)
        if not self.normed:
            return b_new, b_new
        centers = (self.max_depth - self.min_depth) * b_new + self.min_depth
        centers = centers.sort(dim=1).values
        return b_new, centers.clip(self.min_depth, self.max_depth)
