"""16-bit PNG millimetres: NYU's test PNGs, the NYU Eigen split (BTS /
ZoeDepth / Depth Anything) and the prediction PNGs this toolbox writes."""
import numpy as np

from .base import quantise, register_fixed_dtype_rule


def encode_millimetres(depth: np.ndarray) -> np.ndarray:
    """Metres -> uint16 millimetres, rounded; 0 = invalid, 65535 = clipped.

    Args:
        depth (np.ndarray): (H, W) metres.

    Returns:
        np.ndarray: (H, W) uint16.
    """
    return quantise(depth, 1000.0, np.uint16)


def decode_millimetres(stored: np.ndarray) -> np.ndarray:
    """uint16 millimetres -> float32 metres (``v / 1000``).

    Args:
        stored (np.ndarray): The stored values.

    Returns:
        np.ndarray: Metres; 0 where nothing was measured.
    """
    return stored.astype(np.float32) / np.float32(1000)


read_png_mm = register_fixed_dtype_rule('png_mm', np.uint16,
                                        decode_millimetres)
