"""KITTI's camera from the date folder's ``calib_cam_to_cam.txt``, the
split file's focal where there is none (logged once)."""
import logging
import shutil

import numpy as np
import pytest
from mmengine.logging import MMLogger

from da2zoe.datasets import KITTIDataset
from da2zoe.datasets.codecs.kitti_calib import (
    find_kitti_calib,
    kitti_camera_of,
    read_kitti_calib,
)

SPLIT = 'kitti_eigen_train_files_with_gt.txt'
PIPELINE = [dict(type='LoadRGB'), dict(type='LoadDepth'),
            dict(type='PackDepthInputs')]


def _calib_text(p02, size_wh, p03=None):
    """A calib_cam_to_cam.txt as the raw release writes it."""
    lines = ['calib_time: 09-Jan-2012 13:57:47', 'corner_dist: 9.95e-02',
             'S_00: 1.392000e+03 5.120000e+02',
             'P_rect_00: 7.2e+02 0 6.0e+02 0 0 7.2e+02 1.7e+02 0 0 0 1 0',
             f'S_rect_02: {size_wh[0]:e} {size_wh[1]:e}',
             'P_rect_02: ' + ' '.join(f'{v:.12e}' for v in p02)]
    if p03 is not None:
        lines.append('P_rect_03: ' + ' '.join(f'{v:.12e}' for v in p03))
    return '\n'.join(lines) + '\n'


def _projection(k, tx=44.857):
    """3x4 P_rect from a 3x3 K (and a baseline term, which is ignored)."""
    return np.hstack([np.asarray(k), [[tx], [0.2], [0.003]]]).ravel()


@pytest.fixture
def warnings():
    """Warnings logged to MMEngine's current logger during a test (a handler
    on the logger: its console handler may hold an earlier test's stdout)."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture
def kitti_copy(synthetic_root, tmp_path):
    """The synthetic KITTI tree with a writable date folder."""
    src = synthetic_root / 'kitti'
    root = tmp_path / 'kitti'
    date = root / 'raw' / '2011_09_26'
    date.mkdir(parents=True)
    for drive in (src / 'raw' / '2011_09_26').iterdir():
        (date / drive.name).symlink_to(drive)
    (root / 'gt').symlink_to(src / 'gt')
    shutil.copy(src / SPLIT, root / SPLIT)
    return root


def _k(dataset):
    return np.array(dataset[0]['data_samples'].intrinsics)


def test_calibration_gives_the_true_camera(kitti_copy, manifest):
    truth = np.array(manifest['kitti_intrinsics'])  # cx, cy off centre
    h, w = manifest['kitti_size']
    calib = kitti_copy / 'raw' / '2011_09_26' / 'calib_cam_to_cam.txt'
    calib.write_text(_calib_text(_projection(truth), (w, h)))
    dataset = KITTIDataset(split_file=SPLIT, data_root=str(kitti_copy),
                           pipeline=PIPELINE)
    assert np.abs(_k(dataset) - truth).max() < 1e-5
    # The principal point follows the KB crop from the true camera.
    cropped = KITTIDataset(
        split_file=SPLIT, data_root=str(kitti_copy),
        pipeline=PIPELINE[:2] + [dict(type='KBCrop')] + PIPELINE[2:])
    k = _k(cropped)
    assert k[1, 2] == pytest.approx(truth[1, 2] - (h - 352), abs=1e-5)
    assert k[0, 2] == pytest.approx(truth[0, 2] - (w - 1216) // 2, abs=1e-5)
    # A calibration at twice the image size is scaled to the image.
    double = truth * [[2], [2], [1]]
    double[:2, 2] = (truth[:2, 2] + 0.5) * 2 - 0.5
    calib.write_text(_calib_text(_projection(double), (2 * w, 2 * h)))
    scaled = KITTIDataset(split_file=SPLIT, data_root=str(kitti_copy),
                          pipeline=PIPELINE)
    assert np.abs(_k(scaled) - truth).max() < 1e-5


def test_missing_calibration_falls_back_logged_once(synthetic_root,
                                                    manifest, warnings):
    dataset = KITTIDataset(split_file=SPLIT,
                           data_root=str(synthetic_root / 'kitti'),
                           pipeline=PIPELINE)
    notes = [m for m in warnings if 'calib_cam_to_cam.txt' in m]
    assert len(notes) == 1, notes
    assert f'{len(dataset)} of {len(dataset)} images' in notes[0]
    assert "split file's focal" in notes[0]
    h, w = manifest['kitti_size']
    k = _k(dataset)
    assert (k[0, 2], k[1, 2]) == ((w - 1) / 2, (h - 1) / 2)


def test_focal_disagreeing_with_calibration_is_logged(kitti_copy, manifest,
                                                      warnings):
    truth = np.array(manifest['kitti_intrinsics'])
    other = truth.copy()
    other[0, 0] = other[1, 1] = truth[0, 0] * 1.1
    h, w = manifest['kitti_size']
    (kitti_copy / 'raw' / '2011_09_26' / 'calib_cam_to_cam.txt').write_text(
        _calib_text(_projection(other), (w, h)))
    dataset = KITTIDataset(split_file=SPLIT, data_root=str(kitti_copy),
                           pipeline=PIPELINE)
    assert any('disagree with their calibration' in m for m in warnings)
    assert not any('calib_cam_to_cam.txt in' in m for m in warnings)
    assert _k(dataset)[0, 0] == pytest.approx(other[0, 0])


@pytest.mark.parametrize('text, match', [
    ('S_rect_02: 1242 375\n', 'no P_rect_02'),
    ('P_rect_02: 1 2 3\n', 'P_rect_02 needs 12 finite numbers'),
    ('P_rect_02: 7e2 0 6e2 0 0 7e2 1.7e2 0 0 0 1 x\n', 'P_rect_02 is not'),
    ('P_rect_02: -7e2 0 6e2 0 0 7e2 1.7e2 0 0 0 1 0\n', 'not a pinhole'),
])
def test_bad_calibration_names_file_and_key(kitti_copy, text, match):
    calib = kitti_copy / 'raw' / '2011_09_26' / 'calib_cam_to_cam.txt'
    calib.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        KITTIDataset(split_file=SPLIT, data_root=str(kitti_copy))
    assert str(calib) in str(err.value)


def test_camera_number_and_search_stop(tmp_path):
    assert kitti_camera_of('r/d/image_03/data/0000000001.png') == '03'
    assert kitti_camera_of('r/d/frame.png') == '02'
    k2, k3 = np.diag([700.0, 701.0, 1.0]), np.diag([710.0, 711.0, 1.0])
    k2[:2, 2], k3[:2, 2] = (600, 170), (610, 175)
    date = tmp_path / 'raw' / '2011_09_26'
    image = date / 'drive_sync' / 'image_03' / 'data' / 'x.png'
    image.parent.mkdir(parents=True)
    assert find_kitti_calib(str(image), str(tmp_path / 'raw')) is None
    calib = date / 'calib_cam_to_cam.txt'
    calib.write_text(_calib_text(_projection(k2), (1242, 375),
                                 _projection(k3)))
    assert find_kitti_calib(str(image), str(tmp_path / 'raw')) == str(calib)
    # The search stops at the image root: a file above it is not the date's.
    assert find_kitti_calib(str(image), str(date / 'drive_sync')) is None
    matrix, size = read_kitti_calib(str(calib), '03')
    assert np.array_equal(matrix, k3) and size is None
    matrix, size = read_kitti_calib(str(calib))
    assert np.array_equal(matrix, k2) and size == (375, 1242)
