"""Every dataset gives each sample its camera, and every geometric
transform keeps it true (checked by re-projecting tracked points)."""
import json
from pathlib import Path

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
from da2zoe.datasets.transforms import (
    DepthRandomCrop,
    DepthRandomFlip,
    KBCrop,
    KeepAspectResize,
    NYUBorderCrop,
    RandomRotate,
)

EVAL = [dict(type='LoadRGB'), dict(type='LoadDepth'),
        dict(type='PackDepthInputs')]


def _k(dataset, index=0):
    return np.array(dataset[index]['data_samples'].intrinsics)


def test_nyu_csv_uses_the_kinect_calibration_scaled(synthetic_root,
                                                    manifest):
    dataset = NYUCSVDataset(csv_file='data/nyu2_train.csv',
                            data_root=str(synthetic_root / 'nyu'),
                            pipeline=EVAL)
    k, truth = _k(dataset), np.array(manifest['intrinsics'])
    assert np.allclose(k[[0, 1], [0, 1]], truth[[0, 1], [0, 1]], rtol=1e-6)
    assert np.allclose(k[:2, 2], truth[:2, 2], atol=0.5)  # pixel centres
    assert dataset[0]['data_samples'].focal == k[0, 0]


def test_split_file_focal_gives_a_centred_camera(synthetic_root, manifest):
    nyu = NYUSplitDataset(split_file='nyudepthv2_train_files_with_gt.txt',
                          data_root=str(synthetic_root / 'nyu_eigen'),
                          img_dir='sync', pipeline=EVAL)
    h, w = manifest['size']
    k = _k(nyu)
    assert k[0, 0] == k[1, 1] == pytest.approx(manifest['intrinsics'][0][0],
                                               abs=1e-4)
    assert (k[0, 2], k[1, 2]) == ((w - 1) / 2, (h - 1) / 2)
    kitti = KITTIDataset(split_file='kitti_eigen_train_files_with_gt.txt',
                         data_root=str(synthetic_root / 'kitti'),
                         pipeline=EVAL[:2] + [dict(type='KBCrop')] + EVAL[2:])
    k = _k(kitti)
    assert k[0, 0] == pytest.approx(manifest['kitti_intrinsics'][0][0],
                                    abs=1e-4)
    # KB crop: 352 rows from the bottom, 1216 centred columns.
    kh, kw = manifest['kitti_size']
    assert k[1, 2] == pytest.approx((kh - 1) / 2 - (kh - 352))
    assert k[0, 2] == pytest.approx((kw - 1) / 2 - (kw - 1216) // 2)


def test_sunrgbd_and_ibims_read_their_files(synthetic_root, manifest):
    truth = np.array(manifest['intrinsics'])
    sun = SUNRGBDDataset(json_file='sunrgbd_train.json',
                         data_root=str(synthetic_root / 'sunrgbd'),
                         pipeline=EVAL)
    assert np.allclose(_k(sun), truth, atol=1e-6)
    ibims = IBimsDataset(
        data_root=str(synthetic_root / 'ibims' / 'ibims1_core_mat'),
        pipeline=EVAL, test_mode=True)
    assert np.allclose(_k(ibims), truth, atol=1e-6)


def test_nyu_csv_other_focal_is_centred_and_none_has_no_camera(
        synthetic_root, manifest):
    h, w = manifest['size']
    root = str(synthetic_root / 'nyu')
    other = NYUCSVDataset(csv_file='data/nyu2_train.csv', data_root=root,
                          pipeline=EVAL, focal=400.0)
    k = _k(other)
    # 400 px at 640x480, scaled to the image; principal point at its centre.
    assert k[0, 0] == pytest.approx(400.0 * w / 640)
    assert k[1, 1] == pytest.approx(400.0 * h / 480)
    assert (k[0, 2], k[1, 2]) == pytest.approx(((w - 1) / 2, (h - 1) / 2))
    bare = NYUCSVDataset(csv_file='data/nyu2_train.csv', data_root=root,
                         pipeline=EVAL, focal=None)
    assert bare[0]['data_samples'].intrinsics is None


def test_sunrgbd_entry_camera_wins_over_the_frame_file(synthetic_root,
                                                       manifest, tmp_path):
    """An entry's 9 numbers or path beat the frame's intrinsics.txt; a frame
    without either has no camera; a malformed entry is a named bad row."""
    root = synthetic_root / 'sunrgbd'
    entries = json.loads((root / 'sunrgbd_train.json').read_text())[:3]
    truth = np.array(manifest['intrinsics'])
    numbers = truth * [[0.5], [0.5], [1]]
    entries[0]['intrinsics'] = numbers.ravel().tolist()
    (tmp_path / 'k.txt').write_text('300 0 40\n0 310 30\n0 0 1\n')
    entries[1]['intrinsics'] = str(tmp_path / 'k.txt')
    # A frame folder without intrinsics.txt (image and depth linked).
    frame = Path(entries[2]['image']).parents[1]
    bare = tmp_path / 'frame'
    bare.mkdir()
    for sub in ('image', 'depth'):
        (bare / sub).symlink_to(root / frame / sub)
    entries[2] = {key: str(bare / Path(value).relative_to(frame))
                  for key, value in entries[2].items() if key != 'depth_bfx'}
    split = tmp_path / 'split.json'
    split.write_text(json.dumps(entries))
    sun = SUNRGBDDataset(json_file=str(split), data_root=str(root),
                         pipeline=EVAL)
    assert np.allclose(_k(sun, 0), numbers)
    assert _k(sun, 1).tolist() == [[300, 0, 40], [0, 310, 30], [0, 0, 1]]
    assert sun[2]['data_samples'].intrinsics is None
    split.write_text(json.dumps([dict(entries[0], intrinsics=[1, 2, 3])]))
    with pytest.raises(ValueError, match='entry 0: intrinsics must be a '
                       'path or 9 numbers'):
        SUNRGBDDataset(json_file=str(split), data_root=str(root),
                       on_bad_sample='raise')


def test_ibims_png_release_reads_its_calib(synthetic_root, manifest):
    ibims = IBimsDataset(
        data_root=str(synthetic_root / 'ibims' / 'ibims1_core_raw'),
        pipeline=EVAL, test_mode=True)
    assert np.allclose(_k(ibims), manifest['intrinsics'], atol=1e-6)


def test_folder_single_camera_and_full_default(synthetic_root, manifest,
                                               tmp_path):
    root = synthetic_root / 'folder'
    bare = tmp_path / 'bare'
    bare.mkdir()
    for sub in ('rgb', 'depth'):
        (bare / sub).symlink_to(root / sub)
    given = DepthFolderDataset(data_root=str(bare), depth_scale=1e-3,
                               focal=200.0, pipeline=EVAL,
                               intrinsics=(150.0, 160.0, 30.5, 20.5))
    assert _k(given).tolist() == [[150, 0, 30.5], [0, 160, 20.5], [0, 0, 1]]
    (bare / 'intrinsics.json').write_text(json.dumps(
        {'fx': 120.0, 'fy': 121.0, 'cx': 33.0, 'cy': 22.0}))
    single = DepthFolderDataset(data_root=str(bare), depth_scale=1e-3,
                                pipeline=EVAL)
    for index in (0, len(single) - 1):
        assert _k(single, index).tolist() == [[120, 0, 33], [0, 121, 22],
                                              [0, 0, 1]]


def test_folder_intrinsics_json_default_and_errors(synthetic_root, manifest,
                                                   tmp_path):
    root = synthetic_root / 'folder'
    dataset = DepthFolderDataset(data_root=str(root), depth_scale=1e-3,
                                 pipeline=EVAL)
    assert np.allclose(_k(dataset), manifest['intrinsics'], atol=1e-6)
    # Without the file: the config default, else no camera.
    bare = tmp_path / 'bare'
    for sub in ('rgb', 'depth'):
        (bare / sub).mkdir(parents=True)
        for f in (root / sub).iterdir():
            (bare / sub / f.name).symlink_to(f)
    h, w = manifest['size']
    given = DepthFolderDataset(data_root=str(bare), depth_scale=1e-3,
                               focal=200.0, pipeline=EVAL)
    assert _k(given).tolist() == [[200, 0, (w - 1) / 2],
                                  [0, 200, (h - 1) / 2], [0, 0, 1]]
    none = DepthFolderDataset(data_root=str(bare), depth_scale=1e-3,
                              pipeline=EVAL)
    sample = none[0]['data_samples']
    assert sample.intrinsics is None and sample.focal is None
    (bare / 'intrinsics.json').write_text(json.dumps(
        {'frame_0000': {'fx': -1}}))
    with pytest.raises(ValueError, match="intrinsics.json: 'frame_0000'"):
        DepthFolderDataset(data_root=str(bare), depth_scale=1e-3)


def test_da2k_has_no_camera(synthetic_root):
    dataset = DA2KDataset(data_root=str(synthetic_root / 'da2k'),
                          pipeline=EVAL, test_mode=True)
    assert dataset[0]['data_samples'].intrinsics is None


def _tracked_sample(height=80, width=120):
    """Points of known 3D position, tracked as pairs through a transform."""
    rng = np.random.default_rng(1)
    rows = rng.integers(26, 68, 8)  # inside every crop tested
    cols = rng.integers(12, 100, 8)
    pairs = np.stack([rows[:4], cols[:4], rows[4:], cols[4:]], 1)
    depth = rng.uniform(1, 5, (height, width)).astype(np.float32)
    k = np.array([[90.0, 0, 57.3], [0, 95.0, 41.2], [0, 0, 1]])
    return dict(img=rng.integers(0, 255, (height, width, 3), np.uint8),
                img_shape=(height, width), ori_shape=(height, width),
                gt_depth=depth, gt_mask=np.ones((height, width), bool),
                pairs=pairs.astype(np.int64), intrinsics=k.tolist(),
                focal=90.0, min_depth=1e-3, max_depth=10.0)


def _points(results):
    k = np.array(results['intrinsics'])
    uv = results['pairs'].reshape(-1, 2)[:, ::-1].astype(np.float64)
    return np.linalg.inv(k) @ np.vstack([uv.T, np.ones(len(uv))])


@pytest.mark.parametrize('transform', [
    KeepAspectResize(min_size=56), KeepAspectResize(min_size=168),
    DepthRandomCrop(crop_size=(70, 112)), DepthRandomFlip(prob=1.0),
    KBCrop(height=56, width=98), NYUBorderCrop(mode='crop')
], ids=repr)
def test_transforms_keep_the_camera_true(transform):
    before = _tracked_sample()
    rays = _points(before)
    after = transform(_tracked_sample())
    assert len(after['pairs']) == len(before['pairs'])
    if after.get('flip'):  # the mirrored image shows the mirrored scene
        rays[0] *= -1
    k = np.array(after['intrinsics'])
    projected = (k @ rays)[:2].T
    tracked = after['pairs'].reshape(-1, 2)[:, ::-1]
    # Pairs are rounded to whole pixels: at most half a (scaled) pixel.
    scale = after['img'].shape[1] / before['img'].shape[1]
    assert np.abs(projected - tracked).max() <= 0.5 * max(scale, 1) + 1e-9
    assert after['focal'] == pytest.approx(k[0, 0])


def test_rotation_keeps_intrinsics_documented():
    results = RandomRotate(max_degree=2.5, prob=1.0)(_tracked_sample())
    assert results['intrinsics'] == _tracked_sample()['intrinsics']
