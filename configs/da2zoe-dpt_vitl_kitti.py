# Depth Anything V1 OUTDOOR metric model (depth_anything_metric_depth_
# outdoor.pt, KITTI): the V1 topology of configs/da2zoe-dpt_vitl_nyu.py with
# the head of V1's KITTI config: NORMED bins (seed widths + normed
# attractors, whose last convs have 2 x n_attractors channels: (32, 128, 1,
# 1) ... (2,)), depth 1e-3..80 m. V1's evaluation protocol: KB crop
# (352x1216) in the pipeline, the [0, 1] image resized IN the model to
# V1's img_size [392, 518] by the MiDaS "minimal" rule (352x1216 ->
# 392x1358) bilinearly with align_corners=True, flip averaging, prediction
# resized to the GT, 1e-3 < gt < 80 with the Garg crop (the KITTI dataset's
# evaluation spec).
#   python tools/test.py configs/da2zoe-dpt_vitl_kitti.py \
#       depth_anything_metric_depth_outdoor.pt
_base_ = [
    '_base_/models/da2zoe-dpt.py', '_base_/datasets/kitti.py',
    '_base_/schedules/zoedepth_onecycle_5e.py', '_base_/default_runtime.py'
]
test_pipeline = [
    t for t in _base_.test_pipeline if t['type'] != 'KeepAspectResize'
]
model = dict(
    # The DA-V1 metric outdoor file (its folder: --cfg-options).
    init_cfg=dict(type='Pretrained',
                  checkpoint='depth_anything_metric_depth_outdoor.pt'),
    data_preprocessor=dict(input_resize=dict(size=(392, 518))),
    head=dict(bin_centers_type='normed', max_depth=80.0),
    test_cfg=dict(flip=True))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    paramwise_cfg=dict(
        encoder_lr_factor=50.0, custom_keys={'neck.': dict(lr_mult=0.02)}))
