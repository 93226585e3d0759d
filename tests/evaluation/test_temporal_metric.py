"""The flow-free flicker metrics against hand-computed values."""
import numpy as np
import pytest

from da2zoe.evaluation.temporal import (
    fit_alignment,
    gray_level,
    temporal_flicker,
)

RNG = np.random.default_rng(0)
IMAGE = np.repeat(RNG.integers(40, 160, (20, 30, 1), dtype=np.uint8), 3, 2)
DEPTH = RNG.uniform(1.0, 5.0, (20, 30))


def test_stable_prediction_has_zero_flicker():
    result = temporal_flicker([DEPTH] * 4, [IMAGE] * 4, [DEPTH] * 4)
    assert result['flicker'] == 0
    assert result['flicker_gt'] == pytest.approx(0, abs=1e-15)
    assert result['num_pairs'] == 3 and result['static_fraction'] == 1


def test_global_jitter_on_a_static_scene_is_measured_exactly():
    factors = np.exp([0.0, 0.1, -0.05, 0.02])
    depths = [DEPTH * f for f in factors]
    # Unaligned: |D_t - D_{t-1}| / D_{t-1} = |f_t / f_{t-1} - 1| everywhere.
    expected = np.mean(np.abs(factors[1:] / factors[:-1] - 1))
    none = temporal_flicker(depths, [IMAGE] * 4, align='none')
    assert none['flicker'] == pytest.approx(expected, rel=1e-12)
    # The median scale removes a global factor; flicker_gt does not.
    result = temporal_flicker(depths, [IMAGE] * 4, [DEPTH] * 4)
    assert result['flicker'] == pytest.approx(0, abs=1e-12)
    assert result['flicker_gt'] == pytest.approx(expected, rel=1e-12)


def test_true_depth_change_is_not_flicker_with_ground_truth():
    gts = [DEPTH * (1 - 0.02 * t) + 0.1 * t for t in range(4)]
    result = temporal_flicker(gts, [IMAGE] * 4, gts, align='none')
    assert result['flicker'] > 0.01  # real motion, seen without the GT
    assert result['flicker_gt'] == pytest.approx(0, abs=1e-12)


def test_pixels_whose_image_changed_are_left_out():
    image2 = IMAGE.copy()
    image2[:, :10] += 80  # the left third changes
    depth2 = DEPTH.copy()
    depth2[:, :8] *= 3  # inside the changed part (away from its blurred edge)
    result = temporal_flicker([DEPTH, depth2], [IMAGE, image2], align='none')
    assert result['flicker'] == pytest.approx(0, abs=1e-12)
    assert result['static_fraction'] < 0.8
    changed = gray_level(image2) - gray_level(IMAGE)
    assert (np.abs(changed[:, :8]) > 0.04).mean() > 0.9


def test_scale_shift_alignment_for_relative_depth():
    depth2 = 2.0 * DEPTH + 0.5
    scale, shift = fit_alignment(depth2, DEPTH, np.ones_like(DEPTH, bool),
                                 'scale_shift')
    assert (scale, shift) == (pytest.approx(0.5), pytest.approx(-0.25))
    pair = [DEPTH, depth2]
    assert temporal_flicker(pair, [IMAGE] * 2,
                            align='scale_shift')['flicker'] < 1e-12
    assert temporal_flicker(pair, [IMAGE] * 2, align='scale')['flicker'] > 0.01


def test_bad_input_names_the_frame():
    with pytest.raises(ValueError, match='frame 1'):
        temporal_flicker([DEPTH, DEPTH[:10]], [IMAGE] * 2)
    with pytest.raises(ValueError, match='3 depth maps for 2 images'):
        temporal_flicker([DEPTH] * 3, [IMAGE] * 2)
    with pytest.raises(ValueError, match='align'):
        temporal_flicker([DEPTH] * 2, [IMAGE] * 2, align='affine')


def test_a_cut_is_skipped_not_counted():
    result = temporal_flicker([DEPTH, DEPTH * 2], [IMAGE, 255 - IMAGE])
    assert result['skipped_pairs'] == 1 and result['num_pairs'] == 0
    assert np.isnan(result['flicker'])
