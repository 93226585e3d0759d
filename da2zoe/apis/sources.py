"""Inputs of ``tools/infer.py``: images, folders, globs and videos as
frames."""
import glob
import os
import os.path as osp
from dataclasses import dataclass
from typing import Iterator, List, Optional

import cv2
import numpy as np

from .preprocess import ImageReadError, read_image

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp', '.ppm', '.pgm')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv')


@dataclass
class Frame:
    """One input picture, or the reason it could not be read.

    Args:
        name (str): Output stem: the image's stem, or
            ``<video stem>_<frame:06d>`` for video frames.
        source (str): The file it came from.
        image (np.ndarray, optional): HxWx3 uint8 BGR; None on failure.
        error (str, optional): Why it could not be read.
    """

    name: str
    source: str
    image: Optional[np.ndarray] = None
    error: Optional[str] = None


def is_video(path: str) -> bool:
    return osp.splitext(path)[1].lower() in VIDEO_EXTENSIONS


def collect_sources(spec: str) -> List[str]:
    """Files an input spec names: a file, a folder (its images and videos,
    not recursive) or a glob pattern (``**`` recursive), sorted.

    Args:
        spec (str): The ``INPUT`` argument.

    Returns:
        list[str]: Files, possibly empty for a folder or glob.

    Raises:
        FileNotFoundError: If ``spec`` is neither a file, a folder nor a
            glob pattern.
    """
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
    raise FileNotFoundError(f'Input {spec!r} is not a file, a folder or a '
                            'glob pattern')


def count_frames(sources: List[str]) -> int:
    """Expected number of frames (videos by their header's frame count)."""
    total = 0
    for path in sources:
        if not is_video(path):
            total += 1
            continue
        capture = cv2.VideoCapture(path)
        total += max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 1)
        capture.release()
    return total


def _video_frames(path: str) -> Iterator[Frame]:
    stem = osp.splitext(osp.basename(path))[0]
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        yield Frame(stem, path, error=f'Cannot open video {path!r}')
        return
    index = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            yield Frame(f'{stem}_{index:06d}', path, image=image)
            index += 1
    finally:
        capture.release()
    if index == 0:
        yield Frame(stem, path, error=f'No frame decoded from video {path!r}')


def iter_frames(sources: List[str]) -> Iterator[Frame]:
    """Reads every source lazily; failures become frames with an error.

    Args:
        sources (list[str]): Files from :func:`collect_sources`.

    Yields:
        Frame: One per image, one per video frame.
    """
    for path in sources:
        if is_video(path):
            yield from _video_frames(path)
            continue
        stem = osp.splitext(osp.basename(path))[0]
        try:
            yield Frame(stem, path, image=read_image(path))
        except ImageReadError as err:
            yield Frame(stem, path, error=str(err))
