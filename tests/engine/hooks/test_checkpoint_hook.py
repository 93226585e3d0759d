"""DepthCheckpointHook: latest/periodic/best files, keep count, save_dir."""
import os.path as osp

import pytest
import torch
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.hooks import Hook

import da2zoe.engine  # noqa: F401
from da2zoe.engine.hooks.checkpoint_hook import DepthCheckpointHook, best_rule
from engine_toys import ToyDataset, make_runner


class ScriptedMetric(BaseMetric):
    """Returns the next value of ``abs_rel`` per evaluation, per dataset."""

    def __init__(self, values):
        super().__init__()
        self.values = list(values)

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        value = self.values.pop(0)
        return {
            'nyu/abs_rel': value,
            'kitti/abs_rel': 0.0,
            'nyu/d1': 1 - value
        }


def _val(values):
    return dict(
        val_dataloader=dict(
            dataset=ToyDataset(n=4),
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        val_cfg=dict(),
        val_evaluator=Evaluator([ScriptedMetric(values)]))


def _meta(path):
    return torch.load(path, weights_only=True)['meta']


def test_best_keep_and_save_dir(tmp_path):
    save_dir = tmp_path / 'ckpts'
    runner = make_runner(
        tmp_path / 'work',
        max_epochs=3,
        checkpoint=dict(
            type='DepthCheckpointHook',
            interval=1,
            max_keep_ckpts=2,
            save_best='abs_rel',
            save_dir=str(save_dir)),
        val=_val([0.3, 0.2, 0.25]))
    runner.train()
    names = sorted(p.name for p in save_dir.iterdir())
    assert names == [
        'checkpoint_best.pth', 'checkpoint_epoch_2.pth',
        'checkpoint_epoch_3.pth', 'checkpoint_latest.pth', 'last_checkpoint'
    ]
    best = torch.load(save_dir / 'checkpoint_best.pth', weights_only=True)
    epoch2 = torch.load(save_dir / 'checkpoint_epoch_2.pth', weights_only=True)
    assert best['meta']['epoch'] == 2
    for key, value in epoch2['state_dict'].items():
        assert torch.equal(best['state_dict'][key], value)
    info = torch.load(
        save_dir / 'checkpoint_latest.pth',
        weights_only=True)['message_hub']['runtime_info']
    assert info['best_score'] == 0.2 and info['best_metric'] == 'nyu/abs_rel'
    assert info['keep_ckpt_ids'] == [2, 3]  # MMEngine's record of the kept
    work_last = (tmp_path / 'work' / 'last_checkpoint').read_text()
    assert work_last == str(save_dir / 'checkpoint_latest.pth')


class _LatestWatcher(Hook):
    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, path):
        self.path = path
        self.seen = {}

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        if osp.isfile(self.path):
            meta = _meta(self.path)
            self.seen[runner.iter + 1] = (meta['epoch'], meta['iter'])


def test_iteration_intervals(tmp_path):
    watcher = _LatestWatcher(str(tmp_path / 'checkpoint_latest.pth'))
    runner = make_runner(
        tmp_path,
        max_epochs=2,
        checkpoint=dict(
            type='DepthCheckpointHook', interval=1, latest_interval=3),
        custom_hooks=[watcher])
    runner.train()
    # mid-epoch latest at iterations 3 and 6, epoch ends at 4 and 8
    assert watcher.seen[3] == (0, 3) and watcher.seen[6] == (1, 6)
    assert _meta(tmp_path / 'checkpoint_epoch_1.pth')['iter'] == 4

    iter_dir = tmp_path / 'by_iter'
    make_runner(
        iter_dir,
        max_epochs=2,
        checkpoint=dict(
            type='DepthCheckpointHook', interval=3, by_epoch=False)).train()
    names = sorted(p.name for p in iter_dir.glob('checkpoint_*.pth'))
    assert names == [
        'checkpoint_iter_3.pth', 'checkpoint_iter_6.pth',
        'checkpoint_iter_8.pth', 'checkpoint_latest.pth'
    ]
    assert _meta(iter_dir / 'checkpoint_latest.pth')['iter'] == 8


def test_default_keeps_the_newest_three_periodic_files(tmp_path):
    runner = make_runner(tmp_path, max_epochs=5,
                         checkpoint=dict(type='DepthCheckpointHook'))
    runner.train()
    periodic = sorted(p.name for p in tmp_path.glob('checkpoint_epoch_*'))
    assert periodic == ['checkpoint_epoch_3.pth', 'checkpoint_epoch_4.pth',
                        'checkpoint_epoch_5.pth']
    assert torch.load(tmp_path / 'checkpoint_latest.pth',
                      weights_only=True)['meta']['epoch'] == 5


def test_save_best_d1_keeps_the_highest(tmp_path):
    # d1 = 1 - abs_rel: 0.7, 0.8, 0.75. With rule 'less' (the old default)
    # the first epoch would have stayed the "best".
    runner = make_runner(
        tmp_path, max_epochs=3,
        checkpoint=dict(type='DepthCheckpointHook', save_best='nyu/d1'),
        val=_val([0.3, 0.2, 0.25]))
    runner.train()
    best = torch.load(tmp_path / 'checkpoint_best.pth', weights_only=True)
    assert best['meta']['epoch'] == 2
    info = best['message_hub']['runtime_info']
    assert info['best_score'] == pytest.approx(0.8)


@pytest.mark.parametrize('save_best, rule, expected', [
    ('abs_rel', None, 'less'), ('nyu/d1', None, 'greater'),
    ('da2k/acc', None, 'greater'), ('val_loss_x', 'less', 'less'),
    (None, None, 'less')])
def test_best_rule_follows_the_metric(save_best, rule, expected):
    assert best_rule(save_best, rule) == expected


@pytest.mark.parametrize('save_best, rule, message', [
    ('d1', 'less', 'better when greater'),
    ('nyu/abs_rel', 'greater', 'better when less'),
    ('my_score', None, 'unknown metric direction'),
    ('abs_rel', 'lower', "rule must be 'less' or 'greater'")])
def test_a_wrong_or_missing_rule_is_refused(save_best, rule, message):
    with pytest.raises(ValueError, match=message):
        DepthCheckpointHook(save_best=save_best, rule=rule)
