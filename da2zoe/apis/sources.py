"""Inputs of ``tools/infer.py``: images, folders, globs, videos and cameras
as frames.

A video or a camera is a **sequence**: its frames share one size, keep
their order and carry the sequence's name (for temporal smoothing and the
depth video). A folder or glob of images is one sequence when asked for
(``iter_frames(..., sequence=SPEC)``), e.g. a frame folder. Broken input
never raises from here: it becomes a frame with an ``error`` that names the
source and the frame index, and ``fatal=True`` when the rest of that
sequence is dropped (frames before it were already yielded).
"""
import glob
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Tuple

import cv2
import numpy as np

from .preprocess import ImageReadError, read_image

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp', '.ppm', '.pgm')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv')
_CAMERA = re.compile(r'^(?:cam(?:era)?:)?(\d+)$')


@dataclass
class Frame:
    """One input picture, or the reason it could not be read.

    Args:
        name (str): Output stem: the image's stem, ``<video stem>_<frame:06d>``
            for video frames, ``camera<N>_<frame:06d>`` for a camera.
        source (str): The file (or ``camera:N``) it came from.
        image (np.ndarray, optional): HxWx3 uint8 BGR; None on failure.
        error (str, optional): Why it could not be read.
        sequence (str, optional): Name of the sequence it belongs to (the
            video, camera or frame-folder spec); None for a lone image.
        index (int): Frame index in its sequence (0 for a lone image).
        fps (float, optional): The sequence's frame rate when known.
        fatal (bool): With an error: the rest of the sequence is dropped.
    """

    name: str
    source: str
    image: Optional[np.ndarray] = None
    error: Optional[str] = None
    sequence: Optional[str] = None
    index: int = 0
    fps: Optional[float] = None
    fatal: bool = False


def camera_index(spec: str) -> Optional[int]:
    """The camera an input spec names (``0``, ``cam:0``, ``camera:0``), or
    None; an existing file or folder called ``0`` is not a camera."""
    match = _CAMERA.match(spec)
    if match is None or osp.exists(spec):
        return None
    return int(match.group(1))


def is_camera(source: str) -> bool:
    return source.startswith('camera:')


def is_video(path: str) -> bool:
    return osp.splitext(path)[1].lower() in VIDEO_EXTENSIONS


def collect_sources(spec: str) -> List[str]:
    """Sources an input spec names: a camera index (``camera:N``), a file,
    a folder (its images and videos, not recursive) or a glob pattern
    (``**`` recursive), sorted.

    Args:
        spec (str): The ``INPUT`` argument.

    Returns:
        list[str]: Files (or ``['camera:N']``), possibly empty for a folder
        or glob.

    Raises:
        FileNotFoundError: If ``spec`` is neither a camera index, a file, a
            folder nor a glob pattern.
    """
    camera = camera_index(spec)
    if camera is not None:
        return [f'camera:{camera}']
    if osp.isdir(spec):
        wanted = IMAGE_EXTENSIONS + VIDEO_EXTENSIONS
        return sorted(
            osp.join(spec, name) for name in os.listdir(spec)
            if osp.splitext(name)[1].lower() in wanted
            and osp.isfile(osp.join(spec, name)))
    if glob.has_magic(spec):
        return sorted(p for p in glob.glob(spec, recursive=True)
                      if osp.isfile(p))
    if osp.isfile(spec):
        return [spec]
    raise FileNotFoundError(f'Input {spec!r} is not a camera index, a file, '
                            'a folder or a glob pattern')


def count_frames(sources: List[str],
                 max_frames: Optional[int] = None) -> Optional[int]:
    """Expected number of frames (videos by their header's frame count);
    None when a camera makes it open-ended.

    Args:
        sources (list[str]): From :func:`collect_sources`.
        max_frames (int, optional): Most frames read per video or camera.
    """
    total = 0
    for path in sources:
        if is_camera(path):
            if max_frames is None:
                return None
            total += max_frames
            continue
        if not is_video(path):
            total += 1
            continue
        capture = cv2.VideoCapture(path)
        count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 1)
        capture.release()
        total += count if max_frames is None else min(count, max_frames)
    return total


def _fps(capture: cv2.VideoCapture) -> Optional[float]:
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    return fps if np.isfinite(fps) and 0 < fps <= 1000 else None


def _capture_frames(capture: cv2.VideoCapture, source: str, stem: str,
                    label: str, expected: int,
                    max_frames: Optional[int]) -> Iterator[Frame]:
    """Frames of an opened capture; a short read is a fatal error frame."""
    fps = _fps(capture)
    index = 0
    try:
        while max_frames is None or index < max_frames:
            ok, image = capture.read()
            if not ok:
                break
            yield Frame(f'{stem}_{index:06d}', source, image=image,
                        sequence=source, index=index, fps=fps)
            index += 1
    finally:
        capture.release()
    if index == 0:
        yield Frame(stem, source, sequence=source, fatal=True,
                    error=f'No frame decoded from {label}')
    elif index < expected and (max_frames is None or index < max_frames):
        yield Frame(f'{stem}_{index:06d}', source, sequence=source,
                    index=index, fatal=True,
                    error=f'{label}: frame {index} could not be decoded '
                    f'(the header says {expected} frames); frames 0-'
                    f'{index - 1} were processed')


def _video_frames(path: str, max_frames: Optional[int]) -> Iterator[Frame]:
    stem = osp.splitext(osp.basename(path))[0]
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        capture.release()
        yield Frame(stem, path, sequence=path, fatal=True,
                    error=f'Cannot open video {path!r} (unreadable or not '
                    'a video OpenCV can decode)')
        return
    expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    yield from _capture_frames(capture, path, stem, f'video {path!r}',
                               expected, max_frames)


def _camera_frames(source: str,
                   max_frames: Optional[int]) -> Iterator[Frame]:
    index = int(source.split(':')[1])
    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        capture.release()
        yield Frame(f'camera{index}', source, sequence=source, fatal=True,
                    error=f'Cannot open camera {index} (no such device, or '
                    'it is busy or not permitted)')
        return
    yield from _capture_frames(capture, source, f'camera{index}',
                               f'camera {index}', 0, max_frames)


def _image_frames(paths: Iterable[str], sequence: Optional[str],
                  alpha: str = 'error') -> Iterator[Frame]:
    for index, path in enumerate(paths):
        stem = osp.splitext(osp.basename(path))[0]
        position = index if sequence is not None else 0
        try:
            yield Frame(stem, path, image=read_image(path, alpha),
                        sequence=sequence, index=position)
        except ImageReadError as err:
            yield Frame(stem, path, error=str(err), sequence=sequence,
                        index=position)


def _one_size(frames: Iterator[Frame]) -> Iterator[Frame]:
    """Stops a sequence at the first frame of another size."""
    first: Optional[Tuple[int, int]] = None
    for frame in frames:
        if frame.image is None or frame.sequence is None:
            yield frame
            continue
        size = frame.image.shape[:2]
        if first is None:
            first = size
        elif size != first:
            yield Frame(frame.name, frame.source, sequence=frame.sequence,
                        index=frame.index, fatal=True,
                        error=f'{frame.sequence}: frame {frame.index} '
                        f'({frame.source}) is {size[1]}x{size[0]}, the '
                        f'sequence started at {first[1]}x{first[0]}; the '
                        'rest of this sequence is skipped (earlier frames '
                        'were written)')
            return
        yield frame


def iter_frames(sources: List[str],
                sequence: Optional[str] = None,
                max_frames: Optional[int] = None,
                alpha: str = 'error') -> Iterator[Frame]:
    """Reads every source lazily; failures become frames with an error.

    Args:
        sources (list[str]): From :func:`collect_sources`.
        sequence (str, optional): Name under which the images (not the
            videos) form one sequence, in order (a frame folder). Defaults
            to None: images are independent.
        max_frames (int, optional): Most frames per video, camera or image
            sequence.
        alpha (str): Image files with an alpha channel are failed frames
            (``'error'``, default) or lose it (``'drop'``); see
            :func:`~da2zoe.apis.preprocess.read_image`.

    Yields:
        Frame: One per image, one per video or camera frame.
    """
    images = [p for p in sources if not is_video(p) and not is_camera(p)]
    if sequence is not None and images:
        yield from _one_size(_image_frames(images[:max_frames], sequence,
                                           alpha))
    for path in sources:
        if is_camera(path):
            yield from _one_size(_camera_frames(path, max_frames))
        elif is_video(path):
            yield from _one_size(_video_frames(path, max_frames))
        elif sequence is None:
            yield from _image_frames([path], None, alpha)
