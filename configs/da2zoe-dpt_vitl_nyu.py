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

# Depth Anything V1's own evaluation (its `evaluate.py`): the image reaches
# the model as stored (480x640 for NYU), the model scales it to [0, 1] and
# resizes that float image to V1's img_size [392, 518] by the MiDaS rule
# ("minimal", keep aspect, multiples of 14: 392x518 for NYU) bilinearly with
# align_corners=True, then normalises; the prediction is the mean with the
# flipped prediction of the flipped image. Training keeps the common crops.
test_pipeline = [
    t for t in _base_.test_pipeline if t['type'] != 'KeepAspectResize'
]
model = dict(
    # The DA-V1 metric indoor file (its folder: --cfg-options).
    init_cfg=dict(type='Pretrained',
                  checkpoint='depth_anything_metric_depth_indoor.pt'),
    data_preprocessor=dict(input_resize=dict(size=(392, 518))),
    test_cfg=dict(flip=True))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
