"""Atomic saving survives SIGKILL, shares bytes between names, and a full
disk is said before anything is replaced."""
import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from mmengine.fileio import get_file_backend

from da2zoe.checkpoint import (
    ATOMIC_BACKEND,
    AtomicLocalBackend,
    DiskFullError,
    atomic_write,
    load_checkpoint_file,
    remove_stale_temp_files,
    save_checkpoint_atomic,
    write_bytes_atomic,
)

REPO = Path(__file__).resolve().parents[2]


def test_multiple_paths_share_bytes(tmp_path):
    paths = [str(tmp_path / 'a.pth'), str(tmp_path / 'sub' / 'b.pth')]
    save_checkpoint_atomic({'w': torch.arange(3)}, paths)
    for p in paths:
        assert torch.equal(load_checkpoint_file(p)['w'], torch.arange(3))
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.tmp')]


_WRITER = textwrap.dedent('''
    import sys, torch
    from da2zoe.checkpoint import save_checkpoint_atomic
    path = sys.argv[1]
    big = torch.empty(48 * 2**20 // 4)  # 48 MiB per save
    step = 0
    while True:
        step += 1
        big.fill_(step)
        save_checkpoint_atomic({'step': step, 'w': big}, path)
        print(step, flush=True)
''')


def test_sigkill_during_save_keeps_latest_loadable(tmp_path):
    path = tmp_path / 'checkpoint_latest.pth'
    script = tmp_path / 'writer.py'
    script.write_text(_WRITER)
    for delay in (0.05, 0.13):
        proc = subprocess.Popen(
            [sys.executable, str(script),
             str(path)],
            stdout=subprocess.PIPE,
            text=True)
        try:
            assert proc.stdout.readline().strip() == '1'
            time.sleep(delay)  # somewhere inside a later save
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        ckpt = load_checkpoint_file(path)
        assert ckpt['step'] >= 1
        assert bool((ckpt['w'] == ckpt['step']).all())
    # the killed writer's temp files are stale and get cleaned up
    removed = remove_stale_temp_files(str(tmp_path))
    assert removed and all(p.endswith('.tmp') for p in removed)
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.tmp')]


def test_mmengine_backend_writes_atomically(tmp_path):
    backend = get_file_backend(
        str(tmp_path), backend_args=dict(backend=ATOMIC_BACKEND))
    assert isinstance(backend, AtomicLocalBackend)
    path = tmp_path / 'sub' / 'file.bin'
    backend.put(b'first', path)
    backend.put(b'second', path)
    backend.put_text('text', tmp_path / 'last_checkpoint')
    assert path.read_bytes() == b'second'
    assert (tmp_path / 'last_checkpoint').read_text() == 'text'
    assert not [p for p in os.listdir(path.parent) if p.endswith('.tmp')]


def _no_temp_files(folder) -> bool:
    return not [p for p in os.listdir(folder) if p.endswith('.tmp')]


def test_a_file_that_cannot_fit_is_refused_before_writing(tmp_path,
                                                          monkeypatch):
    target = tmp_path / 'checkpoint_latest.pth'
    target.write_bytes(b'the previous checkpoint')
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(atomic_write.shutil, 'disk_usage',
                        lambda path: usage._replace(free=3 * 2**20))
    with pytest.raises(DiskFullError) as info:
        write_bytes_atomic(b'x' * (5 * 2**20), target)
    assert info.value.errno == errno.ENOSPC
    message = str(info.value)
    assert str(target) in message and 'needs 5.0 MiB, 3.0 MiB free' in message
    assert 'max_keep_ckpts' in message and '--resume' in message
    assert target.read_bytes() == b'the previous checkpoint'
    assert _no_temp_files(tmp_path)


def test_a_device_filling_up_mid_write_leaves_the_old_file(tmp_path,
                                                           monkeypatch):
    target = tmp_path / 'checkpoint_latest.pth'
    target.write_bytes(b'the previous checkpoint')

    def full(fd):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(atomic_write.os, 'fsync', full)
    with pytest.raises(DiskFullError, match='filled up while writing'):
        write_bytes_atomic(b'new bytes', target)
    assert target.read_bytes() == b'the previous checkpoint'
    assert _no_temp_files(tmp_path)


def test_training_without_room_for_a_checkpoint_is_one_line(
        synthetic_root, tmp_path, monkeypatch, capsys):
    from da2zoe.cli import train as train_tool
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(atomic_write.shutil, 'disk_usage',
                        lambda path: usage._replace(free=4096))
    nyu = synthetic_root / 'nyu'
    code = train_tool.main([
        str(REPO / 'configs/da2zoe_tiny_synthetic.py'), '--work-dir',
        str(tmp_path / 'work'), '--datasets', 'nyu', '--nyu-csv',
        str(nyu / 'data/nyu2_train.csv'), '--nyu-root', str(nyu),
        '--num-epochs', '1', '--num-workers', '0', '--cfg-options',
        'model.backbone.arch.num_layers=4',
        'model.backbone.out_indices=[0,1,2,3]',
        'default_hooks.checkpoint.interval=1', 'experiment_name=disk_full'])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: [Errno 28] no space left for ') and \
        'checkpoint_epoch_1.pth' in err, err
    assert 'Traceback' not in err
