"""One table of seed datasets drives the dataset flags of both tools."""
from pathlib import Path

import pytest

from da2zoe.cli import test as test_tool
from da2zoe.cli import train as train_tool
from da2zoe.cli.run_summary import evaluation_command
from da2zoe.cli.seed_flags import dataset_paths
from da2zoe.datasets.seed_datasets import (
    SEED_DATASETS,
    SEED_NAMES,
    held_out_paths,
    seed_evaluators,
)

REPO = Path(__file__).resolve().parents[2]
VITL = str(REPO / 'configs/da2zoe_vitl_nyu.py')


def every_path_flag() -> list:
    argv = []
    for entry in SEED_DATASETS:
        for path in entry.paths:
            argv += ['--' + path.key.replace('_', '-'), f'/d/{path.key}']
    return argv


def test_both_tools_take_every_flag_of_the_table():
    argv = ['--datasets', *SEED_NAMES, '--use-bfx-depth'] + every_path_flag()
    train = train_tool.parse_args([VITL] + argv)
    test = test_tool.parse_args([VITL, 'w.pth'] + argv)
    expected = {p.key: f'/d/{p.key}' for e in SEED_DATASETS for p in e.paths}
    assert len(expected) == 9  # the seed's nine path flags
    assert dataset_paths(train) == dataset_paths(test) == expected
    assert train.datasets == test.datasets == list(SEED_NAMES)
    assert train.use_bfx_depth is test.use_bfx_depth is True
    with pytest.raises(SystemExit):
        test_tool.parse_args([VITL, 'w.pth', '--datasets', 'nyuv2'])


def test_held_out_paths_swap_lists_only(tmp_path):
    (tmp_path / 'nyu2_test.csv').write_text('')
    (tmp_path / 'sun').mkdir()
    (tmp_path / 'sun/sunrgbd_val.json').write_text('')
    paths = held_out_paths({
        'nyu_csv': str(tmp_path / 'nyu2_train.csv'),
        'nyu_root': str(tmp_path / 'train_root'),
        'sunrgbd_json': 'sunrgbd_train.json',
        'sunrgbd_root': str(tmp_path / 'sun'),
        'kitti_split': str(tmp_path / 'kitti_train.txt'),  # no sibling
        'da2k_annotation': 'train.json',
    })
    assert paths == {
        'nyu_csv': str(tmp_path / 'nyu2_test.csv'),
        'nyu_root': str(tmp_path / 'train_root'),
        'sunrgbd_json': 'sunrgbd_val.json',
        'sunrgbd_root': str(tmp_path / 'sun'),
        'da2k_annotation': 'train.json',
    }


def test_evaluators_follow_the_table():
    assert seed_evaluators(['nyu']) == [dict(type='DepthMetric')]
    assert seed_evaluators(['da2k', 'nyu', 'kitti']) == [
        dict(type='DepthMetric'), dict(type='DA2KMetric')]


def test_seed_flags_set_the_test_set_too(synthetic_root):
    nyu = synthetic_root / 'nyu'
    cfg = train_tool.build_config(train_tool.parse_args([
        VITL, '--datasets', 'nyu', 'da2k', '--nyu-csv',
        str(nyu / 'data/nyu2_train.csv'), '--nyu-root', str(nyu),
        '--da2k-root', str(synthetic_root / 'da2k')]))
    test = cfg.test_dataloader.dataset  # DA-2K has no held-out split
    assert test['type'] == 'NYUCSVDataset' and test['test_mode'] is True
    assert test['csv_file'] == str(nyu / 'data/nyu2_test.csv')
    assert test['pipeline'] == cfg.test_pipeline
    assert cfg.test_evaluator == [dict(type='DepthMetric')]
    assert cfg.val_dataloader is None  # no --validate
    assert '--datasets -> test_dataloader.dataset' in ' '.join(
        cfg.applied_flags)


def test_evaluation_command_quotes_paths():
    assert evaluation_command('a b/config.py', 'ck.pth') == (
        "python tools/test.py 'a b/config.py' ck.pth")
    assert evaluation_command('c.py', 'ck.pth', 2) == (
        'tools/dist_test.sh c.py ck.pth 2')
