"""Depth colouring, panels and DepthVisualizer."""
import os

import cv2
import numpy as np
import pytest
import torch

from da2zoe.registry import VISUALIZERS
from da2zoe.structures import DepthDataSample
from da2zoe.visualization import (
    abs_rel_error_map,
    colorize_depth,
    colorize_error,
    draw_colorbar,
    make_depth_panels,
)
from da2zoe.visualization.colorize import INVALID_COLOR, colormap_lut

GREY = np.array(INVALID_COLOR, np.uint8)


def ramp(h=40, w=60):
    return np.tile(np.linspace(1.0, 5.0, w, dtype=np.float32), (h, 1))


def sample(h=40, w=60):
    data = DepthDataSample(metainfo=dict(img_path=f'/data/room_{w}.jpg'))
    gt = torch.from_numpy(ramp(h, w))[None]
    data.gt_depth = gt
    mask = torch.ones_like(gt, dtype=torch.bool)
    mask[:, 30:, :10] = False  # away from the panel titles
    data.gt_mask = mask
    data.pred_depth = gt * 1.1
    return data


def test_colorize_depth_range_and_invalid_pixels():
    depth = ramp()
    depth[0, 0], depth[0, 1], depth[0, 2] = np.nan, 0.0, np.inf
    mask = np.zeros(depth.shape, bool)
    mask[5, 5] = True
    rgb = colorize_depth(depth, 1.0, 5.0, 'viridis', invalid_mask=mask)
    assert rgb.shape == (40, 60, 3) and rgb.dtype == np.uint8
    lut = colormap_lut('viridis')
    np.testing.assert_array_equal(rgb[1, 0], lut[0])
    np.testing.assert_array_equal(rgb[1, -1], lut[255])
    for r, c in [(0, 0), (0, 1), (0, 2), (5, 5)]:
        np.testing.assert_array_equal(rgb[r, c], GREY)
    # Automatic range: percentiles, so the extremes saturate.
    auto = colorize_depth(ramp())
    np.testing.assert_array_equal(auto[0, 0], colormap_lut('turbo')[0])
    with pytest.raises(ValueError, match='colormap'):
        colorize_depth(ramp(), cmap='no_such_map')


def test_abs_rel_error_map_and_colours():
    gt = np.array([[1.0, 2.0], [0.0, 4.0]], np.float32)
    pred = np.array([[1.5, 2.0], [3.0, 3.0]], np.float32)
    mask = np.array([[True, True], [True, False]])
    error = abs_rel_error_map(pred, gt, mask)
    np.testing.assert_allclose(error[0], [0.5, 0.0])
    assert np.isnan(error[1]).all()
    colours = colorize_error(error, vmax=0.5, cmap='magma')
    np.testing.assert_array_equal(colours[0, 0], colormap_lut('magma')[255])
    np.testing.assert_array_equal(colours[0, 1], colormap_lut('magma')[0])
    np.testing.assert_array_equal(colours[1, 0], GREY)


def test_colorbar_keeps_size_and_skips_tiny_pictures():
    picture = np.zeros((120, 160, 3), np.uint8)
    barred = draw_colorbar(picture, 0.5, 4.0)
    assert barred.shape == picture.shape and barred[:, 120:].any()
    assert not barred[:, :80].any()
    tiny = np.zeros((20, 30, 3), np.uint8)
    np.testing.assert_array_equal(draw_colorbar(tiny, 0, 1), tiny)


def test_panels_grey_out_masked_ground_truth():
    data = sample()
    image = np.full((3, 40, 60), 90, np.uint8)
    panels = make_depth_panels(torch.from_numpy(image), data.pred_depth,
                               data.gt_depth, data.gt_mask)
    assert panels.shape == (40, 4 * 60, 3)
    gt_panel, error_panel = panels[:, 60:120], panels[:, 180:]
    np.testing.assert_array_equal(gt_panel[35, 5], GREY)
    np.testing.assert_array_equal(error_panel[35, 5], GREY)
    assert (gt_panel[20:, 20] != GREY).any()
    only_pred = make_depth_panels(image, pred_depth=data.pred_depth)
    assert only_pred.shape == (40, 120, 3)


def test_every_depth_and_error_panel_has_its_colour_bar():
    h, w = 96, 128
    gt = torch.from_numpy(ramp(h, w))[None]
    image = np.full((h, w, 3), 90, np.uint8)
    args = (image, gt * 1.2, gt)
    panels = make_depth_panels(*args)
    bare = make_depth_panels(*args, colorbar=False)
    bar_x = w - 14 + 2  # a column inside draw_colorbar's bar
    for index, cmap in ((1, 'turbo'), (2, 'turbo'), (3, 'inferno')):
        column = panels[:, index * w + bar_x]
        lut = colormap_lut(cmap)
        for end in (lut[255], lut[0]):  # the ramp's top and bottom colours
            assert (column == end).all(axis=-1).any(), (index, cmap)
        assert not np.array_equal(panels[:, index * w:(index + 1) * w],
                                  bare[:, index * w:(index + 1) * w])
    np.testing.assert_array_equal(panels[:, :w], bare[:, :w])  # the image


def test_depth_visualizer_writes_to_backends(tmp_path):
    visualizer = VISUALIZERS.build(
        dict(type='DepthVisualizer', name='vis_backends_test',
             vis_backends=[dict(type='LocalVisBackend'),
                           dict(type='TensorboardVisBackend')],
             save_dir=str(tmp_path)))
    image = np.full((40, 60, 3), 200, np.uint8)
    visualizer.add_datasample('val_depth', image, sample(), step=3)
    written = cv2.imread(
        str(tmp_path / 'vis_data' / 'vis_image' / 'val_depth_3.png'))
    assert written.shape == (40, 240, 3)
    events = [f for f in os.listdir(tmp_path / 'vis_data')
              if f.startswith('events')]
    assert events
    out_file = tmp_path / 'panels' / 'one.png'
    visualizer.add_datasample('x', image, sample(), draw_gt=False,
                              out_file=str(out_file))
    assert cv2.imread(str(out_file)).shape == (40, 120, 3)
