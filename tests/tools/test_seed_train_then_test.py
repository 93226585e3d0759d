"""Train with the seed's flags, then test the config the run saved (issue 22).

For NYU alone and NYU + SUN RGB-D, in one process (``tools/train.py`` ->
``tools/test.py``) and in two (``tools/dist_train.sh`` ->
``tools/dist_test.sh``, gloo on CPU): the run prints its saved config and the
test command, and that command evaluates the run's held-out lists, giving
the metrics the run's own last validation gave with the same weights.
"""
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'configs/da2zoe_tiny_synthetic.py')
TINY_RUN = ['--cfg-options', 'model.backbone.arch.num_layers=4',
            'model.backbone.out_indices=[0,1,2,3]',
            'default_hooks.logger.interval=1',
            'default_hooks.visualization.interval=1000',
            'param_scheduler.0.end=2', 'param_scheduler.1.T_max=1',
            'param_scheduler.1.end=1']
DENSE = ('d1', 'abs_rel', 'rmse', 'silog')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# gloo occasionally aborted a rank ("terminate called without an active
# exception", exit -6; about 1 of 7 two-process launches on a busy 2-core
# machine). CI showed one at interpreter exit with the group alive, which
# the tools now prevent (cli.runner_setup.closes_process_group); the retry
# stays for an abort elsewhere, which has not been traced.
GLOO_ABORT = 'terminate called without an active exception'


def run(cmd, cwd, fresh_dir=None) -> str:
    """Runs ``cmd``; a launch that gloo aborted is run once more, after
    emptying ``fresh_dir`` (so the retry leaves one run's files)."""
    for attempt in range(2):
        env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()),
                   OMP_NUM_THREADS='1')
        result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env,
                                capture_output=True, text=True, timeout=600)
        out = result.stdout + result.stderr
        if result.returncode == 0 or GLOO_ABORT not in out or attempt:
            break
        if fresh_dir is not None:
            shutil.rmtree(fresh_dir, ignore_errors=True)
    assert result.returncode == 0, out[-4000:]
    return out


def seed_flags(root: Path, names) -> list:
    paths = dict(
        nyu=['--nyu-csv', root / 'nyu/data/nyu2_train.csv', '--nyu-root',
             root / 'nyu'],
        sunrgbd=['--sunrgbd-json', 'sunrgbd_train.json', '--sunrgbd-root',
                 root / 'sunrgbd'])
    flags = ['--datasets', *names]
    for name in names:
        flags += paths[name]
    return flags + ['--batch-size', '2', '--target-size', '56',
                    '--num-workers', '0', '--num-epochs', '1', '--validate']


def printed(out: str, prefix: str) -> str:
    lines = [line.split(prefix, 1)[1].strip() for line in out.splitlines()
             if prefix in line]
    assert len(lines) == 1, out[-3000:]  # rank 0 only
    return lines[0]


def last_validation(work_dir: Path) -> dict:
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    rows = [json.loads(line) for line in logs[-1].read_text().splitlines()]
    return [r for r in rows if any(k.endswith('abs_rel') for k in r)][-1]


@pytest.mark.parametrize('names', [('nyu', ), ('nyu', 'sunrgbd')],
                         ids=['nyu', 'nyu+sunrgbd'])
@pytest.mark.parametrize('procs', [1, 2], ids=['1proc', '2proc'])
def test_saved_config_tests_the_runs_data(synthetic_root, tmp_path, names,
                                          procs):
    work = tmp_path / 'ck'
    train = ([sys.executable, REPO / 'tools/train.py'] if procs == 1 else
             [REPO / 'tools/dist_train.sh'])
    train += [TINY] + ([] if procs == 1 else [procs])
    out = run(train + ['--save-dir', work] + seed_flags(synthetic_root, names)
              + TINY_RUN, tmp_path, fresh_dir=work)

    # One saved config per run, in its timestamp folder, named at the end.
    config = printed(out, 'config of this run:')
    saved = sorted(work.glob('*/vis_data/config.py'))
    assert [str(p) for p in saved] == [config]
    cfg = Config.fromfile(config)
    test_set = cfg.test_dataloader.dataset
    test_sets = test_set.datasets if len(names) > 1 else [test_set]
    assert [d['type'] for d in test_sets] == [
        dict(nyu='NYUCSVDataset', sunrgbd='SUNRGBDDataset')[n]
        for n in names]
    assert test_sets[0]['csv_file'].endswith('nyu2_test.csv')
    if len(names) > 1:
        assert test_sets[1]['json_file'] == 'sunrgbd_test.json'
    assert all(d['test_mode'] for d in test_sets)
    assert test_sets[0]['pipeline'] == cfg.test_pipeline
    assert cfg.test_dataloader.dataset == cfg.val_dataloader.dataset

    # The printed command, as printed (plus a JSON file), evaluates it.
    command = shlex.split(printed(out, 'evaluate it on the test data of '
                                  'this run:'))
    checkpoint = work / 'checkpoint_latest.pth'
    if procs == 1:
        assert command == ['python', 'tools/test.py', config,
                           str(checkpoint)]
        command[0] = sys.executable
    else:
        assert command == ['tools/dist_test.sh', config, str(checkpoint),
                           '2']
    metrics_file = tmp_path / 'metrics.json'
    run(command + ['--out-json', metrics_file], REPO)
    metrics = json.loads(metrics_file.read_text())['metrics']
    keys = [f'{n}/{m}' for n in names
            for m in DENSE] if len(names) > 1 else list(DENSE)
    # The last validation ran on the same data with the same weights.
    validation = last_validation(work)
    for key in keys:
        assert metrics[key] == pytest.approx(validation[key], rel=1e-5,
                                             abs=1e-6), key
