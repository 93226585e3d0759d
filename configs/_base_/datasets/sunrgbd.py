# SUN RGB-D from the seed's JSON lists (tools/dataset_converters/sunrgbd_json.py
# writes them from the official folder tree). Depth: 16-bit mm rotated left
# by 3 bits; evaluation 0..8 m with NYU's Eigen window unscaled ('eigen_fixed',
# as ZoeDepth evaluates this zero-shot set).
dataset_type = 'SUNRGBDDataset'
data_root = 'data/sunrgbd'
crop_size = 392

train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='RandomRotate', max_degree=2.5, prob=0.5),
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
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        json_file='sunrgbd_train.json',
        use_bfx_depth=False,
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
        json_file='sunrgbd_test.json',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric')
test_evaluator = val_evaluator
