"""Losses: golden parity with ZoeDepth / DA-V2 (values and gradients) and
robustness on empty masks, single pixels and bad predictions."""
from pathlib import Path

import numpy as np
import pytest
import torch

from da2zoe.models.losses import (
    GradL1Loss,
    MetricSILogLoss,
    PairRankingLoss,
    SILogLoss,
)
from da2zoe.registry import LOSSES

GOLDEN = Path(__file__).parents[1] / 'data' / 'golden' / 'losses.npz'
RTOL = 1e-12


@pytest.fixture(scope='module')
def golden():
    with np.load(GOLDEN, allow_pickle=False) as data:
        return {k: torch.from_numpy(data[k]) for k in data.files}


def _assert_close(actual, expected):
    torch.testing.assert_close(
        actual, expected, rtol=RTOL, atol=RTOL * expected.abs().max())


# golden case -> (loss class, pred key, target key, mask key or None);
# DA-V2 works on (B, H, W), our contract is (B, 1, H, W).
PARITY_CASES = {
    'zoe_silog': (SILogLoss, 'zoe_silog/pred', 'zoe_silog/target',
                  'zoe_silog/mask'),
    'zoe_silog_nomask': (SILogLoss, 'zoe_silog/pred',
                         'zoe_silog_nomask/target', None),
    'zoe_gradl1': (GradL1Loss, 'zoe_gradl1/pred', 'zoe_gradl1/target',
                   'zoe_gradl1/mask'),
    'da2_silog': (MetricSILogLoss, 'da2_silog/pred', 'da2_silog/target',
                  'da2_silog/valid_mask'),
}


@pytest.mark.parametrize('case', sorted(PARITY_CASES))
def test_loss_and_gradient_match_reference(golden, case):
    loss_cls, pred_key, target_key, mask_key = PARITY_CASES[case]

    def as_4d(key):
        x = golden['input/' + key]
        return x if x.dim() == 4 else x[:, None]

    pred = as_4d(pred_key).clone().requires_grad_(True)
    mask = as_4d(mask_key) if mask_key else None
    loss = loss_cls()(pred, as_4d(target_key), mask)
    loss.backward()
    _assert_close(loss.detach(), golden[f'output/{case}/loss'])
    expected_grad = golden[f'grad/{case}/pred']
    _assert_close(pred.grad.reshape(expected_grad.shape), expected_grad)


def test_silog_resize_matches_reference_interpolation(golden):
    resized = torch.nn.functional.interpolate(
        golden['input/zoe_silog/pred'], size=(48, 64), mode='bilinear',
        align_corners=True)
    _assert_close(resized, golden['output/zoe_silog/interpolated_pred'])


DENSE_LOSSES = [SILogLoss, GradL1Loss, MetricSILogLoss]


def _random_pair(shape=(2, 1, 8, 10), seed=0):
    gen = torch.Generator().manual_seed(seed)
    pred = torch.rand(shape, generator=gen) * 5 + 0.5
    target = torch.rand(shape, generator=gen) * 5 + 0.5
    return pred, target


@pytest.mark.parametrize('loss_cls', DENSE_LOSSES)
@pytest.mark.parametrize('n_valid', [0, 1])
def test_dense_losses_tiny_masks_give_attached_zero(loss_cls, n_valid):
    pred, target = _random_pair()
    pred[0, 0, 5, 5] = float('nan')  # garbage outside the mask
    mask = torch.zeros_like(target, dtype=torch.bool)
    mask.view(-1)[:n_valid] = True
    pred.requires_grad_(True)
    loss = loss_cls(loss_weight=2.0)(pred, target, mask)
    assert torch.isfinite(loss)
    if n_valid == 0 or loss_cls is not MetricSILogLoss:
        assert loss.item() == 0
    loss.backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all()


@pytest.mark.parametrize('loss_cls', DENSE_LOSSES)
def test_dense_losses_identical_inputs_have_finite_gradients(loss_cls):
    pred, _ = _random_pair()
    pred.requires_grad_(True)
    loss = loss_cls()(pred, pred.detach().clone())
    loss.backward()
    assert loss.item() == pytest.approx(0, abs=1e-6)
    assert torch.isfinite(pred.grad).all()


@pytest.mark.parametrize('loss_cls', [SILogLoss, MetricSILogLoss])
def test_log_losses_survive_non_positive_predictions(loss_cls):
    pred, target = _random_pair()
    pred[0, 0, :2] = 0
    pred[1, 0, :2] = -3
    pred.requires_grad_(True)
    loss = loss_cls()(pred, target)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(pred.grad).all()


@pytest.mark.parametrize('loss_cls', DENSE_LOSSES)
def test_dense_losses_resize_when_only_height_differs(loss_cls):
    pred, target = _random_pair((2, 1, 8, 10))
    target = torch.rand(2, 1, 16, 10) + 1
    expected = loss_cls()(
        torch.nn.functional.interpolate(
            pred, (16, 10), mode='bilinear', align_corners=True), target)
    torch.testing.assert_close(loss_cls()(pred, target), expected)


@pytest.mark.parametrize('loss_cls', DENSE_LOSSES)
def test_dense_losses_run_in_float32_under_autocast(loss_cls):
    pred, target = _random_pair()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_cls()(pred.bfloat16(), target.bfloat16())
    assert loss.dtype == torch.float32
    expected = loss_cls()(pred.bfloat16().float(), target.bfloat16().float())
    torch.testing.assert_close(loss, expected)


def test_loss_weight_scales_and_names_follow_contract():
    pred, target = _random_pair()
    base = SILogLoss()(pred, target)
    torch.testing.assert_close(SILogLoss(loss_weight=0.5)(pred, target),
                               0.5 * base)
    names = {
        LOSSES.build(dict(type=t)).loss_name
        for t in ('SILogLoss', 'GradL1Loss', 'MetricSILogLoss',
                  'PairRankingLoss')
    }
    assert names == {
        'loss_silog', 'loss_grad', 'loss_metric_silog', 'loss_pair_rank'
    }
    with pytest.raises(ValueError):
        SILogLoss(loss_name='silog')


def test_pair_ranking_loss_value_and_direction():
    pred = torch.ones(2, 1, 4, 4, dtype=torch.float64)
    pred[0, 0, 0, 0] = 1.0
    pred[0, 0, 3, 3] = 2.0
    pred[1, 0, 1, 2] = 4.0
    pairs = [
        torch.tensor([[0, 0, 3, 3]]),  # right order: d1 = 1 < d2 = 2
        torch.tensor([[1, 2, 0, 0]]),  # wrong order: d1 = 4 > d2 = 1
    ]
    pred.requires_grad_(True)
    assert PairRankingLoss.requires_pairs
    loss = PairRankingLoss()(pred, pairs)
    expected = (np.log1p(0.5) + np.log1p(4.0)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    assert pred.grad[1, 0, 1, 2] > 0  # pushes the wrongly far point closer
    assert pred.grad[0, 0, 3, 3] < 0  # pushes the far point further


def test_pair_ranking_loss_without_pairs_is_attached_zero():
    pred = torch.rand(2, 1, 4, 4, requires_grad=True)
    loss = PairRankingLoss()(pred, [torch.zeros(0, 4, dtype=torch.long)] * 2)
    assert loss.item() == 0
    loss.backward()
    assert torch.equal(pred.grad, torch.zeros_like(pred))
