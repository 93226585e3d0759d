# The demo: a tiny da2zoe (6-block, 128-wide ViT trained from scratch, same
# neck and head as the full models) on procedural synthetic rooms written by
#   python tools/dataset_converters/make_synthetic.py --out data/demo \
#       --num 240 --size 168 224 --formats nyu_csv
# It learns metric depth in a few minutes on 2 CPU cores (tools/demo.py).
_base_ = [
    '_base_/models/da2zoe.py',
    '_base_/datasets/synthetic.py',
    '_base_/default_runtime.py',
]
crop_size = 168
data_root = 'data/demo/nyu'

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=128, num_layers=6, num_heads=4),
        out_indices=(1, 3, 4, 5),
        init_cfg=None,  # no pretrained weights offline: train everything
        frozen=False),
    neck=dict(in_channels=128, channels=64),
    head=dict(bottleneck_channels=64, level_channels=64, n_bins=64,
              bin_embedding_dim=64, min_depth=1e-3, max_depth=10.0),
)

train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KeepAspectResize', min_size=crop_size),
    dict(type='DepthRandomCrop', crop_size=crop_size),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5),
    dict(type='PackDepthInputs'),
]
test_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KeepAspectResize', min_size=crop_size, resize_gt=False),
    dict(type='PackDepthInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,  # the demo: faster epochs, resume not bit-exact
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    type='DepthOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=5.0, norm_type=2),
    constructor='DepthOptimWrapperConstructor',
    paramwise_cfg=dict(encoder_lr_factor=1.0),
)
max_epochs = 30
param_scheduler = [
    dict(type='LinearLR', start_factor=0.05, by_epoch=False, begin=0,
         end=40),
    # No end / T_max: the decay spans train_cfg.max_epochs, whatever it is.
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
validate = False
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='DepthCheckpointHook', interval=max_epochs,
                    save_best=None))
randomness = dict(seed=0)
