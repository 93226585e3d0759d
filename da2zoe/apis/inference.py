"""High-level inference: build a model from a config, predict metric depth."""
import os
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from da2zoe.checkpoint import load_pretrained
from da2zoe.datasets.bad_sample import BadSampleError
from da2zoe.datasets.transforms.color_decode import (
    AlphaChannelError,
    check_alpha_mode,
)
from da2zoe.registry import MODELS
from da2zoe.structures.camera import CameraLike, parse_intrinsics
from .onnx_backend import OnnxDepther, is_onnx_file
from .pipeline import build_inference_pipeline
from .preprocess import ImageLike, ImageReadError, to_rgb


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
            weights loaded: the model is randomly initialised). A
            ``.onnx`` file (``tools/deployment/export_onnx.py``) gives an
            :class:`~da2zoe.apis.onnx_backend.OnnxDepther` instead, which
            predicts through ONNX Runtime on the host.
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
    if is_onnx_file(checkpoint):  # an export: the network runs in ORT
        return OnnxDepther(checkpoint, config)
    model = MODELS.build(config.model)
    if checkpoint is not None:
        load_pretrained(model, checkpoint)
    model.cfg = config
    return model.to(device).eval()


@contextmanager
def _test_option(model: nn.Module, key: str,
                 value: Optional[bool]) -> Iterator[None]:
    """Temporarily sets ``model.test_cfg[key]`` (None leaves it)."""
    if value is None:
        yield
        return
    test_cfg = model.test_cfg
    previous = test_cfg.get(key, False)
    test_cfg[key] = bool(value)
    try:
        yield
    finally:
        test_cfg[key] = previous


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
              batch_size: int = 4,
              intrinsics: Optional[Union[CameraLike, Sequence[CameraLike]]]
              = None,
              process_res: Optional[int] = None,
              return_sky: bool = False,
              alpha: str = 'error') -> Union[np.ndarray, list]:
    """Predicts metric depth for one image or a list of images.

    Each image goes through the config's test pipeline without its ground
    truth transforms (see :func:`build_inference_pipeline`; DA-V2's
    keep-aspect resize to 518 when the config has none) and the model's
    ``test_step``, exactly as ``tools/test.py`` evaluates it: the depth
    comes back bilinearly resized (align_corners=True) to the image's own
    size and clamped to the head's depth range. Images that resize to the
    same size are batched together.

    Args:
        model (nn.Module): A depther with ``test_step`` and ``test_cfg``
            (e.g. from :func:`init_model`); its ``cfg`` gives the pipeline.
        images (str | os.PathLike | np.ndarray | Sequence): An image path,
            an HxWx3 uint8 array, or a list of them.
        input_size (int, optional): Lower bound of the shorter side, a
            multiple of 14; it replaces the pipeline's ``KeepAspectResize``
            bound. Defaults to the config's ``infer_size``, else the
            pipeline's own bound.
        rgb (bool): Arrays are RGB. Defaults to False: arrays are BGR, as
            ``cv2.imread`` returns them. Paths are always decoded correctly.
        flip (bool, optional): Horizontal-flip test-time augmentation.
            Defaults to None, which follows ``model.test_cfg['flip']``.
        dtype (torch.dtype, optional): Autocast dtype, e.g.
            ``torch.bfloat16`` (CPU or GPU). Defaults to None (float32).
        batch_size (int): Most images per forward pass. Defaults to 4.
        intrinsics (optional): The camera of the images at their own size:
            a focal length in pixels, ``(fx, fy, cx, cy)``, a 3x3 matrix or
            a dict (see :func:`~da2zoe.structures.camera.parse_intrinsics`),
            or a list with one per image (a list of 4 or 9 numbers for as
            many images is refused as ambiguous: a tuple is one camera). A
            model with a canonical camera
            (``model.camera``) rescales its prediction by it; without one
            it uses ``model.camera.default_focal`` (logged) or refuses.
            Defaults to None (no camera).
        process_res (int, optional): Longest side of the network input for
            a Depth Anything 3 config (its ``LongestSideResize``). Defaults
            to None (the pipeline's own, 504).
        return_sky (bool): Also return the head's sky score (float32 HxW at
            the image's size, >= 0; sky where >= the head's
            ``sky_threshold``, 0.3) for heads with a sky branch (Depth
            Anything 3), else None. Defaults to False.
        alpha (str): What an image with an alpha channel (an HxWx4 or
            HxWx2 array, an RGBA PNG) does: ``'error'`` (default) refuses
            it, naming the image; ``'drop'`` uses its colour channels as
            stored. Never dropped silently.

    Returns:
        np.ndarray | list: float32 HxW depth in metres at each image's
        original size (a ``(depth, sky)`` pair with ``return_sky``); a
        list when ``images`` is a list or tuple.

    Raises:
        ImageReadError: If a path cannot be read or has an alpha channel
            (the path is named).
        ValueError: If an array is empty, not HxW / HxWxC, or has an alpha
            channel (its index is named).
    """
    check_alpha_mode(alpha)
    single = not isinstance(images, (list, tuple))
    images = [images] if single else list(images)
    if not images:
        return []
    packed = _pack(getattr(model, 'cfg', None), images, rgb, input_size,
                   process_res, alpha)
    _attach_cameras(packed, intrinsics)
    sizes = [tuple(item['inputs'].shape[-2:]) for item in packed]
    device = getattr(model, 'device', None) or next(
        model.parameters()).device
    outputs: list = [None] * len(images)
    with _test_option(model, 'flip', flip), _test_option(
            model, 'sky', True if return_sky else None):
        for indices in _group_by_size(sizes, max(1, int(batch_size))):
            batch = dict(
                inputs=[packed[i]['inputs'] for i in indices],
                data_samples=[packed[i]['data_samples'] for i in indices])
            with _autocast(device, dtype):
                samples = model.test_step(batch)
            for i, sample in zip(indices, samples):
                outputs[i] = sample.pred_depth[0].float().cpu().numpy()
                if return_sky:
                    sky = sample.get('pred_sky')
                    outputs[i] = (outputs[i], None if sky is None else
                                  sky[0].float().cpu().numpy())
    return outputs[0] if single else outputs


def _is_camera_list(value) -> bool:
    """A list of cameras (one per image) rather than one camera."""
    if isinstance(value, (dict, np.ndarray)) or np.isscalar(value):
        return False
    try:
        return np.asarray(value, np.float64).shape not in ((4, ), (9, ),
                                                           (3, 3))
    except (TypeError, ValueError):  # ragged: dicts / mixed spellings
        return True


def _check_not_ambiguous(intrinsics, count: int) -> None:
    """Refuses a list of 4 or 9 numbers for as many images: one
    ``(fx, fy, cx, cy)`` / row-major matrix, or one focal per image?"""
    if not isinstance(intrinsics, list) or len(intrinsics) != count:
        return
    if count in (4, 9) and all(np.isscalar(v) for v in intrinsics):
        raise ValueError(
            f'intrinsics: a list of {count} numbers for {count} images is '
            'ambiguous (one camera, or one focal per image?): pass a tuple '
            'for one camera shared by all, or one camera per image as '
            f'[dict(fx=...), ...] or [(fx, fy, cx, cy), ...]')


def _attach_cameras(packed: List[dict], intrinsics) -> None:
    """Writes each image's camera (at its original size) into its sample."""
    if intrinsics is None:
        return
    _check_not_ambiguous(intrinsics, len(packed))
    cameras = intrinsics if _is_camera_list(intrinsics) else (
        [intrinsics] * len(packed))
    if len(cameras) != len(packed):
        raise ValueError(f'intrinsics: {len(cameras)} cameras for '
                         f'{len(packed)} images')
    for index, (item, camera) in enumerate(zip(packed, cameras)):
        sample = item['data_samples']
        size = tuple(sample.metainfo['ori_shape'][:2])
        matrix = parse_intrinsics(camera, size, f'intrinsics of image {index}')
        sample.set_metainfo(
            dict(intrinsics=matrix.tolist(), focal=float(matrix[0, 0])))


def _pack(cfg: Optional[Config], images: List[ImageLike], rgb: bool,
          input_size: Optional[int],
          process_res: Optional[int] = None,
          alpha: str = 'error') -> List[dict]:
    """Runs each image through the inference pipeline for its kind."""
    pipelines = {}
    packed = []
    for image in images:
        from_array = not isinstance(image, (str, os.PathLike))
        if from_array not in pipelines:
            pipelines[from_array] = build_inference_pipeline(
                cfg, from_array, input_size, process_res, alpha)
        if from_array:
            if 0 in np.shape(image)[:2]:
                raise ValueError(f'image {len(packed)} is empty: shape '
                                 f'{tuple(np.shape(image))}')
            try:
                rgb_image = to_rgb(image, rgb, alpha)
            except AlphaChannelError as err:
                raise AlphaChannelError(f'image {len(packed)} {err}') from None
            packed.append(pipelines[True](dict(img=rgb_image)))
            continue
        try:
            packed.append(pipelines[False](dict(img_path=os.fspath(image))))
        except BadSampleError as err:
            raise ImageReadError(f'Cannot read image {err}') from err
    return packed
