# Procedural scenes with exact depth, written by
#   python tools/dataset_converters/make_synthetic.py --out data/synthetic \
#       --num 50
# in the DenseDepth NYU layout (data/synthetic/nyu/data/nyu2_{train,test}.csv:
# 8-bit train PNGs, 16-bit mm test PNGs), so a whole training run can be
# checked without downloads. Train frames have no NYU border to mask: the
# common pipelines.
_base_ = ['./common.py']
dataset_type = 'NYUCSVDataset'
data_root = 'data/synthetic/nyu'

train_dataloader = dict(
    num_workers=2,
    dataset=dict(type=dataset_type, data_root=data_root,
                 csv_file='data/nyu2_train.csv'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 csv_file='data/nyu2_test.csv'))
test_dataloader = val_dataloader
