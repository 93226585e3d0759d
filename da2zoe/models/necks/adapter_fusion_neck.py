"""The default neck as one module: TokenAdapter, then PyramidFusion."""
from collections.abc import Sequence

from mmengine.model import Sequential

from da2zoe.registry import NECKS
from .pyramid_fusion import PyramidFusion
from .token_adapter import TokenAdapter


@NECKS.register_module()
class AdapterFusionNeck(Sequential):
    """:class:`TokenAdapter` (tokens -> strides 8/16/32) followed by
    :class:`PyramidFusion` (-> one 1/8 map), configured by their shared widths.

    One config dict instead of a list of two, so an arch-specific config
    overrides ``in_channels`` / ``channels`` alone (MMEngine merges dicts key
    by key but replaces lists whole). The parts are children ``0`` and ``1``,
    the parameter names of the two-item list form (``neck.0.*``,
    ``neck.1.*``), so checkpoints of either form load into the other.

    Args:
        in_channels (int): Token channels of the backbone (384 vits, 768 vitb,
            1024 vitl, 1536 vitg). Defaults to 384.
        channels (int): Width of every pyramid level and of the fusion.
            Defaults to 128.
        final_channels (int): Channels of the fused 1/8 map the head's
            log-binomial sees. Defaults to 32.
        strides (Sequence[int]): Pyramid strides, finest first.
            Defaults to (8, 16, 32).
        refine_blocks (int): Extra fusion blocks on the finest map.
            Defaults to 1.
        learned_upsample (bool): Transposed-conv upsampling in the adapter.
            Defaults to False.
        with_rel_depth (bool): A relative-depth map from the fused features.
            Defaults to False.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 384,
                 channels: int = 128,
                 final_channels: int = 32,
                 strides: Sequence[int] = (8, 16, 32),
                 refine_blocks: int = 1,
                 learned_upsample: bool = False,
                 with_rel_depth: bool = False,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(
            TokenAdapter(
                in_channels=in_channels,
                out_channels=channels,
                strides=strides,
                learned_upsample=learned_upsample),
            PyramidFusion(
                in_channels=channels,
                channels=channels,
                final_channels=final_channels,
                strides=strides,
                refine_blocks=refine_blocks,
                with_rel_depth=with_rel_depth),
            init_cfg=init_cfg)
