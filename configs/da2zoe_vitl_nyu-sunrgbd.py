# da2zoe, DINOv2-vitl, trained on NYU Depth v2 + SUN RGB-D (the seed's
# `--datasets nyu sunrgbd`). Model, schedule and losses as
# configs/da2zoe_vitl_nyu.py; the best checkpoint is NYU's.
_base_ = [
    '_base_/models/da2zoe.py', '_base_/datasets/nyu-sunrgbd.py',
    '_base_/schedules/seed_step_50e.py', '_base_/default_runtime.py'
]
default_hooks = dict(checkpoint=dict(save_best='nyu/abs_rel'))
