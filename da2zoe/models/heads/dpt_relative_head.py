"""Depth Anything V2's relative output: the DPT neck's ReLU disparity."""
import math

from mmengine.model import BaseModule

from da2zoe.registry import HEADS
from .zoedepth_head import upsample_to_input


@HEADS.register_module()
class DPTRelativeHead(BaseModule):
    """Depth Anything V2 relative depth as the model's prediction.

    DA-V2's relative checkpoints (``depth_anything_v2_vit{s,b,l,g}.pth``)
    end their DPT decoder in a ReLU: the output is an affine-invariant
    *disparity* (larger = nearer), not depth. Those layers belong to
    :class:`~da2zoe.models.necks.DPTNeck` (``head_activation='relu'``); this
    head has no parameters and returns that map, at the input size, under
    the depther's ``metric_depth`` key. Score it with
    ``DepthMetric(pred_space='disparity', align=...)``, which fits each
    image's scale and shift before the errors are computed
    (:mod:`da2zoe.evaluation.alignment`).

    Args:
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    #: No clamp: the map is relative (the depther clamps to these).
    min_depth = 0.0
    max_depth = math.inf

    def forward(self, neck_out: dict, input_shape: tuple[int, int]) -> dict:
        """Returns the neck's relative disparity at the input size.

        Args:
            neck_out (dict): A :class:`DPTNeck` output with ``rel_depth``
                (B, 1, h, w) and ``final_stride``.
            input_shape (tuple[int, int]): (H, W) of the network input.

        Returns:
            dict: ``metric_depth`` (B, 1, H, W), the relative disparity.

        Raises:
            ValueError: If the neck is a metric (sigmoid) DPT neck.
        """
        if neck_out.get('depth_scale') is not None:
            raise ValueError(
                "DPTRelativeHead needs DA-V2's relative DPT neck "
                "(model.neck.head_activation='relu'); a sigmoid neck is "
                'metric: use DPTMetricHead')
        disparity = upsample_to_input(neck_out['rel_depth'], input_shape,
                                      neck_out.get('final_stride'))
        return dict(metric_depth=disparity)
