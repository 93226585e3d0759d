"""A hook that logs how many bad samples the training data skipped."""
from typing import Optional

from mmengine.hooks import Hook

from da2zoe.registry import HOOKS


def count_skipped(dataset: object) -> Optional[int]:
    """Bad samples skipped so far by a dataset (wrappers included).

    Args:
        dataset (object): A dataset, possibly wrapped (``dataset.dataset``).

    Returns:
        int | None: The count, or None if the dataset does not keep one.
    """
    while not hasattr(dataset, 'num_skipped') and hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    return getattr(dataset, 'num_skipped', None)


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
        count = count_skipped(runner.train_dataloader.dataset)
        if count is None:
            return
        runner.message_hub.update_info('train/num_skipped_samples', count)
        runner.logger.info(
            f'Epoch {runner.epoch}: {count} bad training samples skipped so '
            'far (each file is named in a warning the first time)')
