"""DPTMetricHead: a DA-V2 metric checkpoint predicts at float64 parity.

Golden ``da2_metric_tiny.npz`` (the reference metric DepthAnythingV2,
max_depth 20) loaded by layout detection into a whole MetricDepther.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.checkpoint import load_pretrained
from da2zoe.registry import MODELS

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden'


def metric_depther(neck_max_depth: float = 20.0,
                   head_max_depth: float = 20.0,
                   activation: str = 'sigmoid'):
    return MODELS.build(
        dict(
            type='MetricDepther',
            backbone=dict(
                type='DINOv2',
                arch=dict(embed_dims=64, num_layers=4, num_heads=2,
                          feature_blocks=(0, 1, 2, 3))),
            neck=dict(type='DPTNeck', in_channels=64, features=16,
                      out_channels=(8, 16, 32, 64),
                      head_activation=activation, max_depth=neck_max_depth),
            head=dict(type='DPTMetricHead', max_depth=head_max_depth)))


@torch.no_grad()
def test_da2_metric_checkpoint_parity():
    with np.load(GOLDEN / 'da2_metric_tiny.npz') as data:
        golden = {k: torch.from_numpy(data[k]) for k in data.files}
    params = {k[len('param/'):]: v for k, v in golden.items()
              if k.startswith('param/')}
    model = metric_depther().double().eval()
    result = load_pretrained(model, params, strict=True)
    assert result.layout == 'depth_anything_v2'
    assert not list(model.head.parameters())
    depth = model(golden['input/x'], mode='tensor')
    assert depth.shape == (2, 1, 140, 196)
    torch.testing.assert_close(depth.squeeze(1), golden['output/depth'],
                               atol=1e-10, rtol=1e-10)
    assert (model.min_depth, model.max_depth) == (1e-3, 20.0)


def test_mismatched_scale_or_relative_neck_is_an_error():
    x = torch.randn(1, 3, 28, 42)
    with pytest.raises(ValueError, match='model.neck.max_depth=80.0'):
        metric_depther(neck_max_depth=80.0)(x)
    with pytest.raises(ValueError, match="head_activation='sigmoid'"):
        metric_depther(activation='relu')(x)
    with pytest.raises(ValueError, match='min_depth < max_depth'):
        MODELS.build(dict(type='DPTMetricHead', max_depth=0.0))
