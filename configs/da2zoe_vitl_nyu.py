# da2zoe on NYU Depth v2 with a DINOv2-vitl encoder (304 M parameters), the
# main model: the seed's recipe (configs/da2zoe_vits_nyu.py) with a neck and
# head 256 wide. Training the encoder (--train-encoder) at batch 4 wants
# activation checkpointing on smaller GPUs: backbone.with_cp=True.
_base_ = [
    '_base_/models/da2zoe.py', '_base_/datasets/nyu.py',
    '_base_/schedules/seed_step_50e.py', '_base_/default_runtime.py'
]
model = dict(backbone=dict(arch='vitl'))  # weights: the model base's
