"""DepthOptimWrapper / DepthAmpOptimWrapper: autocast on CPU, accumulation,
clipping, and the non-finite loss guard."""
import copy
import logging
import math

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub, MMLogger

import da2zoe.engine  # noqa: F401
from da2zoe.engine import DepthAmpOptimWrapper, DepthOptimWrapper
from engine_toys import ToyDataset, ToyDepther, make_runner


def _wrapper(model, cls=DepthOptimWrapper, **kwargs):
    return cls(optimizer=torch.optim.SGD(model.parameters(), lr=0.1), **kwargs)


def _batch(n=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=gen)


def test_amp_dtype_resolution_on_cpu():
    model = ToyDepther()
    amp = _wrapper(model, DepthAmpOptimWrapper, device_type='cpu')
    assert amp.cast_dtype == torch.bfloat16 and amp.loss_scaler is None
    with pytest.raises(ValueError, match="bfloat16"):
        _wrapper(
            model, DepthAmpOptimWrapper, dtype='float16', device_type='cpu')


def test_autocast_context_and_float32_loss():
    model = ToyDepther()
    amp = _wrapper(
        model, DepthAmpOptimWrapper, dtype='bfloat16', device_type='cpu')
    with amp.optim_context(model):
        pred = model(_batch())
        loss = nn.functional.mse_loss(pred.float(), torch.zeros(4, 1))
    assert pred.dtype == torch.bfloat16
    assert loss.dtype == torch.float32
    before = copy.deepcopy(model.head.weight.data)
    amp.update_params(loss)
    assert not torch.equal(before, model.head.weight.data)
    assert model.head.weight.dtype == torch.float32


@pytest.mark.parametrize('cls', [DepthOptimWrapper, DepthAmpOptimWrapper])
def test_accumulation_matches_full_batch(cls):
    torch.manual_seed(0)
    model_a = ToyDepther()
    model_b = copy.deepcopy(model_a)
    extra = dict(device_type='cpu') if cls is DepthAmpOptimWrapper else {}
    full = _wrapper(model_a, cls, **extra)
    accum = _wrapper(model_b, cls, accumulative_counts=2, **extra)
    x = _batch(8)
    with full.optim_context(model_a):
        loss = model_a(x).float().pow(2).mean()
    full.update_params(loss)
    for half in (x[:4], x[4:]):
        with accum.optim_context(model_b):
            loss = model_b(half).float().pow(2).mean()
        accum.update_params(loss)
    tol = 1e-6 if cls is DepthOptimWrapper else 2e-2
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        torch.testing.assert_close(pa, pb, rtol=tol, atol=tol)


@pytest.mark.parametrize('cls', [DepthOptimWrapper, DepthAmpOptimWrapper])
def test_clip_grad_logs_grad_norm(cls):
    hub = MessageHub.get_current_instance()
    model = ToyDepther()
    extra = dict(device_type='cpu') if cls is DepthAmpOptimWrapper else {}
    wrapper = _wrapper(model, cls, clip_grad=dict(max_norm=1e-3), **extra)
    with wrapper.optim_context(model):
        loss = model(_batch()).float().pow(2).mean() * 100
    wrapper.update_params(loss)
    norm = hub.get_scalar('train/grad_norm').current()
    assert norm > 1e-3  # the norm before clipping


def test_amp_state_dict_round_trip():
    model = ToyDepther()
    amp = _wrapper(model, DepthAmpOptimWrapper, device_type='cpu')
    state = amp.state_dict()
    assert 'loss_scaler' not in state
    amp.load_state_dict(dict(state, loss_scaler={'scale': 8.0}))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_fp16_on_cuda_uses_grad_scaler():
    model = ToyDepther().cuda()
    amp = _wrapper(
        model,
        DepthAmpOptimWrapper,
        dtype='float16',
        clip_grad=dict(max_norm=1.0))
    assert amp.device_type == 'cuda' and amp.loss_scaler is not None
    with amp.optim_context(model):
        pred = model(_batch().cuda())
        loss = pred.float().pow(2).mean()
    assert pred.dtype == torch.float16 and loss.dtype == torch.float32
    amp.update_params(loss)
    assert not amp.last_step_skipped
    state = amp.state_dict()
    assert 'loss_scaler' in state
    amp.load_state_dict(state)


# Non-finite guard ---------------------------------------------------------


def test_nan_loss_skips_update_and_counts():
    model = ToyDepther()
    wrapper = _wrapper(model, max_consecutive_nonfinite=3)
    wrapper.set_batch_sample_names(['a.png', 'b.png'])
    before = copy.deepcopy(model.state_dict())
    loss = model(_batch()).sum() * float('nan')
    wrapper.update_params(loss)
    assert wrapper.last_step_skipped and wrapper.consecutive_nonfinite == 1
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    assert wrapper._inner_count == 1
    wrapper.update_params(model(_batch()).sum())
    assert not wrapper.last_step_skipped
    assert wrapper.consecutive_nonfinite == 0 and wrapper.total_nonfinite == 1
    for _ in range(2):
        wrapper.update_params(model(_batch()).sum() * float('inf'))
    with pytest.raises(RuntimeError, match=r'3 consecutive.*a\.png, b\.png'):
        wrapper.update_params(model(_batch()).sum() * float('nan'))


@pytest.mark.parametrize('clip_grad', [
    dict(max_norm=1.0), None, dict(type='value', clip_value=1.0)],
    ids=['norm clipping', 'no clipping', 'value clipping'])
@pytest.mark.parametrize('cls', [DepthOptimWrapper, DepthAmpOptimWrapper])
def test_nonfinite_grad_norm_skips_step(clip_grad, cls):
    # Without norm clipping nothing computed the norm: the NaN gradient
    # (inf * 0 in sqrt's backward) went into the weights.
    model = nn.Linear(1, 1)
    model.weight.data.zero_()
    kwargs = dict(device_type='cpu') if cls is DepthAmpOptimWrapper else {}
    # MMEngine pops 'type' from clip_grad: each run gets its own copy.
    wrapper = _wrapper(model, cls, clip_grad=copy.deepcopy(clip_grad),
                       **kwargs)
    loss = model.weight.abs().sqrt().sum()  # finite loss, infinite grad
    assert torch.isfinite(loss)
    wrapper.update_params(loss)
    assert wrapper.last_step_skipped and wrapper.total_nonfinite == 1
    assert model.weight.item() == 0 and math.isfinite(model.bias.item())


def test_guard_off_steps_anyway():
    model = ToyDepther()
    wrapper = _wrapper(model, skip_nonfinite=False)
    wrapper.update_params(model(_batch()).sum() * float('nan'))
    assert torch.isnan(model.head.weight).all()


class _Capture(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.messages = []  # warnings and errors
        self.infos = []

    def emit(self, record):
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())
        else:
            self.infos.append(record.getMessage())


def test_runner_skips_poisoned_batch_and_names_samples(tmp_path):
    runner = make_runner(
        tmp_path,
        max_epochs=1,
        dataset=ToyDataset(poison=[5]),
        custom_hooks=[dict(type='NonFiniteLossHook')],
        param_scheduler=None,
        checkpoint=dict(type='DepthCheckpointHook', interval=-1))
    capture = _Capture()
    MMLogger.get_current_instance().addHandler(capture)
    try:
        runner.train()
    finally:
        MMLogger.get_current_instance().removeHandler(capture)
    skipped = [m for m in capture.messages if 'Non-finite loss' in m]
    assert len(skipped) == 1 and 'rgb_005.png' in skipped[0]
    assert runner.message_hub.get_info('nonfinite_skips') == 1
    assert runner.optim_wrapper.total_nonfinite == 1
    params = torch.cat([p.flatten() for p in runner.model.parameters()])
    assert torch.isfinite(params).all()
    # the LR logger shows both groups
    assert runner.message_hub.get_scalar('train/encoder_lr').current() == \
        pytest.approx(runner.message_hub.get_scalar(
            'train/decoder_lr').current() / 10)
    assert runner.message_hub.get_scalar('train/grad_norm') is not None
    # the skipped step's NaN is not logged: the loss window stays finite,
    # and no later log line shows "nan" (a NaN scalar in MMEngine's window
    # would, in every line until the end of the run)
    hub = runner.message_hub
    losses, _ = hub.get_scalar('train/loss').data
    assert len(losses) > 1 and all(math.isfinite(v) for v in losses)
    assert not [k for k in hub.log_scalars if 'skipped' in k]
    lines = [m for m in capture.infos if 'Epoch(train)' in m]
    assert len(lines) >= 4 and not [m for m in lines if 'nan' in m], lines
