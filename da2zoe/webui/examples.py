"""Example images the demo offers without any download: synthetic rooms."""
import os
from typing import List, Tuple

import cv2

from da2zoe.testing import render_scene

EXAMPLE_SIZE = (360, 480)


def write_examples(folder: str,
                   count: int = 4,
                   size: Tuple[int, int] = EXAMPLE_SIZE,
                   seed: int = 0) -> List[str]:
    """Renders ``count`` synthetic rooms (NYU-like camera) as PNG files.

    Args:
        folder (str): Output folder (created); existing files are reused.
        count (int): How many rooms. Defaults to 4.
        size (tuple[int, int]): ``(height, width)``. Defaults to 360x480.
        seed (int): Scene seed of :func:`da2zoe.testing.render_scene`.

    Returns:
        list[str]: The PNG paths, ``room_<index>_<W>x<H>_seed<seed>.png``.
    """
    os.makedirs(folder, exist_ok=True)
    paths = []
    for index in range(count):
        path = os.path.join(
            folder, f'room_{index}_{size[1]}x{size[0]}_seed{seed}.png')
        if not os.path.isfile(path):
            scene = render_scene(index, seed, tuple(size))
            if not cv2.imwrite(path, scene.rgb[..., ::-1]):
                raise OSError(f'could not write {path!r}')
        paths.append(path)
    return paths
