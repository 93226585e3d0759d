"""The reference's random sky subsample against the exact quantile."""
import torch

from da2zoe.analysis.sky_subsample import (
    reference_sky_value,
    sky_subsample_effect,
)
from da2zoe.models.heads.sky_fill import fill_sky_depth


def test_below_the_subsample_size_the_reference_is_exact():
    gen = torch.Generator().manual_seed(0)
    depth = torch.rand(1, 1, 200, 300, generator=gen, dtype=torch.float64)
    sky = torch.zeros_like(depth)
    sky[..., :50, :] = 1.0
    stats = sky_subsample_effect(depth, sky, draws=3)
    assert stats['non_sky_pixels'] == 45_000
    assert stats['max_abs_rel'] == 0.0
    assert stats['min'] == stats['max'] == stats['exact']
    filled = fill_sky_depth(depth, sky)
    assert filled[0, 0, 0, 0].item() == stats['exact']


def test_above_it_the_draws_scatter_around_the_exact_value():
    gen = torch.Generator().manual_seed(1)
    depth = torch.rand(1, 1, 400, 300, generator=gen,
                       dtype=torch.float64).exp()
    sky = torch.zeros_like(depth)
    sky[..., :10, :] = 1.0
    stats = sky_subsample_effect(depth, sky, draws=20, seed=2)
    assert stats['non_sky_pixels'] == 117_000
    assert 0 < stats['max_abs_rel'] < 0.01 and stats['std'] > 0
    again = sky_subsample_effect(depth, sky, draws=20, seed=2)
    assert again == stats  # seeded: the measurement itself repeats
    one = reference_sky_value(depth.flatten(), torch.Generator())
    assert one.ndim == 0
