"""Depth-aware transforms move image, depth, masks, pairs together."""
import numpy as np
import pytest
from mmcv.transforms import RandomFlip
from mmcv.transforms.utils import cache_random_params

from da2zoe.datasets.transforms import (
    DepthRandomCrop,
    DepthRandomFlip,
    KBCrop,
    KeepAspectResize,
    NYUBorderCrop,
    PackDepthInputs,
    PhotoMetricAug,
    RandomRotate,
)
from da2zoe.datasets.transforms.gt_geometry import crop_gt
from da2zoe.registry import TRANSFORMS
from da2zoe.structures.patch_grid import check_multiple_of_14

PAIRS = np.array([[20, 30, 60, 90], [40, 100, 10, 10]], np.int64)


def _sample(height=80, width=120):
    """Depth carries a marker value in a 7x7 block around each pair point."""
    rng = np.random.default_rng(0)
    depth = rng.uniform(1, 5, (height, width)).astype(np.float32)
    for k, (r1, c1, r2, c2) in enumerate(PAIRS):
        depth[r1 - 3:r1 + 4, c1 - 3:c1 + 4] = 100 + 2 * k
        depth[r2 - 3:r2 + 4, c2 - 3:c2 + 4] = 101 + 2 * k
    img = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    return dict(
        img=img,
        img_shape=(height, width),
        ori_shape=(height, width),
        gt_depth=depth,
        gt_mask=np.ones((height, width), bool),
        pairs=PAIRS.copy(),
        intrinsics=[[100.0, 0, 60], [0, 100.0, 40], [0, 0, 1]],
        focal=100.0,
        min_depth=1e-3,
        max_depth=10.0)


def _markers_follow(results):
    """Each kept pair still points at its own marker values."""
    depth, pairs = results['gt_depth'], results['pairs']
    assert depth.shape == results['img'].shape[:2]
    for r1, c1, r2, c2 in pairs:
        near, far = depth[r1, c1], depth[r2, c2]
        assert near >= 100 and far == near + 1, (near, far)
    return len(pairs)


def test_resize_moves_pairs_and_keeps_depth_values():
    results = KeepAspectResize(min_size=56)(_sample())
    assert results['img'].shape[:2] == (56, 84)
    assert _markers_follow(results) == 2
    # Nearest only: every output value is an input value.
    assert np.isin(results['gt_depth'], _sample()['gt_depth']).all()
    assert results['focal'] == pytest.approx(100 * 84 / 120)


def test_eval_resize_leaves_ground_truth_native():
    results = KeepAspectResize(min_size=56, resize_gt=False)(_sample())
    assert results['img'].shape[:2] == (56, 84)
    assert results['gt_depth'].shape == (80, 120)
    assert np.array_equal(results['pairs'], PAIRS)


def test_flip_mirrors_columns():
    results = DepthRandomFlip(prob=1.0)(_sample())
    assert results['flip']
    assert np.array_equal(results['pairs'][:, 1], 119 - PAIRS[:, 1])
    assert _markers_follow(results) == 2
    assert np.array_equal(results['img'], _sample()['img'][:, ::-1])
    assert results['intrinsics'][0][2] == pytest.approx(119 - 60)


def test_crop_shifts_and_drops_pairs():
    np.random.seed(0)
    results = DepthRandomCrop(crop_size=(56, 70))(_sample())
    assert results['img'].shape[:2] == (56, 70)
    assert results['gt_mask'].shape == (56, 70)
    kept = _markers_follow(results)
    assert kept < 2 or results['pairs'].max() < 70
    # A crop holding only the first pair's points.
    results = _sample()
    crop_gt(results, 14, 14, 56, 84)
    assert np.array_equal(results['pairs'], [[6, 16, 46, 76]])
    assert _markers_follow(results) == 1


def test_crop_pads_small_images_with_invalid_depth():
    results = DepthRandomCrop(crop_size=98)(_sample())
    assert results['img'].shape[:2] == (98, 98)
    assert not results['gt_mask'][80:].any()
    assert (results['gt_depth'][80:] == 0).all()


def test_random_draws_are_cached_for_reuse():
    """mmcv's cache_randomness: one draw serves several calls (as
    TransformBroadcaster needs), and our names leave mmcv's RandomFlip."""
    flip, crop = DepthRandomFlip(prob=0.5), DepthRandomCrop(crop_size=42)
    rotate = RandomRotate(max_degree=10, prob=0.5)
    for seed in range(6):
        np.random.seed(seed)
        with cache_random_params(flip), cache_random_params(crop), \
                cache_random_params(rotate):
            first = [t(_sample()) for t in (flip, crop, rotate)]
            again = [t(_sample()) for t in (flip, crop, rotate)]
        assert first[0]['flip'] == again[0]['flip']
        assert np.array_equal(first[1]['img'], again[1]['img'])
        assert first[2]['rotate_degree'] == again[2]['rotate_degree']
    assert TRANSFORMS.get('RandomFlip') is RandomFlip
    assert TRANSFORMS.get('DepthRandomFlip') is DepthRandomFlip
    assert TRANSFORMS.get('DepthRandomCrop') is DepthRandomCrop


def test_rotation_moves_pairs_and_invalidates_corners():
    np.random.seed(1)
    results = RandomRotate(max_degree=10, prob=1.0)(_sample())
    assert abs(results['rotate_degree']) > 0
    assert _markers_follow(results) >= 1
    assert not results['gt_mask'][0, 0] or not results['gt_mask'][0, -1]
    assert np.isin(results['gt_depth'],
                   np.append(_sample()['gt_depth'], 0)).all()


def test_photometric_changes_only_the_image():
    sample = _sample()
    results = PhotoMetricAug(prob=1.0)(_sample())
    assert results['img'].dtype == np.uint8
    assert not np.array_equal(results['img'], sample['img'])
    assert np.array_equal(results['gt_depth'], sample['gt_depth'])


def test_nyu_border_mask_and_crop():
    sample = _sample(480, 640)
    masked = NYUBorderCrop(mode='mask')(dict(sample))
    assert masked['gt_mask'][7:474, 7:632].all()
    assert (not masked['gt_mask'][:7].any()
            and not masked['gt_mask'][:, 632:].any())
    cropped = NYUBorderCrop(mode='crop')(_sample(480, 640))
    assert cropped['img'].shape[:2] == (467, 625)


def test_kb_crop_is_bottom_centre():
    sample = _sample(375, 1242)
    sample['gt_depth'] = np.arange(
        375 * 1242, dtype=np.float32).reshape(375, 1242)
    sample['pairs'] = np.zeros((0, 4), np.int64)
    results = KBCrop()(sample)
    assert results['img'].shape[:2] == (352, 1216)
    assert results['gt_depth'][0, 0] == 23 * 1242 + 13
    assert results['gt_depth'][-1, -1] == 374 * 1242 + 13 + 1215


def test_pack_applies_each_samples_range():
    sample = _sample()
    sample['gt_depth'][0, :5] = [0, 0.0005, 9.99, 10.0, 50]
    sample['max_depth'] = 10.0
    packed = PackDepthInputs()(sample)
    data = packed['data_samples']
    assert packed['inputs'].shape == (3, 80, 120)
    assert str(packed['inputs'].dtype) == 'torch.uint8'
    assert data.gt_mask[0, 0, :5].tolist() == [
        False, False, True, False, False
    ]
    assert data.pairs.dtype.is_floating_point is False
    for key in ('img_path', 'depth_path', 'ori_shape', 'img_shape',
                'pad_shape', 'flip', 'dataset_name', 'min_depth', 'max_depth',
                'eval_min_depth', 'eval_max_depth', 'eval_crop', 'focal',
                'intrinsics'):
        assert key in data.metainfo


@pytest.mark.parametrize('build', [
    lambda: check_multiple_of_14(384, '--target-size'),
    lambda: DepthRandomCrop(crop_size=384),
    lambda: KeepAspectResize(min_size=384),
])
def test_384_is_rejected_with_392_suggested(build):
    """Defect (e): the seed's 384 is not a multiple of 14."""
    with pytest.raises(ValueError, match='378 or 392'):
        build()
