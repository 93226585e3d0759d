"""What every depth codec shares: the rule registry, raw file I/O, validity
and the quantiser of the integer formats."""
import os.path as osp
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np

from ..bad_sample import BadSampleError

DecodedDepth = Tuple[np.ndarray, np.ndarray]
DepthRule = Callable[[dict], DecodedDepth]

#: Rule name (a sample's ``depth_decoder``) -> rule.
DEPTH_DECODERS: Dict[str, DepthRule] = {}


def register_decoder(name: str) -> Callable[[DepthRule], DepthRule]:
    """Register a file rule under ``name`` in :data:`DEPTH_DECODERS`.

    Args:
        name (str): The value datasets put in ``depth_decoder``.

    Returns:
        Callable: The decorator.
    """

    def wrap(fn: DepthRule) -> DepthRule:
        DEPTH_DECODERS[name] = fn
        return fn

    return wrap


def opencv_reads_exr() -> bool:
    """Whether this OpenCV build was compiled with OpenEXR support.

    Reading EXR also needs ``OPENCV_IO_ENABLE_OPENEXR=1`` set before ``cv2``
    is imported.

    Returns:
        bool: True if ``.exr`` depth files can be decoded.
    """
    for line in cv2.getBuildInformation().splitlines():
        if 'OpenEXR' in line:
            return 'NO' not in line.split(':', 1)[-1]
    return False


def read_raw(path: str) -> np.ndarray:
    """Read one depth file without any conversion.

    Args:
        path (str): A PNG/TIFF/EXR image or a ``.npy`` array.

    Returns:
        np.ndarray: The stored array, 2-D.

    Raises:
        BadSampleError: If the file is missing, unreadable or not 2-D.
    """
    if not osp.isfile(path):
        raise BadSampleError(path, 'depth file not found')
    if path.endswith('.npy'):
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise BadSampleError(path, f'unreadable .npy ({err})') from err
    else:
        array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if array is None:
            raise BadSampleError(path, 'OpenCV cannot decode this depth file')
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]  # (H, W, 1): one channel stored explicitly
    if array.ndim != 2:
        raise BadSampleError(
            path, f'depth must be single-channel, got shape {array.shape}')
    return array


def write_raw(path: str, array: np.ndarray) -> None:
    """Write one stored depth array as :func:`read_raw` reads it back.

    Args:
        path (str): ``.npy`` (any dtype) or an image file OpenCV writes
            losslessly for the dtype (PNG: uint8/uint16, TIFF: float32 too).

    Raises:
        OSError: If OpenCV cannot write the file.
    """
    if path.endswith('.npy'):
        np.save(path, array)
    elif not cv2.imwrite(path, np.ascontiguousarray(array)):
        raise OSError(f'could not write {path}')


def read_mask(path: str) -> np.ndarray:
    """Read a mask image: any non-zero pixel is True.

    Args:
        path (str): The mask file.

    Returns:
        np.ndarray: (H, W) bool.

    Raises:
        BadSampleError: If the file is missing or unreadable.
    """
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise BadSampleError(path, 'mask file missing or unreadable')
    return np.squeeze(mask) > 0


def encode_mask(mask: np.ndarray) -> np.ndarray:
    """A bool mask as an 8-bit image (0 / 255) that :func:`read_mask` reads.

    Args:
        mask (np.ndarray): (H, W) bool.

    Returns:
        np.ndarray: (H, W) uint8.
    """
    return np.where(mask, np.uint8(255), np.uint8(0))


def require_dtype(path: str, array: np.ndarray, dtype: type,
                  rule: str) -> None:
    """Refuse a file whose dtype is not the format's (never guess a scale).

    Args:
        path (str): The file, named in the error.
        array (np.ndarray): Its stored array.
        dtype (type): The format's dtype.
        rule (str): The rule's name, named in the error.

    Raises:
        BadSampleError: If the dtypes differ.
    """
    if array.dtype != dtype:
        raise BadSampleError(
            path, f'the {rule} rule expects {np.dtype(dtype).name} depth, '
            f'got {array.dtype}: refusing to guess its scale')


def valid_depth(depth: np.ndarray) -> np.ndarray:
    """Where a depth map holds a usable value: finite and positive.

    Args:
        depth (np.ndarray): Metres.

    Returns:
        np.ndarray: bool, same shape.
    """
    return np.isfinite(depth) & (depth > 0)


def with_validity(depth: np.ndarray,
                  valid: Optional[np.ndarray] = None) -> DecodedDepth:
    """Mark non-finite and non-positive depth invalid and zero it.

    Args:
        depth (np.ndarray): Metres, any float dtype.
        valid (np.ndarray, optional): Extra validity from the format.

    Returns:
        tuple[np.ndarray, np.ndarray]: float32 depth and bool validity.
    """
    depth = np.asarray(depth, dtype=np.float32)
    ok = valid_depth(depth)
    if valid is not None:
        ok &= valid.astype(bool)
    return np.where(ok, depth, np.float32(0)), ok


def quantise(depth: np.ndarray, units_per_metre: float,
             dtype: type) -> np.ndarray:
    """Metres -> an integer format: ``round(d * units_per_metre)``.

    Invalid depth (zero, negative, NaN, inf) is stored as 0; valid depth is
    clipped to ``[1, max of dtype]`` so that a tiny valid value never reads
    back as invalid and a far one saturates.

    Args:
        depth (np.ndarray): Metres.
        units_per_metre (float): Stored units per metre.
        dtype (type): An unsigned integer dtype.

    Returns:
        np.ndarray: The stored array.
    """
    depth = np.asarray(depth, dtype=np.float64)
    valid = valid_depth(depth)
    stored = np.zeros(depth.shape, dtype)
    stored[valid] = np.clip(
        np.round(depth[valid] * units_per_metre), 1, np.iinfo(dtype).max)
    return stored


def read_stored(path: str, dtype: type, rule: str) -> np.ndarray:
    """Read a depth file of a format with one dtype, refusing any other.

    Args:
        path (str): The depth file.
        dtype (type): The format's dtype.
        rule (str): The rule's name, named in the error.

    Returns:
        np.ndarray: The stored array.

    Raises:
        BadSampleError: If the file is unusable or of another dtype.
    """
    raw = read_raw(path)
    require_dtype(path, raw, dtype, rule)
    return raw


def register_fixed_dtype_rule(
        name: str, dtype: type,
        decode: Callable[[np.ndarray], np.ndarray]) -> DepthRule:
    """Register the rule of a format that is one dtype and one formula.

    Args:
        name (str): The rule's name (a sample's ``depth_decoder``).
        dtype (type): The format's dtype; files of another are refused.
        decode (Callable): Stored array -> metres.

    Returns:
        Callable: The rule, ``results -> (metres, validity)``.
    """

    def rule(results: dict) -> DecodedDepth:
        path = results['depth_path']
        return with_validity(decode(read_stored(path, dtype, name)))

    rule.__name__ = rule.__qualname__ = f'read_{name}'
    rule.__doc__ = (f'The ``{name}`` rule: {np.dtype(dtype).name} file -> '
                    f'``{decode.__name__}`` -> metres and validity.')
    return register_decoder(name)(rule)


@register_decoder('none')
def read_none(results: dict) -> DecodedDepth:
    """No dense depth (DA-2K): zeros of the image's size, nothing valid.

    Args:
        results (dict): The sample, with ``img``.

    Returns:
        tuple[np.ndarray, np.ndarray]: Zero depth, all-False validity.
    """
    height, width = results['img'].shape[:2]
    return (np.zeros((height, width), np.float32),
            np.zeros((height, width), bool))
