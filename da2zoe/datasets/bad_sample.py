"""The error a transform raises on unusable input, and the skip bookkeeping.

Transforms never decide whether a broken sample ends the run: they raise
:class:`BadSampleError` naming the file. The dataset that owns the sample
applies its ``on_bad_sample`` policy (see
:meth:`~da2zoe.datasets.BaseDepthDataset.prepare_data`): ``'raise'`` re-raises,
``'skip'`` logs the file once, counts it and hands ``None`` to MMEngine's
``BaseDataset.__getitem__``, which fetches another random index.
"""
import logging
from typing import Set

import torch
from mmengine.logging import print_log

ON_BAD_SAMPLE = ('raise', 'skip')


class BadSampleError(ValueError):
    """A sample that cannot be used: missing or unreadable file, depth map of
    the wrong size, no valid depth pixel, ...

    Args:
        path (str): The file at fault.
        reason (str): What is wrong with it.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f'{path}: {reason}')
        self.path = path
        self.reason = reason


class SkipCounter:
    """Counts skipped samples across DataLoader worker processes.

    The count lives in a one-element shared-memory tensor, so the main
    process (e.g. a hook) reads what every worker skipped. Each process logs a
    given file at most once.

    Args:
        dataset_name (str): Named in the log lines.
    """

    def __init__(self, dataset_name: str) -> None:
        self.dataset_name = dataset_name
        self._count = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._logged: Set[str] = set()

    @property
    def value(self) -> int:
        """Samples skipped so far by all processes."""
        return int(self._count.item())

    def add(self, error: BadSampleError) -> None:
        """Count one skipped sample and log its file the first time.

        Args:
            error (BadSampleError): Why the sample was skipped.
        """
        # Not atomic across workers; a rare lost increment is acceptable for
        # a log counter and avoids a lock per sample.
        self._count += 1
        if error.path not in self._logged:
            self._logged.add(error.path)
            print_log(
                f'{self.dataset_name}: skipped bad sample {error} '
                f'(skipped so far: {self.value})',
                logger='current',
                level=logging.WARNING)
