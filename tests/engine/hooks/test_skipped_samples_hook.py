"""SkippedSamplesHook and SkipCounter: events and distinct files are both
counted (across processes), nothing is logged while nothing was skipped."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from da2zoe.datasets.bad_sample import BadSampleError, SkipCounter
from da2zoe.datasets.codecs.base import read_raw
from da2zoe.engine.hooks.skipped_samples_hook import SkippedSamplesHook


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


def fake_runner(counter, epoch):
    dataset = SimpleNamespace(num_skipped=counter.value,
                              num_skipped_files=counter.num_files)
    return SimpleNamespace(
        train_dataloader=SimpleNamespace(dataset=SimpleNamespace(
            dataset=dataset)), epoch=epoch, logger=Logger(),
        message_hub=Hub())


def test_events_and_distinct_files_are_logged_apart():
    counter = SkipCounter('nyu')
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


def test_one_by_one_depth_png_is_not_called_multichannel(tmp_path):
    path = str(tmp_path / 'tiny.png')
    cv2.imwrite(path, np.full((1, 1), 7, np.uint16))
    assert read_raw(path).shape == (1, 1)  # a size problem, found later
    rgb = str(tmp_path / 'rgb.png')
    cv2.imwrite(rgb, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(BadSampleError,
                       match=r'single-channel, got shape \(4, 4, 3\)'):
        read_raw(rgb)
