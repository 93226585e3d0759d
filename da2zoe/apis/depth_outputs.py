"""Files ``tools/infer.py`` writes for one depth map."""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from da2zoe.apis.pointcloud import Intrinsics, depth_to_points, write_ply
from da2zoe.datasets.codecs import encode_millimetres
from da2zoe.visualization import colorize_depth, depth_range, draw_colorbar
from da2zoe.visualization.colorize import valid_depth_mask

OUTPUT_KINDS = ('png16', 'npy', 'color', 'ply')
SUFFIXES = dict(
    png16='_depth.png', npy='_depth.npy', color='_depth_color.png',
    ply='_points.ply')


@dataclass
class ColorStyle:
    """How the colour picture is drawn.

    Args:
        vmin (float, optional): Fixed low end of the colour range; the 2nd
            percentile of the valid depth when None.
        vmax (float, optional): Fixed high end; the 98th percentile when
            None.
        cmap (str): Matplotlib colormap. Defaults to ``'turbo'``.
        colorbar (bool): Draw the range inside the picture (it keeps the
            input's size). Defaults to True.
        side_by_side (bool): ``[input | depth]``, twice the input's width.
            Defaults to False.
        unit (str): After the colour bar's numbers. Defaults to ``' m'``
            (``''`` for a relative model's unitless values).
    """

    vmin: Optional[float] = None
    vmax: Optional[float] = None
    cmap: str = 'turbo'
    colorbar: bool = True
    side_by_side: bool = False
    unit: str = ' m'


def color_picture(depth: np.ndarray, image_rgb: np.ndarray,
                  style: Optional[ColorStyle] = None) -> np.ndarray:
    """Colourised depth at the image's size, optionally beside the image.

    Args:
        depth (np.ndarray): HxW metres.
        image_rgb (np.ndarray): HxWx3 uint8 RGB input.
        style (ColorStyle, optional): Range, colormap, colour bar, layout.
            Defaults to ``ColorStyle()``.

    Returns:
        np.ndarray: HxWx3 (or Hx2Wx3 side by side) uint8 RGB.
    """
    style = style or ColorStyle()
    auto_min, auto_max = depth_range(depth, valid_depth_mask(depth))
    vmin = auto_min if style.vmin is None else style.vmin
    vmax = auto_max if style.vmax is None else style.vmax
    picture = colorize_depth(depth, vmin, vmax, style.cmap)
    if style.colorbar:
        picture = draw_colorbar(picture, vmin, vmax, style.cmap,
                                unit=style.unit)
    if style.side_by_side:
        picture = np.concatenate([image_rgb, picture], axis=1)
    return picture


def _imwrite(path: str, image: np.ndarray) -> None:
    if not cv2.imwrite(path, image):
        raise OSError(f'could not write {path!r}')


def save_outputs(out_dir: str,
                 name: str,
                 depth: np.ndarray,
                 image_rgb: np.ndarray,
                 kinds: Sequence[str],
                 intrinsics: Optional[Intrinsics] = None,
                 ply_binary: bool = True,
                 style: Optional[ColorStyle] = None,
                 quantity: str = 'depth') -> list:
    """Writes the chosen outputs for one image as ``<out_dir>/<name><suffix>``.

    Args:
        out_dir (str): Output folder (created).
        name (str): Output stem.
        depth (np.ndarray): HxW metres.
        image_rgb (np.ndarray): HxWx3 uint8 RGB input (colours).
        kinds (Sequence[str]): Any of ``png16`` (16-bit millimetres),
            ``npy`` (float32 metres), ``color``, ``ply``.
        intrinsics (tuple, optional): ``(fx, fy, cx, cy)``; needed for
            ``ply``.
        ply_binary (bool): Binary little-endian (True) or ASCII PLY.
        style (ColorStyle, optional): How the ``color`` picture is drawn.
        quantity (str): What ``depth`` holds: ``'depth'`` (metres, the
            default) or a relative model's ``'relative_depth'`` /
            ``'disparity'``, which names the ``npy`` and ``color`` files
            (``<name>_disparity.npy``) and rules out ``png16`` and ``ply``
            (they are metres).

    Returns:
        list[str]: The files written.

    Raises:
        ValueError: For ``png16`` or ``ply`` of a quantity other than
            metric depth, or an unknown kind.
    """
    metres_only = [k for k in kinds if k in ('png16', 'ply')]
    if quantity != 'depth' and metres_only:
        raise ValueError(f'{metres_only}: metric outputs, but the prediction '
                         f'is {quantity.replace("_", " ")}')
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for kind in kinds:
        suffix = SUFFIXES[kind] if kind in SUFFIXES else None
        if suffix is None:
            raise ValueError(f'unknown output kind {kind!r}')
        path = osp.join(out_dir, name + suffix.replace('_depth',
                                                       '_' + quantity))
        if kind == 'png16':
            _imwrite(path, encode_millimetres(depth))
        elif kind == 'npy':
            np.save(path, np.asarray(depth, dtype=np.float32))
        elif kind == 'color':
            picture = color_picture(depth, image_rgb, style)
            _imwrite(path, np.ascontiguousarray(picture[..., ::-1]))
        elif kind == 'ply':
            if intrinsics is None:
                raise ValueError('ply output needs intrinsics')
            points, kept = depth_to_points(depth, intrinsics)
            write_ply(path, points, image_rgb[kept], binary=ply_binary)
        else:
            raise ValueError(f'unknown output kind {kind!r}')
        written.append(path)
    return written


def save_sky_mask(out_dir: str, name: str, sky: np.ndarray,
                  threshold: float = 0.3) -> str:
    """Writes ``<out_dir>/<name>_sky.png``: 255 where the sky score is at
    least ``threshold`` (Depth Anything 3's rule), else 0.

    Args:
        out_dir (str): Output folder (created).
        name (str): Output stem.
        sky (np.ndarray): HxW sky score (``inference(return_sky=True)``).
        threshold (float): Sky from this score. Defaults to 0.3.

    Returns:
        str: The file written.
    """
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, name + '_sky.png')
    _imwrite(path, np.where(sky >= threshold, 255, 0).astype(np.uint8))
    return path
