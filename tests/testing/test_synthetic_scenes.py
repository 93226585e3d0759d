"""Procedural RGB-D scenes: determinism, metric range, intrinsics and true
z-depth geometry."""
import numpy as np
import pytest

from da2zoe.testing.synthetic_scenes import (
    FIRST_OBJECT_ID,
    FLOOR_ID,
    WALL_IDS,
    kitti_intrinsics,
    measure_fps,
    nyu_intrinsics,
    plane_masks,
    render_scene,
)

SMALL = (48, 64)


def test_same_seed_and_index_give_the_same_scene():
    a, b = render_scene(
        3, seed=7, size=SMALL), render_scene(
            3, seed=7, size=SMALL)
    np.testing.assert_array_equal(a.rgb, b.rgb)
    np.testing.assert_array_equal(a.depth, b.depth)
    np.testing.assert_array_equal(a.surface_id, b.surface_id)


def test_other_index_or_seed_gives_another_scene():
    base = render_scene(0, seed=0, size=SMALL)
    for other in (render_scene(1, seed=0, size=SMALL),
                  render_scene(0, seed=1, size=SMALL)):
        assert np.abs(other.depth - base.depth).mean() > 0.05
        assert not np.array_equal(other.rgb, base.rgb)


def test_outputs_have_documented_types_and_metric_range():
    for index in range(24):
        scene = render_scene(index, seed=11, size=SMALL)
        assert scene.rgb.shape == SMALL + (3, ) and scene.rgb.dtype == np.uint8
        assert scene.depth.shape == SMALL and scene.depth.dtype == np.float32
        assert (scene.surface_id.shape == SMALL
                and scene.normals.shape == SMALL + (3, ))
        assert np.isfinite(scene.depth).all()
        assert 0.3 < scene.depth.min() and scene.depth.max() < 12.0
        # Textured and shaded, not flat colour.
        assert scene.rgb.std() > 10


def test_intrinsics_are_nyu_like_and_scale_with_size():
    k = render_scene(0, size=(480, 640)).intrinsics
    assert k[0, 0] == pytest.approx(
        519, abs=1) and k[1, 1] == pytest.approx(
            519, abs=1)
    assert k[0, 2] == pytest.approx(
        320, abs=10) and k[1, 2] == pytest.approx(
            240, abs=15)
    np.testing.assert_allclose(nyu_intrinsics((120, 160))[:2], k[:2] / 4)
    kitti = kitti_intrinsics((375, 1242))
    assert kitti[0, 0] == pytest.approx(721.5377)
    np.testing.assert_array_equal(
        render_scene(0, size=(20, 66), intrinsics=kitti_intrinsics(
            (20, 66))).intrinsics, kitti_intrinsics((20, 66)))


def test_depth_is_z_depth_so_the_floor_back_projects_to_a_plane():
    scene = render_scene(2, seed=0, size=(96, 128))
    rows, cols = np.nonzero(scene.surface_id == FLOOR_ID)
    assert rows.size > 200
    k, z = scene.intrinsics, scene.depth[rows, cols].astype(np.float64)
    points = np.stack([(cols - k[0, 2]) / k[0, 0] * z,
                       (rows - k[1, 2]) / k[1, 1] * z, z],
                      axis=1)
    centred = points - points.mean(axis=0)
    normal = np.linalg.svd(centred, full_matrices=False)[2][-1]
    assert np.abs(centred @ normal).max() < 1e-3
    # The camera height above the floor is 1.1 to 1.6 m.
    assert 1.1 - 1e-3 < abs(points.mean(axis=0) @ normal) < 1.6 + 1e-3


def test_scene_geometry_does_not_depend_on_image_size():
    full, half = render_scene(
        4, size=(96, 128)), render_scene(
            4, size=(48, 64))
    # With intrinsics scaled by 1/2, pixel (r, c) of the half image sees what
    # pixel (2r, 2c) of the full one sees.
    same = np.isclose(half.depth, full.depth[::2, ::2], rtol=1e-4)
    assert same.mean() > 0.97


def test_plane_masks_are_single_true_planes():
    for index in range(6):
        scene = render_scene(index, size=SMALL)
        masks = plane_masks(scene)
        np.testing.assert_array_equal(masks['floor'],
                                      scene.surface_id == FLOOR_ID)
        assert len(np.unique(scene.surface_id[masks['wall']])) == 1
        assert np.isin(scene.surface_id[masks['wall']], WALL_IDS).all()
        table_ids = np.unique(scene.surface_id[masks['table']])
        assert len(table_ids) <= 1 and (table_ids >= FIRST_OBJECT_ID).all()
        assert (scene.normals[masks['table']][:, 1] > 0.99).all()


def test_measure_fps_reports_a_rate():
    assert measure_fps(size=(24, 32), num=2) > 0


def test_a_ray_parallel_to_a_wall_still_hits_the_room():
    # Scene 2 at this size has a ray with an exactly zero y direction; it once
    # gave -inf depth.
    scene = render_scene(2, seed=0, size=(376, 1232))
    assert np.isfinite(scene.depth).all() and scene.depth.min() > 0.3
