"""Loading an RGB image and its depth (decoded to metres with a validity
mask)."""
import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from da2zoe.registry import TRANSFORMS
from ..bad_sample import BadSampleError
from ..codecs import DEPTH_DECODERS, load_ibims_mat, read_intrinsics
from .color_decode import AlphaChannelError, check_alpha_mode, decode_color
from .gt_geometry import EMPTY_PAIRS


@TRANSFORMS.register_module()
class LoadRGB(BaseTransform):
    """Read ``img_path`` as an HWC uint8 RGB image.

    OpenCV's BGR is converted to RGB; an iBims-1 ``.mat`` gives its ``rgb``
    field. A missing or undecodable file, or one with an alpha channel
    (unless ``alpha='drop'``), raises :class:`BadSampleError` (the
    dataset's ``on_bad_sample`` decides what follows).

    Required keys: ``img_path``. Added keys: ``img``, ``ori_shape``,
    ``img_shape``.

    Args:
        alpha (str): ``'error'`` (default) refuses a file with an alpha
            channel; ``'drop'`` uses its colour channels as stored (see
            :mod:`~da2zoe.datasets.transforms.color_decode`).
    """

    def __init__(self, alpha: str = 'error') -> None:
        self.alpha = check_alpha_mode(alpha)

    def transform(self, results: dict) -> dict:
        """Load one image.

        Args:
            results (dict): The sample.

        Returns:
            dict: The sample with ``img``.
        """
        path = results['img_path']
        if path.endswith('.mat'):
            img = np.array(load_ibims_mat(path).get('rgb'), np.uint8)
        else:
            if not osp.isfile(path):
                raise BadSampleError(path, 'image file not found')
            try:
                img = decode_color(np.fromfile(path, np.uint8), self.alpha)
            except AlphaChannelError as err:
                raise BadSampleError(path, str(err)) from None
            if img is None:
                raise BadSampleError(path, 'OpenCV cannot decode this image')
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if img.ndim != 3 or img.shape[2] != 3:
            raise BadSampleError(path,
                                 f'expected an RGB image, got {img.shape}')
        results['img'] = img
        results['ori_shape'] = img.shape[:2]
        results['img_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadDepth(BaseTransform):
    """Decode the sample's depth to metres with its dataset's rule.

    The rule is the sample's ``depth_decoder`` (see
    :mod:`da2zoe.datasets.codecs`). NaN, inf, zero and negative depth are
    invalid. Raises :class:`BadSampleError` when the depth map is missing or
    unreadable, its size differs from the image's, it has no valid pixel
    (datasets with dense depth), or a pair lies outside the image. Run after
    :class:`LoadRGB`.

    Required keys: ``img``, ``depth_decoder``, ``depth_path``. Added keys:
    ``gt_depth`` (H, W) float32, ``gt_mask`` (H, W) bool, ``pairs``
    (N, 4) int64 (empty unless the dataset has pairs), ``intrinsics`` and
    ``focal`` when the sample names an ``intrinsics_path`` (3x3 text) or the
    format stores them, and format fields (iBims-1: ``ibims_edges``,
    ``ibims_planes``).
    """

    def transform(self, results: dict) -> dict:
        """Load one depth map.

        Args:
            results (dict): The sample.

        Returns:
            dict: The sample with ``gt_depth`` and ``gt_mask``.
        """
        rule = results['depth_decoder']
        depth, valid = DEPTH_DECODERS[rule](results)
        path = results.get('depth_path') or results['img_path']
        shape = results['img'].shape[:2]
        if depth.shape != shape:
            raise BadSampleError(
                path, f'depth map {depth.shape} does not match the image '
                f'{shape} ({results["img_path"]})')
        if rule != 'none' and not valid.any():
            raise BadSampleError(
                path, 'no valid depth pixel (all zero, negative, NaN or inf)')
        pairs = np.asarray(results.get('pairs', EMPTY_PAIRS),
                           np.int64).reshape(-1, 4)
        if len(pairs) and (pairs[:, 0::2].max() >= shape[0]
                           or pairs[:, 1::2].max() >= shape[1]):
            raise BadSampleError(
                results['img_path'], f'a point pair lies outside the '
                f'{shape[0]}x{shape[1]} image')
        read_intrinsics(results)
        results['gt_depth'] = depth
        results['gt_mask'] = valid
        results['pairs'] = pairs
        return results
