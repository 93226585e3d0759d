"""DPTRelativeHead: a DA-V2 relative checkpoint predicts its disparity.

Golden ``da2_relative_tiny.npz`` (the reference relative DepthAnythingV2,
ReLU output) loaded by layout detection into a whole MetricDepther.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.checkpoint import load_pretrained
from da2zoe.registry import MODELS
from da2zoe.structures import DepthDataSample

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden'


def relative_depther(activation: str = 'relu'):
    return MODELS.build(
        dict(
            type='MetricDepther',
            backbone=dict(
                type='DINOv2',
                arch=dict(embed_dims=64, num_layers=4, num_heads=2,
                          feature_blocks=(0, 1, 2, 3))),
            neck=dict(type='DPTNeck', in_channels=64, features=16,
                      out_channels=(8, 16, 32, 64),
                      head_activation=activation),
            head=dict(type='DPTRelativeHead')))


@pytest.fixture(scope='module')
def golden() -> dict:
    with np.load(GOLDEN / 'da2_relative_tiny.npz') as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


@pytest.fixture(scope='module')
def model(golden):
    params = {k[len('param/'):]: v for k, v in golden.items()
              if k.startswith('param/')}
    model = relative_depther().double().eval()
    result = load_pretrained(model, params, strict=True)
    assert result.layout == 'depth_anything_v2'
    return model


@torch.no_grad()
def test_da2_relative_checkpoint_parity(golden, model):
    assert not list(model.head.parameters())
    disparity = model(golden['input/x'], mode='tensor')
    assert disparity.shape == (2, 1, 140, 196)
    torch.testing.assert_close(disparity.squeeze(1), golden['output/depth'],
                               atol=1e-10, rtol=1e-10)
    # Relative: no metric clamp above, the ReLU's zeros kept.
    assert (model.min_depth, model.max_depth) == (0.0, float('inf'))
    assert (disparity == 0).float().mean().item() == pytest.approx(
        0.05, abs=0.01)


@torch.no_grad()
def test_predict_writes_the_disparity_on_the_gt_grid(golden, model):
    x = golden['input/x'][:1]
    sample = DepthDataSample(metainfo=dict(img_shape=(140, 196)))
    sample.gt_depth = torch.ones(1, 70, 98, dtype=torch.float64)
    out = model.predict(x, [sample])[0].pred_depth
    assert out.shape == (1, 70, 98)
    expected = torch.nn.functional.interpolate(
        golden['output/depth'][:1, None], size=(70, 98), mode='bilinear',
        align_corners=True)[0]
    torch.testing.assert_close(out, expected, atol=1e-10, rtol=1e-10)


def test_a_metric_neck_is_refused():
    with pytest.raises(ValueError, match="head_activation='relu'"):
        relative_depther(activation='sigmoid')(torch.randn(1, 3, 28, 42))
