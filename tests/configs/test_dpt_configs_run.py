"""The DPT-geometry configs train and evaluate end to end on synthetic data.

A test config inherits configs/da2zoe-dpt_vits_nyu.py and only shrinks the
encoder (4 blocks, 64 wide) so the run takes seconds; everything else (DPT
neck, head conditioned on relative depth, the one-cycle schedule with
encoder and decoder at lr / 50, the checkpoint hook) is the config's own.
"""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TINY_DPT = '''
_base_ = ['{config}']
model = dict(
    init_cfg=None,  # the config's DA-V2 weights do not fit a tiny encoder
    backbone=dict(arch=dict(_delete_=True, embed_dims=64, num_layers=4,
                            num_heads=2), out_indices=None),
    neck=dict(in_channels=64, features=16, out_channels=[8, 16, 32, 64]),
    head=dict(bottleneck_channels=16, level_channels=16))
'''


def run(tool, args, cwd):
    result = subprocess.run([sys.executable, str(REPO / 'tools' / tool)] +
                            [str(a) for a in args], cwd=cwd,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    return result.stdout + result.stderr


def test_dpt_config_trains_and_tests(synthetic_root, tmp_path):
    config = tmp_path / 'tiny_dpt.py'
    config.write_text(TINY_DPT.format(
        config=REPO / 'configs/da2zoe-dpt_vits_nyu.py'))
    nyu = synthetic_root / 'nyu'
    data = ['--datasets', 'nyu', '--nyu-csv', nyu / 'data/nyu2_train.csv',
            '--nyu-root', nyu]
    work = tmp_path / 'work'
    out = run('train.py', [config, '--work-dir', work, '--num-epochs', '1',
                           '--batch-size', '2', '--target-size', '56',
                           '--num-workers', '0'] + data, tmp_path)
    assert 'neck: DPTNeck' in out
    assert 'decoder.neck.' in out  # the decoder's lr / 50 group
    checkpoint = work / 'checkpoint_latest.pth'
    assert checkpoint.is_file()

    metrics = tmp_path / 'metrics.json'
    run('test.py', [config, checkpoint, '--datasets', 'nyu', '--nyu-csv',
                    nyu / 'data/nyu2_test.csv', '--nyu-root', nyu,
                    '--out-json', metrics, '--num-workers', '0'], tmp_path)
    values = json.loads(metrics.read_text())['metrics']
    assert 0.0 <= values['d1'] <= 1.0 and values['abs_rel'] > 0
