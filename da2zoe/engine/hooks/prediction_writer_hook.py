"""Writes test-time predictions as 16-bit PNGs in millimetres."""
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook

from da2zoe.datasets.codecs import encode_millimetres, write_raw
from da2zoe.registry import HOOKS


@HOOKS.register_module()
class PredictionWriterHook(Hook):
    """Saves every test prediction as ``<out_dir>/<dataset>/<name>.png``.

    The PNG holds millimetres (uint16), the format of NYU's test depth; file
    names follow the image path relative to the dataset root when known,
    else the image's base name.

    Args:
        out_dir (str): Output folder.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        for sample in outputs or []:
            meta = sample.metainfo
            img_path = meta.get('img_path', f'{batch_idx:06d}.png')
            root = meta.get('data_root')
            # Without the root, keep the parent folder: DA-2K and SUN RGB-D
            # reuse file names across scenes.
            rel = osp.relpath(img_path, root) if root else osp.join(
                osp.basename(osp.dirname(img_path)), osp.basename(img_path))
            dataset = meta.get('dataset_name') or 'dataset'
            path = osp.join(self.out_dir, dataset,
                            osp.splitext(rel)[0] + '.png')
            os.makedirs(osp.dirname(path), exist_ok=True)
            depth = sample.pred_depth.squeeze(0).float().cpu().numpy()
            # Raises OSError naming the file (full disk, bad folder).
            write_raw(path, encode_millimetres(depth))
