# What every dataset base in this folder shares (each inherits this file):
# the pipelines of frames without a border to mask, at 392-pixel crops, and
# the dataloaders' settings. A dataset base fills in `dataset=dict(type=...,
# data_root=..., <its list file>)` and keeps or replaces the pipelines.
crop_size = 392  # a multiple of 14 (the seed's 384 is not)

train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='RandomRotate', max_degree=2.5, prob=0.5),
    dict(type='KeepAspectResize', min_size=crop_size),
    dict(type='DepthRandomCrop', crop_size=crop_size),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5, brightness_range=(0.75, 1.25)),
    dict(type='PackDepthInputs'),
]
# Ground truth stays at its own resolution for the metric; only the input is
# resized.
test_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KeepAspectResize', min_size=crop_size, resize_gt=False),
    dict(type='PackDepthInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    # Workers that outlive an epoch keep their RNG state: with True, a
    # resumed run no longer reproduces the batches bit for bit.
    persistent_workers=False,
    # numpy / random in each worker seeded from torch's per-epoch worker
    # seed: MMEngine's default seeds every epoch's workers alike, so each
    # epoch would repeat the last one's crops, flips and jitter.
    worker_init_fn=dict(type='da2zoe.seed_worker_from_torch'),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric')
test_evaluator = val_evaluator
