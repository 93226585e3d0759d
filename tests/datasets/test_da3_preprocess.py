"""Depth Anything 3's API preprocessing, against the reference's own output
(golden ``da3_preprocess.npz``, section 11 of its README): uint8 image ->
``LongestSideResize`` -> ``PackDepthInputs`` -> ``DepthDataPreprocessor``
gives exactly the stored float32 tensor, and the camera on the network's
grid is the stored processed intrinsics."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

from da2zoe.datasets.bad_sample import BadSampleError
from da2zoe.models.data_preprocessor import DepthDataPreprocessor
from da2zoe.registry import TRANSFORMS
from da2zoe.structures.camera import (
    CanonicalCamera,
    input_focal,
    input_intrinsics,
)

GOLDEN = osp.join(osp.dirname(__file__), '..', 'data', 'golden',
                  'da3_preprocess.npz')
CASES = ('nyu', 'kitti', 'portrait', 'small')


@pytest.fixture(scope='module')
def golden():
    return np.load(GOLDEN, allow_pickle=False)


def _pipeline(process_res: int = 504, resize_gt: bool = False) -> Compose:
    return Compose([
        TRANSFORMS.build(dict(type='LoadRGBFromNDArray')),
        TRANSFORMS.build(
            dict(type='LongestSideResize', process_res=process_res,
                 resize_gt=resize_gt)),
        TRANSFORMS.build(dict(type='PackDepthInputs')),
    ])


def _run(image: np.ndarray, intrinsics: np.ndarray):
    packed = _pipeline()(dict(img=image, intrinsics=intrinsics.tolist()))
    out = DepthDataPreprocessor()(
        dict(inputs=[packed['inputs']],
             data_samples=[packed['data_samples']]))
    return out['inputs'], out['data_samples'][0]


@pytest.mark.parametrize('case', CASES)
def test_pixel_values_are_the_reference_bit_for_bit(golden, case):
    inputs, _ = _run(golden[f'input/{case}/image_uint8_rgb'],
                     golden[f'input/{case}/intrinsics'])
    expected = golden[f'output/{case}/pixel_values_f32']
    assert inputs.dtype == torch.float32
    assert tuple(inputs.shape) == expected.shape
    assert np.array_equal(inputs.numpy(), expected)  # 0 difference


@pytest.mark.parametrize('case', CASES)
def test_processed_intrinsics_are_the_reference(golden, case):
    _, sample = _run(golden[f'input/{case}/image_uint8_rgb'],
                     golden[f'input/{case}/intrinsics'])
    ref = golden[f'output/{case}/intrinsics_f32'][0].astype(np.float64)
    ours = input_intrinsics(sample.metainfo)
    # Focal lengths: the reference's float32 values (its two scalings vs
    # our one differ by float32 rounding only).
    np.testing.assert_allclose(ours[[0, 1], [0, 1]], ref[[0, 1], [0, 1]],
                               rtol=2e-7, atol=0)
    # Principal point: the reference scales c itself (pixel corners at
    # integers); ours keeps pixel centres at integers, c' = (c + .5) s - .5,
    # i.e. exactly 0.5 (s - 1) from the reference's.
    orig = golden[f'input/{case}/intrinsics']
    scale = np.array(sample.metainfo['img_shape'][::-1]) / np.array(
        sample.metainfo['ori_shape'][::-1])
    np.testing.assert_allclose(ours[[0, 1], [2, 2]] - 0.5 * (scale - 1),
                               ref[[0, 1], [2, 2]], rtol=2e-7, atol=1e-5)
    np.testing.assert_allclose(orig[[0, 1], [2, 2]] * scale,
                               ref[[0, 1], [2, 2]], rtol=2e-7)


@pytest.mark.parametrize('case', CASES)
def test_da3_metric_focal_is_mean_of_processed_fx_fy(golden, case):
    _, sample = _run(golden[f'input/{case}/image_uint8_rgb'],
                     golden[f'input/{case}/intrinsics'])
    ref = golden[f'output/{case}/intrinsics_f32'][0].astype(np.float64)
    expected = (ref[0, 0] + ref[1, 1]) / 2
    focal = input_focal(sample.metainfo, rule='mean_fx_fy')
    assert focal == pytest.approx(expected, rel=2e-7)
    camera = CanonicalCamera(canonical_focal=300, focal_rule='mean_fx_fy')
    depth = torch.ones(1, 1, 2, 2, dtype=torch.float64)
    metric = camera.to_metric(depth, [sample])
    assert metric[0, 0, 0, 0].item() == pytest.approx(expected / 300,
                                                      rel=2e-7)


def test_ground_truth_moves_with_the_image():
    image = np.zeros((480, 640, 3), np.uint8)
    depth = np.arange(480 * 640, dtype=np.float32).reshape(480, 640) + 1
    results = dict(img=image, gt_depth=depth, gt_mask=depth > 0,
                   intrinsics=[[500.0, 0, 319.5], [0, 500.0, 239.5],
                               [0, 0, 1]], focal=500.0)
    out = TRANSFORMS.build(dict(type='LongestSideResize'))(results)
    assert out['img'].shape == (378, 504, 3)
    assert out['gt_depth'].shape == out['gt_mask'].shape == (378, 504)
    k = np.array(out['intrinsics'])
    assert k[0, 0] == pytest.approx(500 * 504 / 640)
    assert k[0, 2] == pytest.approx((504 - 1) / 2)
    assert out['focal'] == pytest.approx(500 * 504 / 640)


def test_grey_image_is_repeated_to_rgb():
    grey = np.random.default_rng(0).integers(0, 255, (60, 80), np.uint8)
    resize = TRANSFORMS.build(dict(type='LongestSideResize'))
    out = resize(dict(img=grey))
    rgb = resize(dict(img=np.repeat(grey[..., None], 3, axis=2)))
    assert out['img'].shape == (378, 504, 3)
    assert np.array_equal(out['img'], rgb['img'])


@pytest.mark.parametrize('channels', [2, 4])
def test_other_channel_counts_are_refused_naming_the_file(channels):
    resize = TRANSFORMS.build(dict(type='LongestSideResize'))
    with pytest.raises(BadSampleError, match=r'room\.png.*3 \(RGB\) or 1'):
        resize(dict(img=np.zeros((20, 30, channels), np.uint8),
                    img_path='room.png'))


def test_a_thin_strip_is_refused_before_any_model_work():
    resize = TRANSFORMS.build(dict(type='LongestSideResize'))
    with pytest.raises(BadSampleError,
                       match=r'strip\.png: image 10x2000.*3 px.*>= 1301'):
        resize(dict(img=np.zeros((10, 2000, 3), np.uint8),
                    img_path='strip.png'))
    # ... and the suggested process_res works.
    out = TRANSFORMS.build(dict(type='LongestSideResize', process_res=1301))(
        dict(img=np.zeros((10, 2000, 3), np.uint8)))
    assert out['img'].shape[:2] == (14, 1302)
