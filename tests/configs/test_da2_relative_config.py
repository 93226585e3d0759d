"""configs/da2-relative_vitl_nyu.py: DA-V2 relative vitl at its published
size (meta device), scored with the disparity alignment, and an official
layout checkpoint loads through its ``init_cfg`` and predicts the
reference's disparity (golden ``da2_relative_tiny``, shrunk shapes)."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from da2zoe.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'configs' / 'da2-relative_vitl_nyu.py')
GOLDEN = REPO / 'tests' / 'data' / 'golden' / 'da2_relative_tiny.npz'


def test_full_size_model_and_protocol():
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.init_cfg == dict(
        type='Pretrained',
        checkpoint='hf://depth-anything/Depth-Anything-V2-Large-hf')
    assert cfg.model.losses == []
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert evaluator == dict(type='DepthMetric',
                                 align='least_squares_disparity',
                                 pred_space='disparity')
    assert not [t for t in cfg.test_dataloader.dataset.pipeline
                if 'Resize' in t['type']]  # resized in the model
    cfg.model.init_cfg = None
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    # REFERENCE.md: DA-V2 vitl 335.3M, all in backbone + DPT neck.
    count = sum(p.numel() for p in model.parameters())
    assert count / 1e6 == pytest.approx(335.3, abs=0.05)
    assert not list(model.head.parameters())
    assert model.neck.head_activation == 'relu'
    assert model.backbone.out_indices == (4, 11, 17, 23)
    assert model.data_preprocessor.input_resize['resize_method'] == \
        'lower_bound'


def test_official_checkpoint_loads_through_init_cfg(tmp_path):
    with np.load(GOLDEN) as data:
        golden = {k: torch.from_numpy(data[k]) for k in data.files}
    # The official file's layout: pretrained.* + depth_head.*.
    checkpoint = tmp_path / 'depth_anything_v2_vitl.pth'
    torch.save({k[len('param/'):]: v for k, v in golden.items()
                if k.startswith('param/')}, checkpoint)
    cfg = Config.fromfile(CONFIG)
    cfg.model.init_cfg.checkpoint = str(checkpoint)
    cfg.model.backbone.arch = dict(embed_dims=64, num_layers=4, num_heads=2,
                                   feature_blocks=(0, 1, 2, 3))
    cfg.model.neck.update(in_channels=64, features=16,
                          out_channels=[8, 16, 32, 64])
    model = MODELS.build(cfg.model).double()
    model.init_weights()
    model.eval()
    with torch.no_grad():
        disparity = model(golden['input/x'], mode='tensor')
    torch.testing.assert_close(disparity.squeeze(1), golden['output/depth'],
                               atol=1e-10, rtol=1e-10)
