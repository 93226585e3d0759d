"""iBims-1: the PNG release (uint16, metres = ``v * 50 / 65535``, masks in
sibling PNGs) and the ``.mat`` release (struct ``data``, metres)."""
import functools
import os.path as osp
from typing import Dict

import numpy as np

from ..bad_sample import BadSampleError
from .base import (
    DecodedDepth,
    read_mask,
    read_stored,
    register_decoder,
    with_validity,
)
from .intrinsics import set_intrinsics
from .scaled import ScaledFormat

IBIMS_PLANES = ('wall', 'table', 'floor')
#: The PNG release's depth: ``v * 50 / 65535`` m, 0 = missing.
IBIMS_PNG = ScaledFormat(metres_per_unit=50 / 65535, dtype=np.uint16)
encode_ibims_png = IBIMS_PNG.encode
decode_ibims_png = IBIMS_PNG.decode


@register_decoder('ibims_png')
def read_ibims_png(results: dict) -> DecodedDepth:
    """iBims-1 PNG release: metres from the PNG, masks from sibling PNGs.

    ``results['ibims_mask_paths']`` holds ``mask_invalid`` (1 = valid) and
    ``mask_transp`` (1 = not transparent) paths. With ``with_ibims_extras``
    the sample also gets ``ibims_edges`` and ``ibims_planes`` from
    ``results['ibims_extra_paths']``.

    Args:
        results (dict): The sample.

    Returns:
        tuple[np.ndarray, np.ndarray]: Metres and validity.
    """
    raw = read_stored(results['depth_path'], np.uint16, 'ibims_png')
    valid = np.ones(raw.shape, bool)
    for mask_path in results['ibims_mask_paths'].values():
        mask = read_mask(mask_path)
        if mask.shape != raw.shape:
            raise BadSampleError(
                mask_path, f'mask {mask.shape} does not match depth '
                f'{raw.shape}')
        valid &= mask
    if results.get('with_ibims_extras'):
        paths = results.get('ibims_extra_paths', {})
        if 'edges' in paths:
            results['ibims_edges'] = read_mask(paths['edges'])
        results['ibims_planes'] = {
            name: dict(mask=read_mask(paths[f'mask_{name}']), params=None)
            for name in IBIMS_PLANES if f'mask_{name}' in paths
        }
    return with_validity(decode_ibims_png(raw), valid)


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
    # scipy.io takes ~0.1 s to import; only the iBims .mat release needs it.
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


def write_ibims_mat(path: str, fields: Dict[str, np.ndarray]) -> None:
    """Write fields as an iBims-1 ``.mat`` file's ``data`` struct.

    Args:
        path (str): The ``.mat`` file.
        fields (dict[str, np.ndarray]): ``rgb``, ``depth`` (metres, 0
            missing), ``mask_invalid`` (1 = valid), ``mask_transp`` (1 = not
            transparent) and optional ``edges``, ``calib``, ``mask_<plane>``.
    """
    from scipy.io import savemat  # see load_ibims_mat
    savemat(path, {'data': fields}, do_compression=True)


@register_decoder('ibims_mat')
def read_ibims_mat(results: dict) -> DecodedDepth:
    """iBims-1 ``.mat``: metres in ``depth``, validity from the two masks.

    Sets ``intrinsics``/``focal`` from ``calib`` and, with
    ``with_ibims_extras``, ``ibims_edges`` and ``ibims_planes``.

    Args:
        results (dict): The sample, with ``depth_path``; gets the fields
            above.

    Returns:
        tuple[np.ndarray, np.ndarray]: Metres and validity.
    """
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
    return with_validity(fields['depth'], valid)


def ibims_calib_to_k(calib: np.ndarray) -> np.ndarray:
    """A standard pinhole K from iBims-1's ``calib``.

    The released ``.mat`` files store MATLAB's camera matrix: the transpose
    of K, with a 1-based principal point in the bottom row. Such a matrix is
    transposed and the principal point moved to 0-based pixels; a matrix that
    already is a standard K (principal point in the last column) is kept.

    Args:
        calib (np.ndarray): 3x3 (or 9 numbers, row-major).

    Returns:
        np.ndarray: (3, 3) float64 K.
    """
    k = np.asarray(calib, np.float64).reshape(3, 3).copy()
    if k[0, 2] == 0 and k[1, 2] == 0 and (k[2, 0] != 0 or k[2, 1] != 0):
        k = k.T.copy()
        k[0, 2] -= 1.0
        k[1, 2] -= 1.0
    return k
