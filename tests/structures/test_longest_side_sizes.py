"""Depth Anything 3's size rule (``longest_side_sizes``)."""
import pytest

from da2zoe.structures.patch_grid import longest_side_sizes, nearest_multiple


@pytest.mark.parametrize('shape, first, final', [
    ((480, 640), (378, 504), (378, 504)),
    ((375, 1242), (152, 504), (154, 504)),   # a second, enlarging resize
    ((1000, 750), (504, 378), (504, 378)),
    ((200, 300), (336, 504), (336, 504)),
    ((504, 700), (363, 504), (364, 504)),
    ((504, 300), (504, 300), (504, 294)),    # longest side already 504
])
def test_reference_sizes(shape, first, final):
    assert longest_side_sizes(shape, 504) == (first, final)


def test_nearest_multiple_tie_goes_up():
    assert [nearest_multiple(s) for s in (6, 7, 20, 21, 28)] == [
        0, 14, 14, 28, 28]


def test_python_round_halves_to_even():
    # 13 x 2600 at 1300: 6.5 -> 6 (even), under half a patch; at 1302:
    # 6.51 -> 7 -> one patch.
    with pytest.raises(ValueError, match='becomes 6 px'):
        longest_side_sizes((13, 2600), 1300)
    assert longest_side_sizes((13, 2600), 1302) == ((7, 1302), (14, 1302))


@pytest.mark.parametrize('bad', [0, -504, 50.5, True])
def test_bad_process_res(bad):
    with pytest.raises(ValueError, match='process_res'):
        longest_side_sizes((480, 640), bad)


def test_too_thin_names_a_working_process_res():
    with pytest.raises(ValueError, match=r'10x2000.*>= 1301'):
        longest_side_sizes((10, 2000), 504)
    assert longest_side_sizes((10, 2000), 1301)[1] == (14, 1302)
    with pytest.raises(ValueError):
        longest_side_sizes((10, 2000), 1300)
