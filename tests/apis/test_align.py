import numpy as np
import pytest

from da2zoe.apis.align import align_to_sparse, load_sparse
from da2zoe.testing.synthetic_scenes import render_scene


@pytest.fixture(scope='module')
def depth():
    return render_scene(2, seed=0, size=(48, 64)).depth.astype(np.float64)


def _known(depth, n=40, outliers=4, seed=0):
    rng = np.random.default_rng(seed)
    rows, cols = np.divmod(rng.choice(48 * 64, n, replace=False), 64)
    values = depth[rows, cols].copy()
    values[:outliers] *= 3.0  # e.g. LiDAR returns through a window
    return np.stack([rows, cols, values], 1)


def test_scale_is_recovered_despite_outliers(depth):
    pred = depth / 2.3
    aligned, fit = align_to_sparse(pred, _known(depth))
    assert fit.scale == pytest.approx(2.3, rel=1e-9) and fit.shift == 0
    assert fit.num_inliers == 36 and fit.num_points == 40
    assert np.allclose(aligned, depth, rtol=1e-6)
    # Plain least squares is pulled off by the same outliers.
    plain = align_to_sparse(pred, _known(depth), robust=False)[1]
    assert abs(plain.scale - 2.3) > 0.03


def test_scale_and_shift_from_a_sparse_map(depth, tmp_path):
    pred = (depth - 0.4) / 1.7
    sparse = np.zeros_like(depth)
    pts = _known(depth, outliers=3)
    sparse[pts[:, 0].astype(int), pts[:, 1].astype(int)] = pts[:, 2]
    np.save(tmp_path / 'known.npy', sparse)
    loaded = load_sparse(str(tmp_path / 'known.npy'), depth.shape)
    aligned, fit = align_to_sparse(pred, loaded, shift=True)
    assert (fit.scale, fit.shift) == (pytest.approx(1.7, rel=1e-8),
                                      pytest.approx(0.4, abs=1e-8))


def test_bad_known_depths_are_named(depth, tmp_path):
    with pytest.raises(ValueError, match='0 known depths'):
        align_to_sparse(depth, np.zeros_like(depth))
    (tmp_path / 'p.txt').write_text('# row col depth\n1 2 3\n99 2 3\n')
    with pytest.raises(ValueError, match=r'p.txt: points: 1 lie outside'):
        load_sparse(str(tmp_path / 'p.txt'), depth.shape)
