# DPT geometry on NYU: vitl encoder -> DPTNeck -> ZoeDepth head conditioned on
# the DPT's relative depth (Depth Anything V1's metric model). Start from
# depth_anything_metric_depth_indoor.pt (Depth Anything V1 metric, NYU):
#   python tools/train.py configs/da2zoe-dpt_vitl_nyu.py \
#       --pretrained-checkpoint CHECKPOINT
# Schedule: ZoeDepth's one-cycle (AdamW 1.61e-4, wd 0.01, 5 epochs, clip 0.1)
# with encoder AND decoder at lr / 50 as Depth Anything V1 trained; only the
# head runs at the full lr.
_base_ = [
    '_base_/models/da2zoe-dpt.py', '_base_/datasets/nyu.py',
    '_base_/schedules/zoedepth_onecycle_5e.py', '_base_/default_runtime.py'
]
optim_wrapper = dict(
    paramwise_cfg=dict(
        encoder_lr_factor=50.0, custom_keys={'neck.': dict(lr_mult=0.02)}))
