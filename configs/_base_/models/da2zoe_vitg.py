# da2zoe model with a DINOv2-vitg encoder: TokenAdapter + PyramidFusion neck
# (true strides 8/16/32, fused at 1/8) and a ZoeDepth metric-bins head.
# Defaults are the seed script's: 64 softplus bins, 1e-3..10 m, attractors
# [16, 8, 4, 1] of type inv, kind sum, alpha 300, gamma 2, min_temp 5.
model = dict(
    type='MetricDepther',
    data_preprocessor=dict(type='DepthDataPreprocessor', size_divisor=14),
    backbone=dict(
        type='DINOv2',
        arch='vitg',
        # The seed trains the encoder only with --train-encoder.
        frozen=True,
        # Activation checkpointing of the ViT blocks (only active in training
        # with a trainable encoder): less memory for some extra compute.
        with_cp=False,
    ),
    neck=[
        dict(type='TokenAdapter', in_channels=1536, out_channels=256,
             strides=(8, 16, 32)),
        dict(type='PyramidFusion', in_channels=256, channels=256,
             final_channels=32, strides=(8, 16, 32), refine_blocks=1),
    ],
    head=dict(
        type='ZoeDepthHead',
        bottleneck_channels=256,
        level_channels=256,
        final_channels=32,
        n_bins=64,
        bin_centers_type='softplus',
        bin_embedding_dim=128,
        min_depth=1e-3,
        max_depth=10.0,
        n_attractors=[16, 8, 4, 1],
        attractor_type='inv',
        attractor_kind='sum',
        attractor_alpha=300.0,
        attractor_gamma=2.0,
        min_temp=5.0,
        max_temp=50.0),
    losses=[
        dict(type='SILogLoss', loss_weight=1.0),
        dict(type='GradL1Loss', loss_weight=0.5),
        dict(type='MetricSILogLoss', loss_weight=0.5),
    ],
    test_cfg=dict(flip=False),
)
