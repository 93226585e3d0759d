"""A DA3-shaped depther's predictions: metric scaling by the canonical
camera with (fx + fy) / 2 on the network's grid, the sky score as
``pred_sky``, both at the image's own size."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.transforms import Compose

from da2zoe.registry import MODELS, TRANSFORMS
from da2zoe.structures.camera import CanonicalCamera, input_intrinsics
from da2zoe.testing.da3_snapshot import build_tiny_da3

K = [[90.0, 0.0, 39.5], [0.0, 110.0, 29.5], [0.0, 0.0, 1.0]]


def _batch(process_res: int = 84):
    image = np.random.default_rng(0).integers(0, 255, (60, 80, 3), np.uint8)
    pipeline = Compose([
        TRANSFORMS.build(dict(type='LoadRGBFromNDArray')),
        TRANSFORMS.build(dict(type='LongestSideResize',
                              process_res=process_res, resize_gt=False)),
        TRANSFORMS.build(dict(type='PackDepthInputs')),
    ])
    packed = pipeline(dict(img=image, intrinsics=K))
    return dict(inputs=[packed['inputs']],
                data_samples=[packed['data_samples']])


@pytest.fixture(scope='module')
def model():
    depther = build_tiny_da3(seed=1).eval()
    depther.camera = CanonicalCamera(300.0, focal_rule='mean_fx_fy')
    return depther


def test_metric_depth_is_head_depth_times_mean_focal_over_300(model):
    model.test_cfg = dict(sky=True)
    sample = model.test_step(_batch())[0]
    assert sample.metainfo['img_shape'] == (70, 84)  # 63 -> 70: tie up
    k = input_intrinsics(sample.metainfo)
    focal = (k[0, 0] + k[1, 1]) / 2
    assert focal == pytest.approx((90 * 84 / 80 + 110 * 70 / 60) / 2)
    with torch.no_grad():
        data = model.data_preprocessor(_batch())
        out = model._forward_outputs(data['inputs'])
    expected = F.interpolate(out['metric_depth'] * focal / 300, (60, 80),
                             mode='bilinear', align_corners=True)[0]
    torch.testing.assert_close(sample.pred_depth, expected, rtol=1e-6,
                               atol=0)
    sky = F.interpolate(out['sky'], (60, 80), mode='bilinear',
                        align_corners=True)[0]
    assert sample.pred_sky.shape == (1, 60, 80)
    torch.testing.assert_close(sample.pred_sky, sky)


def test_sky_is_only_stored_when_asked_and_flips_with_the_depth(model):
    model.test_cfg = dict(sky=False)
    assert model.test_step(_batch())[0].pred_sky is None
    model.test_cfg = dict(sky=True, flip=True)
    flipped = model.test_step(_batch())[0]
    model.test_cfg = dict(sky=True)
    plain = model.test_step(_batch())[0]
    assert not torch.equal(flipped.pred_sky, plain.pred_sky)
    assert torch.isfinite(flipped.pred_sky).all()
    assert (flipped.pred_depth > 0).all()


def test_no_intrinsics_uses_the_logged_default_hfov(model, caplog):
    camera = CanonicalCamera(300.0, focal_rule='mean_fx_fy',
                             default_hfov=60.0)
    model.camera = camera
    batch = _batch()
    batch['data_samples'][0].set_metainfo(dict(intrinsics=None, focal=None))
    model.test_cfg = dict()
    depth = model.test_step(batch)[0].pred_depth
    assert camera.num_defaulted == 1
    focal = 0.5 * 84 / np.tan(np.radians(30))
    model.camera = CanonicalCamera(300.0, default_focal=focal)
    batch = _batch()
    batch['data_samples'][0].set_metainfo(dict(intrinsics=None, focal=None))
    torch.testing.assert_close(model.test_step(batch)[0].pred_depth, depth)
    with pytest.raises(ValueError, match='default_hfov'):
        CanonicalCamera(300.0, default_focal=100.0, default_hfov=60.0)


def test_training_labels_are_scaled_by_300_over_the_mean_focal():
    model = build_tiny_da3(seed=2)
    model.camera = CanonicalCamera(300.0, focal_rule='mean_fx_fy')
    model.losses = torch.nn.ModuleList(
        [MODELS.build(dict(type='SILogLoss', loss_weight=1.0))])
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (60, 80, 3), np.uint8)
    depth = rng.uniform(1, 5, (60, 80)).astype(np.float32)
    pipeline = Compose([
        TRANSFORMS.build(dict(type='LongestSideResize', process_res=84)),
        TRANSFORMS.build(dict(type='PackDepthInputs')),
    ])
    packed = pipeline(dict(img=image, gt_depth=depth, gt_mask=depth > 0,
                           intrinsics=K, min_depth=1e-3, max_depth=10.0))
    sample = packed['data_samples']
    k = np.array(sample.metainfo['intrinsics'])  # moved with the resize
    assert k[0, 0] == pytest.approx(90 * 84 / 80)
    focal = (k[0, 0] + k[1, 1]) / 2
    data = model.data_preprocessor(dict(inputs=[packed['inputs']],
                                        data_samples=[sample]))
    model.train()
    torch.manual_seed(0)
    loss = model.loss(data['inputs'], data['data_samples'])['loss_silog']
    pred = model._forward(data['inputs'])
    gt = sample.gt_depth[None] * 300 / focal
    expected = model.losses[0](pred, gt, sample.gt_mask[None])
    torch.testing.assert_close(loss, expected)
