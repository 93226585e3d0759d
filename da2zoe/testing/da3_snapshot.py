"""Depth Anything 3 snapshot folders in the released layout, made tiny.

A released DA3 mono model is a Hugging Face snapshot folder
(``model.safetensors`` under ``model.backbone.pretrained.*`` /
``model.head.*``, and ``config.json`` naming the model); these helpers write
such folders from given tensors or from a tiny random DA3-shaped network,
for tests of every entry point that takes released weights.
"""
import json
import os
import os.path as osp
from collections.abc import Mapping

import torch
from safetensors.torch import save_file
from torch import Tensor

from da2zoe.checkpoint.da3_layout import to_da3_keys
from da2zoe.models.depthers.metric_depther import MetricDepther

# The golden da3_mono_tiny.npz network (golden README section 10).
TINY_DA3_BACKBONE = dict(
    type='DINOv2',
    arch=dict(embed_dims=64, num_layers=4, num_heads=2,
              feature_blocks=(0, 1, 2, 3), final_norm_eps=1e-5,
              mask_token=False))
TINY_DA3_HEAD = dict(type='DA3DPTHead', in_channels=64, features=16,
                     out_channels=(8, 16, 32, 64))


def write_da3_snapshot(folder: str | os.PathLike,
                       state_dict: Mapping[str, Tensor],
                       model_name: str = 'da3metric-large') -> str:
    """Writes ``model.safetensors`` + ``config.json`` as DA3 releases them.

    Args:
        folder (str | os.PathLike): Created if needed.
        state_dict (Mapping[str, Tensor]): Tensors under the released
            names (``model.backbone.pretrained.*``, ``model.head.*``).
        model_name (str): ``config.json``'s ``model_name`` (the reference
            API's preset). Defaults to ``'da3metric-large'``.

    Returns:
        str: The folder.
    """
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state_dict.items()},
              osp.join(folder, 'model.safetensors'))
    with open(osp.join(folder, 'config.json'), 'w', encoding='utf-8') as f:
        json.dump({'model_name': model_name}, f)
    return folder


def build_tiny_da3(seed: int = 0) -> MetricDepther:
    """A tiny DA3-shaped depther (no neck) with seeded random weights.

    Args:
        seed (int): Seed of the weights. Defaults to 0.

    Returns:
        MetricDepther: DINOv2 (64 wide, 4 blocks) + ``DA3DPTHead``.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = MetricDepther(backbone=TINY_DA3_BACKBONE, neck=None,
                              head=TINY_DA3_HEAD)
        for param in model.parameters():
            # Seeded values everywhere: zero biases and unit norms would let
            # a missed key go unnoticed.
            param.data.normal_(0, 0.05).add_(param.data)
    return model


def write_tiny_da3_snapshot(folder: str | os.PathLike,
                            model_name: str = 'da3metric-large',
                            seed: int = 0) -> str:
    """A released-layout snapshot folder of :func:`build_tiny_da3`.

    Args:
        folder (str | os.PathLike): Created if needed.
        model_name (str): ``config.json``'s ``model_name``. Defaults to
            ``'da3metric-large'``.
        seed (int): Seed of the weights. Defaults to 0.

    Returns:
        str: The folder.
    """
    model = build_tiny_da3(seed)
    return write_da3_snapshot(folder, to_da3_keys(model.state_dict()),
                              model_name)
