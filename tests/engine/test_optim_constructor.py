"""DepthOptimWrapperConstructor: named encoder/decoder groups."""
import pytest
import torch

import da2zoe.engine  # noqa: F401
from da2zoe.registry import OPTIM_WRAPPER_CONSTRUCTORS
from engine_toys import ToyDepther


def _build(model, paramwise_cfg=None, **wrapper):
    cfg = dict(
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4), **wrapper)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type='DepthOptimWrapperConstructor',
            optim_wrapper_cfg=cfg,
            paramwise_cfg=paramwise_cfg))
    return constructor(model)


def _groups(wrapper):
    return {g['name']: g for g in wrapper.optimizer.param_groups}


def _names(model, group):
    ids = {id(p) for p in group['params']}
    return sorted(n for n, p in model.named_parameters() if id(p) in ids)


def test_encoder_lr_factor_and_names():
    model = ToyDepther()
    wrapper = _build(model, dict(encoder_lr_factor=10))
    assert type(wrapper).__name__ == 'DepthOptimWrapper'
    groups = _groups(wrapper)
    assert set(groups) == {'encoder', 'decoder'}
    assert groups['encoder']['lr'] == pytest.approx(1e-4)
    assert groups['decoder']['lr'] == pytest.approx(1e-3)
    assert all(g['weight_decay'] == 1e-4 for g in groups.values())
    assert all(
        n.startswith('backbone.') for n in _names(model, groups['encoder']))
    assert _names(model, groups['decoder']) == [
        'head.bias', 'head.weight', 'neck.bias', 'neck.weight'
    ]
    lrs = wrapper.get_lr()
    assert lrs['encoder_lr'] == [pytest.approx(1e-4)]
    assert lrs['decoder_lr'] == [pytest.approx(1e-3)]


def test_frozen_encoder_has_no_group_and_no_state():
    model = ToyDepther(frozen_encoder=True)
    wrapper = _build(model, dict(encoder_lr_factor=10))
    assert set(_groups(wrapper)) == {'decoder'}
    loss = model(torch.randn(2, 4)).sum()
    wrapper.update_params(loss)
    state = wrapper.optimizer.state
    assert all(
        id(p) not in {id(q)
                      for q in state} for p in model.backbone.parameters())
    assert len(state) == 4


def test_no_decay_option():
    model = ToyDepther()
    groups = _groups(_build(model, dict(encoder_lr_factor=10, no_decay=True)))
    assert _names(model, groups['encoder.no_decay']) == [
        'backbone.cls_token', 'backbone.norm.bias', 'backbone.norm.weight',
        'backbone.pos_embed', 'backbone.proj.bias'
    ]
    assert groups['encoder.no_decay']['weight_decay'] == 0
    assert groups['encoder.no_decay']['lr'] == pytest.approx(1e-4)
    assert _names(model, groups['encoder']) == ['backbone.proj.weight']
    assert groups['decoder.no_decay']['weight_decay'] == 0
    assert groups['decoder']['weight_decay'] == 1e-4


def test_custom_keys_longest_match_then_encoder_factor():
    model = ToyDepther()
    custom_keys = {
        'backbone': dict(lr_mult=0.5),
        'backbone.norm': dict(lr_mult=0.1, decay_mult=0.),
        'head': dict(lr_mult=2.0),
    }
    groups = _groups(
        _build(model, dict(encoder_lr_factor=10, custom_keys=custom_keys)))
    norm = groups['encoder.backbone.norm']
    assert _names(model,
                  norm) == ['backbone.norm.bias', 'backbone.norm.weight']
    assert norm['lr'] == pytest.approx(1e-3 * 0.1 / 10)
    assert norm['weight_decay'] == 0
    assert groups['encoder.backbone']['lr'] == pytest.approx(1e-3 * 0.5 / 10)
    assert groups['decoder.head']['lr'] == pytest.approx(2e-3)
    assert groups['decoder']['lr'] == pytest.approx(1e-3)


def test_amp_wrapper_type():
    wrapper = _build(
        ToyDepther(),
        dict(encoder_lr_factor=10),
        type='DepthAmpOptimWrapper',
        dtype='bfloat16')
    assert type(wrapper).__name__ == 'DepthAmpOptimWrapper'
    assert set(_groups(wrapper)) == {'encoder', 'decoder'}


def test_bad_factor():
    with pytest.raises(ValueError, match='encoder_lr_factor'):
        _build(ToyDepther(), dict(encoder_lr_factor=0))
