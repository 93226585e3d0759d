"""Depth Anything 3 mono network: golden parity through a snapshot folder."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.checkpoint import load_pretrained
from da2zoe.models.depthers.feature_blocks import check_feature_blocks
from da2zoe.models.depthers.metric_depther import MetricDepther
from da2zoe.models.heads import DA3DPTHead
from da2zoe.testing.da3_snapshot import (
    TINY_DA3_BACKBONE,
    TINY_DA3_HEAD,
    build_tiny_da3,
    write_da3_snapshot,
)

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden' / 'da3_mono_tiny.npz'
CASES = ('landscape', 'portrait')
TOL = dict(rtol=1e-10, atol=1e-10)


@pytest.fixture(scope='module')
def golden() -> dict:
    with np.load(GOLDEN, allow_pickle=False) as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


@pytest.fixture(scope='module')
def snapshot(golden, tmp_path_factory) -> Path:
    """The golden params written as a released DA3 snapshot folder."""
    params = {k[len('param/'):]: v for k, v in golden.items()
              if k.startswith('param/')}
    return Path(write_da3_snapshot(tmp_path_factory.mktemp('DA3MONO-TINY'),
                                   params, 'da3mono-large'))


@pytest.fixture(scope='module')
def model(snapshot) -> MetricDepther:
    """Loaded through the model's init_cfg, as a config does it."""
    model = MetricDepther(
        backbone=TINY_DA3_BACKBONE, neck=None, head=TINY_DA3_HEAD,
        init_cfg=dict(type='Pretrained', checkpoint=str(snapshot))).double()
    model.init_weights()
    return model.eval()


def test_meta_matches_the_tiny_arch(golden):
    assert golden['meta/embed_dim_depth_heads'].tolist() == [64, 4, 2]
    assert golden['meta/features_out_channels'].tolist() == [
        16, 8, 16, 32, 64]
    assert golden['meta/out_layers'].tolist() == [0, 1, 2, 3]


def test_released_snapshot_loads_with_no_missing_keys(snapshot):
    model = MetricDepther(backbone=TINY_DA3_BACKBONE, neck=None,
                          head=TINY_DA3_HEAD)
    result = load_pretrained(model, str(snapshot), strict=True)
    assert result.layout == 'depth_anything_3'
    assert result.missing_keys == [] and result.unexpected_keys == []


@pytest.mark.parametrize('case', CASES)
def test_golden_parity(model, golden, case):
    """Features, head depth, sky and post-processed depth at 1e-10."""
    x = golden[f'input/{case}/x'][:, 0]  # (B, N=1, 3, H, W) -> one view
    with torch.no_grad():
        levels = model.backbone(x)
        for i, (patch_map, _) in enumerate(levels):
            tokens = patch_map.flatten(2).transpose(1, 2)
            torch.testing.assert_close(
                tokens, golden[f'output/{case}/feature_{i}'], **TOL)
        out = model.head(levels, input_shape=tuple(x.shape[-2:]))
        depth = model(x, mode='tensor')
    torch.testing.assert_close(out['head_depth'],
                               golden[f'output/{case}/head_depth'], **TOL)
    torch.testing.assert_close(out['sky'], golden[f'output/{case}/head_sky'],
                               **TOL)
    torch.testing.assert_close(depth, golden[f'output/{case}/depth'], **TOL)
    n_sky = int((out['sky'] >= 0.3).sum())
    assert n_sky == int(golden[f'output/{case}/n_sky'])
    # The post-processing changed the sky pixels (and only them).
    changed = depth != out['head_depth']
    assert 0 < int(changed.sum()) <= n_sky


def test_final_norm_eps_matters(golden, snapshot):
    """With DINOv2's 1e-6 the features leave the 1e-10 band (quirk 27)."""
    arch = dict(TINY_DA3_BACKBONE['arch'], final_norm_eps=1e-6)
    model = MetricDepther(backbone=dict(TINY_DA3_BACKBONE, arch=arch),
                          neck=None, head=TINY_DA3_HEAD).double()
    load_pretrained(model, str(snapshot))
    x = golden['input/landscape/x'][:, 0]
    with torch.no_grad():
        tokens = model.backbone(x)[0][0].flatten(2).transpose(1, 2)
    ref = golden['output/landscape/feature_0']
    assert (tokens - ref).abs().max() / ref.abs().max() > 1e-7


def test_training_mode_returns_the_raw_head_depth(golden, snapshot):
    model = MetricDepther(backbone=TINY_DA3_BACKBONE, neck=None,
                          head=TINY_DA3_HEAD).double()
    load_pretrained(model, str(snapshot))
    model.train()
    depth = model(golden['input/landscape/x'][:, 0], mode='tensor')
    torch.testing.assert_close(depth.detach(),
                               golden['output/landscape/head_depth'], **TOL)


def test_da3_arch_and_head_defaults():
    """The released shape: da3-vitl + DA3DPTHead defaults (meta device)."""
    with torch.device('meta'):
        model = MetricDepther(backbone=dict(type='DINOv2', arch='da3-vitl'),
                              neck=None, head=dict(type='DA3DPTHead'))
    backbone = model.backbone
    assert backbone.out_indices == (4, 11, 17, 23)
    assert backbone.norm.eps == 1e-5 and backbone.blocks[0].norm1.eps == 1e-6
    assert not hasattr(backbone, 'mask_token')
    keys = set(model.state_dict())
    assert 'head.scratch.refinenet4.resConfUnit1.conv1.weight' not in keys
    assert 'head.scratch.refinenet3.resConfUnit1.conv1.weight' in keys
    assert model.state_dict()[
        'head.scratch.sky_output_conv2.0.weight'].shape == (32, 128, 3, 3)
    assert [p.shape[0] for p in (model.head.projects[k].weight
                                 for k in range(4))] == [256, 512, 1024, 1024]
    assert model.min_depth == 0 and model.max_depth == math.inf


def test_head_runs_in_float32_under_autocast():
    model = build_tiny_da3().eval()
    x = torch.randn(1, 3, 28, 42)
    with torch.autocast('cpu', dtype=torch.bfloat16), torch.no_grad():
        out = model.head(model.backbone(x), input_shape=(28, 42))
    assert out['metric_depth'].dtype == torch.float32
    assert out['sky'].dtype == torch.float32


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='fill_sky'):
        DA3DPTHead(in_channels=64, features=16, out_channels=(8, 16, 32, 64),
                   sky_head=False)
    with pytest.raises(ValueError, match='min_depth'):
        DA3DPTHead(in_channels=64, features=16, out_channels=(8, 16, 32, 64),
                   min_depth=5, max_depth=1)
    model = build_tiny_da3()
    levels = model.backbone(torch.randn(1, 3, 28, 28))
    with pytest.raises(ValueError, match='predicts at'):
        model.head(levels, input_shape=(30, 28))


def test_da3_weights_into_a_dinov2_norm_warn(snapshot):
    """eps 1e-6 loads without an error: the check names the fix."""
    arch = dict(TINY_DA3_BACKBONE['arch'], final_norm_eps=1e-6)
    model = MetricDepther(backbone=dict(TINY_DA3_BACKBONE, arch=arch),
                          neck=None, head=TINY_DA3_HEAD)
    result = load_pretrained(model, str(snapshot))
    message = check_feature_blocks(model, result, 'snap')
    assert message is None  # the blocks agree
    warning = model.backbone.check_checkpoint_arch(result.layout, 'snap')
    assert "arch='da3-vitl'" in warning and 'eps 1e-06' in warning
    good = build_tiny_da3()
    assert good.backbone.check_checkpoint_arch(result.layout, 'x') is None
    assert good.backbone.check_checkpoint_arch('depth_anything_v2',
                                               'x') is None


def test_da3_head_trained_on_other_blocks_warns(snapshot):
    """Without a neck the head is the decoder the block check reads."""
    arch = dict(TINY_DA3_BACKBONE['arch'], num_layers=5)
    model = MetricDepther(
        backbone=dict(TINY_DA3_BACKBONE, arch=arch, out_indices=(1, 2, 3, 4)),
        neck=None, head=TINY_DA3_HEAD)
    result = load_pretrained(model, str(snapshot))
    message = check_feature_blocks(model, result, 'snap')
    assert message is not None
    assert '[0, 1, 2, 3]' in message and '[1, 2, 3, 4]' in message
