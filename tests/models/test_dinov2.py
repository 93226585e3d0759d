"""DINOv2 backbone: float64 parity with the reference, options, sizes."""
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.checkpoint import load_pretrained
from da2zoe.models.backbones import DINOv2
from da2zoe.models.backbones.pos_embed import pos_embed_for_grid
from da2zoe.registry import BACKBONES

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden'
# The golden outputs are float64 reference runs; a float64 re-implementation
# differs only by summation order (observed <= 2e-14, values up to ~10).
ATOL = 1e-10
TINY = dict(embed_dims=64, num_layers=4, num_heads=2)


def load_golden(name: str) -> dict:
    with np.load(GOLDEN / f'{name}.npz', allow_pickle=False) as data:
        return {key: torch.from_numpy(data[key]) for key in data.files}


def golden_params(golden: dict) -> dict:
    return {k[len('param/'):]: v for k, v in golden.items()
            if k.startswith('param/')}


def tiny_model(golden: dict | None = None, **kwargs) -> DINOv2:
    model = DINOv2(arch={**TINY, 'ffn_type': kwargs.pop('ffn_type', 'mlp')},
                   **kwargs).double()
    if golden is not None:
        result = load_pretrained(
            model, golden_params(golden), prefix_filter='backbone.')
        assert result.layout == 'depth_anything_v2'
        assert result.missing_keys == [] and result.unexpected_keys == []
    return model.eval()


@pytest.fixture(scope='module')
def golden_mlp() -> dict:
    return load_golden('dinov2_tiny')


@pytest.fixture(scope='module')
def golden_swiglu() -> dict:
    return load_golden('dinov2_tiny_swiglu')


def assert_levels_match(outs, golden: dict, tag: str) -> None:
    assert len(outs) == 4
    for i, (patch_map, cls_token) in enumerate(outs):
        ref_patch = golden[f'output/{tag}_patch_{i}']
        B, N, D = ref_patch.shape
        assert patch_map.shape[:2] == (B, D)
        assert patch_map.shape[2] * patch_map.shape[3] == N
        tokens = patch_map.flatten(2).transpose(1, 2)
        torch.testing.assert_close(tokens, ref_patch, atol=ATOL, rtol=0)
        torch.testing.assert_close(
            cls_token, golden[f'output/{tag}_cls_{i}'], atol=ATOL, rtol=0)


@pytest.mark.parametrize('tag', ['sq', 'ns', 'sm'])
def test_parity_mlp(golden_mlp, tag):
    model = tiny_model(golden_mlp)
    x = golden_mlp[f'input/{tag}']
    with torch.no_grad():
        outs = model(x)
    assert outs[0][0].shape[2:] == (x.shape[2] // 14, x.shape[3] // 14)
    assert_levels_match(outs, golden_mlp, tag)


def test_parity_swiglu(golden_swiglu):
    model = tiny_model(golden_swiglu, ffn_type='swiglu')
    assert model.blocks[0].mlp.w12.out_features == 2 * 176
    with torch.no_grad():
        outs = model(golden_swiglu['input/ns'])
    assert_levels_match(outs, golden_swiglu, 'ns')


@pytest.mark.parametrize('tag,grid', [('ns', (10, 14)), ('sm', (9, 9))])
def test_pos_embed_interpolation(golden_mlp, tag, grid):
    pos_embed = golden_mlp['param/pretrained.pos_embed']
    torch.testing.assert_close(
        pos_embed_for_grid(pos_embed, grid),
        golden_mlp[f'output/{tag}_pos_embed'],
        atol=ATOL,
        rtol=0)
    if tag == 'ns':  # float32 resizes in float32, like the reference;
        # ATen's CPU kernels differ by up to 1.7e-6 there (golden README).
        torch.testing.assert_close(
            pos_embed_for_grid(pos_embed.float(), grid).double(),
            golden_mlp['alt_f32pos/ns_pos_embed'],
            atol=1e-5,
            rtol=0)
    # The 37x37 grid (518x518) is the only one used as stored.
    assert pos_embed_for_grid(pos_embed, (37, 37)) is pos_embed


def test_out_indices_list_and_last_n(golden_mlp):
    x = golden_mlp['input/ns']
    with torch.no_grad():
        outs = tiny_model(golden_mlp, out_indices=[3, 1])(x)
        last_two = tiny_model(golden_mlp, out_indices=2)(x)
        negative = tiny_model(golden_mlp, out_indices=[-3, -1])(x)
    for got, i in zip(outs, [1, 3]):  # block order, whatever the list order
        torch.testing.assert_close(
            got[1], golden_mlp[f'output/ns_cls_{i}'], atol=ATOL, rtol=0)
    for got, i in zip(last_two, [2, 3]):
        torch.testing.assert_close(
            got[1], golden_mlp[f'output/ns_cls_{i}'], atol=ATOL, rtol=0)
    assert torch.equal(negative[1][0], outs[1][0])


def test_out_indices_defaults_and_errors():
    with torch.device('meta'):
        assert DINOv2('vits').out_indices == (2, 5, 8, 11)
        assert DINOv2('vitl').out_indices == (4, 11, 17, 23)
        assert DINOv2('vitg').out_indices == (9, 19, 29, 39)
        assert DINOv2('vitl', out_indices=4).out_indices == (20, 21, 22, 23)
    assert DINOv2(arch=TINY).out_indices == (0, 1, 2, 3)
    with pytest.raises(ValueError, match='outside'):
        DINOv2(arch=TINY, out_indices=[4])
    with pytest.raises(ValueError, match='last 5 blocks'):
        DINOv2(arch=TINY, out_indices=5)
    with pytest.raises(ValueError, match='unknown keys'):
        DINOv2(arch={**TINY, 'depth': 4})
    with pytest.raises(ValueError, match='Unknown DINOv2 arch'):
        DINOv2(arch='vith')


def test_input_size_must_be_multiple_of_patch():
    model = DINOv2(arch=TINY).eval()
    with pytest.raises(ValueError) as err:
        model(torch.zeros(1, 3, 140, 200))
    message = str(err.value)
    assert '140x200' in message and 'width 200 -> 196 or 210' in message
    assert 'height' not in message.split('nearest')[1]


@pytest.mark.parametrize('arch,count', [('vits', 22_056_576),
                                        ('vitb', 86_580_480),
                                        ('vitl', 304_368_640),
                                        ('vitg', 1_136_480_768)])
def test_parameter_counts_on_meta_device(arch, count):
    with torch.device('meta'):
        model = BACKBONES.build(dict(type='DINOv2', arch=arch))
    assert next(model.parameters()).is_meta
    assert sum(p.numel() for p in model.parameters()) == count
    names = dict(model.named_parameters())
    assert names['pos_embed'].shape == (1, 1370, model.embed_dims)
    ffn = ('mlp.w12.weight', 'mlp.w3.weight') if arch == 'vitg' else (
        'mlp.fc1.weight', 'mlp.fc2.weight')
    for suffix in ('ls1.gamma', 'attn.qkv.bias', *ffn):
        assert f'blocks.{model.num_layers - 1}.{suffix}' in names
    if arch == 'vitg':
        assert names['blocks.0.mlp.w12.weight'].shape == (8192, 1536)


def test_vits_forward_backward_392x518():
    torch.manual_seed(0)
    model = DINOv2('vits').train()
    outs = model(torch.randn(1, 3, 392, 518))
    assert [tuple(p.shape) for p, _ in outs] == [(1, 384, 28, 37)] * 4
    assert all(tuple(c.shape) == (1, 384) for _, c in outs)
    sum(p.mean() + c.mean() for p, c in outs).backward()
    assert model.blocks[11].mlp.fc2.weight.grad is not None
    assert model.pos_embed.grad.abs().sum() > 0
    assert model.mask_token.grad is None


def test_frozen_gets_no_grads_and_stays_eval():
    model = DINOv2(arch=TINY, frozen=True)
    model.train()
    assert not model.training and not model.blocks[0].training
    assert not any(p.requires_grad for p in model.parameters())
    x = torch.randn(1, 3, 28, 42, requires_grad=True)
    patch_map, _ = model(x)[-1]
    patch_map.sum().backward()
    assert x.grad is not None
    assert all(p.grad is None for p in model.parameters())


def test_with_cp_same_output_and_grads():
    torch.manual_seed(0)
    plain = DINOv2(arch=TINY).double().train()
    checkpointed = DINOv2(arch=TINY, with_cp=True).double().train()
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 42, 56, dtype=torch.float64)
    grads = []
    for model in (plain, checkpointed):
        outs = model(x)
        sum((p**2).mean() + c.sum() for p, c in outs).backward()
        grads.append({n: p.grad for n, p in model.named_parameters()
                      if p.grad is not None})
    for a, b in zip(plain(x), checkpointed(x)):
        torch.testing.assert_close(a[0], b[0], atol=ATOL, rtol=0)
    assert grads[0].keys() == grads[1].keys() and len(grads[0]) > 40
    for name, grad in grads[0].items():
        torch.testing.assert_close(grad, grads[1][name], atol=ATOL, rtol=0)


def test_init_cfg_pretrained_loads_da_v2_file(golden_mlp, tmp_path):
    path = tmp_path / 'depth_anything_v2_tiny.pth'
    torch.save(golden_params(golden_mlp), path)
    model = DINOv2(
        arch=TINY,
        out_indices=[0, 1, 2, 3],
        init_cfg=dict(type='Pretrained', checkpoint=str(path))).double()
    model.init_weights()
    model.eval()
    with torch.no_grad():
        outs = model(golden_mlp['input/sm'])
    assert_levels_match(outs, golden_mlp, 'sm')
