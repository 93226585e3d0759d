# Your own RGB-D data: data/folder/{train,val}/rgb/<name>.<jpg|png> paired by
# stem with data/folder/{train,val}/depth/<name>.<png|npy|tiff>. There is no
# default scale: metres = stored value * depth_scale (1e-3 for 16-bit mm PNGs,
# 1.0 for float metres). Check with tools/misc/browse_dataset.py first.
dataset_type = 'DepthFolderDataset'
data_root = 'data/folder'
depth_scale = 1e-3
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
        img_dir='train/rgb',
        depth_dir='train/depth',
        depth_scale=depth_scale,
        max_depth=10.0,
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
        img_dir='val/rgb',
        depth_dir='val/depth',
        depth_scale=depth_scale,
        max_depth=10.0,
        eval_max_depth=10.0,
        eval_crop=None,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric')
test_evaluator = val_evaluator
