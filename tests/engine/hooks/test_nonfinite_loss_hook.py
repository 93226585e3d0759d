"""NonFiniteLossHook: the NaN scalars of older checkpoints go on resume."""
import math
from types import SimpleNamespace

from mmengine.logging import MessageHub

from da2zoe.engine.hooks.nonfinite_loss_hook import (
    NonFiniteLossHook,
    drop_nonfinite,
)


def test_resumed_nan_scalars_are_dropped():
    # A checkpoint of an earlier version holds the skipped step's NaN as
    # train/skipped_loss; MMEngine's log line would print it as "nan" in
    # every line of the resumed run.
    hub = MessageHub.get_instance('nonfinite_hook_resume')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/skipped_loss', float('nan'))
    hub.update_scalar('train/skipped_loss_silog', float('inf'))
    NonFiniteLossHook().before_train(SimpleNamespace(message_hub=hub))
    assert list(hub.log_scalars) == ['train/loss']


def test_only_nonfinite_values_are_dropped():
    outputs = dict(loss=float('nan'), loss_grad=0.25,
                   loss_silog=float('-inf'))
    drop_nonfinite(outputs)
    assert outputs == dict(loss_grad=0.25)
    assert all(math.isfinite(v) for v in outputs.values())
