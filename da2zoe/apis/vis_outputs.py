"""The pictures ``tools/infer.py --vis`` writes for one depth map.

``overlay`` (colour depth blended over the image), ``error`` (abs rel
against a ground truth, with its scale; needs ``--gt``), ``anaglyph``
(red-cyan stereo synthesised from the depth) and ``panel`` (image |
prediction, or image | GT | prediction | error with a ground truth), all in
the toolbox's colours (depth turbo, error inferno, no GT grey). Ground
truth is a 16-bit millimetre PNG (what ``--save png16`` writes) or a
float ``.npy`` in metres, at the image's size.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from da2zoe.datasets.codecs import decode_millimetres, read_raw, write_raw
from da2zoe.visualization import (
    anaglyph_from_depth,
    error_map_picture,
    make_depth_panels,
    overlay_depth,
)
from da2zoe.visualization.colorize import depth_range, valid_depth_mask

VIS_KINDS = ('overlay', 'error', 'anaglyph', 'panel')
NEEDS_GT = ('error', )
GT_EXTENSIONS = ('.png', '.npy')


def parse_vis(text: str) -> List[str]:
    """``'overlay,error'`` -> ``['overlay', 'error']`` (order kept, once
    each).

    Raises:
        ValueError: Naming an unknown kind and listing the valid ones.
    """
    kinds = []
    for kind in (k.strip() for k in text.split(',')):
        if kind not in VIS_KINDS:
            raise ValueError(f'unknown --vis kind {kind!r}; valid kinds: '
                             f'{", ".join(VIS_KINDS)}')
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def find_gt(gt: str, name: str) -> str:
    """The ground-truth file of one input: ``gt`` itself, or
    ``<gt>/<name>.png|.npy`` when ``gt`` is a folder.

    Raises:
        ValueError: If the folder has no file for ``name``.
    """
    if not osp.isdir(gt):
        return gt
    for ext in GT_EXTENSIONS:
        path = osp.join(gt, name + ext)
        if osp.isfile(path):
            return path
    raise ValueError(f'no ground truth {name}.png or {name}.npy in {gt!r}')


def load_gt(path: str, shape: Sequence[int]) -> np.ndarray:
    """Ground-truth metres of one image (0 where unknown).

    Args:
        path (str): 16-bit PNG (millimetres) or ``.npy`` (metres).
        shape (Sequence[int]): The image's (H, W).

    Raises:
        ValueError: Naming the file when it is missing, unreadable, of
            another format or of another size.
    """
    stored = read_raw(path)  # BadSampleError (a ValueError) names the file
    if path.endswith('.npy'):
        if not np.issubdtype(stored.dtype, np.floating):
            raise ValueError(f'{path}: a .npy ground truth holds float '
                             f'metres, got {stored.dtype}')
        metres = stored.astype(np.float32)
    elif stored.dtype == np.uint16:
        metres = decode_millimetres(stored)
    else:
        raise ValueError(f'{path}: expected a 16-bit PNG in millimetres or '
                         f'a float .npy in metres, got {stored.dtype}')
    if metres.shape != tuple(shape):
        raise ValueError(f'{path}: ground truth is {metres.shape[0]}x'
                         f'{metres.shape[1]}, the image {shape[0]}x{shape[1]}')
    return metres


@dataclass
class VisStyle:
    """How the ``--vis`` pictures are drawn.

    Args:
        vmin (float, optional): Depth colour range low end (robust
            percentile when None).
        vmax (float, optional): High end.
        cmap (str): Depth colormap. Defaults to ``'turbo'``.
        alpha (float): Overlay weight of the depth colour. Defaults to 0.5.
        error_vmax (float): Abs rel at the top error colour. Defaults to
            0.25.
        max_disparity (float, optional): Anaglyph shift of the near end in
            pixels; 3 % of the width when None.
    """

    vmin: Optional[float] = None
    vmax: Optional[float] = None
    cmap: str = 'turbo'
    alpha: float = 0.5
    error_vmax: float = 0.25
    max_disparity: Optional[float] = None


def vis_picture(kind: str, depth: np.ndarray, image_rgb: np.ndarray,
                gt: Optional[np.ndarray] = None,
                style: Optional[VisStyle] = None) -> np.ndarray:
    """One ``--vis`` picture as HxWx3 (panel: wider) uint8 RGB.

    Raises:
        ValueError: For an unknown kind, or ``error`` without ``gt``.
    """
    style = style or VisStyle()
    if kind in NEEDS_GT and gt is None:
        raise ValueError(f'--vis {kind} needs a ground truth (--gt)')
    auto = depth_range(depth, valid_depth_mask(depth))
    vmin = auto[0] if style.vmin is None else style.vmin
    vmax = auto[1] if style.vmax is None else style.vmax
    if kind == 'overlay':
        return overlay_depth(image_rgb, depth, style.alpha, vmin, vmax,
                             style.cmap)
    if kind == 'error':
        return error_map_picture(depth, gt, vmax=style.error_vmax)
    if kind == 'anaglyph':
        return anaglyph_from_depth(image_rgb, depth, style.max_disparity,
                                   (vmin, vmax))
    if kind == 'panel':
        return make_depth_panels(image_rgb, depth, gt, cmap=style.cmap,
                                 error_vmax=style.error_vmax)
    raise ValueError(f'unknown --vis kind {kind!r}; valid kinds: '
                     f'{", ".join(VIS_KINDS)}')


def save_visuals(out_dir: str, name: str, depth: np.ndarray,
                 image_rgb: np.ndarray, kinds: Sequence[str],
                 gt: Optional[np.ndarray] = None,
                 style: Optional[VisStyle] = None) -> List[str]:
    """Writes ``<out_dir>/<name>_<kind>.png`` for each kind.

    Args:
        out_dir (str): Output folder (created).
        name (str): Output stem.
        depth (np.ndarray): HxW predicted metres.
        image_rgb (np.ndarray): HxWx3 uint8 RGB input.
        kinds (Sequence[str]): Of :data:`VIS_KINDS`.
        gt (np.ndarray, optional): HxW ground-truth metres.
        style (VisStyle, optional): Range, colormap, alpha, error scale.

    Returns:
        list[str]: The files written.

    Raises:
        OSError: If a file cannot be written (named).
    """
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for kind in kinds:
        picture = vis_picture(kind, depth, image_rgb, gt, style)
        path = osp.join(out_dir, f'{name}_{kind}.png')
        write_raw(path, np.ascontiguousarray(picture[..., ::-1]))
        written.append(path)
    return written
