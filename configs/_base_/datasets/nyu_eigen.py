# NYU Depth v2 from BTS / ZoeDepth Eigen split files ("rgb depth focal";
# 16-bit millimetre PNGs). data/nyu_eigen holds sync/ (train) and
# official_splits/test/ (test) as BTS lays them out, plus the split files.
_base_ = ['./common.py']
dataset_type = 'NYUSplitDataset'
data_root = 'data/nyu_eigen'

# NYU's border masked out of the loss and the metric, as in nyu.py.
nyu_border = dict(type='NYUBorderCrop', mode='mask')
train_pipeline = [*_base_.train_pipeline[:2], nyu_border,
                  *_base_.train_pipeline[2:]]
test_pipeline = [*_base_.test_pipeline[:2], nyu_border,
                 *_base_.test_pipeline[2:]]

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 split_file='nyudepthv2_train_files_with_gt.txt',
                 img_dir='sync', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 split_file='nyudepthv2_test_files_with_gt.txt',
                 img_dir='official_splits/test', pipeline=test_pipeline))
test_dataloader = val_dataloader
