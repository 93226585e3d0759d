# NYU Depth v2 from BTS / ZoeDepth Eigen split files ("rgb depth focal";
# 16-bit millimetre PNGs). data/nyu_eigen holds sync/ (train) and
# official_splits/test/ (test) as BTS lays them out, plus the split files.
dataset_type = 'NYUSplitDataset'
data_root = 'data/nyu_eigen'
crop_size = 392

train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='NYUBorderCrop', mode='mask'),
    dict(type='RandomRotate', max_degree=2.5, prob=0.5),
    dict(type='KeepAspectResize', min_size=crop_size),
    dict(type='DepthRandomCrop', crop_size=crop_size),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5, brightness_range=(0.75, 1.25)),
    dict(type='PackDepthInputs'),
]
test_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='NYUBorderCrop', mode='mask'),
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
        split_file='nyudepthv2_train_files_with_gt.txt',
        img_dir='sync',
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
        split_file='nyudepthv2_test_files_with_gt.txt',
        img_dir='official_splits/test',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric')
test_evaluator = val_evaluator
