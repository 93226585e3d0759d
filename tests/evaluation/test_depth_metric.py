"""DepthMetric and its functional core: golden parity with ZoeDepth's
``compute_metrics`` and DA-V2's ``eval_depth``, crops, edge cases and
multi-dataset runs."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from da2zoe.evaluation.functional import depth_errors, evaluate_depth_map
from da2zoe.evaluation.metrics import DepthMetric
from da2zoe.registry import METRICS
from da2zoe.structures import DepthDataSample
from da2zoe.structures.eval_crop import crop_box, crop_mask

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden' / 'metrics.npz'
RTOL = 1e-12
ZOE_NAMES = dict(a1='d1', a2='d2', a3='d3', abs_rel='abs_rel', sq_rel='sq_rel',
                 rmse='rmse', rmse_log='rmse_log', log_10='log10',
                 silog='silog')
NYU = dict(eval_min_depth=1e-3, eval_max_depth=10.0, eval_crop='eigen')
KITTI = dict(eval_min_depth=1e-3, eval_max_depth=80.0, eval_crop='garg')


@pytest.fixture(scope='module')
def golden():
    with np.load(GOLDEN, allow_pickle=False) as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


def _nonfinite_pred(golden):
    pred = golden['input/nyu/pred'].clone()
    rows, cols = golden['input/nyu_nonfinite/idx'].T
    pred[0, 0, rows, cols] = golden['input/nyu_nonfinite/val']
    return pred


# golden case -> (pred, gt, protocol metainfo)
CASES = {
    'nyu': (lambda g: g['input/nyu/pred'], 'nyu', NYU),
    'nyu_nonfinite': (_nonfinite_pred, 'nyu', NYU),
    'kitti': (lambda g: g['input/kitti/pred'], 'kitti', KITTI),
    'kitti_halfres': (lambda g: g['input/kitti_halfres/pred'], 'kitti', KITTI),
}


def _sample(pred, gt, mask=None, **metainfo):
    sample = DepthDataSample(metainfo=metainfo)
    sample.pred_depth = pred.reshape(1, *pred.shape[-2:])
    sample.gt_depth = gt.reshape(1, *gt.shape[-2:])
    if mask is not None:
        sample.gt_mask = mask.reshape(1, *mask.shape[-2:])
    return sample


def _evaluate(metric, samples):
    evaluator = Evaluator([metric])
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


@pytest.mark.parametrize('case', sorted(CASES))
def test_depth_metric_matches_zoedepth(golden, case):
    make_pred, gt_case, protocol = CASES[case]
    pred, gt = make_pred(golden), golden[f'input/{gt_case}/gt']
    pred_before = pred.clone()
    results = _evaluate(
        DepthMetric(), [_sample(pred, gt, dataset_name=gt_case, **protocol)])
    for ref_name, name in ZOE_NAMES.items():
        expected = golden[f'output/{case}/{ref_name}'].item()
        assert results[name] == pytest.approx(expected, rel=RTOL), name
    # unlike the reference, the caller's prediction is never clipped in place
    torch.testing.assert_close(pred, pred_before, equal_nan=True)


@pytest.mark.parametrize('case', ['nyu', 'kitti'])
def test_valid_pixel_counts_match_zoedepth(golden, case):
    make_pred, gt_case, protocol = CASES[case]
    _, n_valid = evaluate_depth_map(
        make_pred(golden), golden[f'input/{gt_case}/gt'],
        protocol['eval_min_depth'], protocol['eval_max_depth'],
        protocol['eval_crop'])
    assert n_valid == golden[f'output/{case}/n_valid'].item()


def test_depth_errors_match_da2_eval_depth(golden):
    mask = golden['input/da2_nyu/mask']
    errors = depth_errors(golden['input/nyu/pred'][0, 0][mask],
                          golden['input/nyu/gt'][0, 0][mask])
    for name in ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10'):
        expected = golden[f'output/da2_nyu/{name}'].item()
        assert errors[name].item() == pytest.approx(expected, rel=RTOL)
    assert errors['silog_da2'].item() == pytest.approx(
        golden['output/da2_nyu/silog'].item(), rel=RTOL)
    for k in (1, 2, 3):
        exact = golden[f'check/da2_nyu/d{k}_float64'].item()
        assert errors[f'd{k}'].item() == pytest.approx(exact, rel=RTOL)
        # DA-V2 itself rounds the ratio through float32
        assert errors[f'd{k}'].item() == pytest.approx(
            golden[f'output/da2_nyu/d{k}'].item(), abs=1e-7)


def test_crop_windows():
    assert crop_box('garg', 352, 1216) == (143, 349, 43, 1172)
    assert crop_box('kitti_eigen', 352, 1216) == (117, 321, 43, 1172)
    assert crop_box('eigen', 480, 640) == (45, 471, 41, 601)
    assert crop_box('eigen', 240, 320) == (22, 235, 20, 300)
    assert crop_box('eigen_fixed', 240, 320) == (45, 471, 41, 601)
    assert crop_box('none', 4, 4) is None and crop_box(None, 4, 4) is None
    assert crop_mask((1, 3, 0, 2), 4, 4).sum() == 4
    with pytest.raises(KeyError):
        crop_box('bogus', 4, 4)


def _constant_pair(height=6, width=8, gt_value=2.0, pred_value=2.5):
    return (torch.full((height, width), pred_value),
            torch.full((height, width), gt_value))


def test_empty_images_are_skipped_not_nan():
    pred, gt = _constant_pair()
    protocol = dict(eval_min_depth=0.1, eval_max_depth=10.0, dataset_name='x')
    samples = [
        _sample(pred, torch.zeros_like(gt), **protocol),  # no valid GT
        _sample(pred, gt, mask=torch.zeros_like(gt, dtype=torch.bool),
                **protocol),
        _sample(pred, gt, **protocol),
    ]
    results = _evaluate(DepthMetric(), samples)
    assert all(np.isfinite(v) for v in results.values())
    assert results['abs_rel'] == pytest.approx(0.25)
    assert _evaluate(DepthMetric(), samples[:2]) == {}


def test_single_valid_pixel_and_non_finite_predictions():
    pred, gt = _constant_pair()
    mask = torch.zeros_like(gt, dtype=torch.bool)
    mask[2, 3] = True
    pred[2, 3] = float('inf')  # clipped to the max depth 4
    metric = DepthMetric(eval_min_depth=0.1, eval_max_depth=4.0)
    results = _evaluate(metric, [_sample(pred, gt, mask=mask)])
    assert results['abs_rel'] == pytest.approx(1.0)
    assert results['silog'] == 0 and results['d1'] == 0
    pred[2, 3] = float('nan')  # clipped to the min depth 0.1
    results = _evaluate(metric, [_sample(pred, gt, mask=mask)])
    assert results['abs_rel'] == pytest.approx(0.95)


def test_gt_of_another_size_resizes_prediction_and_scales_eigen_crop():
    pred, _ = _constant_pair(48, 64, pred_value=3.0)
    gt = torch.full((240, 320), 2.0)
    gt[:22] = 100.0  # outside the proportional Eigen crop: ignored
    results = _evaluate(
        DepthMetric(),
        [_sample(pred, gt, eval_min_depth=1e-3, eval_max_depth=10.0,
                 eval_crop='eigen')])
    assert results['abs_rel'] == pytest.approx(0.5)


def test_multi_dataset_run_gives_per_dataset_keys_and_dicts_work():
    pred, gt = _constant_pair()
    metric = METRICS.build(
        dict(type='DepthMetric', metrics=('abs_rel', 'silog', 'silog_da2')))
    samples = [
        _sample(pred, gt, dataset_name='nyu', eval_min_depth=1e-3,
                eval_max_depth=10.0, eval_crop=None),
        _sample(pred * 2, gt, dataset_name='kitti', eval_min_depth=1e-3,
                eval_max_depth=80.0, eval_crop=None).to_dict(),
    ]
    metric.process(None, samples)
    results = metric.compute_metrics(metric.results)
    assert results['nyu/abs_rel'] == pytest.approx(0.25)
    assert results['kitti/abs_rel'] == pytest.approx(1.5)
    assert results['abs_rel'] == pytest.approx(0.875)
    assert set(results) == {
        f'{p}{m}'
        for p in ('', 'nyu/', 'kitti/')
        for m in ('abs_rel', 'silog', 'silog_da2')
    }


def test_metainfo_range_and_override():
    pred, gt = _constant_pair(gt_value=5.0, pred_value=5.0)
    sample = _sample(pred, gt, eval_min_depth=1e-3, eval_max_depth=4.0)
    assert _evaluate(DepthMetric(eval_max_depth=10.0), [sample]) == {}
    results = _evaluate(
        DepthMetric(eval_max_depth=10.0, override_metainfo=True), [sample])
    assert results['d1'] == 1.0
    with pytest.raises(KeyError, match='eval_min_depth'):
        DepthMetric().process(None, [_sample(pred, gt)])


def test_zero_min_depth_never_gives_nan():
    pred, gt = _constant_pair()
    pred[0, :4] = torch.tensor([0.0, -1.0, float('nan'), float('-inf')])
    errors, n_valid = evaluate_depth_map(pred, gt, 0.0, 8.0)
    assert n_valid == gt.numel()
    assert all(torch.isfinite(v) for v in errors.values())


def test_gt_mask_can_be_ignored():
    pred, gt = _constant_pair()
    mask = torch.zeros_like(gt, dtype=torch.bool)
    protocol = dict(eval_min_depth=0.1, eval_max_depth=10.0)
    sample = _sample(pred, gt, mask=mask, **protocol)
    assert _evaluate(DepthMetric(), [sample]) == {}
    results = _evaluate(DepthMetric(use_gt_mask=False), [sample])
    assert results['abs_rel'] == pytest.approx(0.25)
