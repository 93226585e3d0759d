# Procedural scenes with exact depth, written by
#   python tools/dataset_converters/make_synthetic.py --out data/synthetic --num 50
# in the DenseDepth NYU layout (data/synthetic/nyu/data/nyu2_{train,test}.csv:
# 8-bit train PNGs, 16-bit mm test PNGs), so a whole training run can be
# checked without downloads. Train frames have no NYU border to mask.
dataset_type = 'NYUCSVDataset'
data_root = 'data/synthetic/nyu'
crop_size = 392

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
test_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KeepAspectResize', min_size=crop_size, resize_gt=False),
    dict(type='PackDepthInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
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
