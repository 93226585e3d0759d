"""iBims-1's MATLAB calibration and plane label maps reach the metrics
right."""
import numpy as np
from scipy.io import savemat

from da2zoe.datasets.codecs import ibims_calib_to_k
from da2zoe.datasets.codecs.ibims import read_ibims_mat


def test_matlab_calib_becomes_a_zero_based_k():
    matlab = np.array([[518.0, 0, 0], [0, 519.0, 0], [325.5, 253.5, 1.0]])
    k = ibims_calib_to_k(matlab)
    np.testing.assert_array_equal(
        k, [[518.0, 0, 324.5], [0, 519.0, 252.5], [0, 0, 1.0]])
    np.testing.assert_array_equal(ibims_calib_to_k(k), k)  # already K


def test_plane_masks_keep_their_labels(tmp_path):
    depth = np.full((8, 10), 2.0)
    walls = np.zeros((8, 10), np.uint8)
    walls[:, :3], walls[:, 7:] = 1, 2  # two walls of one type
    data = dict(rgb=np.zeros((8, 10, 3), np.uint8), depth=depth,
                mask_invalid=np.ones((8, 10), np.uint8),
                mask_transp=np.ones((8, 10), np.uint8), mask_wall=walls,
                mask_wall_paras=np.array([[1.0, 0, 0, 1], [-1.0, 0, 0, 1]]),
                calib=np.array([[5.0, 0, 0], [0, 5.0, 0], [5.5, 4.5, 1]]))
    path = str(tmp_path / 'x.mat')
    savemat(path, {'data': data})
    results = dict(depth_path=path, with_ibims_extras=True)
    read_ibims_mat(results)
    mask = results['ibims_planes']['wall']['mask']
    assert sorted(np.unique(mask)) == [0, 1, 2]
    assert results['intrinsics'][0][2] == 4.5
