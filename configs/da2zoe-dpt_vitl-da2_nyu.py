# DPT geometry with a DINOv2-vitl encoder read at DA-V2's feature blocks
# (4, 11, 17, 23), not V1's last four (configs/da2zoe-dpt_vitl_nyu.py): the
# config for Depth Anything V2's relative checkpoint
# (depth_anything_v2_vitl.pth), whose DPT decoder was trained on those
# blocks (`pretrained.` -> backbone, `depth_head.` -> neck; the ZoeDepth
# head starts fresh):
#   python tools/train.py configs/da2zoe-dpt_vitl-da2_nyu.py \
#       --pretrained-checkpoint depth_anything_v2_vitl.pth
# Head and schedule as configs/da2zoe-dpt_vitl_nyu.py.
_base_ = [
    '_base_/models/da2zoe-dpt.py', '_base_/datasets/nyu.py',
    '_base_/schedules/zoedepth_onecycle_5e.py', '_base_/default_runtime.py'
]
model = dict(
    # DA-V2 Large relative: encoder + DPT (or depth_anything_v2_vitl.pth).
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/Depth-Anything-V2-Large-hf'),
    backbone=dict(out_indices=None))  # None: the arch's blocks
optim_wrapper = dict(
    paramwise_cfg=dict(
        encoder_lr_factor=50.0, custom_keys={'neck.': dict(lr_mult=0.02)}))
