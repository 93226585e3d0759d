"""Relative-depth alignment before scoring (DepthMetric(align=...)) and the
tools/test.py flag that sets it."""
from pathlib import Path

import pytest
import torch

from da2zoe.cli import test as test_tool
from da2zoe.evaluation.alignment import align_prediction
from da2zoe.evaluation.functional import evaluate_depth_map
from da2zoe.evaluation.metrics import DepthMetric

REPO = Path(__file__).resolve().parents[2]


def _scene():
    gen = torch.Generator().manual_seed(0)
    gt = 1 + 4 * torch.rand(24, 32, generator=gen, dtype=torch.float64)
    valid = torch.ones_like(gt, dtype=torch.bool)
    valid[:4] = False
    return gt, valid


def test_median_scale_and_least_squares_recover_the_gt():
    gt, valid = _scene()
    scaled = align_prediction(gt / 3, gt, valid, 'median')
    torch.testing.assert_close(scaled, gt, rtol=1e-12, atol=0)
    affine = align_prediction(0.5 * gt + 3, gt, valid, 'least_squares')
    torch.testing.assert_close(affine, gt, rtol=1e-10, atol=1e-10)
    errors, n_valid = evaluate_depth_map(0.5 * gt + 3, gt, 1e-3, 10.0,
                                         align='least_squares')
    assert n_valid == gt.numel()
    assert errors['abs_rel'] < 1e-10 and errors['d1'] == 1


def test_only_scored_finite_pixels_drive_the_fit():
    gt, valid = _scene()
    pred = gt * 2
    pred[:4] = 1000.0           # not scored
    pred[10, 10] = float('nan')  # not finite
    aligned = align_prediction(pred, gt, valid, 'median')
    torch.testing.assert_close(aligned[valid & torch.isfinite(pred)],
                               gt[valid & torch.isfinite(pred)])


def test_metric_default_is_unchanged_and_bad_names_are_refused():
    gt, _ = _scene()
    plain, _ = evaluate_depth_map(gt / 3, gt, 1e-3, 10.0)
    assert plain['d1'] == 0  # a metric model is not rescued by a fit
    with pytest.raises(ValueError, match="DepthMetric.align='mean'"):
        DepthMetric(align='mean')
    assert DepthMetric(align='median').align == 'median'


def test_test_tool_keeps_the_configs_alignment_and_takes_a_flag(
        synthetic_root):
    nyu = synthetic_root / 'nyu'
    data = ['--datasets', 'nyu', '--nyu-csv', str(nyu / 'data/nyu2_test.csv'),
            '--nyu-root', str(nyu)]
    mono = str(REPO / 'configs/da3/da3mono-large.py')
    metric = str(REPO / 'configs/da3/da3metric-large.py')

    def aligns(argv):
        cfg = test_tool.build_config(test_tool.parse_args(argv))
        evaluators = cfg.test_evaluator
        evaluators = evaluators if isinstance(evaluators, list) else [
            evaluators]
        return [e.get('align') for e in evaluators
                if e['type'] == 'DepthMetric']

    assert aligns([mono, 'ckpt']) == ['least_squares']
    assert aligns([mono, 'ckpt', *data]) == ['least_squares']
    assert aligns([metric, 'ckpt', *data]) == [None]
    assert aligns([metric, 'ckpt', *data, '--align', 'median']) == ['median']
    assert aligns([mono, 'ckpt', *data, '--align',
                   'least_squares_disparity']) == ['least_squares_disparity']


def test_test_tool_keeps_a_disparity_models_settings(synthetic_root):
    """--datasets replaces the evaluator: what the model predicts and the
    config's minimum pixels must survive it."""
    nyu = synthetic_root / 'nyu'
    relative = str(REPO / 'configs/da2-relative_vitl_nyu.py')
    argv = [relative, 'ckpt', '--datasets', 'nyu', '--nyu-csv',
            str(nyu / 'data/nyu2_test.csv'), '--nyu-root', str(nyu),
            '--cfg-options', 'test_evaluator.min_align_pixels=64']
    for flags, align in (([], 'least_squares_disparity'),
                         (['--align', 'least_squares'], 'least_squares')):
        cfg = test_tool.build_config(test_tool.parse_args(argv + flags))
        metric, = [e for e in cfg.test_evaluator
                   if e['type'] == 'DepthMetric']
        assert (metric['align'], metric['pred_space'],
                metric['min_align_pixels']) == (align, 'disparity', 64)


def test_test_tool_tells_da2k_that_the_model_predicts_disparity(
        synthetic_root):
    """DA-2K's ordinal accuracy of a disparity model: larger is nearer.
    Without pred_space the metric would report 1 - accuracy."""
    nyu, da2k = synthetic_root / 'nyu', synthetic_root / 'da2k'
    relative = str(REPO / 'configs/da2-relative_vitl_nyu.py')
    both = [relative, 'ckpt', '--datasets', 'nyu', 'da2k', '--nyu-csv',
            str(nyu / 'data/nyu2_test.csv'), '--nyu-root', str(nyu),
            '--da2k-root', str(da2k)]
    cfg = test_tool.build_config(test_tool.parse_args(both))
    spaces = {e['type']: e.get('pred_space') for e in cfg.test_evaluator}
    assert spaces == dict(DepthMetric='disparity', DA2KMetric='disparity')
    alone = [relative, 'ckpt', '--datasets', 'da2k', '--da2k-root',
             str(da2k)]
    cfg = test_tool.build_config(test_tool.parse_args(alone))
    assert {e['type']: e['pred_space'] for e in cfg.test_evaluator} == dict(
        DepthMetric='disparity', DA2KMetric='disparity')
    metric = str(REPO / 'configs/da3/da3metric-large.py')
    cfg = test_tool.build_config(test_tool.parse_args(
        [metric, 'ckpt', '--datasets', 'da2k', '--da2k-root', str(da2k)]))
    assert [e.get('pred_space') for e in cfg.test_evaluator] == [None, None]
