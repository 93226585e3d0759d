# DA3Mono-Large (Depth Anything 3, monocular, RELATIVE depth: exp of the
# head's logit, up to an unknown scale per image) with its released weights
# and its own preprocessing (longest side 504, see _base_/models/da3.py):
#   python tools/infer.py configs/da3/da3mono-large.py \
#       hf://depth-anything/DA3MONO-LARGE photo.jpg
# It is a start for fine-tuning or for relative depth; for metres use
# da3metric-large.py (same network, canonical camera) or fine-tune one
# (da3metric-large_nyu.py, da3-encoder_zoedepth_nyu.py). tools/test.py
# scores it as a relative model: each prediction is first fitted to its
# ground truth by least squares (scale and shift in depth, on the scored
# pixels); those are relative-depth numbers, not metric ones.
_base_ = [
    '../_base_/models/da3.py', '../_base_/datasets/nyu.py',
    '../_base_/schedules/poly_warmup_20e.py', '../_base_/default_runtime.py'
]
model = dict(
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/DA3MONO-LARGE'))
test_pipeline = [
    _base_.da3_resize if t['type'] == 'KeepAspectResize' else t
    for t in _base_.test_pipeline
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric', align='least_squares')
test_evaluator = val_evaluator
