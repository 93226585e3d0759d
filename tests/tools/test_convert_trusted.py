"""A refused checkpoint's message points at the converter's --trusted mode,
never at ``weights_only=False``; the converter rewrites such a file once."""
import importlib.util

import pytest
import torch
from mmengine.logging import MessageHub

from da2zoe.checkpoint import UnsafeCheckpointError, load_checkpoint_file
from tiny_depther import ROOT

TOOL = f'{ROOT}/tools/model_converters/convert_checkpoint.py'


def _tool():
    spec = importlib.util.spec_from_file_location('convert_tool', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_refused_file_is_rewritten_with_the_converter(tmp_path, capsys):
    hub = MessageHub.get_instance('convert_trusted_test')
    hub.update_scalar('train/loss', 1.5)
    path = tmp_path / 'mmengine.pth'
    # What MMEngine's own CheckpointHook writes: getattr in the pickle.
    torch.save(dict(state_dict={'w': torch.ones(2)},
                    message_hub=hub.state_dict()), path)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(path)
    message = str(info.value)
    assert 'weights_only=False' not in message
    assert 'builtins.getattr' in message
    command = ('python tools/model_converters/convert_checkpoint.py '
               f'--trusted {path} NEW.pth')
    assert command in message
    new = tmp_path / 'new.pth'
    assert _tool().main(['--trusted', str(path), str(new)]) == 0
    assert 'weights-only' in capsys.readouterr().out
    loaded = load_checkpoint_file(new)
    torch.testing.assert_close(loaded['state_dict']['w'], torch.ones(2))
    assert 'message_hub' in loaded
