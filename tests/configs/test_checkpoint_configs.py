"""Every official checkpoint family has a config whose model has its
tensors: built at full size on the meta device (no memory, no weights)."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from da2zoe.registry import MODELS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs'


def meta_model(name: str) -> torch.nn.Module:
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    with torch.device('meta'):
        return MODELS.build(cfg.model)


# DA-V2 metric models: the whole published parameter count (REFERENCE.md:
# 24.8M / 97.5M / 335.3M), all in backbone + neck (the head has none).
@pytest.mark.parametrize('arch,millions', [('vits', 24.8), ('vitb', 97.5),
                                           ('vitl', 335.3)])
@pytest.mark.parametrize('data', ['hypersim', 'vkitti'])
def test_da2_metric_configs_have_the_published_size(arch, millions, data):
    model = meta_model(f'da2-metric_{arch}_{data}.py')
    count = sum(p.numel() for p in model.parameters())
    assert count / 1e6 == pytest.approx(millions, abs=0.05)
    assert not list(model.head.parameters())
    assert model.max_depth == (20.0 if data == 'hypersim' else 80.0)
    assert model.data_preprocessor.input_resize['resize_method'] == \
        'lower_bound'


@pytest.mark.parametrize('name,blocks', [
    ('da2zoe-dpt_vits_nyu.py', (2, 5, 8, 11)),
    ('da2zoe-dpt_vitb_nyu.py', (2, 5, 8, 11)),
    ('da2zoe-dpt_vitl-da2_nyu.py', (4, 11, 17, 23)),
    ('da2zoe-dpt_vitg_nyu.py', (9, 19, 29, 39)),
    ('da2zoe-dpt_vitl_nyu.py', (20, 21, 22, 23)),
    ('da2zoe-dpt_vitl_kitti.py', (20, 21, 22, 23)),
])
def test_dpt_configs_read_their_checkpoints_blocks(name, blocks):
    assert meta_model(name).backbone.out_indices == blocks


def test_v1_outdoor_head_has_the_normed_shapes():
    """depth_anything_metric_depth_outdoor.pt: normed attractors, 2 x
    n_attractors output channels per level, 80 m."""
    model = meta_model('da2zoe-dpt_vitl_kitti.py')
    state = model.state_dict()
    shapes = [tuple(state[f'head.attractors.{i}._net.2.bias'].shape)
              for i in range(4)]
    assert shapes == [(32, ), (16, ), (8, ), (2, )]
    assert tuple(state['head.attractors.0._net.2.weight'].shape) == \
        (32, 128, 1, 1)
    assert model.max_depth == 80.0
    indoor = meta_model('da2zoe-dpt_vitl_nyu.py').state_dict()
    assert tuple(indoor['head.attractors.0._net.2.bias'].shape) == (16, )
