# da2zoe, DINOv2-vitl, trained on a mix like the seed's README shows
# (--datasets nyu sunrgbd). Each dataset keeps its own decoding rule and metric
# range in the loss mask; validation reports one row per dataset. Model,
# schedule and losses as configs/da2zoe_vitl_nyu.py.
_base_ = [
    '_base_/models/da2zoe_vitl.py',
    '_base_/datasets/nyu.py',
    '_base_/schedules/seed_step_50e.py',
    '_base_/default_runtime.py',
]
crop_size = 392
# Frames without NYU's white border: no border mask.
plain_train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='RandomRotate', max_degree=2.5, prob=0.5),
    dict(type='KeepAspectResize', min_size=crop_size),
    dict(type='DepthRandomCrop', crop_size=crop_size),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5),
    dict(type='PackDepthInputs'),
]
plain_test_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KeepAspectResize', min_size=crop_size, resize_gt=False),
    dict(type='PackDepthInputs'),
]
nyu_train = dict(type='NYUCSVDataset', data_root='data/nyu',
                 csv_file='data/nyu2_train.csv',
                 pipeline={{_base_.train_pipeline}})
sunrgbd_train = dict(type='SUNRGBDDataset', data_root='data/sunrgbd',
                     json_file='sunrgbd_train.json', use_bfx_depth=False,
                     pipeline=plain_train_pipeline)
ibims_train = dict(type='IBimsDataset', data_root='data/ibims',
                   pipeline=plain_train_pipeline)
nyu_val = dict(type='NYUCSVDataset', data_root='data/nyu',
               csv_file='data/nyu2_test.csv', test_mode=True,
               pipeline={{_base_.test_pipeline}})
sunrgbd_val = dict(type='SUNRGBDDataset', data_root='data/sunrgbd',
                   json_file='sunrgbd_test.json', test_mode=True,
                   pipeline=plain_test_pipeline)

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='DepthConcatDataset',
        datasets=[nyu_train, sunrgbd_train]))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='DepthConcatDataset',
        datasets=[nyu_val, sunrgbd_val]))
test_dataloader = val_dataloader
default_hooks = dict(
    checkpoint=dict(type='DepthCheckpointHook', interval=1,
                    save_best='nyu/abs_rel', rule='less'))
