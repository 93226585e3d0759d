"""tools/test.py (its ``main``, in process) evaluates a relative model
end to end: the DA-V2 relative config, shrunk to the golden tiny shapes,
with an official-layout checkpoint, on the synthetic NYU test set, aligned
in disparity (the config's) or in depth (``--align least_squares``)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.cli import test as test_tool

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / 'tests' / 'data' / 'golden' / 'da2_relative_tiny.npz'
TINY_RELATIVE = '''
_base_ = ['{config}']
model = dict(
    init_cfg=None,
    backbone=dict(arch=dict(_delete_=True, embed_dims=64, num_layers=4,
                            num_heads=2, feature_blocks=(0, 1, 2, 3))),
    neck=dict(in_channels=64, features=16, out_channels=[8, 16, 32, 64]))
'''


@pytest.fixture(scope='module')
def tiny(tmp_path_factory) -> tuple:
    """A tiny relative config and the golden weights in DA-V2's layout."""
    folder = tmp_path_factory.mktemp('relative')
    config = folder / 'tiny_relative.py'
    config.write_text(TINY_RELATIVE.format(
        config=REPO / 'configs' / 'da2-relative_vitl_nyu.py'))
    with np.load(GOLDEN) as data:
        state = {k[len('param/'):]: torch.from_numpy(data[k]).float()
                 for k in data.files if k.startswith('param/')}
    checkpoint = folder / 'depth_anything_v2_vitl.pth'
    torch.save(state, checkpoint)
    return config, checkpoint


def test_relative_model_in_disparity_and_in_depth(tiny, synthetic_root,
                                                  tmp_path, capsys):
    config, checkpoint = tiny
    nyu = synthetic_root / 'nyu'
    data = ['--datasets', 'nyu', '--nyu-csv', nyu / 'data/nyu2_test.csv',
            '--nyu-root', nyu, '--num-workers', '0']
    scores = {}
    for flags, space in (([], 'disparity'),
                         (['--align', 'least_squares'], 'depth')):
        out_json = tmp_path / f'{space}.json'
        argv = [config, checkpoint, *data, '--out-json', out_json,
                '--work-dir', tmp_path / space, *flags]
        assert test_tool.main([str(a) for a in argv]) == 0
        captured = capsys.readouterr()
        log = captured.out + captured.err
        result = json.loads(out_json.read_text())
        metrics, protocol = result['metrics'], result['protocol']['metrics']
        assert protocol['pred_space'] == 'disparity'
        assert protocol['align'] == ('least_squares_disparity'
                                     if space == 'disparity' else
                                     'least_squares')
        assert protocol['alignment'].startswith(
            f'relative: least-squares scale and shift in {space}')
        assert 'fewer than 16 scored pixels' in protocol['degenerate']
        assert protocol['prediction'].startswith('resized to the GT grid')
        assert ('model predicts disparity; alignment: relative: '
                f'least-squares scale and shift in {space}') in log
        assert 'images skipped' not in log  # none degenerate
        assert all(np.isfinite(v) for v in metrics.values())
        assert 0 <= metrics['d1'] <= 1 and metrics['abs_rel'] > 0
        scores[space] = metrics['abs_rel']
    assert scores['disparity'] != pytest.approx(scores['depth'], rel=1e-6)
