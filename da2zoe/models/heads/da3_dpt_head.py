"""Depth Anything 3's monocular DPT head: exp depth and a sky branch."""
import math
from collections.abc import Sequence

import torch
from torch.nn import functional as F

from da2zoe.models.necks.dpt_neck import DPTNeck, dpt_output_branch
from da2zoe.registry import HEADS
from .sky_fill import SKY_QUANTILE, SKY_THRESHOLD, fill_sky_depth


@HEADS.register_module()
class DA3DPTHead(DPTNeck):
    """The DPT head of DA3Mono-Large / DA3Metric-Large, on DINOv2 tokens.

    Depth Anything 3's mono models are ``DINOv2(arch='da3-vitl')`` read at
    blocks 4, 11, 17, 23 (patch tokens only) and this head, with NO neck
    (``MetricDepther(neck=None)``): the released ``model.head.*`` keys load
    as ``head.*``. The reassembly and fusion are DA-V2's DPT
    (:class:`~da2zoe.models.necks.DPTNeck`, inherited), except that
    ``refinenet4`` has no ``resConfUnit1``. After ``output_conv1`` and the
    bilinear resize to (14 Hp, 14 Wp) two branches of the same shape read
    the map: ``output_conv2`` (depth = exp(logit)) and ``sky_output_conv2``
    (sky = relu(logit)).

    In eval mode the sky pixels' depth is replaced as the reference does
    (:func:`~da2zoe.models.heads.sky_fill.fill_sky_depth`: the 0.99 quantile
    of the other pixels, per image, exact); in training mode the depth is
    the raw head output, so losses see what the network predicts.

    The head computes in float32 (float64 stays) even under autocast, as
    the reference runs it: exp of a bf16 logit would be 3 significant
    digits of depth.

    Outputs are relative depth (DA3Mono) or depth seen by a camera of focal
    300 px (DA3Metric: metres = depth x focal / 300, the depther's
    ``camera=dict(canonical_focal=300, ...)``).

    Args:
        in_channels (int): Token channels D. Defaults to 1024 (vitl).
        features (int): Fusion width. Defaults to 256.
        out_channels (Sequence[int]): Channels of the four projected levels.
            Defaults to (256, 512, 1024, 1024).
        sky_head (bool): Build the sky branch (both released mono models
            have it). Defaults to True.
        fill_sky (bool): Replace the sky pixels' depth in eval mode.
            Defaults to True.
        sky_threshold (float): Sky score from which a pixel is sky.
            Defaults to 0.3.
        sky_quantile (float): Quantile of the non-sky depth given to the
            sky. Defaults to 0.99.
        min_depth (float): Lower clamp of the depther's predictions.
            Defaults to 0 (none).
        max_depth (float): Upper clamp of the depther's predictions.
            Defaults to inf (none).
        patch_size (int): Token stride. Defaults to 14.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 1024,
                 features: int = 256,
                 out_channels: Sequence[int] = (256, 512, 1024, 1024),
                 sky_head: bool = True,
                 fill_sky: bool = True,
                 sky_threshold: float = SKY_THRESHOLD,
                 sky_quantile: float = SKY_QUANTILE,
                 min_depth: float = 0.0,
                 max_depth: float = math.inf,
                 patch_size: int = 14,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(
            in_channels=in_channels,
            features=features,
            out_channels=out_channels,
            patch_size=patch_size,
            refinenet4_skip=False,
            init_cfg=init_cfg)
        if not 0 <= min_depth < max_depth:
            raise ValueError('DA3DPTHead needs 0 <= min_depth < max_depth, '
                             f'got min_depth={min_depth}, '
                             f'max_depth={max_depth}')
        if fill_sky and not sky_head:
            raise ValueError('DA3DPTHead(fill_sky=True) needs the sky '
                             'branch: set sky_head=True or fill_sky=False')
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.fill_sky = fill_sky
        self.sky_threshold = sky_threshold
        self.sky_quantile = sky_quantile
        self.scratch.output_conv2 = dpt_output_branch(features // 2)
        if sky_head:
            self.scratch.sky_output_conv2 = dpt_output_branch(features // 2)

    def forward(self,
                features: Sequence,
                input_shape: tuple[int, int] | None = None) -> dict:
        """Depth (and sky) from the backbone levels.

        Args:
            features (Sequence): Four backbone levels, each ``(patch_map
                (B, D, Hp, Wp), cls_token)``; the class token is unused.
            input_shape (tuple[int, int] | None): (H, W) of the input,
                which is (14 Hp, 14 Wp) for a DINOv2 input. Defaults to
                None.

        Returns:
            dict: ``metric_depth`` (B, 1, 14 Hp, 14 Wp): the prediction
            (sky filled in eval mode); ``head_depth``: exp of the depth
            logit; ``sky`` (with the sky branch): relu of the sky logit.
        """
        out_size = self.output_size(features)
        if input_shape is not None and tuple(input_shape) != out_size:
            raise ValueError(f'DA3DPTHead predicts at {out_size}, the '
                             f'token grid times {self.patch_size}, but the '
                             f'input is {tuple(input_shape)}')
        weight = self.projects[0].weight
        levels = [(level[0] if isinstance(level, (tuple, list)) else
                   level).to(weight.dtype) for level in features]
        with torch.autocast(weight.device.type, enabled=False):
            _, paths = self.fuse(self.reassemble(levels))
            out = self.upsample_path(paths[-1], out_size)
            depth = torch.exp(self.scratch.output_conv2(out))
            result = dict(metric_depth=depth, head_depth=depth)
            if hasattr(self.scratch, 'sky_output_conv2'):
                sky = F.relu(self.scratch.sky_output_conv2(out))
                result['sky'] = sky
                if self.fill_sky and not self.training:
                    result['metric_depth'] = fill_sky_depth(
                        depth, sky, self.sky_threshold, self.sky_quantile)
        return result

