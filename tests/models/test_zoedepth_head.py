"""ZoeDepthHead: shapes in both geometries, gradients, options, and float64
parity of the whole Depth Anything V1 metric model (golden/
zoedepth_da1_tiny.npz) with atol = rtol = 1e-10; observed <= 1e-14."""
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.checkpoint import load_pretrained
from da2zoe.models.backbones import DINOv2
from da2zoe.models.heads import ZoeDepthHead
from da2zoe.models.heads.zoedepth_head import upsample_to_input
from da2zoe.models.necks import DPTNeck, PyramidFusion, TokenAdapter
from da2zoe.registry import HEADS

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden'
TOL = dict(atol=1e-10, rtol=1e-10)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SMALL_HEAD = dict(n_bins=8, bin_embedding_dim=8, seed_mlp_dim=8,
                  projector_mlp_dim=8, attractor_mlp_dim=8)


def adapter_neck_out(height: int, width: int, channels: int = 8) -> dict:
    grid = (height // 14, width // 14)
    tokens = [(torch.randn(1, 8, *grid), torch.randn(1, 8)) for _ in range(4)]
    adapter = TokenAdapter(8, out_channels=channels)
    fusion = PyramidFusion(channels, channels=channels, final_channels=6,
                           with_rel_depth=True)
    return fusion(adapter(tokens))


def dpt_neck_out(height: int, width: int) -> dict:
    grid = (height // 14, width // 14)
    tokens = [(torch.randn(1, 16, *grid), torch.randn(1, 16))
              for _ in range(4)]
    neck = DPTNeck(16, features=8, out_channels=(4, 4, 8, 8))
    return neck(tokens)


@pytest.mark.parametrize('bin_centers_type',
                         ['normed', 'softplus', 'hybrid1', 'hybrid2'])
@pytest.mark.parametrize('geometry', ['adapter', 'dpt'])
def test_output_at_input_shape(geometry, bin_centers_type):
    height, width = (140, 196) if geometry == 'adapter' else (56, 70)
    if geometry == 'adapter':
        neck_out, channels = adapter_neck_out(height, width), 8
        final = 6
    else:
        neck_out, channels, final = dpt_neck_out(height, width), 8, 32
    head = HEADS.build(
        dict(type='ZoeDepthHead', bottleneck_channels=channels,
             level_channels=channels, final_channels=final,
             bin_centers_type=bin_centers_type, condition_on_rel_depth=True,
             **SMALL_HEAD))
    with torch.no_grad():
        out = head(neck_out, (height, width), return_extras=True)
    assert out['metric_depth'].shape == (1, 1, height, width)
    final_size = neck_out['final'].shape[-2:]
    assert out['probs'].shape == (1, 8, *final_size)
    assert out['bin_centers'].shape == (1, 8, *final_size)
    torch.testing.assert_close(out['probs'].sum(1), torch.ones(1, *final_size))
    assert out['seed_centers'].shape[-2:] == neck_out['bottleneck'].shape[-2:]
    assert [c.shape[-2:] for c in out['attractor_centers']
            ] == [lvl.shape[-2:] for lvl in neck_out['levels']]
    if bin_centers_type in ('normed', 'hybrid2'):  # sorted, clipped bins
        centers = out['attractor_centers'][-1]
        assert (centers.diff(dim=1) >= 0).all()
        assert centers.min() >= 1e-3 and centers.max() <= 10


def test_gradient_reaches_every_head_parameter():
    neck_out = adapter_neck_out(56, 70)
    head = ZoeDepthHead(8, 8, 6, condition_on_rel_depth=True, **SMALL_HEAD)
    head(neck_out, (56, 70))['metric_depth'].mean().backward()
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


@pytest.mark.parametrize('bin_centers_type', ['normed', 'softplus'])
def test_looped_attractors_equal_materialised(bin_centers_type):
    """The bounded-memory attractor computation changes no value or grad."""
    torch.manual_seed(0)
    with torch.no_grad():
        neck_out = adapter_neck_out(56, 70)
    neck_out = {k: v.double() if torch.is_tensor(v) else v
                for k, v in neck_out.items()}
    neck_out['levels'] = [lvl.double() for lvl in neck_out['levels']]
    results = []
    for memory_efficient in (True, False):
        torch.manual_seed(1)
        head = ZoeDepthHead(8, 8, 6, bin_centers_type=bin_centers_type,
                            memory_efficient=memory_efficient,
                            **SMALL_HEAD).double()
        depth = head(neck_out, (56, 70))['metric_depth']
        depth.square().mean().backward()
        results.append([depth] + [p.grad for p in head.parameters()])
    for looped, materialised in zip(*results):
        torch.testing.assert_close(looped, materialised, atol=1e-12, rtol=0)


def test_upsample_to_input_keeps_stride_geometry():
    """A map holding each cell's centre coordinate upsamples to the pixel
    index itself (away from the clamped borders)."""
    height, width, stride = 140, 196, 8
    h, w = -(-height // stride), -(-width // stride)
    rows = (torch.arange(h, dtype=torch.float64) + 0.5) * stride - 0.5
    depth = rows.view(1, 1, h, 1).expand(1, 1, h, w)
    up = upsample_to_input(depth, (height, width), stride)
    assert up.shape == (1, 1, height, width)
    inner = torch.arange(4, height - 4, dtype=torch.float64)
    torch.testing.assert_close(up[0, 0, 4:height - 4, 0], inner)


def test_bad_configs():
    with pytest.raises(ValueError, match='bin_centers_type'):
        ZoeDepthHead(bin_centers_type='linear')
    with pytest.raises(ValueError, match='one per level'):
        ZoeDepthHead(level_channels=(8, 8), n_attractors=(16, 8, 4))
    head = ZoeDepthHead(8, 8, 6, n_attractors=(4, 2), **SMALL_HEAD)
    with pytest.raises(ValueError, match='4 levels'):
        head(adapter_neck_out(56, 70), (56, 70))
    head = ZoeDepthHead(8, 8, 6, condition_on_rel_depth=True, **SMALL_HEAD)
    neck_out = adapter_neck_out(56, 70)
    neck_out['rel_depth'] = None
    with pytest.raises(ValueError, match='rel_depth'):
        head(neck_out, (56, 70))


def test_attractor_strength_quirk_option():
    head = ZoeDepthHead(8, 8, 6, attractor_alpha=1000, attractor_gamma=4,
                        **SMALL_HEAD)
    assert {(a.alpha, a.gamma) for a in head.attractors} == {(1000, 4)}
    head = ZoeDepthHead(8, 8, 6, attractor_alpha=1000, attractor_gamma=4,
                        attractor_strength_quirk=True, **SMALL_HEAD)
    assert {(a.alpha, a.gamma) for a in head.attractors} == {(300, 2)}


@pytest.fixture(scope='module')
def golden_da1() -> dict:
    with np.load(GOLDEN / 'zoedepth_da1_tiny.npz') as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


@torch.no_grad()
def test_depth_anything_v1_metric_parity(golden_da1):
    """Encoder (last 4 blocks) + DPTNeck + ZoeDepthHead with a V1 metric
    checkpoint's tiny weights reproduce the reference end to end."""
    g = golden_da1
    state = {k[len('param/'):]: v for k, v in g.items()
             if k.startswith('param/')}
    encoder = DINOv2(arch=dict(embed_dims=64, num_layers=4, num_heads=2),
                     out_indices=4).double().eval()
    neck = DPTNeck(64, features=16, out_channels=(8, 16, 32, 64)).double()
    head = ZoeDepthHead(
        bottleneck_channels=16, level_channels=16, final_channels=32,
        n_bins=64, bin_centers_type='softplus', bin_embedding_dim=128,
        min_depth=1e-3, max_depth=10, n_attractors=(16, 8, 4, 1),
        attractor_type='inv', attractor_kind='mean', attractor_alpha=1000,
        attractor_gamma=2, attractor_strength_quirk=True, min_temp=0.0212,
        max_temp=50, condition_on_rel_depth=True).double()
    for module, prefix in ((encoder, 'backbone.'), (neck, 'neck.'),
                           (head, 'head.')):
        result = load_pretrained(module.eval(), state, prefix_filter=prefix,
                                 strict=True)
        assert result.layout == 'depth_anything_v1_metric'
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64).view(1, 3, 1, 1)
    x = (g['input/x'] - mean) / std
    neck_out = neck(encoder(x))
    torch.testing.assert_close(neck_out['rel_depth'].squeeze(1),
                               g['output/rel_depth'], **TOL)
    out = head(neck_out, x.shape[-2:], return_extras=True)
    torch.testing.assert_close(out['seed_centers'], g['output/seed_b_centers'],
                               **TOL)
    for i in (0, 1):
        torch.testing.assert_close(out['attractor_centers'][i],
                                   g[f'output/attractor_{i}_b_centers'],
                                   **TOL)
    torch.testing.assert_close(out['bin_centers'][:, :, ::7, ::7],
                               g['output/bin_centers_stride7'], **TOL)
    torch.testing.assert_close(out['metric_depth'], g['output/metric_depth'],
                               **TOL)
    # The banded path (no extras), as training and inference run it.
    fast = head(neck_out, x.shape[-2:])['metric_depth']
    torch.testing.assert_close(fast, g['output/metric_depth'], **TOL)
