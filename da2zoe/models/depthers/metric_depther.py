"""The depther: backbone -> neck(s) -> metric head, with losses and TTA."""
import logging
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import master_only
from mmengine.logging import MMLogger
from mmengine.model import BaseModel

from da2zoe.checkpoint import load_pretrained
from da2zoe.models.data_preprocessor import stack_ground_truth
from da2zoe.registry import MODELS
from da2zoe.structures import DepthDataSample
from da2zoe.structures.camera import CanonicalCamera
from .feature_blocks import check_feature_blocks

ConfigType = Union[dict, nn.Module]


def _build(cfg: ConfigType) -> nn.Module:
    """Builds a registered module from a config; passes modules through."""
    return cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)


@MODELS.register_module()
class MetricDepther(BaseModel):
    """Metric monocular depth model assembled from registered parts.

    The backbone returns ViT token maps per level; the neck (one module or a
    list applied in order, e.g. ``TokenAdapter`` then ``PyramidFusion``)
    returns the dict the head consumes (``bottleneck``, ``levels``, ``final``,
    ``rel_depth``); the head returns metric depth at the input resolution.

    Modes (MMEngine): ``loss`` sums the configured losses over valid pixels,
    ``predict`` writes ``pred_depth`` into each data sample at the ground
    truth's size (or the original image size when there is no dense ground
    truth), clamped to the head's ``[min_depth, max_depth]``, and ``tensor``
    returns the raw (B, 1, H, W) depth.

    Args:
        backbone (dict): Backbone config (e.g. ``DINOv2``).
        neck (dict | list[dict] | None): Neck config, or a list applied in
            order, or None for a head that reads the backbone's levels
            itself (Depth Anything 3's ``DA3DPTHead``). Defaults to None.
        head (dict): Head config (e.g. ``ZoeDepthHead``); must expose
            ``min_depth`` and ``max_depth``.
        losses (list[dict]): Loss configs; their weighted outputs are logged
            by ``loss_name`` and summed by the optimiser wrapper. Losses with
            ``requires_pairs = True`` get the DA-2K point pairs instead of
            dense ground truth.
        data_preprocessor (dict, optional): Defaults to
            ``DepthDataPreprocessor``.
        test_cfg (dict, optional): ``flip`` (bool) enables horizontal-flip
            test-time augmentation (mean of pred(x) and flip(pred(flip(x))));
            ``sky`` (bool) stores the head's sky score as ``pred_sky``
            (heads with a sky branch, e.g. ``DA3DPTHead``).
        pretrained (str, optional): A checkpoint loaded into the whole model
            by ``init_weights`` after the parts initialise themselves. Any
            supported layout (DA-V2, DINOv2 hub, DA-V1 metric, training or
            da2zoe checkpoints) is detected from its keys; only the parts
            this model has are loaded and the rest is reported by name.
        compile (bool | dict): ``torch.compile`` the backbone, neck and
            head in place; a dict holds ``torch.compile`` options, e.g.
            ``dict(mode='max-autotune')``. The first steps of each input
            shape compile (minutes on a CPU). Defaults to False.
        camera (dict, optional): ``dict(canonical_focal=..., default_focal=
            None)`` turns on the canonical camera
            (:class:`~da2zoe.structures.camera.CanonicalCamera`): the head
            learns depth seen through a camera of ``canonical_focal`` input
            pixels (labels scaled by ``canonical_focal / f``) and
            predictions are multiplied by ``f / canonical_focal`` with each
            sample's focal ``f``; ``tensor`` mode returns canonical depth.
            Defaults to None (off: the head predicts metric depth).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: Union[ConfigType, Sequence[ConfigType], None] = None,
                 head: Optional[ConfigType] = None,
                 losses: Sequence[ConfigType] = (),
                 data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 compile: Union[bool, dict] = False,
                 camera: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='DepthDataPreprocessor')
        # Built here through da2zoe's registry so no default scope is needed.
        super().__init__(
            data_preprocessor=_build(data_preprocessor), init_cfg=init_cfg)
        if head is None:
            raise ValueError('MetricDepther needs model.head (e.g. '
                             "dict(type='ZoeDepthHead', ...))")
        self.backbone = _build(backbone)
        necks = neck if isinstance(neck, (list, tuple)) else [neck]
        if neck is None:
            self.neck = None
        elif len(necks) == 1:
            self.neck = _build(necks[0])
        else:
            self.neck = nn.Sequential(*[_build(n) for n in necks])
        self.head = _build(head)
        self.losses = nn.ModuleList([_build(loss) for loss in losses])
        self.test_cfg = dict(test_cfg or {})
        self.pretrained = pretrained
        self.camera = None if camera is None else CanonicalCamera(**camera)
        if getattr(self.data_preprocessor, 'channels_last', False):
            # Convolution weights in the inputs' layout: oneDNN / cuDNN then
            # stay NHWC from the patch embedding to the head instead of
            # reordering around every convolution (docs/benchmark.md).
            self.to(memory_format=torch.channels_last)
        if compile:
            # In place (nn.Module.compile): parameter names are unchanged,
            # so checkpoints and optimiser groups do not see the compiler.
            # The losses stay eager (data-dependent masked indexing).
            options = compile if isinstance(compile, dict) else {}
            for part in (self.backbone, self.neck, self.head):
                if part is not None:
                    part.compile(**options)

    @master_only
    def _dump_init_info(self) -> None:
        """Writes each parameter's initialisation to the log file only.

        MMEngine logs one block per parameter at INFO level (152 for a tiny
        model, most "The value is the same before and after calling
        init_weights") when the logger has no file handler, as in tests and
        scripts; a user cannot act on them, so they go to DEBUG there. With a
        file handler (every runner with a work dir) MMEngine writes them to
        the file as before.
        """
        logger = MMLogger.get_current_instance()
        if any(isinstance(h, logging.FileHandler) for h in logger.handlers):
            super()._dump_init_info()
            return
        for name, param in self.named_parameters():
            info = self._params_init_info[param]['init_info']
            logger.debug(f'{name} - {tuple(param.shape)}: {info}')

    def init_weights(self) -> None:
        """Initialises every part, then loads ``pretrained`` and any
        ``init_cfg=dict(type='Pretrained', checkpoint=...)`` of the whole
        model through layout detection (every source of
        :func:`~da2zoe.checkpoint.load_pretrained`: files, snapshot folders,
        ``hf://`` repos), as ``pretrained`` is loaded."""
        cfgs = self.init_cfg
        cfgs = [cfgs] if isinstance(cfgs, dict) else list(cfgs or [])
        weights = [c['checkpoint'] for c in cfgs
                   if c.get('type') == 'Pretrained']
        if weights and not self.is_init:
            # MMEngine's own Pretrained init knows neither the layouts nor
            # hf://; the other entries still run.
            others = [c for c in cfgs if c.get('type') != 'Pretrained']
            original, self.init_cfg = self.init_cfg, others or None
            try:
                super().init_weights()
            finally:
                self.init_cfg = original
        else:
            super().init_weights()
            weights = []
        if self.pretrained:
            weights.append(self.pretrained)
        logger = MMLogger.get_current_instance()
        for checkpoint in weights:
            result = load_pretrained(self, checkpoint, logger=logger)
            check_feature_blocks(self, result, repr(checkpoint), logger)

    @property
    def min_depth(self) -> float:
        return float(self.head.min_depth)

    @property
    def max_depth(self) -> float:
        return float(self.head.max_depth)

    def extract_feat(self, inputs: torch.Tensor) -> dict:
        """Runs backbone and neck(s); returns what the head reads: the
        neck's output dict, or the backbone's levels without a neck."""
        features = self.backbone(inputs)
        return features if self.neck is None else self.neck(features)

    def _forward_outputs(self, inputs: torch.Tensor) -> dict:
        """Returns the head's output dict (``metric_depth``, ...)."""
        neck_out = self.extract_feat(inputs)
        return self.head(neck_out, input_shape=tuple(inputs.shape[-2:]))

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: Optional[list] = None) -> torch.Tensor:
        """Returns the head's metric depth (B, 1, H, W) for a batch."""
        return self._forward_outputs(inputs)['metric_depth']

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DepthDataSample]] = None,
                mode: str = 'tensor'):
        """Dispatches to ``loss``, ``predict`` or ``_forward``.

        Args:
            inputs (torch.Tensor): Normalised, padded images (B, 3, H, W).
            data_samples (list[DepthDataSample], optional): Annotations.
            mode (str): 'loss', 'predict' or 'tensor'.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f'Invalid mode "{mode}": use loss/predict/tensor')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DepthDataSample]) -> Dict[str, torch.Tensor]:
        """Computes every configured loss; terms sharing a name are summed.

        Args:
            inputs (torch.Tensor): Batch (B, 3, H, W).
            data_samples (list[DepthDataSample]): Samples with ``gt_depth``
                and ``gt_mask`` (and ``pairs`` for DA-2K samples).

        Returns:
            dict[str, Tensor]: One entry per ``loss_name``.
        """
        if not self.losses:
            raise RuntimeError('MetricDepther was built without losses; '
                               'set model.losses in the config')
        pred = self._forward(inputs)
        gt, mask = stack_ground_truth(data_samples, tuple(inputs.shape[-2:]))
        if self.camera is not None:
            gt = self.camera.to_canonical(gt, data_samples)
        losses: Dict[str, torch.Tensor] = {}
        for loss_fn in self.losses:
            if getattr(loss_fn, 'requires_pairs', False):
                pairs = [self._pairs_of(s, pred.device) for s in data_samples]
                value = loss_fn(pred, pairs)
            else:
                value = loss_fn(pred, gt, mask)
            name = loss_fn.loss_name
            losses[name] = losses[name] + value if name in losses else value
        return losses

    @staticmethod
    def _pairs_of(sample: DepthDataSample,
                  device: torch.device) -> torch.Tensor:
        pairs = sample.pairs
        if pairs is None:
            return torch.zeros((0, 4), dtype=torch.long, device=device)
        return pairs.to(device=device, dtype=torch.long)

    @torch.no_grad()
    def predict_depth(self,
                      inputs: torch.Tensor,
                      data_samples: Optional[list] = None) -> torch.Tensor:
        """Metric depth (B, 1, H, W) for a batch, with optional flip TTA.

        Args:
            inputs (torch.Tensor): Batch (B, 3, H, W).
            data_samples (list[DepthDataSample], optional): Their cameras,
                for a model with a canonical camera.
        """
        return self.predict_depth_and_sky(inputs, data_samples)[0]

    @torch.no_grad()
    def predict_depth_and_sky(self,
                              inputs: torch.Tensor,
                              data_samples: Optional[list] = None) -> tuple:
        """Metric depth and the head's sky score (None without one), both
        (B, 1, H, W), flip-averaged like the depth.

        Args:
            inputs (torch.Tensor): Batch (B, 3, H, W).
            data_samples (list[DepthDataSample], optional): Their cameras,
                for a model with a canonical camera.
        """
        out = self._forward_outputs(inputs)
        depth, sky = out['metric_depth'], out.get('sky')
        if self.test_cfg.get('flip', False):
            flipped = self._forward_outputs(inputs.flip(-1))
            depth = 0.5 * (depth + flipped['metric_depth'].flip(-1))
            if sky is not None:
                sky = 0.5 * (sky + flipped['sky'].flip(-1))
        return self._to_metric(depth, data_samples), sky

    def _to_metric(self, depth: torch.Tensor,
                   data_samples: Optional[list]) -> torch.Tensor:
        """The network's depth -> metric depth: the canonical camera's
        rescale (identity without one). An ONNX graph that applies the
        camera itself overrides it."""
        if self.camera is None:
            return depth
        return self.camera.to_metric(depth, data_samples)

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DepthDataSample]] = None
                ) -> List[DepthDataSample]:
        """Predicts depth and stores it in each sample as ``pred_depth``.

        The prediction is cropped to the un-padded ``img_shape``, resized
        bilinearly (align_corners=True, the ZoeDepth protocol) to the size of
        ``gt_depth`` (or ``ori_shape`` without dense ground truth) and
        clamped to ``[min_depth, max_depth]``.

        Args:
            inputs (torch.Tensor): Batch (B, 3, H, W).
            data_samples (list[DepthDataSample], optional): Samples to fill.

        Returns:
            list[DepthDataSample]: The samples with ``pred_depth`` (1, h, w).
        """
        if self.test_cfg.get('sky', False):
            depth, sky = self.predict_depth_and_sky(inputs, data_samples)
        else:
            depth, sky = self.predict_depth(inputs, data_samples), None
        if data_samples is None:
            data_samples = [DepthDataSample() for _ in range(len(depth))]
        for index, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', depth.shape[-2:])
            target = self._target_size(sample, (h, w))
            pred = self._to_target(depth[index], (h, w), target)
            sample.pred_depth = pred.clamp(self.min_depth, self.max_depth)
            if sky is not None:
                sample.pred_sky = self._to_target(sky[index], (h, w), target)
        return data_samples

    @staticmethod
    def _to_target(pred: torch.Tensor, shape: tuple,
                   target: tuple) -> torch.Tensor:
        """Crops a (1, H, W) map to the un-padded ``shape`` and resizes it
        bilinearly (align_corners=True, the ZoeDepth protocol) to
        ``target``."""
        pred = pred[:, :shape[0], :shape[1]]
        if pred.dtype != torch.float64:  # float64 stays (parity tests)
            pred = pred.float()
        if tuple(pred.shape[-2:]) != target:
            pred = F.interpolate(
                pred[None], size=target, mode='bilinear',
                align_corners=True)[0]
        return pred

    @staticmethod
    def _target_size(sample: DepthDataSample, default: tuple) -> tuple:
        """GT size for dense samples; the original size for pair samples."""
        has_pairs = sample.pairs is not None and len(sample.pairs) > 0
        if sample.gt_depth is not None and not has_pairs:
            return tuple(sample.gt_depth.shape[-2:])
        return tuple(sample.metainfo.get('ori_shape', default))
