"""Each on-disk depth format: encode -> file -> the dataset's rule -> metres.

Inputs sit where a codec could fail: the ends of the stored range, invalid
(zero, negative, NaN, inf) pixels, tiny valid depth, depth past the range,
and the bits that SUN RGB-D's 3-bit rotation carries round.
"""
import numpy as np
import pytest

from da2zoe.datasets import DEPTH_DECODERS
from da2zoe.datasets.codecs import (
    NYU_VALID_WINDOW,
    decode_ibims_png,
    decode_kitti,
    decode_millimetres,
    decode_nyu8,
    decode_scaled,
    decode_sunrgbd,
    encode_ibims_png,
    encode_kitti,
    encode_millimetres,
    encode_nyu8,
    encode_scaled,
    encode_sunrgbd,
    nyu_valid_window,
    read_intrinsics,
    write_intrinsics,
    write_raw,
)

INVALID = [0.0, -1.0, np.nan, np.inf, -np.inf]

# name, encoder, decoder, dtype, metres per stored unit, rule
INTEGER_FORMATS = [
    ('nyu8', encode_nyu8, decode_nyu8, np.uint8, 10 / 255, 'nyu_png'),
    ('nyu16', encode_millimetres, decode_millimetres, np.uint16, 1e-3,
     'nyu_png'),
    ('millimetres', encode_millimetres, decode_millimetres, np.uint16, 1e-3,
     'png_mm'),
    ('kitti', encode_kitti, decode_kitti, np.uint16, 1 / 256, 'kitti_png'),
    ('ibims', encode_ibims_png, decode_ibims_png, np.uint16, 50 / 65535,
     'ibims_png'),
    ('sunrgbd', encode_sunrgbd, decode_sunrgbd, np.uint16, 1e-3,
     'sunrgbd_png'),
]
IDS = [f[0] for f in INTEGER_FORMATS]


def _depths(unit: float, top: int) -> np.ndarray:
    """In-range depths from the first to the last stored step, plus ties."""
    steps = np.array([1, 2, 3, top // 2, top - 1, top])
    ties = np.array([1.5, 2.5, top - 0.5])  # halfway between two steps
    return np.concatenate([steps, ties, steps + 0.3]).clip(1, top) * unit


@pytest.mark.parametrize('name,encode,decode,dtype,unit,rule',
                         INTEGER_FORMATS, ids=IDS)
def test_integer_round_trip_within_half_a_step(name, encode, decode, dtype,
                                               unit, rule):
    top = np.iinfo(dtype).max
    depth = _depths(unit, top)
    stored = encode(depth)
    assert stored.dtype == dtype
    back = decode(stored)
    assert back.dtype == np.float32
    # Half a step, plus float32 rounding of the metres.
    assert (np.abs(back - depth) <= unit / 2 + 1.2e-7 * depth + 1e-9).all()
    # Exact steps come back exactly (to float32).
    exact = np.arange(1, 6) * unit
    np.testing.assert_allclose(decode(encode(exact)), exact, rtol=1e-6)


@pytest.mark.parametrize('name,encode,decode,dtype,unit,rule',
                         INTEGER_FORMATS, ids=IDS)
def test_invalid_is_zero_tiny_stays_valid_far_saturates(
        name, encode, decode, dtype, unit, rule):
    top = np.iinfo(dtype).max
    stored = encode(np.array(INVALID + [unit / 10, top * unit * 3]))
    assert (decode(stored[:len(INVALID)]) == 0).all()
    # Under half a step still reads back valid: the first step.
    assert decode(stored[len(INVALID):len(INVALID) + 1])[0] == pytest.approx(
        unit, rel=1e-6)
    # Beyond the range: the last step, never a wrap-around.
    assert decode(stored[-1:])[0] == pytest.approx(top * unit, rel=1e-6)


@pytest.mark.parametrize('name,encode,decode,dtype,unit,rule',
                         INTEGER_FORMATS, ids=IDS)
def test_file_round_trip_through_the_dataset_rule(tmp_path, name, encode,
                                                  decode, dtype, unit, rule):
    top = np.iinfo(dtype).max
    depth = np.zeros((4, 6))
    depth[0] = [unit, 2 * unit, top * unit, top * unit * 2, 0, np.nan]
    depth[1:] = np.linspace(unit, top * unit, 18).reshape(3, 6)
    path = str(tmp_path / 'depth.png')
    write_raw(path, encode(depth))
    results = dict(depth_path=path)
    if rule == 'ibims_png':
        mask = str(tmp_path / 'mask.png')
        write_raw(mask, np.full(depth.shape, 255, np.uint8))
        results['ibims_mask_paths'] = dict(mask_invalid=mask,
                                           mask_transp=mask)
    metres, valid = DEPTH_DECODERS[rule](results)
    assert metres.dtype == np.float32 and valid.dtype == bool
    expected_valid = np.isfinite(depth) & (depth > 0)
    np.testing.assert_array_equal(valid, expected_valid)
    assert (metres[~valid] == 0).all()
    expected = np.minimum(depth, top * unit)[valid]
    assert (np.abs(metres[valid] - expected) <=
            unit / 2 + 1.2e-7 * expected + 1e-9).all()


def test_sunrgbd_rotation_carries_the_top_bits():
    # 8.192 m = 0x2000 mm: its top bit wraps round to bit 0.
    mm = np.array([1, 0x1FFF, 0x2000, 0xE000, 0xFFFF], np.uint16)
    stored = encode_sunrgbd(mm / 1000.0)
    np.testing.assert_array_equal(
        stored, [8, 0xFFF8, 0x0001, 0x0007, 0xFFFF])
    np.testing.assert_allclose(decode_sunrgbd(stored), mm / 1000.0,
                               rtol=1e-6)
    # Read as plain millimetres: exactly 8x below 8.192 m.
    np.testing.assert_allclose(
        decode_millimetres(stored[:2]), 8 * mm[:2] / 1000.0, rtol=1e-6)


def test_rules_refuse_the_wrong_dtype(tmp_path):
    path = str(tmp_path / 'depth.png')
    write_raw(path, encode_nyu8(np.full((3, 3), 2.0)))
    for rule in ('png_mm', 'kitti_png', 'sunrgbd_png'):
        with pytest.raises(ValueError, match='refusing to guess'):
            DEPTH_DECODERS[rule](dict(depth_path=path))
    assert DEPTH_DECODERS['nyu_png'](dict(depth_path=path))[1].all()


@pytest.mark.parametrize('suffix,dtype,scale', [('.png', np.uint16, 1e-3),
                                                ('.png', np.uint8, 0.05),
                                                ('.tiff', np.float32, 1.0),
                                                ('.npy', np.float32, 1.0),
                                                ('.npy', np.float64, 0.5)])
def test_folder_round_trip(tmp_path, suffix, dtype, scale):
    depth = np.array([[scale, 2.5 * scale, 0.0, np.nan],
                      [1.0, 7.25, -3.0, np.inf]])
    stored = encode_scaled(depth, scale, dtype)
    assert stored.dtype == dtype
    path = str(tmp_path / f'depth{suffix}')
    write_raw(path, stored)
    metres, valid = DEPTH_DECODERS['scaled'](
        dict(depth_path=path, depth_scale=scale))
    np.testing.assert_array_equal(valid,
                                  [[True, True, False, False],
                                   [True, True, False, False]])
    assert (metres[~valid] == 0).all()
    tolerance = scale / 2 if np.issubdtype(dtype, np.integer) else 1e-6
    assert np.abs(metres[valid] - depth[valid]).max() <= tolerance + 1e-6
    np.testing.assert_array_equal(decode_scaled(stored, scale)[valid],
                                  metres[valid])


def test_float_folder_keeps_float32_metres_exactly():
    depth = np.random.default_rng(0).uniform(0.1, 80, (5, 7)).astype(
        np.float32)
    np.testing.assert_array_equal(encode_scaled(depth, 1.0), depth)


def test_millimetres_match_the_prediction_writer_rule():
    depth = np.array([np.nan, 0.0, 0.0001, 0.0015, 1.2345, 70.0])
    np.testing.assert_array_equal(encode_millimetres(depth),
                                  [0, 0, 1, 2, 1234, 65535])


def test_nyu_window_scales_with_halves_rounding_up():
    assert nyu_valid_window((480, 640)) == NYU_VALID_WINDOW
    assert nyu_valid_window((240, 320)) == (4, 237, 4, 316)
    assert nyu_valid_window((960, 1280)) == (14, 948, 14, 1264)


def test_intrinsics_text_round_trip(tmp_path):
    k = np.array([[518.8579, 0, 325.5824], [0, 519.4696, 253.7362],
                  [0, 0, 1]])
    path = str(tmp_path / 'intrinsics.txt')
    write_intrinsics(path, k)
    results = dict(intrinsics_path=path)
    read_intrinsics(results)
    np.testing.assert_allclose(results['intrinsics'], k, atol=1e-6)
    assert results['focal'] == pytest.approx(518.8579)
