# The DPT geometry with a DINOv2-vits encoder read at DA-V2's feature blocks
# (2, 5, 8, 11), so a Depth Anything V2 relative checkpoint
# (depth_anything_v2_vits.pth) initialises encoder AND decoder
# (`pretrained.` -> backbone, `depth_head.` -> neck, detected from the keys).
# Head: ZoeDepth on the DPT's 32-channel features + its relative depth, with
# Depth Anything V1's metric values (see da2zoe-dpt_vitl.py).
model = dict(
    type='MetricDepther',
    data_preprocessor=dict(type='DepthDataPreprocessor', size_divisor=14),
    backbone=dict(type='DINOv2', arch='vits', frozen=False),
    neck=dict(
        type='DPTNeck',
        in_channels=384,
        features=64,
        out_channels=[48, 96, 192, 384],
        head_activation='relu'),
    head=dict(
        type='ZoeDepthHead',
        bottleneck_channels=64,
        level_channels=64,
        final_channels=32,
        condition_on_rel_depth=True,
        n_bins=64,
        bin_centers_type='softplus',
        bin_embedding_dim=128,
        min_depth=1e-3,
        max_depth=10.0,
        n_attractors=[16, 8, 4, 1],
        attractor_type='inv',
        attractor_kind='mean',
        attractor_alpha=1000.0,
        attractor_gamma=2.0,
        attractor_strength_quirk=True,
        min_temp=0.0212,
        max_temp=50.0),
    losses=[
        dict(type='SILogLoss', loss_weight=1.0),
        dict(type='GradL1Loss', loss_weight=0.5),
        dict(type='MetricSILogLoss', loss_weight=0.5),
    ],
    test_cfg=dict(flip=False),
)
