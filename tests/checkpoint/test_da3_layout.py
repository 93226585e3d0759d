"""Depth Anything 3 checkpoints: detection, conversion, refusals, sources."""
import json
from pathlib import Path

import huggingface_hub
import numpy as np
import pytest
import torch

from da2zoe.checkpoint import (
    IncompleteCheckpointError,
    UnknownLayoutError,
    UnsupportedCheckpointError,
    convert_state_dict,
    detect_layout,
    load_pretrained,
)
from da2zoe.checkpoint.da3_layout import missing_da3_keys, to_da3_keys
from da2zoe.models.backbones import DINOv2
from da2zoe.models.depthers.metric_depther import MetricDepther
from da2zoe.testing.da3_snapshot import (
    TINY_DA3_BACKBONE,
    TINY_DA3_HEAD,
    build_tiny_da3,
    write_da3_snapshot,
)

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden'


@pytest.fixture(scope='module')
def released() -> dict:
    """The golden tiny DA3 params: exactly the released key names."""
    with np.load(GOLDEN / 'da3_mono_tiny.npz', allow_pickle=False) as data:
        return {k[len('param/'):]: torch.from_numpy(data[k]).float()
                for k in data.files if k.startswith('param/')}


def tiny_model() -> MetricDepther:
    return MetricDepther(backbone=TINY_DA3_BACKBONE, neck=None,
                         head=TINY_DA3_HEAD)


def test_detects_and_converts_by_prefix(released):
    assert detect_layout(list(released)) == 'depth_anything_3'
    converted, layout, summary = convert_state_dict(released)
    assert layout == 'depth_anything_3'
    assert set(converted) == set(tiny_model().state_dict())
    assert summary.mapped == {
        ('model.backbone.pretrained.', 'backbone.'): 62,
        ('model.head.', 'head.'): 64}
    assert to_da3_keys(converted).keys() == released.keys()
    assert missing_da3_keys(list(released)) == []


def test_snapshot_folder_and_hf_cache_load_with_no_missing_keys(
        released, tmp_path, monkeypatch):
    folder = write_da3_snapshot(tmp_path / 'local', released)
    repo = tmp_path / 'cache' / 'models--depth-anything--DA3METRIC-LARGE'
    commit = 'b' * 40
    write_da3_snapshot(repo / 'snapshots' / commit, released)
    (repo / 'refs').mkdir()
    (repo / 'refs' / 'main').write_text(commit)
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_OFFLINE', True)
    monkeypatch.setenv('HF_HUB_CACHE', str(tmp_path / 'cache'))
    monkeypatch.setattr(huggingface_hub.constants, 'HF_HUB_CACHE',
                        str(tmp_path / 'cache'))
    for spec in (folder, str(Path(folder) / 'model.safetensors'),
                 'hf://depth-anything/DA3METRIC-LARGE'):
        model = tiny_model()
        result = load_pretrained(model, spec, strict=True)
        assert result.missing_keys == [] and result.unexpected_keys == []
        assert torch.equal(model.head.scratch.sky_output_conv2[2].bias,
                           released['model.head.scratch.sky_output_conv2.2'
                                    '.bias'])


def test_config_init_cfg_and_encoder_init_cfg(released, tmp_path):
    """Whole model through model.init_cfg; the encoder alone through
    backbone.init_cfg (the ZoeDepth-head fine-tuning start)."""
    folder = write_da3_snapshot(tmp_path / 'snap', released, 'da3mono-large')
    model = MetricDepther(
        backbone=TINY_DA3_BACKBONE, neck=None, head=TINY_DA3_HEAD,
        init_cfg=dict(type='Pretrained', checkpoint=folder))
    model.init_weights()
    by_flag = MetricDepther(backbone=TINY_DA3_BACKBONE, neck=None,
                            head=TINY_DA3_HEAD, pretrained=folder)
    by_flag.init_weights()  # --pretrained-checkpoint writes model.pretrained
    for key, value in convert_state_dict(released)[0].items():
        assert torch.equal(model.state_dict()[key], value), key
        assert torch.equal(by_flag.state_dict()[key], value), key
    encoder = DINOv2(**{k: v for k, v in TINY_DA3_BACKBONE.items()
                        if k != 'type'},
                     init_cfg=dict(type='Pretrained', checkpoint=folder))
    encoder.init_weights()
    assert torch.equal(encoder.norm.weight,
                       released['model.backbone.pretrained.norm.weight'])


@pytest.mark.parametrize('extra, what', [
    ('model.backbone.pretrained.camera_token', 'a camera token'),
    ('model.backbone.pretrained.blocks.0.attn.q_norm.weight', 'QK-norm'),
    ('model.backbone.pretrained.rope.periods', 'RoPE'),
    ('model.head.scratch.output_conv2_aux.0.0.weight', 'DualDPT'),
    ('model.cam_dec.fc_t.weight', 'camera encoder/decoder'),
])
def test_any_view_checkpoints_are_refused_by_name(released, extra, what):
    state = dict(released, **{extra: torch.zeros(2)})
    with pytest.raises(UnsupportedCheckpointError) as err:
        convert_state_dict(state)
    message = str(err.value)
    assert 'any-view' in message and what in message
    assert 'DA3Mono-Large' in message and 'DA3METRIC-LARGE' in message


def test_cat_token_head_is_refused(released):
    state = dict(released)
    state['model.head.projects.0.weight'] = torch.zeros(8, 128, 1, 1)
    with pytest.raises(UnsupportedCheckpointError, match='cat_token'):
        convert_state_dict(state)


def test_config_json_naming_an_any_view_model_is_refused(released, tmp_path):
    folder = write_da3_snapshot(tmp_path / 'snap', released, 'da3-large')
    with pytest.raises(UnsupportedCheckpointError,
                       match=r"snap.*model_name 'da3-large'"):
        load_pretrained(tiny_model(), folder)


def test_config_json_contradicting_the_keys_is_named(tmp_path):
    state = {f'pretrained.{k}': v for k, v in DINOv2(
        arch=dict(embed_dims=32, num_layers=2, num_heads=2),
        img_size=56).state_dict().items()}
    folder = write_da3_snapshot(tmp_path / 'snap', state, 'da3mono-large')
    with pytest.raises(UnknownLayoutError,
                       match="'da3mono-large'.*'depth_anything_v2'"):
        load_pretrained(tiny_model(), folder)


def test_truncated_checkpoint_names_the_missing_keys(released, tmp_path):
    state = {k: v for k, v in released.items()
             if not k.startswith(('model.backbone.pretrained.blocks.3.attn',
                                  'model.head.scratch.sky_output_conv2'))}
    folder = write_da3_snapshot(tmp_path / 'snap', state)
    with pytest.raises(IncompleteCheckpointError) as err:
        load_pretrained(tiny_model(), folder)
    message = str(err.value)
    assert 'snap' in message and 'without 8 of its keys' in message
    for key in ('model.backbone.pretrained.blocks.3.attn.qkv.weight',
                'model.head.scratch.sky_output_conv2.2.bias'):
        assert key in message


def test_random_tiny_snapshot_round_trips(tmp_path):
    """The helper PART B's entry-point tests use writes a loadable file."""
    model = build_tiny_da3(seed=3)
    folder = write_da3_snapshot(tmp_path / 's', to_da3_keys(
        model.state_dict()))
    config = json.loads((Path(folder) / 'config.json').read_text())
    assert config == {'model_name': 'da3metric-large'}
    other = tiny_model()
    assert load_pretrained(other, folder, strict=True).missing_keys == []
    for key, value in model.state_dict().items():
        assert torch.equal(other.state_dict()[key], value), key


def test_bare_network_state_dict_loads_and_any_view_is_still_named(
        released, tmp_path):
    """DepthAnything3Net.state_dict() (no API ``model.``) is DA3 too."""
    bare = {k[len('model.'):]: v for k, v in released.items()}
    assert detect_layout(list(released)) == 'depth_anything_3'
    converted, layout, _ = convert_state_dict(bare)
    assert layout == 'depth_anything_3'
    assert converted.keys() == convert_state_dict(released)[0].keys()
    folder = write_da3_snapshot(tmp_path / 'bare', bare, 'da3mono-large')
    model = tiny_model()
    assert load_pretrained(model, folder, strict=True).missing_keys == []
    assert torch.equal(model.backbone.norm.weight,
                       released['model.backbone.pretrained.norm.weight'])
    for extra, what in (('backbone.pretrained.camera_token', 'camera token'),
                        ('cam_dec.fc_t.weight', 'camera encoder/decoder')):
        with pytest.raises(UnsupportedCheckpointError, match=what):
            convert_state_dict(dict(bare, **{extra: torch.zeros(2)}))
    del bare['head.scratch.output_conv1.weight']
    with pytest.raises(IncompleteCheckpointError,
                       match=r"bare network.*missing model\.head\.scratch"
                       r"\.output_conv1\.weight"):
        convert_state_dict(bare)
