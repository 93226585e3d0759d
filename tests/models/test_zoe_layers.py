"""Float64 parity of the ZoeDepth head layers with golden/zoe_layers.npz.

Tolerance: atol = rtol = 1e-10 (golden README, "How to test against these");
observed differences are at the 1e-15 level.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.models.heads import (
    AttractorLayer,
    ConditionalLogBinomial,
    Projector,
    SeedBinRegressor,
    attractor_delta,
)

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden' / 'zoe_layers.npz'
TOL = dict(atol=1e-10, rtol=1e-10)
ATTRACTOR_CASES = [
    f'attractor_{normed}{kind}_a1000' for normed in ('', 'unnormed_')
    for kind in ('inv_sum', 'inv_mean', 'exp_sum', 'exp_mean')
] + ['attractor_exp_sum_a300', 'attractor_unnormed_exp_sum_a300']


@pytest.fixture(scope='module')
def golden():
    with np.load(GOLDEN) as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


def load(module: torch.nn.Module, golden: dict, case: str) -> torch.nn.Module:
    prefix = f'param/{case}/'
    state = {k[len(prefix):]: v for k, v in golden.items()
             if k.startswith(prefix)}
    module = module.double().eval()
    module.load_state_dict(state, strict=True)
    return module


def close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    assert actual.dtype == torch.float64
    torch.testing.assert_close(actual, expected, **TOL)


@torch.no_grad()
def test_seed_bin_regressor_normed(golden):
    m = load(SeedBinRegressor(32, n_bins=16, mlp_dim=24, min_depth=1e-3,
                              max_depth=10), golden, 'seed_bin_regressor')
    widths, centers = m(golden['input/seed_bin_regressor/x'])
    close(widths, golden['output/seed_bin_regressor/b_widths_normed'])
    close(centers, golden['output/seed_bin_regressor/b_centers'])


@torch.no_grad()
def test_seed_bin_regressor_unnormed(golden):
    case = 'seed_bin_regressor_unnormed'
    m = load(SeedBinRegressor(32, n_bins=16, mlp_dim=24, min_depth=1e-3,
                              max_depth=10, normed=False), golden, case)
    widths, centers = m(golden[f'input/{case}/x'])
    assert widths is None
    close(centers, golden[f'output/{case}/b_centers'])


@torch.no_grad()
def test_projector(golden):
    m = load(Projector(32, 16, mlp_dim=24), golden, 'projector')
    close(m(golden['input/projector/x']), golden['output/projector/out'])


def build_attractor(case: str, strength_quirk: bool = True,
                    memory_efficient: bool = True) -> AttractorLayer:
    parts = case.split('_')[1:]
    normed = parts[0] != 'unnormed'
    attractor_type, kind, alpha = parts[-3], parts[-2], float(parts[-1][1:])
    return AttractorLayer(
        16, 16, n_attractors=4, mlp_dim=24, min_depth=1e-3, max_depth=10,
        alpha=alpha, gamma=2, kind=kind, attractor_type=attractor_type,
        normed=normed, strength_quirk=strength_quirk,
        memory_efficient=memory_efficient)


def attractor_inputs(golden: dict, normed: bool) -> tuple:
    shared = 'input/attractor_shared/'
    b_prev = golden[shared +
                    ('b_prev_normed' if normed else 'b_prev_unnormed')]
    return golden[shared + 'x'], b_prev, golden[shared + 'prev_b_embedding']


@pytest.mark.parametrize('memory_efficient', [True, False])
@pytest.mark.parametrize('case', ATTRACTOR_CASES)
@torch.no_grad()
def test_attractor_layer(golden, case, memory_efficient):
    m = load(build_attractor(case, memory_efficient=memory_efficient),
             golden, case)
    b_new, centers = m(*attractor_inputs(golden, m.normed))
    close(b_new, golden[f'output/{case}/b_new_centers'])
    if m.normed:
        close(centers, golden[f'output/{case}/B_centers'])
    else:
        assert centers is b_new


@torch.no_grad()
def test_attractor_strength_is_honoured_without_quirk(golden):
    case = 'attractor_inv_sum_a1000'
    inputs = attractor_inputs(golden, True)
    honoured = load(build_attractor(case, strength_quirk=False), golden, case)
    assert (honoured.alpha, honoured.gamma) == (1000.0, 2)
    diff = honoured(*inputs)[0] - golden[f'output/{case}/b_new_centers']
    assert diff.abs().max() > 1e-3
    # The a300 golden equals an honoured alpha of 300.
    case = 'attractor_exp_sum_a300'
    m = load(build_attractor(case, strength_quirk=False), golden, case)
    close(m(*inputs)[0], golden[f'output/{case}/b_new_centers'])


@torch.no_grad()
def test_conditional_log_binomial(golden):
    case = 'conditional_log_binomial'
    m = load(ConditionalLogBinomial(33, 16, n_classes=16, min_temp=0.0212,
                                    max_temp=50), golden, case)
    assert m.log_binomial_transform.k_idx.dtype == torch.int64
    x, cond = golden[f'input/{case}/x'], golden[f'input/{case}/cond']
    p, t = m.probability_and_temperature(x, cond)
    close(p, golden[f'output/{case}/p'])
    close(t.squeeze(1), golden[f'output/{case}/t'])
    close(m(x, cond), golden[f'output/{case}/probs'])


@pytest.mark.parametrize('attractor_type', ['inv', 'exp'])
@pytest.mark.parametrize('kind', ['sum', 'mean'])
@pytest.mark.parametrize('gamma', [2.0, 3.0])
@pytest.mark.parametrize('residual', [False, True])
def test_looped_attractor_delta_matches_materialised(attractor_type, kind,
                                                     gamma, residual):
    """The bounded-memory loop (fused passes for inv / gamma 2) equals the
    5-D tensor, values and grads, with and without the residual."""
    g = torch.Generator().manual_seed(0)
    attractors = torch.rand(2, 5, 3, 4, generator=g, dtype=torch.float64)
    centers = torch.rand(2, 7, 3, 4, generator=g, dtype=torch.float64)
    grad_out = torch.randn(2, 7, 3, 4, generator=g, dtype=torch.float64)
    results = []
    for memory_efficient in (True, False):
        a = attractors.clone().requires_grad_()
        c = centers.clone().requires_grad_()
        delta = attractor_delta(a, c, 30.0, gamma, attractor_type, kind,
                                memory_efficient, residual=residual)
        delta.backward(grad_out)
        results.append((delta, a.grad, c.grad))
    for looped, materialised in zip(*results):
        torch.testing.assert_close(looped, materialised, atol=1e-13, rtol=0)
    without = attractor_delta(attractors, centers, 30.0, gamma,
                              attractor_type, kind)
    torch.testing.assert_close(
        results[0][0], centers + without if residual else without,
        atol=1e-13, rtol=0)
    a = attractors.clone().requires_grad_()
    c = centers.clone().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda a, c: attractor_delta(a, c, 30.0, gamma, attractor_type, kind,
                                     residual=residual), (a, c))


def test_fused_attractor_pulls_in_float32_match_float64():
    """The fused inv / gamma-2 passes lose nothing in float32 (slope as
    2 r^2 - r, mean weight per attractor), across near and far attractors
    at the reference strength."""
    g = torch.Generator().manual_seed(1)
    attractors = torch.rand(2, 4, 5, 6, generator=g, dtype=torch.float64) * 10
    centers = torch.rand(2, 16, 5, 6, generator=g, dtype=torch.float64) * 10
    grad_out = torch.randn(2, 16, 5, 6, generator=g, dtype=torch.float64)
    results = []
    for dtype in (torch.float64, torch.float32):
        a = attractors.to(dtype, copy=True).requires_grad_()
        c = centers.to(dtype, copy=True).requires_grad_()
        out = attractor_delta(a, c, 300.0, 2.0, 'inv', 'mean', residual=True)
        out.backward(grad_out.to(dtype))
        results.append([t.double() for t in (out, a.grad, c.grad)])
    for exact, single in zip(*results):
        torch.testing.assert_close(single, exact, atol=1e-5, rtol=1e-5)


def test_log_binomial_reduced_precision_is_upcast():
    m = ConditionalLogBinomial(4, 3, n_classes=8).to(torch.bfloat16)
    x = torch.rand(1, 4, 2, 2, dtype=torch.bfloat16)
    probs = m(x, torch.rand(1, 3, 2, 2, dtype=torch.bfloat16))
    assert probs.dtype == torch.float32
    torch.testing.assert_close(probs.sum(1), torch.ones(1, 2, 2))
