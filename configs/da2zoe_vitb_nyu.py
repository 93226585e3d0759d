# da2zoe on NYU Depth v2 with a DINOv2-vitb encoder (86 M parameters): the
# vits recipe (configs/da2zoe_vits_nyu.py) with the encoder's 768-wide tokens;
# neck and head stay 128 wide.
_base_ = [
    '_base_/models/da2zoe.py', '_base_/datasets/nyu.py',
    '_base_/schedules/seed_step_50e.py', '_base_/default_runtime.py'
]
model = dict(
    # The encoder of Depth Anything V2 Base (official file
    # depth_anything_v2_vitb.pth works too: --pretrained-checkpoint FILE).
    backbone=dict(
        arch='vitb',
        init_cfg=dict(
            type='Pretrained', prefix='backbone.',
            checkpoint='hf://depth-anything/Depth-Anything-V2-Base-hf')),
    neck=dict(in_channels=768, channels=128),
    head=dict(bottleneck_channels=128, level_channels=128))
