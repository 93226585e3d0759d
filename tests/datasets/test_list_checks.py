"""List files: encoding errors and headers by file:line; missing files."""
import cv2
import numpy as np
import pytest

from da2zoe.datasets import NYUCSVDataset
from da2zoe.datasets.list_readers import is_header, read_rows


def _pair(root, name):
    cv2.imwrite(str(root / f'{name}.jpg'), np.full((8, 8, 3), 9, np.uint8))
    cv2.imwrite(str(root / f'{name}.png'), np.full((8, 8), 900, np.uint16))


def _csv(root, lines):
    path = root / 'list.csv'
    path.write_bytes(b'\n'.join(lines) + b'\n')
    return path


def test_non_utf8_byte_names_file_and_line(tmp_path):
    path = _csv(tmp_path, [b'a.jpg,a.png', b'b\xe9.jpg,b.png'])
    with pytest.raises(ValueError, match=r'list.csv:2: not UTF-8 \(byte '
                       r'0xe9 at column 2\)'):
        list(read_rows(str(path), sep=','))


def test_bom_is_dropped(tmp_path):
    path = _csv(tmp_path, [b'\xef\xbb\xbfa.jpg,a.png'])
    assert list(read_rows(str(path), sep=',')) == [(1, ['a.jpg', 'a.png'])]


def test_header_is_detected_and_skipped(tmp_path):
    assert is_header(['rgb', 'depth']) and not is_header(['a.jpg', 'a.png'])
    _pair(tmp_path, 'a')
    _csv(tmp_path, [b'rgb_path,depth_path', b'a.jpg,a.png'])
    dataset = NYUCSVDataset(csv_file='list.csv', data_root=str(tmp_path))
    assert len(dataset) == 1


def test_missing_files_stop_with_count_and_names(tmp_path):
    _pair(tmp_path, 'a')
    _csv(tmp_path, [b'a.jpg,a.png', b'a.jpg,gone1.png', b'x.jpg,gone2.png'])
    with pytest.raises(FileNotFoundError) as err:
        NYUCSVDataset(csv_file='list.csv', data_root=str(tmp_path))
    text = str(err.value)
    assert '3 files listed' in text and '2 of 3 samples' in text
    assert 'gone1.png' in text and 'x.jpg' in text
    assert "missing_files='skip'" in text


def test_missing_files_skipped_by_policy(tmp_path):
    _pair(tmp_path, 'a')
    _csv(tmp_path, [b'a.jpg,a.png', b'a.jpg,gone.png', b'a.jpg,a.png'])
    dataset = NYUCSVDataset(csv_file='list.csv', data_root=str(tmp_path),
                            missing_files='skip')
    assert len(dataset) == 2
    with pytest.raises(ValueError, match='test_mode'):
        NYUCSVDataset(csv_file='list.csv', data_root=str(tmp_path),
                      missing_files='skip', test_mode=True)
    with pytest.raises(ValueError, match="missing_files='nope'"):
        NYUCSVDataset(csv_file='list.csv', data_root=str(tmp_path),
                      missing_files='nope')


def test_ibims_root_may_be_the_release_s_parent(synthetic_root, tmp_path):
    from da2zoe.datasets import IBimsDataset
    release = synthetic_root / 'ibims' / 'ibims1_core_mat'
    above = IBimsDataset(data_root=str(synthetic_root / 'ibims'),
                         test_mode=True)
    direct = IBimsDataset(data_root=str(release), test_mode=True)
    assert above.data_root == direct.data_root == str(release)
    assert len(above) == len(direct) > 0
    for name in ('a', 'b'):
        (tmp_path / name / 'rgb').mkdir(parents=True)
        (tmp_path / name / 'depth').mkdir()
    with pytest.raises(FileNotFoundError, match=r"several releases \['a', "
                       r"'b'\]"):
        IBimsDataset(data_root=str(tmp_path), test_mode=True)
