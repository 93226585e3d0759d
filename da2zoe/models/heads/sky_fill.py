"""Depth Anything 3's sky post-processing, per image and deterministic."""
import torch
from torch import Tensor

SKY_THRESHOLD = 0.3
SKY_QUANTILE = 0.99
# Fewer sky (or non-sky) pixels than this leave the image unchanged.
MIN_PIXELS = 10


def exact_quantile(values: Tensor, q: float) -> Tensor:
    """``torch.quantile(values, q)`` (linear) for any number of values.

    Two ``kthvalue`` selections and a ``lerp``: the arithmetic of
    ``torch.quantile``, in O(n) and without its 16M-element limit.

    Args:
        values (Tensor): A 1-D tensor, at least one element.
        q (float): In [0, 1].

    Returns:
        Tensor: A 0-d tensor of ``values``' dtype.
    """
    n = values.numel()
    position = q * (n - 1)
    low = int(position)
    below = values.kthvalue(low + 1).values
    above = values.kthvalue(min(low + 2, n)).values
    weight = torch.tensor(position - low, dtype=values.dtype,
                          device=values.device)
    return torch.lerp(below, above, weight)


def fill_sky_depth(depth: Tensor,
                   sky: Tensor,
                   threshold: float = SKY_THRESHOLD,
                   quantile: float = SKY_QUANTILE) -> Tensor:
    """Sets each image's sky pixels to the far end of its other depths.

    Depth Anything 3's mono models predict a sky score next to depth; its
    network forward then writes, into every pixel with ``sky >= threshold``,
    the ``quantile`` (0.99, linear interpolation) of the depths of the
    other pixels, when both sets have more than 10 pixels. Two deliberate
    differences from the reference, both identical to it on one image with
    at most 100,000 non-sky pixels (the golden cases):

    - the quantile is exact over ALL non-sky pixels; the reference draws
      100,000 of them at random (``torch.randint``, with replacement) above
      that count, so its output changes from run to run (measured with
      ``tools/analysis_tools/da3_sky_subsample.py`` on a 504x378 image
      through the golden tiny network, 1000 draws: the reference's sky
      depth scatters by 1.7 % (std) around the exact value, up to 6.8 %;
      docs/parity.md);
    - each image of a batch gets its own quantile; the reference pools
      every view of one call, so an image's sky depth would depend on the
      images batched with it.

    Args:
        depth (Tensor): Depth (B, 1, H, W).
        sky (Tensor): Sky score (B, 1, H, W), >= 0.
        threshold (float): Sky score from which a pixel is sky.
            Defaults to 0.3.
        quantile (float): Quantile of the non-sky depth the sky gets.
            Defaults to 0.99.

    Returns:
        Tensor: A new depth tensor; ``depth`` is not modified.
    """
    if depth.shape != sky.shape:
        raise ValueError(f'depth {tuple(depth.shape)} and sky '
                         f'{tuple(sky.shape)} must have the same shape')
    is_sky = sky >= threshold
    filled = []
    for image, mask in zip(depth, is_sky):
        n_sky = int(mask.sum())
        if n_sky <= MIN_PIXELS or mask.numel() - n_sky <= MIN_PIXELS:
            filled.append(image)
            continue
        far = exact_quantile(image[~mask], quantile)
        filled.append(torch.where(mask, far, image))
    return torch.stack(filled)
