"""make_synthetic.py round trip: every written format decoded by an independent
few-line reader.

The readers here use cv2 / scipy / json directly, never the project's loaders,
so they check the files against REFERENCE section 6 and not against the code
under test.
"""
import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.io import loadmat

from da2zoe.testing.synthetic_scenes import (
    FLOOR_ID,
    kitti_intrinsics,
    plane_masks,
    render_scene,
)

ROOT = Path(__file__).resolve().parents[2]
SEED, NUM, SIZE, KITTI_SIZE = 3, 6, (120, 160), (64, 208)
MM = 0.0005 + 1e-6  # half a millimetre, plus float32 slack
JPEG_MEAN_ERROR = 3  # quality 95, 4:4:4


@pytest.fixture(scope='module')
def out(tmp_path_factory) -> Path:
    out_dir = tmp_path_factory.mktemp('synthetic')
    cmd = [
        sys.executable,
        str(ROOT / 'tools/dataset_converters/make_synthetic.py'), '--out',
        str(out_dir), '--num',
        str(NUM), '--seed',
        str(SEED), '--size', *map(str, SIZE), '--kitti-size',
        *map(str, KITTI_SIZE)
    ]
    subprocess.run(cmd, check=True, capture_output=True, cwd=out_dir)
    return out_dir


@pytest.fixture(scope='module')
def manifest(out) -> dict:
    return json.loads((out / 'manifest.json').read_text())


@lru_cache(maxsize=None)
def truth(index: int, kitti: bool = False):
    if kitti:
        return render_scene(index, SEED, KITTI_SIZE,
                            kitti_intrinsics(KITTI_SIZE))
    return render_scene(index, SEED, SIZE)


def imread(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image[..., ::-1] if image.ndim == 3 else image


def entries(manifest: dict, name: str) -> list:
    return manifest['formats'][name]['entries']


def assert_rgb_close(path: Path, rgb: np.ndarray) -> None:
    decoded = imread(path).astype(int)
    assert decoded.shape == rgb.shape
    tolerance = 0 if path.suffix == '.png' else JPEG_MEAN_ERROR
    assert np.abs(decoded - rgb).mean() <= tolerance


def test_manifest_lists_every_format_and_scene(manifest):
    assert set(manifest['formats']) == {
        'nyu_csv', 'nyu_eigen', 'sunrgbd', 'ibims', 'da2k', 'kitti', 'folder'
    }
    assert (manifest['seed'], manifest['num'],
            manifest['size']) == (SEED, NUM, list(SIZE))
    for section in manifest['formats'].values():
        assert [e['index'] for e in section['entries']] == list(range(NUM))
    np.testing.assert_allclose(manifest['intrinsics'], truth(0).intrinsics)
    splits = [e['split'] for e in entries(manifest, 'nyu_csv')]
    assert splits.count('test') == 1 and splits.count('train') == NUM - 1


def test_nyu_csv_train_is_8bit_over_10m_and_test_is_millimetres(out, manifest):
    rows = {}
    for split in ('train', 'test'):
        lines = (out / 'nyu/data' /
                 f'nyu2_{split}.csv').read_text().splitlines()
        rows[split] = [line.split(',') for line in lines]
        assert all(
            len(r) == 2 and not r[0].startswith('/') for r in rows[split])
    assert len(rows['train']) == NUM - 1 and len(rows['test']) == 1
    for entry in entries(manifest, 'nyu_csv'):
        scene = truth(entry['index'])
        if entry['split'] == 'train':
            depth = imread(out / entry['depth'])
            assert depth.dtype == np.uint8
            metres = depth / 255.0 * 10
            assert np.abs(
                metres -
                np.minimum(scene.depth, 10)).max() <= 10 / 255 / 2 + 1e-6
            assert_rgb_close(out / entry['rgb'], scene.rgb)
        else:
            depth = imread(out / entry['test_depth'])
            assert depth.dtype == np.uint16
            assert np.abs(depth / 1000.0 - scene.depth).max() <= MM
            assert_rgb_close(out / entry['test_rgb'], scene.rgb)
    listed = {r[1] for r in rows['train'] + rows['test']}
    assert all((out / 'nyu' / p).is_file() for p in listed)


def test_nyu_eigen_split_files_depth_and_borders(out, manifest):
    top, bottom, left, right = manifest['nyu_border_window']
    fx = truth(0).intrinsics[0, 0]
    for split, base, lead, border in (('train', 'sync', '/', 255),
                                      ('test', 'official_splits/test', '', 0)):
        lines = (
            out / 'nyu_eigen' /
            f'nyudepthv2_{split}_files_with_gt.txt').read_text().splitlines()
        assert len(lines) == (NUM - 1 if split == 'train' else 1)
        for line in lines:
            rgb_rel, depth_rel, focal = line.split()
            assert rgb_rel.startswith(lead) and depth_rel.startswith(lead)
            assert float(focal) == pytest.approx(fx, abs=1e-4)
            index = int(Path(rgb_rel).stem.split('_')[-1])
            scene = truth(index)
            depth = imread(out / 'nyu_eigen' / base / depth_rel.lstrip('/'))
            assert depth.dtype == np.uint16 and np.abs(depth / 1000.0 -
                                                       scene.depth).max() <= MM
            rgb = imread(out / 'nyu_eigen' / base /
                         rgb_rel.lstrip('/')).astype(int)
            outside = np.ones(SIZE, bool)
            outside[top:bottom, left:right] = False
            assert np.abs(rgb[outside] - border).mean() < 12
            inner = (slice(top + 4, bottom - 4), slice(left + 4, right - 4))
            assert np.abs(rgb[inner] -
                          scene.rgb[inner]).mean() <= JPEG_MEAN_ERROR


def read_sunrgbd_metres(path: Path) -> np.ndarray:
    v = imread(path).astype(np.uint32)
    return (((v >> 3) | (v << 13)) & 0xFFFF) / 1000.0


def test_sunrgbd_rotated_depth_holes_bfx_and_json(out, manifest):
    train = json.loads((out / 'sunrgbd/sunrgbd_train.json').read_text())
    test = json.loads((out / 'sunrgbd/sunrgbd_test.json').read_text())
    samples = json.loads(
        (out / 'sunrgbd/sunrgbd_val_samples.json').read_text())
    assert isinstance(train, list) and samples == {'samples': test}
    assert len(train) == NUM - 1 and len(test) == 1
    assert any('depth_bfx' not in item for item in train)
    for item in train + test:
        assert (out / 'sunrgbd' / item['image']).is_file() and (
            out / 'sunrgbd' / item['depth']).is_file()
    for entry in entries(manifest, 'sunrgbd'):
        scene = truth(entry['index'])
        filled = read_sunrgbd_metres(out / entry['depth_bfx'])
        assert np.abs(filled - scene.depth).max() <= MM
        raw = read_sunrgbd_metres(out / entry['depth'])
        holes = raw == 0
        assert 0.01 < holes.mean() < 0.6
        assert np.abs(raw - scene.depth)[~holes].max() <= MM
        # Reading without the 3-bit rotation is ~8x too deep (exactly 8x
        # below 8.192 m).
        unrotated = imread(out / entry['depth_bfx']) / 1000.0
        short = scene.depth < 8.0
        assert np.median(unrotated[short] /
                         scene.depth[short]) == pytest.approx(
                             8.0, rel=1e-3)
        np.testing.assert_allclose(
            np.loadtxt(out / entry['intrinsics']), scene.intrinsics, atol=1e-5)
        assert_rgb_close(out / entry['image'], scene.rgb)


def test_ibims_mat_and_png_release(out, manifest):
    for folder in ('ibims1_core_mat', 'ibims1_core_raw'):
        names = (out / 'ibims' / folder / 'imagelist.txt').read_text().split()
        assert names == [e['name'] for e in entries(manifest, 'ibims')]
    saw_invalid = saw_transparent = False
    for entry in entries(manifest, 'ibims'):
        scene = truth(entry['index'])
        data = loadmat(
            str(out / entry['mat']), squeeze_me=True,
            struct_as_record=False)['data']
        depth = data.depth
        missing = depth == 0
        assert 0 < missing.mean() < 0.5
        np.testing.assert_allclose(
            depth[~missing], scene.depth[~missing], rtol=1e-6)
        np.testing.assert_array_equal(data.rgb, scene.rgb)
        np.testing.assert_allclose(data.calib, scene.intrinsics)
        masks = plane_masks(scene)
        np.testing.assert_array_equal(
            data.mask_floor.astype(bool), scene.surface_id == FLOOR_ID)
        np.testing.assert_array_equal(
            data.mask_wall.astype(bool), masks['wall'])
        np.testing.assert_array_equal(
            data.mask_table.astype(bool), masks['table'])
        assert data.edges.shape == SIZE and data.edges.any()
        saw_invalid |= (data.mask_invalid == 0).any() and (data.mask_invalid
                                                           == 1).any()
        saw_transparent |= (data.mask_transp == 0).any() and (data.mask_transp
                                                              == 1).any()

        png_depth = imread(out / entry['depth'])
        assert png_depth.dtype == np.uint16
        # Cast first: uint16 * 50 wraps around in numpy.
        assert np.abs(png_depth.astype(np.float64) * 50 / 65535 -
                      depth).max() <= 50 / 65535 / 2 + 1e-6
        for key in ('mask_invalid', 'mask_transp'):
            png_mask = imread(out / entry[key])
            assert png_mask.dtype == np.uint8
            np.testing.assert_array_equal(png_mask > 0,
                                          getattr(data, key) == 1)
        np.testing.assert_allclose(
            np.loadtxt(out / entry['calib']), scene.intrinsics, atol=1e-5)
        assert_rgb_close(out / entry['rgb'], scene.rgb)
    assert saw_invalid and saw_transparent


def test_da2k_point1_is_truly_closer(out, manifest):
    annotations = json.loads((out / 'da2k/annotations.json').read_text())
    scene_types = [
        Path(e['image']).parent.name for e in entries(manifest, 'da2k')
    ]
    assert scene_types == [
        'indoor', 'outdoor', 'non_real', 'transparent_reflective',
        'adverse_style', 'aerial'
    ]
    assert len(annotations) >= NUM - 1
    assert sum(len(pairs) for pairs in annotations.values()) >= 2 * NUM
    for entry in entries(manifest, 'da2k'):
        key = Path(entry['image']).relative_to('da2k').as_posix()
        pairs = annotations.get(key, [])
        assert (out / 'da2k' / key).is_file() and pairs == entry['pairs']
        depth = truth(entry['index']).depth
        for pair in pairs:
            assert pair['closer_point'] == 'point1'
            (r1, c1), (r2, c2) = pair['point1'], pair['point2']
            assert depth[r2, c2] > 1.2 * depth[r1, c1]


def test_kitti_sparse_depth_and_split_files(out, manifest):
    np.testing.assert_allclose(manifest['kitti_intrinsics'],
                               kitti_intrinsics(KITTI_SIZE))
    fx = manifest['kitti_intrinsics'][0][0]
    lines = {
        split:
        (out / 'kitti' /
         f'kitti_eigen_{split}_files_with_gt.txt').read_text().splitlines()
        for split in ('train', 'test')
    }
    assert any(line.split()[1] == 'None' for line in lines['train'])
    checked = 0
    for line in lines['train'] + lines['test']:
        rgb_rel, gt_rel, focal = line.split()
        assert float(focal) == pytest.approx(fx, abs=1e-4)
        index = int(Path(rgb_rel).stem)
        scene = truth(index, kitti=True)
        assert_rgb_close(out / 'kitti/raw' / rgb_rel, scene.rgb)
        if gt_rel == 'None':
            continue
        gt = imread(out / 'kitti/gt' / gt_rel)
        assert gt.dtype == np.uint16 and gt.shape == KITTI_SIZE
        known = gt > 0
        assert 0.03 < known.mean() < 0.25
        assert np.abs(gt[known] / 256.0 -
                      scene.depth[known]).max() <= 1 / 512 + 1e-6
        checked += 1
    assert checked == NUM - 1


def test_folder_png_and_npy(out, manifest):
    for entry in entries(manifest, 'folder'):
        scene = truth(entry['index'])
        depth = imread(out / entry['depth'])
        assert depth.dtype == np.uint16 and np.abs(depth / 1000.0 -
                                                   scene.depth).max() <= MM
        npy = np.load(out / entry['npy_depth'])
        assert npy.dtype == np.float32
        np.testing.assert_array_equal(npy, scene.depth)
        assert_rgb_close(out / entry['rgb'], scene.rgb)
        assert_rgb_close(out / entry['npy_rgb'], scene.rgb)
