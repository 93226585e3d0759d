"""SUN RGB-D from the seed's JSON list."""
import logging
import os.path as osp
from typing import Callable, List, Sequence, Union

from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from .base_depth_dataset import BaseDepthDataset, depth_spec
from .codecs import set_intrinsics
from .list_readers import read_json


@DATASETS.register_module()
class SUNRGBDDataset(BaseDepthDataset):
    """SUN RGB-D (Kinect v1/v2, RealSense, Xtion frames).

    The JSON is a list of ``{"image": rel, "depth": rel, "depth_bfx": rel}``
    (``depth_bfx`` optional; ``intrinsics`` optional: 9 numbers, row-major,
    or the path of the frame's ``intrinsics.txt``; without it the release's
    ``<frame>/intrinsics.txt`` next to ``image/`` is read when it exists)
    or ``{"samples": [...]}`` of the same, paths relative to ``data_root``.
    Decoding rule ``sunrgbd_png``: the 16-bit PNG holds millimetres rotated
    left by 3 bits, metres = ``(((v >> 3) | (v << 13)) & 0xFFFF) / 1000``;
    reading ``v / 1000`` directly gives ~8x too deep. Zero is invalid.
    Evaluation: 0..8 m (deeper is invalid) with NYU's Eigen window applied
    unscaled (``'eigen_fixed'``), as ZoeDepth evaluates every indoor set.

    Args:
        json_file (str): The JSON list, relative to ``data_root`` unless
            absolute.
        data_root (str): Folder the JSON's paths start from.
        use_bfx_depth (bool): Take the hole-filled ``depth_bfx`` map where an
            entry has one (entries without it fall back to the raw map; the
            log says how many). Default: False.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: See :class:`BaseDepthDataset` (ranges and
            ``eval_crop`` default to ``SPEC``).
    """

    DEPTH_DECODER = 'sunrgbd_png'
    DATASET_NAME = 'sunrgbd'
    SPEC = depth_spec(
        max_depth=8.0, eval_crop='eigen_fixed', eval_min_depth=0.0)

    def __init__(self,
                 json_file: str,
                 data_root: str,
                 use_bfx_depth: bool = False,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **base_args) -> None:
        self.use_bfx_depth = use_bfx_depth
        super().__init__(data_root, json_file, pipeline, **base_args)

    def _entries(self) -> list:
        entries = read_json(self.ann_file)
        if isinstance(entries, dict) and 'samples' in entries:
            entries = entries['samples']
        if not isinstance(entries, list):
            raise ValueError(f'{self.ann_file}: expected a list of samples or '
                             '{"samples": [...]}')
        return entries

    def load_rows(self) -> List[dict]:
        """Read the JSON list.

        Returns:
            list[dict]: ``img_path``, ``depth_path`` (and ``intrinsics``).
        """
        rows, bad, fell_back = [], [], 0
        for number, entry in enumerate(self._entries()):
            where = f'{self.ann_file} entry {number}'
            if not isinstance(entry, dict) or not isinstance(
                    entry.get('image'), str) or not isinstance(
                        entry.get('depth'), str):
                bad.append((where, f'{entry!r} lacks "image"/"depth" strings'))
                continue
            depth = entry['depth']
            if self.use_bfx_depth:
                if entry.get('depth_bfx'):
                    depth = entry['depth_bfx']
                else:
                    fell_back += 1
            row = dict(
                img_path=self.join(entry['image']),
                depth_path=self.join(depth))
            try:
                row.update(self._intrinsics_fields(
                    entry.get('intrinsics', self._frame_intrinsics(
                        row['img_path']))))
            except ValueError as err:
                bad.append((where, str(err)))
                continue
            rows.append(row)
        self.report_bad_rows(bad)
        if fell_back:
            print_log(
                f'{self.dataset_name}: use_bfx_depth=True but {fell_back} of '
                f'{len(rows)} entries have no "depth_bfx": raw depth used',
                logger='current',
                level=logging.WARNING)
        self.num_bfx_fallback = fell_back
        return rows

    @staticmethod
    def _frame_intrinsics(img_path: str) -> Union[None, str]:
        """The release's ``<frame>/intrinsics.txt``, if present."""
        path = osp.join(osp.dirname(osp.dirname(img_path)), 'intrinsics.txt')
        return path if osp.isfile(path) else None

    def _intrinsics_fields(self, value: Union[None, str, list]) -> dict:
        """Row fields for an entry's ``intrinsics``: a path or 9 numbers."""
        if value is None:
            return {}
        if isinstance(value, str):
            return dict(intrinsics_path=self.join(value))
        fields = {}
        try:
            set_intrinsics(fields, value)
        except (TypeError, ValueError) as err:
            raise ValueError('intrinsics must be a path or 9 numbers') from err
        return fields
