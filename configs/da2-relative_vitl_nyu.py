# Depth Anything V2 relative vitl (depth_anything_v2_vitl.pth, or the
# transformers Depth-Anything-V2-Large-hf): DA-V2's DPT decoder ending in a
# ReLU (DPTNeck head_activation='relu'), whose output is an affine-invariant
# DISPARITY (larger = nearer), not metres; DPTRelativeHead (no parameters)
# returns it. Same network input as the metric models (518 lower bound,
# cubic, resized in the model: see _base_/models/da2-metric.py).
# Scored on NYU Depth v2 (1e-3..10 m, Eigen crop) as a relative model:
# each prediction is fitted to its ground truth per image by least squares,
# scale and shift in disparity (s * disp + t ~ 1 / gt, on the scored pixels;
# depth = 1 / (s * disp + t)), the usual protocol of MiDaS / DA-V2 relative:
#   python tools/test.py configs/da2-relative_vitl_nyu.py \
#       depth_anything_v2_vitl.pth
# (`--align least_squares` fits in depth instead.) Relative numbers: they
# compare only with other aligned numbers, never with a metric model's.
# No training loss: fine-tuning a relative disparity needs an
# affine-invariant loss this toolbox does not have (tools/train.py refuses
# the config at start: no losses); for metres use
# da2-metric_vitl_hypersim.py or da2zoe-dpt_vitl-da2_nyu.py.
_base_ = [
    '_base_/models/da2-metric.py', '_base_/datasets/nyu.py',
    '_base_/schedules/poly_warmup_20e.py', '_base_/default_runtime.py'
]
test_pipeline = [
    t for t in _base_.test_pipeline if t['type'] != 'KeepAspectResize'
]
model = dict(
    # Or the official depth_anything_v2_vitl.pth.
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/Depth-Anything-V2-Large-hf'),
    neck=dict(head_activation='relu'),
    head=dict(_delete_=True, type='DPTRelativeHead'),
    losses=[])
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric', align='least_squares_disparity',
                     pred_space='disparity')
test_evaluator = val_evaluator
