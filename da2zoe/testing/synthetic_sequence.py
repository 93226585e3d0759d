"""Moving-camera sequences through one synthetic room, with exact metric
depth per frame, for video inference and temporal-consistency tests.

The room, objects, light and camera orientation are those of
:func:`~.synthetic_scenes.render_scene` ``(index, seed)``; only the camera
position moves: forward along the world z axis by ``forward_step`` metres a
frame and sideways (x) on a slow sine of amplitude ``sway`` metres. Objects
stand at least 0.8 m ahead of the unmoved camera, so a forward travel below
that never puts the camera inside one; :func:`render_sequence` refuses more.
"""
from __future__ import annotations

import os
import os.path as osp
from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from .synthetic_scenes import NYU_SIZE, SyntheticScene, render_scene

#: Forward travel (m) that keeps the camera out of every object.
MAX_FORWARD_TRAVEL = 0.7
#: Codec per container that the pinned OpenCV (FFmpeg build) can write.
FOURCC = {'.mp4': 'mp4v', '.avi': 'MJPG'}


@dataclass(frozen=True)
class SyntheticSequence:
    """Frames of a camera moving through one room.

    Args:
        frames: The rendered frames, in order.
        offsets: (N, 3) world-frame camera offsets (m) of the frames.
    """

    frames: tuple[SyntheticScene, ...]
    offsets: np.ndarray

    @property
    def rgb(self) -> list[np.ndarray]:
        """(H, W, 3) uint8 RGB images."""
        return [frame.rgb for frame in self.frames]

    @property
    def depth(self) -> list[np.ndarray]:
        """(H, W) float32 z-depths in metres."""
        return [frame.depth for frame in self.frames]


def camera_offsets(num_frames: int,
                   forward_step: float = 0.03,
                   sway: float = 0.15) -> np.ndarray:
    """Camera offsets of a forward walk with a sideways sway.

    Args:
        num_frames: How many frames.
        forward_step: Metres forward (z) per frame.
        sway: Amplitude (m) of the sideways (x) sine, one period over
            40 frames.

    Returns:
        (num_frames, 3) float64 offsets; the first is zero.
    """
    steps = np.arange(num_frames, dtype=np.float64)
    return np.stack([
        sway * np.sin(2 * np.pi * steps / 40.0),
        np.zeros_like(steps), forward_step * steps
    ], axis=1)


def render_sequence(index: int,
                    seed: int = 0,
                    size: tuple[int, int] = NYU_SIZE,
                    num_frames: int = 16,
                    forward_step: float = 0.03,
                    sway: float = 0.15) -> SyntheticSequence:
    """Renders a camera walking forward through room ``(index, seed)``.

    Args:
        index: Scene index (room, objects, light, orientation).
        seed: Dataset seed.
        size: (height, width) of the frames.
        num_frames: How many frames.
        forward_step: Metres forward per frame.
        sway: Sideways sine amplitude in metres.

    Returns:
        The sequence, deterministic in its arguments.

    Raises:
        ValueError: If the walk would go further forward than
            ``MAX_FORWARD_TRAVEL`` (into an object) or has no frame.
    """
    if num_frames < 1:
        raise ValueError(f'num_frames must be >= 1, got {num_frames}')
    travel = abs(forward_step) * (num_frames - 1)
    if travel > MAX_FORWARD_TRAVEL:
        raise ValueError(
            f'forward travel {travel:.2f} m (forward_step {forward_step} x '
            f'{num_frames - 1} frames) exceeds {MAX_FORWARD_TRAVEL} m: the '
            'camera could enter an object')
    offsets = camera_offsets(num_frames, forward_step, sway)
    frames = tuple(
        render_scene(index, seed, size, camera_offset=offset)
        for offset in offsets)
    return SyntheticSequence(frames, offsets)


def write_video(path: str, images_rgb: Sequence[np.ndarray],
                fps: float = 10.0) -> str:
    """Writes RGB frames as a video (``.mp4``: mp4v, ``.avi``: MJPG).

    Args:
        path: Output file; its extension picks the codec.
        images_rgb: (H, W, 3) uint8 RGB frames of one size.
        fps: Frames per second stored in the file.

    Returns:
        ``path``.

    Raises:
        ValueError: If the extension has no codec here.
        OSError: If OpenCV cannot open the writer.
    """
    ext = osp.splitext(path)[1].lower()
    if ext not in FOURCC:
        raise ValueError(f'{path!r}: write .mp4 or .avi, not {ext!r}')
    height, width = images_rgb[0].shape[:2]
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*FOURCC[ext]),
                             fps, (width, height))
    if not writer.isOpened():
        raise OSError(f'OpenCV cannot write {path!r}')
    try:
        for image in images_rgb:
            writer.write(np.ascontiguousarray(image[..., ::-1]))
    finally:
        writer.release()
    return path
