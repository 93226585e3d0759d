"""The data sample that carries one image's depth annotations and
prediction."""
from typing import Optional

import torch
from mmengine.structures import BaseDataElement


class DepthDataSample(BaseDataElement):
    """Depth annotations, validity mask, DA-2K point pairs and prediction.

    Data fields (all optional, all tensors):

    - ``gt_depth``: (1, H, W) float32 metres, 0 where unknown.
    - ``gt_mask``: (1, H, W) bool, True where ``gt_depth`` may be trusted
      (decoded validity AND inside the dataset's metric range).
    - ``pairs``: (N, 4) int64 ``(row1, col1, row2, col2)`` in the current
      image's pixel grid, ``point1`` being the closer point (DA-2K).
    - ``pred_depth``: (1, H, W) float32 metres, predicted.
    - ``pred_sky``: (1, H, W) float32 sky score (>= 0; sky from the head's
      ``sky_threshold``, 0.3), from heads with a sky branch (Depth Anything
      3) when the depther's ``test_cfg.sky`` is set.

    Meta fields used across the project (set by ``PackDepthInputs``):
    ``img_path``, ``depth_path``, ``ori_shape``, ``img_shape``, ``pad_shape``,
    ``flip``, ``dataset_name``, ``min_depth``, ``max_depth`` (the training
    range), ``eval_min_depth``, ``eval_max_depth``, ``eval_crop`` (see
    :mod:`da2zoe.structures.eval_crop`), ``focal``, ``intrinsics``.
    """

    def _tensor_field(name: str, doc: str) -> property:  # noqa: N805

        def getter(self) -> Optional[torch.Tensor]:
            return getattr(self, '_' + name, None)

        def setter(self, value: torch.Tensor) -> None:
            self.set_field(value, '_' + name, dtype=torch.Tensor)

        def deleter(self) -> None:
            delattr(self, '_' + name)

        return property(getter, setter, deleter, doc)

    gt_depth = _tensor_field('gt_depth', 'Ground-truth depth (1, H, W) m.')
    gt_mask = _tensor_field('gt_mask', 'Valid-pixel mask (1, H, W) bool.')
    pairs = _tensor_field('pairs', 'Ordinal pairs (N, 4), point1 closer.')
    pred_depth = _tensor_field('pred_depth', 'Predicted depth (1, H, W) m.')
    pred_sky = _tensor_field('pred_sky', 'Predicted sky score (1, H, W).')
    del _tensor_field
