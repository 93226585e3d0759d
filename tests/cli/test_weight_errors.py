"""Unusable weights end tools/train.py and tools/test.py with one line
(exit 2) that says what the file is, never a traceback."""
from pathlib import Path

import pytest
import torch

from da2zoe.checkpoint.da3_layout import to_da3_keys
from da2zoe.cli import test as test_tool
from da2zoe.cli import train as train_tool
from da2zoe.testing.da3_snapshot import build_tiny_da3, write_da3_snapshot

CONFIG = str(Path(__file__).resolve().parents[2] / 'configs' /
             'da2zoe_tiny_synthetic.py')


@pytest.fixture(scope='module')
def snapshots(tmp_path_factory):
    root = tmp_path_factory.mktemp('weights')
    state = to_da3_keys(build_tiny_da3().state_dict())
    any_view = dict(state, **{
        'model.backbone.pretrained.camera_token': torch.zeros(1, 2, 64)})
    truncated = {k: v for k, v in state.items()
                 if not k.startswith('model.head.scratch.output_conv1')}
    return (write_da3_snapshot(root / 'DA3-LARGE', any_view, 'da3-large'),
            write_da3_snapshot(root / 'TRUNCATED', truncated))


def test_train_with_an_any_view_checkpoint_is_one_line(
        snapshots, synthetic_root, tmp_path, capsys):
    nyu = synthetic_root / 'nyu'
    code = train_tool.main([
        CONFIG, '--work-dir', str(tmp_path / 'work'), '--datasets', 'nyu',
        '--nyu-csv', str(nyu / 'data/nyu2_train.csv'), '--nyu-root',
        str(nyu), '--num-epochs', '1', '--pretrained-checkpoint',
        snapshots[0], '--cfg-options', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False'])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'DA3-LARGE' in err
    assert 'any-view' in err and 'Traceback' not in err


@pytest.mark.parametrize('which, expected', [
    (0, 'any-view model'),
    (1, 'missing model.head.scratch.output_conv1.weight')])
def test_test_tool_names_what_is_wrong(snapshots, which, expected, capsys):
    # Own experiment name: two runs in one second would share MMEngine's
    # timestamp-named logger, whose handler holds the previous test's
    # (closed) capture stream.
    assert test_tool.main([CONFIG, snapshots[which], '--cfg-options',
                           f'experiment_name=weights_{which}']) == 2
    err = capsys.readouterr().err
    assert err.startswith('error: ') and expected in err
    assert 'Traceback' not in err
