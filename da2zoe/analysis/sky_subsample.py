"""What Depth Anything 3's random sky subsample does, against our exact rule.

The reference fills sky pixels with the 0.99 quantile of the non-sky depth,
but above 100,000 non-sky pixels it first draws 100,000 of them with
``torch.randint`` (with replacement), so the sky depth changes from run to
run. :func:`~da2zoe.models.heads.sky_fill.fill_sky_depth` takes the exact
quantile of all of them; this module measures the difference.
"""
import torch
from torch import Tensor

from da2zoe.models.heads.sky_fill import (
    SKY_QUANTILE,
    SKY_THRESHOLD,
    exact_quantile,
)

REFERENCE_SAMPLES = 100_000


def reference_sky_value(non_sky: Tensor,
                        generator: torch.Generator,
                        quantile: float = SKY_QUANTILE) -> Tensor:
    """The reference's sky depth for one draw of its subsample.

    Args:
        non_sky (Tensor): The non-sky depths, 1-D.
        generator (torch.Generator): Source of the draw.
        quantile (float): Defaults to 0.99.

    Returns:
        Tensor: A 0-d tensor.
    """
    if non_sky.numel() > REFERENCE_SAMPLES:
        index = torch.randint(0, non_sky.numel(), (REFERENCE_SAMPLES, ),
                              generator=generator)
        non_sky = non_sky[index]
    return torch.quantile(non_sky, quantile)


def sky_subsample_effect(depth: Tensor,
                         sky: Tensor,
                         draws: int = 1000,
                         seed: int = 0,
                         threshold: float = SKY_THRESHOLD,
                         quantile: float = SKY_QUANTILE) -> dict:
    """Statistics of the reference's sky depth over many draws.

    Args:
        depth (Tensor): One image's head depth (1, 1, H, W) or (H, W).
        sky (Tensor): Its sky score, same shape.
        draws (int): Subsamples drawn. Defaults to 1000.
        seed (int): Seed of the draws. Defaults to 0.
        threshold (float): Sky score from which a pixel is sky.
            Defaults to 0.3.
        quantile (float): Defaults to 0.99.

    Returns:
        dict: Pixel counts; ``exact`` (our sky depth); the draws' mean,
        standard deviation, min and max; ``rel_*`` = (draw - exact) /
        exact: mean, std, largest magnitude; ``p99_abs_rel`` (99 % of the
        draws are closer); ``mean_abs_map_change``: mean |difference| over
        all pixels of the image (sky pixels change, the others do not),
        relative to the mean depth.
    """
    depth = depth.reshape(-1).double()
    is_sky = sky.reshape(-1) >= threshold
    non_sky = depth[~is_sky]
    exact = exact_quantile(non_sky, quantile)
    gen = torch.Generator().manual_seed(seed)
    values = torch.stack([
        reference_sky_value(non_sky, gen, quantile) for _ in range(draws)
    ])
    rel = (values - exact) / exact
    n_sky = int(is_sky.sum())
    map_change = rel.abs().mean() * exact * n_sky / depth.numel()
    return dict(
        pixels=depth.numel(),
        sky_pixels=n_sky,
        non_sky_pixels=non_sky.numel(),
        exact=float(exact),
        draws=draws,
        mean=float(values.mean()),
        std=float(values.std()),
        min=float(values.min()),
        max=float(values.max()),
        rel_mean=float(rel.mean()),
        rel_std=float(rel.std()),
        max_abs_rel=float(rel.abs().max()),
        p99_abs_rel=float(rel.abs().quantile(0.99)),
        mean_abs_map_change=float(map_change / depth.mean()),
    )
