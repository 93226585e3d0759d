# da2zoe on NYU Depth v2 (DenseDepth CSV) with a DINOv2-vitb encoder, the
# seed script's defaults: encoder frozen unless --train-encoder (then at
# lr / 10), TokenAdapter + PyramidFusion neck, ZoeDepth head with 64 softplus
# bins over 1e-3..10 m and attractors [16, 8, 4, 1] (inv), losses SILog x1 +
# GradL1 x0.5 + metric SILog x0.5, AdamW 1e-4 / StepLR 15 x0.1 / 50 epochs,
# batch 4, 392x392 crops of keep-aspect resized frames.
_base_ = [
    '_base_/models/da2zoe_vitb.py',
    '_base_/datasets/nyu.py',
    '_base_/schedules/seed_step_50e.py',
    '_base_/default_runtime.py',
]

model = dict(
    backbone=dict(frozen=True),
    head=dict(n_bins=64, bin_centers_type='softplus', min_depth=1e-3,
              max_depth=10.0, n_attractors=[16, 8, 4, 1],
              attractor_type='inv'),
)
default_hooks = dict(
    checkpoint=dict(type='DepthCheckpointHook', interval=1,
                    save_best='abs_rel', rule='less'))
