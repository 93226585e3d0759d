# Depth Anything V2 metric vits, outdoor: 80 m, trained on Virtual KITTI 2;
# its test set here is the KITTI Eigen split (KB crop, 1e-3..80 m, Garg).
# Predicts with depth_anything_v2_metric_vkitti_vits.pth as DA-V2's
# infer_image does (see _base_/models/da2-metric.py):
#   python tools/test.py configs/da2-metric_vits_vkitti.py \
#       depth_anything_v2_metric_vkitti_vits.pth
_base_ = [
    '_base_/models/da2-metric.py', '_base_/datasets/kitti.py',
    '_base_/schedules/poly_warmup_20e.py', '_base_/default_runtime.py'
]
test_pipeline = [
    t for t in _base_.test_pipeline if t['type'] != 'KeepAspectResize'
]
model = dict(
    # Or the official depth_anything_v2_metric_vkitti_vits.pth.
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/Depth-Anything-V2-Metric-Outdoor-Small-hf'),
    backbone=dict(arch='vits'),
    neck=dict(in_channels=384, features=64,
              out_channels=[48, 96, 192, 384],
              max_depth=80.0),
    head=dict(max_depth=80.0))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
