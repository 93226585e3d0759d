"""Moving the ground truth with the image: dense maps, point pairs, intrinsics.

Dense ground-truth maps are ``gt_depth``, ``gt_mask`` and, for iBims-1,
``ibims_edges`` and each ``ibims_planes[name]['mask']``; they share one pixel
grid (the "GT grid"). ``intrinsics`` and ``focal`` describe the GT grid too,
so that they stay true for the evaluation ground truth when only the image is
resized. ``pairs`` are ``(r1, c1, r2, c2)`` on the GT grid.
"""
from typing import Callable, Optional, Tuple

import cv2
import numpy as np

EMPTY_PAIRS = np.zeros((0, 4), np.int64)


def apply_to_gt_maps(results: dict, fn: Callable[[np.ndarray],
                                                 np.ndarray]) -> None:
    """Replace every dense ground-truth map ``m`` by ``fn(m)``.

    Args:
        results (dict): The sample.
        fn (Callable): Geometric operation; it must keep the dtype (bool
            masks included: see :func:`as_cv2`).
    """
    for key in ('gt_depth', 'gt_mask', 'ibims_edges'):
        if results.get(key) is not None:
            results[key] = fn(results[key])
    for plane in (results.get('ibims_planes') or {}).values():
        plane['mask'] = fn(plane['mask'])


def gt_shape(results: dict) -> Optional[Tuple[int, int]]:
    """(H, W) of the GT grid, or None before depth is loaded."""
    depth = results.get('gt_depth')
    return None if depth is None else depth.shape[:2]


def require_same_grid(results: dict, name: str) -> None:
    """Refuse a crop/flip/rotation when image and GT grids differ.

    Args:
        results (dict): The sample.
        name (str): The transform, for the message.

    Raises:
        ValueError: If the image was resized without its ground truth.
    """
    shape = gt_shape(results)
    if shape is not None and shape != results['img'].shape[:2]:
        raise ValueError(
            f'{name}: image {results["img"].shape[:2]} and ground truth '
            f'{shape} are on different grids (KeepAspectResize with '
            'resize_gt=False belongs at the end of evaluation pipelines)')


def as_cv2(fn: Callable[[np.ndarray], np.ndarray]) -> Callable:
    """Let an OpenCV operation take bool masks (as uint8 and back).

    Args:
        fn (Callable): Operation on uint8 / float arrays.

    Returns:
        Callable: The same operation, dtype-preserving for bool.
    """

    def wrapped(array: np.ndarray) -> np.ndarray:
        if array.dtype == bool:
            return fn(array.view(np.uint8)).astype(bool)
        return fn(array)

    return wrapped


def transform_pairs(results: dict, fn: Callable[[np.ndarray], np.ndarray],
                    shape: Tuple[int, int]) -> None:
    """Map pair points with ``fn`` and drop pairs with a point off the grid.

    Args:
        results (dict): The sample; ``pairs`` is updated in place.
        fn (Callable): (N, 2) float (row, col) -> (N, 2) float.
        shape (tuple[int, int]): (H, W) of the new grid.
    """
    pairs = results.get('pairs')
    if pairs is None or len(pairs) == 0:
        return
    points = np.asarray(pairs, np.float64).reshape(-1, 2)
    moved = np.rint(fn(points)).astype(np.int64).reshape(-1, 4)
    rows, cols = moved[:, 0::2], moved[:, 1::2]
    inside = ((rows >= 0) & (rows < shape[0]) & (cols >= 0) &
              (cols < shape[1])).all(axis=1)
    results['pairs'] = moved[inside]


def update_intrinsics(results: dict,
                      scale: Tuple[float, float] = (1.0, 1.0),
                      shift: Tuple[float, float] = (0.0, 0.0),
                      flip_width: Optional[int] = None) -> None:
    """Keep ``intrinsics`` / ``focal`` true after a GT-grid change.

    Args:
        results (dict): The sample.
        scale (tuple[float, float]): (sy, sx) of a resize.
        shift (tuple[float, float]): (top, left) removed by a crop.
        flip_width (int, optional): Width of a horizontal flip.
    """
    sy, sx = scale
    if results.get('focal') is not None:
        results['focal'] = float(results['focal']) * sx
    if results.get('intrinsics') is None:
        return
    k = np.array(results['intrinsics'], np.float64)
    k[0, 0] *= sx
    k[1, 1] *= sy
    k[0, 2] = (k[0, 2] + 0.5) * sx - 0.5 - shift[1]
    k[1, 2] = (k[1, 2] + 0.5) * sy - 0.5 - shift[0]
    if flip_width is not None:
        k[0, 2] = flip_width - 1 - k[0, 2]
    results['intrinsics'] = k.tolist()


def resize_ground_truth(results: dict, new_h: int, new_w: int) -> None:
    """Resize every dense GT map (nearest), the pairs and the intrinsics to
    a new grid of ``new_h`` x ``new_w``; nothing happens without GT.

    Args:
        results (dict): The sample.
        new_h (int): New height.
        new_w (int): New width.
    """
    shape = gt_shape(results)
    if shape is None:
        return
    sy, sx = new_h / shape[0], new_w / shape[1]
    apply_to_gt_maps(
        results,
        as_cv2(lambda m: cv2.resize(
            m, (new_w, new_h), interpolation=cv2.INTER_NEAREST_EXACT)))
    transform_pairs(results, lambda p: (p + 0.5) * (sy, sx) - 0.5,
                    (new_h, new_w))
    update_intrinsics(results, scale=(sy, sx))


def crop_gt(results: dict, top: int, left: int, height: int,
            width: int) -> None:
    """Crop image, GT maps, pairs and intrinsics to one window, padding with
    zeros (invalid) where the window leaves the image.

    Args:
        results (dict): The sample; image and GT on the same grid.
        top (int): First row (may be negative only by padding need).
        left (int): First column.
        height (int): Window height.
        width (int): Window width.
    """

    def crop(array: np.ndarray) -> np.ndarray:
        out = np.zeros((height, width) + array.shape[2:], array.dtype)
        src = array[max(top, 0):top + height, max(left, 0):left + width]
        out[max(-top, 0):max(-top, 0) + src.shape[0],
            max(-left, 0):max(-left, 0) + src.shape[1]] = src
        return out

    results['img'] = crop(results['img'])
    apply_to_gt_maps(results, crop)
    transform_pairs(results, lambda p: p - (top, left), (height, width))
    update_intrinsics(results, shift=(top, left))
    results['img_shape'] = (height, width)
