"""A tiny da2zoe model config and checkpoint in a temporary folder."""
import os.path as osp
from typing import Optional, Tuple

import torch
from mmengine.config import Config

from da2zoe.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
VITS_CONFIG = osp.join(ROOT, 'configs', 'da2zoe_vits_nyu.py')


def write_tiny_model(folder: str,
                     infer_size: Optional[int] = None) -> Tuple[str, str]:
    """Writes the vits config shrunk to a 64-wide, 4-block ViT, and weights.

    Args:
        folder (str): Where ``tiny.py`` and ``tiny.pth`` go.
        infer_size (int, optional): Stored as the config's ``infer_size``.

    Returns:
        tuple[str, str]: Config path and checkpoint (a state dict) path.
    """
    # The model alone, as a user's model-only config (no test pipeline).
    cfg = Config(dict(model=Config.fromfile(VITS_CONFIG).model))
    cfg.model.backbone.arch = dict(embed_dims=64, num_layers=4, num_heads=2)
    cfg.model.neck.in_channels = 64
    if infer_size is not None:
        cfg.infer_size = infer_size
    config_path = osp.join(folder, 'tiny.py')
    checkpoint_path = osp.join(folder, 'tiny.pth')
    cfg.dump(config_path)
    torch.manual_seed(0)
    torch.save(MODELS.build(cfg.model).state_dict(), checkpoint_path)
    return config_path, checkpoint_path
