"""Depth on video: sequences of frames in, smoothed depth and a colour
depth video out.

:func:`predict_video` is the Python API (a video file, a frame folder or
glob, or a camera index); :class:`SequenceOutputs` is the per-sequence state
``tools/infer.py`` shares with it (temporal smoother, depth video writer).
"""
import os
import os.path as osp
from dataclasses import replace
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
import torch
from torch import nn

from da2zoe.visualization import depth_range
from da2zoe.visualization.colorize import valid_depth_mask
from .depth_outputs import ColorStyle, color_picture
from .inference import inference
from .sources import Frame, collect_sources, is_camera, is_video, iter_frames
from .temporal import TemporalSmoother

#: Container -> codec that the pinned OpenCV (FFmpeg build) writes.
VIDEO_CODECS = {'mp4': 'mp4v', 'avi': 'MJPG'}
#: Frame rate of a depth video when the source has none (frame folders).
DEFAULT_FPS = 30.0


class SequenceError(RuntimeError):
    """A video, camera or frame sequence broke off (names source and
    frame); the frames before it were delivered."""


class DepthVideoWriter:
    """Writes colourised depth frames (optionally beside the input) as a
    video, in one colour range for the whole video.

    The range is the style's ``vmin`` / ``vmax``, else the first frame's
    2nd-98th percentiles: a per-frame range would make the colours flicker.
    The file is opened at the first frame (its size) and every frame is
    encoded as it comes, so a sequence that breaks off keeps a playable
    video of the frames before (after :meth:`close`).

    Args:
        path (str): Output ``.mp4`` (mp4v) or ``.avi`` (MJPG) file.
        fps (float): Frames per second.
        style (ColorStyle, optional): Range, colormap, colour bar, side by
            side. Defaults to ``ColorStyle()``.
    """

    def __init__(self, path: str, fps: float,
                 style: Optional[ColorStyle] = None) -> None:
        ext = osp.splitext(path)[1].lower().lstrip('.')
        if ext not in VIDEO_CODECS:
            raise ValueError(f'depth video {path!r}: use one of '
                             f'{sorted(VIDEO_CODECS)}, not {ext!r}')
        if not fps > 0:
            raise ValueError(f'depth video {path!r}: fps must be > 0')
        self.path, self.fps = path, float(fps)
        self.style = style or ColorStyle()
        self.frames = 0
        self._writer: Optional[cv2.VideoWriter] = None
        self._size: Optional[Tuple[int, int]] = None

    def write(self, depth: np.ndarray, image_rgb: np.ndarray) -> None:
        """Appends one frame.

        Args:
            depth (np.ndarray): HxW metres.
            image_rgb (np.ndarray): HxWx3 uint8 RGB input.
        """
        if self._writer is None:
            self._open(depth)
        picture = color_picture(depth, image_rgb, self.style)
        size = (picture.shape[1], picture.shape[0])
        if size != self._size:
            raise ValueError(f'depth video {self.path!r}: frame '
                             f'{self.frames} is {size[0]}x{size[1]}, the '
                             f'video is {self._size[0]}x{self._size[1]}')
        self._writer.write(np.ascontiguousarray(picture[..., ::-1]))
        self.frames += 1

    def _open(self, depth: np.ndarray) -> None:
        if self.style.vmin is None or self.style.vmax is None:
            low, high = depth_range(depth, valid_depth_mask(depth))
            self.style = replace(
                self.style,
                vmin=low if self.style.vmin is None else self.style.vmin,
                vmax=high if self.style.vmax is None else self.style.vmax)
        height, width = depth.shape
        if self.style.side_by_side:
            width *= 2
        self._size = (width, height)
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        ext = osp.splitext(self.path)[1].lower().lstrip('.')
        self._writer = cv2.VideoWriter(
            self.path, cv2.VideoWriter_fourcc(*VIDEO_CODECS[ext]), self.fps,
            self._size)
        if not self._writer.isOpened():
            self._writer = None
            raise OSError(f'OpenCV cannot write the depth video {self.path!r}')

    def close(self) -> None:
        """Finishes the file (idempotent)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None


def sequence_stem(sequence: str) -> str:
    """Output stem of a sequence: the video's stem, ``camera<N>`` or the
    frame folder's name."""
    if is_camera(sequence):
        return 'camera' + sequence.split(':')[1]
    if is_video(sequence):
        return osp.splitext(osp.basename(sequence))[0]
    folder = osp.normpath(sequence.split('*')[0] or '.')
    return osp.basename(folder if osp.isdir(folder) else osp.dirname(
        folder)) or 'frames'


class SequenceOutputs:
    """Per-sequence temporal smoothing and depth video of a frame stream.

    Frames must come in order; a frame of a new sequence (or a lone image)
    closes the current video and restarts the smoother.

    Args:
        smoothing (float): Temporal smoothing strength in [0, 1); 0 = off.
        change_threshold (float): Grey-level change (in [0, 1]) above which
            a pixel's history is reset. Defaults to 0.04.
        align (str): Smoother alignment, ``'scale'`` (metric depth),
            ``'scale_shift'`` (relative) or ``'none'``.
        video_dir (str, optional): Where ``<stem>_depth.<format>`` videos
            go; None writes no video.
        video_format (str): ``'mp4'`` or ``'avi'``. Defaults to ``'mp4'``.
        fps (float, optional): Frame rate of the videos; defaults to the
            source's, else ``DEFAULT_FPS``.
        style (ColorStyle, optional): How video frames are drawn.
    """

    def __init__(self,
                 smoothing: float = 0.0,
                 change_threshold: float = 0.04,
                 align: str = 'scale',
                 video_dir: Optional[str] = None,
                 video_format: str = 'mp4',
                 fps: Optional[float] = None,
                 style: Optional[ColorStyle] = None) -> None:
        if video_format not in VIDEO_CODECS:
            raise ValueError(f'video_format must be one of '
                             f'{sorted(VIDEO_CODECS)}, got {video_format!r}')
        self.smoother = TemporalSmoother(smoothing, change_threshold, align)
        self.video_dir, self.video_format = video_dir, video_format
        self.fps, self.style = fps, style
        self.videos: List[str] = []
        self._sequence: Optional[str] = None
        self._writer: Optional[DepthVideoWriter] = None

    def __call__(self, frame: Frame, depth: np.ndarray,
                 image_rgb: np.ndarray) -> np.ndarray:
        """Smooths one frame's depth and appends it to its video.

        Args:
            frame (Frame): The frame (its ``sequence`` groups frames).
            depth (np.ndarray): HxW prediction.
            image_rgb (np.ndarray): HxWx3 uint8 RGB frame.

        Returns:
            np.ndarray: The depth to save (smoothed in a sequence).
        """
        if frame.sequence != self._sequence:
            self.close()
            self._sequence = frame.sequence
            if frame.sequence is not None and self.video_dir is not None:
                path = osp.join(
                    self.video_dir, f'{sequence_stem(frame.sequence)}_depth.'
                    f'{self.video_format}')
                self._writer = DepthVideoWriter(
                    path, self.fps or frame.fps or DEFAULT_FPS, self.style)
                self.videos.append(path)
        if frame.sequence is None:
            return depth
        depth = self.smoother(depth, image_rgb)
        if self._writer is not None:
            self._writer.write(depth, image_rgb)
        return depth

    def close(self) -> None:
        """Finishes the current video and forgets the history."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.smoother.reset()
        self._sequence = None


def predict_video(model: nn.Module,
                  source: str,
                  temporal_smoothing: float = 0.0,
                  change_threshold: float = 0.04,
                  align: str = 'scale',
                  video_path: Optional[str] = None,
                  style: Optional[ColorStyle] = None,
                  fps: Optional[float] = None,
                  max_frames: Optional[int] = None,
                  input_size: Optional[int] = None,
                  batch_size: int = 4,
                  dtype: Optional[torch.dtype] = None
                  ) -> Iterator[Tuple[Frame, np.ndarray]]:
    """Predicts (and optionally smooths) depth frame by frame.

    Args:
        model (nn.Module): From :func:`~da2zoe.apis.init_model`.
        source (str): A video file, a frame folder or glob (images in
            sorted order), or a camera index (``'0'``, ``'camera:0'``).
        temporal_smoothing (float): Strength in [0, 1); 0 = off. See
            :class:`~da2zoe.apis.temporal.TemporalSmoother`.
        change_threshold (float): Grey-level change that resets a pixel.
        align (str): ``'scale'`` (metric models), ``'scale_shift'``
            (relative) or ``'none'``.
        video_path (str, optional): Also write the colour depth video here
            (``.mp4`` or ``.avi``).
        style (ColorStyle, optional): How the video frames are drawn.
        fps (float, optional): Video frame rate; defaults to the source's.
        max_frames (int, optional): Stop after this many frames (cameras).
        input_size (int, optional): As :func:`~da2zoe.apis.inference`.
        batch_size (int): Frames per forward pass. Defaults to 4.
        dtype (torch.dtype, optional): Autocast dtype.

    Yields:
        tuple[Frame, np.ndarray]: Each frame and its HxW depth in metres.

    Raises:
        FileNotFoundError: If ``source`` names nothing.
        SequenceError: If the source cannot be opened, has no frame, or
            breaks off (unreadable frame, size change): the message names
            the source and frame index; earlier frames were yielded and
            the video holds them.
    """
    sources = collect_sources(source)
    if not sources:
        raise FileNotFoundError(f'No images or videos found in {source!r}')
    outputs = SequenceOutputs(temporal_smoothing, change_threshold, align,
                              None, 'mp4', fps, style)
    writer = None
    if video_path is not None:
        writer = DepthVideoWriter(video_path, fps or DEFAULT_FPS, style)
    try:
        batch: List[Frame] = []
        for frame in iter_frames(sources, sequence=source,
                                 max_frames=max_frames):
            if frame.error is not None:
                yield from _flush(model, batch, outputs, writer, input_size,
                                  batch_size, dtype)
                raise SequenceError(frame.error)
            if writer is not None and writer.frames == 0 and fps is None \
                    and frame.fps:
                writer.fps = frame.fps
            batch.append(frame)
            if len(batch) == batch_size:
                yield from _flush(model, batch, outputs, writer, input_size,
                                  batch_size, dtype)
                batch = []
        yield from _flush(model, batch, outputs, writer, input_size,
                          batch_size, dtype)
    finally:
        outputs.close()
        if writer is not None:
            writer.close()


def _flush(model: nn.Module, batch: List[Frame], outputs: SequenceOutputs,
           writer: Optional[DepthVideoWriter], input_size: Optional[int],
           batch_size: int, dtype: Optional[torch.dtype]
           ) -> Iterator[Tuple[Frame, np.ndarray]]:
    """Runs a batch of frames and yields their smoothed depths in order."""
    if not batch:
        return
    depths = inference(model, [frame.image for frame in batch],
                       input_size=input_size, dtype=dtype,
                       batch_size=batch_size)
    for frame, depth in zip(batch, depths):
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        depth = outputs(frame, depth, rgb)
        if writer is not None:
            writer.write(depth, rgb)
        yield frame, depth
    batch.clear()
