"""High-level inference: build a model from a config, predict metric depth."""
import os
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

from da2zoe.checkpoint import load_pretrained
from da2zoe.registry import MODELS
from da2zoe.structures.patch_grid import keep_aspect_size
from .preprocess import ImageLike, resize_for_network, to_rgb

DEFAULT_INPUT_SIZE = 518


def init_model(config: Union[str, os.PathLike, Config],
               checkpoint: Optional[Union[str, os.PathLike]] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Builds a depther from a config and loads its weights for inference.

    Args:
        config (str | os.PathLike | Config): Config file or object.
        checkpoint (str | os.PathLike, optional): Weights in any layout
            :func:`da2zoe.checkpoint.load_pretrained` detects (da2zoe,
            training, DA-V1/V2, DINOv2 hub). Keys the checkpoint lacks are
            reported and keep their initial values. Defaults to None (no
            weights loaded: the model is randomly initialised).
        device (str | torch.device): Where the model runs. Defaults to
            ``'cpu'``.
        cfg_options (dict, optional): Config overrides, as ``--cfg-options``
            takes them (``{'model.test_cfg.flip': True}``).

    Returns:
        nn.Module: The model in eval mode, with the config as ``model.cfg``.
    """
    if isinstance(config, (str, os.PathLike)):
        config = Config.fromfile(os.fspath(config))
    elif not isinstance(config, Config):
        raise TypeError('config must be a path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    model = MODELS.build(config.model)
    if checkpoint is not None:
        load_pretrained(model, checkpoint)
    model.cfg = config
    return model.to(device).eval()


def _input_size_of(model: nn.Module) -> int:
    """``infer_size`` from the model's config, else DA-V2's 518."""
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        return DEFAULT_INPUT_SIZE
    return int(cfg.get('infer_size', DEFAULT_INPUT_SIZE))


@contextmanager
def _flip_tta(model: nn.Module, flip: Optional[bool]) -> Iterator[None]:
    """Temporarily sets ``model.test_cfg['flip']`` (None leaves it)."""
    if flip is None:
        yield
        return
    test_cfg = model.test_cfg
    previous = test_cfg.get('flip', False)
    test_cfg['flip'] = bool(flip)
    try:
        yield
    finally:
        test_cfg['flip'] = previous


def _group_by_size(sizes: Sequence[Tuple[int, int]],
                   batch_size: int) -> List[List[int]]:
    """Indices of same-size images, in chunks of at most ``batch_size``."""
    groups: Dict[Tuple[int, int], List[int]] = defaultdict(list)
    for index, size in enumerate(sizes):
        groups[size].append(index)
    return [
        indices[start:start + batch_size] for indices in groups.values()
        for start in range(0, len(indices), batch_size)
    ]


def _autocast(device: torch.device, dtype: Optional[torch.dtype]):
    if dtype is None or dtype == torch.float32:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.no_grad()
def inference(model: nn.Module,
              images: Union[ImageLike, Sequence[ImageLike]],
              input_size: Optional[int] = None,
              rgb: bool = False,
              flip: Optional[bool] = None,
              dtype: Optional[torch.dtype] = None,
              batch_size: int = 4) -> Union[np.ndarray, List[np.ndarray]]:
    """Predicts metric depth for one image or a list of images.

    Each image is resized by DA-V2's rule (shorter side at least
    ``input_size``, sides multiples of 14, bicubic, see
    :func:`keep_aspect_size`), normalised by the model's data preprocessor,
    and the prediction is resized back to the image's own size bilinearly
    (align_corners=True) and clamped to the head's depth range. Images that
    resize to the same size are batched together.

    Args:
        model (nn.Module): A depther with ``data_preprocessor``,
            ``predict_depth`` and ``test_cfg`` (e.g. from :func:`init_model`).
        images (str | os.PathLike | np.ndarray | Sequence): An image path,
            an HxWx3 uint8 array, or a list of them.
        input_size (int, optional): Lower bound of the shorter side.
            Defaults to the config's ``infer_size``, else 518.
        rgb (bool): Arrays are RGB. Defaults to False: arrays are BGR, as
            ``cv2.imread`` returns them. Paths are always decoded correctly.
        flip (bool, optional): Horizontal-flip test-time augmentation.
            Defaults to None, which follows ``model.test_cfg['flip']``.
        dtype (torch.dtype, optional): Autocast dtype, e.g.
            ``torch.bfloat16`` (CPU or GPU). Defaults to None (float32).
        batch_size (int): Most images per forward pass. Defaults to 4.

    Returns:
        np.ndarray | list[np.ndarray]: float32 HxW depth in metres at each
        image's original size; a list when ``images`` is a list or tuple.

    Raises:
        ImageReadError: If a path cannot be read (the path is named).
    """
    single = not isinstance(images, (list, tuple))
    rgb_images = [to_rgb(img, rgb) for img in ([images] if single else images)]
    if not rgb_images:
        return []
    input_size = int(input_size or _input_size_of(model))
    sizes = [keep_aspect_size(img.shape[:2], input_size) for img in rgb_images]
    device = next(model.parameters()).device
    outputs: List[Optional[np.ndarray]] = [None] * len(rgb_images)
    with _flip_tta(model, flip):
        for indices in _group_by_size(sizes, max(1, int(batch_size))):
            batch = [resize_for_network(rgb_images[i], sizes[i])
                     for i in indices]
            inputs = model.data_preprocessor(dict(inputs=batch))['inputs']
            with _autocast(device, dtype):
                depth = model.predict_depth(inputs)
            for i, pred in zip(indices, depth.float()):
                outputs[i] = _to_original_size(model, pred,
                                               rgb_images[i].shape[:2])
    return outputs[0] if single else outputs


def _to_original_size(model: nn.Module, depth: torch.Tensor,
                      size: Tuple[int, int]) -> np.ndarray:
    """(1, h, w) prediction -> float32 HxW numpy at ``size``, clamped."""
    if tuple(depth.shape[-2:]) != tuple(size):
        depth = F.interpolate(
            depth[None], size=size, mode='bilinear', align_corners=True)[0]
    low = getattr(model, 'min_depth', None)
    high = getattr(model, 'max_depth', None)
    if low is not None and high is not None:
        depth = depth.clamp(float(low), float(high))
    return depth[0].cpu().numpy().astype(np.float32)
