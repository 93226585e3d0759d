"""Dense metric-depth evaluation (ZoeDepth protocol, DA-V2 silog on demand)."""
import logging
from collections import defaultdict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from da2zoe.registry import METRICS
from da2zoe.structures.eval_crop import CropSpec
from ..alignment import MIN_ALIGN_PIXELS, check_alignment
from ..functional import METRIC_NAMES, evaluate_depth_map
from ..table import format_table
from .sample_fields import as_image, is_pair_sample, sample_to_dict

DEFAULT_METRICS = tuple(m for m in METRIC_NAMES if m != 'silog_da2')
UNNAMED_DATASET = 'unnamed'


@METRICS.register_module()
class DepthMetric(BaseMetric):
    """d1, d2, d3, abs_rel, sq_rel, rmse, rmse_log, log10 and silog.

    Protocol (ZoeDepth ``compute_metrics``, per image then averaged over
    images): the prediction is resized bilinearly (align_corners=True) to the
    GT grid if needed, clipped to ``[eval_min_depth, eval_max_depth]``
    (+-inf -> max, NaN -> min); valid pixels satisfy
    ``eval_min_depth < gt < eval_max_depth`` (strict), lie inside the crop
    (resolved on the GT grid, see :mod:`da2zoe.structures.eval_crop`) and
    inside the sample's ``gt_mask`` when it has one. Errors are computed in
    float64.

    ``silog`` is ZoeDepth's (x100). DA-V2's definition is ``silog_da2``; add
    it to ``metrics`` to report it. Images without a valid pixel are skipped,
    counted and logged, never averaged as NaN; so are, under an alignment,
    images the fit cannot use (fewer than ``min_align_pixels`` valid
    pixels, a constant prediction), logged by file name.

    Fields read from each sample (dict or ``DepthDataSample``): ``pred_depth``
    and ``gt_depth`` ((1, H, W); the prediction may be of another size),
    optional ``gt_mask``, and metainfo ``dataset_name``, ``eval_min_depth``,
    ``eval_max_depth``, ``eval_crop``.

    Results: with a single ``dataset_name`` in the run, un-prefixed keys
    (``d1``, ``abs_rel``, ...). With several, ``<dataset_name>/<metric>`` for
    each, plus un-prefixed keys holding the mean over datasets (each dataset
    weighted equally), so ``save_best='d1'`` works in both cases.

    Args:
        metrics (Sequence[str]): Names to report, from
            :data:`da2zoe.evaluation.functional.METRIC_NAMES`. Defaults to all
            but ``silog_da2``.
        eval_min_depth (float, optional): Lower bound used when a sample has
            no ``eval_min_depth`` (or always, with ``override_metainfo``).
        eval_max_depth (float, optional): Upper bound, likewise.
        eval_crop (None | str | Sequence[int]): Crop used when a sample has no
            ``eval_crop`` key (or always, with ``override_metainfo``).
        override_metainfo (bool): Let the three settings above win over the
            samples' metainfo. Defaults to False.
        use_gt_mask (bool): AND the samples' ``gt_mask`` (decoded validity
            and training range) into the valid pixels. Defaults to True.
        align (str, optional): For RELATIVE models only: fit each
            prediction to its GT on the scored pixels first, ``'median'``
            (scale), ``'least_squares'`` (scale and shift in depth) or
            ``'least_squares_disparity'`` (scale and shift in 1 / depth);
            see :mod:`da2zoe.evaluation.alignment`. Defaults to None.
        pred_space (str): What ``pred_depth`` holds: ``'depth'`` or
            ``'disparity'`` (DA-V2 relative; needs ``align``). Defaults to
            ``'depth'``.
        min_align_pixels (int): Fewest valid pixels an aligned image needs.
            Defaults to 16.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for results across
            ranks. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of every key. Defaults to None.
        collect_dir (str, optional): Temporary directory for CPU collection.
    """

    def __init__(self,
                 metrics: Sequence[str] = DEFAULT_METRICS,
                 eval_min_depth: Optional[float] = None,
                 eval_max_depth: Optional[float] = None,
                 eval_crop: CropSpec = None,
                 override_metainfo: bool = False,
                 use_gt_mask: bool = True,
                 align: Optional[str] = None,
                 pred_space: str = 'depth',
                 min_align_pixels: int = MIN_ALIGN_PIXELS,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None):
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        unknown = set(metrics) - set(METRIC_NAMES)
        if unknown:
            raise ValueError(f'Unknown metrics {sorted(unknown)}; '
                             f'choose from {METRIC_NAMES}')
        self.metrics = tuple(metrics)
        self.eval_min_depth = eval_min_depth
        self.eval_max_depth = eval_max_depth
        self.eval_crop = eval_crop
        self.override_metainfo = override_metainfo
        self.use_gt_mask = use_gt_mask
        check_alignment(align, 'DepthMetric.align', pred_space)
        self.align = align
        self.pred_space = pred_space
        if int(min_align_pixels) < 2:
            raise ValueError(f'DepthMetric.min_align_pixels='
                             f'{min_align_pixels}: a scale and a shift need '
                             'at least 2 pixels')
        self.min_align_pixels = int(min_align_pixels)

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Computes and stores the errors of each image.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict | DepthDataSample]): Predictions and
                annotations of the batch.
        """
        for sample in map(sample_to_dict, data_samples):
            if is_pair_sample(sample):
                continue  # DA-2K: no dense ground truth, see DA2KMetric
            min_depth, max_depth, crop = self._protocol(sample)
            mask = sample.get('gt_mask') if self.use_gt_mask else None
            errors, n_valid = evaluate_depth_map(
                as_image(sample['pred_depth']), as_image(sample['gt_depth']),
                min_depth, max_depth, crop,
                None if mask is None else as_image(mask), self.align,
                self.pred_space, self.min_align_pixels)
            result = dict(
                dataset_name=sample.get('dataset_name') or UNNAMED_DATASET,
                n_valid=n_valid, evaluated=errors is not None,
                name=sample.get('img_path') or sample.get('depth_path')
                or 'unnamed')
            if errors is not None:
                values = torch.stack([errors[m] for m in self.metrics])
                result.update(zip(self.metrics, values.tolist()))
            self.results.append(result)

    def _protocol(self, sample: Mapping) -> Tuple[float, float, CropSpec]:
        """Evaluation range and crop of one sample."""
        bounds = []
        for key in ('eval_min_depth', 'eval_max_depth'):
            value = getattr(self, key)
            if sample.get(key) is not None and not (
                    self.override_metainfo and value is not None):
                value = sample[key]
            if value is None:
                raise KeyError(
                    f'Sample has no {key!r} metainfo; set it in the dataset '
                    f'or pass {key}= to DepthMetric')
            bounds.append(float(value))
        crop = self.eval_crop
        if 'eval_crop' in sample and not self.override_metainfo:
            crop = sample['eval_crop']
        return bounds[0], bounds[1], crop

    def _log_skipped(self, name: str, group: List[dict]) -> None:
        """Warns with the count and the names of the skipped images."""
        empty = [r for r in group if r['n_valid'] == 0]
        degenerate = [r for r in group
                      if r['n_valid'] > 0 and not r['evaluated']]
        lines = [f'DepthMetric: {len(empty) + len(degenerate)} of '
                 f'{len(group)} {name} images skipped']
        if empty:
            lines.append(f'  {len(empty)} without a valid GT pixel')
        if degenerate:
            names = ', '.join(str(r.get('name')) for r in degenerate[:20])
            more = len(degenerate) - 20
            lines.append(
                f'  {len(degenerate)} degenerate for align={self.align!r} '
                f'(fewer than {self.min_align_pixels} pixels to fit, or a '
                f'constant prediction): {names}'
                + (f' and {more} more' if more > 0 else ''))
        print_log('\n'.join(lines), logger='current',
                  level=logging.WARNING)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Averages the per-image errors over images, per dataset.

        Args:
            results (list[dict]): Per-image results of every rank.

        Returns:
            dict[str, float]: See the class docstring for the keys.
        """
        groups = defaultdict(list)
        for result in results:
            groups[result['dataset_name']].append(result)
        per_dataset, rows = {}, []
        for name, group in groups.items():
            evaluated = [r for r in group if r['evaluated']]
            skipped = len(group) - len(evaluated)
            if skipped:
                self._log_skipped(name, group)
            if not evaluated:
                continue
            per_dataset[name] = {
                m: float(np.mean([r[m] for r in evaluated]))
                for m in self.metrics
            }
            rows.append([name, len(evaluated), skipped] +
                        list(per_dataset[name].values()))
        if rows:
            print_log(
                '\n' + format_table(['dataset', 'images', 'skipped'] +
                                    list(self.metrics), rows),
                logger='current')
        if len(per_dataset) <= 1:
            return next(iter(per_dataset.values()), {})
        out = {
            f'{name}/{m}': v
            for name, values in per_dataset.items()
            for m, v in values.items()
        }
        out.update({
            m: float(np.mean([v[m] for v in per_dataset.values()]))
            for m in self.metrics
        })
        return out
