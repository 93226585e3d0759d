"""configs/da3/: the Depth Anything 3 configs name the released weights,
build (shrunk to the golden tiny DA3 shapes) and load a released-layout
snapshot folder through their ``init_cfg`` with nothing missing."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from da2zoe.checkpoint import load_pretrained
from da2zoe.registry import MODELS
from da2zoe.testing.da3_snapshot import (
    TINY_DA3_BACKBONE,
    TINY_DA3_HEAD,
    build_tiny_da3,
    write_tiny_da3_snapshot,
)

DA3 = Path(__file__).resolve().parents[2] / 'configs' / 'da3'
RELEASED = {
    'da3mono-large.py': 'hf://depth-anything/DA3MONO-LARGE',
    'da3metric-large.py': 'hf://depth-anything/DA3METRIC-LARGE',
    'da3metric-large_nyu.py': 'hf://depth-anything/DA3METRIC-LARGE',
}
OWN_NETWORK = sorted(RELEASED)
ZOE = 'da3-encoder_zoedepth_nyu.py'


def tiny(cfg_model, init: str = None):
    """The config's model with the tiny DA3 encoder (and head)."""
    cfg_model.backbone.arch = dict(TINY_DA3_BACKBONE['arch'])
    if cfg_model.get('neck') is None:
        cfg_model.head.update(
            {k: v for k, v in TINY_DA3_HEAD.items() if k != 'type'})
        cfg_model.init_cfg.checkpoint = init
    else:
        cfg_model.neck.in_channels = 64
        cfg_model.backbone.init_cfg.checkpoint = init
    return MODELS.build(cfg_model)


def test_every_da3_config_is_covered():
    assert sorted(p.name for p in DA3.glob('*.py')) == sorted(
        [*OWN_NETWORK, ZOE])


@pytest.mark.parametrize('name', OWN_NETWORK)
def test_own_network_configs(name):
    cfg = Config.fromfile(str(DA3 / name))
    assert cfg.model.init_cfg == dict(type='Pretrained',
                                      checkpoint=RELEASED[name])
    assert cfg.model.backbone.arch == 'da3-vitl'
    assert cfg.model.neck is None and cfg.model.head.type == 'DA3DPTHead'
    for pipeline in (cfg.test_pipeline, cfg.test_dataloader.dataset.pipeline):
        resize = [t for t in pipeline if 'Resize' in t['type']]
        assert resize == [dict(type='LongestSideResize', process_res=504,
                               resize_gt=False)]
    camera = cfg.model.get('camera')
    if 'metric' in name:
        assert camera.canonical_focal == 300.0
        assert camera.focal_rule == 'mean_fx_fy'
        assert camera.default_hfov == 63.0  # logged when used
    else:
        assert camera is None


def test_full_size_own_network_has_the_released_shapes():
    cfg = Config.fromfile(str(DA3 / 'da3metric-large.py'))
    cfg.model.init_cfg = None
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    names = set(model.state_dict())
    assert 'backbone.mask_token' not in names
    assert model.backbone.norm.eps == 1e-5
    assert model.backbone.blocks[0].norm1.eps == 1e-6
    assert model.backbone.out_indices == (4, 11, 17, 23)
    assert 'head.scratch.sky_output_conv2.2.weight' in names
    assert not any('refinenet4.resConfUnit1' in n for n in names)


@pytest.mark.parametrize('name', OWN_NETWORK)
def test_init_cfg_loads_a_released_snapshot_with_nothing_missing(
        name, tmp_path):
    snapshot = write_tiny_da3_snapshot(tmp_path / 'snap', seed=3)
    model = tiny(Config.fromfile(str(DA3 / name)).model, snapshot)
    model.init_weights()
    reference = build_tiny_da3(seed=3).state_dict()
    state = model.state_dict()
    assert set(state) == set(reference)
    for key, value in reference.items():
        assert torch.equal(state[key], value), key
    result = load_pretrained(model, snapshot)
    assert not result.missing_keys and not result.unexpected_keys
    model.eval()
    with torch.no_grad():
        depth = model(torch.randn(1, 3, 56, 70))
    assert depth.shape == (1, 1, 56, 70) and torch.isfinite(depth).all()


def test_zoedepth_config_takes_the_da3_encoder(tmp_path):
    cfg = Config.fromfile(str(DA3 / ZOE))
    init = cfg.model.backbone.init_cfg
    assert init.checkpoint == 'hf://depth-anything/DA3METRIC-LARGE'
    assert init.prefix == 'backbone.'
    assert cfg.model.backbone.arch == 'da3-vitl'
    assert cfg.model.head.type == 'ZoeDepthHead'
    assert cfg.optim_wrapper.paramwise_cfg.encoder_lr_factor == 10.0
    snapshot = write_tiny_da3_snapshot(tmp_path / 'snap', seed=4)
    model = tiny(cfg.model, snapshot)
    model.init_weights()
    reference = build_tiny_da3(seed=4).backbone.state_dict()
    state = model.backbone.state_dict()
    assert set(state) == set(reference)
    for key, value in reference.items():
        assert torch.equal(state[key], value), key
