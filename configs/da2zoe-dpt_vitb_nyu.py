# DPT geometry with a DINOv2-vitb encoder read at DA-V2's feature blocks
# (2, 5, 8, 11), so Depth Anything V2's relative checkpoint
# (depth_anything_v2_vitb.pth) initialises encoder AND decoder with the
# meaning they were trained with (`pretrained.` -> backbone, `depth_head.`
# -> neck; the ZoeDepth head starts fresh):
#   python tools/train.py configs/da2zoe-dpt_vitb_nyu.py \
#       --pretrained-checkpoint depth_anything_v2_vitb.pth
# Head and schedule as configs/da2zoe-dpt_vitl_nyu.py (DA-V1's metric values,
# encoder and decoder at lr / 50).
_base_ = [
    '_base_/models/da2zoe-dpt.py', '_base_/datasets/nyu.py',
    '_base_/schedules/zoedepth_onecycle_5e.py', '_base_/default_runtime.py'
]
model = dict(
    # DA-V2 Base relative: encoder + DPT (or depth_anything_v2_vitb.pth).
    init_cfg=dict(type='Pretrained',
                  checkpoint='hf://depth-anything/Depth-Anything-V2-Base-hf'),
    backbone=dict(arch='vitb', out_indices=None),  # None: the arch's blocks
    neck=dict(in_channels=768, features=128, out_channels=[96, 192, 384, 768]),
    head=dict(bottleneck_channels=128, level_channels=128))
optim_wrapper = dict(
    paramwise_cfg=dict(
        encoder_lr_factor=50.0, custom_keys={'neck.': dict(lr_mult=0.02)}))
