# iBims-1 (100 test images). data/ibims holds the official releases:
# ibims1_core_mat/ (.mat, used here) or ibims1_core_raw/ (PNG; format='png').
# Validity = mask_invalid * mask_transp * (depth > 0); evaluation 0..10 m with
# NYU's Eigen window unscaled ('eigen_fixed') as ZoeDepth / Depth Anything
# report it (eval_crop=None for the iBims-1 protocol). The test set carries
# edges, planes and calibration for the boundary / planarity metrics.
_base_ = ['./common.py']
dataset_type = 'IBimsDataset'
data_root = 'data/ibims/ibims1_core_mat'

# The common training pipeline without its rotation.
train_pipeline = [
    t for t in _base_.train_pipeline if t['type'] != 'RandomRotate'
]
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root,
                 with_ibims_extras=True))
test_dataloader = val_dataloader
