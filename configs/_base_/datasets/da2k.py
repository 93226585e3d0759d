# DA-2K relative-depth pairs (data/da2k: images/<scene>/..., annotations.json).
# No metric depth: samples carry pairs (point1 closer) and an all-False
# gt_mask, so in training only a pair-ranking loss sees them, and evaluation
# is pair accuracy on the prediction at the original image size. The common
# pipelines (DepthRandomCrop drops the pairs it cuts off).
_base_ = ['./common.py']
dataset_type = 'DA2KDataset'
data_root = 'data/da2k'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations.json'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 ann_file='annotations.json'))
test_dataloader = val_dataloader
val_evaluator = dict(type='DA2KMetric')
test_evaluator = val_evaluator
