"""ScheduleSpanHook: a decaying schedule that ends before training is said
before training starts, with the way out; one that spans the run is not."""
import logging

import pytest
from mmengine.logging import MMLogger

import da2zoe.engine  # noqa: F401
from engine_toys import make_runner

POLY = dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
            convert_to_iter_based=True)


class Warnings(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def train(work_dir, max_epochs, scheduler, resume=False,
          said='PolyLR ends at') -> list:
    runner = make_runner(
        work_dir, max_epochs=max_epochs, param_scheduler=[scheduler],
        custom_hooks=[dict(type='ScheduleSpanHook')], resume=resume,
        checkpoint=dict(type='DepthCheckpointHook', interval=1))
    capture = Warnings()
    logger = MMLogger.get_current_instance()
    logger.addHandler(capture)
    try:
        runner.train()
    finally:
        logger.removeHandler(capture)
    return [line for line in capture.lines if said in line]


def test_a_schedule_that_spans_the_run_is_quiet(tmp_path):
    assert train(tmp_path, 2, dict(POLY)) == []


def test_an_explicit_short_end_is_said(tmp_path):
    lines = train(tmp_path, 3, dict(POLY, end=1))
    # ToyDataset: 16 samples, batch 4: 4 iterations an epoch
    assert lines == [
        'PolyLR ends at iteration 4 but training runs to iteration 12: the '
        'learning rate stays at its final value for the last 8 iterations; '
        'drop its end (it then ends with training)']


def test_resuming_with_more_epochs_keeps_the_old_schedule_and_says_so(
        tmp_path):
    assert train(tmp_path, 2, dict(POLY)) == []
    lines = train(tmp_path, 4, dict(POLY), resume=True)
    assert len(lines) == 1, lines
    assert lines[0].startswith('PolyLR ends at iteration 8 but training runs '
                               'to iteration 16')
    assert 'load_from=CHECKPOINT' in lines[0]


@pytest.mark.parametrize('scheduler', [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
    dict(type='StepLR', step_size=1, gamma=0.5, by_epoch=True, end=1)])
def test_warm_up_and_steps_are_not_decays(tmp_path, scheduler):
    assert train(tmp_path, 2, scheduler, said=' ends at ') == []
