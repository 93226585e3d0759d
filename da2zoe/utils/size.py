"""Input sizes for a patch-14 encoder (DINOv2): every side a multiple of 14."""
from typing import Sequence, Tuple, Union

PATCH_SIZE = 14

Size = Union[int, Sequence[int]]


def nearest_multiples_of_14(value: int) -> Tuple[int, int]:
    """The multiples of 14 just below and just above ``value``.

    Args:
        value (int): A side length in pixels.

    Returns:
        tuple[int, int]: ``(lower, upper)``; ``lower`` is at least 14.
    """
    lower = max(PATCH_SIZE, value // PATCH_SIZE * PATCH_SIZE)
    upper = -(-value // PATCH_SIZE) * PATCH_SIZE
    if upper <= lower:
        upper = lower + PATCH_SIZE
    return lower, upper


def check_multiple_of_14(size: Size, name: str) -> Union[int, Tuple[int, int]]:
    """Reject a size the encoder cannot take, suggesting the nearest valid ones.

    Args:
        size (int | Sequence[int]): One side, or ``(height, width)``.
        name (str): What the size is called where the user wrote it (a flag
            or a config key); it is named in the error.

    Returns:
        int | tuple[int, int]: ``size`` unchanged (a sequence as a tuple).

    Raises:
        ValueError: If a side is not a positive multiple of 14, e.g.
            ``--target-size=384 is not a multiple of 14 ...: use 378 or 392``.
    """
    sides = [size] if isinstance(size, int) else list(size)
    if not sides or len(sides) > 2:
        raise ValueError(f'{name}={size!r}: expected one side or (height, width)')
    for side in sides:
        if not isinstance(side, int) or isinstance(side, bool) or side <= 0:
            raise ValueError(f'{name}={size!r}: sides must be positive ints')
        if side % PATCH_SIZE:
            lower, upper = nearest_multiples_of_14(side)
            raise ValueError(
                f'{name}={size!r}: {side} is not a multiple of {PATCH_SIZE} '
                f'(the DINOv2 patch size); use {lower} or {upper}')
    return size if isinstance(size, int) else tuple(sides)
