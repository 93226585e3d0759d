"""A progress bar over the test set."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from da2zoe.registry import HOOKS


@HOOKS.register_module()
class TestProgressHook(Hook):
    """Shows a progress bar with ETA over the test batches (rank 0 only)."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._bar: Optional[ProgressBar] = None

    def before_test_epoch(self, runner) -> None:
        if runner.rank == 0:
            self._bar = ProgressBar(len(runner.test_dataloader))

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        if self._bar is not None:
            self._bar.update()

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar = None
