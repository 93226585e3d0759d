"""iBims-1 geometric errors (Koch et al., ECCV-W 2018), pure functions.

- Depth boundary errors (DBE): edges of the normalised prediction against the
  annotated GT edges, via Euclidean distance transforms (chamfer distances).
- Directed depth errors (DDE): how often the prediction puts a pixel on the
  wrong side of a depth plane (3 m in the paper).
- Planarity errors (PE): flatness of, and orientation error of the plane
  fitted to, the back-projected prediction on annotated planar regions.

The definitions follow the authors' Python evaluation script (v0.9), which
itself differs from the MATLAB code behind the paper's tables in its edge
detector. Our detector differs again; see :func:`depth_edges`.

Conventions: numpy arrays, pixel centres at integer 0-based (row, col);
camera frame x right, y down, z forward (OpenCV's).
"""
import math
from typing import Optional, Tuple

import cv2
import numpy as np
from scipy import ndimage

#: Flatness is reported in centimetres, as in the paper.
CM_PER_M = 100.0
#: Canny gets fixed-point int16 derivatives: gradients of a [0, 1] image
#: scaled by 4096 keep 12 fractional bits and stay far below the int16 range.
_CANNY_FIXED_POINT = 4096.0
_INT16_MAX = np.iinfo(np.int16).max
#: scipy / skimage Gaussian kernels extend to 4 sigma.
_GAUSSIAN_TRUNCATE = 4.0


def normalise_depth(depth: np.ndarray) -> np.ndarray:
    """Scale valid depth to [0, 1]; fill invalid pixels from the nearest
    valid one.

    Valid means finite and > 0. The reference marks invalid pixels NaN and
    lets them swallow nearby edges; nearest-valid filling avoids both NaN and
    spurious edges at holes.

    Args:
        depth (ndarray): (H, W) depth.

    Returns:
        ndarray: (H, W) float64 in [0, 1] (all zero when there is no depth
        variation or no valid pixel).
    """
    depth = np.asarray(depth, np.float64)
    valid = np.isfinite(depth) & (depth > 0)
    if not valid.any():
        return np.zeros_like(depth)
    if not valid.all():
        nearest = ndimage.distance_transform_edt(
            ~valid, return_distances=False, return_indices=True)
        depth = depth[tuple(nearest)]
    low, high = depth.min(), depth.max()
    if high <= low:
        return np.zeros_like(depth)
    return (depth - low) / (high - low)


def depth_edges(image: np.ndarray,
                sigma: float = math.sqrt(2),
                low_threshold: float = 0.1,
                high_threshold: float = 0.2) -> np.ndarray:
    """Canny edges of a normalised depth map.

    Matches the iBims-1 script's ``skimage.feature.canny(image, sigma=sqrt(2),
    low_threshold=0.1, high_threshold=0.2)`` in its smoothing (Gaussian,
    truncated at 4 sigma), gradient (3x3 Sobel, L2 magnitude) and absolute
    thresholds on that magnitude; non-maximum suppression and hysteresis are
    OpenCV's (``cv2.Canny`` on our derivatives), and borders are replicated
    where skimage renormalises a zero-padded blur. The paper's numbers come
    from MATLAB's ``edge(..., 'canny')`` (derivative-of-Gaussian filters and
    thresholds relative to the image's maximum gradient), so absolute DBE
    values are comparable in trend, not digit for digit.

    Args:
        image (ndarray): (H, W) depth normalised to [0, 1].
        sigma (float): Gaussian standard deviation. Defaults to sqrt(2).
        low_threshold (float): Hysteresis low threshold. Defaults to 0.1.
        high_threshold (float): Hysteresis high threshold. Defaults to 0.2.

    Returns:
        ndarray: (H, W) bool edge map.
    """
    radius = int(_GAUSSIAN_TRUNCATE * sigma + 0.5)
    smoothed = cv2.GaussianBlur(
        np.asarray(image, np.float32), (2 * radius + 1, 2 * radius + 1),
        sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REPLICATE)

    def fixed_point_derivative(dx: int, dy: int) -> np.ndarray:
        grad = cv2.Sobel(smoothed, cv2.CV_32F, dx, dy, ksize=3,
                         borderType=cv2.BORDER_REPLICATE)
        grad = np.rint(grad * _CANNY_FIXED_POINT)
        return np.clip(grad, -_INT16_MAX, _INT16_MAX).astype(np.int16)

    edges = cv2.Canny(
        fixed_point_derivative(1, 0), fixed_point_derivative(0, 1),
        low_threshold * _CANNY_FIXED_POINT,
        high_threshold * _CANNY_FIXED_POINT, L2gradient=True)
    return edges > 0


def depth_boundary_errors(
        pred_edges: np.ndarray,
        gt_edges: np.ndarray,
        max_distance: float = 10.0) -> Optional[Tuple[float, float]]:
    """Accuracy and completeness of predicted depth edges, in pixels.

    Accuracy: mean distance from each predicted edge pixel lying within
    ``max_distance`` of a GT edge to the nearest GT edge. Completeness: mean
    distance from each GT edge pixel to the nearest predicted edge. When no
    predicted edge lies near a GT edge both are ``max_distance``.

    Args:
        pred_edges (ndarray): (H, W) bool.
        gt_edges (ndarray): (H, W) bool.
        max_distance (float): Neighbourhood of the GT edges, pixels.
            Defaults to 10.

    Returns:
        tuple[float, float] | None: ``(accuracy, completeness)``; None when
        the image has no GT edge (the image is left out of the mean).
    """
    pred_edges, gt_edges = np.asarray(pred_edges, bool), np.asarray(
        gt_edges, bool)
    if not gt_edges.any():
        return None
    dist_to_gt = ndimage.distance_transform_edt(~gt_edges)
    near = pred_edges & (dist_to_gt < max_distance)
    if not near.any():
        return max_distance, max_distance
    dist_to_pred = ndimage.distance_transform_edt(~pred_edges)
    return (float(dist_to_gt[near].mean()),
            float(dist_to_pred[gt_edges].mean()))


def directed_depth_errors(pred: np.ndarray, gt: np.ndarray,
                          threshold: float) -> Tuple[float, float, float]:
    """Shares of pixels on the right / wrong side of a depth plane.

    A pixel is "near" when its depth is <= ``threshold``.

    Args:
        pred (ndarray): (N, ) predicted depths of valid pixels, N >= 1.
        gt (ndarray): (N, ) GT depths.
        threshold (float): The plane's depth in metres.

    Returns:
        tuple[float, float, float]: ``dde_0`` (both on the same side),
        ``dde_m`` (predicted near, truly far: too close), ``dde_p``
        (predicted far, truly near: too far).
    """
    pred_near, gt_near = pred <= threshold, gt <= threshold
    return (float(np.mean(pred_near == gt_near)),
            float(np.mean(pred_near & ~gt_near)),
            float(np.mean(~pred_near & gt_near)))


def camera_intrinsics(matrix: np.ndarray) -> Tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` from a 3x3 matrix, 0-based principal point.

    A standard ``K`` has the principal point in the last column. iBims-1's
    ``calib`` is MATLAB's transposed layout (``cx, cy`` in the last row,
    1-based); it is recognised by a zero last column above the diagonal and
    converted.

    Args:
        matrix (ndarray): (3, 3) intrinsics.

    Returns:
        tuple[float, float, float, float]: fx, fy, cx, cy.
    """
    k = np.asarray(matrix, np.float64).reshape(3, 3)
    if k[0, 2] == 0 and k[1, 2] == 0 and (k[2, 0] != 0 or k[2, 1] != 0):
        return k[0, 0], k[1, 1], k[2, 0] - 1, k[2, 1] - 1
    return k[0, 0], k[1, 1], k[0, 2], k[1, 2]


def ibims_normal_to_camera(params_row: np.ndarray) -> np.ndarray:
    """The GT normal of an iBims-1 plane (``paras[j, 4:7]``) in our frame.

    The iBims-1 script's frame is X right, Y forward (depth), Z up, so
    ``(nX, nY, nZ)`` becomes ``(nX, -nZ, nY)`` in x right, y down, z forward.

    Args:
        params_row (ndarray): One row of a ``mask_<type>_paras`` array.

    Returns:
        ndarray: (3, ) normal.
    """
    n_x, n_y, n_z = np.asarray(params_row, np.float64)[4:7]
    return np.array([n_x, -n_z, n_y])


def back_project(depth: np.ndarray, mask: np.ndarray,
                 intrinsics: np.ndarray) -> np.ndarray:
    """3-D points of the masked pixels.

    Args:
        depth (ndarray): (H, W) depth along the optical axis.
        mask (ndarray): (H, W) bool.
        intrinsics (ndarray): (3, 3), see :func:`camera_intrinsics`.

    Returns:
        ndarray: (N, 3) points, x right, y down, z forward.
    """
    fx, fy, cx, cy = camera_intrinsics(intrinsics)
    rows, cols = np.nonzero(mask)
    z = depth[rows, cols]
    return np.stack([(cols - cx) * z / fx, (rows - cy) * z / fy, z], axis=1)


def fit_plane(points: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Least-squares (PCA) plane through points.

    Args:
        points (ndarray): (N, 3), N >= 3.

    Returns:
        tuple[ndarray, ndarray]: Unit normal (3, ) and each point's signed
        distance to the plane (N, ).
    """
    centred = points - points.mean(axis=0)
    normal = np.linalg.svd(centred, full_matrices=False)[2][-1]
    return normal, centred @ normal


def planarity_errors(
        pred: np.ndarray,
        gt: np.ndarray,
        mask: np.ndarray,
        intrinsics: np.ndarray,
        gt_normal: Optional[np.ndarray] = None) -> Tuple[float, float]:
    """Flatness (cm) and orientation error (degrees) on one planar region.

    The prediction is scaled by ``median(gt) / median(pred)`` over the region
    (so flatness is scale-free, as in the reference), back-projected and
    fitted with a plane. Flatness is the standard deviation of the points'
    distances to that plane; orientation is the angle between its normal and
    the GT normal (given, or fitted to the back-projected GT), in [0, 90].

    Args:
        pred (ndarray): (H, W) predicted depth, valid inside ``mask``.
        gt (ndarray): (H, W) GT depth, valid inside ``mask``.
        mask (ndarray): (H, W) bool, the plane's valid pixels (>= 3).
        intrinsics (ndarray): (3, 3), see :func:`camera_intrinsics`.
        gt_normal (ndarray, optional): (3, ) GT normal in our camera frame.

    Returns:
        tuple[float, float]: ``(flatness_cm, orientation_deg)``.
    """
    scale = np.median(gt[mask]) / np.median(pred[mask])
    normal, distances = fit_plane(back_project(pred * scale, mask,
                                               intrinsics))
    if gt_normal is None:
        gt_normal = fit_plane(back_project(gt, mask, intrinsics))[0]
    gt_normal = np.asarray(gt_normal, np.float64)
    cos = abs(float(normal @ gt_normal))
    sin = float(np.linalg.norm(np.cross(normal, gt_normal)))
    return (float(np.std(distances)) * CM_PER_M,
            math.degrees(math.atan2(sin, cos)))
