"""Depth Anything 3's resize: longest side to ``process_res``, then each side
to its nearest multiple of 14."""
import cv2
import numpy as np

from da2zoe.registry import TRANSFORMS
from da2zoe.structures.patch_grid import longest_side_sizes
from ..bad_sample import BadSampleError
from .geometric import KeepAspectResize


def _rgb_image(img: np.ndarray, name: str) -> np.ndarray:
    """An HxWx3 uint8 image; a grey one (HxW or HxWx1) is repeated."""
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        raise BadSampleError(
            name, 'expected a uint8 image, got '
            f'{getattr(img, "dtype", type(img).__name__)}')
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise BadSampleError(
            name, f'expected 3 (RGB) or 1 (grey) channels, got an image '
            f'of shape {img.shape}')
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


@TRANSFORMS.register_module()
class LongestSideResize(KeepAspectResize):
    """Depth Anything 3's input resize (its API's ``upper_bound_resize``).

    Two OpenCV resizes of the uint8 RGB image, exactly as the reference:
    the longest side to ``process_res`` (``INTER_CUBIC`` when enlarging,
    ``INTER_AREA`` when shrinking; skipped when it is already there), then
    each side to its nearest multiple of 14 (``INTER_CUBIC`` if a side
    grows, else ``INTER_AREA``; skipped when nothing changes). No padding,
    no crop. See :func:`~da2zoe.structures.patch_grid.longest_side_sizes`.
    The data preprocessor's float32 ``/ 255`` and ImageNet normalisation
    then give the reference's network input bit for bit.

    Ground truth (``resize_gt=True``) is resampled by nearest neighbour to
    the final size, pairs and intrinsics with it (as
    :class:`KeepAspectResize`). In evaluation pipelines set
    ``resize_gt=False``: the metric sees native-resolution GT, and the
    camera, which then stays on the GT grid, is converted to the network's
    input by :func:`~da2zoe.structures.camera.input_intrinsics` (the
    reference's twice-scaled focal lengths).

    Bad input is refused here, before any model work, naming the file: a
    channel count other than 3 (1 is repeated to RGB), or a short side
    that would end under one patch (the reference rounds a 10x2000 strip
    to a 1-px side and fails later).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``, GT maps,
    ``pairs``, ``intrinsics``, ``focal``. Added keys: ``scale_factor``.

    Args:
        process_res (int): Target of the longest side. Defaults to 504
            (the DA3 API's default).
        resize_gt (bool): Resize the ground truth too. Defaults to True.
    """

    def __init__(self, process_res: int = 504, resize_gt: bool = True) -> None:
        # Validates process_res with the rule's own message.
        longest_side_sizes((process_res, process_res), process_res)
        self.process_res = process_res
        self.resize_gt = resize_gt

    def _resize_image(self, results: dict) -> np.ndarray:
        """The two resizes of the reference.

        Raises:
            BadSampleError: If the image has the wrong channels or is too
                thin for ``process_res``.
        """
        name = results.get('img_path') or '<array>'
        img = _rgb_image(results['img'], name)
        height, width = img.shape[:2]
        try:
            first, final = longest_side_sizes((height, width),
                                              self.process_res)
        except ValueError as err:
            raise BadSampleError(name, str(err)) from err
        if first != (height, width):
            grows = max(first) > max(height, width)
            img = cv2.resize(img, first[::-1], interpolation=(
                cv2.INTER_CUBIC if grows else cv2.INTER_AREA))
        if final != first:
            grows = final[0] > first[0] or final[1] > first[1]
            img = cv2.resize(img, final[::-1], interpolation=(
                cv2.INTER_CUBIC if grows else cv2.INTER_AREA))
        return img

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(process_res={self.process_res}, '
                f'resize_gt={self.resize_gt})')
