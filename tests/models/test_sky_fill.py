"""Sky post-processing: the reference rule, per image, exact quantile."""
import pytest
import torch

from da2zoe.models.heads.sky_fill import exact_quantile, fill_sky_depth


def test_exact_quantile_equals_torch_quantile():
    gen = torch.Generator().manual_seed(0)
    for n in (1, 2, 7, 1000, 12345):
        values = torch.rand(n, generator=gen, dtype=torch.float64) * 10
        for q in (0.0, 0.5, 0.99, 1.0):
            torch.testing.assert_close(exact_quantile(values, q),
                                       torch.quantile(values, q),
                                       rtol=1e-15, atol=0)


def test_sky_gets_the_quantile_of_the_rest():
    depth = torch.arange(1., 101.).reshape(1, 1, 10, 10).double()
    sky = torch.zeros_like(depth)
    sky[..., :3, :] = 0.5  # 30 sky pixels, 70 others (31..100)
    out = fill_sky_depth(depth, sky)
    expected = torch.quantile(depth[..., 3:, :].flatten(), 0.99)
    assert torch.equal(out[..., :3, :],
                       expected.expand(1, 1, 3, 10))
    assert torch.equal(out[..., 3:, :], depth[..., 3:, :])
    assert not torch.equal(out, depth) and depth[0, 0, 0, 0] == 1


@pytest.mark.parametrize('n_sky', [0, 10, 90, 100])
def test_too_few_pixels_on_either_side_change_nothing(n_sky):
    depth = torch.rand(1, 1, 10, 10)
    sky = torch.zeros_like(depth)
    sky.view(-1)[:n_sky] = 1.0
    assert torch.equal(fill_sky_depth(depth, sky), depth)


def test_each_image_gets_its_own_quantile():
    """Batching must not change an image's output (the reference pools)."""
    gen = torch.Generator().manual_seed(1)
    depth = torch.rand(3, 1, 20, 20, generator=gen) * torch.tensor(
        [1., 10., 100.]).view(3, 1, 1, 1)
    sky = (torch.rand(3, 1, 20, 20, generator=gen) > 0.7).float()
    batched = fill_sky_depth(depth, sky)
    for i in range(3):
        assert torch.equal(batched[i:i + 1],
                           fill_sky_depth(depth[i:i + 1], sky[i:i + 1]))


def test_threshold_is_inclusive_and_shapes_are_checked():
    depth = torch.arange(1., 101.).reshape(1, 1, 10, 10)
    sky = torch.zeros_like(depth)
    sky[..., :2, :] = 0.3  # exactly the threshold: sky
    out = fill_sky_depth(depth, sky)
    assert (out[..., :2, :] > 90).all()
    with pytest.raises(ValueError, match='same shape'):
        fill_sky_depth(depth, sky[..., :5])
