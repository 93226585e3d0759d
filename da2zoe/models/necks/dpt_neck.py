"""Depth Anything V2's DPT decoder as a neck."""
from collections.abc import Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

from da2zoe.registry import NECKS
from .fusion_blocks import FeatureFusionBlock

HEAD_ACTIVATIONS = ('relu', 'sigmoid')
HEAD_FEATURES = 32


def dpt_output_branch(in_channels: int,
                      activation: nn.Module | None = None) -> nn.Sequential:
    """DPT's ``output_conv2``: 3x3 conv -> 32, ReLU, 1x1 conv -> 1.

    Args:
        in_channels (int): Channels of ``output_conv1``'s output.
        activation (nn.Module | None): Appended last (index 3) when given;
            it has no parameters, so checkpoint names stay ``.0`` / ``.2``.
            Defaults to None.

    Returns:
        nn.Sequential: The branch.
    """
    layers = [nn.Conv2d(in_channels, HEAD_FEATURES, 3, padding=1),
              nn.ReLU(inplace=True), nn.Conv2d(HEAD_FEATURES, 1, 1)]
    if activation is not None:
        layers.append(activation)
    return nn.Sequential(*layers)


@NECKS.register_module()
class DPTNeck(BaseModule):
    """DA-V2's DPT decoder, exactly, exposing what the ZoeDepth head needs.

    Parameter names are those of a DA-V2 (or DA-V1) checkpoint's
    ``depth_head.`` part, so it loads by a plain prefix change
    (``depth_head.`` -> ``neck.``): ``projects.{0-3}``,
    ``resize_layers.{0,1,3}``, ``readout_projects.{0-3}.0`` (with
    ``use_clstoken``),
    ``scratch.layer{1-4}_rn``, ``scratch.refinenet{1-4}.{resConfUnit1,
    resConfUnit2}.{conv1,conv2}``, ``scratch.refinenet{1-4}.out_conv``,
    ``scratch.output_conv1``, ``scratch.output_conv2.{0,2}``.

    Geometry (stride-14 tokens on a Hp x Wp grid): ``projects`` (1x1) then
    ``resize_layers`` = transposed conv k4 s4, transposed conv k2 s2,
    identity, conv k3 s2 p1 put the four levels at strides 3.5, 7, 14 and 28
    (the last one ceil(Hp/2) rows); ``layer{k}_rn`` 3x3 (no bias) to
    ``features``; top-down fusion, each block resizing (bilinear,
    ``align_corners=True``) to the next finer level's size before its
    ``out_conv``, ``refinenet1`` to twice its input; ``output_conv1`` 3x3
    to features // 2, bilinear (``align_corners=True``) to (14 Hp, 14 Wp),
    ``output_conv2`` = 3x3 -> 32, ReLU, 1x1 -> 1, then ReLU (relative) or
    Sigmoid x ``max_depth`` (metric).

    ``refinenet4`` only gets one input: its ``resConfUnit1`` is in
    checkpoints but never used, so its parameters are frozen
    (``requires_grad=False``) to keep distributed training free of unused
    parameters.

    Output (the head's contract): ``bottleneck`` = layer4_rn; ``levels`` =
    refinenet4..1 outputs (coarse to fine); ``final`` = the 32-channel ReLU
    map inside ``output_conv2`` at (14 Hp, 14 Wp); ``rel_depth`` = the
    output head's depth (B, 1, 14 Hp, 14 Wp) (relative, or metres with
    ``'sigmoid'``); ``depth_scale`` = ``max_depth`` with ``'sigmoid'``,
    else None (read by :class:`~da2zoe.models.heads.DPTMetricHead`);
    ``final_stride`` = 1.

    Args:
        in_channels (int): Token channels D. Defaults to 1024 (vitl).
        features (int): Fusion width. Defaults to 256.
        out_channels (Sequence[int]): Channels of the four projected levels.
            Defaults to (256, 512, 1024, 1024) (vitl).
        use_clstoken (bool): Mix the class token into every token
            (``readout_projects``: Linear(2D -> D) + GELU on [token, cls]).
            Defaults to False.
        head_activation (str): ``'relu'`` (relative depth) or ``'sigmoid'``
            (metric, times ``max_depth``). Defaults to ``'relu'``.
        max_depth (float): Depth scale of the sigmoid head. Defaults to 20.
        patch_size (int): Token stride. Defaults to 14.
        refinenet4_skip (bool): Build ``refinenet4.resConfUnit1`` (unused,
            but in DA-V1/V2 checkpoints; Depth Anything 3's have none).
            Defaults to True.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    head_features = HEAD_FEATURES

    def __init__(self,
                 in_channels: int = 1024,
                 features: int = 256,
                 out_channels: Sequence[int] = (256, 512, 1024, 1024),
                 use_clstoken: bool = False,
                 head_activation: str = 'relu',
                 max_depth: float = 20.0,
                 patch_size: int = 14,
                 refinenet4_skip: bool = True,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if head_activation not in HEAD_ACTIVATIONS:
            raise ValueError(f'head_activation must be one of '
                             f'{HEAD_ACTIVATIONS}, got {head_activation!r}')
        if len(out_channels) != 4:
            raise ValueError('DPTNeck takes exactly 4 levels, got '
                             f'out_channels={out_channels}')
        self.use_clstoken = use_clstoken
        self.head_activation = head_activation
        self.max_depth = max_depth
        self.patch_size = patch_size
        self.projects = nn.ModuleList(
            nn.Conv2d(in_channels, c, 1) for c in out_channels)
        c = out_channels
        self.resize_layers = nn.ModuleList([
            nn.ConvTranspose2d(c[0], c[0], 4, stride=4),
            nn.ConvTranspose2d(c[1], c[1], 2, stride=2),
            nn.Identity(),
            nn.Conv2d(c[3], c[3], 3, stride=2, padding=1),
        ])
        if use_clstoken:
            self.readout_projects = nn.ModuleList(
                nn.Sequential(nn.Linear(2 * in_channels, in_channels),
                              nn.GELU()) for _ in out_channels)
        self.scratch = nn.Module()
        for k, channels in enumerate(out_channels, start=1):
            setattr(self.scratch, f'layer{k}_rn',
                    nn.Conv2d(channels, features, 3, padding=1, bias=False))
        for k in range(1, 5):
            setattr(self.scratch, f'refinenet{k}',
                    FeatureFusionBlock(
                        features, with_skip=k != 4 or refinenet4_skip))
        if refinenet4_skip:
            self.scratch.refinenet4.resConfUnit1.requires_grad_(False)
        self.scratch.output_conv1 = nn.Conv2d(
            features, features // 2, 3, padding=1)
        self.scratch.output_conv2 = dpt_output_branch(
            features // 2,
            nn.ReLU(inplace=True) if head_activation == 'relu' else
            nn.Sigmoid())

    def reassemble(self, features: Sequence) -> list[Tensor]:
        """Tokens -> the four resized levels (``layer_1..4`` of DA-V2).

        Args:
            features (Sequence): Four backbone levels, each ``(patch_map
                (B, D, Hp, Wp), cls_token (B, D))`` (a bare map is accepted
                without ``use_clstoken``).

        Returns:
            list[Tensor]: Maps at strides 3.5, 7, 14, 28.
        """
        layers = []
        for i, level in enumerate(features):
            x = level[0] if isinstance(level, (tuple, list)) else level
            if self.use_clstoken:
                cls_token = level[1][:, :, None, None].expand_as(x)
                x = torch.cat((x, cls_token), dim=1).permute(0, 2, 3, 1)
                x = self.readout_projects[i](x).permute(0, 3, 1, 2)
            layers.append(self.resize_layers[i](self.projects[i](x)))
        return layers

    def fuse(self, layers: Sequence[Tensor]
             ) -> tuple[Tensor, list[Tensor]]:
        """``layer{k}_rn`` and the top-down fusion of the four levels.

        Args:
            layers (Sequence[Tensor]): Output of :meth:`reassemble`.

        Returns:
            tuple[Tensor, list[Tensor]]: ``layer4_rn``'s output and the
            refinenet4..1 outputs (coarse to fine).
        """
        s = self.scratch
        l1, l2, l3, l4 = (getattr(s, f'layer{k}_rn')(x)
                          for k, x in enumerate(layers, start=1))
        path4 = s.refinenet4(l4, size=l3.shape[-2:])
        path3 = s.refinenet3(path4, l3, size=l2.shape[-2:])
        path2 = s.refinenet2(path3, l2, size=l1.shape[-2:])
        path1 = s.refinenet1(
            path2, l1, size=(2 * l1.shape[-2], 2 * l1.shape[-1]))
        return l4, [path4, path3, path2, path1]

    def upsample_path(self, path1: Tensor,
                      out_size: tuple[int, int]) -> Tensor:
        """``output_conv1``, then bilinear (``align_corners=True``).

        Args:
            path1 (Tensor): The finest fusion output.
            out_size (tuple[int, int]): (14 Hp, 14 Wp).

        Returns:
            Tensor: The map both output branches read.
        """
        return F.interpolate(
            self.scratch.output_conv1(path1),
            size=out_size,
            mode='bilinear',
            align_corners=True)

    def output_size(self, features: Sequence) -> tuple[int, int]:
        """(patch size x Hp, patch size x Wp) of the backbone levels."""
        grid = features[0][0] if isinstance(features[0],
                                            (tuple, list)) else features[0]
        return (grid.shape[-2] * self.patch_size,
                grid.shape[-1] * self.patch_size)

    def decode(self, layers: Sequence[Tensor],
               out_size: tuple[int, int]) -> dict:
        """Fusion and output head from the four resized levels.

        Args:
            layers (Sequence[Tensor]): Output of :meth:`reassemble`.
            out_size (tuple[int, int]): (14 Hp, 14 Wp).

        Returns:
            dict: The neck output (see the class docstring).
        """
        bottleneck, paths = self.fuse(layers)
        out = self.upsample_path(paths[-1], out_size)
        head = self.scratch.output_conv2
        final = head[1](head[0](out))
        depth = head[3](head[2](final))
        if self.head_activation == 'sigmoid':
            depth = depth * self.max_depth
        return dict(
            bottleneck=bottleneck,
            levels=paths,
            final=final,
            rel_depth=depth,
            depth_scale=(self.max_depth
                         if self.head_activation == 'sigmoid' else None),
            final_stride=1)

    def forward(self, features: Sequence) -> dict:
        """Decode backbone levels.

        Args:
            features (Sequence): Four backbone levels (see
                :meth:`reassemble`).

        Returns:
            dict: ``bottleneck``, ``levels``, ``final``, ``rel_depth``,
            ``final_stride``.
        """
        return self.decode(self.reassemble(features),
                           self.output_size(features))
