"""Taking an image that is already in memory (mmcv's LoadImageFromNDArray)."""
import numpy as np

from da2zoe.registry import TRANSFORMS
from ..bad_sample import BadSampleError
from .loading import LoadRGB


@TRANSFORMS.register_module()
class LoadRGBFromNDArray(LoadRGB):
    """Use ``results['img']``, an HWC uint8 RGB array, as the loaded image.

    Inference puts it first in place of :class:`LoadRGB` when it is given
    arrays instead of paths, so the rest of the test pipeline runs unchanged
    and nothing is written to disk.

    Required keys: ``img``. Added keys: ``img_path`` (None unless given),
    ``ori_shape``, ``img_shape``.
    """

    def transform(self, results: dict) -> dict:
        """Take one in-memory image.

        Args:
            results (dict): The sample, with ``img``.

        Returns:
            dict: The sample as :class:`LoadRGB` leaves it.
        """
        img = results['img']
        name = results.setdefault('img_path', None) or '<array>'
        if not isinstance(img, np.ndarray) or img.dtype != np.uint8 or (
                img.ndim != 3 or img.shape[2] != 3):
            raise BadSampleError(
                name, 'expected an HxWx3 uint8 RGB array, got '
                f'{getattr(img, "dtype", type(img).__name__)} '
                f'{getattr(img, "shape", "")}')
        results['ori_shape'] = img.shape[:2]
        results['img_shape'] = img.shape[:2]
        return results
