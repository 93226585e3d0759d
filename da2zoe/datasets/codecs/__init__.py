"""On-disk depth formats: one decode and one encode per format.

Each format module holds the array codec (``encode_<fmt>``: metres -> the
stored array; ``decode_<fmt>``: stored array -> float32 metres) and the file
rule a dataset names in each sample's ``depth_decoder`` (registered in
:data:`DEPTH_DECODERS`). A rule refuses a file whose dtype does not match the
format instead of guessing a scale, so a depth map is never silently
mis-decoded; every rule marks zero, negative, NaN and inf depth invalid (and
sets it to 0). Encoders store invalid depth as 0 and keep valid depth valid
(clipped to ``[1, max]`` of an integer format).

========================  =====================================================
rule (module)             format
========================  =====================================================
``nyu_png`` (nyu)         DenseDepth CSV release, decided per file by dtype:
                          uint8 -> ``v / 255 * 10``, uint16 -> ``v / 1000``.
``png_mm`` (millimetres)  uint16 millimetres -> ``v / 1000`` (NYU Eigen split;
                          also the prediction PNGs this toolbox writes).
``sunrgbd_png``           uint16 millimetres rotated left by 3 bits:
                          ``((v >> 3) | (v << 13)) & 0xFFFF) / 1000``.
``kitti_png``             uint16 -> ``v / 256``.
``ibims_png``             uint16 -> ``v * 50 / 65535``; validity also from
                          ``mask_invalid`` and ``mask_transp`` PNGs.
``ibims_mat``             ``.mat`` struct ``data``: ``depth`` in metres,
                          validity from ``mask_invalid * mask_transp``.
``scaled``                 any single-channel file (PNG/TIFF of any integer or
                          float dtype, ``.npy``): ``v * depth_scale``.
``none`` (base)           no dense depth (DA-2K): zeros, nothing valid.
========================  =====================================================

A rule may add format fields to ``results``: the iBims-1 ``.mat`` rule sets
``intrinsics``/``focal`` from ``calib`` and, when the sample asks
``with_ibims_extras``, ``ibims_edges`` (H, W) bool and ``ibims_planes``
``{name: {'mask': (H, W) bool, 'params': array | None}}``.
:func:`nyu_valid_window` gives NYU's valid image window at any size.
"""
from .base import (
    DEPTH_DECODERS,
    DecodedDepth,
    encode_mask,
    opencv_reads_exr,
    quantise,
    read_mask,
    read_raw,
    register_decoder,
    valid_depth,
    with_validity,
    write_raw,
)
from .ibims import (
    IBIMS_PLANES,
    IBIMS_PNG,
    decode_ibims_png,
    encode_ibims_png,
    ibims_calib_to_k,
    load_ibims_mat,
    write_ibims_mat,
)
from .intrinsics import read_intrinsics, set_intrinsics, write_intrinsics
from .kitti import KITTI_PNG, decode_kitti, encode_kitti
from .millimetres import decode_millimetres, encode_millimetres
from .nyu import (
    NYU8_PNG,
    NYU_GRID,
    NYU_VALID_WINDOW,
    decode_nyu8,
    encode_nyu8,
    nyu_valid_window,
)
from .scaled import ScaledFormat, decode_scaled, encode_scaled
from .sunrgbd import decode_sunrgbd, encode_sunrgbd

__all__ = [
    'DEPTH_DECODERS', 'DecodedDepth', 'IBIMS_PLANES', 'IBIMS_PNG', 'KITTI_PNG',
    'NYU8_PNG', 'NYU_GRID', 'NYU_VALID_WINDOW', 'ScaledFormat',
    'decode_ibims_png', 'decode_kitti', 'decode_millimetres', 'decode_nyu8',
    'decode_scaled', 'decode_sunrgbd', 'encode_ibims_png', 'encode_kitti',
    'encode_mask', 'encode_millimetres', 'encode_nyu8', 'encode_scaled',
    'encode_sunrgbd', 'ibims_calib_to_k', 'load_ibims_mat', 'nyu_valid_window',
    'opencv_reads_exr', 'quantise', 'read_intrinsics', 'read_mask', 'read_raw',
    'register_decoder', 'set_intrinsics', 'valid_depth', 'with_validity',
    'write_ibims_mat', 'write_intrinsics', 'write_raw'
]
