"""Reading an uploaded file as an RGB image, or refusing it with a reason."""
import base64
import binascii
import os
import tempfile
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np
import PIL.Image
import PIL.ImageOps

from da2zoe.structures.patch_grid import keep_aspect_size

MIN_SIDE = 8


class UploadError(ValueError):
    """An upload that is not an image the demo can take; the message says
    why, naming the file."""


@dataclass(frozen=True)
class UploadLimits:
    """What the demo accepts.

    Args:
        max_pixels (int): Most pixels of the decoded image. Defaults to
            25 megapixels.
        max_input_pixels (int): Most pixels of the network input the
            keep-aspect resize would make (a 1x4000 strip resized to a
            518-pixel short side would need ~10 GB). Defaults to 4
            megapixels.
    """

    max_pixels: int = 25_000_000
    max_input_pixels: int = 4_000_000


def _image_size(path: str, name: str) -> Tuple[int, int]:
    """``(height, width)`` from the file's header, before any decoding."""
    try:
        with PIL.Image.open(path) as image:
            width, height = image.size
    except PIL.Image.DecompressionBombError as err:
        raise UploadError(f'{name}: image too large ({err})') from None
    except PIL.UnidentifiedImageError:
        raise UploadError(
            f'{name} is not an image this demo can read (PNG, JPEG, WebP, '
            'BMP, TIFF, ...)') from None
    except (OSError, ValueError, SyntaxError) as err:
        # PIL's messages name the server-side copy: keep them off the page.
        raise UploadError(f'{name} could not be read as an image '
                          f'({type(err).__name__})') from None
    return height, width


def check_size(height: int, width: int, name: str, input_size: int,
               limits: UploadLimits,
               network_size: Optional[Callable] = None) -> None:
    """Refuses images too small or too large for the demo.

    Args:
        height (int): Image height.
        width (int): Image width.
        name (str): The file's name, for the message.
        input_size (int): The network's short-side bound (multiple of 14).
        limits (UploadLimits): The bounds.
        network_size (Callable, optional): ``(shape, input_size) ->
            (h, w)`` of the network input; defaults to DA-V2's
            keep-aspect rule (Depth Anything 3 configs pass theirs).

    Raises:
        UploadError: Naming the file, its size and the bound it breaks.
    """
    if min(height, width) < MIN_SIDE:
        raise UploadError(f'{name} is {width}x{height} pixels: too small '
                          f'(at least {MIN_SIDE} pixels a side)')
    if height * width > limits.max_pixels:
        raise UploadError(
            f'{name} is {width}x{height} pixels ({height * width / 1e6:.1f} '
            f'MP): too large, at most {limits.max_pixels / 1e6:.0f} MP')
    try:
        net_h, net_w = (network_size or keep_aspect_size)((height, width),
                                                          input_size)
    except ValueError as err:  # e.g. a strip too thin for DA3's rule
        raise UploadError(f'{name}: {err}') from None
    if net_h * net_w > limits.max_input_pixels:
        raise UploadError(
            f'{name} ({width}x{height}) would be resized to {net_w}x{net_h} '
            f'for the network at input size {input_size}: too large (at '
            f'most {limits.max_input_pixels / 1e6:.0f} MP); crop it or use '
            'a smaller input size')


def read_upload(path: str,
                input_size: int,
                limits: Optional[UploadLimits] = None,
                name: Optional[str] = None,
                network_size: Optional[Callable] = None) -> np.ndarray:
    """Decodes an upload as HxWx3 uint8 RGB, upright per its EXIF tag.

    The size is checked from the header first, so an oversized image is
    refused without being decoded.

    Args:
        path (str): The uploaded file.
        input_size (int): The network's short-side bound, for the size
            check.
        limits (UploadLimits, optional): Defaults to ``UploadLimits()``.
        name (str, optional): The name the user gave the file (messages);
            defaults to the file's base name.
        network_size (Callable, optional): The network's size rule (see
            :func:`check_size`).

    Returns:
        np.ndarray: HxWx3 uint8 RGB.

    Raises:
        UploadError: If the file is not a decodable image, has
            transparent pixels or its size is out of bounds; the message
            names the file.
    """
    limits = limits or UploadLimits()
    name = name or os.path.basename(path)
    if not os.path.isfile(path):
        raise UploadError(f'{name}: the uploaded file is missing')
    height, width = _image_size(path, name)
    check_size(height, width, name, input_size, limits, network_size)
    try:
        with PIL.Image.open(path) as image:
            image = PIL.ImageOps.exif_transpose(image)
            transparent = _has_transparent_pixels(image)
            rgb = _as_rgb8(image, name)
    except UploadError:
        raise
    except (OSError, ValueError, SyntaxError) as err:
        raise UploadError(f'{name} could not be decoded (truncated or '
                          f'corrupt: {type(err).__name__})') from None
    if transparent:
        raise UploadError(
            f'{name} has transparent pixels: depth comes from colour alone, '
            'and the colour under a transparent pixel is arbitrary; upload '
            'it flattened onto a background (without an alpha channel)')
    return np.ascontiguousarray(rgb)


def _as_rgb8(image: PIL.Image.Image, name: str) -> np.ndarray:
    """HxWx3 uint8 RGB of a decoded image, by the rule of ``tools/infer.py``.

    PIL's ``convert('RGB')`` clips a 16-bit grey image at 255 (almost all
    white); OpenCV, which reads files for the API and the command line,
    keeps the top 8 bits. So does this. 32-bit and float images, which
    OpenCV does not read as colour either, are refused by name.
    """
    if image.mode.startswith('I;16'):
        grey = (np.asarray(image).astype(np.uint16) >> 8).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if image.mode in ('I', 'F'):
        raise UploadError(
            f'{name} is a {"32-bit" if image.mode == "I" else "float"} '
            'single-channel image (a depth map?): upload an 8- or 16-bit '
            'photo')
    return np.asarray(image.convert('RGB'))


def _has_transparent_pixels(image: PIL.Image.Image) -> bool:
    """Whether an image's alpha (or palette transparency) hides a pixel.

    A fully opaque alpha, as in most screenshots, holds nothing: such an
    image is read as its colour (the rule of ``tools/infer.py``).
    """
    if image.mode not in ('RGBA', 'LA', 'PA', 'RGBa', 'La') and \
            'transparency' not in image.info:
        return False
    alpha = np.asarray(image.convert('RGBA'))[..., 3]
    return bool(alpha.min() < 255)


def upload_path(payload: dict, folder: str) -> Tuple[str, str]:
    """The file behind a raw Gradio image payload, and its user-given name.

    Args:
        payload (dict): Gradio's ``FileData`` as a dict (``path``,
            ``orig_name``, ``url``): an uploaded file, or a ``data:`` URL
            (pasted from the clipboard), written to ``folder``.
        folder (str): Where a ``data:`` URL's bytes are written.

    Returns:
        tuple[str, str]: The file's path and the name to show.

    Raises:
        UploadError: If the payload holds neither.
    """
    url = payload.get('url') or ''
    name = payload.get('orig_name') or os.path.basename(
        payload.get('path') or '') or 'pasted image'
    if url.startswith('data:'):
        header, _, data = url.partition(',')
        if ';base64' not in header:
            raise UploadError(f'{name}: unsupported data URL')
        try:
            raw = base64.b64decode(data, validate=True)
        except binascii.Error:
            raise UploadError(f'{name}: the data URL is not base64') from None
        with tempfile.NamedTemporaryFile(dir=folder, suffix='.img',
                                         delete=False) as file:
            file.write(raw)
        return file.name, name
    if not payload.get('path'):
        raise UploadError(f'{name}: the upload holds no file')
    return payload['path'], name
