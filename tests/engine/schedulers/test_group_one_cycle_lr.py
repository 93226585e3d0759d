"""GroupOneCycleLR keeps per-group peaks; Poly/Linear keep group ratios."""
import io

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.optim.scheduler import LinearLR, OneCycleLR, PolyLR

import da2zoe.engine  # noqa: F401
from da2zoe.engine import GroupOneCycleLR
from da2zoe.registry import PARAM_SCHEDULERS


def _optimizer(lrs=(1e-4, 1e-3)):
    groups = [
        dict(params=[torch.nn.Parameter(torch.zeros(1))], lr=lr) for lr in lrs
    ]
    return torch.optim.AdamW(groups, lr=lrs[-1])


def _run(scheduler, optimizer, steps):
    out = []
    for _ in range(steps):
        out.append([g['lr'] for g in optimizer.param_groups])
        optimizer.step()
        for s in (scheduler if isinstance(scheduler, list) else [scheduler]):
            s.step()
    return out


@pytest.mark.parametrize(
    'kwargs',
    [
        dict(pct_start=0.7, div_factor=1., final_div_factor=1e4),  # ZoeDepth
        dict(pct_start=0.3, div_factor=25., final_div_factor=1e4),
        dict(
            pct_start=0.3,
            div_factor=25.,
            final_div_factor=1e4,
            three_phase=True),
        dict(pct_start=0.25, anneal_strategy='linear'),
    ])
def test_matches_torch_one_cycle_per_group(kwargs):
    total = 40
    ours_opt, ref_opt = _optimizer(), _optimizer()
    ours = GroupOneCycleLR(
        ours_opt, total_steps=total, by_epoch=False, **kwargs)
    ref = torch.optim.lr_scheduler.OneCycleLR(
        ref_opt,
        max_lr=[1e-4, 1e-3],
        total_steps=total,
        cycle_momentum=False,
        **kwargs)
    got, want = _run(ours, ours_opt, total), _run(ref, ref_opt, total)
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-9, abs=1e-15)
        assert g[0] == pytest.approx(g[1] / 10)


def test_zoedepth_shape():
    opt = _optimizer()
    sched = GroupOneCycleLR(
        opt,
        total_steps=100,
        pct_start=0.7,
        div_factor=1,
        final_div_factor=1e4,
        by_epoch=False)
    lrs = _run(sched, opt, 100)
    assert all(lr == pytest.approx([1e-4, 1e-3]) for lr in lrs[:70])
    assert lrs[-1] == pytest.approx([1e-8, 1e-7])


def test_mmengine_one_cycle_drops_the_ratio():
    opt = _optimizer()
    OneCycleLR(opt, eta_max=1e-3, total_steps=10, by_epoch=False)
    assert opt.param_groups[0]['lr'] == opt.param_groups[1]['lr']


def test_after_warmup_uses_configured_peak_and_wrapper_groups():
    wrapper = OptimWrapper(_optimizer())  # adds a base_param_settings group
    schedulers = [
        LinearLR(wrapper, start_factor=0.1, by_epoch=False, begin=0, end=5),
        GroupOneCycleLR(
            wrapper,
            total_steps=20,
            pct_start=0.5,
            div_factor=1,
            by_epoch=False),
    ]
    for step in _run(schedulers, wrapper, 20):
        assert step[0] == pytest.approx(step[1] / 10)
    assert GroupOneCycleLR(
        OptimWrapper(_optimizer()), total_steps=4,
        by_epoch=False).peak_values[:2] == [1e-4, 1e-3]


def test_poly_and_linear_warmup_keep_ratios():
    opt = _optimizer()
    schedulers = [
        LinearLR(opt, start_factor=0.01, by_epoch=False, begin=0, end=10),
        PolyLR(opt, power=0.9, eta_min=0., by_epoch=False, begin=10, end=50),
    ]
    for step in _run(schedulers, opt, 50):
        assert step[0] == pytest.approx(step[1] / 10)


def test_convert_to_iter_based_and_safe_state():
    opt = _optimizer()
    sched = PARAM_SCHEDULERS.build(
        dict(
            type='GroupOneCycleLR',
            pct_start=0.7,
            div_factor=1,
            by_epoch=True,
            begin=0,
            end=5,
            convert_to_iter_based=True),
        default_args=dict(optimizer=opt, epoch_length=8))
    assert not sched.by_epoch and sched.total_steps == 40 and sched.end == 40
    buf = io.BytesIO()
    torch.save(sched.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)  # no functions inside
    assert state['peak_values'] == [1e-4, 1e-3]


def test_subclasses_mmengine_and_keeps_the_minimum_past_the_cycle():
    assert issubclass(GroupOneCycleLR, OneCycleLR)
    opt = _optimizer()
    sched = GroupOneCycleLR(opt, total_steps=10, by_epoch=False)
    lrs = _run(sched, opt, 14)
    for step in lrs[9:]:
        assert step == pytest.approx([1e-4 / 25 / 1e4, 1e-3 / 25 / 1e4])


@pytest.mark.parametrize('strategy', ['cos', 'linear'])
def test_weights_only_state_resumes_the_same_curve(strategy):
    total = 30
    opt = _optimizer()
    sched = GroupOneCycleLR(opt, total_steps=total, anneal_strategy=strategy,
                            by_epoch=False)
    _run(sched, opt, 12)
    buf = io.BytesIO()
    torch.save(sched.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    assert 'anneal_func' not in state and state['anneal_strategy'] == strategy

    # The runner's order: build both, then load the optimiser's state and
    # the scheduler's.
    resumed_opt = _optimizer()
    resumed = GroupOneCycleLR(resumed_opt, total_steps=total,
                              anneal_strategy='cos', by_epoch=False)
    resumed_opt.load_state_dict(opt.state_dict())
    resumed.load_state_dict(state)
    assert _run(resumed, resumed_opt, total - 12) == _run(sched, opt,
                                                          total - 12)
