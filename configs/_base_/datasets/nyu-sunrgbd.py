# NYU Depth v2 + SUN RGB-D in one run, the mix of the seed's README
# (--datasets nyu sunrgbd): each dataset keeps its own decoding rule and metric
# range in the loss mask; validation reports one row per dataset
# (`nyu/abs_rel`, `sunrgbd/abs_rel`, and their mean as `abs_rel`). Paths and
# lists as in nyu.py and sunrgbd.py; `ibims_train` is here for configs that
# add iBims-1 to the training mix.
_base_ = ['./common.py']

# NYU's border masked as in nyu.py (`train_pipeline` / `test_pipeline` are
# NYU's, as in nyu.py); the others take the common pipelines.
nyu_border = dict(type='NYUBorderCrop', mode='mask')
train_pipeline = [*_base_.train_pipeline[:2], nyu_border,
                  *_base_.train_pipeline[2:]]
test_pipeline = [*_base_.test_pipeline[:2], nyu_border,
                 *_base_.test_pipeline[2:]]

nyu_train = dict(type='NYUCSVDataset', data_root='data/nyu',
                 csv_file='data/nyu2_train.csv', pipeline=train_pipeline)
sunrgbd_train = dict(type='SUNRGBDDataset', data_root='data/sunrgbd',
                     json_file='sunrgbd_train.json', use_bfx_depth=False,
                     pipeline=_base_.train_pipeline)
ibims_train = dict(type='IBimsDataset', data_root='data/ibims/ibims1_core_mat',
                   pipeline=_base_.train_pipeline)
nyu_val = dict(type='NYUCSVDataset', data_root='data/nyu',
               csv_file='data/nyu2_test.csv', test_mode=True,
               pipeline=test_pipeline)
sunrgbd_val = dict(type='SUNRGBDDataset', data_root='data/sunrgbd',
                   json_file='sunrgbd_test.json', test_mode=True,
                   pipeline=_base_.test_pipeline)

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
