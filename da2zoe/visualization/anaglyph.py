"""Red-cyan anaglyphs: a second view synthesised from depth.

The input is the left eye's view. The right eye's is rendered by shifting
every pixel left by its disparity, which grows with nearness
(``max_disparity`` at the near end of the depth range, 0 at the far end and
beyond, linear in inverse depth as a real stereo pair's is); where several
pixels land on one target the nearest wins (a z-buffer), and the holes the
foreground leaves (disoccluded background) are filled along the row from
the farther of their two neighbours, so no foreground colour is smeared
into them. The anaglyph's red channel is the left view's, green and blue
the right view's: seen through red (left) / cyan (right) glasses, the far
end of the range sits at the screen and nearer things in front of it.
"""
from typing import Optional, Tuple

import numpy as np

from .colorize import depth_range, valid_depth_mask


def disparity_from_depth(depth: np.ndarray,
                         max_disparity: float,
                         depth_limits: Optional[Tuple[float, float]] = None
                         ) -> np.ndarray:
    """Stereo disparity in pixels, linear in inverse depth.

    Args:
        depth (np.ndarray): HxW metres; invalid pixels get disparity 0.
        max_disparity (float): Disparity of the near limit, in pixels.
        depth_limits (tuple[float, float], optional): ``(near, far)`` in
            metres; the 2nd and 98th percentiles of the valid depth when
            None.

    Returns:
        np.ndarray: HxW float64 in ``[0, max_disparity]``.
    """
    depth = np.asarray(depth, dtype=np.float64).reshape(np.shape(depth)[-2:])
    valid = valid_depth_mask(depth)
    near, far = depth_limits or depth_range(depth, valid)
    inv = np.where(valid, 1.0 / np.where(valid, depth, 1.0), 0.0)
    span = max(1.0 / near - 1.0 / far, 1e-12)
    disparity = max_disparity * np.clip((inv - 1.0 / far) / span, 0.0, 1.0)
    disparity[~valid] = 0.0
    return disparity


def _fill_holes(view: np.ndarray, disparity: np.ndarray,
                filled: np.ndarray) -> None:
    """Fills unfilled pixels, per row, from the nearer-in-x of their filled
    neighbours on the side that is farther in depth (smaller disparity)."""
    height, width = filled.shape
    columns = np.broadcast_to(np.arange(width), filled.shape)
    left = np.maximum.accumulate(np.where(filled, columns, -1), axis=1)
    right = np.minimum.accumulate(
        np.where(filled, columns, width)[:, ::-1], axis=1)[:, ::-1]
    rows = np.broadcast_to(np.arange(height)[:, None], filled.shape)
    has_left, has_right = left >= 0, right < width
    disp_left = np.where(has_left, disparity[rows, np.clip(left, 0, None)],
                         np.inf)
    disp_right = np.where(
        has_right, disparity[rows, np.clip(right, None, width - 1)], np.inf)
    source = np.where(disp_left <= disp_right, left, right)
    holes = ~filled & (has_left | has_right)
    view[holes] = view[rows[holes], source[holes]]


def synthesize_right_view(image_rgb: np.ndarray,
                          disparity: np.ndarray) -> np.ndarray:
    """Forward-warps the left view by ``-disparity`` along each row.

    Args:
        image_rgb (np.ndarray): HxWx3 uint8 left view.
        disparity (np.ndarray): HxW non-negative pixels.

    Returns:
        np.ndarray: HxWx3 uint8 right view, holes filled from the
        background; a row nothing lands in keeps the left view's row.
    """
    height, width = disparity.shape
    rows, cols = np.indices((height, width))
    target = np.rint(cols - disparity).astype(np.int64)
    inside = (target >= 0) & (target < width)
    flat = (rows * width + target)[inside]
    disp = disparity[inside]
    # Nearest first within each target: the z-buffer, deterministically.
    order = np.lexsort((-disp, flat))
    first = np.ones(order.size, bool)
    first[1:] = flat[order][1:] != flat[order][:-1]
    winners = order[first]
    view = np.array(image_rgb, dtype=np.uint8, copy=True)
    warped_disp = np.zeros(height * width)
    filled = np.zeros(height * width, bool)
    view.reshape(-1, 3)[flat[winners]] = image_rgb[inside][winners]
    warped_disp[flat[winners]] = disp[winners]
    filled[flat[winners]] = True
    _fill_holes(view, warped_disp.reshape(height, width),
                filled.reshape(height, width))
    return view


def anaglyph_from_depth(image_rgb: np.ndarray,
                        depth: np.ndarray,
                        max_disparity: Optional[float] = None,
                        depth_limits: Optional[Tuple[float, float]] = None
                        ) -> np.ndarray:
    """A red-cyan anaglyph of an image and its depth.

    Args:
        image_rgb (np.ndarray): HxWx3 uint8 RGB (the left view).
        depth (np.ndarray): HxW (or 1xHxW) metres, the image's size.
        max_disparity (float, optional): Shift of the near limit in pixels;
            3 % of the width (a comfortable stereo budget) when None.
        depth_limits (tuple[float, float], optional): ``(near, far)``
            metres; robust percentiles of the valid depth when None.

    Returns:
        np.ndarray: HxWx3 uint8: red from the left view, green and blue
        from the synthesised right view.

    Raises:
        ValueError: If the sizes differ.
    """
    image = np.asarray(image_rgb, dtype=np.uint8)
    depth = np.asarray(depth).reshape(np.shape(depth)[-2:])
    if image.ndim != 3 or image.shape[:2] != depth.shape:
        raise ValueError(f'image {image.shape} and depth {depth.shape} '
                         'must share their height and width')
    if max_disparity is None:
        max_disparity = 0.03 * depth.shape[1]
    disparity = disparity_from_depth(depth, max_disparity, depth_limits)
    right = synthesize_right_view(image, disparity)
    out = right.copy()
    out[..., 0] = image[..., 0]
    return out
