# ZoeDepth's NYU recipe: AdamW lr 1.61e-4, weight decay 0.01, one-cycle per
# parameter group (each group keeps its lr ratio: the encoder stays at
# lr / 10), 5 epochs, gradient-norm clip 0.1.
# fused=True: one AdamW kernel for all tensors (CPU and CUDA; -4 % of a
# trained-encoder vits step here, docs/benchmark.md).
optim_wrapper = dict(
    type='DepthOptimWrapper',
    optimizer=dict(type='AdamW', lr=1.61e-4, weight_decay=0.01, fused=True),
    clip_grad=dict(max_norm=0.1, norm_type=2),
    constructor='DepthOptimWrapperConstructor',
    paramwise_cfg=dict(encoder_lr_factor=10.0),
)
param_scheduler = [
    dict(
        type='GroupOneCycleLR',
        pct_start=0.7,
        div_factor=1.0,
        final_div_factor=1e4,
        anneal_strategy='cos',
        three_phase=False,
        by_epoch=True,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
validate = True
