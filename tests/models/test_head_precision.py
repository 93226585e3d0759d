"""Under bf16 autocast the head's MLPs keep the autocast dtype inside, but
the 1x1 convolution that produces bin widths, attractor positions and the
log-binomial's p and t runs in float32 (docs/model.md, "Precision"): a bf16
rounding there moves an attractor at 9 m by centimetres."""
import torch
from torch.nn import functional as F

from da2zoe.models.heads.attractor import AttractorLayer
from da2zoe.models.heads.log_binomial import ConditionalLogBinomial
from da2zoe.models.heads.precision import run_with_float32_tail
from da2zoe.models.heads.seed_bin_regressor import SeedBinRegressor


def _float32_tail(net, x, tail=2):
    """The MLP's front under autocast, its tail by hand in float32."""
    with torch.autocast('cpu', dtype=torch.bfloat16):
        hidden = net[:-tail](x)
    out = hidden.float()
    for module in net[-tail:]:
        if isinstance(module, torch.nn.Conv2d):
            out = F.conv2d(out, module.weight.float(), module.bias.float())
        else:
            out = module(out)
    return out


def _not_bf16_values(t):
    return (t.to(torch.bfloat16).float() != t).float().mean().item()


def test_the_tail_runs_in_float32_under_autocast():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(8, 16, 1), torch.nn.ReLU(),
                              torch.nn.Conv2d(16, 6, 1), torch.nn.Softplus())
    x = torch.randn(2, 8, 5, 7)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = run_with_float32_tail(net, x)
        hidden = net[:-2](x)
    assert hidden.dtype == torch.bfloat16  # the front keeps autocast
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, _float32_tail(net, x), rtol=0, atol=0)
    assert _not_bf16_values(out) > 0.9
    # Outside autocast: the plain network, float64 kept.
    x64 = x.double()
    net64 = net.double()
    assert run_with_float32_tail(net64, x64).dtype == torch.float64
    torch.testing.assert_close(run_with_float32_tail(net64, x64), net64(x64),
                               rtol=0, atol=0)


def test_seed_bins_attractors_and_log_binomial_are_float32_precise():
    torch.manual_seed(1)
    x = torch.randn(1, 32, 6, 8)
    seed = SeedBinRegressor(32, n_bins=16, mlp_dim=24, max_depth=10.0)
    layer = AttractorLayer(32, n_bins=16, n_attractors=8, mlp_dim=24,
                           attractor_type='inv', strength_quirk=True)
    log_binomial = ConditionalLogBinomial(32, 12, n_classes=16)
    cond = torch.randn(1, 12, 6, 8)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        widths, centers = seed(x)
        new, metres = layer(x, widths)
        p, t = log_binomial.probability_and_temperature(x, cond)
    for name, value in (('seed centres', centers), ('attractor centres',
                                                    metres), ('p', p),
                        ('t', t)):
        assert value.dtype == torch.float32, name
        # bf16-rounded values would all be representable in bf16.
        assert _not_bf16_values(value) > 0.5, name
    # The seed's widths are exactly the float32 tail on the autocast front.
    raw = _float32_tail(seed._net, x) + seed.width_eps
    torch.testing.assert_close(widths, raw / raw.sum(1, keepdim=True),
                               rtol=1e-6, atol=0)
