"""Per-image diagnosis of a metric model on held-out focal lengths.

Where a model is wrong on a held-out camera, its error is mostly one factor
per image (a wrong scale). :func:`image_records` measures it per image (the
median of ``log(pred / gt)`` over the evaluated pixels) next to the image's
floor fraction (how much of the floor, the metric cue of a room, is in view)
and DepthMetric's own abs_rel and d1; :func:`binned_rows` and
:func:`correlations` summarise the records per test set and model, and
:func:`diagnosis_markdown` writes them as tables
(``tools/analysis_tools/canonical_camera_experiment.py --diagnose``).
"""
from __future__ import annotations

import os.path as osp
from collections import defaultdict
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from da2zoe.evaluation.metrics.depth_metric import DepthMetric
from da2zoe.registry import DATASETS
from da2zoe.structures.camera import input_focal

#: Floor-fraction bin edges of the tables (fraction of the image's pixels).
FLOOR_BINS = (0.0, 0.02, 0.1, 0.25, 1.0)


def scale_error(pred: np.ndarray, gt: np.ndarray,
                valid: np.ndarray) -> float:
    """Median of ``log(pred / gt)`` over the valid pixels.

    Args:
        pred: (H, W) predicted depth in metres, > 0.
        gt: (H, W) ground truth in metres.
        valid: (H, W) bool, the evaluated pixels.

    Returns:
        The log scale error (0: right on the median; log 2: twice too far);
        NaN without a valid pixel.
    """
    if not valid.any():
        return float('nan')
    return float(np.median(np.log(pred[valid] / gt[valid])))


def _valid_pixels(sample: Mapping) -> np.ndarray:
    """The pixels DepthMetric evaluates on a folder-style sample: the GT
    mask inside the sample's evaluation range (no crop)."""
    gt = sample['gt_depth'].squeeze(0).numpy()
    valid = (gt > sample['eval_min_depth']) & (gt < sample['eval_max_depth'])
    mask = sample.get('gt_mask')
    if mask is not None:
        valid &= mask.squeeze(0).numpy().astype(bool)
    return valid


def image_records(model: torch.nn.Module,
                  dataset_cfg: dict,
                  floor_of: Callable[[str, tuple], np.ndarray],
                  set_name: str,
                  model_name: str,
                  canonical_focal: float | None = None,
                  max_depth: float | None = None) -> list[dict]:
    """Runs ``model`` over a dataset and measures every image.

    Args:
        model: a built depther in eval mode (``test_step`` as for
            ``tools/test.py``).
        dataset_cfg: the test dataset's config (its pipeline keeps
            ``gt_depth`` at its stored size).
        floor_of: ``(img_path, (H, W)) -> (H, W) bool`` floor mask of an
            image on its ground-truth grid.
        set_name: the test set's name in the records.
        model_name: the model's name in the records.
        canonical_focal: the canonical focal in input pixels, to measure
            how much of the ground truth the head cannot represent
            (``gt * canonical_focal / f > max_depth``); None skips it.
        max_depth: the head's largest depth (canonical units with a
            camera).

    Returns:
        One dict per image: ``set``, ``model``, ``name``, ``focal`` (input
        pixels), ``floor_fraction``, ``log_scale`` (:func:`scale_error`),
        ``scale`` (its exp), ``median_pred``, ``median_gt``, ``abs_rel``,
        ``d1`` (DepthMetric's) and ``beyond_head`` (fraction of valid pixels
        past the head's range in its own units; 0 without a camera).

    Raises:
        ValueError: If the dataset is empty.
    """
    dataset = DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        raise ValueError(f'{set_name}: the test dataset '
                         f'{dataset_cfg.get("data_root")} has no samples')
    loader = DataLoader(dataset, batch_size=8, collate_fn=pseudo_collate)
    records = []
    with torch.no_grad():
        for batch in loader:
            outputs = model.test_step(batch)
            metric = DepthMetric()
            metric.process(None, outputs)
            for sample, errors in zip(outputs, metric.results):
                records.append(_record(sample, errors, floor_of, set_name,
                                       model_name, canonical_focal,
                                       max_depth))
    return records


def _record(sample, errors: dict, floor_of: Callable, set_name: str,
            model_name: str, canonical_focal: float | None,
            max_depth: float | None) -> dict:
    """One image's record (see :func:`image_records`)."""
    meta = sample.metainfo
    gt = sample.gt_depth.squeeze(0).numpy()
    pred = sample.pred_depth.squeeze(0).numpy()
    valid = _valid_pixels(dict(meta, gt_depth=sample.gt_depth,
                               gt_mask=sample.get('gt_mask')))
    floor = np.asarray(floor_of(meta['img_path'], gt.shape), bool)
    if floor.shape != gt.shape:
        raise ValueError(f'{meta["img_path"]}: floor mask {floor.shape} on '
                         f'ground truth {gt.shape}')
    focal = input_focal(meta, gt.shape)
    log_scale = scale_error(pred, gt, valid)
    beyond = 0.0
    if canonical_focal is not None and max_depth is not None and valid.any():
        canonical = gt[valid] * canonical_focal / focal
        beyond = float(np.mean(canonical > max_depth))
    return dict(
        set=set_name, model=model_name, name=meta['img_path'],
        focal=focal, floor_fraction=float(floor.mean()),
        log_scale=log_scale, scale=float(np.exp(log_scale)),
        median_pred=float(np.median(pred[valid])) if valid.any() else None,
        median_gt=float(np.median(gt[valid])) if valid.any() else None,
        abs_rel=errors.get('abs_rel'), d1=errors.get('d1'),
        beyond_head=beyond)


def _groups(records: Iterable[dict]) -> dict:
    groups = defaultdict(list)
    for record in records:
        if record['abs_rel'] is not None and np.isfinite(record['log_scale']):
            groups[record['set'], record['model']].append(record)
    return groups


def binned_rows(records: Iterable[dict],
                edges: Sequence[float] = FLOOR_BINS) -> list[dict]:
    """Per test set, floor-fraction bin and model: the images' median scale
    and mean abs_rel / d1.

    Args:
        records: from :func:`image_records`.
        edges: increasing bin edges of the floor fraction; a bin is
            ``[lo, hi)``, the last one ``[lo, hi]``.

    Returns:
        Rows ``set, model, bin (lo, hi), n, median_scale, abs_rel, d1``
        (empty bins left out), in set, bin, model order.
    """
    rows = []
    for (set_name, model_name), group in _groups(records).items():
        floor = np.array([r['floor_fraction'] for r in group])
        for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
            last = i == len(edges) - 2
            inside = (floor >= lo) & ((floor <= hi) if last else (floor < hi))
            chosen = [r for r, keep in zip(group, inside) if keep]
            if not chosen:
                continue
            rows.append(dict(
                set=set_name, model=model_name, bin=(lo, hi),
                n=len(chosen),
                median_scale=float(np.exp(np.median(
                    [r['log_scale'] for r in chosen]))),
                abs_rel=float(np.mean([r['abs_rel'] for r in chosen])),
                d1=float(np.mean([r['d1'] for r in chosen]))))
    sets = list(dict.fromkeys(r['set'] for r in rows))
    models = list(dict.fromkeys(r['model'] for r in rows))
    return sorted(rows, key=lambda r: (sets.index(r['set']), r['bin'],
                                       models.index(r['model'])))


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind='stable')
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks


def correlations(records: Iterable[dict]) -> list[dict]:
    """Per test set and model: how the scale error follows the floor.

    Args:
        records: from :func:`image_records`.

    Returns:
        Rows ``set, model, n, pearson, spearman`` (correlation of the floor
        fraction with ``log_scale``; NaN when either is constant),
        ``median_scale``, ``abs_rel``, ``d1`` and ``beyond_head`` (means).
    """
    rows = []
    for (set_name, model_name), group in _groups(records).items():
        floor = np.array([r['floor_fraction'] for r in group])
        scale = np.array([r['log_scale'] for r in group])
        pearson = spearman = float('nan')
        if len(group) > 2 and np.ptp(floor) > 0 and np.ptp(scale) > 0:
            pearson = float(np.corrcoef(floor, scale)[0, 1])
            spearman = float(np.corrcoef(_ranks(floor), _ranks(scale))[0, 1])
        rows.append(dict(
            set=set_name, model=model_name, n=len(group), pearson=pearson,
            spearman=spearman,
            median_scale=float(np.exp(np.median(scale))),
            abs_rel=float(np.mean([r['abs_rel'] for r in group])),
            d1=float(np.mean([r['d1'] for r in group])),
            floor_fraction=float(np.mean(floor)),
            beyond_head=float(np.mean([r['beyond_head'] for r in group]))))
    return rows


def paired_rows(records: Iterable[dict], metric: str, canonical: str,
                train_focal: float,
                edges: Sequence[float] = FLOOR_BINS) -> list[dict]:
    """The two models image by image, per test set and floor bin.

    A network that cannot see the focal length predicts, for an image, a
    mix of two answers: the image's focal-free cue (a floor row, an object's
    pixel size) read as if seen at the training focal ``f_tr``, and a prior
    that ignores the image's scale. For the metric head at a test focal
    ``f`` the cue gives ``log(pred / gt) = log(f_tr / f)``, the prior 0; the
    canonical camera multiplies by ``f / f_tr`` (in expectation), so its cue
    gives 0 and its prior ``log(f / f_tr)``. With a weight ``w`` on the cue
    both are ``w log(f_tr / f)`` and ``(1 - w) log(f / f_tr)``: their
    difference is ``log(f / f_tr)`` whatever ``w`` is, and the canonical
    camera is the better of the two exactly where ``w > 1/2``.

    Args:
        records: from :func:`image_records`, both models on the same
            images (paired by set and name).
        metric: the metric head's model name.
        canonical: the canonical camera's model name.
        train_focal: ``f_tr``, the training focal the networks' cue is
            calibrated to (the geometric mean of a log-uniform range).
        edges: floor-fraction bin edges; ``(0, 1)`` for one bin.

    Returns:
        Rows ``set, bin, n, focal`` (the images' median focal),
        ``ratio_model`` (``exp`` of the mean per-image difference of log
        scale, canonical minus metric), ``ratio_std`` (std of that
        difference), ``ratio_expected`` (``f / f_tr``, geometric mean over
        the images), ``w_metric`` and ``w_canonical`` (the cue weight each
        model's median log scale implies; NaN where ``f`` is within ~25 %
        of ``f_tr`` on average, as on the training mix).
    """
    by_key = {(r['set'], r['name'], r['model']): r for r in records
              if np.isfinite(r['log_scale'])}
    pairs = defaultdict(list)
    for (set_name, name, model_name), record in by_key.items():
        other = by_key.get((set_name, name, canonical))
        if model_name == metric and other is not None:
            pairs[set_name].append((record, other))
    rows = []
    for set_name, group in pairs.items():
        floor = np.array([m['floor_fraction'] for m, _ in group])
        for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
            last = i == len(edges) - 2
            inside = (floor >= lo) & ((floor <= hi) if last else (floor < hi))
            chosen = [p for p, keep in zip(group, inside) if keep]
            if chosen:
                rows.append(_paired_row(set_name, (lo, hi), chosen,
                                        train_focal))
    return rows


def _paired_row(set_name: str, bin_: tuple, pairs: list,
                train_focal: float) -> dict:
    """One row of :func:`paired_rows`."""
    metric = np.array([m['log_scale'] for m, _ in pairs])
    canonical = np.array([c['log_scale'] for _, c in pairs])
    focals = np.array([m['focal'] for m, _ in pairs])
    cue = float(np.mean(np.log(train_focal / focals)))
    weights = (float('nan'), float('nan'))
    if abs(cue) > 0.25:  # f within ~25 % of f_tr: w is ill-defined
        weights = (float(np.median(metric) / cue),
                   float(1 + np.median(canonical) / cue))
    difference = canonical - metric
    return dict(set=set_name, bin=bin_, n=len(pairs),
                focal=float(np.median(focals)),
                ratio_model=float(np.exp(difference.mean())),
                ratio_std=float(difference.std()),
                ratio_expected=float(np.exp(-cue)),
                w_metric=weights[0], w_canonical=weights[1])


def paired_markdown(rows: Sequence[dict]) -> str:
    """:func:`paired_rows` as a Markdown table."""
    lines = ['| set | floor fraction | images | canonical / metric '
             'prediction (std of log) | f / f_tr | cue weight w: metric | '
             'w: canonical |', '|---|---|---|---|---|---|---|']
    for r in rows:
        lo, hi = r['bin']
        lines.append(
            f'| {r["set"]} | {lo:g}-{hi:g} | {r["n"]} | '
            f'{r["ratio_model"]:.2f} ({r["ratio_std"]:.2f}) | '
            f'{r["ratio_expected"]:.2f} | {r["w_metric"]:.2f} | '
            f'{r["w_canonical"]:.2f} |')
    return '\n'.join(lines)


def image_markdown(records: Sequence[dict]) -> str:
    """Every image's record as a Markdown table (one row per image and
    model, in record order).

    Args:
        records: from :func:`image_records`.

    Returns:
        The table: set, model, image file name, focal, floor fraction,
        scale (pred / gt), abs_rel, d1.
    """
    lines = ['| set | model | image | focal | floor fraction | scale '
             '(pred/gt) | abs_rel | d1 |', '|---|---|---|---|---|---|---|---|']
    for r in records:
        cells = [f'{r[k]:.3f}' if r[k] is not None else '-'
                 for k in ('abs_rel', 'd1')]
        lines.append(
            f'| {r["set"]} | {r["model"]} | {osp.basename(r["name"])} | '
            f'{r["focal"]:.1f} | {r["floor_fraction"]:.3f} | '
            f'{r["scale"]:.3f} | {cells[0]} | {cells[1]} |')
    return '\n'.join(lines)


def diagnosis_markdown(records: Sequence[dict],
                       edges: Sequence[float] = FLOOR_BINS) -> str:
    """The two summary tables of a diagnosis as Markdown.

    Args:
        records: from :func:`image_records`.
        edges: floor-fraction bin edges (see :func:`binned_rows`).

    Returns:
        A per set and model table (floor fraction, median scale pred/gt,
        abs_rel, d1, correlations, share past the head's range) and a
        binned table (floor fraction bin x model).
    """
    lines = ['| set | model | images | mean floor fraction | median scale '
             '(pred/gt) | abs_rel | d1 | pearson(floor, log scale) | '
             'spearman | GT past head range |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for r in correlations(records):
        lines.append(
            f'| {r["set"]} | {r["model"]} | {r["n"]} | '
            f'{r["floor_fraction"]:.3f} | {r["median_scale"]:.2f} | '
            f'{r["abs_rel"]:.3f} | {r["d1"]:.3f} | {r["pearson"]:+.2f} | '
            f'{r["spearman"]:+.2f} | {r["beyond_head"]:.3f} |')
    lines += ['', '| set | floor fraction | model | images | median scale '
              '(pred/gt) | abs_rel | d1 |', '|---|---|---|---|---|---|---|']
    for r in binned_rows(records, edges):
        lo, hi = r['bin']
        lines.append(
            f'| {r["set"]} | {lo:g}-{hi:g} | {r["model"]} | {r["n"]} | '
            f'{r["median_scale"]:.2f} | {r["abs_rel"]:.3f} | '
            f'{r["d1"]:.3f} |')
    return '\n'.join(lines)
