"""Depth Anything V1 metric checkpoints: convert, save, load, same outputs.

A V1 checkpoint (ZoeDepth layout: ``core.core.pretrained.*`` encoder,
``core.core.depth_head.*`` DPT, head keys at the top) is written from the
golden tiny weights, converted by tools/model_converters/convert_checkpoint.py
and loaded into the model that configs/da2zoe-dpt_vitl_nyu.py builds (shrunk
to the golden's tiny sizes). The model must reproduce the reference's metric
depth in float64, from the original file and from the converted one.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from da2zoe.checkpoint import load_pretrained
from da2zoe.models.data_preprocessor import IMAGENET_MEAN, IMAGENET_STD
from da2zoe.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / 'tests/data/golden/zoedepth_da1_tiny.npz'
TOL = dict(atol=1e-10, rtol=1e-10)


@pytest.fixture(scope='module')
def golden():
    with np.load(GOLDEN) as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


def tiny_dpt_model() -> torch.nn.Module:
    """configs/da2zoe-dpt_vitl_nyu.py's model at the golden's tiny sizes."""
    cfg = Config.fromfile(str(REPO / 'configs/da2zoe-dpt_vitl_nyu.py'))
    model_cfg = cfg.model
    model_cfg.backbone.arch = dict(embed_dims=64, num_layers=4, num_heads=2)
    model_cfg.neck.update(in_channels=64, features=16,
                          out_channels=[8, 16, 32, 64])
    model_cfg.head.update(bottleneck_channels=16, level_channels=16)
    return MODELS.build(model_cfg).double().eval()


def v1_checkpoint(golden: dict, path: Path) -> None:
    """The released V1 layout, wrapped and DDP-prefixed as users have it."""
    state = {'module.' + k[len('param/'):]: v
             for k, v in golden.items() if k.startswith('param/')}
    torch.save({'model': state}, path)


def metric_depth(model, golden) -> torch.Tensor:
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64).view(1, 3, 1, 1)
    with torch.no_grad():
        return model((golden['input/x'] - mean) / std)


def test_v1_checkpoint_converts_and_reproduces_the_reference(
        golden, tmp_path):
    source = tmp_path / 'depth_anything_metric_depth_indoor.pt'
    v1_checkpoint(golden, source)

    direct = tiny_dpt_model()
    result = load_pretrained(direct, str(source), strict=True)
    assert result.layout == 'depth_anything_v1_metric'
    expected = golden['output/metric_depth']
    torch.testing.assert_close(metric_depth(direct, golden), expected, **TOL)

    converted = tmp_path / 'da2zoe_v1.pth'
    out = subprocess.run(
        [sys.executable, str(REPO / 'tools/model_converters/'
                             'convert_checkpoint.py'), str(source),
         str(converted)], capture_output=True, text=True, check=True).stdout
    assert 'depth_anything_v1_metric' in out
    assert 'core.core.pretrained.' in out and 'backbone.' in out

    reloaded = tiny_dpt_model()
    result = load_pretrained(reloaded, str(converted), strict=True)
    assert result.layout == 'da2zoe'
    torch.testing.assert_close(metric_depth(reloaded, golden), expected,
                               **TOL)
    # Round trip: the converted model saves and loads to the same outputs.
    again = tmp_path / 'again.pth'
    torch.save({'state_dict': reloaded.state_dict()}, again)
    third = tiny_dpt_model()
    load_pretrained(third, str(again), strict=True)
    torch.testing.assert_close(metric_depth(third, golden),
                               metric_depth(reloaded, golden), atol=0, rtol=0)


def test_v1_checkpoint_into_the_default_model(golden, tmp_path):
    """The default TokenAdapter model: the whole checkpoint is refused with
    the mismatching keys and both shapes; the encoder alone loads."""
    source = tmp_path / 'v1.pt'
    v1_checkpoint(golden, source)
    cfg = Config.fromfile(str(REPO / 'configs/da2zoe_vits_nyu.py'))
    cfg.model.backbone.arch = dict(embed_dims=64, num_layers=4, num_heads=2)
    cfg.model.neck.in_channels = 64
    model = MODELS.build(cfg.model)
    with pytest.raises(ValueError, match=r'head\.conv2\.weight: checkpoint '
                       r'\(16, 16, 1, 1\) vs model \(128, 128, 1, 1\)'):
        load_pretrained(model, str(source))
    result = load_pretrained(model.backbone, str(source),
                             prefix_filter='backbone.', strict=True)
    assert result.layout == 'depth_anything_v1_metric'
    torch.testing.assert_close(
        model.backbone.pos_embed.double(),
        golden['param/core.core.pretrained.pos_embed'])
