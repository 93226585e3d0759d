"""Relative-depth scoring (``DepthMetric(align=..., pred_space=...)``)
against a plain numpy ``np.linalg.lstsq`` solution written here.

Each case is built so that a wrong implementation gives other numbers:
depth-space and disparity-space fits of the same prediction differ, pixels
outside the Eigen / Garg crop or the mask would pull the fit if they were
used, a disparity far from zero defeats the normal equations, and a
degenerate image must be skipped by name, not scored. Float64 throughout.
"""
import logging

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger

from da2zoe.evaluation.alignment import align_prediction
from da2zoe.evaluation.functional import evaluate_depth_map
from da2zoe.evaluation.least_squares import fit_scale_shift
from da2zoe.evaluation.metrics import DepthMetric
from da2zoe.structures import DepthDataSample

TOL = dict(rtol=1e-10, atol=1e-12)
APPROX = dict(rel=1e-10, abs=1e-12)
NYU = dict(eval_min_depth=1e-3, eval_max_depth=10.0)


def np_lstsq(source: np.ndarray, target: np.ndarray) -> tuple:
    design = np.stack([source, np.ones_like(source)], axis=1)
    (scale, shift), *_ = np.linalg.lstsq(design, target, rcond=None)
    return scale, shift


def np_inverse(values: np.ndarray) -> np.ndarray:
    out = np.full_like(values, np.inf)
    positive = values > 0
    out[positive] = 1 / values[positive]
    return out


def np_aligned(pred, gt, fitted, align, pred_space, low, high):
    """The scored depth of a relative prediction, the textbook way."""
    if align == 'least_squares_disparity':
        source = pred if pred_space == 'disparity' else 1 / pred
        scale, shift = np_lstsq(source[fitted], 1 / gt[fitted])
        depth = np_inverse(scale * source + shift)
    else:
        source = 1 / pred if pred_space == 'disparity' else pred
        scale, shift = np_lstsq(source[fitted], gt[fitted])
        depth = scale * source + shift
    return np.clip(depth, low, high)  # +inf -> high


def np_errors(pred, gt) -> dict:
    ratio = np.maximum(pred / gt, gt / pred)
    return dict(abs_rel=np.mean(np.abs(pred - gt) / gt),
                rmse=np.sqrt(np.mean((pred - gt)**2)),
                d1=np.mean(ratio < 1.25))


def scene(height=48, width=64, seed=0):
    """GT depth in 1..9 m and a DA-V2-like relative disparity of it: not
    an affine map of 1 / depth (exponent 1.3, noise), so the two fit
    spaces give different results."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    gt = 1 + 8 * (0.5 + 0.5 * np.sin(rows / 7.0) * np.cos(cols / 11.0))
    gt = gt * np.exp(0.02 * rng.standard_normal(gt.shape))
    disparity = 3.0 / gt**1.3 + 0.2 + 0.01 * rng.standard_normal(gt.shape)
    return gt, disparity


@pytest.mark.parametrize('align', ['least_squares', 'least_squares_disparity'])
@pytest.mark.parametrize('pred_space', ['depth', 'disparity'])
def test_fit_spaces_match_numpy_and_differ(align, pred_space):
    gt, disparity = scene()
    pred = disparity if pred_space == 'disparity' else 1 / disparity
    valid = np.ones_like(gt, bool)
    valid[:5] = False  # not scored, not fitted
    expected = np_aligned(pred, gt, valid, align, pred_space, 1e-3, 10.0)
    errors, n_valid = evaluate_depth_map(
        torch.from_numpy(pred), torch.from_numpy(gt), 1e-3, 10.0,
        mask=torch.from_numpy(valid), align=align, pred_space=pred_space)
    assert n_valid == valid.sum()
    for name, value in np_errors(expected[valid], gt[valid]).items():
        assert errors[name].item() == pytest.approx(value, **APPROX), name
    aligned = align_prediction(torch.from_numpy(pred), torch.from_numpy(gt),
                               torch.from_numpy(valid), align, pred_space)
    np.testing.assert_allclose(
        np.clip(aligned.numpy(), 1e-3, 10.0)[valid], expected[valid], **TOL)


def test_depth_and_disparity_fits_give_different_numbers():
    """An exact affine disparity: its disparity fit is exact, a depth fit
    of 1 / disparity (not affine in depth) is not."""
    gt, _ = scene()
    disparity = 0.5 / gt + 0.1
    results = {
        align: evaluate_depth_map(torch.from_numpy(disparity),
                                  torch.from_numpy(gt), 1e-3, 10.0,
                                  align=align,
                                  pred_space='disparity')[0]['abs_rel'].item()
        for align in ('least_squares', 'least_squares_disparity')}
    assert results['least_squares_disparity'] < 1e-12, results
    assert results['least_squares'] > 0.01, results


def test_disparity_far_from_zero_matches_lstsq():
    """A source 1e4 away from zero with a spread of 0.3: the normal
    equations lose ~8 digits here, the centred fit matches lstsq."""
    gt, disparity = scene()
    pred = disparity + 1e4
    expected = np_lstsq(pred.ravel(), 1 / gt.ravel())
    fit = fit_scale_shift(torch.from_numpy(pred.ravel()),
                          torch.from_numpy(1 / gt.ravel()))
    np.testing.assert_allclose(fit, expected, rtol=1e-9)
    valid = np.ones_like(gt, bool)
    aligned = align_prediction(
        torch.from_numpy(pred), torch.from_numpy(gt),
        torch.from_numpy(valid), 'least_squares_disparity', 'disparity')
    np.testing.assert_allclose(
        np.clip(aligned.numpy(), 1e-3, 10.0),
        np_aligned(pred, gt, valid, 'least_squares_disparity', 'disparity',
                   1e-3, 10.0), rtol=1e-9)


# crop name, grid, window from ../shared/REFERENCE.md section 5
CROPS = {
    'eigen': ((480, 640), (45, 471, 41, 601)),
    'garg': ((75, 250), (int(0.40810811 * 75), int(0.99189189 * 75),
                         int(0.03594771 * 250), int(0.96405229 * 250))),
}


@pytest.mark.parametrize('crop', sorted(CROPS))
def test_the_crop_decides_which_pixels_are_fitted(crop):
    (height, width), (top, bottom, left, right) = CROPS[crop]
    gt, disparity = scene(height, width, seed=1)
    inside = np.zeros_like(gt, bool)
    inside[top:bottom, left:right] = True
    # An exact affine disparity inside the window, wrong by 3x outside.
    pred = np.where(inside, 0.5 / gt + 0.1, 1.5 / gt + 0.1)
    scored = {}
    for spec in (crop, None):
        errors, n_valid = evaluate_depth_map(
            torch.from_numpy(pred), torch.from_numpy(gt), 1e-3, 10.0,
            crop=spec, align='least_squares_disparity',
            pred_space='disparity')
        window = inside if spec else np.ones_like(inside)
        assert n_valid == window.sum()
        expected = np_aligned(pred, gt, window, 'least_squares_disparity',
                              'disparity', 1e-3, 10.0)
        for name, value in np_errors(expected[window], gt[window]).items():
            assert errors[name].item() == pytest.approx(value, **APPROX), name
        scored[spec] = errors['abs_rel'].item()
    assert scored[crop] < 1e-12  # fitted on the window alone: exact
    assert scored[None] > 0.05


def sample(pred, gt, name, mask=None, dataset='nyu'):
    data = DepthDataSample(metainfo=dict(
        img_path=name, dataset_name=dataset, eval_crop=None, **NYU))
    data.pred_depth = torch.from_numpy(pred)[None]
    data.gt_depth = torch.from_numpy(gt)[None]
    if mask is not None:
        data.gt_mask = torch.from_numpy(mask)[None]
    return data


def evaluate(metric, samples) -> dict:
    evaluator = Evaluator([metric])
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_mask_and_degenerate_images_through_depth_metric(caplog):
    gt, disparity = scene()
    mask = np.ones_like(gt, bool)
    mask[:, :20] = False
    pred = disparity.copy()
    pred[:, :20] = 50.0  # masked out: would ruin the fit if used
    few = np.zeros_like(gt, bool)
    few[10, :15] = True  # 15 valid pixels < min_align_pixels 16
    samples = [
        sample(pred, gt, 'rooms/masked.png', mask),
        sample(disparity, gt, 'rooms/plain.png'),
        sample(np.full_like(gt, 0.7), gt, 'rooms/constant.png'),
        sample(disparity, gt, 'rooms/few.png', few),
        sample(disparity, np.zeros_like(gt), 'rooms/empty.png'),
    ]
    metric = DepthMetric(align='least_squares_disparity',
                         pred_space='disparity', metrics=('abs_rel', 'd1'))
    logger = MMLogger.get_current_instance()
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING):
            results = evaluate(metric, samples)
    finally:
        logger.removeHandler(caplog.handler)
    per_image = [
        np_errors(np_aligned(p, gt, m, 'least_squares_disparity',
                             'disparity', 1e-3, 10.0)[m], gt[m])
        for p, m in ((pred, mask), (disparity, np.ones_like(mask)))]
    for name in ('abs_rel', 'd1'):
        expected = np.mean([e[name] for e in per_image])
        assert results[name] == pytest.approx(expected, **APPROX), name
    log = caplog.text
    assert '3 of 5 nyu images skipped' in log
    assert '1 without a valid GT pixel' in log
    assert 'rooms/constant.png, rooms/few.png' in log
    assert 'rooms/masked.png' not in log and 'rooms/plain.png' not in log
    # With min_align_pixels=15 the 15-pixel image is scored.
    results = evaluate(DepthMetric(align='least_squares_disparity',
                                   pred_space='disparity',
                                   min_align_pixels=15), samples[3:4])
    expected = np_aligned(disparity, gt, few, 'least_squares_disparity',
                          'disparity', 1e-3, 10.0)
    assert results['abs_rel'] == pytest.approx(
        np_errors(expected[few], gt[few])['abs_rel'], **APPROX)


def test_bad_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="pred_space='disparity' needs an "
                       'alignment: set DepthMetric.align'):
        DepthMetric(pred_space='disparity')
    with pytest.raises(ValueError, match="pred_space='inverse'"):
        DepthMetric(align='least_squares', pred_space='inverse')
    with pytest.raises(ValueError, match='DepthMetric.min_align_pixels=1'):
        DepthMetric(align='least_squares', min_align_pixels=1)
