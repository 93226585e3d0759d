"""Parity with transformers' DINOv2 and Depth Anything, float64.

Tiny random transformers models are built offline, their state dicts (the
in-memory names of transformers 5 and the file names ``save_pretrained``
writes) loaded into da2zoe models by layout detection, and outputs compared
on a non-square input that is not the stored grid (<= 1e-10 relative).
"""
import pytest
import torch
from transformers import (
    DepthAnythingConfig,
    DepthAnythingForDepthEstimation,
    Dinov2Backbone,
    Dinov2Config,
    Dinov2ForImageClassification,
    Dinov2Model,
)

from da2zoe.checkpoint import convert_state_dict, load_pretrained
from da2zoe.checkpoint.layouts import UnknownLayoutError
from da2zoe.models.backbones import DINOv2
from da2zoe.registry import MODELS

TOL = dict(atol=1e-10, rtol=1e-10)
WIDTH, HEADS = 32, 2
X_SHAPE = (2, 3, 70, 112)  # a 5 x 8 grid; the stored grid is 4 x 4


def randomise(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Every tensor random (layer scales and norms too), float64, eval."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(0.2 * torch.randn(param.shape, generator=generator,
                                          dtype=param.dtype))
    return model.double().eval()


def dinov2_config(layers: int = 3, swiglu: bool = False,
                  **kwargs) -> Dinov2Config:
    return Dinov2Config(image_size=56, patch_size=14, hidden_size=WIDTH,
                        num_hidden_layers=layers, num_attention_heads=HEADS,
                        use_swiglu_ffn=swiglu, **kwargs)


def x_input(seed: int = 0) -> torch.Tensor:
    return torch.randn(X_SHAPE, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


def file_names(folder) -> dict:
    """The names transformers writes to disk (save_pretrained)."""
    from safetensors.torch import load_file
    return load_file(str(folder / 'model.safetensors'))


@pytest.mark.parametrize('swiglu', [False, True], ids=['mlp', 'giant_swiglu'])
@torch.no_grad()
def test_dinov2_model_parity(swiglu, tmp_path):
    reference = randomise(Dinov2Model(dinov2_config(swiglu=swiglu)), 1)
    x = x_input()
    hidden = reference(x, output_hidden_states=True).hidden_states
    reference.save_pretrained(tmp_path)
    arch = dict(embed_dims=WIDTH, num_layers=3, num_heads=HEADS,
                ffn_type='swiglu' if swiglu else 'mlp')
    for state_dict in (reference.state_dict(), file_names(tmp_path)):
        ours = DINOv2(arch=arch, img_size=56, out_indices=(0, 1, 2),
                      pos_embed_rule='transformers').double().eval()
        result = load_pretrained(ours, state_dict, prefix_filter='backbone.',
                                 strict=True)
        assert result.layout == 'transformers_dinov2'
        for (patch_map, cls), expected in zip(ours(x), hidden[1:]):
            expected = reference.layernorm(expected)
            torch.testing.assert_close(cls, expected[:, 0], **TOL)
            torch.testing.assert_close(
                patch_map.flatten(2).transpose(1, 2), expected[:, 1:], **TOL)


@torch.no_grad()
def test_dinov2_classifier_gives_its_encoder(tmp_path):
    """An ImageNet-tuned Dinov2ForImageClassification: the encoder loads
    (strict), the head is dropped and said so; the same head beside other
    keys is still refused."""
    reference = randomise(Dinov2ForImageClassification(
        dinov2_config(num_labels=7)), 5)
    x = x_input(1)
    hidden = reference.dinov2(x, output_hidden_states=True).hidden_states
    reference.save_pretrained(tmp_path)
    for source in (reference.state_dict(), str(tmp_path)):
        ours = DINOv2(arch=dict(embed_dims=WIDTH, num_layers=3,
                                num_heads=HEADS),
                      img_size=56, out_indices=(2, ),
                      pos_embed_rule='transformers').double().eval()
        result = load_pretrained(ours, source, prefix_filter='backbone.',
                                 strict=True)
        assert sorted(result.summary.dropped) == ['classifier.bias',
                                                  'classifier.weight']
        assert 'dropped the classification head' in str(result.summary)
        (patch_map, cls), = ours(x)
        expected = reference.dinov2.layernorm(hidden[-1])
        torch.testing.assert_close(cls, expected[:, 0], **TOL)
    mixed = dict(reference.state_dict())
    mixed['neck.conv.weight'] = torch.zeros(1)
    with pytest.raises(UnknownLayoutError, match='classifier'):
        convert_state_dict(mixed)


@torch.no_grad()
def test_dinov2_backbone_parity(tmp_path):
    """Dinov2Backbone (the DPT/DA backbone class): its normed feature maps
    are our patch maps, stage k = block k - 1."""
    reference = randomise(Dinov2Backbone(dinov2_config(
        out_indices=[1, 2, 3], apply_layernorm=True,
        reshape_hidden_states=True)), 2)
    x = x_input(2)
    maps = reference(x).feature_maps
    assert maps[0].shape == (2, WIDTH, 5, 8)
    reference.save_pretrained(tmp_path)
    for state_dict in (reference.state_dict(), file_names(tmp_path)):
        ours = DINOv2(arch=dict(embed_dims=WIDTH, num_layers=3,
                                num_heads=HEADS),
                      img_size=56, out_indices=(0, 1, 2),
                      pos_embed_rule='transformers').double().eval()
        result = load_pretrained(ours, state_dict, prefix_filter='backbone.',
                                 strict=True)
        assert result.layout == 'transformers_dinov2'
        for (patch_map, _), expected in zip(ours(x), maps):
            torch.testing.assert_close(patch_map, expected, **TOL)


def depth_anything(kind: str, out_indices: list, seed: int
                   ) -> DepthAnythingForDepthEstimation:
    config = DepthAnythingConfig(
        backbone_config=dinov2_config(
            layers=6, out_indices=out_indices, apply_layernorm=True,
            reshape_hidden_states=False),
        reassemble_hidden_size=WIDTH, patch_size=14,
        neck_hidden_sizes=[8, 16, 24, 32], fusion_hidden_size=16,
        head_hidden_size=32, depth_estimation_type=kind,
        max_depth=20 if kind == 'metric' else 1)
    return randomise(DepthAnythingForDepthEstimation(config), seed)


def our_depth_anything(kind: str, out_indices):
    neck = dict(type='DPTNeck', in_channels=WIDTH, features=16,
                out_channels=(8, 16, 24, 32))
    backbone = dict(type='DINOv2', img_size=56, out_indices=out_indices,
                    pos_embed_rule='transformers',
                    arch=dict(embed_dims=WIDTH, num_layers=6,
                              num_heads=HEADS))
    if kind == 'relative':
        return (MODELS.build(backbone).double().eval(),
                MODELS.build(neck).double().eval())
    return MODELS.build(
        dict(type='MetricDepther', backbone=backbone,
             neck=dict(neck, head_activation='sigmoid', max_depth=20.0),
             head=dict(type='DPTMetricHead', max_depth=20.0))).double().eval()


# transformers' stage k = the output of block k - 1.
CASES = {
    'v2_relative': ('relative', [2, 3, 5, 6], (1, 2, 4, 5)),
    'v2_metric': ('metric', [2, 3, 5, 6], (1, 2, 4, 5)),
    'v1_relative': ('relative', [3, 4, 5, 6], 4),
}


@pytest.mark.parametrize('case', list(CASES))
@torch.no_grad()
def test_depth_anything_parity(case, tmp_path):
    kind, hf_indices, our_indices = CASES[case]
    reference = depth_anything(kind, hf_indices, seed=len(case))
    x = x_input(1)
    expected = reference(x).predicted_depth
    assert expected.shape == (2, 70, 112)
    reference.save_pretrained(tmp_path)
    for state_dict in (reference.state_dict(), file_names(tmp_path)):
        converted, layout, _ = convert_state_dict(state_dict)
        assert layout == 'transformers_depth_anything'
        if kind == 'relative':
            backbone, neck = our_depth_anything(kind, our_indices)
            load_pretrained(backbone, converted, prefix_filter='backbone.',
                            strict=True)
            load_pretrained(neck, converted, prefix_filter='neck.',
                            strict=True)
            depth = neck(backbone(x))['rel_depth']
        else:
            model = our_depth_anything(kind, our_indices)
            load_pretrained(model, state_dict, strict=True)
            depth = model(x, mode='tensor')
        torch.testing.assert_close(depth.squeeze(1), expected, **TOL)


@torch.no_grad()
def test_original_rule_differs_from_transformers():
    """Why the rule is selectable: the two resizes are not the same."""
    from da2zoe.models.backbones.pos_embed import pos_embed_for_grid
    from da2zoe.models.backbones.pos_embed_by_size import (
        pos_embed_for_grid_by_size,
    )
    pos = torch.randn(1, 17, 8, dtype=torch.float64)
    original = pos_embed_for_grid(pos, (5, 8))
    by_size = pos_embed_for_grid_by_size(pos, (5, 8))
    assert (original - by_size).abs().max() > 1e-3
    assert pos_embed_for_grid_by_size(pos, (4, 4)) is pos


@torch.no_grad()
def test_a_snapshot_of_the_other_depth_kind_is_refused(tmp_path):
    """Metric and relative snapshots have the same tensors; config.json
    tells them apart, and a mismatch would predict on the wrong scale."""
    metric = tmp_path / 'metric'
    depth_anything('metric', [2, 3, 5, 6], seed=3).save_pretrained(metric)
    relative = tmp_path / 'relative'
    depth_anything('relative', [2, 3, 5, 6], seed=4).save_pretrained(relative)
    _, neck = our_depth_anything('relative', (1, 2, 4, 5))
    with pytest.raises(ValueError, match="depth_estimation_type='metric' "
                       r"\(a sigmoid output\) but the model has "
                       "head_activation='relu'"):
        load_pretrained(neck, str(metric), prefix_filter='neck.')
    model = our_depth_anything('metric', (1, 2, 4, 5))
    with pytest.raises(ValueError, match="depth_estimation_type='relative'"):
        load_pretrained(model, str(relative))
    load_pretrained(model, str(metric), strict=True)  # the right kind loads
    wrong_range = our_depth_anything('metric', (1, 2, 4, 5))
    wrong_range.neck.max_depth = 80.0
    with pytest.raises(ValueError, match='config.json says max_depth=20 but '
                       'neck has max_depth=80.0'):
        load_pretrained(wrong_range, str(metric))
