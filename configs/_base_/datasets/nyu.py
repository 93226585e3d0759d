# NYU Depth v2, DenseDepth CSV release (nyu_data.zip unpacked in data/nyu:
# data/nyu2_train.csv, data/nyu2_test.csv and the folders they list).
# Train PNGs are 8-bit (v / 255 * 10 m), test PNGs 16-bit mm: decided per file.
_base_ = ['./common.py']
dataset_type = 'NYUCSVDataset'
data_root = 'data/nyu'

# The common pipelines plus NYU's border (white in train frames, black in
# test frames), masked out of the loss and the metric.
nyu_border = dict(type='NYUBorderCrop', mode='mask')
train_pipeline = [*_base_.train_pipeline[:2], nyu_border,
                  *_base_.train_pipeline[2:]]
test_pipeline = [*_base_.test_pipeline[:2], nyu_border,
                 *_base_.test_pipeline[2:]]

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 csv_file='data/nyu2_train.csv', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 csv_file='data/nyu2_test.csv', pipeline=test_pipeline))
test_dataloader = val_dataloader
