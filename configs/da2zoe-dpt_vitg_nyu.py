# DPT geometry with a DINOv2-vitg encoder (SwiGLU) read at DA-V2's feature
# blocks (9, 19, 29, 39), so Depth Anything V2's relative vitg checkpoint
# initialises encoder and decoder (`pretrained.` -> backbone, `depth_head.`
# -> neck; the ZoeDepth head starts fresh):
#   python tools/train.py configs/da2zoe-dpt_vitg_nyu.py \
#       --pretrained-checkpoint depth_anything_v2_vitg.pth
# Head and schedule as configs/da2zoe-dpt_vitl_nyu.py.
_base_ = [
    '_base_/models/da2zoe-dpt.py', '_base_/datasets/nyu.py',
    '_base_/schedules/zoedepth_onecycle_5e.py', '_base_/default_runtime.py'
]
model = dict(
    # DINOv2 giant (DA-V2 giant is not released; the DPT starts random).
    backbone=dict(
        arch='vitg', out_indices=None,  # None: the arch's blocks
        init_cfg=dict(type='Pretrained', prefix='backbone.',
                      checkpoint='hf://facebook/dinov2-giant')),
    neck=dict(in_channels=1536, features=384, out_channels=[1536] * 4),
    head=dict(bottleneck_channels=384, level_channels=384))
optim_wrapper = dict(
    paramwise_cfg=dict(
        encoder_lr_factor=50.0, custom_keys={'neck.': dict(lr_mult=0.02)}))
