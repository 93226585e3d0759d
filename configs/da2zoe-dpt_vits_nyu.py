# DPT geometry with a DINOv2-vits encoder read at DA-V2's feature blocks
# (2, 5, 8, 11), so a Depth Anything V2 relative checkpoint
# (depth_anything_v2_vits.pth) initialises encoder AND decoder (`pretrained.`
# -> backbone, `depth_head.` -> neck, detected from the keys):
#   python tools/train.py configs/da2zoe-dpt_vits_nyu.py \
#       --pretrained-checkpoint CHECKPOINT
# Head and schedule as configs/da2zoe-dpt_vitl_nyu.py (DA-V1's metric values,
# encoder and decoder at lr / 50).
_base_ = [
    '_base_/models/da2zoe-dpt.py', '_base_/datasets/nyu.py',
    '_base_/schedules/zoedepth_onecycle_5e.py', '_base_/default_runtime.py'
]
model = dict(
    # DA-V2 Small relative: encoder + DPT (or depth_anything_v2_vits.pth).
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/Depth-Anything-V2-Small-hf'),
    backbone=dict(arch='vits', out_indices=None),  # None: the arch's blocks
    neck=dict(in_channels=384, features=64, out_channels=[48, 96, 192, 384]),
    head=dict(bottleneck_channels=64, level_channels=64))
optim_wrapper = dict(
    paramwise_cfg=dict(
        encoder_lr_factor=50.0, custom_keys={'neck.': dict(lr_mult=0.02)}))
