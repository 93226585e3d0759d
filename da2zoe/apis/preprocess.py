"""Reading inference inputs: image files and arrays as uint8 images."""
import os
from typing import Union

import cv2
import numpy as np

from da2zoe.datasets.transforms.color_decode import (
    AlphaChannelError,
    color_channels,
    decode_color,
)

ImageLike = Union[str, os.PathLike, np.ndarray]


class ImageReadError(OSError):
    """An input image is missing or cannot be decoded."""


def read_image(path: Union[str, os.PathLike],
               alpha: str = 'error') -> np.ndarray:
    """Reads an image file as OpenCV does: HxWx3 uint8 BGR.

    The bytes are decoded with ``cv2.imdecode`` so non-ASCII paths work.

    Args:
        path (str | os.PathLike): Image file.
        alpha (str): ``'error'`` (default) refuses a file with an alpha
            channel, ``'drop'`` uses its colour channels as stored.

    Returns:
        np.ndarray: HxWx3 uint8 BGR image.

    Raises:
        ImageReadError: If the file does not exist, is not a decodable
            image or has an alpha channel with ``alpha='error'``; the
            message names the path.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ImageReadError(f'Cannot read image {path!r}: no such file')
    try:
        image = decode_color(np.fromfile(path, dtype=np.uint8), alpha)
    except AlphaChannelError as err:
        raise ImageReadError(f'Cannot read image {path!r}: {err}') from None
    if image is None:
        raise ImageReadError(
            f'Cannot read image {path!r}: OpenCV cannot decode it')
    return image


def to_rgb(image: ImageLike, rgb: bool = False,
           alpha: str = 'error') -> np.ndarray:
    """Turns a path or an array into an HxWx3 uint8 RGB array.

    Args:
        image (str | os.PathLike | np.ndarray): A file (read as BGR), or an
            HxW / HxWxC uint8 array (C = 1 to 4). A grey image is repeated
            over three channels; an alpha channel (C = 2 or 4) is refused
            unless ``alpha='drop'``.
        rgb (bool): Arrays are already RGB. Defaults to False (BGR, as
            ``cv2.imread`` returns). Files are always decoded correctly.
        alpha (str): ``'error'`` (default) or ``'drop'`` (use the colour
            channels as stored).

    Returns:
        np.ndarray: HxWx3 uint8 RGB.

    Raises:
        AlphaChannelError: For an array with an alpha channel and
            ``alpha='error'`` (a ``ValueError``).
        ImageReadError: For a file that cannot be read or has alpha.
    """
    if isinstance(image, (str, os.PathLike)):
        return cv2.cvtColor(read_image(image, alpha), cv2.COLOR_BGR2RGB)
    if not isinstance(image, np.ndarray):
        raise TypeError('expected an image path or a numpy array, got '
                        f'{type(image).__name__}')
    if image.dtype != np.uint8:
        raise TypeError(f'expected a uint8 image, got dtype {image.dtype}')
    grey = image.ndim == 2 or (image.ndim == 3 and image.shape[2] <= 2)
    image = color_channels(image, alpha)
    return np.ascontiguousarray(image if rgb or grey else image[..., ::-1])
