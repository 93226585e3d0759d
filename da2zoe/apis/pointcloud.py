"""Back-projecting depth to a coloured point cloud and writing PLY files.

Pixel convention: pixel ``(u, v)`` (column, row) has its centre at the
integer coordinates ``(u, v)``, so the top-left pixel's centre is (0, 0)
and the image centre is ``((W - 1) / 2, (H - 1) / 2)``. A pixel of depth
``z`` (along the optical axis) becomes the camera-frame point
``X = (u - cx) z / fx``, ``Y = (v - cy) z / fy``, ``Z = z`` (x right,
y down, z forward, OpenCV's camera frame).
"""
import os
from typing import Optional, Tuple

import numpy as np

# The camera helpers live with the camera; re-exported for existing users.
from da2zoe.structures.camera import (  # noqa: F401
    Intrinsics,
    intrinsics_from_hfov,
)


def depth_to_points(depth: np.ndarray,
                    intrinsics: Intrinsics,
                    mask: Optional[np.ndarray] = None
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Back-projects every valid pixel of a depth map.

    Args:
        depth (np.ndarray): HxW depth along the optical axis (metres).
        intrinsics (tuple): ``(fx, fy, cx, cy)`` in pixels, for this size.
        mask (np.ndarray, optional): HxW bool of pixels to keep; always
            combined with finite, positive depth.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(N, 3)`` float32 points in
        row-major pixel order and the HxW bool mask of the kept pixels.
    """
    fx, fy, cx, cy = (float(v) for v in intrinsics)
    depth = np.asarray(depth, dtype=np.float32)
    valid = np.isfinite(depth) & (depth > 0)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    rows, cols = np.nonzero(valid)
    z = depth[rows, cols].astype(np.float64)
    points = np.stack([(cols - cx) * z / fx, (rows - cy) * z / fy, z], axis=1)
    return points.astype(np.float32), valid


def write_ply(path: str,
              points: np.ndarray,
              colors: Optional[np.ndarray] = None,
              binary: bool = True) -> None:
    """Writes a point cloud as PLY: ``x y z`` float, ``red green blue`` uchar.

    Args:
        path (str): Output file.
        points (np.ndarray): (N, 3) coordinates.
        colors (np.ndarray, optional): (N, 3) uint8 RGB; omitted from the
            file when None.
        binary (bool): ``binary_little_endian`` (True) or ``ascii``.
            Defaults to True.
    """
    points = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    fields = [('x', '<f4'), ('y', '<f4'), ('z', '<f4')]
    if colors is not None:
        colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
        if len(colors) != len(points):
            raise ValueError(f'{len(points)} points but {len(colors)} colours')
        fields += [('red', 'u1'), ('green', 'u1'), ('blue', 'u1')]
    vertices = np.empty(len(points), dtype=fields)
    for axis, name in enumerate('xyz'):
        vertices[name] = points[:, axis]
    if colors is not None:
        for channel, name in enumerate(('red', 'green', 'blue')):
            vertices[name] = colors[:, channel]
    kind = {'<f4': 'float', 'u1': 'uchar'}
    header = ['ply',
              f'format {"binary_little_endian" if binary else "ascii"} 1.0',
              'comment written by da2zoe',
              f'element vertex {len(vertices)}']
    header += [f'property {kind[dtype]} {name}' for name, dtype in fields]
    header.append('end_header')
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'wb') as file:
        file.write(('\n'.join(header) + '\n').encode('ascii'))
        if binary:
            file.write(vertices.tobytes())
        else:
            fmt = ' '.join(['%.9g'] * 3 + ['%d'] * (len(fields) - 3))
            np.savetxt(file, vertices.tolist(), fmt=fmt)
