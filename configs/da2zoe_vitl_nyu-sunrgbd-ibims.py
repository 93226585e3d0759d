# da2zoe, DINOv2-vitl, trained on NYU Depth v2 + SUN RGB-D + iBims-1 (the
# seed's `--datasets nyu sunrgbd ibims`), validated on NYU and SUN RGB-D
# (iBims-1 has no held-out split). As configs/da2zoe_vitl_nyu-sunrgbd.py.
_base_ = [
    '_base_/models/da2zoe.py', '_base_/datasets/nyu-sunrgbd.py',
    '_base_/schedules/seed_step_50e.py', '_base_/default_runtime.py'
]
train_dataloader = dict(
    dataset=dict(datasets=[
        {{_base_.nyu_train}}, {{_base_.sunrgbd_train}}, {{_base_.ibims_train}}
    ]))
default_hooks = dict(checkpoint=dict(save_best='nyu/abs_rel'))
