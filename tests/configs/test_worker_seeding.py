"""Every config's training loader gives each epoch new augmentations, also
when the runner is built from the config directly (not by tools/train.py):
MMEngine's default worker seeding repeats numpy's draws every epoch."""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from torch.utils.data import Dataset

import da2zoe.engine  # noqa: F401  (registers seed_worker_from_torch)

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs'
CONFIGS = sorted(str(p.relative_to(CONFIG_DIR))
                 for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)


class NumpyDraws(Dataset):
    """What an augmentation draws: numpy's global generator."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return float(np.random.rand())


def epoch_draws(loader_cfg: dict, epochs: int = 2) -> list:
    cfg = dict(loader_cfg, dataset=NumpyDraws(), num_workers=1,
               persistent_workers=False, batch_size=4,
               sampler=dict(type='DefaultSampler', shuffle=False),
               collate_fn=dict(type='default_collate'))
    with DefaultScope.overwrite_default_scope('da2zoe'):
        loader = Runner.build_dataloader(cfg, seed=42)
    return [next(iter(loader)).tolist() for _ in range(epochs)]


def test_mmengine_default_repeats_epochs():
    # The failure this guards against, shown on MMEngine's own default.
    first, second = epoch_draws({})
    assert first == second


@pytest.mark.parametrize('name', CONFIGS)
def test_each_epoch_draws_anew(name):
    loader = Config.fromfile(str(CONFIG_DIR / name)).train_dataloader
    init = loader.get('worker_init_fn')
    assert init is not None, f'{name}: MMEngine would repeat every epoch'
    first, second = epoch_draws(dict(worker_init_fn=dict(init)))
    assert first != second, name
