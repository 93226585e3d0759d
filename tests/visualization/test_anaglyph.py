"""anaglyph_from_depth: red from the left view, shift grows with
nearness, holes filled from the background."""
import numpy as np
import pytest

from da2zoe.visualization.anaglyph import (
    anaglyph_from_depth,
    disparity_from_depth,
    synthesize_right_view,
)


def stripes(h=10, w=100):
    """Two white stripes on black: a near one (1 m) and a far one (4 m)."""
    image = np.zeros((h, w, 3), np.uint8)
    depth = np.full((h, w), 8.0)
    image[:, 30:33] = 255
    depth[:, 30:33] = 1.0
    image[:, 70:73] = 255
    depth[:, 70:73] = 4.0
    return image, depth


def test_red_from_left_view_and_shift_grows_with_nearness():
    image, depth = stripes()
    out = anaglyph_from_depth(image, depth, max_disparity=12,
                              depth_limits=(1.0, 8.0))
    np.testing.assert_array_equal(out[..., 0], image[..., 0])
    row = out[5, :, 1]  # green: the right view
    white = np.flatnonzero(row == 255)
    # Disparity 12 * (1/z - 1/8) / (1 - 1/8): 12 px at 1 m, 1.71 -> 2 at 4 m.
    np.testing.assert_array_equal(white, [18, 19, 20, 68, 69, 70])
    np.testing.assert_array_equal(out[..., 1], out[..., 2])


def test_disparity_linear_in_inverse_depth():
    depth = np.array([[1.0, 2.0, 4.0, 8.0, 16.0, 0.0]])
    disparity = disparity_from_depth(depth, 10.0, (1.0, 8.0))
    expected = 10.0 * (1 / depth[0, :4] - 1 / 8) / (1 - 1 / 8)
    np.testing.assert_allclose(disparity[0, :4], expected, rtol=0, atol=1e-12)
    assert disparity[0, 4] == 0.0 and disparity[0, 5] == 0.0


def test_occlusion_holes_take_the_background_colour():
    h, w = 8, 60
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 2] = 200                     # background: blue, far
    image[:, 20:30] = (250, 10, 10)          # foreground square: red, near
    depth = np.full((h, w), 10.0)
    depth[:, 20:30] = 1.0
    disparity = disparity_from_depth(depth, 6.0, (1.0, 10.0))
    right = synthesize_right_view(image, disparity)
    # The square moved 6 px left and keeps its width (it is in front).
    assert (right[:, 14:24] == (250, 10, 10)).all()
    # Its old right part is disoccluded background, filled with blue.
    assert (right[:, 24:] == (0, 0, 200)).all()
    assert (right[:, :14] == (0, 0, 200)).all()


def test_anaglyph_refuses_other_sizes():
    with pytest.raises(ValueError, match='height and width'):
        anaglyph_from_depth(np.zeros((4, 5, 3), np.uint8), np.ones((5, 4)))
