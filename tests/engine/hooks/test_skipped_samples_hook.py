"""SkippedSamplesHook and SkipCounter: events and distinct files are both
counted (across processes), nothing is logged while nothing was skipped."""
import shutil
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from da2zoe.cli import train as train_tool
from da2zoe.datasets.bad_sample import BadSampleError, SkipCounter
from da2zoe.datasets.codecs.base import read_raw
from da2zoe.engine.hooks.skipped_samples_hook import (
    SkippedSamplesHook,
    TooManyBadSamplesError,
)

TINY = str(Path(__file__).resolve().parents[3] / 'configs' /
           'da2zoe_tiny_synthetic.py')


class Logger:

    def __init__(self):
        self.lines = []

    def info(self, line):
        self.lines.append(line)


class Hub:

    def __init__(self):
        self.info = {}

    def update_info(self, key, value):
        self.info[key] = value


class Loader:
    """A train loader of ``batches`` batches over a wrapped dataset that
    reads the counter live."""

    def __init__(self, counter, batches=1000, batch_size=4):
        self.dataset = SimpleNamespace(dataset=counter)
        self.batches, self.batch_size = batches, batch_size

    def __len__(self):
        return self.batches


class Counted(SkipCounter):
    """A SkipCounter with the dataset's property names."""

    num_skipped = property(lambda self: self.value)
    num_skipped_files = property(lambda self: self.num_files)


def fake_runner(counter, epoch, **loader):
    return SimpleNamespace(
        train_dataloader=Loader(counter, **loader), epoch=epoch,
        logger=Logger(), message_hub=Hub())


def skip(counter, n, start=0):
    for i in range(start, start + n):
        counter.add(BadSampleError(f'/data/bad{i}.png', 'broken'))


def test_events_and_distinct_files_are_logged_apart():
    counter = Counted('nyu')
    hook = SkippedSamplesHook()
    runner = fake_runner(counter, epoch=0)
    hook.after_train_epoch(runner)
    assert runner.logger.lines == []  # no "0 skipped" line
    assert runner.message_hub.info['train/num_skipped_samples'] == 0
    for _ in range(3):  # 7 bad files met in each of 3 epochs
        for i in range(7):
            counter.add(BadSampleError(f'/data/bad{i}.png', 'broken'))
    assert (counter.value, counter.num_files) == (21, 7)
    runner = fake_runner(counter, epoch=2)
    hook.after_train_epoch(runner)
    assert runner.logger.lines == [
        'Epoch 3: 21 bad training samples skipped so far, from 7 distinct '
        'files (each file is named in a warning the first time)']
    assert runner.message_hub.info['train/num_skipped_files'] == 7


def test_a_run_skipping_too_much_stops_within_the_epoch():
    counter = Counted('nyu')
    hook = SkippedSamplesHook(max_skipped_fraction=0.1, min_samples=200,
                              interval=50)
    runner = fake_runner(counter, epoch=3)
    skip(counter, 100)  # an earlier epoch's skips do not count in this one
    hook.before_train_epoch(runner)
    skip(counter, 10, start=100)
    # 10 skips + 4 x 49 delivered: not a judgement yet (interval, and 206
    # fetches are judged only at iteration 50)
    hook.after_train_iter(runner, batch_idx=48)
    hook.after_train_iter(runner, batch_idx=49)  # 10 / 210: 4.8 %, fine
    skip(counter, 30, start=110)
    with pytest.raises(TooManyBadSamplesError,
                       match=r'epoch 4: 40 of 240 training samples .*16\.7 %'):
        hook.after_train_iter(runner, batch_idx=49)
    skip(counter, 5, start=140)
    # 45 of 445 fetched (10.1 %) at iteration 100: stops, naming the way out
    with pytest.raises(TooManyBadSamplesError) as info:
        hook.after_train_iter(runner, batch_idx=99)
    message = str(info.value)
    assert message.startswith('epoch 4: 45 of 445 training samples')
    assert '10.1 %, more than the 10 % allowed' in message
    assert 'max_skipped_fraction' in message


def test_few_fetches_or_no_limit_never_stop():
    counter = Counted('nyu')
    runner = fake_runner(counter, epoch=0, batches=10, batch_size=2)
    hook = SkippedSamplesHook(min_samples=200, interval=1)
    hook.before_train_epoch(runner)
    skip(counter, 50)  # 50 of 70: most, but only 70 fetches
    hook.after_train_iter(runner, batch_idx=9)
    hook.after_train_epoch(runner)
    unlimited = SkippedSamplesHook(max_skipped_fraction=None, min_samples=1)
    unlimited.before_train_epoch(runner)
    skip(counter, 50, start=50)
    unlimited.after_train_epoch(runner)


@pytest.mark.parametrize('fraction', [0, 1.5])
def test_the_fraction_is_checked(fraction):
    with pytest.raises(ValueError, match='max_skipped_fraction'):
        SkippedSamplesHook(max_skipped_fraction=fraction)


def test_train_tool_stops_on_a_dataset_of_broken_depth(synthetic_root,
                                                       tmp_path, capsys):
    nyu = tmp_path / 'nyu'
    shutil.copytree(synthetic_root / 'nyu', nyu)
    rows = (nyu / 'data/nyu2_train.csv').read_text().split()
    for row in rows[:3]:  # 3 of 4 depth maps replaced by garbage
        (nyu / row.split(',')[1]).write_bytes(b'\x89PNG broken')
    code = train_tool.main([
        TINY, '--work-dir', str(tmp_path / 'work'), '--datasets', 'nyu',
        '--nyu-csv', str(nyu / 'data/nyu2_train.csv'), '--nyu-root',
        str(nyu), '--num-epochs', '1', '--batch-size', '2',
        '--num-workers', '0', '--cfg-options',
        'model.backbone.arch.num_layers=4',
        'model.backbone.out_indices=[0,1,2,3]',
        'custom_hooks.2.min_samples=1', 'custom_hooks.2.interval=1',
        'experiment_name=too_many_bad'])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith('error: epoch 1: ') and 'were bad' in err, err
    assert 'Traceback' not in err


def test_one_by_one_depth_png_is_not_called_multichannel(tmp_path):
    path = str(tmp_path / 'tiny.png')
    cv2.imwrite(path, np.full((1, 1), 7, np.uint16))
    assert read_raw(path).shape == (1, 1)  # a size problem, found later
    rgb = str(tmp_path / 'rgb.png')
    cv2.imwrite(rgb, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(BadSampleError,
                       match=r'single-channel, got shape \(4, 4, 3\)'):
        read_raw(rgb)
