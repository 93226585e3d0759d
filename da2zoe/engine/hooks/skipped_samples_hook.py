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


@HOOKS.register_module()
class SkippedSamplesHook(Hook):
    """Log the running count of skipped bad training samples every epoch.

    The count is shared by the DataLoader workers (see
    :class:`~da2zoe.datasets.bad_sample.SkipCounter`) and also written to
    the message hub as ``train/num_skipped_samples``.
    """

    priority = 'LOW'

    def after_train_epoch(self, runner) -> None:
        """Log the count.

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
