"""Several depth datasets as one, with optional sampling ratios."""
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.dataset import ConcatDataset as MMEngineConcatDataset
from mmengine.logging import print_log

from da2zoe.registry import DATASETS


@DATASETS.register_module()
class DepthConcatDataset(MMEngineConcatDataset):
    """Concatenation of depth datasets, each keeping its own decoding rule,
    metric range (hence its own loss mask) and evaluation spec.

    Without ``ratios`` every sample of every dataset appears once per epoch.
    With ``ratios`` the epoch keeps its length (``epoch_length``, default the
    sum of the datasets' lengths) and dataset ``i`` fills the share
    ``ratios[i] / sum(ratios)`` of it: a smaller share draws a random subset,
    a larger one repeats the dataset (every sample before any twice). The
    draw is fixed by ``seed`` when the dataset is built. A skipped bad sample
    is replaced from the same dataset, so shares hold.

    Args:
        datasets (Sequence[dict | BaseDataset]): Datasets or their configs.
        ratios (Sequence[float], optional): Sampling share per dataset.
            Default: None (plain concatenation).
        epoch_length (int, optional): Samples per epoch with ``ratios``.
            Default: the sum of the datasets' lengths.
        seed (int): Seed of the ratio draw. Default: 0.
        lazy_init (bool): Defer loading the lists. Default: False.
    """

    def __init__(self,
                 datasets: Sequence[Union[dict, BaseDataset]],
                 ratios: Optional[Sequence[float]] = None,
                 epoch_length: Optional[int] = None,
                 seed: int = 0,
                 lazy_init: bool = False) -> None:
        if not datasets:
            raise ValueError('DepthConcatDataset: no dataset given')
        if ratios is not None:
            if len(ratios) != len(datasets) or min(ratios) < 0 or not sum(
                    ratios) > 0:
                raise ValueError(
                    f'ratios={list(ratios)}: need one non-negative ratio per '
                    f'dataset ({len(datasets)}), not all zero')
        self.ratios = None if ratios is None else [float(r) for r in ratios]
        self.epoch_length = epoch_length
        self.seed = seed
        self.index_map: Optional[np.ndarray] = None
        built = [
            DATASETS.build(d) if isinstance(d, dict) else d for d in datasets
        ]
        keys = sorted(set().union(*(d.metainfo.keys() for d in built)))
        super().__init__(built, lazy_init=lazy_init, ignore_keys=keys)

    @property
    def metainfo(self) -> dict:
        """Names and metainfo of every dataset."""
        return dict(
            dataset_names=[d.metainfo.get('dataset_name') for d in
                           self.datasets],
            datasets=[d.metainfo for d in self.datasets])

    @property
    def num_skipped(self) -> int:
        """Bad samples skipped so far, over all datasets."""
        return sum(getattr(d, 'num_skipped', 0) for d in self.datasets)

    @property
    def num_skipped_files(self) -> int:
        """Distinct bad files skipped so far, over all datasets."""
        return sum(getattr(d, 'num_skipped_files', 0) for d in self.datasets)

    def full_init(self) -> None:
        """Load every list, then draw the ratio index map."""
        if self._fully_initialized:
            return
        super().full_init()
        if self.ratios is not None:
            self.index_map = self._draw_index_map()
            sizes = np.bincount(
                np.searchsorted(self.cumulative_sizes, self.index_map,
                                side='right'),
                minlength=len(self.datasets))
            print_log(
                'DepthConcatDataset: samples per epoch by dataset ' +
                ', '.join(f'{d.metainfo.get("dataset_name")}={n}'
                          for d, n in zip(self.datasets, sizes)),
                logger='current')

    def _draw_index_map(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        lengths = [len(d) for d in self.datasets]
        total = self.epoch_length or sum(lengths)
        shares = np.asarray(self.ratios) / sum(self.ratios)
        counts = np.floor(shares * total).astype(int)
        # Hand the rounding remainder to the largest fractional parts.
        rest = total - counts.sum()
        counts[np.argsort(counts - shares * total)[:rest]] += 1
        offsets = [0] + list(self.cumulative_sizes[:-1])
        parts: List[np.ndarray] = []
        for length, count, offset in zip(lengths, counts, offsets):
            repeats = -(-count // length) if length else 0
            local = np.concatenate(
                [rng.permutation(length) for _ in range(repeats)] or
                [np.zeros(0, np.int64)])[:count]
            parts.append(local + offset)
        return np.concatenate(parts)

    def _get_ori_dataset_idx(self, idx: int):
        if self.index_map is not None:
            idx = int(self.index_map[idx])
        return super()._get_ori_dataset_idx(idx)

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        if self.index_map is not None:
            return len(self.index_map)
        return super().__len__()
