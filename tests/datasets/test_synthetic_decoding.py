"""Every dataset decodes make_synthetic.py's files to the true metres."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from da2zoe.datasets import (
    DA2KDataset,
    DepthFolderDataset,
    IBimsDataset,
    KITTIDataset,
    NYUCSVDataset,
    NYUSplitDataset,
    SUNRGBDDataset,
)
from da2zoe.datasets.codecs import load_ibims_mat

# Ground truth kept native: only the model input is resized.
EVAL = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KeepAspectResize', min_size=56, resize_gt=False),
    dict(type='PackDepthInputs')
]


def _check(dataset, truth_of, tolerance, cap=np.inf):
    """Decoded valid depth equals the truth within quantisation."""
    assert len(dataset) > 0
    for i in range(len(dataset)):
        out = dataset[i]
        sample = out['data_samples']
        depth = sample.gt_depth[0].numpy()
        valid = sample.gt_mask[0].numpy()
        truth = np.minimum(truth_of(sample.metainfo), cap)
        assert depth.shape == truth.shape
        assert sample.metainfo['img_shape'][0] == 56  # input resized
        assert valid.mean() > 0.5
        err = np.abs(depth - truth)[valid]
        assert err.max() <= tolerance, (sample.img_path, err.max())
    return sample


def test_nyu_csv_train_8bit_and_test_16bit(synthetic_root, true_depth,
                                            scene_index):
    root = synthetic_root / 'nyu'

    def truth(meta):
        return true_depth(scene_index(meta['depth_path']))

    train = NYUCSVDataset(
        csv_file='data/nyu2_train.csv', data_root=str(root), pipeline=EVAL)
    # 8-bit: v / 255 * 10, half a step of error, depth clipped at 10 m.
    _check(train, truth, 10 / 255 / 2 + 1e-5, cap=10.0)
    test = NYUCSVDataset(
        csv_file='data/nyu2_test.csv',
        data_root=str(root),
        pipeline=EVAL,
        test_mode=True)
    sample = _check(test, truth, 5e-4 + 1e-6)
    assert sample.eval_crop == 'eigen' and sample.eval_max_depth == 10.0


def test_nyu_eigen_split(synthetic_root, true_depth, scene_index):
    root = synthetic_root / 'nyu_eigen'
    for split, img_dir in (('train', 'sync'),
                           ('test', 'official_splits/test')):
        dataset = NYUSplitDataset(
            split_file=f'nyudepthv2_{split}_files_with_gt.txt',
            data_root=str(root),
            img_dir=img_dir,
            pipeline=EVAL)
        sample = _check(
            dataset, lambda m: true_depth(scene_index(m['depth_path'])),
            5e-4 + 1e-6)
        assert sample.focal == pytest.approx(103.7716, abs=1e-3)


@pytest.mark.parametrize('use_bfx', [False, True])
def test_sunrgbd_rotated_depth(synthetic_root, true_depth, scene_index,
                               use_bfx):
    dataset = SUNRGBDDataset(
        json_file='sunrgbd_train.json',
        data_root=str(synthetic_root / 'sunrgbd'),
        use_bfx_depth=use_bfx,
        pipeline=EVAL)
    # The first train entry has no depth_bfx: it falls back to raw depth.
    assert dataset.num_bfx_fallback == (1 if use_bfx else 0)
    _check(dataset, lambda m: true_depth(scene_index(m['depth_path'])),
           5e-4 + 1e-6)
    raw_holes = dataset[0]['data_samples'].gt_mask.float().mean()
    assert raw_holes < 1.0  # the raw map has holes marked invalid
    samples = SUNRGBDDataset(
        json_file='sunrgbd_val_samples.json',
        data_root=str(synthetic_root / 'sunrgbd'),
        pipeline=EVAL,
        test_mode=True)
    sample = _check(samples,
                    lambda m: true_depth(scene_index(m['depth_path'])),
                    5e-4 + 1e-6)
    assert (sample.eval_min_depth, sample.eval_max_depth) == (0.0, 8.0)


@pytest.mark.parametrize('release,tolerance', [('mat', 1e-6),
                                               ('raw', 50 / 65535 / 2 + 1e-6)])
def test_ibims_releases(synthetic_root, true_depth, scene_index, release,
                        tolerance):
    dataset = IBimsDataset(
        data_root=str(synthetic_root / 'ibims' / f'ibims1_core_{release}'),
        with_ibims_extras=True,
        pipeline=EVAL,
        test_mode=True)
    assert dataset.format == {'mat': 'mat', 'raw': 'png'}[release]
    sample = _check(dataset,
                    lambda m: true_depth(scene_index(m['depth_path'])),
                    tolerance)
    assert np.allclose(
        np.array(sample.intrinsics)[0, 0], sample.focal) and sample.focal > 0
    if release == 'mat':
        assert sample.ibims_edges.dtype == bool
        assert set(sample.ibims_planes) == {'wall', 'table', 'floor'}


def _ibims_release_fields(release, depth_path):
    """Depth and the two masks of one iBims-1 sample, read straight from
    the files of its release (not through the codec under test)."""
    if release == 'ibims1_core_mat':
        return load_ibims_mat(depth_path)
    root, name = Path(depth_path).parents[1], Path(depth_path).name
    fields = {key: cv2.imread(str(root / key / name), cv2.IMREAD_UNCHANGED)
              for key in ('depth', 'mask_invalid', 'mask_transp')}
    fields['depth'] = fields['depth'].astype(np.float64) * 50 / 65535
    return fields


@pytest.mark.parametrize('release', ['ibims1_core_mat', 'ibims1_core_raw'])
def test_ibims_validity_masks_are_applied(synthetic_root, release):
    """Defect (c): iBims pixels flagged invalid or transparent stay out, in
    the .mat release and in the PNG release."""
    root = synthetic_root / 'ibims' / release
    dataset = IBimsDataset(data_root=str(root), pipeline=EVAL, test_mode=True)
    flagged_total = 0
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        fields = _ibims_release_fields(release, sample.depth_path)
        flagged = (fields['mask_invalid'] == 0) | (fields['mask_transp'] == 0)
        expected = ~flagged & (fields['depth'] > 0)
        mask = sample.gt_mask[0].numpy()
        assert not mask[flagged].any()
        assert np.array_equal(mask, expected)
        flagged_total += int((flagged & (fields['depth'] > 0)).sum())
    # The fixture does hold valid-looking depth behind the masks.
    assert flagged_total > 0


def test_da2k_pairs_and_empty_mask(synthetic_root, true_depth, scene_index):
    """Defect (d): pairs kept, point1 truly closer, nothing for a metric
    loss."""
    root = synthetic_root / 'da2k'
    dataset = DA2KDataset(data_root=str(root), pipeline=EVAL, test_mode=True)
    assert len(dataset) >= 3
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        truth = true_depth(scene_index(sample.img_path))
        pairs = sample.pairs.numpy()
        assert pairs.dtype == np.int64 and pairs.shape[1] == 4
        assert len(pairs) >= 1
        assert (truth[pairs[:, 0], pairs[:, 1]] <
                truth[pairs[:, 2], pairs[:, 3]]).all()
        assert not sample.gt_mask.any()
        assert not sample.gt_depth.any()
        assert sample.gt_depth.shape[-2:] == truth.shape
        assert sample.scene in sample.img_path


def test_kitti_eigen_split_and_kb_crop(synthetic_root, true_depth,
                                       scene_index):
    dataset = KITTIDataset(
        split_file='kitti_eigen_train_files_with_gt.txt',
        data_root=str(synthetic_root / 'kitti'),
        pipeline=[
            dict(type='LoadRGB'),
            dict(type='LoadDepth'),
            dict(type='KBCrop'),
            dict(type='PackDepthInputs')
        ])
    assert dataset.num_no_gt == 1  # the 'None' line is left out
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        full = true_depth(scene_index(sample.depth_path), kitti=True)
        top, left = full.shape[0] - 352, (full.shape[1] - 1216) // 2
        truth = full[top:, left:left + 1216]
        depth, mask = sample.gt_depth[0].numpy(), sample.gt_mask[0].numpy()
        assert depth.shape == (352, 1216) and sample.img_shape == (352, 1216)
        assert mask.any()
        assert np.abs(depth - truth)[mask].max() <= 1 / 512 + 1e-5
    assert sample.eval_crop == 'garg' and sample.eval_max_depth == 80.0


@pytest.mark.parametrize('folder,scale,tolerance', [('folder', 1e-3, 5e-4),
                                                    ('folder_npy', 1.0, 0.0)])
def test_depth_folder(synthetic_root, true_depth, scene_index, folder, scale,
                      tolerance):
    dataset = DepthFolderDataset(
        data_root=str(synthetic_root / folder),
        depth_scale=scale,
        pipeline=EVAL)
    _check(dataset, lambda m: true_depth(scene_index(m['depth_path'])),
           tolerance + 1e-6)


def test_nyu_training_pipeline_keeps_metres(synthetic_root, true_depth,
                                            scene_index):
    """Resize (nearest), full-size crop and flip: still the true metres."""
    import cv2
    pipeline = [
        dict(type='LoadRGB'),
        dict(type='LoadDepth'),
        dict(type='NYUBorderCrop', mode='mask'),
        dict(type='KeepAspectResize', min_size=70),
        dict(type='DepthRandomCrop', crop_size=(70, 98)),  # the whole image
        dict(type='DepthRandomFlip', prob=1.0),
        dict(type='PhotoMetricAug', prob=1.0),
        dict(type='PackDepthInputs'),
    ]
    dataset = NYUCSVDataset(
        csv_file='data/nyu2_train.csv',
        data_root=str(synthetic_root / 'nyu'),
        pipeline=pipeline)
    for i in range(len(dataset)):
        out = dataset[i]
        sample = out['data_samples']
        assert out['inputs'].shape == (3, 70, 98) and sample.flip
        truth = np.minimum(true_depth(scene_index(sample.depth_path)), 10)
        truth = cv2.resize(truth, (98, 70),
                           interpolation=cv2.INTER_NEAREST_EXACT)[:, ::-1]
        depth, mask = sample.gt_depth[0].numpy(), sample.gt_mask[0].numpy()
        assert mask.mean() > 0.9
        assert np.abs(depth - truth)[mask].max() <= 10 / 255 / 2 + 1e-5
