# The seed script's schedule: AdamW lr 1e-4, weight decay 1e-4, StepLR every
# 15 epochs x0.1, gradient-norm clip 1.0, 50 epochs. Encoder lr = lr / 10
# (only when the encoder is trained: --train-encoder).
# fused=True: one AdamW kernel for all tensors (CPU and CUDA; -4 % of a
# trained-encoder vits step here, docs/benchmark.md).
optim_wrapper = dict(
    type='DepthOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4, fused=True),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    constructor='DepthOptimWrapperConstructor',
    paramwise_cfg=dict(encoder_lr_factor=10.0),
)
param_scheduler = [
    dict(type='StepLR', step_size=15, gamma=0.1, by_epoch=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# The seed validates only with --validate.
validate = False
