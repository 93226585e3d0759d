"""ZoeDepth metric-bins head."""
from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

from da2zoe.registry import HEADS
from .attractor import AttractorLayer, resize_bilinear_ac
from .log_binomial import ConditionalLogBinomial
from .projector import Projector
from .seed_bin_regressor import SeedBinRegressor

# bin_centers_type -> (seed regressor normed, attractor layers normed)
BIN_CENTERS_TYPES = {
    'normed': (True, True),
    'softplus': (False, False),
    'hybrid1': (True, False),
    'hybrid2': (False, True),
}


def upsample_to_input(depth: Tensor, size: tuple[int, int],
                      stride: int | None) -> Tensor:
    """Resize a depth map to the input size, keeping its grid geometry.

    With a known integer ``stride`` (cell i of the map covers input pixels
    [s i, s i + s), so the map has ceil(H / s) rows), the map is upsampled by
    exactly ``stride`` (bilinear, half-pixel centres) and cropped to ``size``:
    every input pixel samples the map at its true position. Without a stride
    it is a plain bilinear resize to ``size`` (``align_corners=False``).

    Args:
        depth (Tensor): Depth (B, 1, h, w).
        size (tuple[int, int]): Input (H, W).
        stride (int | None): Input pixels per map cell, if known.

    Returns:
        Tensor: Depth (B, 1, H, W).
    """
    if tuple(depth.shape[-2:]) == tuple(size):
        return depth
    if stride is None:
        return F.interpolate(
            depth, size, mode='bilinear', align_corners=False)
    depth = F.interpolate(
        depth, scale_factor=stride, mode='bilinear', align_corners=False)
    return depth[..., :size[0], :size[1]]


def _tracing() -> bool:
    """Whether an exporter or compiler is tracing: they get the plain
    tensor-op form (the banded one loops over a data-dependent count)."""
    return (torch.compiler.is_compiling() or torch.jit.is_tracing()
            or torch.onnx.is_in_onnx_export())


@HEADS.register_module()
class ZoeDepthHead(BaseModule):
    """ZoeDepth's metric-bins head on the neck's outputs.

    Data flow (ZoeDepth's, parameter names kept so a ZoeDepth / Depth
    Anything V1 metric checkpoint's head keys load under ``head.``):
    ``conv2`` (1x1) on the neck's ``bottleneck``; ``seed_bin_regressor`` and
    ``seed_projector`` on its output; for each map of ``levels`` (coarse to
    fine) ``projectors.{i}`` gives a bin embedding and ``attractors.{i}``
    refines the previous centres with it (the raw projector output, not the
    sum with the previous one, is carried on); ``conditional_log_binomial``
    turns the neck's ``final`` map (optionally with the relative depth
    appended) and the last embedding into bin probabilities; depth is the
    probability-weighted sum of the last centres, resized to the input.
    When ``final`` is at the input resolution (``final_stride`` 1, the DPT
    geometry) and no extras are asked for, the conditional log-binomial and
    that sum are taken band by band without the (B, n_bins, H_f, W_f)
    probabilities (:meth:`.ConditionalLogBinomial.expected_depth`: same
    values to rounding, a fraction of the time and memory); exporters and
    ``torch.compile`` trace the plain form.

    Reproduced reference quirks (see ``docs/model.md``): the normed
    attractor takes the raw first member of each channel pair; all
    resizes between levels are bilinear with ``align_corners=True``; the
    Stirling term of the log-binomial, which the reference computes in
    float32 by accident, is computed in the working dtype here. Behind an
    option: ``attractor_strength_quirk=True`` pulls with alpha 300 / gamma 2
    whatever is configured, as the reference always does (needed for
    released weights); the default honours ``attractor_alpha`` and
    ``attractor_gamma``.

    Args:
        bottleneck_channels (int): Channels of ``bottleneck``.
            Defaults to 256.
        level_channels (int | Sequence[int]): Channels of each map of
            ``levels`` (one int for all). Defaults to 256.
        final_channels (int): Channels of ``final``. Defaults to 32.
        n_bins (int): Number of depth bins. Defaults to 64.
        bin_centers_type (str): ``'normed'`` (normed seed and attractors),
            ``'softplus'`` (both unnormed), ``'hybrid1'`` (normed seed,
            unnormed attractors), ``'hybrid2'`` (softplus seed, normed
            attractors). Defaults to ``'softplus'``.
        bin_embedding_dim (int): Bin-embedding channels. Defaults to 128.
        min_depth (float): Lower depth bound in metres. Defaults to 1e-3.
        max_depth (float): Upper depth bound in metres. Defaults to 10.
        n_attractors (Sequence[int]): Attractors per level, coarse to fine;
            its length must equal the number of ``levels``.
            Defaults to (16, 8, 4, 1).
        attractor_type (str): ``'inv'`` or ``'exp'``. Defaults to ``'inv'``.
        attractor_kind (str): ``'sum'`` or ``'mean'``. Defaults to ``'sum'``.
        attractor_alpha (float): Attractor strength. Defaults to 300.
        attractor_gamma (float): Attractor exponent. Defaults to 2.
        attractor_strength_quirk (bool): Use 300 / 2 like the reference
            whatever ``attractor_alpha`` / ``attractor_gamma`` say.
            Defaults to False.
        min_temp (float): Lowest log-binomial temperature. Defaults to 5.
        max_temp (float): Highest log-binomial temperature. Defaults to 50.
        condition_on_rel_depth (bool): Append the neck's ``rel_depth``
            (resized bilinearly, ``align_corners=True``, to ``final``) to
            ``final`` as one more channel, as ZoeDepth / DA-V1 do.
            Defaults to False.
        seed_mlp_dim (int): Hidden width of the seed regressor.
            Defaults to 256.
        projector_mlp_dim (int): Hidden width of the projectors.
            Defaults to 128.
        attractor_mlp_dim (int): Hidden width of the attractors.
            Defaults to 128.
        memory_efficient (bool): Compute attractor pulls one attractor at a
            time (bounded memory in forward and backward). Defaults to True.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 bottleneck_channels: int = 256,
                 level_channels: int | Sequence[int] = 256,
                 final_channels: int = 32,
                 n_bins: int = 64,
                 bin_centers_type: str = 'softplus',
                 bin_embedding_dim: int = 128,
                 min_depth: float = 1e-3,
                 max_depth: float = 10.0,
                 n_attractors: Sequence[int] = (16, 8, 4, 1),
                 attractor_type: str = 'inv',
                 attractor_kind: str = 'sum',
                 attractor_alpha: float = 300.0,
                 attractor_gamma: float = 2.0,
                 attractor_strength_quirk: bool = False,
                 min_temp: float = 5.0,
                 max_temp: float = 50.0,
                 condition_on_rel_depth: bool = False,
                 seed_mlp_dim: int = 256,
                 projector_mlp_dim: int = 128,
                 attractor_mlp_dim: int = 128,
                 memory_efficient: bool = True,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if bin_centers_type not in BIN_CENTERS_TYPES:
            raise ValueError(f'bin_centers_type must be one of '
                             f'{tuple(BIN_CENTERS_TYPES)}, got '
                             f'{bin_centers_type!r}')
        if not 0 < min_depth < max_depth:
            raise ValueError('need 0 < min_depth < max_depth, got '
                             f'min_depth={min_depth}, max_depth={max_depth}')
        n_attractors = list(n_attractors)
        if isinstance(level_channels, int):
            level_channels = [level_channels] * len(n_attractors)
        if len(level_channels) != len(n_attractors):
            raise ValueError(
                f'level_channels has {len(level_channels)} entries but '
                f'n_attractors has {len(n_attractors)}: one per level')
        seed_normed, attractor_normed = BIN_CENTERS_TYPES[bin_centers_type]
        self.bin_centers_type = bin_centers_type
        self.min_depth = min_depth
        self.max_depth = max_depth
        self.n_attractors = n_attractors
        self.condition_on_rel_depth = condition_on_rel_depth
        # The seed centres enter normed attractors mapped to [0, 1].
        self.normalise_seed = attractor_normed

        self.conv2 = nn.Conv2d(bottleneck_channels, bottleneck_channels, 1)
        self.seed_bin_regressor = SeedBinRegressor(
            bottleneck_channels, n_bins=n_bins, mlp_dim=seed_mlp_dim,
            min_depth=min_depth, max_depth=max_depth, normed=seed_normed)
        self.seed_projector = Projector(
            bottleneck_channels, bin_embedding_dim, mlp_dim=projector_mlp_dim)
        self.projectors = nn.ModuleList(
            Projector(channels, bin_embedding_dim, mlp_dim=projector_mlp_dim)
            for channels in level_channels)
        self.attractors = nn.ModuleList(
            AttractorLayer(
                bin_embedding_dim, n_bins, n_attractors=n, mlp_dim=
                attractor_mlp_dim, min_depth=min_depth, max_depth=max_depth,
                alpha=attractor_alpha, gamma=attractor_gamma,
                kind=attractor_kind, attractor_type=attractor_type,
                normed=attractor_normed,
                strength_quirk=attractor_strength_quirk,
                memory_efficient=memory_efficient) for n in n_attractors)
        self.conditional_log_binomial = ConditionalLogBinomial(
            final_channels + int(condition_on_rel_depth), bin_embedding_dim,
            n_classes=n_bins, min_temp=min_temp, max_temp=max_temp)

    def forward(self,
                neck_out: dict,
                input_shape: tuple[int, int],
                return_extras: bool = False) -> dict:
        """Metric depth from the neck's outputs.

        Args:
            neck_out (dict): ``bottleneck`` (B, C_b, h, w), ``levels`` (list,
                coarse to fine, one per attractor level), ``final``
                (B, C_f, H_f, W_f), ``rel_depth`` ((B, 1, h', w') or None;
                needed with ``condition_on_rel_depth``), and optionally
                ``final_stride`` (int: input pixels per ``final`` cell, used
                to upsample the depth with exact geometry).
            input_shape (tuple[int, int]): (H, W) of the network input.
            return_extras (bool): Also return the bins. Defaults to False.

        Returns:
            dict: ``metric_depth`` (B, 1, H, W); with ``return_extras`` also
            ``bin_centers`` (B, n_bins, H_f, W_f) (the final centres at the
            probabilities' size), ``probs`` (B, n_bins, H_f, W_f),
            ``seed_centers`` (B, n_bins, h, w) and ``attractor_centers``
            (list of (B, n_bins, h_i, w_i), metres, one per level).
        """
        levels = neck_out['levels']
        if len(levels) != len(self.attractors):
            raise ValueError(f'the neck gave {len(levels)} levels but the '
                             f'head has {len(self.attractors)} attractor '
                             f'levels (n_attractors={self.n_attractors})')
        x = self.conv2(neck_out['bottleneck'])
        _, seed_centers = self.seed_bin_regressor(x)
        b_prev = seed_centers
        if self.normalise_seed:
            b_prev = (seed_centers - self.min_depth) / (
                self.max_depth - self.min_depth)
        prev_embedding = self.seed_projector(x)
        attractor_centers = []
        for projector, attractor, feature in zip(self.projectors,
                                                 self.attractors, levels):
            embedding = projector(feature)
            b_prev, centers = attractor(embedding, b_prev, prev_embedding)
            prev_embedding = embedding
            attractor_centers.append(centers)

        final = neck_out['final']
        if self.condition_on_rel_depth:
            rel_depth = neck_out.get('rel_depth')
            if rel_depth is None:
                raise ValueError('condition_on_rel_depth=True but the neck '
                                 'returned no rel_depth')
            if rel_depth.ndim == 3:
                rel_depth = rel_depth.unsqueeze(1)
            rel_depth = resize_bilinear_ac(rel_depth, final.shape[-2:])
            final = torch.cat((final, rel_depth.to(final.dtype)), dim=1)
        # The embedding is resized inside, after its 1x1 convolution. Bands
        # pay where final is at the input resolution (DPT geometry); the
        # adapter geometry's 1/8 map keeps the plain form, bit for bit.
        full_resolution = neck_out.get('final_stride') == 1
        if return_extras or _tracing() or not full_resolution:
            probs = self.conditional_log_binomial(final, prev_embedding)
            centers = resize_bilinear_ac(centers, probs.shape[-2:])
            depth = (probs * centers).sum(dim=1, keepdim=True)
        else:
            depth = self.conditional_log_binomial.expected_depth(
                final, prev_embedding, centers)
        depth = upsample_to_input(depth, input_shape,
                                  neck_out.get('final_stride'))
        out = dict(metric_depth=depth)
        if return_extras:
            out.update(
                bin_centers=centers,
                probs=probs,
                seed_centers=seed_centers,
                attractor_centers=attractor_centers)
        return out
