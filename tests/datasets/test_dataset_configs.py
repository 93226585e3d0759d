"""configs/_base_/datasets/*.py build and run on make_synthetic.py data."""
from pathlib import Path

import pytest
from mmengine.config import Config

from da2zoe.registry import DATASETS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs/_base_/datasets'

# config -> (synthetic sub-folder, dataset overrides for the synthetic layout)
LAYOUT = {
    'nyu': ('nyu', {}),
    'nyu_eigen': ('nyu_eigen', {}),
    'sunrgbd': ('sunrgbd', {}),
    'ibims': ('ibims/ibims1_core_mat', {}),
    'da2k': ('da2k', {}),
    'kitti': ('kitti', {}),
    'synthetic': ('nyu', {}),
    'folder': ('folder', dict(img_dir='rgb', depth_dir='depth')),
}


@pytest.mark.parametrize('name', sorted(LAYOUT))
def test_dataset_config(name, synthetic_root):
    cfg = Config.fromfile(str(CONFIGS / f'{name}.py'))
    for key in ('train_pipeline', 'test_pipeline', 'train_dataloader',
                'val_dataloader', 'test_dataloader'):
        assert key in cfg, key
    assert cfg.train_dataloader.collate_fn.type == 'pseudo_collate'
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    sub, overrides = LAYOUT[name]
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset_cfg = cfg[loader].dataset.to_dict()
        dataset_cfg.update(data_root=str(synthetic_root / sub), **overrides)
        dataset = DATASETS.build(dataset_cfg)
        sample = dataset[0]
        data = sample['data_samples']
        assert sample['inputs'].shape[0] == 3
        assert sample['inputs'].shape[1] % 14 == 0
        assert sample['inputs'].shape[2] % 14 == 0
        if loader == 'val_dataloader':
            # Evaluation keeps the ground truth at its native size.
            assert tuple(data.gt_depth.shape[-2:]) == tuple(
                data.metainfo['ori_shape']) or name == 'kitti'
        else:
            assert data.gt_depth.shape[-2:] == sample['inputs'].shape[-2:]
