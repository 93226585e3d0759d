"""Procedural indoor RGB-D scenes with exact metric depth, rendered by ray
casting in numpy.

Each scene is a box room (floor, ceiling, four walls; the front wall 2.5 to 9 m
ahead, the side walls 1.5 to 5 m to each side) holding a few axis-aligned boxes
and spheres. Every surface has its own colours and a solid texture (checker,
stripes or marble-like noise), shaded by a Lambertian point light with distance
falloff, so that depth can be read from perspective and texture gradients. The
pinhole camera uses NYU Depth v2 intrinsics scaled to the image size, sits 1.1
to 1.6 m above the floor and has a small random yaw, pitch and roll.

A scene depends only on ``(seed, index)``: the same pair gives the same room at
any image size, so a test can re-render the ground truth of any file written by
``tools/dataset_converters/make_synthetic.py``.

``depth`` is the z-depth along the optical axis (what RGB-D sensors store), not
the length of the ray.

Speed (:func:`measure_fps`, one core, float32, no Python loop over pixels):
23 frames/s at 480x640 on a busy 2-core machine shared with other jobs, about
35 frames/s when it was quiet; about 16 frames/s at 376x1232.

Example:
    >>> scene = render_scene(3, seed=0, size=(480, 640))
    >>> scene.rgb.shape, scene.depth.dtype
    ((480, 640, 3), dtype('float32'))
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

#: NYU Depth v2 (Kinect v1) colour intrinsics at 480x640.
NYU_INTRINSICS = np.array([[518.8579, 0.0, 325.5824],
                           [0.0, 519.4696, 253.7362], [0.0, 0.0, 1.0]])
NYU_SIZE = (480, 640)
#: KITTI (2011_09_26) left colour camera intrinsics at 375x1242.
KITTI_INTRINSICS = np.array([[721.5377, 0.0, 609.5593],
                             [0.0, 721.5377, 172.854], [0.0, 0.0, 1.0]])
KITTI_SIZE = (375, 1242)

#: Surface ids of the room; objects follow from ``FIRST_OBJECT_ID`` (boxes
#: first, then spheres).
SURFACE_NAMES = ('floor', 'ceiling', 'left_wall', 'right_wall', 'back_wall',
                 'front_wall')
FLOOR_ID, CEILING_ID = 0, 1
WALL_IDS = (2, 3, 4, 5)
FIRST_OBJECT_ID = 6

# Inward normals of the six room planes, in the order of SURFACE_NAMES (world
# frame, y up).
_ROOM_NORMALS = np.array([[0, 1, 0], [0, -1, 0], [1, 0, 0], [-1, 0, 0],
                          [0, 0, 1], [0, 0, -1]],
                         dtype=np.float32).T.copy()
_CHECKER, _STRIPES, _NOISE = 0, 1, 2


@dataclass(frozen=True)
class SyntheticScene:
    """One rendered frame.

    Args:
        rgb: (H, W, 3) uint8 RGB image.
        depth: (H, W) float32 z-depth in metres, > 0 everywhere.
        intrinsics: (3, 3) float64 pinhole matrix of this image size.
        surface_id: (H, W) uint8 id of the visible surface (see
            ``SURFACE_NAMES`` and ``FIRST_OBJECT_ID``).
        normals: (H, W, 3) float32 unit surface normals in the world frame
            (y up), facing the camera.
        num_boxes: how many object ids (from ``FIRST_OBJECT_ID``) are boxes;
            the rest are spheres.
        index: scene index.
        seed: scene seed.
    """

    rgb: np.ndarray
    depth: np.ndarray
    intrinsics: np.ndarray
    surface_id: np.ndarray
    normals: np.ndarray
    num_boxes: int
    index: int
    seed: int


@dataclass(frozen=True)
class _Materials:
    """Per-surface appearance tables, indexed by surface id."""

    colour_a: np.ndarray  # (3, S) float32
    colour_b: np.ndarray  # (3, S) float32
    pattern: np.ndarray  # (S,) uint8: _CHECKER, _STRIPES or _NOISE
    inv_scale: np.ndarray  # (S,) float32, texture frequency in 1/m
    direction: np.ndarray  # (3, S) float32 unit vectors for stripes and noise


def _column(vector: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Reshape a 3-vector so it broadcasts against a (3, ...) array."""
    return vector.reshape((3, ) + (1, ) * (like.ndim - 1))


@dataclass(frozen=True)
class _Box:
    """Axis-aligned box between corners ``lo`` and ``hi`` (float32
    3-vectors)."""

    lo: np.ndarray
    hi: np.ndarray

    def corners(self) -> np.ndarray:
        """(8, 3) corners of the box."""
        return np.array([[x, y, z] for x in (self.lo[0], self.hi[0])
                         for y in (self.lo[1], self.hi[1])
                         for z in (self.lo[2], self.hi[2])])

    def intersect(self, origin: np.ndarray, direction: np.ndarray,
                  inv: np.ndarray) -> np.ndarray:
        """Entry distance along each ray (slab test), ``inf`` where the ray
        misses the box."""
        t1 = _column(self.lo - origin, inv) * inv
        t2 = _column(self.hi - origin, inv) * inv
        t_near = np.minimum(t1, t2).max(axis=0)
        t_far = np.maximum(t1, t2).min(axis=0)
        return np.where((t_near <= t_far) & (t_near > 0), t_near,
                        np.float32(np.inf))

    def normal(self, points: np.ndarray) -> np.ndarray:
        """(3, M) outward normals at surface ``points`` (3, M): the face each
        point lies closest to."""
        gaps = np.concatenate([
            np.abs(points - self.lo[:, None]),
            np.abs(points - self.hi[:, None])
        ])
        face = np.argmin(gaps, axis=0)
        normal = np.zeros(points.shape, dtype=np.float32)
        normal[face % 3,
               np.arange(points.shape[1])] = np.where(face < 3, -1.0, 1.0)
        return normal


@dataclass(frozen=True)
class _Sphere:
    """Sphere of ``radius`` metres around ``centre`` (float32 3-vector)."""

    centre: np.ndarray
    radius: float

    def corners(self) -> np.ndarray:
        """(8, 3) corners of the bounding cube."""
        return _Box(self.centre - self.radius,
                    self.centre + self.radius).corners()

    def intersect(self, origin: np.ndarray, direction: np.ndarray,
                  inv: np.ndarray) -> np.ndarray:
        """Nearest positive hit distance along each ray, ``inf`` where the ray
        misses the sphere."""
        offset = _column(origin - self.centre, direction)
        a = (direction * direction).sum(axis=0)
        half_b = (offset * direction).sum(axis=0)
        c = (offset * offset).sum() - np.float32(self.radius**2)
        disc = half_b * half_b - a * c
        t = (-half_b - np.sqrt(np.maximum(disc, 0))) / a
        return np.where((disc > 0) & (t > 0), t, np.float32(np.inf))

    def normal(self, points: np.ndarray) -> np.ndarray:
        """(3, M) outward normals at surface ``points`` (3, M)."""
        return (points - self.centre[:, None]) / np.float32(self.radius)


@dataclass(frozen=True)
class _Layout:
    """Geometry, camera and light of one scene (world frame: x right, y up, z
    forward; floor at y = 0)."""

    room_lo: np.ndarray
    room_hi: np.ndarray
    camera_position: np.ndarray
    # camera -> world, camera axes x right, y down, z forward
    camera_rotation: np.ndarray
    objects: tuple[_Box | _Sphere, ...]  # boxes first, then spheres
    num_boxes: int
    light: np.ndarray
    ambient: float
    materials: _Materials


def scale_intrinsics(intrinsics: np.ndarray, from_size: tuple[int, int],
                     to_size: tuple[int, int]) -> np.ndarray:
    """Scale a pinhole matrix from one image size to another.

    Args:
        intrinsics: (3, 3) matrix valid at ``from_size``.
        from_size: (height, width) the matrix was calibrated at.
        to_size: (height, width) of the new image.

    Returns:
        (3, 3) float64 matrix for ``to_size``.
    """
    sy, sx = to_size[0] / from_size[0], to_size[1] / from_size[1]
    return np.diag([sx, sy, 1.0]) @ np.asarray(intrinsics, dtype=np.float64)


def nyu_intrinsics(size: tuple[int, int] = NYU_SIZE) -> np.ndarray:
    """NYU Depth v2 intrinsics scaled to ``size`` = (height, width)."""
    return scale_intrinsics(NYU_INTRINSICS, NYU_SIZE, size)


def kitti_intrinsics(size: tuple[int, int] = KITTI_SIZE) -> np.ndarray:
    """KITTI colour-camera intrinsics scaled to ``size`` = (height, width)."""
    return scale_intrinsics(KITTI_INTRINSICS, KITTI_SIZE, size)


def _rotation(axis: int, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    i, j = [a for a in range(3) if a != axis]
    rot = np.eye(3)
    rot[i, i], rot[i, j], rot[j, i], rot[j, j] = c, -s, s, c
    return rot


def _camera_rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Camera-to-world rotation; positive pitch looks up, positive yaw turns
    right."""
    cam_to_world = np.diag([1.0, -1.0,
                            1.0])  # camera y points down, world y up
    return _rotation(1, -yaw) @ _rotation(
        0, -pitch) @ cam_to_world @ _rotation(2, roll)


def _sample_materials(rng: np.random.Generator,
                      num_surfaces: int) -> _Materials:
    colour_a = rng.uniform(0.25, 0.95, (num_surfaces, 3))
    # The second colour is either a darker shade or an unrelated hue, so
    # patterns range from subtle to bold.
    shade = colour_a * rng.uniform(0.3, 0.7, (num_surfaces, 1))
    other = rng.uniform(0.05, 0.9, (num_surfaces, 3))
    colour_b = np.where(rng.random((num_surfaces, 1)) < 0.5, shade, other)
    direction = rng.normal(size=(num_surfaces, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    return _Materials(
        colour_a=colour_a.T.astype(np.float32),
        colour_b=colour_b.T.astype(np.float32),
        pattern=rng.integers(0, 3, num_surfaces).astype(np.uint8),
        inv_scale=(1.0 /
                   rng.uniform(0.12, 0.6, num_surfaces)).astype(np.float32),
        direction=direction.T.astype(np.float32))


def _sample_objects(rng: np.random.Generator, room_lo: np.ndarray,
                    room_hi: np.ndarray) -> tuple[list[_Box], list[_Sphere]]:
    """Boxes standing on the floor and spheres resting or floating, all at
    least 0.8 m in front of the camera."""
    near, far = 0.8, room_hi[2] - 0.1
    boxes = []
    for _ in range(rng.integers(1, 5)):
        half_x, half_z = rng.uniform(0.15, 0.6), min(
            rng.uniform(0.15, 0.6), (far - near) / 2)
        height = rng.uniform(0.3, 1.2)
        centre_x = rng.uniform(room_lo[0] + half_x, room_hi[0] - half_x)
        centre_z = rng.uniform(near + half_z, far - half_z)
        lo = np.array([centre_x - half_x, 0.0, centre_z - half_z])
        hi = np.array([centre_x + half_x, height, centre_z + half_z])
        boxes.append(_Box(lo.astype(np.float32), hi.astype(np.float32)))
    spheres = []
    for _ in range(rng.integers(0, 4)):
        radius = rng.uniform(0.15, min(0.5, (far - near) / 2))
        centre_y = radius if rng.random() < 0.5 else rng.uniform(
            radius, min(2.0, room_hi[1] - radius))
        centre = np.array([
            rng.uniform(room_lo[0] + radius, room_hi[0] - radius), centre_y,
            rng.uniform(near + radius, far - radius)
        ])
        spheres.append(_Sphere(centre.astype(np.float32), float(radius)))
    return boxes, spheres


def _sample_layout(index: int, seed: int) -> _Layout:
    rng = np.random.default_rng((seed, index))
    room_lo = np.array([-rng.uniform(1.5, 5.0), 0.0, -rng.uniform(0.5, 2.0)])
    room_hi = np.array(
        [rng.uniform(1.5, 5.0),
         rng.uniform(2.5, 3.3),
         rng.uniform(2.5, 9.0)])
    boxes, spheres = _sample_objects(rng, room_lo, room_hi)
    camera_position = np.array([0.0, rng.uniform(1.1, 1.6), 0.0])
    rotation = _camera_rotation(*np.deg2rad(
        [rng.uniform(-10, 10),
         rng.uniform(-15, 5),
         rng.uniform(-4, 4)]))
    light = np.array([
        rng.uniform(room_lo[0] + 0.3, room_hi[0] - 0.3), room_hi[1] - 0.15,
        rng.uniform(0.3, room_hi[2] - 0.3)
    ])
    materials = _sample_materials(rng,
                                  FIRST_OBJECT_ID + len(boxes) + len(spheres))
    return _Layout(
        room_lo=room_lo.astype(np.float32),
        room_hi=room_hi.astype(np.float32),
        camera_position=camera_position.astype(np.float32),
        camera_rotation=rotation,
        objects=tuple(boxes + spheres),
        num_boxes=len(boxes),
        light=light.astype(np.float32),
        ambient=float(rng.uniform(0.2, 0.4)),
        materials=materials)


@lru_cache(maxsize=8)
def _camera_rays(height: int, width: int,
                 intrinsics: tuple[float, ...]) -> np.ndarray:
    """(3, H, W) float32 camera-frame ray directions with z = 1, so the hit
    distance along a ray is its z-depth."""
    fx, _, cx, _, fy, cy = intrinsics[:6]
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    rays = np.stack([(cols - cx) / fx, (rows - cy) / fy, np.ones_like(rows)])
    rays.flags.writeable = False
    return rays


def _intersect_room(origin: np.ndarray, direction: np.ndarray, inv: np.ndarray,
                    layout: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """Hit distance and surface id of the room, seen from inside (every ray
    hits it)."""
    positive = direction > 0
    # Distance to the wall ahead over |direction|: a zero component (of either
    # sign) gives +inf, never -inf.
    gaps = np.where(positive, _column(layout.room_hi - origin, inv),
                    _column(origin - layout.room_lo, inv))
    tx, ty, tz = gaps * np.abs(inv)
    t = np.minimum(np.minimum(tx, ty), tz)
    # Ids per (axis, sign): x -> left 2 / right 3, y -> floor 0 / ceiling 1,
    # z -> back 4 / front 5.
    sign = positive.view(np.uint8)
    ids = np.where(t == tx, sign[0] + np.uint8(2),
                   np.where(t == ty, sign[1], sign[2] + np.uint8(4)))
    return t, ids


def _albedo(points: np.ndarray, normals: np.ndarray, ids: np.ndarray,
            materials: _Materials) -> np.ndarray:
    """(3, H, W) surface colour from each surface's solid texture evaluated at
    the hit points."""
    # 1-D np.take with intp indices is several times faster than fancy or
    # axis-wise indexing here.
    ids = ids.astype(np.intp)
    q = points * np.take(materials.inv_scale, ids)
    # A checker drops the coordinate along an axis-aligned normal: that
    # coordinate is constant on the plane and rounding noise in it would
    # otherwise flip the cells pixel by pixel.
    cells = (np.floor(q) * (np.abs(normals) < 0.9)).sum(axis=0)
    checker = (cells.astype(np.int32) & 1).astype(np.float32)
    direction = [np.take(row, ids) for row in materials.direction]
    phase = q[0] * direction[0] + q[1] * direction[1] + q[2] * direction[2]
    stripes = 0.5 + 0.5 * np.sin(np.float32(2 * np.pi) * phase)
    swirl = q[0] * direction[1] + q[1] * direction[2] + q[2] * direction[0]
    noise = 0.5 + 0.5 * np.sin(
        np.float32(2 * np.pi) * phase + 2 * np.sin(np.float32(4.4) * swirl))
    pattern = np.take(materials.pattern, ids)
    texture = np.where(pattern == _CHECKER, checker,
                       np.where(pattern == _STRIPES, stripes, noise))
    return np.stack([
        np.take(a, ids) + np.take(b - a, ids) * texture
        for a, b in zip(materials.colour_a, materials.colour_b)
    ])


def _shade(points: np.ndarray, normals: np.ndarray, albedo: np.ndarray,
           layout: _Layout) -> np.ndarray:
    """(3, H, W) linear radiance: ambient plus Lambertian point light with
    inverse-square-like falloff."""
    to_light = _column(layout.light, points) - points
    dist_sq = (to_light * to_light).sum(axis=0)
    cos_angle = (to_light * normals).sum(axis=0) / np.sqrt(dist_sq)
    falloff = np.float32(12.0) / (np.float32(6.0) + dist_sq)
    light = np.float32(
        layout.ambient) + np.float32(1.2) * np.maximum(cos_angle, 0) * falloff
    return albedo * light


def _screen_window(corners: np.ndarray, layout: _Layout,
                   intrinsics: np.ndarray,
                   size: tuple[int, int]) -> tuple[slice, slice] | None:
    """Pixel window that holds the projection of a convex object, from its
    bounding corners.

    Args:
        corners: (8, 3) world corners bounding the object.
        layout: the scene layout (camera pose).
        intrinsics: (3, 3) pinhole matrix.
        size: (height, width) of the image.

    Returns:
        (row slice, column slice); the whole image when a corner is behind the
        camera; None when the object is off screen.
    """
    cam = (corners - layout.camera_position
           ) @ layout.camera_rotation  # world -> camera: R^T (p - o)
    if (cam[:, 2] < 1e-3).any():
        return slice(None), slice(None)
    uv = (cam @ intrinsics.T)[:, :2] / cam[:, 2:]
    c0, r0 = np.maximum(np.floor(uv.min(axis=0)).astype(int) - 1, 0)
    c1, r1 = np.minimum(
        np.ceil(uv.max(axis=0)).astype(int) + 2, (size[1], size[0]))
    if r0 >= r1 or c0 >= c1:
        return None
    return slice(r0, r1), slice(c0, c1)


def render_scene(index: int,
                 seed: int = 0,
                 size: tuple[int, int] = NYU_SIZE,
                 intrinsics: np.ndarray | None = None,
                 camera_offset: np.ndarray | None = None) -> SyntheticScene:
    """Render scene ``index`` of ``seed``.

    Args:
        index: scene index; with ``seed`` it fixes the room, objects,
            materials, light and camera pose.
        seed: dataset seed.
        size: (height, width) of the image.
        intrinsics: (3, 3) pinhole matrix for ``size``; defaults to NYU's,
            scaled to ``size``.
        camera_offset: (3,) world-frame metres (x right, y up, z forward)
            added to the sampled camera position, for moving-camera
            sequences (:mod:`.synthetic_sequence`); objects stand at least
            0.8 m ahead of the unmoved camera.

    Returns:
        The rendered :class:`SyntheticScene`.
    """
    intrinsics = nyu_intrinsics(size) if intrinsics is None else np.asarray(
        intrinsics, dtype=np.float64)
    layout = _sample_layout(index, seed)
    if camera_offset is not None:
        layout = replace(layout,
                         camera_position=layout.camera_position +
                         np.asarray(camera_offset, np.float32))
    rays = _camera_rays(size[0], size[1],
                        tuple(float(v) for v in intrinsics.ravel()))
    direction = (layout.camera_rotation.astype(np.float32) @ rays.reshape(
        3, -1)).reshape(rays.shape)
    origin = layout.camera_position
    # A zero direction component gives an infinite slab distance (fine) or, on
    # a slab plane through the camera, NaN, which compares False and so counts
    # as a miss.
    with np.errstate(divide='ignore', invalid='ignore'):
        inv = 1 / direction
        t, ids = _intersect_room(origin, direction, inv, layout)
        windows = [
            _screen_window(obj.corners(), layout, intrinsics, size)
            for obj in layout.objects
        ]
        for obj_id, (obj, win) in enumerate(
                zip(layout.objects, windows), FIRST_OBJECT_ID):
            if win is not None:
                t_obj = obj.intersect(origin, direction[:, win[0], win[1]],
                                      inv[:, win[0], win[1]])
                hit = t_obj < t[win]
                np.copyto(t[win], t_obj, where=hit)
                ids[win][hit] = obj_id

    points = _column(origin, direction) + t * direction
    room_surface = np.minimum(ids, FIRST_OBJECT_ID - 1).astype(np.intp)
    normals = np.stack([np.take(row, room_surface) for row in _ROOM_NORMALS])
    for obj_id, (obj, win) in enumerate(
            zip(layout.objects, windows), FIRST_OBJECT_ID):
        if win is not None:
            shown = ids[win] == obj_id
            normals[:, win[0],
                    win[1]][:, shown] = obj.normal(points[:, win[0],
                                                          win[1]][:, shown])
    radiance = _shade(points, normals,
                      _albedo(points, normals, ids, layout.materials), layout)
    # sqrt is a cheap display gamma (about 1/2).
    rgb = (np.sqrt(np.clip(radiance, 0, 1)) * 255 + 0.5).astype(np.uint8)
    return SyntheticScene(
        rgb=np.stack(list(rgb), axis=-1),
        depth=t,
        intrinsics=intrinsics,
        surface_id=ids,
        normals=np.stack(list(normals), axis=-1),
        num_boxes=layout.num_boxes,
        index=index,
        seed=seed)


def plane_masks(scene: SyntheticScene) -> dict[str, np.ndarray]:
    """Masks of single true planes, as iBims-1 annotates them.

    Args:
        scene: a rendered scene.

    Returns:
        ``floor`` (the floor), ``wall`` (the wall covering most pixels) and
        ``table`` (the largest visible box top; may be empty), each an (H, W)
        bool mask.
    """
    ids = scene.surface_id
    counts = np.bincount(ids.ravel(), minlength=256)
    wall = max(WALL_IDS, key=lambda i: counts[i])
    box_ids = np.arange(FIRST_OBJECT_ID, FIRST_OBJECT_ID + scene.num_boxes)
    tops = np.isin(ids, box_ids) & (scene.normals[..., 1] > 0.9)
    top_counts = np.bincount(ids[tops], minlength=256)
    table = tops & (ids == np.argmax(top_counts)) if tops.any() else tops
    return dict(floor=ids == FLOOR_ID, wall=ids == wall, table=table)


def measure_fps(size: tuple[int, int] = NYU_SIZE,
                num: int = 20,
                seed: int = 0) -> float:
    """Frames per second of :func:`render_scene` on this process
    (single-threaded numpy).

    Args:
        size: (height, width) to render at.
        num: number of scenes timed (after one warm-up render).
        seed: scene seed.

    Returns:
        Rendered frames per second.
    """
    render_scene(0, seed, size)
    start = time.perf_counter()
    for index in range(num):
        render_scene(index, seed, size)
    return num / (time.perf_counter() - start)


if __name__ == '__main__':
    print(f'{measure_fps():.1f} frames/s at 480x640')
