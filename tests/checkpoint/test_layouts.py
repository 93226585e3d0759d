"""Checkpoint layouts: detection, key mapping, safe loading, the converter."""
import importlib.util
import re
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from da2zoe.checkpoint import (
    UnknownLayoutError,
    UnsafeCheckpointError,
    UnsupportedCheckpointError,
    convert_state_dict,
    load_checkpoint_file,
    load_pretrained,
)
from da2zoe.models.backbones import DINOv2

ROOT = Path(__file__).parents[2]
GOLDEN = ROOT / 'tests' / 'data' / 'golden'
TINY = dict(embed_dims=64, num_layers=4, num_heads=2)
ENCODER_KEYS = 63  # tiny DINOv2 (4 blocks): tensors in its state dict
HEAD_PREFIXES = ('conv2.', 'seed_bin_regressor.', 'seed_projector.',
                 'projectors.', 'attractors.', 'conditional_log_binomial.')


def golden_params(name: str) -> OrderedDict:
    with np.load(GOLDEN / f'{name}.npz', allow_pickle=False) as data:
        return OrderedDict((key[len('param/'):], torch.from_numpy(data[key]))
                           for key in data.files if key.startswith('param/'))


@pytest.fixture(scope='module')
def da2_relative() -> OrderedDict:
    """Official DA-V2 layout: ``pretrained.*`` + ``depth_head.*``."""
    return golden_params('da2_relative_tiny')


@pytest.fixture(scope='module')
def da1_metric() -> OrderedDict:
    """Official Depth Anything V1 metric (ZoeDepth) layout."""
    return golden_params('zoedepth_da1_tiny')


def ddp(state_dict: dict) -> OrderedDict:
    return OrderedDict(('module.' + k, v) for k, v in state_dict.items())


def prefix_counts(keys) -> dict:
    counts = {}
    for key in keys:
        top = key.split('.', 1)[0]
        counts[top] = counts.get(top, 0) + 1
    return counts


def test_depth_anything_v2(da2_relative):
    converted, layout, summary = convert_state_dict(da2_relative)
    assert layout == 'depth_anything_v2'
    num_neck = len(da2_relative) - ENCODER_KEYS
    assert prefix_counts(converted) == {
        'backbone': ENCODER_KEYS, 'neck': num_neck}
    assert summary.mapped == {('pretrained.', 'backbone.'): ENCODER_KEYS,
                              ('depth_head.', 'neck.'): num_neck}
    # Prefix mapping only: the DPT keeps DA-V2's sub-names, tensors shared.
    assert converted['neck.scratch.refinenet4.out_conv.weight'] is \
        da2_relative['depth_head.scratch.refinenet4.out_conv.weight']
    assert 'backbone.blocks.3.ls2.gamma' in converted


def test_dinov2_hub():
    hub = OrderedDict(
        (k[len('pretrained.'):], v)
        for k, v in golden_params('dinov2_tiny').items())
    converted, layout, summary = convert_state_dict(hub)
    assert layout == 'dinov2_hub'
    assert list(converted) == ['backbone.' + k for k in hub]
    assert 'no prefix' in str(summary)


@pytest.mark.parametrize('prefix', ['', 'pretrained.'])
def test_dinov2_with_registers_is_refused_not_half_loaded(prefix):
    """dinov2_*_reg files hold register_tokens, which our DINOv2 lacks:
    loading the rest would run another network."""
    hub = OrderedDict(
        (prefix + k[len('pretrained.'):], v)
        for k, v in golden_params('dinov2_tiny').items())
    hub[prefix + 'register_tokens'] = torch.zeros(1, 4, 32)
    with pytest.raises(UnsupportedCheckpointError,
                       match="register tokens .*register_tokens'.* not "
                       'supported'):
        convert_state_dict(hub)


def test_da_v2_training_checkpoint(da2_relative):
    checkpoint = dict(
        model=ddp(da2_relative),
        optimizer=dict(state={}, param_groups=[dict(lr=5e-6)]),
        epoch=3,
        previous_best=dict(d1=0.9, abs_rel=0.1))
    converted, layout, summary = convert_state_dict(checkpoint)
    assert layout == 'depth_anything_v2'
    assert summary.wrappers == ['model']
    assert summary.stripped == {'module.': len(da2_relative)}
    assert list(converted) == list(convert_state_dict(da2_relative)[0])


def test_da2zoe_state_dict_is_kept():
    state_dict = OrderedDict([('backbone.cls_token', torch.zeros(1, 1, 8)),
                              ('neck.projects.0.weight', torch.zeros(4, 8)),
                              ('head.conv2.weight', torch.zeros(2, 2, 1, 1))])
    converted, layout, summary = convert_state_dict(state_dict)
    assert layout == 'da2zoe' and list(converted) == list(state_dict)
    assert summary.unchanged == 3 and not summary.mapped


def test_mmengine_checkpoint():
    state_dict = ddp({'backbone.norm.weight': torch.ones(8),
                      'head.conv2.bias': torch.zeros(2)})
    checkpoint = dict(
        meta=dict(epoch=1, iter=100, seed=0),
        state_dict=state_dict,
        message_hub=dict(log_scalars={}),
        optimizer=dict(state={}, param_groups=[]))
    converted, layout, summary = convert_state_dict(checkpoint)
    assert layout == 'da2zoe' and summary.wrappers == ['state_dict']
    assert list(converted) == ['backbone.norm.weight', 'head.conv2.bias']


def test_depth_anything_v1_metric(da1_metric):
    # Released V1 / ZoeDepth checkpoints come wrapped with a DDP prefix.
    converted, layout, summary = convert_state_dict(
        dict(model=ddp(da1_metric)))
    assert layout == 'depth_anything_v1_metric'
    assert summary.unchanged == 0
    num_neck = sum(k.startswith('core.core.depth_head.') for k in da1_metric)
    num_head = sum(k.startswith(HEAD_PREFIXES) for k in da1_metric)
    assert prefix_counts(converted) == {
        'backbone': ENCODER_KEYS, 'neck': num_neck, 'head': num_head}
    assert num_head + num_neck + ENCODER_KEYS == len(da1_metric)
    for name in ('conv2.weight', 'seed_bin_regressor._net.0.weight',
                 'seed_projector._net.2.bias', 'projectors.3._net.0.weight',
                 'attractors.0._net.2.weight',
                 'conditional_log_binomial.mlp.2.bias',
                 'conditional_log_binomial.log_binomial_transform.k_idx'):
        assert converted['head.' + name] is da1_metric[name]
    assert converted['neck.scratch.output_conv2.2.weight'] is \
        da1_metric['core.core.depth_head.scratch.output_conv2.2.weight']


def test_unknown_layout_and_non_state_dicts():
    with pytest.raises(UnknownLayoutError, match=r"Unknown checkpoint layout"
                       r" \(1 keys, first \['fc.weight'\]\)"):
        convert_state_dict({'fc.weight': torch.zeros(1)})
    # One stray key in a da2zoe checkpoint: never a silent partial load;
    # the message names the closest layout and the key it cannot place.
    with pytest.raises(UnknownLayoutError,
                       match=r"da2zoe explains 67% \(not e.g. \['ema.w'\]"):
        convert_state_dict({'backbone.norm.weight': torch.ones(2),
                            'head.conv2.bias': torch.zeros(2),
                            'ema.w': torch.zeros(1)})
    # transformers' keys also start with backbone./neck./head.: told apart
    # by the names under them.
    hf = {'backbone.embeddings.cls_token': torch.zeros(1, 1, 8),
          'neck.convs.0.weight': torch.zeros(4, 8, 3, 3),
          'head.conv3.bias': torch.zeros(1)}
    assert convert_state_dict(hf)[1] == 'transformers_depth_anything'
    assert convert_state_dict({'backbone.blocks.0.norm1.weight': torch.ones(
        2), 'head.conv3.bias': torch.zeros(1)})[1] == 'da2zoe'
    with pytest.raises(ValueError, match='not tensors'):
        convert_state_dict({'epoch': 3, 'weights': [torch.zeros(1)]})
    with pytest.raises(ValueError, match='collide'):
        convert_state_dict({'module.a': torch.zeros(1),
                            'a': torch.zeros(1)})


def test_official_vits_key_set_loads_without_missing_encoder_keys(
        da2_relative):
    """Real vits encoder names and shapes, on meta tensors (no memory).

    The DPT keys are DA-V2's names (shapes of the tiny golden model; they are
    not loaded into a bare backbone).
    """
    with torch.device('meta'):
        model = DINOv2('vits')
        dpt = OrderedDict((k, torch.empty(v.shape))
                          for k, v in da2_relative.items()
                          if k.startswith('depth_head.'))
    official = OrderedDict(('pretrained.' + k, torch.empty_like(v))
                           for k, v in model.state_dict().items())
    official.update(dpt)
    assert official['pretrained.pos_embed'].shape == (1, 1370, 384)
    # tokens 3, patch_embed 2, 14 per block, final norm 2
    assert len(official) - len(dpt) == 3 + 2 + 12 * 14 + 2

    converted, layout, _ = convert_state_dict(official)
    assert layout == 'depth_anything_v2'
    result = load_pretrained(model, official, prefix_filter='backbone.')
    assert result.missing_keys == [] and result.unexpected_keys == []
    encoder = {k[len('backbone.'):]: v.shape for k, v in converted.items()
               if k.startswith('backbone.')}
    assert encoder == {k: v.shape for k, v in model.state_dict().items()}


class OtherNeckModel(nn.Module):
    """A da2zoe-style model whose neck is not a DPT."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = DINOv2(arch=TINY).double()
        self.neck = nn.Conv2d(64, 8, 1).double()


def test_load_reports_unexpected_neck_but_loads_backbone(da2_relative):
    model = OtherNeckModel()
    result = load_pretrained(model, da2_relative)
    assert result.layout == 'depth_anything_v2'
    assert sorted(result.missing_keys) == ['neck.bias', 'neck.weight']
    assert len(result.unexpected_keys) == len(da2_relative) - ENCODER_KEYS
    assert all(k.startswith('neck.') for k in result.unexpected_keys)
    assert torch.equal(model.backbone.pos_embed,
                       da2_relative['pretrained.pos_embed'])
    assert torch.equal(model.backbone.mask_token,
                       da2_relative['pretrained.mask_token'])
    with pytest.raises(RuntimeError, match='neck.weight'):
        load_pretrained(model, da2_relative, strict=True)


def test_load_bare_backbone_from_v1_metric_file(da1_metric, tmp_path):
    path = tmp_path / 'depth_anything_metric_depth_indoor.pt'
    torch.save(dict(model=ddp(da1_metric)), path)
    backbone = DINOv2(arch=TINY).double()
    result = load_pretrained(backbone, path, prefix_filter='backbone.')
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(backbone.norm.bias,
                       da1_metric['core.core.pretrained.norm.bias'])


def test_shape_mismatch_names_key_and_shapes(da2_relative):
    bad = OrderedDict(da2_relative)
    bad['pretrained.blocks.2.attn.qkv.weight'] = torch.zeros(96, 64)
    with pytest.raises(ValueError) as err:
        load_pretrained(DINOv2(arch=TINY), bad, prefix_filter='backbone.')
    message = str(err.value)
    assert 'blocks.2.attn.qkv.weight' in message
    assert '(96, 64)' in message and '(192, 64)' in message


def test_nothing_matching_is_an_error(da2_relative):
    with pytest.raises(ValueError, match="No 'head.' keys"):
        load_pretrained(DINOv2(arch=TINY), da2_relative, prefix_filter='head.')
    with pytest.raises(UnknownLayoutError,
                       match='the given state dict: Unknown checkpoint'):
        load_pretrained(DINOv2(arch=TINY), {'fc.weight': torch.zeros(1),
                                            'fc.bias': torch.zeros(1)})
    with pytest.raises(ValueError, match='None of the 2 keys'):
        load_pretrained(DINOv2(arch=TINY), {'neck.a': torch.zeros(1),
                                            'head.b': torch.zeros(1)})


EXECUTED = []


def record_execution(value: str) -> str:
    EXECUTED.append(value)
    return value


class Payload:
    """Unpickling this would run ``record_execution``."""

    def __reduce__(self):
        return record_execution, ('payload ran', )


@pytest.mark.parametrize('foreign', [Payload(), print],
                         ids=['reduce-payload', 'global-function'])
def test_foreign_objects_are_refused_not_executed(foreign, tmp_path):
    path = tmp_path / 'suspicious.pth'
    torch.save({'state_dict': {'backbone.norm.weight': torch.ones(2)},
                'extra': foreign}, path)
    with pytest.raises(UnsafeCheckpointError,
                       match=re.escape(str(path)) + '.*weights-only'):
        load_checkpoint_file(path)
    with pytest.raises(UnsafeCheckpointError):
        load_pretrained(DINOv2(arch=TINY), path)
    assert EXECUTED == []


def test_unreadable_and_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(tmp_path / 'nope.pth')
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(ValueError, match='empty.pth'):
        load_checkpoint_file(empty)
    # What a failed download leaves behind is named, not called unsafe.
    for name, text, what in (
            ('lfs.pth', 'version https://git-lfs.github.com/spec/v1\n'
             'oid sha256:0\nsize 1\n', 'a Git LFS pointer'),
            ('page.pth', '\n<!DOCTYPE html><html>Sign in</html>',
             'an HTML / XML page')):
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError, match=f'{name} is not a checkpoint: '
                           f'{what}') as info:
            load_checkpoint_file(tmp_path / name)
        assert not isinstance(info.value, UnsafeCheckpointError)


def load_converter():
    path = ROOT / 'tools' / 'model_converters' / 'convert_checkpoint.py'
    spec = importlib.util.spec_from_file_location('convert_checkpoint', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_converter_writes_da2zoe_checkpoint(da2_relative, tmp_path, capsys):
    src = tmp_path / 'depth_anything_v2_vittiny.pth'
    torch.save(dict(model=ddp(da2_relative), epoch=1), src)
    dst = tmp_path / 'out' / 'converted.pth'
    assert load_converter().main([str(src), str(dst), '--print-mapping']) == 0

    printed = capsys.readouterr().out
    assert 'layout: depth_anything_v2' in printed
    assert f'pretrained.* -> backbone.*: {ENCODER_KEYS} keys' in printed
    assert ("module.depth_head.projects.0.weight -> neck.projects.0.weight"
            in printed)
    assert [p.name for p in dst.parent.iterdir()] == ['converted.pth']

    saved = load_checkpoint_file(dst)
    assert saved['meta'] == dict(
        source_layout='depth_anything_v2', source_file=str(src))
    assert len(saved['state_dict']) == len(da2_relative)
    converted, layout, _ = convert_state_dict(saved)
    assert layout == 'da2zoe'
    assert torch.equal(converted['backbone.cls_token'],
                       da2_relative['pretrained.cls_token'])
