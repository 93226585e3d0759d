# The DA3 encoder with our metric head: DINOv2 ViT-L as Depth Anything 3
# trained it (arch 'da3-vitl', blocks 4, 11, 17, 23) initialised from
# DA3Metric-Large's released encoder, the adapter + fusion neck and the
# ZoeDepth metric-bins head (configs/_base_/models/da2zoe.py), trained with
# the seed's recipe on NYU Depth v2: encoder frozen unless --train-encoder,
# encoder lr = lr / 10 as for DINOv2, AdamW 1e-4, StepLR, SILog + gradient
# + metric SILog. Our pipelines (392 crops, keep-aspect test resize).
#   python tools/train.py configs/da3/da3-encoder_zoedepth_nyu.py \
#       --nyu-csv /data/nyu/data/nyu2_train.csv --nyu-root /data/nyu \
#       --train-encoder
_base_ = [
    '../_base_/models/da2zoe.py', '../_base_/datasets/nyu.py',
    '../_base_/schedules/seed_step_50e.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(
        arch='da3-vitl',
        init_cfg=dict(type='Pretrained',
                      checkpoint='hf://depth-anything/DA3METRIC-LARGE',
                      prefix='backbone.')))
