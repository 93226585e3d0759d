# The da2zoe model (the seed script's): a DINOv2 encoder, the AdapterFusionNeck
# (TokenAdapter to true strides 8/16/32, then PyramidFusion to one 1/8 map) and
# a ZoeDepth metric-bins head: 64 softplus bins over 1e-3..10 m, attractors
# [16, 8, 4, 1] of type inv, kind sum, alpha 300, gamma 2, min_temp 5.
# Written for vitl; a top-level config names its arch and the widths that go
# with it (neck in_channels = the encoder's width; neck channels = the head's
# bottleneck / level channels).
model = dict(
    type='MetricDepther',
    data_preprocessor=dict(type='DepthDataPreprocessor', size_divisor=14),
    backbone=dict(
        type='DINOv2',
        arch='vitl',
        # The seed trains the encoder only with --train-encoder.
        frozen=True,
        # Activation checkpointing of the ViT blocks (only active in training
        # with a trainable encoder): less memory for some extra compute.
        with_cp=False,
        # Depth Anything V2 Large's encoder (official file
        # depth_anything_v2_vitl.pth works too: --pretrained-checkpoint
        # FILE); the other archs' configs name their own.
        init_cfg=dict(
            type='Pretrained', prefix='backbone.',
            checkpoint='hf://depth-anything/Depth-Anything-V2-Large-hf'),
    ),
    neck=dict(type='AdapterFusionNeck', in_channels=1024, channels=256,
              final_channels=32, strides=(8, 16, 32), refine_blocks=1),
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
    # Canonical camera (off: published configs predict metric depth
    # directly). camera=dict(canonical_focal=F) makes the head learn depth
    # seen through a camera of focal F input pixels (labels x F / f) and
    # rescales predictions by f / F with each sample's own focal f;
    # default_focal=... is used (and logged) for samples without a camera.
    camera=None,
)
