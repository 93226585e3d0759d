"""Depth Anything V2's metric output: the DPT neck's Sigmoid x max_depth."""
from mmengine.model import BaseModule

from da2zoe.registry import HEADS
from .zoedepth_head import upsample_to_input


@HEADS.register_module()
class DPTMetricHead(BaseModule):
    """Depth Anything V2 metric depth: the DPT's Sigmoid x ``max_depth``.

    DA-V2's metric models (``depth_anything_v2_metric_{hypersim,vkitti}_
    vit{s,b,l}.pth`` and the ``Depth-Anything-V2-Metric-{Indoor,Outdoor}-
    *-hf`` transformers models) end their DPT decoder in ``output_conv2`` =
    3x3 conv -> 32, ReLU, 1x1 conv -> 1, Sigmoid, times ``max_depth``. Those
    layers belong to :class:`~da2zoe.models.necks.DPTNeck` (their checkpoint
    names are ``depth_head.scratch.output_conv2.*``), which computes them
    with ``head_activation='sigmoid'``; this head has no parameters and
    returns that depth, at the input size, as the model's prediction. So a
    DA-V2 metric checkpoint, original or transformers, loads with no
    ``head.`` keys and predicts exactly as the reference.

    Config keys (a DA-V2 metric model)::

        neck=dict(type='DPTNeck', head_activation='sigmoid', max_depth=20.0,
                  ...),  # 20 (Hypersim, indoor) or 80 (VKITTI, outdoor)
        head=dict(type='DPTMetricHead', max_depth=20.0, min_depth=1e-3),

    ``max_depth`` must equal the neck's (it is checked on every forward: the
    neck reports its scale as ``depth_scale``); it is also the upper clamp
    of the depther's predictions, ``min_depth`` the lower one.

    Args:
        max_depth (float): Metric scale of the sigmoid, in metres: 20 for
            the indoor (Hypersim) models, 80 for the outdoor (VKITTI) ones.
            Defaults to 20.
        min_depth (float): Lower clamp of predictions in metres.
            Defaults to 1e-3.
        init_cfg (dict | list[dict] | None): MMEngine init config.
            Defaults to None.
    """

    def __init__(self,
                 max_depth: float = 20.0,
                 min_depth: float = 1e-3,
                 init_cfg: dict | list[dict] | None = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= min_depth < max_depth:
            raise ValueError('DPTMetricHead needs 0 <= min_depth < max_depth,'
                             f' got min_depth={min_depth}, '
                             f'max_depth={max_depth}')
        self.max_depth = float(max_depth)
        self.min_depth = float(min_depth)

    def forward(self, neck_out: dict, input_shape: tuple[int, int]) -> dict:
        """Returns the neck's metric depth at the input size.

        Args:
            neck_out (dict): A :class:`DPTNeck` output with ``rel_depth``
                (B, 1, h, w) in metres, ``depth_scale`` (the neck's
                ``max_depth``) and ``final_stride``.
            input_shape (tuple[int, int]): (H, W) of the network input.

        Returns:
            dict: ``metric_depth`` (B, 1, H, W).

        Raises:
            ValueError: If the neck is not a metric (sigmoid) DPT neck or its
                ``max_depth`` differs from this head's.
        """
        scale = neck_out.get('depth_scale')
        if scale is None:
            raise ValueError(
                'DPTMetricHead needs a metric DPT neck: set '
                "model.neck.type='DPTNeck' with "
                "model.neck.head_activation='sigmoid'")
        if float(scale) != self.max_depth:
            raise ValueError(
                f'model.neck.max_depth={float(scale)} but '
                f'model.head.max_depth={self.max_depth}: the head clamps '
                'to the scale the neck multiplies by, set both to the same')
        depth = upsample_to_input(neck_out['rel_depth'], input_shape,
                                  neck_out.get('final_stride'))
        return dict(metric_depth=depth)
