"""The patch grid of a DINOv2 encoder: every input side a multiple of 14.

The one home of the patch-size rule: the backbone's input check, the
transforms' sizes, inference preprocessing and the seed flags all call it.
"""
import math
from typing import Sequence, Tuple, Union

import numpy as np

PATCH_SIZE = 14
#: Largest side a keep-aspect resize may produce: past it one image needs
#: gigabytes of activations (a 1x4000 strip scaled to a 518 short side asks
#: for a 518x2072000 input, 12.9 GB).
MAX_SIDE = 4096

Size = Union[int, Sequence[int]]


def nearest_valid_sizes(side: int,
                        patch_size: int = PATCH_SIZE) -> Tuple[int, ...]:
    """The multiples of the patch size just below and just above ``side``.

    Args:
        side (int): A side length in pixels.
        patch_size (int): Defaults to 14.

    Returns:
        tuple[int, ...]: ``(lower, upper)``, or ``(patch_size,)`` when
        ``side`` is below one patch (nothing smaller is valid).
    """
    if side < patch_size:
        return (patch_size, )
    lower = side // patch_size * patch_size
    upper = math.ceil(side / patch_size) * patch_size
    if upper == lower:
        upper = lower + patch_size
    return lower, upper


def check_multiple_of_14(size: Size, name: str) -> Union[int, Tuple[int, int]]:
    """Rejects a size the encoder cannot take, naming the nearest valid ones.

    Args:
        size (int | Sequence[int]): One side, or ``(height, width)``.
        name (str): What the size is called where the user wrote it (a flag
            or a config key); it is named in the error.

    Returns:
        int | tuple[int, int]: ``size`` unchanged (a sequence as a tuple).

    Raises:
        ValueError: If a side is not a positive multiple of 14, e.g.
            ``--target-size=384: 384 is not a multiple of 14 (the DINOv2
            patch size); use 378 or 392``.
    """
    sides = [size] if isinstance(size, int) else list(size)
    if not sides or len(sides) > 2:
        raise ValueError(
            f'{name}={size!r}: expected one side or (height, width)')
    for side in sides:
        if not isinstance(side, int) or isinstance(side, bool) or side <= 0:
            raise ValueError(f'{name}={size!r}: sides must be positive ints')
        if side % PATCH_SIZE:
            valid = ' or '.join(map(str, nearest_valid_sizes(side)))
            raise ValueError(
                f'{name}={size!r}: {side} is not a multiple of {PATCH_SIZE} '
                f'(the DINOv2 patch size); use {valid}')
    return size if isinstance(size, int) else tuple(sides)


def keep_aspect_size(shape: Tuple[int, int],
                     min_size: Size,
                     patch_size: int = PATCH_SIZE) -> Tuple[int, int]:
    """Depth Anything V2's resize rule ("lower bound", aspect kept).

    One scale, large enough that both sides reach their bound, is applied
    to both sides; each side is then rounded to the nearest multiple of
    ``patch_size`` (``np.round``: halves to even, as DA-V2 does), or rounded
    up if rounding fell below the bound.

    Args:
        shape (tuple[int, int]): ``(height, width)`` of the image.
        min_size (int | Sequence[int]): Lower bound of both sides, or of
            ``(height, width)``.
        patch_size (int): Defaults to 14.

    Returns:
        tuple[int, int]: The new ``(height, width)``, multiples of
        ``patch_size``.

    Raises:
        ValueError: For an empty image, or one whose long side would pass
            :data:`MAX_SIDE`.
    """
    bounds = ((min_size, min_size) if isinstance(min_size, int) else
              tuple(min_size))
    if min(bounds) <= 0:
        raise ValueError(f'min_size must be positive, got {min_size}')
    if min(shape[:2]) <= 0:
        raise ValueError(f'empty image: shape {tuple(shape)}')
    scale = max(bounds[0] / shape[0], bounds[1] / shape[1])
    if max(shape[:2]) * scale > MAX_SIDE:
        raise ValueError(
            f'a {shape[0]}x{shape[1]} image resized to a short side of '
            f'{min(bounds)} would be {round(shape[0] * scale)}x'
            f'{round(shape[1] * scale)}, past the {MAX_SIDE} px limit of '
            'one side (patch_grid.MAX_SIDE): crop it to an aspect ratio of '
            f'at most {MAX_SIDE / min(bounds):.1f}:1 or lower the size')

    def constrain(value: float, lower: int) -> int:
        out = int(np.round(value / patch_size) * patch_size)
        if out < lower:
            out = int(math.ceil(value / patch_size) * patch_size)
        return out

    return (constrain(scale * shape[0], bounds[0]),
            constrain(scale * shape[1], bounds[1]))


RESIZE_METHODS = ('minimal', 'lower_bound', 'upper_bound')


def midas_resize_size(shape: Tuple[int, int],
                      target: Tuple[int, int],
                      keep_aspect_ratio: bool = True,
                      resize_method: str = 'minimal',
                      multiple_of: int = PATCH_SIZE) -> Tuple[int, int]:
    """The MiDaS ``Resize`` size rule that Depth Anything V1 (in the model)
    and DA-V2's metric code (``lower_bound``) apply to their inputs.

    Each side gets the scale ``target / side``; with ``keep_aspect_ratio``
    one scale serves both: the one closer to 1 (``minimal``), the larger
    (``lower_bound``) or the smaller (``upper_bound``). Each scaled side is
    rounded to a multiple of ``multiple_of`` (``np.round``: halves to even,
    as the reference), then floored if above the target (``upper_bound``)
    or ceiled if below it (``lower_bound``).

    Args:
        shape (tuple[int, int]): ``(height, width)`` of the image.
        target (tuple[int, int]): ``(height, width)`` the rule aims at.
        keep_aspect_ratio (bool): One scale for both sides. Defaults to
            True.
        resize_method (str): ``'minimal'``, ``'lower_bound'`` or
            ``'upper_bound'``. Defaults to ``'minimal'``.
        multiple_of (int): Defaults to 14.

    Returns:
        tuple[int, int]: The new ``(height, width)``.
    """
    if resize_method not in RESIZE_METHODS:
        raise ValueError(f'resize_method must be one of {RESIZE_METHODS}, '
                         f'got {resize_method!r}')
    if min(target) <= 0 or min(shape) <= 0:
        raise ValueError(f'sizes must be positive: shape {shape}, '
                         f'target {target}')
    scale_h, scale_w = target[0] / shape[0], target[1] / shape[1]
    if keep_aspect_ratio:
        if resize_method == 'lower_bound':
            scale_h = scale_w = max(scale_h, scale_w)
        elif resize_method == 'upper_bound':
            scale_h = scale_w = min(scale_h, scale_w)
        elif abs(1 - scale_w) < abs(1 - scale_h):
            scale_h = scale_w
        else:
            scale_w = scale_h

    def constrain(value: float, bound: int) -> int:
        steps = value / multiple_of
        out = int(np.round(steps) * multiple_of)
        if resize_method == 'upper_bound' and out > bound:
            out = int(math.floor(steps) * multiple_of)
        if resize_method == 'lower_bound' and out < bound:
            out = int(math.ceil(steps) * multiple_of)
        return out

    return (constrain(scale_h * shape[0], target[0]),
            constrain(scale_w * shape[1], target[1]))


def nearest_multiple(side: int, patch_size: int = PATCH_SIZE) -> int:
    """The multiple of ``patch_size`` nearest to ``side`` (a tie goes up).

    Args:
        side (int): A side length in pixels.
        patch_size (int): Defaults to 14.

    Returns:
        int: The nearest multiple; 0 for a side under half a patch.
    """
    lower = side // patch_size * patch_size
    return lower + patch_size if side - lower >= patch_size / 2 else lower



def _longest_side_first(shape: Tuple[int, int],
                        process_res: int) -> Tuple[int, int]:
    """Size after scaling the longest side to ``process_res``."""
    height, width = shape
    if max(height, width) == process_res:
        return height, width
    scale = process_res / max(height, width)
    return round(height * scale), round(width * scale)


def longest_side_sizes(shape: Tuple[int, int],
                       process_res: int = 504,
                       patch_size: int = PATCH_SIZE
                       ) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """Depth Anything 3's input size rule ("upper_bound_resize").

    The longest side is scaled to ``process_res`` (one scale for both
    sides, each rounded with Python's ``round``: halves to even, as the
    reference), then each side goes to its nearest multiple of
    ``patch_size`` independently, so the aspect ratio moves by up to half
    a patch per side.

    Args:
        shape (tuple[int, int]): ``(height, width)`` of the image.
        process_res (int): Target of the longest side. Defaults to 504.
        patch_size (int): Defaults to 14.

    Returns:
        tuple: ``((h1, w1), (h2, w2))``: the size after the first resize
        (equal to ``shape`` when its longest side is already
        ``process_res``) and the final, multiple-of-14 size.

    Raises:
        ValueError: If a size is not positive, or a processed side would be
            under one patch (a 10x2000 strip at 504: the short side becomes
            3 px); the message names the smallest ``process_res`` that
            works.
    """
    height, width = (int(v) for v in shape)
    if isinstance(process_res, bool) or not isinstance(
            process_res, int) or process_res <= 0:
        raise ValueError(f'process_res={process_res!r}: expected a positive '
                         'int (the longest side in pixels)')
    if height <= 0 or width <= 0:
        raise ValueError(f'image size {height}x{width}: sides must be > 0')
    first = _longest_side_first((height, width), process_res)
    final = tuple(nearest_multiple(side, patch_size) for side in first)
    if min(final) < patch_size:
        # The short side must reach half a patch after the first resize:
        # start just below that bound and step up past Python's rounding.
        needed = max(process_res, math.floor(
            (patch_size / 2 - 0.5) * max(height, width) / min(height, width)))
        while nearest_multiple(min(_longest_side_first(
                (height, width), needed)), patch_size) < patch_size:
            needed += 1
        raise ValueError(
            f'image {height}x{width}: at process_res={process_res} its '
            f'short side becomes {min(first)} px, under one {patch_size}-px '
            f'patch; use process_res >= {needed} or crop the image to a '
            'less extreme aspect ratio')
    return first, final
