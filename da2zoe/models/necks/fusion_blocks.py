"""DPT-style residual fusion blocks."""
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F


class ResidualConvUnit(BaseModule):
    """Pre-activation residual unit: x + conv2(relu(conv1(relu(x)))).

    3x3 convs with bias, no normalisation; the skip uses the raw input.
    DPT's ``ResidualConvUnit`` (names ``conv1``, ``conv2``).

    Args:
        channels (int): Channels in and out.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv1(F.relu(x))
        out = self.conv2(F.relu(out, inplace=True))
        return out + x


class FeatureFusionBlock(BaseModule):
    """Fuse a path with an optional skip map, then resize and mix.

    out = out_conv(resize(resConfUnit2(x + resConfUnit1(skip)))), the resize
    being bilinear with ``align_corners=True`` to an explicit ``size`` (none
    when ``size`` is None), BEFORE the 1x1 ``out_conv``, as in DPT's
    ``FeatureFusionBlock`` (names ``resConfUnit1``, ``resConfUnit2``,
    ``out_conv``). Where the resize enlarges it is computed as
    resize(out_conv(.)): the same map, the 1x1 convolution on fewer pixels.

    Args:
        channels (int): Channels in and out.
        with_skip (bool): Build ``resConfUnit1`` for a skip input. DPT's
            coarsest block has it in checkpoints but never uses it.
            Defaults to True.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 with_skip: bool = True,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if with_skip:
            self.resConfUnit1 = ResidualConvUnit(channels)
        self.resConfUnit2 = ResidualConvUnit(channels)
        self.out_conv = nn.Conv2d(channels, channels, 1)

    def forward(self,
                x: Tensor,
                skip: Tensor | None = None,
                size: tuple[int, int] | None = None) -> Tensor:
        """Fuse.

        Args:
            x (Tensor): Path (B, C, h, w).
            skip (Tensor | None): Skip map (B, C, h, w). Defaults to None.
            size (tuple[int, int] | None): Resize to this before
                ``out_conv``. Defaults to None.

        Returns:
            Tensor: (B, C, *size) or (B, C, h, w).
        """
        if skip is not None:
            x = x + self.resConfUnit1(skip)
        x = self.resConfUnit2(x)
        if size is None:
            return self.out_conv(x)
        # The 1x1 out_conv commutes with the resize (bilinear weights sum to
        # one, so the bias passes too): taken at the smaller of the two
        # sizes, 4x fewer pixels where DPT doubles the map. Equal to
        # out_conv(resize(x)) to rounding.
        if size[0] * size[1] > x.shape[-2] * x.shape[-1]:
            x = self.out_conv(x)
            return F.interpolate(
                x, size=size, mode='bilinear', align_corners=True)
        x = F.interpolate(x, size=size, mode='bilinear', align_corners=True)
        return self.out_conv(x)
