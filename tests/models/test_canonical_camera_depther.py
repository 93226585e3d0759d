"""The canonical camera in the depther: labels scaled by fc / f in the loss,
predictions by f / fc, nothing else changed."""
import copy

import pytest
import torch
from mmengine.config import Config

from da2zoe.registry import MODELS
from da2zoe.structures import DepthDataSample
from tests.tiny_depther import VITS_CONFIG


def _models():
    cfg = Config.fromfile(VITS_CONFIG).model
    cfg.backbone.arch = dict(embed_dims=32, num_layers=4, num_heads=2)
    cfg.backbone.out_indices = (0, 1, 2, 3)
    cfg.neck.in_channels = 32
    torch.manual_seed(0)
    plain = MODELS.build(cfg)
    cam_cfg = copy.deepcopy(cfg)
    cam_cfg.camera = dict(canonical_focal=300.0)
    camera = MODELS.build(cam_cfg)
    camera.load_state_dict(plain.state_dict())
    return plain.eval(), camera.eval()


def _samples(focals, gt_scale=None):
    torch.manual_seed(1)
    samples = []
    for focal in focals:
        sample = DepthDataSample()
        depth = torch.rand(1, 28, 28) * 4 + 1
        if gt_scale is not None:
            depth = depth * gt_scale(focal)
        sample.gt_depth = depth
        sample.gt_mask = torch.ones(1, 28, 28, dtype=torch.bool)
        sample.set_metainfo(dict(focal=focal, img_shape=(28, 28),
                                 ori_shape=(28, 28)))
        samples.append(sample)
    return samples


def test_prediction_is_rescaled_by_each_samples_focal():
    plain, camera = _models()
    inputs = torch.randn(2, 3, 28, 28)
    base = plain.predict_depth(inputs)
    scaled = camera.predict_depth(inputs, _samples([600.0, 150.0]))
    assert torch.allclose(scaled[0], base[0] * 2, rtol=1e-6)
    assert torch.allclose(scaled[1], base[1] * 0.5, rtol=1e-6)
    with pytest.raises(ValueError, match='default_focal'):
        camera.predict_depth(inputs)


def test_loss_sees_canonical_labels():
    plain, camera = _models()
    inputs = torch.randn(2, 3, 28, 28)
    focals = [600.0, 150.0]
    with torch.no_grad():
        got = camera.loss(inputs, _samples(focals))
        want = plain.loss(inputs, _samples(focals, lambda f: 300.0 / f))
    assert got.keys() == want.keys()
    for key in got:
        assert torch.allclose(got[key], want[key], rtol=1e-5), key
