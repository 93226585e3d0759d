"""Dataset mixing with ratios, and the seed's --datasets flags."""
import numpy as np
import pytest

from da2zoe.datasets import DepthConcatDataset, build_seed_datasets
from da2zoe.datasets.seed_datasets import SEED_DATASETS, dataset_pipeline
from da2zoe.registry import DATASETS

PIPELINE = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='PackDepthInputs')
]


def _paths(root):
    return {
        '--nyu-csv': str(root / 'nyu/data/nyu2_train.csv'),
        'nyu-root': str(root / 'nyu'),
        'sunrgbd_json': str(root / 'sunrgbd/sunrgbd_train.json'),
        'sunrgbd_root': str(root / 'sunrgbd'),
        'ibims_root': str(root / 'ibims/ibims1_core_mat'),
        'da2k_root': str(root / 'da2k'),
        'da2k_annotation': None,
    }


def test_seed_flags_build_a_concat_config(synthetic_root):
    names = ['nyu', 'sunrgbd', 'ibims', 'da2k']
    cfg = build_seed_datasets(
        names, _paths(synthetic_root), PIPELINE, use_bfx_depth=True)
    assert cfg['type'] == 'DepthConcatDataset'
    assert [c['type'] for c in cfg['datasets']] == [
        'NYUCSVDataset', 'SUNRGBDDataset', 'IBimsDataset', 'DA2KDataset'
    ]
    assert cfg['datasets'][1]['use_bfx_depth'] is True
    dataset = DATASETS.build(cfg)
    names_seen = {}
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        names_seen.setdefault(sample.dataset_name, sample)
    assert set(names_seen) == {'nyu', 'sunrgbd', 'ibims', 'da2k'}
    # Each sample's loss mask uses its own dataset's range.
    assert names_seen['sunrgbd'].max_depth == 8.0
    assert names_seen['nyu'].max_depth == 10.0
    sun = names_seen['sunrgbd']
    assert not sun.gt_mask[sun.gt_depth >= 8.0].any()


def test_seed_flags_errors_name_the_flag(synthetic_root):
    with pytest.raises(ValueError, match='--sunrgbd-json'):
        build_seed_datasets(['sunrgbd'], {'sunrgbd_root': 'x'}, PIPELINE)
    with pytest.raises(ValueError, match='unknown'):
        build_seed_datasets(['nyuv2'], {}, PIPELINE)
    single = build_seed_datasets(['ibims'], _paths(synthetic_root), PIPELINE,
                                 test_mode=True)
    assert single['type'] == 'IBimsDataset'
    assert single['with_ibims_extras'] and single['test_mode']


def test_ratios_set_each_datasets_share(synthetic_root):
    cfg = build_seed_datasets(['nyu', 'da2k'],
                              _paths(synthetic_root),
                              PIPELINE,
                              ratios={'nyu': 3, 'da2k': 1})
    dataset = DATASETS.build(cfg)
    names = [dataset.get_data_info(i)['dataset_name']
             for i in range(len(dataset))]
    lengths = [len(d) for d in dataset.datasets]
    assert len(names) == sum(lengths)
    assert names.count('nyu') == round(0.75 * sum(lengths))
    # Over-sampled: every NYU sample appears before any appears twice.
    nyu_rows = [dataset.get_data_info(i)['img_path']
                for i in range(len(dataset)) if names[i] == 'nyu']
    counts = np.unique(nyu_rows, return_counts=True)[1]
    assert len(counts) == lengths[0] and counts.max() - counts.min() <= 1


def test_ratios_are_checked():
    with pytest.raises(ValueError, match='ratio'):
        DepthConcatDataset([dict(type='NYUCSVDataset')], ratios=[1, 2])


def _types(pipeline):
    return [t['type'] for t in pipeline]


def test_each_dataset_gets_its_own_protocol_transforms():
    """A config's pipeline is its dataset's: NYU's border mask must not
    reach SUN RGB-D or KITTI, and KITTI needs its KB crop whatever config
    it is tested with."""
    nyu_test = [dict(type='LoadRGB'), dict(type='LoadDepth'),
                dict(type='NYUBorderCrop', mode='mask'),
                dict(type='PackDepthInputs')]
    by_name = {entry.name: entry for entry in SEED_DATASETS}
    assert dataset_pipeline(by_name['nyu'], nyu_test) == nyu_test
    for name in ('sunrgbd', 'ibims', 'da2k'):
        assert _types(dataset_pipeline(by_name[name], nyu_test)) == [
            'LoadRGB', 'LoadDepth', 'PackDepthInputs'], name
    assert _types(dataset_pipeline(by_name['kitti'], nyu_test)) == [
        'LoadRGB', 'LoadDepth', 'KBCrop', 'PackDepthInputs']
    kitti_test = dataset_pipeline(by_name['kitti'], PIPELINE)
    assert _types(dataset_pipeline(by_name['nyu'], kitti_test)) == _types(
        PIPELINE)  # NYU's border mask is its config's choice, not added
    # The dataset's own transform, configured otherwise, is kept as it is.
    cropping = [dict(t, mode='crop') if t['type'] == 'NYUBorderCrop' else t
                for t in nyu_test]
    assert dataset_pipeline(by_name['nyu'], cropping) == cropping
    assert nyu_test[2] == dict(type='NYUBorderCrop', mode='mask')  # a copy
    with pytest.raises(ValueError, match='kitti: the pipeline has no '
                       'LoadDepth'):
        dataset_pipeline(by_name['kitti'], [dict(type='LoadRGB')])


def test_sunrgbd_keeps_its_border_in_an_nyu_configs_mix(synthetic_root):
    nyu_test = [dict(type='LoadRGB'), dict(type='LoadDepth'),
                dict(type='NYUBorderCrop', mode='mask'),
                dict(type='PackDepthInputs')]
    cfg = build_seed_datasets(['nyu', 'sunrgbd'], _paths(synthetic_root),
                              nyu_test, test_mode=True)
    nyu, sun = (DATASETS.build(c)[0]['data_samples'] for c in cfg['datasets'])
    for sample, border_valid in ((nyu, False), (sun, True)):
        mask = sample.gt_mask.squeeze(0).numpy()
        depth = sample.gt_depth.squeeze(0).numpy()
        in_range = (depth > sample.min_depth) & (depth < sample.max_depth)
        border = np.zeros_like(mask)
        border[:3], border[-3:], border[:, :3], border[:, -3:] = (True, ) * 4
        assert in_range[border].any()
        assert mask[border & in_range].all() == border_valid, (
            sample.dataset_name)
