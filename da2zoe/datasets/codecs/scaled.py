"""Scaled formats: metres = stored value * metres per unit.

A user's own depth files (PNG/TIFF of any integer or float dtype, ``.npy``)
take the scale the folder dataset is given (``depth_scale``); the fixed-scale
formats (NYU's 8-bit PNGs, iBims-1's and KITTI's 16-bit PNGs) are
:class:`ScaledFormat` instances.
"""
from dataclasses import dataclass

import numpy as np

from ..bad_sample import BadSampleError
from .base import (
    DecodedDepth,
    quantise,
    read_raw,
    register_decoder,
    valid_depth,
    with_validity,
)


def encode_scaled(depth: np.ndarray, depth_scale: float,
                  dtype: type = np.float32) -> np.ndarray:
    """Metres -> stored values of ``depth_scale`` metres each.

    Args:
        depth (np.ndarray): (H, W) metres.
        depth_scale (float): Metres per stored unit (1e-3 for millimetres).
        dtype (type): Stored dtype: an unsigned integer (rounded, see
            :func:`~.base.quantise`) or a float. Default: float32.

    Returns:
        np.ndarray: (H, W) stored values; 0 where depth is invalid.
    """
    if np.issubdtype(dtype, np.integer):
        return quantise(depth, 1 / depth_scale, dtype)
    depth = np.asarray(depth, np.float64)
    return np.where(valid_depth(depth), depth / depth_scale, 0).astype(dtype)


def decode_scaled(stored: np.ndarray, depth_scale: float) -> np.ndarray:
    """Stored values -> float32 metres (``v * depth_scale``).

    Args:
        stored (np.ndarray): Any integer or float array.
        depth_scale (float): Metres per stored unit.

    Returns:
        np.ndarray: Metres.
    """
    return stored.astype(np.float32) * np.float32(depth_scale)


@dataclass(frozen=True)
class ScaledFormat:
    """A fixed-scale format: ``dtype`` values of ``metres_per_unit`` each.

    Args:
        metres_per_unit (float): Metres of one stored step.
        dtype (type): The stored dtype.
    """

    metres_per_unit: float
    dtype: type

    def encode(self, depth: np.ndarray) -> np.ndarray:
        """Metres -> stored values (see :func:`encode_scaled`).

        Args:
            depth (np.ndarray): (H, W) metres.

        Returns:
            np.ndarray: (H, W) of ``dtype``; 0 where depth is invalid.
        """
        return encode_scaled(depth, self.metres_per_unit, self.dtype)

    def decode(self, stored: np.ndarray) -> np.ndarray:
        """Stored values -> float32 metres (see :func:`decode_scaled`).

        Args:
            stored (np.ndarray): Values of ``dtype``.

        Returns:
            np.ndarray: Metres.
        """
        return decode_scaled(stored, self.metres_per_unit)


@register_decoder('scaled')
def read_scaled(results: dict) -> DecodedDepth:
    """Any single-channel file -> ``v * depth_scale`` m.

    Args:
        results (dict): The sample, with ``depth_path`` and ``depth_scale``.

    Returns:
        tuple[np.ndarray, np.ndarray]: Metres and validity.
    """
    path = results['depth_path']
    raw = read_raw(path)
    if not (np.issubdtype(raw.dtype, np.integer)
            or np.issubdtype(raw.dtype, np.floating)):
        raise BadSampleError(path, f'unsupported depth dtype {raw.dtype}')
    return with_validity(decode_scaled(raw, results['depth_scale']))
