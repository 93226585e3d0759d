"""Atomic saving survives SIGKILL; loading is allow-listed and refuses the
rest without executing it."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

from da2zoe.engine import (CheckpointRefusedError, load_checkpoint_safe,
                           register_checkpoint_safe_globals,
                           remove_stale_temp_files, resave_trusted_checkpoint,
                           save_checkpoint_atomic)


class _Payload:
    """Unpickling this runs a shell command that creates a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class _Foreign:
    """An arbitrary class of the test module."""

    def __init__(self):
        self.x = 1


def _hub_state():
    hub = MessageHub.get_instance('checkpoint_io_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('eta', np.float64(1.0))
    return hub.state_dict()


def test_register_is_idempotent():
    register_checkpoint_safe_globals()
    register_checkpoint_safe_globals()


def test_training_checkpoint_round_trip(tmp_path):
    ckpt = dict(
        meta=dict(
            epoch=1, dataset_meta=dict(arr=np.arange(3), f=np.float32(2.5))),
        state_dict={'w': torch.ones(2)},
        message_hub=_hub_state())
    path = tmp_path / 'c.pth'
    save_checkpoint_atomic(ckpt, str(path))
    # plain torch.load with weights_only=True works once registered
    loaded = torch.load(path, weights_only=True)
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert buf.current() == 0.5 and buf.mean() == 0.5
    assert loaded['meta']['dataset_meta']['arr'].tolist() == [0, 1, 2]
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == []
    # MMEngine's loader (Runner.resume, load_from) goes through it too
    assert torch.equal(
        _load_checkpoint(str(path))['state_dict']['w'], torch.ones(2))


@pytest.mark.parametrize('kind', ['os.system', 'class'])
def test_foreign_object_is_refused_not_executed(tmp_path, kind):
    marker = tmp_path / 'executed'
    obj = _Payload(marker) if kind == 'os.system' else _Foreign()
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)}, extra=obj), path)
    for load in (load_checkpoint_safe, _load_checkpoint):
        with pytest.raises(CheckpointRefusedError) as info:
            load(str(path))
        message = str(info.value)
        assert str(path) in message
        expected = 'system' if kind == 'os.system' else '_Foreign'
        assert expected in message and 'Nothing from the file' in message
    assert not marker.exists()


def test_mmengine_hook_checkpoint_refused_then_resaved(tmp_path):
    # MMEngine's own save pickles HistoryBuffer functions through getattr.
    path = tmp_path / 'mmengine.pth'
    torch.save(dict(message_hub=_hub_state()), path)
    with pytest.raises(CheckpointRefusedError, match='builtins.getattr'):
        load_checkpoint_safe(path)
    resave_trusted_checkpoint(str(path), str(tmp_path / 'ok.pth'))
    assert 'message_hub' in load_checkpoint_safe(tmp_path / 'ok.pth')


def test_multiple_paths_share_bytes(tmp_path):
    paths = [str(tmp_path / 'a.pth'), str(tmp_path / 'sub' / 'b.pth')]
    save_checkpoint_atomic({'w': torch.arange(3)}, paths)
    for p in paths:
        assert torch.equal(load_checkpoint_safe(p)['w'], torch.arange(3))
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.tmp')]


_WRITER = textwrap.dedent('''
    import sys, torch
    from da2zoe.engine.checkpoint_io import save_checkpoint_atomic
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
        ckpt = load_checkpoint_safe(path)
        assert ckpt['step'] >= 1
        assert bool((ckpt['w'] == ckpt['step']).all())
    # the killed writer's temp files are stale and get cleaned up
    removed = remove_stale_temp_files(str(tmp_path))
    assert removed and all(p.endswith('.tmp') for p in removed)
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.tmp')]
