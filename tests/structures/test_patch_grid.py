"""The patch-size rule: multiples of 14, nearest valid sizes, DA-V2 resize."""
import pytest

from da2zoe.structures.patch_grid import (
    check_multiple_of_14,
    keep_aspect_size,
    nearest_valid_sizes,
)


@pytest.mark.parametrize('size,expected', [
    ((480, 640), (518, 686)),
    ((640, 480), (686, 518)),
    ((518, 518), (518, 518)),
    ((101, 137), (518, 700)),
    ((375, 1242), (518, 1722)),  # 1715.6 -> 122.5 patches -> 123
])
def test_keep_aspect_size_matches_da_v2(size, expected):
    assert keep_aspect_size(size, 518) == expected


def test_keep_aspect_size_rule():
    for h, w in [(100, 100), (33, 97), (720, 1280), (17, 5)]:
        new_h, new_w = keep_aspect_size((h, w), 518)
        assert new_h % 14 == 0 and new_w % 14 == 0
        assert min(new_h, new_w) >= 518
        scale = max(518 / h, 518 / w)
        assert abs(new_h - scale * h) < 14 and abs(new_w - scale * w) < 14


@pytest.mark.parametrize('shape', [(480, 640), (375, 1242), (96, 128),
                                   (1080, 1920), (500, 741)])
def test_keep_aspect_resize_preserves_aspect(shape):
    """Defect (f): no square resize; aspect kept within one patch."""
    new_h, new_w = keep_aspect_size(shape, (392, 392))
    assert new_h % 14 == 0 and new_w % 14 == 0
    assert min(new_h, new_w) >= 392
    assert min(new_h, new_w) == 392  # shorter side exactly at the bound
    # Exact aspect would put the longer side within 7 px (rounding).
    if shape[0] < shape[1]:
        assert abs(new_w - 392 * shape[1] / shape[0]) <= 14
    else:
        assert abs(new_h - 392 * shape[0] / shape[1]) <= 14
    assert (new_h, new_w) != (392, 392) or shape[0] == shape[1]


def test_da_v2_rule_values():
    assert keep_aspect_size((480, 640), (392, 392)) == (392, 518)
    assert keep_aspect_size((480, 640), (518, 518)) == (518, 686)
    assert keep_aspect_size((375, 1242), (518, 518)) == (518, 1722)
    assert keep_aspect_size((480, 640), 392) == (392, 518)


def test_nearest_valid_sizes():
    assert nearest_valid_sizes(384) == (378, 392)
    assert nearest_valid_sizes(392) == (392, 406)
    assert nearest_valid_sizes(5) == (14, )
    assert nearest_valid_sizes(200, patch_size=16) == (192, 208)


def test_384_is_rejected_with_392_suggested():
    """Defect (e): the seed's 384 is not a multiple of 14."""
    with pytest.raises(ValueError, match=r'--target-size=384: 384 is not a '
                       r'multiple of 14 .*use 378 or 392'):
        check_multiple_of_14(384, '--target-size')
    with pytest.raises(ValueError, match=r'\(392, 390\).*use 378 or 392$'):
        check_multiple_of_14((392, 390), 'x')
    with pytest.raises(ValueError, match='positive ints'):
        check_multiple_of_14(0, 'x')


def test_valid_sizes_pass():
    assert check_multiple_of_14(392, 'x') == 392
    assert check_multiple_of_14([392, 518], 'x') == (392, 518)


def test_keep_aspect_size_bounds_and_empty_shapes():
    from da2zoe.structures.patch_grid import MAX_SIDE, keep_aspect_size
    assert keep_aspect_size((352, 1216), 518)[1] <= MAX_SIDE  # KITTI fits
    with pytest.raises(ValueError, match='past the 4096 px limit'):
        keep_aspect_size((1, 4000), 518)
    with pytest.raises(ValueError, match=r'empty image: shape \(0, 5\)'):
        keep_aspect_size((0, 5), 518)
