# da2zoe on NYU Depth v2 with a DINOv2-vitb encoder (86 M parameters): the
# vits recipe (configs/da2zoe_vits_nyu.py) with the encoder's 768-wide tokens;
# neck and head stay 128 wide.
_base_ = [
    '_base_/models/da2zoe.py', '_base_/datasets/nyu.py',
    '_base_/schedules/seed_step_50e.py', '_base_/default_runtime.py'
]
model = dict(
    backbone=dict(arch='vitb'),
    neck=dict(in_channels=768, channels=128),
    head=dict(bottleneck_channels=128, level_channels=128))
