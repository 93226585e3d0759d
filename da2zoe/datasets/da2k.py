"""DA-2K: relative-depth point pairs, no dense depth."""
from typing import Callable, List, Sequence, Union

import numpy as np
from mmengine.logging import print_log

from da2zoe.registry import DATASETS
from .base_depth_dataset import BaseDepthDataset, depth_spec
from .list_readers import read_json


@DATASETS.register_module()
class DA2KDataset(BaseDepthDataset):
    """DA-2K (Depth Anything V2's relative-depth benchmark).

    ``annotations.json`` maps ``"images/<scene>/<file>"`` (relative to
    ``data_root``) to a list of ``{"point1": [row, col], "point2": [row,
    col], "closer_point": "point1" | "point2"}``. Each sample carries
    ``pairs`` (N, 4) int64 ``(r1, c1, r2, c2)`` with point1 the CLOSER point
    (pairs whose ``closer_point`` is ``'point2'`` are swapped), and the scene
    name. Decoding rule ``none``: there is no metric depth, so ``gt_depth``
    is all zero and ``gt_mask`` all False: dense losses see an empty mask and
    the sample trains only a pair-ranking loss; as an evaluation set it feeds
    a pair-accuracy metric on the prediction at the original image size.

    Args:
        data_root (str): The DA-2K folder.
        ann_file (str): Annotation JSON, relative to ``data_root`` unless
            absolute. Default: 'annotations.json'.
        pipeline (Sequence[dict | Callable]): Transforms. Default: ().
        **base_args: See :class:`BaseDepthDataset`.
    """

    DEPTH_DECODER = 'none'
    DATASET_NAME = 'da2k'
    # Ranges are moot: nothing is valid. Kept wide so they never mislead.
    SPEC = depth_spec(max_depth=1e3)

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'annotations.json',
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 **base_args) -> None:
        super().__init__(data_root, ann_file, pipeline, **base_args)

    def load_rows(self) -> List[dict]:
        """Read the annotation JSON.

        Returns:
            list[dict]: ``img_path``, ``depth_path`` (None), ``pairs``,
            ``scene`` per image.
        """
        annotations = read_json(self.ann_file)
        if not isinstance(annotations, dict):
            raise ValueError(f'{self.ann_file}: expected {{image: [pairs]}}')
        rows, bad, no_pairs = [], [], 0
        for rel_path, entries in annotations.items():
            if entries == []:
                no_pairs += 1
                continue
            where = f'{self.ann_file} entry {rel_path!r}'
            try:
                pairs = parse_pairs(entries)
            except (TypeError, ValueError, KeyError) as err:
                bad.append((where, str(err)))
                continue
            parts = rel_path.replace('\\', '/').split('/')
            rows.append(
                dict(
                    img_path=self.join(rel_path),
                    depth_path=None,
                    pairs=pairs,
                    scene=parts[-2] if len(parts) > 1 else ''))
        self.report_bad_rows(bad)
        if no_pairs:
            print_log(
                f'{self.dataset_name}: left out {no_pairs} images without '
                'pairs', logger='current')
        return rows


def parse_pairs(entries: list) -> np.ndarray:
    """DA-2K pair dicts -> (N, 4) int64 ``(r1, c1, r2, c2)``, point1 closer.

    Args:
        entries (list[dict]): ``point1``, ``point2`` ([row, col]) and
            ``closer_point`` ('point1' or 'point2').

    Returns:
        np.ndarray: The pairs.

    Raises:
        ValueError: If an entry is malformed.
    """
    if not isinstance(entries, list):
        raise ValueError('expected a list of pairs')
    pairs = np.empty((len(entries), 4), np.int64)
    for i, entry in enumerate(entries):
        closer = entry.get('closer_point', 'point1')
        if closer not in ('point1', 'point2'):
            raise ValueError(f'pair {i}: closer_point={closer!r}')
        near, far = ('point1', 'point2') if closer == 'point1' else (
            'point2', 'point1')
        coords = [int(v) for v in (*entry[near], *entry[far])]
        if len(coords) != 4 or min(coords) < 0:
            raise ValueError(f'pair {i}: points must be [row, col] >= 0')
        pairs[i] = coords
    return pairs
