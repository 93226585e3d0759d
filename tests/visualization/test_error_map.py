"""error_map_picture: zero error, wrong pixels, invalid GT, the scale."""
import numpy as np
import pytest

from da2zoe.visualization import error_map_picture
from da2zoe.visualization.colorize import INVALID_COLOR, colormap_lut


def test_error_colours_zero_wrong_and_invalid():
    gt = np.full((60, 80), 2.0, np.float32)
    pred = gt.copy()
    pred[:, 20:30] = 2.5       # abs rel 0.25 = vmax: the top colour
    pred[:, 30:40] = 2.11      # abs rel 0.055: index 56.1 -> 56
    gt[40:, :10] = 0.0         # no GT
    mask = np.ones_like(gt, bool)
    mask[:10, :10] = False     # untrusted GT
    out = error_map_picture(pred, gt, mask, vmax=0.25)
    lut = colormap_lut('inferno')
    np.testing.assert_array_equal(out[20:40, :10], lut[0][None, None]
                                  .repeat(20, 0).repeat(10, 1))
    assert (out[20:40, 20:30] == lut[255]).all()
    mid = out[20:40, 30:40].reshape(-1, 3)
    assert (mid == mid[0]).all() and not (mid[0] == lut[0]).all()
    np.testing.assert_array_equal(mid[0], lut[56])
    grey = np.array(INVALID_COLOR, np.uint8)
    assert (out[40:, :10] == grey).all() and (out[:10, :10] == grey).all()
    assert not (lut == grey).all(1).any()  # grey reads as "no GT" only


def test_error_scale_drawn_at_the_right_edge():
    gt = np.full((60, 80), 2.0, np.float32)
    bare = error_map_picture(gt, gt, colorbar=False)
    drawn = error_map_picture(gt, gt)
    changed = np.any(drawn != bare, axis=2)
    assert changed[:, 60:].any() and not changed[:, :40].any()
    bar = drawn[:, 68]  # the ramp: columns 66-71 for an 80-wide map
    lut = colormap_lut('inferno')
    assert (bar == lut[255]).all(1).any() and (bar == lut[0]).all(1).any()


def test_error_map_refuses_other_sizes():
    with pytest.raises(ValueError, match='same size'):
        error_map_picture(np.ones((4, 5)), np.ones((5, 4)))
