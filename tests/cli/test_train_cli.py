"""tools/train.py (da2zoe.cli.train): the seed's flags, OpenMMLab flags,
and real short runs."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from da2zoe.analysis import cpu
from da2zoe.checkpoint import load_checkpoint_file
from da2zoe.cli import train as train_tool

REPO = Path(__file__).resolve().parents[2]
VITL = str(REPO / 'configs/da2zoe_vitl_nyu.py')
TINY = str(REPO / 'configs/da2zoe_tiny_synthetic.py')


def build(argv):
    return train_tool.build_config(train_tool.parse_args(argv))


# The seed README's command lines, `train_da2_zoe.py` -> tools/train.py.
SEED_BASIC = ('--encoder vitl --batch-size 4 --num-epochs 50 --lr 1e-4 '
              '--datasets nyu sunrgbd --nyu-csv {r}/nyu/data/nyu2_train.csv '
              '--nyu-root {r}/nyu --sunrgbd-json sunrgbd_train.json '
              '--sunrgbd-root {r}/sunrgbd --save-dir {o}/checkpoints '
              '--log-dir {o}/logs --train-encoder --validate')
SEED_CUSTOM = ('--encoder vitl --n-bins 64 --bin-centers-type softplus '
               '--min-depth 0.1 --max-depth 10.0 --n-attractors 16 8 4 1 '
               '--attractor-type inv --batch-size 4 --num-epochs 100 '
               '--lr 1e-4 --weight-decay 1e-4 --lr-step-size 30 '
               '--lr-gamma 0.1 --datasets nyu sunrgbd ibims '
               '--nyu-csv {r}/nyu/data/nyu2_train.csv --nyu-root {r}/nyu '
               '--sunrgbd-json sunrgbd_train.json --sunrgbd-root '
               '{r}/sunrgbd --ibims-root {r}/ibims/ibims1_core_mat '
               '--save-dir {o}/checkpoints --log-dir {o}/logs '
               '--train-encoder --encoder-lr-factor 10 --validate')


def test_seed_readme_basic_command(synthetic_root, tmp_path):
    cfg = build([VITL] + SEED_BASIC.format(r=synthetic_root, o=tmp_path)
                .split())
    assert cfg.model.backbone.arch == 'vitl'
    assert cfg.model.backbone.frozen is False
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_cfg.max_epochs == 50
    assert cfg.optim_wrapper.optimizer.lr == 1e-4
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'DepthConcatDataset'
    assert [d['type'] for d in dataset.datasets] == [
        'NYUCSVDataset', 'SUNRGBDDataset']
    # Validation uses the held-out lists next to the training lists.
    val = cfg.val_dataloader.dataset
    assert val.datasets[0]['csv_file'].endswith('nyu2_test.csv')
    assert val.datasets[1]['json_file'] == 'sunrgbd_test.json'
    assert cfg.default_hooks.checkpoint.save_dir == f'{tmp_path}/checkpoints'
    assert cfg.work_dir == f'{tmp_path}/checkpoints'
    tb = [b for b in cfg.visualizer.vis_backends
          if b['type'] == 'TensorboardVisBackend']
    assert tb[0]['save_dir'] == f'{tmp_path}/logs'


def test_seed_readme_custom_command(synthetic_root, tmp_path):
    cfg = build([VITL] + SEED_CUSTOM.format(r=synthetic_root, o=tmp_path)
                .split())
    head = cfg.model.head
    assert (head.n_bins, head.bin_centers_type, head.min_depth,
            head.max_depth) == (64, 'softplus', 0.1, 10.0)
    assert list(head.n_attractors) == [16, 8, 4, 1]
    assert cfg.optim_wrapper.paramwise_cfg.encoder_lr_factor == 10
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-4
    step = [s for s in cfg.param_scheduler if s['type'] == 'StepLR'][0]
    assert (step['step_size'], step['gamma']) == (30, 0.1)
    assert len(cfg.train_dataloader.dataset.datasets) == 3


def test_seed_defaults_are_the_config_defaults():
    cfg = build([VITL])
    assert cfg.model.backbone.frozen is True  # no --train-encoder
    losses = {loss['type']: loss['loss_weight'] for loss in cfg.model.losses}
    assert losses == {'SILogLoss': 1.0, 'GradL1Loss': 0.5,
                      'MetricSILogLoss': 0.5}
    assert cfg.optim_wrapper.clip_grad.max_norm == 1.0
    assert cfg.optim_wrapper.paramwise_cfg.encoder_lr_factor == 10.0
    assert cfg.val_dataloader is None  # the seed validates with --validate
    crops = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] == 'DepthRandomCrop']
    assert crops[0]['crop_size'] == 392


def test_loss_weight_flags(tmp_path):
    cfg = build([VITL, '--silog-weight', '2', '--grad-weight', '0',
                 '--metric-silog-weight', '0.25'])
    losses = {loss['type']: loss['loss_weight'] for loss in cfg.model.losses}
    assert losses == {'SILogLoss': 2.0, 'GradL1Loss': 0.0,
                      'MetricSILogLoss': 0.25}


def test_target_size_sets_crop_and_rejects_384():
    cfg = build([VITL, '--target-size', '518'])
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t['crop_size'] for t in pipeline
            if t['type'] == 'DepthRandomCrop'] == [518]
    with pytest.raises(ValueError, match='392'):
        build([VITL, '--target-size', '384'])


def test_flags_contradicting_the_config_name_both(capsys):
    with pytest.raises(train_tool.ConfigConflictError,
                       match='--encoder vits.*vitl'):
        build([VITL, '--encoder', 'vits'])
    with pytest.raises(train_tool.ConfigConflictError,
                       match=r'--lr .*train_dataloader|optim_wrapper'):
        build([VITL, '--lr', '1e-3', '--cfg-options',
               'optim_wrapper.optimizer.lr=2e-3'])
    assert train_tool.main([VITL, '--encoder', 'vitg']) == 2
    assert '--encoder vitg' in capsys.readouterr().err


def test_a_config_without_losses_is_refused_before_any_work(capsys):
    relative = str(REPO / 'configs/da2-relative_vitl_nyu.py')
    assert train_tool.main([relative]) == 2
    err = capsys.readouterr().err
    assert 'da2-relative_vitl_nyu.py: model.losses is empty' in err
    assert 'Traceback' not in err
    with pytest.raises(ValueError, match='model.losses is empty'):
        build([TINY, '--cfg-options', 'model.losses=[]'])


def test_resume_flag_forms(tmp_path):
    ckpt = tmp_path / 'checkpoint_latest.pth'
    ckpt.write_bytes(b'x')
    cfg = build([VITL, '--resume', str(ckpt)])
    assert cfg.resume is True and cfg.load_from == str(ckpt)
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    cfg = build([VITL, '--resume', '--work-dir', str(tmp_path)])
    assert cfg.resume is True and cfg.load_from == str(ckpt)


def test_resume_with_nothing_to_resume_says_where_it_looked(tmp_path,
                                                            capsys):
    empty = tmp_path / 'empty'
    with pytest.raises(FileNotFoundError, match='nothing to resume in '
                       f'{empty} \\(no last_checkpoint file there\\)'):
        build([VITL, '--resume', '--work-dir', str(empty)])
    assert train_tool.main([VITL, '--resume', '--save-dir',
                            str(empty)]) == 2
    assert f'error: --resume: nothing to resume in {empty}' in (
        capsys.readouterr().err)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'gone.pth'))
    with pytest.raises(FileNotFoundError, match='gone.pth'):
        build([VITL, '--resume', '--work-dir', str(tmp_path)])
    cfg = build([VITL, '--resume', 'auto-or-new', '--work-dir', str(empty)])
    assert cfg.resume is True and cfg.load_from is None


NATIVE = cpu.CpuInfo('test CPU', 'AVX512', frozenset({'avx512_bf16'}))
AVX2 = cpu.CpuInfo('test CPU', 'AVX2', frozenset({'avx2'}))


@pytest.fixture
def cpu_is(monkeypatch):
    """Pretends the machine is a CPU-only one with the given CpuInfo."""
    monkeypatch.setattr(train_tool.torch.cuda, 'is_available', lambda: False)

    def set_cpu(info):
        monkeypatch.setattr(cpu, 'cpu_info', lambda: info)

    return set_cpu


def test_amp_selects_the_cpu_capable_wrapper(cpu_is, capsys):
    cpu_is(NATIVE)
    cfg = build([VITL, '--amp', '--accumulate', '4'])
    assert cfg.optim_wrapper.type == 'DepthAmpOptimWrapper'
    assert cfg.optim_wrapper.accumulative_counts == 4
    assert capsys.readouterr().err == ''


def test_amp_falls_back_to_float32_without_native_bf16(cpu_is, capsys):
    cpu_is(AVX2)
    cfg = build([VITL, '--amp'])
    assert cfg.optim_wrapper.type != 'DepthAmpOptimWrapper'
    err = capsys.readouterr().err
    assert '--amp ignored, running in float32' in err
    assert 'no native bf16' in err and '--force' in err
    assert any('--amp' in line and 'float32' in line
               for line in cfg.applied_flags)
    cfg = build([VITL, '--amp', '--amp-dtype', 'bfloat16', '--force'])
    assert cfg.optim_wrapper.type == 'DepthAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert '--amp forced' in capsys.readouterr().err


def run_train(args, cwd, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS='2')
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py')] + args,
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    return result.stdout + result.stderr


def losses_of(work_dir: Path) -> list:
    logs = sorted(work_dir.rglob('vis_data/scalars.json'))
    rows = []
    for log in logs:
        rows += [json.loads(line) for line in log.read_text().splitlines()]
    return [(r['step'], r['loss']) for r in rows if 'loss' in r]


TINY_RUN = ['--cfg-options', 'model.backbone.arch.num_layers=4',
            'model.backbone.out_indices=[0,1,2,3]',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False',
            'default_hooks.logger.interval=1', 'param_scheduler.0.end=2',
            'param_scheduler.1.T_max=2', 'param_scheduler.1.end=2',
            'default_hooks.checkpoint.interval=1',
            'default_hooks.visualization.interval=2',
            'randomness.deterministic=True']


def test_train_with_seed_flags_then_resume_matches_uninterrupted(
        synthetic_root, tmp_path):
    nyu = synthetic_root / 'nyu'
    seed_flags = ['--datasets', 'nyu', '--nyu-csv',
                  str(nyu / 'data/nyu2_train.csv'), '--nyu-root', str(nyu),
                  '--batch-size', '2', '--target-size', '56',
                  '--num-workers', '0', '--validate']
    full = tmp_path / 'full'
    out = run_train([TINY, '--num-epochs', '2', '--save-dir', str(full)] +
                    seed_flags + TINY_RUN, tmp_path)
    assert 'da2zoe run:' in out and 'd1' in out
    # The key choices come before MMEngine's environment and config dump
    # (hundreds of lines), and the run's log file holds them too.
    assert out.index('da2zoe run:') < out.index('System environment')
    logs = list(full.glob('*/*.log'))
    assert len(logs) == 1 and 'da2zoe run:' in logs[0].read_text()
    assert (full / 'checkpoint_latest.pth').is_file()
    assert (full / 'checkpoint_epoch_1.pth').is_file()
    uninterrupted = losses_of(full)
    assert len(uninterrupted) >= 4

    # Stop after epoch 1; resume a copy from checkpoint_latest.pth and the
    # original with --resume alone (the work dir's latest checkpoint).
    alone = tmp_path / 'alone'
    run_train([TINY, '--num-epochs', '1', '--work-dir', str(alone)] +
              seed_flags + TINY_RUN, tmp_path)
    part = tmp_path / 'part'
    shutil.copytree(alone, part)
    (part / 'last_checkpoint').unlink()
    outs = [run_train([TINY, '--num-epochs', '2', '--work-dir', str(part),
                       '--resume', str(part / 'checkpoint_latest.pth')] +
                      seed_flags + TINY_RUN, tmp_path),
            run_train([TINY, '--num-epochs', '2', '--work-dir', str(alone),
                       '--resume'] + seed_flags + TINY_RUN, tmp_path)]
    for out in outs:  # it resumed: epoch 1 was not trained again
        assert 'resumed epoch: 1' in out, out[-2000:]
        assert 'Epoch(train) [1]' not in out
    for work_dir in (part, alone):
        resumed = dict(losses_of(work_dir))
        for step, loss in uninterrupted:
            assert resumed[step] == pytest.approx(loss, rel=1e-5,
                                                  abs=1e-6), (work_dir, step)
    state = load_checkpoint_file(full / 'checkpoint_latest.pth')
    assert state['meta']['epoch'] == 2
