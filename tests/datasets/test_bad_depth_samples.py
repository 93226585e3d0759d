"""Bad input: skipped, counted and named in training; raised in evaluation."""
import logging

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from da2zoe.datasets import (
    BadSampleError,
    DepthConcatDataset,
    DepthFolderDataset,
    NYUCSVDataset,
    SUNRGBDDataset,
)
from da2zoe.engine.hooks import count_skipped

PIPELINE = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='PackDepthInputs')
]


def _write_pair(root, name, depth, size=(32, 48)):
    rgb = np.full(size + (3, ), 128, np.uint8)
    cv2.imwrite(str(root / f'{name}.jpg'), rgb)
    if depth is not None:
        if isinstance(depth, np.ndarray) and depth.dtype == np.float32:
            np.save(root / f'{name}.npy', depth)
        else:
            cv2.imwrite(str(root / f'{name}.png'), depth)


class _Records(logging.Handler):

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture
def logged():
    """What the datasets log to MMEngine's current logger during a test.

    A handler on the logger itself: the logger's console handler may be bound
    to the stdout of an earlier test, out of ``capsys``' reach.
    """
    handler = _Records()
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


@pytest.fixture
def nyu_root(tmp_path):
    good = np.full((32, 48), 2000, np.uint16)
    _write_pair(tmp_path, 'good', good)
    _write_pair(tmp_path, 'zero', np.zeros((32, 48), np.uint16))
    _write_pair(tmp_path, 'small', np.full((16, 24), 2000, np.uint16))
    (tmp_path / 'broken.png').write_bytes(b'not a png')
    rows = [
        'good.jpg,good.png', 'good.jpg,missing.png', 'good.jpg,zero.png',
        'good.jpg,small.png', 'good.jpg,broken.png', 'gone.jpg,good.png'
    ]
    (tmp_path / 'list.csv').write_text('\n'.join(rows) + '\n')
    return tmp_path


BAD_REASONS = {
    1: 'not found',
    2: 'no valid depth',
    3: 'does not match the image',
    4: 'cannot decode',
    5: 'not found',
}


def test_training_skips_bad_samples_by_name(nyu_root, logged):
    # check_files='first': files that vanish after the start check (or on
    # storage too slow to check) are skipped at fetch time.
    dataset = NYUCSVDataset(
        csv_file='list.csv', data_root=str(nyu_root), pipeline=PIPELINE,
        check_files='first')
    np.random.seed(0)
    for index in BAD_REASONS:
        out = dataset[index]  # replaced by a good sample
        assert out['data_samples'].gt_mask.any()
    assert dataset.num_skipped >= len(BAD_REASONS)
    assert count_skipped(DepthConcatDataset([dataset])) == dataset.num_skipped
    text = '\n'.join(logged)
    assert text.count('missing.png: depth file not found') == 1  # once
    for name in ('missing.png', 'zero.png', 'small.png', 'broken.png',
                 'gone.jpg'):
        assert name in text


@pytest.mark.parametrize('index', sorted(BAD_REASONS))
def test_evaluation_raises_with_the_file(nyu_root, index):
    dataset = NYUCSVDataset(
        csv_file='list.csv',
        data_root=str(nyu_root),
        pipeline=PIPELINE,
        check_files='first',
        test_mode=True)
    with pytest.raises(BadSampleError, match=BAD_REASONS[index]):
        dataset[index]


def test_nan_and_inf_depth_are_invalid(tmp_path):
    (tmp_path / 'rgb').mkdir()
    (tmp_path / 'depth').mkdir()
    depth = np.full((32, 48), 3.0, np.float32)
    depth[0, :4] = [np.nan, np.inf, -np.inf, -1]
    cv2.imwrite(str(tmp_path / 'rgb/a.png'), np.zeros((32, 48, 3), np.uint8))
    np.save(tmp_path / 'depth/a.npy', depth)
    cv2.imwrite(str(tmp_path / 'rgb/b.png'), np.zeros((32, 48, 3), np.uint8))
    np.save(tmp_path / 'depth/b.npy', np.full((32, 48), np.nan, np.float32))
    dataset = DepthFolderDataset(
        data_root=str(tmp_path),
        depth_scale=1.0,
        pipeline=PIPELINE,
        test_mode=True)
    sample = dataset[0]['data_samples']
    assert not sample.gt_mask[0, 0, :4].any()
    assert np.isfinite(sample.gt_depth.numpy()).all()
    assert sample.gt_mask[0, 1:].all()
    with pytest.raises(BadSampleError, match='no valid depth'):
        dataset[1]


def test_unparseable_rows_named_by_file_and_line(nyu_root):
    (nyu_root / 'rows.csv').write_text(
        'good.jpg,good.png\n\n  good.jpg , good.png \nonly_one_field\n'
        'a,b,c\n')
    dataset = NYUCSVDataset(
        csv_file='rows.csv', data_root=str(nyu_root), pipeline=PIPELINE)
    assert len(dataset) == 2  # whitespace tolerated, blank line ignored
    with pytest.raises(ValueError, match=r'rows.csv:4.*\n.*rows.csv:5'):
        NYUCSVDataset(
            csv_file='rows.csv',
            data_root=str(nyu_root),
            pipeline=PIPELINE,
            test_mode=True)


def test_bad_json_entries(tmp_path):
    (tmp_path / 'broken.json').write_text('[{"image": "a.jpg",\n')
    with pytest.raises(ValueError, match='broken.json:2'):
        SUNRGBDDataset(json_file='broken.json', data_root=str(tmp_path))
    (tmp_path / 'list.json').write_text('[{"image": "a.jpg"}]')
    with pytest.raises(ValueError, match='entry 0'):
        SUNRGBDDataset(
            json_file='list.json', data_root=str(tmp_path), test_mode=True)


def test_no_usable_sample_fails_at_start_with_the_path(tmp_path, nyu_root):
    (tmp_path / 'empty.csv').write_text('\n')
    with pytest.raises(ValueError, match='empty.csv'):
        NYUCSVDataset(csv_file='empty.csv', data_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match='nope.csv'):
        NYUCSVDataset(csv_file='nope.csv', data_root=str(tmp_path))
    # A wrong data_root: the first listed file is missing.
    with pytest.raises(FileNotFoundError, match='wrong_root'):
        NYUCSVDataset(
            csv_file=str(nyu_root / 'list.csv'),
            data_root=str(tmp_path / 'wrong_root'))


def test_skip_is_refused_in_evaluation(nyu_root):
    with pytest.raises(ValueError, match='skip'):
        NYUCSVDataset(
            csv_file='list.csv',
            data_root=str(nyu_root),
            test_mode=True,
            on_bad_sample='skip')
