import logging

import numpy as np
import pytest
import torch

from da2zoe.structures import DepthDataSample
from da2zoe.structures.camera import (
    CanonicalCamera,
    input_focal,
    intrinsics_from_hfov,
    parse_intrinsics,
)

K = [[500.0, 0, 300.0], [0, 510.0, 200.0], [0, 0, 1]]


@pytest.mark.parametrize('value', [
    K, np.array(K), sum(K, []), (500.0, 510.0, 300.0, 200.0),
    dict(fx=500.0, fy=510.0, cx=300.0, cy=200.0)
])
def test_every_spelling_gives_the_same_matrix(value):
    assert np.array_equal(parse_intrinsics(value, (401, 601)), np.array(K))


def test_focal_alone_centres_the_principal_point():
    k = parse_intrinsics(250.0, (100, 200))
    assert k.tolist() == [[250, 0, 99.5], [0, 250, 49.5], [0, 0, 1]]
    assert parse_intrinsics(dict(fx=250.0), (100, 200)).tolist() == k.tolist()


@pytest.mark.parametrize('value,match', [
    ((1.0, 2.0), '2 numbers'), (-5.0, 'must be finite and > 0'),
    (dict(f=1.0), 'expected keys'), ('abc', 'not numbers')
])
def test_bad_cameras_name_their_source(value, match):
    with pytest.raises(ValueError, match=f'cam.json.*{match}'):
        parse_intrinsics(value, (10, 10), 'cam.json')


def test_hfov_90_degrees_is_half_the_width():
    fx, fy, cx, cy = intrinsics_from_hfov(90.0, 100, 200)
    assert fx == pytest.approx(100.0) and fy == fx and (cx, cy) == (99.5,
                                                                   49.5)


def test_input_focal_follows_the_grid_rule():
    # Evaluation: intrinsics on the native GT grid, image resized to half.
    meta = dict(focal=500.0, img_shape=(240, 320), ori_shape=(480, 640))
    assert input_focal(meta, (480, 640)) == pytest.approx(250.0)
    # No dense GT (inference): the original image is the grid.
    assert input_focal(meta) == pytest.approx(250.0)
    assert input_focal(dict(intrinsics=K, img_shape=(10, 10),
                            ori_shape=(10, 10))) == 500.0
    assert input_focal(dict(img_shape=(10, 10))) is None


def _sample(focal=None):
    sample = DepthDataSample()
    sample.set_metainfo(dict(focal=focal, img_shape=(8, 8), ori_shape=(8, 8),
                             img_path='a.jpg'))
    return sample


def test_canonical_round_trip_and_scale():
    camera = CanonicalCamera(canonical_focal=300.0)
    depth = torch.rand(2, 1, 8, 8, dtype=torch.float64) + 0.5
    samples = [_sample(600.0), _sample(150.0)]
    metric = camera.to_metric(depth, samples)
    assert torch.equal(metric[0], depth[0] * 2) and torch.equal(
        metric[1], depth[1] * 0.5)
    assert torch.allclose(camera.to_canonical(metric, samples), depth,
                          rtol=0, atol=1e-15)


def test_missing_focal_is_an_error_or_a_logged_default(caplog):
    with pytest.raises(ValueError, match='a.jpg: no focal length'):
        CanonicalCamera(300.0).focal_of(_sample())
    camera = CanonicalCamera(300.0, default_focal=150.0)
    with caplog.at_level(logging.WARNING):
        assert camera.focal_of(_sample()) == 150.0
        camera.focal_of(_sample())
    assert camera.num_defaulted == 2
    with pytest.raises(ValueError, match='canonical_focal'):
        CanonicalCamera(0.0)
