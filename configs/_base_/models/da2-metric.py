# Depth Anything V2's metric model (depth_anything_v2_metric_{hypersim,
# vkitti}_vit{s,b,l}.pth), written for vitl: DINOv2 read at DA-V2's feature
# blocks, DA-V2's DPT decoder ending in Sigmoid x max_depth (DPTNeck
# head_activation='sigmoid'), and DPTMetricHead, which has no parameters and
# returns that depth. So a checkpoint loads with nothing missing. DA-V2's
# own prediction path (`infer_image`): the [0, 1] image resized so its
# shorter side is >= 518 (MiDaS "lower_bound", multiples of 14) with
# OpenCV's INTER_CUBIC on the float image, ImageNet normalisation, no flip;
# the depth resized bilinearly (align_corners=True) to the ground truth.
# Trained with DA-V2's SiLog (MetricSILogLoss, lambda 0.5).
max_depth = 20.0  # 20 m indoor (Hypersim), 80 m outdoor (VKITTI)
model = dict(
    type='MetricDepther',
    data_preprocessor=dict(
        type='DepthDataPreprocessor',
        size_divisor=14,
        channels_last=True,  # NHWC DPT convolutions (see da2zoe-dpt.py)
        input_resize=dict(size=(518, 518), resize_method='lower_bound',
                          interpolation='cv2_bicubic')),
    backbone=dict(type='DINOv2', arch='vitl', out_indices=None, frozen=False),
    neck=dict(
        type='DPTNeck',
        in_channels=1024,
        features=256,
        out_channels=[256, 512, 1024, 1024],
        head_activation='sigmoid',
        max_depth=max_depth),
    head=dict(type='DPTMetricHead', max_depth=max_depth, min_depth=1e-3),
    losses=[dict(type='MetricSILogLoss', loss_weight=1.0)],
    test_cfg=dict(flip=False),
)
