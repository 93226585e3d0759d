"""Shared machinery of every depth dataset: the per-sample spec and bad
input."""
import logging
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from da2zoe.registry import TRANSFORMS
from da2zoe.structures.eval_crop import crop_box
from .bad_sample import ON_BAD_SAMPLE, BadSampleError, SkipCounter
from .codecs import DEPTH_DECODERS

EvalCrop = Union[None, str, Tuple[int, int, int, int]]


def depth_spec(max_depth: float,
               eval_crop: EvalCrop = None,
               min_depth: float = 1e-3,
               eval_min_depth: float = 1e-3,
               eval_max_depth: Optional[float] = None) -> dict:
    """A dataset family's default ranges and evaluation crop (its ``SPEC``).

    Args:
        max_depth (float): Training range upper bound.
        eval_crop (str | tuple, optional): Evaluation crop. Default: None.
        min_depth (float): Training range lower bound. Default: 1e-3.
        eval_min_depth (float): Evaluation range lower bound. Default: 1e-3.
        eval_max_depth (float, optional): Evaluation range upper bound.
            Default: ``max_depth``.

    Returns:
        dict: The five keys :class:`BaseDepthDataset` reads.
    """
    return dict(
        min_depth=min_depth,
        max_depth=max_depth,
        eval_min_depth=eval_min_depth,
        eval_max_depth=max_depth if eval_max_depth is None else eval_max_depth,
        eval_crop=eval_crop)


def _check_eval_crop(eval_crop: EvalCrop) -> None:
    """Fail at start on a crop the metrics would not know."""
    try:
        crop_box(eval_crop, 480, 640)
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f'eval_crop={eval_crop!r}: {err}') from err


class BaseDepthDataset(BaseDataset):
    """Base of the depth datasets: metric range, evaluation spec, bad input.

    A subclass implements :meth:`load_rows` (the list file -> one small dict
    per sample: ``img_path``, ``depth_path`` and per-sample fields such as
    ``focal``), names its decoding rule in :attr:`DEPTH_DECODER` (a rule of
    :mod:`da2zoe.datasets.codecs`) and its default ranges and evaluation crop
    in :attr:`SPEC` (see :func:`depth_spec`). Fields shared by
    every sample (decoder, ranges, evaluation crop) are kept once here and
    merged into each data info at fetch time, so a serialised 50k-row list
    stays small.

    Args:
        data_root (str): Folder the list's relative paths start from.
        ann_file (str): The list file (relative to ``data_root`` unless
            absolute). Default: ''.
        pipeline (Sequence[dict | Callable]): Transforms; configs are built
            from da2zoe's registry, so no default scope is needed. Default:
            ().
        min_depth (float, optional): Training range, exclusive: ``gt_mask``
            keeps ``min_depth < d < max_depth``. Default: ``SPEC``'s. In
            ``test_mode`` the evaluation range takes its place (samples'
            ``min_depth`` / ``max_depth`` then equal ``eval_*``), so the
            mask keeps every pixel the evaluation scores.
        max_depth (float, optional): See ``min_depth``. Default: ``SPEC``'s.
        eval_min_depth (float, optional): Evaluation range lower bound
            (exclusive). Default: ``SPEC``'s.
        eval_max_depth (float, optional): Evaluation range upper bound.
            Default: ``SPEC``'s.
        eval_crop (str | tuple, optional): A crop of
            :mod:`da2zoe.structures.eval_crop`: ``None``/``'none'``,
            ``'eigen'``, ``'eigen_fixed'``, ``'garg'``, ``'kitti_eigen'`` or
            ``(top, bottom, left, right)`` on the GT grid. Default: ``SPEC``'s
            (``'default'`` means that; pass None for no crop).
        dataset_name (str, optional): Name in the sample's metainfo and the
            log. Default: the class's :attr:`DATASET_NAME`.
        on_bad_sample (str, optional): ``'raise'`` or ``'skip'``. Default:
            ``'skip'`` when training, ``'raise'`` when ``test_mode``.
        check_files (str): ``'all'`` checks at start that every sample's
            files exist, ``'first'`` only the first one's (a wrong
            ``data_root`` still fails at once; for lists on slow network
            storage), ``'none'`` skips the check. Default: 'all'.
        missing_files (str): What the start check does with missing files:
            ``'raise'`` stops with their count and the first names,
            ``'skip'`` drops those samples and logs the count and the first
            names. Default: 'raise'.
        test_mode (bool): Evaluation dataset. Default: False.
        serialize_data (bool): Keep the list as one byte buffer shared by
            DataLoader workers. Default: True.
        indices (int | Sequence[int], optional): Keep only these samples.
        lazy_init (bool): Defer loading the list. Default: False.
        max_refetch (int): Retries after skipped samples. Default: 1000.
    """

    DEPTH_DECODER: str = 'none'
    DATASET_NAME: str = 'depth'
    SPEC = depth_spec(max_depth=10.0)

    def __init__(self,
                 data_root: str,
                 ann_file: str = '',
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 min_depth: Optional[float] = None,
                 max_depth: Optional[float] = None,
                 eval_min_depth: Optional[float] = None,
                 eval_max_depth: Optional[float] = None,
                 eval_crop: EvalCrop = 'default',
                 dataset_name: Optional[str] = None,
                 on_bad_sample: Optional[str] = None,
                 check_files: str = 'all',
                 missing_files: str = 'raise',
                 test_mode: bool = False,
                 serialize_data: bool = True,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 lazy_init: bool = False,
                 max_refetch: int = 1000) -> None:
        spec = dict(self.SPEC)
        given = dict(
            min_depth=min_depth,
            max_depth=max_depth,
            eval_min_depth=eval_min_depth,
            eval_max_depth=eval_max_depth)
        spec.update({k: v for k, v in given.items() if v is not None})
        if eval_crop != 'default':
            spec['eval_crop'] = eval_crop
        min_depth, max_depth = spec['min_depth'], spec['max_depth']
        if test_mode:
            # The scored pixels are the evaluation range's: a narrower
            # training range must not drop ground truth from the mask.
            min_depth = spec['eval_min_depth']
            max_depth = spec['eval_max_depth']
        eval_crop = spec['eval_crop']
        if on_bad_sample is None:
            on_bad_sample = 'raise' if test_mode else 'skip'
        if on_bad_sample not in ON_BAD_SAMPLE:
            raise ValueError(f'on_bad_sample={on_bad_sample!r}: expected one '
                             f'of {ON_BAD_SAMPLE}')
        if test_mode and on_bad_sample == 'skip':
            raise ValueError(
                'on_bad_sample="skip" with test_mode=True would drop samples '
                'from the evaluation; fix or remove them instead')
        if check_files not in ('first', 'all', 'none'):
            raise ValueError(f'check_files={check_files!r}: expected '
                             "'first', 'all' or 'none'")
        if missing_files not in ('raise', 'skip'):
            raise ValueError(f'missing_files={missing_files!r}: expected '
                             "'raise' or 'skip'")
        if test_mode and missing_files == 'skip':
            raise ValueError(
                'missing_files="skip" with test_mode=True would drop samples '
                'from the evaluation; fix the list instead')
        if not 0 <= min_depth < max_depth:
            raise ValueError(f'min_depth={min_depth}, max_depth={max_depth}: '
                             'need 0 <= min_depth < max_depth')
        _check_eval_crop(eval_crop)
        if self.DEPTH_DECODER not in DEPTH_DECODERS:
            raise KeyError(f'unknown depth decoder {self.DEPTH_DECODER!r}')
        self.dataset_name = dataset_name or self.DATASET_NAME
        self.on_bad_sample = on_bad_sample
        self.check_files = check_files
        self.missing_files = missing_files
        self.skip_counter = SkipCounter(self.dataset_name)
        self.sample_spec = dict(
            dataset_name=self.dataset_name,
            depth_decoder=self.DEPTH_DECODER,
            min_depth=float(min_depth),
            max_depth=float(max_depth),
            eval_min_depth=float(spec['eval_min_depth']),
            eval_max_depth=float(spec['eval_max_depth']),
            eval_crop=tuple(eval_crop) if isinstance(eval_crop, list)
            else eval_crop)
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(),
            indices=indices,
            serialize_data=serialize_data,
            pipeline=[
                TRANSFORMS.build(t) if isinstance(t, dict) else t
                for t in pipeline
            ],
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch)
        self._metainfo.update(self.sample_spec)

    # List loading -------------------------------------------------------

    def load_rows(self) -> List[dict]:
        """Read the list: one dict per sample (``img_path``, ``depth_path``
        as full paths, optional per-sample fields).

        Returns:
            list[dict]: The samples.
        """
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        """Read the list, check it is usable and log its size.

        Returns:
            list[dict]: The samples.

        Raises:
            ValueError: If the list holds no sample.
            FileNotFoundError: If a checked sample's file is missing.
        """
        rows = self.load_rows()
        where = self.ann_file or self.data_root
        if not rows:
            raise ValueError(f'{self.dataset_name}: no usable sample in '
                             f'{where!r}')
        rows = self._check_missing(rows, where)
        print_log(
            f'{self.dataset_name}: {len(rows)} samples from {where}',
            logger='current')
        return rows

    def _check_missing(self, rows: List[dict], where: str) -> List[dict]:
        """Apply :attr:`check_files` and :attr:`missing_files` to the rows.

        Args:
            rows (list[dict]): The samples of the list.
            where (str): The list file, for the messages.

        Returns:
            list[dict]: The rows kept.

        Raises:
            FileNotFoundError: If files are missing in ``'raise'`` mode, or
                no sample is left in ``'skip'`` mode.
        """
        count = dict(first=1, all=len(rows), none=0)[self.check_files]
        missing, kept = [], []
        for index, row in enumerate(rows):
            absent = [row[key] for key in ('img_path', 'depth_path')
                      if index < count and row.get(key) is not None
                      and not osp.isfile(row[key])]
            missing.extend(absent)
            if not absent:
                kept.append(row)
        if not missing:
            return rows
        first = '\n  '.join(repr(path) for path in missing[:5])
        message = (f'{self.dataset_name}: {len(missing)} files listed in '
                   f'{where!r} do not exist ({len(rows) - len(kept)} of '
                   f'{len(rows)} samples; data_root={self.data_root!r}), '
                   f'first:\n  {first}')
        if self.missing_files == 'raise' or not kept:
            raise FileNotFoundError(
                message + "\n(set the dataset's missing_files='skip' to "
                'train without them)')
        print_log(message + '\n(those samples are skipped)',
                  logger='current', level=logging.WARNING)
        return kept

    def report_bad_rows(self, bad_rows: List[Tuple[str, str]]) -> None:
        """Report list rows that do not parse: raise or warn by policy.

        Args:
            bad_rows (list[tuple[str, str]]): ``(where, reason)``, ``where``
                being ``file:line`` (or ``file entry N`` for JSON).

        Raises:
            ValueError: In ``'raise'`` mode, naming every bad row.
        """
        if not bad_rows:
            return
        lines = [f'{where}: {reason}' for where, reason in bad_rows]
        shown = '\n  '.join(lines[:20])
        more = f'\n  ... and {len(lines) - 20} more' if len(lines) > 20 else ''
        message = (f'{self.dataset_name}: {len(lines)} list rows do not '
                   f'parse:\n  {shown}{more}')
        if self.on_bad_sample == 'raise':
            raise ValueError(message)
        print_log(message + '\n(skipped)', logger='current',
                  level=logging.WARNING)

    def join(self, rel_path: str) -> str:
        """A path from the list, relative to ``data_root``.

        Args:
            rel_path (str): The path as written in the list.

        Returns:
            str: The full path.
        """
        return osp.join(self.data_root, rel_path.strip())

    def _serialize_data(self) -> Tuple[np.ndarray, np.ndarray]:
        """Pack the list into one byte buffer (MMEngine's scheme).

        Unlike MMEngine's version this skips ``gc.collect()``: the rows are
        plain dicts without reference cycles, freed as soon as the list is
        cleared, and a full collection costs ~0.2 s per dataset once torch is
        loaded.

        Returns:
            tuple[np.ndarray, np.ndarray]: The bytes and each row's end offset.
        """
        buffers = [pickle.dumps(row, protocol=4) for row in self.data_list]
        self.data_list.clear()
        ends = np.cumsum([len(b) for b in buffers], dtype=np.int64)
        return np.frombuffer(b''.join(buffers), dtype=np.uint8), ends

    # Fetching -------------------------------------------------------------

    @property
    def num_skipped(self) -> int:
        """Samples skipped as bad so far, counted over all worker processes."""
        return self.skip_counter.value

    @property
    def num_skipped_files(self) -> int:
        """Distinct files skipped as bad so far, over all worker processes."""
        return self.skip_counter.num_files

    def get_data_info(self, idx: int) -> dict:
        """The stored row merged with the dataset-wide sample spec.

        Args:
            idx (int): Sample index.

        Returns:
            dict: Everything the transforms need for one sample.
        """
        info = super().get_data_info(idx)
        for key, value in self.sample_spec.items():
            info.setdefault(key, value)
        return info

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline, applying ``on_bad_sample`` to bad input.

        Args:
            idx (int): Sample index.

        Returns:
            Any: The pipeline's output, or ``None`` for a skipped sample
            (MMEngine then fetches another index).
        """
        try:
            return super().prepare_data(idx)
        except BadSampleError as error:
            if self.on_bad_sample == 'raise':
                raise
            self.skip_counter.add(error)
            return None
