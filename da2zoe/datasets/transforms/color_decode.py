"""Colour images from files and arrays, never losing an alpha channel
silently.

OpenCV's ``IMREAD_COLOR`` (``cv2.imread``'s default) and PIL's
``convert('RGB')`` drop an alpha channel without a word, so a depth model
would see whatever colour a transparent pixel happens to store. Here a
2-channel (grey + alpha) or 4-channel (colour + alpha) image with a
transparent pixel is an error unless the caller asked to drop the alpha
(``alpha='drop'``); then the colour channels are used as stored. A fully
opaque alpha (every pixel at the maximum, as in most screenshots) holds
nothing and is dropped in either mode.
"""
import cv2
import numpy as np

ALPHA_MODES = ('error', 'drop')
# JPEG has no alpha channel, and a PNG says in its header whether it has
# one (colour type 4 or 6, or a tRNS chunk): such files are decoded once.
_JPEG_MAGIC = b'\xff\xd8\xff'
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
_PNG_ALPHA_TYPES = (4, 6)


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
        f'has an alpha channel ({channels} channels, {kind}) with '
        'transparent pixels: the model reads colour only, so the '
        'transparency would be lost. Pass '
        "alpha='drop' (tools/infer.py --alpha drop) to use the colour "
        'channels as stored, or composite the image onto a background '
        'first')


def is_opaque(alpha_channel: np.ndarray) -> bool:
    """Whether every pixel of an alpha channel is fully opaque.

    Args:
        alpha_channel (np.ndarray): HxW uint8 or uint16 alpha.

    Returns:
        bool: True when no pixel is below the dtype's maximum.
    """
    return bool(alpha_channel.min() == np.iinfo(alpha_channel.dtype).max)


def _may_have_alpha(data: np.ndarray) -> bool:
    """False for files whose header rules an alpha channel out."""
    head = bytes(data[:3])
    if head == _JPEG_MAGIC:
        return False
    raw = data.tobytes()
    if not raw.startswith(_PNG_MAGIC) or len(raw) < 33:
        return True  # other formats: look at the decoded channels
    if raw[25] in _PNG_ALPHA_TYPES:
        return True
    offset = 8
    while offset + 8 <= len(raw):
        length = int.from_bytes(raw[offset:offset + 4], 'big')
        kind = raw[offset + 4:offset + 8]
        if kind == b'tRNS':
            return True
        if kind in (b'IDAT', b'IEND'):
            return False
        offset += 12 + length
    return False


def decode_color(data: np.ndarray, alpha: str = 'error') -> np.ndarray | None:
    """Decodes image bytes as ``cv2.imdecode(data, IMREAD_COLOR)`` does.

    Files that may carry alpha (a PNG whose header says so, formats other
    than PNG and JPEG) are decoded unchanged first to see it; the
    returned pixels are always ``IMREAD_COLOR``'s (8-bit, EXIF
    orientation applied).

    Args:
        data (np.ndarray): The file's bytes as a uint8 array.
        alpha (str): ``'error'`` (default) refuses an alpha channel,
            ``'drop'`` ignores it.

    Returns:
        np.ndarray | None: HxWx3 uint8 BGR, or None when OpenCV cannot
        decode the bytes.

    Raises:
        AlphaChannelError: If the image has a transparent pixel and
            ``alpha='error'``.
    """
    check_alpha_mode(alpha)
    if not data.size:
        return None
    if alpha == 'error' and _may_have_alpha(data):
        raw = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        if raw is None:
            return None
        if raw.ndim == 3 and raw.shape[2] in (2, 4) and not is_opaque(
                raw[..., -1]):
            raise alpha_error(raw.shape[2])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def color_channels(image: np.ndarray, alpha: str = 'error') -> np.ndarray:
    """An HxW / HxWxC uint8 array as HxWx3, channel order kept.

    Grey (C = 1, or no channel axis) is repeated over three channels;
    C = 2 (grey + alpha) and C = 4 (colour + alpha) with a transparent
    pixel are refused, or lose their alpha with ``alpha='drop'`` (a fully
    opaque alpha is dropped in either mode).

    Args:
        image (np.ndarray): The array.
        alpha (str): ``'error'`` (default) or ``'drop'``.

    Returns:
        np.ndarray: HxWx3 (the input itself when it already is).

    Raises:
        AlphaChannelError: For C = 2 or 4 with a transparent pixel and
            ``alpha='error'``.
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
        if alpha == 'error' and not is_opaque(image[..., -1]):
            raise alpha_error(channels)
        image = image[..., :channels - 1]
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return image
