"""Depth -> triangle mesh -> GLB, read back with an independent parser."""
import json
import struct

import numpy as np
import pytest

from da2zoe.apis.mesh import depth_to_mesh, subsample_step, write_glb
from da2zoe.apis.pointcloud import depth_to_points

INTRINSICS = (50.0, 52.0, 7.5, 5.0)


def read_glb(path):
    """GLB 2.0 -> (json dict, positions, RGBA colours, indices)."""
    data = path.read_bytes()
    magic, version, total = struct.unpack_from('<III', data)
    assert (magic, version, total) == (0x46546C67, 2, len(data))
    json_len, json_type = struct.unpack_from('<II', data, 12)
    assert json_type == 0x4E4F534A and json_len % 4 == 0
    gltf = json.loads(data[20:20 + json_len])
    bin_len, bin_type = struct.unpack_from('<II', data, 20 + json_len)
    assert bin_type == 0x004E4942 and bin_len % 4 == 0
    blob = data[28 + json_len:28 + json_len + bin_len]
    dtypes = {5126: '<f4', 5121: 'u1', 5125: '<u4'}
    widths = {'VEC3': 3, 'VEC4': 4, 'SCALAR': 1}

    def accessor(i):
        acc = gltf['accessors'][i]
        view = gltf['bufferViews'][acc['bufferView']]
        array = np.frombuffer(blob, dtypes[acc['componentType']],
                              acc['count'] * widths[acc['type']],
                              view['byteOffset'])
        return array.reshape(acc['count'], -1)

    primitive = gltf['meshes'][0]['primitives'][0]
    return (gltf, accessor(primitive['attributes']['POSITION']),
            accessor(primitive['attributes']['COLOR_0']),
            accessor(primitive['indices']).reshape(-1, 3))


def test_plane_mesh_round_trips_through_glb(tmp_path):
    depth = np.full((11, 16), 2.0, np.float32)
    depth[0, 0] = 0  # invalid: no vertex, its cell no faces
    colors = np.random.default_rng(0).integers(0, 256, (11, 16, 3), np.uint8)
    vertices, rgb, faces = depth_to_mesh(depth, INTRINSICS, colors)
    points, valid = depth_to_points(depth, INTRINSICS)
    np.testing.assert_array_equal(vertices, points)
    np.testing.assert_array_equal(rgb, colors[valid])
    assert len(faces) == 2 * (10 * 15 - 1)

    path = tmp_path / 'plane.glb'
    write_glb(str(path), vertices, rgb, faces)
    gltf, positions, rgba, indices = read_glb(path)
    # glTF is y up, z towards the viewer.
    np.testing.assert_array_equal(positions, vertices * [1, -1, -1])
    np.testing.assert_array_equal(rgba[:, :3], rgb)
    np.testing.assert_array_equal(indices, faces)
    acc = gltf['accessors'][0]
    np.testing.assert_allclose(acc['min'], positions.min(0))
    np.testing.assert_allclose(acc['max'], positions.max(0))
    assert 'KHR_materials_unlit' in gltf['materials'][0]['extensions']
    # Every triangle faces the camera (counter-clockwise in glTF's view
    # from +z), so the surface is seen from the front.
    tri = positions[indices]
    normal_z = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])[:, 2]
    assert np.all(normal_z > 0)


def test_depth_edges_are_left_open_and_grid_subsampled():
    depth = np.full((20, 40), 1.0, np.float32)
    depth[:, 20:] = 3.0  # a wall 2 m behind
    vertices, _, faces = depth_to_mesh(depth, INTRINSICS, max_side=10)
    assert subsample_step(20, 40, 10) == 4
    assert len(vertices) == 5 * 10
    z = vertices[faces][..., 2]
    assert np.all(z.max(1) == z.min(1))  # no face joins the two depths
    assert len(faces) == 2 * 4 * (9 - 1)  # the straddling column is cut


def test_bad_mesh_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match='3 vertices but 2 colours'):
        write_glb(str(tmp_path / 'x.glb'), np.zeros((3, 3)),
                  np.zeros((2, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match='indexes vertex 5 of 3'):
        write_glb(str(tmp_path / 'x.glb'), np.zeros((3, 3)),
                  np.zeros((3, 3)), [[0, 1, 5]])
