"""The camera that travels with a sample, and the canonical camera.

Metric depth from one image is ambiguous in the focal length: through a lens
of twice the focal length the same wall fills twice the pixels. A canonical
camera removes the ambiguity from what the network learns: it predicts the
depth the scene would have if it were seen through a camera of focal
``canonical_focal`` (in pixels of the network's input), and the metric depth
is that times ``f / canonical_focal`` with the sample's own focal ``f`` on the
same grid (Metric3D's label-space transform; DA3Metric's ``depth * focal /
300`` is this with ``canonical_focal=300``).

Pixel convention (as :mod:`da2zoe.datasets.transforms.gt_geometry` and
:mod:`da2zoe.apis.pointcloud`): pixel centres at integer coordinates, the
image centre is ``((W - 1) / 2, (H - 1) / 2)``.

Grid rule: a sample's ``intrinsics`` / ``focal`` describe its ground-truth
grid (``gt_depth``'s size) when it has dense ground truth, else the original
image (``ori_shape``); :func:`input_focal` converts them to the network's
input grid (``img_shape``).
"""
import logging
import math
from typing import Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log

#: ``(fx, fy, cx, cy)`` in pixels.
Intrinsics = Tuple[float, float, float, float]
CameraLike = Union[float, Sequence[float], Sequence[Sequence[float]],
                   Mapping[str, float], np.ndarray]


def intrinsics_matrix(fx: float, fy: float, cx: float,
                      cy: float) -> np.ndarray:
    """A 3x3 float64 pinhole matrix.

    Args:
        fx (float): Horizontal focal length in pixels.
        fy (float): Vertical focal length in pixels.
        cx (float): Principal point column.
        cy (float): Principal point row.

    Returns:
        np.ndarray: ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``.
    """
    return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]],
                    np.float64)


def intrinsics_from_hfov(hfov_deg: float, height: int,
                         width: int) -> Intrinsics:
    """Pinhole intrinsics from a horizontal field of view, square pixels.

    The field of view spans the image's full width (``W`` pixels):
    ``fx = fy = (W / 2) / tan(hfov / 2)``, principal point at the centre
    ``((W - 1) / 2, (H - 1) / 2)``.

    Args:
        hfov_deg (float): Horizontal field of view in degrees, in (0, 180).
        height (int): Image height.
        width (int): Image width.

    Returns:
        tuple[float, float, float, float]: ``(fx, fy, cx, cy)``.
    """
    if not 0 < hfov_deg < 180:
        raise ValueError(f'hfov must be in (0, 180) degrees, got {hfov_deg}')
    focal = 0.5 * width / math.tan(math.radians(hfov_deg) / 2)
    return focal, focal, (width - 1) / 2, (height - 1) / 2


def parse_intrinsics(value: CameraLike, size: Tuple[int, int],
                     where: str = 'intrinsics') -> np.ndarray:
    """Reads a camera given in any of the usual spellings.

    Args:
        value: A focal length (float, principal point at the centre),
            ``(fx, fy, cx, cy)``, 9 numbers row-major, a 3x3 matrix, or a
            mapping with ``fx`` (and optional ``fy``, ``cx``, ``cy``).
        size (tuple[int, int]): (H, W) of the image the camera belongs to,
            for a missing principal point.
        where (str): Names the source in error messages (file, key).

    Returns:
        np.ndarray: 3x3 float64 matrix.

    Raises:
        ValueError: If the value is none of these or not a positive focal.
    """
    height, width = size
    centre = ((width - 1) / 2, (height - 1) / 2)
    if isinstance(value, Mapping):
        unknown = set(value) - {'fx', 'fy', 'cx', 'cy'}
        if 'fx' not in value or unknown:
            raise ValueError(f'{where}: expected keys fx [fy cx cy], got '
                             f'{sorted(value)}')
        fx = float(value['fx'])
        numbers = (fx, float(value.get('fy', fx)),
                   float(value.get('cx', centre[0])),
                   float(value.get('cy', centre[1])))
    else:
        try:
            flat = np.asarray(value, np.float64).ravel()
        except (TypeError, ValueError) as err:
            raise ValueError(f'{where}: not numbers ({value!r})') from err
        if flat.size == 1:
            numbers = (flat[0], flat[0], *centre)
        elif flat.size == 4:
            numbers = tuple(flat)
        elif flat.size == 9:
            numbers = (flat[0], flat[4], flat[2], flat[5])
        else:
            raise ValueError(
                f'{where}: expected a focal, (fx, fy, cx, cy), 9 numbers or '
                f'a 3x3 matrix, got {flat.size} numbers')
    if not all(math.isfinite(v) for v in numbers) or min(numbers[:2]) <= 0:
        raise ValueError(f'{where}: focal lengths must be finite and > 0, '
                         f'got fx={numbers[0]}, fy={numbers[1]}')
    return intrinsics_matrix(*numbers)


def camera_grid(metainfo: Mapping, gt_shape: Optional[Sequence[int]]
                ) -> Optional[Tuple[int, int]]:
    """(H, W) of the grid a sample's intrinsics describe (see the grid rule).

    Args:
        metainfo (Mapping): The sample's metainfo.
        gt_shape (Sequence[int], optional): (H, W) of its dense ``gt_depth``.

    Returns:
        tuple[int, int] | None: The grid, or None when unknown.
    """
    if gt_shape is not None:
        return tuple(gt_shape[-2:])
    shape = metainfo.get('ori_shape')
    return None if shape is None else tuple(shape[:2])


FOCAL_RULES = ('fx', 'mean_fx_fy')


def input_intrinsics(metainfo: Mapping,
                     gt_shape: Optional[Sequence[int]] = None
                     ) -> Optional[np.ndarray]:
    """The sample's 3x3 intrinsics on the network's input grid.

    Each row is scaled by the ratio of input to camera grid (the pixel
    centre convention of this module: ``c' = (c + 0.5) s - 0.5``).

    Args:
        metainfo (Mapping): ``intrinsics``, ``img_shape`` and
            ``ori_shape``.
        gt_shape (Sequence[int], optional): (H, W) of its dense ``gt_depth``.

    Returns:
        np.ndarray | None: float64 3x3, or None without ``intrinsics``.
    """
    if metainfo.get('intrinsics') is None:
        return None
    matrix = np.array(metainfo['intrinsics'], np.float64).reshape(3, 3)
    grid = camera_grid(metainfo, gt_shape)
    img_shape = metainfo.get('img_shape')
    if grid is None or img_shape is None:
        return matrix
    # Row 0 (fx, cx) follows the width, row 1 (fy, cy) the height.
    for row, axis in ((0, 1), (1, 0)):
        scale = img_shape[axis] / grid[axis]
        matrix[row, row] *= scale
        matrix[row, 2] = (matrix[row, 2] + 0.5) * scale - 0.5
    return matrix


def input_focal(metainfo: Mapping,
                gt_shape: Optional[Sequence[int]] = None,
                rule: str = 'fx') -> Optional[float]:
    """The sample's focal length on the network's input grid.

    Args:
        metainfo (Mapping): ``focal`` (or ``intrinsics``), ``img_shape`` and
            ``ori_shape``.
        gt_shape (Sequence[int], optional): (H, W) of its dense ``gt_depth``.
        rule (str): ``'fx'`` (the horizontal focal) or ``'mean_fx_fy'``
            (``(fx + fy) / 2``, Depth Anything 3's metric focal; a sample
            with only ``focal`` counts it as both). Defaults to ``'fx'``.

    Returns:
        float | None: The focal in input pixels, or None when the sample
        has none.
    """
    if rule not in FOCAL_RULES:
        raise ValueError(f'focal rule {rule!r}: expected one of '
                         f'{FOCAL_RULES}')
    if rule == 'mean_fx_fy' and metainfo.get('intrinsics') is not None:
        matrix = input_intrinsics(metainfo, gt_shape)
        return float((matrix[0, 0] + matrix[1, 1]) / 2)
    focal = metainfo.get('focal')
    if focal is None and metainfo.get('intrinsics') is not None:
        focal = np.asarray(metainfo['intrinsics'], np.float64)[0, 0]
    if focal is None:
        return None
    grid = camera_grid(metainfo, gt_shape)
    img_shape = metainfo.get('img_shape')
    if grid is None or img_shape is None:
        return float(focal)
    return float(focal) * img_shape[1] / grid[1]


class CanonicalCamera:
    """Depth in a canonical camera: the config switch ``model.camera``.

    The network's output is depth as seen by a camera of focal
    ``canonical_focal`` input pixels; :meth:`to_metric` multiplies it by
    ``f / canonical_focal`` (the one place a prediction is rescaled by the
    camera) and :meth:`to_canonical` divides training labels by the same
    factor, so every loss (the non-scale-invariant gradient loss too) sees
    canonical depth. A sample without a focal uses ``default_focal`` (also
    in input pixels); that is logged with the sample's file, once per
    camera; without a default it is an error naming the file.

    Args:
        canonical_focal (float): Canonical focal in input pixels (DA3Metric:
            300).
        default_focal (float, optional): Focal for samples without one.
            Defaults to None (such samples are an error).
        focal_rule (str): Which focal scales: ``'fx'`` or ``'mean_fx_fy'``
            (DA3Metric's ``(fx + fy) / 2``); see :func:`input_focal`.
            Defaults to ``'fx'``.
        default_hfov (float, optional): Instead of ``default_focal``: a
            horizontal field of view in degrees, turned into a focal on
            each sample's own input width (``W / 2 / tan(hfov / 2)``), so
            the default follows the input size (``--process-res``).
            Defaults to None.
    """

    def __init__(self,
                 canonical_focal: float,
                 default_focal: Optional[float] = None,
                 focal_rule: str = 'fx',
                 default_hfov: Optional[float] = None) -> None:
        if not canonical_focal > 0:
            raise ValueError(f'model.camera.canonical_focal='
                             f'{canonical_focal}: must be > 0')
        if default_focal is not None and not default_focal > 0:
            raise ValueError(f'model.camera.default_focal={default_focal}: '
                             'must be > 0 or None')
        if default_hfov is not None and (default_focal is not None
                                         or not 0 < default_hfov < 180):
            raise ValueError(f'model.camera.default_hfov={default_hfov}: '
                             'must be in (0, 180) degrees, and not given '
                             'with default_focal')
        if focal_rule not in FOCAL_RULES:
            raise ValueError(f'model.camera.focal_rule={focal_rule!r}: '
                             f'expected one of {FOCAL_RULES}')
        self.canonical_focal = float(canonical_focal)
        self.default_focal = default_focal
        self.focal_rule = focal_rule
        self.default_hfov = default_hfov
        self.num_defaulted = 0

    def focal_of(self, sample) -> float:
        """A data sample's focal on the input grid (or the default).

        Args:
            sample (DepthDataSample): The sample.

        Returns:
            float: fx in input pixels.

        Raises:
            ValueError: If it has none and there is no default.
        """
        gt = getattr(sample, 'gt_depth', None)
        has_pairs = getattr(sample, 'pairs', None) is not None and len(
            sample.pairs) > 0
        gt_shape = None if gt is None or has_pairs else gt.shape[-2:]
        focal = input_focal(sample.metainfo, gt_shape, self.focal_rule)
        if focal is not None:
            return focal
        name = sample.metainfo.get('img_path') or '<in-memory image>'
        if self.default_focal is None and self.default_hfov is None:
            raise ValueError(
                f'{name}: no focal length (intrinsics) for the canonical '
                'camera; give the dataset intrinsics, pass intrinsics= / '
                '--intrinsics / --hfov, or set model.camera.default_focal '
                '(or default_hfov)')
        if self.default_hfov is not None:
            width = (sample.metainfo.get('img_shape') or (0, 0))[1]
            if not width:
                raise ValueError(f'{name}: no img_shape for '
                                 'model.camera.default_hfov')
            focal = 0.5 * width / math.tan(math.radians(self.default_hfov) / 2)
            how = (f'model.camera.default_hfov={self.default_hfov} deg: '
                   f'{focal:.1f} input pixels at width {width}')
        else:
            focal = float(self.default_focal)
            how = f'model.camera.default_focal={focal} input pixels'
        if self.num_defaulted == 0:
            print_log(
                f'{name}: no focal length; the canonical camera uses {how} '
                '(logged once; see CanonicalCamera.num_defaulted)',
                logger='current', level=logging.WARNING)
        self.num_defaulted += 1
        return focal

    def metric_scale(self, samples: Optional[Sequence], batch: int,
                     like: torch.Tensor) -> torch.Tensor:
        """``f / canonical_focal`` per sample, shaped (B, 1, 1, 1).

        Args:
            samples (Sequence[DepthDataSample], optional): The batch's
                samples; None uses the default focal for all.
            batch (int): Batch size.
            like (Tensor): Gives device and dtype.

        Returns:
            Tensor: (B, 1, 1, 1) factors.
        """
        if samples is None:
            if self.default_focal is None:
                raise ValueError(
                    'the canonical camera needs each sample\'s focal: pass '
                    'data samples with intrinsics or set '
                    'model.camera.default_focal')
            focals = [float(self.default_focal)] * batch
        else:
            focals = [self.focal_of(sample) for sample in samples]
        scale = torch.tensor(focals, dtype=torch.float64) / (
            self.canonical_focal)
        return scale.to(device=like.device, dtype=like.dtype).view(-1, 1, 1, 1)

    def to_metric(self, depth: torch.Tensor,
                  samples: Optional[Sequence]) -> torch.Tensor:
        """Canonical depth (B, 1, H, W) -> metric depth."""
        return depth * self.metric_scale(samples, len(depth), depth)

    def to_canonical(self, depth: torch.Tensor,
                     samples: Optional[Sequence]) -> torch.Tensor:
        """Metric depth (B, 1, H, W) -> canonical depth (training labels)."""
        return depth / self.metric_scale(samples, len(depth), depth)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(canonical_focal='
                f'{self.canonical_focal}, default_focal={self.default_focal}, '
                f'focal_rule={self.focal_rule!r}, '
                f'default_hfov={self.default_hfov})')
