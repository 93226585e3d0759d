"""Top-down fusion of a strided pyramid into one fine map."""
from collections.abc import Sequence

from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

from da2zoe.registry import NECKS
from .fusion_blocks import FeatureFusionBlock


def upsample_by(x: Tensor, factor: int, size: tuple[int, int]) -> Tensor:
    """Upsample a stride-s map onto the stride-s/factor grid of ``size``.

    Bilinear by exactly ``factor`` (half-pixel centres, which is the true
    geometry of nested ceil grids), then cropped to ``size``.
    """
    if factor > 1:
        x = F.interpolate(
            x, scale_factor=factor, mode='bilinear', align_corners=False)
    return x[..., :size[0], :size[1]]


@NECKS.register_module()
class PyramidFusion(BaseModule):
    """DPT-style top-down fusion of a pyramid into one finest-stride map.

    Input: the :class:`TokenAdapter` pyramid, finest first. Each level gets a
    3x3 lateral conv (no bias) to ``channels``. From the coarsest level down,
    the running path is upsampled by the exact stride ratio (bilinear, then
    cropped to the finer ceil grid) and fused with the next lateral by a
    :class:`FeatureFusionBlock` (path + residual unit(lateral) -> residual
    unit -> 1x1), then ``refine_blocks`` more fusion blocks without skip
    refine the finest map. No map is finer than the finest input stride
    (1/8 by default), which keeps the neck cheap.

    Output (the head's contract): ``bottleneck`` = the coarsest lateral (what
    the seed regressor sees); ``levels`` = the fused maps coarse to fine
    (1/32, 1/16, 1/8 and the refined 1/8 by default: 4, one per attractor
    level of the default head); ``final`` = ReLU(3x3 conv to
    ``final_channels``) of the last level; ``rel_depth`` = ReLU(1x1 conv of
    ``final`` to 1 channel) when ``with_rel_depth``, else None;
    ``final_stride`` = the finest stride.

    Args:
        in_channels (int | Sequence[int]): Channels per input level, finest
            first (one int for all). Defaults to 128.
        channels (int): Fusion width. Defaults to 128.
        final_channels (int): Channels of ``final``. Defaults to 32.
        strides (Sequence[int]): Strides of the input levels, finest first;
            consecutive ratios must be integers. Defaults to (8, 16, 32).
        refine_blocks (int): Extra fusion blocks on the finest map, each
            adding one level. Defaults to 1.
        with_rel_depth (bool): Predict a relative-depth map from ``final``.
            Defaults to False.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int | Sequence[int] = 128,
                 channels: int = 128,
                 final_channels: int = 32,
                 strides: Sequence[int] = (8, 16, 32),
                 refine_blocks: int = 1,
                 with_rel_depth: bool = False,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int):
            in_channels = [in_channels] * len(strides)
        if len(in_channels) != len(strides):
            raise ValueError(f'in_channels has {len(in_channels)} entries '
                             f'but strides has {len(strides)}')
        self.strides = list(strides)
        self.factors = []
        for fine, coarse in zip(strides[:-1], strides[1:]):
            if coarse % fine:
                raise ValueError('each stride must be an integer multiple of '
                                 f'the previous one, got {strides}')
            self.factors.append(coarse // fine)
        self.laterals = nn.ModuleList(
            nn.Conv2d(c, channels, 3, padding=1, bias=False)
            for c in in_channels)
        # Coarse to fine: the coarsest block has no skip input.
        self.fusions = nn.ModuleList(
            FeatureFusionBlock(channels, with_skip=i > 0)
            for i in range(len(strides)))
        self.refines = nn.ModuleList(
            FeatureFusionBlock(channels, with_skip=False)
            for _ in range(refine_blocks))
        self.final_conv = nn.Conv2d(channels, final_channels, 3, padding=1)
        self.rel_depth_conv = nn.Conv2d(final_channels, 1, 1) \
            if with_rel_depth else None

    @property
    def num_levels(self) -> int:
        """Number of maps in ``levels``."""
        return len(self.fusions) + len(self.refines)

    def forward(self, features: Sequence[Tensor]) -> dict:
        """Fuse.

        Args:
            features (Sequence[Tensor]): Pyramid, finest first, level i at
                stride ``strides[i]``.

        Returns:
            dict: ``bottleneck``, ``levels`` (coarse to fine), ``final``,
            ``rel_depth`` and ``final_stride`` (see the class docstring).
        """
        laterals = [conv(x) for conv, x in zip(self.laterals, features)]
        laterals = laterals[::-1]
        factors = self.factors[::-1]
        path = self.fusions[0](laterals[0])
        levels = [path]
        for fusion, lateral, factor in zip(self.fusions[1:], laterals[1:],
                                           factors):
            path = fusion(upsample_by(path, factor, lateral.shape[-2:]),
                          lateral)
            levels.append(path)
        for refine in self.refines:
            path = refine(path)
            levels.append(path)
        final = F.relu(self.final_conv(path), inplace=True)
        rel_depth = None
        if self.rel_depth_conv is not None:
            rel_depth = F.relu(self.rel_depth_conv(final))
        return dict(
            bottleneck=laterals[0],
            levels=levels,
            final=final,
            rel_depth=rel_depth,
            final_stride=self.strides[0])
