# Runtime defaults shared by every da2zoe config.
default_scope = 'da2zoe'

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # 'auto' is resolved by tools/train.py and tools/test.py: nccl when CUDA
    # is available, gloo on CPU-only machines.
    dist_cfg=dict(backend='auto'),
)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # checkpoint_latest.pth every epoch, checkpoint_epoch_N.pth (the newest
    # 3 kept: max_keep_ckpts), and checkpoint_best.pth by save_best (lowest
    # abs_rel of the validations; none without validation; the rule follows
    # the metric, e.g. save_best='d1' keeps the highest); atomic writes,
    # safe loading.
    checkpoint=dict(
        type='DepthCheckpointHook', interval=1, save_best='abs_rel'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Image | GT | prediction | error panels to TensorBoard.
    visualization=dict(type='DepthVisualizationHook', interval=500),
)
custom_hooks = [
    # Augmentations seeded per epoch: resuming reproduces the same batches.
    dict(type='EpochSeedHook'),
    # A non-finite loss skips the update; this logs the batch's files.
    dict(type='NonFiniteLossHook'),
    # Bad samples skipped by the datasets, counted per epoch.
    dict(type='SkippedSamplesHook'),
    # A decaying lr schedule that ends before training (a resumed run given
    # more epochs keeps its saved schedule) is said before training starts.
    dict(type='ScheduleSpanHook'),
]

vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]
visualizer = dict(
    type='DepthVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(by_epoch=True, window_size=10)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=42, deterministic=False)
