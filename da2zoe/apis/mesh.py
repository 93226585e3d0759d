"""A depth map as a coloured triangle mesh, written as binary glTF (GLB).

The mesh is the pixel grid back-projected with
:func:`da2zoe.apis.pointcloud.depth_to_points` (same pixel convention),
two triangles per 2x2 block of valid pixels; blocks that straddle a depth
edge are left open so foreground and background are not joined by a
curtain of stretched triangles. GLB is what browser viewers (Gradio's
``Model3D``, three.js, Blender) open without plug-ins; it stores glTF's
frame (x right, y up, z towards the viewer), so the camera-frame points
(OpenCV: y down, z forward) are written as ``(x, -y, -z)``.
"""
import json
import os
import struct
from typing import Optional, Tuple

import numpy as np

from .pointcloud import Intrinsics, depth_to_points

GLB_MAGIC = 0x46546C67  # 'glTF'
CHUNK_JSON = 0x4E4F534A  # 'JSON'
CHUNK_BIN = 0x004E4942  # 'BIN\0'
# glTF accessor component types and buffer-view targets.
FLOAT, UNSIGNED_BYTE, UNSIGNED_INT = 5126, 5121, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963


def subsample_step(height: int, width: int, max_side: int) -> int:
    """The pixel stride that brings the longer side to at most
    ``max_side`` (1 when it already fits)."""
    if max_side <= 0:
        raise ValueError(f'max_side must be positive, got {max_side}')
    return max(1, -(-max(height, width) // max_side))


def depth_to_mesh(depth: np.ndarray,
                  intrinsics: Intrinsics,
                  colors: Optional[np.ndarray] = None,
                  max_side: int = 256,
                  edge_ratio: float = 1.08
                  ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triangulates a depth map on its (subsampled) pixel grid.

    Args:
        depth (np.ndarray): HxW depth along the optical axis (metres).
        intrinsics (tuple): ``(fx, fy, cx, cy)`` for the HxW image.
        colors (np.ndarray, optional): HxWx3 uint8 RGB; grey if None.
        max_side (int): Every ``step``-th pixel is kept so that the longer
            side has at most this many vertices. Defaults to 256.
        edge_ratio (float): A 2x2 block whose largest depth exceeds its
            smallest by more than this factor is a depth edge and gets no
            triangles. Defaults to 1.08.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: ``(V, 3)`` float32
        camera-frame vertices (OpenCV frame), ``(V, 3)`` uint8 colours and
        ``(F, 3)`` uint32 counter-clockwise faces (seen from the camera)
        indexing the vertices.
    """
    depth = np.asarray(depth, dtype=np.float32)
    height, width = depth.shape
    step = subsample_step(height, width, max_side)
    fx, fy, cx, cy = (float(v) for v in intrinsics)
    # Pixel (u, v) of the grid is pixel (u * step, v * step) of the image.
    grid = depth[::step, ::step]
    points, valid = depth_to_points(
        grid, (fx / step, fy / step, cx / step, cy / step))
    if colors is None:
        rgb = np.full((len(points), 3), 200, dtype=np.uint8)
    else:
        rgb = np.asarray(colors, dtype=np.uint8)[::step, ::step][valid]
    index = np.full(grid.shape, -1, dtype=np.int64)
    index[valid] = np.arange(len(points))
    corners = (index[:-1, :-1], index[:-1, 1:], index[1:, :-1], index[1:, 1:])
    values = np.stack([grid[:-1, :-1], grid[:-1, 1:], grid[1:, :-1],
                       grid[1:, 1:]])
    with np.errstate(invalid='ignore', divide='ignore'):
        smooth = values.max(axis=0) <= edge_ratio * values.min(axis=0)
    keep = smooth & np.all(np.stack(corners) >= 0, axis=0)
    top_left, top_right, bottom_left, bottom_right = (c[keep]
                                                      for c in corners)
    # Image rows grow downwards, so (tl, bl, br) turns counter-clockwise
    # once y is flipped to glTF's up axis.
    faces = np.concatenate([
        np.stack([top_left, bottom_left, bottom_right], axis=1),
        np.stack([top_left, bottom_right, top_right], axis=1)
    ]).astype(np.uint32)
    return points, rgb, faces


def _padded(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 4)


def write_glb(path: str,
              vertices: np.ndarray,
              colors: np.ndarray,
              faces: np.ndarray) -> None:
    """Writes an unlit, vertex-coloured triangle mesh as GLB (glTF 2.0).

    Args:
        path (str): Output file (its folder is created).
        vertices (np.ndarray): (V, 3) camera-frame points (OpenCV frame:
            x right, y down, z forward); written as ``(x, -y, -z)``.
        colors (np.ndarray): (V, 3) uint8 RGB.
        faces (np.ndarray): (F, 3) vertex indices.
    """
    vertices = np.asarray(vertices, dtype=np.float32).reshape(-1, 3)
    vertices = vertices * np.array([1, -1, -1], dtype=np.float32)
    colors = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
    faces = np.asarray(faces, dtype=np.uint32).reshape(-1, 3)
    if len(colors) != len(vertices):
        raise ValueError(f'{len(vertices)} vertices but {len(colors)} '
                         'colours')
    if len(faces) and int(faces.max()) >= len(vertices):
        raise ValueError(f'a face indexes vertex {int(faces.max())} of '
                         f'{len(vertices)}')
    # glTF wants 4-byte aligned vertex strides: RGB is padded to RGBA.
    rgba = np.concatenate(
        [colors, np.full((len(colors), 1), 255, np.uint8)], axis=1)
    blobs = [vertices.tobytes(), rgba.tobytes(), faces.tobytes()]
    offsets = np.cumsum([0] + [len(b) for b in blobs[:-1]]).tolist()
    low = vertices.min(axis=0) if len(vertices) else np.zeros(3)
    high = vertices.max(axis=0) if len(vertices) else np.zeros(3)
    views = [
        dict(buffer=0, byteOffset=offset, byteLength=len(blob), target=target)
        for offset, blob, target in zip(
            offsets, blobs, (ARRAY_BUFFER, ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER))
    ]
    gltf = dict(
        asset=dict(version='2.0', generator='da2zoe'),
        extensionsUsed=['KHR_materials_unlit'],
        scene=0,
        scenes=[dict(nodes=[0])],
        nodes=[dict(mesh=0, name='depth')],
        meshes=[dict(primitives=[dict(
            attributes=dict(POSITION=0, COLOR_0=1), indices=2, material=0,
            mode=4)])],
        materials=[dict(
            pbrMetallicRoughness=dict(baseColorFactor=[1, 1, 1, 1],
                                      metallicFactor=0, roughnessFactor=1),
            doubleSided=True, extensions=dict(KHR_materials_unlit={}))],
        buffers=[dict(byteLength=sum(len(b) for b in blobs))],
        bufferViews=views,
        accessors=[
            dict(bufferView=0, componentType=FLOAT, count=len(vertices),
                 type='VEC3', min=low.tolist(), max=high.tolist()),
            dict(bufferView=1, componentType=UNSIGNED_BYTE, normalized=True,
                 count=len(rgba), type='VEC4'),
            dict(bufferView=2, componentType=UNSIGNED_INT,
                 count=faces.size, type='SCALAR'),
        ])
    json_chunk = _padded(json.dumps(gltf, separators=(',', ':')).encode(),
                         b' ')
    bin_chunk = _padded(b''.join(blobs), b'\0')
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'wb') as file:
        file.write(struct.pack('<III', GLB_MAGIC, 2, total))
        file.write(struct.pack('<II', len(json_chunk), CHUNK_JSON))
        file.write(json_chunk)
        file.write(struct.pack('<II', len(bin_chunk), CHUNK_BIN))
        file.write(bin_chunk)
