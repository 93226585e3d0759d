"""model_panels: layout, shared colour range, labels, error row."""
import numpy as np
import pytest

from da2zoe.visualization import colorize_depth, model_panels
from da2zoe.visualization.colorize import depth_range


def scene(h=48, w=64):
    gt = np.tile(np.linspace(1.0, 5.0, w, dtype=np.float32), (h, 1))
    image = np.full((h, w, 3), 90, np.uint8)
    return image, gt


def test_panels_share_one_range_and_carry_labels():
    image, gt = scene()
    preds = {'good': gt.copy(), 'bad': gt * 1.2}
    out = model_panels(image, preds, gt, colorbar=False)
    h, w = gt.shape
    assert out.shape == (2 * h, 4 * w, 3)
    vmin, vmax = depth_range(gt, gt > 0)
    plain = colorize_depth(gt, vmin, vmax)
    below_title = slice(20, h)
    # "good" equals the GT: same colours as the GT panel, below the titles.
    np.testing.assert_array_equal(out[below_title, 2 * w:3 * w],
                                  plain[below_title])
    np.testing.assert_array_equal(out[below_title, w:2 * w],
                                  plain[below_title])
    # "bad" is drawn in the same range, so its colours differ.
    assert (out[below_title, 3 * w:] != plain[below_title]).any()
    # Titles: the top-left corner of each panel differs from the bare one.
    assert (out[:18, 2 * w:2 * w + 40] != plain[:18, :40]).any()
    # Error row: zero error is black under "good", not under "bad".
    assert (out[h + 20:, 2 * w:3 * w] == out[h + 20, 2 * w]).all()
    assert (out[h + 20:, 3 * w + 5:4 * w - 20] != out[h + 20, 2 * w]).any()


def test_panels_without_gt_and_of_another_size():
    image, gt = scene()
    preds = {'a': gt, 'b': gt[::2, ::2]}  # resized to the first's size
    out = model_panels(image, preds)
    assert out.shape == (48, 3 * 64, 3)
    with pytest.raises(ValueError, match='at least one'):
        model_panels(image, {})
