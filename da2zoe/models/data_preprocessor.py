"""Turns a collated batch into normalised, padded model inputs."""
import math
from typing import List, Optional, Sequence

import cv2
import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from da2zoe.registry import MODELS
from da2zoe.structures import DepthDataSample
from da2zoe.structures.patch_grid import RESIZE_METHODS, midas_resize_size

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESIZE_KEYS = ('size', 'keep_aspect_ratio', 'resize_method', 'interpolation',
               'align_corners')
INTERPOLATIONS = ('bilinear', 'bicubic', 'cv2_bicubic')


def _parse_input_resize(cfg: Optional[dict]) -> Optional[dict]:
    """Checks ``input_resize`` and fills in its defaults (V1's)."""
    if cfg is None:
        return None
    unknown = set(cfg) - set(RESIZE_KEYS)
    if unknown or 'size' not in cfg:
        raise ValueError(
            f'data_preprocessor.input_resize={cfg}: unknown keys '
            f'{sorted(unknown)}; it needs size=(H, W) and takes '
            f'{list(RESIZE_KEYS)}')
    resize = {**dict(keep_aspect_ratio=True, resize_method='minimal',
                     interpolation='bilinear', align_corners=True), **cfg}
    size = resize['size']
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2 or not all(
            isinstance(s, int) and s > 0 for s in size):
        raise ValueError(f'data_preprocessor.input_resize.size={cfg["size"]}'
                         ': expected positive ints (H, W)')
    resize['size'] = size
    if resize['resize_method'] not in RESIZE_METHODS:
        raise ValueError(f'data_preprocessor.input_resize.resize_method '
                         f'must be one of {RESIZE_METHODS}, got '
                         f'{resize["resize_method"]!r}')
    if resize['interpolation'] not in INTERPOLATIONS:
        raise ValueError(f'data_preprocessor.input_resize.interpolation '
                         f'must be one of {INTERPOLATIONS}, got '
                         f'{resize["interpolation"]!r}')
    return resize


@MODELS.register_module()
class DepthDataPreprocessor(BaseDataPreprocessor):
    """Normalises RGB images and pads the batch to a multiple of the patch
    size.

    Images arrive as uint8 RGB (3, H, W) tensors (see ``PackDepthInputs``).
    They are scaled to [0, 1], ImageNet-normalised and padded at the bottom and
    right to the largest size in the batch rounded up to ``size_divisor``.
    The padding value is 0 *after* normalisation, i.e. the mean colour.
    The arithmetic runs in the dtype of the ``mean`` buffer (float32, or
    float64 after ``model.double()``).

    ``input_resize`` reproduces checkpoints that resize *inside* the model:
    Depth Anything V1 (ZoeDepth's ``PrepForMidas``) takes the image as
    stored, scales it to [0, 1] and resizes that float tensor with the
    MiDaS size rule (:func:`~da2zoe.structures.patch_grid.
    midas_resize_size`, "minimal", multiples of 14) bilinearly with
    ``align_corners=True`` before normalising. The test pipeline then must
    not resize (the V1 configs drop ``KeepAspectResize``); the prediction
    comes back at the resized size and the depther resizes it to the
    ground truth as V1's metric code does. It applies to evaluation and
    inference batches only: training batches keep the pipeline's crops,
    whose ground truth must match the input pixel for pixel.
    Ground-truth depth and masks are padded the same way with depth 0 and
    mask False, so padded pixels never reach a loss; ``img_shape`` in each
    sample's metainfo tells the depther which part of the prediction to keep.

    Args:
        mean (Sequence[float]): Per-channel mean of images in [0, 1].
            Defaults to ImageNet's.
        std (Sequence[float]): Per-channel std of images in [0, 1].
            Defaults to ImageNet's.
        size_divisor (int): Pad height and width to a multiple of this.
            Defaults to 14 (the ViT patch size).
        channels_last (bool): Return inputs in channels-last memory format,
            faster for convolution-heavy necks. Defaults to False.
        non_blocking (bool): Non-blocking host-to-device copies.
            Defaults to False.
        input_resize (dict, optional): Resize each test image in the model
            before normalising: ``size`` (H, W) target (multiples of 14),
            ``keep_aspect_ratio`` (True), ``resize_method`` (``'minimal'``;
            ``'lower_bound'`` / ``'upper_bound'``), ``interpolation``
            (``'bilinear'``, ``'bicubic'`` or ``'cv2_bicubic'``: OpenCV's
            ``INTER_CUBIC`` on the float64 image, as DA-V2's
            ``infer_image`` resizes; it differs from torch's bicubic by up
            to 5e-5 because OpenCV quantises sub-pixel offsets to 1/32)
            and ``align_corners`` (True; ignored by ``'cv2_bicubic'``).
            Depth Anything V1's evaluation is
            ``dict(size=(392, 518))``. Defaults to None (no resize: the
            pipeline's size reaches the model).
    """

    def __init__(self,
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD,
                 size_divisor: int = 14,
                 channels_last: bool = False,
                 non_blocking: bool = False,
                 input_resize: Optional[dict] = None) -> None:
        super().__init__(non_blocking=non_blocking)
        self.register_buffer(
            'mean', torch.tensor(mean).view(-1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(-1, 1, 1), persistent=False)
        # The buffers follow the model's dtype and device; their values are
        # rebuilt from these so a float64 model does not inherit float32's
        # rounding of 0.485 etc. (1e-7 on the input, 1e-6 on the depth).
        self._mean_std = (tuple(map(float, mean)), tuple(map(float, std)))
        self.size_divisor = size_divisor
        self.channels_last = channels_last
        self.input_resize = _parse_input_resize(input_resize)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalises, pads and stacks the batch.

        Args:
            data (dict): ``inputs`` (a list of (3, H, W) tensors or a batch
                tensor) and optional ``data_samples``.
            training (bool): Unused; kept for the MMEngine interface.

        Returns:
            dict: ``inputs`` (B, 3, H', W') float tensor and ``data_samples``.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        samples: Optional[List[DepthDataSample]] = data.get('data_samples')
        if isinstance(inputs, torch.Tensor) and inputs.dim() == 4:
            inputs = list(inputs)
        dtype = self.mean.dtype
        inputs = [img.to(dtype) / 255.0 for img in inputs]
        if self.input_resize is not None and not training:
            inputs = [self._resize(img) for img in inputs]
        pad_h, pad_w = self._padded_size(inputs)
        batch = []
        mean, std = (torch.tensor(v, dtype=dtype, device=self.mean.device)
                     .view(-1, 1, 1) for v in self._mean_std)
        for img in inputs:
            img = (img - mean) / std
            h, w = img.shape[-2:]
            batch.append(F.pad(img, (0, pad_w - w, 0, pad_h - h), value=0.0))
        batch_inputs = torch.stack(batch)
        if self.channels_last:
            batch_inputs = batch_inputs.contiguous(
                memory_format=torch.channels_last)
        if samples is not None:
            for img, sample in zip(inputs, samples):
                sample.set_metainfo(
                    dict(
                        img_shape=tuple(img.shape[-2:]),
                        pad_shape=(pad_h, pad_w),
                        batch_input_shape=(pad_h, pad_w)))
        return dict(inputs=batch_inputs, data_samples=samples)

    def _resize(self, img: torch.Tensor) -> torch.Tensor:
        """Resizes one [0, 1] float image (3, H, W) by ``input_resize``."""
        resize = self.input_resize
        size = midas_resize_size(
            tuple(img.shape[-2:]), resize['size'],
            resize['keep_aspect_ratio'], resize['resize_method'])
        if size == tuple(img.shape[-2:]):
            return img
        if resize['interpolation'] == 'cv2_bicubic':
            array = img.permute(1, 2, 0).detach().cpu().double().numpy()
            array = cv2.resize(array, size[::-1],
                               interpolation=cv2.INTER_CUBIC)
            return torch.from_numpy(array).permute(2, 0, 1).to(img)
        return F.interpolate(
            img[None], size=size, mode=resize['interpolation'],
            align_corners=resize['align_corners'])[0]

    def _padded_size(self, inputs: List[torch.Tensor]) -> tuple:
        """Returns the batch's padded (H, W), a multiple of the divisor."""
        max_h = max(img.shape[-2] for img in inputs)
        max_w = max(img.shape[-1] for img in inputs)
        d = self.size_divisor
        return math.ceil(max_h / d) * d, math.ceil(max_w / d) * d


def stack_ground_truth(samples: Sequence[DepthDataSample],
                       size: tuple) -> tuple:
    """Stacks per-sample depth and masks, zero-padded to ``size``.

    Args:
        samples (Sequence[DepthDataSample]): Samples with ``gt_depth`` and
            ``gt_mask`` of shape (1, h, w), h <= size[0], w <= size[1].
        size (tuple): The (H, W) of the batch.

    Returns:
        tuple: depth (B, 1, H, W) float and mask (B, 1, H, W) bool.
    """
    depths, masks = [], []
    for sample in samples:
        depth, mask = sample.gt_depth, sample.gt_mask
        if depth is None:
            raise KeyError(
                f'sample {sample.metainfo.get("img_path")} has no gt_depth')
        if mask is None:
            mask = depth > 0
        h, w = depth.shape[-2:]
        if h > size[0] or w > size[1]:
            raise ValueError(
                f'gt_depth of {sample.metainfo.get("img_path")} is {h}x{w}, '
                f'larger than the batch input {size[0]}x{size[1]}; training '
                'ground truth must be at the image resolution')
        pad = (0, size[1] - w, 0, size[0] - h)
        depths.append(F.pad(depth.float(), pad, value=0.0))
        masks.append(F.pad(mask.bool(), pad, value=False))
    return torch.stack(depths), torch.stack(masks)


__all__ = ['DepthDataPreprocessor', 'stack_ground_truth']
