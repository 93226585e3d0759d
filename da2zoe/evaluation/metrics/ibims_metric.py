"""iBims-1's geometric metrics: depth boundaries, directed depth, planarity."""
import logging
import math
from typing import (
    Any,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from da2zoe.registry import METRICS
from ..functional import resize_prediction
from ..ibims_functional import (
    depth_boundary_errors,
    depth_edges,
    directed_depth_errors,
    ibims_normal_to_camera,
    normalise_depth,
    planarity_errors,
)
from ..table import format_table
from .sample_fields import as_image, sample_to_dict

PER_IMAGE_KEYS = ('dbe_acc', 'dbe_comp', 'dde_0', 'dde_m', 'dde_p')
PER_PLANE_KEYS = ('pe_plan', 'pe_orie')


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def split_planes(
        planes: Any) -> Iterator[Tuple[np.ndarray, Optional[np.ndarray]]]:
    """Single planes, with their GT normals when known, from ``ibims_planes``.

    Accepted forms: ``{name: {'mask': m, 'params': p | None}}`` (what the
    iBims-1 dataset writes), ``{name: m}``, or a list of such dicts. ``m``
    is either a label map (plane ``j`` of the type has label ``j + 1``,
    ``p[j, 4:7]`` its normal, as in the ``.mat`` release) or a bool mask of a
    single plane. A bool mask with several ``params`` rows merges planes that
    cannot be told apart: it is skipped with a warning (keep the labels).

    Args:
        planes (Mapping | Sequence): See above.

    Yields:
        tuple[ndarray, ndarray | None]: (H, W) bool mask and the GT normal in
        our camera frame (None: fit it to the GT points).
    """
    entries = planes.values() if isinstance(planes, Mapping) else planes
    for entry in entries:
        if not isinstance(entry, Mapping):
            entry = dict(mask=entry)
        mask = _numpy(entry['mask'])
        params = entry.get('params')
        rows = [] if params is None or _numpy(params).size == 0 else \
            np.atleast_2d(_numpy(params).astype(np.float64))
        normals = [ibims_normal_to_camera(row) for row in rows]
        if mask.dtype == bool or mask.max() <= 1:
            if len(normals) > 1:
                print_log(
                    'IBimsMetric: a bool plane mask with '
                    f'{len(normals)} planes cannot be split; skipped.',
                    logger='current', level=logging.WARNING)
                continue
            yield mask.astype(bool), normals[0] if normals else None
            continue
        for label in range(1, int(mask.max()) + 1):
            normal = normals[label - 1] if label <= len(normals) else None
            yield mask == label, normal


@METRICS.register_module()
class IBimsMetric(BaseMetric):
    """Koch et al.'s iBims-1 errors, to use next to :class:`DepthMetric`.

    Keys (default prefix ``ibims``), averaged over images (DBE, DDE) or over
    all evaluated planes (PE):

    - ``dbe_acc``, ``dbe_comp``: depth-boundary accuracy / completeness in
      pixels (chamfer distances between Canny edges of the normalised
      prediction and the GT edges, within ``max_edge_distance``); images
      without GT edges are left out. The detector differs from the MATLAB
      one behind the paper, see
      :func:`da2zoe.evaluation.ibims_functional.depth_edges`.
    - ``dde_0``, ``dde_m``, ``dde_p``: shares of valid pixels put on the
      right side of the ``dde_threshold`` plane, wrongly in front of it, and
      wrongly behind it.
    - ``pe_plan`` (cm), ``pe_orie`` (degrees): flatness and orientation error
      of planes fitted to the back-projected, median-scaled prediction on
      each annotated plane covering at least ``min_plane_fraction`` of the
      image.

    Fields read from each sample (dict or ``DepthDataSample``; metainfo
    flattened): ``pred_depth``, ``gt_depth`` (the prediction is resized to
    its grid), optional ``gt_mask``, and the iBims extras written by the
    iBims-1 dataset with ``with_ibims_extras=True``: ``ibims_edges`` (H, W)
    bool, ``ibims_planes`` (see :func:`split_planes`) and ``intrinsics``
    (3, 3): a standard K, or iBims' MATLAB ``calib`` (recognised and
    converted). Missing extras skip the matching errors. Valid pixels: finite
    positive GT and prediction, inside ``gt_mask``.

    Args:
        dde_threshold (float): Depth plane of the DDE, metres. Defaults to 3.
        edge_sigma (float): Gaussian of the edge detector. Defaults to
            sqrt(2).
        edge_thresholds (tuple[float, float]): Canny hysteresis thresholds
            on the gradient of the [0, 1]-normalised depth. Defaults to
            (0.1, 0.2).
        max_edge_distance (float): DBE neighbourhood, pixels. Defaults to 10.
        min_plane_fraction (float): Smallest plane evaluated, as a share of
            the image's pixels. Defaults to 0.05.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Key prefix. Defaults to ``'ibims'``.
        collect_dir (str, optional): Temporary directory for CPU collection.
    """

    default_prefix: Optional[str] = 'ibims'

    def __init__(self,
                 dde_threshold: float = 3.0,
                 edge_sigma: float = math.sqrt(2),
                 edge_thresholds: Tuple[float, float] = (0.1, 0.2),
                 max_edge_distance: float = 10.0,
                 min_plane_fraction: float = 0.05,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None):
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.dde_threshold = dde_threshold
        self.edge_sigma = edge_sigma
        self.edge_thresholds = tuple(edge_thresholds)
        self.max_edge_distance = max_edge_distance
        self.min_plane_fraction = min_plane_fraction

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Computes the errors of each image.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict | DepthDataSample]): Predictions,
                annotations and iBims extras of the batch.
        """
        for sample in map(sample_to_dict, data_samples):
            gt = as_image(sample['gt_depth']).double()
            pred = resize_prediction(
                as_image(sample['pred_depth']).double().to(gt.device),
                *gt.shape)
            gt, pred = _numpy(gt), _numpy(pred)
            valid = np.isfinite(gt) & (gt > 0) & np.isfinite(pred) & (pred > 0)
            if sample.get('gt_mask') is not None:
                valid &= _numpy(as_image(sample['gt_mask'])).astype(bool)
            result: Dict[str, Any] = {}
            if valid.any():
                result.update(
                    zip(PER_IMAGE_KEYS[2:],
                        directed_depth_errors(pred[valid], gt[valid],
                                              self.dde_threshold)))
            if sample.get('ibims_edges') is not None:
                result.update(self._boundary_errors(pred, sample))
            if sample.get('ibims_planes') is not None and sample.get(
                    'intrinsics') is not None:
                result.update(self._planarity_errors(pred, gt, valid, sample))
            self.results.append(result)

    def _boundary_errors(self, pred: np.ndarray,
                         sample: Mapping) -> Dict[str, float]:
        edges = depth_edges(normalise_depth(pred), self.edge_sigma,
                            *self.edge_thresholds)
        errors = depth_boundary_errors(
            edges, _numpy(as_image(sample['ibims_edges'])).astype(bool),
            self.max_edge_distance)
        return {} if errors is None else dict(zip(PER_IMAGE_KEYS[:2], errors))

    def _planarity_errors(self, pred: np.ndarray, gt: np.ndarray,
                          valid: np.ndarray,
                          sample: Mapping) -> Dict[str, List[float]]:
        min_pixels = max(3, self.min_plane_fraction * valid.size)
        intrinsics = _numpy(sample['intrinsics'])
        errors = [
            planarity_errors(pred, gt, mask & valid, intrinsics, normal)
            for mask, normal in split_planes(sample['ibims_planes'])
            if (mask & valid).sum() >= min_pixels
        ]
        return {
            key: [e[i] for e in errors]
            for i, key in enumerate(PER_PLANE_KEYS)
        }

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Means over images (DBE, DDE) and over planes (PE).

        Args:
            results (list[dict]): Per-image errors of every rank.

        Returns:
            dict[str, float]: The keys that had at least one value.
        """
        metrics, rows = {}, []
        for key in PER_IMAGE_KEYS + PER_PLANE_KEYS:
            values = []
            for result in results:
                value = result.get(key)
                if value is not None:
                    values.extend(value if key in PER_PLANE_KEYS else [value])
            if values:
                metrics[key] = float(np.mean(values))
            rows.append([key, len(values), metrics.get(key, 'n/a')])
        if not metrics:
            print_log('IBimsMetric: nothing to evaluate.', logger='current',
                      level=logging.WARNING)
        print_log(
            '\n' + format_table(['metric', 'count', 'value'], rows),
            logger='current')
        return metrics
