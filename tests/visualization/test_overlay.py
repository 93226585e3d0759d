"""overlay_depth: the alpha blend, pixel by pixel."""
import numpy as np
import pytest

from da2zoe.visualization import colorize_depth, overlay_depth


def test_overlay_equals_the_blend_formula_and_keeps_holes():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    depth = np.tile(np.linspace(1.0, 6.0, 30), (20, 1)).astype(np.float32)
    depth[3, 4] = 0.0  # invalid: the image shows through untouched
    depth[5, 6] = np.nan
    out = overlay_depth(image, depth, alpha=0.3, vmin=1.0, vmax=6.0)
    colour = colorize_depth(depth, 1.0, 6.0, 'turbo').astype(np.float64)
    expected = np.rint(0.3 * colour + 0.7 * image).astype(np.uint8)
    valid = np.isfinite(depth) & (depth > 0)
    np.testing.assert_array_equal(out[valid], expected[valid])
    np.testing.assert_array_equal(out[~valid], image[~valid])
    # The end points: alpha 0 is the image, alpha 1 the colour picture.
    np.testing.assert_array_equal(
        overlay_depth(image, depth, 0.0, 1.0, 6.0), image)
    full = overlay_depth(image, depth, 1.0, 1.0, 6.0)
    np.testing.assert_array_equal(full[valid], colour[valid])


def test_overlay_refuses_bad_alpha_and_sizes():
    image = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(ValueError, match='alpha'):
        overlay_depth(image, np.ones((4, 5)), alpha=1.5)
    with pytest.raises(ValueError, match='height and width'):
        overlay_depth(image, np.ones((5, 4)))
