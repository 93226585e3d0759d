"""Loading is allow-listed and refuses the rest without executing it."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from da2zoe.checkpoint import (
    UnsafeCheckpointError,
    load_checkpoint_file,
    register_safe_globals,
    resave_trusted_checkpoint,
    save_checkpoint_atomic,
)


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


@pytest.fixture(autouse=True)
def _registered():
    """What the runner set-up does (da2zoe.cli.build_runner)."""
    register_safe_globals()


def test_register_is_idempotent():
    register_safe_globals()
    register_safe_globals()


_IMPORT_ONLY = textwrap.dedent('''
    import sys, torch
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner.checkpoint import CheckpointLoader
    import da2zoe.engine, da2zoe.models
    from da2zoe.checkpoint import load_checkpoint_file
    assert HistoryBuffer not in torch.serialization.get_safe_globals()
    loader = CheckpointLoader._schemes['']
    assert loader.__module__ == 'mmengine.runner.checkpoint', loader
    hub = load_checkpoint_file(sys.argv[1])['message_hub']
    print(hub['log_scalars']['train/loss'].current())
''')


def test_import_registers_nothing_and_loader_needs_no_registration(
        tmp_path):
    path = tmp_path / 'c.pth'
    save_checkpoint_atomic(dict(message_hub=_hub_state()), path)
    out = subprocess.run([sys.executable, '-c', _IMPORT_ONLY, str(path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '0.5'


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


def test_loader_keeps_the_global_registration(tmp_path):
    path = tmp_path / 'c.pth'
    save_checkpoint_atomic(dict(message_hub=_hub_state()), path)
    load_checkpoint_file(path)
    assert HistoryBuffer in torch.serialization.get_safe_globals()
    assert 'message_hub' in torch.load(path, weights_only=True)


@pytest.mark.parametrize('kind', ['os.system', 'class'])
def test_foreign_object_is_refused_not_executed(tmp_path, kind):
    marker = tmp_path / 'executed'
    obj = _Payload(marker) if kind == 'os.system' else _Foreign()
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)}, extra=obj), path)
    for load in (load_checkpoint_file, _load_checkpoint):
        with pytest.raises(UnsafeCheckpointError) as info:
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
    with pytest.raises(UnsafeCheckpointError, match='builtins.getattr'):
        load_checkpoint_file(path)
    resave_trusted_checkpoint(str(path), str(tmp_path / 'ok.pth'))
    assert 'message_hub' in load_checkpoint_file(tmp_path / 'ok.pth')
