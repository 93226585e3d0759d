# DA-V2 metric fine-tuning style: AdamW, decoder lr 5e-5 and encoder lr 5e-6
# (factor 10), weight decay 0.01, linear warm-up then poly 0.9 decay.
# Both schedulers scale every group, so the encoder/decoder ratio holds.
# fused=True: one AdamW kernel for all tensors (CPU and CUDA; -4 % of a
# trained-encoder vits step here, docs/benchmark.md).
optim_wrapper = dict(
    type='DepthOptimWrapper',
    optimizer=dict(type='AdamW', lr=5e-5, weight_decay=0.01, fused=True),
    clip_grad=dict(max_norm=1.0, norm_type=2),
    constructor='DepthOptimWrapperConstructor',
    paramwise_cfg=dict(encoder_lr_factor=10.0),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=500),
    # No ``end``: MMEngine ends the decay at train_cfg.max_epochs, so a longer
    # run (--num-epochs 40, --cfg-options train_cfg.max_epochs=40) decays
    # over all its epochs instead of sitting at lr 0 after epoch 20.
    dict(type='PolyLR', power=0.9, eta_min=0.0, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=20, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
validate = True
