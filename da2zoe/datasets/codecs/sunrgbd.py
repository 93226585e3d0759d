"""SUN RGB-D: 16-bit millimetres rotated left by 3 bits.

Reading such a PNG as plain millimetres gives ~8x too deep (exactly 8x below
8.192 m, where no bit wraps round).
"""
import numpy as np

from .base import register_fixed_dtype_rule
from .millimetres import decode_millimetres, encode_millimetres


def encode_sunrgbd(depth: np.ndarray) -> np.ndarray:
    """Metres -> millimetres rotated left by 3 bits (as SUN RGB-D stores).

    Args:
        depth (np.ndarray): (H, W) metres.

    Returns:
        np.ndarray: (H, W) uint16.
    """
    mm = encode_millimetres(depth)
    return (mm << np.uint16(3)) | (mm >> np.uint16(13))


def decode_sunrgbd(stored: np.ndarray) -> np.ndarray:
    """Stored value -> float32 metres: undo the rotation, then ``/ 1000``.

    Args:
        stored (np.ndarray): uint16 array as stored in the PNG.

    Returns:
        np.ndarray: Metres.
    """
    mm = (stored >> np.uint16(3)) | (stored << np.uint16(13))
    return decode_millimetres(mm)


read_sunrgbd_png = register_fixed_dtype_rule('sunrgbd_png', np.uint16,
                                             decode_sunrgbd)
