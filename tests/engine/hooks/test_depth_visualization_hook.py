"""DepthVisualizationHook draws while training, validating and testing."""
import os
from types import SimpleNamespace

import torch
from torch import nn

from da2zoe.engine.hooks import DepthVisualizationHook
from da2zoe.registry import HOOKS, VISUALIZERS
from da2zoe.structures import DepthDataSample


def sample(h=40, w=60):
    gt = torch.linspace(1.0, 5.0, w).repeat(h, 1)[None]
    return DepthDataSample(
        metainfo=dict(img_path=f'/data/room_{w}.jpg'),
        gt_depth=gt,
        gt_mask=gt > 0,
        pred_depth=gt * 1.1)


class StubDepther(nn.Module):
    """Predicts 1.1 x GT and records the mode it ran in."""

    def __init__(self):
        super().__init__()
        self.modes = []

    def val_step(self, data):
        self.modes.append(self.training)
        for item in data['data_samples']:
            item.pred_depth = item.gt_depth * 1.1
        return data['data_samples']


def test_hook_draws_train_val_and_test(tmp_path):
    assert HOOKS.get('DepthVisualizationHook') is DepthVisualizationHook
    visualizer = VISUALIZERS.build(
        dict(type='DepthVisualizer', name='hook_test',
             vis_backends=[dict(type='LocalVisBackend')],
             save_dir=str(tmp_path)))
    model = StubDepther().train()
    runner = SimpleNamespace(visualizer=visualizer, model=model, iter=9,
                             log_dir=str(tmp_path / 'log'))
    hook = DepthVisualizationHook(interval=10, test_out_dir='show')
    batch = dict(inputs=[torch.zeros(3, 40, 60, dtype=torch.uint8)] * 2,
                 data_samples=[sample(), sample()])
    vis_dir = tmp_path / 'vis_data' / 'vis_image'

    hook.after_train_iter(runner, 9, batch)
    assert model.modes == [False] and model.training
    assert (vis_dir / 'train_depth_10.png').exists()
    runner.iter = 10
    hook.after_train_iter(runner, 10, batch)
    assert model.modes == [False]

    outputs = [sample(), sample()]
    hook.after_val_iter(runner, 0, batch, outputs)
    hook.after_val_iter(runner, 1, batch, outputs)
    assert sorted(os.listdir(vis_dir)) == ['train_depth_10.png',
                                           'val_depth_10.png']

    hook.before_test(runner)
    hook.after_test_iter(runner, 0, batch, outputs)
    shown = sorted(os.listdir(tmp_path / 'log' / 'show'))
    assert shown == ['000000_room_60.png', '000001_room_60.png']
