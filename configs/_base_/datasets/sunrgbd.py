# SUN RGB-D from the seed's JSON lists
# (tools/dataset_converters/sunrgbd_json.py writes them from the official
# folder tree). Depth: 16-bit mm rotated left by 3 bits; evaluation 0..8 m
# with NYU's Eigen window unscaled ('eigen_fixed', as ZoeDepth evaluates this
# zero-shot set). The common pipelines.
_base_ = ['./common.py']
dataset_type = 'SUNRGBDDataset'
data_root = 'data/sunrgbd'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 json_file='sunrgbd_train.json', use_bfx_depth=False))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 json_file='sunrgbd_test.json'))
test_dataloader = val_dataloader
