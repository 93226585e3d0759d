"""Temporal smoothing lowers flicker without smearing motion or drifting."""
import numpy as np
import pytest

from da2zoe.apis.temporal import TemporalSmoother
from da2zoe.evaluation.temporal import temporal_flicker
from da2zoe.testing.synthetic_sequence import render_sequence


@pytest.fixture(scope='module')
def walk():
    return render_sequence(1, 0, (56, 75), num_frames=16, forward_step=0.03)


def _abs_rel(depths, gts):
    return float(np.mean([np.mean(np.abs(d - g) / g)
                          for d, g in zip(depths, gts)]))


def _smooth(smoother, depths, images):
    return [smoother(d, i) for d, i in zip(depths, images)]


def test_smoothing_lowers_flicker_of_jittered_predictions(walk):
    rng = np.random.default_rng(0)
    # Per-frame global scale jitter and per-pixel jitter, 5 % each.
    noisy = [g * np.exp(rng.normal(0, 0.05) + rng.normal(0, 0.05, g.shape))
             for g in walk.depth]
    raw = temporal_flicker(noisy, walk.rgb, walk.depth)
    out = _smooth(TemporalSmoother(0.5), noisy, walk.rgb)
    smoothed = temporal_flicker(out, walk.rgb, walk.depth)
    assert smoothed['flicker'] < 0.6 * raw['flicker']
    assert smoothed['flicker_gt'] < 0.6 * raw['flicker_gt']
    # The margin of the README: abs_rel may grow by at most 0.005.
    assert _abs_rel(out, walk.depth) < _abs_rel(noisy, walk.depth) + 0.005


def test_exact_predictions_follow_the_moving_camera(walk):
    """The global scale is averaged, not locked: no drift over the walk."""
    out = _smooth(TemporalSmoother(0.5), walk.depth, walk.rgb)
    errors = [np.mean(np.abs(d - g) / g) for d, g in zip(out, walk.depth)]
    assert errors[0] == 0 and max(errors) < 0.02
    assert errors[-1] < 1.5 * np.mean(errors[4:8])  # bounded lag, no drift
    locked = _smooth(TemporalSmoother(0.5, align='scale_shift'), walk.depth,
                     walk.rgb)
    assert np.mean(np.abs(locked[-1] - walk.depth[-1]) /
                   walk.depth[-1]) > 2 * errors[-1]


def test_changed_pixels_take_the_new_prediction():
    rng = np.random.default_rng(1)
    image = np.repeat(rng.integers(40, 160, (24, 32, 1), np.uint8), 3, 2)
    moved = image.copy()
    moved[:, 20:] += 90  # an object entered the right part
    depth = rng.uniform(2, 4, (24, 32)).astype(np.float32)
    new = depth.copy()
    new[:, 20:] = 1.0
    smoother = TemporalSmoother(0.8, align='none')
    smoother(depth, image)
    out = smoother(new * 1.1, moved)
    np.testing.assert_allclose(out[:, 22:], 1.1, rtol=1e-6)  # no smear
    np.testing.assert_allclose(out[:, :18], (0.8 + 0.2 * 1.1) * depth[:, :18],
                               rtol=1e-6)


def test_relative_depth_keeps_the_first_frames_affine_frame():
    rng = np.random.default_rng(2)
    image = np.repeat(rng.integers(40, 160, (24, 32, 1), np.uint8), 3, 2)
    depth = rng.uniform(1, 3, (24, 32))
    smoother = TemporalSmoother(0.6, align='scale_shift')
    for scale, shift in [(1.0, 0.0), (3.0, 2.0), (0.5, -0.2), (2.0, 1.0)]:
        out = smoother(scale * depth + shift, image)
        np.testing.assert_allclose(out, depth, rtol=1e-5)


def test_off_reset_and_bad_arguments():
    depth = np.full((8, 8), 2.0, np.float32)
    image = np.zeros((8, 8, 3), np.uint8)
    off = TemporalSmoother(0.0)
    assert off(depth, image) is depth
    smoother = TemporalSmoother(0.9, align='none')
    smoother(depth, image)
    assert smoother(depth * 2, image)[0, 0] == pytest.approx(2.2)
    # A frame of another size restarts the history.
    other = np.full((4, 4), 5.0, np.float32)
    np.testing.assert_array_equal(
        smoother(other, np.zeros((4, 4, 3), np.uint8)), other)
    for bad in (dict(strength=1.0), dict(strength=-0.1),
                dict(strength=0.5, align='affine'),
                dict(strength=0.5, change_threshold=0)):
        with pytest.raises(ValueError):
            TemporalSmoother(**bad)
