"""Ordinal pair accuracy on DA-2K."""
import logging
from collections import defaultdict
from pathlib import PurePosixPath
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from da2zoe.registry import METRICS
from ..alignment import PRED_SPACES
from ..functional import resize_prediction
from ..table import format_table
from .sample_fields import as_image, is_pair_sample, sample_to_dict

UNKNOWN_SCENE = 'unknown'


def scene_of(img_path: str) -> str:
    """The DA-2K scene of an image: the path component after ``images``.

    Args:
        img_path (str): ``.../images/<scene>/<file>``.

    Returns:
        str: The scene, or the parent folder's name when there is no
        ``images`` component.
    """
    parts = PurePosixPath(str(img_path).replace('\\', '/')).parts
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == 'images':
            return parts[i + 1]
    return parts[-2] if len(parts) > 1 else UNKNOWN_SCENE


@METRICS.register_module()
class DA2KMetric(BaseMetric):
    """Share of pairs whose ``point1`` the model puts closer, overall and per
    scene.

    For a model that predicts depth a pair is correct when
    ``depth(point1) < depth(point2)``; for one that predicts disparity
    (``pred_space='disparity'``: a relative DA-V2 model, larger is nearer)
    when ``disparity(point1) > disparity(point2)``. Strict: ties and NaN
    count as wrong. Depth is read at
    the integer pixels of ``pairs`` on the prediction resized (bilinear,
    align_corners=True, if needed) to the pairs' grid: the GT grid
    (``gt_depth``'s size, the original image in evaluation pipelines that
    keep GT at native resolution) or ``ori_shape`` without ``gt_depth``.
    Accuracy is pooled over pairs, not averaged over images.

    Fields read from each sample: ``pred_depth`` (1, H, W), ``pairs``
    (N, 4) int64 ``(r1, c1, r2, c2)`` with point 1 the closer, optional
    ``gt_depth`` (for its size), metainfo ``ori_shape`` and ``scene`` (else
    derived from ``img_path``: ``images/<scene>/<file>``).

    Keys (with the default prefix ``da2k``): ``da2k/acc``,
    ``da2k/acc_<scene>``.

    Args:
        pred_space (str): What ``pred_depth`` holds, ``'depth'`` or
            ``'disparity'``. Defaults to ``'depth'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Key prefix. Defaults to ``'da2k'``.
        collect_dir (str, optional): Temporary directory for CPU collection.

    Raises:
        ValueError: If ``pred_space`` is neither.
    """

    default_prefix: Optional[str] = 'da2k'

    def __init__(self,
                 pred_space: str = 'depth',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device, prefix, collect_dir)
        if pred_space not in PRED_SPACES:
            raise ValueError(f'DA2KMetric: pred_space={pred_space!r}, '
                             f'expected one of {PRED_SPACES}')
        self.pred_space = pred_space

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Counts the correctly ordered pairs of each image.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict | DepthDataSample]): Predictions and
                pairs of the batch.
        """
        for sample in map(sample_to_dict, data_samples):
            if not is_pair_sample(sample):
                continue  # dense samples are DepthMetric's
            pairs = torch.as_tensor(sample['pairs']).long().reshape(-1, 4)
            pred = as_image(sample['pred_depth'])
            height, width = self._pair_grid(sample, pred)
            if len(pairs) and (pairs[:, 0::2].max() >= height
                               or pairs[:, 1::2].max() >= width
                               or pairs.min() < 0):
                raise ValueError(
                    f'{sample.get("img_path")}: pairs fall outside the '
                    f'{height}x{width} grid')
            pred = resize_prediction(pred.double(), height, width)
            pairs = pairs.to(pred.device)
            near = pred[pairs[:, 0], pairs[:, 1]]
            far = pred[pairs[:, 2], pairs[:, 3]]
            closer = near > far if self.pred_space == 'disparity' else (
                near < far)
            scene = sample.get('scene') or scene_of(sample.get('img_path', ''))
            self.results.append(
                dict(scene=scene, correct=int(closer.sum()),
                     total=len(pairs)))

    @staticmethod
    def _pair_grid(sample: Mapping, pred: torch.Tensor) -> tuple:
        """(H, W) of the grid the pairs live on."""
        if sample.get('gt_depth') is not None:
            return tuple(as_image(sample['gt_depth']).shape)
        if sample.get('ori_shape') is not None:
            return tuple(int(v) for v in sample['ori_shape'][:2])
        return tuple(pred.shape)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Pools the counts overall and per scene.

        Args:
            results (list[dict]): Per-image counts of every rank.

        Returns:
            dict[str, float]: ``acc`` and ``acc_<scene>`` (prefixed by
            :class:`BaseMetric`); empty when no pair was seen.
        """
        counts = defaultdict(lambda: [0, 0])
        for result in results:
            for key in ('acc', f'acc_{result["scene"]}'):
                counts[key][0] += result['correct']
                counts[key][1] += result['total']
        if counts['acc'][1] == 0:
            print_log('DA2KMetric: no pairs to evaluate.', logger='current',
                      level=logging.WARNING)
            return {}
        metrics = {
            key: correct / total
            for key, (correct, total) in counts.items() if total
        }
        print_log(
            '\n' + format_table(
                ['split', 'pairs', 'accuracy'],
                [[k, counts[k][1], v] for k, v in sorted(metrics.items())]),
            logger='current')
        return metrics
