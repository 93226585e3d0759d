# Depth Anything V1 metric topology, written for vitl: DINOv2-vitl read at its
# LAST 4 blocks (20..23, as V1 did), DA-V2/V1's DPT decoder (DPTNeck, parameter
# names of a checkpoint's `depth_head.`), and a ZoeDepth head that concatenates
# the DPT's relative depth to its 32-channel features (condition_on_rel_depth)
# with V1's released values: 64 softplus bins, attractors [16, 8, 4, 1]
# inv/mean, min_temp 0.0212, max_temp 50. V1's config says alpha 1000, but the
# reference layers always pull with alpha 300 / gamma 2:
# attractor_strength_quirk=True reproduces what the released weights were
# trained with. A top-level config for another arch overrides the encoder's
# blocks and the DPT widths.
model = dict(
    type='MetricDepther',
    # Channels-last from the patch embedding to the head: the DPT's and the
    # head's convolutions at the input resolution are much faster in NHWC
    # (bf16 1x1 convolution 25x, fp32 inference -10 %; docs/benchmark.md).
    data_preprocessor=dict(
        type='DepthDataPreprocessor', size_divisor=14, channels_last=True),
    backbone=dict(type='DINOv2', arch='vitl', out_indices=4, frozen=False),
    neck=dict(
        type='DPTNeck',
        in_channels=1024,
        features=256,
        out_channels=[256, 512, 1024, 1024],
        head_activation='relu'),
    head=dict(
        type='ZoeDepthHead',
        bottleneck_channels=256,
        level_channels=256,
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
