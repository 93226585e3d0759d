"""Tiny stand-ins for engine tests: a depther-shaped model, a dataset and a
runner factory (no dependency on the real backbone, heads or datasets)."""
import uuid

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from da2zoe.checkpoint import register_safe_globals


class ToyEncoder(nn.Module):
    """ViT-like names: pos_embed, cls_token, a LayerNorm, a projection."""

    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.proj = nn.Linear(4, dim)
        self.norm = nn.LayerNorm(dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, dim))
        self.cls_token = nn.Parameter(torch.zeros(1, dim))

    def forward(self, x):
        return self.norm(self.proj(x) + self.pos_embed + self.cls_token)


class ToyDepther(BaseModel):
    """``backbone``/``neck``/``head`` like MetricDepther; the loss casts its
    inputs up to float32 like the real losses, and is NaN for samples whose
    ``poison`` flag is set."""

    def __init__(self, frozen_encoder: bool = False) -> None:
        super().__init__()
        self.backbone = ToyEncoder()
        self.neck = nn.Linear(8, 8)
        self.head = nn.Linear(8, 1)
        if frozen_encoder:
            self.backbone.requires_grad_(False)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, (list, tuple)) else \
            inputs
        pred = self.head(torch.relu(self.neck(self.backbone(x))))
        if mode != 'loss':
            return pred
        target = torch.stack([s.target for s in data_samples])
        loss = F.mse_loss(pred.float(), target.float())
        if any(s.metainfo.get('poison', False) for s in data_samples):
            loss = loss * float('nan')
        return dict(loss_mse=loss)


class ToyDataset(Dataset):
    """Deterministic samples with an ``img_path`` name each."""

    metainfo = dict(dataset_name='toy', max_depth=10.0)

    def __init__(self, n: int = 16, poison=()) -> None:
        gen = torch.Generator().manual_seed(123)
        self.x = torch.randn(n, 4, generator=gen)
        self.y = self.x.sum(1, keepdim=True) * 0.5
        self.poison = set(poison)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(
            inputs=self.x[i],
            data_samples=BaseDataElement(
                metainfo=dict(
                    img_path=f'rgb_{i:03d}.png', poison=i in self.poison),
                target=self.y[i]))


class LossRecorder(Hook):
    """Records (epoch, iter, loss, lr per group) after every iteration."""

    priority = 'LOWEST'

    def __init__(self):
        self.rows = []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        lrs = {
            g.get('name'): g['lr']
            for g in runner.optim_wrapper.optimizer.param_groups
        }
        self.rows.append(
            (runner.epoch, runner.iter, float(outputs['loss'].detach()), lrs))


def make_runner(work_dir,
                max_epochs=2,
                optim_wrapper=None,
                param_scheduler='default',
                checkpoint=None,
                custom_hooks=(),
                dataset=None,
                resume=False,
                load_from=None,
                val=None):
    """A CPU runner around :class:`ToyDepther` with da2zoe's engine parts."""
    if optim_wrapper is None:
        optim_wrapper = dict(
            constructor='DepthOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-4),
            paramwise_cfg=dict(encoder_lr_factor=10),
            clip_grad=dict(max_norm=1.0))
    if param_scheduler == 'default':
        param_scheduler = [
            dict(
                type='LinearLR',
                start_factor=0.5,
                by_epoch=False,
                begin=0,
                end=2),
            dict(
                type='GroupOneCycleLR',
                pct_start=0.5,
                div_factor=2,
                final_div_factor=10,
                by_epoch=True,
                begin=0,
                end=2,
                convert_to_iter_based=True),
        ]
    register_safe_globals()  # as da2zoe.cli.build_runner does
    torch.manual_seed(0)  # the model is built here, before the runner seeds
    kwargs = {}
    if val is not None:
        kwargs.update(val)
    return Runner(
        model=ToyDepther(),
        work_dir=str(work_dir),
        experiment_name=f'engine_test_{uuid.uuid4().hex[:10]}',
        train_dataloader=dict(
            dataset=dataset if dataset is not None else ToyDataset(),
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True, seed=7),
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=optim_wrapper,
        param_scheduler=param_scheduler,
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=checkpoint
            or dict(type='DepthCheckpointHook', interval=1)),
        custom_hooks=list(custom_hooks),
        default_scope='da2zoe',
        randomness=dict(seed=0),
        resume=resume,
        load_from=load_from,
        log_level='WARNING',
        **kwargs)
