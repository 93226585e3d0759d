"""Image | ground truth | prediction | error panels for depth samples."""
import os
import os.path as osp
from typing import List, Optional

import cv2
import numpy as np
import torch
from mmengine.visualization import Visualizer

from da2zoe.registry import VISUALIZERS
from .colorbar import draw_colorbar, label_panel
from .colorize import colorize_depth, depth_range, valid_depth_mask
from .error_map import error_map_picture


def _to_numpy(value) -> Optional[np.ndarray]:
    """Tensor or array -> numpy (None passes through)."""
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        value = value.detach().float().cpu().numpy() \
            if value.dtype != torch.bool else value.cpu().numpy()
    return np.asarray(value)


def image_to_hwc(image) -> np.ndarray:
    """A (3, H, W) tensor or HxWx3 array -> HxWx3 uint8 (channels kept)."""
    image = _to_numpy(image)
    if image.ndim == 3 and image.shape[0] == 3 and image.shape[-1] != 3:
        image = image.transpose(1, 2, 0)
    return np.clip(image, 0, 255).astype(np.uint8)


def _fit(picture: np.ndarray, size: tuple, nearest: bool = False):
    """Resizes an HxW(x3) picture to ``size`` = (H, W) if it differs."""
    if picture.shape[:2] == tuple(size):
        return picture
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.resize(picture, (size[1], size[0]), interpolation=interp)


def make_depth_panels(image,
                      pred_depth=None,
                      gt_depth=None,
                      gt_mask=None,
                      cmap: str = 'turbo',
                      error_vmax: float = 0.25,
                      colorbar: bool = True) -> np.ndarray:
    """Side-by-side panels: image | GT | prediction | abs-rel error.

    Every panel is drawn at the ground truth's size (the prediction's when
    there is no ground truth). GT and prediction share one colour range
    (robust percentiles of the valid GT, else of the prediction); pixels
    outside ``gt_mask`` are grey in the GT and error panels. Panels whose
    inputs are missing are left out.

    Args:
        image: (3, H, W) tensor or HxWx3 uint8 RGB image.
        pred_depth: (1, H, W) or HxW predicted metres, optional.
        gt_depth: (1, H, W) or HxW ground-truth metres, optional.
        gt_mask: (1, H, W) or HxW bool of trusted GT, optional.
        cmap (str): Depth colormap. Defaults to ``'turbo'``.
        error_vmax (float): Abs-rel error at the top colour. Defaults to 0.25.
        colorbar (bool): Draw a colour bar with its range on every panel
            but the image (metres on GT and prediction, abs rel on the
            error). Defaults to True.

    Returns:
        np.ndarray: H x (n_panels * W) x 3 uint8 RGB.
    """
    image = image_to_hwc(image)
    pred = _to_numpy(pred_depth)
    gt = _to_numpy(gt_depth)
    reference = gt if gt is not None else pred
    size = reference.shape[-2:] if reference is not None else image.shape[:2]
    panels = [label_panel(_fit(image, size), 'image')]
    invalid = None
    if gt is not None:
        gt = gt.reshape(size)
        mask = (np.ones(size, bool) if gt_mask is None else
                _to_numpy(gt_mask).astype(bool).reshape(size))
        invalid = ~valid_depth_mask(gt, ~mask)
    if pred is not None:
        pred = _fit(pred.reshape(pred.shape[-2:]).astype(np.float32), size)
    if gt is not None and not invalid.all():
        vmin, vmax = depth_range(gt, ~invalid)
    elif pred is not None:
        vmin, vmax = depth_range(pred, valid_depth_mask(pred))
    else:
        vmin, vmax = 0.0, 1.0

    def with_bar(shown):
        return draw_colorbar(shown, vmin, vmax, cmap) if colorbar else shown

    if gt is not None:
        panels.append(label_panel(
            with_bar(colorize_depth(gt, vmin, vmax, cmap, invalid)), 'GT'))
    if pred is not None:
        panels.append(label_panel(
            with_bar(colorize_depth(pred, vmin, vmax, cmap)), 'prediction'))
    if gt is not None and pred is not None:
        panels.append(label_panel(
            error_map_picture(pred, gt, ~invalid, error_vmax,
                              colorbar=colorbar), 'abs rel'))
    return np.concatenate(panels, axis=1)


@VISUALIZERS.register_module()
class DepthVisualizer(Visualizer):
    """Draws depth samples as image | GT | prediction | abs-rel panels.

    The picture goes to every vis backend (``LocalVisBackend`` writes PNGs,
    ``TensorboardVisBackend`` an image summary), to a window with ``show``,
    or to ``out_file``.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        image (np.ndarray, optional): Initial image. Defaults to None.
        vis_backends (list[dict], optional): Backend configs.
        save_dir (str, optional): Where backends write.
        cmap (str): Depth colormap. Defaults to ``'turbo'``.
        error_vmax (float): Abs-rel error at the top colour. Defaults to 0.25.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 cmap: str = 'turbo',
                 error_vmax: float = 0.25) -> None:
        super().__init__(
            name=name, image=image, vis_backends=vis_backends,
            save_dir=save_dir)
        self.cmap = cmap
        self.error_vmax = error_vmax

    def draw_depth_sample(self, image, data_sample) -> np.ndarray:
        """Panels for one :class:`DepthDataSample` (see ``make_depth_panels``).

        Args:
            image: (3, H, W) tensor or HxWx3 uint8 RGB.
            data_sample (DepthDataSample): With ``pred_depth`` and/or
                ``gt_depth`` (and ``gt_mask``).

        Returns:
            np.ndarray: The panels, HxWx3 uint8 RGB.
        """
        return make_depth_panels(
            image,
            pred_depth=getattr(data_sample, 'pred_depth', None),
            gt_depth=getattr(data_sample, 'gt_depth', None),
            gt_mask=getattr(data_sample, 'gt_mask', None),
            cmap=self.cmap,
            error_vmax=self.error_vmax)

    def add_datasample(self,
                       name: str,
                       image,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> None:
        """Draws a sample's panels and sends them on.

        Args:
            name (str): Image name in the backends.
            image: (3, H, W) tensor or HxWx3 uint8 RGB.
            data_sample (DepthDataSample, optional): The sample.
            draw_gt (bool): Include the GT (and error) panels.
            draw_pred (bool): Include the prediction (and error) panels.
            show (bool): Show in a window. Defaults to False.
            wait_time (float): Seconds the window stays. Defaults to 0.
            out_file (str, optional): Write the picture here instead of to
                the backends.
            step (int): Global step for the backends. Defaults to 0.
        """
        sample = data_sample
        panels = make_depth_panels(
            image,
            pred_depth=getattr(sample, 'pred_depth', None)
            if draw_pred else None,
            gt_depth=getattr(sample, 'gt_depth', None) if draw_gt else None,
            gt_mask=getattr(sample, 'gt_mask', None) if draw_gt else None,
            cmap=self.cmap,
            error_vmax=self.error_vmax)
        self.set_image(panels)
        if show:
            self.show(panels, win_name=name, wait_time=wait_time)
        if out_file is not None:
            write_rgb(out_file, panels)
        else:
            self.add_image(name, panels, step)


def write_rgb(path: str, image: np.ndarray) -> None:
    """Writes an RGB uint8 picture, creating the folder."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if not cv2.imwrite(path, np.ascontiguousarray(image[..., ::-1])):
        raise OSError(f'could not write {path!r}')
