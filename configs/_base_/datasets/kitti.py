# KITTI Eigen split (BTS / ZoeDepth files). data/kitti holds raw/ (the raw
# drives) and gt/ (the annotated depth) that the split's two columns start
# from. Depth: 16-bit, v / 256 m; lines with gt None are left out. KB crop
# (bottom-centre 352x1216) on image and depth; evaluation 1e-3..80 m with the
# Garg crop on the KB-cropped ground truth.
_base_ = ['./common.py']
dataset_type = 'KITTIDataset'
data_root = 'data/kitti'
crop_size = (392, 784)

# Outdoor frames: the KB crop first, gentler rotation and brightness, and
# wide crops of the 392-high resized frame.
train_pipeline = [
    dict(type='LoadRGB'),
    dict(type='LoadDepth'),
    dict(type='KBCrop'),
    dict(type='RandomRotate', max_degree=1.0, prob=0.5),
    dict(type='KeepAspectResize', min_size=392),
    dict(type='DepthRandomCrop', crop_size=crop_size),
    dict(type='DepthRandomFlip', prob=0.5),
    dict(type='PhotoMetricAug', prob=0.5, brightness_range=(0.9, 1.1)),
    dict(type='PackDepthInputs'),
]
test_pipeline = [*_base_.test_pipeline[:2], dict(type='KBCrop'),
                 *_base_.test_pipeline[2:]]

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 split_file='kitti_eigen_train_files_with_gt.txt',
                 img_dir='raw', depth_dir='gt', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 split_file='kitti_eigen_test_files_with_gt.txt',
                 img_dir='raw', depth_dir='gt', pipeline=test_pipeline))
test_dataloader = val_dataloader
