"""FSDP wrap policy of a depther: one unit per ViT block, neck, head."""
from typing import Set, Type

import torch.nn as nn
from torch.distributed.fsdp.wrap import ModuleWrapPolicy


class NoWrappableBlocksError(ValueError):
    """FSDP was asked to shard a model without transformer blocks."""


def _parts(module: nn.Module) -> list:
    # A list of necks is applied in order: each is its own unit.
    if isinstance(module, (nn.ModuleList, nn.Sequential)):
        return list(module)
    return [module]


def _has_parameters(module: nn.Module) -> bool:
    return any(True for _ in module.parameters())


def depth_wrap_classes(model: nn.Module) -> Set[Type[nn.Module]]:
    """The module classes that become FSDP units of ``model``.

    The encoder's ``backbone.blocks`` (each block one unit: a ViT's
    parameters are almost all in its blocks), the neck(s) and the head
    (each one unit: their activations are small next to the encoder's).
    What is left (patch embedding, position embedding, final norm, learnable
    loss parameters) stays in the root unit.

    Args:
        model (nn.Module): The unwrapped depther.

    Returns:
        set[type]: Classes for :class:`ModuleWrapPolicy`.

    Raises:
        NoWrappableBlocksError: When ``model.backbone.blocks`` is missing or
            empty, naming the model's and backbone's types.
    """
    backbone = getattr(model, 'backbone', None)
    blocks = getattr(backbone, 'blocks', None)
    if not isinstance(blocks, nn.ModuleList) or len(blocks) == 0:
        raise NoWrappableBlocksError(
            f'FSDP (DepthFSDPStrategy) found no transformer blocks to shard '
            f'in {type(model).__name__}: expected model.backbone.blocks (an '
            f'nn.ModuleList of ViT blocks), got backbone '
            f'{type(backbone).__name__} with blocks={type(blocks).__name__}. '
            'Give model_wrapper.auto_wrap_policy for this model, or train it '
            'with DDP (no strategy).')
    classes = {type(block) for block in blocks}
    for name in ('neck', 'head'):
        part = getattr(model, name, None)
        if isinstance(part, nn.Module):
            classes.update(type(unit) for unit in _parts(part)
                           if _has_parameters(unit))
    return classes


def depth_wrap_policy(model: nn.Module) -> ModuleWrapPolicy:
    """:class:`ModuleWrapPolicy` over :func:`depth_wrap_classes`.

    Args:
        model (nn.Module): The unwrapped depther.
    """
    return ModuleWrapPolicy(depth_wrap_classes(model))
