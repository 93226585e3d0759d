"""Reading inference inputs: image files and arrays as uint8 images."""
import os
from typing import Union

import cv2
import numpy as np

ImageLike = Union[str, os.PathLike, np.ndarray]


class ImageReadError(OSError):
    """An input image is missing or cannot be decoded."""


def read_image(path: Union[str, os.PathLike]) -> np.ndarray:
    """Reads an image file as OpenCV does: HxWx3 uint8 BGR.

    The bytes are decoded with ``cv2.imdecode`` so non-ASCII paths work.

    Args:
        path (str | os.PathLike): Image file.

    Returns:
        np.ndarray: HxWx3 uint8 BGR image.

    Raises:
        ImageReadError: If the file does not exist or is not a decodable
            image; the message names the path.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ImageReadError(f'Cannot read image {path!r}: no such file')
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageReadError(
            f'Cannot read image {path!r}: OpenCV cannot decode it')
    return image


def to_rgb(image: ImageLike, rgb: bool = False) -> np.ndarray:
    """Turns a path or an array into an HxWx3 uint8 RGB array.

    Args:
        image (str | os.PathLike | np.ndarray): A file (read as BGR), or an
            HxW / HxWx3 / HxWx4 uint8 array. A 4th (alpha) channel is
            dropped; a grey image is repeated over three channels.
        rgb (bool): Arrays are already RGB. Defaults to False (BGR, as
            ``cv2.imread`` returns). Files are always decoded correctly.

    Returns:
        np.ndarray: HxWx3 uint8 RGB.
    """
    if isinstance(image, (str, os.PathLike)):
        return cv2.cvtColor(read_image(image), cv2.COLOR_BGR2RGB)
    if not isinstance(image, np.ndarray):
        raise TypeError('expected an image path or a numpy array, got '
                        f'{type(image).__name__}')
    if image.dtype != np.uint8:
        raise TypeError(f'expected a uint8 image, got dtype {image.dtype}')
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(f'expected an HxW, HxWx3 or HxWx4 image, got shape '
                         f'{image.shape}')
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    image = image[..., :3]
    return np.ascontiguousarray(image if rgb else image[..., ::-1])
