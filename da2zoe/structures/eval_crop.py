"""Evaluation crop windows, as data.

A crop spec, as found in a sample's ``eval_crop`` metainfo or a metric's
config, is one of:

- ``None`` or ``'none'``: the whole image;
- a name of :data:`CROPS`: ``'eigen'``, ``'eigen_fixed'``, ``'garg'``,
  ``'kitti_eigen'``;
- an explicit ``(top, bottom, left, right)`` box in pixels of the GT grid
  (half-open, like slicing).

Every window is resolved on the ground-truth grid, as ZoeDepth does.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

import torch

Box = Tuple[int, int, int, int]
CropSpec = Union[None, str, Sequence[int]]


@dataclass(frozen=True)
class PixelWindow:
    """A window drawn in pixels on a reference grid.

    On the reference grid the box is used as is. On another grid it is scaled
    proportionally (``int`` truncation of ``edge * size / reference size``)
    when ``proportional``, or applied unchanged (clipped by slicing) as
    ZoeDepth does with its NYU window on every indoor dataset.

    Args:
        top, bottom, left, right (int): Half-open box on the reference grid.
        ref_height, ref_width (int): The reference grid.
        proportional (bool): Scale the box to other grids.
    """

    top: int
    bottom: int
    left: int
    right: int
    ref_height: int
    ref_width: int
    proportional: bool = True

    def box(self, height: int, width: int) -> Box:
        """The window on a ``height`` x ``width`` grid."""
        if not self.proportional or (height, width) == (self.ref_height,
                                                        self.ref_width):
            return self.top, self.bottom, self.left, self.right
        return (int(self.top * height / self.ref_height),
                int(self.bottom * height / self.ref_height),
                int(self.left * width / self.ref_width),
                int(self.right * width / self.ref_width))


@dataclass(frozen=True)
class FractionWindow:
    """A window given as fractions of the image height and width.

    Edges are ``int(fraction * size)`` (truncation, as the KITTI protocols).

    Args:
        top, bottom (float): Row fractions.
        left, right (float): Column fractions.
    """

    top: float
    bottom: float
    left: float
    right: float

    def box(self, height: int, width: int) -> Box:
        """The window on a ``height`` x ``width`` grid."""
        return (int(self.top * height), int(self.bottom * height),
                int(self.left * width), int(self.right * width))


_EIGEN_NYU = dict(top=45, bottom=471, left=41, right=601, ref_height=480,
                  ref_width=640)

# The fractions are the reference's literals: the KITTI Eigen crop's left
# edge really is 0.0359477 where Garg's is 0.03594771.
CROPS = {
    'eigen': PixelWindow(**_EIGEN_NYU),
    'eigen_fixed': PixelWindow(**_EIGEN_NYU, proportional=False),
    'garg': FractionWindow(0.40810811, 0.99189189, 0.03594771, 0.96405229),
    'kitti_eigen': FractionWindow(0.3324324, 0.91351351, 0.0359477,
                                  0.96405229),
}


def crop_box(spec: CropSpec, height: int, width: int) -> Optional[Box]:
    """Resolves a crop spec on a ``height`` x ``width`` grid.

    Args:
        spec (None | str | Sequence[int]): See the module docstring.
        height (int): GT height.
        width (int): GT width.

    Returns:
        tuple[int, int, int, int] | None: ``(top, bottom, left, right)``, or
        None for no crop.
    """
    if spec is None or (isinstance(spec, str) and spec.lower() == 'none'):
        return None
    if isinstance(spec, str):
        if spec not in CROPS:
            raise KeyError(f'Unknown eval crop {spec!r}; '
                           f'known: {sorted(CROPS)} or a 4-int box')
        return CROPS[spec].box(height, width)
    box = tuple(int(v) for v in spec)
    if len(box) != 4 or min(box) < 0:
        raise ValueError('An explicit eval crop is (top, bottom, left, '
                         f'right) with non-negative ints, got {spec!r}')
    return box


def crop_mask(spec: CropSpec,
              height: int,
              width: int,
              device: Union[str, torch.device, None] = None) -> torch.Tensor:
    """A (height, width) bool mask, True inside the crop.

    Args:
        spec (None | str | Sequence[int]): See the module docstring.
        height (int): GT height.
        width (int): GT width.
        device (str | torch.device, optional): Device of the mask.

    Returns:
        Tensor: (height, width) bool.
    """
    box = crop_box(spec, height, width)
    if box is None:
        return torch.ones(height, width, dtype=torch.bool, device=device)
    top, bottom, left, right = box
    mask = torch.zeros(height, width, dtype=torch.bool, device=device)
    mask[top:bottom, left:right] = True
    return mask
