"""Depth metrics of deployed models next to PyTorch's, on one test set.

Every model (a ``MetricDepther`` and :class:`~.onnx_backend.OnnxDepther` s
of its exports) predicts each batch of the same loader through its own
``test_step``: the same test pipeline, padding, flip TTA, resize back to the
ground truth and clamp. So the metric changes are those of the network's
precision (float16, int8 quantisation), nothing else.
"""
from collections.abc import Iterable, Mapping

import numpy as np

from da2zoe.evaluation.metrics.depth_metric import DepthMetric

#: Metrics printed by default (DepthMetric's keys).
SHOWN = ('abs_rel', 'd1', 'rmse', 'silog')


def evaluate_backends(models: Mapping[str, object], loader: Iterable,
                      reference: str) -> dict:
    """Runs each model over the loader; DepthMetric per model.

    Args:
        models (Mapping[str, object]): Name -> model with ``test_step``,
            in the order of the table.
        loader (Iterable): Batches as ``pseudo_collate`` packs them
            (``inputs``, ``data_samples`` with ``gt_depth``).
        reference (str): The name the others are compared with (PyTorch
            float32).

    Returns:
        dict: name -> DepthMetric's metrics plus ``rel_diff_mean`` /
        ``rel_diff_max``: mean and max over images of the mean
        ``|depth - reference depth| / reference depth`` on valid pixels.

    Raises:
        ValueError: If ``reference`` is not in ``models`` or the loader
            yields nothing.
    """
    if reference not in models:
        raise ValueError(f'reference {reference!r} is not one of '
                         f'{list(models)}')
    metrics = {name: DepthMetric() for name in models}
    diffs = {name: [] for name in models}
    for batch in loader:
        predicted = {name: model.test_step(_fresh(batch))
                     for name, model in models.items()}
        for name, samples in predicted.items():
            metrics[name].process(None, samples)
            for got, want in zip(samples, predicted[reference]):
                diffs[name].append(_mean_rel_diff(got, want))
    if not diffs[reference]:
        raise ValueError('the test loader yielded no samples')
    out = {}
    for name, metric in metrics.items():
        out[name] = dict(metric.compute_metrics(metric.results),
                         rel_diff_mean=float(np.mean(diffs[name])),
                         rel_diff_max=float(np.max(diffs[name])))
    return out


def _fresh(batch: dict) -> dict:
    """The batch with new data samples: ``test_step`` writes into them."""
    return dict(inputs=batch['inputs'],
                data_samples=[s.clone() for s in batch['data_samples']])


def _mean_rel_diff(got, want) -> float:
    mask = want.gt_mask if want.get('gt_mask') is not None else None
    ref = want.pred_depth.float()
    diff = (got.pred_depth.float() - ref).abs() / ref.clamp_min(1e-6)
    if mask is not None and bool(mask.any()):
        diff = diff[mask.expand_as(diff)]
    return float(diff.mean())


def format_table(results: Mapping[str, dict], reference: str,
                 shown: Iterable[str] = SHOWN) -> str:
    """A text table: a row per model, its metrics and the abs_rel change.

    Args:
        results (Mapping[str, dict]): :func:`evaluate_backends`' output.
        reference (str): The row the changes are taken against.
        shown (Iterable[str]): Metric keys. Defaults to ``SHOWN``.

    Returns:
        str: The table, header first.
    """
    shown = list(shown)
    width = max(len(name) for name in results) + 2
    head = ''.join(f'{key:>10}' for key in shown)
    lines = [f'{"model":<{width}}{head}{"d_abs_rel":>11}'
             f'{"rel_diff":>10}']  # change vs reference, mean |d - ref|/ref
    base = results[reference]['abs_rel']
    for name, row in results.items():
        cells = ''.join(f'{row[key]:>10.4f}' for key in shown)
        lines.append(f'{name:<{width}}{cells}{row["abs_rel"] - base:>+11.1e}'
                     f'{row["rel_diff_mean"]:>10.2e}')
    return '\n'.join(lines)

