"""Packing a sample into the model's input and a ``DepthDataSample``."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from da2zoe.registry import TRANSFORMS
from da2zoe.structures.depth_data_sample import DepthDataSample
from .gt_geometry import EMPTY_PAIRS

CONTRACT_META_KEYS = ('img_path', 'depth_path', 'ori_shape', 'img_shape',
                      'pad_shape', 'flip', 'dataset_name', 'min_depth',
                      'max_depth', 'eval_min_depth', 'eval_max_depth',
                      'eval_crop', 'focal', 'intrinsics')
OPTIONAL_META_KEYS = ('sample_idx', 'scale_factor', 'scene', 'ibims_edges',
                      'ibims_planes')


@TRANSFORMS.register_module()
class PackDepthInputs(BaseTransform):
    """Pack into ``dict(inputs, data_samples)`` (docs/architecture.md).

    ``inputs``: uint8 tensor (3, H, W) RGB. ``data_samples``: a
    :class:`DepthDataSample` with ``gt_depth`` (1, H, W) float32 metres (0
    where unknown), ``gt_mask`` (1, H, W) bool = decoded validity AND the
    sample's own training range ``min_depth < d < max_depth`` (so each
    dataset of a mix keeps its range), ``pairs`` (N, 4) int64 (empty when
    the dataset has none: every sample has the same fields), and metainfo.

    Args:
        meta_keys (Sequence[str]): Metainfo keys, always set (``None`` when
            the sample lacks them). Default: the contract's keys.
        optional_meta_keys (Sequence[str]): Copied only when present.
            Default: ``sample_idx``, ``scale_factor``, ``scene``,
            ``ibims_edges``, ``ibims_planes``.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = CONTRACT_META_KEYS,
                 optional_meta_keys: Sequence[str] = OPTIONAL_META_KEYS
                 ) -> None:
        self.meta_keys = tuple(meta_keys)
        self.optional_meta_keys = tuple(optional_meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack one sample.

        Args:
            results (dict): The sample.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        img = results['img']
        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        sample = DepthDataSample()
        if results.get('gt_depth') is not None:
            depth = results['gt_depth']
            in_range = (depth > results['min_depth']) & (
                depth < results['max_depth'])
            mask = results['gt_mask'] & in_range
            sample.gt_depth = torch.from_numpy(
                np.ascontiguousarray(depth, np.float32)[None])
            sample.gt_mask = torch.from_numpy(np.ascontiguousarray(mask)[None])
        sample.pairs = torch.from_numpy(
            np.asarray(results.get('pairs', EMPTY_PAIRS), np.int64).reshape(
                -1, 4))
        meta = {key: results.get(key) for key in self.meta_keys}
        meta.update({
            key: results[key]
            for key in self.optional_meta_keys if key in results
        })
        if 'pad_shape' in self.meta_keys and meta['pad_shape'] is None:
            meta['pad_shape'] = results.get('img_shape', img.shape[:2])
        if 'flip' in self.meta_keys and meta['flip'] is None:
            meta['flip'] = False
        sample.set_metainfo(meta)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
