# Fine-tuning DA3Metric-Large's own network (encoder + DA3 DPT head) on NYU
# Depth v2, from the released weights, in its canonical camera: the labels
# are scaled by 300 / f (f = (fx + fy) / 2 of each sample on the input
# grid, NYU's calibration moved with every resize and crop), so the head
# keeps learning depth at focal 300 and predictions are multiplied back by
# f / 300. Loss: SILog. Inputs as DA3 sees them (longest side 504) and
# cropped to 378x504 (NYU frames are exactly that after the resize).
# Schedule: DA-V2's metric fine-tuning (AdamW, head 5e-5, encoder / 10,
# poly with warm-up, 20 epochs).
#   python tools/train.py configs/da3/da3metric-large_nyu.py \
#       --nyu-csv /data/nyu/data/nyu2_train.csv --nyu-root /data/nyu
_base_ = [
    '../_base_/models/da3.py', '../_base_/datasets/nyu.py',
    '../_base_/schedules/poly_warmup_20e.py', '../_base_/default_runtime.py'
]
model = dict(
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/DA3METRIC-LARGE'),
    camera=dict(canonical_focal=300.0, focal_rule='mean_fx_fy',
                default_hfov=63.0),
    losses=[dict(type='SILogLoss', loss_weight=1.0)])
train_crop = (378, 504)
train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='NYUBorderCrop', mode='mask'),
    dict(type='RandomRotate', max_degree=2.5, prob=0.5),
    dict(type='LongestSideResize', process_res=_base_.process_res),
    dict(type='DepthRandomCrop', crop_size=train_crop),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5, brightness_range=(0.75, 1.25)),
    dict(type='PackDepthInputs'),
]
test_pipeline = [
    _base_.da3_resize if t['type'] == 'KeepAspectResize' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
