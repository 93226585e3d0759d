"""Reseeds the random generators at every training epoch."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from da2zoe.registry import FUNCTIONS, HOOKS


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """A 32-bit seed that depends on the run seed, the epoch and the rank."""
    mixed = np.random.SeedSequence([seed, epoch, rank]).generate_state(1)
    return int(mixed[0])


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seeds torch, numpy and ``random`` from (seed, epoch, rank).

    Augmentations (crops, flips, photometric jitter) draw from the global
    generators. Reseeding before each epoch makes an epoch's augmentations a
    function of the run seed and the epoch alone, so a run resumed from an
    epoch checkpoint sees exactly the batches an uninterrupted run sees
    (data-loader workers are seeded from the main process through
    :func:`seed_worker_from_torch`; with ``persistent_workers=True`` the
    workers outlive the epoch, so exact resume needs non-persistent workers
    or ``num_workers=0``).
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        seed = runner.seed if runner.seed is not None else 0
        value = epoch_seed(seed, runner.epoch, runner.rank)
        random.seed(value)
        np.random.seed(value)
        torch.manual_seed(value)


@FUNCTIONS.register_module()
def seed_worker_from_torch(worker_id: int) -> None:
    """Seeds a data-loader worker's numpy and ``random`` from torch.

    PyTorch gives each worker ``base_seed + worker_id`` as its torch seed,
    with ``base_seed`` drawn from the main process when the epoch's iterator
    starts: seeding numpy and ``random`` from it gives every worker of every
    epoch its own reproducible stream (MMEngine's default seeds every epoch's
    workers identically, repeating the augmentations each epoch).

    Args:
        worker_id (int): Worker index (unused: already in torch's seed).
    """
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
