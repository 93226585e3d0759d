"""The error a transform raises on unusable input, and the skip bookkeeping.

Transforms never decide whether a broken sample ends the run: they raise
:class:`BadSampleError` naming the file. The dataset that owns the sample
applies its ``on_bad_sample`` policy (see
:meth:`~da2zoe.datasets.BaseDepthDataset.prepare_data`): ``'raise'`` re-raises,
``'skip'`` logs the file once, counts it and hands ``None`` to MMEngine's
``BaseDataset.__getitem__``, which fetches another random index.
"""
import logging
import zlib

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
    """Counts skipped samples, and the distinct files behind them, across
    DataLoader worker processes.

    Both live in shared memory, so the main process (e.g. a hook) reads what
    every worker skipped: the skip events in a one-element tensor, the files
    as bits of a table indexed by a hash of the path (a collision, rare below
    thousands of bad files, can only undercount the files). A file is logged
    the first time any process skips it.

    Args:
        dataset_name (str): Named in the log lines.
    """

    SLOTS = 1 << 20

    def __init__(self, dataset_name: str) -> None:
        self.dataset_name = dataset_name
        self._count = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._files = torch.zeros(self.SLOTS, dtype=torch.bool).share_memory_()

    @property
    def value(self) -> int:
        """Skip events so far in all processes (a file skipped in each of
        three epochs counts three times)."""
        return int(self._count.item())

    @property
    def num_files(self) -> int:
        """Distinct files skipped so far in all processes."""
        return int(self._files.sum().item())

    def add(self, error: BadSampleError) -> None:
        """Count one skipped sample and log its file the first time.

        Args:
            error (BadSampleError): Why the sample was skipped.
        """
        # Not atomic across workers; a rare lost increment is acceptable for
        # a log counter and avoids a lock per sample.
        self._count += 1
        slot = zlib.crc32(error.path.encode('utf-8', 'replace')) % self.SLOTS
        if not self._files[slot]:
            self._files[slot] = True
            print_log(
                f'{self.dataset_name}: skipped bad sample {error} '
                f'(bad files so far: {self.num_files})',
                logger='current',
                level=logging.WARNING)
