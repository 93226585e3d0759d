# iBims-1 (100 test images). data/ibims holds the official releases:
# ibims1_core_mat/ (.mat, used here) or ibims1_core_raw/ (PNG; format='png').
# Validity = mask_invalid * mask_transp * (depth > 0); evaluation 0..10 m with
# NYU's Eigen window unscaled ('eigen_fixed') as ZoeDepth / Depth Anything
# report it (eval_crop=None for the iBims-1 protocol). The test set carries
# edges, planes and calibration for the boundary / planarity metrics.
dataset_type = 'IBimsDataset'
data_root = 'data/ibims'
crop_size = 392

train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
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
        data_root=data_root + '/ibims1_core_mat',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root + '/ibims1_core_mat',
        with_ibims_extras=True,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='DepthMetric')
test_evaluator = val_evaluator
