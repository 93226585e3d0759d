"""tools/dataset_converters/{sunrgbd_json,nyu_eigen_split,ibims_list}.py and
tools/misc/browse_dataset.py on make_synthetic.py data."""
import json
import runpy
from pathlib import Path

import cv2
import numpy as np
from scipy.io import savemat

from da2zoe.datasets import IBimsDataset, NYUSplitDataset, SUNRGBDDataset

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def _tool(path: str) -> dict:
    return runpy.run_path(str(TOOLS / path), run_name='tool')


def test_sunrgbd_json_from_folder_tree(synthetic_root, tmp_path):
    main = _tool('dataset_converters/sunrgbd_json.py')['main']
    root = synthetic_root / 'sunrgbd'
    main([str(root), '--out-dir', str(tmp_path), '--with-intrinsics'])
    entries = json.loads((tmp_path / 'sunrgbd_all.json').read_text())
    assert len(entries) == 5
    assert all('depth_bfx' in e and 'intrinsics' in e for e in entries)
    dataset = SUNRGBDDataset(
        json_file=str(tmp_path / 'sunrgbd_all.json'),
        data_root=str(root),
        use_bfx_depth=True,
        pipeline=[dict(type='LoadRGB'), dict(type='LoadDepth'),
                  dict(type='PackDepthInputs')])
    assert dataset[0]['data_samples'].focal > 0
    # The official split: absolute toolbox paths, matched after SUNRGBD/.
    frames = sorted({str(Path(e['image']).parent.parent) for e in entries})
    toolbox = [f'/n/fs/sun3d/data/SUNRGBD/{f}' for f in frames]
    savemat(tmp_path / 'allsplit.mat', {
        'alltrain': np.array(toolbox[:3], dtype=object),
        'alltest': np.array(toolbox[3:], dtype=object)
    })
    main([str(root), '--out-dir', str(tmp_path), '--without-bfx',
          '--split-mat', str(tmp_path / 'allsplit.mat')])
    train = json.loads((tmp_path / 'sunrgbd_train.json').read_text())
    test = json.loads((tmp_path / 'sunrgbd_test.json').read_text())
    assert (len(train), len(test)) == (3, 2)
    assert not any('depth_bfx' in e for e in train + test)


def test_nyu_eigen_split_from_pairs(synthetic_root, tmp_path):
    main = _tool('dataset_converters/nyu_eigen_split.py')['main']
    sync = synthetic_root / 'nyu_eigen' / 'sync'
    out = tmp_path / 'train.txt'
    main([str(sync), '--out', str(out), '--leading-slash'])
    lines = out.read_text().splitlines()
    assert len(lines) == 4 and all(line.startswith('/') for line in lines)
    dataset = NYUSplitDataset(
        split_file=str(out), data_root=str(sync), test_mode=True)
    assert len(dataset) == 4


def test_ibims_list_for_both_releases(synthetic_root, tmp_path):
    main = _tool('dataset_converters/ibims_list.py')['main']
    for release in ('ibims1_core_mat', 'ibims1_core_raw'):
        root = synthetic_root / 'ibims' / release
        out = tmp_path / f'{release}.txt'
        main([str(root), '--out', str(out)])
        assert out.read_text() == (root / 'imagelist.txt').read_text()
        dataset = IBimsDataset(
            data_root=str(root), image_list=str(out), test_mode=True)
        assert len(dataset) == 5


def test_browse_dataset_previews_and_statistics(synthetic_root, tmp_path,
                                                capsys):
    main = _tool('misc/browse_dataset.py')['main']
    config = TOOLS.parent / 'configs/_base_/datasets/sunrgbd.py'
    lines = main([
        str(config), '--split', 'val', '--out',
        str(tmp_path), '--num', '2', '--cfg-options',
        f'val_dataloader.dataset.data_root={synthetic_root / "sunrgbd"}'
    ])
    previews = list(tmp_path.glob('*_sunrgbd.png'))
    assert len(previews) == 1  # one test scene
    assert 'median' in lines[0] and 'suspicious' not in lines[0]
    # the depth panel: a label (black outline: turbo has no black) at the
    # top left and a colour bar with its range near the right edge
    picture = cv2.imread(str(previews[0]))
    width = picture.shape[1] // 3
    depth_panel = picture[:, width:2 * width]
    black = (depth_panel == 0).all(axis=2)
    assert black[:30, :100].any()
    assert black[:, -60:].any()
    assert 'valid fraction' in capsys.readouterr().out


def test_browse_flags_a_wrong_scale(synthetic_root):
    main = _tool('misc/browse_dataset.py')['main']
    config = TOOLS.parent / 'configs/_base_/datasets/folder.py'
    root = synthetic_root / 'folder'
    lines = main([
        str(config), '--num', '1', '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        'train_dataloader.dataset.img_dir=rgb',
        'train_dataloader.dataset.depth_dir=depth',
        'train_dataloader.dataset.depth_scale=1.0',  # mm read as metres
        'train_dataloader.dataset.max_depth=1e6'
    ])
    assert 'suspicious' in lines[0]
