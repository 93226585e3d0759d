"""Depth decoding rules, one per file format: stored value -> metres + validity.

Every dataset names its rule in each sample's ``depth_decoder`` key; the rule
refuses a file whose dtype does not match the format instead of guessing a
scale, so a depth map is never silently mis-decoded.

========================  =====================================================
name                      rule
========================  =====================================================
``nyu_png``               DenseDepth CSV release, decided per file by dtype:
                          uint8 -> ``v / 255 * 10``, uint16 -> ``v / 1000``.
``png_mm``                uint16 millimetres -> ``v / 1000`` (NYU Eigen split).
``sunrgbd_png``           uint16 millimetres rotated left by 3 bits:
                          ``((v >> 3) | (v << 13)) & 0xFFFF) / 1000``.
``kitti_png``             uint16 -> ``v / 256``.
``ibims_png``             uint16 -> ``v * 50 / 65535``; validity also from
                          ``mask_invalid`` and ``mask_transp`` PNGs.
``ibims_mat``             ``.mat`` struct ``data``: ``depth`` in metres,
                          validity from ``mask_invalid * mask_transp``.
``scaled``                any single-channel file (PNG/TIFF of any integer or
                          float dtype, ``.npy``): ``v * depth_scale``.
``none``                  no dense depth (DA-2K): zeros, nothing valid.
========================  =====================================================

All rules mark zero, negative, NaN and inf depth invalid (and set it to 0).
A rule may add format fields to ``results``: the iBims-1 ``.mat`` rule sets
``intrinsics``/``focal`` from ``calib`` and, when the sample asks
``with_ibims_extras``, ``ibims_edges`` (H, W) bool and ``ibims_planes``
``{name: {'mask': (H, W) bool, 'params': array | None}}``.
"""
import functools
import os.path as osp
from typing import Callable, Dict, Tuple

import cv2
import numpy as np

from .bad_sample import BadSampleError

DecodedDepth = Tuple[np.ndarray, np.ndarray]
DepthDecoder = Callable[[dict], DecodedDepth]

DEPTH_DECODERS: Dict[str, DepthDecoder] = {}

IBIMS_PLANES = ('wall', 'table', 'floor')


def register_decoder(name: str) -> Callable[[DepthDecoder], DepthDecoder]:
    """Register a rule under ``name`` in :data:`DEPTH_DECODERS`.

    Args:
        name (str): The value datasets put in ``depth_decoder``.

    Returns:
        Callable: The decorator.
    """

    def wrap(fn: DepthDecoder) -> DepthDecoder:
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
    array = np.squeeze(array)
    if array.ndim != 2:
        raise BadSampleError(
            path, f'depth must be single-channel, got shape {array.shape}')
    return array


def _require_dtype(path: str, array: np.ndarray, dtype: type,
                   rule: str) -> None:
    if array.dtype != dtype:
        raise BadSampleError(
            path, f'the {rule} rule expects {np.dtype(dtype).name} depth, '
            f'got {array.dtype}: refusing to guess its scale')


def finish(depth: np.ndarray, valid: np.ndarray = None) -> DecodedDepth:
    """Mark non-finite and non-positive depth invalid and zero it.

    Args:
        depth (np.ndarray): Metres, any float dtype.
        valid (np.ndarray, optional): Extra validity from the format.

    Returns:
        tuple[np.ndarray, np.ndarray]: float32 depth and bool validity.
    """
    depth = np.asarray(depth, dtype=np.float32)
    ok = np.isfinite(depth) & (depth > 0)
    if valid is not None:
        ok &= valid.astype(bool)
    return np.where(ok, depth, np.float32(0)), ok


@register_decoder('nyu_png')
def decode_nyu_png(results: dict) -> DecodedDepth:
    """DenseDepth NYU PNG: 8-bit -> ``v / 255 * 10`` m, 16-bit -> mm."""
    path = results['depth_path']
    raw = read_raw(path)
    if raw.dtype == np.uint8:
        return finish(raw.astype(np.float32) * np.float32(10 / 255))
    if raw.dtype == np.uint16:
        return finish(raw.astype(np.float32) / np.float32(1000))
    raise BadSampleError(
        path, f'NYU depth PNGs are 8- or 16-bit, got {raw.dtype}')


@register_decoder('png_mm')
def decode_png_mm(results: dict) -> DecodedDepth:
    """16-bit PNG in millimetres -> ``v / 1000`` m."""
    path = results['depth_path']
    raw = read_raw(path)
    _require_dtype(path, raw, np.uint16, 'png_mm')
    return finish(raw.astype(np.float32) / np.float32(1000))


def sunrgbd_to_metres(raw: np.ndarray) -> np.ndarray:
    """Undo SUN RGB-D's 3-bit left rotation of the millimetre value.

    Args:
        raw (np.ndarray): uint16 array as stored in the PNG.

    Returns:
        np.ndarray: float32 metres.
    """
    mm = (raw >> np.uint16(3)) | (raw << np.uint16(13))
    return mm.astype(np.float32) / np.float32(1000)


@register_decoder('sunrgbd_png')
def decode_sunrgbd_png(results: dict) -> DecodedDepth:
    """SUN RGB-D 16-bit PNG with its 3-bit rotation -> metres."""
    path = results['depth_path']
    raw = read_raw(path)
    _require_dtype(path, raw, np.uint16, 'sunrgbd_png')
    return finish(sunrgbd_to_metres(raw))


@register_decoder('kitti_png')
def decode_kitti_png(results: dict) -> DecodedDepth:
    """KITTI 16-bit PNG -> ``v / 256`` m."""
    path = results['depth_path']
    raw = read_raw(path)
    _require_dtype(path, raw, np.uint16, 'kitti_png')
    return finish(raw.astype(np.float32) / np.float32(256))


@register_decoder('scaled')
def decode_scaled(results: dict) -> DecodedDepth:
    """Any single-channel file -> ``v * depth_scale`` m."""
    path = results['depth_path']
    raw = read_raw(path)
    if not (np.issubdtype(raw.dtype, np.integer)
            or np.issubdtype(raw.dtype, np.floating)):
        raise BadSampleError(path, f'unsupported depth dtype {raw.dtype}')
    scale = results['depth_scale']
    return finish(raw.astype(np.float32) * np.float32(scale))


@register_decoder('none')
def decode_none(results: dict) -> DecodedDepth:
    """No dense depth: zeros of the image's size, nothing valid."""
    height, width = results['img'].shape[:2]
    return (np.zeros((height, width), np.float32),
            np.zeros((height, width), bool))


def _read_mask(path: str) -> np.ndarray:
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise BadSampleError(path, 'mask file missing or unreadable')
    return np.squeeze(mask) > 0


@register_decoder('ibims_png')
def decode_ibims_png(results: dict) -> DecodedDepth:
    """iBims-1 PNG release: ``v * 50 / 65535`` m, masks from sibling PNGs.

    ``results['ibims_mask_paths']`` holds ``mask_invalid`` (1 = valid) and
    ``mask_transp`` (1 = not transparent) paths.
    """
    path = results['depth_path']
    raw = read_raw(path)
    _require_dtype(path, raw, np.uint16, 'ibims_png')
    valid = np.ones(raw.shape, bool)
    for mask_path in results['ibims_mask_paths'].values():
        mask = _read_mask(mask_path)
        if mask.shape != raw.shape:
            raise BadSampleError(
                mask_path, f'mask {mask.shape} does not match depth '
                f'{raw.shape}')
        valid &= mask
    if results.get('with_ibims_extras'):
        paths = results.get('ibims_extra_paths', {})
        if 'edges' in paths:
            results['ibims_edges'] = _read_mask(paths['edges'])
        results['ibims_planes'] = {
            name: dict(mask=_read_mask(paths[f'mask_{name}']), params=None)
            for name in IBIMS_PLANES if f'mask_{name}' in paths
        }
    return finish(raw.astype(np.float32) * np.float32(50 / 65535), valid)


@functools.lru_cache(maxsize=2)
def load_ibims_mat(path: str) -> Dict[str, np.ndarray]:
    """Fields of an iBims-1 ``.mat`` file's ``data`` struct (cached: image and
    depth loading read the same file).

    Args:
        path (str): The ``.mat`` file.

    Returns:
        dict[str, np.ndarray]: Field name -> array; do not modify in place.

    Raises:
        BadSampleError: If the file is missing or has no ``data`` struct.
    """
    from scipy.io import loadmat
    if not osp.isfile(path):
        raise BadSampleError(path, 'iBims .mat file not found')
    try:
        mat = loadmat(path, squeeze_me=True, struct_as_record=False)
    except (OSError, ValueError) as err:
        raise BadSampleError(path, f'unreadable .mat ({err})') from err
    if 'data' not in mat:
        raise BadSampleError(path, 'no struct named "data" in the .mat file')
    data = mat['data']
    return {name: np.asarray(getattr(data, name)) for name in data._fieldnames}


@register_decoder('ibims_mat')
def decode_ibims_mat(results: dict) -> DecodedDepth:
    """iBims-1 ``.mat``: metres in ``depth``, validity from the two masks."""
    path = results['depth_path']
    fields = load_ibims_mat(path)
    for key in ('depth', 'mask_invalid', 'mask_transp'):
        if key not in fields:
            raise BadSampleError(path, f'iBims struct has no "{key}" field')
    valid = (fields['mask_invalid'] > 0) & (fields['mask_transp'] > 0)
    if 'calib' in fields:
        set_intrinsics(results, ibims_calib_to_k(fields['calib']))
    if results.get('with_ibims_extras'):
        if 'edges' in fields:
            results['ibims_edges'] = fields['edges'] > 0
        # Plane masks stay label maps: plane j of a type has label j + 1
        # and matches row j of its ``_paras`` (several walls per image).
        results['ibims_planes'] = {
            name: dict(
                mask=np.asarray(fields[f'mask_{name}']).astype(np.int32),
                params=np.array(fields.get(f'mask_{name}_paras'), np.float64)
                if f'mask_{name}_paras' in fields else None)
            for name in IBIMS_PLANES if f'mask_{name}' in fields
        }
    return finish(fields['depth'], valid)


def ibims_calib_to_k(calib: np.ndarray) -> np.ndarray:
    """A standard pinhole K from iBims-1's ``calib``.

    The released ``.mat`` files store MATLAB's camera matrix: the transpose
    of K, with a 1-based principal point in the bottom row. Such a matrix is
    transposed and the principal point moved to 0-based pixels; a matrix that
    already is a standard K (principal point in the last column) is kept.

    Args:
        calib (np.ndarray): 3x3 (or 9 numbers, row-major).
    """
    k = np.asarray(calib, np.float64).reshape(3, 3).copy()
    if k[0, 2] == 0 and k[1, 2] == 0 and (k[2, 0] != 0 or k[2, 1] != 0):
        k = k.T.copy()
        k[0, 2] -= 1.0
        k[1, 2] -= 1.0
    return k


def set_intrinsics(results: dict, matrix: np.ndarray) -> None:
    """Record a 3x3 pinhole matrix as ``intrinsics`` and its fx as ``focal``.

    Args:
        results (dict): The sample.
        matrix (np.ndarray): 9 numbers, row-major.
    """
    matrix = np.asarray(matrix, np.float64).reshape(3, 3)
    results['intrinsics'] = matrix.tolist()
    results['focal'] = float(matrix[0, 0])


def read_intrinsics(results: dict) -> None:
    """Load ``intrinsics_path`` (a 3x3 text matrix) into the sample, if set.

    Args:
        results (dict): The sample.

    Raises:
        BadSampleError: If the file is missing or not 9 numbers.
    """
    path = results.get('intrinsics_path')
    if not path:
        return
    try:
        set_intrinsics(results, np.loadtxt(path))
    except (OSError, ValueError) as err:
        raise BadSampleError(path, f'unreadable intrinsics ({err})') from err
