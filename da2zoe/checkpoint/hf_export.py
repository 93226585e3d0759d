"""Write a da2zoe DPT-geometry model as a transformers Depth Anything folder.

The folder (``config.json`` + ``model.safetensors`` or ``pytorch_model.bin``)
is what ``DepthAnythingForDepthEstimation.from_pretrained(folder)`` and the
transformers ``depth-estimation`` pipeline load, and what the Hub hosts.
transformers itself is not needed to write it.
"""
import json
import os
import os.path as osp

from torch import nn

from .atomic_write import (
    save_checkpoint_atomic,
    save_safetensors_atomic,
    write_text_atomic,
)
from .hf_layouts import da2zoe_to_hf


def depth_anything_config(backbone: nn.Module, neck: nn.Module) -> dict:
    """The ``config.json`` of a ``DINOv2`` + ``DPTNeck`` pair.

    Args:
        backbone (nn.Module): A da2zoe ``DINOv2``.
        neck (nn.Module): A da2zoe ``DPTNeck`` (relative with ``'relu'``,
            metric with ``'sigmoid'``).

    Returns:
        dict: transformers ``DepthAnythingConfig`` fields.

    Raises:
        ValueError: For what transformers' Depth Anything cannot express
            (class-token readout, other than 4 levels).
    """
    if getattr(neck, 'use_clstoken', False):
        raise ValueError('transformers Depth Anything has no class-token '
                         'readout: a DPTNeck(use_clstoken=True) cannot be '
                         'written in its layout')
    settings = backbone.arch_settings
    patch = backbone.patch_size
    grid = int((backbone.pos_embed.shape[1] - 1) ** 0.5)
    out_channels = [conv.out_channels for conv in neck.projects]
    metric = neck.head_activation == 'sigmoid'
    max_depth = neck.max_depth if metric else 1
    if float(max_depth).is_integer():  # transformers 5 types it as int
        max_depth = int(max_depth)
    stages = [i + 1 for i in backbone.out_indices]
    return dict(
        architectures=['DepthAnythingForDepthEstimation'],
        model_type='depth_anything',
        backbone_config=dict(
            model_type='dinov2',
            hidden_size=backbone.embed_dims,
            num_hidden_layers=backbone.num_layers,
            num_attention_heads=settings['num_heads'],
            mlp_ratio=settings['mlp_ratio'],
            use_swiglu_ffn=settings['ffn_type'] == 'swiglu',
            image_size=grid * patch,
            patch_size=patch,
            layer_norm_eps=backbone.norm.eps,
            out_indices=stages,
            out_features=[f'stage{i}' for i in stages],
            apply_layernorm=True,
            reshape_hidden_states=False),
        patch_size=patch,
        reassemble_hidden_size=backbone.embed_dims,
        reassemble_factors=[4, 2, 1, 0.5],
        neck_hidden_sizes=out_channels,
        fusion_hidden_size=neck.scratch.layer1_rn.out_channels,
        head_in_index=-1,
        head_hidden_size=neck.head_features,
        depth_estimation_type='metric' if metric else 'relative',
        max_depth=max_depth,
        torch_dtype='float32')


def write_hf_depth_anything(backbone: nn.Module,
                            neck: nn.Module,
                            folder: str | os.PathLike,
                            file_format: str = 'safetensors') -> list[str]:
    """Writes ``config.json`` and the weights, each atomically.

    Args:
        backbone (nn.Module): A da2zoe ``DINOv2``.
        neck (nn.Module): A da2zoe ``DPTNeck``.
        folder (str | os.PathLike): Output folder (created).
        file_format (str): ``'safetensors'`` (``model.safetensors``) or
            ``'pth'`` (``pytorch_model.bin``). Defaults to
            ``'safetensors'``.

    Returns:
        list[str]: The written files.

    Raises:
        ValueError: On an unknown ``file_format`` or a model transformers
            cannot express.
    """
    if file_format not in ('safetensors', 'pth'):
        raise ValueError(f"file_format must be 'safetensors' or 'pth', got "
                         f'{file_format!r}')
    config = depth_anything_config(backbone, neck)
    state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    state.update((f'neck.{k}', v) for k, v in neck.state_dict().items())
    weights = {k: v.detach().cpu() for k, v in da2zoe_to_hf(
        state, 'backbone.').items()}
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    if file_format == 'safetensors':
        path = osp.join(folder, 'model.safetensors')
        save_safetensors_atomic(weights, path)
    else:
        path = osp.join(folder, 'pytorch_model.bin')
        save_checkpoint_atomic(weights, path)
    config_path = osp.join(folder, 'config.json')
    write_text_atomic(json.dumps(config, indent=2) + '\n', config_path)
    return [config_path, path]

