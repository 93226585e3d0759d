"""NYU Depth v2 as DenseDepth's ``nyu_data.zip`` ships it (8-bit train PNGs,
16-bit millimetre test PNGs), and the valid window of NYU's frames."""
from typing import Tuple

import numpy as np

from ..bad_sample import BadSampleError
from .base import DecodedDepth, read_raw, register_decoder, with_validity
from .millimetres import decode_millimetres
from .scaled import ScaledFormat

#: The 8-bit train PNGs: ``v / 255 * 10`` m (saturating at 10 m).
NYU8_PNG = ScaledFormat(metres_per_unit=10 / 255, dtype=np.uint8)
encode_nyu8 = NYU8_PNG.encode
decode_nyu8 = NYU8_PNG.decode
#: Rows 7:474, cols 7:632 of a 480x640 NYU frame hold the image; outside is
#: the white (train) or black (test) border left by the Kinect registration.
NYU_VALID_WINDOW = (7, 474, 7, 632)
NYU_GRID = (480, 640)


@register_decoder('nyu_png')
def read_nyu_png(results: dict) -> DecodedDepth:
    """DenseDepth NYU PNG, decided per file: 8-bit -> ``v / 255 * 10`` m,
    16-bit -> millimetres.

    Args:
        results (dict): The sample, with ``depth_path``.

    Returns:
        tuple[np.ndarray, np.ndarray]: Metres and validity.

    Raises:
        BadSampleError: If the PNG is neither 8- nor 16-bit.
    """
    path = results['depth_path']
    raw = read_raw(path)
    if raw.dtype == np.uint8:
        return with_validity(decode_nyu8(raw))
    if raw.dtype == np.uint16:
        return with_validity(decode_millimetres(raw))
    raise BadSampleError(
        path, f'NYU depth PNGs are 8- or 16-bit, got {raw.dtype}')


def nyu_valid_window(shape: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """NYU's valid window scaled to an image size.

    Args:
        shape (tuple[int, int]): (height, width) of the image.

    Returns:
        tuple[int, int, int, int]: (top, bottom, left, right), half-open;
        edges are ``floor(edge * scale + 0.5)`` (halves round up).
    """
    sy, sx = shape[0] / NYU_GRID[0], shape[1] / NYU_GRID[1]
    top, bottom, left, right = NYU_VALID_WINDOW
    return (int(np.floor(top * sy + 0.5)), int(np.floor(bottom * sy + 0.5)),
            int(np.floor(left * sx + 0.5)), int(np.floor(right * sx + 0.5)))
