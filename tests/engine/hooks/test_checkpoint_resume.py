"""Training with DepthCheckpointHook and resuming gives the same losses."""
import os.path as osp

import pytest
import torch

import da2zoe.engine  # noqa: F401  (registers the engine pieces)
from engine_toys import LossRecorder, make_runner


def _train(work_dir, max_epochs, **kwargs):
    recorder = LossRecorder()
    runner = make_runner(
        work_dir, max_epochs=max_epochs, custom_hooks=[recorder], **kwargs)
    runner.train()
    return runner, recorder.rows


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """An uninterrupted 2-epoch run."""
    work_dir = tmp_path_factory.mktemp('uninterrupted')
    runner, rows = _train(work_dir, max_epochs=2)
    return work_dir, runner, rows


def _epoch(rows, epoch):
    return [(it, loss, lrs) for ep, it, loss, lrs in rows if ep == epoch]


def test_files_and_last_checkpoint(reference):
    work_dir, runner, rows = reference
    for name in ('checkpoint_latest.pth', 'checkpoint_epoch_1.pth',
                 'checkpoint_epoch_2.pth', 'last_checkpoint'):
        assert osp.isfile(work_dir / name), name
    assert (work_dir / 'last_checkpoint').read_text() == str(
        work_dir / 'checkpoint_latest.pth')
    ckpt = torch.load(work_dir / 'checkpoint_epoch_1.pth', weights_only=True)
    assert ckpt['meta']['epoch'] == 1 and ckpt['meta']['iter'] == 4
    assert set(ckpt) >= {
        'meta', 'state_dict', 'optimizer', 'param_schedulers', 'message_hub'
    }
    assert ckpt['meta']['seed'] == 0
    assert ckpt['meta']['dataset_meta']['dataset_name'] == 'toy'
    latest = torch.load(work_dir / 'checkpoint_latest.pth', weights_only=True)
    assert latest['meta']['epoch'] == 2
    # no temp files left
    assert not [p for p in work_dir.iterdir() if p.name.endswith('.tmp')]
    # the encoder keeps a tenth of the decoder's lr under both schedulers
    for _, _, _, lrs in rows:
        assert lrs['encoder'] == pytest.approx(lrs['decoder'] / 10)


@pytest.mark.parametrize('how', ['auto', 'explicit'])
def test_resume_matches_uninterrupted(reference, tmp_path, how):
    ref_dir, _, ref_rows = reference
    if how == 'auto':
        # Train one epoch, then a fresh runner with resume=True alone finds
        # work_dir/last_checkpoint -> checkpoint_latest.pth.
        _, first = _train(tmp_path, max_epochs=1)
        assert first == _epoch_rows(ref_rows, 0)
        _, rows = _train(tmp_path, max_epochs=2, resume=True)
    else:
        _, rows = _train(
            tmp_path,
            max_epochs=2,
            resume=True,
            load_from=str(ref_dir / 'checkpoint_epoch_1.pth'))
    assert [r[0] for r in rows] == [1] * 4
    assert _epoch(rows, 1) == _epoch(ref_rows, 1)  # bit-identical losses
    final = torch.load(tmp_path / 'checkpoint_latest.pth', weights_only=True)
    ref = torch.load(ref_dir / 'checkpoint_latest.pth', weights_only=True)
    for key, value in ref['state_dict'].items():
        assert torch.equal(final['state_dict'][key], value), key


def _epoch_rows(rows, epoch):
    return [r for r in rows if r[0] == epoch]


def test_resume_with_cpu_bf16_amp(tmp_path):
    amp = dict(
        constructor='DepthOptimWrapperConstructor',
        type='DepthAmpOptimWrapper',
        dtype='auto',
        optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-4),
        paramwise_cfg=dict(encoder_lr_factor=10),
        clip_grad=dict(max_norm=1.0))
    runner, ref_rows = _train(
        tmp_path / 'ref', max_epochs=2, optim_wrapper=amp)
    assert runner.optim_wrapper.cast_dtype == torch.bfloat16
    assert runner.message_hub.get_scalar('train/grad_norm') is not None
    _train(tmp_path / 'resumed', max_epochs=1, optim_wrapper=amp)
    _, rows = _train(
        tmp_path / 'resumed', max_epochs=2, optim_wrapper=amp, resume=True)
    assert _epoch(rows, 1) == _epoch(ref_rows, 1)
