"""Atomic saving survives SIGKILL and shares bytes between names."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import torch
from mmengine.fileio import get_file_backend

from da2zoe.checkpoint import (
    ATOMIC_BACKEND,
    AtomicLocalBackend,
    load_checkpoint_file,
    remove_stale_temp_files,
    save_checkpoint_atomic,
)


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
