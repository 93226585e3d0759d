# NYU Depth v2, DenseDepth CSV release (nyu_data.zip unpacked in data/nyu:
# data/nyu2_train.csv, data/nyu2_test.csv and the folders they list).
# Train PNGs are 8-bit (v / 255 * 10 m), test PNGs 16-bit mm: decided per file.
dataset_type = 'NYUCSVDataset'
data_root = 'data/nyu'
crop_size = 392  # a multiple of 14 (the seed's 384 is not)

train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='NYUBorderCrop', mode='mask'),  # white border of train frames
    dict(type='RandomRotate', max_degree=2.5, prob=0.5),
    dict(type='KeepAspectResize', min_size=crop_size),
    dict(type='DepthRandomCrop', crop_size=crop_size),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5, brightness_range=(0.75, 1.25)),
    dict(type='PackDepthInputs'),
]
# Ground truth stays at 480x640 for the metric; only the input is resized.
test_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='NYUBorderCrop', mode='mask'),  # black border of test frames
    dict(type='KeepAspectResize', min_size=crop_size, resize_gt=False),
    dict(type='PackDepthInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        csv_file='data/nyu2_train.csv',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        csv_file='data/nyu2_test.csv',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric')
test_evaluator = val_evaluator
