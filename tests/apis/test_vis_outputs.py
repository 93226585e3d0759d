"""The --vis pictures: kinds, ground truth reading, files read back."""
import cv2
import numpy as np
import pytest

from da2zoe.apis.vis_outputs import (
    VIS_KINDS,
    VisStyle,
    find_gt,
    load_gt,
    parse_vis,
    save_visuals,
    vis_picture,
)
from da2zoe.datasets.codecs import encode_millimetres, write_raw
from da2zoe.visualization import anaglyph_from_depth, overlay_depth


def test_parse_vis_keeps_order_and_lists_valid_kinds():
    assert parse_vis('anaglyph, overlay,anaglyph') == ['anaglyph', 'overlay']
    with pytest.raises(ValueError) as err:
        parse_vis('overlay,heatmap')
    assert "'heatmap'" in str(err.value)
    assert all(kind in str(err.value) for kind in VIS_KINDS)


def test_ground_truth_png_npy_and_refusals(tmp_path):
    depth = np.linspace(0.5, 4.0, 12, dtype=np.float32).reshape(3, 4)
    png, npy = tmp_path / 'a.png', tmp_path / 'b.npy'
    write_raw(str(png), encode_millimetres(depth))
    np.save(npy, depth)
    np.testing.assert_allclose(load_gt(str(png), (3, 4)), depth, atol=5e-4)
    np.testing.assert_array_equal(load_gt(str(npy), (3, 4)), depth)
    assert find_gt(str(tmp_path), 'b') == str(npy)
    with pytest.raises(ValueError, match="no ground truth c.png or c.npy"):
        find_gt(str(tmp_path), 'c')
    with pytest.raises(ValueError, match=r'a.png: ground truth is 3x4, the '
                       r'image 4x3'):
        load_gt(str(png), (4, 3))
    eight = tmp_path / 'eight.png'
    write_raw(str(eight), np.ones((3, 4), np.uint8))
    with pytest.raises(ValueError, match='eight.png: expected a 16-bit'):
        load_gt(str(eight), (3, 4))
    with pytest.raises(ValueError, match='missing.png'):
        load_gt(str(tmp_path / 'missing.png'), (3, 4))


def test_files_read_back_as_the_pictures(tmp_path):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    depth = np.tile(np.linspace(1.0, 5.0, 60, dtype=np.float32), (40, 1))
    written = save_visuals(str(tmp_path), 'x', depth, image,
                           ['overlay', 'anaglyph', 'error', 'panel'],
                           gt=depth * 1.1)
    assert [p.rsplit('/', 1)[1] for p in written] == [
        'x_overlay.png', 'x_anaglyph.png', 'x_error.png', 'x_panel.png']
    read = [cv2.imread(p)[..., ::-1] for p in written]  # RGB again
    np.testing.assert_array_equal(read[0], overlay_depth(image, depth))
    np.testing.assert_array_equal(read[1], anaglyph_from_depth(image, depth))
    assert read[3].shape == (40, 4 * 60, 3)  # image | GT | pred | error
    with pytest.raises(ValueError, match='needs a ground truth'):
        vis_picture('error', depth, image)


def test_anaglyph_takes_the_style_budget_and_range():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (30, 50, 3), dtype=np.uint8)
    depth = np.tile(np.linspace(1.0, 8.0, 50), (30, 1))
    style = VisStyle(vmin=1.0, vmax=8.0, max_disparity=12.0)
    np.testing.assert_array_equal(
        vis_picture('anaglyph', depth, image, style=style),
        anaglyph_from_depth(image, depth, 12.0, (1.0, 8.0)))
    assert (vis_picture('anaglyph', depth, image, style=style)
            != anaglyph_from_depth(image, depth)).any()
