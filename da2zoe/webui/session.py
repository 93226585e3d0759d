"""What the web demo does, without the page: predict, then draw and write.

:class:`DepthDemo` holds the model; :meth:`DepthDemo.predict` runs
:func:`da2zoe.apis.inference` on one RGB image and times it, and
:meth:`DepthDemo.render` turns a prediction into the picture, the colour
bar, the numbers and the files the page shows. The page
(:mod:`da2zoe.webui.app`) is only layout and wiring around these two.
"""
import os
import re
import shutil
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from typing import Deque, List, Optional

import numpy as np
import torch
from torch import nn

from da2zoe.analysis.cpu import choose_bf16
from da2zoe.apis import inference
from da2zoe.apis.depth_outputs import ColorStyle, color_picture, save_outputs
from da2zoe.apis.mesh import depth_to_mesh, write_glb
from da2zoe.apis.pipeline import DEFAULT_INPUT_SIZE, config_test_pipeline
from da2zoe.apis.pointcloud import Intrinsics, intrinsics_from_hfov
from da2zoe.apis.prediction_kind import DISPARITY, METRIC, prediction_kind
from da2zoe.structures.patch_grid import (
    check_multiple_of_14,
    keep_aspect_size,
    longest_side_sizes,
    midas_resize_size,
)
from da2zoe.visualization import depth_range
from da2zoe.visualization.colorize import valid_depth_mask
from .colorbar_html import colorbar_html
from .uploads import UploadLimits, read_upload

DOWNLOAD_KINDS = ('png16', 'npy', 'ply', 'color')
KEEP_RENDERS = 64  # folders of written files kept before the oldest goes


@dataclass
class Prediction:
    """One image's depth and how it was made.

    Args:
        name (str): Stem of the download files.
        rgb (np.ndarray): HxWx3 uint8 RGB input.
        depth (np.ndarray): HxW float32 metres at the input's size.
        seconds (float): Wall time of :func:`da2zoe.apis.inference`.
        input_size (int): The short-side bound used (multiple of 14), or
            the longest side for a Depth Anything 3 config.
        network_size (tuple[int, int]): ``(height, width)`` the network saw.
        dtype (str): ``'bfloat16'`` or ``'float32'``.
        flip (bool): Whether flip TTA was on.
        note (str, optional): Something the user should know (e.g. bf16
            refused on this CPU).
    """

    name: str
    rgb: np.ndarray
    depth: np.ndarray
    seconds: float
    input_size: int
    network_size: tuple
    dtype: str
    flip: bool
    note: Optional[str] = None


@dataclass
class View:
    """How a prediction is shown.

    Args:
        max_depth (float): Top of the colour scale in metres (the scale
            then starts at 0); 0 or less: the 2nd-98th percentile of the
            valid depth.
        hfov (float, optional): Horizontal field of view in degrees, used
            when ``pinhole`` is None.
        pinhole (tuple, optional): ``(fx, fy, cx, cy)`` in the uploaded
            image's pixels.
    """

    max_depth: float = 0.0
    hfov: Optional[float] = 63.0
    pinhole: Optional[Intrinsics] = None


@dataclass
class Rendered:
    """What the page shows for a prediction.

    Args:
        color (np.ndarray): HxWx3 uint8 colour depth with its bar drawn in.
        colorbar (str): The HTML colour bar.
        stats (str): Markdown: min / median / max depth and the timing.
        files (list[str]): Downloads: 16-bit PNG (mm), ``.npy`` (m),
            ``.ply``, colour PNG, ``.glb`` mesh.
        mesh (str, optional): The ``.glb`` for the 3-D view (None for a
            relative model: its values are not metres).
        vmin (float): Bottom of the colour scale (m).
        vmax (float): Top of the colour scale (m).
    """

    color: np.ndarray
    colorbar: str
    stats: str
    files: List[str]
    mesh: Optional[str]
    vmin: float
    vmax: float


def takes_process_res(model: nn.Module) -> bool:
    """Whether the model's test pipeline resizes as Depth Anything 3 does
    (``LongestSideResize``: the size is the longest side, any int)."""
    return any(t.get('type') == 'LongestSideResize'
               for t in config_test_pipeline(getattr(model, 'cfg', None)))


def in_model_resize(model: nn.Module) -> Optional[dict]:
    """The data preprocessor's ``input_resize`` of a model that resizes
    every image itself (the DA-V1 metric and DA-V2 metric / relative
    configs), else None. Such a model has no size option."""
    preprocessor = getattr(model, 'data_preprocessor', None)
    return getattr(preprocessor, 'input_resize', None)


def network_size(model: nn.Module, shape: tuple, size: int) -> tuple:
    """(h, w) of the network input for an image of ``shape`` at ``size``
    (ignored by a model that resizes in the model)."""
    resize = in_model_resize(model)
    if resize is not None:
        return midas_resize_size(tuple(shape), tuple(resize['size']),
                                 resize['keep_aspect_ratio'],
                                 resize['resize_method'])
    if takes_process_res(model):
        return longest_side_sizes(shape, int(size))[1]
    return keep_aspect_size(shape, int(size))


def config_input_size(model: nn.Module) -> int:
    """The size ``inference()`` uses by default for ``model``: a Depth
    Anything 3 pipeline's ``process_res`` (longest side); else the short-side
    bound: the config's ``infer_size``, else its test pipeline's
    ``KeepAspectResize`` bound, else DA-V2's 518. A model that resizes in
    the model: the short side of its ``input_resize`` target."""
    resize = in_model_resize(model)
    if resize is not None:
        return int(min(resize['size']))
    cfg = getattr(model, 'cfg', None)
    for transform in config_test_pipeline(cfg):
        if transform.get('type') == 'LongestSideResize':
            return int(transform.get('process_res', 504))
    if cfg is not None and cfg.get('infer_size'):
        return int(cfg.get('infer_size'))
    for transform in config_test_pipeline(cfg):
        if transform.get('type') == 'KeepAspectResize':
            size = transform.get('min_size')
            return int(size if isinstance(size, int) else min(size))
    return DEFAULT_INPUT_SIZE


def _stem(name: Optional[str]) -> str:
    stem = os.path.splitext(os.path.basename(name or ''))[0]
    stem = re.sub(r'[^A-Za-z0-9._-]+', '_', stem).strip('._')
    return stem[:64] or 'image'


def depth_stats(depth: np.ndarray) -> tuple:
    """``(min, median, max)`` of the valid (finite, positive) depth, or
    three NaNs when nothing is valid."""
    values = depth[valid_depth_mask(depth)]
    if values.size == 0:
        return (float('nan'), ) * 3
    return (float(values.min()), float(np.median(values)),
            float(values.max()))


class DepthDemo:
    """The model and the rules of the web demo.

    Args:
        model (nn.Module): A depther from :func:`da2zoe.apis.init_model`.
        out_root (str, optional): Where download files are written (one
            folder per rendering, the oldest removed past 64). Defaults to
            a new temporary folder.
        limits (UploadLimits, optional): Upload bounds. Defaults to
            ``UploadLimits()``.
        cmap (str): Colormap. Defaults to ``'turbo'`` (near blue, far red,
            as every da2zoe picture).
    """

    def __init__(self,
                 model: nn.Module,
                 out_root: Optional[str] = None,
                 limits: Optional[UploadLimits] = None,
                 cmap: str = 'turbo') -> None:
        self.model = model
        self.device = str(next(model.parameters()).device)
        self.default_input_size = config_input_size(model)
        self.takes_process_res = takes_process_res(model)
        self.fixed_size = in_model_resize(model) is not None
        # A relative model predicts no metres: no millimetre PNG, point
        # cloud or mesh, and its numbers carry no unit.
        kind = prediction_kind(getattr(model, 'cfg', None))
        self.quantity = 'depth' if kind == METRIC else kind
        # A canonical-camera model (DA3Metric) scales its depth by the
        # focal: the page's camera then drives the prediction too.
        self.camera_scaled = getattr(model, 'camera', None) is not None
        self.out_root = out_root or tempfile.mkdtemp(prefix='da2zoe_webui_')
        os.makedirs(self.out_root, exist_ok=True)
        self.limits = limits or UploadLimits()
        self.cmap = cmap
        self.native_bf16, self.bf16_message = choose_bf16(
            'bf16', self.device)
        self._renders: Deque[str] = deque()

    def read(self, path: str, input_size: int,
             name: Optional[str] = None) -> np.ndarray:
        """Reads an upload (see :func:`read_upload`); raises
        :class:`UploadError` with the reason, naming ``name``."""
        return read_upload(
            path, int(input_size), self.limits, name,
            lambda shape, size: network_size(self.model, shape, size))

    def predict(self,
                rgb: np.ndarray,
                name: Optional[str] = None,
                input_size: Optional[int] = None,
                flip: bool = False,
                bf16: bool = False,
                view: Optional['View'] = None) -> Prediction:
        """Metric depth of one RGB image, timed.

        Args:
            rgb (np.ndarray): HxWx3 uint8 RGB.
            name (str, optional): The file's name (download names).
            input_size (int, optional): Short-side bound, a multiple of 14
                (a Depth Anything 3 config: the longest side, any int).
                Defaults to the config's (:func:`config_input_size`).
                Ignored for a model that resizes in the model
                (:func:`in_model_resize`).
            flip (bool): Horizontal-flip TTA. Defaults to False.
            bf16 (bool): bf16 autocast; refused (float32, with a note) on
                a CPU without native bf16. Defaults to False.
            view (View, optional): The page's camera; a canonical-camera
                model's depth is scaled by its focal. Defaults to None (the
                config's logged default focal).

        Returns:
            Prediction: The depth and how it was made.
        """
        size = int(input_size or self.default_input_size)
        if self.fixed_size:  # the model resizes every image itself
            size, sizes = self.default_input_size, {}
        elif self.takes_process_res:
            sizes = dict(process_res=size)
        else:
            check_multiple_of_14(size, 'input size')
            sizes = dict(input_size=size)
        camera = None
        if self.camera_scaled and view is not None:
            camera = self.intrinsics_of(rgb.shape[:2], view)
        use_bf16 = bool(bf16) and self.native_bf16
        note = self.bf16_message if bf16 and not use_bf16 else None
        start = time.perf_counter()
        depth = inference(self.model, rgb, rgb=True, flip=bool(flip),
                          dtype=torch.bfloat16 if use_bf16 else None,
                          intrinsics=camera, **sizes)
        seconds = time.perf_counter() - start
        return Prediction(
            name=_stem(name), rgb=rgb, depth=depth, seconds=seconds,
            input_size=size,
            network_size=network_size(self.model, rgb.shape[:2], size),
            dtype='bfloat16' if use_bf16 else 'float32', flip=bool(flip),
            note=note)

    def intrinsics(self, prediction: Prediction, view: View) -> Intrinsics:
        """The pinhole of the uploaded image from ``view``."""
        return self.intrinsics_of(prediction.depth.shape, view)

    @staticmethod
    def intrinsics_of(shape: tuple, view: View) -> Intrinsics:
        """The pinhole of an image of ``shape`` (H, W) from ``view``."""
        height, width = shape
        if view.pinhole is not None:
            fx, fy, cx, cy = (float(v) for v in view.pinhole)
            if not (fx > 0 and fy > 0):
                raise ValueError(f'fx and fy must be positive, got fx={fx}, '
                                 f'fy={fy}')
            return fx, fy, cx, cy
        return intrinsics_from_hfov(float(view.hfov), height, width)

    def _new_folder(self) -> str:
        folder = tempfile.mkdtemp(dir=self.out_root)
        self._renders.append(folder)
        while len(self._renders) > KEEP_RENDERS:
            shutil.rmtree(self._renders.popleft(), ignore_errors=True)
        return folder

    def render(self, prediction: Prediction, view: View) -> Rendered:
        """Draws and writes a prediction.

        Args:
            prediction (Prediction): From :meth:`predict`.
            view (View): Colour scale and camera.

        Returns:
            Rendered: Picture, colour bar, statistics, files and mesh.
        """
        depth, rgb = prediction.depth, prediction.rgb
        if view.max_depth and view.max_depth > 0:
            vmin, vmax = 0.0, float(view.max_depth)
        else:
            vmin, vmax = depth_range(depth, valid_depth_mask(depth))
        metric = self.quantity == 'depth'
        cmap = self.cmap if self.quantity != DISPARITY else (
            self.cmap[:-2] if self.cmap.endswith('_r') else self.cmap + '_r')
        style = ColorStyle(vmin, vmax, cmap, unit=' m' if metric else '')
        intrinsics = self.intrinsics(prediction, view)
        folder = self._new_folder()
        files = save_outputs(
            folder, prediction.name, depth, rgb,
            DOWNLOAD_KINDS if metric else ('npy', 'color'), intrinsics,
            style=style, quantity=self.quantity)
        mesh = None
        if metric:
            mesh = os.path.join(folder, prediction.name + '_mesh.glb')
            write_glb(mesh, *depth_to_mesh(depth, intrinsics, rgb))
            files.append(mesh)
        caption = 'depth (m)' if metric else (
            self.quantity.replace('_', ' ') + ' (unitless)')
        return Rendered(
            color=color_picture(depth, rgb, style),
            colorbar=colorbar_html(vmin, vmax, cmap, caption),
            stats=self._stats(prediction, intrinsics), files=files,
            mesh=mesh, vmin=vmin, vmax=vmax)

    def _stats(self, prediction: Prediction, intrinsics: Intrinsics) -> str:
        low, median, high = depth_stats(prediction.depth)
        height, width = prediction.depth.shape
        net_h, net_w = prediction.network_size
        fx, fy, cx, cy = intrinsics
        unit = ' m' if self.quantity == 'depth' else ''
        lines = [
            f'**min** {low:.3f}{unit} · **median** {median:.3f}{unit} · '
            f'**max** {high:.3f}{unit}',
            f'inference {prediction.seconds * 1000:.0f} ms on '
            f'{self.device} · {width}x{height} image, network input '
            f'{net_w}x{net_h} · {prediction.dtype} · flip TTA '
            f'{"on" if prediction.flip else "off"}',
            f'camera fx {fx:.1f} fy {fy:.1f} cx {cx:.1f} cy {cy:.1f} px',
        ]
        if self.quantity != 'depth':
            what = self.quantity.replace('_', ' ')
            lines.append(f'_this model predicts {what}, not metres: no '
                         '16-bit PNG, point cloud or mesh_')
        if prediction.note:
            lines.append(f'_{prediction.note}_')
        return '\n\n'.join(lines)
