"""tools/dist_train.sh and tools/dist_test.sh: 2 CPU processes (gloo).

Training: 2 processes x batch 1 under DDP end with the same weights as
1 process x batch 1 with gradient accumulation over 2 iterations.

Why that comparison is exact (and 1 process x batch 2 is not):
- DDP all-reduces and averages the per-rank gradients:
  (g(x0) + g(x1)) / 2. MMEngine's ``OptimWrapper`` with
  ``accumulative_counts=2`` divides each loss by 2 and sums the gradients of
  two iterations: g(x0) / 2 + g(x1) / 2. Scaling by 1/2 is exact in floating
  point, so both are the same sum, bit for bit.
- Gradient clipping (global norm) runs in ``OptimWrapper.step``: after the
  all-reduce in DDP, after the second backward with accumulation. Both clip
  the same averaged gradient; the tiny config's ``max_norm=5`` is active.
- Same samples per update: ``DefaultSampler(shuffle=False)`` gives rank r the
  indices r, r + 2, ..., so update k uses samples {2k, 2k + 1} in both runs
  (4 samples: no padding). The pipeline has no random transform, the model
  no dropout or BatchNorm, the LR is constant (an iteration-based schedule
  would step twice as often in the 1-process run) and every process runs one
  thread (AdamW's first steps are close to lr * sign(g): thread-dependent
  summation order would show up far above float noise).
- 1 process x batch 2 would NOT match: the SILog losses are the square root
  of a variance over all valid pixels of the batch, and GradL1 a mean over
  the batch's masked pixels, so the batch-2 loss is not the mean of the two
  batch-1 losses, and neither is its gradient.

Testing: 2 processes give the metrics of 1 process, with DA-2K (pair
metric) and dense sets mixed and a dataset size that 2 does not divide.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from da2zoe.checkpoint import load_checkpoint_file
from da2zoe.cli.runner_setup import setup_launcher

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / 'configs/da2zoe_tiny_synthetic.py')
TINY_MODEL = ['model.backbone.arch.num_layers=4',
              'model.backbone.out_indices=[0,1,2,3]']


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run(cmd, cwd, **env):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PORT=str(free_port()), **env)
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    return out


@pytest.mark.parametrize('tool,fixed', [('dist_train.sh', ['cfg.py']),
                                        ('dist_test.sh', ['cfg.py', 'w.pth'])])
def test_scripts_call_torchrun(tool, fixed, tmp_path):
    """The torchrun command line, with a stand-in interpreter."""
    fake = tmp_path / 'python'
    fake.write_text('#!/bin/sh\necho "OMP=$OMP_NUM_THREADS"\n'
                    'printf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in (
        'OMP_NUM_THREADS', 'NNODES', 'NODE_RANK', 'PORT', 'MASTER_ADDR')}
    script = str(REPO / 'tools' / tool)

    def call(*args, **extra):
        return subprocess.run([script, *args], env=dict(env, **extra),
                              capture_output=True, text=True)

    result = call(*fixed, '2', '--work-dir', 'a b', PYTHON=str(fake))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    threads = max(1, len(os.sched_getaffinity(0)) // 2)
    assert lines[0] == f'OMP={threads}'
    entry = str(REPO / 'tools' / ('train.py' if 'train' in tool else
                                  'test.py'))
    assert lines[1:] == [
        '-m', 'torch.distributed.run', '--nnodes', '1', '--node_rank', '0',
        '--master_addr', '127.0.0.1', '--nproc_per_node', '2',
        '--master_port', '29500', entry, *fixed, '--launcher', 'pytorch',
        '--work-dir', 'a b']
    result = call(*fixed, '4', PYTHON=str(fake), OMP_NUM_THREADS='3',
                  NNODES='2', NODE_RANK='1', MASTER_ADDR='10.0.0.2',
                  PORT='29700')
    assert result.stdout.splitlines()[:13] == [
        'OMP=3', '-m', 'torch.distributed.run', '--nnodes', '2',
        '--node_rank', '1', '--master_addr', '10.0.0.2', '--nproc_per_node',
        '4', '--master_port', '29700']
    for bad in ([], fixed, fixed + ['zero']):
        result = call(*bad, PYTHON=str(fake))
        assert result.returncode == 2 and 'OMP=' not in result.stdout


def test_eval_samplers_do_not_pad():
    cfg = Config.fromfile(TINY)
    cfg.launcher = 'none'
    cfg.val_dataloader.sampler['round_up'] = True  # explicit: kept
    setup_launcher(cfg)
    assert cfg.test_dataloader.sampler.round_up is False
    assert cfg.val_dataloader.sampler.round_up is True
    assert cfg.env_cfg.dist_cfg.backend in ('gloo', 'nccl')


def exact_config(tmp_path: Path, synthetic_root: Path) -> Path:
    """The tiny config with a deterministic pipeline and a constant LR."""
    path = tmp_path / 'exact.py'
    path.write_text(f'''
_base_ = [{TINY!r}]
train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KeepAspectResize', min_size=56),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root={str(synthetic_root / 'nyu')!r},
                 csv_file='data/nyu2_train.csv', pipeline=train_pipeline))
param_scheduler = None
train_cfg = dict(max_epochs=2, val_interval=100)
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(logger=dict(interval=1),
                     visualization=dict(interval=1000))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
''')
    return path


def checkpoint(work_dir: Path) -> dict:
    return load_checkpoint_file(work_dir / 'checkpoint_latest.pth')


def test_dist_train_matches_one_process_with_accumulation(
        synthetic_root, tmp_path):
    train_csv = synthetic_root / 'nyu/data/nyu2_train.csv'
    assert len(train_csv.read_text().split()) == 4  # 2 ranks, no padding
    config = exact_config(tmp_path, synthetic_root)
    ddp, single = tmp_path / 'ddp', tmp_path / 'single'
    out = run([REPO / 'tools/dist_train.sh', config, 2, '--work-dir', ddp,
               '--cfg-options'] + TINY_MODEL, tmp_path)
    assert 'world_size=2' in out
    run([sys.executable, REPO / 'tools/train.py', config, '--work-dir',
         single, '--accumulate', 2, '--cfg-options'] + TINY_MODEL, tmp_path)

    ddp_ckpt, single_ckpt = checkpoint(ddp), checkpoint(single)
    # 2 epochs of 4 samples: 4 DDP iterations, 8 accumulated iterations,
    # 4 optimiser steps in both.
    assert ddp_ckpt['meta']['iter'] == 4
    assert single_ckpt['meta']['iter'] == 8
    for ckpt in (ddp_ckpt, single_ckpt):
        steps = {float(s['step']) for s in ckpt['optimizer']['state'].values()}
        assert steps == {4.0}
    logs = sorted(ddp.rglob('vis_data/scalars.json'))
    rows = [json.loads(line) for line in logs[-1].read_text().splitlines()]
    assert rows[0]['grad_norm'] > 5.0  # clipping (max_norm=5) was active

    ddp_state, single_state = ddp_ckpt['state_dict'], single_ckpt['state_dict']
    assert ddp_state.keys() == single_state.keys()
    for key, value in ddp_state.items():
        torch.testing.assert_close(value, single_state[key], rtol=1e-5,
                                   atol=1e-7, msg=key)


def test_dist_test_matches_one_process(synthetic_root, tiny_checkpoint,
                                       tmp_path):
    root = synthetic_root
    # DA-2K first and 7 samples (5 + 1 + 1): DefaultSampler would pad rank 1
    # with sample 0, a DA-2K image, whose pairs DA2KMetric then counted
    # twice (collect_results drops padding only by truncating to the dataset
    # size, and DepthMetric stores nothing for DA-2K samples).
    args = ['--datasets', 'da2k', 'nyu', 'sunrgbd',
            '--da2k-root', root / 'da2k',
            '--nyu-csv', root / 'nyu/data/nyu2_test.csv',
            '--nyu-root', root / 'nyu',
            '--sunrgbd-json', 'sunrgbd_test.json',
            '--sunrgbd-root', root / 'sunrgbd',
            '--cfg-options'] + TINY_MODEL
    one, two = tmp_path / 'one.json', tmp_path / 'two.json'
    out = run([REPO / 'tools/dist_test.sh', TINY, tiny_checkpoint, 2,
               '--work-dir', tmp_path / 'two', '--out-json', two] + args,
              tmp_path)
    assert out.count('metrics written to') == 1  # rank 0 only
    run([sys.executable, REPO / 'tools/test.py', TINY, tiny_checkpoint,
         '--work-dir', tmp_path / 'one', '--out-json', one] + args, tmp_path)
    single, dist = (json.loads(p.read_text())['metrics'] for p in (one, two))
    assert 'da2k/acc' in single and 'nyu/abs_rel' in single
    assert dist.keys() == single.keys()
    for key, value in single.items():
        # Batch composition differs (kernels sum in another order): 1e-6.
        assert dist[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


@pytest.mark.parametrize('tool', ['dist_train.sh', 'dist_test.sh'])
def test_scripts_default_to_the_repo_venv(tool, tmp_path):
    """Without PYTHON, the repo's .venv interpreter runs torchrun."""
    (tmp_path / 'tools').mkdir()
    script = tmp_path / 'tools' / tool
    shutil.copy(REPO / 'tools' / tool, script)
    venv = tmp_path / '.venv' / 'bin'
    venv.mkdir(parents=True)
    (venv / 'python').write_text('#!/bin/sh\necho "venv python"\n')
    (venv / 'python').chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHON'}
    args = ['c.py', '2'] if 'train' in tool else ['c.py', 'w.pth', '2']
    result = subprocess.run([str(script), *args], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'venv python'
