# da2zoe on NYU Depth v2 with a DINOv2-vitg encoder (1.1 B parameters, SwiGLU
# FFN): the vitl recipe with the encoder's 1536-wide tokens; neck and head
# 256 wide as for vitl.
_base_ = [
    '_base_/models/da2zoe.py', '_base_/datasets/nyu.py',
    '_base_/schedules/seed_step_50e.py', '_base_/default_runtime.py'
]
# DINOv2 giant (Depth Anything V2 giant is not released; the hub file
# dinov2_vitg14_pretrain.pth works too: --pretrained-checkpoint FILE).
model = dict(
    backbone=dict(
        arch='vitg',
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint='hf://facebook/dinov2-giant')),
    neck=dict(in_channels=1536))
