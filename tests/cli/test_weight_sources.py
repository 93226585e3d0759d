"""The zoo configs name their weights; a run's own weights replace them."""
from pathlib import Path

import pytest
from mmengine.config import Config

from da2zoe.checkpoint.resolver import resolve_weights
from da2zoe.checkpoint.zoo import ENCODER_WEIGHTS, OFFICIAL_FILES
from da2zoe.cli.run_summary import random_frozen_banner
from da2zoe.cli.weight_sources import drop_config_weights, weight_lines
from da2zoe.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
# config -> (where init_cfg sits, the weights it names)
ZOO = {
    'da2zoe_vits_nyu.py': ('backbone', 'hf://' + ENCODER_WEIGHTS['vits'][1]),
    'da2zoe_vitb_nyu.py': ('backbone', 'hf://' + ENCODER_WEIGHTS['vitb'][1]),
    'da2zoe_vitl_nyu.py': ('backbone', 'hf://' + ENCODER_WEIGHTS['vitl'][1]),
    'da2zoe_vitl_nyu-sunrgbd.py': ('backbone',
                                   'hf://' + ENCODER_WEIGHTS['vitl'][1]),
    'da2zoe_vitl_nyu-sunrgbd-ibims.py': ('backbone', 'hf://' +
                                         ENCODER_WEIGHTS['vitl'][1]),
    'da2zoe_vitg_nyu.py': ('backbone', 'hf://' + ENCODER_WEIGHTS['vitg'][1]),
    'da2zoe-dpt_vits_nyu.py': ('model',
                               'hf://depth-anything/Depth-Anything-V2-'
                               'Small-hf'),
    'da2zoe-dpt_vitb_nyu.py': ('model', 'hf://depth-anything/Depth-Anything-'
                               'V2-Base-hf'),
    'da2zoe-dpt_vitl-da2_nyu.py': ('model', 'hf://depth-anything/Depth-'
                                   'Anything-V2-Large-hf'),
    'da2zoe-dpt_vitg_nyu.py': ('backbone', 'hf://facebook/dinov2-giant'),
    'da2zoe-dpt_vitl_nyu.py': ('model',
                               'depth_anything_metric_depth_indoor.pt'),
    'da2zoe-dpt_vitl_kitti.py': ('model',
                                 'depth_anything_metric_depth_outdoor.pt'),
    'da2-metric_vits_hypersim.py': ('model', 'hf://depth-anything/Depth-'
                                    'Anything-V2-Metric-Indoor-Small-hf'),
    'da2-metric_vitl_vkitti.py': ('model', 'hf://depth-anything/Depth-'
                                  'Anything-V2-Metric-Outdoor-Large-hf'),
}


@pytest.mark.parametrize('name', sorted(ZOO))
def test_config_names_its_weights(name):
    cfg = Config.fromfile(str(CONFIGS / name))
    where, spec = ZOO[name]
    part = cfg.model if where == 'model' else cfg.model.backbone
    assert part.init_cfg.type == 'Pretrained'
    assert part.init_cfg.checkpoint == spec
    if where == 'backbone':
        assert part.init_cfg.prefix == 'backbone.'
    assert f'weights: {spec}' in '\n'.join(weight_lines(cfg))


def test_every_top_level_config_has_weights_or_opts_out():
    for path in sorted(CONFIGS.glob('*.py')):
        cfg = Config.fromfile(str(path))
        text = '\n'.join(weight_lines(cfg))
        assert 'RANDOM' not in text, path.name  # demo: allow_random_frozen


def test_own_weights_replace_the_config_s():
    cfg = Config.fromfile(str(CONFIGS / 'da2zoe_vits_nyu.py'))
    assert drop_config_weights(cfg) is None  # nothing of the user's
    cfg.model.pretrained = 'mine.pth'
    replaced = drop_config_weights(cfg)
    assert replaced == ('hf://depth-anything/Depth-Anything-V2-Small-hf '
                        'replaced by mine.pth')
    assert cfg.model.backbone.init_cfg is None
    cfg = Config.fromfile(str(CONFIGS / 'da2zoe-dpt_vits_nyu.py'))
    cfg.load_from = 'work/checkpoint_latest.pth'
    assert 'replaced by work/checkpoint_latest.pth' in drop_config_weights(
        cfg)
    assert cfg.model.init_cfg is None


def test_start_up_summary_ends_with_the_banner():
    cfg = Config.fromfile(str(CONFIGS / 'da2zoe_vits_nyu.py'))
    cfg.model.backbone.init_cfg = None
    lines = weight_lines(cfg)
    assert 'RANDOM' in lines[-1] and ENCODER_WEIGHTS['vits'][0] in lines[-1]
    cfg.model.backbone.allow_random_frozen = True
    assert weight_lines(cfg) == []


def test_end_of_run_repeats_the_banner():
    cfg = Config.fromfile(str(CONFIGS / 'da2zoe_vits_nyu.py'))
    cfg.model.backbone.arch = dict(embed_dims=32, num_layers=2, num_heads=2)
    cfg.model.backbone.init_cfg = None
    cfg.model.neck.in_channels = 32
    model = MODELS.build(cfg.model)
    assert 'RANDOM' in random_frozen_banner(model)
    model.backbone.allow_random_frozen = True
    assert random_frozen_banner(model) is None


@pytest.mark.parametrize('name', ['depth_anything_metric_depth_indoor.pt',
                                  'depth_anything_v2_vits.pth'])
def test_missing_official_file_says_where_to_get_it(tmp_path, name):
    with pytest.raises(FileNotFoundError) as err:
        resolve_weights(str(tmp_path / name))
    assert name in str(err.value)
    assert OFFICIAL_FILES[name].split()[0] in str(err.value)


def test_train_without_the_weights_is_one_line(synthetic_root, tmp_path,
                                               capsys):
    from da2zoe.cli import train as train_tool
    missing = tmp_path / 'depth_anything_v2_vits.pth'
    config = tmp_path / 'tiny.py'
    config.write_text(
        f"_base_ = ['{CONFIGS / 'da2zoe_tiny_synthetic.py'}']\n"
        "model = dict(backbone=dict(init_cfg=dict(_delete_=True, "
        "type='Pretrained', "
        f"checkpoint='{missing}')))\n")
    nyu = synthetic_root / 'nyu'
    code = train_tool.main([
        str(config), '--work-dir', str(tmp_path / 'work'), '--datasets',
        'nyu', '--nyu-csv', str(nyu / 'data/nyu2_train.csv'), '--nyu-root',
        str(nyu), '--num-epochs', '1', '--cfg-options',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'])
    assert code == 2
    err = capsys.readouterr().err
    assert f"error: No checkpoint file '{missing}'" in err
    assert 'Depth-Anything-V2-Small/depth_anything_v2_vits.pth' in err
    assert 'Traceback' not in err
