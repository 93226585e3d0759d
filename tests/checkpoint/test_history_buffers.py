"""Message hub buffers are written without functions; nothing else changes."""
import pickle
from collections import OrderedDict

import torch
from mmengine.logging import MessageHub
from mmengine.logging.history_buffer import HistoryBuffer
from torch import nn

from da2zoe.checkpoint import (
    load_checkpoint_file,
    save_checkpoint_atomic,
    without_history_functions,
)


def test_only_the_way_to_a_buffer_is_copied():
    hub = MessageHub.get_instance('history_buffers_test')
    hub.update_scalar('train/loss', 0.25)
    state = hub.state_dict()
    weights = nn.BatchNorm1d(2).state_dict()
    checkpoint = dict(state_dict=weights, message_hub=state, meta=dict(a=1))
    portable = without_history_functions(checkpoint)
    assert portable is not checkpoint
    assert portable['state_dict'] is weights  # _metadata and all, untouched
    assert portable['meta'] is checkpoint['meta']
    original = state['log_scalars']['train/loss']
    assert checkpoint['message_hub']['log_scalars']['train/loss'] is original
    copy = portable['message_hub']['log_scalars']['train/loss']
    assert isinstance(copy, HistoryBuffer) and copy is not original
    assert b'statistics_methods' in pickle.dumps(original, protocol=2)
    assert b'statistics_methods' not in pickle.dumps(copy, protocol=2)
    plain = OrderedDict(x=torch.ones(1))
    assert without_history_functions(plain) is plain


def test_state_dict_metadata_survives_the_round_trip(tmp_path):
    weights = nn.BatchNorm1d(2).state_dict()
    hub = MessageHub.get_instance('history_buffers_meta_test')
    hub.update_scalar('train/loss', 0.5)
    path = tmp_path / 'c.pth'
    save_checkpoint_atomic(
        dict(state_dict=weights, message_hub=hub.state_dict()), path)
    loaded = load_checkpoint_file(path)
    assert loaded['state_dict']._metadata == weights._metadata
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert buffer.current() == 0.5 and buffer.statistics('mean') == 0.5
