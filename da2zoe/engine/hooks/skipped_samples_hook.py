"""A hook that logs how many bad samples the training data skipped."""
from typing import Optional

from mmengine.hooks import Hook

from da2zoe.registry import HOOKS


def count_skipped(dataset: object,
                  what: str = 'num_skipped') -> Optional[int]:
    """Bad samples skipped so far by a dataset (wrappers included).

    Args:
        dataset (object): A dataset, possibly wrapped (``dataset.dataset``).
        what (str): ``'num_skipped'`` (skip events) or
            ``'num_skipped_files'`` (distinct files).

    Returns:
        int | None: The count, or None if the dataset does not keep one.
    """
    while not hasattr(dataset, what) and hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    return getattr(dataset, what, None)


class TooManyBadSamplesError(RuntimeError):
    """More of the training data was skipped as bad than allowed."""


@HOOKS.register_module()
class SkippedSamplesHook(Hook):
    """Logs the running count of skipped bad training samples every epoch,
    and stops a run that skips too many.

    The count is shared by the DataLoader workers (see
    :class:`~da2zoe.datasets.bad_sample.SkipCounter`) and also written to
    the message hub as ``train/num_skipped_samples``.

    A few corrupt files are skipped and logged; a fifth of the data being
    unreadable (a half-copied dataset, depth in another unit, a wrong
    decoder) is a broken run that would otherwise train for days on what
    is left. So within each epoch, from ``min_samples`` fetched samples on,
    every ``interval`` iterations and at the epoch's end, the fraction
    skipped (skips / (skips + samples delivered)) is compared with
    ``max_skipped_fraction``; above it a :class:`TooManyBadSamplesError`
    stops training. Each rank judges its own share of the data.

    Args:
        max_skipped_fraction (float, optional): The most of an epoch's
            fetches that may be skipped, in (0, 1]; None never stops.
            Defaults to 0.1.
        min_samples (int): Fetches before the first judgement (a few bad
            files among the first samples are not a fraction yet).
            Defaults to 200.
        interval (int): Iterations between checks. Defaults to 50.
    """

    priority = 'LOW'

    def __init__(self,
                 max_skipped_fraction: Optional[float] = 0.1,
                 min_samples: int = 200,
                 interval: int = 50) -> None:
        if max_skipped_fraction is not None and \
                not 0 < max_skipped_fraction <= 1:
            raise ValueError('max_skipped_fraction must be in (0, 1] or '
                             f'None, got {max_skipped_fraction}')
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.max_skipped_fraction = max_skipped_fraction
        self.min_samples = min_samples
        self.interval = interval
        self._epoch_start = 0

    def before_train_epoch(self, runner) -> None:
        """Remembers the count at the epoch's start.

        Args:
            runner (Runner): The runner.
        """
        self._epoch_start = count_skipped(
            runner.train_dataloader.dataset) or 0

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Every ``interval`` iterations: too many skipped this epoch?

        Args:
            runner (Runner): The runner.
            batch_idx (int): Index of the batch in the epoch.
            data_batch: The batch.
            outputs: The model's outputs.
        """
        if (batch_idx + 1) % self.interval == 0:
            self._check(runner, batch_idx + 1)

    def _check(self, runner, batches: int) -> None:
        if self.max_skipped_fraction is None:
            return
        loader = runner.train_dataloader
        count = count_skipped(loader.dataset)
        if count is None:
            return
        skipped = count - self._epoch_start
        delivered = batches * (loader.batch_size or 1)
        fetched = skipped + delivered
        if fetched < self.min_samples or \
                skipped <= self.max_skipped_fraction * fetched:
            return
        raise TooManyBadSamplesError(
            f'epoch {runner.epoch + 1}: {skipped} of {fetched} training '
            f'samples fetched so far were bad and skipped '
            f'({100 * skipped / fetched:.1f} %, more than the '
            f'{100 * self.max_skipped_fraction:g} % allowed). The warnings '
            'above name each bad file. Fix the data (a wrong data_root, '
            'depth_scale or decoder, a half-copied dataset), or allow more '
            'with custom_hooks SkippedSamplesHook(max_skipped_fraction=...)'
            ' (None never stops).')

    def after_train_epoch(self, runner) -> None:
        """Logs the count; stops if too many were skipped this epoch.

        Args:
            runner (Runner): The runner.
        """
        dataset = runner.train_dataloader.dataset
        count = count_skipped(dataset)
        if count is None:
            return
        files = count_skipped(dataset, 'num_skipped_files')
        runner.message_hub.update_info('train/num_skipped_samples', count)
        runner.message_hub.update_info('train/num_skipped_files', files)
        if not count:
            return  # nothing to report: no line every epoch
        # runner.epoch is still 0-based here; the log lines count from 1.
        runner.logger.info(
            f'Epoch {runner.epoch + 1}: {count} bad training samples skipped '
            f'so far, from {files} distinct files (each file is named in a '
            'warning the first time)')
        self._check(runner, len(runner.train_dataloader))
