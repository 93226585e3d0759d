"""Colour images from files and arrays, never losing an alpha channel
silently.

OpenCV's ``IMREAD_COLOR`` (``cv2.imread``'s default) and PIL's
``convert('RGB')`` drop an alpha channel without a word, so a depth model
would see whatever colour a transparent pixel happens to store. Here a
2-channel (grey + alpha) or 4-channel (colour + alpha) image is an error
unless the caller asked to drop the alpha (``alpha='drop'``); then the
colour channels are used as stored.
"""
import cv2
import numpy as np

ALPHA_MODES = ('error', 'drop')
# JPEG has no alpha channel: its files skip the unchanged decode.
_JPEG_MAGIC = b'\xff\xd8\xff'


class AlphaChannelError(ValueError):
    """An image has an alpha channel and ``alpha='error'``.

    The message says what to do; callers prefix the image's name.
    """


def check_alpha_mode(alpha: str) -> str:
    """Returns ``alpha`` if it is one of :data:`ALPHA_MODES`.

    Args:
        alpha (str): ``'error'`` or ``'drop'``.

    Returns:
        str: ``alpha``.

    Raises:
        ValueError: Naming the allowed values.
    """
    if alpha not in ALPHA_MODES:
        raise ValueError(f'alpha must be one of {ALPHA_MODES}, got '
                         f'{alpha!r}')
    return alpha


def alpha_error(channels: int) -> AlphaChannelError:
    """The error for an image with ``channels`` channels, one of them alpha.

    Args:
        channels (int): 2 (grey + alpha) or 4 (colour + alpha).

    Returns:
        AlphaChannelError: Saying how to proceed.
    """
    kind = 'grey + alpha' if channels == 2 else 'colour + alpha'
    return AlphaChannelError(
        f'has an alpha channel ({channels} channels, {kind}): the model '
        'reads colour only, so its transparency would be lost. Pass '
        "alpha='drop' (tools/infer.py --alpha drop) to use the colour "
        'channels as stored, or composite the image onto a background '
        'first')


def decode_color(data: np.ndarray, alpha: str = 'error') -> np.ndarray | None:
    """Decodes image bytes as ``cv2.imdecode(data, IMREAD_COLOR)`` does.

    Files that can carry alpha (anything but JPEG) are decoded unchanged
    first to see their channels; the returned pixels are always
    ``IMREAD_COLOR``'s (8-bit, EXIF orientation applied).

    Args:
        data (np.ndarray): The file's bytes as a uint8 array.
        alpha (str): ``'error'`` (default) refuses an alpha channel,
            ``'drop'`` ignores it.

    Returns:
        np.ndarray | None: HxWx3 uint8 BGR, or None when OpenCV cannot
        decode the bytes.

    Raises:
        AlphaChannelError: If the image has an alpha channel and
            ``alpha='error'``.
    """
    check_alpha_mode(alpha)
    if not data.size:
        return None
    if alpha == 'error' and bytes(data[:3]) != _JPEG_MAGIC:
        raw = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        if raw is None:
            return None
        if raw.ndim == 3 and raw.shape[2] in (2, 4):
            raise alpha_error(raw.shape[2])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def color_channels(image: np.ndarray, alpha: str = 'error') -> np.ndarray:
    """An HxW / HxWxC uint8 array as HxWx3, channel order kept.

    Grey (C = 1, or no channel axis) is repeated over three channels;
    C = 2 (grey + alpha) and C = 4 (colour + alpha) are refused, or lose
    their alpha with ``alpha='drop'``.

    Args:
        image (np.ndarray): The array.
        alpha (str): ``'error'`` (default) or ``'drop'``.

    Returns:
        np.ndarray: HxWx3 (the input itself when it already is).

    Raises:
        AlphaChannelError: For C = 2 or 4 with ``alpha='error'``.
        ValueError: For any other shape.
    """
    check_alpha_mode(alpha)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise ValueError('expected an HxW or HxWxC image with C in 1..4, '
                         f'got shape {image.shape}')
    channels = image.shape[2]
    if channels in (2, 4):
        if alpha == 'error':
            raise alpha_error(channels)
        image = image[..., :channels - 1]
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return image
