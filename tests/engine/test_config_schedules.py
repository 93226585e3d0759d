"""The learning-rate decay of every config spans the run however long it
is made: ``--num-epochs 40`` on a 20-epoch schedule must not sit at lr 0
for its second half (a schedule's ``end`` fixed in the config did)."""
from pathlib import Path

import pytest
from mmengine.config import Config

from engine_toys import ToyDataset, make_runner

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs'
ANNEALING = ('PolyLR', 'CosineAnnealingLR', 'GroupOneCycleLR', 'OneCycleLR')


def annealing_configs() -> list:
    names = []
    for path in sorted(CONFIG_DIR.rglob('*.py')):
        if '_base_' in path.parts:
            continue
        cfg = Config.fromfile(str(path))
        if any(s['type'] in ANNEALING for s in cfg.param_scheduler):
            names.append(str(path.relative_to(CONFIG_DIR)))
    return names


def lr_per_iteration(runner) -> list:
    """Steps the schedulers as ParamSchedulerHook does; lr of group 0."""
    runner._train_loop = runner.build_train_loop(runner._train_loop)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    schedulers = runner.build_param_scheduler(runner.param_schedulers)
    group = runner.optim_wrapper.optimizer.param_groups[0]
    lrs = []
    for _ in range(runner.max_epochs):
        for _ in range(len(runner.train_dataloader)):
            lrs.append(group['lr'])
            for scheduler in schedulers:
                if not scheduler.by_epoch:
                    scheduler.step()
        for scheduler in schedulers:
            if scheduler.by_epoch:
                scheduler.step()
    return lrs


def test_the_annealing_configs_are_found():
    names = annealing_configs()
    assert 'da2-metric_vits_hypersim.py' in names
    assert 'da2zoe-dpt_vits_nyu.py' in names  # ZoeDepth's one-cycle


# No optimizer step runs: MMEngine warns about the order, which is moot.
@pytest.mark.filterwarnings('ignore:Detected call of')
@pytest.mark.parametrize('name', annealing_configs())
def test_the_decay_spans_a_run_twice_as_long(name, tmp_path):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    epochs = 2 * cfg.train_cfg.max_epochs
    runner = make_runner(
        tmp_path, max_epochs=epochs, optim_wrapper=cfg.optim_wrapper.to_dict(),
        param_scheduler=[dict(s) for s in cfg.param_scheduler],
        dataset=ToyDataset(n=400))  # 100 iterations an epoch
    lrs = lr_per_iteration(runner)
    peak = max(lrs)
    three_quarters = lrs[3 * len(lrs) // 4]
    # Poly 0.9 leaves 29 % of the peak at 3/4 of the run, a cosine 15 %,
    # ZoeDepth's one-cycle (cosine from 70 %) 37 %: still decaying, not done.
    assert three_quarters > 0.05 * peak, (name, three_quarters, peak)
    assert lrs[-1] < 0.5 * three_quarters, (name, lrs[-1], three_quarters)
