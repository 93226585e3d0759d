"""Necks: TokenAdapter geometry, PyramidFusion shapes, DPTNeck parity.

DPT parity is float64 against golden/da2_{relative,metric}_tiny.npz with
atol = rtol = 1e-10 (golden README); observed differences are <= 1e-13.
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from da2zoe.checkpoint import load_pretrained
from da2zoe.models.backbones import DINOv2
from da2zoe.models.necks import (
    AdapterFusionNeck,
    DPTNeck,
    FeatureFusionBlock,
    PyramidFusion,
    TokenAdapter,
    linear_resample_matrix,
    resample_to_stride,
)
from da2zoe.registry import NECKS

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden'
TOL = dict(atol=1e-10, rtol=1e-10)
TINY_VIT = dict(embed_dims=64, num_layers=4, num_heads=2)
TINY_DPT = dict(in_channels=64, features=16, out_channels=(8, 16, 32, 64))
SIZES = [(392, 518), (518, 686), (140, 196)]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def fake_tokens(height: int, width: int, channels: int = 8,
                levels: int = 4) -> list:
    grid = (height // 14, width // 14)
    return [(torch.randn(1, channels, *grid), torch.randn(1, channels))
            for _ in range(levels)]


@pytest.mark.parametrize('height,width', SIZES)
def test_token_adapter_true_strides(height, width):
    adapter = TokenAdapter(in_channels=8, out_channels=(4, 5, 6))
    outs = adapter(fake_tokens(height, width))
    assert len(outs) == 3
    for out, stride, channels in zip(outs, (8, 16, 32), (4, 5, 6)):
        assert out.shape == (1, channels, ceil_div(height, stride),
                             ceil_div(width, stride))


def test_token_adapter_options():
    adapter = NECKS.build(
        dict(type='TokenAdapter', in_channels=8, out_channels=4,
             strides=(4, 8, 16, 32), in_indices=((0, ), (1, ), (2, ), (3, )),
             learned_upsample=True))
    outs = adapter(fake_tokens(140, 196))
    assert [o.shape[-2:] for o in outs] == [(35, 49), (18, 25), (9, 13),
                                            (5, 7)]
    assert adapter.upsample_factors == [4, 2, 1, 1]
    # Bare maps are accepted too.
    outs = adapter([t[0] for t in fake_tokens(140, 196)])
    assert outs[0].shape == (1, 4, 35, 49)
    with pytest.raises(ValueError, match='one entry per output level'):
        TokenAdapter(8, out_channels=(4, 4), strides=(8, 16, 32))


def test_resample_matches_exact_scale_interpolation():
    """Cell centres sit where the strides say: same as F.interpolate with the
    exact scale factor (which only gives floor(H / s) cells)."""
    x = torch.randn(1, 2, 10, 14, dtype=torch.float64)
    up = resample_to_stride(x, 14, 8, (18, 25))
    ref = F.interpolate(x, scale_factor=14 / 8, mode='bilinear',
                        recompute_scale_factor=False)
    torch.testing.assert_close(up[..., :17, :24], ref, atol=1e-12, rtol=0)
    down = resample_to_stride(x, 14, 32, (5, 7))
    ref = F.interpolate(x, scale_factor=14 / 32, mode='bilinear',
                        antialias=True, recompute_scale_factor=False)
    torch.testing.assert_close(down[..., :4, :6], ref, atol=1e-12, rtol=0)
    weights = linear_resample_matrix(5, 10, 32 / 14, dtype=torch.float64)
    torch.testing.assert_close(weights.sum(1), torch.ones(5).double())
    assert (weights.sum(0) > 0).all()  # downsampling skips no token


@pytest.mark.parametrize('height,width', SIZES[1:])
def test_pyramid_fusion_shapes(height, width):
    adapter = TokenAdapter(in_channels=8, out_channels=(4, 5, 6))
    fusion = PyramidFusion(in_channels=(4, 5, 6), channels=8,
                           final_channels=6, with_rel_depth=True)
    out = fusion(adapter(fake_tokens(height, width)))
    s8, s16, s32 = ((ceil_div(height, s), ceil_div(width, s))
                    for s in (8, 16, 32))
    assert out['bottleneck'].shape == (1, 8, *s32)
    assert [lvl.shape[-2:] for lvl in out['levels']] == [s32, s16, s8, s8]
    assert all(lvl.shape[1] == 8 for lvl in out['levels'])
    assert fusion.num_levels == 4
    assert out['final'].shape == (1, 6, *s8)
    assert out['rel_depth'].shape == (1, 1, *s8)
    assert out['final_stride'] == 8
    assert PyramidFusion(8)(adapter.__class__(8, 8)(
        fake_tokens(height, width)))['rel_depth'] is None


def test_adapter_fusion_neck_is_the_two_item_list():
    """One module with the list form's parameter names (neck.0 / neck.1), so
    checkpoints of either form load into the other and give the same maps."""
    from da2zoe.models.depthers import MetricDepther
    common = dict(
        backbone=dict(type='DINOv2', arch=TINY_VIT),
        head=dict(type='ZoeDepthHead', bottleneck_channels=16,
                  level_channels=16, n_bins=16, bin_embedding_dim=16))
    torch.manual_seed(0)
    listed = MetricDepther(
        neck=[dict(type='TokenAdapter', in_channels=64, out_channels=16),
              dict(type='PyramidFusion', in_channels=16, channels=16)],
        **common)
    one = MetricDepther(
        neck=dict(type='AdapterFusionNeck', in_channels=64, channels=16),
        **common)
    shapes = {k: v.shape for k, v in listed.state_dict().items()}
    assert {k: v.shape for k, v in one.state_dict().items()} == shapes
    assert any(k.startswith('neck.1.') for k in shapes)
    one.load_state_dict(listed.state_dict(), strict=True)
    tokens = fake_tokens(140, 196, channels=64)
    a, b = listed.neck(tokens), one.neck(tokens)
    torch.testing.assert_close(a['final'], b['final'], rtol=0, atol=0)
    assert isinstance(one.neck, AdapterFusionNeck)
    assert len(one.neck[1].laterals) == 3


def test_pyramid_fusion_no_unused_parameters():
    adapter = TokenAdapter(in_channels=8, out_channels=4)
    fusion = PyramidFusion(4, channels=8, with_rel_depth=True)
    out = fusion(adapter(fake_tokens(140, 196)))
    loss = out['rel_depth'].sum() + out['bottleneck'].sum() + sum(
        lvl.sum() for lvl in out['levels'])
    loss.backward()
    for module in (adapter, fusion):
        for name, param in module.named_parameters():
            assert param.grad is not None, name


def load_golden(name: str) -> dict:
    with np.load(GOLDEN / f'{name}.npz', allow_pickle=False) as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


@pytest.fixture(scope='module')
def golden_relative() -> dict:
    return load_golden('da2_relative_tiny')


def golden_params(golden: dict) -> dict:
    return {k[len('param/'):]: v for k, v in golden.items()
            if k.startswith('param/')}


def tiny_dpt(golden: dict, **kwargs) -> DPTNeck:
    neck = DPTNeck(**TINY_DPT, **kwargs).double().eval()
    # A DA-V2 checkpoint's depth_head.* maps onto the neck by prefix alone.
    state = {k[len('depth_head.'):]: v
             for k, v in golden_params(golden).items()
             if k.startswith('depth_head.')}
    neck.load_state_dict(state, strict=True)
    return neck


def test_dpt_neck_keys_are_da_v2_keys(golden_relative):
    neck = DPTNeck(**TINY_DPT)
    expected = {k[len('param/depth_head.'):] for k in golden_relative
                if k.startswith('param/depth_head.')}
    assert set(neck.state_dict()) == expected
    frozen = {n for n, p in neck.named_parameters() if not p.requires_grad}
    assert frozen == {f'scratch.refinenet4.resConfUnit1.conv{i}.{p}'
                      for i in (1, 2) for p in ('weight', 'bias')}
    cls_neck = DPTNeck(**TINY_DPT, use_clstoken=True)
    assert 'readout_projects.3.0.weight' in cls_neck.state_dict()
    out = cls_neck(fake_tokens(56, 70, channels=64))
    assert out['rel_depth'].shape == (1, 1, 56, 70)


@torch.no_grad()
def test_dpt_neck_decoder_parity(golden_relative):
    """From the golden resized levels (no encoder): fusion and output head."""
    g = golden_relative
    neck = tiny_dpt(g)
    out = neck.decode([g[f'output/layer_{k}'] for k in range(1, 5)],
                      (140, 196))
    for level, k in zip(out['levels'][:3], (4, 3, 2)):
        torch.testing.assert_close(level, g[f'output/path_{k}'], **TOL)
    assert out['levels'][3].shape == (2, 16, 80, 112)
    assert out['final'].shape == (2, 32, 140, 196)
    assert out['bottleneck'].shape == (2, 16, 5, 7)
    torch.testing.assert_close(out['rel_depth'].squeeze(1), g['output/depth'],
                               **TOL)


def tiny_encoder(golden: dict, **kwargs) -> DINOv2:
    encoder = DINOv2(arch=TINY_VIT, **kwargs).double().eval()
    result = load_pretrained(encoder, golden_params(golden),
                             prefix_filter='backbone.', strict=True)
    assert result.layout == 'depth_anything_v2'
    return encoder


@torch.no_grad()
def test_dpt_neck_full_parity_relative(golden_relative):
    g = golden_relative
    encoder, neck = tiny_encoder(g), tiny_dpt(g)
    features = encoder(g['input/x'])
    for layer, k in zip(neck.reassemble(features), range(1, 5)):
        torch.testing.assert_close(layer, g[f'output/layer_{k}'], **TOL)
    out = neck(features)
    torch.testing.assert_close(out['rel_depth'].squeeze(1), g['output/depth'],
                               **TOL)


@torch.no_grad()
def test_dpt_neck_full_parity_metric():
    g = load_golden('da2_metric_tiny')
    encoder = tiny_encoder(g)
    neck = tiny_dpt(g, head_activation='sigmoid', max_depth=20.0)
    out = neck(encoder(g['input/x']))
    torch.testing.assert_close(out['rel_depth'].squeeze(1), g['output/depth'],
                               **TOL)


@pytest.mark.parametrize('size', [(23, 31), (12, 15), (5, 7)])
def test_fusion_block_is_out_conv_after_the_resize(size):
    # DPT's definition: out_conv(resize(.)). Enlarging (DPT doubles every
    # map) takes the 1x1 convolution first, on 4x fewer pixels; the map and
    # every gradient must not change (float64).
    torch.manual_seed(0)
    block = FeatureFusionBlock(6).double()
    x, skip = (torch.randn(2, 6, 12, 15, dtype=torch.float64,
                           requires_grad=True) for _ in range(2))

    def dpt(x, skip):
        h = block.resConfUnit2(x + block.resConfUnit1(skip))
        return block.out_conv(F.interpolate(h, size=size, mode='bilinear',
                                            align_corners=True))

    out, expected = block(x, skip, size), dpt(x, skip)
    assert out.shape == (2, 6, *size)
    torch.testing.assert_close(out, expected, atol=1e-13, rtol=1e-13)
    grad = torch.randn_like(out)
    params = [x, skip, block.out_conv.weight, block.out_conv.bias]
    got = torch.autograd.grad(out, params, grad)
    want = torch.autograd.grad(expected, params, grad)
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)
