# Your own RGB-D data: data/folder/{train,val}/rgb/<name>.<jpg|png> paired by
# stem with data/folder/{train,val}/depth/<name>.<png|npy|tiff>. There is no
# default scale: metres = stored value * depth_scale (1e-3 for 16-bit mm PNGs,
# 1.0 for float metres). Check with tools/misc/browse_dataset.py first.
_base_ = ['./common.py']
dataset_type = 'DepthFolderDataset'
data_root = 'data/folder'
depth_scale = 1e-3

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, img_dir='train/rgb',
                 depth_dir='train/depth', depth_scale=depth_scale,
                 max_depth=10.0))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, img_dir='val/rgb',
                 depth_dir='val/depth', depth_scale=depth_scale,
                 max_depth=10.0, eval_max_depth=10.0, eval_crop=None))
test_dataloader = val_dataloader
