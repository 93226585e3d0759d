"""The log-binomial's [1e-4, 1] clamp of p and 1 - p (REFERENCE section 3),
where it acts: p at or past the bounds. The golden case keeps p inside
(0.004, 0.94), so a wrong clamp would pass it; here both the module and the
banded expectation meet a formula written from the reference text."""
import math

import pytest
import torch

from da2zoe.models.heads import binned_depth as bd
from da2zoe.models.heads.log_binomial import LogBinomial

K = 16
P = torch.tensor([0.0, 1e-9, 3e-5, 1e-4, 0.5, 1 - 3e-5, 1 - 1e-9, 1.0],
                 dtype=torch.float64)


def reference_probabilities(p: float, t: float) -> list:
    """softmax_k((logC(K-1, k) + k log p' + (K-1-k) log q') / t), with
    p' = clamp(p, 1e-4, 1), q' = clamp(1 - p, 1e-4, 1) and ZoeDepth's
    Stirling logC (n, k offset by 1e-7)."""
    n = K - 1 + 1e-7
    log_p = math.log(min(max(p, 1e-4), 1.0))
    log_q = math.log(min(max(1 - p, 1e-4), 1.0))
    logits = []
    for k in range(K):
        kk = k + 1e-7
        log_c = n * math.log(n) - kk * math.log(kk) - (n - kk) * math.log(
            n - kk + 1e-7)
        logits.append((log_c + k * log_p + (K - 1 - k) * log_q) / t)
    top = max(logits)
    weights = [math.exp(v - top) for v in logits]
    return [w / sum(weights) for w in weights]


@pytest.mark.parametrize('t', [1.0, 0.3])
def test_module_clamps_as_the_reference(t):
    probs = LogBinomial(K).double()(P.view(1, -1, 1), t)  # (1, K, 8, 1)
    for i, p in enumerate(P.tolist()):
        expected = torch.tensor(reference_probabilities(p, t),
                                dtype=torch.float64)
        torch.testing.assert_close(probs[0, :, i, 0], expected, rtol=1e-12,
                                   atol=1e-15)


def test_banded_expectation_clamps_as_the_reference():
    centers = torch.linspace(0.5, 9.5, K, dtype=torch.float64).expand(
        len(P), K)
    t = torch.full((len(P), 1), 0.7, dtype=torch.float64)
    basis = bd.bin_basis(LogBinomial(K).double().log_coefficient(
        torch.float64).view(1, K), torch.float64)
    depth = bd.band_expectation(P.view(-1, 1), t, centers, basis)
    for i, p in enumerate(P.tolist()):
        expected = sum(w * c for w, c in zip(
            reference_probabilities(p, 0.7), centers[0].tolist()))
        assert depth[i, 0].item() == pytest.approx(expected, rel=1e-12)
