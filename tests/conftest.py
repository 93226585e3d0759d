"""Fixtures of the dataset tests: synthetic data written by
make_synthetic.py."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from da2zoe.registry import MODELS
from da2zoe.testing.synthetic_scenes import render_scene

REPO = Path(__file__).resolve().parents[1]
SIZE = (96, 128)
KITTI_SIZE = (360, 1224)  # just above the 352x1216 KB crop
NUM = 5


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory) -> Path:
    """Every format, written once per session by the real converter."""
    out = tmp_path_factory.mktemp('synthetic')
    subprocess.run([
        sys.executable,
        str(REPO / 'tools/dataset_converters/make_synthetic.py'), '--out',
        str(out), '--num',
        str(NUM), '--seed', '3', '--size',
        str(SIZE[0]),
        str(SIZE[1]), '--kitti-size',
        str(KITTI_SIZE[0]),
        str(KITTI_SIZE[1])
    ],
                   check=True,
                   capture_output=True)
    return out


@pytest.fixture(scope='session')
def manifest(synthetic_root) -> dict:
    return json.loads((synthetic_root / 'manifest.json').read_text())


@pytest.fixture(scope='session')
def true_depth(manifest):
    """Re-render the generator's true metres of scene ``index``."""
    cache = {}

    def render(index: int, kitti: bool = False) -> np.ndarray:
        key = (index, kitti)
        if key not in cache:
            size = manifest['kitti_size' if kitti else 'size']
            intrinsics = np.array(
                manifest['kitti_intrinsics' if kitti else 'intrinsics'])
            cache[key] = render_scene(index, manifest['seed'], tuple(size),
                                      intrinsics).depth
        return cache[key]

    return render


@pytest.fixture(scope='session')
def scene_index(synthetic_root, manifest):
    """Scene index of any file the generator wrote (absolute path)."""
    lookup = {}
    for section in manifest['formats'].values():
        for entry in section['entries']:
            for value in entry.values():
                if isinstance(value, str):
                    lookup[str(synthetic_root / value)] = entry['index']

    def find(path: str) -> int:
        return lookup[str(Path(path))]

    return find


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory) -> Path:
    """The tiny config's model with 4 blocks (``--cfg-options
    model.backbone.arch.num_layers=4 model.backbone.out_indices=[0,1,2,3]``),
    randomly initialised (seed 0), as ``{'state_dict': ...}``."""
    cfg = Config.fromfile(str(REPO / 'configs/da2zoe_tiny_synthetic.py'))
    cfg.model.backbone.arch.num_layers = 4
    cfg.model.backbone.out_indices = [0, 1, 2, 3]
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = tmp_path_factory.mktemp('tiny_ckpt') / 'tiny.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    return path
