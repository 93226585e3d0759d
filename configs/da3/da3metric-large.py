# DA3Metric-Large (Depth Anything 3, metric) with its released weights and
# its own preprocessing (longest side 504, see _base_/models/da3.py). The
# network predicts depth seen by a camera of focal 300 px; metres = depth x
# (fx + fy) / 2 / 300 with the intrinsics on the network's input grid: the
# canonical camera (model.camera), fed by each sample's own intrinsics
# (NYU's calibration in tools/test.py, --intrinsics / --hfov in
# tools/infer.py, intrinsics= in the API). Without intrinsics the focal of
# a 63-degree horizontal field of view (NYU's Kinect) is used and logged.
#   python tools/test.py configs/da3/da3metric-large.py \
#       hf://depth-anything/DA3METRIC-LARGE --datasets nyu \
#       --nyu-csv /data/nyu/data/nyu2_test.csv --nyu-root /data/nyu
_base_ = [
    '../_base_/models/da3.py', '../_base_/datasets/nyu.py',
    '../_base_/schedules/poly_warmup_20e.py', '../_base_/default_runtime.py'
]
model = dict(
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/DA3METRIC-LARGE'),
    camera=dict(canonical_focal=300.0, focal_rule='mean_fx_fy',
                default_hfov=63.0))
test_pipeline = [
    _base_.da3_resize if t['type'] == 'KeepAspectResize' else t
    for t in _base_.test_pipeline
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
