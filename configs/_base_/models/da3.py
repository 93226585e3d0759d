# Depth Anything 3's monocular network (DA3Mono-Large, DA3Metric-Large):
# DINOv2 ViT-L as DA3 builds it (arch 'da3-vitl': final LayerNorm eps 1e-5,
# no mask token) read at blocks 4, 11, 17, 23 (patch tokens only), and NO
# neck: DA3DPTHead is the whole DPT (reassembly, fusion without refinenet4's
# first unit, exp depth and a relu sky branch; sky pixels get the 0.99
# quantile of the other depths at test time). The released
# `model.safetensors` (`model.backbone.pretrained.*`, `model.head.*`) loads
# with nothing missing. Inputs come from the test pipeline's
# LongestSideResize (DA3's API: longest side 504, sides to the nearest
# multiple of 14, OpenCV cubic up / area down) and the preprocessor's
# ImageNet normalisation, bit for bit the reference's network input.
model = dict(
    type='MetricDepther',
    data_preprocessor=dict(type='DepthDataPreprocessor', size_divisor=14),
    backbone=dict(type='DINOv2', arch='da3-vitl', out_indices=None,
                  frozen=False),
    neck=None,
    head=dict(
        type='DA3DPTHead',
        in_channels=1024,
        features=256,
        out_channels=[256, 512, 1024, 1024],
        sky_head=True,
        fill_sky=True),
    losses=[dict(type='SILogLoss', loss_weight=1.0)],
    # sky=True also stores the sky score (pred_sky) with each prediction.
    test_cfg=dict(flip=False, sky=False),
    # camera=dict(canonical_focal=300, ...): DA3Metric (da3metric-large.py).
    # No camera: DA3Mono (relative depth).
)
process_res = 504  # DA3's default; tools/infer.py / test.py --process-res

# DA3's own resize in place of the dataset base's KeepAspectResize; ground
# truth keeps its resolution for the metric.
da3_resize = dict(type='LongestSideResize', process_res=process_res,
                  resize_gt=False)
