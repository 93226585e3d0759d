"""Sharded training (DepthFSDPStrategy) with 2 CPU processes on gloo.

One set of runs serves every assertion (each launch costs ~15 s of start-up):

- ``ddp``: the tiny exact config, without the gradient loss and clipped at
  norm 1 (``smooth_config``), under DDP, launched as 2 "nodes" of one
  process each on localhost (``NNODES=2``, ``NODE_RANK``, ``MASTER_ADDR``:
  the README's multi-node command);
- ``fsdp``: the same config sharded (2 processes), a checkpoint every epoch,
  with activation checkpointing of every encoder block inside the FSDP
  units (``model.backbone.with_cp=True``): recomputing a block in the
  backward pass gives the same gradients, so the comparison with DDP (no
  checkpointing) also checks that the two compose;
- ``resumed``: ``--resume`` from the ``fsdp`` run's epoch-1 checkpoint.

Sharded vs DDP: same losses and final weights to float32 noise (the
reduce-scatter sums in another order than the all-reduce). Resume: the
resumed epoch is bit-identical to the uninterrupted one. The consolidated
checkpoint loads in one process and evaluates with ``tools/test.py``.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from da2zoe.checkpoint import load_checkpoint_file

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'tests/tools'))
from test_dist_scripts import (  # noqa: E402
    TINY_MODEL,
    exact_config,
    free_port,
    run,
)

sys.path.pop(0)


def smooth_config(tmp_path: Path, synthetic_root: Path) -> Path:
    """The exact config without ZoeDepth's gradient loss.

    Its angle term ``atan(dy / (dx + 1e-10))`` jumps by pi wherever a
    near-constant prediction's ``dx`` changes sign, so float32 rounding
    (another summation order of the clip norm) flips terms of the loss and
    the two runs part ways after a step or two, by chance (on some CPUs and
    not others). Without it the objective is smooth and the comparison
    measures the sharding, not the luck of rounding.
    """
    base = exact_config(tmp_path, synthetic_root)
    path = tmp_path / 'smooth.py'
    path.write_text(f'''
_base_ = [{str(base)!r}]
model = dict(losses=[dict(type='SILogLoss', loss_weight=1.0),
                     dict(type='MetricSILogLoss', loss_weight=0.5)])
optim_wrapper = dict(clip_grad=dict(max_norm=1.0))  # norm ~3.8: clipped
''')
    return path


def fsdp_config(tmp_path: Path, synthetic_root: Path) -> Path:
    base = smooth_config(tmp_path, synthetic_root)
    path = tmp_path / 'fsdp.py'
    path.write_text(f'''
_base_ = [{str(base)!r}]
runner_type = 'FlexibleRunner'
strategy = dict(type='DepthFSDPStrategy', keep_sharded_states=0)
default_hooks = dict(checkpoint=dict(interval=1))
model = dict(backbone=dict(with_cp=True))
''')
    return path


def two_nodes(config: Path, work_dir: Path, cwd: Path) -> None:
    """Two single-process 'nodes' on localhost, as on a real cluster."""
    port = str(free_port())
    procs = []
    for node in (0, 1):
        env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
                   NNODES='2', NODE_RANK=str(node), MASTER_ADDR='127.0.0.1',
                   PORT=port)
        procs.append(subprocess.Popen(
            [str(REPO / 'tools/dist_train.sh'), str(config), '1',
             '--work-dir', str(work_dir), '--cfg-options', *TINY_MODEL],
            cwd=cwd, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True))
    outs = [proc.communicate(timeout=600)[0] for proc in procs]
    for proc, out in zip(procs, outs):
        assert proc.returncode == 0, out[-4000:]
    assert 'world_size=2' in outs[0]


def scalars(work_dir: Path) -> list:
    logs = sorted(work_dir.rglob('vis_data/scalars.json'))
    return [json.loads(line) for line in logs[-1].read_text().splitlines()]


def losses(work_dir: Path) -> list:
    return [(row['iter'], row['loss']) for row in scalars(work_dir)
            if 'loss' in row]


@pytest.fixture(scope='module')
def runs(synthetic_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('fsdp')
    config = fsdp_config(tmp, synthetic_root)
    dirs = {name: tmp / name for name in ('ddp', 'fsdp', 'resumed')}
    two_nodes(smooth_config(tmp, synthetic_root), dirs['ddp'], tmp)
    dist_train = REPO / 'tools/dist_train.sh'
    out = run([dist_train, config, 2, '--work-dir', dirs['fsdp'],
               '--cfg-options'] + TINY_MODEL, tmp)
    run([dist_train, config, 2, '--work-dir', dirs['resumed'], '--resume',
         dirs['fsdp'] / 'checkpoint_epoch_1.pth', '--cfg-options'] +
        TINY_MODEL, tmp)
    return dict(dirs, config=config, tmp=tmp, log=out)


def test_sharded_files(runs):
    fsdp = runs['fsdp']
    assert 'DepthFSDPStrategy' in runs['log']
    for epoch, step in ((1, 2), (2, 4)):
        folder = fsdp / f'sharded_state/epoch_{epoch}_iter_{step}'
        assert sorted(p.name for p in folder.iterdir()) == [
            'rank0-of-2.pth', 'rank1-of-2.pth']
    ckpt = load_checkpoint_file(fsdp / 'checkpoint_latest.pth')
    assert 'optimizer' not in ckpt  # weights only; optimiser in the shards
    assert ckpt['meta']['sharded_state'] == dict(
        dir='sharded_state/epoch_2_iter_4', world_size=2)
    shards = [load_checkpoint_file(
        fsdp / f'sharded_state/epoch_2_iter_4/rank{r}-of-2.pth')
        for r in (0, 1)]
    # Each rank holds about half of the AdamW moments.
    sizes = [sum(s['exp_avg'].numel()
                 for s in shard['optimizer']['state'].values())
             for shard in shards]
    total = sum(v.numel() for v in ckpt['state_dict'].values()
                if v.is_floating_point())
    assert abs(sizes[0] - sizes[1]) < 0.1 * total
    assert 0.9 * total < sum(sizes) <= total
    names = [g['name'] for g in shards[0]['optimizer']['param_groups']]
    assert names == ['encoder', 'decoder']


def test_sharded_matches_ddp(runs):
    ddp = load_checkpoint_file(runs['ddp'] / 'checkpoint_latest.pth')
    fsdp = load_checkpoint_file(runs['fsdp'] / 'checkpoint_latest.pth')
    assert ddp['meta']['iter'] == fsdp['meta']['iter'] == 4
    assert ddp['state_dict'].keys() == fsdp['state_dict'].keys()
    assert all(row['grad_norm'] > 1.0 for row in scalars(runs['ddp'])
               if 'grad_norm' in row)
    # The clipped (max_norm=1, norm ~3.8) gradient norm is summed over
    # shards in another order: ~1e-7 relative in the clip factor, which
    # AdamW's normalised step all but cancels. An element whose gradient is
    # near AdamW's eps can still move by a fraction of one step (lr=1e-3);
    # the bulk agrees to float32 noise.
    diffs = torch.cat([(fsdp['state_dict'][k] - v).abs().flatten()
                       for k, v in ddp['state_dict'].items()])
    assert diffs.max() < 1e-3
    assert diffs.median() < 1e-7
    ddp_losses, fsdp_losses = losses(runs['ddp']), losses(runs['fsdp'])
    assert [i for i, _ in ddp_losses] == [i for i, _ in fsdp_losses]
    for (_, a), (_, b) in zip(ddp_losses, fsdp_losses):
        assert b == pytest.approx(a, rel=1e-6)


def test_resume_is_exact(runs):
    full = load_checkpoint_file(runs['fsdp'] / 'checkpoint_latest.pth')
    resumed = load_checkpoint_file(runs['resumed'] / 'checkpoint_latest.pth')
    assert resumed['meta']['iter'] == 4
    for key, value in full['state_dict'].items():
        assert torch.equal(resumed['state_dict'][key], value), key
    assert losses(runs['resumed']) == losses(runs['fsdp'])[2:]
    for rank in (0, 1):
        name = f'sharded_state/epoch_2_iter_4/rank{rank}-of-2.pth'
        a = load_checkpoint_file(runs['fsdp'] / name)['optimizer']
        b = load_checkpoint_file(runs['resumed'] / name)['optimizer']
        for index, state in a['state'].items():
            for field, value in state.items():
                assert torch.equal(b['state'][index][field], value)


def test_consolidated_checkpoint_evaluates_in_one_process(
        runs, synthetic_root):
    out_json = runs['tmp'] / 'metrics.json'
    run([sys.executable, REPO / 'tools/test.py',
         REPO / 'configs/da2zoe_tiny_synthetic.py',
         runs['fsdp'] / 'checkpoint_latest.pth',
         '--datasets', 'nyu',
         '--nyu-csv', synthetic_root / 'nyu/data/nyu2_test.csv',
         '--nyu-root', synthetic_root / 'nyu', '--out-json', out_json,
         '--work-dir', runs['tmp'] / 'test', '--cfg-options'] + TINY_MODEL,
        runs['tmp'])
    metrics = json.loads(out_json.read_text())['metrics']
    assert metrics['abs_rel'] > 0


def test_resume_with_other_world_size_is_an_error(runs):
    result = subprocess.run(
        [str(REPO / 'tools/dist_train.sh'), str(runs['config']), '1',
         '--work-dir', str(runs['tmp'] / 'one'), '--resume',
         str(runs['fsdp'] / 'checkpoint_epoch_1.pth'), '--cfg-options',
         *TINY_MODEL],
        cwd=runs['tmp'], capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
                 PORT=str(free_port())))
    assert result.returncode != 0
    assert 'sharded over 2 ranks, this run has 1' in result.stderr


def test_sharded_run_used_activation_checkpointing(runs):
    dumped = next(runs['fsdp'].rglob('fsdp.py')).read_text()
    assert "with_cp=True" in dumped.replace(' ', '')


def worker_pid(port: str, rank: int, timeout: float = 120.0) -> int:
    """The pid of the torchrun worker of ``rank`` under ``port``."""
    wanted = {f'MASTER_PORT={port}'.encode(), f'RANK={rank}'.encode()}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path('/proc').iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = set((entry / 'environ').read_bytes().split(b'\0'))
            except OSError:
                continue
            if wanted <= environ and b'LOCAL_RANK=' + str(rank).encode() \
                    in environ:
                return int(entry.name)
        time.sleep(0.5)
    raise AssertionError(f'no rank {rank} worker on port {port}')


def test_a_killed_rank_ends_the_sharded_run(runs):
    """SIGKILL of one rank mid-training: the others exit in seconds (gloo
    sees the closed connection; torchrun tears the group down), with a
    non-zero status that names the signal, never a hang."""
    work_dir = runs['tmp'] / 'killed'
    port = str(free_port())
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PORT=port)
    proc = subprocess.Popen(
        [str(REPO / 'tools/dist_train.sh'), str(runs['config']), '2',
         '--work-dir', str(work_dir), '--cfg-options', *TINY_MODEL,
         'train_cfg.max_epochs=1000'],
        cwd=runs['tmp'], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (work_dir / 'checkpoint_epoch_1.pth').exists():
            assert proc.poll() is None, proc.stdout.read()[-4000:]
            assert time.monotonic() < deadline, 'training did not start'
            time.sleep(0.5)
        os.kill(worker_pid(port, 1), signal.SIGKILL)
        killed = time.monotonic()
        out = proc.communicate(timeout=120)[0]
        elapsed = time.monotonic() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert 'SIGKILL' in out, out[-4000:]
    assert elapsed < 60, f'the run took {elapsed:.0f} s to end'
