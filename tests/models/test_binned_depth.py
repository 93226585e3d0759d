"""The banded expectation of log-binomial bins (``binned_depth``) equals the
tensor-op form in float64, values and gradients, and the ZoeDepth head's
fast path (no ``return_extras``) keeps the Depth Anything V1 golden parity.
"""
import pytest
import torch

from da2zoe.models.heads import binned_depth as bd
from da2zoe.models.heads.attractor import resize_bilinear_ac
from da2zoe.models.heads.log_binomial import ConditionalLogBinomial

TOL = dict(atol=1e-12, rtol=1e-12)


def plain_depth(layer, x, cond, centers):
    cond = resize_bilinear_ac(cond, x.shape[-2:])
    probs = layer(x, cond)
    centers = resize_bilinear_ac(centers, probs.shape[-2:])
    return (probs * centers).sum(dim=1, keepdim=True)


@pytest.mark.parametrize('band_elements', [1, 700, 2**19],
                         ids=['row', 'bands', 'one_band'])
@pytest.mark.parametrize('sizes', [((23, 31), (9, 12), (7, 5)),
                                   ((16, 20), (16, 20), (16, 20))],
                         ids=['resized', 'same_size'])
def test_equals_tensor_op_form(monkeypatch, band_elements, sizes):
    monkeypatch.setattr(bd, 'BAND_ELEMENTS', band_elements)
    out_size, cond_size, center_size = sizes
    gen = torch.Generator().manual_seed(0)
    layer = ConditionalLogBinomial(5, 6, n_classes=8, min_temp=0.0212,
                                   max_temp=50).double()
    x = torch.randn(2, 5, *out_size, generator=gen, dtype=torch.float64)
    cond = torch.randn(2, 6, *cond_size, generator=gen, dtype=torch.float64)
    centers = 10 * torch.rand(2, 8, *center_size, generator=gen,
                              dtype=torch.float64)
    inputs = [t.requires_grad_() for t in (x, cond, centers)]
    weight = torch.randn(2, 1, *out_size, generator=gen, dtype=torch.float64)

    expected = plain_depth(layer, *inputs)
    grads_expected = torch.autograd.grad((expected * weight).sum(),
                                         [*inputs, *layer.parameters()])
    depth = layer.expected_depth(*inputs)
    grads = torch.autograd.grad((depth * weight).sum(),
                                [*inputs, *layer.parameters()])
    torch.testing.assert_close(depth, expected, **TOL)
    for grad, grad_expected in zip(grads, grads_expected):
        torch.testing.assert_close(grad, grad_expected, **TOL)


def test_channels_last_inputs_give_the_same_depth_and_gradients():
    """The DPT configs run channels-last: the flat pixel views are then free
    instead of copies, with the same values and gradients."""
    gen = torch.Generator().manual_seed(3)
    layer = ConditionalLogBinomial(5, 6, n_classes=8, min_temp=0.0212,
                                   max_temp=50).double()
    x = torch.randn(2, 5, 13, 17, generator=gen, dtype=torch.float64)
    cond = torch.randn(2, 6, 7, 9, generator=gen, dtype=torch.float64)
    centers = 1 + 9 * torch.rand(2, 8, 7, 9, generator=gen,
                                 dtype=torch.float64)
    results = []
    for fmt in (torch.contiguous_format, torch.channels_last):
        inputs = [t.contiguous(memory_format=fmt).requires_grad_()
                  for t in (x, cond, centers)]
        depth = layer.expected_depth(*inputs)
        results.append((depth, *torch.autograd.grad(
            (depth * depth).sum(), [*inputs, *layer.parameters()])))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, **TOL)


def test_frozen_layer_and_constant_centers_get_no_gradients():
    """Only what needs a gradient gets one (a frozen head, fixed centres),
    and the input's gradient is still the tensor-op form's."""
    gen = torch.Generator().manual_seed(2)
    layer = ConditionalLogBinomial(3, 4, n_classes=6).double()
    layer.requires_grad_(False)
    x = torch.randn(1, 3, 9, 11, generator=gen, dtype=torch.float64)
    cond = torch.randn(1, 4, 5, 6, generator=gen, dtype=torch.float64)
    centers = 1 + 9 * torch.rand(1, 6, 5, 6, generator=gen,
                                 dtype=torch.float64)
    x.requires_grad_()
    grad, = torch.autograd.grad(layer.expected_depth(x, cond, centers).sum(),
                                x)
    expected, = torch.autograd.grad(
        plain_depth(layer, x, cond, centers).sum(), x)
    torch.testing.assert_close(grad, expected, **TOL)
    assert all(p.grad is None for p in layer.parameters())


def test_clamped_probabilities_get_the_same_gradient():
    """p at the clamp bounds (gradient 0 beyond them, as autograd's)."""
    p = torch.tensor([0.0, 5e-5, 0.3, 1 - 5e-5, 1.0],
                     dtype=torch.float64).view(1, 1, 1, 5).requires_grad_()
    t = torch.full_like(p, 0.7).requires_grad_()
    centers = torch.linspace(1, 4, 4, dtype=torch.float64).view(
        1, 4, 1, 1).requires_grad_()
    layer = ConditionalLogBinomial(1, 1, n_classes=4).double()
    coef = layer.log_binomial_transform.log_coefficient(torch.float64)
    depth = bd.binned_depth(p, t, centers, coef)
    probs = layer.log_binomial_transform(p, t)
    expected = (probs * centers).sum(1, keepdim=True)
    torch.testing.assert_close(depth, expected, **TOL)
    for a, b in zip(torch.autograd.grad(depth.sum(), (p, t, centers)),
                    torch.autograd.grad(expected.sum(), (p, t, centers))):
        torch.testing.assert_close(a, b, **TOL)


def test_bad_shapes_are_named():
    p = torch.rand(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r'centers \(B, 8, h, w\)'):
        bd.binned_depth(p, p, torch.rand(1, 6, 2, 2),
                        torch.zeros(1, 8, 1, 1))


def test_bf16_autocast_backward_recomputes_under_autocast():
    """The recomputed bands see the forward's autocast: gradients agree
    with the tensor-op form under the same autocast."""
    gen = torch.Generator().manual_seed(1)
    layer = ConditionalLogBinomial(5, 6, n_classes=8)
    x = torch.randn(1, 5, 12, 14, generator=gen).requires_grad_()
    cond = torch.randn(1, 6, 6, 7, generator=gen).requires_grad_()
    centers = 1 + 9 * torch.rand(1, 8, 6, 7, generator=gen)
    results = []
    for fn in (plain_depth, type(layer).expected_depth):
        with torch.autocast('cpu', dtype=torch.bfloat16):
            depth = fn(layer, x, cond, centers)
        grads = torch.autograd.grad(depth.float().sum(), (x, cond))
        results.append((depth.float(), *grads))
    for got, expected in zip(*results):
        torch.testing.assert_close(got, expected, atol=2e-2, rtol=2e-2)
