"""iBims-1 geometric errors on synthetic scenes with known answers."""
import math

import numpy as np
import pytest
import torch

from da2zoe.evaluation.ibims_functional import (
    camera_intrinsics,
    depth_boundary_errors,
    depth_edges,
    directed_depth_errors,
    normalise_depth,
    planarity_errors,
)
from da2zoe.evaluation.metrics import IBimsMetric
from da2zoe.evaluation.metrics.ibims_metric import split_planes
from da2zoe.structures import DepthDataSample

HEIGHT, WIDTH = 48, 64
K = np.array([[60.0, 0, 31.5], [0, 60.0, 23.5], [0, 0, 1]])


def _step(column, near=2.0, far=4.0):
    depth = np.full((HEIGHT, WIDTH), far)
    depth[:, :column] = near
    return depth


def _edges(depth):
    return depth_edges(normalise_depth(depth))


def _tilted_plane(angle_deg, distance=3.0):
    """Depth of the plane through (0, 0, distance) with normal
    (0, sin a, cos a), i.e. a fronto-parallel wall tilted about the x axis."""
    a = math.radians(angle_deg)
    rows = np.arange(HEIGHT)[:, None].repeat(WIDTH, 1)
    return distance * math.cos(a) / (
        math.sin(a) * (rows - K[1, 2]) / K[1, 1] + math.cos(a))


def test_edges_of_a_step_lie_on_the_step():
    edges = _edges(_step(30))
    columns = np.nonzero(edges.any(axis=0))[0]
    assert len(columns) == 1 and columns[0] in (29, 30)
    assert edges.sum() == HEIGHT


@pytest.mark.parametrize('shift', [0, 3])
def test_boundary_errors_equal_the_edge_shift(shift):
    gt_edges = _edges(_step(30))
    acc, comp = depth_boundary_errors(_edges(_step(30 + shift)), gt_edges)
    assert acc == pytest.approx(shift) and comp == pytest.approx(shift)


def test_boundary_errors_far_or_missing_edges():
    gt_edges = _edges(_step(10))
    assert depth_boundary_errors(_edges(_step(40)), gt_edges) == (10.0, 10.0)
    flat = np.full((HEIGHT, WIDTH), 3.0)
    assert depth_boundary_errors(_edges(flat), gt_edges) == (10.0, 10.0)
    assert depth_boundary_errors(gt_edges, np.zeros_like(gt_edges)) is None


def test_normalise_depth_fills_holes_without_edges():
    depth = np.full((HEIGHT, WIDTH), 3.0)
    depth[:, 40:] = 5.0
    holed = depth.copy()
    holed[10:20, 5:15] = 0
    holed[30, 30] = np.nan
    np.testing.assert_array_equal(_edges(holed), _edges(depth))


def test_directed_depth_errors():
    gt = _step(32).ravel()  # left half 2 m (near), right half 4 m (far)
    assert directed_depth_errors(gt, gt, 3.0) == (1.0, 0.0, 0.0)
    assert directed_depth_errors(np.full_like(gt, 4.0), gt, 3.0) == (
        0.5, 0.0, 0.5)
    assert directed_depth_errors(np.full_like(gt, 1.0), gt, 3.0) == (
        0.5, 0.5, 0.0)


@pytest.mark.parametrize('angle', [0.0, 10.0, 25.0])
def test_planarity_errors_of_tilted_planes(angle):
    gt = _tilted_plane(0.0)
    mask = np.ones_like(gt, dtype=bool)
    flat, orie = planarity_errors(_tilted_plane(angle) * 1.7, gt, mask, K)
    assert flat == pytest.approx(0, abs=1e-9)
    assert orie == pytest.approx(angle, abs=1e-9)
    # the same with the GT normal given (camera frame: z forward)
    _, orie = planarity_errors(
        _tilted_plane(angle), gt, mask, K, gt_normal=np.array([0, 0, 1.0]))
    assert orie == pytest.approx(angle, abs=1e-9)


def test_planarity_flatness_of_a_bumpy_plane():
    gt = _tilted_plane(0.0, distance=2.0)
    pred = gt.copy()
    pred[::2] += 0.01  # alternate rows 1 cm closer / further
    flat, _ = planarity_errors(pred, gt, np.ones_like(gt, bool), K)
    assert flat == pytest.approx(0.5, rel=0.05)


def test_matlab_calib_layout_is_recognised():
    calib = np.array([[60.0, 0, 0], [0, 60.0, 0], [32.5, 24.5, 1]])
    assert camera_intrinsics(calib) == (60.0, 60.0, 31.5, 23.5)
    assert camera_intrinsics(K) == (60.0, 60.0, 31.5, 23.5)


def test_split_planes_uses_labels_and_params():
    labels = np.zeros((HEIGHT, WIDTH), np.uint8)
    labels[:, :20], labels[:, 30:] = 1, 2
    params = np.zeros((2, 7))
    params[:, 5] = 1.0  # Y forward in the iBims frame
    planes = list(split_planes({'wall': dict(mask=labels, params=params)}))
    assert len(planes) == 2 and planes[1][0].sum() == HEIGHT * 34
    np.testing.assert_allclose(planes[0][1], [0, 0, 1])
    merged = {'wall': dict(mask=labels > 0, params=params)}
    assert list(split_planes(merged)) == []
    assert len(list(split_planes([labels > 0]))) == 1


def _ibims_sample(pred, gt, **extras):
    sample = DepthDataSample(metainfo=dict(intrinsics=K, **extras))
    sample.pred_depth = torch.as_tensor(pred, dtype=torch.float32)[None]
    sample.gt_depth = torch.as_tensor(gt, dtype=torch.float32)[None]
    return sample


def test_ibims_metric_perfect_and_tilted_predictions():
    gt = _tilted_plane(0.0)
    gt[:, :20] = 2.0  # a near box in front of the 3 m wall
    wall = np.zeros_like(gt, dtype=np.uint8)
    wall[:, 24:] = 1
    extras = dict(ibims_edges=_edges(gt), ibims_planes={'wall': wall})
    tilted = gt.copy()
    tilted[:, 24:] = _tilted_plane(10.0)[:, 24:]
    metric = IBimsMetric()
    metric.process(None, [_ibims_sample(gt, gt, **extras),
                          _ibims_sample(tilted, gt, **extras).to_dict()])
    first, second = metric.results
    assert first['dbe_acc'] == first['dbe_comp'] == 0
    assert (first['dde_0'], first['dde_m'], first['dde_p']) == (1, 0, 0)
    assert first['pe_plan'][0] == pytest.approx(0, abs=1e-4)  # float32 depth
    assert first['pe_orie'][0] == pytest.approx(0, abs=1e-2)
    assert second['pe_orie'][0] == pytest.approx(10, abs=1e-2)
    results = metric.compute_metrics(metric.results)
    assert results['pe_orie'] == pytest.approx(5, abs=1e-2)
    assert set(results) == {
        'dbe_acc', 'dbe_comp', 'dde_0', 'dde_m', 'dde_p', 'pe_plan', 'pe_orie'
    }


def test_ibims_metric_without_extras_or_valid_pixels():
    gt = np.zeros((HEIGHT, WIDTH))
    metric = IBimsMetric()
    metric.process(None, [_ibims_sample(gt + 1, gt)])
    assert metric.results == [{}]
    assert metric.compute_metrics(metric.results) == {}
