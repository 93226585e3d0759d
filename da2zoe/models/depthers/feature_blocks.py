"""Which encoder blocks a checkpoint's decoder was trained on.

A DPT decoder is tied to the encoder blocks it was trained on: Depth Anything
V2 reads fixed blocks per arch (vitl 4, 11, 17, 23), Depth Anything V1 the
last four (vitl 20..23). The keys of both checkpoints are the same, so a
DA-V2 decoder loads into a model reading V1's blocks (or the reverse)
without an error and then predicts from the wrong features. The layout
detected from the keys says which blocks the decoder expects; a model that
reads others gets a warning naming both.
"""
import logging
from typing import Optional, Tuple

from mmengine.logging import print_log
from torch import nn

from da2zoe.checkpoint.pretrained import LoadResult
from da2zoe.models.backbones.dinov2 import DINOv2


def implied_feature_blocks(layout: str,
                           backbone: nn.Module) -> Optional[Tuple[int, ...]]:
    """The blocks a checkpoint of ``layout`` read from an encoder of
    ``backbone``'s depth, or None when the layout implies none.

    Args:
        layout (str): A layout name of :mod:`da2zoe.checkpoint.layouts`.
        backbone (nn.Module): The model's encoder (a :class:`DINOv2`).

    Returns:
        tuple[int, ...] | None: 0-based block indices.
    """
    if not isinstance(backbone, DINOv2):
        return None
    settings = backbone.arch_settings
    depth = settings['num_layers']
    if layout == 'depth_anything_v1_metric':
        return tuple(range(depth - 4, depth))
    if layout in ('depth_anything_v2', 'depth_anything_3'):
        for arch in DINOv2.arch_zoo.values():
            if (arch['num_layers'], arch['embed_dims']) == (
                    depth, settings['embed_dims']):
                return tuple(arch['feature_blocks'])
        return tuple(settings['feature_blocks'])
    return None


def check_feature_blocks(model: nn.Module,
                         result: LoadResult,
                         source: str,
                         logger: logging.Logger | str = 'current'
                         ) -> Optional[str]:
    """Warns when a loaded decoder expects other encoder blocks than the
    model reads.

    Only checkpoints that carried decoder (``neck.``, or ``head.`` for a
    model without a neck) weights are checked: an encoder alone has no
    block choice. A DINOv2 backbone also checks that its arch fits the
    checkpoint's (:meth:`DINOv2.check_checkpoint_arch`).

    Args:
        model (nn.Module): A depther with ``backbone`` and ``neck`` (or
            ``head`` alone).
        result (LoadResult): What :func:`~da2zoe.checkpoint.load_pretrained`
            returned for it.
        source (str): The checkpoint's name, for the message.
        logger (logging.Logger | str): Where the warning goes. Defaults to
            the current MMEngine logger.

    Returns:
        str | None: The warning, or None when the blocks agree.
    """
    backbone = getattr(model, 'backbone', None)
    # Without a neck the head is the decoder (Depth Anything 3's DPT head).
    part = 'neck' if getattr(model, 'neck', None) is not None else 'head'
    decoder = getattr(model, part, None)
    if backbone is None or decoder is None:
        return None
    if isinstance(backbone, DINOv2):
        backbone.check_checkpoint_arch(result.layout, source, logger)
    missing = set(result.missing_keys)
    loaded_decoder = any(f'{part}.{key}' not in missing
                         for key in decoder.state_dict())
    expected = implied_feature_blocks(result.layout, backbone)
    reads = tuple(backbone.out_indices)
    if not loaded_decoder or expected is None or expected == reads:
        return None
    message = (
        f'{source} is a {result.layout!r} checkpoint whose decoder was '
        f'trained on encoder blocks {list(expected)}, but this model reads '
        f'blocks {list(reads)} (model.backbone.out_indices): the weights '
        f'load, the features mean something else. Set '
        f'model.backbone.out_indices={list(expected)} (or use the config '
        f'written for this checkpoint).')
    print_log(message, logger=logger, level=logging.WARNING)
    return message
