"""Warns when a decaying learning-rate schedule ends before training."""
from mmengine.hooks import Hook

from da2zoe.registry import HOOKS

#: Schedules that decay to a final value at their ``end``.
DECAYING = ('PolyLR', 'CosineAnnealingLR', 'OneCycleLR', 'GroupOneCycleLR')


def _schedulers(param_schedulers) -> list:
    if isinstance(param_schedulers, dict):  # one list per optimiser
        return [s for group in param_schedulers.values() for s in group]
    return list(param_schedulers or [])


@HOOKS.register_module()
class ScheduleSpanHook(Hook):
    """Says so when a decaying schedule ends before the run does.

    The configs' decaying schedules end with training, but a run resumed
    with more epochs (``--resume --num-epochs 40`` after 20) keeps the
    schedule saved in its checkpoint, and a config may give ``end``
    itself: past that end the learning rate sits at its final value (0
    for poly) for the rest of the run, silently. This logs one warning per
    such schedule before training starts, with the way out.
    """

    priority = 'LOW'

    def before_train(self, runner) -> None:
        """Compares every decaying schedule's end with the run's.

        Args:
            runner (Runner): The runner (schedules built and resumed).
        """
        resumed = runner.iter > 0
        for scheduler in _schedulers(runner.param_schedulers):
            name = type(scheduler).__name__
            if name not in DECAYING:
                continue
            unit = 'epoch' if scheduler.by_epoch else 'iteration'
            total = runner.max_epochs if scheduler.by_epoch else \
                runner.max_iters
            if scheduler.end >= total:
                continue
            fix = ('this run was resumed and keeps the schedule saved in '
                   'its checkpoint; to train longer with a new decay, start '
                   'a run from its weights (load_from=CHECKPOINT, or '
                   '--pretrained-checkpoint) instead of resuming' if resumed
                   else 'drop its end (it then ends with training)')
            runner.logger.warning(
                f'{name} ends at {unit} {scheduler.end} but training runs '
                f'to {unit} {total}: the learning rate stays at its final '
                f'value for the last {total - scheduler.end} {unit}s; {fix}')
