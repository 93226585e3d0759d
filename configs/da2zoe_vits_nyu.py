# da2zoe on NYU Depth v2 (DenseDepth CSV) with a DINOv2-vits encoder (21 M
# parameters) and the seed script's defaults: encoder frozen unless
# --train-encoder (then at lr / 10), AdapterFusionNeck 128 wide, ZoeDepth head
# (see _base_/models/da2zoe.py), losses SILog x1 + GradL1 x0.5 + metric SILog
# x0.5, AdamW 1e-4 / StepLR 15 x0.1 / 50 epochs, batch 4, 392x392 crops.
_base_ = [
    '_base_/models/da2zoe.py', '_base_/datasets/nyu.py',
    '_base_/schedules/seed_step_50e.py', '_base_/default_runtime.py'
]
model = dict(
    # The encoder of Depth Anything V2 Small (official file
    # depth_anything_v2_vits.pth works too: --pretrained-checkpoint FILE).
    backbone=dict(
        arch='vits',
        init_cfg=dict(
            type='Pretrained', prefix='backbone.',
            checkpoint='hf://depth-anything/Depth-Anything-V2-Small-hf')),
    neck=dict(in_channels=384, channels=128),
    head=dict(bottleneck_channels=128, level_channels=128))
