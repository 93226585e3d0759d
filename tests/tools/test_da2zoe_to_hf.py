"""tools/model_converters/da2zoe_to_hf.py: a folder transformers loads.

Round trip: da2zoe checkpoint -> transformers folder -> from_pretrained runs
at float64 parity -> the folder loads back into da2zoe bit for bit.
"""
import importlib.util
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from transformers import DepthAnythingForDepthEstimation

from da2zoe.checkpoint import load_pretrained
from da2zoe.registry import MODELS

TOOL = Path(__file__).parents[2] / 'tools' / 'model_converters' / \
    'da2zoe_to_hf.py'
BACKBONE = dict(type='DINOv2', img_size=56, out_indices=(1, 2, 4, 5),
                pos_embed_rule='transformers',
                arch=dict(embed_dims=32, num_layers=6, num_heads=2))
NECK = dict(type='DPTNeck', in_channels=32, features=16,
            out_channels=(8, 16, 24, 32), head_activation='sigmoid',
            max_depth=80.0)


def load_tool():
    spec = importlib.util.spec_from_file_location('da2zoe_to_hf', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_model(folder: Path, head: dict) -> tuple[str, str, torch.nn.Module]:
    model_cfg = dict(type='MetricDepther', backbone=BACKBONE, neck=NECK,
                     head=head)
    config = folder / 'tiny_dpt.py'
    Config(dict(model=model_cfg)).dump(str(config))
    model = MODELS.build(model_cfg)
    generator = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(0.2 * torch.randn(param.shape, generator=generator))
    checkpoint = folder / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    return str(config), str(checkpoint), model


@pytest.mark.parametrize('file_format', ['safetensors', 'pth'])
@torch.no_grad()
def test_round_trip_through_transformers(tmp_path, file_format):
    config, checkpoint, model = write_model(
        tmp_path, dict(type='DPTMetricHead', max_depth=80.0))
    out = tmp_path / 'hf'
    assert load_tool().main([config, checkpoint, str(out), '--format',
                             file_format]) == 0
    weights = ('model.safetensors' if file_format == 'safetensors' else
               'pytorch_model.bin')
    assert sorted(p.name for p in out.iterdir()) == ['config.json', weights]
    hf_config = json.loads((out / 'config.json').read_text())
    assert hf_config['depth_estimation_type'] == 'metric'
    assert hf_config['max_depth'] == 80
    assert hf_config['backbone_config']['out_indices'] == [2, 3, 5, 6]

    reference = DepthAnythingForDepthEstimation.from_pretrained(out)
    reference = reference.double().eval()
    model = model.double().eval()
    x = torch.randn(1, 3, 84, 126, dtype=torch.float64)
    torch.testing.assert_close(
        model(x, mode='tensor').squeeze(1), reference(x).predicted_depth,
        atol=1e-10, rtol=1e-10)

    back = MODELS.build(dict(type='MetricDepther', backbone=BACKBONE,
                             neck=NECK, head=dict(type='DPTMetricHead',
                                                  max_depth=80.0)))
    result = load_pretrained(back, str(out), strict=True)
    assert result.layout == 'transformers_depth_anything'
    for key, value in back.state_dict().items():
        assert torch.equal(value.double(), model.state_dict()[key]), key


def test_zoedepth_head_is_refused(tmp_path, capsys):
    config, checkpoint, _ = write_model(
        tmp_path, dict(type='ZoeDepthHead', bottleneck_channels=16,
                       level_channels=16, n_bins=8, bin_embedding_dim=8,
                       seed_mlp_dim=8, projector_mlp_dim=8,
                       attractor_mlp_dim=8))
    assert load_tool().main([config, checkpoint,
                             str(tmp_path / 'hf')]) == 2
    assert 'ZoeDepthHead' in capsys.readouterr().err
    assert not (tmp_path / 'hf').exists()
