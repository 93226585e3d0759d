"""Every config under configs/ loads and builds its model and datasets.

Models are shrunk to a tiny ViT (same parts, same wiring) and datasets are
pointed at synthetic data written by make_synthetic.py, so the test checks
what a user's run would build without full-size weights or downloads.
"""
import ast
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import da2zoe.engine  # noqa: F401  (registers the optimiser parts)
from da2zoe.registry import DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs'
ALL_CONFIGS = sorted(str(p.relative_to(CONFIG_DIR))
                     for p in CONFIG_DIR.rglob('*.py'))
TOP_LEVEL = sorted(p for p in ALL_CONFIGS if '/' not in p)
TINY_ARCH = dict(embed_dims=64, num_layers=4, num_heads=2)

# data_root of a dataset config -> folder of the synthetic layout
SYNTHETIC_FOLDERS = {
    'data/nyu': 'nyu', 'data/synthetic/nyu': 'nyu', 'data/demo/nyu': 'nyu',
    'data/nyu_eigen': 'nyu_eigen', 'data/sunrgbd': 'sunrgbd',
    'data/ibims/ibims1_core_mat': 'ibims/ibims1_core_mat', 'data/da2k': 'da2k',
    'data/kitti': 'kitti', 'data/folder': 'folder',
}


def shrink_model(model_cfg: dict) -> dict:
    """The same model with a 64-wide, 4-block ViT encoder."""
    model_cfg.backbone.arch = dict(TINY_ARCH)
    model_cfg.backbone.pop('init_cfg', None)
    if isinstance(model_cfg.backbone.get('out_indices'), (list, tuple)):
        model_cfg.backbone.pop('out_indices')  # blocks of the full encoder
    model_cfg.pop('pretrained', None)
    necks = model_cfg.neck if isinstance(model_cfg.neck, list) else \
        [model_cfg.neck]
    necks[0].in_channels = TINY_ARCH['embed_dims']
    return model_cfg


def step_optimizer(model: torch.nn.Module, wrapper_cfg: dict) -> None:
    """Builds the config's optimiser wrapper and takes one step on a loss.

    Checks that the optimiser options (fused AdamW, clipping, groups) run on
    this device and move every trainable parameter of the head.
    """
    wrapper_cfg = dict(wrapper_cfg)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(
            type=wrapper_cfg.pop('constructor'),
            optim_wrapper_cfg=wrapper_cfg,
            paramwise_cfg=wrapper_cfg.pop('paramwise_cfg', None)))
    wrapper = constructor(model)
    # DA-V2's metric head has no parameters: its DPT neck ends the model.
    last = model.head if any(True for _ in model.head.parameters()) \
        else model.neck
    head_before = {
        n: p.detach().clone()
        for n, p in last.named_parameters() if p.requires_grad
    }
    model.train()
    wrapper.update_params(model(torch.randn(2, 3, 56, 70)).mean())
    moved = [n for n, p in last.named_parameters()
             if n in head_before and not torch.equal(p, head_before[n])]
    assert moved, 'the optimiser step changed no head parameter'


def point_to_synthetic(dataset_cfg: dict, root: Path) -> dict:
    """Rewrites every data_root of a (nested) dataset config."""
    if 'datasets' in dataset_cfg:
        for inner in dataset_cfg['datasets']:
            point_to_synthetic(inner, root)
        return dataset_cfg
    folder = SYNTHETIC_FOLDERS[dataset_cfg['data_root']]
    dataset_cfg['data_root'] = str(root / folder)
    return dataset_cfg


@pytest.mark.parametrize('name', ALL_CONFIGS)
def test_config_loads(name):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    if not name.startswith('_base_/'):
        assert cfg.default_scope == 'da2zoe'
        for key in ('model', 'train_dataloader', 'optim_wrapper',
                    'param_scheduler', 'train_cfg', 'default_hooks'):
            assert key in cfg, f'{name} lacks {key}'


def _bases_of(path: Path) -> list:
    """The ``_base_`` list of a config file, resolved to paths."""
    tree = ast.parse(path.read_text())
    bases = [ast.literal_eval(node.value) for node in tree.body
             if isinstance(node, ast.Assign)
             and getattr(node.targets[0], 'id', None) == '_base_']
    assert len(bases) <= 1, path
    return [(path.parent / b).resolve() for b in (bases[0] if bases else [])]


def test_configs_inherit_at_most_two_levels():
    """Top-level configs inherit only from _base_ files; a base inherits at
    most files of its own folder that inherit none (e.g. a dataset base and
    datasets/common.py): no chain is longer than two."""
    base_dir = (CONFIG_DIR / '_base_').resolve()
    for path in (CONFIG_DIR / '_base_').rglob('*.py'):
        for parent in _bases_of(path):
            assert parent.parent == path.resolve().parent, (path, parent)
            assert not _bases_of(parent), (path, parent)
    for name in TOP_LEVEL:
        bases = _bases_of(CONFIG_DIR / name)
        assert bases, name
        assert all(base_dir in b.parents for b in bases), (name, bases)


@pytest.mark.parametrize('name', TOP_LEVEL)
def test_top_level_config_builds_model_and_datasets(name, synthetic_root):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    model = MODELS.build(shrink_model(cfg.model))
    model.eval()
    with torch.no_grad():
        depth = model(torch.randn(1, 3, 56, 70))
    assert depth.shape == (1, 1, 56, 70)
    assert torch.isfinite(depth).all()
    if cfg.get('optim_wrapper') is not None:
        step_optimizer(model, cfg.optim_wrapper.to_dict())
    for loader in ('train_dataloader', 'val_dataloader'):
        if cfg.get(loader) is None:
            continue
        dataset_cfg = point_to_synthetic(cfg[loader].dataset.to_dict(),
                                         synthetic_root)
        dataset = DATASETS.build(dataset_cfg)
        sample = dataset[0]
        assert sample['inputs'].shape[0] == 3
        assert sample['data_samples'].gt_depth is not None
